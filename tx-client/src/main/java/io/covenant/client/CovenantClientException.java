package io.covenant.client;

import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;

/**
 * A coordinator call that failed for good: the coordinator answered with a problem that is not
 * retryable, or the retries ran out. Switch on {@link #code()} (from the problem {@code type}),
 * never on the message.
 *
 * <p>{@link #status()} is the HTTP status, or 0 when the coordinator never answered (connection
 * refused, reset, or no answer within the request timeout). Then {@link #code()} is
 * {@link ErrorCode#INTERNAL} and the outcome of a write is <em>unknown</em>: it may have been recorded.
 * Every write is idempotent, so sending it again later is safe.
 */
public class CovenantClientException extends CovenantException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String detail;
  private final boolean retryable;

  public CovenantClientException(
      ErrorCode code, int status, String detail, String gid, boolean retryable, String message, Throwable cause) {
    super(code, message, gid, cause);
    this.status = status;
    this.detail = detail;
    this.retryable = retryable;
  }

  /** The HTTP status of the last answer, or 0 when there was none. */
  public int status() {
    return status;
  }

  /** The problem's {@code detail} (or a description of the transport failure), without the call's context. */
  public String detail() {
    return detail;
  }

  /**
   * True when the same call may still succeed later: the coordinator said so, or it never answered.
   * The client has already retried such a failure {@link RetryPolicy#attemptsMax()} times.
   */
  public boolean retryable() {
    return retryable;
  }
}
