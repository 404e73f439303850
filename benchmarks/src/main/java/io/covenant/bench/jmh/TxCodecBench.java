package io.covenant.bench.jmh;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.store.TxCodec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** The journal's binary record of a 3-step saga (one step done), written on every change and read on replay. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class TxCodecBench {
  private GlobalTx saga;
  private byte[] encoded;

  @Setup
  public void setUp() {
    saga = Fixtures.saga3FirstStepDone("bench-1732530000000-123456");
    encoded = TxCodec.encode(saga);
  }

  @Benchmark
  public byte[] encodeSaga3() {
    return TxCodec.encode(saga);
  }

  @Benchmark
  public GlobalTx decodeSaga3() {
    return TxCodec.decode(encoded);
  }
}
