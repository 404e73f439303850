package io.covenant.testkit;

import java.util.List;
import java.util.stream.Collectors;
import org.opentest4j.MultipleFailuresError;

/**
 * Every rule a participant broke in one scenario, with the scenario's transcript: the calls sent,
 * the answers received and the effects observed. It is what a failed scenario throws; its message
 * is the whole report.
 */
public final class ContractViolations extends MultipleFailuresError {
  private static final long serialVersionUID = 1L;

  private final String scenario;
  private final String transcript;
  private final List<RuleViolation> violations;

  public ContractViolations(String scenario, String transcript, List<RuleViolation> violations) {
    super(scenario, List.copyOf(violations));
    this.scenario = scenario;
    this.transcript = transcript;
    this.violations = List.copyOf(violations);
  }

  /** The scenario's display name. */
  public String scenario() {
    return scenario;
  }

  /** The calls, answers and effects of the scenario, one per line. */
  public String transcript() {
    return transcript;
  }

  /** The broken rules, in the order they were found; never empty. */
  public List<RuleViolation> violations() {
    return violations;
  }

  /** The distinct rules broken, in the order they were found. */
  public List<Rule> rules() {
    return violations.stream().map(RuleViolation::rule).distinct().collect(Collectors.toList());
  }

  @Override
  public String getMessage() {
    StringBuilder out = new StringBuilder()
        .append("broke ").append(violations.size()).append(violations.size() == 1 ? " rule" : " rules")
        .append(" in \"").append(scenario).append("\"\n")
        .append(transcript.indent(2));
    out.append("  broken:\n");
    for (RuleViolation v : violations) {
      out.append("    - ").append(v.getMessage()).append('\n')
          .append("      (rule: ").append(v.rule().sentence()).append(")\n");
    }
    return out.toString().stripTrailing();
  }
}
