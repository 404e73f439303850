package io.covenant.client.vertx;

import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.client.PropagatingHttpClient;
import io.covenant.client.TransactionContext;
import io.covenant.protocol.Headers;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The context of incoming requests, read by {@link TransactionContextHandler} on a real Vert.x HTTP
 * server on loopback, called by the JDK HttpClient. Issue #4.
 */
class TransactionContextHandlerTest {
  final HttpClient http = HttpClient.newHttpClient();
  final List<Optional<TransactionContext>> current = new CopyOnWriteArrayList<>();
  final List<Optional<TransactionContext>> inRoutingContext = new CopyOnWriteArrayList<>();
  final List<Map<String, String>> downstreamHeaders = new CopyOnWriteArrayList<>();
  TestServer server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  HttpResponse<String> post(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).POST(HttpRequest.BodyPublishers.ofString("{}"));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theNextHandlersSeeTheIncomingContextWhileTheyRunAndTheEventLoopIsClearedAfter() throws Exception {
    server = TestServer.start(router -> {
      router.route().handler(TransactionContextHandler.create());
      router.post("/orders").handler(rc -> {
        current.add(TransactionContext.current());
        inRoutingContext.add(TransactionContextHandler.context(rc));
        rc.response().end();
      });
    });

    assertThat(post("/orders", Headers.GID, "order-1", Headers.BRANCH, "stock", Headers.OP, "try").statusCode())
        .isEqualTo(200);
    assertThat(post("/orders").statusCode()).isEqualTo(200);   // the same (only) event loop, no headers

    TransactionContext incoming = TransactionContext.of("order-1", "stock");   // Covenant-Op is not taken
    assertThat(current).containsExactly(Optional.of(incoming), Optional.empty());
    assertThat(inRoutingContext).containsExactly(Optional.of(incoming), Optional.empty());
  }

  @Test
  void aContinuationOnAWorkerBindsTheContextFromTheRoutingContextAndCallsCarryItOn() throws Exception {
    HttpClient propagating = PropagatingHttpClient.wrap(HttpClient.newHttpClient());
    server = TestServer.start(router -> {
      router.route().handler(TransactionContextHandler.create());
      router.post("/downstream").handler(rc -> {
        Map<String, String> covenant = new LinkedHashMap<>();
        for (String name : List.of(Headers.GID, Headers.BRANCH, Headers.OP)) {
          String value = rc.request().getHeader(name);
          if (value != null) {
            covenant.put(name, value);
          }
        }
        downstreamHeaders.add(covenant);
        rc.response().end();
      });
      router.post("/orders").handler(rc -> rc.vertx().executeBlocking(() -> {
        current.add(TransactionContext.current());          // a worker thread: nothing bound
        try (var scope = TransactionContextHandler.bind(rc)) {
          current.add(TransactionContext.current());
          return propagating.send(HttpRequest.newBuilder(server.uri("/downstream"))
              .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        }
      }).onComplete(status -> rc.response().setStatusCode(status.succeeded() ? status.result() : 500).end()));
    });

    assertThat(post("/orders", Headers.GID, "order-2", Headers.BRANCH, "stock").statusCode()).isEqualTo(200);

    assertThat(current).containsExactly(Optional.empty(), Optional.of(TransactionContext.of("order-2", "stock")));
    assertThat(downstreamHeaders).containsExactly(Map.of(Headers.GID, "order-2", Headers.BRANCH, "stock"));
  }

  @Test
  void behindABodyHandlerMountedBeforeItTheHandlersStillSeeTheContextOnTheThread() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    server = TestServer.start(router -> {
      router.route().handler(BodyHandler.create());
      router.route().handler(TransactionContextHandler.create());
      router.post("/orders").handler(rc -> {
        current.add(TransactionContext.current());
        bodies.add(rc.body().asString());
        rc.response().end();
      });
    });

    assertThat(post("/orders", Headers.GID, "order-3").statusCode()).isEqualTo(200);

    assertThat(current).containsExactly(Optional.of(TransactionContext.of("order-3", null)));
    assertThat(bodies).containsExactly("{}");
  }

  @Test
  void aHandlerReachedAsynchronouslyFindsTheContextInTheRoutingContextOnly() throws Exception {
    server = TestServer.start(router -> {
      router.route().handler(TransactionContextHandler.create());
      // Like an authentication handler that looks a token up first: what follows runs later.
      router.route().handler(rc -> rc.vertx().runOnContext(later -> rc.next()));
      router.post("/orders").handler(rc -> {
        current.add(TransactionContext.current());
        inRoutingContext.add(TransactionContextHandler.context(rc));
        rc.response().end();
      });
    });

    assertThat(post("/orders", Headers.GID, "order-4", Headers.BRANCH, "stock").statusCode()).isEqualTo(200);

    assertThat(current).containsExactly(Optional.empty());
    assertThat(inRoutingContext).containsExactly(Optional.of(TransactionContext.of("order-4", "stock")));
  }
}
