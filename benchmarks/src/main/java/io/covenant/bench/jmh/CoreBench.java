package io.covenant.bench.jmh;

import io.covenant.coordinator.core.Core;
import io.covenant.coordinator.core.Event;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.core.Outcome;
import io.covenant.coordinator.core.Plan;
import io.covenant.protocol.Op;
import java.util.Set;
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
 * The pure core's transitions, which the engine applies on its single event-loop thread for every
 * request and every participant answer: a TCC commit decision, a saga step's success, and the
 * planning of the calls that follow it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class CoreBench {
  private Core core;
  private GlobalTx tcc;
  private GlobalTx saga;
  private GlobalTx sagaAfterFirstStep;
  private Event.Commit commit;
  private Event.CallSucceeded stepSucceeded;

  @Setup
  public void setUp() {
    core = Fixtures.core();
    tcc = Fixtures.tcc2("bench-tcc-1");
    saga = Fixtures.saga3("bench-saga-1");
    sagaAfterFirstStep = Fixtures.saga3FirstStepDone("bench-saga-1");
    commit = new Event.Commit(Fixtures.T0.plusMillis(5));
    stepSucceeded = new Event.CallSucceeded("b0", Op.ACTION, Fixtures.T0.plusMillis(3));
  }

  /** ACTIVE -> COMMITTING with two registered branches. */
  @Benchmark
  public Outcome tccCommit() {
    return core.on(tcc, commit);
  }

  /** The first step of a 3-step saga answered 2xx. */
  @Benchmark
  public Outcome sagaStepSucceeded() {
    return core.on(saga, stepSucceeded);
  }

  /** What to call next once the first step is durable: the second step's action. */
  @Benchmark
  public Plan sagaPlanAfterStep() {
    return core.plan(sagaAfterFirstStep, Fixtures.T0.plusMillis(4), Set.of());
  }
}
