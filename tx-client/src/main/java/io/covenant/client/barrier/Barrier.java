package io.covenant.client.barrier;

import io.covenant.client.ParticipantCall;
import io.covenant.client.ParticipantHandler;
import io.covenant.protocol.Op;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The branch barrier: makes a participant's work safe against the repeated and reordered calls the
 * coordinator (and the network) may deliver, by recording each (gid, branch, op) in a table of the
 * participant's own database, <em>in the same local transaction as the business change</em>.
 *
 * <pre>{@code
 * Barrier barrier = Barrier.builder(dataSource).createTable(true).build();
 * ParticipantDispatcher stock = ParticipantDispatcher.builder()
 *     .on("stock", Op.TRY, barrier.handler((call, db) -> reserve(db, call.gid(), call.payloadAs(Order.class))))
 *     .on("stock", Op.CONFIRM, barrier.handler((call, db) -> commitReservation(db, call.gid())))
 *     .on("stock", Op.CANCEL, barrier.handler((call, db) -> release(db, call.gid())))
 *     .build();
 * }</pre>
 *
 * <h2>Algorithm</h2>
 * Each op has a slot; an insert-if-absent ({@code INSERT … ON CONFLICT DO NOTHING} on PostgreSQL,
 * {@code INSERT IGNORE} on MySQL), whose affected-row count says whether the row is new, claims it.
 * The unique key makes concurrent claims of one slot wait for each other, so exactly one wins.
 * <table>
 *   <caption>What each op does (TCC names; a saga's action and compensate work as try and cancel)</caption>
 *   <tr><th>Op</th><th>Claims</th><th>Then</th></tr>
 *   <tr><td>try</td><td>try slot</td><td>new: run the body. Taken by the try itself: a repeat, skip. Taken by a
 *       cancel's marker, or a cancel row exists: refuse ({@link BranchCancelled}, 409).</td></tr>
 *   <tr><td>cancel</td><td>try slot as a marker, then cancel slot</td><td>marker new: nothing was tried; record the
 *       cancel and skip (null compensation). Cancel slot taken: a repeat, skip. A confirm row exists:
 *       {@link BarrierConflict}. Otherwise run the body (the real cancel).</td></tr>
 *   <tr><td>confirm</td><td>confirm slot</td><td>taken: a repeat, skip. A cancel row exists, or the try never
 *       completed: {@link BarrierConflict}. Otherwise run the body.</td></tr>
 *   <tr><td>commit / rollback (2PC)</td><td>own slot</td><td>taken: a repeat, skip. The other one's row exists:
 *       {@link BarrierConflict}. Otherwise run the body. (The prepare happened before the branch was
 *       registered, outside the barrier, so there is no null compensation.)</td></tr>
 * </table>
 * Whenever the body does not run, it answers success as well ({@link BarrierOutcome}), except for
 * the refusal and the conflicts above.
 *
 * <h2>Hazards</h2>
 * <ul>
 *   <li><b>The limit.</b> The barrier protects only effects made through the connection it hands to
 *       the body. A try that also acts elsewhere needs {@link BarrierMode#OUTSIDE_EFFECTS}.</li>
 *   <li><b>Stale reads.</b> After a claim finds its slot taken, the branch's rows are read with
 *       locking reads in statements of their own, at READ COMMITTED (set on the connections the
 *       barrier opens), so they see what the winner of the claim committed, not an older
 *       snapshot.</li>
 *   <li><b>Deadlocks.</b> A deadlock or serialization failure rolls the local transaction back and
 *       the whole run (body included) is attempted again, up to three times.</li>
 *   <li><b>Cleanup.</b> A row deleted by {@link #purgeOlderThan} no longer guards its branch: purge
 *       only rows older than any call of their transaction can still arrive.</li>
 * </ul>
 *
 * <p>Thread-safe and immutable; each {@code run} uses one connection of the data source, on the
 * calling thread.
 */
public final class Barrier {
  private static final Logger log = LoggerFactory.getLogger(Barrier.class);

  /** The table name of the shipped DDL. */
  public static final String DEFAULT_TABLE = "covenant_barrier";
  /** The longest gid and branch id the shipped table holds. */
  public static final int KEY_LENGTH_MAX = 255;

  static final String DONE = "done";
  static final String TRYING = "trying";
  private static final int ATTEMPTS_MAX = 3;
  private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

  private final DataSource dataSource;
  private final SqlDialect dialect;
  private final String table;
  private final BarrierMode mode;
  private final int purgeBatchSize;

  private Barrier(DataSource dataSource, SqlDialect dialect, String table, BarrierMode mode, int purgeBatchSize) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.table = table;
    this.mode = mode;
    this.purgeBatchSize = purgeBatchSize;
  }

  /** A barrier over the participant's own database; see {@link Builder} for the settings. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  public SqlDialect dialect() {
    return dialect;
  }

  public String table() {
    return table;
  }

  public BarrierMode mode() {
    return mode;
  }

  /** This barrier guarding tries in {@code mode}: e.g. {@code barrier.withMode(OUTSIDE_EFFECTS)} for one resource. */
  public Barrier withMode(BarrierMode mode) {
    return new Barrier(dataSource, dialect, table, Objects.requireNonNull(mode, "mode"), purgeBatchSize);
  }

  /**
   * A dispatcher handler whose work runs behind this barrier, in a local transaction of its own:
   * {@code .on("stock", Op.TRY, barrier.handler((call, db) -> …))}. See {@link #run(ParticipantCall, BarrierBody)}.
   */
  public ParticipantHandler handler(BarrierHandler handler) {
    Objects.requireNonNull(handler, "handler");
    return call -> run(call, connection -> handler.handle(call, connection));
  }

  /** {@link #run(String, String, Op, BarrierBody)} for a dispatcher's call. */
  public BarrierOutcome run(ParticipantCall call, BarrierBody body) throws Exception {
    return run(call.gid(), call.branchId(), call.op(), body);
  }

  /**
   * Runs {@code body} for one call unless the barrier says it must not run, in a local transaction
   * that this method opens on a connection of the data source and commits (or rolls back when
   * anything throws).
   *
   * @return whether the body ran, or why it did not; each answers success to the caller
   * @throws BranchCancelled for a try (action) whose branch was cancelled (compensated) already:
   *     nothing changed, answer 409
   * @throws BarrierConflict for a call that contradicts the branch's recorded outcome: nothing changed
   * @throws Exception what the body threw, after the rollback; or a {@link SQLException} of the
   *     barrier's own statements (the call may be retried)
   */
  public BarrierOutcome run(String gid, String branchId, Op op, BarrierBody body) throws Exception {
    Slots slots = Slots.of(checkKey(gid, "gid"), checkKey(branchId, "branchId"), Objects.requireNonNull(op, "op"));
    Objects.requireNonNull(body, "body");
    if (mode == BarrierMode.OUTSIDE_EFFECTS && slots.role() == Role.PREPARE) {
      // The trying row commits on its own first, so that a cancel sees that the try may have (partly) happened.
      inTransaction(connection -> insert(connection, slots.gid(), slots.branchId(), op, op, TRYING));
      return inTransaction(connection -> finishTrying(connection, slots, body));
    }
    return inTransaction(connection -> admitAndRun(connection, slots, body));
  }

  /**
   * Runs {@code body} for one call behind this barrier in <em>your</em> local transaction: the barrier
   * rows are written through {@code connection}, and you commit (or roll back) it together with your
   * other changes. If this throws, roll back. Only for {@link BarrierMode#LOCAL_EFFECTS}: the other
   * mode commits a row before the body, which needs a connection of its own.
   *
   * @param connection in a transaction (auto-commit off), at READ COMMITTED for PostgreSQL
   * @throws IllegalStateException when the connection is in auto-commit mode, or this barrier's mode
   *     is {@link BarrierMode#OUTSIDE_EFFECTS} and {@code op} is a try or action
   * @see #run(String, String, Op, BarrierBody) for the outcomes and the exceptions
   */
  public BarrierOutcome run(Connection connection, String gid, String branchId, Op op, BarrierBody body)
      throws Exception {
    Objects.requireNonNull(connection, "connection");
    Slots slots = Slots.of(checkKey(gid, "gid"), checkKey(branchId, "branchId"), Objects.requireNonNull(op, "op"));
    Objects.requireNonNull(body, "body");
    if (connection.getAutoCommit()) {
      throw new IllegalStateException("the barrier needs the connection in a transaction (setAutoCommit(false)):"
          + " its row must commit or roll back with the business change");
    }
    if (mode == BarrierMode.OUTSIDE_EFFECTS && slots.role() == Role.PREPARE) {
      throw new IllegalStateException("a " + op.code() + " in OUTSIDE_EFFECTS mode commits its trying row in a"
          + " transaction of its own; use run(gid, branchId, op, body), which takes connections from the data source");
    }
    return admitAndRun(connection, slots, body);
  }

  /**
   * Deletes barrier rows older than {@code age} (by the database's clock), in batches of
   * {@link Builder#purgeBatchSize} rows, each batch a short transaction of its own, until none is
   * left. Rows locked by a running call are skipped on PostgreSQL. Call it from a scheduler of yours,
   * e.g. once an hour with a week's age: a purged row no longer guards its branch, so the age must
   * exceed the longest time a call of the transaction may still arrive (its timeout plus the
   * coordinator's retries and retention).
   *
   * @return how many rows were deleted
   */
  public long purgeOlderThan(Duration age) throws SQLException {
    Objects.requireNonNull(age, "age");
    if (age.isNegative()) {
      throw new IllegalArgumentException("age must not be negative, was " + age);
    }
    long micros = age.toSeconds() * 1_000_000L + age.toNanosPart() / 1_000L;
    long total = 0;
    try (Connection connection = dataSource.getConnection()) {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(true);
      try (PreparedStatement delete = connection.prepareStatement(dialect.purgeBatch(table))) {
        int deleted;
        do {
          delete.setLong(1, micros);
          delete.setInt(2, purgeBatchSize);
          deleted = delete.executeUpdate();
          total += deleted;
        } while (deleted >= purgeBatchSize);
      } finally {
        connection.setAutoCommit(autoCommit);
      }
    }
    log.atDebug().addKeyValue("table", table).addKeyValue("deleted", total).addKeyValue("age", age)
        .log("purged old barrier rows");
    return total;
  }

  /** Creates the barrier table and its index if they do not exist, with the shipped DDL of the dialect. */
  public void createTable() throws SQLException {
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(true);
      try {
        for (String sql : ddlStatements(dialect, table)) {
          statement.execute(sql);
        }
      } finally {
        connection.setAutoCommit(autoCommit);
      }
    }
  }

  /** The statements of the shipped DDL, comments removed, for a table named {@code table}. */
  static List<String> ddlStatements(SqlDialect dialect, String table) {
    String simple = table.substring(table.indexOf('.') + 1);
    StringBuilder text = new StringBuilder();
    for (String line : dialect.ddl().split("\n")) {
      if (!line.strip().startsWith("--")) {
        text.append(line).append('\n');
      }
    }
    String named = text.toString()
        .replaceAll("\\b" + DEFAULT_TABLE + "_created_at\\b", simple + "_created_at")
        .replaceAll("\\b" + DEFAULT_TABLE + "\\b", table);
    List<String> statements = new ArrayList<>();
    for (String sql : named.split(";")) {
      if (!sql.isBlank()) {
        statements.add(sql.strip());
      }
    }
    return statements;
  }

  // --- the admission rules ---------------------------------------------------------------------

  private BarrierOutcome admitAndRun(Connection connection, Slots slots, BarrierBody body) throws Exception {
    BarrierOutcome outcome = switch (slots.role()) {
      case PREPARE -> admitPrepare(connection, slots);
      case UNDO -> admitUndo(connection, slots);
      case FINISH -> admitFinish(connection, slots);
    };
    if (outcome == BarrierOutcome.RAN) {
      body.run(connection);
    }
    logOutcome(slots, outcome);
    return outcome;
  }

  private BarrierOutcome admitPrepare(Connection connection, Slots slots) throws SQLException {
    Op op = slots.op();
    if (insert(connection, slots.gid(), slots.branchId(), op, op, DONE)) {
      return BarrierOutcome.RAN; // no cancel can exist: a cancel claims this slot first
    }
    Row prepared = lockSlot(connection, slots, op, false);
    Map<Op, Row> rows = readBranch(connection, slots);
    refuseIfCancelled(slots, prepared, rows);
    if (prepared != null && TRYING.equals(prepared.state())) {
      // An OUTSIDE_EFFECTS attempt that never finished: run it again, as that mode would.
      return finishTryingLocked(connection, slots) ? BarrierOutcome.RAN : BarrierOutcome.REPEATED;
    }
    return BarrierOutcome.REPEATED;
  }

  /** The second transaction of an OUTSIDE_EFFECTS try: its trying row is committed already. */
  private BarrierOutcome finishTrying(Connection connection, Slots slots, BarrierBody body) throws Exception {
    BarrierOutcome outcome = finishTryingLocked(connection, slots) ? BarrierOutcome.RAN : BarrierOutcome.REPEATED;
    if (outcome == BarrierOutcome.RAN) {
      body.run(connection);
    }
    logOutcome(slots, outcome);
    return outcome;
  }

  /** Locks the try slot exclusively; true when the body must run (and the slot is now marked done). */
  private boolean finishTryingLocked(Connection connection, Slots slots) throws SQLException {
    Row prepared = lockSlot(connection, slots, slots.op(), true);
    if (prepared == null) {
      throw new BarrierConflict(describe(slots) + ": its " + slots.op().code()
          + " row vanished while the call ran (purged too early?)");
    }
    refuseIfCancelled(slots, prepared, readBranch(connection, slots));
    if (DONE.equals(prepared.state())) {
      return false; // a concurrent duplicate finished it
    }
    try (PreparedStatement update = connection.prepareStatement(dialect.markDone(table))) {
      update.setString(1, slots.gid());
      update.setString(2, slots.branchId());
      update.setString(3, slots.op().code());
      update.executeUpdate();
    }
    return true;
  }

  private void refuseIfCancelled(Slots slots, Row prepared, Map<Op, Row> rows) {
    if (prepared != null && prepared.origin() != slots.op()) {
      throw new BranchCancelled(describe(slots) + " was " + pastTense(prepared.origin())
          + " before its " + slots.op().code() + " arrived; the " + slots.op().code() + " is refused");
    }
    if (rows.containsKey(slots.undo())) {
      throw new BranchCancelled(describe(slots) + " was " + pastTense(slots.undo()) + " already; the "
          + slots.op().code() + " is refused");
    }
  }

  private BarrierOutcome admitUndo(Connection connection, Slots slots) throws SQLException {
    Op op = slots.op();
    Op prepare = slots.prepare();
    if (prepare != null) {
      if (insert(connection, slots.gid(), slots.branchId(), prepare, op, DONE)) {
        insert(connection, slots.gid(), slots.branchId(), op, op, DONE);
        return BarrierOutcome.NULL_COMPENSATION;
      }
      // Waits for a try in OUTSIDE_EFFECTS mode that is still running, so that its outcome is seen.
      Row prepared = lockSlot(connection, slots, prepare, false);
      if (!insert(connection, slots.gid(), slots.branchId(), op, op, DONE)) {
        return BarrierOutcome.REPEATED;
      }
      if (prepared != null && prepared.origin() == op) {
        return BarrierOutcome.NULL_COMPENSATION; // an earlier null compensation whose own row was purged
      }
    } else if (!insert(connection, slots.gid(), slots.branchId(), op, op, DONE)) {
      return BarrierOutcome.REPEATED;
    }
    Map<Op, Row> rows = readBranch(connection, slots);
    if (slots.finish() != null && rows.containsKey(slots.finish())) {
      throw new BarrierConflict(describe(slots) + " was " + pastTense(slots.finish()) + " already; a "
          + op.code() + " cannot follow (a decision never changes), so it is not run");
    }
    return BarrierOutcome.RAN;
  }

  private BarrierOutcome admitFinish(Connection connection, Slots slots) throws SQLException {
    Op op = slots.op();
    if (!insert(connection, slots.gid(), slots.branchId(), op, op, DONE)) {
      return BarrierOutcome.REPEATED;
    }
    Row prepared = slots.prepare() == null ? null : lockSlot(connection, slots, slots.prepare(), false);
    Map<Op, Row> rows = readBranch(connection, slots);
    if (rows.containsKey(slots.undo())) {
      throw new BarrierConflict(describe(slots) + " was " + pastTense(slots.undo()) + " already; a "
          + op.code() + " cannot follow (a decision never changes), so it is not run");
    }
    if (slots.prepare() != null
        && (prepared == null || prepared.origin() != slots.prepare() || TRYING.equals(prepared.state()))) {
      throw new BarrierConflict(describe(slots) + ": " + op.code() + " before its " + slots.prepare().code()
          + " completed (" + (prepared == null ? "no " + slots.prepare().code() + " row" : "row " + prepared) + ")");
    }
    return BarrierOutcome.RAN;
  }

  // --- SQL ----------------------------------------------------------------------------------------

  private boolean insert(Connection connection, String gid, String branchId, Op slot, Op origin, String state)
      throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement(dialect.insertIfAbsent(table))) {
      insert.setString(1, gid);
      insert.setString(2, branchId);
      insert.setString(3, slot.code());
      insert.setString(4, origin.code());
      insert.setString(5, state);
      return insert.executeUpdate() > 0;
    }
  }

  private Row lockSlot(Connection connection, Slots slots, Op slot, boolean exclusive) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement(dialect.lockSlot(table, exclusive))) {
      select.setString(1, slots.gid());
      select.setString(2, slots.branchId());
      select.setString(3, slot.code());
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() ? new Row(slot, Op.fromCode(rs.getString(1)), rs.getString(2)) : null;
      }
    }
  }

  private Map<Op, Row> readBranch(Connection connection, Slots slots) throws SQLException {
    Map<Op, Row> rows = new EnumMap<>(Op.class);
    try (PreparedStatement select = connection.prepareStatement(dialect.readBranch(table))) {
      select.setString(1, slots.gid());
      select.setString(2, slots.branchId());
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          Op slot = Op.fromCode(rs.getString(1));
          rows.put(slot, new Row(slot, Op.fromCode(rs.getString(2)), rs.getString(3)));
        }
      }
    }
    return rows;
  }

  @FunctionalInterface
  private interface TransactionWork<T> {
    T run(Connection connection) throws Exception;
  }

  /** Runs {@code work} in a READ COMMITTED transaction of its own; again after a deadlock, up to three times. */
  private <T> T inTransaction(TransactionWork<T> work) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try (Connection connection = dataSource.getConnection()) {
        boolean autoCommit = connection.getAutoCommit();
        int isolation = connection.getTransactionIsolation();
        connection.setAutoCommit(false);
        connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        try {
          T result = work.run(connection);
          connection.commit();
          return result;
        } catch (Exception | Error failure) {
          try {
            connection.rollback();
          } catch (SQLException rollbackFailure) {
            failure.addSuppressed(rollbackFailure);
          }
          if (failure instanceof SQLException sql && dialect.isRetryable(sql) && attempt < ATTEMPTS_MAX) {
            log.atDebug().addKeyValue("attempt", attempt).addKeyValue("sqlState", sql.getSQLState())
                .log("barrier transaction hit a deadlock or serialization failure; running it again");
            continue;
          }
          throw failure;
        } finally {
          connection.setTransactionIsolation(isolation);
          connection.setAutoCommit(autoCommit);
        }
      }
    }
  }

  // --- helpers ------------------------------------------------------------------------------------

  private static String checkKey(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank() || value.length() > KEY_LENGTH_MAX) {
      throw new IllegalArgumentException(name + " must have 1 to " + KEY_LENGTH_MAX + " characters, was '"
          + (value.length() > 40 ? value.substring(0, 40) + "…" : value) + "' (" + value.length() + ")");
    }
    return value;
  }

  private static void logOutcome(Slots slots, BarrierOutcome outcome) {
    log.atDebug().addKeyValue("gid", slots.gid()).addKeyValue("branch", slots.branchId())
        .addKeyValue("op", slots.op().code()).addKeyValue("outcome", outcome).log("barrier");
  }

  private static String describe(Slots slots) {
    return "branch " + slots.branchId() + " of gid " + slots.gid();
  }

  private static String pastTense(Op op) {
    return switch (op) {
      case TRY -> "tried";
      case CONFIRM -> "confirmed";
      case CANCEL -> "cancelled";
      case ACTION -> "acted on";
      case COMPENSATE -> "compensated";
      case COMMIT -> "committed";
      case ROLLBACK -> "rolled back";
    };
  }

  /** The role of an op in its branch's life, and the slots of the other ops it is checked against. */
  enum Role { PREPARE, FINISH, UNDO }

  record Slots(String gid, String branchId, Op op, Role role, Op prepare, Op finish, Op undo) {
    static Slots of(String gid, String branchId, Op op) {
      return switch (op) {
        case TRY -> new Slots(gid, branchId, op, Role.PREPARE, Op.TRY, Op.CONFIRM, Op.CANCEL);
        case CONFIRM -> new Slots(gid, branchId, op, Role.FINISH, Op.TRY, Op.CONFIRM, Op.CANCEL);
        case CANCEL -> new Slots(gid, branchId, op, Role.UNDO, Op.TRY, Op.CONFIRM, Op.CANCEL);
        case ACTION -> new Slots(gid, branchId, op, Role.PREPARE, Op.ACTION, null, Op.COMPENSATE);
        case COMPENSATE -> new Slots(gid, branchId, op, Role.UNDO, Op.ACTION, null, Op.COMPENSATE);
        case COMMIT -> new Slots(gid, branchId, op, Role.FINISH, null, Op.COMMIT, Op.ROLLBACK);
        case ROLLBACK -> new Slots(gid, branchId, op, Role.UNDO, null, Op.COMMIT, Op.ROLLBACK);
      };
    }
  }

  /** One barrier row: its slot, the op of the call that wrote it, and its state. */
  record Row(Op slot, Op origin, String state) {}

  @Override
  public String toString() {
    return "Barrier{dialect=" + dialect + ", table=" + table + ", mode=" + mode + "}";
  }

  /**
   * Configures a {@link Barrier}.
   *
   * <table>
   *   <caption>Settings</caption>
   *   <tr><th>Setting</th><th>Default</th><th>Meaning</th></tr>
   *   <tr><td>{@code dialect}</td><td>from the database's metadata</td><td>{@link SqlDialect#POSTGRES} or {@link SqlDialect#MYSQL}</td></tr>
   *   <tr><td>{@code table}</td><td>{@value Barrier#DEFAULT_TABLE}</td><td>the barrier table, optionally {@code schema.table}</td></tr>
   *   <tr><td>{@code mode}</td><td>{@link BarrierMode#LOCAL_EFFECTS}</td><td>how tries are guarded</td></tr>
   *   <tr><td>{@code createTable}</td><td>false</td><td>create the table and index at {@code build()} if missing</td></tr>
   *   <tr><td>{@code purgeBatchSize}</td><td>1000</td><td>rows deleted per transaction by {@link Barrier#purgeOlderThan}</td></tr>
   * </table>
   */
  public static final class Builder {
    private final DataSource dataSource;
    private SqlDialect dialect;
    private String table = DEFAULT_TABLE;
    private BarrierMode mode = BarrierMode.LOCAL_EFFECTS;
    private boolean createTable;
    private int purgeBatchSize = 1000;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** The database's dialect; when not set, {@code build()} asks the database. */
    public Builder dialect(SqlDialect dialect) {
      this.dialect = Objects.requireNonNull(dialect, "dialect");
      return this;
    }

    /** The barrier table's name, {@code table} or {@code schema.table} (letters, digits and {@code _}). */
    public Builder table(String table) {
      Objects.requireNonNull(table, "table");
      if (!TABLE_NAME.matcher(table).matches()) {
        throw new IllegalArgumentException("table must be a plain SQL name, table or schema.table, was '" + table + "'");
      }
      this.table = table;
      return this;
    }

    public Builder mode(BarrierMode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** Whether {@code build()} creates the table and its index when they are missing (the shipped DDL). */
    public Builder createTable(boolean createTable) {
      this.createTable = createTable;
      return this;
    }

    public Builder purgeBatchSize(int purgeBatchSize) {
      if (purgeBatchSize < 1) {
        throw new IllegalArgumentException("purgeBatchSize must be at least 1, was " + purgeBatchSize);
      }
      this.purgeBatchSize = purgeBatchSize;
      return this;
    }

    /**
     * The barrier. Connects to the database once: to find the dialect when it is not set, and to
     * create the table ({@link #createTable}) or else check that it is there.
     *
     * @throws SQLException when the database cannot be reached or the table cannot be created
     * @throws IllegalStateException when the table is missing and {@code createTable} is off
     */
    public Barrier build() throws SQLException {
      SqlDialect d = dialect;
      try (Connection connection = dataSource.getConnection()) {
        if (d == null) {
          d = SqlDialect.of(connection.getMetaData());
        }
        if (!createTable) {
          checkTable(connection, d);
        }
      }
      Barrier barrier = new Barrier(dataSource, d, table, mode, purgeBatchSize);
      if (createTable) {
        barrier.createTable();
      }
      return barrier;
    }

    private void checkTable(Connection connection, SqlDialect d) throws SQLException {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(true);
      try (Statement probe = connection.createStatement()) {
        probe.executeQuery("SELECT gid, branch_id, op, origin, state, created_at FROM " + table + " WHERE 1 = 0")
            .close();
      } catch (SQLException missing) {
        throw new IllegalStateException("the barrier table " + table + " is missing or incomplete: apply "
            + d.ddlResource() + " (shipped in tx-client), or build with createTable(true); the database said: "
            + missing.getMessage(), missing);
      } finally {
        connection.setAutoCommit(autoCommit);
      }
    }
  }
}
