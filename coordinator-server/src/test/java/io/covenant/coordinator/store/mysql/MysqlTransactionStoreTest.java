package io.covenant.coordinator.store.mysql;

import static io.covenant.coordinator.store.TxFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.store.TestDatabases;
import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.store.TransactionStoreContract;
import io.covenant.coordinator.store.TxFixtures;
import io.covenant.coordinator.store.sql.SharedStoreSettings;
import java.time.Duration;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.Mode;
import io.vertx.core.Future;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract on the real MariaDB (or MySQL; see {@link TestDatabases}), in a database of
 * this class's own that is emptied before each test and dropped at the end; and what only the
 * MySQL store does: migrations, batching, a database that does not answer.
 */
class MysqlTransactionStoreTest extends TransactionStoreContract {
  static TestDatabases.Mysql db;
  static String schema;
  static final List<String> otherSchemas = new ArrayList<>();

  @BeforeAll
  static void database() {
    db = TestDatabases.mysql();
    schema = TestDatabases.freshSchemaName();
  }

  @AfterAll
  static void dropDatabases() throws Exception {
    if (db != null) {
      TestDatabases.dropMysqlDatabase(db, schema);
      for (String other : otherSchemas) {
        TestDatabases.dropMysqlDatabase(db, other);
      }
    }
  }

  static MysqlSettings settings() {
    return MysqlSettings.defaults(db.url(), db.user(), db.password()).withSchema(schema);
  }

  static String newSchema() {
    String s = TestDatabases.freshSchemaName();
    otherSchemas.add(s);
    return s;
  }

  static Connection connect() throws Exception {
    return db.user() == null ? DriverManager.getConnection(db.url()) : DriverManager.getConnection(db.url(), db.user(), db.password());
  }

  @Override
  protected TransactionStore newStore() throws Exception {
    MysqlTransactionStore opened = await(MysqlTransactionStore.open(settings()));
    TestDatabases.execute(db, "DELETE FROM `" + schema + "`.covenant_transactions");
    return opened;
  }

  @Override
  protected boolean durable() {
    return true;
  }

  @Override
  protected TransactionStore openSharing(Duration expiry) throws Exception {
    return await(MysqlTransactionStore.open(settings(), SharedStoreSettings.defaults().withHeartbeat(expiry.dividedBy(4), expiry)));
  }

  @Override
  protected TransactionStore reopen() throws Exception {
    await(store.close());
    return await(MysqlTransactionStore.open(settings()));
  }

