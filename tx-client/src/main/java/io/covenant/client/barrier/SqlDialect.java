package io.covenant.client.barrier;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;

/**
 * The databases the {@link Barrier} speaks: the SQL that differs between them, and the shipped DDL
 * ({@code io/covenant/client/barrier/postgres.sql} and {@code mysql.sql} on the classpath).
 */
public enum SqlDialect {
  /** PostgreSQL 12 or later: {@code INSERT … ON CONFLICT DO NOTHING}. */
  POSTGRES("postgres.sql", "ON CONFLICT DO NOTHING", "FOR SHARE"),
  /** MySQL 8 and MariaDB 10.6 or later (InnoDB): {@code INSERT IGNORE}. */
  MYSQL("mysql.sql", null, "LOCK IN SHARE MODE");

  private final String ddlResource;
  private final String onConflictSuffix;
  private final String shareLock;

  SqlDialect(String ddlResource, String onConflictSuffix, String shareLock) {
    this.ddlResource = ddlResource;
    this.onConflictSuffix = onConflictSuffix;
    this.shareLock = shareLock;
  }

  /** The dialect of the database {@code metadata} describes. */
  public static SqlDialect of(DatabaseMetaData metadata) throws SQLException {
    String product = metadata.getDatabaseProductName();
    String p = product == null ? "" : product.toLowerCase(Locale.ROOT);
    if (p.contains("postgres")) {
      return POSTGRES;
    }
    if (p.contains("mysql") || p.contains("mariadb")) {
      return MYSQL;
    }
    throw new IllegalStateException("the branch barrier supports PostgreSQL, MySQL and MariaDB, not '" + product
        + "'; set the dialect explicitly if this database speaks one of their dialects");
  }

  /**
   * The shipped DDL of the barrier table, as it is in the resource: the table is called
   * {@value Barrier#DEFAULT_TABLE}. Apply it with your migration tool, or let
   * {@link Barrier.Builder#createTable(boolean)} run it.
   */
  public String ddl() {
    String path = "/io/covenant/client/barrier/" + ddlResource;
    try (InputStream in = SqlDialect.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("the barrier DDL " + path + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the barrier DDL " + path, e);
    }
  }

  /** The resource path of {@link #ddl()}, e.g. {@code io/covenant/client/barrier/postgres.sql}. */
  public String ddlResource() {
    return "io/covenant/client/barrier/" + ddlResource;
  }

  String insertIfAbsent(String table) {
    String columns = " (gid, branch_id, op, origin, state) VALUES (?, ?, ?, ?, ?)";
    return onConflictSuffix == null
        ? "INSERT IGNORE INTO " + table + columns
        : "INSERT INTO " + table + columns + " " + onConflictSuffix;
  }

  String lockSlot(String table, boolean exclusive) {
    return "SELECT origin, state FROM " + table + " WHERE gid = ? AND branch_id = ? AND op = ? "
        + (exclusive ? "FOR UPDATE" : shareLock);
  }

  String readBranch(String table) {
    return "SELECT op, origin, state FROM " + table + " WHERE gid = ? AND branch_id = ? " + shareLock;
  }

  String markDone(String table) {
    return "UPDATE " + table + " SET state = 'done' WHERE gid = ? AND branch_id = ? AND op = ?";
  }

  /** Deletes at most {@code ?2} rows older than {@code ?1} microseconds, measured by the database's clock. */
  String purgeBatch(String table) {
    if (this == POSTGRES) {
      return "DELETE FROM " + table + " WHERE (gid, branch_id, op) IN (SELECT gid, branch_id, op FROM " + table
          + " WHERE created_at < CURRENT_TIMESTAMP - (? * INTERVAL '1 microsecond') LIMIT ? FOR UPDATE SKIP LOCKED)";
    }
    return "DELETE FROM " + table + " WHERE created_at < TIMESTAMPADD(MICROSECOND, -?, CURRENT_TIMESTAMP(3))"
        + " ORDER BY created_at LIMIT ?";
  }

  /** Whether {@code e} is a deadlock or serialization failure, after which the whole transaction may run again. */
  boolean isRetryable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        String state = s.getSQLState();
        if ("40001".equals(state) || "40P01".equals(state) || (this == MYSQL && s.getErrorCode() == 1213)) {
          return true;
        }
      }
    }
    return false;
  }
}
