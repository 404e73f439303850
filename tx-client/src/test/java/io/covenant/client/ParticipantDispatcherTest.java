package io.covenant.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.covenant.client.internal.ClientJson;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The dispatcher's routing and answers, through its framework-neutral core and its JDK HttpServer adapter. Issue #4. */
class ParticipantDispatcherTest {
  record Reservation(String sku, int qty) {}

  final List<ParticipantCall> calls = new CopyOnWriteArrayList<>();
  final List<TransactionContext> contexts = new CopyOnWriteArrayList<>();

  final ParticipantDispatcher dispatcher = ParticipantDispatcher.builder()
      .on("stock", Op.TRY, call -> {
        calls.add(call);
        contexts.add(TransactionContext.current().orElseThrow());
        Reservation r = call.payloadAs(Reservation.class);
        if (r != null && r.qty() > 10) {
          throw new BusinessRefusal("only 10 of " + r.sku() + " left");
        }
      })
      .on("/stock/", Op.CONFIRM, calls::add)
      .on("stock", Op.CANCEL, call -> {
        throw new IllegalStateException("database unavailable");
      })
      .build();

  static Map<String, String> headers(String gid, String branch, String op) {
    return Map.of(Headers.GID, gid, Headers.BRANCH, branch, Headers.OP, op);
  }

