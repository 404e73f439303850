package io.covenant.coordinator.store;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The in-memory view shared by the memory and journal stores: transactions by gid, ordered by
 * creation time for listing and paging, with compare-and-set updates. Thread-safe; a
 * compare-and-set and its index change happen under the gid's map lock.
 *
 * <p>The cursor is {@code <createdAt epoch nanos>:<gid>}, so paging is stable while transactions
 * are added.
 */
public final class InMemoryIndex {
  private final ConcurrentHashMap<String, GlobalTx> byGid = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<Key, String> byCreation = new ConcurrentSkipListMap<>();

  private record Key(long createdNanos, String gid) implements Comparable<Key> {
    static Key of(GlobalTx tx) {
      return new Key(nanos(tx.createdAt()), tx.gid());
    }

    @Override
    public int compareTo(Key o) {
      int c = Long.compare(createdNanos, o.createdNanos);
      return c != 0 ? c : gid.compareTo(o.gid);
    }

    String cursor() {
      return createdNanos + ":" + gid;
    }

    static Key parse(String cursor) {
      int colon = cursor.indexOf(':');
      if (colon < 1) {
        throw new CovenantException(ErrorCode.INVALID_REQUEST, "cursor '" + cursor + "' is not one this coordinator issued");
      }
      try {
        return new Key(Long.parseLong(cursor.substring(0, colon)), cursor.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new CovenantException(ErrorCode.INVALID_REQUEST, "cursor '" + cursor + "' is not one this coordinator issued");
      }
    }
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  /** Checks that {@code tx} may be created; throws {@code GID_CONFLICT} if its gid is taken. */
  public void checkCreate(GlobalTx tx) {
    if (byGid.containsKey(tx.gid())) {
      throw new CovenantException(ErrorCode.GID_CONFLICT, "gid " + tx.gid() + " is already used", tx.gid());
    }
  }

  /** Checks the compare-and-set of {@link TransactionStore#update}, without applying it. */
  public void checkUpdate(GlobalTx next, long expectedVersion) {
    GlobalTx current = byGid.get(next.gid());
    if (current == null) {
      throw new CovenantException(ErrorCode.TRANSACTION_NOT_FOUND, "gid " + next.gid() + " is not stored", next.gid());
    }
    if (current.version() != expectedVersion) {
      throw new CovenantException(ErrorCode.CONCURRENT_UPDATE,
          "gid " + next.gid() + " is at version " + current.version() + ", expected " + expectedVersion, next.gid());
    }
  }

  /** Creates atomically; throws {@code GID_CONFLICT} if taken. */
  public void create(GlobalTx tx) {
    if (byGid.putIfAbsent(tx.gid(), tx) != null) {
      throw new CovenantException(ErrorCode.GID_CONFLICT, "gid " + tx.gid() + " is already used", tx.gid());
    }
    byCreation.put(Key.of(tx), tx.gid());
  }

  /** Compare-and-set; throws as {@link TransactionStore#update} describes. */
  public void update(GlobalTx next, long expectedVersion) {
    RuntimeException[] failure = new RuntimeException[1];
    byGid.compute(next.gid(), (gid, current) -> {
      if (current == null) {
        failure[0] = new CovenantException(ErrorCode.TRANSACTION_NOT_FOUND, "gid " + gid + " is not stored", gid);
        return null;
      }
      if (current.version() != expectedVersion) {
        failure[0] = new CovenantException(ErrorCode.CONCURRENT_UPDATE,
            "gid " + gid + " is at version " + current.version() + ", expected " + expectedVersion, gid);
        return current;
      }
      return next;
    });
    if (failure[0] != null) {
      throw failure[0];
    }
  }

  /** Puts a transaction as it is, replacing any other version (used when replaying a log). */
  public void put(GlobalTx tx) {
    if (byGid.put(tx.gid(), tx) == null) {
      byCreation.put(Key.of(tx), tx.gid());
    }
  }

  public Optional<GlobalTx> find(String gid) {
    return Optional.ofNullable(byGid.get(gid));
  }

  public List<GlobalTx> unfinished() {
    List<GlobalTx> result = new ArrayList<>();
    for (GlobalTx tx : byGid.values()) {
      if (!tx.status().isFinished()) {
        result.add(tx);
      }
    }
    return result;
  }

  public int size() {
    return byGid.size();
  }

  public TxPage list(TxQuery q) {
    NavigableMap<Key, String> range = q.cursor() == null ? byCreation : byCreation.tailMap(Key.parse(q.cursor()), false);
    List<GlobalTx> items = new ArrayList<>(Math.min(q.limit(), 256));
    Key last = null;
    for (Map.Entry<Key, String> e : range.entrySet()) {
      GlobalTx tx = byGid.get(e.getValue());
      if (tx == null) {
        continue;
      }
      if (q.createdBefore() != null && !tx.createdAt().isBefore(q.createdBefore())) {
        break; // ordered by creation: nothing later can match
      }
      if (matches(tx, q)) {
        if (items.size() == q.limit()) {
          return new TxPage(items, last.cursor());
        }
        items.add(tx);
        last = e.getKey();
      }
    }
    return new TxPage(items, null);
  }

  private static boolean matches(GlobalTx tx, TxQuery q) {
    return (q.statuses().isEmpty() || q.statuses().contains(tx.status()))
        && (q.mode() == null || q.mode() == tx.mode())
        && (q.stuck() == null || q.stuck() == tx.isStuck(q.stuckAfterAttempts()));
  }

  /**
   * Removes up to {@code max} finished transactions last updated before {@code before}, returning them
   * so a durable store can record their removal.
   */
  public List<GlobalTx> removeFinished(Instant before, int max) {
    List<GlobalTx> removed = new ArrayList<>();
    Iterator<Map.Entry<Key, String>> it = byCreation.entrySet().iterator();
    while (it.hasNext() && removed.size() < max) {
      Map.Entry<Key, String> e = it.next();
      GlobalTx tx = byGid.get(e.getValue());
      if (tx != null && tx.status().isFinished() && tx.updatedAt().isBefore(before)) {
        if (byGid.remove(tx.gid(), tx)) {
          it.remove();
          removed.add(tx);
        }
      }
    }
    return removed;
  }
}
