package io.covenant.coordinator.sim;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.store.TxPage;
import io.covenant.coordinator.store.TxQuery;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A simulated store with an explicit fsync: writes are accepted (and compare-and-set checked)
 * at once, but become durable, and their futures complete, only at the next {@link #sync}. A
 * {@link #crash} in the middle of an fsync keeps the writes that reached the disk before it, in
 * order, without acknowledging them; the next one is torn (dropped at the next start, as the
 * journal drops a torn last record) and the rest are lost: exactly what a process killed between
 * write and fsync sees.
 */
final class SimStore implements TransactionStore {
  private record Pending(GlobalTx tx, Promise<Void> promise) {}

  private final Map<String, GlobalTx> durable = new HashMap<>();
  private Map<String, GlobalTx> accepted = new HashMap<>();
  private final List<Pending> unsynced = new ArrayList<>();
  private final SimWorld world;

  SimStore(SimWorld world) {
    this.world = world;
  }

  Map<String, GlobalTx> durable() {
    return durable;
  }

  int unsyncedCount() {
    return unsynced.size();
  }

  /** Makes every accepted write durable, in order, then completes their futures. */
  void sync() {
    List<Pending> batch = new ArrayList<>(unsynced);
    unsynced.clear();
    for (Pending p : batch) {
      reachDisk(p.tx());
      p.promise().complete();
    }
  }

  /** Kills the process mid-fsync: the first {@code reachedDisk} unsynced writes are durable, unacknowledged. */
  void crash(int reachedDisk) {
    for (int i = 0; i < reachedDisk; i++) {
      reachDisk(unsynced.get(i).tx());
    }
    unsynced.clear();
    accepted = new HashMap<>(durable);
  }

  private void reachDisk(GlobalTx tx) {
    durable.put(tx.gid(), tx);
    world.onDurable(tx);
  }

  private Future<Void> accept(GlobalTx tx) {
    accepted.put(tx.gid(), tx);
    Promise<Void> promise = Promise.promise();
    unsynced.add(new Pending(tx, promise));
    world.requestSync();
    return promise.future();
  }

  @Override
  public Future<Void> create(GlobalTx tx) {
    if (accepted.containsKey(tx.gid())) {
      return Future.failedFuture(new CovenantException(ErrorCode.GID_CONFLICT, "gid " + tx.gid() + " is taken", tx.gid()));
    }
    return accept(tx);
  }

  @Override
  public Future<Void> update(GlobalTx next, long expectedVersion) {
    GlobalTx current = accepted.get(next.gid());
    if (current == null) {
      return Future.failedFuture(new CovenantException(ErrorCode.TRANSACTION_NOT_FOUND, next.gid(), next.gid()));
    }
    if (current.version() != expectedVersion) {
      return Future.failedFuture(new CovenantException(ErrorCode.CONCURRENT_UPDATE,
          "gid " + next.gid() + " is at " + current.version() + ", expected " + expectedVersion, next.gid()));
    }
    return accept(next);
  }

  @Override
  public Future<Optional<GlobalTx>> find(String gid) {
    return Future.succeededFuture(Optional.ofNullable(durable.get(gid)));
  }

  @Override
  public Future<List<GlobalTx>> loadUnfinished() {
    List<GlobalTx> result = new ArrayList<>();
    for (GlobalTx tx : durable.values()) {
      if (!tx.status().isFinished()) {
        result.add(tx);
      }
    }
    result.sort((a, b) -> a.gid().compareTo(b.gid())); // deterministic replay order
    return Future.succeededFuture(result);
  }

  @Override
  public Future<TxPage> list(TxQuery query) {
    return Future.failedFuture(new UnsupportedOperationException("not simulated"));
  }

  @Override
  public Future<Integer> purgeFinished(Instant finishedBefore, int keepAtMost, int max) {
    return Future.succeededFuture(0);
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }
}
