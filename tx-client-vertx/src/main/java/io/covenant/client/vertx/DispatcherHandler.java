package io.covenant.client.vertx;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.covenant.client.ParticipantDispatcher;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Problem;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * Serves a {@link ParticipantDispatcher} as a Vert.x Web route: the coordinator's confirm, cancel,
 * compensate, commit and rollback, and the initiator's try.
 *
 * <pre>{@code
 * router.post("/participant/*").handler(DispatcherHandler.create(dispatcher));
 * // register http://host:port/participant/stock: resource "stock"
 * }</pre>
 *
 * <p><b>Threads.</b> The handlers of a dispatcher block (JDBC, the branch barrier, outgoing calls),
 * so they never run on the event loop: the body is read on the event loop, then
 * {@link ParticipantDispatcher#handle} runs through {@code executeBlocking}, unordered (calls run in
 * parallel), on the Vert.x worker pool or on the {@link WorkerExecutor} given to
 * {@link #create(ParticipantDispatcher, WorkerExecutor)}; the answer is written back on the request's
 * context. While a handler runs, its call's gid and branch are the current
 * {@code TransactionContext} of the worker thread (the dispatcher binds them).
 *
 * <p><b>The resource</b> is the request path below the route, as for the other adapters: below the
 * {@code *} of a route such as {@code /participant/*}, and below a sub-router's mount point. Slashes
 * at either end and the query do not count.
 *
 * <p><b>The body.</b> If a {@code BodyHandler} ran before (which also limits its size), its body is
 * used; otherwise the handler reads the whole request body itself. Only {@code POST} is served:
 * another method answers {@code 405} with {@code Allow: POST}. The answers are the dispatcher's:
 * {@code 200}, {@code 409} for a business refusal, a retryable {@code 500}, {@code 400} or {@code 404}
 * for a call it cannot route (see {@link ParticipantDispatcher}). Thread-safe; one instance may serve
 * any number of routes.
 */
public final class DispatcherHandler implements Handler<RoutingContext> {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ParticipantDispatcher dispatcher;
  private final WorkerExecutor workers;

  private DispatcherHandler(ParticipantDispatcher dispatcher, WorkerExecutor workers) {
    this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
    this.workers = workers;
  }

  /** Serves {@code dispatcher}, running its handlers on the Vert.x instance's worker pool. */
  public static DispatcherHandler create(ParticipantDispatcher dispatcher) {
    return new DispatcherHandler(dispatcher, null);
  }

  /**
   * Serves {@code dispatcher}, running its handlers on {@code workers}, e.g.
   * {@code vertx.createSharedWorkerExecutor("participant", 16)}: a pool of their own, sized like the
   * database pool they use, so that slow calls do not hold the threads the rest of the service needs.
   */
  public static DispatcherHandler create(ParticipantDispatcher dispatcher, WorkerExecutor workers) {
    return new DispatcherHandler(dispatcher, Objects.requireNonNull(workers, "workers"));
  }

  @Override
  public void handle(RoutingContext routingContext) {
    if (routingContext.request().method() != HttpMethod.POST) {
      routingContext.response().putHeader(HttpHeaders.ALLOW, "POST");
      write(routingContext, problem(Problem.of(ErrorCode.METHOD_NOT_ALLOWED,
          "participant calls are POST, not " + routingContext.request().method().name(), null)));
      return;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    routingContext.request().headers().forEach(header -> headers.putIfAbsent(header.getKey(), header.getValue()));
    String path = pathBelowRoute(routingContext);
    RequestBody read = routingContext.body();
    Future<Buffer> body = read.available()
        ? Future.succeededFuture(read.buffer())
        : routingContext.request().body();
    body.compose(bytes -> {
      byte[] payload = bytes == null ? new byte[0] : bytes.getBytes();
      Callable<ParticipantDispatcher.Response> call = () -> dispatcher.handle(headers, payload, path);
      return workers == null
          ? routingContext.vertx().executeBlocking(call, false)
          : workers.executeBlocking(call, false);
    }).onComplete(answered -> {
      if (answered.succeeded()) {
        write(routingContext, answered.result());
      } else {
        routingContext.fail(answered.cause());   // the body could not be read, or the handler threw an Error
      }
    });
  }

  private static void write(RoutingContext routingContext, ParticipantDispatcher.Response answer) {
    HttpServerResponse response = routingContext.response();
    if (response.ended() || response.closed()) {
      return;   // the caller went away; the coordinator calls again
    }
    response.setStatusCode(answer.status());
    if (answer.contentType() != null) {
      response.putHeader(HttpHeaders.CONTENT_TYPE, answer.contentType());
    }
    response.end(Buffer.buffer(answer.body()));
  }

  private static ParticipantDispatcher.Response problem(Problem problem) {
    try {
      return new ParticipantDispatcher.Response(problem.status(), Headers.PROBLEM_JSON, JSON.writeValueAsBytes(problem));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a problem document", e);
    }
  }

  /**
   * The request path below the route: what its {@code *} matched, else the path without the
   * sub-router's mount point and the route's own path.
   */
  static String pathBelowRoute(RoutingContext routingContext) {
    String path = routingContext.normalizedPath();
    Route route = routingContext.currentRoute();
    if (route == null) {
      return path;
    }
    if (!route.isExactPath() && !route.isRegexPath()) {
      String rest = routingContext.pathParam("*");
      if (rest != null) {
        return rest;
      }
    }
    int prefix = 0;
    String mountPoint = routingContext.mountPoint();
    if (mountPoint != null) {
      prefix += mountPoint.endsWith("/") ? mountPoint.length() - 1 : mountPoint.length();
    }
    String routePath = route.isRegexPath() ? null : route.getPath();
    if (routePath != null) {
      prefix += routePath.endsWith("/") ? routePath.length() - 1 : routePath.length();
    }
    return prefix <= path.length() ? path.substring(prefix) : "";
  }

  @Override
  public String toString() {
    return "DispatcherHandler{" + dispatcher + "}";
  }
}
