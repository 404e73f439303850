package io.covenant.coordinator.engine;

/**
 * How a participant answered a call: 2xx is {@link Kind#SUCCEEDED}, 409 is {@link Kind#REFUSED},
 * anything else (another status, no answer in time, a connection error) is {@link Kind#FAILED}.
 *
 * @param detail the status and a short excerpt of the body, or the error; null on success, except
 *     that it says how large an answer was when it was too large to keep
 * @param body for a successful saga action: the answer as JSON text (a body that is not JSON as a
 *     JSON string), or null when it was empty, too large, or the op is another one
 * @param resultTooLarge a successful saga action answered with more than the coordinator keeps
 *     ({@code saga.stepResultBytesMax})
 */
public record CallResult(Kind kind, String detail, String body, boolean resultTooLarge) {
  public enum Kind { SUCCEEDED, REFUSED, FAILED }

  public static final CallResult OK = new CallResult(Kind.SUCCEEDED, null, null, false);

  public CallResult(Kind kind, String detail) {
    this(kind, detail, null, false);
  }

  /** A 2xx whose answer is kept: {@code body} is JSON text, or null for an empty answer. */
  public static CallResult succeeded(String body) {
    return body == null ? OK : new CallResult(Kind.SUCCEEDED, null, body, false);
  }

  /** A 2xx whose answer was larger than the coordinator keeps. */
  public static CallResult succeededTooLarge(String detail) {
    return new CallResult(Kind.SUCCEEDED, detail, null, true);
  }

  public static CallResult refused(String detail) {
    return new CallResult(Kind.REFUSED, detail);
  }

  public static CallResult failed(String detail) {
    return new CallResult(Kind.FAILED, detail);
  }
}
