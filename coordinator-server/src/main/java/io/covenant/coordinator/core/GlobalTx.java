package io.covenant.coordinator.core;

import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A global transaction: its decision status and its branches, in registration (or step) order.
 * Immutable; every change goes through {@link Core#on} and yields a new value with a higher
 * {@code version}, which stores use for compare-and-set.
 *
 * @param deadline when an undecided transaction is rolled back; null when it has none
 * @param reason why the transaction was rolled back, once it was
 * @param version 1 for a new transaction, +1 per change
 */
public record GlobalTx(
    String gid,
    Mode mode,
    GlobalStatus status,
    Instant createdAt,
    Instant updatedAt,
    Instant deadline,
    String reason,
    long version,
    List<Branch> branches) {

  public GlobalTx {
    Objects.requireNonNull(gid, "gid");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    branches = List.copyOf(branches);
  }

  public Optional<Branch> findBranch(String branchId) {
    for (Branch b : branches) {
      if (b.id().equals(branchId)) {
        return Optional.of(b);
      }
    }
    return Optional.empty();
  }

  /** True when some branch keeps failing: at least {@code stuckAfterAttempts} attempts of its current operation. */
  public boolean isStuck(int stuckAfterAttempts) {
    if (status.isFinished()) {
      return false;
    }
    for (Branch b : branches) {
      if (!b.status().isFinal() && b.lastError() != null && b.attempts() >= stuckAfterAttempts) {
        return true;
      }
    }
    return false;
  }

  GlobalTx with(GlobalStatus newStatus, List<Branch> newBranches, String newReason, Instant now) {
    return new GlobalTx(gid, mode, newStatus, createdAt, now, deadline, newReason, version + 1, newBranches);
  }

  /** The same change (same version and time) with the end the branches allow. */
  GlobalTx settled(GlobalStatus newStatus, List<Branch> newBranches) {
    return new GlobalTx(gid, mode, newStatus, createdAt, updatedAt, deadline, reason, version, newBranches);
  }

  GlobalTx withBranch(Branch changed, Instant now) {
    List<Branch> next = new ArrayList<>(branches.size());
    for (Branch b : branches) {
      next.add(b.id().equals(changed.id()) ? changed : b);
    }
    return with(status, next, reason, now);
  }
}
