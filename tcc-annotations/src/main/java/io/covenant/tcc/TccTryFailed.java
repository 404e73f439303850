package io.covenant.tcc;

/**
 * A remote try ({@link Tcc#remote}) that failed without a refusal: no answer in time, or a status
 * other than 2xx and 409. Its outcome is unknown (it may have run), so the enclosing
 * {@link GlobalTransactional} method rolls back and the coordinator cancels the branch if the
 * participant registered it; the barrier makes that cancel right whether or not the try ran.
 */
public final class TccTryFailed extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  TccTryFailed(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The participant's HTTP status, or 0 when it never answered. */
  public int status() {
    return status;
  }
}
