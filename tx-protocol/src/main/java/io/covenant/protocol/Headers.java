package io.covenant.protocol;

/** Headers of the participant protocol, of context propagation and of the API: their names, and values the API defines. */
public final class Headers {
  /** The global transaction id. */
  public static final String GID = "Covenant-Gid";
  /** The branch id (for a saga: the step name). */
  public static final String BRANCH = "Covenant-Branch";
  /** The operation, one of the {@link Op} codes. */
  public static final String OP = "Covenant-Op";
  /** The media type of every error body (RFC 9457). */
  public static final String PROBLEM_JSON = "application/problem+json";
  /** The client's preferences for the answer (RFC 7240); the API honours {@link #RETURN_MINIMAL}. */
  public static final String PREFER = "Prefer";
  /** The preferences the server applied (RFC 7240), repeated from {@link #PREFER}. */
  public static final String PREFERENCE_APPLIED = "Preference-Applied";
  /** Answer a state-changing request with a {@link TransactionSummary} rather than the whole view. */
  public static final String RETURN_MINIMAL = "return=minimal";

  private Headers() {}
}
