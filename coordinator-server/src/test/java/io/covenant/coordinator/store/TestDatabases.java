package io.covenant.coordinator.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.mysql.MySQLContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Finds the databases that SQL tests run against (DESIGN.md, "Testing"):
 * <ol>
 *   <li>{@code COVENANT_PG_URL} / {@code COVENANT_MYSQL_URL}, defaulting to the services every
 *       developer and CI machine runs: PostgreSQL at 127.0.0.1:5432 (user postgres, database test)
 *       and MariaDB at 127.0.0.1:3306 (root, empty password, database test). A short TCP probe
 *       checks that one answers.</li>
 *   <li>If it does not: with {@code COVENANT_REQUIRE_SERVICES=1} (CI) the test fails, saying what
 *       was probed; else, where Docker runs, a Testcontainers container (PostgreSQL 17, MySQL 8.4),
 *       started once per JVM; else the test is skipped.</li>
 * </ol>
 * Each test class works in a schema (PostgreSQL) or database (MySQL) of its own,
 * {@code covenant_test_<random>}, which it drops when done, so runs can repeat and overlap with
 * other modules' on the same servers.
 */
public final class TestDatabases {
  public static final String DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test";
  public static final String DEFAULT_MYSQL_URL = "jdbc:mysql://127.0.0.1:3306/test";
  private static final int PROBE_MILLIS = 1000;
  private static final Pattern MYSQL_HOST_PORT = Pattern.compile("jdbc:mysql://([^:/?]+)(?::(\\d+))?.*");

  /** A MySQL server to test against; {@code user}/{@code password} null when the URL holds them. */
  public record Mysql(String url, String user, String password) {}

  private static String pgUrl;
  private static Mysql mysql;
  private static PostgreSQLContainer pgContainer;
  private static MySQLContainer mysqlContainer;

  private TestDatabases() {}

  /** The PostgreSQL URL to test against; skips (or fails, under CI) the test when there is none. */
  public static synchronized String postgresUrl() {
    if (pgUrl == null) {
      String configured = System.getenv("COVENANT_PG_URL");
      String url = configured == null || configured.isBlank() ? DEFAULT_PG_URL : configured;
      PgConnectOptions o = PgConnectOptions.fromUri(url);
      if (reachable(o.getHost(), o.getPort())) {
        pgUrl = url;
      } else {
        unreachable("PostgreSQL", o.getHost() + ":" + o.getPort(), "COVENANT_PG_URL");
        pgContainer = new PostgreSQLContainer("postgres:17-alpine");
        pgContainer.start();
        pgUrl = "postgresql://" + pgContainer.getUsername() + ":" + pgContainer.getPassword() + "@"
            + pgContainer.getHost() + ":" + pgContainer.getMappedPort(5432) + "/" + pgContainer.getDatabaseName();
      }
    }
    return pgUrl;
  }

  /** The MySQL (or MariaDB) server to test against; skips (or fails, under CI) when there is none. */
  public static synchronized Mysql mysql() {
    if (mysql == null) {
      String configured = System.getenv("COVENANT_MYSQL_URL");
      boolean isDefault = configured == null || configured.isBlank();
      String url = isDefault ? DEFAULT_MYSQL_URL : configured;
      Matcher m = MYSQL_HOST_PORT.matcher(url);
      if (!m.matches()) {
        throw new IllegalStateException("COVENANT_MYSQL_URL must look like jdbc:mysql://host:port/database, got " + url);
      }
      String host = m.group(1);
      int port = m.group(2) == null ? 3306 : Integer.parseInt(m.group(2));
      if (reachable(host, port)) {
        boolean urlHasUser = url.toLowerCase(Locale.ROOT).contains("user=");
        mysql = urlHasUser ? new Mysql(url, null, null) : new Mysql(url, "root", "");
      } else {
        unreachable("MySQL", host + ":" + port, "COVENANT_MYSQL_URL");
        mysqlContainer = new MySQLContainer("mysql:8.4");
        mysqlContainer.start();
        // Testcontainers' user may only use its own database: tests get root, which may create others.
        mysql = new Mysql(mysqlContainer.getJdbcUrl(), "root", mysqlContainer.getPassword());
      }
    }
    return mysql;
  }

  /** A fresh schema (or database) name for one test class. */
  public static String freshSchemaName() {
    return "covenant_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  /** Drops a PostgreSQL schema and everything in it. */
  public static void dropPostgresSchema(String url, String schema) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(url)).using(vertx).build();
      pool.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute()
          .eventually(pool::close)
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** Creates a MySQL database (for tests that open a store without migrating). */
  public static void createMysqlDatabase(Mysql db, String name) throws SQLException {
    execute(db, "CREATE DATABASE IF NOT EXISTS `" + name + "`");
  }

  /** Drops a MySQL database and everything in it. */
  public static void dropMysqlDatabase(Mysql db, String name) throws SQLException {
    execute(db, "DROP DATABASE IF EXISTS `" + name + "`");
  }

  /** Runs one statement on the test server (no particular database selected beyond the URL's). */
  public static void execute(Mysql db, String sql) throws SQLException {
    try (Connection c = db.user() == null ? DriverManager.getConnection(db.url())
        : DriverManager.getConnection(db.url(), db.user(), db.password());
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static boolean reachable(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), PROBE_MILLIS);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** No service at {@code hostPort}: fail under CI, return if Docker can stand in, else skip. */
  private static void unreachable(String what, String hostPort, String variable) {
    String reason = what + " does not answer at " + hostPort + " (set " + variable + " to point elsewhere)";
    if ("1".equals(System.getenv("COVENANT_REQUIRE_SERVICES"))) {
      throw new IllegalStateException(reason + "; COVENANT_REQUIRE_SERVICES=1, so this fails instead of skipping."
          + " Start it (.ci/run shows how) and run again.");
    }
    boolean docker;
    try {
      docker = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      docker = false;
    }
    assumeTrue(docker, reason + ", and Docker is not available for a container: skipped");
  }
}
