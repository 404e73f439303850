package io.covenant.coordinator.core;

import static io.covenant.protocol.BranchStatus.FAILED;
import static io.covenant.protocol.BranchStatus.PENDING;
import static io.covenant.protocol.BranchStatus.REGISTERED;
import static io.covenant.protocol.BranchStatus.SKIPPED;
import static io.covenant.protocol.BranchStatus.SUCCEEDED;
import static io.covenant.protocol.GlobalStatus.ACTIVE;
import static io.covenant.protocol.GlobalStatus.COMMITTED;
import static io.covenant.protocol.GlobalStatus.COMMITTING;
import static io.covenant.protocol.GlobalStatus.ROLLED_BACK;
import static io.covenant.protocol.GlobalStatus.ROLLING_BACK;

import io.covenant.coordinator.core.Outcome.Changed;
import io.covenant.coordinator.core.Outcome.Rejected;
import io.covenant.coordinator.core.Outcome.Unchanged;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.Op;
import io.covenant.protocol.SagaRecovery;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The rules of every mode, as pure functions: {@link #on} turns a transaction and an event into a
 * new transaction (or a refusal), and {@link #plan} says which participant calls are due. No I/O,
 * no clock, no randomness: time and jitter arrive inside the events.
 *
 * <p>Hazards this class guards against:
 * <ul>
 *   <li>The decision is made exactly once, from {@code ACTIVE}; afterwards commit and roll back
 *       requests are answered from the state, never applied again ({@link Transitions#check}
 *       runs on every change).
 *   <li>A saga step is treated as "may have run" as soon as every step it depends on has
 *       durably succeeded, because the engine may have sent its action just before a crash
 *       without recording that. Such a step is compensated on roll back (the participant's
 *       barrier turns a compensation without an action into a no-op).
 *   <li>A step is compensated only after every step that depends on it has been compensated or
 *       skipped: reverse dependency order, which for a sequential saga is reverse order.
 *   <li>A step without compensation (a pivot) cannot be undone, so once it may have run only its
 *       own answer decides: it is retried past its attempt limit until it succeeds (the saga goes
 *       forward) or is refused (no effect: the saga compensates); meanwhile the saga neither times
 *       out nor accepts a roll back, and no other step may run concurrently with it (validation).
 *   <li>A saga action's answer is kept in the same change that records its success, and a later
 *       step's references ({@link References}) are resolved when its call is planned, from the
 *       durable state the engine plans from; validation lets a step refer only to steps it depends
 *       on, so the value exists before the step can start and never changes after. A value that is
 *       not there makes the call unsendable ({@link Event.CallUnsendable}), never guessed.
 * </ul>
 */
public final class Core {

  /**
   * Limits and retry settings the rules depend on.
   *
   * @param branchesPerTransactionMax registrations beyond this are refused
   * @param stuckAfterAttempts a branch whose current operation failed this many times shows as stuck
   */
  public record Policy(RetryPolicy retry, int branchesPerTransactionMax, int stuckAfterAttempts) {
    public Policy {
      Objects.requireNonNull(retry, "retry");
      if (branchesPerTransactionMax < 1 || stuckAfterAttempts < 1) {
        throw new IllegalArgumentException("branchesPerTransactionMax and stuckAfterAttempts must be at least 1");
      }
    }
  }

  private final Policy policy;

  public Core(Policy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  public Policy policy() {
    return policy;
  }

  /** A new TCC or 2PC transaction, {@code ACTIVE} with no branches; rolled back at {@code deadline} if still undecided. */
  public GlobalTx begin(String gid, Mode mode, Instant now, Instant deadline) {
    if (mode == Mode.SAGA) {
      throw new IllegalArgumentException("a saga is submitted whole, not begun");
    }
    return new GlobalTx(gid, mode, ACTIVE, now, now, deadline, null, 1, List.of());
  }

  /**
   * A new saga. A compensating saga starts {@code ACTIVE} and runs forward until every step
   * succeeds, a pivot succeeds, or a step fails for good. A forward-recovery saga is decided at
   * submission ({@code COMMITTING}): it never compensates and has no deadline.
   *
   * @throws IllegalArgumentException if {@link #sagaDefinitionError} finds the steps wrong
   */
  public GlobalTx saga(String gid, List<Branch> steps, SagaRecovery recovery, Instant now, Instant deadline) {
    String error = sagaDefinitionError(steps, recovery);
    if (error != null) {
      throw new IllegalArgumentException(error);
    }
    return validSaga(gid, steps, recovery, now, deadline);
  }

  /**
   * {@link #saga}, for steps that {@link #sagaDefinitionError} has just found valid: the engine
   * checks them first to refuse a wrong definition with its own error, and checking them twice
   * was ~4 % of what a saga submission allocates. Checked again only with assertions on.
   */
  public GlobalTx validSaga(String gid, List<Branch> steps, SagaRecovery recovery, Instant now, Instant deadline) {
    assert sagaDefinitionError(steps, recovery) == null : sagaDefinitionError(steps, recovery);
    return recovery == SagaRecovery.FORWARD
        ? new GlobalTx(gid, Mode.SAGA, COMMITTING, now, now, null, null, 1, steps)
        : new GlobalTx(gid, Mode.SAGA, ACTIVE, now, now, deadline, null, 1, steps);
  }

  /**
   * Says what is wrong with a saga definition, or returns null when it is valid: no steps, too
   * many, a duplicate name, a dependency on an unknown step or on itself, a cycle, a step that
   * may need compensating but has no compensation, an attempt limit below 1.
   */
  public String sagaDefinitionError(List<Branch> steps, SagaRecovery recovery) {
    if (steps.isEmpty()) {
      return "a saga needs at least one step";
    }
    if (steps.size() > policy.branchesPerTransactionMax()) {
      return "a saga may have at most " + policy.branchesPerTransactionMax() + " steps (limits.branchesPerTransactionMax), got " + steps.size();
    }
    Map<String, Branch> byName = new HashMap<>();
    for (Branch s : steps) {
      if (byName.put(s.id(), s) != null) {
        return "step name '" + s.id() + "' is used twice";
      }
      if (s.attemptsMax() < 1) {
        return "step '" + s.id() + "': attemptsMax must be at least 1";
      }
    }
    for (Branch s : steps) {
      for (String d : s.dependsOn()) {
        if (d.equals(s.id())) {
          return "step '" + s.id() + "' depends on itself";
        }
        if (!byName.containsKey(d)) {
          return "step '" + s.id() + "' depends on unknown step '" + d + "'";
        }
      }
      if (s.backwardUrl() == null && recovery == SagaRecovery.COMPENSATE && !s.pivot()) {
        return "step '" + s.id() + "' has no compensation; only a pivot step or a step of a forward saga may omit it";
      }
    }
    String cycle = findCycle(steps, byName);
    if (cycle != null) {
      return "steps depend on each other in a cycle: " + cycle;
    }
    for (Branch s : steps) {
      String error = referenceError(s, false, byName);
      if (error == null && s.backwardUrl() != null) {
        error = referenceError(s, true, byName);
      }
      if (error != null) {
        return error;
      }
    }
    if (recovery == SagaRecovery.COMPENSATE) {
      for (Branch s : steps) {
        if (s.backwardUrl() == null) {
          String concurrent = concurrentWith(s, steps, byName);
          if (concurrent != null) {
            return "step '" + concurrent + "' may run at the same time as step '" + s.id() + "', which has no "
                + "compensation: make it depend on '" + s.id() + "' or '" + s.id() + "' depend on it";
          }
        }
      }
    }
    return null;
  }

  /**
   * What is wrong with the references in one side (action or compensation) of {@code step}, or
   * null: a malformed reference, a reference to an unknown step, or to a step that is not among
   * the steps {@code step} depends on (directly or through others), whose result may not exist yet
   * when the call is sent.
   */
  private static String referenceError(Branch step, boolean backward, Map<String, Branch> byName) {
    String side = backward ? "compensation" : "action";
    List<References.Reference> refs;
    try {
      refs = references(step, backward);
    } catch (IllegalArgumentException e) {
      return "step '" + step.id() + "' " + side + " " + e.getMessage();
    }
    if (refs.isEmpty()) {
      return null;
    }
    Set<String> ancestors = new HashSet<>();
    collectAncestors(step, byName, ancestors);
    for (References.Reference r : refs) {
      if (!byName.containsKey(r.step())) {
        return "step '" + step.id() + "' " + side + " refers to unknown step '" + r.step() + "'";
      }
      if (!ancestors.contains(r.step())) {
        return "step '" + step.id() + "' " + side + " refers to step '" + r.step() + "', which may not have run "
            + "yet: a step may refer only to steps it depends on, directly or through others";
      }
    }
    return null;
  }

  /**
   * Every reference of one side of a step: in its body, its URL and its header values.
   *
   * @throws IllegalArgumentException naming where a malformed reference is
   */
  private static List<References.Reference> references(Branch step, boolean backward) {
    List<References.Reference> refs;
    try {
      refs = References.find(backward ? step.backwardBody() : step.payload());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("body: " + e.getMessage());
    }
    try {
      refs = concat(refs, References.findInText(backward ? step.backwardUrl() : step.forwardUrl()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("URL: " + e.getMessage());
    }
    if (step.http() != null) {
      for (Map.Entry<String, String> h : (backward ? step.http().compensationHeaders() : step.http().actionHeaders()).entrySet()) {
        try {
          refs = concat(refs, References.findInText(h.getValue()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("header " + h.getKey() + ": " + e.getMessage());
        }
      }
    }
    return refs;
  }

  /** Both lists in one; no new list when either is empty (most steps refer to nothing). */
  private static <T> List<T> concat(List<T> first, List<T> second) {
    if (second.isEmpty()) {
      return first;
    }
    if (first.isEmpty()) {
      return second;
    }
    List<T> both = new ArrayList<>(first.size() + second.size());
    both.addAll(first);
    both.addAll(second);
    return both;
  }

  /**
   * The first step whose bodies, URLs or headers refer to the result of step {@code stepId}, or null. The engine asks
   * this when an action's answer was too large to keep: only if someone needs it is that a failure.
   */
  public String referencedBy(GlobalTx tx, String stepId) {
    if (tx.mode() != Mode.SAGA) {
      return null;
    }
    for (Branch b : tx.branches()) {
      for (boolean backward : new boolean[] {false, true}) {
        try {
          for (References.Reference r : references(b, backward)) {
            if (r.step().equals(stepId)) {
              return b.id();
            }
          }
        } catch (IllegalArgumentException e) {
          // validated at submission; a reference that no longer parses refers to nobody
        }
      }
    }
    return null;
  }

  /**
   * A step that is neither an ancestor nor a descendant of {@code pivot}, or null. Such a step could
   * fail while the pivot may have run, and a pivot cannot be compensated.
   */
  private static String concurrentWith(Branch pivot, List<Branch> steps, Map<String, Branch> byName) {
    Set<String> ancestors = new HashSet<>();
    collectAncestors(pivot, byName, ancestors);
    for (Branch s : steps) {
      if (s != pivot && !ancestors.contains(s.id())) {
        Set<String> above = new HashSet<>();
        collectAncestors(s, byName, above);
        if (!above.contains(pivot.id())) {
          return s.id();
        }
      }
    }
    return null;
  }

  private static void collectAncestors(Branch step, Map<String, Branch> byName, Set<String> into) {
    for (String d : step.dependsOn()) {
      if (into.add(d)) {
        collectAncestors(byName.get(d), byName, into);
      }
    }
  }

  /**
   * A saga step that has no compensation and may have run without a final answer yet (a pivot in
   * flight or being retried), or null. While there is one the saga can neither time out nor be
   * rolled back: only the step's own answer decides.
   */
  private static Branch uncompensatablePending(GlobalTx tx) {
    if (tx.mode() != Mode.SAGA || tx.status() != ACTIVE) {
      return null;
    }
    Map<String, Branch> byName = index(tx);
    for (Branch b : tx.branches()) {
      if (b.backwardUrl() == null && b.status() == PENDING && eligible(b, byName)) {
        return b;
      }
    }
    return null;
  }

  private static String findCycle(List<Branch> steps, Map<String, Branch> byName) {
    Map<String, Integer> state = new HashMap<>(); // 1 = on the path, 2 = done
    for (Branch s : steps) {
      List<String> path = new ArrayList<>();
      if (visit(s.id(), byName, state, path)) {
        return String.join(" -> ", path);
      }
    }
    return null;
  }

  private static boolean visit(String name, Map<String, Branch> byName, Map<String, Integer> state, List<String> path) {
    Integer st = state.get(name);
    if (st != null) {
      if (st == 1) {
        path.add(name);
        return true;
      }
      return false;
    }
    state.put(name, 1);
    path.add(name);
    for (String d : byName.get(name).dependsOn()) {
      if (visit(d, byName, state, path)) {
        return true;
      }
    }
    path.remove(path.size() - 1);
    state.put(name, 2);
    return false;
  }

  /** Applies {@code event} to {@code tx}. Pure; never throws for bad input, only for broken invariants. */
  public Outcome on(GlobalTx tx, Event event) {
    Outcome outcome;
    if (event instanceof Event.Register e) {
      outcome = register(tx, e);
    } else if (event instanceof Event.Commit e) {
      outcome = commit(tx, e);
    } else if (event instanceof Event.Rollback e) {
      Branch pivot = uncompensatablePending(tx);
      outcome = pivot == null ? rollback(tx, e.reason(), e.at())
          : new Rejected(ErrorCode.TRANSACTION_NOT_ACTIVE, "gid " + tx.gid() + ": step " + pivot.id()
              + " has no compensation and may have run; the saga waits for its answer and cannot be rolled back now");
    } else if (event instanceof Event.Expire e) {
      outcome = tx.status() == ACTIVE && tx.deadline() != null && !e.at().isBefore(tx.deadline())
          && uncompensatablePending(tx) == null
          ? rollback(tx, "timed out at " + tx.deadline(), e.at())
          : new Unchanged(tx);
    } else if (event instanceof Event.CallSucceeded e) {
      outcome = succeeded(tx, e);
    } else if (event instanceof Event.CallFailed e) {
      outcome = failed(tx, e.branchId(), e.op(), e.refusal(), false, e.error(), e.jitter(), e.at());
    } else if (event instanceof Event.CallUnsendable e) {
      outcome = failed(tx, e.branchId(), e.op(), false, true, e.error(), e.jitter(), e.at());
    } else if (event instanceof Event.Finish e) {
      outcome = finishByHand(tx, e);
    } else {
      throw new IllegalStateException("unknown event " + event);
    }
    if (outcome instanceof Changed c) {
      Transitions.check(tx, c.next());
    }
    return outcome;
  }

  private Outcome register(GlobalTx tx, Event.Register e) {
    if (tx.mode() == Mode.SAGA) {
      return new Rejected(ErrorCode.WRONG_MODE, "gid " + tx.gid() + " is a saga; its steps are submitted with it");
    }
    Branch incoming = e.branch();
    var existing = tx.findBranch(incoming.id());
    if (existing.isPresent()) {
      return existing.get().sameRegistration(incoming)
          ? new Unchanged(tx)
          : new Rejected(ErrorCode.BRANCH_CONFLICT,
              "gid " + tx.gid() + " already has branch " + incoming.id() + " with other endpoints or payload");
    }
    if (tx.status() != ACTIVE) {
      return new Rejected(ErrorCode.TRANSACTION_NOT_ACTIVE,
          "gid " + tx.gid() + " is " + tx.status() + "; cannot register branch " + incoming.id());
    }
    if (tx.branches().size() >= policy.branchesPerTransactionMax()) {
      return new Rejected(ErrorCode.LIMIT_EXCEEDED,
          "gid " + tx.gid() + " already has " + tx.branches().size() + " branches (limits.branchesPerTransactionMax)");
    }
    List<Branch> next = new ArrayList<>(tx.branches());
    next.add(incoming);
    return new Changed(tx.with(ACTIVE, next, null, e.at()));
  }

  private Outcome commit(GlobalTx tx, Event.Commit e) {
    if (tx.mode() == Mode.SAGA) {
      return new Rejected(ErrorCode.WRONG_MODE, "gid " + tx.gid() + " is a saga; it commits when its steps succeed");
    }
    return switch (tx.status()) {
      case ACTIVE -> new Changed(settle(tx.with(COMMITTING, tx.branches(), null, e.at())));
      case COMMITTING, COMMITTED -> new Unchanged(tx);
      case ROLLING_BACK, ROLLED_BACK -> new Rejected(ErrorCode.TRANSACTION_ROLLED_BACK,
          "gid " + tx.gid() + " is " + tx.status() + " (" + tx.reason() + "); cannot commit");
    };
  }

  private Outcome rollback(GlobalTx tx, String reason, Instant at) {
    return switch (tx.status()) {
      case ACTIVE -> new Changed(settle(tx.with(ROLLING_BACK, tx.branches(), reason, at)));
      case ROLLING_BACK, ROLLED_BACK -> new Unchanged(tx);
      case COMMITTING, COMMITTED -> new Rejected(ErrorCode.TRANSACTION_COMMITTED,
          "gid " + tx.gid() + " is " + tx.status() + "; cannot roll back");
    };
  }

  private Outcome succeeded(GlobalTx tx, Event.CallSucceeded e) {
    Branch b = tx.findBranch(e.branchId()).orElse(null);
    if (b == null || !expects(tx, b, e.op())) {
      return new Unchanged(tx); // a late or duplicate answer: what it reports is already recorded
    }
    BranchStatus to = e.op() == tx.mode().backward() ? rollbackStatus(tx.mode()) : forwardStatus(tx.mode());
    Branch moved = b.moveTo(to);
    if (tx.mode() == Mode.SAGA && e.op() == Op.ACTION && e.result() != null) {
      moved = moved.withResult(e.result()); // in the same record as the success: write ahead of any use
    }
    GlobalTx next = tx.withBranch(moved, e.at());
    if (tx.mode() == Mode.SAGA && tx.status() == ACTIVE && b.pivot()) {
      next = next.with(COMMITTING, next.branches(), null, e.at()); // past the pivot: only forward from here
    }
    return new Changed(settle(next));
  }

  private Outcome finishByHand(GlobalTx tx, Event.Finish e) {
    Branch b = tx.findBranch(e.branchId()).orElse(null);
    if (b == null) {
      return new Rejected(ErrorCode.BRANCH_NOT_FOUND, "gid " + tx.gid() + " has no branch " + e.branchId());
    }
    if (b.status().isFinal()) {
      return new Unchanged(tx); // already finished, by its participant or by an earlier request
    }
    if (tx.mode() != Mode.SAGA && tx.status() == ACTIVE) {
      return new Rejected(ErrorCode.TRANSACTION_NOT_DECIDED, "gid " + tx.gid()
          + " is active: its branches can be finished by hand only after commit or roll back is decided");
    }
    Map<String, Branch> byName = tx.mode() == Mode.SAGA ? index(tx) : Map.of();
    Set<String> pendingDependents = tx.mode() == Mode.SAGA && tx.status() == ROLLING_BACK ? unfinishedDependencies(tx) : Set.of();
    Op op = due(tx, b, byName, pendingDependents);
    if (op == null) {
      return new Rejected(ErrorCode.BRANCH_NOT_DUE, "gid " + tx.gid() + ": branch " + b.id()
          + " has no call due now (a saga step waits for the steps before it, or after it when compensating)");
    }
    Changed done = (Changed) succeeded(tx, new Event.CallSucceeded(b.id(), op, e.at()));
    List<Branch> branches = new ArrayList<>(done.next().branches().size());
    for (Branch each : done.next().branches()) {
      branches.add(each.id().equals(b.id()) ? each.resolvedBy(e.resolution()) : each);
    }
    return new Changed(done.next().settled(done.next().status(), branches));
  }

  /**
   * A call did not succeed: refused (409), failed (transient), or could not be sent at all
   * ({@code unsendable}: a reference that does not resolve, which no retry will change).
   */
  private Outcome failed(GlobalTx tx, String branchId, Op op, boolean refusal, boolean unsendable, String error,
      double jitter, Instant at) {
    Branch b = tx.findBranch(branchId).orElse(null);
    if (b == null || !expects(tx, b, op)) {
      return new Unchanged(tx);
    }
    boolean sagaAction = tx.mode() == Mode.SAGA && op == Op.ACTION;
    // A step that cannot be compensated may have taken effect whenever it failed without a refusal,
    // so it is retried until it answers for sure: success, or a refusal (which means no effect).
    // An unsendable action was never sent, so it had no effect either.
    boolean forGood = tx.status() == ROLLING_BACK || refusal || unsendable
        || (b.attempts() + 1 >= b.attemptsMax() && b.backwardUrl() != null);
    if (sagaAction && tx.status() != COMMITTING && forGood) {
      // The step failed for good (or the saga already turned: no point retrying an action that
      // will be compensated). It may have taken effect, so it is compensated like the rest.
      GlobalTx next = tx.withBranch(b.moveTo(FAILED), at);
      if (tx.status() == ACTIVE) {
        String why = refusal ? "step " + b.id() + " refused: " + error
            : unsendable ? "step " + b.id() + " cannot be sent: " + error
            : "step " + b.id() + " failed after " + (b.attempts() + 1) + " attempts: " + error;
        next = next.with(ROLLING_BACK, next.branches(), why, at);
      }
      return new Changed(settle(next));
    }
    // A decision is never undone: anything else is retried, refusals included, until it succeeds.
    int failures = b.attempts() + 1;
    RetryPolicy retry = b.retry() != null ? b.retry() : policy.retry();
    Instant retryAt = at.plus(retry.backoff(failures, jitter));
    String shown = refusal ? "refused (409): " + error : unsendable ? "cannot be sent: " + error : error;
    return new Changed(tx.withBranch(b.failedAttempt(shown, retryAt), at));
  }

  /**
   * Brings a transaction to the end its branches allow: skips saga steps that never need
   * compensating once rolling back, and finishes the transaction when every branch is final.
   */
  private GlobalTx settle(GlobalTx tx) {
    if (tx.mode() == Mode.SAGA && tx.status() == ROLLING_BACK) {
      List<Branch> next = new ArrayList<>(tx.branches().size());
      Map<String, Branch> byName = index(tx);
      boolean changed = false;
      for (Branch b : tx.branches()) {
        boolean skip = (b.status() == PENDING && !eligible(b, byName))
            || (mayHaveRun(b, byName) && !b.status().isFinal() && b.backwardUrl() == null);
        next.add(skip ? b.moveTo(SKIPPED) : b);
        changed |= skip;
      }
      if (changed) {
        tx = tx.settled(ROLLING_BACK, next);
      }
    }
    boolean allFinal = true;
    boolean allSucceeded = true;
    for (Branch b : tx.branches()) {
      allFinal &= b.status().isFinal();
      allSucceeded &= b.status() == SUCCEEDED;
    }
    GlobalStatus end = null;
    if (tx.mode() == Mode.SAGA && tx.status() != ROLLING_BACK && allSucceeded) {
      end = COMMITTED;
    } else if (tx.mode() != Mode.SAGA && tx.status() == COMMITTING && allFinal) {
      end = COMMITTED;
    } else if (tx.status() == ROLLING_BACK && allFinal) {
      end = ROLLED_BACK;
    }
    return end == null ? tx : tx.settled(end, tx.branches());
  }

  /**
   * Plans the calls due at {@code now} for a durable state. Calls already {@code inFlight}
   * (branch ids) are not repeated; a branch waiting for its backoff sets {@code wakeAt}.
   */
  public Plan plan(GlobalTx tx, Instant now, Set<String> inFlight) {
    return plan(tx, now, inFlight, false);
  }

  /**
   * As {@link #plan(GlobalTx, Instant, Set)}; with {@code ignoreBackoff}, calls waiting for their
   * retry time are due at once (an operator's "retry now": early retries are always safe, since
   * every call is idempotent and justified by what is already durable).
   */
  public Plan plan(GlobalTx tx, Instant now, Set<String> inFlight, boolean ignoreBackoff) {
    if (tx.status().isFinished()) {
      return Plan.NOTHING;
    }
    boolean deadlineApplies = tx.status() == ACTIVE && tx.deadline() != null && uncompensatablePending(tx) == null;
    if (deadlineApplies && !now.isBefore(tx.deadline())) {
      return new Plan(List.of(), null, true);
    }
    Instant wakeAt = deadlineApplies ? tx.deadline() : null;
    List<Call> calls = new ArrayList<>();
    Map<String, Branch> byName = tx.mode() == Mode.SAGA ? index(tx) : Map.of();
    Set<String> pendingDependents = tx.mode() == Mode.SAGA && tx.status() == ROLLING_BACK ? unfinishedDependencies(tx) : Set.of();
    for (Branch b : tx.branches()) {
      Op op = due(tx, b, byName, pendingDependents);
      if (op == null || inFlight.contains(b.id())) {
        continue;
      }
      if (!ignoreBackoff && b.nextAttemptAt() != null && b.nextAttemptAt().isAfter(now)) {
        wakeAt = wakeAt == null || b.nextAttemptAt().isBefore(wakeAt) ? b.nextAttemptAt() : wakeAt;
        continue;
      }
      calls.add(call(tx, b, op, byName));
    }
    return new Plan(calls, wakeAt, false);
  }

  /** The call of {@code op} on {@code b}: its URL, method, headers, and body with references resolved. */
  private static Call call(GlobalTx tx, Branch b, Op op, Map<String, Branch> byName) {
    boolean backward = op == tx.mode().backward();
    String url = backward ? b.backwardUrl() : b.forwardUrl();
    String body = backward ? b.backwardBody() : b.payload();
    StepHttp http = b.http();
    if (tx.mode() != Mode.SAGA || (http == null && !References.mayContain(body) && !References.mayContainInText(url))) {
      return new Call(tx.gid(), b.id(), op, url, body, b.callTimeout());
    }
    String method = http == null ? StepHttp.DEFAULT_METHOD : backward ? http.compensationMethod() : http.actionMethod();
    Map<String, String> headers = http == null ? Map.of() : backward ? http.compensationHeaders() : http.actionHeaders();
    String unsendable = null;
    References.Resolved resolved = References.resolveText(url, byName, true);
    if (resolved.error() != null) {
      unsendable = "URL: " + resolved.error();
    } else {
      url = resolved.body();
    }
    if (unsendable == null && headers.values().stream().anyMatch(References::mayContainInText)) {
      Map<String, String> resolvedHeaders = new java.util.TreeMap<>();
      for (Map.Entry<String, String> h : headers.entrySet()) {
        References.Resolved value = References.resolveText(h.getValue(), byName, false);
        if (value.error() != null) {
          unsendable = "header " + h.getKey() + ": " + value.error();
          break;
        }
        resolvedHeaders.put(h.getKey(), value.body());
      }
      headers = resolvedHeaders;
    }
    if (unsendable == null) {
      resolved = References.resolve(body, byName);
      body = resolved.body();
      unsendable = resolved.error();
    }
    return new Call(tx.gid(), b.id(), op, url, body, b.callTimeout(), method, headers, unsendable);
  }

  /** The operation {@code b} needs now, respecting saga order, or null. */
  private static Op due(GlobalTx tx, Branch b, Map<String, Branch> byName, Set<String> hasUnfinishedDependents) {
    if (!expects(tx, b, tx.status() == ROLLING_BACK ? tx.mode().backward() : tx.mode().forward())) {
      return null;
    }
    if (tx.mode() != Mode.SAGA) {
      return tx.status() == COMMITTING ? tx.mode().forward() : tx.mode().backward();
    }
    if (tx.status() == ROLLING_BACK) {
      return hasUnfinishedDependents.contains(b.id()) ? null : Op.COMPENSATE;
    }
    return eligible(b, byName) ? Op.ACTION : null;
  }

  /**
   * True when {@code op} is what {@code b} is waiting for in the current state (ignoring order
   * and backoff); an answer for any other operation is late or duplicate.
   */
  private static boolean expects(GlobalTx tx, Branch b, Op op) {
    if (b.status().isFinal()) {
      return false;
    }
    if (tx.mode() != Mode.SAGA) {
      return b.status() == REGISTERED
          && ((tx.status() == COMMITTING && op == tx.mode().forward())
              || (tx.status() == ROLLING_BACK && op == tx.mode().backward()));
    }
    if (op == Op.ACTION) {
      return b.status() == PENDING; // also under ROLLING_BACK: an action in flight when the saga turned
    }
    return op == Op.COMPENSATE && tx.status() == ROLLING_BACK && b.backwardUrl() != null;
  }

  /** Saga steps that some not-yet-final step depends on: they must wait to compensate. */
  private static Set<String> unfinishedDependencies(GlobalTx tx) {
    Set<String> result = new HashSet<>();
    for (Branch b : tx.branches()) {
      if (!b.status().isFinal()) {
        result.addAll(b.dependsOn());
      }
    }
    return result;
  }

  /** A pending saga step whose dependencies have all succeeded: it may start, or may already have. */
  private static boolean eligible(Branch b, Map<String, Branch> byName) {
    List<String> dependsOn = b.dependsOn();
    for (int i = 0; i < dependsOn.size(); i++) { // indexed: an iterator here was garbage at every plan
      if (byName.get(dependsOn.get(i)).status() != SUCCEEDED) {
        return false;
      }
    }
    return true;
  }

  private static boolean mayHaveRun(Branch b, Map<String, Branch> byName) {
    return b.status() == SUCCEEDED || b.status() == FAILED || (b.status() == PENDING && eligible(b, byName));
  }

  /**
   * The transaction's branches by id. For the few a saga usually has, a scan of the list: built at
   * every plan, a hash map of them was ~2 % of what a saga allocates.
   */
  private static Map<String, Branch> index(GlobalTx tx) {
    List<Branch> branches = tx.branches();
    if (branches.size() <= ScannedIndex.SIZE_MAX) {
      return new ScannedIndex(branches);
    }
    Map<String, Branch> byName = new HashMap<>(branches.size() * 2);
    for (Branch b : branches) {
      byName.put(b.id(), b);
    }
    return byName;
  }

  /** Branches by id, found by scanning the list (ids are unique in a transaction). Read-only. */
  private static final class ScannedIndex extends AbstractMap<String, Branch> {
    static final int SIZE_MAX = 8;
    private final List<Branch> branches;

    ScannedIndex(List<Branch> branches) {
      this.branches = branches;
    }

    @Override
    public Branch get(Object id) {
      for (int i = 0; i < branches.size(); i++) {
        Branch b = branches.get(i);
        if (b.id().equals(id)) {
          return b;
        }
      }
      return null;
    }

    @Override
    public boolean containsKey(Object id) {
      return get(id) != null;
    }

    @Override
    public Set<Map.Entry<String, Branch>> entrySet() {
      Map<String, Branch> byName = new LinkedHashMap<>();
      branches.forEach(b -> byName.put(b.id(), b));
      return Collections.unmodifiableMap(byName).entrySet();
    }
  }

  private static BranchStatus forwardStatus(Mode mode) {
    return switch (mode) {
      case TCC -> BranchStatus.CONFIRMED;
      case TWO_PHASE -> BranchStatus.COMMITTED;
      case SAGA -> SUCCEEDED;
    };
  }

  private static BranchStatus rollbackStatus(Mode mode) {
    return switch (mode) {
      case TCC -> BranchStatus.CANCELLED;
      case TWO_PHASE -> BranchStatus.ROLLED_BACK;
      case SAGA -> BranchStatus.COMPENSATED;
    };
  }
}
