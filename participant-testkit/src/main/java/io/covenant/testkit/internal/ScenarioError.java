package io.covenant.testkit.internal;

/** A scenario could not be carried out for a reason that is not the participant's answer: a probe or phase one failed. */
final class ScenarioError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ScenarioError(String message, Throwable cause) {
    super(message, cause);
  }
}
