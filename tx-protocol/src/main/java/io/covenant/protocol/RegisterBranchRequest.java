package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code POST /v1/transactions/{gid}/branches}: registers a branch before its try (TCC) or after its
 * prepare (2PC). Registering the same branch id again with the same content is a no-op.
 *
 * @param branchId chosen by the caller, unique within the transaction
 * @param confirm TCC confirm URL
 * @param cancel TCC cancel URL
 * @param commit 2PC commit URL
 * @param rollback 2PC rollback URL
 * @param payload any JSON; sent as the body of every call to this branch
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RegisterBranchRequest(
    String branchId, String confirm, String cancel, String commit, String rollback, JsonNode payload) {

  public static RegisterBranchRequest tcc(String branchId, String confirm, String cancel, JsonNode payload) {
    return new RegisterBranchRequest(branchId, confirm, cancel, null, null, payload);
  }

  public static RegisterBranchRequest twoPhase(String branchId, String commit, String rollback, JsonNode payload) {
    return new RegisterBranchRequest(branchId, null, null, commit, rollback, payload);
  }
}
