package io.covenant.tcc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.covenant.client.BusinessRefusal;
import io.covenant.client.CovenantClient;
import io.covenant.client.TransactionContext;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.BranchView;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.TransactionView;
import io.covenant.testsupport.TestCoordinator;
import io.covenant.testsupport.TestDatabase;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The annotations end to end: a real coordinator, a stock participant served by a
 * {@link TccParticipant} on a loopback HTTP server with its tables in the real PostgreSQL, and
 * initiators made by {@link Tcc} (a generated subclass and a JDK proxy).
 */
class TccAnnotationsTest {
  static TestCoordinator coordinator;
  static CovenantClient client;
  static TestDatabase db;
  static HttpServer server;
  static com.sun.net.httpserver.HttpContext tccContext;
  static ExecutorService serverThreads;
  static TccParticipant participant;
  static URI participantUrl;
  static Tcc tcc;
  static StockApi remoteStock;

  /** The interface the initiator and the stock service share. */
  public interface StockApi {
    @TccAction(name = "reserve-stock")
    void reserve(String sku, int qty);
  }

  /** The stock service: the try reserves, confirm takes the reservation, cancel releases it. */
  public static class StockService implements StockApi {
    @Override
    public void reserve(String sku, int qty) throws BusinessRefusal {
      int updated = update("UPDATE stock SET available = available - ?, reserved = reserved + ? WHERE sku = ?"
          + " AND available >= ?", qty, qty, sku, qty);
      if (updated == 0) {
        throw new BusinessRefusal("only " + qty + " of " + sku + " wanted, not enough left");
      }
    }

    @Confirm
    public void confirm(String sku, int qty) {
      update("UPDATE stock SET reserved = reserved - ?, sold = sold + ? WHERE sku = ?", qty, qty, sku);
    }

    @Cancel
    public void cancel(String sku, int qty) {
      update("UPDATE stock SET available = available + ?, reserved = reserved - ? WHERE sku = ?", qty, qty, sku);
    }

