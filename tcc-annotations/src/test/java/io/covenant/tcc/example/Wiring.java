package io.covenant.tcc.example;

import com.sun.net.httpserver.HttpServer;
import io.covenant.client.CovenantClient;
import io.covenant.tcc.Tcc;
import io.covenant.tcc.TccParticipant;
import java.net.InetSocketAddress;
import java.net.URI;
import java.sql.SQLException;
import javax.sql.DataSource;

/** README example: wiring a participant and an initiator in plain Java. */
public final class Wiring {
  private Wiring() {}

  /** The stock service: serves its actions at {@code http://<host>:<port>/tcc}. */
  public static HttpServer stockService(CovenantClient client, DataSource dataSource, int port, String host)
      throws SQLException, java.io.IOException {
    TccParticipant participant = TccParticipant.builder(client)
        .callbackUrl(URI.create("http://" + host + ":" + port + "/tcc"))   // how the coordinator reaches it
        .dataSource(dataSource)              // the barrier (on by default) and the methods' database
        .createBarrierTable(true)            // or apply io/covenant/client/barrier/postgres.sql yourself
        .bean(new StockService())
        .build();
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
    server.createContext("/tcc", participant.httpHandler());
    server.start();
    return server;
  }

  /** The order service: calls the stock service's try over HTTP. */
  public static OrderService orderService(CovenantClient client, URI stockUrl) {
    Tcc tcc = Tcc.builder(client).build();
    StockApi stock = tcc.remote(StockApi.class, stockUrl);   // e.g. http://stock.internal:9001/tcc
    return tcc.create(OrderService.class, stock);            // a generated subclass: @GlobalTransactional works
  }
}
