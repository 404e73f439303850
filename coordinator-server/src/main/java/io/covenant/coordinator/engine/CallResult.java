package io.covenant.coordinator.engine;

/**
 * How a participant answered a call: 2xx is {@link Kind#SUCCEEDED}, 409 is {@link Kind#REFUSED},
 * anything else (another status, no answer in time, a connection error) is {@link Kind#FAILED}.
 *
 * @param detail the status and a short excerpt of the body, or the error; null on success
 */
public record CallResult(Kind kind, String detail) {
  public enum Kind { SUCCEEDED, REFUSED, FAILED }

  public static final CallResult OK = new CallResult(Kind.SUCCEEDED, null);

  public static CallResult refused(String detail) {
    return new CallResult(Kind.REFUSED, detail);
  }

  public static CallResult failed(String detail) {
    return new CallResult(Kind.FAILED, detail);
  }
}
