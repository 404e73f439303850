package io.covenant.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The current gid and branch travel with outgoing calls ({@link CovenantHeaders},
 * {@link PropagatingHttpClient}) and are bound from incoming ones ({@link TransactionContextFilter}),
 * here between a real JDK HttpClient and HttpServer. Issue #4.
 */
@SuppressWarnings("try") // scopes are used for their close() alone
class ContextPropagationTest {
  /** A downstream service: its handler records the context it runs in and the Covenant headers it got. */
  HttpServer downstream;
  ExecutorService serverThreads = Executors.newFixedThreadPool(1);
  final List<Optional<TransactionContext>> contextsSeen = new CopyOnWriteArrayList<>();
  final List<Map<String, String>> headersSeen = new CopyOnWriteArrayList<>();
  final HttpClient http = PropagatingHttpClient.wrap(HttpClient.newHttpClient());

  @BeforeEach
  void startDownstream() throws Exception {
    downstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    downstream.setExecutor(serverThreads);
    downstream.createContext("/orders", exchange -> {
      contextsSeen.add(TransactionContext.current());
      Map<String, String> covenant = new LinkedHashMap<>();
      for (String name : List.of(Headers.GID, Headers.BRANCH, Headers.OP)) {
        String value = exchange.getRequestHeaders().getFirst(name);
        if (value != null) {
          covenant.put(name, value);
        }
      }
      headersSeen.add(covenant);
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    }).getFilters().add(new TransactionContextFilter());
    downstream.start();
  }

  @AfterEach
  void stopDownstream() {
    downstream.stop(0);
    serverThreads.shutdownNow();
  }

