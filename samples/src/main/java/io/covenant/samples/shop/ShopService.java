package io.covenant.samples.shop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.covenant.client.BusinessRefusal;
import io.covenant.client.CovenantClient;
import io.covenant.tcc.Tcc;
import io.covenant.tcc.TccParticipant;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One service of the shop sample, running: a JDK {@link HttpServer} on a loopback port whose
 * {@code /tcc} serves the service's TCC actions ({@link TccParticipant}, barrier on), and, for the
 * order service, {@code POST /orders} that places an order.
 *
 * <pre>{@code
 * ShopService stock = ShopService.stock(client, stockDataSource);
 * ShopService account = ShopService.account(client, accountDataSource);
 * ShopService order = ShopService.order(client, orderDataSource, stock.tccUrl(), account.tccUrl());
 * // POST order.url() + "/orders" {"orderId":"o-1","customer":"alice","sku":"A-1","qty":3,"amount":3000}
 * }</pre>
 *
 * Each service creates its table and the barrier table in its own database at start.
 */
public final class ShopService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ShopService.class);

  private final String name;
  private final HttpServer server;
  private final ExecutorService threads;
  private final HttpContext tcc;

  private ShopService(String name, HttpServer server, ExecutorService threads, HttpContext tcc) {
    this.name = name;
    this.server = server;
    this.threads = threads;
    this.tcc = tcc;
  }

  /** The stock service over {@code dataSource}; each try registers its branch before it runs. */
  public static ShopService stock(CovenantClient client, DataSource dataSource) throws IOException, SQLException {
    return stock(client, dataSource, true);
  }

  /**
   * The stock service over {@code dataSource}. With {@code registersBranches} false its tries do not
   * register their branch: for an initiator that registers each branch itself before it calls the try
   * ({@link TccParticipant.Builder#registersBranches}), or the participant test kit, whose gids are
   * no transactions of a coordinator.
   */
  public static ShopService stock(CovenantClient client, DataSource dataSource, boolean registersBranches)
      throws IOException, SQLException {
    return participant("stock", client, dataSource, StockService.DDL, new StockService(), registersBranches);
  }

  /** The account service over {@code dataSource}; each try registers its branch before it runs. */
  public static ShopService account(CovenantClient client, DataSource dataSource) throws IOException, SQLException {
    return account(client, dataSource, true);
  }

  /** The account service over {@code dataSource}; {@code registersBranches} as for {@link #stock(CovenantClient, DataSource, boolean)}. */
  public static ShopService account(CovenantClient client, DataSource dataSource, boolean registersBranches)
      throws IOException, SQLException {
    return participant("account", client, dataSource, AccountService.DDL, new AccountService(), registersBranches);
  }

  /**
   * The order service over {@code dataSource}, calling the stock and account services whose
   * {@code /tcc} URLs are given. {@code POST /orders} with an {@link Order} as JSON answers
   * {@code 201 {"gid": …}} once the commit is decided, {@code 409} with the reason when a try was
   * refused (the transaction is rolled back), and {@code 500} on any other failure (rolled back too).
   */
  public static ShopService order(CovenantClient client, DataSource dataSource, URI stockTcc, URI accountTcc)
      throws IOException, SQLException {
    createTable(dataSource, OrderBook.DDL);
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService threads = Executors.newCachedThreadPool();
    server.setExecutor(threads);
    TccParticipant orderBook = TccParticipant.builder(client)
        .callbackUrl(tccUrl(server))
        .dataSource(dataSource)
        .createBarrierTable(true)
        .bean(new OrderBook())
        .build();
    HttpContext tcc = server.createContext("/tcc", orderBook.httpHandler());
    Tcc initiator = Tcc.builder(client).build();
    OrderService orders = initiator.create(OrderService.class, orderBook.local(OrderBookApi.class),
        initiator.remote(StockApi.class, stockTcc), initiator.remote(AccountApi.class, accountTcc));
    ObjectMapper json = new ObjectMapper();
    server.createContext("/orders", exchange -> placeOrder(exchange, orders, json));
    server.start();
    return new ShopService("order", server, threads, tcc);
  }

  private static ShopService participant(String name, CovenantClient client, DataSource dataSource, String ddl,
      Object bean, boolean registersBranches) throws IOException, SQLException {
    createTable(dataSource, ddl);
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService threads = Executors.newCachedThreadPool();
    server.setExecutor(threads);
    TccParticipant participant = TccParticipant.builder(client)
        .callbackUrl(tccUrl(server))
        .dataSource(dataSource)
        .createBarrierTable(true)
        .registersBranches(registersBranches)
        .bean(bean)
        .build();
    HttpContext tcc = server.createContext("/tcc", participant.httpHandler());
    server.start();
    return new ShopService(name, server, threads, tcc);
  }

  private static void placeOrder(HttpExchange exchange, OrderService orders, ObjectMapper json) throws IOException {
    int status;
    Map<String, String> body;
    try {
      if (!"POST".equals(exchange.getRequestMethod())) {
        status = 405;
        body = Map.of("detail", "POST an order");
      } else {
        Order order = json.readValue(exchange.getRequestBody(), Order.class);
        String gid = orders.placeOrder(order);
        status = 201;
        body = Map.of("gid", gid, "orderId", order.orderId());
      }
    } catch (BusinessRefusal refusal) {
      status = 409;
      body = Map.of("detail", String.valueOf(refusal.getMessage()));
    } catch (RuntimeException failure) {
      log.atWarn().setCause(failure).log("placing an order failed; it is rolled back");
      status = 500;
      body = Map.of("detail", String.valueOf(failure));
    }
    byte[] bytes = json.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void createTable(DataSource dataSource, String ddl) throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute(ddl);
    }
  }

  private static URI tccUrl(HttpServer server) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/tcc");
  }

  /** The service's base URL, e.g. {@code http://127.0.0.1:41234}. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Where the service's TCC actions are served: {@code url()/tcc}. */
  public URI tccUrl() {
    return tccUrl(server);
  }

  /** The {@code /tcc} context, e.g. to put a filter in front of the participant. */
  public HttpContext tccContext() {
    return tcc;
  }

  public String name() {
    return name;
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  @Override
  public String toString() {
    return name + " service at " + url();
  }
}
