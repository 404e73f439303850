package io.covenant.protocol;

/**
 * {@code POST /v1/transactions/{gid}/branches/{branchId}/finish} (operator): records the call the
 * branch waits for as done by hand.
 *
 * @param reason why, for the record (required): kept on the branch and in the audit log
 */
public record FinishBranchRequest(String reason) {}
