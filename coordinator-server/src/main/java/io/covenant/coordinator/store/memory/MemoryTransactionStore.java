package io.covenant.coordinator.store.memory;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.store.InMemoryIndex;
import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.store.TxPage;
import io.covenant.coordinator.store.TxQuery;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Keeps transactions in memory only: for tests and simulation. Everything is lost on exit. */
public final class MemoryTransactionStore implements TransactionStore {
  private final InMemoryIndex index = new InMemoryIndex();

  @Override
  public Future<Void> create(GlobalTx tx) {
    try {
      index.create(tx);
      return Future.succeededFuture();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Void> update(GlobalTx next, long expectedVersion) {
    try {
      index.update(next, expectedVersion);
      return Future.succeededFuture();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Optional<GlobalTx>> find(String gid) {
    return Future.succeededFuture(index.find(gid));
  }

  @Override
  public Future<List<GlobalTx>> loadUnfinished() {
    return Future.succeededFuture(index.unfinished());
  }

  @Override
  public Future<TxPage> list(TxQuery query) {
    try {
      return Future.succeededFuture(index.list(query));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Integer> purgeFinished(Instant finishedBefore, int keepAtMost, int max) {
    return Future.succeededFuture(index.removeFinished(finishedBefore, keepAtMost, max).size());
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }
}
