package io.covenant.client;

import io.covenant.protocol.ErrorCode;

/**
 * A participant's final "no": the try cannot reserve, the saga action is not allowed. A
 * {@link ParticipantHandler} throws it to answer {@code 409} with a problem body, which the
 * coordinator records as a refusal and does not retry (a saga then compensates; an initiator that
 * sees its try refused rolls back). Every other exception from a handler is transient: it answers
 * {@code 500} and the coordinator calls again.
 *
 * <p>The message is the problem's {@code detail}: say what was refused and why, for people.
 */
public class BusinessRefusal extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The problem {@code type} of a refusal answered by a {@link ParticipantDispatcher}. */
  public static final String TYPE = ErrorCode.TYPE_BASE + "business-refusal";
  /** The problem {@code title} of a refusal. */
  public static final String TITLE = "Participant refused the operation";

  public BusinessRefusal(String message) {
    super(message);
  }

  public BusinessRefusal(String message, Throwable cause) {
    super(message, cause);
  }
}
