package io.covenant.coordinator.store.postgres;

import io.vertx.pgclient.PgConnectOptions;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How the PostgreSQL store connects and writes.
 *
 * @param url {@code postgresql://user[:password]@host[:port]/database[?param=value…]}, as libpq
 *     and the Vert.x client read it ({@code postgres://} works too)
 * @param poolSize write batches in flight at once, each on a connection of its own, and the most
 *     connections of the pipelined client that carries everything else (default 8): the store
 *     holds at most {@code 2 × poolSize} connections, and under load usually {@code poolSize} + 1
 *     (the pipelined client rarely needs a second)
 * @param pipeliningLimit statements one connection may have sent and not yet seen answered
 *     (default 256); the pipelined client opens another connection only when each it has carries
 *     this many, and a write batch's statements share its connection up to it
 * @param migrate apply the migrations in {@code db/postgres/} at start (default true); when false the
 *     store only checks that they were applied
 * @param schema the schema of the store's tables, created when missing if {@code migrate}; null for
 *     the connection's default search path (usually {@code public})
 * @param writeBatchMax most creates or updates coalesced into one statement (default 256); not a
 *     configuration key, a knob for tests and benchmarks
 */
public record PostgresSettings(String url, int poolSize, int pipeliningLimit, boolean migrate, String schema, int writeBatchMax) {
  public static final int DEFAULT_POOL_SIZE = 8;
  public static final int DEFAULT_PIPELINING_LIMIT = 256;
  public static final int DEFAULT_WRITE_BATCH_MAX = 256;

  /** What a schema name may be: it is written into SQL, so nothing that needs quoting. */
  public static final Pattern SCHEMA_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

  public PostgresSettings {
    Objects.requireNonNull(url, "url");
    if (!url.startsWith("postgresql://") && !url.startsWith("postgres://")) {
      throw new IllegalArgumentException("url must start with postgresql:// (e.g. postgresql://postgres@127.0.0.1:5432/test)");
    }
    try {
      PgConnectOptions.fromUri(url);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("url is not a valid postgresql:// URL: " + e.getMessage());
    }
    if (poolSize < 1) {
      throw new IllegalArgumentException("poolSize must be at least 1, got " + poolSize);
    }
    if (pipeliningLimit < 1) {
      throw new IllegalArgumentException("pipeliningLimit must be at least 1, got " + pipeliningLimit);
    }
    if (schema != null && !SCHEMA_NAME.matcher(schema).matches()) {
      throw new IllegalArgumentException("schema must be a plain SQL name (letters, digits, _; at most 63), got '" + schema + "'");
    }
    if (writeBatchMax < 1) {
      throw new IllegalArgumentException("writeBatchMax must be at least 1, got " + writeBatchMax);
    }
  }

  /** The defaults for {@code url}, without a schema of their own. */
  public static PostgresSettings defaults(String url) {
    return new PostgresSettings(url, DEFAULT_POOL_SIZE, DEFAULT_PIPELINING_LIMIT, true, null, DEFAULT_WRITE_BATCH_MAX);
  }

  public PostgresSettings withSchema(String s) {
    return new PostgresSettings(url, poolSize, pipeliningLimit, migrate, s, writeBatchMax);
  }

  public PostgresSettings withMigrate(boolean m) {
    return new PostgresSettings(url, poolSize, pipeliningLimit, m, schema, writeBatchMax);
  }

  public PostgresSettings withWriteBatchMax(int max) {
    return new PostgresSettings(url, poolSize, pipeliningLimit, migrate, schema, max);
  }

  /** The connection options the URL describes (host, port, database, user, password, parameters). */
  public PgConnectOptions connectOptions() {
    return PgConnectOptions.fromUri(url);
  }

  /** Where the store lives, for messages: {@code host:port/database}, never the password. */
  public String location() {
    PgConnectOptions o = connectOptions();
    return o.getHost() + ":" + o.getPort() + "/" + o.getDatabase() + (schema == null ? "" : " schema " + schema);
  }

  /** The URL with its password, if any, masked. */
  public static String maskUrl(String url) {
    return url == null ? null : url.replaceAll("(://[^:/@?#]*):[^@/?#]*@", "$1:****@")
        .replaceAll("(?i)([?&]password=)[^&#]*", "$1****");
  }

  @Override
  public String toString() {
    return "PostgresSettings[url=" + maskUrl(url) + ", poolSize=" + poolSize + ", pipeliningLimit=" + pipeliningLimit
        + ", migrate=" + migrate + ", schema=" + schema + ", writeBatchMax=" + writeBatchMax + "]";
  }
}
