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

  /** Every transaction not yet finished, to resume at start. */
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

  /** Releases files and connections; pending writes complete first. */
  Future<Void> close();
}
