package io.covenant.coordinator.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.covenant.coordinator.store.journal.JournalSettings;
import io.covenant.coordinator.store.mysql.MysqlSettings;
import io.covenant.coordinator.store.postgres.PostgresSettings;
import io.covenant.coordinator.store.sql.SharedStoreSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The coordinator's whole configuration: immutable, built once by {@link #builder()} and
 * {@link Builder#build()}, which checks every value and names the key of the first bad one.
 *
 * <p>Sources, later ones winning: the defaults below; a {@code .properties} or {@code .yaml}
 * file (the first command-line argument, else {@code -Dcovenant.config=path}, else
 * {@code COVENANT_CONFIG}); environment variables. A key's variable is {@code COVENANT_} plus the
 * key in upper case with dots and dashes turned into underscores ({@code http.port} is
 * {@code COVENANT_HTTP_PORT}); a camel-case word may also be split
 * ({@code COVENANT_RETENTION_PURGEINTERVAL} or {@code COVENANT_RETENTION_PURGE_INTERVAL}). Other
 * {@code COVENANT_*} variables are ignored; an unknown key in a file is an error (it is almost
 * always a typo).
 *
 * <p>Value syntax: durations as {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code 1d} or
 * ISO-8601 ({@code PT10S}); sizes as bytes with an optional unit ({@code 1048576}, {@code 512KiB},
 * {@code 1MiB}; {@code KB}/{@code MB}/{@code GB} are powers of 1000); booleans as {@code true} or
 * {@code false}. In YAML, keys may be nested or dotted; because {@code store} is a value and also
 * the start of {@code store.journal.*}, write the store keys dotted ({@code store.journal.dir:},
 * {@code store.postgres.url:}), or nest them under a {@code store.journal:} (or
 * {@code store.postgres:}, {@code store.mysql:}) map.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>Key</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>{@code http.host}</td><td>0.0.0.0</td><td>address the API listens on</td></tr>
 *   <tr><td>{@code http.port}</td><td>8080</td><td>TCP port of the API; 0 picks a free port</td></tr>
 *   <tr><td>{@code http.h2c}</td><td>true</td><td>accept HTTP/2 cleartext as well as HTTP/1.1</td></tr>
 *   <tr><td>{@code store}</td><td>journal</td><td>{@code journal} (durable, embedded), {@code postgres},
 *       {@code mysql} (shared databases) or {@code memory} (tests only)</td></tr>
 *   <tr><td>{@code store.journal.dir}</td><td>./data/journal</td><td>directory of the journal files</td></tr>
 *   <tr><td>{@code store.journal.*}</td><td>see {@link JournalSettings}</td><td>journal file size and count,
 *       group-commit buffer and window, compaction, fsync</td></tr>
 *   <tr><td>{@code store.postgres.*}</td><td>see {@link PostgresSettings}</td><td>URL (required with
 *       {@code store=postgres}), write batches in flight and connections, pipelining, migrations, schema</td></tr>
 *   <tr><td>{@code store.mysql.*}</td><td>see {@link MysqlSettings}</td><td>JDBC URL (required with
 *       {@code store=mysql}), user, password, pool size, migrations, schema</td></tr>
 *   <tr><td>{@code store.sql.timeout}</td><td>10s</td><td>longest wait for a SQL store's database: connect, statement</td></tr>
 *   <tr><td>{@code cluster.instanceId}</td><td>generated</td><td>this coordinator's name among those sharing a database</td></tr>
 *   <tr><td>{@code cluster.heartbeatInterval}</td><td>2s</td><td>how often the coordinator renews its lease on a shared database</td></tr>
 *   <tr><td>{@code cluster.heartbeatExpiry}</td><td>10s</td><td>a lease not renewed for this long expires; others adopt its transactions</td></tr>
 *   <tr><td>{@code retention.finished}</td><td>1h</td><td>how long finished transactions stay readable</td></tr>
 *   <tr><td>{@code retention.finishedMax}</td><td>100000</td><td>most finished transactions kept, whatever their age</td></tr>
 *   <tr><td>{@code retention.purgeInterval}</td><td>1s</td><td>how often expired finished transactions are purged</td></tr>
 *   <tr><td>{@code retry.initialBackoff}</td><td>100ms</td><td>wait after a participant call's first failure</td></tr>
 *   <tr><td>{@code retry.maxBackoff}</td><td>30s</td><td>cap of the doubling wait between retries</td></tr>
 *   <tr><td>{@code retry.stuckAfterAttempts}</td><td>5</td><td>failed calls after which a transaction shows as stuck</td></tr>
 *   <tr><td>{@code participant.callTimeout}</td><td>10s</td><td>default time a participant call may take</td></tr>
 *   <tr><td>{@code participant.callsInFlightMax}</td><td>64</td><td>calls in flight to one participant at once</td></tr>
 *   <tr><td>{@code participant.h2c}</td><td>false</td><td>call participants with HTTP/2 (prior knowledge)</td></tr>
 *   <tr><td>{@code participant.keepAliveTimeout}</td><td>60s</td><td>idle time after which a connection to a participant is closed</td></tr>
 *   <tr><td>{@code transaction.defaultTimeout}</td><td>60s</td><td>TCC / 2PC timeout when begin gives none</td></tr>
 *   <tr><td>{@code saga.defaultTimeout}</td><td>none</td><td>saga timeout when the submission gives none</td></tr>
 *   <tr><td>{@code saga.stepAttemptsMax}</td><td>5</td><td>attempts of a step's action when the step gives none</td></tr>
 *   <tr><td>{@code saga.stepResultBytesMax}</td><td>4KiB</td><td>largest action answer kept as a step's result</td></tr>
 *   <tr><td>{@code limits.timeoutMax}</td><td>1d</td><td>largest timeout a client may ask for</td></tr>
 *   <tr><td>{@code limits.bodyBytesMax}</td><td>1MiB</td><td>largest request body</td></tr>
 *   <tr><td>{@code limits.branchesPerTransactionMax}</td><td>100</td><td>branches of a transaction, steps of a saga</td></tr>
 *   <tr><td>{@code limits.gidLengthMax}</td><td>128</td><td>longest gid, branch id or step name</td></tr>
 *   <tr><td>{@code limits.listPageMax}</td><td>500</td><td>largest page of {@code GET /v1/transactions}</td></tr>
 * </table>
 *
 * <p>{@link #KEYS} holds the same table with units (and the journal tuning keys), and
 * {@link #markdownTable()} renders it for the README. {@link #toString()} masks secrets: the
 * MySQL password and any password inside a database URL. Thread-safe (immutable).
 */
public final class CoordinatorConfig {

  /** Where transactions are kept. */
  public enum StoreKind {
    /** The embedded append-only journal on local disk: durable, single node. The default. */
    JOURNAL("journal"),
    /** PostgreSQL through the Vert.x reactive client: durable, shared by coordinators. */
    POSTGRES("postgres"),
    /** MySQL or MariaDB through JDBC and HikariCP: durable, shared by coordinators. */
    MYSQL("mysql"),
    /** Memory only: everything is lost on exit. For tests and trials. */
    MEMORY("memory");

    private final String code;

    StoreKind(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }

    static StoreKind parse(String text) {
      for (StoreKind k : values()) {
        if (k.code.equalsIgnoreCase(text.trim())) {
          return k;
        }
      }
      throw new IllegalArgumentException("is not one of journal, postgres, mysql, memory");
    }
  }

  /** The type of a key's value, which decides how text is parsed and printed. */
  public enum Kind { TEXT, INT, BOOL, DURATION, BYTES, STORE }

  /**
   * One configuration key.
   *
   * @param optional true when the key may have no value ({@code none})
   * @param unit what the number means, for the table
   */
  public record Key(String name, Kind kind, Object defaultValue, boolean optional, String unit, String meaning) {
    /** The environment variable that sets this key. */
    public String envName() {
      return "COVENANT_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The variable with camel-case words split: {@code COVENANT_RETENTION_PURGE_INTERVAL}. */
    String envNameSplit() {
      return "COVENANT_" + name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT)
          .replace('.', '_').replace('-', '_');
    }
  }

  // Names of every key, so accessors and the table cannot drift apart.
  public static final String HTTP_HOST = "http.host";
  public static final String HTTP_PORT = "http.port";
  public static final String HTTP_H2C = "http.h2c";
  public static final String HTTP_TLS_CERT_PATH = "http.tls.certPath";
  public static final String HTTP_TLS_KEY_PATH = "http.tls.keyPath";
  public static final String PARTICIPANT_TLS_TRUST_PATH = "participant.tls.trustPath";
  public static final String STORE = "store";
  public static final String JOURNAL_DIR = "store.journal.dir";
  public static final String JOURNAL_FILE_SIZE_BYTES = "store.journal.fileSizeBytes";
  public static final String JOURNAL_MIN_FILES = "store.journal.minFiles";
  public static final String JOURNAL_POOL_SIZE = "store.journal.poolSize";
  public static final String JOURNAL_BUFFER_SIZE_BYTES = "store.journal.bufferSizeBytes";
  public static final String JOURNAL_BUFFER_TIMEOUT = "store.journal.bufferTimeout";
  public static final String JOURNAL_COMPACT_MIN_FILES = "store.journal.compactMinFiles";
  public static final String JOURNAL_COMPACT_PERCENTAGE = "store.journal.compactPercentage";
  public static final String JOURNAL_SYNC = "store.journal.sync";
  public static final String POSTGRES_URL = "store.postgres.url";
  public static final String POSTGRES_POOL_SIZE = "store.postgres.poolSize";
  public static final String POSTGRES_PIPELINING_LIMIT = "store.postgres.pipeliningLimit";
  public static final String POSTGRES_MIGRATE = "store.postgres.migrate";
  public static final String POSTGRES_SCHEMA = "store.postgres.schema";
  public static final String MYSQL_URL = "store.mysql.url";
  public static final String MYSQL_USER = "store.mysql.user";
  public static final String MYSQL_PASSWORD = "store.mysql.password";
  public static final String MYSQL_POOL_SIZE = "store.mysql.poolSize";
  public static final String MYSQL_MIGRATE = "store.mysql.migrate";
  public static final String MYSQL_SCHEMA = "store.mysql.schema";
  public static final String SQL_TIMEOUT = "store.sql.timeout";
  public static final String CLUSTER_INSTANCE_ID = "cluster.instanceId";
  public static final String CLUSTER_HEARTBEAT_INTERVAL = "cluster.heartbeatInterval";
  public static final String CLUSTER_HEARTBEAT_EXPIRY = "cluster.heartbeatExpiry";
  public static final String RETENTION_FINISHED = "retention.finished";
  public static final String RETENTION_FINISHED_MAX = "retention.finishedMax";
  public static final String RETENTION_PURGE_INTERVAL = "retention.purgeInterval";
  public static final String RETRY_INITIAL_BACKOFF = "retry.initialBackoff";
  public static final String RETRY_MAX_BACKOFF = "retry.maxBackoff";
  public static final String RETRY_STUCK_AFTER_ATTEMPTS = "retry.stuckAfterAttempts";
  public static final String PARTICIPANT_CALL_TIMEOUT = "participant.callTimeout";
  public static final String PARTICIPANT_CALLS_IN_FLIGHT_MAX = "participant.callsInFlightMax";
  public static final String PARTICIPANT_H2C = "participant.h2c";
  public static final String PARTICIPANT_KEEP_ALIVE_TIMEOUT = "participant.keepAliveTimeout";
  public static final String PARTICIPANT_ALLOWED_HOSTS = "participant.allowedHosts";
  public static final String AUTH_TOKENS_FILE = "auth.tokensFile";
  public static final String TRANSACTION_DEFAULT_TIMEOUT = "transaction.defaultTimeout";
  public static final String SAGA_DEFAULT_TIMEOUT = "saga.defaultTimeout";
  public static final String SAGA_STEP_ATTEMPTS_MAX = "saga.stepAttemptsMax";
  public static final String SAGA_STEP_RESULT_BYTES_MAX = "saga.stepResultBytesMax";
  public static final String LIMITS_TIMEOUT_MAX = "limits.timeoutMax";
  public static final String LIMITS_BODY_BYTES_MAX = "limits.bodyBytesMax";
  public static final String LIMITS_BRANCHES_PER_TRANSACTION_MAX = "limits.branchesPerTransactionMax";
  public static final String LIMITS_GID_LENGTH_MAX = "limits.gidLengthMax";
  public static final String LIMITS_LIST_PAGE_MAX = "limits.listPageMax";

  /** The shortest allowed {@code limits.gidLengthMax}: generated gids are UUIDs of 36 characters. */
  public static final int GID_LENGTH_MAX_LOWEST = 36;

  /** Every key, in the order of the README table and of {@link #toString()}. */
  public static final List<Key> KEYS = List.of(
      new Key(HTTP_HOST, Kind.TEXT, "0.0.0.0", false, "host or IP",
          "Address the HTTP API listens on."),
      new Key(HTTP_PORT, Kind.INT, 8080, false, "TCP port",
          "Port of the HTTP API; `0` picks a free port."),
      new Key(HTTP_H2C, Kind.BOOL, true, false, "boolean",
          "Accept HTTP/2 cleartext (h2c, prior knowledge or upgrade) as well as HTTP/1.1."),
      new Key(HTTP_TLS_CERT_PATH, Kind.TEXT, null, true, "path or `none`",
          "PEM certificate chain: serve the API over TLS (HTTP/2 through ALPN). Needs `http.tls.keyPath`."),
      new Key(HTTP_TLS_KEY_PATH, Kind.TEXT, null, true, "path or `none`",
          "PEM private key (PKCS#8 or PKCS#1) of `http.tls.certPath`."),
      new Key(STORE, Kind.STORE, StoreKind.JOURNAL, false, "`journal` \\| `postgres` \\| `mysql` \\| `memory`",
          "Where transactions are kept: the embedded durable journal, a PostgreSQL or MySQL/MariaDB database, or memory only (tests; lost on exit)."),
      new Key(JOURNAL_DIR, Kind.TEXT, "./data/journal", false, "path",
          "Directory of the journal files (created if missing). Required when `store=journal`."),
      new Key(JOURNAL_FILE_SIZE_BYTES, Kind.BYTES, (long) JournalSettings.DEFAULT_FILE_SIZE_BYTES, false, "bytes",
          "Size of each journal file; files are preallocated, so the journal takes at least `minFiles` times this."),
      new Key(JOURNAL_MIN_FILES, Kind.INT, JournalSettings.DEFAULT_MIN_FILES, false, "files",
          "Journal files kept even when empty (at least 2)."),
      new Key(JOURNAL_POOL_SIZE, Kind.INT, JournalSettings.DEFAULT_POOL_SIZE, false, "files",
          "Empty journal files kept for reuse instead of deleted."),
      new Key(JOURNAL_BUFFER_SIZE_BYTES, Kind.BYTES, (long) JournalSettings.DEFAULT_BUFFER_SIZE_BYTES, false, "bytes",
          "Write buffer that collects records between flushes; also the largest one transaction may encode to."),
      new Key(JOURNAL_BUFFER_TIMEOUT, Kind.DURATION, JournalSettings.DEFAULT_BUFFER_TIMEOUT, false, "duration",
          "Group-commit window: records arriving within it share one write and fsync (at most 1s)."),
      new Key(JOURNAL_COMPACT_MIN_FILES, Kind.INT, JournalSettings.DEFAULT_COMPACT_MIN_FILES, false, "files",
          "Compaction is considered only above this many data files; `0` turns compaction off."),
      new Key(JOURNAL_COMPACT_PERCENTAGE, Kind.INT, JournalSettings.DEFAULT_COMPACT_PERCENTAGE, false, "percent",
          "Compact when live data is below this share of the data files."),
      new Key(JOURNAL_SYNC, Kind.BOOL, true, false, "boolean",
          "fsync before a write counts as durable. `false` survives a process crash but not a power loss: tests and benchmarks only."),
      new Key(POSTGRES_URL, Kind.TEXT, null, true, "URL",
          "PostgreSQL to use, `postgresql://user[:password]@host[:port]/database[?param=value]`. Required when `store=postgres`."),
      new Key(POSTGRES_POOL_SIZE, Kind.INT, PostgresSettings.DEFAULT_POOL_SIZE, false, "connections",
          "Write batches in flight, each on a connection of its own (so their commits overlap); also the most "
              + "connections of the pipelined client for everything else. At most 2 × this many connections."),
      new Key(POSTGRES_PIPELINING_LIMIT, Kind.INT, PostgresSettings.DEFAULT_PIPELINING_LIMIT, false, "statements",
          "Statements one connection of the pipelined client (reads, lease, adoption, purge) may have in flight; it "
              + "opens another connection only when each it has carries this many. `1`: no pipelining."),
      new Key(POSTGRES_MIGRATE, Kind.BOOL, true, false, "boolean",
          "Apply the schema migrations (`db/postgres/V*.sql`) at start; `false` only checks they were applied."),
      new Key(POSTGRES_SCHEMA, Kind.TEXT, null, true, "SQL name or `none`",
          "Schema of the store's tables (created if missing when migrating); `none`: the connection's search path (`public`)."),
      new Key(MYSQL_URL, Kind.TEXT, null, true, "JDBC URL",
          "MySQL or MariaDB to use, `jdbc:mysql://host[:port]/database[?param=value]`. Required when `store=mysql`."),
      new Key(MYSQL_USER, Kind.TEXT, null, true, "user or `none`",
          "User to log in as; `none`: the one the URL names."),
      new Key(MYSQL_PASSWORD, Kind.TEXT, null, true, "secret or `none`",
          "Password of `store.mysql.user`; never logged. Prefer the variable to a file."),
      new Key(MYSQL_POOL_SIZE, Kind.INT, MysqlSettings.DEFAULT_POOL_SIZE, false, "connections",
          "Connections in the HikariCP pool, and worker threads that use them (JDBC blocks, so never on an event loop)."),
      new Key(MYSQL_MIGRATE, Kind.BOOL, true, false, "boolean",
          "Apply the schema migrations (`db/mysql/V*.sql`) at start; `false` only checks they were applied."),
      new Key(MYSQL_SCHEMA, Kind.TEXT, null, true, "SQL name or `none`",
          "Database (MySQL's schema) of the store's tables instead of the URL's (created if missing when migrating)."),
      new Key(SQL_TIMEOUT, Kind.DURATION, SharedStoreSettings.DEFAULT_TIMEOUT, false, "duration",
          "Longest wait for the database of `store=postgres` or `mysql`: to connect, and for each statement. A connection "
              + "silent for twice as long is dropped. A request that meets it gets `503 store-unavailable`."),
      new Key(CLUSTER_INSTANCE_ID, Kind.TEXT, null, true, "name or `none`",
          "This coordinator's name in the shared database's `covenant_coordinators` and `owner_id` (for people; fencing "
              + "uses the epoch); `none`: `<host>-<pid>-<random>`."),
      new Key(CLUSTER_HEARTBEAT_INTERVAL, Kind.DURATION, SharedStoreSettings.DEFAULT_HEARTBEAT_INTERVAL, false, "duration",
          "How often a coordinator on a shared database renews its lease and adopts orphaned transactions."),
      new Key(CLUSTER_HEARTBEAT_EXPIRY, Kind.DURATION, SharedStoreSettings.DEFAULT_HEARTBEAT_EXPIRY, false, "duration",
          "A lease not renewed for this long (by the database's clock) expires: other coordinators adopt its unfinished "
              + "transactions and its late writes are refused. At least twice `cluster.heartbeatInterval`."),
      new Key(RETENTION_FINISHED, Kind.DURATION, Duration.ofHours(1), false, "duration",
          "How long a finished (committed or rolled back) transaction stays readable through the API before it is purged."),
      new Key(RETENTION_FINISHED_MAX, Kind.INT, 100_000, false, "transactions",
          "The most finished transactions kept readable, whatever their age: beyond it the oldest are purged early. "
              + "It bounds what retention costs under load (the journal and memory stores keep finished transactions in memory)."),
      new Key(RETENTION_PURGE_INTERVAL, Kind.DURATION, Duration.ofSeconds(1), false, "duration",
          "How often finished transactions past `retention.finished` or `retention.finishedMax` are purged. "
              + "Often, so that each purge is small: a purge of many at once delays the requests of its moment."),
      new Key(RETRY_INITIAL_BACKOFF, Kind.DURATION, Duration.ofMillis(100), false, "duration",
          "Wait after the first failed participant call; it doubles with each further failure (with jitter)."),
      new Key(RETRY_MAX_BACKOFF, Kind.DURATION, Duration.ofSeconds(30), false, "duration",
          "Longest wait between two attempts of one participant call."),
      new Key(RETRY_STUCK_AFTER_ATTEMPTS, Kind.INT, 5, false, "attempts",
          "A transaction shows as `stuck` once a branch has failed its current call this many times in a row (calls go on)."),
      new Key(PARTICIPANT_CALL_TIMEOUT, Kind.DURATION, Duration.ofSeconds(10), false, "duration",
          "How long a participant call may go without an answer when its branch or step gives no `timeoutMillis`."),
      new Key(PARTICIPANT_CALLS_IN_FLIGHT_MAX, Kind.INT, 64, false, "calls",
          "Calls in flight to one participant (scheme, host and port) at once; more wait in line."),
      new Key(PARTICIPANT_H2C, Kind.BOOL, false, false, "boolean",
          "Call participants with HTTP/2 with prior knowledge (h2c on `http`, ALPN on `https`) instead of HTTP/1.1."),
      new Key(PARTICIPANT_KEEP_ALIVE_TIMEOUT, Kind.DURATION, Duration.ofSeconds(60), false, "duration",
          "A connection to a participant idle for this long is closed. Keep it below the idle timeout of the participant's "
              + "server and of any proxy or load balancer in between, so that the coordinator never sends a call on a "
              + "connection the other end is closing; `0s`: connections stay open until the other end closes them."),
      new Key(AUTH_TOKENS_FILE, Kind.TEXT, null, true, "path or `none`",
          "YAML or JSON file of API bearer tokens and their permissions (transactions, read, operator); "
              + "`none`: the API is open. Health and metrics stay open."),
      new Key(PARTICIPANT_TLS_TRUST_PATH, Kind.TEXT, null, true, "path or `none`",
          "PEM CA certificates trusted for `https` participant URLs; `none`: the JVM's default trust store."),
      new Key(PARTICIPANT_ALLOWED_HOSTS, Kind.TEXT, "*", false, "host list",
          "Hosts the coordinator calls: `*`, or comma-separated `name`, `name:port`, `*.domain`. Link-local and "
              + "metadata addresses are refused whatever this says, also when a name resolves to one at call time."),
      new Key(TRANSACTION_DEFAULT_TIMEOUT, Kind.DURATION, Duration.ofSeconds(60), false, "duration",
          "A TCC or 2PC transaction begun without `timeoutMillis` is rolled back if still active after this."),
      new Key(SAGA_DEFAULT_TIMEOUT, Kind.DURATION, null, true, "duration or `none`",
          "A saga submitted without `timeoutMillis` is compensated if still active after this; `none`: no timeout."),
      new Key(SAGA_STEP_ATTEMPTS_MAX, Kind.INT, 5, false, "attempts",
          "Attempts of a saga step's action before the step fails for good, when the step gives no `attemptsMax`."),
      new Key(SAGA_STEP_RESULT_BYTES_MAX, Kind.BYTES, 4096L, false, "bytes",
          "Largest 2xx answer of a saga action kept as the step's `result` (later steps may refer to it). A larger "
              + "answer is not kept; if a later step refers to it, the attempt counts as failed."),
      new Key(LIMITS_TIMEOUT_MAX, Kind.DURATION, Duration.ofDays(1), false, "duration",
          "Largest `timeoutMillis` a request may ask for (transaction, saga or step call)."),
      new Key(LIMITS_BODY_BYTES_MAX, Kind.BYTES, 1024L * 1024, false, "bytes",
          "Largest request body; a larger one is refused with `413 payload-too-large`."),
      new Key(LIMITS_BRANCHES_PER_TRANSACTION_MAX, Kind.INT, 100, false, "branches",
          "Most branches of one transaction, and most steps of one saga."),
      new Key(LIMITS_GID_LENGTH_MAX, Kind.INT, 128, false, "characters",
          "Longest gid, branch id or step name (at least " + GID_LENGTH_MAX_LOWEST + ", the length of a generated gid)."),
      new Key(LIMITS_LIST_PAGE_MAX, Kind.INT, 500, false, "transactions",
          "Largest `limit` of `GET /v1/transactions` (the default page is 50)."));

  /** Keys whose value {@link #toString()} never shows. */
  private static final Set<String> SECRETS = Set.of(MYSQL_PASSWORD);

  private static final Map<String, Key> BY_NAME;

  static {
    Map<String, Key> byName = new LinkedHashMap<>();
    for (Key k : KEYS) {
      byName.put(k.name(), k);
    }
    BY_NAME = Collections.unmodifiableMap(byName);
  }

  private final Map<String, Object> values;

  private CoordinatorConfig(Map<String, Object> values) {
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /** A builder holding every default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults (which use the journal in {@code ./data/journal}). */
  public static CoordinatorConfig defaults() {
    return builder().build();
  }

  /** A builder holding this configuration's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.values.putAll(values);
    return b;
  }

  /**
   * The configuration of a process: the file named by the first argument, else by the system
   * property {@code covenant.config}, else by {@code COVENANT_CONFIG} (no file when none is set),
   * then the environment variables.
   *
   * @throws ConfigException naming the bad key, value and source
   */
  public static CoordinatorConfig load(List<String> args, Map<String, String> env, Properties systemProperties) {
    Builder b = builder();
    String file = !args.isEmpty() ? args.get(0) : systemProperties.getProperty("covenant.config", env.get("COVENANT_CONFIG"));
    if (file != null && !file.isBlank()) {
      b.file(Path.of(file));
    }
    return b.environment(env).build();
  }

  // --- accessors ------------------------------------------------------------------------------

  public String httpHost() {
    return (String) values.get(HTTP_HOST);
  }

  public int httpPort() {
    return (Integer) values.get(HTTP_PORT);
  }

  public boolean httpH2c() {
    return (Boolean) values.get(HTTP_H2C);
  }

  public StoreKind store() {
    return (StoreKind) values.get(STORE);
  }

  public Path journalDir() {
    return Path.of((String) values.get(JOURNAL_DIR));
  }

  /** The journal's settings (meaningful when {@code store=journal}). */
  public JournalSettings journalSettings() {
    return new JournalSettings(journalDir(), (int) (long) (Long) values.get(JOURNAL_FILE_SIZE_BYTES),
        (Integer) values.get(JOURNAL_MIN_FILES), (Integer) values.get(JOURNAL_POOL_SIZE),
        (int) (long) (Long) values.get(JOURNAL_BUFFER_SIZE_BYTES), (Duration) values.get(JOURNAL_BUFFER_TIMEOUT),
        (Integer) values.get(JOURNAL_COMPACT_MIN_FILES), (Integer) values.get(JOURNAL_COMPACT_PERCENTAGE),
        (Boolean) values.get(JOURNAL_SYNC));
  }

  /**
   * The PostgreSQL store's settings (meaningful when {@code store=postgres}).
   *
   * @throws IllegalArgumentException when {@code store.postgres.url} is unset or invalid
   */
  public PostgresSettings postgresSettings() {
    String url = (String) values.get(POSTGRES_URL);
    if (url == null) {
      throw new ConfigException(POSTGRES_URL + " is required when store=postgres");
    }
    return new PostgresSettings(url, (Integer) values.get(POSTGRES_POOL_SIZE), (Integer) values.get(POSTGRES_PIPELINING_LIMIT),
        (Boolean) values.get(POSTGRES_MIGRATE), (String) values.get(POSTGRES_SCHEMA), PostgresSettings.DEFAULT_WRITE_BATCH_MAX);
  }

  /**
   * The MySQL store's settings (meaningful when {@code store=mysql}).
   *
   * @throws IllegalArgumentException when {@code store.mysql.url} is unset or invalid
   */
  public MysqlSettings mysqlSettings() {
    String url = (String) values.get(MYSQL_URL);
    if (url == null) {
      throw new ConfigException(MYSQL_URL + " is required when store=mysql");
    }
    return new MysqlSettings(url, (String) values.get(MYSQL_USER), (String) values.get(MYSQL_PASSWORD),
        (Integer) values.get(MYSQL_POOL_SIZE), (Boolean) values.get(MYSQL_MIGRATE), (String) values.get(MYSQL_SCHEMA),
        MysqlSettings.DEFAULT_WRITE_BATCH_MAX);
  }

  /**
   * Who this coordinator is among those sharing a SQL store, its lease, and the database timeout.
   * Without {@code cluster.instanceId}, each call generates a new name.
   */
  public SharedStoreSettings sharedStoreSettings() {
    String id = (String) values.get(CLUSTER_INSTANCE_ID);
    return new SharedStoreSettings(id == null ? SharedStoreSettings.generatedInstanceId() : id,
        (Duration) values.get(CLUSTER_HEARTBEAT_INTERVAL), (Duration) values.get(CLUSTER_HEARTBEAT_EXPIRY),
        (Duration) values.get(SQL_TIMEOUT));
  }

  public Duration clusterHeartbeatInterval() {
    return (Duration) values.get(CLUSTER_HEARTBEAT_INTERVAL);
  }

  public Duration retentionFinished() {
    return (Duration) values.get(RETENTION_FINISHED);
  }

  public int retentionFinishedMax() {
    return (Integer) values.get(RETENTION_FINISHED_MAX);
  }

  public Duration retentionPurgeInterval() {
    return (Duration) values.get(RETENTION_PURGE_INTERVAL);
  }

  public Duration retryInitialBackoff() {
    return (Duration) values.get(RETRY_INITIAL_BACKOFF);
  }

  public Duration retryMaxBackoff() {
    return (Duration) values.get(RETRY_MAX_BACKOFF);
  }

  public int retryStuckAfterAttempts() {
    return (Integer) values.get(RETRY_STUCK_AFTER_ATTEMPTS);
  }

  public Duration participantCallTimeout() {
    return (Duration) values.get(PARTICIPANT_CALL_TIMEOUT);
  }

  public int participantCallsInFlightMax() {
    return (Integer) values.get(PARTICIPANT_CALLS_IN_FLIGHT_MAX);
  }

  /** The API tokens file, or null when the API is open. */
  public Path authTokensFile() {
    String file = (String) values.get(AUTH_TOKENS_FILE);
    return file == null ? null : Path.of(file);
  }

  /** The API's PEM certificate chain, or null to serve plain HTTP. */
  public String httpTlsCertPath() {
    return (String) values.get(HTTP_TLS_CERT_PATH);
  }

  public String httpTlsKeyPath() {
    return (String) values.get(HTTP_TLS_KEY_PATH);
  }

  /** PEM CA certificates for participant calls, or null for the JVM's defaults. */
  public String participantTlsTrustPath() {
    return (String) values.get(PARTICIPANT_TLS_TRUST_PATH);
  }

  public String participantAllowedHosts() {
    return (String) values.get(PARTICIPANT_ALLOWED_HOSTS);
  }

  public boolean participantH2c() {
    return (Boolean) values.get(PARTICIPANT_H2C);
  }

  /** Idle time after which a participant connection is closed; zero: never. */
  public Duration participantKeepAliveTimeout() {
    return (Duration) values.get(PARTICIPANT_KEEP_ALIVE_TIMEOUT);
  }

  public Duration transactionDefaultTimeout() {
    return (Duration) values.get(TRANSACTION_DEFAULT_TIMEOUT);
  }

  /** Null when sagas have no default timeout. */
  public Duration sagaDefaultTimeout() {
    return (Duration) values.get(SAGA_DEFAULT_TIMEOUT);
  }

  public int sagaStepAttemptsMax() {
    return (Integer) values.get(SAGA_STEP_ATTEMPTS_MAX);
  }

  public int sagaStepResultBytesMax() {
    return (int) (long) (Long) values.get(SAGA_STEP_RESULT_BYTES_MAX);
  }

  public Duration limitsTimeoutMax() {
    return (Duration) values.get(LIMITS_TIMEOUT_MAX);
  }

  public long limitsBodyBytesMax() {
    return (Long) values.get(LIMITS_BODY_BYTES_MAX);
  }

  public int limitsBranchesPerTransactionMax() {
    return (Integer) values.get(LIMITS_BRANCHES_PER_TRANSACTION_MAX);
  }

  public int limitsGidLengthMax() {
    return (Integer) values.get(LIMITS_GID_LENGTH_MAX);
  }

  public int limitsListPageMax() {
    return (Integer) values.get(LIMITS_LIST_PAGE_MAX);
  }

  /** The value of any key as it would be written in a file ({@code none} when unset). */
  public String text(String key) {
    Key k = BY_NAME.get(key);
    if (k == null) {
      throw new ConfigException("unknown config key '" + key + "'");
    }
    return format(k, values.get(key));
  }

  /** Every key with its effective value, in table order, secrets masked: log it once at start. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("CoordinatorConfig{");
    for (Iterator<Key> it = KEYS.iterator(); it.hasNext(); ) {
      Key k = it.next();
      Object v = values.get(k.name());
      String shown;
      if (v != null && SECRETS.contains(k.name())) {
        shown = "****";
      } else if (k.name().equals(POSTGRES_URL)) {
        shown = format(k, PostgresSettings.maskUrl((String) v));
      } else if (k.name().equals(MYSQL_URL)) {
        shown = format(k, MysqlSettings.maskUrl((String) v));
      } else {
        shown = format(k, v);
      }
      sb.append(k.name()).append('=').append(shown);
      if (it.hasNext()) {
        sb.append(", ");
      }
    }
    return sb.append('}').toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CoordinatorConfig other && values.equals(other.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  /** The key table in Markdown (key, default, unit, meaning, environment variable), for the README. */
  public static String markdownTable() {
    StringBuilder sb = new StringBuilder("| Key | Default | Unit | Meaning | Environment variable |\n|---|---|---|---|---|\n");
    for (Key k : KEYS) {
      sb.append("| `").append(k.name()).append("` | `").append(format(k, k.defaultValue())).append("` | ")
          .append(k.unit()).append(" | ").append(k.meaning()).append(" | `").append(k.envName()).append("` |\n");
    }
    return sb.toString();
  }

  // --- parsing and printing -------------------------------------------------------------------

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);
  private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(b|kib|mib|gib|kb|mb|gb)?", Pattern.CASE_INSENSITIVE);

  static Object parse(Key key, String text) {
    String t = text.trim();
    if (key.optional() && (t.isEmpty() || t.equalsIgnoreCase("none"))) {
      return null;
    }
    switch (key.kind()) {
      case TEXT:
        if (t.isEmpty()) {
          throw new IllegalArgumentException("is empty");
        }
        return t;
      case INT:
        try {
          return Integer.parseInt(t);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("is not a whole number");
        }
      case BOOL:
        if (t.equalsIgnoreCase("true")) {
          return true;
        }
        if (t.equalsIgnoreCase("false")) {
          return false;
        }
        throw new IllegalArgumentException("is not true or false");
      case DURATION:
        return parseDuration(t);
      case BYTES:
        return parseBytes(t);
      case STORE:
        return StoreKind.parse(t);
      default:
        throw new IllegalStateException("kind " + key.kind());
    }
  }

  /** Parses {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code 1d} or ISO-8601 ({@code PT10S}). */
  public static Duration parseDuration(String text) {
    String t = text.trim();
    Matcher m = DURATION.matcher(t);
    if (m.matches()) {
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("is too large");
      }
      try {
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "ms": return Duration.ofMillis(n);
          case "s": return Duration.ofSeconds(n);
          case "m": return Duration.ofMinutes(n);
          case "h": return Duration.ofHours(n);
          default: return Duration.ofDays(n);
        }
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("is too large");
      }
    }
    if (t.startsWith("P") || t.startsWith("p") || t.startsWith("-P") || t.startsWith("-p")) {
      try {
        return Duration.parse(t);
      } catch (DateTimeParseException e) {
        // falls through to the message below
      }
    }
    throw new IllegalArgumentException("is not a duration (write e.g. 500ms, 10s, 5m, 1h, 1d or ISO-8601 PT10S)");
  }

  static long parseBytes(String text) {
    Matcher m = BYTES.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("is not a size (write bytes, or e.g. 512KiB, 1MiB)");
    }
    long unit = switch (m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT)) {
      case "kib" -> 1024L;
      case "mib" -> 1024L * 1024;
      case "gib" -> 1024L * 1024 * 1024;
      case "kb" -> 1000L;
      case "mb" -> 1000L * 1000;
      case "gb" -> 1000L * 1000 * 1000;
      default -> 1L;
    };
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("is too large");
    }
  }

  static String format(Key key, Object value) {
    if (value == null) {
      return "none";
    }
    if (value instanceof Duration d) {
      return formatDuration(d);
    }
    if (value instanceof StoreKind s) {
      return s.code();
    }
    if (key.kind() == Kind.BYTES) {
      long b = (Long) value;
      if (b > 0 && b % (1024L * 1024 * 1024) == 0) {
        return b / (1024L * 1024 * 1024) + "GiB";
      }
      if (b > 0 && b % (1024L * 1024) == 0) {
        return b / (1024L * 1024) + "MiB";
      }
      if (b > 0 && b % 1024 == 0) {
        return b / 1024 + "KiB";
      }
      return Long.toString(b);
    }
    return String.valueOf(value);
  }

  /** The shortest of {@code Nd}, {@code Nh}, {@code Nm}, {@code Ns}, {@code Nms} that is exact, else ISO-8601. */
  public static String formatDuration(Duration d) {
    if (d.isNegative() || d.getNano() % 1_000_000 != 0) {
      return d.toString();
    }
    long ms = d.toMillis();
    if (ms == 0) {
      return "0ms";
    }
    if (ms % 86_400_000L == 0) {
      return ms / 86_400_000L + "d";
    }
    if (ms % 3_600_000L == 0) {
      return ms / 3_600_000L + "h";
    }
    if (ms % 60_000L == 0) {
      return ms / 60_000L + "m";
    }
    if (ms % 1_000L == 0) {
      return ms / 1_000L + "s";
    }
    return ms + "ms";
  }

  /** Collects values from code, files and the environment; {@link #build()} checks them together. */
  public static final class Builder {
    private final Map<String, Object> values = new LinkedHashMap<>();

    private Builder() {
      for (Key k : KEYS) {
        values.put(k.name(), k.defaultValue());
      }
    }

    /**
     * Sets a key from text, as a file or the environment would.
     *
     * @throws ConfigException for an unknown key or a value that does not parse
     */
    public Builder set(String key, String text) {
      return set(key, text, null);
    }

    private Builder set(String key, String text, String source) {
      Key k = BY_NAME.get(key);
      String from = source == null ? "" : " (from " + source + ")";
      if (k == null) {
        throw new ConfigException("unknown config key '" + key + "'" + from);
      }
      if (text == null) {
        if (!k.optional()) {
          throw new ConfigException(key + " has no value" + from);
        }
        values.put(key, null);
        return this;
      }
      try {
        values.put(key, parse(k, text));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key + ": '" + text + "' " + e.getMessage() + from);
      }
      return this;
    }

    /** Sets every entry of a flat map of keys to text values; {@code source} appears in errors. */
    public Builder setAll(Map<String, String> entries, String source) {
      entries.forEach((k, v) -> set(k, v, source));
      return this;
    }

    /**
     * Reads a {@code .properties}, {@code .yaml}/{@code .yml} or {@code .json} file.
     *
     * @throws ConfigException when the file is missing, does not parse, or holds an unknown key
     */
    public Builder file(Path file) {
      String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
      Map<String, String> entries = new LinkedHashMap<>();
      if (!Files.isRegularFile(file)) {
        throw new ConfigException("config file " + file + (Files.exists(file) ? " is not a file" : " does not exist"));
      }
      try {
        if (name.endsWith(".properties")) {
          Properties p = new Properties();
          try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
          }
          for (String k : p.stringPropertyNames()) {
            entries.put(k, p.getProperty(k));
          }
        } else if (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json")) {
          JsonNode root;
          try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new YAMLMapper().readTree(r);
          }
          if (root != null && !root.isMissingNode() && !root.isNull()) {
            if (!root.isObject()) {
              throw new ConfigException("config file " + file + " must hold a map of keys to values");
            }
            flatten("", root, entries, file);
          }
        } else {
          throw new ConfigException("config file " + file + " must end in .properties, .yaml, .yml or .json");
        }
      } catch (NoSuchFileException e) {
        throw new ConfigException("config file " + file + " does not exist");
      } catch (IOException e) {
        throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
      }
      return setAll(entries, "file " + file);
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out, Path file) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String key = prefix + e.getKey();
        JsonNode v = e.getValue();
        if (v.isObject()) {
          flatten(key + ".", v, out, file);
        } else if (v.isArray()) {
          throw new ConfigException(key + ": a list is not a valid value (from file " + file + ")");
        } else if (out.put(key, v.isNull() ? null : v.asText()) != null) {
          throw new ConfigException(key + " is set twice (from file " + file + ")");
        }
      }
    }

    /**
     * Applies the {@code COVENANT_*} variables that name a key; others are ignored.
     *
     * @throws ConfigException for a value that does not parse, or two spellings of one key with different values
     */
    public Builder environment(Map<String, String> env) {
      for (Key k : KEYS) {
        String plain = env.get(k.envName());
        String split = k.envNameSplit().equals(k.envName()) ? null : env.get(k.envNameSplit());
        if (plain != null && split != null && !plain.equals(split)) {
          throw new ConfigException(k.name() + " is set differently by " + k.envName() + " and " + k.envNameSplit());
        }
        String value = plain != null ? plain : split;
        if (value != null) {
          set(k.name(), value, "environment variable " + (plain != null ? k.envName() : k.envNameSplit()));
        }
      }
      return this;
    }

    public Builder httpHost(String host) {
      values.put(HTTP_HOST, host);
      return this;
    }

    public Builder httpPort(int port) {
      values.put(HTTP_PORT, port);
      return this;
    }

    public Builder httpH2c(boolean h2c) {
      values.put(HTTP_H2C, h2c);
      return this;
    }

    public Builder store(StoreKind store) {
      values.put(STORE, store);
      return this;
    }

    public Builder journalDir(Path dir) {
      values.put(JOURNAL_DIR, dir == null ? null : dir.toString());
      return this;
    }

    public Builder postgresUrl(String url) {
      values.put(POSTGRES_URL, url);
      return this;
    }

    public Builder postgresPoolSize(int n) {
      values.put(POSTGRES_POOL_SIZE, n);
      return this;
    }

    public Builder postgresPipeliningLimit(int n) {
      values.put(POSTGRES_PIPELINING_LIMIT, n);
      return this;
    }

    public Builder postgresMigrate(boolean migrate) {
      values.put(POSTGRES_MIGRATE, migrate);
      return this;
    }

    /** Null for the connection's search path. */
    public Builder postgresSchema(String schema) {
      values.put(POSTGRES_SCHEMA, schema);
      return this;
    }

    public Builder mysqlUrl(String url) {
      values.put(MYSQL_URL, url);
      return this;
    }

    /** Null for the URL's. */
    public Builder mysqlUser(String user) {
      values.put(MYSQL_USER, user);
      return this;
    }

    /** Null for none. */
    public Builder mysqlPassword(String password) {
      values.put(MYSQL_PASSWORD, password);
      return this;
    }

    public Builder mysqlPoolSize(int n) {
      values.put(MYSQL_POOL_SIZE, n);
      return this;
    }

    public Builder mysqlMigrate(boolean migrate) {
      values.put(MYSQL_MIGRATE, migrate);
      return this;
    }

    /** Null for the URL's database. */
    public Builder mysqlSchema(String schema) {
      values.put(MYSQL_SCHEMA, schema);
      return this;
    }

    public Builder sqlTimeout(Duration d) {
      values.put(SQL_TIMEOUT, d);
      return this;
    }

    /** Null for a generated name. */
    public Builder clusterInstanceId(String id) {
      values.put(CLUSTER_INSTANCE_ID, id);
      return this;
    }

    public Builder clusterHeartbeat(Duration interval, Duration expiry) {
      values.put(CLUSTER_HEARTBEAT_INTERVAL, interval);
      values.put(CLUSTER_HEARTBEAT_EXPIRY, expiry);
      return this;
    }

    public Builder retentionFinished(Duration d) {
      values.put(RETENTION_FINISHED, d);
      return this;
    }

    public Builder retentionFinishedMax(int n) {
      values.put(RETENTION_FINISHED_MAX, n);
      return this;
    }

    public Builder retentionPurgeInterval(Duration d) {
      values.put(RETENTION_PURGE_INTERVAL, d);
      return this;
    }

    public Builder retryInitialBackoff(Duration d) {
      values.put(RETRY_INITIAL_BACKOFF, d);
      return this;
    }

    public Builder retryMaxBackoff(Duration d) {
      values.put(RETRY_MAX_BACKOFF, d);
      return this;
    }

    public Builder retryStuckAfterAttempts(int n) {
      values.put(RETRY_STUCK_AFTER_ATTEMPTS, n);
      return this;
    }

    public Builder participantCallTimeout(Duration d) {
      values.put(PARTICIPANT_CALL_TIMEOUT, d);
      return this;
    }

    public Builder participantCallsInFlightMax(int n) {
      values.put(PARTICIPANT_CALLS_IN_FLIGHT_MAX, n);
      return this;
    }

    public Builder authTokensFile(Path file) {
      values.put(AUTH_TOKENS_FILE, file == null ? null : file.toString());
      return this;
    }

    public Builder httpTls(String certPath, String keyPath) {
      values.put(HTTP_TLS_CERT_PATH, certPath);
      values.put(HTTP_TLS_KEY_PATH, keyPath);
      return this;
    }

    public Builder participantTlsTrustPath(String path) {
      values.put(PARTICIPANT_TLS_TRUST_PATH, path);
      return this;
    }

    public Builder participantAllowedHosts(String hosts) {
      values.put(PARTICIPANT_ALLOWED_HOSTS, hosts);
      return this;
    }

    public Builder participantH2c(boolean h2c) {
      values.put(PARTICIPANT_H2C, h2c);
      return this;
    }

    public Builder participantKeepAliveTimeout(Duration d) {
      values.put(PARTICIPANT_KEEP_ALIVE_TIMEOUT, d);
      return this;
    }

    public Builder transactionDefaultTimeout(Duration d) {
      values.put(TRANSACTION_DEFAULT_TIMEOUT, d);
      return this;
    }

    /** Null for none. */
    public Builder sagaDefaultTimeout(Duration d) {
      values.put(SAGA_DEFAULT_TIMEOUT, d);
      return this;
    }

    public Builder sagaStepAttemptsMax(int n) {
      values.put(SAGA_STEP_ATTEMPTS_MAX, n);
      return this;
    }

    public Builder sagaStepResultBytesMax(long bytes) {
      values.put(SAGA_STEP_RESULT_BYTES_MAX, bytes);
      return this;
    }

    public Builder limitsTimeoutMax(Duration d) {
      values.put(LIMITS_TIMEOUT_MAX, d);
      return this;
    }

    public Builder limitsBodyBytesMax(long bytes) {
      values.put(LIMITS_BODY_BYTES_MAX, bytes);
      return this;
    }

    public Builder limitsBranchesPerTransactionMax(int n) {
      values.put(LIMITS_BRANCHES_PER_TRANSACTION_MAX, n);
      return this;
    }

    public Builder limitsGidLengthMax(int n) {
      values.put(LIMITS_GID_LENGTH_MAX, n);
      return this;
    }

    public Builder limitsListPageMax(int n) {
      values.put(LIMITS_LIST_PAGE_MAX, n);
      return this;
    }

    /**
     * Checks every value and returns the configuration.
     *
     * @throws ConfigException naming the first bad key
     */
    public CoordinatorConfig build() {
      for (Key k : KEYS) {
        if (values.get(k.name()) == null && !k.optional()
            && !(k.name().equals(JOURNAL_DIR) && values.get(STORE) != StoreKind.JOURNAL)) {
          throw new ConfigException(k.name() + (k.name().equals(JOURNAL_DIR)
              ? " is required when store=journal" : " is required"));
        }
      }
      if (((String) values.get(HTTP_HOST)).isBlank()) {
        throw new ConfigException(HTTP_HOST + " must not be blank");
      }
      range(HTTP_PORT, 0, 65_535);
      if (values.get(STORE) == StoreKind.JOURNAL && ((String) values.get(JOURNAL_DIR)).isBlank()) {
        throw new ConfigException(JOURNAL_DIR + " is required when store=journal");
      }
      long fileSize = (Long) values.get(JOURNAL_FILE_SIZE_BYTES);
      if (fileSize < 1024 || fileSize > Integer.MAX_VALUE) {
        throw new ConfigException(JOURNAL_FILE_SIZE_BYTES + " must be between 1KiB and " + Integer.MAX_VALUE + " bytes, got " + fileSize);
      }
      range(JOURNAL_MIN_FILES, 2, Integer.MAX_VALUE);
      range(JOURNAL_POOL_SIZE, 0, Integer.MAX_VALUE);
      long buffer = (Long) values.get(JOURNAL_BUFFER_SIZE_BYTES);
      if (buffer < 1024 || buffer > fileSize) {
        throw new ConfigException(JOURNAL_BUFFER_SIZE_BYTES + " must be between 1KiB and " + JOURNAL_FILE_SIZE_BYTES
            + " (" + fileSize + " bytes), got " + buffer);
      }
      positive(JOURNAL_BUFFER_TIMEOUT);
      Duration bufferTimeout = (Duration) values.get(JOURNAL_BUFFER_TIMEOUT);
      if (bufferTimeout.compareTo(Duration.ofSeconds(1)) > 0) {
        throw new ConfigException(JOURNAL_BUFFER_TIMEOUT + " must be at most 1s, got " + formatDuration(bufferTimeout));
      }
      range(JOURNAL_COMPACT_MIN_FILES, 0, Integer.MAX_VALUE);
      range(JOURNAL_COMPACT_PERCENTAGE, 0, 100);
      range(POSTGRES_POOL_SIZE, 1, Integer.MAX_VALUE);
      range(POSTGRES_PIPELINING_LIMIT, 1, Integer.MAX_VALUE);
      range(MYSQL_POOL_SIZE, 1, Integer.MAX_VALUE);
      if (values.get(STORE) == StoreKind.POSTGRES && blank(POSTGRES_URL)) {
        throw new ConfigException(POSTGRES_URL + " is required when store=postgres");
      }
      if (values.get(STORE) == StoreKind.MYSQL && blank(MYSQL_URL)) {
        throw new ConfigException(MYSQL_URL + " is required when store=mysql");
      }
      positive(SQL_TIMEOUT);
      positive(CLUSTER_HEARTBEAT_INTERVAL);
      positive(CLUSTER_HEARTBEAT_EXPIRY);
      try {
        new SharedStoreSettings("check", (Duration) values.get(CLUSTER_HEARTBEAT_INTERVAL),
            (Duration) values.get(CLUSTER_HEARTBEAT_EXPIRY), (Duration) values.get(SQL_TIMEOUT));
        String id = (String) values.get(CLUSTER_INSTANCE_ID);
        if (id != null) {
          new SharedStoreSettings(id, SharedStoreSettings.DEFAULT_HEARTBEAT_INTERVAL,
              SharedStoreSettings.DEFAULT_HEARTBEAT_EXPIRY, SharedStoreSettings.DEFAULT_TIMEOUT);
        }
      } catch (IllegalArgumentException e) {
        throw new ConfigException("cluster." + e.getMessage());
      }
      notNegative(RETENTION_FINISHED);
      range(RETENTION_FINISHED_MAX, 0, Integer.MAX_VALUE);
      positive(RETENTION_PURGE_INTERVAL);
      positive(RETRY_INITIAL_BACKOFF);
      positive(RETRY_MAX_BACKOFF);
      Duration initial = (Duration) values.get(RETRY_INITIAL_BACKOFF);
      Duration max = (Duration) values.get(RETRY_MAX_BACKOFF);
      if (max.compareTo(initial) < 0) {
        throw new ConfigException(RETRY_MAX_BACKOFF + " (" + formatDuration(max) + ") must not be below "
            + RETRY_INITIAL_BACKOFF + " (" + formatDuration(initial) + ")");
      }
      range(RETRY_STUCK_AFTER_ATTEMPTS, 1, Integer.MAX_VALUE);
      positive(PARTICIPANT_CALL_TIMEOUT);
      range(PARTICIPANT_CALLS_IN_FLIGHT_MAX, 1, Integer.MAX_VALUE);
      Duration keepAlive = (Duration) values.get(PARTICIPANT_KEEP_ALIVE_TIMEOUT);
      if (keepAlive.isNegative() || keepAlive.getNano() != 0 || keepAlive.getSeconds() > Integer.MAX_VALUE) {
        throw new ConfigException(PARTICIPANT_KEEP_ALIVE_TIMEOUT + " must be a whole number of seconds, 0s or more, got "
            + formatDuration(keepAlive));
      }
      positive(LIMITS_TIMEOUT_MAX);
      positive(TRANSACTION_DEFAULT_TIMEOUT);
      atMostTimeoutMax(TRANSACTION_DEFAULT_TIMEOUT);
      if (values.get(SAGA_DEFAULT_TIMEOUT) != null) {
        positive(SAGA_DEFAULT_TIMEOUT);
        atMostTimeoutMax(SAGA_DEFAULT_TIMEOUT);
      }
      range(SAGA_STEP_ATTEMPTS_MAX, 1, Integer.MAX_VALUE);
      long result = (Long) values.get(SAGA_STEP_RESULT_BYTES_MAX);
      if (result < 0 || result > 16L * 1024 * 1024) {
        throw new ConfigException(SAGA_STEP_RESULT_BYTES_MAX + " must be between 0 and 16MiB, got " + result);
      }
      long body = (Long) values.get(LIMITS_BODY_BYTES_MAX);
      if (body < 1 || body > Integer.MAX_VALUE) {
        throw new ConfigException(LIMITS_BODY_BYTES_MAX + " must be between 1 and " + Integer.MAX_VALUE + " bytes, got " + body);
      }
      range(LIMITS_BRANCHES_PER_TRANSACTION_MAX, 1, Integer.MAX_VALUE);
      range(LIMITS_GID_LENGTH_MAX, GID_LENGTH_MAX_LOWEST, 1024);
      range(LIMITS_LIST_PAGE_MAX, 1, Integer.MAX_VALUE);
      if ((values.get(HTTP_TLS_CERT_PATH) == null) != (values.get(HTTP_TLS_KEY_PATH) == null)) {
        throw new ConfigException(HTTP_TLS_CERT_PATH + " and " + HTTP_TLS_KEY_PATH + " must be set together");
      }
      CoordinatorConfig config = new CoordinatorConfig(values);
      if (config.store() == StoreKind.JOURNAL) {
        try {
          config.journalSettings(); // its own checks, should they be stricter than the ones above
        } catch (IllegalArgumentException e) {
          throw new ConfigException("store.journal: " + e.getMessage());
        }
      }
      // The URL and schema of a SQL store are checked whenever they are set, so a typo shows at once.
      if (values.get(POSTGRES_URL) != null || values.get(POSTGRES_SCHEMA) != null) {
        try {
          if (values.get(POSTGRES_URL) != null) {
            config.postgresSettings();
          } else {
            PostgresSettings.defaults("postgresql://localhost/covenant").withSchema((String) values.get(POSTGRES_SCHEMA));
          }
        } catch (IllegalArgumentException e) {
          throw new ConfigException("store.postgres." + e.getMessage());
        }
      }
      if (values.get(MYSQL_URL) != null || values.get(MYSQL_SCHEMA) != null) {
        try {
          if (values.get(MYSQL_URL) != null) {
            config.mysqlSettings();
          } else {
            MysqlSettings.defaults("jdbc:mysql://localhost/covenant", null, null).withSchema((String) values.get(MYSQL_SCHEMA));
          }
        } catch (IllegalArgumentException e) {
          throw new ConfigException("store.mysql." + e.getMessage());
        }
      }
      return config;
    }

    private boolean blank(String key) {
      Object v = values.get(key);
      return v == null || ((String) v).isBlank();
    }

    private void range(String key, int min, int max) {
      int v = (Integer) values.get(key);
      if (v < min || v > max) {
        throw new ConfigException(key + " must be " + (max == Integer.MAX_VALUE ? "at least " + min
            : "between " + min + " and " + max) + ", got " + v);
      }
    }

    private void positive(String key) {
      Duration d = (Duration) values.get(key);
      if (d.isNegative() || d.isZero()) {
        throw new ConfigException(key + " must be positive, got " + formatDuration(d));
      }
    }

    private void notNegative(String key) {
      Duration d = (Duration) values.get(key);
      if (d.isNegative()) {
        throw new ConfigException(key + " must not be negative, got " + formatDuration(d));
      }
    }

    private void atMostTimeoutMax(String key) {
      Duration d = (Duration) values.get(key);
      Duration max = (Duration) values.get(LIMITS_TIMEOUT_MAX);
      if (d.compareTo(max) > 0) {
        throw new ConfigException(key + " (" + formatDuration(d) + ") must not exceed "
            + LIMITS_TIMEOUT_MAX + " (" + formatDuration(max) + ")");
      }
    }
  }

  /** Keys in table order, for tools that list them. */
  public static List<String> keyNames() {
    List<String> names = new ArrayList<>(KEYS.size());
    KEYS.forEach(k -> names.add(k.name()));
    return names;
  }

  static Key key(String name) {
    return Objects.requireNonNull(BY_NAME.get(name), name);
  }
}
