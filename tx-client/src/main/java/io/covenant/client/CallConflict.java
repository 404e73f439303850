package io.covenant.client;

/**
 * A call that contradicts what the participant has recorded for its branch, and that a coordinator
 * never sends because a decision never changes: a confirm after the branch was cancelled, a cancel
 * after it was confirmed, a confirm whose try never completed. The branch barrier throws its
 * subclass {@link io.covenant.client.barrier.BarrierConflict}; a handler with a guard of its own may
 * throw this one.
 *
 * <p>A {@link ParticipantDispatcher} answers it like any failure, {@code 500} with a retryable
 * problem whose {@code detail} is the message, so that a coordinator that ever sent such a call keeps
 * retrying and shows the transaction as stuck, for an operator to look at. It logs it at WARN
 * <em>without</em> a stack trace: the message says all there is, and it is a situation of the
 * protocol, not a fault in the handler's code.
 */
public class CallConflict extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public CallConflict(String message) {
    super(message);
  }
}
