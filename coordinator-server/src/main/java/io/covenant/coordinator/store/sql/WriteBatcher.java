package io.covenant.coordinator.store.sql;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.store.TxCodec;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Coalesces the creates and updates of many transactions into few database round trips and
 * commits (the SQL stores' group commit).
 *
 * <h2>Algorithm</h2>
 * Up to {@code batchesInFlightMax} batches run at once. A write that arrives while a slot is free
 * leaves at once, alone, so a lone caller waits no longer than one statement. Writes that arrive
 * while every slot is busy queue up, and when a batch ends the queue leaves as the next batch (up
 * to {@code batchMax} writes): the busier the database, the more writes share each round trip and
 * each commit, with no timer and no added latency at low load. The executor turns a batch into one
 * statement per kind (PostgreSQL) or one transaction (MySQL) and answers each write on its own:
 * one write losing its compare-and-set, or hitting a taken gid, fails only that write.
 *
 * <p>Writes of one gid leave in the order they were submitted, one at a time: a write waits until
 * the previous write of its gid has been answered. So a batch never holds two writes of one gid,
 * and an update issued on top of a write still in flight (as the store contract allows) reaches
 * the database after it, whatever connection each batch uses.
 *
 * <h2>Hazards</h2>
 * <ul>
 *   <li><b>Every write is answered once.</b> The executor must complete each write's promise; a
 *       write it left unanswered when its batch ended is failed with {@code STORE_UNAVAILABLE},
 *       and an exception thrown by the executor fails the whole batch the same way.</li>
 *   <li><b>Re-entrance.</b> Completing a write runs the caller's continuation, which may submit the
 *       next write. No lock of this class is held while an executor runs or a promise completes.</li>
 *   <li><b>No back-pressure.</b> The queue is unbounded, as the journal's is; the engine's limits on
 *       transactions in flight bound it.</li>
 * </ul>
 *
 * <p>Thread-safe. Futures complete on whatever thread the executor completes them on.
 */
public final class WriteBatcher {

  /** A create, or an update that expects {@code expectedVersion} (and, unless a take-over, this owner). */
  public static final class Write {
    private final GlobalTx tx;
    private final byte[] body;
    private final long expectedVersion;
    private final boolean create;
    private final boolean takeOver;
    private final long term;
    private final Promise<Void> promise = Promise.promise();

    private Write(GlobalTx tx, byte[] body, long expectedVersion, boolean create, boolean takeOver, long term) {
      this.tx = tx;
      this.body = body;
      this.expectedVersion = expectedVersion;
      this.create = create;
      this.takeOver = takeOver;
      this.term = term;
    }

    /**
     * The writer's ownership term (epoch) when the write was submitted: the owner a create names,
     * and the owner an update expects. Taken at submission, not when the batch leaves, so that a
     * write issued before its coordinator began a new term cannot come to belong to the new one.
     */
    public long term() {
      return term;
    }

    /** An update that makes the writer the owner, whoever owned the transaction (see {@code TransactionStore.takeOver}). */
    public boolean isTakeOver() {
      return takeOver;
    }

    public GlobalTx tx() {
      return tx;
    }

    /** The transaction's {@link TxCodec} bytes, encoded when the write was submitted. */
    public byte[] body() {
      return body;
    }

    public String gid() {
      return tx.gid();
    }

    public boolean isCreate() {
      return create;
    }

    /** Only meaningful for an update. */
    public long expectedVersion() {
      return expectedVersion;
    }

    /** Reports this write durable. Later answers are ignored. */
    public void succeed() {
      promise.tryComplete();
    }

    /** Reports this write failed. Later answers are ignored. */
    public void fail(Throwable cause) {
      promise.tryFail(cause);
    }

    boolean answered() {
      return promise.future().isComplete();
    }
  }

  private final int batchMax;
  private final int batchesInFlightMax;
  private final Function<List<Write>, Future<Void>> executor;
  private final String storeName;

  private final Object lock = new Object();
  private final ArrayDeque<Write> queue = new ArrayDeque<>();
  private final ConcurrentHashMap<String, Write> lastOfGid = new ConcurrentHashMap<>();
  private final Promise<Void> drained = Promise.promise();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();
  private int inFlight;
  private volatile boolean closed;

  /**
   * @param executor runs one batch (never empty; at most one write per gid) and answers each of its
   *     writes; the future it returns says the batch is over, so its slot is free
   * @param storeName how errors name the store
   */
  public WriteBatcher(int batchMax, int batchesInFlightMax, Function<List<Write>, Future<Void>> executor, String storeName) {
    if (batchMax < 1 || batchesInFlightMax < 1) {
      throw new IllegalArgumentException("batchMax and batchesInFlightMax must be at least 1");
    }
    this.batchMax = batchMax;
    this.batchesInFlightMax = batchesInFlightMax;
    this.executor = executor;
    this.storeName = storeName;
  }

  /** Queues a create; fails at once, alone, when the transaction cannot be encoded. */
  public Future<Void> create(GlobalTx tx) {
    return create(tx, 0);
  }

  /** Queues a create owned by {@code term}. */
  public Future<Void> create(GlobalTx tx, long term) {
    return submit(tx, 0, true, false, term);
  }

  /** Queues an update expecting {@code expectedVersion}; fails at once, alone, when it cannot be encoded. */
  public Future<Void> update(GlobalTx next, long expectedVersion) {
    return update(next, expectedVersion, 0);
  }

  /** Queues an update by the owner {@code term}. */
  public Future<Void> update(GlobalTx next, long expectedVersion, long term) {
    return submit(next, expectedVersion, false, false, term);
  }

  /** Queues an update that takes the transaction over from whoever owns it, for {@code term}. */
  public Future<Void> takeOver(GlobalTx next, long expectedVersion, long term) {
    return submit(next, expectedVersion, false, true, term);
  }

  private Future<Void> submit(GlobalTx tx, long expectedVersion, boolean create, boolean takeOver, long term) {
    if (closed) {
      return Future.failedFuture(new CovenantException(ErrorCode.STORE_UNAVAILABLE, storeName + " is closed", tx.gid()));
    }
    byte[] body;
    try {
      body = TxCodec.encode(tx); // here, so that a transaction that cannot be encoded fails no batch it would share
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Write w = new Write(tx, body, expectedVersion, create, takeOver, term);
    writes.incrementAndGet();
    Future<Void> answered = w.promise.future();
    Write previous = lastOfGid.put(w.gid(), w);
    answered.onComplete(ar -> {
      lastOfGid.remove(w.gid(), w);
      checkDrained();
    });
    if (previous == null) {
      enqueue(w);
    } else {
      previous.promise.future().onComplete(ar -> enqueue(w));
    }
    return answered;
  }

  private void enqueue(Write w) {
    List<List<Write>> leaving;
    synchronized (lock) {
      queue.add(w);
      leaving = takeBatches();
    }
    run(leaving);
  }

  /** Takes as many batches as there are free slots. Called with the lock held. */
  private List<List<Write>> takeBatches() {
    List<List<Write>> leaving = null;
    while (inFlight < batchesInFlightMax && !queue.isEmpty()) {
      List<Write> batch = new ArrayList<>(Math.min(queue.size(), batchMax));
      while (batch.size() < batchMax && !queue.isEmpty()) {
        batch.add(queue.poll());
      }
      inFlight++;
      if (leaving == null) {
        leaving = new ArrayList<>(2);
      }
      leaving.add(batch);
    }
    return leaving == null ? List.of() : leaving;
  }

  private void run(List<List<Write>> leaving) {
    for (List<Write> batch : leaving) {
      batches.incrementAndGet();
      Future<Void> over;
      try {
        over = executor.apply(batch);
      } catch (RuntimeException e) {
        over = Future.failedFuture(e);
      }
      over.onComplete(ar -> batchOver(batch, ar.cause()));
    }
  }

  private void batchOver(List<Write> batch, Throwable failure) {
    for (Write w : batch) {
      if (!w.answered()) {
        w.fail(failure instanceof CovenantException ce ? ce : new CovenantException(ErrorCode.STORE_UNAVAILABLE,
            "write of gid " + w.gid() + " to " + storeName + " got no answer"
                + (failure == null ? "" : ": " + SqlTx.describe(failure)), w.gid(), failure));
      }
    }
    List<List<Write>> leaving;
    synchronized (lock) {
      inFlight--;
      leaving = takeBatches();
    }
    run(leaving);
    checkDrained();
  }

  /**
   * Refuses new writes with {@code STORE_UNAVAILABLE}; writes already submitted (and those waiting
   * on an earlier write of their gid) still go out.
   *
   * @return completes once every submitted write has been answered
   */
  public Future<Void> close() {
    closed = true;
    checkDrained();
    return drained.future();
  }

  private void checkDrained() {
    if (!closed || !lastOfGid.isEmpty()) {
      return;
    }
    synchronized (lock) {
      if (inFlight > 0 || !queue.isEmpty()) {
        return;
      }
    }
    drained.tryComplete();
  }

  /** Batches sent so far (each one round trip and one commit). */
  public long batches() {
    return batches.get();
  }

  /** Writes submitted so far. */
  public long writes() {
    return writes.get();
  }
}
