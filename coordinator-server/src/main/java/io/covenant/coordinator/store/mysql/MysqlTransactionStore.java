package io.covenant.coordinator.store.mysql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.store.TxCodec;
import io.covenant.coordinator.store.TxPage;
import io.covenant.coordinator.store.TxQuery;
import io.covenant.coordinator.store.sql.Migrations;
import io.covenant.coordinator.store.sql.SharedStoreSettings;
import io.covenant.coordinator.store.sql.Sweeps;
import io.covenant.coordinator.store.sql.SqlTx;
import io.covenant.coordinator.store.sql.Term;
import io.covenant.coordinator.store.sql.WriteBatcher;
import io.covenant.coordinator.store.sql.WriteBatcher.Write;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps transactions in MySQL or MariaDB through JDBC (mysql-connector-j) and a HikariCP pool. JDBC
 * blocks, so every statement runs on a worker thread of this store ({@code poolSize} of them, one
 * per pooled connection), never on an event loop; futures complete from those threads.
 *
 * <h2>Algorithm</h2>
 * One row per transaction ({@code db/mysql/V1__transactions.sql}): the {@link TxCodec} body and
 * copies of the fields that reads filter and order on. Writes go through a {@link WriteBatcher}:
 * one batch is one database transaction on one connection: its creates as one multi-row
 * {@code INSERT} (the driver rewrites the JDBC batch, {@code rewriteBatchedStatements=true}), its
 * updates as one JDBC batch of {@code UPDATE … WHERE gid = ? AND version = ?} sent in one round
 * trip, each with its own row count, then one {@code COMMIT}: one redo-log flush for the batch. An
 * update that matched no row lost; a read of the losers (in the same transaction) tells a stale
 * version ({@code CONCURRENT_UPDATE}) from a missing row ({@code TRANSACTION_NOT_FOUND}).
 *
 * <h2>Ownership</h2>
 * As in the PostgreSQL store: opening the store begins a term (a row of {@code covenant_coordinators},
 * V2, whose {@code AUTO_INCREMENT} epoch names it); creates name the term as owner; every update
 * is {@code … WHERE gid = ? AND version = ? AND (<take-over> OR owner_epoch = <this term>)}; a
 * heartbeat renews the term only while it is alive by the database's clock. Adoption reads the
 * dead terms (lease expired, or resigned), then runs one short transaction: {@code SELECT gid …
 * WHERE finished = 0 AND owner_epoch IN (<dead terms>) LIMIT n FOR UPDATE SKIP LOCKED} (through
 * the {@code (finished, owner_epoch)} index), one {@code UPDATE} of the owner of exactly those
 * rows, their bodies, {@code COMMIT}; it never waits on a row another coordinator is writing. A
 * term's row is deleted once nothing unfinished names it, and a slower sweep ({@link Sweeps})
 * adopts rows whose term's row is gone, by an anti-join over every unfinished row.
 * One benign race: InnoDB reads the live terms from the statement's snapshot but the rows as last
 * committed, so a term registered while the statement runs may see a transaction it has just
 * created adopted; its next write then fails as any fenced owner's does, and the adopter drives it.
 *
 * <h2>Hazards</h2>
 * <ul>
 *   <li><b>Half-open connections.</b> The driver's {@code socketTimeout} (twice the store timeout)
 *       fails a statement whose answer does not come, and HikariCP waits at most the timeout for a
 *       connection, so a write cannot hang on a dead peer.</li>
 *   <li><b>A taken gid in a batch.</b> A duplicate key fails the whole multi-row insert. The batch
 *       is then rolled back and run again with one {@code INSERT} per create, so that only the
 *       creates whose gid is taken fail ({@code GID_CONFLICT}); InnoDB rolls back just the failed
 *       statement and the transaction goes on.</li>
 *   <li><b>Deadlocks.</b> Rows are written in gid order, and the batch is retried (up to
 *       {@value #ATTEMPTS_MAX} times) when InnoDB picks it as a deadlock victim or a lock wait times
 *       out: nothing of it was committed.</li>
 *   <li><b>Unknown outcomes.</b> When the connection fails during the commit, the batch may or may
 *       not have committed: its writes fail with {@code STORE_UNAVAILABLE}, which callers must read
 *       as "unknown".</li>
 *   <li><b>Gids.</b> The gid column is ASCII, compared byte by byte (as the API allows only ASCII
 *       gids); a write with another gid is refused before it can fail a batch it shares.</li>
 *   <li><b>Time columns</b> are {@code DATETIME(6)} in UTC, written as text so that no time-zone
 *       conversion applies and no fraction of a second is lost (see {@link #time}).</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class MysqlTransactionStore implements TransactionStore {
  private static final Logger log = LoggerFactory.getLogger(MysqlTransactionStore.class);

  static final List<String> MIGRATION_FILES = List.of("V1__transactions.sql", "V2__coordinators.sql");
  /** The server-wide named lock that serialises migrations. */
  static final String MIGRATION_LOCK = "covenant_migrations";
  private static final int MIGRATION_LOCK_WAIT_SECONDS = 60;
  static final int ATTEMPTS_MAX = 3;
  private static final int GID_LENGTH_MAX = 1024;
  static final String TABLE = "covenant_transactions";
  static final String COORDINATORS = "covenant_coordinators";
  private static final String CREATE_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS " + Migrations.VERSION_TABLE
      + " (version INT NOT NULL PRIMARY KEY, description VARCHAR(200) NOT NULL, applied_at DATETIME(6) NOT NULL,"
      + " checksum VARCHAR(64) NULL) ENGINE = InnoDB";
  private static final String INSERT = "INSERT INTO " + TABLE
      + " (gid, mode, status, version, created_at, updated_at, finished, stuck_attempts, body, owner_id, owner_epoch)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String UPDATE = "UPDATE " + TABLE
      + " SET status = ?, version = ?, updated_at = ?, finished = ?, stuck_attempts = ?, body = ?, owner_id = ?, owner_epoch = ?"
      + " WHERE gid = ? AND version = ? AND (? OR owner_epoch = ?)";
  private static final String FIND = "SELECT body FROM " + TABLE + " WHERE gid = ?";
  private static final String FIND_OWNED = "SELECT body FROM " + TABLE + " WHERE gid = ? AND owner_epoch = ? AND finished = 0";
  private static final String LOAD_UNFINISHED = "SELECT body FROM " + TABLE + " WHERE finished = 0 AND owner_epoch = ?";
  private static final String REGISTER = "INSERT INTO " + COORDINATORS + " (instance_id, started_at, heartbeat_at)"
      + " VALUES (?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))";
  private static final String HEARTBEAT = "UPDATE " + COORDINATORS + " SET heartbeat_at = UTC_TIMESTAMP(6)"
      + " WHERE epoch = ? AND heartbeat_at > UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND";
  private static final String DEAD_TERMS = "SELECT epoch FROM " + COORDINATORS
      + " WHERE heartbeat_at <= UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND";
  private static final String SWEEP = "SELECT gid FROM " + TABLE + " WHERE finished = 0 AND (owner_epoch IS NULL"
      + " OR owner_epoch NOT IN (SELECT epoch FROM " + COORDINATORS + " WHERE heartbeat_at > UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND))"
      + " LIMIT ? FOR UPDATE SKIP LOCKED";
  private static final String REAP = "DELETE FROM " + COORDINATORS + " WHERE heartbeat_at <= UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND"
      + " AND NOT EXISTS (SELECT 1 FROM " + TABLE + " AS x WHERE x.finished = 0 AND x.owner_epoch = " + COORDINATORS + ".epoch)";
  private static final String RESIGN = "UPDATE " + COORDINATORS + " SET heartbeat_at = '1000-01-01 00:00:00' WHERE epoch = ?";
  private static final String PURGE = "DELETE FROM " + TABLE + " WHERE finished = 1 AND updated_at < ? ORDER BY updated_at LIMIT ?";
  /** The last update of the (n + 1)-th newest finished transaction: purging up to it keeps n. */
  private static final String FINISHED_BOUND =
      "SELECT updated_at FROM " + TABLE + " WHERE finished = 1 ORDER BY updated_at DESC LIMIT 1 OFFSET ?";

  private static final int ER_DUP_ENTRY = 1062;
  private static final int ER_LOCK_WAIT_TIMEOUT = 1205;
  private static final int ER_LOCK_DEADLOCK = 1213;
  private static final int ER_NO_SUCH_TABLE = 1146;

  private final MysqlSettings settings;
  private final SharedStoreSettings shared;
  private final String where;
  private final HikariDataSource pool;
  private final ExecutorService workers;
  private final WriteBatcher batcher;
  /** The term this store writes as; replaced when the lease had expired at a heartbeat. */
  private final Term term;
  private final Sweeps sweeps = new Sweeps();
  private volatile boolean closed;
  private Future<Void> closing;

  /** Thrown inside a batch when its multi-row insert met a taken gid: run the batch again, insert by insert. */
  private static final class DuplicateInBatch extends Exception {
    private static final long serialVersionUID = 1L;

    DuplicateInBatch(SQLException cause) {
      super(cause);
    }
  }

  /**
   * Connects, applies (or, with {@code migrate=false}, checks) the migrations, and opens the store.
   * Connecting blocks, so it runs on a thread of its own; the future completes from it.
   *
   * @return the store; or a failure with {@code STORE_UNAVAILABLE} that names host, port and
   *     database when the database cannot be reached, refuses the login, or has a schema this
   *     coordinator cannot use
   */
  public static Future<MysqlTransactionStore> open(MysqlSettings settings) {
    return open(settings, SharedStoreSettings.defaults());
  }

  /** Opens the store as the coordinator {@code shared} describes; see {@link #open(MysqlSettings)}. */
  public static Future<MysqlTransactionStore> open(MysqlSettings settings, SharedStoreSettings shared) {
    Promise<MysqlTransactionStore> opened = Promise.promise();
    Thread opener = new Thread(() -> {
      try {
        opened.complete(new MysqlTransactionStore(settings, shared));
      } catch (CovenantException e) {
        opened.fail(e);
      } catch (Exception | Error e) {
        opened.fail(new CovenantException(ErrorCode.STORE_UNAVAILABLE,
            "cannot open the store in MySQL at " + settings.location() + ": " + SqlTx.describe(e), null, e));
      }
    }, "covenant-mysql-open");
    opener.setDaemon(true);
    opener.start();
    return opened.future();
  }

  private MysqlTransactionStore(MysqlSettings settings, SharedStoreSettings shared) {
    this.settings = settings;
    this.shared = shared;
    this.where = "MySQL at " + settings.location();
    Migrations migrations = Migrations.load("mysql", MIGRATION_FILES);
    if (settings.migrate() && settings.schema() != null) {
      createDatabase(settings);
    }
    pool = connect(settings);
    List<Integer> applied;
    try {
      applied = settings.migrate() ? migrate(migrations) : check(migrations);
    } catch (RuntimeException | Error e) {
      pool.close();
      throw e;
    }
    warnIfNotDurable();
    long first;
    try {
      first = register();
    } catch (SQLException e) {
      pool.close();
      throw new CovenantException(ErrorCode.STORE_UNAVAILABLE, "registering this coordinator on " + where + " failed: "
          + SqlTx.describe(e), null, e);
    }
    term = new Term(log, settings.location(), shared.instanceId(), first);
    AtomicInteger threads = new AtomicInteger();
    workers = new ThreadPoolExecutor(settings.poolSize(), settings.poolSize(), 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "covenant-mysql-" + threads.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    batcher = new WriteBatcher(settings.writeBatchMax(), settings.poolSize(), this::writeBatch, "mysql store");
    log.atInfo().setMessage("mysql store open")
        .addKeyValue("location", settings.location())
        .addKeyValue("schemaVersion", migrations.latest())
        .addKeyValue("migrationsApplied", applied)
        .addKeyValue("poolSize", settings.poolSize())
        .addKeyValue("instanceId", shared.instanceId())
        .addKeyValue("epoch", term.epoch())
        .log();
  }

  /** Begins a term: a new row of the coordinators table. Returns its epoch. */
  private long register() throws SQLException {
    try (Connection c = pool.getConnection()) {
      return register(c);
    }
  }

  private long register(Connection c) throws SQLException {
    c.setAutoCommit(true);
    try (PreparedStatement ps = c.prepareStatement(REGISTER, Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, shared.instanceId());
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        if (!keys.next()) {
          throw new SQLException("the coordinators table returned no epoch");
        }
        return keys.getLong(1);
      }
    }
  }

  private Properties driverProperties() {
    Properties p = new Properties();
    // One round trip for a JDBC batch: inserts become one multi-row INSERT, updates one multi-statement packet.
    p.setProperty("rewriteBatchedStatements", "true");
    p.setProperty("cachePrepStmts", "true");
    p.setProperty("prepStmtCacheSize", "250");
    p.setProperty("prepStmtCacheSqlLimit", "2048");
    p.setProperty("useLocalSessionState", "true");
    if (!settings.url().contains("connectTimeout=")) {
      p.setProperty("connectTimeout", Long.toString(shared.timeout().toMillis()));
    }
    if (!settings.url().contains("socketTimeout=")) {
      p.setProperty("socketTimeout", Long.toString(2 * shared.timeout().toMillis()));
    }
    return p;
  }

  /** Creates the configured database when missing, before the pool (whose connections select it) exists. */
  private void createDatabase(MysqlSettings settings) {
    Properties p = driverProperties();
    if (settings.user() != null) {
      p.setProperty("user", settings.user());
    }
    if (settings.password() != null) {
      p.setProperty("password", settings.password());
    }
    try (Connection c = DriverManager.getConnection(settings.url(), p); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE IF NOT EXISTS `" + settings.schema() + "`");
    } catch (SQLException e) {
      throw new CovenantException(ErrorCode.STORE_UNAVAILABLE, "cannot connect to " + where
          + (settings.user() == null ? "" : " as " + settings.user()) + ": " + SqlTx.describe(e), null, e);
    }
  }

  private HikariDataSource connect(MysqlSettings settings) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("covenant-mysql");
    config.setJdbcUrl(settings.url());
    if (settings.user() != null) {
      config.setUsername(settings.user());
    }
    if (settings.password() != null) {
      config.setPassword(settings.password());
    }
    if (settings.schema() != null) {
      config.setCatalog(settings.schema());
    }
    config.setMaximumPoolSize(settings.poolSize());
    config.setConnectionTimeout(Math.max(250, shared.timeout().toMillis()));
    config.setValidationTimeout(Math.max(250, Math.min(shared.timeout().toMillis(), config.getConnectionTimeout() - 1)));
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    config.setDataSourceProperties(driverProperties());
    try {
      return new HikariDataSource(config);
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new CovenantException(ErrorCode.STORE_UNAVAILABLE, "cannot connect to " + where
          + (settings.user() == null ? "" : " as " + settings.user()) + ": " + SqlTx.describe(cause), null, e);
    }
  }

  /** Applies what is missing, under the server-wide migration lock. Returns the versions applied. */
  private List<Integer> migrate(Migrations migrations) {
    List<Integer> applied = new ArrayList<>();
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      try (PreparedStatement lock = c.prepareStatement("SELECT GET_LOCK(?, ?)")) {
        lock.setString(1, MIGRATION_LOCK);
        lock.setInt(2, MIGRATION_LOCK_WAIT_SECONDS);
        try (ResultSet rs = lock.executeQuery()) {
          if (!rs.next() || rs.getInt(1) != 1) {
            throw new CovenantException(ErrorCode.STORE_UNAVAILABLE, "could not take the migration lock '" + MIGRATION_LOCK
                + "' on " + where + " within " + MIGRATION_LOCK_WAIT_SECONDS + " s (another coordinator is migrating?)");
          }
        }
      }
      try {
        try (Statement s = c.createStatement()) {
          s.execute(CREATE_VERSION_TABLE);
        }
        List<Migrations.Applied> done = readApplied(c);
        warnUnknown(migrations, done);
        for (Migrations.Migration m : migrations.pending(done, where)) {
          try (Statement s = c.createStatement()) {
            for (String statement : m.statements()) {
              s.execute(statement);
            }
          }
          try (PreparedStatement record = c.prepareStatement("INSERT INTO " + Migrations.VERSION_TABLE
              + " (version, description, applied_at, checksum) VALUES (?, ?, UTC_TIMESTAMP(6), ?)")) {
            record.setInt(1, m.version());
            record.setString(2, m.description());
            record.setString(3, m.checksum());
            record.executeUpdate();
          }
          log.atInfo().addKeyValue("location", settings.location()).addKeyValue("file", m.path()).log("applied schema migration");
          applied.add(m.version());
        }
      } finally {
        try (PreparedStatement unlock = c.prepareStatement("SELECT RELEASE_LOCK(?)")) {
          unlock.setString(1, MIGRATION_LOCK);
          unlock.executeQuery().close();
        }
      }
    } catch (SQLException e) {
      throw new CovenantException(ErrorCode.STORE_UNAVAILABLE,
          "migrating the schema of " + where + " failed: " + SqlTx.describe(e), null, e);
    }
    return applied;
  }

  /** Without migrating: checks that every migration was applied. */
  private List<Integer> check(Migrations migrations) {
    List<Migrations.Applied> done;
    try (Connection c = pool.getConnection()) {
      done = readApplied(c);
    } catch (SQLException e) {
      if (e.getErrorCode() != ER_NO_SUCH_TABLE) {
        throw new CovenantException(ErrorCode.STORE_UNAVAILABLE, "checking the schema of " + where + " failed: "
            + SqlTx.describe(e), null, e);
      }
      done = List.of();
    }
    warnUnknown(migrations, done);
    List<Migrations.Migration> pending = migrations.pending(done, where);
    if (!pending.isEmpty()) {
      throw migrations.notMigrated(pending, where, "store.mysql.migrate");
    }
    return List.of();
  }

  /**
   * A commit is durable when it answers only with {@code innodb_flush_log_at_trx_commit=1} (the
   * default): the write-ahead rule depends on it, so say so loudly when the server is set otherwise.
   */
  private void warnIfNotDurable() {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT @@innodb_flush_log_at_trx_commit")) {
      if (rs.next() && rs.getInt(1) != 1) {
        log.atWarn().addKeyValue("location", settings.location()).addKeyValue("innodb_flush_log_at_trx_commit", rs.getInt(1))
            .log("innodb_flush_log_at_trx_commit is not 1: a write the store reports durable can be lost if the server crashes");
      }
    } catch (SQLException e) {
      log.atDebug().setCause(e).log("could not read innodb_flush_log_at_trx_commit");
    }
  }

  private static List<Migrations.Applied> readApplied(Connection c) throws SQLException {
    List<Migrations.Applied> done = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version, checksum FROM " + Migrations.VERSION_TABLE)) {
      while (rs.next()) {
        done.add(new Migrations.Applied(rs.getInt(1), rs.getString(2)));
      }
    }
    return done;
  }

  private void warnUnknown(Migrations migrations, List<Migrations.Applied> done) {
    List<Integer> unknown = migrations.unknown(done);
    if (!unknown.isEmpty()) {
      log.atWarn().addKeyValue("location", settings.location()).addKeyValue("versions", unknown)
          .addKeyValue("known", migrations.latest())
          .log("the schema has migrations this coordinator does not know (a newer coordinator applied them)");
    }
  }

  // --- writes ---------------------------------------------------------------------------------

  @Override
  public Future<Void> create(GlobalTx tx) {
    CovenantException refused = refuseGid(tx.gid());
    return refused != null ? Future.failedFuture(refused) : batcher.create(tx, term.epoch());
  }

  @Override
  public Future<Void> update(GlobalTx next, long expectedVersion) {
    CovenantException refused = refuseGid(next.gid());
    return refused != null ? Future.failedFuture(refused) : batcher.update(next, expectedVersion, term.epoch());
  }

  @Override
  public Future<Void> takeOver(GlobalTx next, long expectedVersion) {
    CovenantException refused = refuseGid(next.gid());
    return refused != null ? Future.failedFuture(refused) : batcher.takeOver(next, expectedVersion, term.epoch());
  }

  private static CovenantException refuseGid(String gid) {
    if (gid.length() > GID_LENGTH_MAX) {
      return new CovenantException(ErrorCode.LIMIT_EXCEEDED,
          "gid of " + gid.length() + " characters; the mysql store keeps at most " + GID_LENGTH_MAX, null);
    }
    for (int i = 0; i < gid.length(); i++) {
      char c = gid.charAt(i);
      if (c < 0x20 || c > 0x7E) {
        return new CovenantException(ErrorCode.INVALID_REQUEST, "the mysql store keeps only printable ASCII gids", null);
      }
    }
    return null;
  }

  /** Hands a batch to a worker; the returned future completes once the batch is answered. */
  private Future<Void> writeBatch(List<Write> batch) {
    Promise<Void> over = Promise.promise();
    try {
      workers.execute(() -> {
        try {
          runBatch(batch);
        } finally {
          over.complete();
        }
      });
    } catch (RejectedExecutionException e) {
      failAll(batch, "writing", new CovenantException(ErrorCode.STORE_UNAVAILABLE, "mysql store is closed"));
      over.complete();
    }
    return over.future();
  }

  /** On a worker: writes one batch in one transaction, then answers each write. */
  private void runBatch(List<Write> batch) {
    List<Write> creates = new ArrayList<>();
    List<Write> updates = new ArrayList<>();
    for (Write w : batch) {
      (w.isCreate() ? creates : updates).add(w);
    }
    creates.sort(Comparator.comparing(Write::gid));
    updates.sort(Comparator.comparing(Write::gid));
    boolean insertOneByOne = false;
    for (int attempt = 1; ; attempt++) {
      Map<Write, CovenantException> refused = new HashMap<>();
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(false);
        try {
          if (!creates.isEmpty()) {
            insert(c, creates, insertOneByOne, refused);
          }
          if (!updates.isEmpty()) {
            update(c, updates, refused);
          }
          c.commit();
        } catch (SQLException | DuplicateInBatch | RuntimeException e) {
          rollbackQuietly(c, e);
          throw e;
        }
      } catch (DuplicateInBatch e) {
        insertOneByOne = true;
        attempt--; // not a failure of the database: run the batch again, insert by insert
        continue;
      } catch (SQLException e) {
        if (isTransient(e) && attempt < ATTEMPTS_MAX) {
          log.atDebug().addKeyValue("attempt", attempt).addKeyValue("error", e.getErrorCode()).log("mysql batch retried");
          continue;
        }
        failAll(batch, "writing " + batch.size() + " transaction(s)", e);
        return;
      } catch (RuntimeException e) {
        failAll(batch, "writing " + batch.size() + " transaction(s)", e);
        return;
      }
      for (Write w : batch) {
        CovenantException no = refused.get(w);
        if (no == null) {
          w.succeed();
        } else {
          w.fail(no);
        }
      }
      return;
    }
  }

  private void insert(Connection c, List<Write> creates, boolean oneByOne, Map<Write, CovenantException> refused)
      throws SQLException, DuplicateInBatch {
    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
      if (!oneByOne) {
        for (Write w : creates) {
          bindInsert(ps, w);
          ps.addBatch();
        }
        try {
          ps.executeBatch();
        } catch (SQLException e) {
          if (isDuplicate(e)) {
            throw new DuplicateInBatch(e);
          }
          throw e;
        }
        return;
      }
      for (Write w : creates) {
        bindInsert(ps, w);
        try {
          ps.executeUpdate();
        } catch (SQLException e) {
          if (!isDuplicate(e)) {
            throw e;
          }
          refused.put(w, SqlTx.gidConflict(w.gid()));
        }
      }
    }
  }

  private void bindInsert(PreparedStatement ps, Write w) throws SQLException {
    GlobalTx tx = w.tx();
    ps.setString(1, tx.gid());
    ps.setString(2, tx.mode().code());
    ps.setString(3, tx.status().code());
    ps.setLong(4, tx.version());
    ps.setString(5, time(tx.createdAt()));
    ps.setString(6, time(tx.updatedAt()));
    ps.setBoolean(7, tx.status().isFinished());
    ps.setInt(8, SqlTx.stuckAttempts(tx));
    ps.setBytes(9, w.body());
    ps.setString(10, shared.instanceId());
    ps.setLong(11, w.term());
  }

  private void update(Connection c, List<Write> updates, Map<Write, CovenantException> refused) throws SQLException {
    int[] counts;
    try (PreparedStatement ps = c.prepareStatement(UPDATE)) {
      for (Write w : updates) {
        GlobalTx tx = w.tx();
        ps.setString(1, tx.status().code());
        ps.setLong(2, tx.version());
        ps.setString(3, time(tx.updatedAt()));
        ps.setBoolean(4, tx.status().isFinished());
        ps.setInt(5, SqlTx.stuckAttempts(tx));
        ps.setBytes(6, w.body());
        ps.setString(7, shared.instanceId());
        ps.setLong(8, w.term());
        ps.setString(9, tx.gid());
        ps.setLong(10, w.expectedVersion());
        ps.setBoolean(11, w.isTakeOver());
        ps.setLong(12, w.term());
        ps.addBatch();
      }
      counts = ps.executeBatch();
    }
    List<Write> lost = new ArrayList<>();
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] == 0) {
        lost.add(updates.get(i));
      } else if (counts[i] != 1) {
        // Matched-row counts are what the compare-and-set relies on; anything else means the driver
        // was set up differently (useAffectedRows, a rewrite without counts): refuse to guess.
        throw new IllegalStateException("update of gid " + updates.get(i).gid() + " reported " + counts[i] + " rows");
      }
    }
    if (!lost.isEmpty()) {
      Map<String, Stored> stored = versionsOf(c, lost);
      for (Write w : lost) {
        Stored row = stored.get(w.gid());
        if (row == null) {
          refused.put(w, SqlTx.notFound(w.gid()));
        } else if (row.version() != w.expectedVersion()) {
          refused.put(w, SqlTx.concurrentUpdate(w.gid(), row.version(), w.expectedVersion()));
        } else {
          refused.put(w, SqlTx.ownedByAnother(w.gid(), row.ownerId(), row.ownerEpoch(), w.term()));
        }
      }
    }
  }

  /** The version and owner of a stored row. */
  private record Stored(long version, String ownerId, Long ownerEpoch) {}

  private static Map<String, Stored> versionsOf(Connection c, List<Write> writes) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT gid, version, owner_id, owner_epoch FROM " + TABLE + " WHERE gid IN (");
    for (int i = 0; i < writes.size(); i++) {
      sql.append(i == 0 ? "?" : ", ?");
    }
    sql.append(')');
    Map<String, Stored> stored = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < writes.size(); i++) {
        ps.setString(i + 1, writes.get(i).gid());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long ownerEpoch = rs.getLong(4);
          stored.put(rs.getString(1), new Stored(rs.getLong(2), rs.getString(3), rs.wasNull() ? null : ownerEpoch));
        }
      }
    }
    return stored;
  }

  private static boolean isDuplicate(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLIntegrityConstraintViolationException
          || (t instanceof SQLException s && s.getErrorCode() == ER_DUP_ENTRY)) {
        return true;
      }
    }
    for (SQLException next = e.getNextException(); next != null; next = next.getNextException()) {
      if (next.getErrorCode() == ER_DUP_ENTRY) {
        return true;
      }
    }
    return false;
  }

  /** A deadlock victim or a lock wait timeout: the transaction committed nothing and may run again. */
  private static boolean isTransient(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && (s.getErrorCode() == ER_LOCK_DEADLOCK || s.getErrorCode() == ER_LOCK_WAIT_TIMEOUT)) {
        return true;
      }
    }
    return false;
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private void failAll(List<Write> writes, String what, Throwable cause) {
    // One line, no stack trace: while the database is down every batch fails, and says the same.
    log.atWarn().addKeyValue("location", settings.location()).addKeyValue("writes", writes.size())
        .addKeyValue("error", SqlTx.describe(cause)).log("mysql write failed; its outcome is unknown");
    for (Write w : writes) {
      w.fail(SqlTx.unavailable(where, what, w.gid(), cause));
    }
  }

  // --- reads ----------------------------------------------------------------------------------

  /** A unit of blocking work on one connection. */
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} on a worker with a pooled connection (autocommit); the future completes there. */
  private <T> Future<T> onWorker(String what, Work<T> work) {
    if (closed) {
      return Future.failedFuture(new CovenantException(ErrorCode.STORE_UNAVAILABLE, "mysql store is closed"));
    }
    Promise<T> promise = Promise.promise();
    try {
      workers.execute(() -> {
        T result;
        try (Connection c = pool.getConnection()) {
          result = work.run(c);
        } catch (SQLException | RuntimeException e) {
          promise.fail(SqlTx.unavailable(where, what, null, e));
          return;
        }
        promise.complete(result);
      });
    } catch (RejectedExecutionException e) {
      promise.fail(new CovenantException(ErrorCode.STORE_UNAVAILABLE, "mysql store is closed"));
    }
    return promise.future();
  }

  @Override
  public Future<Optional<GlobalTx>> find(String gid) {
    return onWorker("reading gid " + gid, c -> {
      try (PreparedStatement ps = c.prepareStatement(FIND)) {
        ps.setString(1, gid);
        List<GlobalTx> found = decodeAll(ps);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
      }
    });
  }

  @Override
  public Future<List<GlobalTx>> loadUnfinished() {
    return onWorker("loading unfinished transactions", c -> {
      try (PreparedStatement ps = c.prepareStatement(LOAD_UNFINISHED)) {
        ps.setLong(1, term.epoch());
        return decodeAll(ps);
      }
    });
  }

  @Override
  public Future<Optional<GlobalTx>> findOwned(String gid) {
    return onWorker("reading gid " + gid, c -> {
      try (PreparedStatement ps = c.prepareStatement(FIND_OWNED)) {
        ps.setString(1, gid);
        ps.setLong(2, term.epoch());
        List<GlobalTx> found = decodeAll(ps);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
      }
    });
  }

  // --- ownership ------------------------------------------------------------------------------

  @Override
  public boolean isShared() {
    return true;
  }

  @Override
  public Future<Boolean> heartbeat() {
    long current = term.epoch();
    return onWorker("renewing the lease of epoch " + current, c -> {
      if (term.expired()) {
        term.began(register(c));
        return true;
      }
      try (PreparedStatement ps = c.prepareStatement(HEARTBEAT)) {
        ps.setLong(1, current);
        ps.setLong(2, shared.heartbeatExpiry().toNanos() / 1000);
        return term.renewal(current, ps.executeUpdate() == 1);
      }
    });
  }

  @Override
  public Future<List<GlobalTx>> adoptOrphans(int max) {
    if (max <= 0) {
      return Future.succeededFuture(List.of());
    }
    long expiryMicros = shared.heartbeatExpiry().toNanos() / 1000;
    long current = term.epoch();
    return onWorker("adopting orphaned transactions", c -> {
      List<Long> dead = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(DEAD_TERMS)) {
        ps.setLong(1, expiryMicros);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            dead.add(rs.getLong(1));
          }
        }
      }
      StringBuilder ofDead = new StringBuilder("SELECT gid FROM " + TABLE + " WHERE finished = 0 AND (owner_epoch IS NULL");
      if (!dead.isEmpty()) {
        ofDead.append(" OR owner_epoch IN (").append(String.join(", ", java.util.Collections.nCopies(dead.size(), "?"))).append(')');
      }
      ofDead.append(") LIMIT ? FOR UPDATE SKIP LOCKED");
      List<GlobalTx> adopted = adopt(c, ofDead.toString(), current, ps -> {
        int i = 1;
        for (Long e : dead) {
          ps.setLong(i++, e);
        }
        ps.setInt(i, max);
      });
      if (adopted.size() < max) {
        if (sweeps.due()) {
          int left = max - adopted.size();
          adopted.addAll(adopt(c, SWEEP, current, ps -> {
            ps.setLong(1, expiryMicros);
            ps.setInt(2, left);
          }));
        }
        try (PreparedStatement ps = c.prepareStatement(REAP)) {
          ps.setLong(1, expiryMicros);
          ps.executeUpdate();
        }
      }
      return adopted;
    });
  }

  /** Binds a statement's parameters. */
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /**
   * One short transaction: locks the rows {@code select} finds (skipping locked ones), makes
   * {@code term} their owner, reads their bodies, commits.
   */
  private List<GlobalTx> adopt(Connection c, String select, long term, Binder binder) throws SQLException {
    List<GlobalTx> adopted = new ArrayList<>();
    c.setAutoCommit(false);
    try {
      List<String> gids = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(select)) {
        binder.bind(ps);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            gids.add(rs.getString(1));
          }
        }
      }
      if (!gids.isEmpty()) {
        String in = String.join(", ", java.util.Collections.nCopies(gids.size(), "?"));
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET owner_id = ?, owner_epoch = ? WHERE gid IN (" + in + ")")) {
          ps.setString(1, shared.instanceId());
          ps.setLong(2, term);
          for (int i = 0; i < gids.size(); i++) {
            ps.setString(i + 3, gids.get(i));
          }
          ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT body FROM " + TABLE + " WHERE gid IN (" + in + ")")) {
          for (int i = 0; i < gids.size(); i++) {
            ps.setString(i + 1, gids.get(i));
          }
          adopted.addAll(decodeAll(ps));
        }
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly(c, e);
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
    return adopted;
  }

  @Override
  public Future<Void> resign() {
    long current = term.epoch();
    return onWorker("ending the term of epoch " + current, c -> {
      try (PreparedStatement ps = c.prepareStatement(RESIGN)) {
        ps.setLong(1, current);
        ps.executeUpdate();
      }
      term.resigned(current);
      return null;
    });
  }

  /** The epoch of this store's current term. */
  long epoch() {
    return term.epoch();
  }

  @Override
  public Future<TxPage> list(TxQuery q) {
    SqlTx.Cursor after;
    try {
      after = q.cursor() == null ? null : SqlTx.parseCursor(q.cursor());
    } catch (CovenantException e) {
      return Future.failedFuture(e);
    }
    StringBuilder sql = new StringBuilder("SELECT body FROM ").append(TABLE).append(" WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    boolean onlyUnfinished = Boolean.TRUE.equals(q.stuck())
        || (!q.statuses().isEmpty() && q.statuses().stream().noneMatch(GlobalStatus::isFinished));
    if (onlyUnfinished) {
      sql.append(" AND finished = 0"); // lets MySQL use the (finished, created_at, gid) index
    }
    if (!q.statuses().isEmpty()) {
      sql.append(" AND status IN (");
      boolean first = true;
      for (GlobalStatus s : q.statuses()) {
        sql.append(first ? "?" : ", ?");
        params.add(s.code());
        first = false;
      }
      sql.append(')');
    }
    if (q.mode() != null) {
      sql.append(" AND mode = ?");
      params.add(q.mode().code());
    }
    if (q.stuck() != null) {
      sql.append(" AND stuck_attempts ").append(q.stuck() ? ">=" : "<").append(" ?");
      params.add(SqlTx.stuckThreshold(q.stuckAfterAttempts()));
    }
    if (q.createdBefore() != null) {
      sql.append(" AND created_at < ?");
      params.add(time(q.createdBefore()));
    }
    if (after != null) {
      sql.append(" AND (created_at > ? OR (created_at = ? AND gid > ?))");
      params.add(time(after.createdAt()));
      params.add(time(after.createdAt()));
      params.add(after.gid());
    }
    sql.append(" ORDER BY created_at, gid LIMIT ?");
    params.add(q.limit() + 1);
    return onWorker("listing transactions", c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < params.size(); i++) {
          ps.setObject(i + 1, params.get(i));
        }
        List<GlobalTx> items = decodeAll(ps);
        if (items.size() <= q.limit()) {
          return new TxPage(items, null);
        }
        List<GlobalTx> page = List.copyOf(items.subList(0, q.limit()));
        return new TxPage(page, SqlTx.cursorAfter(page.get(page.size() - 1)));
      }
    });
  }

  @Override
  public Future<Integer> purgeFinished(Instant finishedBefore, int keepAtMost, int max) {
    if (max <= 0) {
      return Future.succeededFuture(0);
    }
    return onWorker("purging finished transactions", c -> {
      String before = time(finishedBefore);
      try (PreparedStatement ps = c.prepareStatement(FINISHED_BOUND)) {
        ps.setInt(1, keepAtMost);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            // DATETIME(6) text sorts as time; one microsecond later includes the bound row itself.
            String bound = DATETIME_6.format(rs.getObject(1, LocalDateTime.class).plusNanos(1_000));
            before = bound.compareTo(before) > 0 ? bound : before;
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement(PURGE)) {
        ps.setString(1, before);
        ps.setInt(2, max);
        return ps.executeUpdate();
      }
    });
  }

  private List<GlobalTx> decodeAll(PreparedStatement ps) throws SQLException {
    List<GlobalTx> txs = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        txs.add(SqlTx.decode(rs.getBytes(1), where));
      }
    }
    return txs;
  }

  /**
   * Refuses new writes, lets the writes already accepted finish (their futures complete as the
   * database answers), then stops the workers and closes the pool, on a thread of its own.
   * Idempotent.
   */
  @Override
  public synchronized Future<Void> close() {
    if (closing == null) {
      closed = true;
      Promise<Void> closed = Promise.promise();
      batcher.close().onComplete(ar -> {
        Thread closer = new Thread(() -> {
          try {
            workers.shutdown();
            workers.awaitTermination(30, TimeUnit.SECONDS);
            pool.close();
            log.atInfo().addKeyValue("location", settings.location()).addKeyValue("writes", batcher.writes())
                .addKeyValue("batches", batcher.batches()).log("mysql store closed");
            closed.complete();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.close();
            closed.fail(new CovenantException(ErrorCode.STORE_UNAVAILABLE, "interrupted while closing the mysql store", null, e));
          }
        }, "covenant-mysql-close");
        closer.setDaemon(true);
        closer.start();
      });
      closing = closed.future();
    }
    return closing;
  }

  long batches() {
    return batcher.batches();
  }

  long writes() {
    return batcher.writes();
  }

  private static final DateTimeFormatter DATETIME_6 = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS");

  /**
   * An instant as {@code DATETIME(6)} text in UTC. Text rather than a {@link LocalDateTime}: the
   * driver drops fractional seconds when it takes the server for one older than MySQL 5.6.4, as it
   * takes every MariaDB (which reports itself as {@code 5.5.5-10.x}).
   */
  private static String time(Instant t) {
    return DATETIME_6.format(LocalDateTime.ofInstant(SqlTx.column(t), ZoneOffset.UTC));
  }
}
