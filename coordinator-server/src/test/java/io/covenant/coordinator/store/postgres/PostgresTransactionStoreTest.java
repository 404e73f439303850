package io.covenant.coordinator.store.postgres;

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
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract on the real PostgreSQL (see {@link TestDatabases}), in a schema of this
 * class's own that is emptied before each test and dropped at the end; and what only the
 * PostgreSQL store does: migrations, batching, a database that does not answer.
 */
class PostgresTransactionStoreTest extends TransactionStoreContract {
  static Vertx vertx;
  static String url;
  static String schema;
  static Pool admin;
  static final List<String> otherSchemas = new ArrayList<>();

  @BeforeAll
  static void database() {
    url = TestDatabases.postgresUrl();
    schema = TestDatabases.freshSchemaName();
    vertx = Vertx.vertx();
    admin = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(url)).using(vertx).build();
  }

  @AfterAll
  static void dropSchemas() throws Exception {
    if (admin != null) {
      await(admin.close());
    }
    if (url != null) {
      TestDatabases.dropPostgresSchema(url, schema);
      for (String other : otherSchemas) {
        TestDatabases.dropPostgresSchema(url, other);
      }
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  static PostgresSettings settings() {
    return PostgresSettings.defaults(url).withSchema(schema);
  }

  static String newSchema() {
    String s = TestDatabases.freshSchemaName();
    otherSchemas.add(s);
    return s;
  }

  static RowSet<Row> sql(String statement) throws Exception {
    return await(admin.query(statement).execute());
  }

  @Override
  protected TransactionStore newStore() throws Exception {
    PostgresTransactionStore opened = await(PostgresTransactionStore.open(settings(), vertx));
    sql("TRUNCATE " + schema + ".covenant_transactions");
    return opened;
  }

  @Override
  protected boolean durable() {
    return true;
  }

  @Override
  protected TransactionStore openSharing(Duration expiry) throws Exception {
    return await(PostgresTransactionStore.open(settings(),
        SharedStoreSettings.defaults().withHeartbeat(expiry.dividedBy(4), expiry), vertx));
  }

  @Override
  protected TransactionStore reopen() throws Exception {
    await(store.close());
    return await(PostgresTransactionStore.open(settings(), vertx));
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
    PostgresTransactionStore pg = (PostgresTransactionStore) store;
    assertThat(pg.writes()).isEqualTo(1000);
    // At most poolSize batches leave alone before the rest queue up behind them.
    assertThat(pg.batches()).isLessThan(1000 / 4);
  }

  /**
   * Write batches in flight at once travel over distinct connections, so that PostgreSQL commits
   * them side by side (one WAL flush can serve several) instead of one after the other on one
   * connection (#6). Another session locks the rows first: each batch's UPDATE then waits in the
   * database, and {@code pg_stat_activity} shows on how many backends. Reads still answer while
   * every write connection waits.
   */
  @Test
  void writeBatchesInFlightWaitOnAConnectionEachWhileReadsStillAnswer() throws Exception {
    int connections = 3;
    String application = "covenant-test-" + schema;
    PostgresSettings s = new PostgresSettings(url + (url.contains("?") ? "&" : "?") + "application_name=" + application,
        connections, PostgresSettings.DEFAULT_PIPELINING_LIMIT, true, schema, PostgresSettings.DEFAULT_WRITE_BATCH_MAX);
    // Longer than the wait below, so that statement_timeout cannot end a blocked UPDATE first.
    SharedStoreSettings patient = SharedStoreSettings.defaults().withTimeout(Duration.ofSeconds(60));
    PostgresTransactionStore writer = await(PostgresTransactionStore.open(s, patient, vertx));
    SqlConnection locker = await(PgConnection.connect(vertx, PgConnectOptions.fromUri(url))); // not pooled: closing it ends its transaction
    try {
      List<GlobalTx> created = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        GlobalTx tx = TxFixtures.active("locked-" + i, T0.plusMillis(i));
        await(writer.create(tx));
        created.add(tx);
      }
      await(locker.query("BEGIN").execute());
      await(locker.query("SELECT gid FROM " + schema + ".covenant_transactions WHERE gid LIKE 'locked-%' FOR UPDATE").execute());

      List<Future<Void>> updates = new ArrayList<>();
      for (GlobalTx tx : created) {
        updates.add(writer.update(TxFixtures.touched(tx, T0.plusSeconds(1)), tx.version())); // one batch each: slots are free
      }
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
          .until(() -> updatesWaitingOnALock(application), n -> n == connections);

      assertThat(await(writer.find("locked-0"))).contains(created.get(0));
      await(locker.query("COMMIT").execute());
      for (Future<Void> u : updates) {
        await(u);
      }
      assertThat(await(writer.find("locked-0"))).hasValueSatisfying(tx -> assertThat(tx.version()).isEqualTo(2));
    } finally {
      await(locker.close());
      await(writer.close());
    }
  }

  /**
   * Every update batch is planned for its own arrays and the table as it is then (#6). With the
   * default plan cache a write connection switched, at its sixth batch, to a generic plan made while
   * the table was small (a hash join over a sequential scan of the whole table) and kept it as the
   * table grew. One write connection, so that the batches and the look at its prepared statements
   * share a session.
   */
  @Test
  void updateBatchesAreNeverRunWithACachedGenericPlan() throws Exception {
    PostgresSettings one = new PostgresSettings(url, 1, PostgresSettings.DEFAULT_PIPELINING_LIMIT, true, schema,
        PostgresSettings.DEFAULT_WRITE_BATCH_MAX);
    PostgresTransactionStore writer = await(PostgresTransactionStore.open(one, vertx));
    try {
      List<GlobalTx> txs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        txs.add(TxFixtures.active("planned-" + i, T0.plusMillis(i)));
        await(writer.create(txs.get(i)));
      }
      int rounds = 8;
      for (int round = 1; round <= rounds; round++) {
        List<Future<Void>> updates = new ArrayList<>();
        for (int i = 0; i < txs.size(); i++) {
          GlobalTx next = TxFixtures.touched(txs.get(i), T0.plusSeconds(round));
          updates.add(writer.update(next, txs.get(i).version())); // sent at once: batches of several rows
          txs.set(i, next);
        }
        for (Future<Void> u : updates) {
          await(u);
        }
      }

      Row plans = await(writer.onWriteConnection("SELECT generic_plans, custom_plans FROM pg_prepared_statements"
          + " WHERE statement LIKE 'UPDATE covenant_transactions %'")).iterator().next();
      assertThat(plans.getLong("generic_plans")).isZero();
      assertThat(plans.getLong("custom_plans")).isGreaterThanOrEqualTo(rounds);
    } finally {
      await(writer.close());
    }
  }

  /**
   * The purge (like adoption, the lease and the reads, on the pipelined client) is planned at every
   * execution too: with the default plan cache its sixth run switched to a generic plan, a sequential
   * scan of the whole table, kept as the table grew (#6).
   */
  @Test
  void purgesAreNeverRunWithACachedGenericPlan() throws Exception {
    int purges = 8;
    for (int i = 0; i < purges; i++) {
      await(store.purgeFinished(T0, Integer.MAX_VALUE, 10));
    }
    Row plans = await(((PostgresTransactionStore) store).onClient("SELECT generic_plans, custom_plans FROM pg_prepared_statements"
        + " WHERE statement LIKE 'DELETE FROM covenant_transactions %'")).iterator().next();
    assertThat(plans.getLong("generic_plans")).isZero();
    assertThat(plans.getLong("custom_plans")).isGreaterThanOrEqualTo(purges);
  }

  /** Backends of {@code application} whose UPDATE waits for a lock. */
  private static long updatesWaitingOnALock(String application) throws Exception {
    return await(admin.preparedQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
        + " AND wait_event_type = 'Lock' AND query LIKE 'UPDATE %'").execute(Tuple.of(application)))
        .iterator().next().getLong(0);
  }

  @Test
  void theMigrationIsRecordedOnceWithItsChecksum() throws Exception {
    await(store.close());
    store = await(PostgresTransactionStore.open(settings(), vertx)); // a second start applies nothing

    RowSet<Row> rows = sql("SELECT version, description, checksum, applied_at FROM " + schema
        + ".covenant_schema_version ORDER BY version");
    assertThat(rows.size()).isEqualTo(2);
    var it = rows.iterator();
    for (String description : List.of("transactions", "coordinators")) {
      Row v = it.next();
      assertThat(v.getString("description")).isEqualTo(description);
      assertThat(v.getString("checksum")).hasSize(64);
      assertThat(v.getValue("applied_at")).isNotNull();
    }
  }

  @Test
  void theScansHaveTheirIndexes() throws Exception {
    RowSet<Row> rows = sql("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = '" + schema
        + "' AND tablename = 'covenant_transactions' ORDER BY indexname");
    List<String> defs = new ArrayList<>();
    rows.forEach(r -> defs.add(r.getString("indexname") + ": " + r.getString("indexdef")));
    assertThat(defs).anySatisfy(d -> assertThat(d).startsWith("covenant_transactions_unfinished")
        .contains("(created_at, gid)").contains("WHERE (status <> ALL"));
    assertThat(defs).anySatisfy(d -> assertThat(d).startsWith("covenant_transactions_finished")
        .contains("(updated_at)").contains("WHERE (status = ANY"));
    assertThat(defs).anySatisfy(d -> assertThat(d).startsWith("covenant_transactions_created").contains("(created_at, gid)"));
    assertThat(defs).anySatisfy(d -> assertThat(d).startsWith("covenant_transactions_pkey"));
  }

  @Test
  void twoCoordinatorsStartingTogetherMigrateOnce() throws Exception {
    PostgresSettings fresh = PostgresSettings.defaults(url).withSchema(newSchema());
    Future<PostgresTransactionStore> a = PostgresTransactionStore.open(fresh, vertx);
    Future<PostgresTransactionStore> b = PostgresTransactionStore.open(fresh, vertx);
    PostgresTransactionStore first = await(a);
    PostgresTransactionStore second = await(b);
    try {
      assertThat(sql("SELECT count(*) FROM " + fresh.schema() + ".covenant_schema_version").iterator().next().getLong(0))
          .isEqualTo(PostgresTransactionStore.MIGRATION_FILES.size());
      await(first.create(TxFixtures.active("via-first", T0)));
      assertThat(await(second.find("via-first"))).isPresent();
    } finally {
      await(first.close());
      await(second.close());
    }
  }

  @Test
  void withoutMigratingAnEmptySchemaIsRefusedNamingTheFileToApply() throws Exception {
    String empty = newSchema();
    sql("CREATE SCHEMA " + empty);
    PostgresSettings unmigrated = PostgresSettings.defaults(url).withSchema(empty).withMigrate(false);

    assertThatThrownBy(() -> await(PostgresTransactionStore.open(unmigrated, vertx)))
        .isInstanceOfSatisfying(CovenantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("db/postgres/V1__transactions.sql")
        .hasMessageContaining("store.postgres.migrate=true");

    await(PostgresTransactionStore.open(unmigrated.withMigrate(true), vertx).compose(TransactionStore::close));
    await(PostgresTransactionStore.open(unmigrated, vertx).compose(TransactionStore::close)); // now it is there
  }

  @Test
  void aMigrationChangedAfterItWasAppliedStopsTheStart() throws Exception {
    String tampered = newSchema();
    PostgresSettings s = PostgresSettings.defaults(url).withSchema(tampered);
    await(PostgresTransactionStore.open(s, vertx).compose(TransactionStore::close));
    sql("UPDATE " + tampered + ".covenant_schema_version SET checksum = 'not-the-file' WHERE version = 1");

    assertThatThrownBy(() -> await(PostgresTransactionStore.open(s, vertx)))
        .isInstanceOfSatisfying(CovenantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("was applied from a different db/postgres/V1__transactions.sql");

    sql("UPDATE " + tampered + ".covenant_schema_version SET checksum = NULL WHERE version = 1"); // applied by hand
    await(PostgresTransactionStore.open(s, vertx).compose(TransactionStore::close));
  }

  @Test
  void aDatabaseThatDoesNotAnswerFailsTheOpenNamingHostAndPort() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    PostgresSettings nowhere = PostgresSettings.defaults("postgresql://postgres@127.0.0.1:" + port + "/test");

    assertThatThrownBy(() -> await(PostgresTransactionStore.open(nowhere, vertx)))
        .isInstanceOfSatisfying(CovenantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("cannot connect to PostgreSQL at 127.0.0.1:" + port + "/test");
  }

  @Override
  protected void assertReadsAfterClose(GlobalTx stored) throws Exception {
    assertThat(failureOf(store.find(stored.gid()))).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
  }
  @Test
  void theColumnsMirrorTheTransaction() throws Exception {
    GlobalTx tx = TxFixtures.active("saga-1", Mode.SAGA, T0.plusNanos(123_456_789));
    await(store.create(tx));
    GlobalTx failing = TxFixtures.failing(tx, 4, T0.plusSeconds(5));
    await(store.update(failing, 1));

    Row r = sql("SELECT mode, status, version, created_at, updated_at, stuck_attempts, owner_id, owner_epoch FROM "
        + schema + ".covenant_transactions WHERE gid = 'saga-1'").iterator().next();
    assertThat(r.getString("mode")).isEqualTo("saga");
    assertThat(r.getString("status")).isEqualTo("active");
    assertThat(r.getLong("version")).isEqualTo(2);
    assertThat(r.getOffsetDateTime("created_at").toInstant()).isEqualTo(T0.plusNanos(123_456_000));
    assertThat(r.getOffsetDateTime("updated_at").toInstant()).isEqualTo(T0.plusSeconds(5));
    assertThat(r.getInteger("stuck_attempts")).isEqualTo(4);
    assertThat(r.getString("owner_id")).isNotBlank();
    assertThat(r.getLong("owner_epoch")).isEqualTo(((PostgresTransactionStore) store).epoch());
    assertThat(await(store.find("saga-1"))).contains(failing); // the body keeps every nanosecond
  }

  @Override
  protected void forgetTerm(TransactionStore sharing) throws Exception {
    sql("DELETE FROM " + schema + ".covenant_coordinators WHERE epoch = " + ((PostgresTransactionStore) sharing).epoch());
  }

  @Override
  protected void clearOwners() throws Exception {
    sql("UPDATE " + schema + ".covenant_transactions SET owner_id = NULL, owner_epoch = NULL");
  }
}
