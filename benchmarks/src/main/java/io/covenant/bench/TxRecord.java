package io.covenant.bench;

import io.covenant.protocol.Mode;
import java.util.ArrayList;
import java.util.List;

/**
 * One transaction of a run, as the driver planned it and as the participants saw it.
 *
 * <p>What the participants received is kept as bits: bit {@code op * 8 + branch} is set once that
 * branch answered that operation (repeats, which the protocol allows, are only counted). The
 * driver sets, when it plans the transaction, the bits that <em>complete</em> it: the confirm
 * (TCC), commit (2PC) or action (saga) of every branch when it must commit, and the cancel,
 * rollback or compensation of every branch that was registered or ran when it must fail. The
 * transaction is <em>complete</em> when the durable answer has reached the driver ({@link
 * #decided}) and every completing bit is set; whichever comes last calls the listener, once.
 *
 * <p>Thread-safe: participants and the driver may run on different event loops.
 */
final class TxRecord {
  // Operation indexes in the bit set; internal to the benchmark, not wire codes.
  static final int TRY = 0;
  static final int CONFIRM = 1;
  static final int CANCEL = 2;
  static final int ACTION = 3;
  static final int COMPENSATE = 4;
  static final int COMMIT = 5;
  static final int ROLLBACK = 6;
  static final String[] OP_NAMES = {"try", "confirm", "cancel", "action", "compensate", "commit", "rollback"};

  /** The driver's own calls to the coordinator and participants, as listed in the breakdown of the slowest transactions. */
  enum Call {
    BEGIN, REGISTER, TRY, COMMIT, ROLLBACK, SUBMIT;

    final String label = name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Called once per transaction when it is complete or has failed with an error. */
  interface Listener {
    void finished(TxRecord tx);
  }

  final String gid;
  final Mode mode;
  final int branches;
  /** The branch that refuses, or -1 when the transaction must commit. */
  final int failBranch;
  /** When the transaction was due to start (System.nanoTime); latencies are measured from here. */
  final long intendedNanos;
  /** The phase of the run it was due in ({@link Measurements#phase}); it is measured if that is the window. */
  final int phase;
  private final long completing;
  private final Listener listener;

  private long received;
  private int calls;
  private long decisionNanos = -1;
  private long completionNanos = -1;
  private boolean done;
  private String error;
  /** The status in the decision's answer (only read for transactions without branches). */
  private String answeredStatus;
  /** The coordinator's status when verified at the end, or null if not asked. */
  private volatile String coordinatorStatus;
  /**
   * The driver's calls, in the order they were answered: their kinds, and when each was sent and
   * answered ({@code System.nanoTime}, two slots per call). Kept for every transaction, warm-up
   * included, so that the code recording them is the same before and during the window (see
   * {@link Measurements#phase}).
   */
  private final Call[] callKinds;
  private final long[] callTimes;
  private int callCount;

  TxRecord(String gid, Mode mode, int branches, int failBranch, long intendedNanos, int phase, Listener listener) {
    this.gid = gid;
    this.mode = mode;
    this.branches = branches;
    this.failBranch = failBranch;
    this.intendedNanos = intendedNanos;
    this.phase = phase;
    this.listener = listener;
    this.completing = completingBits(mode, branches, failBranch);
    int callsMax = 2 * branches + 2; // begin, a register and a try per branch, the decision
    this.callKinds = new Call[callsMax];
    this.callTimes = new long[2 * callsMax];
  }

  static long bit(int op, int branch) {
    return 1L << (op * 8 + branch);
  }

  static int op(String code) {
    if (code == null) {
      return -1;
    }
    return switch (code) {
      case "try" -> TRY;
      case "confirm" -> CONFIRM;
      case "cancel" -> CANCEL;
      case "action" -> ACTION;
      case "compensate" -> COMPENSATE;
      case "commit" -> COMMIT;
      case "rollback" -> ROLLBACK;
      default -> -1;
    };
  }

