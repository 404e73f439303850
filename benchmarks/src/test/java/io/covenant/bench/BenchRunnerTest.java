package io.covenant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.coordinator.Coordinator;
import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.config.CoordinatorConfig.StoreKind;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the load generator for about two seconds per workload against an in-process coordinator
 * on the memory store, at a low open-loop rate, and checks what a run must always deliver: every
 * transaction ended consistently, and the results were written. Nothing here is timed: speed is
 * measured by running the tool, never asserted (DESIGN, Testing).
 */
class BenchRunnerTest {
  @TempDir Path out;

  @Test
  void tccWorkloadEndsEveryTransactionConsistentlyAndWritesTheReports() throws Exception {
    RunResult r = runBriefly("tcc-2-branches.yaml");

    assertEndedConsistently(r);
    assertThat(r.counts().participantCalls()).isGreaterThan(0);
    assertThat(r.allocation().coordinatorKiBPerTx()).isPositive();
    if ("Linux".equals(System.getProperty("os.name")) && "amd64".equals(System.getProperty("os.arch"))) {
      assertThat(r.setup().loadGeneratorTransport()).as("Netty's epoll transport is on the classpath").isEqualTo("epoll");
    }
    Path dir = Reports.write(out, r.workload(), Reports.environment("test"), List.of(r));
    assertThat(dir.resolve("result.json")).isNotEmptyFile();
    assertThat(Files.readString(dir.resolve("summary.csv"))).startsWith("workload,").contains("tcc-2-branches");
    assertThat(dir.resolve("timeline.csv")).isNotEmptyFile();
    assertThat(dir.resolve("latency.csv")).isNotEmptyFile();
    assertThat(Files.readString(dir.resolve("report.html"))).contains("<svg").contains("Slowest decisions");
  }

  @Test
  void slowestTccTransactionsAreBrokenDownIntoTheDriversCallsInOrder() throws Exception {
    RunResult r = runBriefly("tcc-2-branches.yaml");

    assertThat(r.slowest()).hasSize(BenchRunner.SLOWEST);
    assertThat(r.slowest()).extracting(RunResult.Slow::decisionMillis).isSortedAccordingTo(Comparator.reverseOrder());
    for (RunResult.Slow slow : r.slowest()) {
      assertThat(slow.dueAtSecond()).isGreaterThanOrEqualTo(0.3); // measured: due after the warm-up
      assertThat(slow.calls()).extracting(RunResult.Call::call)
          .containsExactly("begin", "register", "try", "register", "try", "commit");
      double answered = 0;
      for (RunResult.Call call : slow.calls()) {
        assertThat(call.sentMillis()).isGreaterThanOrEqualTo(answered); // each call after the previous answer
        assertThat(call.millis()).isPositive();
        answered = call.sentMillis() + call.millis();
      }
      assertThat(answered).isLessThanOrEqualTo(slow.decisionMillis()); // the commit's answer is the decision
    }
    assertThat(Reports.describe(r.slowest().get(0))).contains("gid ").contains(": begin ").contains(", commit ");
  }

  @Test
  void compensatingSagasRollBackTheRefusedOnesAndCommitTheRest() throws Exception {
    RunResult r = runBriefly("saga-3-steps-10pct-compensate.yaml");

    assertEndedConsistently(r);
    assertThat(r.slowest()).isNotEmpty().allSatisfy(slow ->
        assertThat(slow.calls()).extracting(RunResult.Call::call).containsExactly("submit"));
    Path dir = Reports.write(out, r.workload(), Reports.environment("test"), List.of(r, r));
    assertThat(Files.readString(dir.resolve("report.html"))).contains("<svg").contains("Throughput against concurrency");
  }

  @Test
  void inFlightProbeCountsTheBacklogOfSlowParticipantsWhichThenDrains() throws Exception {
    // Participants take 1 s during the arrivals, so sagas are still in flight at the probe;
    // then they answer at once and the run ends with all of them verified.
    Workload w = Workload.load(Path.of("workloads", "saga-100k-in-flight.yaml"))
        .withArrival(Workload.Arrival.open(50))
        .withWarmup(Duration.ofMillis(300))
        .withDuration(Duration.ofMillis(1200));
    RunResult r = new BenchRunner().run(options(w));

    assertEndedConsistently(r);
    RunResult.InFlight f = r.inFlight();
    assertThat(f).isNotNull();
    assertThat(f.driverInFlight()).isPositive();
    assertThat(f.coordinatorLive()).isPositive();
    assertThat(f.coordinatorBytes()).isNotNull();
    assertThat(f.processHeapAfterGcBytes()).isPositive();
    Path dir = Reports.write(out, r.workload(), Reports.environment("test"), List.of(r));
    assertThat(Files.readString(dir.resolve("timeline.csv"))).contains("in_flight,coordinator_live");
    assertThat(Files.readString(dir.resolve("report.html"))).contains("Transactions in flight");
  }

