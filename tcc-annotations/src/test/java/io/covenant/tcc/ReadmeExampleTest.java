package io.covenant.tcc;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.covenant.client.CovenantClient;
import io.covenant.protocol.GlobalStatus;
import io.covenant.tcc.example.OrderService;
import io.covenant.tcc.example.Wiring;
import io.covenant.testsupport.TestCoordinator;
import io.covenant.testsupport.TestDatabase;
import java.net.ServerSocket;
import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The example of tcc-annotations/README.md (package {@code io.covenant.tcc.example}) runs as written. */
class ReadmeExampleTest {
  @Test
  void theReadmeOrderReservesAndConfirmsStock() throws Exception {
    try (TestCoordinator coordinator = TestCoordinator.memory();
        CovenantClient client = CovenantClient.builder().coordinator(coordinator.uri()).build();
        TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 4)) {
      db.execute("CREATE TABLE stock (sku VARCHAR(32) PRIMARY KEY, available INT NOT NULL, reserved INT NOT NULL)",
          "INSERT INTO stock VALUES ('A-1', 10, 0)");
      int port;
      try (ServerSocket free = new ServerSocket(0)) {
        port = free.getLocalPort();
      }
      HttpServer stock = Wiring.stockService(client, db.dataSource(), port, "127.0.0.1");
      try {
        OrderService orders = Wiring.orderService(client, URI.create("http://127.0.0.1:" + port + "/tcc"));
        String gid = orders.placeOrder("A-1", 3);
        assertThat(client.awaitEnd(gid, Duration.ofSeconds(15)).status()).isEqualTo(GlobalStatus.COMMITTED);
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT available, reserved FROM stock")) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(7);
          assertThat(rs.getInt(2)).isZero();
        }
      } finally {
        stock.stop(0);
      }
    }
  }
}
