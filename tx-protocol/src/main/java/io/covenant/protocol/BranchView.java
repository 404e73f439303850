package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;

/**
 * A branch (or saga step) as the API shows it.
 *
 * @param forward the confirm / commit / action URL
 * @param backward the cancel / rollback / compensation URL
 * @param attempts calls made for the operation now being driven
 * @param lastError the last transient failure, kept until the branch moves on
 * @param nextAttemptAt when the next retry is due, if one is waiting
 * @param resolution who finished the branch by hand, and why, when an operator did
 * @param result saga only: the JSON answer of the step's action, once it succeeded (absent when the
 *     answer was empty or larger than the coordinator keeps)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BranchView(
    String branchId,
    BranchStatus status,
    String forward,
    String backward,
    JsonNode payload,
    List<String> dependsOn,
    Boolean pivot,
    int attempts,
    String lastError,
    Instant nextAttemptAt,
    String resolution,
    JsonNode result) {

  /** A branch driven by its participants, without a result (every mode but saga). */
  public BranchView(String branchId, BranchStatus status, String forward, String backward, JsonNode payload,
      List<String> dependsOn, Boolean pivot, int attempts, String lastError, Instant nextAttemptAt) {
    this(branchId, status, forward, backward, payload, dependsOn, pivot, attempts, lastError, nextAttemptAt, null, null);
  }
}
