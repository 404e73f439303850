package io.covenant.coordinator.sim;

import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.Call;
import io.covenant.coordinator.core.Core;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.core.RetryPolicy;
import io.covenant.coordinator.engine.CallResult;
import io.covenant.coordinator.engine.Engine;
import io.covenant.coordinator.engine.EngineSettings;
import io.covenant.coordinator.engine.Entropy;
import io.covenant.coordinator.engine.Scheduler;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.SagaRecovery;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * A deterministic simulation of one coordinator: the real {@link Core} and {@link Engine}, driven
 * by one queue of events in simulated time, over a simulated store (fsync as an event; a crash
 * loses unsynced writes), a simulated network (dropped requests and answers, duplicates, delays,
 * 503s) and simulated participants that keep the branch barrier's rules. The seed chooses the
 * workload, the faults and the crash times; one seed always replays the same run.
 *
 * <p>Checked after every event: the core's transition table (inside {@code Core.on}), a durable
 * decision never changes, no branch receives both sides of a decision. Checked at the end, after
 * faults stop: every transaction ended, each as every acknowledged request said, and every
 * participant's effects match the decision.
 */
final class SimWorld {
  static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  final long seed;
  final Random random;
  Instant now = EPOCH;
  private long order;
  private int incarnation;
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  final SimStore store = new SimStore(this);
  final SimParticipants participants = new SimParticipants();
  final Map<String, Boolean> decisions = new HashMap<>();        // gid -> commit? (first durable decision)
  final Map<String, GlobalStatus> acknowledged = new HashMap<>(); // gid -> what a client was told
  final List<String> violations = new ArrayList<>();
  private boolean syncRequested;
  boolean faults = true;
  /** How far the coordinator's clock is off simulated time; jumps both ways while faults are on. */
  Duration clockOffset = Duration.ZERO;
  /** Participant hosts cut off from the coordinator until the given time. */
  final Map<String, Instant> partitionedUntil = new HashMap<>();
  Engine engine;
  int events;
  int crashes;

  /** A queued event; engine-owned tasks die with the incarnation that scheduled them. */
  private final class Task implements Comparable<Task> {
    final Instant at;
    final long seq = order++;
    final int owner;
    final Runnable run;
    boolean cancelled;

    Task(Instant at, int owner, Runnable run) {
      this.at = at;
      this.owner = owner;
      this.run = run;
    }

