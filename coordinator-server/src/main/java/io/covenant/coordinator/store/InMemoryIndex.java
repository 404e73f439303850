package io.covenant.coordinator.store;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
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
 *
 * <h2>Finished transactions are kept compact</h2>
 * Up to {@code retention.finishedMax} (100,000) finished transactions stay here to be read. As
 * objects, a finished 3-step saga is about 1.9 KB in some 46 objects (its branches, strings,
 * instants, lists); under load each of them is born young and copied by every young collection it
 * survives until it is tenured, which made that copying most of a young pause (issue #6). So an
 * {@link Entry} holds an unfinished transaction as the object the engine works on, and a finished
 * one as its {@link TxCodec} bytes and the few fields that ordering, filtering, purging and the
 * compare-and-set read without decoding: about 1 KB in 9 objects, counting this index's own nodes.
 * {@link #find} and {@link #list} decode a finished transaction each time they return it, which
 * is rare (a read of one transaction, a page) and gives an equal value. A finished transaction is
 * never stuck ({@link GlobalTx#isStuck}), so the stuck filter needs nothing more. The bytes are
 * made outside the gid's map lock; the journal store hands over those it wrote.
 */
public final class InMemoryIndex {
  private final ConcurrentHashMap<String, Entry> byGid = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<Key, String> byCreation = new ConcurrentSkipListMap<>();
  /** Finished transactions by last update, oldest first; changed only under the gid's map lock. */
  private final ConcurrentSkipListSet<Entry> finishedByUpdate = new ConcurrentSkipListSet<>(Entry.BY_UPDATE);
  private final AtomicInteger finished = new AtomicInteger();

  /**
   * One transaction as this index holds it: unfinished, the {@link GlobalTx} itself; finished,
   * only its {@link TxCodec} bytes, decoded by {@link #tx()}. Either way the fields that the index
   * reads without decoding are copied out. Immutable.
   */
  public static final class Entry {
    static final Comparator<Entry> BY_UPDATE = Comparator.<Entry>comparingLong(e -> e.updatedAt).thenComparing(e -> e.gid);

    private final String gid;
    private final Mode mode;
    private final GlobalStatus status;
    /** Epoch nanoseconds. */
    private final long createdAt;
    /** Epoch nanoseconds. */
    private final long updatedAt;
    private final long version;
    /** The transaction while it is unfinished; null once it is finished. */
    private final GlobalTx live;
    /** The transaction's TxCodec bytes once it is finished; null before. */
    private final byte[] encoded;

    private Entry(GlobalTx tx, byte[] encoded) {
      this.gid = tx.gid();
      this.mode = tx.mode();
      this.status = tx.status();
      this.createdAt = nanos(tx.createdAt());
      this.updatedAt = nanos(tx.updatedAt());
      this.version = tx.version();
      this.live = encoded == null ? tx : null;
      this.encoded = encoded;
    }

    /** The entry of {@code tx}; encodes it if it is finished. */
    public static Entry of(GlobalTx tx) {
      return new Entry(tx, tx.status().isFinished() ? TxCodec.encode(tx) : null);
    }

    /**
     * The entry of {@code tx}, given its {@link TxCodec} bytes (any format version TxCodec reads),
     * which are kept, not copied, if it is finished: for a caller that has encoded it anyway.
     */
    public static Entry of(GlobalTx tx, byte[] encoded) {
      if (!tx.status().isFinished()) {
        return new Entry(tx, null);
      }
      assert TxCodec.decode(encoded).equals(tx) : "the bytes of gid " + tx.gid() + " are not its encoding";
      return new Entry(tx, encoded);
    }

    /**
     * The entry of {@code tx}, given its encoding still in the encoder's buffer: copied into an array
     * of its own only if it is finished (an unfinished one, most writes, keeps the object alone).
     */
    public static Entry of(GlobalTx tx, TxCodec.Encoded encoded) {
      return tx.status().isFinished() ? of(tx, encoded.toByteArray()) : new Entry(tx, null);
    }

    public String gid() {
      return gid;
    }

    public long version() {
      return version;
    }

    /** The transaction: the object itself while unfinished, a new decoded copy once finished. */
    public GlobalTx tx() {
      return live != null ? live : TxCodec.decode(encoded);
    }

    boolean isFinished() {
      return live == null;
    }

    boolean isStuck(int stuckAfterAttempts) {
      return live != null && live.isStuck(stuckAfterAttempts); // a finished transaction is never stuck
    }
  }

  private record Key(long time, String gid) implements Comparable<Key> {
    static Key created(Entry e) {
      return new Key(e.createdAt, e.gid);
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

  /** Epoch nanoseconds, saturated: an instant beyond the year 2262 (or before 1677) sorts at the end. */
  private static long nanos(Instant t) {
    try {
      return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    } catch (ArithmeticException e) {
      return t.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /** Creates atomically; throws {@code GID_CONFLICT} if taken. */
  public void create(GlobalTx tx) {
    Entry entry = Entry.of(tx);
    boolean[] taken = new boolean[1];
    byGid.compute(tx.gid(), (gid, current) -> {
      if (current != null) {
        taken[0] = true;
        return current;
      }
      replaced(null, entry);
      return entry;
    });
    if (taken[0]) {
      throw new CovenantException(ErrorCode.GID_CONFLICT, "gid " + tx.gid() + " is already used", tx.gid());
    }
    byCreation.put(Key.created(entry), tx.gid());
  }

  /** Compare-and-set; throws as {@link TransactionStore#update} describes. */
  public void update(GlobalTx next, long expectedVersion) {
    Entry entry = Entry.of(next);
    RuntimeException[] failure = new RuntimeException[1];
    byGid.compute(next.gid(), (gid, current) -> {
      if (current == null) {
        failure[0] = new CovenantException(ErrorCode.TRANSACTION_NOT_FOUND, "gid " + gid + " is not stored", gid);
        return null;
      }
      if (current.version != expectedVersion) {
        failure[0] = new CovenantException(ErrorCode.CONCURRENT_UPDATE,
            "gid " + gid + " is at version " + current.version + ", expected " + expectedVersion, gid);
        return current;
      }
      replaced(current, entry);
      return entry;
    });
    if (failure[0] != null) {
      throw failure[0];
    }
  }

  /** Puts a transaction as it is, replacing any other version (used when replaying a log). */
  public void put(Entry entry) {
    Entry[] previous = new Entry[1];
    byGid.compute(entry.gid, (gid, current) -> {
      previous[0] = current;
      replaced(current, entry);
      return entry;
    });
    if (previous[0] == null) {
      byCreation.put(Key.created(entry), entry.gid);
    }
  }

  /** Keeps the finished order and count in step as {@code next} replaces {@code current}. */
  private void replaced(Entry current, Entry next) {
    if (current != null && current.isFinished()) {
      finishedByUpdate.remove(current);
      finished.decrementAndGet();
    }
    if (next != null && next.isFinished()) {
      finishedByUpdate.add(next);
      finished.incrementAndGet();
    }
  }

  public Optional<GlobalTx> find(String gid) {
    Entry entry = byGid.get(gid);
    return entry == null ? Optional.empty() : Optional.of(entry.tx());
  }

  public List<GlobalTx> unfinished() {
    List<GlobalTx> result = new ArrayList<>();
    for (Entry entry : byGid.values()) {
      if (entry.live != null) {
        result.add(entry.live);
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

  /**
   * For tests, while nothing changes the index: throws {@code IllegalStateException} unless both
   * orders and the count agree with the entries by gid, so that no stale entry lingers. Scans all.
   */
  void checkConsistent() {
    long finishedEntries = byGid.values().stream().filter(Entry::isFinished).count();
    if (finished.get() != finishedEntries || finishedByUpdate.size() != finishedEntries) {
      throw new IllegalStateException(finishedEntries + " finished entries, but counted " + finished.get()
          + " and " + finishedByUpdate.size() + " ordered by update");
    }
    for (Entry e : finishedByUpdate) {
      if (byGid.get(e.gid) != e) {
        throw new IllegalStateException("gid " + e.gid + " is ordered by update as an entry it no longer has");
      }
    }
    if (byCreation.size() != byGid.size()) {
      throw new IllegalStateException(byGid.size() + " entries, but " + byCreation.size() + " ordered by creation");
    }
    for (Key k : byCreation.keySet()) {
      Entry e = byGid.get(k.gid());
      if (e == null || e.createdAt != k.time()) {
        throw new IllegalStateException("gid " + k.gid() + " is ordered by creation at a time it does not have");
      }
    }
  }

  public TxPage list(TxQuery q) {
    NavigableMap<Key, String> range = q.cursor() == null ? byCreation : byCreation.tailMap(Key.parse(q.cursor()), false);
    long createdBefore = q.createdBefore() == null ? Long.MAX_VALUE : nanos(q.createdBefore());
    List<GlobalTx> items = new ArrayList<>(Math.min(q.limit(), 256));
    Key last = null;
    for (Map.Entry<Key, String> e : range.entrySet()) {
      Entry entry = byGid.get(e.getValue());
      if (entry == null) {
        continue;
      }
      if (q.createdBefore() != null && entry.createdAt >= createdBefore) {
        break; // ordered by creation: nothing later can match
      }
      if (matches(entry, q)) {
        if (items.size() == q.limit()) {
          return new TxPage(items, last.cursor());
        }
        items.add(entry.tx());
        last = e.getKey();
      }
    }
    return new TxPage(items, null);
  }

  private static boolean matches(Entry entry, TxQuery q) {
    return (q.statuses().isEmpty() || q.statuses().contains(entry.status))
        && (q.mode() == null || q.mode() == entry.mode)
        && (q.stuck() == null || q.stuck() == entry.isStuck(q.stuckAfterAttempts()));
  }

  /**
   * Removes up to {@code max} finished transactions, oldest last update first: those last updated
   * before {@code before}, and then as many more as it takes to keep at most {@code keepAtMost}.
   * Returns their entries, undecoded, so a durable store can record their removal (or {@link #put}
   * one back).
   */
  public List<Entry> removeFinished(Instant before, int keepAtMost, int max) {
    List<Entry> removed = new ArrayList<>();
    long expiredBefore = nanos(before);
    Iterator<Entry> it = finishedByUpdate.iterator();
    while (it.hasNext() && removed.size() < max) {
      Entry entry = it.next();
      if (entry.updatedAt >= expiredBefore && finished.get() <= keepAtMost) {
        break; // ordered by last update: nothing later is expired, and the count is within bounds
      }
      boolean[] gone = new boolean[1];
      byGid.computeIfPresent(entry.gid, (gid, current) -> {
        if (current != entry) {
          return current; // replaced meanwhile: its own entry decides
        }
        replaced(current, null);
        gone[0] = true;
        return null;
      });
      if (gone[0]) {
        byCreation.remove(Key.created(entry));
        removed.add(entry);
      }
    }
    return removed;
  }
}
