package io.covenant.saga;

import com.fasterxml.jackson.databind.JsonNode;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.BranchView;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One step of a running (or finished) saga, as the coordinator last recorded it.
 *
 * @param status {@code PENDING} (not started, in flight or waiting to retry), {@code SUCCEEDED},
 *     {@code FAILED} (refused or out of attempts; it will be compensated), {@code COMPENSATED} or
 *     {@code SKIPPED} (never started, or nothing to compensate)
 * @param attempts failed calls of the operation being driven now (the action, or the compensation)
 * @param lastError the last failure of that operation, or null
 * @param nextAttemptAt when the next retry is due, or null
 * @param result the JSON the action answered with once it succeeded, or null (an empty or too large answer)
 * @param dependsOn the steps it waits for, as the coordinator resolved them
 */
public record StepProgress(
    String name,
    BranchStatus status,
    int attempts,
    String lastError,
    Instant nextAttemptAt,
    JsonNode result,
    List<String> dependsOn,
    boolean pivot) {

  static StepProgress of(BranchView b) {
    return new StepProgress(b.branchId(), b.status(), b.attempts(), b.lastError(), b.nextAttemptAt(), b.result(),
        b.dependsOn() == null ? List.of() : List.copyOf(b.dependsOn()), Boolean.TRUE.equals(b.pivot()));
  }

  /** The value at {@code pointer} in the result, if the step has a result with something there. */
  public Optional<JsonNode> result(String pointer) {
    if (result == null) {
      return Optional.empty();
    }
    JsonNode value = result.at(pointer);
    return value.isMissingNode() ? Optional.empty() : Optional.of(value);
  }
}
