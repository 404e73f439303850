package io.covenant.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.covenant.client.internal.ClientJson;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Problem;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A proxy in front of a real coordinator that injects scripted faults: the next requests to an
 * endpoint get the given faults in order, later ones are forwarded. Every request is logged with
 * the fault it got, so tests count attempts exactly, and nothing depends on timing.
 */
final class FlakyProxy implements AutoCloseable {
  enum Fault {
    /** 503 problem {@code shutting-down} (retryable), not forwarded. */
    SHUTTING_DOWN,
    /** 409 problem {@code concurrent-update} (retryable), not forwarded. */
    CONCURRENT_UPDATE,
    /** 502 with an HTML body, as a load balancer would answer, not forwarded. */
    BAD_GATEWAY_HTML,
    /** The connection is closed without an answer; not forwarded. */
    DROP,
    /** Forwarded, and the coordinator's answer is thrown away: the connection closes without one. */
    FORWARD_THEN_DROP
  }

  /** One request as received, with its {@code Prefer} header (or null), and the fault it got (null: forwarded and answered). */
  record Request(String method, String path, String body, String prefer, Fault fault) {}

  private final URI target;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final HttpClient forwarder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final Map<String, Deque<Fault>> scripts = new LinkedHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile boolean forwardsPrefer = true;

  private FlakyProxy(URI target) throws IOException {
    this.target = target;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  static FlakyProxy inFrontOf(URI coordinator) throws IOException {
    return new FlakyProxy(coordinator);
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /**
   * The next requests whose {@code "METHOD /path"} ends with {@code endpoint} get these faults, in
   * order; e.g. {@code "POST /v1/transactions"} (begin) or {@code "/commit"}.
   */
  synchronized FlakyProxy failNext(String endpoint, Fault... faults) {
    scripts.computeIfAbsent(endpoint, k -> new ArrayDeque<>()).addAll(List.of(faults));
    return this;
  }

  /** From now on, {@code Prefer} is not forwarded: the coordinator answers as one that does not know it would. */
  FlakyProxy dropsPrefer() {
    forwardsPrefer = false;
    return this;
  }

  /** The requests whose {@code "METHOD /path"} ends with {@code endpoint}, in arrival order. */
  List<Request> requests(String endpoint) {
    return requests.stream().filter(r -> (r.method() + " " + r.path()).endsWith(endpoint)).toList();
  }

  private synchronized Fault nextFault(String key) {
    for (Map.Entry<String, Deque<Fault>> e : scripts.entrySet()) {
      if (key.endsWith(e.getKey()) && !e.getValue().isEmpty()) {
        return e.getValue().poll();
      }
    }
    return null;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getRawPath();
      byte[] body = exchange.getRequestBody().readAllBytes();
      Fault fault = nextFault(method + " " + path);
      String prefer = exchange.getRequestHeaders().getFirst(Headers.PREFER);
      requests.add(new Request(method, path, new String(body, StandardCharsets.UTF_8), prefer, fault));
      if (fault == null) {
        HttpResponse<byte[]> answer = forward(exchange, body);
        reply(exchange, answer.statusCode(), answer.headers().firstValue("Content-Type").orElse(null), answer.body());
        return;
      }
      switch (fault) {
        case SHUTTING_DOWN -> replyProblem(exchange, Problem.of(ErrorCode.SHUTTING_DOWN, "injected by the test", null));
        case CONCURRENT_UPDATE -> replyProblem(exchange, Problem.of(ErrorCode.CONCURRENT_UPDATE, "injected by the test", null));
        case BAD_GATEWAY_HTML -> reply(exchange, 502, "text/html",
            "<html><body>502 Bad Gateway</body></html>".getBytes(StandardCharsets.UTF_8));
        case FORWARD_THEN_DROP -> forward(exchange, body);
        case DROP -> { }
        default -> throw new IllegalStateException("unknown fault " + fault);
      }
      // DROP and FORWARD_THEN_DROP: closing before any answer closes the connection.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      exchange.close();
    }
  }

  private HttpResponse<byte[]> forward(HttpExchange exchange, byte[] body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target + exchange.getRequestURI().toString()))
        .method(exchange.getRequestMethod(),
            body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    if (type != null) {
      request.header("Content-Type", type);
    }
    String prefer = exchange.getRequestHeaders().getFirst(Headers.PREFER);
    if (prefer != null && forwardsPrefer) {
      request.header(Headers.PREFER, prefer);
    }
    return forwarder.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static void replyProblem(HttpExchange exchange, Problem problem) throws IOException {
    reply(exchange, problem.status(), Headers.PROBLEM_JSON, ClientJson.mapper().writeValueAsBytes(problem));
  }

  private static void reply(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    if (contentType != null) {
      exchange.getResponseHeaders().set("Content-Type", contentType);
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
