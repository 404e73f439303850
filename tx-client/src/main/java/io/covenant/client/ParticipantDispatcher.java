package io.covenant.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.covenant.client.internal.ClientJson;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import io.covenant.protocol.Problem;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a participant: routes each call of the coordinator (and the initiator's TCC try) to the
 * handler registered for its resource and its {@code Covenant-Op}, and turns the handler's outcome
 * into the answer the coordinator understands.
 *
 * <pre>{@code
 * ParticipantDispatcher stock = ParticipantDispatcher.builder()
 *     .on("stock", Op.TRY, call -> inventory.reserve(call.gid(), call.payloadAs(Order.class)))
 *     .on("stock", Op.CONFIRM, call -> inventory.commitReservation(call.gid()))
 *     .on("stock", Op.CANCEL, call -> inventory.release(call.gid()))
 *     .build();
 * server.createContext("/participant", stock.httpHandler());   // register http://host:port/participant/stock
 * }</pre>
 *
 * <p>The resource is the request path below where the dispatcher is mounted, without slashes at
 * either end and without the query, so one URL can serve every op of a resource (the op header
 * tells them apart); separate URLs per op work as well.
 *
 * <table>
 *   <caption>Answers</caption>
 *   <tr><th>Outcome</th><th>Answer</th><th>The coordinator</th></tr>
 *   <tr><td>the handler returns</td><td>200, empty body</td><td>done</td></tr>
 *   <tr><td>it throws {@link BusinessRefusal}</td><td>409, problem {@link BusinessRefusal#TYPE}</td><td>refused, final</td></tr>
 *   <tr><td>it throws {@link CallConflict} (the barrier's {@code BarrierConflict})</td><td>500, problem {@code internal-error} (logged at WARN, no stack trace)</td><td>retries (shows as stuck)</td></tr>
 *   <tr><td>it throws any other exception</td><td>500, problem {@code internal-error} (logged at WARN with its stack trace)</td><td>retries</td></tr>
 *   <tr><td>{@code Covenant-Gid}, {@code -Branch} or {@code -Op} missing or unknown</td><td>400 {@code invalid-request}</td><td>retries (shows as stuck)</td></tr>
 *   <tr><td>no handler for the resource and op</td><td>404 {@code not-found}</td><td>retries (shows as stuck)</td></tr>
 * </table>
 *
 * <p>While a handler runs, its call's gid and branch id are the current {@link TransactionContext}.
 * Handlers run on the caller's thread (the HTTP server's), one call each; the dispatcher itself is
 * immutable and thread-safe.
 */
public final class ParticipantDispatcher {
  private static final Logger log = LoggerFactory.getLogger(ParticipantDispatcher.class);
  private static final String PROBLEM_JSON = Headers.PROBLEM_JSON;

  private final Map<String, Map<Op, ParticipantHandler>> routes;
  private final ObjectMapper json;

  private ParticipantDispatcher(Map<String, Map<Op, ParticipantHandler>> routes, ObjectMapper json) {
    this.routes = routes;
    this.json = json;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * An answer to one call.
   *
   * @param contentType the body's media type, or null when the body is empty
   */
  public record Response(int status, String contentType, byte[] body) {
    /** The body as UTF-8 text. */
    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * Handles one call, independent of any HTTP server: the core that adapters (the JDK
   * {@link #httpHandler()}, the Servlet {@code DispatcherServlet}, the Vert.x Web
   * {@code DispatcherHandler} of tx-client-vertx, or your own) wrap.
   *
   * @param headers the request headers, one value each; names are matched ignoring case
   * @param body the request body, empty when there is none
   * @param path the path the call was routed by, relative to where the dispatcher is mounted (a
   *     query is ignored)
   */
  @SuppressWarnings("try") // the scope is used for its close() alone
  public Response handle(Map<String, String> headers, byte[] body, String path) {
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    h.putAll(headers);
    String gid = h.get(Headers.GID);
    String branchId = h.get(Headers.BRANCH);
    String opCode = h.get(Headers.OP);
    String resource = resource(path);
    if (isBlank(gid) || isBlank(branchId) || isBlank(opCode)) {
      return problem(Problem.of(ErrorCode.INVALID_REQUEST, "a participant call needs the headers " + Headers.GID
          + ", " + Headers.BRANCH + " and " + Headers.OP + "; got gid=" + gid + " branch=" + branchId + " op=" + opCode,
          gid));
    }
    Op op;
    try {
      op = Op.fromCode(opCode.strip());
    } catch (IllegalArgumentException e) {
      return problem(Problem.of(ErrorCode.INVALID_REQUEST, Headers.OP + ": " + e.getMessage(), gid));
    }
    ParticipantHandler handler = routes.getOrDefault(resource, Map.of()).get(op);
    if (handler == null) {
      return problem(Problem.of(ErrorCode.NOT_FOUND, "no handler for op " + op.code() + " on resource '" + resource
          + "'; this dispatcher handles " + describeRoutes(), gid));
    }
    ParticipantCall call = new ParticipantCall(gid, branchId, op, resource, body, Collections.unmodifiableMap(h), json);
    try (TransactionContext.Scope scope = TransactionContext.bind(gid, branchId)) {
      handler.handle(call);
      return new Response(200, null, new byte[0]);
    } catch (BusinessRefusal refusal) {
      log.atDebug().addKeyValue("gid", gid).addKeyValue("branch", branchId).addKeyValue("op", op.code())
          .addKeyValue("reason", refusal.getMessage()).log("participant refused");
      return problem(new Problem(BusinessRefusal.TYPE, BusinessRefusal.TITLE, 409, refusal.getMessage(), gid, false));
    } catch (CallConflict conflict) {
      // A situation of the protocol, not a fault in the handler: the message says it all.
      log.atWarn().addKeyValue("gid", gid).addKeyValue("branch", branchId).addKeyValue("op", op.code())
          .addKeyValue("resource", resource).addKeyValue("conflict", conflict.getMessage())
          .log("participant call conflicts with what the branch recorded; answering 500");
      return problem(Problem.of(ErrorCode.INTERNAL, op.code() + " of branch " + branchId + " failed: " + conflict, gid));
    } catch (Exception failure) {
      log.atWarn().setCause(failure).addKeyValue("gid", gid).addKeyValue("branch", branchId)
          .addKeyValue("op", op.code()).addKeyValue("resource", resource)
          .log("participant handler failed; answering 500 so that the coordinator calls again");
      return problem(Problem.of(ErrorCode.INTERNAL, op.code() + " of branch " + branchId + " failed: " + failure, gid));
    }
  }

  /**
   * This dispatcher as a JDK {@link com.sun.net.httpserver.HttpServer} handler. The resource is the
   * request path below the handler's context path. Only {@code POST} is accepted.
   */
  public HttpHandler httpHandler() {
    return this::serve;
  }

  private void serve(HttpExchange exchange) throws IOException {
    try {
      Response response;
      if (!"POST".equalsIgnoreCase(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "POST");
        response = problem(Problem.of(ErrorCode.METHOD_NOT_ALLOWED,
            "participant calls are POST, not " + exchange.getRequestMethod(), null));
      } else {
        byte[] body = exchange.getRequestBody().readAllBytes();
        Map<String, String> headers = new LinkedHashMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> {
          if (!values.isEmpty()) {
            headers.put(name, values.get(0));
          }
        });
        String contextPath = exchange.getHttpContext().getPath();
        String path = exchange.getRequestURI().getPath();
        response = handle(headers, body, path.startsWith(contextPath) ? path.substring(contextPath.length()) : path);
      }
      if (response.contentType() != null) {
        exchange.getResponseHeaders().set("Content-Type", response.contentType());
      }
      byte[] body = response.body();
      exchange.sendResponseHeaders(response.status(), body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    } finally {
      exchange.close();
    }
  }

  private Response problem(Problem problem) {
    try {
      return new Response(problem.status(), PROBLEM_JSON, json.writeValueAsBytes(problem));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a problem document", e);
    }
  }

  private String describeRoutes() {
    return routes.entrySet().stream()
        .map(e -> "'" + e.getKey() + "' " + e.getValue().keySet().stream().map(Op::code).toList())
        .collect(Collectors.joining(", "));
  }

  /** The routing key of a path: no query or fragment, no slashes at either end. */
  static String resource(String path) {
    String p = path == null ? "" : path;
    int cut = indexOfAny(p, '?', '#');
    if (cut >= 0) {
      p = p.substring(0, cut);
    }
    int start = 0;
    int end = p.length();
    while (start < end && p.charAt(start) == '/') {
      start++;
    }
    while (end > start && p.charAt(end - 1) == '/') {
      end--;
    }
    return p.substring(start, end);
  }

  private static int indexOfAny(String s, char a, char b) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == a || s.charAt(i) == b) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  /** Registers handlers; {@link #build()} returns the immutable dispatcher. */
  public static final class Builder {
    private final Map<String, Map<Op, ParticipantHandler>> routes = new LinkedHashMap<>();
    private ObjectMapper json = ClientJson.mapper();

    private Builder() {}

    /**
     * Routes calls with op {@code op} on {@code resource} to {@code handler}.
     *
     * @param resource the path below the dispatcher, e.g. {@code "stock"} or {@code "stock/confirm"};
     *     slashes at either end are ignored
     * @throws IllegalStateException when this resource and op already have a handler
     */
    public Builder on(String resource, Op op, ParticipantHandler handler) {
      Objects.requireNonNull(resource, "resource");
      Objects.requireNonNull(op, "op");
      Objects.requireNonNull(handler, "handler");
      String key = resource(resource);
      Map<Op, ParticipantHandler> ops = routes.computeIfAbsent(key, k -> new EnumMap<>(Op.class));
      if (ops.putIfAbsent(op, handler) != null) {
        throw new IllegalStateException("resource '" + key + "' has a handler for op " + op.code() + " already");
      }
      return this;
    }

    /** The mapper for {@link ParticipantCall#payload()} and {@link ParticipantCall#payloadAs}; the client's by default. */
    public Builder objectMapper(ObjectMapper json) {
      this.json = Objects.requireNonNull(json, "json");
      return this;
    }

    /** @throws IllegalStateException when no handler was registered */
    public ParticipantDispatcher build() {
      if (routes.isEmpty()) {
        throw new IllegalStateException("a dispatcher needs at least one handler: call on(resource, op, handler)");
      }
      Map<String, Map<Op, ParticipantHandler>> copy = new LinkedHashMap<>();
      routes.forEach((resource, ops) -> copy.put(resource, Collections.unmodifiableMap(new EnumMap<>(ops))));
      return new ParticipantDispatcher(Collections.unmodifiableMap(copy), json);
    }
  }

  @Override
  public String toString() {
    return "ParticipantDispatcher{" + describeRoutes() + "}";
  }
}
