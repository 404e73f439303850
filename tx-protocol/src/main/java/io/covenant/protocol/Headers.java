package io.covenant.protocol;

/** Header names of the participant protocol and of context propagation. */
public final class Headers {
  /** The global transaction id. */
  public static final String GID = "Covenant-Gid";
  /** The branch id (for a saga: the step name). */
  public static final String BRANCH = "Covenant-Branch";
  /** The operation, one of the {@link Op} codes. */
  public static final String OP = "Covenant-Op";
  /** The media type of every error body (RFC 9457). */
  public static final String PROBLEM_JSON = "application/problem+json";

  private Headers() {}
}
