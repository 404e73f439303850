package io.covenant.testkit;

import org.opentest4j.AssertionFailedError;

/**
 * One broken {@link Rule} in one scenario: what was expected and what the participant did. When
 * the broken rule is about an effect, {@link #getExpected()} and {@link #getActual()} hold the two
 * effects, so an IDE can show them side by side.
 */
public final class RuleViolation extends AssertionFailedError {
  private static final long serialVersionUID = 1L;

  private final Rule rule;

  public RuleViolation(Rule rule, String message) {
    super("[" + rule.id() + "] " + message);
    this.rule = rule;
  }

  public RuleViolation(Rule rule, String message, Object expected, Object actual) {
    super("[" + rule.id() + "] " + message, expected, actual);
    this.rule = rule;
  }

  public Rule rule() {
    return rule;
  }
}
