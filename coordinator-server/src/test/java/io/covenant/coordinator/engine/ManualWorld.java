package io.covenant.coordinator.engine;

import io.covenant.coordinator.core.Call;
import io.covenant.coordinator.core.Core;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.core.RetryPolicy;
import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.store.TxPage;
import io.covenant.coordinator.store.TxQuery;
import io.covenant.coordinator.store.memory.MemoryTransactionStore;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * A single-threaded, hand-driven world for engine tests: a manual clock and scheduler, a store
 * whose writes become durable only when the test says so, and a transport whose calls the test
 * answers. Nothing runs unless the test advances it, so every interleaving is explicit.
 */
final class ManualWorld {
  Instant now = Instant.parse("2026-01-01T00:00:00Z");
  private long seq;
  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  final HeldStore store = new HeldStore();
  final ManualTransport transport = new ManualTransport();
  final Random random = new Random(7);

  private final class Task implements Comparable<Task> {
    final Instant at;
    final long order = seq++;
    final Runnable run;
    boolean cancelled;

    Task(Instant at, Runnable run) {
      this.at = at;
      this.run = run;
    }

    @Override
    public int compareTo(Task o) {
      int c = at.compareTo(o.at);
      return c != 0 ? c : Long.compare(order, o.order);
    }
  }

  final Scheduler scheduler = new Scheduler() {
    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      Task t = new Task(now.plus(delay), task);
      tasks.add(t);
      return () -> t.cancelled = true;
    }

    @Override
    public void execute(Runnable task) {
      tasks.add(new Task(now, task));
    }
  };

  Engine engine(int callsInFlightMax) {
    Core core = new Core(new Core.Policy(new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(5)), 50, 3));
    Entropy entropy = new Entropy() {
      int n;

      @Override
      public String newGid() {
        return "gid-" + (++n);
      }

      @Override
      public double nextDouble() {
        return random.nextDouble();
      }
    };
    return new Engine(core, new EngineSettings(Duration.ofSeconds(30), null, Duration.ofDays(1), callsInFlightMax),
        () -> now, scheduler, store, transport, entropy, new SimpleMeterRegistry());
  }

  /** Runs every task due now, and those they schedule for now. */
  void run() {
    while (!tasks.isEmpty() && !tasks.peek().at.isAfter(now)) {
      Task t = tasks.poll();
      if (!t.cancelled) {
        t.run.run();
      }
    }
  }

  void advance(Duration d) {
    Instant end = now.plus(d);
    while (!tasks.isEmpty() && !tasks.peek().at.isAfter(end)) {
      Task t = tasks.poll();
      now = t.at;
      if (!t.cancelled) {
        t.run.run();
      }
    }
    now = end;
    run();
  }

  /** Makes every pending write durable (in order) and runs what follows, until no write is pending. */
  void flush() {
    run();
    while (store.pendingWrites() > 0) {
      store.flush();
      run();
    }
  }

  <T> T result(Future<T> f) {
    run();
    if (!f.isComplete()) {
      throw new AssertionError("future not complete");
    }
    if (f.failed()) {
      throw new AssertionError("future failed", f.cause());
    }
    return f.result();
  }

  /** A memory store whose writes are held until {@link #flush}, and can be told to fail. */
  static final class HeldStore implements TransactionStore {
    final MemoryTransactionStore durable = new MemoryTransactionStore();
    private final ArrayDeque<Runnable> pending = new ArrayDeque<>();
    boolean failNextWrite;

    int pendingWrites() {
      return pending.size();
    }

    void flush() {
      while (!pending.isEmpty()) {
        pending.poll().run();
      }
    }

    private Future<Void> held(java.util.function.Supplier<Future<Void>> write) {
      Promise<Void> p = Promise.promise();
      if (failNextWrite) {
        failNextWrite = false;
        pending.add(() -> p.fail(new CovenantException(ErrorCode.STORE_UNAVAILABLE, "disk on fire")));
      } else {
        pending.add(() -> write.get().onComplete(p));
      }
      return p.future();
    }

    // A shared store in miniature, when `shared`: gids in `lost` belong to another coordinator
    // (adopted or taken over), so this one's writes to them are refused as fenced; `leaseExpired`
    // makes the next heartbeat report the lease gone; `orphans` is what the next adoption returns.
    boolean shared;
    final java.util.Set<String> lost = new java.util.HashSet<>();
    boolean leaseExpired;
    final List<String> ownershipLog = new ArrayList<>();
    final List<GlobalTx> orphans = new ArrayList<>();

    @Override
    public boolean isShared() {
      return shared;
    }

    @Override
    public Future<Void> create(GlobalTx tx) {
      return held(() -> durable.create(tx));
    }

    @Override
    public Future<Void> update(GlobalTx next, long expectedVersion) {
      if (lost.contains(next.gid())) {
        return held(() -> Future.failedFuture(new CovenantException(ErrorCode.CONCURRENT_UPDATE,
            "gid " + next.gid() + " is owned by another coordinator", next.gid())));
      }
      return held(() -> durable.update(next, expectedVersion));
    }

    @Override
    public Future<Void> takeOver(GlobalTx next, long expectedVersion) {
      lost.remove(next.gid());
      return held(() -> durable.update(next, expectedVersion));
    }

    @Override
    public Future<Optional<GlobalTx>> findOwned(String gid) {
      return lost.contains(gid) ? Future.succeededFuture(Optional.empty()) : TransactionStore.super.findOwned(gid);
    }

    @Override
    public Future<Boolean> heartbeat() {
      boolean alive = !leaseExpired;
      leaseExpired = false;
      ownershipLog.add("heartbeat:" + alive);
      return Future.succeededFuture(alive);
    }

    @Override
    public Future<List<GlobalTx>> adoptOrphans(int max) {
      List<GlobalTx> adopted = List.copyOf(orphans);
      orphans.clear();
      ownershipLog.add("adopt:" + adopted.size());
      return Future.succeededFuture(adopted);
    }

    @Override
    public Future<Optional<GlobalTx>> find(String gid) {
      return durable.find(gid);
    }

    @Override
    public Future<List<GlobalTx>> loadUnfinished() {
      return durable.loadUnfinished();
    }

    @Override
    public Future<TxPage> list(TxQuery query) {
      return durable.list(query);
    }

    @Override
    public Future<Integer> purgeFinished(Instant finishedBefore, int keepAtMost, int max) {
      return durable.purgeFinished(finishedBefore, keepAtMost, max);
    }

    @Override
    public Future<Void> close() {
      return Future.succeededFuture();
    }
  }

  /** Records calls; the test answers them. */
  static final class ManualTransport implements ParticipantTransport {
    record Pending(Call call, Promise<CallResult> answer) {}

    final List<Pending> inFlight = new ArrayList<>();
    final List<Call> all = new ArrayList<>();

    @Override
    public Future<CallResult> call(Call call) {
      Promise<CallResult> p = Promise.promise();
      inFlight.add(new Pending(call, p));
      all.add(call);
      return p.future();
    }

    List<String> inFlightOps() {
      return inFlight.stream().map(p -> p.call().branchId() + ":" + p.call().op().code()).toList();
    }

    /** Answers the oldest call in flight for {@code branchId}. */
    void answer(String branchId, CallResult result) {
      for (Pending p : inFlight) {
        if (p.call().branchId().equals(branchId)) {
          inFlight.remove(p);
          p.answer().complete(result);
          return;
        }
      }
      throw new AssertionError("no call in flight for " + branchId + "; in flight: " + inFlightOps());
    }
  }
}