  /**
   * The bits that end a transaction. The initiator of a failing TCC transaction stops at the
   * refused try, so the branches up to that one are registered and all of them are cancelled (the
   * refused one too: its try reached the participant); a failing 2PC transaction rolls back the branches
   * registered before the one that did not prepare; a failing saga compensates every step up to
   * and including the refused one, whose action may have taken effect.
   */
  private static long completingBits(Mode mode, int branches, int failBranch) {
    long bits = 0;
    boolean commit = failBranch < 0;
    for (int b = 0; b < branches; b++) {
      switch (mode) {
        case TCC -> {
          if (commit || b <= failBranch) {
            bits |= bit(commit ? CONFIRM : CANCEL, b);
          }
        }
        case TWO_PHASE -> {
          if (commit) {
            bits |= bit(COMMIT, b);
          } else if (b < failBranch) {
            bits |= bit(ROLLBACK, b);
          }
        }
        case SAGA -> {
          if (commit) {
            bits |= bit(ACTION, b);
          } else if (b <= failBranch) {
            bits |= bit(COMPENSATE, b);
          }
        }
      }
    }
    return bits;
  }

  boolean plannedCommit() {
    return failBranch < 0;
  }

  /** A participant answered {@code op} for {@code branch}. */
  void received(int op, int branch, long nowNanos) {
    boolean finished;
    synchronized (this) {
      calls++;
      received |= bit(op, branch);
      if (completionNanos < 0 && (received & completing) == completing && completing != 0) {
        completionNanos = nowNanos;
      }
      finished = markDone();
    }
    if (finished) {
      listener.finished(this);
    }
  }

  /** The coordinator's durable answer (commit / rollback 200, saga 201) reached the driver. */
  void decided(long nowNanos, String status) {
    boolean finished;
    synchronized (this) {
      decisionNanos = nowNanos;
      answeredStatus = status;
      if (completing == 0 && completionNanos < 0) {
        completionNanos = nowNanos; // nothing for participants to do: the answer is the end
      }
      finished = markDone();
    }
    if (finished) {
      listener.finished(this);
    }
  }

  /** The transaction could not be carried out as planned; it is finished for the driver. */
  void failed(String kind) {
    boolean finished;
    synchronized (this) {
      if (error == null) {
        error = kind;
      }
      finished = !done;
      done = true;
    }
    if (finished) {
      listener.finished(this);
    }
  }

  /**
   * The driver sent a call of {@code kind} at {@code sentNanos} and had its answer (or its failure)
   * at {@code answeredNanos}. Beyond the planned calls (a rollback after an error), ignored.
   */
  synchronized void call(Call kind, long sentNanos, long answeredNanos) {
    if (callCount == callKinds.length) {
      return;
    }
    callKinds[callCount] = kind;
    callTimes[2 * callCount] = sentNanos;
    callTimes[2 * callCount + 1] = answeredNanos;
    callCount++;
  }

  /**
   * Where this transaction's decision latency went: each call of the driver, when it was sent after
   * the transaction was due (a late first call is the load generator's own delay), and how long its
   * answer took.
   */
  synchronized List<RunResult.Call> driverCalls() {
    List<RunResult.Call> calls = new ArrayList<>(callCount);
    for (int i = 0; i < callCount; i++) {
      calls.add(new RunResult.Call(callKinds[i].label, (callTimes[2 * i] - intendedNanos) / 1e6,
          (callTimes[2 * i + 1] - callTimes[2 * i]) / 1e6));
    }
    return calls;
  }

  private boolean markDone() {
    if (!done && error == null && decisionNanos >= 0 && completionNanos >= 0) {
      done = true;
      return true;
    }
    return false;
  }

  boolean measured() {
    return phase == Measurements.WINDOW;
  }

  synchronized long decisionNanos() {
    return decisionNanos;
  }

  synchronized long completionNanos() {
    return completionNanos;
  }

  synchronized String error() {
    return error;
  }

  synchronized boolean complete() {
    return done && error == null;
  }

  synchronized long receivedBits() {
    return received;
  }

  synchronized int calls() {
    return calls;
  }

  synchronized String answeredStatus() {
    return answeredStatus;
  }

  String coordinatorStatus() {
    return coordinatorStatus;
  }

  void coordinatorStatus(String status) {
    this.coordinatorStatus = status;
  }

  boolean has(long bits, int op, int branch) {
    return (bits & bit(op, branch)) != 0;
  }
}