  static byte[] json(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static JsonNode problem(ParticipantDispatcher.Response response) throws IOException {
    assertThat(response.contentType()).isEqualTo(Headers.PROBLEM_JSON);
    return ClientJson.mapper().readTree(response.body());
  }

  @Test
  void aHandlerThatReturnsAnswers200WithTheCallsContextBound() {
    ParticipantDispatcher.Response response =
        dispatcher.handle(headers("order-1", "stock", "try"), json("{\"sku\":\"A-1\",\"qty\":2}"), "/stock");

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEmpty();
    ParticipantCall call = calls.get(0);
    assertThat(call.gid()).isEqualTo("order-1");
    assertThat(call.branchId()).isEqualTo("stock");
    assertThat(call.op()).isEqualTo(Op.TRY);
    assertThat(call.resource()).isEqualTo("stock");
    assertThat(call.payload().path("qty").asInt()).isEqualTo(2);
    assertThat(call.payloadAs(Reservation.class)).isEqualTo(new Reservation("A-1", 2));
    assertThat(new String(call.body(), StandardCharsets.UTF_8)).isEqualTo("{\"sku\":\"A-1\",\"qty\":2}");
    assertThat(contexts).containsExactly(TransactionContext.of("order-1", "stock"));
    assertThat(TransactionContext.current()).isEmpty();
  }

  @Test
  void aBusinessRefusalAnswers409WithAProblem() throws IOException {
    ParticipantDispatcher.Response response =
        dispatcher.handle(headers("order-2", "stock", "try"), json("{\"sku\":\"A-1\",\"qty\":99}"), "stock");

    assertThat(response.status()).isEqualTo(409);
    JsonNode problem = problem(response);
    assertThat(problem.path("type").asText()).isEqualTo(BusinessRefusal.TYPE);
    assertThat(problem.path("title").asText()).isEqualTo(BusinessRefusal.TITLE);
    assertThat(problem.path("detail").asText()).isEqualTo("only 10 of A-1 left");
    assertThat(problem.path("gid").asText()).isEqualTo("order-2");
    assertThat(problem.path("retryable").asBoolean()).isFalse();
  }

  @Test
  void anyOtherExceptionAnswersARetryable500() throws IOException {
    ParticipantDispatcher.Response response = dispatcher.handle(headers("order-3", "stock", "cancel"), new byte[0], "stock");

    assertThat(response.status()).isEqualTo(500);
    JsonNode problem = problem(response);
    assertThat(problem.path("type").asText()).isEqualTo(ErrorCode.INTERNAL.type());
    assertThat(problem.path("retryable").asBoolean()).isTrue();
    assertThat(problem.path("detail").asText()).contains("database unavailable");
  }

  @Test
  void aCallConflictAnswersARetryable500WithItsMessage() throws IOException {
    ParticipantDispatcher guarded = ParticipantDispatcher.builder()
        .on("stock", Op.CONFIRM, call -> {
          throw new CallConflict("branch stock of " + call.gid() + " was cancelled already; a confirm contradicts it");
        })
        .build();

    ParticipantDispatcher.Response response = guarded.handle(headers("order-9", "stock", "confirm"), new byte[0], "stock");

    assertThat(response.status()).isEqualTo(500);
    JsonNode problem = problem(response);
    assertThat(problem.path("type").asText()).isEqualTo(ErrorCode.INTERNAL.type());
    assertThat(problem.path("retryable").asBoolean()).isTrue();
    assertThat(problem.path("gid").asText()).isEqualTo("order-9");
    assertThat(problem.path("detail").asText()).contains("was cancelled already; a confirm contradicts it");
  }

  @Test
  void callsAreRoutedByResourceAndOpWhateverTheSlashesQueryAndHeaderCase() {
    Map<String, String> lowerCase = Map.of("covenant-gid", "order-4", "COVENANT-BRANCH", "stock", "Covenant-Op", "CONFIRM");

    assertThat(dispatcher.handle(lowerCase, new byte[0], "/stock/?attempt=2").status()).isEqualTo(200);
    assertThat(calls).singleElement().satisfies(call -> {
      assertThat(call.op()).isEqualTo(Op.CONFIRM);
      assertThat(call.payload().isNull()).isTrue();
      assertThat(call.payloadAs(Reservation.class)).isNull();
      assertThat(call.header("covenant-op")).contains("CONFIRM");
    });
  }

  @Test
  void aCallWithoutItsHeadersIsInvalid() throws IOException {
    ParticipantDispatcher.Response noOp =
        dispatcher.handle(Map.of(Headers.GID, "order-5", Headers.BRANCH, "stock"), new byte[0], "stock");
    ParticipantDispatcher.Response badOp = dispatcher.handle(headers("order-5", "stock", "prepare"), new byte[0], "stock");

    assertThat(noOp.status()).isEqualTo(400);
    assertThat(problem(noOp).path("type").asText()).isEqualTo(ErrorCode.INVALID_REQUEST.type());
    assertThat(badOp.status()).isEqualTo(400);
    assertThat(problem(badOp).path("detail").asText()).contains("prepare");
    assertThat(calls).isEmpty();
  }

  @Test
  void aCallNoHandlerTakesIsNotFound() throws IOException {
    ParticipantDispatcher.Response unknownResource =
        dispatcher.handle(headers("order-6", "payment", "try"), new byte[0], "payment");
    ParticipantDispatcher.Response unknownOp = dispatcher.handle(headers("order-6", "stock", "compensate"), new byte[0], "stock");

    assertThat(unknownResource.status()).isEqualTo(404);
    assertThat(problem(unknownResource).path("detail").asText()).contains("'payment'").contains("'stock' [try, confirm, cancel]");
    assertThat(unknownOp.status()).isEqualTo(404);
  }

  @Test
  void aPayloadThatIsNotJsonFailsTheCallAs500() {
    ParticipantDispatcher.Response response =
        dispatcher.handle(headers("order-7", "stock", "try"), json("not json"), "stock");

    assertThat(response.status()).isEqualTo(500);
  }

  @Test
  void theBuilderRefusesATakenRouteAndAnEmptyDispatcher() {
    assertThatThrownBy(() -> ParticipantDispatcher.builder().on("stock", Op.TRY, c -> {}).on("/stock", Op.TRY, c -> {}))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("'stock'").hasMessageContaining("try");
    assertThatThrownBy(() -> ParticipantDispatcher.builder().build()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theHttpHandlerServesPostBelowItsContextPath() throws Exception {
    var server = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/participant", dispatcher.httpHandler());
    server.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      URI stock = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/participant/stock");
      HttpResponse<String> confirmed = http.send(HttpRequest.newBuilder(stock)
          .header(Headers.GID, "order-8").header(Headers.BRANCH, "stock").header(Headers.OP, "confirm")
          .POST(HttpRequest.BodyPublishers.ofString("{\"sku\":\"A-1\"}")).build(), HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> got = http.send(HttpRequest.newBuilder(stock).GET().build(), HttpResponse.BodyHandlers.ofString());

      assertThat(confirmed.statusCode()).isEqualTo(200);
      assertThat(calls).singleElement().satisfies(call -> {
        assertThat(call.resource()).isEqualTo("stock");
        assertThat(call.payload().path("sku").asText()).isEqualTo("A-1");
      });
      assertThat(got.statusCode()).isEqualTo(405);
      assertThat(got.headers().firstValue("Allow")).contains("POST");
      assertThat(got.headers().firstValue("Content-Type")).contains(Headers.PROBLEM_JSON);
    } finally {
      server.stop(0);
    }
  }
}
