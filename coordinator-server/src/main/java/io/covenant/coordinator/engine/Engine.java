package io.covenant.coordinator.engine;

import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.Call;
import io.covenant.coordinator.core.Core;
import io.covenant.coordinator.core.Event;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.core.Outcome;
import io.covenant.coordinator.core.Plan;
import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.store.TxPage;
import io.covenant.coordinator.store.TxQuery;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.Mode;
import io.covenant.protocol.SagaRecovery;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives global transactions to their end. Requests become core events; every change the core
 * makes is written to the store, and only once it is durable is anyone told (the client's reply)
 * or anything done (participant calls): write ahead.
 *
 * <p>The engine keeps every unfinished transaction in memory ("live"), with two states: the newest
 * one ({@code tx}, which new events apply to) and the newest durable one ({@code durable}, which
 * calls are planned from). Writes of one transaction are chained, so they reach the store in
 * order; writes of different transactions overlap, so a journal store can put many of them in one
 * fsync. Each branch has its own retry schedule, calls to one participant are capped by
 * {@link ParticipantLimiter}, and the branches of one transaction are called in parallel.
 *
 * <p>Threading: not thread-safe. Every public method must be called on the engine thread (the
 * thread {@link Scheduler} runs tasks on), and every returned future completes there.
 *
 * <p>Hazard: if a write fails, the memory state may be ahead of the store. The transaction is then
 * evicted and reloaded from the store, which is the truth; its in-flight answers are dropped and
 * their calls repeated later (participants are idempotent).
 *
 * <h2>Several coordinators on one store</h2>
 * With a shared store ({@link TransactionStore#isShared()}) the engine holds only the transactions
 * its store term owns: those it began, and those it adopted from a coordinator whose lease expired
 * ({@link #keepOwnership()}, every heartbeat interval). Its writes are compare-and-sets on version
 * and owner, so when another coordinator has adopted or taken over a transaction, the next write
 * fails; the transaction is evicted and, not being this engine's any more, dropped: the other
 * coordinator drives it. A request for a transaction this engine does not hold (a load balancer
 * sent it here) is applied to the stored state and written as a take-over
 * ({@link TransactionStore#takeOver}), so this engine drives phase 2 of a decision it wrote; when
 * another coordinator wrote first, the request is applied again to the newer state (at most
 * {@value #REQUEST_ATTEMPTS_MAX} times). The decision stays a compare-and-set on the version: two
 * coordinators can never both decide one transaction. When the lease had expired (a long pause,
 * a database outage longer than the expiry), the engine drops everything it holds and adopts what
 * is orphaned, as any other coordinator would.
 */
public final class Engine {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);
  private static final Duration RELOAD_DELAY = Duration.ofSeconds(1);
  private static final Duration RELOAD_DELAY_MAX = Duration.ofSeconds(10);
  /** Orphaned transactions adopted per store call; a full batch is followed by another at once. */
  static final int ADOPT_BATCH = 100;
  /** Attempts of a client's request against a transaction that other coordinators keep changing. */
  static final int REQUEST_ATTEMPTS_MAX = 5;

  private final Core core;
  private final EngineSettings settings;
  private final Clock clock;
  private final Scheduler scheduler;
  private final TransactionStore store;
  private final ParticipantTransport transport;
  private final Entropy entropy;
  private final EngineMetrics metrics;
  private final ParticipantLimiter limiter;
  private final Map<String, Live> live = new HashMap<>();
  private boolean stopping;

  /** An unfinished transaction. */
  private static final class Live {
    GlobalTx tx;
    GlobalTx durable;
    Future<Void> tail;
    final Set<String> inFlight = new HashSet<>();
    Scheduler.Cancellable timer;
    Instant timerAt;

    Live(GlobalTx tx, GlobalTx durable, Future<Void> tail) {
      this.tx = tx;
      this.durable = durable;
      this.tail = tail;
    }
  }

  public Engine(Core core, EngineSettings settings, Clock clock, Scheduler scheduler, TransactionStore store,
      ParticipantTransport transport, Entropy entropy, MeterRegistry registry) {
    this.core = Objects.requireNonNull(core, "core");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.store = Objects.requireNonNull(store, "store");
    this.transport = Objects.requireNonNull(transport, "transport");
    this.entropy = Objects.requireNonNull(entropy, "entropy");
    this.limiter = new ParticipantLimiter(settings.participantCallsInFlightMax());
    // Gauges read engine state: scrape them on the engine thread (the HTTP verticle shares its context).
    this.metrics = new EngineMetrics(registry);
  }

  public Core core() {
    return core;
  }

  /**
   * Loads every unfinished transaction this coordinator owns and resumes driving it; with a
   * shared store, then adopts every orphaned one (whose owner's lease expired).
   */
  public Future<Void> start() {
    return onEngine(store.loadUnfinished()).compose(unfinished -> {
      List<Live> resumed = new ArrayList<>(unfinished.size());
      for (GlobalTx tx : unfinished) {
        if (live.containsKey(tx.gid())) {
          continue; // a request reached it while the store was loading, and it was adopted then
        }
        Live l = new Live(tx, tx, Future.succeededFuture());
        live.put(tx.gid(), l);
        resumed.add(l);
      }
      resumed.forEach(this::drive);
      log.atInfo().addKeyValue("transactions", unfinished.size()).log("resumed unfinished transactions");
      return adoptOrphans(0).mapEmpty();
    });
  }

  /**
   * With a shared store: renews this coordinator's lease, then adopts orphaned transactions in
   * batches and drives them. When the lease had expired, first drops every transaction it holds
   * (other coordinators may be driving them already). A no-op with a single-owner store.
   *
   * @return how many transactions were adopted; fails with {@code STORE_UNAVAILABLE} when the
   *     store cannot be reached (call again at the next interval)
   */
  public Future<Integer> keepOwnership() {
    if (stopping || !store.isShared()) {
      return Future.succeededFuture(0);
    }
    return onEngine(store.heartbeat()).compose(alive -> {
      if (alive) {
        return adoptOrphans(0);
      }
      dropAll(); // before the store begins a new term: nothing held now can come to belong to it
      return onEngine(store.heartbeat()).compose(renewed -> adoptOrphans(0));
    });
  }

  /** The lease expired: stop driving everything; the store has begun a new term. */
  private void dropAll() {
    log.atWarn().addKeyValue("transactions", live.size())
        .log("lease expired: dropping every transaction held; the orphans are adopted again");
    for (Live l : live.values()) {
      cancelTimer(l);
    }
    metrics.lost(live.size());
    live.clear();
  }

  private Future<Integer> adoptOrphans(int adoptedSoFar) {
    if (stopping || !store.isShared()) {
      return Future.succeededFuture(adoptedSoFar);
    }
    return onEngine(store.adoptOrphans(ADOPT_BATCH)).compose(adopted -> {
      for (GlobalTx tx : adopted) {
        hold(tx);
      }
      metrics.adopted(adopted.size());
      if (!adopted.isEmpty()) {
        log.atInfo().addKeyValue("transactions", adopted.size()).log("adopted transactions whose coordinator's lease expired");
      }
      return adopted.size() >= ADOPT_BATCH ? adoptOrphans(adoptedSoFar + adopted.size())
          : Future.succeededFuture(adoptedSoFar + adopted.size());
    });
  }

  /** Drives a durable state this engine now owns, replacing an older one it may hold. */
  private void hold(GlobalTx durable) {
    Live existing = live.get(durable.gid());
    if (existing != null) {
      if (existing.durable != null && existing.durable.version() > durable.version()) {
        return;
      }
      cancelTimer(existing);
      live.remove(durable.gid());
    }
    Live l = new Live(durable, durable, Future.succeededFuture());
    live.put(durable.gid(), l);
    onDurable(l, durable);
  }

  /**
   * Stops taking requests and driving transactions; completes when pending writes are durable and,
   * with a shared store, this coordinator has resigned its term so that the others adopt its
   * unfinished transactions at once (a failure to resign only delays that until its lease expires).
   */
  public Future<Void> stop() {
    stopping = true;
    List<Future<Void>> tails = new ArrayList<>();
    for (Live l : live.values()) {
      cancelTimer(l);
      tails.add(l.tail.otherwiseEmpty());
    }
    return Future.join(tails).transform(ar -> store.resign().otherwise(e -> {
      log.atWarn().setCause(e).log("could not resign; the other coordinators adopt this one's transactions when its lease expires");
      return null;
    }));
  }

  /**
   * Begins a TCC or 2PC transaction. With a gid this is idempotent: the same gid and mode give
   * the existing transaction. Succeeds once the transaction is durable.
   *
   * @param gid null to generate one
   * @param timeout null for the default
   */
  public Future<GlobalTx> begin(String gid, Mode mode, Duration timeout) {
    Duration t = timeout == null ? settings.defaultTimeout() : timeout;
    CovenantException bad = timeoutError(t, gid);
    if (bad != null) {
      return Future.failedFuture(bad);
    }
    Instant now = clock.now();
    GlobalTx tx = core.begin(gid == null ? entropy.newGid() : gid, mode, now, now.plus(t));
    return create(tx, existing -> existing.mode() == mode);
  }

  /**
   * Submits a saga for the engine to run. With a gid this is idempotent: submitting the same steps
   * again gives the existing saga. Succeeds once the saga is durable; its steps start then.
   */
  public Future<GlobalTx> submitSaga(String gid, List<Branch> steps, SagaRecovery recovery, Duration timeout) {
    int max = core.policy().branchesPerTransactionMax();
    if (steps.size() > max) {
      return Future.failedFuture(new CovenantException(ErrorCode.LIMIT_EXCEEDED,
          "a saga may have at most " + max + " steps (limits.branchesPerTransactionMax), got " + steps.size(), gid));
    }
    String error = core.sagaDefinitionError(steps, recovery);
    if (error != null) {
      return Future.failedFuture(new CovenantException(ErrorCode.INVALID_REQUEST, error, gid));
    }
    Duration t = timeout != null ? timeout : settings.defaultSagaTimeout();
    CovenantException bad = t == null ? null : timeoutError(t, gid);
    if (bad != null) {
      return Future.failedFuture(bad);
    }
    Instant now = clock.now();
    GlobalTx tx = core.validSaga(gid == null ? entropy.newGid() : gid, steps, recovery, now, t == null ? null : now.plus(t));
    return create(tx, existing -> sameSaga(existing, tx));
  }

  /** Registers a branch (TCC before its try, 2PC after its prepare). Idempotent per branch id. */
  public Future<GlobalTx> register(String gid, Branch branch) {
    return request(gid, new Event.Register(branch, clock.now()), REQUEST_ATTEMPTS_MAX);
  }

  /** Decides commit; succeeds once the decision is durable. Idempotent. */
  public Future<GlobalTx> commit(String gid) {
    return request(gid, new Event.Commit(clock.now()), REQUEST_ATTEMPTS_MAX);
  }

  /** Decides roll back; succeeds once the decision is durable. Idempotent. */
  public Future<GlobalTx> rollback(String gid, String reason) {
    return request(gid, new Event.Rollback(reason, clock.now()), REQUEST_ATTEMPTS_MAX);
  }

  /**
   * Operator action: makes every call of the transaction that waits for its retry time due now.
   * Changes nothing durable (the calls' answers do, as usual); a finished transaction has nothing
   * to retry. Answers the transaction as it is.
   */
  public Future<GlobalTx> retryNow(String gid) {
    Live l = live.get(gid);
    if (l != null && l.durable != null) {
      drive(l, true);
    }
    return get(gid);
  }

  /**
   * Operator action: records the call that {@code branchId} waits for as done by hand, with
   * {@code resolution} (who and why) kept on the branch; see {@link Event.Finish}. Idempotent.
   */
  public Future<GlobalTx> finish(String gid, String branchId, String resolution) {
    return request(gid, new Event.Finish(branchId, resolution, clock.now()), REQUEST_ATTEMPTS_MAX);
  }

  /**
   * A client's event. Another coordinator (shared store), or another request for a transaction
   * this engine had evicted, may change the transaction between this engine's read and its write;
   * the write then fails its compare-and-set and the event is applied again to the newer state,
   * which the failed write made this engine read from the store.
   */
  private Future<GlobalTx> request(String gid, Event event, int attemptsLeft) {
    return apply(gid, event).recover(e -> {
      if (attemptsLeft > 1 && !stopping && e instanceof CovenantException ce
          && ce.code() == ErrorCode.CONCURRENT_UPDATE) {
        return request(gid, event, attemptsLeft - 1);
      }
      return Future.failedFuture(e);
    });
  }

  /**
   * The newest durable state of a transaction; fails with {@code TRANSACTION_NOT_FOUND}. With a
   * shared store it is read from the store: another coordinator may have changed it.
   */
  public Future<GlobalTx> get(String gid) {
    Live l = live.get(gid);
    if (l != null && l.durable != null && !store.isShared()) {
      return Future.succeededFuture(l.durable);
    }
    return onEngine(store.find(gid)).map(found -> found.orElseThrow(() -> notFound(gid)));
  }

  public Future<TxPage> list(TxQuery query) {
    return onEngine(store.list(query));
  }

  public int stuckAfterAttempts() {
    return core.policy().stuckAfterAttempts();
  }

  private CovenantException timeoutError(Duration timeout, String gid) {
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(settings.timeoutMax()) > 0) {
      return new CovenantException(ErrorCode.LIMIT_EXCEEDED,
          "timeout " + timeout.toMillis() + " ms is outside (0, " + settings.timeoutMax().toMillis() + "] ms (limits.timeoutMax)", gid);
    }
    return null;
  }

  private static boolean sameSaga(GlobalTx existing, GlobalTx submitted) {
    if (existing.mode() != Mode.SAGA || existing.branches().size() != submitted.branches().size()) {
      return false;
    }
    for (int i = 0; i < existing.branches().size(); i++) {
      Branch a = existing.branches().get(i);
      Branch b = submitted.branches().get(i);
      // A step's backoff is not compared, like attemptsMax and the call timeout: it may be filled
      // in from the configuration, which may have changed since the first submission.
      if (!a.id().equals(b.id()) || !a.forwardUrl().equals(b.forwardUrl())
          || !Objects.equals(a.backwardUrl(), b.backwardUrl()) || !Objects.equals(a.payload(), b.payload())
          || !a.dependsOn().equals(b.dependsOn()) || a.pivot() != b.pivot()
          || !Objects.equals(a.http(), b.http())) {
        return false;
      }
    }
    return true;
  }

  private Future<GlobalTx> create(GlobalTx tx, Predicate<GlobalTx> sameRequest) {
    if (stopping) {
      return Future.failedFuture(new CovenantException(ErrorCode.SHUTTING_DOWN, "coordinator is stopping", tx.gid()));
    }
    String gid = tx.gid();
    Live existing = live.get(gid);
    if (existing != null) {
      GlobalTx current = existing.tx;
      return sameRequest.test(current)
          ? existing.tail.map(v -> existing.durable)
          : Future.failedFuture(gidConflict(current));
    }
    Live l = new Live(tx, null, null);
    l.tail = write(store.create(tx), true);
    live.put(gid, l);
    return l.tail.transform(ar -> {
      if (ar.succeeded()) {
        metrics.begun(tx.mode());
        onDurable(l, tx);
        return Future.succeededFuture(tx);
      }
      live.remove(gid, l);
      if (unknownOutcome(ar.cause())) {
        reloadLater(gid); // the row may have been written before the answer was lost
      }
      if (ar.cause() instanceof CovenantException ce && ce.code() == ErrorCode.GID_CONFLICT) {
        // The gid is stored already (finished and retained, or taken by another coordinator).
        return onEngine(store.find(gid)).compose(found -> found.isPresent() && sameRequest.test(found.get())
            ? Future.succeededFuture(found.get())
            : Future.failedFuture(found.map(Engine::gidConflict).orElse(ce)));
      }
      return Future.failedFuture(storeError(ar.cause(), gid));
    });
  }

  private static CovenantException gidConflict(GlobalTx existing) {
    return new CovenantException(ErrorCode.GID_CONFLICT,
        "gid " + existing.gid() + " is already used by a " + existing.mode().code() + " transaction that is "
            + existing.status().code() + " and differs from this request", existing.gid());
  }

  private static CovenantException notFound(String gid) {
    return new CovenantException(ErrorCode.TRANSACTION_NOT_FOUND, "no transaction with gid " + gid, gid);
  }

  /** Applies an event to a transaction and returns its state once the change (if any) is durable. */
  private Future<GlobalTx> apply(String gid, Event event) {
    if (stopping) {
      return Future.failedFuture(new CovenantException(ErrorCode.SHUTTING_DOWN, "coordinator is stopping", gid));
    }
    Live l = live.get(gid);
    if (l == null) {
      return onEngine(store.find(gid)).compose(found -> {
        if (found.isEmpty()) {
          return Future.failedFuture(notFound(gid));
        }
        if (live.containsKey(gid)) {
          return apply(gid, event); // made live while the store was read
        }
        return found.get().status().isFinished() ? answerFinished(found.get(), event) : applyUnheld(found.get(), event);
      });
    }
    Outcome outcome = core.on(l.tx, event);
    if (outcome instanceof Outcome.Rejected r) {
      return Future.failedFuture(new CovenantException(r.code(), r.detail(), gid));
    }
    if (outcome instanceof Outcome.Unchanged) {
      GlobalTx current = l.tx;
      return l.tail.map(v -> current); // a repeat is answered only once what it repeats is durable
    }
    return persist(l, ((Outcome.Changed) outcome).next());
  }

  private Future<GlobalTx> answerFinished(GlobalTx tx, Event event) {
    Outcome outcome = core.on(tx, event);
    if (outcome instanceof Outcome.Rejected r) {
      return Future.failedFuture(new CovenantException(r.code(), r.detail(), tx.gid()));
    }
    if (outcome instanceof Outcome.Changed) {
      throw new IllegalStateException("gid=" + tx.gid() + " is " + tx.status() + " but " + event + " changed it");
    }
    return Future.succeededFuture(tx);
  }

  /**
   * An event for an unfinished transaction this engine does not hold: evicted after a failed write,
   * or (shared store) owned by another coordinator. It is applied to the stored state; a change is
   * written as a take-over, by compare-and-set on the stored version, and this engine drives the
   * transaction from then on (the previous owner's next write fails, and it drops it).
   */
  private Future<GlobalTx> applyUnheld(GlobalTx stored, Event event) {
    String gid = stored.gid();
    Outcome outcome = core.on(stored, event);
    if (outcome instanceof Outcome.Rejected r) {
      return Future.failedFuture(new CovenantException(r.code(), r.detail(), gid));
    }
    if (outcome instanceof Outcome.Unchanged) {
      if (!store.isShared()) {
        adopt(stored); // single owner: it is this engine's, evicted; resume it now rather than at the reload
      }
      return Future.succeededFuture(stored);
    }
    GlobalTx next = ((Outcome.Changed) outcome).next();
    return write(store.takeOver(next, stored.version()), false).transform(ar -> {
      if (ar.failed()) {
        if (unknownOutcome(ar.cause())) {
          reloadLater(gid); // the take-over may have been written before the answer was lost
        }
        return Future.failedFuture(storeError(ar.cause(), gid));
      }
      hold(next);
      if (store.isShared()) {
        metrics.takenOver();
      }
      return Future.succeededFuture(next);
    });
  }

  /** Makes a stored, unfinished transaction live (after an eviction) and resumes it. */
  private void adopt(GlobalTx stored) {
    if (live.containsKey(stored.gid())) {
      return;
    }
    Live l = new Live(stored, stored, Future.succeededFuture());
    live.put(stored.gid(), l);
    drive(l);
  }

  private Future<GlobalTx> persist(Live l, GlobalTx next) {
    long expectedVersion = l.tx.version();
    l.tx = next;
    Future<Void> written = l.tail.transform(ar -> ar.succeeded()
        ? write(store.update(next, expectedVersion), false)
        : Future.failedFuture(ar.cause()));
    l.tail = written;
    return written.transform(ar -> {
      if (ar.succeeded()) {
        onDurable(l, next);
        return Future.succeededFuture(next);
      }
      evict(l, ar.cause());
      return Future.failedFuture(storeError(ar.cause(), next.gid()));
    });
  }

  private void onDurable(Live l, GlobalTx durable) {
    GlobalTx before = l.durable;
    l.durable = durable;
    if (before != null && before.status() != durable.status()) {
      log.atDebug().addKeyValue("gid", durable.gid()).addKeyValue("from", before.status())
          .addKeyValue("to", durable.status()).log("transaction status changed");
    }
    if (durable.status().isFinished()) {
      cancelTimer(l);
      live.remove(durable.gid(), l);
      metrics.completed(durable.mode(), durable.status());
      return;
    }
    drive(l);
  }

  /** Plans from the durable state and performs what is due: calls, expiry, the next wake-up. */
  private void drive(Live l) {
    drive(l, false);
  }

  private void drive(Live l, boolean ignoreBackoff) {
    GlobalTx tx = l.durable;
    if (stopping || tx == null || live.get(tx.gid()) != l) {
      return;
    }
    Instant now = clock.now();
    Plan plan = core.plan(tx, now, l.inFlight, ignoreBackoff);
    if (plan.expired()) {
      log.atInfo().addKeyValue("gid", tx.gid()).addKeyValue("deadline", tx.deadline())
          .log("transaction timed out; rolling back");
      apply(tx.gid(), new Event.Expire(now)).onFailure(e -> log.atDebug().addKeyValue("gid", tx.gid())
          .setCause(e).log("could not record the timeout; will retry on reload"));
      return;
    }
    for (Call call : plan.calls()) {
      dispatch(l, call);
    }
    if (plan.wakeAt() != null) {
      arm(l, plan.wakeAt(), now);
    }
  }

  private void dispatch(Live l, Call call) {
    l.inFlight.add(call.branchId());
    if (call.unsendable() != null) {
      // Nothing to send: the body, URL or a header refers to a value the durable state does not have, and never will.
      scheduler.execute(() -> {
        if (stopping) {
          return;
        }
        logFailure(l, call, CallResult.failed(call.unsendable()));
        record(l, call, new Event.CallUnsendable(call.branchId(), call.op(), call.unsendable(), entropy.nextDouble(), clock.now()));
      });
      return;
    }
    limiter.submit(call.url(), () -> {
      Instant started = clock.now();
      transport.call(call).onComplete(ar -> scheduler.execute(() -> {
        limiter.release(call.url());
        if (stopping) {
          return; // not recorded: the call is repeated after restart
        }
        if (live.get(call.gid()) != l) {
          return; // evicted or dropped meanwhile: whoever holds the transaction now repeats the call
        }
        CallResult result = ar.succeeded() ? ar.result() : CallResult.failed(String.valueOf(ar.cause()));
        metrics.call(call.op(), result.kind(), Duration.between(started, clock.now()));
        Event event = switch (result.kind()) {
          case SUCCEEDED -> succeeded(l, call, result);
          case REFUSED -> new Event.CallFailed(call.branchId(), call.op(), true, result.detail(), entropy.nextDouble(), clock.now());
          case FAILED -> new Event.CallFailed(call.branchId(), call.op(), false, result.detail(), entropy.nextDouble(), clock.now());
        };
        if (event instanceof Event.CallFailed) {
          logFailure(l, call, result);
        }
        record(l, call, event);
      }));
    });
  }

  /**
   * The event for a 2xx answer. An action's answer that was too large to keep is still a success,
   * unless a later step refers to it: then the attempt failed, because that step could never be sent.
   */
  private Event succeeded(Live l, Call call, CallResult result) {
    if (result.resultTooLarge()) {
      String needer = core.referencedBy(l.tx, call.branchId());
      if (needer != null) {
        return new Event.CallFailed(call.branchId(), call.op(), false,
            result.detail() + "; step '" + needer + "' refers to it", entropy.nextDouble(), clock.now());
      }
    }
    return new Event.CallSucceeded(call.branchId(), call.op(), result.body(), clock.now());
  }

  /** Applies the outcome of a call and plans again once it is durable. */
  private void record(Live l, Call call, Event event) {
    apply(call.gid(), event).onComplete(done -> {
      l.inFlight.remove(call.branchId());
      Live current = live.get(call.gid());
      if (current != null) {
        drive(current);
      }
    });
  }

  private void logFailure(Live l, Call call, CallResult result) {
    int attempts = l.tx.findBranch(call.branchId()).map(Branch::attempts).orElse(0) + 1;
    var builder = attempts == core.policy().stuckAfterAttempts() ? log.atWarn() : log.atDebug();
    builder.addKeyValue("gid", call.gid()).addKeyValue("branch", call.branchId()).addKeyValue("op", call.op().code())
        .addKeyValue("attempts", attempts).addKeyValue("result", result.kind()).addKeyValue("detail", result.detail())
        .log(attempts == core.policy().stuckAfterAttempts() ? "branch keeps failing; transaction is stuck" : "participant call did not succeed");
  }

  private void arm(Live l, Instant at, Instant now) {
    if (l.timer != null && !l.timerAt.isAfter(at)) {
      return;
    }
    cancelTimer(l);
    Duration delay = now.isBefore(at) ? Duration.between(now, at) : Duration.ZERO;
    l.timerAt = at;
    l.timer = scheduler.schedule(delay, () -> {
      l.timer = null;
      l.timerAt = null;
      drive(l);
    });
  }

  private static void cancelTimer(Live l) {
    if (l.timer != null) {
      l.timer.cancel();
      l.timer = null;
      l.timerAt = null;
    }
  }

  /**
   * A write failed: the store is the truth, so forget the memory state and reload it later, if it
   * is still this coordinator's (with a shared store, a refused compare-and-set means another
   * coordinator adopted or took over the transaction, and the reload finds it is not).
   */
  private void evict(Live l, Throwable cause) {
    String gid = l.tx.gid();
    if (live.remove(gid, l)) {
      cancelTimer(l);
      if (store.isShared() && cause instanceof CovenantException ce && ce.code() == ErrorCode.CONCURRENT_UPDATE) {
        metrics.lost(1);
        log.atInfo().addKeyValue("gid", gid).addKeyValue("detail", ce.getMessage())
            .log("another coordinator changed the transaction; reloading it if it is still this one's");
      } else {
        log.atWarn().addKeyValue("gid", gid).setCause(cause).log("store write failed; reloading the transaction from the store");
      }
      reloadLater(gid);
    }
  }

  /** A write whose outcome the store could not tell: it may be durable although it failed. */
  private static boolean unknownOutcome(Throwable cause) {
    return !(cause instanceof CovenantException ce) || ce.code() == ErrorCode.STORE_UNAVAILABLE;
  }

  /** Resumes {@code gid} from the store soon, if it is unfinished and this coordinator's. */
  private void reloadLater(String gid) {
    scheduler.schedule(RELOAD_DELAY, () -> reload(gid, RELOAD_DELAY));
  }

  private void reload(String gid, Duration delay) {
    if (stopping || live.containsKey(gid)) {
      return;
    }
    onEngine(store.findOwned(gid)).onComplete(ar -> {
      if (ar.succeeded()) {
        ar.result().ifPresent(this::adopt);
      } else {
        Duration next = delay.multipliedBy(2).compareTo(RELOAD_DELAY_MAX) > 0 ? RELOAD_DELAY_MAX : delay.multipliedBy(2);
        scheduler.schedule(next, () -> reload(gid, next));
      }
    });
  }

  private Future<Void> write(Future<Void> storeWrite, boolean create) {
    Instant started = clock.now();
    return onEngine(storeWrite).andThen(ar -> metrics.write(create, Duration.between(started, clock.now())));
  }

  private static CovenantException storeError(Throwable cause, String gid) {
    if (cause instanceof CovenantException ce) {
      return ce;
    }
    return new CovenantException(ErrorCode.STORE_UNAVAILABLE, "could not write gid " + gid + ": " + cause, gid, cause);
  }

  /** Brings the completion of a store future back to the engine thread. */
  private <T> Future<T> onEngine(Future<T> future) {
    Promise<T> promise = Promise.promise();
    future.onComplete(ar -> scheduler.execute(() -> promise.handle(ar)));
    return promise.future();
  }

  /**
   * Counts what the gauges show (live, stuck, participant calls waiting); engine thread only. The
   * coordinator calls it every second, so that a scrape, on another thread, never walks the engine's
   * maps; a scrape's values are at most that old.
   */
  public void refreshGauges() {
    int threshold = core.policy().stuckAfterAttempts();
    int stuck = 0;
    for (Live l : live.values()) {
      if (l.durable != null && l.durable.isStuck(threshold)) {
        stuck++;
      }
    }
    metrics.gauges(live.size(), stuck, limiter.waiting());
  }
}
