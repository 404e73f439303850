package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * A global transaction as the API shows it.
 *
 * @param deadline when an undecided transaction is rolled back (absent once decided)
 * @param reason why it was rolled back (refused step, timeout, client request), if it was
 * @param stuck true while some branch keeps failing (see {@code retry.stuckAfterAttempts})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TransactionView(
    String gid,
    Mode mode,
    GlobalStatus status,
    Instant createdAt,
    Instant updatedAt,
    Instant deadline,
    String reason,
    boolean stuck,
    List<BranchView> branches) {}
