package io.covenant.coordinator;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running coordinator: the store, the engine, the HTTP API and the participant client, wired
 * from one {@link CoordinatorConfig} on one Vert.x context.
 *
 * <pre>{@code
 * Coordinator c = Coordinator.start(CoordinatorConfig.builder().httpPort(0).build())
 *     .toCompletionStage().toCompletableFuture().get(30, SECONDS);
 * // ... c.baseUrl() ...
 * c.close();
 * }</pre>
 *
 * <p>Thread-safe: every method may be called from any thread; returned futures complete on a
 * Vert.x thread (or the caller's, when already done).
 */
public final class Coordinator {
  private static final Logger log = LoggerFactory.getLogger(Coordinator.class);

  private final CoordinatorConfig config;
  private final Vertx vertx;
  private final boolean ownsVertx;
  private final CoordinatorVerticle verticle;
  private final String deploymentId;
  private final PrometheusMeterRegistry registry;
  /** Listens to the JVM's collections; closed with the registry. */
  private final JvmGcMetrics gcMetrics;
  private final AtomicReference<Future<Void>> ending = new AtomicReference<>();

  private Coordinator(CoordinatorConfig config, Vertx vertx, boolean ownsVertx, CoordinatorVerticle verticle,
      String deploymentId, PrometheusMeterRegistry registry, JvmGcMetrics gcMetrics) {
    this.config = config;
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
    this.verticle = verticle;
    this.deploymentId = deploymentId;
    this.registry = registry;
    this.gcMetrics = gcMetrics;
  }

  /**
   * Starts a coordinator on a Vert.x instance of its own, which {@link #close()} closes.
   *
   * @return succeeds once every unfinished transaction in the store has been resumed and the HTTP
   *     server listens; fails if the store cannot be opened or the port cannot be bound (having
   *     released whatever it had opened)
   */
  public static Future<Coordinator> start(CoordinatorConfig config) {
    return start(config, null);
  }

  /**
   * Starts a coordinator on {@code vertx} (deployed as one verticle), or on a Vert.x of its own when
   * {@code vertx} is null. A given Vert.x is left open by {@link #close()}.
   */
  public static Future<Coordinator> start(CoordinatorConfig config, Vertx vertx) {
    Objects.requireNonNull(config, "config");
    log.atInfo().addKeyValue("config", config).log("starting coordinator");
    boolean owns = vertx == null;
    Vertx v = owns ? Vertx.vertx() : vertx;
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    // GC pauses and the bytes allocated between collections (jvm_gc_memory_allocated_bytes_total),
    // which the benchmarks divide by the transactions of a window.
    JvmGcMetrics gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    CoordinatorVerticle verticle = new CoordinatorVerticle(config, registry);
    // A promise of no context: the futures Vert.x returns complete through the caller's context,
    // which is gone once a failed start has closed Vert.x.
    Promise<Coordinator> started = Promise.promise();
    v.deployVerticle(verticle).onComplete(ar -> {
      if (ar.succeeded()) {
        started.complete(new Coordinator(config, v, owns, verticle, ar.result(), registry, gcMetrics));
        return;
      }
      Throwable failure = ar.cause();
      log.atError().setCause(failure).log("coordinator failed to start");
      gcMetrics.close();
      registry.close();
      if (owns) {
        closeVertx(v).onComplete(closed -> started.fail(failure));
      } else {
        started.fail(failure);
      }
    });
    return started.future();
  }

  public CoordinatorConfig config() {
    return config;
  }

  /** The port the HTTP API listens on; the one picked when {@code http.port} is 0. */
  public int port() {
    return verticle.port();
  }

  /** {@code http://127.0.0.1:<port>} when listening on every interface or loopback, else the configured host. */
  public String baseUrl() {
    String host = config.httpHost();
    boolean local = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("localhost")
        || host.equals("127.0.0.1");
    String shown = local ? "127.0.0.1" : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return (config.httpTlsCertPath() != null ? "https://" : "http://") + shown + ":" + port();
  }

  /** The meters the coordinator records, as {@code GET /metrics} serves them. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Stops gracefully: readiness turns 503, the HTTP server finishes in-flight requests and stops,
   * the engine stops once its pending writes are durable, then the store, the participant client
   * and (if owned) Vert.x close. Idempotent; after {@link #crash()} it returns the crash's future.
   *
   * @return fails with the first failure of a step, the others suppressed; every step runs regardless
   */
  public Future<Void> close() {
    return end(() -> {
      Future<Void> undeployed = vertx.undeploy(deploymentId);
      return finish(undeployed);
    });
  }

  /**
   * For tests: stops abruptly, as if the process died after its last durable write. The engine
   * is not stopped, so nothing further is recorded: engine timers, in-flight participant calls and
   * HTTP requests are dropped; the HTTP server and (if owned) Vert.x close; the store then closes,
   * finishing only the writes already handed to it. A new coordinator on the same store (the same
   * journal directory) resumes from there.
   */
  public Future<Void> crash() {
    return end(() -> {
      Promise<Void> silenced = Promise.promise();
      verticle.context().runOnContext(v -> {
        verticle.crash();
        silenced.complete();
      });
      return finish(silenced.future().compose(v -> vertx.undeploy(deploymentId)));
    });
  }

  /**
   * For tests: freezes the coordinator as a long GC pause or a suspended VM would. Its lease stops
   * being renewed and every engine task (timers, participant answers, store answers) is held; the
   * HTTP server still accepts connections. {@link #resume()} runs what was held, in order.
   */
  public Future<Void> pause() {
    return onVerticleContext(verticle::pause);
  }

  /** For tests: the engine's gauges counted now rather than at their next refresh (every second). */
  public Future<Void> refreshGauges() {
    return onVerticleContext(verticle::refreshGauges);
  }

  /** For tests: lets a {@link #pause() paused} coordinator go on, late. */
  public Future<Void> resume() {
    return onVerticleContext(verticle::resume);
  }

  /** Runs {@code action} on the verticle's context; the future completes once it has run. */
  private Future<Void> onVerticleContext(Runnable action) {
    Promise<Void> done = Promise.promise();
    verticle.context().runOnContext(v -> {
      action.run();
      done.complete();
    });
    return done.future();
  }

  private Future<Void> end(java.util.function.Supplier<Future<Void>> how) {
    Promise<Void> promise = Promise.promise();
    if (!ending.compareAndSet(null, promise.future())) {
      return ending.get();
    }
    Future<Void> ended;
    try {
      ended = how.get();
    } catch (RuntimeException e) {
      ended = Future.failedFuture(e);
    }
    ended.onComplete(promise);
    return promise.future();
  }

  /** After the undeploy: release the store and client if crashed (the graceful stop already did), close Vert.x if owned. */
  private Future<Void> finish(Future<Void> undeployed) {
    Promise<Void> done = Promise.promise(); // of no context, like start's
    undeployed.onComplete(ar -> {
      Future<Void> released = verticle.crashed() ? verticle.release() : Future.succeededFuture();
      released.onComplete(rel -> {
        Future<Void> outcome = combine(ar, rel);
        gcMetrics.close();
        registry.close();
        if (!ownsVertx) {
          outcome.onComplete(done);
        } else {
          closeVertx(vertx).onComplete(closed -> combine(outcome, closed).onComplete(done));
        }
      });
    });
    return done.future();
  }

  /**
   * Closes Vert.x from a thread that is not its own. Called on an event loop, {@code close()}
   * would complete its future through that event loop, which by then is shut down, so the
   * completion would be lost.
   */
  private static Future<Void> closeVertx(Vertx v) {
    Promise<Void> closed = Promise.promise();
    Thread closer = new Thread(() -> v.close().onComplete(closed), "covenant-vertx-close");
    closer.setDaemon(true);
    closer.start();
    return closed.future();
  }

  private static Future<Void> combine(io.vertx.core.AsyncResult<?> first, io.vertx.core.AsyncResult<?> second) {
    if (first.failed()) {
      if (second.failed() && second.cause() != first.cause()) {
        first.cause().addSuppressed(second.cause());
      }
      return Future.failedFuture(first.cause());
    }
    return second.failed() ? Future.failedFuture(second.cause()) : Future.succeededFuture();
  }
}