  private HttpRequest order() {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + downstream.getAddress().getPort() + "/orders"))
        .POST(HttpRequest.BodyPublishers.ofString("{}", StandardCharsets.UTF_8)).build();
  }

  @Test
  void theFilterBindsTheContextThePropagatingClientSent() throws Exception {
    try (var scope = TransactionContext.bind("order-1", "stock")) {
      http.send(order(), HttpResponse.BodyHandlers.discarding());
    }
    http.send(order(), HttpResponse.BodyHandlers.discarding()); // no context: no headers, nothing bound

    assertThat(headersSeen).containsExactly(
        Map.of(Headers.GID, "order-1", Headers.BRANCH, "stock"),
        Map.of());
    assertThat(contextsSeen).containsExactly(Optional.of(TransactionContext.of("order-1", "stock")), Optional.empty());
  }

  @Test
  void theFilterUnbindsTheContextAfterTheHandler() throws Exception {
    try (var scope = TransactionContext.bind("order-2", null)) {
      http.send(order(), HttpResponse.BodyHandlers.discarding());
    }
    // The server's only thread served the request above; it must not keep that context.
    Optional<TransactionContext> leftOnServerThread =
        CompletableFuture.supplyAsync(TransactionContext::current, serverThreads).get(5, TimeUnit.SECONDS);

    assertThat(contextsSeen).containsExactly(Optional.of(TransactionContext.of("order-2", null)));
    assertThat(leftOnServerThread).isEmpty();
  }

  @Test
  void aTccTryCarriesOpTryButTheFilterDoesNotPassTheOpOn() throws Exception {
    try (var scope = TransactionContext.of("order-3", "stock").withOp(Op.TRY).makeCurrent()) {
      http.sendAsync(order(), HttpResponse.BodyHandlers.discarding()).get(5, TimeUnit.SECONDS);
    }

    assertThat(headersSeen).containsExactly(Map.of(Headers.GID, "order-3", Headers.BRANCH, "stock", Headers.OP, "try"));
    assertThat(contextsSeen).containsExactly(Optional.of(TransactionContext.of("order-3", "stock")));
  }

  @Test
  void aRequestThatNamesItsOwnGidIsSentAsItIs() throws Exception {
    HttpRequest explicit = HttpRequest.newBuilder(order(), (name, value) -> true).header(Headers.GID, "other").build();
    try (var scope = TransactionContext.bind("order-4", "stock")) {
      http.send(explicit, HttpResponse.BodyHandlers.discarding());
    }

    assertThat(headersSeen).containsExactly(Map.of(Headers.GID, "other"));
  }

  @Test
  void theHeaderHelperWorksWithAnyClient() {
    Map<String, String> headers = new LinkedHashMap<>();
    CovenantHeaders.apply(headers::put);
    assertThat(headers).isEmpty();

    try (var scope = TransactionContext.bind("order-5", "payment")) {
      CovenantHeaders.apply(headers::put);
    }
    assertThat(headers).containsExactly(Map.entry(Headers.GID, "order-5"), Map.entry(Headers.BRANCH, "payment"));

    HttpRequest.Builder jdk = HttpRequest.newBuilder(URI.create("http://example.invalid/"));
    CovenantHeaders.apply(TransactionContext.of("order-6", null), jdk::header);
    assertThat(jdk.build().headers().map()).containsOnlyKeys(Headers.GID);
  }

  @Test
  void readTakesTheGidAndBranchIgnoringTheOp() {
    Map<String, String> incoming = Map.of(Headers.GID, " order-7 ", Headers.BRANCH, "stock", Headers.OP, "confirm");
    assertThat(CovenantHeaders.read(incoming::get)).contains(TransactionContext.of("order-7", "stock"));
    assertThat(CovenantHeaders.read(Map.of(Headers.BRANCH, "stock")::get)).isEmpty();
    assertThat(CovenantHeaders.read(Map.of(Headers.GID, "order-8", Headers.BRANCH, "")::get))
        .contains(TransactionContext.of("order-8", null));
  }

  @Test
  void scopesNestAndRestoreWhatWasCurrentBefore() {
    assertThat(TransactionContext.current()).isEmpty();
    try (var outer = TransactionContext.bind("order-9", null)) {
      try (var inner = TransactionContext.bind("order-9", "stock")) {
        assertThat(TransactionContext.current()).contains(TransactionContext.of("order-9", "stock"));
      }
      assertThat(TransactionContext.current()).contains(TransactionContext.of("order-9", null));
    }
    assertThat(TransactionContext.current()).isEmpty();
  }

  @Test
  void closingAScopeTwiceRestoresOnce() {
    TransactionContext.Scope outer = TransactionContext.bind("order-9", null);
    TransactionContext.Scope inner = TransactionContext.bind("order-9", "stock");
    inner.close();
    inner.close();
    assertThat(TransactionContext.current()).contains(TransactionContext.of("order-9", null));
    outer.close();
    assertThat(TransactionContext.current()).isEmpty();
  }

  @Test
  void aScopeClosedOnAnotherThreadIsAProgrammerError() throws Exception {
    try (var scope = TransactionContext.bind("order-10", null)) {
      CompletableFuture<Void> closing = CompletableFuture.runAsync(scope::close);
      assertThatThrownBy(() -> closing.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
    }
    assertThat(TransactionContext.current()).isEmpty();
  }

  @Test
  void wrappedTasksAndExecutorsCarryTheContextAcrossThreads() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Runnable task;
      CompletableFuture<Optional<TransactionContext>> viaExecutor;
      try (var scope = TransactionContext.bind("order-11", "stock")) {
        List<Optional<TransactionContext>> seen = new CopyOnWriteArrayList<>();
        task = TransactionContext.wrap(() -> {
          seen.add(TransactionContext.current());
        });
        pool.submit(task).get(5, TimeUnit.SECONDS);
        assertThat(seen).containsExactly(Optional.of(TransactionContext.of("order-11", "stock")));
        viaExecutor = CompletableFuture.supplyAsync(TransactionContext::current, TransactionContext.propagating(pool));
      }
      assertThat(viaExecutor.get(5, TimeUnit.SECONDS)).contains(TransactionContext.of("order-11", "stock"));
      // The pool's thread is left as it was found.
      assertThat(CompletableFuture.supplyAsync(TransactionContext::current, pool).get(5, TimeUnit.SECONDS)).isEmpty();
      // A task wrapped where no context was bound runs with none, whatever its thread had.
      Runnable bare = TransactionContext.wrap(() -> assertThat(TransactionContext.current()).isEmpty());
      try (var scope = TransactionContext.bind("order-12", null)) {
        bare.run();
        assertThat(TransactionContext.current()).contains(TransactionContext.of("order-12", null));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
