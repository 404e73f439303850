package io.covenant.coordinator.scenario;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.config.CoordinatorConfig.StoreKind;
import io.covenant.coordinator.store.TestDatabases;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A database for coordinator scenarios (PostgreSQL or MariaDB, see {@link TestDatabases}), in a
 * schema (database) of the test's own that {@link #close()} drops, with short leases (250 ms
 * heartbeats, 1.5 s expiry) so that adoption happens within a test, and reads of the rows that
 * tests check against.
 */
interface TestDb extends AutoCloseable {
  /** The databases a scenario runs on, for {@code @EnumSource}. */
  enum Kind {
    POSTGRES, MARIADB;

    TestDb open() throws Exception {
      return this == POSTGRES ? new Postgres() : new Mariadb();
    }
  }

  Duration HEARTBEAT = Duration.ofMillis(250);
  Duration EXPIRY = Duration.ofMillis(1500);

  /** The coordinator's configuration on this database, with short leases. */
  default CoordinatorConfig config(String instanceId) {
    return config(instanceId, port());
  }

  /** The same, reaching the database through {@code port} on the same host (a proxy). */
  CoordinatorConfig config(String instanceId, int port);

  String host();

  int port();

  /** {@code owner_id} of a stored transaction. */
  String ownerOf(String gid) throws Exception;

  /** The status column of a stored transaction. */
  String statusOf(String gid) throws Exception;

  /** Unfinished transactions in the store, whoever owns them. */
  long unfinished() throws Exception;

  /** Unfinished transactions that {@code owner} owns. */
  long unfinishedOf(String owner) throws Exception;

  /** The unfinished rows, {@code gid status v<version> owner/epoch} each, for failure messages. */
  java.util.List<String> describeUnfinished() throws Exception;

  /** PostgreSQL. */
  final class Postgres implements TestDb {
    final String url = TestDatabases.postgresUrl();
    final String schema = TestDatabases.freshSchemaName();
    final Vertx vertx = Vertx.vertx();
    final Pool pool = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(url)).using(vertx).build();
    final PgConnectOptions options = PgConnectOptions.fromUri(url);

    @Override
    public String host() {
      return options.getHost();
    }

    @Override
    public int port() {
      return options.getPort();
    }

    @Override
    public CoordinatorConfig config(String instanceId, int port) {
      String via = url.replace("@" + host() + ":" + port() + "/", "@" + host() + ":" + port + "/");
      if (port != port() && via.equals(url)) {
        throw new IllegalStateException("cannot point " + url + " elsewhere: write the URL as user@host:port/database");
      }
      return TestCoordinator.testConfig().store(StoreKind.POSTGRES).postgresUrl(via).postgresSchema(schema)
          .clusterInstanceId(instanceId).clusterHeartbeat(HEARTBEAT, EXPIRY).build();
    }

    private String one(String sql, String gid) throws Exception {
      var rows = pool.preparedQuery(sql.replace("$T", schema + ".covenant_transactions")).execute(Tuple.of(gid))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      for (Row r : rows) {
        return r.getString(0);
      }
      return null;
    }

    @Override
    public String ownerOf(String gid) throws Exception {
      return one("SELECT owner_id FROM $T WHERE gid = $1", gid);
    }

    @Override
    public String statusOf(String gid) throws Exception {
      return one("SELECT status FROM $T WHERE gid = $1", gid);
    }

    @Override
    public long unfinished() throws Exception {
      return pool.query("SELECT count(*) FROM " + schema + ".covenant_transactions WHERE status NOT IN ('committed', 'rolled_back')")
          .execute().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).iterator().next().getLong(0);
    }

    @Override
    public long unfinishedOf(String owner) throws Exception {
      return pool.preparedQuery("SELECT count(*) FROM " + schema + ".covenant_transactions"
          + " WHERE status NOT IN ('committed', 'rolled_back') AND owner_id = $1").execute(Tuple.of(owner))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).iterator().next().getLong(0);
    }

    @Override
    public java.util.List<String> describeUnfinished() throws Exception {
      var rows = pool.query("SELECT gid, status, version, owner_id, owner_epoch FROM " + schema
          + ".covenant_transactions WHERE status NOT IN ('committed', 'rolled_back')")
          .execute().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      java.util.List<String> out = new java.util.ArrayList<>();
      for (Row r : rows) {
        out.add(r.getString(0) + " " + r.getString(1) + " v" + r.getLong(2) + " " + r.getString(3) + "/" + r.getLong(4));
      }
      return out;
    }

    @Override
    public void close() throws Exception {
      pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      TestDatabases.dropPostgresSchema(url, schema);
    }
  }

  /** MariaDB (or MySQL). */
  final class Mariadb implements TestDb {
    final TestDatabases.Mysql db = TestDatabases.mysql();
    final String schema = TestDatabases.freshSchemaName();

    final Matcher hostPort = hostPort(db.url());

    private static Matcher hostPort(String url) {
      Matcher m = Pattern.compile("jdbc:mysql://([^:/?]+):(\\d+)(/.*)?").matcher(url);
      if (!m.matches()) {
        throw new IllegalStateException("write the MySQL URL as jdbc:mysql://host:port/database, got " + url);
      }
      return m;
    }

    @Override
    public String host() {
      return hostPort.group(1);
    }

    @Override
    public int port() {
      return Integer.parseInt(hostPort.group(2));
    }

    @Override
    public CoordinatorConfig config(String instanceId, int port) {
      String via = "jdbc:mysql://" + host() + ":" + port + (hostPort.group(3) == null ? "" : hostPort.group(3));
      return TestCoordinator.testConfig().store(StoreKind.MYSQL).mysqlUrl(via).mysqlUser(db.user())
          .mysqlPassword(db.password()).mysqlSchema(schema)
          .clusterInstanceId(instanceId).clusterHeartbeat(HEARTBEAT, EXPIRY).build();
    }

    private Connection connect() throws Exception {
      return db.user() == null ? DriverManager.getConnection(db.url()) : DriverManager.getConnection(db.url(), db.user(), db.password());
    }

    private String one(String column, String gid) throws Exception {
      try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
          "SELECT " + column + " FROM `" + schema + "`.covenant_transactions WHERE gid = ?")) {
        ps.setString(1, gid);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
    }

    @Override
    public String ownerOf(String gid) throws Exception {
      return one("owner_id", gid);
    }

    @Override
    public String statusOf(String gid) throws Exception {
      return one("status", gid);
    }

    @Override
    public long unfinished() throws Exception {
      try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
          "SELECT count(*) FROM `" + schema + "`.covenant_transactions WHERE finished = 0"); ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }

    @Override
    public long unfinishedOf(String owner) throws Exception {
      try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
          "SELECT count(*) FROM `" + schema + "`.covenant_transactions WHERE finished = 0 AND owner_id = ?")) {
        ps.setString(1, owner);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    }

    @Override
    public java.util.List<String> describeUnfinished() throws Exception {
      java.util.List<String> out = new java.util.ArrayList<>();
      try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT gid, status, version, owner_id, owner_epoch FROM `"
          + schema + "`.covenant_transactions WHERE finished = 0"); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1) + " " + rs.getString(2) + " v" + rs.getLong(3) + " " + rs.getString(4) + "/" + rs.getLong(5));
        }
      }
      return out;
    }

    @Override
    public void close() throws Exception {
      TestDatabases.dropMysqlDatabase(db, schema);
    }
  }
}
