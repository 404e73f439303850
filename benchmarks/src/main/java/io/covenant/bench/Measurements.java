package io.covenant.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What a run measures, in microseconds: the <em>decision</em> latency (from the time a
 * transaction was due to start to the coordinator's durable answer: commit or rollback 200, saga
 * 201) and the <em>completion</em> latency (to the moment the last participant call the
 * transaction needs was answered), both over the measured transactions (due after the warm-up);
 * per second of the run, the same latencies and the transactions started, decided, completed and
 * failed; errors by kind.
 *
 * <p>Throughput counts the transactions that <em>completed</em> inside the measurement window,
 * divided by its length.
 *
 * <p>Thread-safe (synchronized: a few thousand records a second, uncontended).
 */
final class Measurements {
  private static final long NANOS_PER_MICRO = 1_000;

  private final long startNanos;
  private final long windowStartNanos;
  private final long windowEndNanos;

  /** The phases of a run, as {@link #phase} numbers them: the warm-up, the measured window, the drain after it. */
  static final int WARM_UP = 0;
  static final int WINDOW = 1;
  static final int DRAIN = 2;

  // Per phase, indexed by {@link #phase}: the figures reported are the window's.
  private final Histogram[] decision = {new Histogram(3), new Histogram(3), new Histogram(3)};
  private final Histogram[] completion = {new Histogram(3), new Histogram(3), new Histogram(3)};
  private final long[] startedIn = new long[3];
  private final long[] decidedIn = new long[3];
  private final long[] completedIn = new long[3];
  private final long[] committedIn = new long[3];
  private final List<Second> seconds = new ArrayList<>();
  private final Map<String, Long> errors = new TreeMap<>();
  private long started;
  private long overloadSkipped;

  /** One second of the run, counted from its start (warm-up included). */
  static final class Second {
    final Histogram decision = new Histogram(2);
    final Histogram completion = new Histogram(2);
    long started;
    long decided;
    long completed;
    long failed;
    /** Sampled during the second: the driver's transactions in flight, -1 if not sampled. */
    int inFlight = -1;
    /** Sampled during the second from the coordinator's gauges; null if not sampled. */
    Double coordinatorLive;
    Double coordinatorCallsWaiting;
  }

  Measurements(long startNanos, long windowStartNanos, long windowEndNanos) {
    this.startNanos = startNanos;
    this.windowStartNanos = windowStartNanos;
    this.windowEndNanos = windowEndNanos;
  }

  long windowStartNanos() {
    return windowStartNanos;
  }

  long windowEndNanos() {
    return windowEndNanos;
  }

  /**
   * The phase {@code nanos} falls in ({@link #WARM_UP}, {@link #WINDOW} or {@link #DRAIN}), computed
   * without a branch, and used as an index rather than tested. Why: until the window opens, the
   * driver's hot code has only ever seen warm-up transactions, and a branch taken for the first
   * time then makes the JIT throw that compiled code away (a deoptimisation) and compile it again,
   * in the window's first second: tens of milliseconds measured as the coordinator's latency.
   */
  int phase(long nanos) {
    return (int) ((windowStartNanos - 1 - nanos) >>> 63) + (int) ((windowEndNanos - 1 - nanos) >>> 63);
  }

  synchronized void started(long intendedNanos) {
    started++;
    startedIn[phase(intendedNanos)]++;
    second(intendedNanos).started++;
  }

  /** The open loop had too many transactions in flight and did not start one that was due. */
  synchronized void skipArrival() {
    overloadSkipped++;
    errors.merge("driver: in-flight limit reached, arrival skipped", 1L, Long::sum);
  }

  synchronized void finished(TxRecord tx) {
    String error = tx.error();
    if (error != null) {
      errors.merge(error, 1L, Long::sum);
      second(tx.intendedNanos).failed++;
      return;
    }
    long d = tx.decisionNanos();
    long c = tx.completionNanos();
    decidedIn[phase(d)]++;
    int completedPhase = phase(c);
    completedIn[completedPhase]++;
    if (tx.plannedCommit()) {
      committedIn[completedPhase]++;
    }
    second(d).decided++;
    second(c).completed++;
    long dMicros = Math.max(1, (d - tx.intendedNanos) / NANOS_PER_MICRO);
    long cMicros = Math.max(1, (c - tx.intendedNanos) / NANOS_PER_MICRO);
    Second s = second(tx.intendedNanos);
    s.decision.recordValue(dMicros);
    s.completion.recordValue(cMicros);
    decision[tx.phase].recordValue(dMicros);
    completion[tx.phase].recordValue(cMicros);
  }

  /** The driver had {@code inFlight} transactions started and not finished at {@code nowNanos}. */
  synchronized void sampleInFlight(long nowNanos, int inFlight) {
    second(nowNanos).inFlight = inFlight;
  }

  /** The coordinator's {@code covenant.transactions.live} and {@code covenant.participant.calls.waiting} at {@code nowNanos}. */
  synchronized void sampleCoordinator(long nowNanos, Double live, Double callsWaiting) {
    Second s = second(nowNanos);
    s.coordinatorLive = live;
    s.coordinatorCallsWaiting = callsWaiting;
  }

  /** An error that is not tied to one transaction's end (e.g. a failed rollback after a failure). */
  synchronized void error(String kind) {
    errors.merge(kind, 1L, Long::sum);
  }

  private Second second(long nanos) {
    int i = (int) Math.max(0, (nanos - startNanos) / 1_000_000_000L);
    while (seconds.size() <= i) {
      seconds.add(new Second());
    }
    return seconds.get(i);
  }

  /** Decision latencies of the transactions due in the window. */
  synchronized Histogram decision() {
    return decision[WINDOW].copy();
  }

  /** Completion latencies of the transactions due in the window. */
  synchronized Histogram completion() {
    return completion[WINDOW].copy();
  }

  synchronized List<Second> seconds() {
    return List.copyOf(seconds);
  }

  synchronized Map<String, Long> errors() {
    return new TreeMap<>(errors);
  }

  synchronized long completedInWindow() {
    return completedIn[WINDOW];
  }

  synchronized long committedInWindow() {
    return committedIn[WINDOW];
  }

  synchronized long decidedInWindow() {
    return decidedIn[WINDOW];
  }

  synchronized long started() {
    return started;
  }

  synchronized long measuredStarted() {
    return startedIn[WINDOW];
  }

  synchronized long overloadSkipped() {
    return overloadSkipped;
  }

  /** Seconds of the run counted from its start; second {@code i} is in the window when this says so. */
  boolean secondInWindow(int i) {
    long s = startNanos + i * 1_000_000_000L;
    return s >= windowStartNanos - 1 && s < windowEndNanos;
  }
}
