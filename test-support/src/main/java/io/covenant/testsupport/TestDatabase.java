package io.covenant.testsupport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.mysql.MySQLContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A database of its own for one test class, on the servers the root README (Tests) names: PostgreSQL at
 * {@code COVENANT_PG_URL} (default {@code postgresql://postgres@127.0.0.1:5432/test}) in a fresh
 * schema, or MySQL/MariaDB at {@code COVENANT_MYSQL_URL} (default
 * {@code jdbc:mysql://127.0.0.1:3306/test}, root with an empty password) in a fresh database. When
 * the server does not answer: with {@code COVENANT_REQUIRE_SERVICES=1} the test fails; else a
 * Testcontainers container where Docker runs; else the test is skipped. {@link #close()} drops what
 * it created, so runs can overlap with other modules' on the same servers.
 */
public final class TestDatabase implements AutoCloseable {
  /** The server a database is created on. */
  public enum Kind { POSTGRES, MYSQL }

  private static final Pattern MYSQL_URL = Pattern.compile("jdbc:mysql://([^:/?]+)(?::(\\d+))?(/[^?]*)?(\\?.*)?");
  private static PostgreSQLContainer pgContainer;
  private static MySQLContainer mysqlContainer;

  private final Kind kind;
  private final String name;
  private final HikariDataSource dataSource;
  private final Admin admin;

  private record Admin(String url, Properties properties) {
    Connection connect() throws SQLException {
      return DriverManager.getConnection(url, properties);
    }
  }

  private TestDatabase(Kind kind, String name, HikariDataSource dataSource, Admin admin) {
    this.kind = kind;
    this.name = name;
    this.dataSource = dataSource;
    this.admin = admin;
  }

  /**
   * A new database of the kind, with a pool of at most {@code poolSize} connections; skips the test
   * (or fails it, under {@code COVENANT_REQUIRE_SERVICES=1}) when no server is available.
   */
  public static TestDatabase create(Kind kind, int poolSize) throws SQLException {
    String name = "covenant_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Admin admin = kind == Kind.POSTGRES ? postgresAdmin() : mysqlAdmin();
    try (Connection c = admin.connect(); Statement s = c.createStatement()) {
      s.execute(kind == Kind.POSTGRES ? "CREATE SCHEMA " + name : "CREATE DATABASE `" + name + "`");
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(admin.url());
    config.setDataSourceProperties(admin.properties());
    if (kind == Kind.POSTGRES) {
      config.setSchema(name);
    } else {
      config.setCatalog(name);
    }
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(1);   // connections open on demand: other modules' tests share the servers
    config.setPoolName(name);
    return new TestDatabase(kind, name, new HikariDataSource(config), admin);
  }

  public Kind kind() {
    return kind;
  }

  /** A pool whose connections open in this database (its schema on PostgreSQL, its catalog on MySQL). */
  public DataSource dataSource() {
    return dataSource;
  }

  /** Runs DDL or DML in autocommit mode. */
  public void execute(String... sql) throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      for (String statement : sql) {
        s.execute(statement);
      }
    }
  }

  @Override
  public void close() throws SQLException {
    dataSource.close();
    try (Connection c = admin.connect(); Statement s = c.createStatement()) {
      s.execute(kind == Kind.POSTGRES ? "DROP SCHEMA IF EXISTS " + name + " CASCADE" : "DROP DATABASE IF EXISTS `" + name + "`");
    }
  }

  private static synchronized Admin postgresAdmin() {
    String configured = System.getenv("COVENANT_PG_URL");
    URI uri = URI.create(configured == null || configured.isBlank() ? "postgresql://postgres@127.0.0.1:5432/test" : configured);
    int port = uri.getPort() < 0 ? 5432 : uri.getPort();
    Properties p = new Properties();
    if (reachable(uri.getHost(), port)) {
      String userInfo = uri.getUserInfo() == null ? "postgres" : uri.getUserInfo();
      int colon = userInfo.indexOf(':');
      p.setProperty("user", colon < 0 ? userInfo : userInfo.substring(0, colon));
      if (colon >= 0) {
        p.setProperty("password", userInfo.substring(colon + 1));
      }
      return new Admin("jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getPath(), p);
    }
    unreachable("PostgreSQL", uri.getHost() + ":" + port, "COVENANT_PG_URL");
    if (pgContainer == null) {
      pgContainer = new PostgreSQLContainer("postgres:17-alpine");
      pgContainer.start();
    }
    p.setProperty("user", pgContainer.getUsername());
    p.setProperty("password", pgContainer.getPassword());
    return new Admin(pgContainer.getJdbcUrl(), p);
  }

  private static synchronized Admin mysqlAdmin() {
    String configured = System.getenv("COVENANT_MYSQL_URL");
    String url = configured == null || configured.isBlank() ? "jdbc:mysql://127.0.0.1:3306/test" : configured;
    Matcher m = MYSQL_URL.matcher(url);
    if (!m.matches()) {
      throw new IllegalStateException("COVENANT_MYSQL_URL must look like jdbc:mysql://host:port/database, got " + url);
    }
    int port = m.group(2) == null ? 3306 : Integer.parseInt(m.group(2));
    Properties p = new Properties();
    if (reachable(m.group(1), port)) {
      if (!url.contains("user=")) {
        p.setProperty("user", "root");
        p.setProperty("password", "");
      }
      return new Admin(url, p);
    }
    unreachable("MySQL", m.group(1) + ":" + port, "COVENANT_MYSQL_URL");
    if (mysqlContainer == null) {
      mysqlContainer = new MySQLContainer("mysql:8.4");
      mysqlContainer.start();
    }
    p.setProperty("user", "root");
    p.setProperty("password", mysqlContainer.getPassword());
    return new Admin(mysqlContainer.getJdbcUrl(), p);
  }

  private static boolean reachable(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void unreachable(String what, String hostPort, String variable) {
    String reason = what + " does not answer at " + hostPort + " (set " + variable + " to point elsewhere)";
    if ("1".equals(System.getenv("COVENANT_REQUIRE_SERVICES"))) {
      throw new IllegalStateException(reason + "; COVENANT_REQUIRE_SERVICES=1, so this fails instead of skipping");
    }
    boolean docker;
    try {
      docker = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      docker = false;
    }
    assumeTrue(docker, reason + ", and Docker is not available for a container: skipped");
  }

  @Override
  public String toString() {
    return kind + ":" + name;
  }
}
