package io.covenant.coordinator.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.coordinator.core.Call;
import io.covenant.coordinator.engine.CallResult;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The participant transport against a real Vert.x HTTP server on a loopback port: what arrives
 * (method, headers, body) and how each kind of answer is classified.
 */
class HttpTransportTest {
  static Vertx vertx;
  static HttpServer server;
  static HttpTransport transport;
  static final List<Received> received = new CopyOnWriteArrayList<>();
  static final List<HttpServerRequest> hanging = new CopyOnWriteArrayList<>();
  /** Completed when the connection that carried the call of this gid closes. */
  static final Map<String, CompletableFuture<Void>> connectionClosed = new ConcurrentHashMap<>();

  record Received(String method, String path, String gid, String branch, String op, String contentType, String body,
      HttpVersion version, String host, String tenant) {}

  @BeforeAll
  static void startParticipant() throws Exception {
    vertx = Vertx.vertx();
    server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true))
        .requestHandler(HttpTransportTest::handle)
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    transport = new HttpTransport(vertx, Duration.ofSeconds(5), 8, false);
  }

  @AfterAll
  static void stop() throws Exception {
    transport.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static void handle(HttpServerRequest request) {
    CompletableFuture<Void> closed = connectionClosed.get(String.valueOf(request.getHeader(Headers.GID)));
    if (closed != null) {
      request.connection().closeHandler(v -> closed.complete(null));
    }
    request.body().onSuccess(body -> {
      received.add(new Received(request.method().name(), request.path(), request.getHeader(Headers.GID),
          request.getHeader(Headers.BRANCH), request.getHeader(Headers.OP), request.getHeader("Content-Type"),
          body.toString(), request.version(), request.getHeader("Host"), request.getHeader("X-Tenant")));
      switch (request.path()) {
        case "/ok" -> request.response().setStatusCode(200).end("{}");
        case "/json" -> request.response().setStatusCode(201).end("{ \"id\" : \"r-1\",\n \"n\": [1, 2] }");
        case "/text" -> request.response().setStatusCode(200).end("reserved r-1");
        case "/accepted" -> request.response().setStatusCode(204).end();
        case "/refuse" -> request.response().setStatusCode(409).end("{\"reason\":\"out of stock\"}");
        case "/fail" -> request.response().setStatusCode(500).end("x".repeat(1000));
        case "/unavailable" -> request.response().setStatusCode(503).end("try\n\tlater");
        case "/redirect" -> request.response().setStatusCode(302).putHeader("Location", "/ok").end();
        case "/big" -> request.response().setStatusCode(200).end("y".repeat(2_000_000));
        case "/hang" -> hanging.add(request); // never answered
        default -> request.response().setStatusCode(404).end();
      }
    });
  }

  private static String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  private static CallResult call(HttpTransport t, Call call) throws Exception {
    // The engine calls from its context; do the same.
    Future<CallResult> result = Future.future(p -> vertx.runOnContext(v -> t.call(call).onComplete(p)));
    return result.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static CallResult call(String path, String payload, Duration timeout) throws Exception {
    return call(transport, new Call("gid-" + path.substring(1), "stock", Op.CONFIRM, url(path), payload, timeout));
  }

  private static Received last(String gid) {
    List<Received> matching = new ArrayList<>();
    for (Received r : received) {
      if (gid.equals(r.gid())) {
        matching.add(r);
      }
    }
    assertThat(matching).as("calls for " + gid).isNotEmpty();
    return matching.get(matching.size() - 1);
  }

  /** Names a test resolves as it is told, the way a DNS server controlled by a caller would. */
  private static HttpTransport resolving(java.util.Map<String, String> names) {
    return new HttpTransport(vertx, Duration.ofSeconds(5), 2, false, null,
        HttpTransport.RESULT_BYTES_MAX_DEFAULT, HttpTransport.KEEP_ALIVE_TIMEOUT_DEFAULT, host -> {
      String addresses = names.get(host);
      if (addresses == null) {
        throw new java.net.UnknownHostException(host);
      }
      List<java.net.InetAddress> all = new ArrayList<>();
      for (String a : addresses.split(",")) {
        all.add(java.net.InetAddress.getByName(a)); // literals: no lookup
      }
      return all.toArray(new java.net.InetAddress[0]);
    });
  }

  @Test
  void onlyAddressLiteralsSkipResolution() {
    assertThat(HttpTransport.hasLiteralHost("http://127.0.0.1:8080/tcc/confirm")).isTrue();
    assertThat(HttpTransport.hasLiteralHost("http://10.0.0.7/x?y=1")).isTrue();
    assertThat(HttpTransport.hasLiteralHost("https://[::1]:8443/x")).isTrue();
    assertThat(HttpTransport.hasLiteralHost("http://user@127.0.0.1:80/x")).isTrue();
    assertThat(HttpTransport.hasLiteralHost("http://stock.internal:8080/x")).isFalse();
    assertThat(HttpTransport.hasLiteralHost("http://1.2.3.4.example.com/x")).isFalse();
    assertThat(HttpTransport.hasLiteralHost("http://localhost:8080/10.0.0.1")).isFalse();
    assertThat(HttpTransport.hasLiteralHost("http://127.0.0.1@evil.example/x")).isFalse();
  }

  @Test
  void anIpv4LiteralIsFourGroupsOfOneToThreeDigits() {
    for (String literal : List.of("1.2.3.4", "127.0.0.1", "255.255.255.255", "000.0.00.1")) {
      assertThat(HttpTransport.isIpv4Literal(literal, 0, literal.length())).as(literal).isTrue();
    }
    for (String other : List.of("", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "1234.1.1.1", "1.2.3.4a", "a.b.c.d")) {
      assertThat(HttpTransport.isIpv4Literal(other, 0, other.length())).as(other).isFalse();
    }
    assertThat(HttpTransport.isIpv4Literal("http://10.0.0.7/x", 7, 15)).isTrue();
  }

  @Test
  void aHostNameIsCalledAtTheAddressItResolvesToWithTheNameAsHost() throws Exception {
    HttpTransport t = resolving(java.util.Map.of("stock.covenant.test", "127.0.0.1"));
    try {
      String url = "http://stock.covenant.test:" + server.actualPort() + "/ok";
      assertThat(call(t, new Call("named-1", "stock", Op.CONFIRM, url, null, null))).isEqualTo(CallResult.OK);
      assertThat(last("named-1").host()).isEqualTo("stock.covenant.test:" + server.actualPort());
    } finally {
      t.close();
    }
  }

  @Test
  void aHostNameThatResolvesToTheMetadataAddressIsNeverCalled() throws Exception {
    HttpTransport t = resolving(java.util.Map.of(
        "rebound.covenant.test", "169.254.169.254,0.0.0.0",
        "mixed.covenant.test", "169.254.169.254,127.0.0.1"));
    try {
      String port = ":" + server.actualPort();
      CallResult refused = call(t, new Call("rebound-1", "stock", Op.CONFIRM, "http://rebound.covenant.test" + port + "/ok", null, null));
      assertThat(refused.kind()).isEqualTo(CallResult.Kind.FAILED);
      assertThat(refused.detail()).isEqualTo("participant host rebound.covenant.test resolves only to addresses that are "
          + "never called: 169.254.169.254 (link-local), 0.0.0.0 (unspecified)");
      assertThat(received).noneMatch(r -> "rebound-1".equals(r.gid()));

      CallResult mixed = call(t, new Call("mixed-1", "stock", Op.CONFIRM, "http://mixed.covenant.test" + port + "/ok", null, null));
      assertThat(mixed).as("the address that may be called is used").isEqualTo(CallResult.OK);

      CallResult unknown = call(t, new Call("unknown-1", "stock", Op.CONFIRM, "http://nowhere.covenant.test" + port + "/ok", null, null));
      assertThat(unknown.kind()).isEqualTo(CallResult.Kind.FAILED);
      assertThat(unknown.detail()).isEqualTo("participant host nowhere.covenant.test does not resolve");
    } finally {
      t.close();
    }
  }

  @Test
  void postsThePayloadWithTheProtocolHeaders() throws Exception {
    CallResult result = call(transport,
        new Call("order-1", "reserve", Op.COMPENSATE, url("/ok?x=1"), "{\"sku\":\"A-1\",\"qty\":2}", null));

    assertThat(result).isEqualTo(CallResult.OK);
    Received r = last("order-1");
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.path()).isEqualTo("/ok");
    assertThat(r.branch()).isEqualTo("reserve");
    assertThat(r.op()).isEqualTo("compensate");
    assertThat(r.contentType()).isEqualTo("application/json");
    assertThat(r.body()).isEqualTo("{\"sku\":\"A-1\",\"qty\":2}");
    assertThat(r.version()).isEqualTo(HttpVersion.HTTP_1_1);
  }

  @Test
  void sendsAnEmptyBodyWhenTheBranchHasNoPayload() throws Exception {
    assertThat(call("/ok", null, null)).isEqualTo(CallResult.OK);
    Received r = last("gid-ok");
    assertThat(r.body()).isEmpty();
    assertThat(r.op()).isEqualTo("confirm");
  }

  @Test
  void anyTwoHundredIsSuccess() throws Exception {
    assertThat(call("/accepted", "{}", null)).isEqualTo(CallResult.OK);
  }

  @Test
  void conflictIsARefusalWithTheBodyInTheDetail() throws Exception {
    CallResult result = call("/refuse", "{}", null);
    assertThat(result.kind()).isEqualTo(CallResult.Kind.REFUSED);
    assertThat(result.detail()).isEqualTo("409 {\"reason\":\"out of stock\"}");
  }

  @Test
  void serverErrorIsTransientWithAShortExcerpt() throws Exception {
    CallResult result = call("/fail", "{}", null);
    assertThat(result.kind()).isEqualTo(CallResult.Kind.FAILED);
    assertThat(result.detail()).startsWith("500 xxx").hasSize("500 ".length() + HttpTransport.EXCERPT_CHARS);
  }

  @Test
  void whitespaceInTheExcerptIsFolded() throws Exception {
    CallResult result = call("/unavailable", "{}", null);
    assertThat(result).isEqualTo(CallResult.failed("503 try later"));
  }

  @Test
  void redirectIsNotFollowedAndIsTransient() throws Exception {
    CallResult result = call("/redirect", "{}", null);
    assertThat(result).isEqualTo(CallResult.failed("302"));
  }

  @Test
  void aHugeAnswerIsReadButNotKept() throws Exception {
    assertThat(call("/big", "{}", null)).isEqualTo(CallResult.OK);
    assertThat(call("/ok", "{}", null)).isEqualTo(CallResult.OK); // the connection is still usable
  }

  @Test
  void noAnswerWithinTheCallTimeoutIsTransient() throws Exception {
    CallResult result = call("/hang", "{}", Duration.ofMillis(200));
    assertThat(result.kind()).isEqualTo(CallResult.Kind.FAILED);
    assertThat(result.detail()).isEqualTo("timeout: no answer within 200 ms");
  }

  @Test
  void theDefaultTimeoutAppliesWhenTheCallHasNone() throws Exception {
    HttpTransport quick = new HttpTransport(vertx, Duration.ofMillis(150), 2, false);
    try {
      CallResult result = call(quick, new Call("gid-default", "b", Op.CANCEL, url("/hang"), null, null));
      assertThat(result).isEqualTo(CallResult.failed("timeout: no answer within 150 ms"));
    } finally {
      quick.close();
    }
  }

  @Test
  void aRefusedConnectionIsTransient() throws Exception {
    CallResult result = call(transport, new Call("gid-closed", "b", Op.COMMIT, "http://127.0.0.1:1/x", null, null));
    assertThat(result.kind()).isEqualTo(CallResult.Kind.FAILED);
    assertThat(result.detail()).startsWith("connection failed");
  }

  @Test
  void aUrlTheClientCannotUseIsTransientNotAnException() throws Exception {
    CallResult result = call(transport, new Call("gid-bad", "b", Op.COMMIT, "ftp://127.0.0.1/x", null, null));
    assertThat(result.kind()).isEqualTo(CallResult.Kind.FAILED);
  }

  @Test
  void speaksHttp2WithPriorKnowledgeWhenAsked() throws Exception {
    HttpTransport h2 = new HttpTransport(vertx, Duration.ofSeconds(5), 2, true);
    try {
      assertThat(call(h2, new Call("gid-h2", "b", Op.ACTION, url("/ok"), "{\"a\":1}", null))).isEqualTo(CallResult.succeeded("{}"));
      Received r = last("gid-h2");
      assertThat(r.version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(r.body()).isEqualTo("{\"a\":1}");
      assertThat(r.op()).isEqualTo("action");
    } finally {
      h2.close();
    }
  }

  @Test
  void aConnectionIdleForTheKeepAliveTimeoutIsClosed() throws Exception {
    HttpTransport idle = new HttpTransport(vertx, Duration.ofSeconds(5), 2, false, null,
        HttpTransport.RESULT_BYTES_MAX_DEFAULT, Duration.ofSeconds(1), HostResolver.SYSTEM);
    CompletableFuture<Void> closed = new CompletableFuture<>();
    connectionClosed.put("gid-idle", closed);
    try {
      assertThat(call(idle, new Call("gid-idle", "b", Op.CONFIRM, url("/ok"), null, null)).kind())
          .isEqualTo(CallResult.Kind.SUCCEEDED);
      closed.get(10, TimeUnit.SECONDS); // closed by the client's pool, which is still open
    } finally {
      idle.close();
    }
  }

  @Test
  void aKeepAliveTimeoutInFractionsOfASecondIsRefused() {
    assertThatThrownBy(() -> new HttpTransport(vertx, Duration.ofSeconds(5), 2, false, null,
        HttpTransport.RESULT_BYTES_MAX_DEFAULT, Duration.ofMillis(1500), HostResolver.SYSTEM))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keepAliveTimeout");
  }

  // Issue #5: a saga step's own method and headers, and its action's answer kept as its result.

  @Test
  void sendsAStepsOwnMethodAndHeaders() throws Exception {
    CallResult result = call(transport, new Call("gid-put", "reserve", Op.COMPENSATE, url("/ok"), "{\"id\":1}", null,
        "PUT", Map.of("X-Tenant", "acme"), null));
    assertThat(result.kind()).isEqualTo(CallResult.Kind.SUCCEEDED);
    assertThat(result.body()).as("only an action's answer is kept").isNull();
    Received r = last("gid-put");
    assertThat(r.method()).isEqualTo("PUT");
    assertThat(r.tenant()).isEqualTo("acme");
    assertThat(r.op()).isEqualTo("compensate");
    assertThat(r.body()).isEqualTo("{\"id\":1}");
  }

  @Test
  void keepsAnActionsJsonAnswerAsCompactJson() throws Exception {
    CallResult result = call(transport, new Call("gid-json", "reserve", Op.ACTION, url("/json"), null, null));
    assertThat(result).isEqualTo(CallResult.succeeded("{\"id\":\"r-1\",\"n\":[1,2]}"));
  }

  @Test
  void keepsAnActionsTextAnswerAsAJsonString() throws Exception {
    CallResult result = call(transport, new Call("gid-text", "reserve", Op.ACTION, url("/text"), null, null));
    assertThat(result).isEqualTo(CallResult.succeeded("\"reserved r-1\""));
  }

  @Test
  void anActionsAnswerLargerThanTheLimitIsASuccessThatIsNotKept() throws Exception {
    HttpTransport small = new HttpTransport(vertx, Duration.ofSeconds(5), 2, false, null, 10,
        HttpTransport.KEEP_ALIVE_TIMEOUT_DEFAULT, HostResolver.SYSTEM);
    try {
      CallResult result = call(small, new Call("gid-big", "reserve", Op.ACTION, url("/json"), null, null));
      assertThat(result.kind()).isEqualTo(CallResult.Kind.SUCCEEDED);
      assertThat(result.resultTooLarge()).isTrue();
      assertThat(result.body()).isNull();
      assertThat(result.detail()).contains("larger than saga.stepResultBytesMax (10 bytes)");
      assertThat(call(small, new Call("gid-big2", "reserve", Op.ACTION, url("/big"), null, null)).resultTooLarge()).isTrue();
    } finally {
      small.close();
    }
  }

  @Test
  void excerptCutsLongTextToTheLimit() {
    assertThat(HttpTransport.excerpt("a".repeat(500))).hasSize(HttpTransport.EXCERPT_CHARS).endsWith("…");
    assertThat(HttpTransport.excerpt("  a \r\n b  ")).isEqualTo("a b");
    assertThat(HttpTransport.excerpt(null)).isEmpty();
  }
}
