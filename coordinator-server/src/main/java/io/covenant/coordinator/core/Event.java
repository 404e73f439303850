package io.covenant.coordinator.core;

import io.covenant.protocol.Op;
import java.time.Instant;

/**
 * Something that happened to a global transaction. Each event carries the time it is applied at,
 * so the core never reads a clock; a transient failure also carries the jitter for its backoff,
 * so the core never makes random numbers.
 */
public sealed interface Event {
  Instant at();

  /** TCC / 2PC: a participant registers a branch. */
  record Register(Branch branch, Instant at) implements Event {}

  /** The initiator asks to commit. */
  record Commit(Instant at) implements Event {}

  /** The initiator (or an operator) asks to roll back. */
  record Rollback(String reason, Instant at) implements Event {}

  /** The transaction's deadline has passed. */
  record Expire(Instant at) implements Event {}

  /**
   * A call to a participant answered 2xx.
   *
   * @param result for a saga action: the answer as JSON text (a body that is not JSON arrives as a
   *     JSON string), kept with the step; null when the answer was empty, or for any other op
   */
  record CallSucceeded(String branchId, Op op, String result, Instant at) implements Event {
    public CallSucceeded(String branchId, Op op, Instant at) {
      this(branchId, op, null, at);
    }
  }

  /**
   * A call did not succeed.
   *
   * @param refusal the participant answered 409: a business refusal, final for a saga action
   *     that may still compensate; for every other call it is retried like any failure, because a
   *     decision, once made, is never undone
   * @param error what went wrong, for operators (status and body excerpt, timeout, connection error)
   * @param jitter a number in [0, 1) from the engine's random source, spreading the retries
   */
  record CallFailed(String branchId, Op op, boolean refusal, String error, double jitter, Instant at) implements Event {}

  /**
   * An operator declares the call a branch is waiting for done by hand (its participant is gone,
   * say, and the effect was applied another way). It counts as that call's success, so it can only
   * move a branch towards the decision already made, never choose one.
   *
   * @param resolution who did it and why, kept with the branch
   */
  record Finish(String branchId, String resolution, Instant at) implements Event {}

  /**
   * A call could not even be built, so it was not sent: its body, URL or a header refers to a value that an earlier
   * step's result does not have ({@link Call#unsendable}). Durable state never changes that answer,
   * so a saga action fails for good at once while the saga may still compensate; otherwise (a
   * compensation, or an action past the pivot) it is retried with backoff and shows as stuck.
   */
  record CallUnsendable(String branchId, Op op, String error, double jitter, Instant at) implements Event {}
}
