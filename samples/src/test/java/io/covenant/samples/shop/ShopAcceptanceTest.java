package io.covenant.samples.shop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.covenant.client.CovenantClient;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.BranchView;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Headers;
import io.covenant.protocol.TransactionView;
import io.covenant.testsupport.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance tests of issue #4: three services (order, stock, account), each a real HTTP server
 * on loopback with its own tables in a database of its own (a schema on PostgreSQL, a database on
 * MariaDB), written with the TCC annotations, and a real coordinator on its durable journal. Faults
 * are injected at the HTTP layer in front of the participants ({@link CallInjector}). The subclasses
 * choose the database.
 */
abstract class ShopAcceptanceTest {
  private static final Duration BOUND = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path journal;
  static ShopCoordinator coordinator;
  static CovenantClient client;
  static TestDatabase orderDb;
  static TestDatabase stockDb;
  static TestDatabase accountDb;
  static ShopService stock;
  static ShopService account;
  static ShopService order;
  static CallInjector stockCalls;
  static CallInjector accountCalls;
  static final HttpClient http = HttpClient.newHttpClient();

  /** Starts the coordinator and the three services, each on a database of its own of {@code kind}. */
  static void start(TestDatabase.Kind kind) throws Exception {
    coordinator = ShopCoordinator.start(journal);
    client = CovenantClient.builder().coordinator(coordinator.uri()).build();
    orderDb = TestDatabase.create(kind, 8);
    stockDb = TestDatabase.create(kind, 8);
    accountDb = TestDatabase.create(kind, 8);
    stock = ShopService.stock(client, stockDb.dataSource());
    account = ShopService.account(client, accountDb.dataSource());
    order = ShopService.order(client, orderDb.dataSource(), stock.tccUrl(), account.tccUrl());
    stockCalls = new CallInjector(stock.url());
    stock.tccContext().getFilters().add(stockCalls);
    accountCalls = new CallInjector(account.url());
    account.tccContext().getFilters().add(accountCalls);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {order, stock, account, client, coordinator, orderDb, stockDb,
        accountDb}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @BeforeEach
  void resetStockAndBalances() throws SQLException {
    stockCalls.reset();
    accountCalls.reset();
    stockDb.execute("DELETE FROM stock", "INSERT INTO stock VALUES ('A-1', 10, 0)");
    accountDb.execute("DELETE FROM account", "INSERT INTO account VALUES ('alice', 10000, 0)",
        "INSERT INTO account VALUES ('bob', 500, 0)");
  }

  @Test
  void whenEveryTrySucceedsStockAndBalanceChangeExactlyOnce() throws Exception {
    String orderId = newOrderId();

    HttpResponse<String> placed = placeOrder(orderId, "alice", 3, 3000);

    assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
    String gid = JSON.readTree(placed.body()).get("gid").asText();
    TransactionView end = client.awaitEnd(gid, BOUND);
    assertThat(end.status()).isEqualTo(GlobalStatus.COMMITTED);
    assertThat(end.branches()).extracting(BranchView::branchId)
        .containsExactly("create-order", "reserve-stock", "debit-account");
    assertThat(end.branches()).extracting(BranchView::status).containsOnly(BranchStatus.CONFIRMED);
    assertThat(stock()).containsExactly(7, 0);
    assertThat(balance("alice")).containsExactly(7000L, 0L);
    assertThat(orderStatus(orderId)).isEqualTo("CONFIRMED");
  }

  @Test
  void whenOneTryIsRefusedEverythingIsCancelledAndNothingChanges() throws Exception {
    String orderId = newOrderId();

    HttpResponse<String> refused = placeOrder(orderId, "bob", 3, 3000);   // bob has 500

    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
    assertThat(refused.body()).contains("balance of bob is short");
    await().atMost(BOUND).untilAsserted(() -> {
      assertThat(orderStatus(orderId)).isEqualTo("CANCELLED");
      assertThat(stock()).containsExactly(10, 0);
    });
    String gid = gidOfOrder(orderId);
    assertThat(client.awaitEnd(gid, BOUND).status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    assertThat(stock()).containsExactly(10, 0);
    assertThat(balance("bob")).containsExactly(500L, 0L);
  }

  @Test
  void whenTheCoordinatorRestartsDuringConfirmTheEndIsStillRight() throws Exception {
    accountCalls.unavailable(call -> "confirm".equals(call.op()));   // the account confirm fails for now
    String orderId = newOrderId();

    HttpResponse<String> placed = placeOrder(orderId, "alice", 2, 2500);
    assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
    String gid = JSON.readTree(placed.body()).get("gid").asText();
    await().atMost(BOUND).until(() -> accountCalls.calls(gid).stream()
        .filter(c -> "confirm".equals(c.op()) && c.status() == 503).count() >= 2);

    coordinator.crashAndRestart();
    accountCalls.reset();                                              // the account service is back

    TransactionView end = client.awaitEnd(gid, BOUND);
    assertThat(end.status()).isEqualTo(GlobalStatus.COMMITTED);
    assertThat(end.branches()).extracting(BranchView::status).containsOnly(BranchStatus.CONFIRMED);
    assertThat(stock()).containsExactly(8, 0);
    assertThat(balance("alice")).containsExactly(7500L, 0L);
    assertThat(orderStatus(orderId)).isEqualTo("CONFIRMED");
  }

  @Test
  void aCancelBeforeItsTryLeavesNoSuspendedReservationAndTheLateTryIsRefused() throws Exception {
    stockCalls.cancelBefore(call -> "try".equals(call.op()));
    String orderId = newOrderId();

    HttpResponse<String> refused = placeOrder(orderId, "alice", 4, 4000);

    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
    String gid = gidOfOrder(orderId);
    assertThat(client.awaitEnd(gid, BOUND).status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    assertThat(stockCalls.calls(gid)).extracting(CallInjector.Call::op).startsWith("cancel", "try");
    assertThat(stock()).containsExactly(10, 0);
    assertThat(balance("alice")).containsExactly(10000L, 0L);
    assertThat(orderStatus(orderId)).isEqualTo("CANCELLED");

    stockCalls.reset();
    HttpResponse<String> lateTry = send(stock.tccUrl() + "/reserve-stock", gid, "reserve-stock", "try",
        "[\"" + orderId + "\",\"A-1\",4]");
    assertThat(lateTry.statusCode()).as(lateTry.body()).isEqualTo(409);
    assertThat(stock()).containsExactly(10, 0);
  }

  @Test
  void duplicateConfirmsAndAStrayCancelChangeNothingTwice() throws Exception {
    stockCalls.duplicate(call -> true);      // every try and confirm delivered twice
    accountCalls.duplicate(call -> true);
    String orderId = newOrderId();

    HttpResponse<String> placed = placeOrder(orderId, "alice", 3, 3000);
    assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
    String gid = JSON.readTree(placed.body()).get("gid").asText();
    TransactionView end = client.awaitEnd(gid, BOUND);
    assertThat(end.status()).isEqualTo(GlobalStatus.COMMITTED);
    // A duplicate goes out once the original was answered, so it may still be on its way.
    for (CallInjector calls : List.of(stockCalls, accountCalls)) {
      await().atMost(BOUND).untilAsserted(() -> assertThat(calls.calls(gid))
          .filteredOn(c -> c.injected() && "confirm".equals(c.op()))
          .extracting(CallInjector.Call::status).containsOnly(200).isNotEmpty());
    }

    stockCalls.reset();
    accountCalls.reset();
    for (BranchView branch : end.branches()) {   // the coordinator's confirm, delivered once more, late
      assertThat(send(branch.forward(), gid, branch.branchId(), "confirm", branch.payload().toString()).statusCode())
          .isEqualTo(200);
      HttpResponse<String> strayCancel = send(branch.backward(), gid, branch.branchId(), "cancel",
          branch.payload().toString());
      assertThat(strayCancel.statusCode()).as("a cancel after the confirm runs nothing: %s", strayCancel.body())
          .isEqualTo(500);
    }
    assertThat(stock()).containsExactly(7, 0);
    assertThat(balance("alice")).containsExactly(7000L, 0L);
    assertThat(orderStatus(orderId)).isEqualTo("CONFIRMED");
  }

  @Test
  void concurrentOrdersNeverSellMoreThanTheStockAndEveryOrderEnds() throws Exception {
    int orders = 16;                                         // 10 in stock: 10 succeed, 6 are refused
    java.util.concurrent.ExecutorService customers = java.util.concurrent.Executors.newFixedThreadPool(orders);
    List<String> orderIds = new java.util.ArrayList<>();
    List<java.util.concurrent.Future<HttpResponse<String>>> answers = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < orders; i++) {
        String orderId = newOrderId();
        orderIds.add(orderId);
        answers.add(customers.submit(() -> placeOrder(orderId, "alice", 1, 100)));
      }
      int placed = 0;
      for (var answer : answers) {
        int status = answer.get(BOUND.toSeconds(), java.util.concurrent.TimeUnit.SECONDS).statusCode();
        assertThat(status).isIn(201, 409);
        placed += status == 201 ? 1 : 0;
      }
      assertThat(placed).isEqualTo(10);
    } finally {
      customers.shutdownNow();
    }
    await().atMost(BOUND).untilAsserted(() -> {
      assertThat(orderIds.stream().map(ShopAcceptanceTest::orderStatusUnchecked).toList())
          .containsOnly("CONFIRMED", "CANCELLED")
          .filteredOn("CONFIRMED"::equals).hasSize(10);
      assertThat(stock()).containsExactly(0, 0);
      assertThat(balance("alice")).containsExactly(10000L - 10 * 100, 0L);
    });
  }

  private static String orderStatusUnchecked(String orderId) {
    try {
      return orderStatus(orderId);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String newOrderId() {
    return "order-" + UUID.randomUUID();
  }

  private static HttpResponse<String> placeOrder(String orderId, String customer, int qty, long amount)
      throws Exception {
    String body = JSON.writeValueAsString(new Order(orderId, customer, "A-1", qty, amount));
    HttpRequest request = HttpRequest.newBuilder(order.url().resolve("/orders"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .timeout(BOUND)
        .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> send(String url, String gid, String branch, String op, String body)
      throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/json")
        .header(Headers.GID, gid).header(Headers.BRANCH, branch).header(Headers.OP, op)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .timeout(BOUND)
        .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The gid of an order, from the order service's barrier table (the create-order branch). */
  private static String gidOfOrder(String orderId) throws SQLException {
    try (Connection c = orderDb.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
        "SELECT gid FROM covenant_barrier WHERE branch_id = 'create-order' AND op = 'try'")) {
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          String gid = rs.getString(1);
          JsonNode payload = JSON.valueToTree(client.get(gid).branches().get(0).payload());
          if (orderId.equals(payload.get(0).get("orderId").asText())) {
            return gid;
          }
        }
      }
    }
    throw new AssertionError("no transaction created order " + orderId);
  }

  /** available, reserved of A-1. */
  private static List<Integer> stock() throws SQLException {
    try (Connection c = stockDb.dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT available, reserved FROM stock WHERE sku = 'A-1'");
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return List.of(rs.getInt(1), rs.getInt(2));
    }
  }

  /** balance, frozen of a customer. */
  private static List<Long> balance(String customer) throws SQLException {
    try (Connection c = accountDb.dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT balance, frozen FROM account WHERE customer = ?")) {
      s.setString(1, customer);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return List.of(rs.getLong(1), rs.getLong(2));
      }
    }
  }

  private static String orderStatus(String orderId) throws SQLException {
    try (Connection c = orderDb.dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT status FROM orders WHERE order_id = ?")) {
      s.setString(1, orderId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }
}
