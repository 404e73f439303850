package io.covenant.coordinator.store.journal;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.store.InMemoryIndex;
import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.store.TxCodec;
import io.covenant.coordinator.store.TxPage;
import io.covenant.coordinator.store.TxQuery;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;
import org.apache.activemq.artemis.api.core.ActiveMQBuffer;
import org.apache.activemq.artemis.core.io.nio.NIOSequentialFileFactory;
import org.apache.activemq.artemis.core.journal.EncodingSupport;
import org.apache.activemq.artemis.core.journal.IOCompletion;
import org.apache.activemq.artemis.core.journal.JournalUpdateCallback;
import org.apache.activemq.artemis.core.journal.LoaderCallback;
import org.apache.activemq.artemis.core.journal.PreparedTransactionInfo;
import org.apache.activemq.artemis.core.journal.RecordInfo;
import org.apache.activemq.artemis.core.journal.impl.JournalImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default store: an append-only journal on local disk (Apache Artemis {@link JournalImpl} over
 * NIO), for a single coordinator node.
 *
 * <h2>Algorithm</h2>
 * Every transaction is one journal record id. {@code create} appends an add record, each
 * {@code update} an update record carrying the whole new {@link GlobalTx} ({@link TxCodec}), and a
 * purge a delete record. Appends go through Artemis's timed buffer: records that arrive within
 * {@link JournalSettings#bufferTimeout()} of each other are written and fsynced together, and each
 * record's {@link IOCompletion} fires after that fsync (group commit: one fsync for many
 * transactions, never one per request). Records reach Artemis through one thread,
 * {@link JournalAppender}, woken at most once per turn of the caller's event loop, which runs each
 * append in place ({@link JournalExecutors}). No caller thread waits for the disk; the returned
 * future is completed from the completion callback, on an Artemis thread.
 *
 * <p>Two views of each transaction are kept in memory:
 * <ul>
 *   <li><b>accepted</b> (gid → record id, version of the newest accepted change): where the
 *       compare-and-set of {@code create} and {@code update} is decided, against the newest accepted
 *       version, so that an update on top of one still being written works. The append is queued
 *       for the appender inside the same per-gid map lock, so the journal receives the changes of
 *       one transaction in the order in which they won their compare-and-set. It holds no
 *       transaction: a retained finished one would otherwise keep its whole object graph alive.</li>
 *   <li><b>durable</b> (an {@link InMemoryIndex}): what {@code find}, {@code list} and
 *       {@code loadUnfinished} show. A value enters it only from its completion callback, so a
 *       reader never sees a state that a crash could take back. It keeps a finished transaction
 *       compact, as the TxCodec bytes that were written for it (see {@link InMemoryIndex}).</li>
 * </ul>
 * At start the journal is replayed: per record id the add record, then each update replacing it,
 * until a delete removes it; what remains rebuilds both views, a finished transaction again as its
 * record's bytes. Because an update holds the whole transaction, the record type is declared
 * replaceable: compaction keeps only the last update of each live record, and many superseded
 * updates are themselves a reason to compact.
 *
 * <h2>Hazards</h2>
 * <ul>
 *   <li><b>Completions out of order.</b> Artemis completes the callbacks of one flush in append
 *       order, but two flushes can complete on two threads at once (the timer thread, and an
 *       appending thread that found the buffer full). So each accepted change carries a per-gid
 *       sequence number, and the durable view only ever moves forward: a late completion of an older
 *       change is reported durable (it is: it was written before the newer one, and the newer
 *       fsync covers it) but does not replace the newer value.</li>
 *   <li><b>An append the journal refuses.</b> The appender hands a record over after the write was
 *       accepted; if Artemis throws then, the store fails as on a failed write (below), and the
 *       accepted state it had moved forward is never written on again.</li>
 *   <li><b>Silent write failures.</b> When a buffered write fails, Artemis only calls the
 *       {@code IOCriticalErrorListener}, and may still call {@code done()} on the callbacks after a
 *       later successful fsync. So the listener marks the store failed synchronously, every callback
 *       checks that mark before reporting success, and every pending write is failed with
 *       {@code STORE_UNAVAILABLE}. After a failure no write is accepted (fail fast) until the process
 *       restarts and replays the journal. A failed write may still have reached the disk: callers
 *       must treat {@code STORE_UNAVAILABLE} as "unknown", never as "not written".</li>
 *   <li><b>Callbacks that never come.</b> Artemis drops the callback of an append that meets a
 *       journal being stopped. Every pending append is therefore tracked, and {@link #close()} fails
 *       whatever is still pending once the journal has stopped (after it flushed everything it had).</li>
 *   <li><b>Re-entrance.</b> A completed future runs its continuations on the completing thread,
 *       which may call this store again. Futures are therefore completed only after every lock of
 *       this class is released.</li>
 *   <li><b>Purge.</b> Purge removes finished transactions from the durable view at once, then appends
 *       their deletes. If the process crashes before a delete is durable, that finished transaction
 *       comes back at the next start and a later purge removes it again; nothing else is affected. A
 *       purged gid may be created again: it gets a new record id. While a purge picks its victims it
 *       holds the view's write lock, which briefly delays completions (and so the callers of
 *       {@code create} and {@code update}); it appends their delete records after releasing it, so
 *       that the completions of other writes never wait behind the journal. A delete whose append
 *       fails is like one lost in a crash (the store fails, as on any failed append).</li>
 *   <li><b>Record size.</b> A record must fit the write buffer ({@link JournalSettings#bufferSizeBytes()});
 *       a larger transaction is refused with {@code LIMIT_EXCEEDED}, and the store stays usable.</li>
 *   <li><b>One process per directory.</b> Two journals appending to the same files would corrupt
 *       them; the store takes an exclusive lock on a file in the directory and refuses to open
 *       otherwise.</li>
 *   <li><b>No back-pressure.</b> Appends queue in memory without bound when the disk is slower than
 *       the callers; the engine's limits on transactions in flight are what bounds the queue.</li>
 * </ul>
 *
 * <p>Thread-safe. Futures complete on Artemis's threads (or the caller's, for an immediate
 * refusal); callers hop back to their own context.
 */
public final class JournalTransactionStore implements TransactionStore {
  private static final Logger log = LoggerFactory.getLogger(JournalTransactionStore.class);

  /**
   * The Artemis user record type of a transaction record: its {@link TxCodec} bytes, then their
   * CRC32C (4 bytes, big-endian), so that a record damaged on disk stops the start instead of
   * being read as something else. Part of the on-disk format.
   */
  static final byte TX_RECORD = 2;
  /** The first record type: the TxCodec bytes alone. Still read; no longer written. */
  static final byte TX_RECORD_UNCHECKED = 1;
  private static final int CHECKSUM_BYTES = 4;
  static final String FILE_PREFIX = "covenant";
  static final String FILE_EXTENSION = "cvj";
  private static final String LOCK_FILE = "covenant-journal.lock";
  /** NIO writes one buffer at a time; Artemis uses 1 for NIO journals. */
  private static final int NIO_MAX_IO = 1;
  private static final int FILE_OPEN_TIMEOUT_SECONDS = 5;

  private final JournalSettings settings;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final NIOSequentialFileFactory files;
  private final JournalExecutors executors = new JournalExecutors();
  private final JournalAppender appender = new JournalAppender();
  private final JournalImpl journal;
  private final long recordSizeMax;
  private final AtomicLong nextRecordId;

  private final InMemoryIndex durable = new InMemoryIndex();
  private final ConcurrentHashMap<String, Accepted> accepted = new ConcurrentHashMap<>();
  private final Set<Append> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicReference<CovenantException> failure = new AtomicReference<>();
  /** Writes hold the read lock while they append; close takes the write lock to stop them. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  /** Completions hold the read lock while they change the durable view; purge holds the write lock. */
  private final ReentrantReadWriteLock view = new ReentrantReadWriteLock();
  private final Promise<Void> closing = Promise.promise();
  private volatile boolean closed;

  /**
   * The accepted state of one transaction.
   *
   * @param version the version of the newest accepted change: all the compare-and-set needs
   * @param latestSeq sequence number of the newest accepted change (per gid, from 0 at load)
   * @param durableSeq sequence number of the newest change the durable view shows
   */
  private record Accepted(long recordId, long version, long latestSeq, long durableSeq) {}

  /**
   * Opens (creating it if needed) the journal in {@code settings.directory()} and replays it. The
   * replay reads every journal file, so it runs on a thread of its own; the future completes from
   * that thread.
   *
   * @return the store, or a failure with {@code STORE_UNAVAILABLE} when the directory is locked by
   *     another process, a file cannot be read, or a record cannot be decoded (the store refuses to
   *     start on data it does not understand rather than drop transactions)
   */
  public static Future<JournalTransactionStore> open(JournalSettings settings) {
    Promise<JournalTransactionStore> opened = Promise.promise();
    Thread opener = new Thread(() -> {
      try {
        opened.complete(new JournalTransactionStore(settings));
      } catch (CovenantException e) {
        opened.fail(e);
      } catch (Exception | Error e) {
        opened.fail(new CovenantException(ErrorCode.STORE_UNAVAILABLE,
            "cannot open the journal in " + settings.directory() + ": " + e, null, e));
      }
    }, "covenant-journal-open");
    opener.start();
    return opened.future();
  }

  /**
   * Purges run on a thread of their own: removing a batch of records (the view's write lock, a
   * delete record each) must not hold up the caller's event loop, where requests wait.
   */
  /** Transactions a purge removes under one hold of the view's write lock. */
  static final int PURGE_CHUNK = 64;

  private final ExecutorService purger = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "covenant-journal-purge");
    t.setDaemon(true);
    return t;
  });

  /** Where the load found a record torn by a crash at the end of the journal, if it did. */
  private final Optional<Long> tornRecordOffset;

  private JournalTransactionStore(JournalSettings settings) throws Exception {
    this.settings = settings;
    long started = System.nanoTime();
    Path dir = settings.directory();
    Files.createDirectories(dir);
    lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    lock = lockExclusively(lockChannel, dir);
    try {
      // Buffered: the timed buffer is what turns many appends into one write and one fsync.
      files = new NIOSequentialFileFactory(dir.toFile(), true, settings.bufferSizeBytes(),
          (int) settings.bufferTimeout().toNanos(), NIO_MAX_IO, false, null, null);
      journal = new JournalImpl(executors, settings.fileSizeBytes(), settings.minFiles(), settings.poolSize(),
          settings.compactMinFiles(), settings.compactPercentage(), FILE_OPEN_TIMEOUT_SECONDS, files,
          FILE_PREFIX, FILE_EXTENSION, NIO_MAX_IO, 0, (cause, message, file) -> onIoError(cause, message, file), 0);
    } catch (RuntimeException e) {
      executors.shutdown();
      lock.release();
      lockChannel.close();
      throw e;
    }
    // Every update carries the whole transaction, so compaction may keep only the last one of each record.
    journal.replaceableRecord(TX_RECORD);
    journal.replaceableRecord(TX_RECORD_UNCHECKED);
    recordSizeMax = journal.getMaxRecordSize() - JournalImpl.SIZE_ADD_RECORD - 1;
    try {
      journal.start();
      executors.checkAppendsRunInPlace(journal);
      Replay replay = new Replay();
      journal.load(replay);
      nextRecordId = new AtomicLong(replay.maxId + 1);
      tornRecordOffset = TornTail.find(journal.getCurrentFile());
      tornRecordOffset.ifPresent(offset -> log.atWarn()
          .setMessage("journal: the last record was torn by a crash (only part of it reached the disk) and is dropped; "
              + "with store.journal.sync=true it was never reported durable, so no acknowledged change is lost")
          .addKeyValue("file", journal.getCurrentFile().getFile().getFileName())
          .addKeyValue("offset", offset)
          .log());
      int unfinished = rebuild(replay);
      appender.start(); // only now: a store that fails to open leaves no thread behind
      log.atInfo().setMessage("journal loaded")
          .addKeyValue("directory", dir)
          .addKeyValue("transactions", accepted.size())
          .addKeyValue("unfinished", unfinished)
          .addKeyValue("records", replay.records)
          .addKeyValue("loadMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
          .log();
    } catch (Exception | Error e) {
      stopQuietly();
      throw e;
    }
  }

  /**
   * The offset, in the file appended to, of a record that a crash left half-written and the load
   * dropped (and logged as a warning); empty when the journal ended cleanly.
   */
  public Optional<Long> tornRecordOffset() {
    return tornRecordOffset;
  }

  private static FileLock lockExclusively(FileChannel channel, Path dir) throws IOException {
    FileLock taken;
    try {
      taken = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      taken = null;
    }
    if (taken == null) {
      channel.close();
      throw new CovenantException(ErrorCode.STORE_UNAVAILABLE,
          "journal directory " + dir + " is in use by another coordinator (" + LOCK_FILE + " is locked)");
    }
    return taken;
  }

  /** Collects the live records of the journal: per id the add, replaced by each update, removed by a delete. */
  private static final class Replay implements LoaderCallback {
    final Map<Long, RecordInfo> live = new HashMap<>();
    long maxId;
    long records;

    private void saw(long id) {
      records++;
      maxId = Math.max(maxId, id);
    }

    @Override
    public void addRecord(RecordInfo info) {
      saw(info.id);
      live.put(info.id, info);
    }

    @Override
    public void updateRecord(RecordInfo info) {
      saw(info.id);
      // An update may outlive its deleted add record (Artemis reclaims files independently): ignore it.
      live.replace(info.id, info);
    }

    @Override
    public void deleteRecord(long id) {
      saw(id);
      live.remove(id);
    }

    @Override
    public void addPreparedTransaction(PreparedTransactionInfo preparedTransaction) {
      // This store never writes journal transactions.
    }

    @Override
    public void failedTransaction(long transactionID, List<RecordInfo> records, List<RecordInfo> recordsToDelete) {
      // This store never writes journal transactions.
    }
  }

  /** Fills both views from the replayed records; returns how many transactions are unfinished. */
  private int rebuild(Replay replay) throws Exception {
    Map<String, Long> recordOf = new HashMap<>();
    Map<String, InMemoryIndex.Entry> latest = new HashMap<>();
    List<Long> stale = new ArrayList<>();
    for (Map.Entry<Long, RecordInfo> e : replay.live.entrySet()) {
      RecordInfo info = e.getValue();
      byte[] body;
      GlobalTx tx;
      try {
        body = checked(info);
        tx = TxCodec.decode(body);
      } catch (IllegalArgumentException ex) {
        throw new CovenantException(ErrorCode.STORE_UNAVAILABLE, "journal record " + info.id + ": " + ex.getMessage(), null, ex);
      }
      Long other = recordOf.get(tx.gid());
      if (other != null) {
        // Possible only if a purge's delete was lost while the re-created gid's add survived: the
        // later record (higher id) is the live transaction.
        long keep = Math.max(other, info.id);
        long drop = Math.min(other, info.id);
        stale.add(drop);
        if (keep == other) {
          continue;
        }
      }
      recordOf.put(tx.gid(), info.id);
      accepted.put(tx.gid(), new Accepted(info.id, tx.version(), 0, 0));
      latest.put(tx.gid(), InMemoryIndex.Entry.of(tx, body)); // a finished one keeps its record's bytes
    }
    for (InMemoryIndex.Entry entry : latest.values()) {
      durable.put(entry);
    }
    for (long id : stale) {
      log.atWarn().setMessage("deleting a superseded journal record of a re-created gid").addKeyValue("recordId", id).log();
      journal.appendDeleteRecord(id, true);
    }
    return durable.unfinished().size();
  }

  @Override
  public Future<Void> create(GlobalTx tx) {
    return append(tx, (gid, current, append, record) -> {
      if (current != null) {
        append.refusal = new CovenantException(ErrorCode.GID_CONFLICT, "gid " + gid + " is already used", gid);
        return current;
      }
      long id = nextRecordId.getAndIncrement();
      append.start(id, 1);
      appendLater(append, () -> journal.appendAddRecord(id, TX_RECORD, record, settings.sync(), append));
      return new Accepted(id, tx.version(), 1, 0);
    });
  }

  @Override
  public Future<Void> update(GlobalTx next, long expectedVersion) {
    return append(next, (gid, current, append, record) -> {
      if (current == null) {
        append.refusal = new CovenantException(ErrorCode.TRANSACTION_NOT_FOUND, "gid " + gid + " is not stored", gid);
        return null;
      }
      if (current.version() != expectedVersion) {
        append.refusal = new CovenantException(ErrorCode.CONCURRENT_UPDATE,
            "gid " + gid + " is at version " + current.version() + ", expected " + expectedVersion, gid);
        return current;
      }
      long seq = current.latestSeq() + 1;
      long recordId = current.recordId();
      append.start(recordId, seq);
      appendLater(append, () -> journal.tryAppendUpdateRecord(recordId, TX_RECORD, record, settings.sync(), true, append, append));
      return new Accepted(recordId, next.version(), seq, current.durableSeq());
    });
  }

  /** A call that hands one record to Artemis. */
  @FunctionalInterface
  private interface JournalCall {
    void run() throws Exception;
  }

  /** Queues {@code call} for the appender; if Artemis refuses the record then, {@code append} fails the store. */
  private void appendLater(Append append, JournalCall call) {
    appender.submit(() -> {
      try {
        call.run();
      } catch (Exception e) {
        append.failedToAppend(e);
      }
    });
  }

  /** How one write changes the accepted state of its gid, appending its record when it is allowed. */
  @FunctionalInterface
  private interface AppendStep {
    Accepted apply(String gid, Accepted current, Append append, ChecksummedRecord record);
  }

  /**
   * The frame every write shares: encode outside any lock, then, under the lifecycle's read lock
   * (so close cannot interleave) and the gid's map lock (so the compare-and-set and the append are
   * one step), let {@code step} decide and append.
   */
  private Future<Void> append(GlobalTx tx, AppendStep step) {
    ChecksummedRecord record;
    InMemoryIndex.Entry entry;
    try {
      TxCodec.Encoded body = TxCodec.encodeUncopied(tx);
      record = checksummed(tx.gid(), body);
      entry = InMemoryIndex.Entry.of(tx, body);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Append append = new Append(tx.gid(), entry);
    Lock writing = lifecycle.readLock();
    writing.lock();
    try {
      CovenantException refused = refusal();
      if (refused != null) {
        return Future.failedFuture(refused);
      }
      accepted.compute(tx.gid(), (gid, current) -> step.apply(gid, current, append, record));
    } finally {
      writing.unlock();
    }
    return append.issued();
  }

  @Override
  public Future<Optional<GlobalTx>> find(String gid) {
    return Future.succeededFuture(durable.find(gid));
  }

  @Override
  public Future<List<GlobalTx>> loadUnfinished() {
    return Future.succeededFuture(durable.unfinished());
  }

  @Override
  public Future<TxPage> list(TxQuery query) {
    try {
      return Future.succeededFuture(durable.list(query));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Integer> purgeFinished(Instant finishedBefore, int keepAtMost, int max) {
    if (max <= 0) {
      return Future.succeededFuture(0);
    }
    Promise<Integer> purged = Promise.promise();
    try {
      purger.execute(() -> purgeNow(finishedBefore, keepAtMost, max).onComplete(purged));
    } catch (RejectedExecutionException e) {
      return Future.failedFuture(new CovenantException(ErrorCode.STORE_UNAVAILABLE, "the journal store is closed"));
    }
    return purged.future();
  }

  /**
   * The purge itself, on the purge thread, {@value #PURGE_CHUNK} transactions at a time: the view's
   * write lock, which holds up the completion of every other write, is never held for long. Delete
   * records are not fsynced on their own: a delete lost in a crash only brings a finished
   * transaction back until the next purge.
   */
  private Future<Integer> purgeNow(Instant finishedBefore, int keepAtMost, int max) {
    List<Append> deletes = new ArrayList<>();
    while (deletes.size() < max) {
      int before = deletes.size();
      CovenantException refused = purgeChunk(finishedBefore, keepAtMost, Math.min(PURGE_CHUNK, max - before), deletes);
      if (refused != null) {
        if (deletes.isEmpty()) {
          return Future.failedFuture(refused);
        }
        break;
      }
      boolean appendFailed = !deletes.isEmpty() && deletes.get(deletes.size() - 1).appendError != null;
      if (appendFailed || deletes.size() - before < Math.min(PURGE_CHUNK, max - before)) {
        break; // an append failed, or nothing more is due
      }
    }
    List<Future<Void>> written = new ArrayList<>(deletes.size());
    for (Append delete : deletes) {
      written.add(delete.issued());
    }
    int count = deletes.size();
    return written.isEmpty() ? Future.succeededFuture(0) : Future.all(written).map(all -> count);
  }

  /** Removes up to {@code n} finished transactions and appends their deletes; a refusal if the store is closed. */
  private CovenantException purgeChunk(Instant finishedBefore, int keepAtMost, int n, List<Append> deletes) {
    Lock writing = lifecycle.readLock();
    writing.lock();
    try {
      CovenantException refused = refusal();
      if (refused != null) {
        return refused;
      }
      List<Append> chosen = new ArrayList<>();
      view.writeLock().lock();
      try {
        // No completion can change the durable view while this lock is held, so what is removed
        // here is exactly the durable state of each transaction.
        for (InMemoryIndex.Entry removed : durable.removeFinished(finishedBefore, keepAtMost, n)) {
          accepted.compute(removed.gid(), (gid, current) -> {
            if (current == null) {
              return null;
            }
            if (current.latestSeq() != current.durableSeq()) {
              // A change to this finished transaction is still being written: keep it for a later purge.
              durable.put(removed);
              return current;
            }
            Append delete = new Append(gid, null);
            delete.recordId = current.recordId();
            chosen.add(delete);
            return null;
          });
        }
      } finally {
        view.writeLock().unlock();
      }
      // The transactions are gone from memory; their records are deleted outside the view's lock,
      // so the completions of other writes do not wait for these appends. A recreated gid has a
      // record id of its own, which these deletes do not touch.
      for (Append delete : chosen) {
        delete.start(delete.recordId, 0);
        deletes.add(delete);
        try {
          journal.tryAppendDeleteRecord(delete.recordId, false, delete, delete);
        } catch (Exception e) {
          delete.appendError = e; // fails the store when issued; the records left are like deletes lost in a crash
          break;
        }
      }
    } finally {
      writing.unlock();
    }
    return null;
  }

  /**
   * Refuses new writes, lets the journal write and fsync everything already appended (their futures
   * complete normally), then stops it and releases the directory. Runs on a thread of its own; the
   * future completes from it. Reads keep answering from memory afterwards.
   */
  @Override
  public Future<Void> close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return closing.future();
      }
      closed = true;
    } finally {
      lifecycle.writeLock().unlock();
    }
    new Thread(this::shutdown, "covenant-journal-close").start();
    return closing.future();
  }

  private void shutdown() {
    Throwable error = stopQuietly();
    if (error == null) {
      log.atInfo().setMessage("journal closed").addKeyValue("directory", settings.directory()).log();
      closing.complete();
    } else {
      closing.fail(new CovenantException(ErrorCode.STORE_UNAVAILABLE,
          "closing the journal in " + settings.directory() + " failed: " + error, null, error));
    }
  }

  /** Stops the journal and its files, fails appends it never completed, and unlocks the directory. */
  private Throwable stopQuietly() {
    purger.shutdown();
    appender.stop(); // every append accepted before the close reaches the journal, which then flushes them
    Throwable error = null;
    try {
      journal.stop();
    } catch (Exception | Error e) {
      error = e;
    }
    try {
      files.stop();
    } catch (Exception | Error e) {
      error = error == null ? e : error;
    }
    executors.shutdown();
    for (Append a : List.copyOf(inFlight)) {
      a.abandon(new CovenantException(ErrorCode.STORE_UNAVAILABLE,
          "journal closed before the write of gid " + a.gid + " was durable", a.gid));
    }
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      error = error == null ? e : error;
    }
    return error;
  }

  /** The record of a transaction's TxCodec bytes: them, followed by their checksum. */
  private ChecksummedRecord checksummed(String gid, TxCodec.Encoded body) {
    if (body.length() + CHECKSUM_BYTES > recordSizeMax) {
      throw new CovenantException(ErrorCode.LIMIT_EXCEEDED, "transaction " + gid + " takes " + (body.length() + CHECKSUM_BYTES)
          + " bytes; a journal record holds at most " + recordSizeMax + " (raise bufferSizeBytes)", gid);
    }
    return new ChecksummedRecord(body, crc32c(body.array(), body.length()));
  }

  /**
   * A {@link #TX_RECORD} as Artemis appends it: the TxCodec bytes, then their CRC32C, big-endian.
   * Artemis copies it into its write buffer; writing the checksum there too, rather than building a
   * byte array of body and checksum first, saves copying every record twice on the event loop.
   * Immutable; only ever encoded, since replay reads records as {@link RecordInfo}.
   */
  private static final class ChecksummedRecord implements EncodingSupport {
    private final TxCodec.Encoded body;
    private final int checksum;

    ChecksummedRecord(TxCodec.Encoded body, int checksum) {
      this.body = body;
      this.checksum = checksum;
    }

    @Override
    public int getEncodeSize() {
      return body.length() + CHECKSUM_BYTES;
    }

    @Override
    public void encode(ActiveMQBuffer buffer) {
      buffer.writeBytes(body.array(), 0, body.length());
      buffer.writeInt(checksum); // big-endian, as ActiveMQBuffer writes every int
    }

    @Override
    public void decode(ActiveMQBuffer buffer) {
      throw new UnsupportedOperationException("a transaction record is read from its RecordInfo, not decoded in place");
    }
  }

  /** The TxCodec bytes of a replayed record, once its type and checksum say they are intact. */
  private static byte[] checked(RecordInfo info) {
    if (info.userRecordType == TX_RECORD_UNCHECKED) {
      return info.data;
    }
    if (info.userRecordType != TX_RECORD) {
      throw new IllegalArgumentException("type " + info.userRecordType + " is not one this coordinator knows");
    }
    int length = info.data.length - CHECKSUM_BYTES;
    if (length < 0 || ByteBuffer.wrap(info.data, length, CHECKSUM_BYTES).getInt() != crc32c(info.data, length)) {
      throw new IllegalArgumentException("the record fails its checksum: the journal file is damaged "
          + "(restore the journal directory from a backup, or move the damaged file aside knowingly)");
    }
    return Arrays.copyOf(info.data, length);
  }

  private static int crc32c(byte[] bytes, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, length);
    return (int) crc.getValue();
  }

  /** Why a write is refused now, or null. */
  private CovenantException refusal() {
    if (closed) {
      return new CovenantException(ErrorCode.STORE_UNAVAILABLE, "journal store is closed");
    }
    return failure.get();
  }

  private void onIoError(Throwable cause, String message, String file) {
    markFailed("I/O error on " + file + ": " + message, cause);
  }

  /**
   * Marks the store failed (once; later calls keep the first reason) and fails every pending write.
   * Must not be called with a lock of this class held: it completes futures.
   */
  private CovenantException markFailed(String reason, Throwable cause) {
    CovenantException failed = new CovenantException(ErrorCode.STORE_UNAVAILABLE,
        "journal in " + settings.directory() + " failed (" + reason + "); it accepts no more writes until restarted",
        null, cause);
    if (failure.compareAndSet(null, failed)) {
      log.atError().setMessage("journal failed; refusing further writes")
          .addKeyValue("directory", settings.directory()).addKeyValue("reason", reason).setCause(cause).log();
    }
    CovenantException first = failure.get();
    for (Append a : List.copyOf(inFlight)) {
      a.abandon(first);
    }
    return first;
  }

  /** Moves the durable view forward to {@code a}'s value, unless a newer change is already shown there. */
  private void applyDurable(Append a) {
    Lock applying = view.readLock();
    applying.lock();
    try {
      accepted.computeIfPresent(a.gid, (gid, current) -> {
        if (current.recordId() != a.recordId || a.seq <= current.durableSeq()) {
          return current; // purged (and perhaps re-created) meanwhile, or overtaken by a newer change
        }
        durable.put(a.entry);
        return new Accepted(current.recordId(), current.version(), current.latestSeq(), a.seq);
      });
    } finally {
      applying.unlock();
    }
  }

  /**
   * One append and its completion: the journal calls {@link #done()} once the record is durable,
   * {@link #onError} when writing it failed, and {@link #onUpdate} (updates and deletes) with
   * whether the record id existed.
   */
  private final class Append implements IOCompletion, JournalUpdateCallback {
    final String gid;
    /** The value written, as the durable view will hold it, or null for a delete. */
    final InMemoryIndex.Entry entry;
    final Promise<Void> promise = Promise.promise();
    private final AtomicBoolean finished = new AtomicBoolean();
    long recordId;
    long seq;
    boolean started;
    CovenantException refusal;
    Exception appendError;
    private volatile boolean recordMissing;

    Append(String gid, InMemoryIndex.Entry entry) {
      this.gid = gid;
      this.entry = entry;
    }

    /** Registers this append as pending, just before it is handed to the journal. */
    void start(long recordId, long seq) {
      this.recordId = recordId;
      this.seq = seq;
      this.started = true;
      inFlight.add(this);
    }

    /** The journal refused the record (at once, or when the appender handed it over): the store fails, as on a failed write. */
    void failedToAppend(Exception e) {
      inFlight.remove(this);
      abandon(markFailed("append of gid " + gid + " failed: " + e, e));
    }

    /** The future of this write, once the lock it was decided under is released. */
    Future<Void> issued() {
      if (refusal != null) {
        return Future.failedFuture(refusal);
      }
      if (appendError != null) {
        failedToAppend(appendError);
      }
      return promise.future();
    }

    @Override
    public void storeLineUp() {
    }

    @Override
    public void onUpdate(long id, boolean found) {
      if (!found) {
        recordMissing = true;
      }
    }

    @Override
    public void done() {
      if (recordMissing) {
        // The journal skipped the write: our map and the journal disagree, which is a bug.
        onError(-1, "journal has no record " + recordId + " for gid " + gid);
        return;
      }
      if (!finished.compareAndSet(false, true)) {
        return;
      }
      inFlight.remove(this);
      CovenantException failed = failure.get();
      if (failed != null) {
        // Artemis may report done after a failed write that a later fsync "covered": never trust it.
        promise.fail(failed);
        return;
      }
      if (entry != null) {
        applyDurable(this);
      }
      promise.complete();
    }

    @Override
    public void onError(int errorCode, String errorMessage) {
      if (finished.get()) {
        return;
      }
      CovenantException failed = markFailed("write of gid " + gid + " failed: " + errorMessage + " (" + errorCode + ")", null);
      abandon(failed);
    }

    void abandon(CovenantException cause) {
      if (finished.compareAndSet(false, true)) {
        inFlight.remove(this);
        promise.fail(cause);
      }
    }
  }
}
