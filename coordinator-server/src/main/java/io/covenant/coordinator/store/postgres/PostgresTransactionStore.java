package io.covenant.coordinator.store.postgres;

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
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps transactions in PostgreSQL, through the Vert.x reactive client, so that several
 * coordinators can share one database.
 *
 * <h2>Algorithm</h2>
 * One row per transaction ({@code db/postgres/V1__transactions.sql}): the {@link TxCodec} body and
 * copies of the fields that reads filter and order on. Writes go through a {@link WriteBatcher}:
 * the creates of a batch are one {@code INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING
 * RETURNING gid}, its updates one {@code UPDATE … FROM unnest(arrays) WHERE gid = … AND version =
 * expected RETURNING gid}: one prepared statement, one round trip and one commit (one WAL flush)
 * for the whole batch, however many transactions it carries. A gid missing from what
 * {@code RETURNING} gives back lost: a create to {@code GID_CONFLICT}; an update to
 * {@code CONCURRENT_UPDATE} or {@code TRANSACTION_NOT_FOUND}, told apart by a read of the losers
 * only. Each statement commits by itself (autocommit), so its writes are durable when it answers
 * (with the server's default {@code synchronous_commit=on}).
 *
 * <h2>Connections</h2>
 * Two pools of at most {@code poolSize} connections each, so the store holds at most
 * {@code 2 × poolSize} connections (and, while it opens, one more that applies the migrations and is
 * closed first). Both open connections on demand and close those idle for one store timeout.
 * <ul>
 *   <li><b>Write batches</b> go through a pool without pipelining ({@link #writers}): a batch
 *       borrows a connection of its own, sends its statements on it (its create and update
 *       statements pipelined there when {@code pipeliningLimit} allows), and gives it back when it
 *       is over. The batcher runs at most {@code poolSize} batches at once, so the batches in flight
 *       commit on as many backends at once, and PostgreSQL can serve several of their commits with
 *       one WAL flush. Over one connection they would commit one after the other, one flush each,
 *       and the store would go no faster than the disk's flushes (#6).</li>
 *   <li><b>Everything else</b> (reads, listing, the lease, adoption, purge) goes through a
 *       pipelined client ({@link #client}, {@link PgBuilder#client()}): up to
 *       {@code pipeliningLimit} statements in flight per connection, and another connection only
 *       when those it has are full, so usually one. Reads do not queue behind the write batches'
 *       commits; they may behind the lease's, adoption's or purge's statements, which are few.</li>
 * </ul>
 * Every statement is prepared once per connection and cached, but planned anew at every execution
 * ({@link #connectOptions}): a plan cached while the table was small would scan the whole table at
 * every execution once it has grown.
 *
 * <h2>Ownership</h2>
 * Opening the store begins a term: a row of {@code covenant_coordinators} (V2) whose identity
 * column is the term's epoch. Every row this store creates names the term as its owner, and every
 * update is a compare-and-set on the version <em>and</em> {@code owner_epoch = <this term>}; a
 * take-over ({@link #takeOver}) drops the owner condition and sets the owner. {@link #heartbeat()}
 * renews the term's {@code heartbeat_at = now()} only while it is younger than the expiry, so a
 * term, once dead, stays dead and the store begins a new one. {@link #adoptOrphans} is one
 * statement: {@code UPDATE … SET owner = <this term> FROM (SELECT … WHERE unfinished AND the
 * owner's term is missing or expired … LIMIT n FOR UPDATE SKIP LOCKED) RETURNING body}: it never
 * waits on a row that another coordinator is writing, and PostgreSQL re-checks the condition on
 * the newest row version, so a transaction that finished meanwhile is not adopted. Liveness is
 * judged by the database's clock, never by the coordinators'. Adoption looks first for the
 * transactions of the terms whose lease expired (or that resigned), through the index on
 * {@code owner_epoch}, so it costs what it adopts, not what is in flight; a term's row is deleted
 * once nothing unfinished names it. A slower sweep ({@link Sweeps}) also adopts, by an anti-join
 * over every unfinished row, transactions whose term's row is gone (written late by a paused
 * coordinator after its row was deleted).
 *
 * <h2>Hazards</h2>
 * <ul>
 *   <li><b>Half-open connections.</b> The server cancels a statement after the timeout
 *       ({@code statement_timeout}) and the client drops a connection that stays silent for twice
 *       as long, failing what was in flight on it, so a write cannot hang on a dead peer.</li>
 *   <li><b>Unknown outcomes.</b> When the connection fails while a statement is in flight, or the
 *       statement gets no answer within its bound, it may or may not have committed. Its writes
 *       fail with {@code STORE_UNAVAILABLE}, which callers must read as "unknown"; the engine
 *       reloads the transaction from the store.</li>
 *   <li><b>Lock order.</b> The rows of a batch are written in gid order, so two batches running
 *       at once, of this coordinator or of two, cannot deadlock on each other. This store's own
 *       batches do not even wait on each other's rows: the batcher holds a write back while an
 *       earlier write of its gid is unanswered, so batches in flight share no gid (unless a write
 *       was answered at its bound while its statement still ran).</li>
 *   <li><b>Compare-and-set under concurrency.</b> PostgreSQL re-checks {@code version = expected} on
 *       the newest row version when a concurrent update commits first (read committed), so of two
 *       racing updates from one version exactly one matches.</li>
 *   <li><b>Pool-wait timers.</b> Neither pool arms a timer while a statement or a batch waits for a
 *       connection (connection timeout 0): a Vert.x 5 pool closed while such a timer is pending
 *       never finishes closing. {@link #bounded} bounds every wait instead; a write connection that
 *       arrives after its bound is given back unused.</li>
 *   <li><b>Schema drift.</b> The store starts only on a schema whose applied migrations match its
 *       files (see {@link Migrations}).</li>
 * </ul>
 *
 * <p>Thread-safe. Futures complete on a Vert.x event-loop thread; callers hop back to their own context.
 */
public final class PostgresTransactionStore implements TransactionStore {
  private static final Logger log = LoggerFactory.getLogger(PostgresTransactionStore.class);

  /** The migration files of {@code db/postgres/}, in any order. */
  static final List<String> MIGRATION_FILES = List.of("V1__transactions.sql", "V2__coordinators.sql");
  /** The key of the advisory lock that serialises migrations: "Covenant" in ASCII. */
  static final long MIGRATION_LOCK = 0x436F76656E616E74L;
  static final String TABLE = "covenant_transactions";
  static final String COORDINATORS = "covenant_coordinators";
  private static final String UNFINISHED = "status NOT IN ('committed', 'rolled_back')";
  private static final String FINISHED = "status IN ('committed', 'rolled_back')";

  private static final String CREATE_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS " + Migrations.VERSION_TABLE + " ("
      + "version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), checksum text)";

  private static final String INSERT = "INSERT INTO " + TABLE
      + " (gid, mode, status, version, created_at, updated_at, stuck_attempts, body, owner_epoch, owner_id)"
      + " SELECT u.*, $9::text FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::timestamptz[],"
      + " $6::timestamptz[], $7::int4[], $8::bytea[], $10::int8[]) AS u"
      + " ON CONFLICT (gid) DO NOTHING RETURNING gid";
  private static final String UPDATE = "UPDATE " + TABLE + " AS t SET status = v.status, version = v.version,"
      + " updated_at = v.updated_at, stuck_attempts = v.stuck_attempts, body = v.body, owner_id = $9, owner_epoch = v.term"
      + " FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[], $5::timestamptz[], $6::int4[], $7::bytea[], $8::bool[],"
      + " $10::int8[]) AS v(gid, expected, status, version, updated_at, stuck_attempts, body, take, term)"
      + " WHERE t.gid = v.gid AND t.version = v.expected AND (v.take OR t.owner_epoch = v.term) RETURNING t.gid";
  private static final String VERSIONS = "SELECT gid, version, owner_id, owner_epoch FROM " + TABLE + " WHERE gid = ANY($1::text[])";
  private static final String FIND = "SELECT body FROM " + TABLE + " WHERE gid = $1";
  private static final String FIND_OWNED = "SELECT body FROM " + TABLE + " WHERE gid = $1 AND owner_epoch = $2 AND " + UNFINISHED;
  private static final String LOAD_UNFINISHED = "SELECT body FROM " + TABLE + " WHERE " + UNFINISHED + " AND owner_epoch = $1";
  private static final String REGISTER = "INSERT INTO " + COORDINATORS + " (instance_id, started_at, heartbeat_at)"
      + " VALUES ($1, now(), now()) RETURNING epoch";
  private static final String HEARTBEAT = "UPDATE " + COORDINATORS + " SET heartbeat_at = now()"
      + " WHERE epoch = $1 AND heartbeat_at > now() - $2::int8 * interval '1 millisecond'";
  private static final String DEAD_TERMS = "SELECT epoch FROM " + COORDINATORS
      + " WHERE heartbeat_at <= now() - $1::int8 * interval '1 millisecond'";
  private static final String ADOPT_FROM = "UPDATE " + TABLE + " AS t SET owner_id = $1, owner_epoch = $2"
      + " FROM (SELECT x.gid FROM " + TABLE + " AS x WHERE x." + UNFINISHED
      + " AND (x.owner_epoch = ANY($3::int8[]) OR x.owner_epoch IS NULL)"
      + " LIMIT $4 FOR UPDATE OF x SKIP LOCKED) AS o"
      + " WHERE t.gid = o.gid RETURNING t.body";
  private static final String SWEEP = "UPDATE " + TABLE + " AS t SET owner_id = $1, owner_epoch = $2"
      + " FROM (SELECT x.gid FROM " + TABLE + " AS x WHERE x." + UNFINISHED
      + " AND (x.owner_epoch IS NULL OR NOT EXISTS (SELECT 1 FROM " + COORDINATORS + " AS c"
      + " WHERE c.epoch = x.owner_epoch AND c.heartbeat_at > now() - $3::int8 * interval '1 millisecond'))"
      + " LIMIT $4 FOR UPDATE OF x SKIP LOCKED) AS o"
      + " WHERE t.gid = o.gid RETURNING t.body";
  private static final String REAP = "DELETE FROM " + COORDINATORS + " AS c"
      + " WHERE c.heartbeat_at <= now() - $1::int8 * interval '1 millisecond'"
      + " AND NOT EXISTS (SELECT 1 FROM " + TABLE + " AS x WHERE x.owner_epoch = c.epoch AND x." + UNFINISHED + ")";
  private static final String RESIGN = "UPDATE " + COORDINATORS + " SET heartbeat_at = '-infinity' WHERE epoch = $1";
  /**
   * Finished rows last updated before $1, or no later than the ($2 + 1)-th newest finished row, so
   * that at most $2 stay; $3 at a time.
   */
  private static final String PURGE = "DELETE FROM " + TABLE + " WHERE gid IN (SELECT gid FROM " + TABLE
      + " WHERE " + FINISHED + " AND updated_at < GREATEST($1, (SELECT updated_at + interval '1 microsecond' FROM " + TABLE
      + " WHERE " + FINISHED + " ORDER BY updated_at DESC OFFSET $2 LIMIT 1))"
      + " ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED)";

  private final Vertx vertx;
  private final PostgresSettings settings;
  private final SharedStoreSettings shared;
  private final String where;
  /** Everything but the write batches: pipelined. */
  private final SqlClient client;
  /** The write batches: one connection each, not shared while the batch lasts. */
  private final Pool writers;
  private final WriteBatcher batcher;
  /** The term this store writes as; replaced when the lease had expired at a heartbeat. */
  private final Term term;
  private final Sweeps sweeps = new Sweeps();
  private volatile boolean closed;
  private Future<Void> closing;

  private PostgresTransactionStore(PostgresSettings settings, SharedStoreSettings shared, SqlClient client, Pool writers,
      long epoch, Vertx vertx) {
    this.vertx = vertx;
    this.settings = settings;
    this.shared = shared;
    this.where = "PostgreSQL at " + settings.location();
    this.client = client;
    this.writers = writers;
    this.term = new Term(log, settings.location(), shared.instanceId(), epoch);
    this.batcher = new WriteBatcher(settings.writeBatchMax(), settings.poolSize(), this::writeBatch, "postgres store");
  }

  /** Opens the store with the default {@link SharedStoreSettings} (a generated instance id). */
  public static Future<PostgresTransactionStore> open(PostgresSettings settings, Vertx vertx) {
    return open(settings, SharedStoreSettings.defaults(), vertx);
  }

  /**
   * Connects, applies (or, with {@code migrate=false}, checks) the migrations, and opens the store.
   *
   * @return the store; or a failure with {@code STORE_UNAVAILABLE} that names host, port and
   *     database when the database cannot be reached, refuses the login, or has a schema this
   *     coordinator cannot use. Completes on a Vert.x event-loop thread.
   */
  public static Future<PostgresTransactionStore> open(PostgresSettings settings, SharedStoreSettings shared, Vertx vertx) {
    String where = "PostgreSQL at " + settings.location();
    PgConnectOptions options = connectOptions(settings, shared);
    Pool setup = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(1))
        .with(netOptions(shared))
        .connectingTo(options).using(vertx).build();
    Migrations migrations = Migrations.load("postgres", MIGRATION_FILES);
    return setup.getConnection()
        .recover(e -> Future.failedFuture(new CovenantException(ErrorCode.STORE_UNAVAILABLE,
            "cannot connect to " + where + " as " + options.getUser() + ": " + SqlTx.describe(e), null, e)))
        .compose(conn -> (settings.migrate() ? migrate(conn, settings, migrations, where) : check(conn, migrations, where))
            .compose(applied -> warnIfNotDurable(conn, settings).map(applied))
            .eventually(conn::close))
        .eventually(setup::close)
        .compose(applied -> {
          SqlClient client = PgBuilder.client()
              .with(poolOptions(settings.poolSize(), shared))
              .with(netOptions(shared))
              .connectingTo(options).using(vertx).build();
          Pool writers = PgBuilder.pool()
              .with(poolOptions(settings.poolSize(), shared))
              .with(netOptions(shared))
              .connectingTo(options).using(vertx).build();
          return register(client, shared)
              .recover(e -> closeBoth(client, writers)
                  .transform(x -> Future.failedFuture(SqlTx.unavailable(where, "registering this coordinator", null, e))))
              .map(epoch -> {
                log.atInfo().setMessage("postgres store open")
                    .addKeyValue("location", settings.location())
                    .addKeyValue("schemaVersion", migrations.latest())
                    .addKeyValue("migrationsApplied", applied)
                    .addKeyValue("poolSize", settings.poolSize())
                    .addKeyValue("pipeliningLimit", settings.pipeliningLimit())
                    .addKeyValue("instanceId", shared.instanceId())
                    .addKeyValue("epoch", epoch)
                    .log();
                return new PostgresTransactionStore(settings, shared, client, writers, epoch, vertx);
              });
        });
  }

  private static Future<Void> closeBoth(SqlClient client, Pool writers) {
    return Future.join(client.close(), writers.close()).mapEmpty();
  }

  private static Future<Long> register(SqlClient client, SharedStoreSettings shared) {
    return client.preparedQuery(REGISTER).execute(Tuple.of(shared.instanceId())).map(rows -> rows.iterator().next().getLong(0));
  }

  /**
   * The pool closes a connection idle for one store timeout itself, before the socket's read-idle
   * timeout (two) would drop it: otherwise an idle connection could be dropped just as a statement
   * is handed to it. No timer on waiting for a connection: {@link #bounded} bounds the wait. The
   * connection timeout must be 0 explicitly: Vert.x 5.0.12 defaults it to 30 s and arms it for
   * every statement sent through a pool until the statement has a connection, and a pool closed
   * while such a timer is pending never finishes closing.
   */
  private static PoolOptions poolOptions(int size, SharedStoreSettings shared) {
    long millis = shared.timeout().toMillis();
    return new PoolOptions().setMaxSize(size).setConnectionTimeout(0)
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, millis)).setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setPoolCleanerPeriod((int) Math.max(1, Math.min(1000, millis / 2)));
  }

  /**
   * Fails {@code statement} with {@code STORE_UNAVAILABLE} if it has no answer within three store
   * timeouts (connect, then a read-idle drop, with room to spare), whatever the client does
   * underneath: a request never hangs on the database, even while the pool waits for a connection
   * to a peer that does not answer. A late answer is ignored; for a write its outcome is unknown.
   */
  private <T> Future<T> bounded(Future<T> statement, String what) {
    return bounded(statement, what, late -> { });
  }

  /** As {@link #bounded(Future, String)}, and hands a result that came after the bound to {@code late}, to release it. */
  private <T> Future<T> bounded(Future<T> statement, String what, Consumer<T> late) {
    long millis = 3 * shared.timeout().toMillis();
    Promise<T> answer = Promise.promise();
    long timer = vertx.setTimer(millis, id -> answer.tryFail(new CovenantException(ErrorCode.STORE_UNAVAILABLE,
        what + " got no answer from " + where + " within " + millis + " ms", null)));
    statement.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        if (!answer.tryComplete(ar.result())) {
          late.accept(ar.result());
        }
      } else {
        answer.tryFail(ar.cause());
      }
    });
    return answer.future();
  }

  /**
   * Connect timeout, and a read-idle timeout of twice the statement timeout: a connection that has
   * said nothing for that long is closed, failing the statements in flight on it.
   */
  private static NetClientOptions netOptions(SharedStoreSettings shared) {
    long millis = shared.timeout().toMillis();
    return new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, millis))
        .setReadIdleTimeout((int) Math.min(Integer.MAX_VALUE, 2 * millis))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setTcpKeepAlive(true);
  }

  static PgConnectOptions connectOptions(PostgresSettings settings) {
    return connectOptions(settings, SharedStoreSettings.defaults());
  }

  /**
   * The options of every connection. Among them {@code plan_cache_mode = force_custom_plan} (unless
   * the URL sets it), so that PostgreSQL plans each execution of a prepared statement for its own
   * parameters and the table as it is now. With the default ({@code auto}) a connection switches,
   * from its sixth execution of a statement, to one generic plan that it keeps until something
   * invalidates it (DDL, or an ANALYZE or VACUUM of the table). On a new or small table that plan
   * reads the whole table (a hash join of a batch's arrays over a sequential scan; adoption and
   * purge by sequential scan too), cheaper then than an index; the table grows, nothing (no
   * autovacuum, or not yet) invalidates the plan, and every execution goes on reading every row: in
   * a benchmark with autovacuum off, nearly one sequential scan per batched UPDATE, 147 buffers read
   * per row written, and the server's CPU growing with the table (#6). A custom plan costs a
   * planning per execution (some 0.1 to 0.2 ms for a batch, shared by its rows).
   */
  static PgConnectOptions connectOptions(PostgresSettings settings, SharedStoreSettings shared) {
    PgConnectOptions options = settings.connectOptions()
        .setPipeliningLimit(settings.pipeliningLimit())
        .setCachePreparedStatements(true);
    if (!options.getProperties().containsKey("application_name")) {
      options.addProperty("application_name", "covenant-coordinator");
    }
    if (settings.schema() != null) {
      options.addProperty("search_path", settings.schema());
    }
    if (!options.getProperties().containsKey("statement_timeout")) {
      options.addProperty("statement_timeout", Long.toString(shared.timeout().toMillis()));
    }
    if (!options.getProperties().containsKey("plan_cache_mode")) {
      options.addProperty("plan_cache_mode", "force_custom_plan");
    }
    return options;
  }

  /** Applies what is missing, in one transaction under the migration lock. Returns the versions applied. */
  private static Future<List<Integer>> migrate(SqlConnection conn, PostgresSettings settings, Migrations migrations, String where) {
    return conn.begin().compose(tx -> {
      List<Integer> applied = new ArrayList<>();
      // "already exists, skipping" notices are expected on every start but the first: keep them out of the log.
      Future<?> steps = conn.query("SET LOCAL client_min_messages = warning").execute()
          .compose(r -> conn.query("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")").execute());
      if (settings.schema() != null) {
        steps = steps.compose(r -> conn.query("CREATE SCHEMA IF NOT EXISTS " + settings.schema()).execute());
      }
      steps = steps
          .compose(r -> conn.query(CREATE_VERSION_TABLE).execute())
          .compose(r -> readApplied(conn))
          .compose(done -> {
            warnUnknown(migrations, done, where);
            Future<?> chain = Future.succeededFuture();
            for (Migrations.Migration m : migrations.pending(done, where)) {
              chain = chain
                  .compose(r -> conn.query(m.sql()).execute())
                  .compose(r -> conn.preparedQuery("INSERT INTO " + Migrations.VERSION_TABLE
                      + " (version, description, applied_at, checksum) VALUES ($1, $2, now(), $3)")
                      .execute(Tuple.of(m.version(), m.description(), m.checksum())))
                  .map(r -> {
                    log.atInfo().addKeyValue("location", settings.location()).addKeyValue("file", m.path())
                        .log("applied schema migration");
                    applied.add(m.version());
                    return r;
                  });
            }
            return chain;
          });
      return steps
          .compose(r -> tx.commit())
          .map(v -> applied)
          .recover(e -> tx.rollback().transform(ignored -> Future.failedFuture(new CovenantException(
              ErrorCode.STORE_UNAVAILABLE, "migrating the schema of " + where + " failed: " + SqlTx.describe(e), null, e))));
    });
  }

  /** Without migrating: checks that every migration was applied. */
  private static Future<List<Integer>> check(SqlConnection conn, Migrations migrations, String where) {
    return readApplied(conn)
        .recover(e -> e instanceof PgException pe && "42P01".equals(pe.getSqlState()) // no version table
            ? Future.succeededFuture(List.of())
            : Future.failedFuture(e))
        .map(done -> {
          warnUnknown(migrations, done, where);
          List<Migrations.Migration> pending = migrations.pending(done, where);
          if (!pending.isEmpty()) {
            throw migrations.notMigrated(pending, where, "store.postgres.migrate");
          }
          return List.<Integer>of();
        })
        .recover(e -> Future.failedFuture(SqlTx.unavailable(where, "checking the schema", null, e)));
  }

  /**
   * A commit is durable when it answers only if {@code synchronous_commit} is not {@code off}: the
   * write-ahead rule depends on it, so say so loudly when the server is set otherwise.
   */
  private static Future<Void> warnIfNotDurable(SqlConnection conn, PostgresSettings settings) {
    return conn.query("SHOW synchronous_commit").execute().map(rows -> {
      String mode = rows.iterator().next().getString(0);
      if ("off".equalsIgnoreCase(mode)) {
        log.atWarn().addKeyValue("location", settings.location()).addKeyValue("synchronous_commit", mode)
            .log("synchronous_commit is off: a write the store reports durable can be lost if PostgreSQL crashes");
      }
      return (Void) null;
    }).recover(e -> Future.succeededFuture());
  }

  private static Future<List<Migrations.Applied>> readApplied(SqlConnection conn) {
    return conn.query("SELECT version, checksum FROM " + Migrations.VERSION_TABLE).execute().map(rows -> {
      List<Migrations.Applied> done = new ArrayList<>();
      for (Row r : rows) {
        done.add(new Migrations.Applied(r.getInteger(0), r.getString(1)));
      }
      return done;
    });
  }

  private static void warnUnknown(Migrations migrations, List<Migrations.Applied> done, String where) {
    List<Integer> unknown = migrations.unknown(done);
    if (!unknown.isEmpty()) {
      log.atWarn().addKeyValue("location", where).addKeyValue("versions", unknown).addKeyValue("known", migrations.latest())
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

  /** PostgreSQL text cannot hold NUL: refuse such a gid alone rather than fail the batch it would share. */
  private static CovenantException refuseGid(String gid) {
    return gid.indexOf('\0') < 0 ? null
        : new CovenantException(ErrorCode.INVALID_REQUEST, "the postgres store cannot keep a gid with a NUL character", null);
  }

  /**
   * Runs one batch on a connection of its own: its creates as one statement, its updates as
   * another, both sent at once; the connection goes back to {@link #writers} when both are
   * answered (and, for updates that lost, explained).
   */
  private Future<Void> writeBatch(List<Write> batch) {
    List<Write> creates = new ArrayList<>();
    List<Write> updates = new ArrayList<>();
    for (Write w : batch) {
      (w.isCreate() ? creates : updates).add(w);
    }
    return writeConnection().transform(ar -> {
      if (ar.failed()) {
        failAll(batch, "getting a connection for " + batch.size() + " write(s)", ar.cause(), false);
        return Future.succeededFuture();
      }
      SqlConnection conn = ar.result();
      List<Future<Void>> parts = new ArrayList<>(2);
      if (!creates.isEmpty()) {
        parts.add(insert(conn, creates));
      }
      if (!updates.isEmpty()) {
        parts.add(update(conn, updates));
      }
      return Future.join(parts).<Void>mapEmpty().eventually(conn::close);
    });
  }

  /**
   * A connection of {@link #writers}, waited for no longer than a statement. With at most
   * {@code poolSize} batches in flight, one connection each, a batch finds one free or has one
   * opened; it waits for another batch's only when that batch ended at its bound while its
   * statement still held the connection. A connection that comes after the bound goes back unused.
   */
  private Future<SqlConnection> writeConnection() {
    return bounded(writers.getConnection(), "getting a connection", SqlConnection::close);
  }

  private Future<Void> insert(SqlClient conn, List<Write> creates) {
    creates.sort(Comparator.comparing(Write::gid));
    int n = creates.size();
    String[] gids = new String[n];
    String[] modes = new String[n];
    String[] statuses = new String[n];
    Long[] versions = new Long[n];
    OffsetDateTime[] created = new OffsetDateTime[n];
    OffsetDateTime[] updated = new OffsetDateTime[n];
    Integer[] stuck = new Integer[n];
    Buffer[] bodies = new Buffer[n];
    Long[] terms = new Long[n];
    for (int i = 0; i < n; i++) {
      terms[i] = creates.get(i).term();
      GlobalTx tx = creates.get(i).tx();
      gids[i] = tx.gid();
      modes[i] = tx.mode().code();
      statuses[i] = tx.status().code();
      versions[i] = tx.version();
      created[i] = time(tx.createdAt());
      updated[i] = time(tx.updatedAt());
      stuck[i] = SqlTx.stuckAttempts(tx);
      bodies[i] = Buffer.buffer(creates.get(i).body());
    }
    return bounded(conn.preparedQuery(INSERT)
        .execute(tuple(gids, modes, statuses, versions, created, updated, stuck, bodies, shared.instanceId(), terms)), "creating")
        .transform(ar -> {
          if (ar.failed()) {
            failAll(creates, "creating " + n + " transaction(s)", ar.cause(), true);
            return Future.succeededFuture();
          }
          Set<String> inserted = gidsOf(ar.result());
          for (Write w : creates) {
            if (inserted.contains(w.gid())) {
              w.succeed();
            } else {
              w.fail(SqlTx.gidConflict(w.gid()));
            }
          }
          return Future.succeededFuture();
        });
  }

  private Future<Void> update(SqlClient conn, List<Write> updates) {
    updates.sort(Comparator.comparing(Write::gid));
    int n = updates.size();
    String[] gids = new String[n];
    Long[] expected = new Long[n];
    String[] statuses = new String[n];
    Long[] versions = new Long[n];
    OffsetDateTime[] updated = new OffsetDateTime[n];
    Integer[] stuck = new Integer[n];
    Buffer[] bodies = new Buffer[n];
    Boolean[] take = new Boolean[n];
    Long[] terms = new Long[n];
    for (int i = 0; i < n; i++) {
      Write w = updates.get(i);
      take[i] = w.isTakeOver();
      terms[i] = w.term();
      GlobalTx tx = w.tx();
      gids[i] = tx.gid();
      expected[i] = w.expectedVersion();
      statuses[i] = tx.status().code();
      versions[i] = tx.version();
      updated[i] = time(tx.updatedAt());
      stuck[i] = SqlTx.stuckAttempts(tx);
      bodies[i] = Buffer.buffer(w.body());
    }
    return bounded(conn.preparedQuery(UPDATE)
        .execute(tuple(gids, expected, statuses, versions, updated, stuck, bodies, take, shared.instanceId(), terms)), "updating")
        .transform(ar -> {
          if (ar.failed()) {
            failAll(updates, "updating " + n + " transaction(s)", ar.cause(), true);
            return Future.succeededFuture();
          }
          Set<String> won = gidsOf(ar.result());
          List<Write> lost = new ArrayList<>();
          for (Write w : updates) {
            if (won.contains(w.gid())) {
              w.succeed();
            } else {
              lost.add(w);
            }
          }
          return lost.isEmpty() ? Future.<Void>succeededFuture() : explainLosers(conn, lost);
        });
  }

  /** Tells apart, for updates that matched no row, a stale version, another owner, a missing transaction. */
  private Future<Void> explainLosers(SqlClient conn, List<Write> lost) {
    String[] gids = lost.stream().map(Write::gid).toArray(String[]::new);
    return bounded(conn.preparedQuery(VERSIONS).execute(tuple((Object) gids)), "reading versions").transform(ar -> {
      if (ar.failed()) {
        failAll(lost, "reading the versions of " + lost.size() + " transaction(s)", ar.cause(), false);
        return Future.succeededFuture();
      }
      Map<String, Row> stored = new HashMap<>();
      for (Row r : ar.result()) {
        stored.put(r.getString(0), r);
      }
      for (Write w : lost) {
        Row r = stored.get(w.gid());
        if (r == null) {
          w.fail(SqlTx.notFound(w.gid()));
        } else if (r.getLong(1) != w.expectedVersion()) {
          w.fail(SqlTx.concurrentUpdate(w.gid(), r.getLong(1), w.expectedVersion()));
        } else {
          w.fail(SqlTx.ownedByAnother(w.gid(), r.getString(2), r.getLong(3), w.term()));
        }
      }
      return Future.succeededFuture();
    });
  }

  /**
   * Fails every write. {@code mayHaveWritten} is false when the database cannot have applied them:
   * no connection was had, or they are updates that matched no row.
   */
  private void failAll(List<Write> writes, String what, Throwable cause, boolean mayHaveWritten) {
    // One line, no stack trace: while the database is down every batch fails, and says the same.
    log.atWarn().addKeyValue("location", settings.location()).addKeyValue("writes", writes.size())
        .addKeyValue("error", SqlTx.describe(cause))
        .log(mayHaveWritten ? "postgres write failed; its outcome is unknown" : "postgres write failed; nothing was written");
    for (Write w : writes) {
      w.fail(SqlTx.unavailable(where, what, w.gid(), cause));
    }
  }

  private static Set<String> gidsOf(RowSet<Row> rows) {
    Set<String> gids = new HashSet<>();
    for (Row r : rows) {
      gids.add(r.getString(0));
    }
    return gids;
  }

  // --- reads ----------------------------------------------------------------------------------

  @Override
  public Future<Optional<GlobalTx>> find(String gid) {
    return read("reading gid " + gid, FIND, tuple(gid), rows -> {
      for (Row r : rows) {
        return Optional.of(decode(r));
      }
      return Optional.empty();
    });
  }

  @Override
  public Future<List<GlobalTx>> loadUnfinished() {
    return read("loading unfinished transactions", LOAD_UNFINISHED, Tuple.of(term.epoch()), this::decodeAll);
  }

  @Override
  public Future<Optional<GlobalTx>> findOwned(String gid) {
    return read("reading gid " + gid, FIND_OWNED, Tuple.of(gid, term.epoch()), rows -> {
      for (Row r : rows) {
        return Optional.of(decode(r));
      }
      return Optional.empty();
    });
  }

  // --- ownership ------------------------------------------------------------------------------

  @Override
  public boolean isShared() {
    return true;
  }

  @Override
  public Future<Boolean> heartbeat() {
    if (term.expired()) {
      return register(client, shared).transform(ar -> {
        if (ar.failed()) {
          return Future.failedFuture(SqlTx.unavailable(where, "beginning a new term", null, ar.cause()));
        }
        term.began(ar.result());
        return Future.succeededFuture(true);
      });
    }
    long current = term.epoch();
    return read("renewing the lease of epoch " + current, HEARTBEAT, Tuple.of(current, shared.heartbeatExpiry().toMillis()),
        RowSet::rowCount).map(renewed -> term.renewal(current, renewed == 1));
  }

  @Override
  public Future<List<GlobalTx>> adoptOrphans(int max) {
    if (max <= 0) {
      return Future.succeededFuture(List.of());
    }
    long expiry = shared.heartbeatExpiry().toMillis();
    long current = term.epoch();
    return read("finding expired coordinators", DEAD_TERMS, Tuple.of(expiry), rows -> {
      List<Long> dead = new ArrayList<>();
      rows.forEach(r -> dead.add(r.getLong(0)));
      return dead.toArray(Long[]::new);
    }).compose(dead -> read("adopting orphaned transactions", ADOPT_FROM,
        tuple(shared.instanceId(), current, dead, max), this::decodeAll))
        .compose(adopted -> {
          if (adopted.size() >= max) {
            return Future.succeededFuture(adopted);
          }
          Future<List<GlobalTx>> swept = Future.succeededFuture(List.of());
          if (sweeps.due()) {
            swept = read("sweeping for orphaned transactions", SWEEP,
                Tuple.of(shared.instanceId(), current, expiry, max - adopted.size()), this::decodeAll);
          }
          return swept.compose(more -> read("forgetting expired coordinators", REAP, Tuple.of(expiry), RowSet::rowCount)
              .map(reaped -> {
                List<GlobalTx> all = new ArrayList<>(adopted);
                all.addAll(more);
                return all;
              }));
        });
  }

  @Override
  public Future<Void> resign() {
    long current = term.epoch();
    return read("ending the term of epoch " + current, RESIGN, Tuple.of(current),
        RowSet::rowCount).map(n -> {
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
    StringBuilder sql = new StringBuilder("SELECT body FROM ").append(TABLE).append(" WHERE true");
    Tuple params = Tuple.tuple();
    boolean onlyUnfinished = Boolean.TRUE.equals(q.stuck())
        || (!q.statuses().isEmpty() && q.statuses().stream().noneMatch(GlobalStatus::isFinished));
    if (onlyUnfinished) {
      sql.append(" AND ").append(UNFINISHED); // lets the planner use the partial index
    }
    if (!q.statuses().isEmpty()) {
      params.addValue(q.statuses().stream().map(GlobalStatus::code).toArray(String[]::new));
      sql.append(" AND status = ANY($").append(params.size()).append("::text[])");
    }
    if (q.mode() != null) {
      params.addValue(q.mode().code());
      sql.append(" AND mode = $").append(params.size());
    }
    if (q.stuck() != null) {
      params.addValue(SqlTx.stuckThreshold(q.stuckAfterAttempts()));
      sql.append(" AND stuck_attempts ").append(q.stuck() ? ">=" : "<").append(" $").append(params.size()).append("::int4");
    }
    if (q.createdBefore() != null) {
      params.addValue(time(q.createdBefore()));
      sql.append(" AND created_at < $").append(params.size());
    }
    if (q.cursor() != null) {
      SqlTx.Cursor after;
      try {
        after = SqlTx.parseCursor(q.cursor());
      } catch (CovenantException e) {
        return Future.failedFuture(e);
      }
      params.addValue(time(after.createdAt()));
      params.addValue(after.gid());
      sql.append(" AND (created_at, gid) > ($").append(params.size() - 1).append(", $").append(params.size()).append(")");
    }
    params.addValue((long) q.limit() + 1);
    sql.append(" ORDER BY created_at, gid LIMIT $").append(params.size());
    return read("listing transactions", sql.toString(), params, rows -> {
      List<GlobalTx> items = decodeAll(rows);
      if (items.size() <= q.limit()) {
        return new TxPage(items, null);
      }
      List<GlobalTx> page = items.subList(0, q.limit());
      return new TxPage(List.copyOf(page), SqlTx.cursorAfter(page.get(page.size() - 1)));
    });
  }

  @Override
  public Future<Integer> purgeFinished(Instant finishedBefore, int keepAtMost, int max) {
    if (max <= 0) {
      return Future.succeededFuture(0);
    }
    return read("purging finished transactions", PURGE, tuple(time(finishedBefore), keepAtMost, max), RowSet::rowCount);
  }

  private <T> Future<T> read(String what, String sql, Tuple params, java.util.function.Function<RowSet<Row>, T> mapper) {
    if (closed) {
      return Future.failedFuture(new CovenantException(ErrorCode.STORE_UNAVAILABLE, "postgres store is closed"));
    }
    return bounded(client.preparedQuery(sql).execute(params), what).transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(SqlTx.unavailable(where, what, null, ar.cause()));
      }
      try {
        return Future.succeededFuture(mapper.apply(ar.result()));
      } catch (RuntimeException e) {
        return Future.failedFuture(SqlTx.unavailable(where, what, null, e));
      }
    });
  }

  private GlobalTx decode(Row r) {
    return SqlTx.decode(r.getBuffer(0).getBytes(), where);
  }

  private List<GlobalTx> decodeAll(RowSet<Row> rows) {
    List<GlobalTx> txs = new ArrayList<>(rows.size());
    for (Row r : rows) {
      txs.add(decode(r));
    }
    return txs;
  }

  /**
   * Refuses new writes, lets the writes already accepted finish (their futures complete as the
   * database answers), then closes both pools' connections. Idempotent.
   */
  @Override
  public synchronized Future<Void> close() {
    if (closing == null) {
      closed = true;
      closing = batcher.close()
          .compose(v -> closeBoth(client, writers))
          .andThen(ar -> log.atInfo().addKeyValue("location", settings.location())
              .addKeyValue("writes", batcher.writes()).addKeyValue("batches", batcher.batches())
              .log("postgres store closed"));
    }
    return closing;
  }

  /** Runs {@code sql} on a connection of the write batches' pool, for tests that look into those sessions. */
  Future<RowSet<Row>> onWriteConnection(String sql) {
    return writers.withConnection(conn -> conn.query(sql).execute());
  }

  /** Runs {@code sql} on the pipelined client (one connection when nothing else is in flight), for tests. */
  Future<RowSet<Row>> onClient(String sql) {
    return client.query(sql).execute();
  }

  /** Batches sent so far; with {@link #writes()}, how well writes were coalesced. */
  long batches() {
    return batcher.batches();
  }

  long writes() {
    return batcher.writes();
  }

  private static OffsetDateTime time(Instant t) {
    return OffsetDateTime.ofInstant(SqlTx.column(t), ZoneOffset.UTC);
  }

  /** A tuple of exactly these values (arrays stay single values, unlike {@code Tuple.of}'s varargs). */
  private static Tuple tuple(Object... values) {
    Tuple t = Tuple.tuple();
    for (Object v : values) {
      t.addValue(v);
    }
    return t;
  }
}
