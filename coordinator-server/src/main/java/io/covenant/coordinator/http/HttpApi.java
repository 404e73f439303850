package io.covenant.coordinator.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.core.RetryPolicy;
import io.covenant.coordinator.engine.Clock;
import io.covenant.coordinator.engine.Engine;
import io.covenant.protocol.BeginRequest;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.FinishBranchRequest;
import io.covenant.protocol.Headers;
import io.covenant.protocol.RegisterBranchRequest;
import io.covenant.protocol.SagaRequest;
import io.covenant.protocol.TransactionPage;
import io.covenant.protocol.TransactionView;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's HTTP API (docs/protocol.md) on a Vert.x Web {@link Router}.
 *
 * <p>Every request is checked in full ({@link Requests}) before the engine sees it, so a rejected
 * request changes nothing. Errors are {@code application/problem+json} documents made from
 * {@link CovenantException#toProblem()}: a {@link CovenantException} from a check or from the
 * engine keeps its code; a body over {@code limits.bodyBytesMax} is 413, an unknown path 404, a
 * method the path does not take 405 (with {@code Allow}); anything unexpected is 500
 * {@code internal-error}, logged at ERROR with its cause while the answer keeps internals out.
 *
 * <p>Request bodies are JSON objects sent as {@code application/json} (UTF-8). Unknown fields are
 * ignored, so that a newer client can talk to an older coordinator; known fields are typed
 * strictly (a number in quotes is refused). Commit and rollback take no body; if one is sent it
 * must still be JSON, and it is ignored.
 *
 * <p>A state-changing request (begin, register, commit, rollback, saga submission, the operator's
 * retry and finish) answers with the transaction's view, or, when it carries
 * {@code Prefer: return=minimal} ({@link Prefer}), with its {@link io.covenant.protocol.TransactionSummary}
 * and {@code Preference-Applied: return=minimal}: same status, same {@code Location}, but no view
 * built. Reads always answer the view.
 *
 * <p>Threading: the router must run on the engine's context (the HTTP server is created on it),
 * because it calls the {@link Engine} directly, and the Prometheus scrape reads engine gauges.
 */
public final class HttpApi {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  /** One line per operator action: who, what, on which transaction, why, and how it ended. */
  private static final Logger audit = LoggerFactory.getLogger("covenant.audit");

  /** Where the coordinator is in its life, as {@code /health/ready} reports it. */
  public enum State { STARTING, READY, STOPPING }

  static final String JSON = "application/json";
  /** A saga may also be submitted as YAML, the same tree as its JSON (the saga DSL's file format). */
  static final List<String> YAML_TYPES = List.of("application/yaml", "application/x-yaml", "text/yaml");
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String ROUTE_KEY = "covenant.route";
  private static final String PRINCIPAL_KEY = "covenant.principal";
  private static final Buffer UP = Buffer.buffer("{\"status\":\"UP\"}");
  private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");

  /** The API's resources, for 405 answers: the path pattern and the methods it takes. */
  private record Resource(Pattern path, String allow) {}

  private static final List<Resource> RESOURCES = List.of(
      new Resource(Pattern.compile("/v1/transactions/?"), "GET, POST"),
      new Resource(Pattern.compile("/v1/transactions/[^/]+/?"), "GET"),
      new Resource(Pattern.compile("/v1/transactions/[^/]+/(branches|commit|rollback|retry)/?"), "POST"),
      new Resource(Pattern.compile("/v1/transactions/[^/]+/branches/[^/]+/finish/?"), "POST"),
      new Resource(Pattern.compile("/v1/sagas/?"), "POST"),
      new Resource(Pattern.compile("/health/(live|ready)/?"), "GET"),
      new Resource(Pattern.compile("/metrics/?"), "GET"));

  private final Vertx vertx;
  private final Engine engine;
  private final Clock clock;
  private final PrometheusMeterRegistry registry;
  /** The timers of {@link #measure}, found without building a meter id on every request. */
  private final Map<RequestTags, Timer> requestTimers = new ConcurrentHashMap<>();
  private final Requests requests;
  private final long bodyBytesMax;
  private final ApiTokens tokens;
  private volatile State state = State.STARTING;

  public HttpApi(Vertx vertx, Engine engine, Clock clock, CoordinatorConfig config, PrometheusMeterRegistry registry) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.bodyBytesMax = config.limitsBodyBytesMax();
    this.requests = new Requests(config.limitsGidLengthMax(), config.limitsBranchesPerTransactionMax(),
        config.sagaStepAttemptsMax(), config.limitsTimeoutMax(), config.limitsListPageMax(),
        new ParticipantUrls(config.participantAllowedHosts()),
        new RetryPolicy(config.retryInitialBackoff(), config.retryMaxBackoff()));
    this.tokens = config.authTokensFile() == null ? ApiTokens.disabled() : ApiTokens.load(config.authTokensFile());
    log.atInfo().addKeyValue("authentication", tokens.enabled() ? "bearer tokens" : "off (auth.tokensFile not set)")
        .log("API access control");
  }

  public void state(State state) {
    this.state = Objects.requireNonNull(state, "state");
  }

  public State state() {
    return state;
  }

  /** A new router serving the API; mount it as the HTTP server's request handler. */
  public Router router() {
    Router router = Router.router(vertx);
    router.route().handler(this::measure);

    BodyHandler body = BodyHandler.create(false).setBodyLimit(bodyBytesMax);
    // The router tries routes in order and matches a path with parameters by regex. No two paths
    // below overlap, so the order changes no answer; exact paths come first so that a saga
    // submission, one request per saga, is matched without running the regexes of the others.
    post(router, "/v1/transactions", body, this::begin);
    get(router, "/v1/transactions", this::list);
    router.post("/v1/sagas").handler(tag("/v1/sagas")).handler(authorize(ApiTokens.Permission.TRANSACTIONS));
    router.post("/v1/sagas").handler(body).handler(this::requireJsonOrYaml).handler(this::submitSaga);
    get(router, "/v1/transactions/:gid", this::get);
    post(router, "/v1/transactions/:gid/branches", body, this::register);
    post(router, "/v1/transactions/:gid/commit", body, this::commit);
    post(router, "/v1/transactions/:gid/rollback", body, this::rollback);
    post(router, "/v1/transactions/:gid/retry", ApiTokens.Permission.OPERATOR, body, this::retryNow);
    post(router, "/v1/transactions/:gid/branches/:branchId/finish", ApiTokens.Permission.OPERATOR, body, this::finish);
    get(router, "/health/live", ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(UP));
    get(router, "/health/ready", this::ready);
    get(router, "/metrics", this::metrics);

    router.route().failureHandler(this::failure);
    // Unmatched requests never reach a route's failure handler; the router's error handlers answer them.
    router.errorHandler(404, this::failure);
    router.errorHandler(405, this::failure);
    router.errorHandler(413, this::failure);
    router.errorHandler(500, this::failure);
    return router;
  }

  private void get(Router router, String path, Handler<RoutingContext> handler) {
    var route = router.get(path).handler(tag(path));
    if (path.startsWith("/v1/")) {
      route.handler(authorize(ApiTokens.Permission.READ));
    }
    route.handler(handler);
  }

  private void post(Router router, String path, BodyHandler body, Handler<RoutingContext> handler) {
    post(router, path, ApiTokens.Permission.TRANSACTIONS, body, handler);
  }

  private void post(Router router, String path, ApiTokens.Permission needed, BodyHandler body,
      Handler<RoutingContext> handler) {
    // Vert.x Web wants the body handler first on its route, so the route tag (and the token check,
    // which needs no body) get a route of their own.
    router.post(path).handler(tag(path)).handler(authorize(needed));
    router.post(path).handler(body).handler(this::requireJson).handler(handler);
  }

  /** Lets the request through only with a bearer token that has {@code needed} (when tokens are configured). */
  private Handler<RoutingContext> authorize(ApiTokens.Permission needed) {
    return ctx -> {
      try {
        ApiTokens.Principal principal = tokens.authorize(ctx.request().getHeader(HttpHeaders.AUTHORIZATION), needed);
        if (principal != null) {
          ctx.put(PRINCIPAL_KEY, principal.name());
        }
      } catch (CovenantException refused) {
        if (refused.code() == ErrorCode.UNAUTHORIZED) {
          ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"covenant\"");
        }
        ctx.fail(refused);
        return;
      }
      ctx.next();
    };
  }

  private static Handler<RoutingContext> tag(String route) {
    return ctx -> {
      ctx.put(ROUTE_KEY, route);
      ctx.next();
    };
  }

  // --- endpoints --------------------------------------------------------------------------------

  private void begin(RoutingContext ctx) {
    Requests.Begin b = requests.begin(read(ctx, BeginRequest.class));
    answer(ctx, 201, true, () -> engine.begin(b.gid(), b.mode(), b.timeout()));
  }

  private void register(RoutingContext ctx) {
    String gid = requests.pathGid(ctx.pathParam("gid"));
    RegisterBranchRequest r = read(ctx, RegisterBranchRequest.class);
    requests.branchShape(r, gid);
    // The mode decides which URLs a branch gives, so look the transaction up first; a refusal
    // here happens before anything is written.
    answer(ctx, 201, false, () -> engine.get(gid).compose(tx -> engine.register(gid, requests.branch(r, tx.mode(), gid))));
  }

  private void commit(RoutingContext ctx) {
    String gid = requests.pathGid(ctx.pathParam("gid"));
    readOptional(ctx);
    answer(ctx, 200, false, () -> engine.commit(gid));
  }

  private void rollback(RoutingContext ctx) {
    String gid = requests.pathGid(ctx.pathParam("gid"));
    readOptional(ctx);
    answer(ctx, 200, false, () -> engine.rollback(gid, "rolled back by the client"));
  }

  private void submitSaga(RoutingContext ctx) {
    Requests.Saga s = requests.saga(read(ctx, SagaRequest.class));
    answer(ctx, 201, true, () -> engine.submitSaga(s.gid(), s.steps(), s.recovery(), s.timeout()));
  }

  private void retryNow(RoutingContext ctx) {
    String gid = requests.pathGid(ctx.pathParam("gid"));
    readOptional(ctx);
    answer(ctx, 200, false, () -> audited(ctx, "retry", gid, null, null, engine.retryNow(gid)));
  }

  private void finish(RoutingContext ctx) {
    String gid = requests.pathGid(ctx.pathParam("gid"));
    String branchId = requests.pathBranchId(ctx.pathParam("branchId"), gid);
    String reason = requests.reason(read(ctx, FinishBranchRequest.class), gid);
    String resolution = "finished by hand by " + who(ctx) + ": " + reason;
    answer(ctx, 200, false, () -> audited(ctx, "finish", gid, branchId, reason, engine.finish(gid, branchId, resolution)));
  }

  /** The token's name, or {@code anonymous} when the API is open. */
  private static String who(RoutingContext ctx) {
    String name = ctx.get(PRINCIPAL_KEY);
    return name == null ? "anonymous" : "'" + name + "'";
  }

  /** Writes the audit line of an operator action once it has ended, whichever way. */
  private static Future<GlobalTx> audited(RoutingContext ctx, String action, String gid, String branchId, String reason,
      Future<GlobalTx> done) {
    return done.onComplete(ar -> audit.atInfo()
        .addKeyValue("action", action)
        .addKeyValue("by", who(ctx))
        .addKeyValue("from", ctx.request().remoteAddress())
        .addKeyValue("gid", gid)
        .addKeyValue("branch", branchId)
        .addKeyValue("reason", reason)
        .addKeyValue("outcome", ar.succeeded() ? "ok: " + ar.result().status().code()
            : ar.cause() instanceof CovenantException e ? "refused: " + e.code().slug() : "failed: " + ar.cause())
        .log("operator action"));
  }

  /** A read wants the representation: {@code Prefer: return=minimal} is for the writes. */
  private void get(RoutingContext ctx) {
    String gid = requests.pathGid(ctx.pathParam("gid"));
    whenDone(ctx, () -> engine.get(gid), tx -> json(ctx, 200, Views.of(tx, engine.stuckAfterAttempts())));
  }

  private void list(RoutingContext ctx) {
    var query = requests.query(ctx.queryParams(), clock.now(), engine.stuckAfterAttempts());
    whenDone(ctx, () -> engine.list(query), page -> {
      List<TransactionView> items = new ArrayList<>(page.items().size());
      for (GlobalTx tx : page.items()) {
        items.add(Views.of(tx, engine.stuckAfterAttempts()));
      }
      json(ctx, 200, new TransactionPage(items, page.nextCursor()));
    });
  }

  /**
   * The Prometheus text, written on a worker thread: formatting every meter takes milliseconds, which
   * the event loop would otherwise take from the requests and calls waiting on it at each scrape.
   */
  private void metrics(RoutingContext ctx) {
    vertx.executeBlocking(registry::scrape, false).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else {
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT).end(ar.result());
      }
    });
  }

  private void ready(RoutingContext ctx) {
    switch (state) {
      case READY -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(UP);
      case STARTING -> problem(ctx, new CovenantException(ErrorCode.STORE_UNAVAILABLE,
          "coordinator is starting: loading unfinished transactions"));
      case STOPPING -> problem(ctx, new CovenantException(ErrorCode.SHUTTING_DOWN, "coordinator is stopping"));
    }
  }

  // --- plumbing ---------------------------------------------------------------------------------

  /**
   * Runs a state-changing engine call and answers with the transaction: its summary when the request
   * prefers {@code return=minimal} (confirmed in {@code Preference-Applied}), so that the view is
   * not built, else its view; {@code Location} names it when {@code location} is true. A failure
   * fails the request with the error, whatever the preference.
   */
  private void answer(RoutingContext ctx, int status, boolean location, Supplier<Future<GlobalTx>> action) {
    boolean minimal = Prefer.returnMinimal(ctx.request().headers().getAll(Headers.PREFER));
    whenDone(ctx, action, tx -> {
      if (location) {
        ctx.response().putHeader(HttpHeaders.LOCATION, "/v1/transactions/" + tx.gid());
      }
      if (minimal) {
        ctx.response().putHeader(Headers.PREFERENCE_APPLIED, Headers.RETURN_MINIMAL);
        json(ctx, status, Views.summary(tx));
      } else {
        json(ctx, status, Views.of(tx, engine.stuckAfterAttempts()));
      }
    });
  }

  /**
   * Runs an engine call and hands its result to {@code then}, or fails the request with the error.
   * An exception thrown by {@code then} fails the request too (a 500), rather than leave it unanswered:
   * Vert.x only logs what a future's handler throws.
   */
  private <T> void whenDone(RoutingContext ctx, Supplier<Future<T>> action, Handler<T> then) {
    call(action).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      try {
        then.handle(ar.result());
      } catch (RuntimeException | LinkageError e) {
        if (!ctx.response().ended()) {
          ctx.fail(e);
        }
      }
    });
  }

  /** The engine may throw a refusal instead of returning a failed future; both become a failed future. */
  private <T> Future<T> call(Supplier<Future<T>> action) {
    if (state == State.STOPPING) {
      return Future.failedFuture(new CovenantException(ErrorCode.SHUTTING_DOWN, "coordinator is stopping"));
    }
    try {
      return action.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** 415 for a body that is not {@code application/json} (UTF-8); an empty body needs no type. */
  private void requireJson(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body != null && body.length() > 0) {
      String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
      if (!isJson(type)) {
        throw new CovenantException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json, got "
            + (type == null ? "none" : "'" + type + "'"));
      }
    }
    ctx.next();
  }

  /** Like {@link #requireJson}, but a YAML body is accepted too (for {@code POST /v1/sagas}). */
  private void requireJsonOrYaml(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body != null && body.length() > 0) {
      String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
      if (!isJson(type) && !isYaml(type)) {
        throw new CovenantException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json or "
            + "application/yaml, got " + (type == null ? "none" : "'" + type + "'"));
      }
    }
    ctx.next();
  }

  static boolean isYaml(String contentType) {
    if (contentType == null) {
      return false;
    }
    String[] parts = contentType.split(";");
    if (!YAML_TYPES.contains(parts[0].trim().toLowerCase(Locale.ROOT))) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim().toLowerCase(Locale.ROOT);
      if (p.startsWith("charset=") && !p.substring(8).replace("\"", "").equals("utf-8")) {
        return false;
      }
    }
    return true;
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String[] parts = contentType.split(";");
    if (!parts[0].trim().equalsIgnoreCase(JSON)) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim().toLowerCase(Locale.ROOT);
      if (p.startsWith("charset=") && !p.substring(8).replace("\"", "").equals("utf-8")) {
        return false; // JSON is UTF-8 (RFC 8259)
      }
    }
    return true;
  }

  /** The body as a {@code type}: 400 malformed-json if it does not parse, invalid-request if it does not fit. */
  private static <T> T read(RoutingContext ctx, Class<T> type) {
    T direct = readDirectly(ctx, type);
    if (direct != null) {
      return direct;
    }
    JsonNode node = parse(ctx);
    if (node == null) {
      throw Requests.invalid("a JSON object body is required", null);
    }
    if (!node.isObject()) {
      throw Requests.invalid("the body must be a JSON object, got " + node.getNodeType().name().toLowerCase(Locale.ROOT), null);
    }
    try {
      return Json.mapper().treeToValue(node, type);
    } catch (JsonMappingException e) {
      throw Requests.invalid(describe(e), null);
    } catch (JsonProcessingException e) {
      throw Requests.invalid(e.getOriginalMessage(), null);
    }
  }

  /**
   * The common case, fast: a JSON body read straight into {@code type}, without building a tree
   * first. Null when that does not succeed (YAML, no body, not an object, any error): then
   * {@link #read} takes the slower path through a tree, which says precisely what is wrong, so
   * every refusal reads exactly as it always has.
   */
  private static <T> T readDirectly(RoutingContext ctx, Class<T> type) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0 || isYaml(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE))) {
      return null;
    }
    // Read the body where it lies when the buffer has an array (the usual heap buffer): copying it
    // first was ~2 % of everything a saga submission allocates.
    ByteBuf buf = ((BufferInternal) body).getByteBuf();
    byte[] bytes;
    int offset;
    int end;
    if (buf.hasArray()) {
      bytes = buf.array();
      offset = buf.arrayOffset() + buf.readerIndex();
      end = offset + buf.readableBytes();
    } else {
      bytes = body.getBytes();
      offset = 0;
      end = bytes.length;
    }
    int first = offset;
    while (first < end && (bytes[first] == ' ' || bytes[first] == '\t' || bytes[first] == '\n' || bytes[first] == '\r')) {
      first++;
    }
    if (first == end || bytes[first] != '{') {
      return null;
    }
    try {
      return Json.reader(type).readValue(bytes, offset, end - offset);
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  /** Commit and rollback: any body is ignored, but it must still be well-formed JSON. */
  private static void readOptional(RoutingContext ctx) {
    parse(ctx);
  }

  private static JsonNode parse(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      return null;
    }
    if (isYaml(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE))) {
      try {
        return Json.yamlMapper().readTree(body.getBytes());
      } catch (JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        throw new CovenantException(ErrorCode.MALFORMED_JSON, "body is not valid YAML" + where + ": " + e.getOriginalMessage());
      } catch (java.io.IOException | RuntimeException e) {
        throw new CovenantException(ErrorCode.MALFORMED_JSON, "body is not valid YAML: " + e.getMessage());
      }
    }
    try {
      return Json.mapper().readTree(body.getBytes());
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      throw new CovenantException(ErrorCode.MALFORMED_JSON, "body is not valid JSON" + where + ": " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new CovenantException(ErrorCode.MALFORMED_JSON, "body is not valid JSON: " + e.getMessage());
    }
  }

  /** Names the field as the client wrote it ({@code steps[2].timeoutMillis}) and says what was wrong. */
  static String describe(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (path.length() > 0) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    String field = path.length() == 0 ? "body" : path.toString();
    Throwable cause = e.getCause();
    if (cause instanceof IllegalArgumentException && cause.getMessage() != null) {
      return field + ": " + cause.getMessage(); // an unknown wire code: "'x' is not one of [tcc, saga, 2pc]"
    }
    if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      return field + " must be " + typeName(m.getTargetType());
    }
    return field + ": " + e.getOriginalMessage();
  }

  private static String typeName(Class<?> type) {
    if (type == Long.class || type == long.class || type == Integer.class || type == int.class) {
      return "a whole number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a string";
    }
    if (List.class.isAssignableFrom(type)) {
      return "an array";
    }
    if (type.isEnum()) {
      return "one of " + List.of(type.getEnumConstants()).stream()
          .map(c -> c instanceof io.covenant.protocol.WireCode w ? w.code() : c.toString()).toList();
    }
    return "an object";
  }

  private static void json(RoutingContext ctx, int status, Object body) {
    byte[] bytes;
    try {
      bytes = Json.mapper().writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      ctx.fail(e);
      return;
    }
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(Buffer.buffer(bytes));
  }

  /** The one place errors become answers: every error, expected or not, is problem+json. */
  private void failure(RoutingContext ctx) {
    Throwable t = ctx.failure();
    CovenantException problem;
    if (t instanceof CovenantException ce) {
      problem = ce;
    } else if (t == null || t instanceof HttpException) {
      int status = t == null ? ctx.statusCode() : ((HttpException) t).getStatusCode();
      problem = forStatus(ctx, status);
    } else {
      log.atError().setCause(t).addKeyValue("method", ctx.request().method().name())
          .addKeyValue("path", ctx.request().path()).log("request failed unexpectedly");
      problem = new CovenantException(ErrorCode.INTERNAL, "the coordinator failed to handle this request; its log has the cause");
    }
    problem(ctx, problem);
  }

  private CovenantException forStatus(RoutingContext ctx, int status) {
    String method = ctx.request().method().name();
    String path = ctx.request().path();
    switch (status) {
      case 404:
        return new CovenantException(ErrorCode.NOT_FOUND, "no resource at " + method + " " + path);
      case 405: {
        String allow = allowed(path);
        if (allow != null) {
          ctx.response().putHeader(HttpHeaders.ALLOW, allow);
        }
        return new CovenantException(ErrorCode.METHOD_NOT_ALLOWED, method + " is not allowed on " + path
            + (allow == null ? "" : "; allowed: " + allow));
      }
      case 413:
        return new CovenantException(ErrorCode.PAYLOAD_TOO_LARGE,
            "request body exceeds " + bodyBytesMax + " bytes (limits.bodyBytesMax)");
      case 415:
        return new CovenantException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
      default:
        if (status >= 400 && status < 500) {
          return new CovenantException(ErrorCode.INVALID_REQUEST, "request refused with status " + status);
        }
        log.atError().addKeyValue("status", status).addKeyValue("method", method).addKeyValue("path", path)
            .log("request failed unexpectedly");
        return new CovenantException(ErrorCode.INTERNAL, "the coordinator failed to handle this request; its log has the cause");
    }
  }

  private static String allowed(String path) {
    for (Resource r : RESOURCES) {
      if (r.path().matcher(path).matches()) {
        return r.allow();
      }
    }
    return null;
  }

  private static void problem(RoutingContext ctx, CovenantException e) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      response.reset(); // a half-sent answer cannot become a problem; let the client see the failure
      return;
    }
    byte[] body;
    try {
      body = Json.mapper().writeValueAsBytes(e.toProblem());
    } catch (JsonProcessingException impossible) {
      body = ("{\"type\":\"" + ErrorCode.INTERNAL.type() + "\",\"status\":500}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    response.setStatusCode(e.code().httpStatus()).putHeader(HttpHeaders.CONTENT_TYPE, Headers.PROBLEM_JSON);
    if (e.code() == ErrorCode.PAYLOAD_TOO_LARGE && ctx.request().version() != io.vertx.core.http.HttpVersion.HTTP_2) {
      // The rest of the body is not read; close the connection rather than leave it unusable.
      response.putHeader(HttpHeaders.CONNECTION, "close");
    }
    response.end(Buffer.buffer(body));
  }

  /** Records {@code covenant.http.requests{method,route,status}}; the route is the template, so tags stay bounded. */
  private void measure(RoutingContext ctx) {
    long started = System.nanoTime();
    ctx.addEndHandler(ar -> {
      String route = ctx.get(ROUTE_KEY);
      String method = ctx.request().method().name();
      RequestTags tags = new RequestTags(METHODS.contains(method) ? method : "other", route == null ? "unmatched" : route,
          ctx.response().getStatusCode());
      requestTimers.computeIfAbsent(tags, this::requestTimer).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    });
    ctx.next();
  }

  /** The tags of one {@code covenant.http.requests} timer; a bounded set (methods x route templates x statuses). */
  private record RequestTags(String method, String route, int status) {}

  private Timer requestTimer(RequestTags tags) {
    return Timer.builder("covenant.http.requests")
        .description("HTTP API requests and their latency")
        .tag("method", tags.method())
        .tag("route", tags.route())
        .tag("status", Integer.toString(tags.status()))
        .register(registry);
  }
}