    @Override
    public int compareTo(Task o) {
      int c = at.compareTo(o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  SimWorld(long seed) {
    this.seed = seed;
    this.random = new Random(seed);
  }

  /** Schedules a world event (network, participants, clients): it survives coordinator crashes. */
  void at(Duration delay, Runnable run) {
    queue.add(new Task(now.plus(delay), -1, run));
  }

  private final Scheduler scheduler = new Scheduler() {
    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      Task t = new Task(now.plus(delay), incarnation, task);
      queue.add(t);
      return () -> t.cancelled = true;
    }

    @Override
    public void execute(Runnable task) {
      queue.add(new Task(now, incarnation, task));
    }
  };

  /** The simulated network between the coordinator and the participants. */
  private Future<CallResult> call(Call call) {
    Promise<CallResult> answer = Promise.promise();
    int caller = incarnation;
    Duration timeout = Duration.ofSeconds(2);
    int fault = faults ? random.nextInt(100) : 99;
    Duration there = latency();
    Instant cutOff = partitionedUntil.get(java.net.URI.create(call.url()).getHost());
    if (faults && cutOff != null && cutOff.isAfter(now)) {  // partitioned: the connection times out
      at(timeout, () -> complete(caller, answer, CallResult.failed("timed out (partition)")));
    } else if (fault < 4) {                                 // request lost
      at(timeout, () -> complete(caller, answer, CallResult.failed("timed out")));
    } else if (fault < 8) {                                 // participant down: 503
      at(there.plus(latency()), () -> complete(caller, answer, CallResult.failed("503")));
    } else {
      at(there, () -> {
        SimParticipants.Answer delivered = deliver(call);
        int status = delivered.status();
        if (fault < 12) {                                   // answer lost after the effect
          at(timeout, () -> complete(caller, answer, CallResult.failed("timed out")));
        } else {
          if (fault < 15) {                                 // duplicated request
            at(latency(), () -> deliver(call));
          }
          at(latency(), () -> complete(caller, answer, status == 200 ? CallResult.succeeded(delivered.body())
              : status == 409 ? CallResult.refused("409") : CallResult.failed(String.valueOf(status))));
        }
      });
    }
    return answer.future();
  }

  private SimParticipants.Answer deliver(Call call) {
    GlobalTx tx = store.durable().get(call.gid());
    boolean saga = tx != null && tx.mode() == Mode.SAGA;
    return participants.handle(call.gid(), call.branchId(), call.op(), saga, call.body());
  }

  /** Answers reach only the coordinator incarnation that made the call. */
  private void complete(int caller, Promise<CallResult> answer, CallResult result) {
    if (caller == incarnation) {
      answer.complete(result);
    }
  }

  private Duration latency() {
    return Duration.ofMillis(1 + random.nextInt(faults ? 200 : 20));
  }

  void requestSync() {
    if (!syncRequested) {
      syncRequested = true;
      queue.add(new Task(now.plusMillis(1 + random.nextInt(3)), -1, () -> {
        syncRequested = false;
        store.sync();
      }));
    }
  }

  /** Called for every record as it becomes durable: a decision, once durable, never changes. */
  void onDurable(GlobalTx tx) {
    if (tx.status().isDecided()) {
      Boolean before = decisions.putIfAbsent(tx.gid(), tx.status().isCommit());
      if (before != null && before != tx.status().isCommit()) {
        violations.add("gid " + tx.gid() + " decision changed to " + tx.status());
      }
    }
  }

  void startEngine() {
    Core core = new Core(new Core.Policy(new RetryPolicy(Duration.ofMillis(50), Duration.ofSeconds(2)), 20, 5));
    Entropy entropy = new Entropy() {
      @Override
      public String newGid() {
        return "g" + random.nextInt(1_000_000);
      }

      @Override
      public double nextDouble() {
        return random.nextDouble();
      }
    };
    engine = new Engine(core, new EngineSettings(Duration.ofSeconds(30), null, Duration.ofDays(1), 8),
        () -> now.plus(clockOffset), scheduler, store, this::call, entropy, new SimpleMeterRegistry());
    engine.start();
  }

  /**
   * Kills the coordinator: its timers and pending answers vanish; of the writes not yet synced, a
   * prefix (chosen by the seed) reached the disk unacknowledged and the rest are lost.
   */
  void crash(Duration downFor) {
    crashes++;
    incarnation++;
    store.crash(random.nextInt(store.unsyncedCount() + 1));
    syncRequested = false;
    engine = null;
    int restartOf = incarnation;
    at(downFor, () -> {
      if (restartOf == incarnation) { // a crash while down restarts once, after the later crash
        startEngine();
      }
    });
  }

  /** Runs a client request on the current coordinator; null if it is down. */
  <T> Future<T> client(java.util.function.Function<Engine, Future<T>> request) {
    if (engine == null) {
      return Future.failedFuture("coordinator is down");
    }
    return request.apply(engine);
  }

  void runUntil(Instant end) {
    while (!queue.isEmpty() && !queue.peek().at.isAfter(end)) {
      Task t = queue.poll();
      now = t.at;
      if (t.cancelled || (t.owner >= 0 && t.owner != incarnation)) {
        continue;
      }
      events++;
      t.run.run();
      violations.addAll(participants.violations);
      participants.violations.clear();
      if (!violations.isEmpty()) {
        throw new AssertionError("seed " + seed + " at " + now + ": " + violations);
      }
    }
    now = end.isAfter(now) ? end : now;
  }

  /** Schedules partitions of participant hosts and jumps of the coordinator's clock within {@code window}. */
  void chaos(Duration window) {
    for (int i = 0; i < 3; i++) {
      String host = "p" + random.nextInt(3) + ".sim";
      Duration from = Duration.ofMillis(random.nextInt((int) window.toMillis()));
      Duration length = Duration.ofMillis(500 + random.nextInt(5_000));
      at(from, () -> partitionedUntil.put(host, now.plus(length)));
    }
    for (int i = 0; i < 2; i++) {
      Duration when = Duration.ofMillis(random.nextInt((int) window.toMillis()));
      Duration jump = Duration.ofMillis(random.nextInt(10_000) - 5_000);
      at(when, () -> clockOffset = clockOffset.plus(jump));
    }
  }

  // --- the workload ---------------------------------------------------------------------------

  /** Starts {@code count} transactions of every mode at random times within {@code window}. */
  void workload(int count, Duration window) {
    for (int i = 0; i < count; i++) {
      String gid = "tx-" + i;
      Duration start = Duration.ofMillis(random.nextInt((int) window.toMillis()));
      switch (random.nextInt(3)) {
        case 0 -> at(start, () -> tcc(gid, Mode.TCC));
        case 1 -> at(start, () -> tcc(gid, Mode.TWO_PHASE));
        default -> at(start, () -> saga(gid));
      }
    }
  }

  /** A TCC or 2PC initiator: begin, register and try each branch, then commit, roll back or vanish. */
  private void tcc(String gid, Mode mode) {
    int branches = 1 + random.nextInt(3);
    int ending = random.nextInt(10); // 0: vanish (timeout), 1: roll back, else commit if every try succeeded
    if (random.nextInt(8) == 0) {
      participants.refusing.add(gid + "/b" + random.nextInt(branches));
    }
    client(e -> e.begin(gid, mode, Duration.ofSeconds(5 + random.nextInt(20))))
        .onSuccess(tx -> registerNext(gid, mode, 0, branches, ending, true));
  }

  private void registerNext(String gid, Mode mode, int i, int branches, int ending, boolean allTried) {
    if (i == branches) {
      if (ending == 0) {
        return; // the client vanished; the coordinator must roll back at the deadline
      }
      boolean commit = allTried && ending > 1;
      at(latency(), () -> client(e -> commit ? e.commit(gid) : e.rollback(gid, "client"))
          .onSuccess(tx -> acknowledged.put(gid, commit ? GlobalStatus.COMMITTED : GlobalStatus.ROLLED_BACK)));
      return;
    }
    String branch = "b" + i;
    String base = "http://p" + random.nextInt(3) + ".sim/" + branch;
    Branch b = Branch.registered(branch, base + "/forward", base + "/backward", "{\"i\":" + i + "}");
    at(latency(), () -> client(e -> e.register(gid, b)).onSuccess(tx -> {
      // TCC: registered before the try; 2PC: the participant prepared before registering.
      boolean tried = participants.tryBranch(gid, branch);
      registerNext(gid, mode, i + 1, branches, ending, allTried && tried);
    }));
  }

  /**
   * A saga of 1-4 steps, sequential or fanning out, sometimes with a step that refuses, sometimes
   * with a pivot (no compensation; only forward once it succeeded), sometimes in forward recovery.
   */
  private void saga(String gid) {
    int n = 1 + random.nextInt(4);
    boolean fanOut = random.nextBoolean();
    SagaRecovery recovery = random.nextInt(6) == 0 ? SagaRecovery.FORWARD : SagaRecovery.COMPENSATE;
    int pivot = random.nextInt(3) == 0 ? n - 1 : -1; // the last step: every other step precedes it
    List<Branch> steps = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<String> deps = i == 0 ? List.of() : fanOut && i < n - 1 ? List.of("s0") : List.of("s" + (i - 1));
      if (i == pivot && fanOut && n > 2) {
        List<String> all = new ArrayList<>();
        for (int j = 1; j < n - 1; j++) {
          all.add("s" + j);
        }
        deps = all;
      }
      String base = "http://p" + random.nextInt(3) + ".sim/s" + i;
      String compensation = i == pivot || recovery == SagaRecovery.FORWARD ? null : base + "/compensate";
      // Every later step passes on a value from its first dependency's answer (issue #5).
      String payload = deps.isEmpty() ? null : "{\"from\":{\"$from\":\"" + deps.get(0) + "\",\"pointer\":\"/v\"}}";
      steps.add(Branch.step("s" + i, base + "/action", compensation, payload, deps, i == pivot, 3, null));
    }
    if (random.nextInt(4) == 0 && recovery == SagaRecovery.COMPENSATE) {
      participants.refusing.add(gid + "/s" + random.nextInt(n));
    }
    client(e -> e.submitSaga(gid, steps, recovery, Duration.ofSeconds(60)))
        .onSuccess(tx -> acknowledged.putIfAbsent(gid, GlobalStatus.ACTIVE));
  }

