package io.covenant.saga;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * One step of a {@link SagaDefinition}, as the builder (or a JSON / YAML file) gave it. Immutable.
 * The saga's constructor checks the steps together.
 *
 * @param name unique in the saga; the step's branch id on the coordinator
 * @param action the request that does the step
 * @param compensation the request that undoes it; null only for a pivot step or in a forward saga
 * @param dependsOn the steps that must succeed before this one starts; null means the step before it
 *     (steps run in order), an empty list means it starts at once
 * @param pivot once this step succeeds, the saga only goes forward
 * @param attemptsMax attempts of the action before the step fails for good; null for the coordinator's default
 * @param backoffInitial wait after the first failed call, doubling per failure; null for the coordinator's
 * @param backoffMax the longest wait between two calls; null for the coordinator's
 * @param timeout how long one call may take; null for the coordinator's default
 */
public record StepDefinition(
    String name,
    HttpCall action,
    HttpCall compensation,
    List<String> dependsOn,
    boolean pivot,
    Integer attemptsMax,
    Duration backoffInitial,
    Duration backoffMax,
    Duration timeout) {

  public StepDefinition {
    // Not List.copyOf: a null inside (from a file) must reach validation and be reported, not throw here.
    dependsOn = dependsOn == null ? null : Collections.unmodifiableList(new ArrayList<>(dependsOn));
  }

  /** The compensation, if the step has one. */
  public Optional<HttpCall> findCompensation() {
    return Optional.ofNullable(compensation);
  }
}
