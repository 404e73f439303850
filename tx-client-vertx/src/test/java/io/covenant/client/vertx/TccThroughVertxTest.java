package io.covenant.client.vertx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.covenant.client.BusinessRefusal;
import io.covenant.client.CovenantClient;
import io.covenant.client.ParticipantDispatcher;
import io.covenant.client.PropagatingHttpClient;
import io.covenant.client.TransactionContext;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.BranchView;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.Op;
import io.covenant.protocol.TransactionView;
import io.covenant.testsupport.TestCoordinator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A TCC transaction driven by a real coordinator through a participant served on Vert.x Web: the
 * initiator (the JDK client) registers the branch and calls the try, then commits or rolls back; the
 * coordinator then calls the participant's confirm or cancel through {@link DispatcherHandler}, with
 * {@link TransactionContextHandler} in front of the route as a service would have it. Issue #4.
 */
class TccThroughVertxTest {
  static final Duration BOUND = Duration.ofSeconds(20);

  /** One call the stock participant served, with the context its handler ran in. */
  record Served(String gid, Op op, TransactionContext context) {}

  static TestCoordinator coordinator;
  static CovenantClient client;
  static TestServer stock;
  static final List<Served> served = new CopyOnWriteArrayList<>();
  /** Units held per gid: a try holds, a confirm sells, a cancel releases; each at most once. */
  static final Map<String, Integer> held = new ConcurrentHashMap<>();
  static final Set<String> cancelled = ConcurrentHashMap.newKeySet();
  static final HttpClient http = PropagatingHttpClient.wrap(HttpClient.newHttpClient());

  @BeforeAll
  static void start() throws Exception {
    coordinator = TestCoordinator.memory();
    client = CovenantClient.builder().coordinator(coordinator.uri()).build();
    ParticipantDispatcher dispatcher = ParticipantDispatcher.builder()
        .on("stock", Op.TRY, call -> {
          served.add(new Served(call.gid(), call.op(), TransactionContext.current().orElse(null)));
          int qty = call.payload().path("qty").asInt();
          if (qty > 10) {
            throw new BusinessRefusal("only 10 left");
          }
          if (!cancelled.contains(call.gid())) {
            held.putIfAbsent(call.gid(), qty);
          }
        })
        .on("stock", Op.CONFIRM, call -> {
          served.add(new Served(call.gid(), call.op(), TransactionContext.current().orElse(null)));
          held.remove(call.gid());
        })
        .on("stock", Op.CANCEL, call -> {
          served.add(new Served(call.gid(), call.op(), TransactionContext.current().orElse(null)));
          cancelled.add(call.gid());
          held.remove(call.gid());
        })
        .build();
    stock = TestServer.start(router -> {
      router.route().handler(TransactionContextHandler.create());
      router.post("/participant/*").handler(DispatcherHandler.create(dispatcher));
    });
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {stock, client, coordinator}) {
      if (c != null) {
        c.close();
      }
    }
  }

  static String placeOrder(int qty) throws Exception {
    URI url = stock.uri("/participant/stock");
    String payload = "{\"sku\":\"A-1\",\"qty\":" + qty + "}";
    return client.inGlobalTransaction(Mode.TCC, Duration.ofSeconds(30), tx -> {
      tx.registerTcc("stock", url.toString(), url.toString(), Map.of("sku", "A-1", "qty", qty));
      try (var scope = tx.branch("stock")) {   // the try carries Covenant-Gid, -Branch and -Op: try
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(url)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(payload)).build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() == 409) {
          throw new BusinessRefusal("stock refused: " + answer.body());
        }
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      }
      return tx.gid();
    });
  }

  static List<Op> ops(String gid) {
    return served.stream().filter(s -> s.gid().equals(gid)).map(Served::op).toList();
  }

  @Test
  void aCommitMakesTheCoordinatorConfirmThroughTheVertxRoute() throws Exception {
    String gid = placeOrder(3);

    TransactionView end = client.awaitEnd(gid, BOUND);
    assertThat(end.status()).isEqualTo(GlobalStatus.COMMITTED);
    assertThat(end.branches()).extracting(BranchView::status).containsExactly(BranchStatus.CONFIRMED);
    assertThat(ops(gid)).containsExactly(Op.TRY, Op.CONFIRM);
    assertThat(served).filteredOn(s -> s.gid().equals(gid)).extracting(Served::context)
        .containsOnly(TransactionContext.of(gid, "stock"));
    assertThat(held).doesNotContainKey(gid);
  }

  @Test
  void aRefusedTryMakesTheCoordinatorCancelThroughTheVertxRoute() {
    List<String> gids = new CopyOnWriteArrayList<>();

    assertThatThrownBy(() -> client.inGlobalTransaction(Mode.TCC, Duration.ofSeconds(30), tx -> {
      gids.add(tx.gid());
      URI url = stock.uri("/participant/stock");
      tx.registerTcc("stock", url.toString(), url.toString(), Map.of("sku", "A-1", "qty", 99));
      try (var scope = tx.branch("stock")) {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(url)
            .POST(HttpRequest.BodyPublishers.ofString("{\"sku\":\"A-1\",\"qty\":99}")).build(),
            HttpResponse.BodyHandlers.ofString());
        throw new BusinessRefusal("stock answered " + answer.statusCode());
      }
    })).isInstanceOf(BusinessRefusal.class).hasMessage("stock answered 409");

    String gid = gids.get(0);
    assertThat(client.awaitEnd(gid, BOUND).status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    await().atMost(BOUND).untilAsserted(() -> assertThat(ops(gid)).containsExactly(Op.TRY, Op.CANCEL));
    assertThat(held).doesNotContainKey(gid);
  }
}