  // --- the checks after healing ----------------------------------------------------------------

  /**
   * Data passing: every action call of a step that refers to its dependency's answer carried the
   * value of the answer that is durable in the end, however often the coordinator crashed, lost
   * unsynced writes or repeated the call. A value from an answer that was not yet durable (a broken
   * write ahead) would differ, because each applied action answers with a new number.
   */
  private void passedOn(GlobalTx tx, Branch b, List<String> problems) {
    if (tx.mode() != Mode.SAGA || b.payload() == null || b.dependsOn().isEmpty()) {
      return;
    }
    java.util.Set<String> bodies = participants.actionBodies.getOrDefault(tx.gid() + "/" + b.id(), java.util.Set.of());
    if (bodies.isEmpty()) {
      return;
    }
    String from = b.dependsOn().get(0);
    String result = tx.findBranch(from).map(Branch::result).orElse(null);
    if (result == null) {
      problems.add(tx.gid() + "/" + b.id() + " was sent " + bodies + " but step " + from + " has no durable result");
      return;
    }
    String expected = "{\"from\":" + result.substring(result.indexOf(':') + 1, result.length() - 1) + "}";
    if (!bodies.equals(java.util.Set.of(expected))) {
      problems.add(tx.gid() + "/" + b.id() + " was sent " + bodies + " but the durable result of " + from + " is " + result);
    }
  }

