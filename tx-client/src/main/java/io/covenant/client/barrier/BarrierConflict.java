package io.covenant.client.barrier;

import io.covenant.client.CallConflict;

/**
 * A call that contradicts what the barrier recorded for its branch, which the coordinator never sends
 * because a decision never changes: a confirm after the branch's cancel, a cancel after its confirm
 * (likewise commit and rollback of a 2PC branch), or a confirm whose try never completed. The body
 * does not run and nothing is recorded. A {@link io.covenant.client.ParticipantDispatcher} answers
 * {@code 500} and logs it at WARN without a stack trace (as any {@link CallConflict}): were the
 * coordinator to send such a call, it would keep retrying and show the transaction as stuck, with
 * this message as its last error, for an operator to look at.
 */
public final class BarrierConflict extends CallConflict {
  private static final long serialVersionUID = 1L;

  BarrierConflict(String message) {
    super(message);
  }
}
