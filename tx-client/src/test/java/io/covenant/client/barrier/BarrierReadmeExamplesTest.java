package io.covenant.client.barrier;

import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.client.BusinessRefusal;
import io.covenant.client.ParticipantDispatcher;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import io.covenant.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The examples of the barrier section of tx-client/README.md, compiled and run on the real PostgreSQL. */
class BarrierReadmeExamplesTest {
  record Order(String sku, int qty) {}

  @Test
  void theReadmeParticipantReservesOnceAndReleasesOnCancel() throws Exception {
    try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 4)) {
      db.execute("CREATE TABLE stock (sku VARCHAR(32) PRIMARY KEY, available INT NOT NULL, reserved INT NOT NULL)",
          "INSERT INTO stock VALUES ('A-1', 10, 0)");
      ParticipantDispatcher dispatcher = participant(db.dataSource());
      Map<String, String> tryHeaders = Map.of(Headers.GID, "order-1", Headers.BRANCH, "stock", Headers.OP, "try");
      byte[] order = "{\"sku\":\"A-1\",\"qty\":2}".getBytes();

      assertThat(dispatcher.handle(tryHeaders, order, "/stock").status()).isEqualTo(200);
      assertThat(dispatcher.handle(tryHeaders, order, "/stock").status()).isEqualTo(200);   // a repeat: skipped
      assertThat(stock(db)).isEqualTo("8/2");
      assertThat(dispatcher.handle(Map.of(Headers.GID, "order-1", Headers.BRANCH, "stock", Headers.OP, "cancel"),
          order, "/stock").status()).isEqualTo(200);
      assertThat(stock(db)).isEqualTo("10/0");

      Map<String, String> late = Map.of(Headers.GID, "order-2", Headers.BRANCH, "stock", Headers.OP, "cancel");
      assertThat(dispatcher.handle(late, order, "/stock").status()).isEqualTo(200);          // null compensation
      assertThat(dispatcher.handle(Map.of(Headers.GID, "order-2", Headers.BRANCH, "stock", Headers.OP, "try"),
          order, "/stock").status()).isEqualTo(409);                                         // try after its cancel
      assertThat(stock(db)).isEqualTo("10/0");
      ownTransaction(db.dataSource());
      assertThat(stock(db)).isEqualTo("9/1");
      scheduleCleanup(Barrier.builder(db.dataSource()).build()).shutdownNow();
    }
  }

  // README: "Guard the handlers"
  static ParticipantDispatcher participant(DataSource dataSource) throws SQLException {
    Barrier barrier = Barrier.builder(dataSource)   // PostgreSQL or MySQL/MariaDB, found from the connection
        .createTable(true)                          // or apply io/covenant/client/barrier/postgres.sql yourself
        .build();

    return ParticipantDispatcher.builder()
        .on("stock", Op.TRY, barrier.handler((call, db) -> {
          Order order = call.payloadAs(Order.class);
          try (PreparedStatement reserve = db.prepareStatement(
              "UPDATE stock SET available = available - ?, reserved = reserved + ? WHERE sku = ? AND available >= ?")) {
            reserve.setInt(1, order.qty());
            reserve.setInt(2, order.qty());
            reserve.setString(3, order.sku());
            reserve.setInt(4, order.qty());
            if (reserve.executeUpdate() == 0) {
              throw new BusinessRefusal("not enough " + order.sku());   // 409; the barrier row rolls back too
            }
          }
        }))
        .on("stock", Op.CONFIRM, barrier.handler((call, db) -> {
          Order order = call.payloadAs(Order.class);
          try (PreparedStatement take = db.prepareStatement("UPDATE stock SET reserved = reserved - ? WHERE sku = ?")) {
            take.setInt(1, order.qty());
            take.setString(2, order.sku());
            take.executeUpdate();
          }
        }))
        .on("stock", Op.CANCEL, barrier.handler((call, db) -> {
          Order order = call.payloadAs(Order.class);
          try (PreparedStatement release = db.prepareStatement(
              "UPDATE stock SET available = available + ?, reserved = reserved - ? WHERE sku = ?")) {
            release.setInt(1, order.qty());
            release.setInt(2, order.qty());
            release.setString(3, order.sku());
            release.executeUpdate();
          }
        }))
        .build();
  }

  // README: "In your own transaction"
  static void ownTransaction(DataSource dataSource) throws Exception {
    Barrier barrier = Barrier.builder(dataSource).build();
    try (Connection db = dataSource.getConnection()) {
      db.setAutoCommit(false);
      try {
        BarrierOutcome outcome = barrier.run(db, "order-3", "stock", Op.TRY, c -> {
          try (PreparedStatement reserve = c.prepareStatement(
              "UPDATE stock SET available = available - 1, reserved = reserved + 1 WHERE sku = 'A-1'")) {
            reserve.executeUpdate();
          }
        });
        // outcome: RAN, or REPEATED for a repeat
        db.commit();
      } catch (Exception e) {
        db.rollback();
        throw e;
      }
    }
  }

  // README: "Cleanup"
  static ScheduledExecutorService scheduleCleanup(Barrier barrier) {
    ScheduledExecutorService cleanup = Executors.newSingleThreadScheduledExecutor();
    cleanup.scheduleWithFixedDelay(() -> {
      try {
        barrier.purgeOlderThan(Duration.ofDays(7));
      } catch (SQLException e) {
        // log it; the next run tries again
      }
    }, 1, 60, TimeUnit.MINUTES);
    return cleanup;
  }

  private static String stock(TestDatabase db) throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT available, reserved FROM stock WHERE sku = 'A-1'");
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return rs.getInt(1) + "/" + rs.getInt(2);
    }
  }
}