  @Test
  void concurrentWritesShareBatches() throws Exception {
    List<Future<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      writes.add(store.create(TxFixtures.active("tx-" + i, T0.plusMillis(i))));
    }
    for (Future<Void> w : writes) {
      await(w);
    }
    MysqlTransactionStore my = (MysqlTransactionStore) store;
    assertThat(my.writes()).isEqualTo(1000);
    assertThat(my.batches()).isLessThan(1000 / 4);
  }

  @Test
  void aTakenGidInABatchFailsOnlyItsOwnCreate() throws Exception {
    await(store.create(TxFixtures.active("taken", T0)));
    List<Future<Void>> creates = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      creates.add(store.create(TxFixtures.active(i == 150 ? "taken" : "tx-" + i, T0.plusMillis(i))));
    }
    for (int i = 0; i < creates.size(); i++) {
      if (i == 150) {
        assertThat(failureOf(creates.get(i))).isEqualTo(ErrorCode.GID_CONFLICT);
      } else {
        await(creates.get(i));
      }
    }
    assertThat(await(store.loadUnfinished())).hasSize(200);
  }

  @Test
  void theMigrationIsRecordedOnceWithItsChecksum() throws Exception {
    await(store.close());
    store = await(MysqlTransactionStore.open(settings())); // a second start applies nothing

    try (Connection c = connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version, description, checksum, applied_at FROM `" + schema
            + "`.covenant_schema_version ORDER BY version")) {
      for (String description : List.of("transactions", "coordinators")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString("description")).isEqualTo(description);
        assertThat(rs.getString("checksum")).hasSize(64);
        assertThat(rs.getObject("applied_at")).isNotNull();
      }
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void twoCoordinatorsStartingTogetherMigrateOnce() throws Exception {
    MysqlSettings fresh = MysqlSettings.defaults(db.url(), db.user(), db.password()).withSchema(newSchema());
    Future<MysqlTransactionStore> a = MysqlTransactionStore.open(fresh);
    Future<MysqlTransactionStore> b = MysqlTransactionStore.open(fresh);
    MysqlTransactionStore first = await(a);
    MysqlTransactionStore second = await(b);
    try (Connection c = connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM `" + fresh.schema() + "`.covenant_schema_version")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(MysqlTransactionStore.MIGRATION_FILES.size());
      await(first.create(TxFixtures.active("via-first", T0)));
      assertThat(await(second.find("via-first"))).isPresent();
    } finally {
      await(first.close());
      await(second.close());
    }
  }

  @Test
  void withoutMigratingAnEmptyDatabaseIsRefusedNamingTheFileToApply() throws Exception {
    String empty = newSchema();
    TestDatabases.createMysqlDatabase(db, empty);
    MysqlSettings unmigrated = MysqlSettings.defaults(db.url(), db.user(), db.password()).withSchema(empty).withMigrate(false);

    assertThatThrownBy(() -> await(MysqlTransactionStore.open(unmigrated)))
        .isInstanceOfSatisfying(CovenantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("db/mysql/V1__transactions.sql")
        .hasMessageContaining("store.mysql.migrate=true");

    await(MysqlTransactionStore.open(unmigrated.withMigrate(true)).compose(TransactionStore::close));
    await(MysqlTransactionStore.open(unmigrated).compose(TransactionStore::close)); // now it is there
  }

  @Test
  void aDatabaseThatDoesNotAnswerFailsTheOpenNamingHostAndPort() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    MysqlSettings nowhere = MysqlSettings.defaults("jdbc:mysql://127.0.0.1:" + port + "/test", "root", "");

    assertThatThrownBy(() -> await(MysqlTransactionStore.open(nowhere)))
        .isInstanceOfSatisfying(CovenantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("cannot connect to MySQL at 127.0.0.1:" + port + "/test");
  }

  @Override
  protected void assertReadsAfterClose(GlobalTx stored) throws Exception {
    assertThat(failureOf(store.find(stored.gid()))).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
  }
  @Test
  void aGidTheColumnCannotHoldIsRefusedAlone() throws Exception {
    assertThat(failureOf(store.create(TxFixtures.active("caf\u00e9", T0)))).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(failureOf(store.create(TxFixtures.active("x".repeat(1025), T0)))).isEqualTo(ErrorCode.LIMIT_EXCEEDED);
    await(store.create(TxFixtures.active("x".repeat(1024), T0)));
  }

  @Test
  void theColumnsMirrorTheTransaction() throws Exception {
    GlobalTx tx = TxFixtures.active("saga-1", Mode.SAGA, T0.plusNanos(123_456_789));
    await(store.create(tx));
    GlobalTx failing = TxFixtures.failing(tx, 4, T0.plusSeconds(5));
    await(store.update(failing, 1));

    try (Connection c = connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT mode, status, version, created_at, updated_at, finished, stuck_attempts,"
            + " owner_id, owner_epoch FROM `" + schema + "`.covenant_transactions WHERE gid = 'saga-1'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString("mode")).isEqualTo("saga");
      assertThat(rs.getString("status")).isEqualTo("active");
      assertThat(rs.getLong("version")).isEqualTo(2);
      assertThat(rs.getString("created_at")).isEqualTo("2026-01-01 00:00:00.123456");
      assertThat(rs.getString("updated_at")).matches("2026-01-01 00:00:05(\\.0+)?");
      assertThat(rs.getBoolean("finished")).isFalse();
      assertThat(rs.getInt("stuck_attempts")).isEqualTo(4);
      assertThat(rs.getString("owner_id")).isNotBlank();
      assertThat(rs.getLong("owner_epoch")).isEqualTo(((MysqlTransactionStore) store).epoch());
    }
    assertThat(await(store.find("saga-1"))).contains(failing); // the body keeps every nanosecond
  }

  @Override
  protected void forgetTerm(TransactionStore sharing) throws Exception {
    TestDatabases.execute(db, "DELETE FROM `" + schema + "`.covenant_coordinators WHERE epoch = "
        + ((MysqlTransactionStore) sharing).epoch());
  }

  @Override
  protected void clearOwners() throws Exception {
    TestDatabases.execute(db, "UPDATE `" + schema + "`.covenant_transactions SET owner_id = NULL, owner_epoch = NULL");
  }
}
