package io.covenant.coordinator;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.core.Core;
import io.covenant.coordinator.core.RetryPolicy;
import io.covenant.coordinator.engine.Clock;
import io.covenant.coordinator.engine.Engine;
import io.covenant.coordinator.engine.EngineSettings;
import io.covenant.coordinator.http.HttpApi;
import io.covenant.coordinator.runtime.SecureEntropy;
import io.covenant.coordinator.runtime.SystemClock;
import io.covenant.coordinator.runtime.VertxScheduler;
import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.transport.HostResolver;
import io.covenant.coordinator.transport.HttpTransport;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator on one Vert.x event-loop context: the engine, its scheduler, the HTTP server and
 * the purge timer all live on this verticle's context, so the engine (which is not thread-safe) is
 * only ever touched from its thread, and a Prometheus scrape reads engine gauges from it too.
 *
 * <p>Start: open the store, resume every unfinished transaction ({@link Engine#start()}), then
 * listen. Stop (undeploy), unless crashed: readiness goes to 503, the HTTP server stops accepting
 * and lets in-flight requests finish (up to {@link #HTTP_SHUTDOWN_GRACE_SECONDS}), the engine
 * stops and waits for pending writes, then the store and the participant client close. Every step
 * runs even if an earlier one failed; the first failure is reported with the rest suppressed.
 *
 * <p>Crash ({@link #crash()}): the scheduler drops every engine task from that moment, so no
 * further write or participant call starts; then the undeploy skips the graceful steps.
 */
final class CoordinatorVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorVerticle.class);
  static final int HTTP_SHUTDOWN_GRACE_SECONDS = 5;
  /** Finished transactions forgotten per store call; a full batch is followed by another at once. */
  static final int PURGE_BATCH = 1000;
  /** How often the engine counts what its gauges show (live, stuck, calls waiting). */
  static final long GAUGE_INTERVAL_MILLIS = 1000;

  private final CoordinatorConfig config;
  private final PrometheusMeterRegistry registry;
  private final Clock clock = SystemClock.INSTANCE;

  private VertxScheduler scheduler;
  private HttpTransport transport;
  private TransactionStore store;
  private Engine engine;
  private HttpApi api;
  private HttpServer server;
  private long purgeTimer = -1;
  private long gaugeTimer = -1;
  private boolean purging;
  private long ownershipTimer = -1;
  private boolean keepingOwnership;
  private int ownershipFailures;
  private volatile boolean crashed;

  CoordinatorVerticle(CoordinatorConfig config, PrometheusMeterRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    scheduler = new VertxScheduler(vertx, context);
    transport = new HttpTransport(vertx, config.participantCallTimeout(), config.participantCallsInFlightMax(),
        config.participantH2c(), config.participantTlsTrustPath(), config.sagaStepResultBytesMax(),
        config.participantKeepAliveTimeout(), HostResolver.SYSTEM);
    return Stores.open(config, vertx)
        .compose(opened -> onContext(() -> {
          store = opened;
          Core core = new Core(new Core.Policy(new RetryPolicy(config.retryInitialBackoff(), config.retryMaxBackoff()),
              config.limitsBranchesPerTransactionMax(), config.retryStuckAfterAttempts()));
          EngineSettings settings = new EngineSettings(config.transactionDefaultTimeout(), config.sagaDefaultTimeout(),
              config.limitsTimeoutMax(), config.participantCallsInFlightMax());
          engine = new Engine(core, settings, clock, scheduler, store, transport, new SecureEntropy(), registry);
          api = new HttpApi(vertx, engine, clock, config, registry);
          return engine.start();
        }))
        .compose(v -> onContext(() -> {
          HttpServerOptions options = new HttpServerOptions()
              .setHost(config.httpHost())
              .setPort(config.httpPort())
              .setHttp2ClearTextEnabled(config.httpH2c());
          if (config.httpTlsCertPath() != null) {
            options.setSsl(true).setUseAlpn(true)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(config.httpTlsCertPath()).setKeyPath(config.httpTlsKeyPath()));
          }
          server = vertx.createHttpServer(options).requestHandler(api.router());
          return server.listen();
        }))
        .compose(listening -> onContext(() -> {
          api.state(HttpApi.State.READY);
          purgeTimer = vertx.setPeriodic(config.retentionPurgeInterval().toMillis(), id -> purge());
          engine.refreshGauges();
          gaugeTimer = vertx.setPeriodic(GAUGE_INTERVAL_MILLIS, id -> engine.refreshGauges());
          if (store.isShared()) {
            ownershipTimer = vertx.setPeriodic(config.clusterHeartbeatInterval().toMillis(), id -> keepOwnership());
          }
          return Future.succeededFuture(listening);
        }))
        .recover(failure -> release().transform(ar -> {
          if (ar.failed() && ar.cause() != failure) {
            failure.addSuppressed(ar.cause());
          }
          return Future.failedFuture(failure);
        }));
  }

  io.vertx.core.Context context() {
    return context;
  }

  /** The port the HTTP server listens on (the real one when {@code http.port=0}). */
  int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    if (crashed) {
      return Future.succeededFuture();
    }
    if (api != null) {
      api.state(HttpApi.State.STOPPING);
    }
    cancelPurge();
    List<Supplier<Future<?>>> steps = new ArrayList<>();
    steps.add(() -> server == null ? Future.succeededFuture() : server.shutdown(HTTP_SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS));
    steps.add(() -> engine == null ? Future.succeededFuture() : engine.stop());
    steps.add(this::release);
    return sequence(steps).onSuccess(v -> log.atInfo().log("coordinator stopped"));
  }

  /**
   * Makes the engine go silent at once, as if the process died: from now on no engine task runs,
   * no request reaches the engine, and the undeploy that follows skips the graceful steps. Must be
   * called on this verticle's context.
   */
  void crash() {
    crashed = true;
    scheduler.halt();
    if (api != null) {
      api.state(HttpApi.State.STOPPING);
    }
    cancelPurge();
  }

  /** Counts what the engine's gauges show now, on this context (they are otherwise counted every second). */
  void refreshGauges() {
    if (engine != null) {
      engine.refreshGauges();
    }
  }

  /** For tests: freezes the engine and its heartbeats (see {@link Coordinator#pause()}). On this context. */
  void pause() {
    heartbeats(false);
    scheduler.pause();
  }

  /** For tests: thaws what {@link #pause()} froze. On this context. */
  void resume() {
    scheduler.resume();
    heartbeats(true);
  }

  boolean crashed() {
    return crashed;
  }

  /** Closes the store and the participant client (after a crash too: the store finishes what it was writing). */
  Future<Void> release() {
    List<Supplier<Future<?>>> steps = new ArrayList<>();
    steps.add(() -> store == null ? Future.succeededFuture() : store.close());
    steps.add(() -> transport == null ? Future.succeededFuture() : transport.close());
    return sequence(steps);
  }

  private void cancelPurge() {
    if (purgeTimer >= 0) {
      vertx.cancelTimer(purgeTimer);
      purgeTimer = -1;
    }
    if (ownershipTimer >= 0) {
      vertx.cancelTimer(ownershipTimer);
      ownershipTimer = -1;
    }
    if (gaugeTimer >= 0) {
      vertx.cancelTimer(gaugeTimer);
      gaugeTimer = -1;
    }
  }

  /**
   * For tests: stops (or restarts) the heartbeats, as a coordinator that is paused (a long GC, a
   * frozen VM) stops renewing its lease. Must be called on this verticle's context.
   */
  void heartbeats(boolean on) {
    if (!on && ownershipTimer >= 0) {
      vertx.cancelTimer(ownershipTimer);
      ownershipTimer = -1;
    } else if (on && ownershipTimer < 0 && store.isShared() && !crashed) {
      ownershipTimer = vertx.setPeriodic(config.clusterHeartbeatInterval().toMillis(), id -> keepOwnership());
    }
  }

  /** Renews the lease on a shared store and adopts orphaned transactions; one run at a time. */
  private void keepOwnership() {
    if (keepingOwnership || crashed || api.state() != HttpApi.State.READY) {
      return;
    }
    keepingOwnership = true;
    engine.keepOwnership().onComplete(ar -> {
      keepingOwnership = false;
      if (ar.succeeded()) {
        if (ownershipFailures > 0) {
          log.atInfo().addKeyValue("failures", ownershipFailures).log("the shared store answers again");
        }
        ownershipFailures = 0;
      } else if (ownershipFailures++ == 0) {
        log.atWarn().setCause(ar.cause()).log("could not renew the lease on the shared store; will keep trying");
      }
    });
  }

  /**
   * Forgets finished transactions older than {@code retention.finished}, and the oldest beyond
   * {@code retention.finishedMax}, a batch at a time.
   */
  private void purge() {
    if (purging || crashed || api.state() != HttpApi.State.READY) {
      return;
    }
    purging = true;
    Instant before = clock.now().minus(config.retentionFinished());
    Future<Integer> purged;
    try {
      purged = store.purgeFinished(before, config.retentionFinishedMax(), PURGE_BATCH);
    } catch (RuntimeException e) {
      purged = Future.failedFuture(e);
    }
    purged.onComplete(ar -> scheduler.execute(() -> {
      purging = false;
      if (ar.failed()) {
        log.atWarn().setCause(ar.cause()).log("could not purge finished transactions; will try again");
        return;
      }
      int n = ar.result();
      if (n > 0) {
        log.atDebug().addKeyValue("transactions", n).addKeyValue("finishedBefore", before).log("purged finished transactions");
      }
      if (n >= PURGE_BATCH) {
        purge(); // more may be waiting
      }
    }));
  }

  /** Runs {@code action} on this verticle's context and brings its outcome back there. */
  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      Future<T> f;
      try {
        f = action.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> context.runOnContext(x -> promise.handle(ar)));
    });
    return promise.future();
  }

  /** Runs every step in order on this context, each after the previous one ends, whatever its outcome. */
  private Future<Void> sequence(List<Supplier<Future<?>>> steps) {
    Promise<Void> done = Promise.promise();
    List<Throwable> failures = new ArrayList<>();
    runStep(steps, 0, failures, done);
    return done.future();
  }

  private void runStep(List<Supplier<Future<?>>> steps, int i, List<Throwable> failures, Promise<Void> done) {
    if (i == steps.size()) {
      if (failures.isEmpty()) {
        done.complete();
      } else {
        Throwable first = failures.get(0);
        failures.subList(1, failures.size()).forEach(first::addSuppressed);
        done.fail(first);
      }
      return;
    }
    onContext(() -> steps.get(i).get().mapEmpty()).onComplete(ar -> {
      if (ar.failed()) {
        failures.add(ar.cause());
      }
      runStep(steps, i + 1, failures, done);
    });
  }
}
