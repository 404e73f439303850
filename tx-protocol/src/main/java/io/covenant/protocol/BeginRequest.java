package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@code POST /v1/transactions}: begins a TCC or 2PC global transaction.
 *
 * @param gid optional; when given, begin is idempotent (the same gid and mode return the existing transaction)
 * @param mode {@code tcc} or {@code 2pc}
 * @param timeoutMillis optional; the transaction is rolled back if nobody commits it within this time
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BeginRequest(String gid, Mode mode, Long timeoutMillis) {}
