package io.covenant.client.barrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.protocol.Op;
import io.covenant.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The barrier table on the real databases: the shipped DDL, a table of another name, the cleanup of
 * old rows, and the barrier inside the caller's own local transaction.
 */
class BarrierTableTest {

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void createsTheTableFromTheShippedDdlAndCreatingAgainChangesNothing(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase db = TestDatabase.create(kind, 2)) {
      Barrier barrier = Barrier.builder(db.dataSource()).createTable(true).build();
      assertThat(barrier.dialect()).isEqualTo(dialect(db));
      barrier.run("g1", "b1", Op.TRY, connection -> {});
      Barrier.builder(db.dataSource()).createTable(true).build();
      assertThat(count(db, "SELECT COUNT(*) FROM covenant_barrier")).isEqualTo(1);
      assertThat(dialect(db).ddl()).contains("CREATE TABLE IF NOT EXISTS covenant_barrier");
      assertThat(SqlDialect.class.getClassLoader().getResource(dialect(db).ddlResource())).isNotNull();
    }
  }

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void aMissingTableIsNamedAtBuildWithTheDdlToApply(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase db = TestDatabase.create(kind, 2)) {
      assertThatThrownBy(() -> Barrier.builder(db.dataSource()).build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("covenant_barrier is missing")
          .hasMessageContaining(dialect(db).ddlResource());
    }
  }

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void worksOnATableOfAnotherName(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase db = TestDatabase.create(kind, 2)) {
      Barrier barrier = Barrier.builder(db.dataSource()).table("stock_barrier").createTable(true).build();
      assertThat(barrier.run("g1", "b1", Op.CANCEL, connection -> {})).isEqualTo(BarrierOutcome.NULL_COMPENSATION);
      assertThatThrownBy(() -> barrier.run("g1", "b1", Op.TRY, connection -> {})).isInstanceOf(BranchCancelled.class);
      assertThat(count(db, "SELECT COUNT(*) FROM stock_barrier")).isEqualTo(2);
    }
    assertThatThrownBy(() -> Barrier.builder(new org.postgresql.ds.PGSimpleDataSource()).table("x; DROP TABLE y"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void purgeDeletesOnlyRowsOlderThanTheAgeInBatches(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase db = TestDatabase.create(kind, 2)) {
      Barrier barrier = Barrier.builder(db.dataSource()).createTable(true).purgeBatchSize(3).build();
      for (int i = 0; i < 10; i++) {
        barrier.run("old-" + i, "b", Op.TRY, connection -> {});
      }
      for (int i = 0; i < 4; i++) {
        barrier.run("new-" + i, "b", Op.TRY, connection -> {});
      }
      String past = kind == TestDatabase.Kind.POSTGRES
          ? "CURRENT_TIMESTAMP - INTERVAL '2 hours'" : "CURRENT_TIMESTAMP(3) - INTERVAL 2 HOUR";
      db.execute("UPDATE covenant_barrier SET created_at = " + past + " WHERE gid LIKE 'old-%'");

      assertThat(barrier.purgeOlderThan(Duration.ofHours(1))).isEqualTo(10);

      assertThat(count(db, "SELECT COUNT(*) FROM covenant_barrier WHERE gid LIKE 'old-%'")).isZero();
      assertThat(count(db, "SELECT COUNT(*) FROM covenant_barrier WHERE gid LIKE 'new-%'")).isEqualTo(4);
      assertThat(barrier.purgeOlderThan(Duration.ofHours(1))).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void runsInTheCallersTransactionAndRollsBackWithIt(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase db = TestDatabase.create(kind, 2)) {
      Barrier barrier = Barrier.builder(db.dataSource()).createTable(true).build();
      db.execute("CREATE TABLE stock (sku VARCHAR(16) NOT NULL, reserved INT NOT NULL)",
          "INSERT INTO stock VALUES ('A-1', 0)");
      String gid = "own-" + UUID.randomUUID();
      try (Connection connection = db.dataSource().getConnection()) {
        connection.setAutoCommit(false);
        assertThat(barrier.run(connection, gid, "stock", Op.TRY, c -> reserve(c))).isEqualTo(BarrierOutcome.RAN);
        connection.rollback();   // the caller changes its mind: the barrier row goes with the reservation
        assertThat(barrier.run(connection, gid, "stock", Op.TRY, c -> reserve(c))).isEqualTo(BarrierOutcome.RAN);
        assertThat(barrier.run(connection, gid, "stock", Op.TRY, c -> reserve(c))).isEqualTo(BarrierOutcome.REPEATED);
        connection.commit();
        connection.setAutoCommit(true);
        assertThatThrownBy(() -> barrier.run(connection, gid, "stock", Op.TRY, c -> reserve(c)))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("setAutoCommit(false)");
      }
      assertThat(count(db, "SELECT reserved FROM stock")).isEqualTo(1);
      try (Connection connection = db.dataSource().getConnection()) {
        connection.setAutoCommit(false);
        assertThatThrownBy(() -> barrier.withMode(BarrierMode.OUTSIDE_EFFECTS)
            .run(connection, gid, "stock", Op.TRY, c -> reserve(c)))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("OUTSIDE_EFFECTS");
        connection.rollback();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void aTryBodyThatFailsLeavesNothingInLocalModeAndATryingRowInOutsideMode(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase db = TestDatabase.create(kind, 2)) {
      Barrier local = Barrier.builder(db.dataSource()).createTable(true).build();
      Barrier outside = local.withMode(BarrierMode.OUTSIDE_EFFECTS);
      assertThatThrownBy(() -> local.run("g-local", "b", Op.TRY, c -> {
        throw new IllegalStateException("the stock service is down");
      })).hasMessage("the stock service is down");
      assertThat(local.run("g-local", "b", Op.CANCEL, c -> {
        throw new AssertionError("nothing was tried, so nothing is cancelled");
      })).isEqualTo(BarrierOutcome.NULL_COMPENSATION);

      assertThatThrownBy(() -> outside.run("g-outside", "b", Op.TRY, c -> {
        throw new IllegalStateException("called the warehouse, then failed");
      })).hasMessage("called the warehouse, then failed");
      assertThat(count(db, "SELECT COUNT(*) FROM covenant_barrier WHERE gid = 'g-outside' AND state = 'trying'"))
          .isEqualTo(1);
      boolean[] cancelRan = {false};
      assertThat(outside.run("g-outside", "b", Op.CANCEL, c -> cancelRan[0] = true)).isEqualTo(BarrierOutcome.RAN);
      assertThat(cancelRan[0]).as("the try may have acted outside: the real cancel runs").isTrue();
    }
  }

  private static void reserve(Connection connection) throws SQLException {
    try (PreparedStatement s = connection.prepareStatement("UPDATE stock SET reserved = reserved + 1")) {
      s.executeUpdate();
    }
  }

  /** The dialect the barrier should find on this database. */
  private static SqlDialect dialect(TestDatabase db) {
    return db.kind() == TestDatabase.Kind.POSTGRES ? SqlDialect.POSTGRES : SqlDialect.MYSQL;
  }

  private static int count(TestDatabase db, String sql) throws SQLException {
    try (Connection c = db.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql);
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
