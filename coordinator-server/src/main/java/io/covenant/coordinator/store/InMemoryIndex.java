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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-memory view shared by the memory and journal stores: transactions by gid, ordered by
 * creation time for listing and paging, with compare-and-set updates. Thread-safe; a
 * compare-and-set and its index change happen under the gid's map lock.
 *
 * <p>The cursor is {@code <createdAt epoch nanos>:<gid>}, so paging is stable while transactions
 * are added.
 *
 * <p>Finished transactions are also ordered by the time they were last updated, and counted, so
 * that purging the oldest of them costs what it removes, not a scan of everything retained.
 */
public final class InMemoryIndex {
  private final ConcurrentHashMap<String, GlobalTx> byGid = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<Key, String> byCreation = new ConcurrentSkipListMap<>();
  /** Finished transactions by last update, oldest first; changed only under the gid's map lock. */
  private final ConcurrentSkipListMap<Key, GlobalTx> finishedByUpdate = new ConcurrentSkipListMap<>();
  private final AtomicInteger finished = new AtomicInteger();

  private record Key(long time, String gid) implements Comparable<Key> {
    static Key of(GlobalTx tx) {
      return new Key(nanos(tx.createdAt()), tx.gid());
    }

    static Key updated(GlobalTx tx) {
      return new Key(nanos(tx.updatedAt()), tx.gid());
    }

    @Override
    public int compareTo(Key o) {
      int c = Long.compare(time, o.time);
      return c != 0 ? c : gid.compareTo(o.gid);
    }

    String cursor() {
      return time + ":" + gid;
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
    boolean[] taken = new boolean[1];
    byGid.compute(tx.gid(), (gid, current) -> {
      if (current != null) {
        taken[0] = true;
        return current;
      }
      replaced(null, tx);
      return tx;
    });
    if (taken[0]) {
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
      replaced(current, next);
      return next;
    });
    if (failure[0] != null) {
      throw failure[0];
    }
  }

  /** Puts a transaction as it is, replacing any other version (used when replaying a log). */
  public void put(GlobalTx tx) {
    GlobalTx[] previous = new GlobalTx[1];
    byGid.compute(tx.gid(), (gid, current) -> {
      previous[0] = current;
      replaced(current, tx);
      return tx;
    });
    if (previous[0] == null) {
      byCreation.put(Key.of(tx), tx.gid());
    }
  }

  /** Keeps the finished order and count in step as {@code next} replaces {@code current}. */
  private void replaced(GlobalTx current, GlobalTx next) {
    if (current != null && current.status().isFinished()) {
      finishedByUpdate.remove(Key.updated(current));
      finished.decrementAndGet();
    }
    if (next != null && next.status().isFinished()) {
      finishedByUpdate.put(Key.updated(next), next);
      finished.incrementAndGet();
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

  /** How many finished transactions are retained. */
  public int finishedCount() {
    return finished.get();
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
   * Removes up to {@code max} finished transactions, oldest last update first: those last updated
   * before {@code before}, and then as many more as it takes to keep at most {@code keepAtMost}.
   * Returns them so a durable store can record their removal.
   */
  public List<GlobalTx> removeFinished(Instant before, int keepAtMost, int max) {
    List<GlobalTx> removed = new ArrayList<>();
    long expiredBefore = nanos(before);
    Iterator<Map.Entry<Key, GlobalTx>> it = finishedByUpdate.entrySet().iterator();
    while (it.hasNext() && removed.size() < max) {
      Map.Entry<Key, GlobalTx> e = it.next();
      if (e.getKey().time() >= expiredBefore && finished.get() <= keepAtMost) {
        break; // ordered by last update: nothing later is expired, and the count is within bounds
      }
      GlobalTx tx = e.getValue();
      boolean[] gone = new boolean[1];
      byGid.computeIfPresent(tx.gid(), (gid, current) -> {
        if (current != tx) {
          return current; // replaced meanwhile: its own entry decides
        }
        replaced(current, null);
        gone[0] = true;
        return null;
      });
      if (gone[0]) {
        byCreation.remove(Key.of(tx));
        removed.add(tx);
      }
    }
    return removed;
  }
}
