package io.covenant.saga;

import java.util.List;

/**
 * A saga definition that the coordinator would refuse, or a JSON / YAML text that is not one. It
 * lists every problem found, each naming the step it concerns, e.g.
 * {@code step 'pay' depends on unknown step 'reserv'}. Nothing was submitted.
 */
public final class SagaValidationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient List<String> problems;

  public SagaValidationException(String saga, List<String> problems) {
    super(message(saga, problems));
    this.problems = List.copyOf(problems);
  }

  /** Every problem, in the order of the steps. */
  public List<String> problems() {
    return problems;
  }

  private static String message(String saga, List<String> problems) {
    StringBuilder sb = new StringBuilder("saga").append(saga == null ? "" : " '" + saga + "'").append(" is invalid (")
        .append(problems.size()).append(problems.size() == 1 ? " problem)" : " problems)");
    for (String p : problems) {
      sb.append("\n  - ").append(p);
    }
    return sb.toString();
  }
}
