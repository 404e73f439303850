package io.covenant.client.vertx;

import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.client.PropagatingHttpClient;
import io.covenant.protocol.Headers;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The README's examples ({@link ReadmeExamples}) on a real Vert.x server on loopback. */
class ReadmeExamplesTest {
  final HttpClient http = HttpClient.newHttpClient();
  TestServer server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void theOrdersRouteCarriesTheIncomingTransactionToTheStockCallItMakesFromAWorker() throws Exception {
    List<String> stockGids = new CopyOnWriteArrayList<>();
    try (TestServer stock = TestServer.start(router -> router.post("/participant/stock").handler(rc -> {
      stockGids.add(String.valueOf(rc.request().getHeader(Headers.GID)));
      rc.response().end();
    }))) {
      server = TestServer.start(router -> ReadmeExamples.orders(router,
          PropagatingHttpClient.wrap(HttpClient.newHttpClient()), stock.uri("/participant/stock")));

      HttpResponse<String> answer = http.send(HttpRequest.newBuilder(server.uri("/orders"))
          .header(Headers.GID, "order-1").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.body()).isEqualTo("order-1");
      assertThat(stockGids).containsExactly("order-1");
    }
  }

  @Test
  void theParticipantRouteServesTheDispatcher() throws Exception {
    server = TestServer.start(ReadmeExamples::participant);

    HttpResponse<String> confirmed = http.send(HttpRequest.newBuilder(server.uri("/participant/stock"))
        .header(Headers.GID, "order-2").header(Headers.BRANCH, "stock").header(Headers.OP, "confirm")
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(confirmed.statusCode()).isEqualTo(200);
  }
}
