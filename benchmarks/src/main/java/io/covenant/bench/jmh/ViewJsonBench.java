package io.covenant.bench.jmh;

import io.covenant.coordinator.http.Json;
import io.covenant.protocol.TransactionView;
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

/**
 * The JSON body of a {@code TransactionView} (a 3-step saga, a 2-branch TCC transaction) through
 * the API's own mapper, as every begin, register, commit, rollback and saga submission answers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ViewJsonBench {
  private TransactionView saga;
  private TransactionView tcc;

  @Setup
  public void setUp() {
    saga = Fixtures.view(Fixtures.saga3FirstStepDone("bench-1732530000000-123456"));
    tcc = Fixtures.view(Fixtures.tcc2("bench-1732530000000-123457"));
  }

  @Benchmark
  public byte[] encodeSaga3View() throws Exception {
    return Json.mapper().writeValueAsBytes(saga);
  }

  @Benchmark
  public byte[] encodeTcc2View() throws Exception {
    return Json.mapper().writeValueAsBytes(tcc);
  }
}