  void assertAllEndedConsistently() {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, GlobalStatus> ack : acknowledged.entrySet()) {
      GlobalTx tx = store.durable().get(ack.getKey());
      if (tx == null) {
        problems.add(ack.getKey() + " was acknowledged but is not stored");
      } else if (ack.getValue().isFinished() && tx.status() != ack.getValue()) {
        problems.add(ack.getKey() + " was acknowledged " + ack.getValue() + " but ended " + tx.status());
      }
    }
    for (GlobalTx tx : store.durable().values()) {
      if (!tx.status().isFinished()) {
        problems.add(tx.gid() + " never ended: " + tx);
        continue;
      }
      boolean commit = tx.status() == GlobalStatus.COMMITTED;
      for (Branch b : tx.branches()) {
        SimParticipants.BranchState s = participants.state(tx.gid(), b.id());
        boolean applied = tx.mode() == Mode.SAGA ? s.forward && !s.effectUndone : s.forward;
        if (commit && (!s.forward || s.backward)) {
          problems.add(tx.gid() + "/" + b.id() + " committed but the participant saw forward=" + s.forward + " backward=" + s.backward);
        }
        if (!commit && applied) {
          problems.add(tx.gid() + "/" + b.id() + " rolled back but its effect remains: " + tx);
        }
        if (!commit && tx.mode() != Mode.SAGA && !s.backward) {
          problems.add(tx.gid() + "/" + b.id() + " rolled back but never cancelled");
        }
        passedOn(tx, b, problems);
      }
    }
    if (!problems.isEmpty()) {
      throw new AssertionError("seed " + seed + ": " + problems.size() + " problems, first: " + problems.subList(0, Math.min(5, problems.size())));
    }
  }
}
