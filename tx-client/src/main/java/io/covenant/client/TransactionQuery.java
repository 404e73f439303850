package io.covenant.client;

import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * The filters and page of {@link CovenantClient#list}: every filter is optional and they combine
 * with <em>and</em>. Immutable; each {@code with…} returns a copy.
 *
 * <pre>{@code
 * TransactionPage page = client.list(TransactionQuery.all().withStatus(COMMITTING, ROLLING_BACK).withStuck(true));
 * while (page.nextCursor() != null) {
 *   page = client.list(query.withCursor(page.nextCursor()));
 * }
 * }</pre>
 *
 * @param statuses only these global statuses; empty means any
 * @param mode only this mode, or any when null
 * @param stuck only stuck ({@code true}) or only not stuck ({@code false}) transactions; any when null
 * @param olderThan only transactions created longer ago than this; any when null
 * @param limit the page size, or the coordinator's default (50) when null
 * @param cursor the {@code nextCursor} of the previous page, or null for the first page
 */
public record TransactionQuery(
    Set<GlobalStatus> statuses, Mode mode, Boolean stuck, Duration olderThan, Integer limit, String cursor) {

  public TransactionQuery {
    statuses = statuses == null || statuses.isEmpty() ? Set.of() : Set.copyOf(statuses);
  }

  /** No filter: every transaction, first page. */
  public static TransactionQuery all() {
    return new TransactionQuery(Set.of(), null, null, null, null, null);
  }

  public TransactionQuery withStatus(GlobalStatus first, GlobalStatus... more) {
    return new TransactionQuery(EnumSet.of(first, more), mode, stuck, olderThan, limit, cursor);
  }

  public TransactionQuery withMode(Mode mode) {
    return new TransactionQuery(statuses, mode, stuck, olderThan, limit, cursor);
  }

  public TransactionQuery withStuck(boolean stuck) {
    return new TransactionQuery(statuses, mode, stuck, olderThan, limit, cursor);
  }

  public TransactionQuery withOlderThan(Duration olderThan) {
    return new TransactionQuery(statuses, mode, stuck, olderThan, limit, cursor);
  }

  public TransactionQuery withLimit(int limit) {
    return new TransactionQuery(statuses, mode, stuck, olderThan, limit, cursor);
  }

  public TransactionQuery withCursor(String cursor) {
    return new TransactionQuery(statuses, mode, stuck, olderThan, limit, cursor);
  }
}
