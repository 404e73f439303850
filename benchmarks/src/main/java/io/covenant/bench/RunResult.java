package io.covenant.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The result of one run (one workload at one concurrency or rate), as written to
 * {@code result.json}. Latencies are in milliseconds, CPU in microseconds per completed
 * transaction, sizes in bytes. Immutable.
 *
 * @param throughputPerSecond transactions completed inside the measurement window, per second
 * @param committedPerSecond of those, the ones that committed
 * @param decisionsPerSecond durable answers (commit / rollback 200, saga 201) inside the window, per second
 * @param decision latency from the due start to the durable answer
 * @param completion latency from the due start to the last participant call the transaction needs
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunResult(
    String workload,
    String description,
    Setup setup,
    Counts counts,
    double throughputPerSecond,
    double committedPerSecond,
    double decisionsPerSecond,
    Latency decision,
    Latency completion,
    Map<String, Long> errors,
    Verifier.Report verification,
    Cpu cpu,
    Allocation allocation,
    StoreWrites storeWrites,
    Heap heap,
    InFlight inFlight,
    List<Second> timeline,
    List<Percentile> decisionDistribution,
    List<Percentile> completionDistribution,
    List<Slow> slowest) {

  /**
   * What was run, and against what. {@code participantLatencyInWarmupMillis} and
   * {@code participantLatencyAfterArrivalsMillis} are null when they equal {@code participantLatencyMillis}.
   * {@code loadGeneratorTransport} is the network transport of the load generator's Vert.x: {@code epoll}
   * (Netty's native one) or {@code nio}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Setup(String mix, int branches, int payloadBytes, long participantLatencyMillis,
      Long participantLatencyInWarmupMillis, Long participantLatencyAfterArrivalsMillis, double failureShare,
      String failAt, String arrival, Integer concurrency, Double ratePerSecond, double warmupSeconds,
      double durationSeconds, String target, String store, Boolean journalSync, Map<String, String> coordinatorSettings,
      String loadGeneratorTransport, String startedAt) {}

  /**
   * @param started every transaction started, warm-up included
   * @param measured started inside the measurement window (their latencies are the ones reported)
   * @param completedInWindow completed inside the window (the throughput's numerator)
   * @param unfinishedAfterDrain still in flight when the drain gave up
   * @param participantCalls calls the participants answered (tries included)
   * @param unknownParticipantCalls calls for gids this run did not start
   */
  public record Counts(long started, long measured, long completedInWindow, long committedInWindow,
      long decidedInWindow, long failedWithError, long overloadSkipped, long unfinishedAfterDrain,
      long participantCalls, long unknownParticipantCalls) {}

  public record Latency(long count, double mean, double p50, double p90, double p99, double p999, double max) {}

  /**
   * CPU time in the measurement window (see {@code CpuMeter} and the README).
   *
   * @param coordinatorMicrosPerTx the coordinator's Java threads, per completed transaction
   * @param coordinatorWithJvmMicrosPerTx the same plus all of the JVM's garbage collection and JIT
   *     time (an upper bound: part of that time is the benchmark's)
   * @param coordinatorCores average cores busy with the coordinator's threads
   * @param gcCores average cores of the JVM's garbage-collector threads (of the whole process:
   *     coordinator and benchmark allocate on one heap); {@code jitCores} of its JIT compilers,
   *     {@code vmCores} of its other internal threads
   * @param benchCores average cores of the load generator and the participants (in-process: their
   *     threads; remote: this whole process)
   * @param otherProcessesCores average cores the rest of the machine used meanwhile ({@code /proc/stat}
   *     minus this process, and minus a remote coordinator's process when it runs on this machine, at
   *     a loopback address): above a few tenths, the run
   *     competed with other work and its figures are disturbed; on a SQL store, the database
   *     server's processes are not counted in it but in {@code databaseCores}
   * @param databaseCores average cores of the PostgreSQL / MariaDB / MySQL server processes on this
   *     machine (all their work, other clients' included)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Cpu(String method, Double coordinatorMicrosPerTx, Double coordinatorWithJvmMicrosPerTx,
      Double coordinatorCores, Double benchCores, Double jvmNativeCores, Double processCores,
      Double otherProcessesCores, Double databaseCores, Double gcCores, Double jitCores, Double vmCores,
      List<Map.Entry<String, Long>> topThreadsMillis) {}

  /**
   * The coordinator's durable writes in the window, by kind ({@code create}, {@code update}).
   *
   * @param perSecond writes per second
   * @param meanMillis mean time from the store call to its durable answer (batching, queueing and
   *     the database's commit included)
   */
  /**
   * What the coordinator allocated in the window, per transaction completed in it: the rate that
   * sets how often its young collections pause it. In-process, the coordinator's Java threads' own
   * counts (the benchmark's threads are left out); remote, the coordinator's GC metrics.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Allocation(String method, Double coordinatorKiBPerTx) {}

  public record StoreWrites(String method, Map<String, Double> perSecond, Map<String, Double> meanMillis) {}

  /**
   * @param coordinatorBytes the coordinator's live heap at the end: heap used after a full GC with
   *     the coordinator running, minus the same once it is closed (the benchmark's own records
   *     are dropped before both); remote, its heap used at the end (not after a GC)
   * @param processAfterGcBytes heap used after a full GC, with the coordinator running
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Heap(String method, Long coordinatorBytes, Long processAfterGcBytes, Long maxBytes) {}

  /**
   * What was in flight at the end of the measured window, before the drain (workloads with
   * {@code inFlightProbe: true}).
   *
   * @param driverInFlight transactions the driver had started and not seen complete
   * @param undecided of those, the ones whose durable answer (saga 201, commit 200) had not arrived
   * @param coordinatorLive the coordinator's {@code covenant.transactions.live}: unfinished transactions it drives
   * @param coordinatorCallsWaiting its {@code covenant.participant.calls.waiting}: calls queued behind
   *     {@code participant.callsInFlightMax}
   * @param processHeapAfterGcBytes in-process: the whole JVM's heap used after a full GC at that moment
   * @param benchRecordsBytes in-process: the benchmark's own records of the run (its ledger), measured
   *     at the end as the heap freed by dropping them
   * @param baselineBytes in-process: heap used after a full GC once the coordinator was closed
   * @param coordinatorBytes in-process: {@code processHeapAfterGc - benchRecords - baseline}, the
   *     coordinator's live heap with those transactions in flight; remote: the coordinator's
   *     {@code jvm_memory_used_bytes{area="heap"}} (not after a GC, so an upper bound)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record InFlight(String method, long driverInFlight, long undecided, Double coordinatorLive,
      Double coordinatorCallsWaiting, Long processHeapAfterGcBytes, Long benchRecordsBytes, Long baselineBytes,
      Long coordinatorBytes) {}

  /**
   * One second of the run; {@code inWindow} false for the warm-up and the drain. Latencies are of
   * the transactions due in that second; {@code decided} and {@code completed} count what was
   * decided or completed during it. {@code inFlight} (the driver's) and the coordinator's gauges
   * are sampled once in the second, null when not sampled.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Second(int second, boolean inWindow, long started, long decided, long completed, long failed,
      double decisionP50, double decisionP99, double decisionMax, double completionP50, double completionP99,
      double completionMax, Integer inFlight, Double coordinatorLive, Double coordinatorCallsWaiting) {}

  public record Percentile(double percentile, double millis) {}

  /**
   * One of the measured transactions whose decision took longest, and where that time went.
   *
   * @param dueAtSecond when it was due, in seconds from the start of the run (as in the timeline)
   * @param calls the driver's calls in order; the time between one call's answer and the next one's
   *     sending is the load generator's
   */
  public record Slow(String gid, double dueAtSecond, double decisionMillis, List<Call> calls) {}

  /**
   * One call of the driver: sent {@code sentMillis} after the transaction was due, answered
   * {@code millis} later. For a register, commit or saga submission that is the coordinator's
   * answer (its durable write included); for a try, the participant's.
   */
  public record Call(String call, double sentMillis, double millis) {}
}