    private static int update(String sql, Object... args) {
      try (PreparedStatement s = TccConnection.current().prepareStatement(sql)) {
        for (int i = 0; i < args.length; i++) {
          s.setObject(i + 1, args[i]);
        }
        return s.executeUpdate();
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** An initiator that is a class (so {@link Tcc#create} subclasses it). */
  public static class OrderService {
    private final StockApi stock;

    public OrderService(StockApi stock) {
      this.stock = stock;
    }

    @GlobalTransactional(timeoutMillis = 30_000)
    public String order(String sku, int qty) {
      stock.reserve(sku, qty);
      return TransactionContext.current().orElseThrow().gid();
    }

    @GlobalTransactional(timeoutMillis = 30_000)
    public String orderThenFail(String sku, int qty, List<String> gid) {
      stock.reserve(sku, qty);
      gid.add(TransactionContext.current().orElseThrow().gid());
      throw new IllegalStateException("the payment service is down");
    }

    @GlobalTransactional(timeoutMillis = 30_000)
    public String orderTwoAndOneInner(String sku, OrderService inner) {
      stock.reserve(sku, 1);
      String innerGid = inner.joined(sku);
      assertThat(innerGid).isEqualTo(TransactionContext.current().orElseThrow().gid());
      return innerGid;
    }

    @GlobalTransactional
    public String joined(String sku) {
      stock.reserve(sku, 1);
      return TransactionContext.current().orElseThrow().gid();
    }

    @GlobalTransactional(propagation = Propagation.MANDATORY)
    public void mandatory() {}

    @GlobalTransactional(propagation = Propagation.NEVER)
    public void never() {}

    @GlobalTransactional(propagation = Propagation.REQUIRES_NEW, timeoutMillis = 30_000)
    public String own(String sku) {
      stock.reserve(sku, 1);
      return TransactionContext.current().orElseThrow().gid();
    }
  }

  /** An initiator behind an interface (so {@link Tcc#proxy} wraps it). */
  public interface Checkout {
    @GlobalTransactional(timeoutMillis = 30_000)
    String checkout(String sku, int qty);
  }

  @BeforeAll
  static void start() throws Exception {
    coordinator = TestCoordinator.memory();
    client = CovenantClient.builder().coordinator(coordinator.uri()).build();
    db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 8);
    db.execute("CREATE TABLE stock (sku VARCHAR(32) PRIMARY KEY, available INT NOT NULL, reserved INT NOT NULL,"
        + " sold INT NOT NULL)");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    serverThreads = Executors.newCachedThreadPool();
    server.setExecutor(serverThreads);
    participantUrl = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/tcc");
    participant = TccParticipant.builder(client)
        .callbackUrl(participantUrl)
        .dataSource(db.dataSource())
        .createBarrierTable(true)
        .bean(new StockService())
        .build();
    tccContext = server.createContext("/tcc", participant.httpHandler());
    server.start();
    tcc = Tcc.builder(client).build();
    remoteStock = tcc.remote(StockApi.class, participantUrl);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.stop(0);
      serverThreads.shutdownNow();
    }
    if (client != null) {
      client.close();
    }
    if (coordinator != null) {
      coordinator.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @BeforeEach
  void restock() throws SQLException {
    db.execute("DELETE FROM stock", "INSERT INTO stock VALUES ('A-1', 10, 0, 0)");
  }

  @Test
  void aMethodThatReturnsConfirmsItsTriesWithTheTryArguments() throws Exception {
    OrderService orders = tcc.create(OrderService.class, remoteStock);

    String gid = orders.order("A-1", 3);

    assertEnded(gid, GlobalStatus.COMMITTED);
    assertThat(stock()).containsExactly(7, 0, 3);
    TransactionView view = client.get(gid);
    assertThat(view.branches()).extracting(BranchView::branchId).containsExactly("reserve-stock");
    assertThat(view.branches().get(0).payload().toString()).isEqualTo("[\"A-1\",3]");
    assertThat(view.branches().get(0).forward()).isEqualTo(participantUrl + "/reserve-stock");
  }

  @Test
  void aMethodThatThrowsRollsBackAndCancelsItsTries() throws Exception {
    OrderService orders = tcc.create(OrderService.class, remoteStock);
    List<String> gid = new java.util.ArrayList<>();

    assertThatThrownBy(() -> orders.orderThenFail("A-1", 4, gid)).isInstanceOf(IllegalStateException.class)
        .hasMessage("the payment service is down");

    assertEnded(gid.get(0), GlobalStatus.ROLLED_BACK);
    assertThat(client.get(gid.get(0)).branches()).extracting(BranchView::status).containsExactly(BranchStatus.CANCELLED);
    assertThat(stock()).containsExactly(10, 0, 0);
  }

  @Test
  void aRefusedTryRollsBackWithTheRefusalAndLeavesNothingReserved() throws Exception {
    OrderService orders = tcc.create(OrderService.class, remoteStock);

    assertThatThrownBy(() -> orders.order("A-1", 11)).isInstanceOf(BusinessRefusal.class)
        .hasMessageContaining("not enough left");

    assertThat(stock()).containsExactly(10, 0, 0);
  }

  @Test
  void aRemoteTryThatGetsA503IsSentAgainAndRunsOnce() throws Exception {
    java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
    com.sun.net.httpserver.Filter firstTryFails = new com.sun.net.httpserver.Filter() {
      @Override
      public void doFilter(com.sun.net.httpserver.HttpExchange exchange, Chain chain) throws java.io.IOException {
        if ("try".equals(exchange.getRequestHeaders().getFirst("Covenant-Op")) && tries.incrementAndGet() == 1) {
          exchange.sendResponseHeaders(503, -1);
          exchange.close();
          return;
        }
        chain.doFilter(exchange);
      }

      @Override
      public String description() {
        return "answers 503 to the first try";
      }
    };
    tccContext.getFilters().add(firstTryFails);
    try {
      String gid = tcc.create(OrderService.class, remoteStock).order("A-1", 2);

      assertEnded(gid, GlobalStatus.COMMITTED);
      assertThat(tries.get()).isEqualTo(2);
      assertThat(stock()).containsExactly(8, 0, 2);
    } finally {
      tccContext.getFilters().remove(firstTryFails);
    }
  }

  @Test
  void anInterfaceProxyRunsItsMethodInAGlobalTransaction() throws Exception {
    Checkout checkout = tcc.proxy(Checkout.class, (sku, qty) -> {
      remoteStock.reserve(sku, qty);
      return TransactionContext.current().orElseThrow().gid();
    });

    String gid = checkout.checkout("A-1", 2);

    assertEnded(gid, GlobalStatus.COMMITTED);
    assertThat(stock()).containsExactly(8, 0, 2);
  }

  @Test
  void requiredJoinsTheOuterTransactionAndRepeatedActionsGetTheirOwnBranches() throws Exception {
    OrderService orders = tcc.create(OrderService.class, remoteStock);

    String gid = orders.orderTwoAndOneInner("A-1", orders);

    assertEnded(gid, GlobalStatus.COMMITTED);
    assertThat(client.get(gid).branches()).extracting(BranchView::branchId)
        .containsExactly("reserve-stock", "reserve-stock-2");
    assertThat(stock()).containsExactly(8, 0, 2);
  }

  @Test
  @SuppressWarnings("try") // the scope is used for its close() alone
  void requiresNewMandatoryAndNeverAreHonoured() throws Exception {
    OrderService orders = tcc.create(OrderService.class, remoteStock);
    assertThatThrownBy(orders::mandatory).isInstanceOf(IllegalStateException.class).hasMessageContaining("MANDATORY");
    orders.never();

    String outer;
    String inner;
    try (TransactionContext.Scope scope = TransactionContext.bind("some-outer-gid", null)) {
      outer = TransactionContext.current().orElseThrow().gid();
      orders.mandatory();
      assertThatThrownBy(orders::never).isInstanceOf(IllegalStateException.class).hasMessageContaining("NEVER");
      inner = orders.own("A-1");
      assertThat(TransactionContext.current().orElseThrow().gid()).isEqualTo(outer);
    }
    assertThat(inner).isNotEqualTo(outer);
    assertEnded(inner, GlobalStatus.COMMITTED);
  }

  @Test
  void aLocalProxyRunsTheTryInThisJvmWithTheBarrier() throws Exception {
    StockApi local = participant.local(StockApi.class);
    Checkout checkout = tcc.proxy(Checkout.class, (sku, qty) -> {
      local.reserve(sku, qty);
      return TransactionContext.current().orElseThrow().gid();
    });

    String gid = checkout.checkout("A-1", 5);

    assertEnded(gid, GlobalStatus.COMMITTED);
    assertThat(stock()).containsExactly(5, 0, 5);
  }

  @Test
  void aRepeatedTryIsReservedOnceAndATryAfterTheRollbackIsRefused() throws Exception {
    TransactionView begun = client.begin(io.covenant.protocol.Mode.TCC, Duration.ofSeconds(30));
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest tryCall = HttpRequest.newBuilder(URI.create(participantUrl + "/reserve-stock"))
        .header("Content-Type", "application/json")
        .header("Covenant-Gid", begun.gid()).header("Covenant-Branch", "reserve-stock").header("Covenant-Op", "try")
        .POST(HttpRequest.BodyPublishers.ofString("[\"A-1\", 2]")).build();

    assertThat(http.send(tryCall, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(http.send(tryCall, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(stock()).containsExactly(8, 2, 0);

    client.rollback(begun.gid());
    assertEnded(begun.gid(), GlobalStatus.ROLLED_BACK);
    assertThat(stock()).containsExactly(10, 0, 0);
    HttpResponse<String> late = http.send(tryCall, HttpResponse.BodyHandlers.ofString());
    assertThat(late.statusCode()).as(late.body()).isEqualTo(409);
    assertThat(stock()).containsExactly(10, 0, 0);
  }

  @Test
  void annotationsThatDoNotFitTogetherAreRejectedAtBuild() {
    class NoCancel {
      @TccAction public void reserve(String sku) {}
      @Confirm public void confirm(String sku) {}
    }
    class OtherParameters {
      @TccAction public void reserve(String sku) {}
      @Confirm public void confirm(String sku) {}
      @Cancel public void cancel(String sku, int qty) {}
    }
    class ReturnsSomething {
      @TccAction public int reserve(String sku) {
        return 1;
      }
      @Confirm public void confirm(String sku) {}
      @Cancel public void cancel(String sku) {}
    }
    for (Object bean : List.of(new NoCancel(), new OtherParameters(), new ReturnsSomething())) {
      assertThatThrownBy(() -> TccParticipant.builder(client).callbackUrl(participantUrl).withoutBarrier().bean(bean)
          .build()).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> TccParticipant.builder(client).callbackUrl(participantUrl).bean(new StockService())
        .build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("dataSource");
    assertThatThrownBy(() -> tcc.create(String.class)).isInstanceOf(IllegalArgumentException.class);
  }

  /** Two actions in one class: each confirm and cancel names the action it finishes. */
  public static class Warehouse {
    final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();

    @TccAction(name = "hold")
    public void hold(String item) {
      calls.add("hold " + item);
    }

    @TccAction(name = "ship")
    public void ship(String item, int boxes) {
      calls.add("ship " + item + " " + boxes);
    }

    @Confirm(action = "hold")
    public void confirmHold(String item) {
      calls.add("confirm hold " + item);
    }

    @Cancel(action = "hold")
    public void cancelHold(String item) {
      calls.add("cancel hold " + item);
    }

    @Confirm(action = "ship")
    public void confirmShip(String item, int boxes) {
      calls.add("confirm ship " + item + " " + boxes);
    }

    @Cancel(action = "ship")
    public void cancelShip(String item, int boxes) {
      calls.add("cancel ship " + item + " " + boxes);
    }
  }

  @Test
  void confirmAndCancelAreFoundByTheActionTheyName() throws Exception {
    Warehouse warehouse = new Warehouse();
    TccParticipant served = TccParticipant.builder(client).callbackUrl(participantUrl).withoutBarrier()
        .bean(warehouse).build();
    assertThat(served.actions()).containsExactly("hold", "ship");

    var confirm = served.dispatcher().handle(java.util.Map.of("Covenant-Gid", "g-1", "Covenant-Branch", "ship",
        "Covenant-Op", "confirm"), "[\"crate\", 3]".getBytes(java.nio.charset.StandardCharsets.UTF_8), "ship");
    var cancel = served.dispatcher().handle(java.util.Map.of("Covenant-Gid", "g-1", "Covenant-Branch", "hold",
        "Covenant-Op", "cancel"), "[\"crate\"]".getBytes(java.nio.charset.StandardCharsets.UTF_8), "hold");

    assertThat(confirm.status()).isEqualTo(200);
    assertThat(cancel.status()).isEqualTo(200);
    assertThat(warehouse.calls).containsExactly("confirm ship crate 3", "cancel hold crate");
  }

  @Test
  void aTryThatActsOutsideItsDatabaseIsCancelledForRealEvenWhenItFailed() throws Exception {
    class Courier {
      final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();

      @TccAction(name = "book-courier", outsideEffects = true)
      public void book(String parcel) {
        calls.add("booked " + parcel);           // the outside effect happened
        throw new IllegalStateException("then the local write failed");
      }

      @Confirm
      public void confirm(String parcel) {
        calls.add("confirmed " + parcel);
      }

      @Cancel
      public void cancel(String parcel) {
        calls.add("cancelled " + parcel);
      }
    }
    Courier courier = new Courier();
    URI courierUrl = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/courier");
    TccParticipant served = TccParticipant.builder(client).callbackUrl(courierUrl).dataSource(db.dataSource())
        .bean(courier).build();
    server.createContext("/courier", served.httpHandler());
    try {
      TransactionView begun = client.begin(io.covenant.protocol.Mode.TCC, Duration.ofSeconds(30));
      HttpRequest tryCall = HttpRequest.newBuilder(URI.create(courierUrl + "/book-courier"))
          .header("Content-Type", "application/json")
          .header("Covenant-Gid", begun.gid()).header("Covenant-Branch", "book-courier").header("Covenant-Op", "try")
          .POST(HttpRequest.BodyPublishers.ofString("[\"p-1\"]")).build();

      HttpResponse<String> failed = HttpClient.newHttpClient().send(tryCall, HttpResponse.BodyHandlers.ofString());
      assertThat(failed.statusCode()).as(failed.body()).isEqualTo(500);
      client.rollback(begun.gid());

      assertEnded(begun.gid(), GlobalStatus.ROLLED_BACK);
      assertThat(courier.calls).containsExactly("booked p-1", "cancelled p-1");
    } finally {
      server.removeContext("/courier");
    }
  }

  @Test
  void aParticipantWhoseInitiatorsRegisterTheBranchesRunsTheTryWithoutRegistering() throws Exception {
    TccParticipant served = TccParticipant.builder(client).callbackUrl(participantUrl).dataSource(db.dataSource())
        .registersBranches(false).bean(new StockService()).build();
    java.util.Map<String, String> headers = new java.util.HashMap<>(java.util.Map.of(
        "Covenant-Gid", "registered-by-the-initiator", "Covenant-Branch", "reserve-stock", "Covenant-Op", "try"));
    byte[] args = "[\"A-1\", 4]".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    assertThat(served.dispatcher().handle(headers, args, "reserve-stock").status()).isEqualTo(200);
    assertThat(served.dispatcher().handle(headers, args, "reserve-stock").status()).isEqualTo(200);
    headers.put("Covenant-Op", "confirm");
    assertThat(served.dispatcher().handle(headers, args, "reserve-stock").status()).isEqualTo(200);

    assertThat(stock()).containsExactly(6, 0, 4);
    assertThat(client.find("registered-by-the-initiator")).isEmpty();
  }

  private static void assertEnded(String gid, GlobalStatus status) {
    assertThat(client.awaitEnd(gid, Duration.ofSeconds(15)).status()).isEqualTo(status);
  }

  /** available, reserved, sold of A-1. */
  private static List<Integer> stock() throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT available, reserved, sold FROM stock WHERE sku = 'A-1'");
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return List.of(rs.getInt(1), rs.getInt(2), rs.getInt(3));
    }
  }
}
