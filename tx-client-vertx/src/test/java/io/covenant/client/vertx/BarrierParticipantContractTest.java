package io.covenant.client.vertx;

import io.covenant.client.ParticipantCall;
import io.covenant.client.ParticipantDispatcher;
import io.covenant.client.barrier.Barrier;
import io.covenant.protocol.Op;
import io.covenant.testkit.Branch;
import io.covenant.testkit.ParticipantContract;
import io.covenant.testkit.ParticipantContractExtension;
import io.covenant.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A participant served on Vert.x Web by {@link DispatcherHandler}, its handlers guarded by the
 * branch barrier on the real PostgreSQL and MariaDB, through the participant test kit: repeats, a
 * cancel before its try and the late try, eight concurrent copies of a call and a try racing its
 * cancel all arrive on one event loop and run on worker threads, and nothing happens twice or stays
 * held. Issue #4.
 */
class BarrierParticipantContractTest {
  /** What one branch holds and has sold: the effect the kit observes. */
  record Holding(int held, int sold) {}

  static final Map<TestDatabase.Kind, TestDatabase> databases = new EnumMap<>(TestDatabase.Kind.class);
  static final Map<TestDatabase.Kind, TestServer> servers = new EnumMap<>(TestDatabase.Kind.class);

  @BeforeAll
  static void start() throws Exception {
    for (TestDatabase.Kind kind : TestDatabase.Kind.values()) {
      TestDatabase db = TestDatabase.create(kind, 10);
      databases.put(kind, db);
      db.execute("CREATE TABLE holding (gid VARCHAR(255) NOT NULL, branch_id VARCHAR(255) NOT NULL,"
          + " held INT NOT NULL, sold INT NOT NULL, PRIMARY KEY (gid, branch_id))");
      Barrier barrier = Barrier.builder(db.dataSource()).createTable(true).build();
      ParticipantDispatcher stock = ParticipantDispatcher.builder()
          .on("stock", Op.TRY, barrier.handler((call, c) -> execute(c,
              "INSERT INTO holding (held, sold, gid, branch_id) VALUES (?, 0, ?, ?)", qty(call), call.gid(), call.branchId())))
          .on("stock", Op.CONFIRM, barrier.handler((call, c) -> execute(c,
              "UPDATE holding SET sold = sold + held, held = 0 WHERE gid = ? AND branch_id = ?", call.gid(), call.branchId())))
          .on("stock", Op.CANCEL, barrier.handler((call, c) -> execute(c,
              "UPDATE holding SET held = 0 WHERE gid = ? AND branch_id = ?", call.gid(), call.branchId())))
          .build();
      servers.put(kind, TestServer.start((vertx, router) -> router.post("/participant/*")
          .handler(DispatcherHandler.create(stock, vertx.createSharedWorkerExecutor("participant-" + kind, 8)))));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (TestServer server : servers.values()) {
      server.close();
    }
    for (TestDatabase db : databases.values()) {
      db.close();
    }
  }

  static int qty(ParticipantCall call) {
    return call.payload().path("qty").asInt();
  }

  /** Runs {@code sql} with {@code params} through the barrier's connection: it commits with the barrier row. */
  static void execute(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i]);
      }
      s.executeUpdate();
    }
  }

  static Holding holding(TestDatabase.Kind kind, Branch branch) throws SQLException {
    try (Connection c = databases.get(kind).dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT held, sold FROM holding WHERE gid = ? AND branch_id = ?")) {
      s.setString(1, branch.gid());
      s.setString(2, branch.branchId());
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? new Holding(rs.getInt(1), rs.getInt(2)) : new Holding(0, 0);
      }
    }
  }

  static ParticipantContractExtension contract(TestDatabase.Kind kind) {
    return ParticipantContractExtension
        .forTcc(() -> url(kind), () -> url(kind), () -> url(kind))
        .named(kind.name().toLowerCase(Locale.ROOT))
        .payload(Map.of("sku", "A-1", "qty", 2))
        .effects(branch -> holding(kind, branch));
  }

  static String url(TestDatabase.Kind kind) {
    return servers.get(kind).uri("/participant/stock").toString();
  }

  @RegisterExtension
  static ParticipantContractExtension onPostgres = contract(TestDatabase.Kind.POSTGRES);

  @RegisterExtension
  static ParticipantContractExtension onMariaDb = contract(TestDatabase.Kind.MYSQL);

  @ParticipantContract("postgres")
  void aBarrierGuardedParticipantOnVertxKeepsTheTccContractOnPostgres() {}

  @ParticipantContract("mysql")
  void aBarrierGuardedParticipantOnVertxKeepsTheTccContractOnMariaDb() {}
}
