package io.covenant.coordinator.store.mysql;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the MySQL store connects and writes. MariaDB works through the same driver.
 *
 * @param url a Connector/J URL, {@code jdbc:mysql://host[:port]/database[?param=value…]}
 * @param user the user, or null when the URL names it
 * @param password the password, or null for none (or when the URL holds it); never printed
 * @param poolSize connections in the HikariCP pool, and threads that use them (default 8)
 * @param migrate apply the migrations in {@code db/mysql/} at start (default true); when false the
 *     store only checks that they were applied
 * @param schema the database (MySQL's schema) of the store's tables instead of the URL's, created
 *     when missing if {@code migrate}; null to use the URL's
 * @param writeBatchMax most creates and updates written in one transaction (default 256); not a
 *     configuration key, a knob for tests and benchmarks
 */
public record MysqlSettings(String url, String user, String password, int poolSize, boolean migrate, String schema,
    int writeBatchMax) {
  public static final int DEFAULT_POOL_SIZE = 8;
  public static final int DEFAULT_WRITE_BATCH_MAX = 256;
  public static final Pattern SCHEMA_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
  private static final Pattern HOST_PORT = Pattern.compile("jdbc:mysql:(?:[a-z]+:)?//(?:[^@/]*@)?(\\[[^\\]]+\\]|[^:/?,]+)(?::(\\d+))?(?:/([^?]*))?.*");

  public MysqlSettings {
    Objects.requireNonNull(url, "url");
    if (!HOST_PORT.matcher(url).matches()) {
      throw new IllegalArgumentException("url must be a JDBC URL jdbc:mysql://host[:port]/database (e.g. jdbc:mysql://127.0.0.1:3306/test)");
    }
    if (poolSize < 1) {
      throw new IllegalArgumentException("poolSize must be at least 1, got " + poolSize);
    }
    if (schema != null && !SCHEMA_NAME.matcher(schema).matches()) {
      throw new IllegalArgumentException("schema must be a plain SQL name (letters, digits, _; at most 64), got '" + schema + "'");
    }
    if (writeBatchMax < 1) {
      throw new IllegalArgumentException("writeBatchMax must be at least 1, got " + writeBatchMax);
    }
  }

  public static MysqlSettings defaults(String url, String user, String password) {
    return new MysqlSettings(url, user, password, DEFAULT_POOL_SIZE, true, null, DEFAULT_WRITE_BATCH_MAX);
  }

  public MysqlSettings withSchema(String s) {
    return new MysqlSettings(url, user, password, poolSize, migrate, s, writeBatchMax);
  }

  public MysqlSettings withMigrate(boolean m) {
    return new MysqlSettings(url, user, password, poolSize, m, schema, writeBatchMax);
  }

  public MysqlSettings withWriteBatchMax(int max) {
    return new MysqlSettings(url, user, password, poolSize, migrate, schema, max);
  }

  /** {@code host:port} of the first host of the URL. */
  public String hostPort() {
    Matcher m = HOST_PORT.matcher(url);
    if (!m.matches()) {
      throw new IllegalStateException(url);
    }
    return m.group(1) + ":" + (m.group(2) == null ? "3306" : m.group(2));
  }

  /** The database the URL names, or null. */
  String urlDatabase() {
    Matcher m = HOST_PORT.matcher(url);
    return m.matches() && m.group(3) != null && !m.group(3).isEmpty() ? m.group(3) : null;
  }

  /** Where the store lives, for messages: {@code host:port/database}, never the password. */
  public String location() {
    String db = schema != null ? schema : urlDatabase();
    return hostPort() + "/" + (db == null ? "" : db);
  }

  /** The URL with a {@code password=} parameter or {@code user:password@} part masked. */
  public static String maskUrl(String url) {
    return url == null ? null : url.replaceAll("(//[^:/@?#]*):[^@/?#]*@", "$1:****@")
        .replaceAll("(?i)([?&]password\\d?=)[^&#]*", "$1****");
  }

  @Override
  public String toString() {
    return "MysqlSettings[url=" + maskUrl(url) + ", user=" + user + ", password=" + (password == null ? "none" : "****")
        + ", poolSize=" + poolSize + ", migrate=" + migrate + ", schema=" + schema + ", writeBatchMax=" + writeBatchMax + "]";
  }
}
