package io.covenant.client.vertx;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.covenant.client.BusinessRefusal;
import io.covenant.client.ParticipantDispatcher;
import io.covenant.client.TransactionContext;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import io.vertx.core.Context;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A {@link ParticipantDispatcher} served by {@link DispatcherHandler} on a real Vert.x HTTP server on
 * loopback with a single event loop, called over HTTP by the JDK HttpClient. Issue #4.
 */
class DispatcherHandlerTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** What a handler saw: the call, the thread it ran on, the context bound there. */
  record Seen(String gid, Op op, String resource, String payload, boolean onEventLoop, String thread,
      TransactionContext context) {}

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final CountDownLatch slowMayFinish = new CountDownLatch(1);
  final HttpClient http = HttpClient.newHttpClient();
  TestServer server;

  final ParticipantDispatcher dispatcher = ParticipantDispatcher.builder()
      .on("stock", Op.TRY, call -> {
        record(call.gid(), call.op(), call.resource(), call.payload().toString());
        if (call.payload().path("qty").asInt() > 10) {
          throw new BusinessRefusal("only 10 of " + call.payload().path("sku").asText() + " left");
        }
      })
      .on("stock", Op.CONFIRM, call -> record(call.gid(), call.op(), call.resource(), call.payload().toString()))
      .on("stock", Op.CANCEL, call -> {
        throw new IllegalStateException("database unavailable");
      })
      .on("slow", Op.CONFIRM, call -> {
        if (!slowMayFinish.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never let the slow confirm finish");
        }
        record(call.gid(), call.op(), call.resource(), "");
      })
      .build();

  void record(String gid, Op op, String resource, String payload) {
    seen.add(new Seen(gid, op, resource, payload, Context.isOnEventLoopThread(), Thread.currentThread().getName(),
        TransactionContext.current().orElse(null)));
  }

  @AfterEach
  void stop() throws Exception {
    slowMayFinish.countDown();
    if (server != null) {
      server.close();
    }
  }

  HttpResponse<String> call(String path, String gid, String op, String body) throws Exception {
    return send(request(path, gid, op, body));
  }

  HttpRequest request(String path, String gid, String op, String body) {
    return HttpRequest.newBuilder(server.uri(path))
        .header(Headers.GID, gid).header(Headers.BRANCH, "stock").header(Headers.OP, op)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode problem(HttpResponse<String> response) throws Exception {
    assertThat(response.headers().firstValue("Content-Type")).contains(Headers.PROBLEM_JSON);
    return JSON.readTree(response.body());
  }

  void serveAt(String route) throws Exception {
    server = TestServer.start(router -> router.route(route).handler(DispatcherHandler.create(dispatcher)));
  }

  @Test
  void answersWhatTheDispatcherDecides() throws Exception {
    serveAt("/participant/*");

    HttpResponse<String> done = call("/participant/stock", "order-1", "try", "{\"sku\":\"A-1\",\"qty\":2}");
    HttpResponse<String> refused = call("/participant/stock", "order-2", "try", "{\"sku\":\"A-1\",\"qty\":99}");
    HttpResponse<String> failed = call("/participant/stock", "order-3", "cancel", "");
    HttpResponse<String> unknown = call("/participant/payment", "order-4", "try", "");
    HttpResponse<String> noOp = send(HttpRequest.newBuilder(server.uri("/participant/stock"))
        .header(Headers.GID, "order-5").POST(HttpRequest.BodyPublishers.noBody()).build());

    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).isEmpty();
    assertThat(refused.statusCode()).isEqualTo(409);
    assertThat(problem(refused).path("type").asText()).isEqualTo(BusinessRefusal.TYPE);
    assertThat(problem(refused).path("detail").asText()).isEqualTo("only 10 of A-1 left");
    assertThat(failed.statusCode()).isEqualTo(500);
    assertThat(problem(failed).path("retryable").asBoolean()).isTrue();
    assertThat(problem(failed).path("detail").asText()).contains("database unavailable");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(problem(unknown).path("type").asText()).isEqualTo(ErrorCode.NOT_FOUND.type());
    assertThat(noOp.statusCode()).isEqualTo(400);
    assertThat(seen).extracting(Seen::gid).containsExactly("order-1", "order-2");
    assertThat(seen.get(0).payload()).isEqualTo("{\"sku\":\"A-1\",\"qty\":2}");
  }

  @Test
  void handlersRunOffTheEventLoopWithTheCallsContextBound() throws Exception {
    serveAt("/participant/*");

    assertThat(call("/participant/stock", "order-6", "confirm", "{}").statusCode()).isEqualTo(200);

    assertThat(seen).singleElement().satisfies(s -> {
      assertThat(s.onEventLoop()).isFalse();
      assertThat(s.thread()).startsWith("vert.x-worker-thread");
      assertThat(s.context()).isEqualTo(TransactionContext.of("order-6", "stock"));
    });
  }

  @Test
  void aSlowHandlerDoesNotHoldTheEventLoop() throws Exception {
    serveAt("/participant/*");

    CompletableFuture<HttpResponse<String>> slow =
        http.sendAsync(request("/participant/slow", "order-7", "confirm", ""), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> fast = call("/participant/stock", "order-8", "confirm", "{}");   // the one event loop is free

    assertThat(fast.statusCode()).isEqualTo(200);
    assertThat(slow).isNotDone();
    slowMayFinish.countDown();
    assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(seen).extracting(Seen::gid).containsExactly("order-8", "order-7");
  }

  @Test
  void theResourceIsThePathBelowTheRouteAndTheSubRoutersMountPoint() throws Exception {
    server = TestServer.start((vertx, router) -> {
      router.post("/participant/*").handler(DispatcherHandler.create(dispatcher));
      Router api = Router.router(vertx);
      api.post("/tcc/*").handler(DispatcherHandler.create(dispatcher));
      router.route("/api/*").subRouter(api);
    });

    assertThat(call("/participant/stock/?attempt=2", "order-9", "confirm", "{}").statusCode()).isEqualTo(200);
    assertThat(call("/api/tcc/stock", "order-10", "confirm", "{}").statusCode()).isEqualTo(200);

    assertThat(seen).extracting(Seen::resource).containsExactly("stock", "stock");
  }

  @Test
  void onlyPostIsServed() throws Exception {
    serveAt("/participant/*");

    HttpResponse<String> got = send(HttpRequest.newBuilder(server.uri("/participant/stock")).GET().build());

    assertThat(got.statusCode()).isEqualTo(405);
    assertThat(got.headers().firstValue("Allow")).contains("POST");
    assertThat(problem(got).path("type").asText()).isEqualTo(ErrorCode.METHOD_NOT_ALLOWED.type());
    assertThat(seen).isEmpty();
  }

  @Test
  void theBodyABodyHandlerReadAlreadyIsThePayload() throws Exception {
    server = TestServer.start(router -> {
      router.route().handler(BodyHandler.create().setBodyLimit(64 * 1024));
      router.post("/participant/*").handler(DispatcherHandler.create(dispatcher));
    });

    assertThat(call("/participant/stock", "order-11", "try", "{\"sku\":\"B-2\",\"qty\":1}").statusCode()).isEqualTo(200);

    assertThat(seen).singleElement().extracting(Seen::payload).isEqualTo("{\"sku\":\"B-2\",\"qty\":1}");
  }

  @Test
  void aWorkerExecutorOfItsOwnRunsTheHandlers() throws Exception {
    server = TestServer.start((vertx, router) -> {
      WorkerExecutor participantThreads = vertx.createSharedWorkerExecutor("participant", 4);
      router.post("/participant/*").handler(DispatcherHandler.create(dispatcher, participantThreads));
    });

    assertThat(call("/participant/stock", "order-12", "confirm", "{}").statusCode()).isEqualTo(200);

    assertThat(seen).singleElement().satisfies(s -> {
      assertThat(s.thread()).startsWith("participant");
      assertThat(s.onEventLoop()).isFalse();
    });
  }
}
