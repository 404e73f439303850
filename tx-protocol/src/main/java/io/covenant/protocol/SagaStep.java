package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One step of a submitted saga.
 *
 * @param name unique within the saga; it is the step's branch id
 * @param action URL called with op {@code action}
 * @param compensation URL called with op {@code compensate}; may be omitted only for a step that
 *     cannot need compensating (a pivot step or a step of a forward saga)
 * @param payload any JSON; the body of the action and compensation calls
 * @param dependsOn names of the steps that must succeed before this one starts; when omitted, the
 *     step depends on the step before it (steps run in order); {@code []} starts it at once
 * @param pivot when true, the saga goes only forward once this step has succeeded
 * @param attemptsMax how many times the action is tried before the step fails for good
 * @param timeoutMillis how long one call of this step may take
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SagaStep(
    String name,
    String action,
    String compensation,
    JsonNode payload,
    List<String> dependsOn,
    Boolean pivot,
    Integer attemptsMax,
    Long timeoutMillis) {

  public static SagaStep of(String name, String action, String compensation) {
    return new SagaStep(name, action, compensation, null, null, null, null, null);
  }
}