  @Test
  void againstACoordinatorAtALoopbackUrlTheRunReportsItsHeapAndTheLoadGeneratorsCpuApart() throws Exception {
    Coordinator coordinator = Coordinator.start(CoordinatorConfig.builder().httpHost("127.0.0.1").httpPort(0)
        .store(StoreKind.MEMORY).build()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    try {
      Workload w = Workload.load(Path.of("workloads", "saga-3-steps.yaml"))
          .withArrival(Workload.Arrival.open(50)).withWarmup(Duration.ofMillis(300)).withDuration(Duration.ofMillis(1700));
      RunResult r = new BenchRunner().run(new BenchRunner.Options(w, coordinator.baseUrl(), StoreKind.MEMORY, true, null,
          Map.of(), 1, 16, 10_000, Duration.ofSeconds(20), 50, 7, "127.0.0.1", null, null));

      assertEndedConsistently(r);
      assertThat(r.heap().coordinatorBytes()).as("its heap gauge from /metrics").isPositive();
      assertThat(r.cpu().coordinatorMicrosPerTx()).isPositive();
      assertThat(r.cpu().benchCores()).as("this process").isPositive();
      assertThat(Target.remote(coordinator.baseUrl()).onThisMachine()).isTrue();
      assertThat(Target.remote("http://localhost:8080").onThisMachine()).isTrue();
      assertThat(Target.remote("http://192.0.2.10:8080").onThisMachine()).isFalse();
    } finally {
      coordinator.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void withTwoEventLoopsTheParticipantsServeOnTheLoopTheDriverDoesNotUse() throws Exception {
    Vertx two = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    Vertx one = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    try {
      Context driver = two.getOrCreateContext();
      Context participants = BenchRunner.contextOnAnotherLoop(two, driver, 2);
      assertThat(((ContextInternal) participants).nettyEventLoop()).isNotSameAs(((ContextInternal) driver).nettyEventLoop());
      Context alone = one.getOrCreateContext();
      assertThat(BenchRunner.contextOnAnotherLoop(one, alone, 1)).isSameAs(alone);
    } finally {
      two.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      one.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void remoteAllocationIsUnknownWhenNoYoungCollectionMovedTheCounter() {
    assertThat(BenchRunner.remoteAllocation(1_048_576.0, 1_048_576.0, 100).coordinatorKiBPerTx()).isNull();
    assertThat(BenchRunner.remoteAllocation(0.0, 1_024_000.0, 100).coordinatorKiBPerTx()).isEqualTo(10.0);
    assertThat(BenchRunner.remoteAllocation(null, 1_024_000.0, 100).coordinatorKiBPerTx()).isNull();
  }

  @Test
  void readsPrometheusSampleValuesWithExponentsAndSpecialValues() {
    assertThat(BenchRunner.metricValue("6.58703E-5")).isEqualTo(6.58703E-5);
    assertThat(BenchRunner.metricValue("12")).isEqualTo(12.0);
    assertThat(BenchRunner.metricValue("+Inf")).isInfinite();
    assertThat(BenchRunner.metricValue("NaN")).isNaN();
    assertThat(BenchRunner.metricValue("garbage")).isNaN();
  }

  private static RunResult runBriefly(String file) throws Exception {
    Workload w = Workload.load(Path.of("workloads", file))
        .withArrival(Workload.Arrival.open(50))
        .withWarmup(Duration.ofMillis(300))
        .withDuration(Duration.ofMillis(1700));
    return new BenchRunner().run(options(w));
  }

  private static BenchRunner.Options options(Workload w) {
    return new BenchRunner.Options(w, "inprocess", StoreKind.MEMORY, true, null,
        Map.of("retry.initialBackoff", "10ms"), 1, 16, 10_000, Duration.ofSeconds(20), 50, 7, "127.0.0.1", null, null);
  }

  private static void assertEndedConsistently(RunResult r) {
    assertThat(r.verification().examples()).isEmpty();
    assertThat(r.verification().inconsistent()).isZero();
    assertThat(r.verification().unfinished()).isZero();
    assertThat(r.errors()).isEmpty();
    assertThat(r.counts().started()).isPositive();
    assertThat(r.verification().transactions()).isEqualTo(r.counts().started());
    assertThat(r.decision().count()).isPositive();
  }
}
