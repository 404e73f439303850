package io.covenant.coordinator.store;

import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import java.time.Instant;
import java.util.Set;

/**
 * Filters for listing transactions; a null or empty filter matches everything.
 *
 * @param statuses any of these statuses
 * @param stuck when non-null, only transactions whose stuck flag equals it
 * @param stuckAfterAttempts the threshold that defines stuck
 * @param createdBefore only transactions created before this instant (older than an age)
 * @param cursor the {@code nextCursor} of the previous page, or null for the first
 * @param limit page size, at least 1
 */
public record TxQuery(
    Set<GlobalStatus> statuses, Mode mode, Boolean stuck, int stuckAfterAttempts,
    Instant createdBefore, String cursor, int limit) {

  public TxQuery {
    statuses = statuses == null ? Set.of() : Set.copyOf(statuses);
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
  }

  public static TxQuery all(int limit) {
    return new TxQuery(Set.of(), null, null, Integer.MAX_VALUE, null, null, limit);
  }
}
