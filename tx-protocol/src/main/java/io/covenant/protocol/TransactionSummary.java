package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A global transaction in brief: what the coordinator answers to a state-changing request that
 * carries {@code Prefer: return=minimal} (RFC 7240), instead of the whole {@link TransactionView}.
 * It holds what a client needs to go on after begin, register, commit, rollback or a saga
 * submission: which transaction, and whether it is still {@code active}.
 *
 * <p>Its fields are those of the view, with the same names and wire codes, and it ignores the
 * view's other fields, so a summary can be read from a full view as well, with any mapper: that is
 * what a coordinator answers when it does not honour the preference (it says so by leaving out
 * {@code Preference-Applied}).
 *
 * @param gid the global transaction id
 * @param status the global status, as its wire code ({@code active}, {@code committing}, …)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TransactionSummary(String gid, GlobalStatus status) {}
