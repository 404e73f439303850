package io.covenant.protocol;

import java.util.Objects;

/**
 * An operating error: something the caller or an operator can act on, identified by a stable
 * {@link ErrorCode}. Its message is the detail, with enough state to diagnose it.
 */
public class CovenantException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final String gid;

  public CovenantException(ErrorCode code, String detail) {
    this(code, detail, null, null);
  }

  public CovenantException(ErrorCode code, String detail, String gid) {
    this(code, detail, gid, null);
  }

  public CovenantException(ErrorCode code, String detail, String gid, Throwable cause) {
    super(detail, cause);
    this.code = Objects.requireNonNull(code, "code");
    this.gid = gid;
  }

  public ErrorCode code() {
    return code;
  }

  /** The transaction concerned, or null. */
  public String gid() {
    return gid;
  }

  public Problem toProblem() {
    return Problem.of(code, getMessage(), gid);
  }
}
