package io.covenant.coordinator.store;

import io.covenant.coordinator.core.GlobalTx;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where global transactions are kept. A returned future succeeds only once the change is durable
 * (for the journal: fsynced), which is what the engine's write-ahead rule relies on. Futures may
 * complete on any thread.
 *
 * <h2>Ownership</h2>
 * A store may be shared by several coordinators ({@link #isShared()}: the SQL stores). Then one
 * opened store is one coordinator's <em>term</em>: it has an epoch of its own, renews a lease with
 * {@link #heartbeat()}, and every transaction row names the term that owns it. The term that
 * creates a transaction owns it; {@link #update} is a compare-and-set on the version <em>and</em>
 * the owner, so once another term has adopted ({@link #adoptOrphans}) or taken over
 * ({@link #takeOver}) a transaction, the old owner's late writes fail with
 * {@code CONCURRENT_UPDATE} however current its version. A single-owner store (journal, memory)
 * owns everything: its defaults below are the trivial implementation.
 *
 * <p>Every implementation passes {@code TransactionStoreContract}.
 */
public interface TransactionStore {

  /**
   * Stores a new transaction.
   *
   * @return fails with {@code CovenantException(GID_CONFLICT)} if the gid is taken (even by a
   *     finished transaction still retained)
   */
  Future<Void> create(GlobalTx tx);

  /**
   * Replaces a transaction by compare-and-set: succeeds only if the stored version is
   * {@code expectedVersion}. This is what makes the decision a write-once compare-and-set.
   *
   * @return fails with {@code CovenantException(CONCURRENT_UPDATE)} when the stored version differs,
   *     or {@code TRANSACTION_NOT_FOUND} when there is none
   */
  Future<Void> update(GlobalTx next, long expectedVersion);

  /** The stored transaction, finished ones included while retained. */
  Future<Optional<GlobalTx>> find(String gid);

  /** Every transaction not yet finished that this coordinator owns, to resume at start. */
  Future<List<GlobalTx>> loadUnfinished();

  /** A page of transactions matching {@code query}, oldest first. */
  Future<TxPage> list(TxQuery query);

  /**
   * Forgets up to {@code max} finished transactions, oldest last update first: those last updated
   * before {@code finishedBefore}, and the oldest beyond the newest {@code keepAtMost} whatever
   * their age (a bound on what retention costs under load). Transactions last updated at the same
   * instant as the one at that bound may go with it.
   *
   * @return how many were forgotten
   */
  Future<Integer> purgeFinished(Instant finishedBefore, int keepAtMost, int max);

  /**
   * True when other coordinators may share this store, so that a transaction this coordinator
   * does not hold may change under it; false for the single-owner journal and memory stores.
   */
  default boolean isShared() {
    return false;
  }

  /**
   * Like {@link #update}, and makes this coordinator the owner: the write of a request for a
   * transaction that another coordinator owns (a load balancer sent it here). The compare-and-set
   * is on the version alone; the previous owner's next write then fails.
   */
  default Future<Void> takeOver(GlobalTx next, long expectedVersion) {
    return update(next, expectedVersion);
  }

  /**
   * The stored transaction if it is unfinished and this coordinator owns it: what to resume after
   * a write whose outcome is unknown. Empty when it is finished, gone, or another coordinator's.
   */
  default Future<Optional<GlobalTx>> findOwned(String gid) {
    return find(gid).map(found -> found.filter(tx -> !tx.status().isFinished()));
  }

  /**
   * Renews this coordinator's lease.
   *
   * @return true while the term is alive; false when its lease had already expired: every
   *     transaction of the term is an orphan that any coordinator (this one included) may adopt.
   *     The caller must then stop driving the transactions it holds and call again, which begins
   *     a new term (a new epoch) and returns true. The store goes on writing as the expired term
   *     until then, so nothing written before the caller let go can belong to the new term. Fails
   *     with {@code STORE_UNAVAILABLE} when the store cannot be reached (the lease then runs on).
   */
  default Future<Boolean> heartbeat() {
    return Future.succeededFuture(true);
  }

  /**
   * Makes this coordinator the owner of up to {@code max} unfinished transactions whose owner's
   * lease has expired, in one short database transaction that skips rows another coordinator is
   * writing or adopting. From then on the previous owner's writes to them fail.
   *
   * @return the adopted transactions, as stored; fewer than {@code max} when no more are waiting
   */
  default Future<List<GlobalTx>> adoptOrphans(int max) {
    return Future.succeededFuture(List.of());
  }

  /**
   * Ends this coordinator's term, as a graceful stop does once its writes are durable: its
   * unfinished transactions become orphans that other coordinators adopt at their next heartbeat
   * instead of after the lease expires. A crash does not resign: its lease expires. A no-op for a
   * single-owner store.
   */
  default Future<Void> resign() {
    return Future.succeededFuture();
  }

  /** Releases files and connections; pending writes complete first. */
  Future<Void> close();
}
