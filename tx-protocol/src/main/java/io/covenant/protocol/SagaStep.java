package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One step of a submitted saga.
 *
 * @param name unique within the saga; it is the step's branch id
 * @param action called with op {@code action}: a URL (a {@code POST} with the payload) or a
 *     {@link StepRequest} with its own method, headers and body
 * @param compensation called with op {@code compensate}, in the same forms; may be omitted only for a
 *     step that cannot need compensating (a pivot step or a step of a forward saga)
 * @param payload any JSON; the body of the action and compensation calls that give no body of their own
 * @param dependsOn names of the steps that must succeed before this one starts; when omitted, the
 *     step depends on the step before it (steps run in order); {@code []} starts it at once
 * @param pivot when true, the saga goes only forward once this step has succeeded
 * @param attemptsMax how many times the action is tried before the step fails for good
 * @param timeoutMillis how long one call of this step may take
 * @param backoffInitialMillis the wait after this step's first failed call (doubling per failure);
 *     null means the coordinator's {@code retry.initialBackoff}
 * @param backoffMaxMillis the longest wait between two calls of this step; null means the
 *     coordinator's {@code retry.maxBackoff}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SagaStep(
    String name,
    StepRequest action,
    StepRequest compensation,
    JsonNode payload,
    List<String> dependsOn,
    Boolean pivot,
    Integer attemptsMax,
    Long timeoutMillis,
    Long backoffInitialMillis,
    Long backoffMaxMillis) {

  /** A step whose action and compensation are plain URLs, each {@code POST}ed with the payload. */
  public SagaStep(String name, String action, String compensation, JsonNode payload, List<String> dependsOn,
      Boolean pivot, Integer attemptsMax, Long timeoutMillis) {
    this(name, action == null ? null : StepRequest.of(action), compensation == null ? null : StepRequest.of(compensation),
        payload, dependsOn, pivot, attemptsMax, timeoutMillis, null, null);
  }

  public static SagaStep of(String name, String action, String compensation) {
    return new SagaStep(name, action, compensation, null, null, null, null, null);
  }
}
