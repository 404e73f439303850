package io.covenant.client.barrier;

import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.client.ParticipantDispatcher;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import io.covenant.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every (barrier rows already there × incoming op) case, in both modes, on the real PostgreSQL and
 * MariaDB (or MySQL): the answer the dispatcher gives, whether the business change happened, and the
 * barrier rows afterwards. A row is written {@code slot:origin:state}; {@code try:cancel:done} is the
 * marker a cancel leaves when it finds no try. The cases follow the table in {@link Barrier}'s header.
 */
class BarrierRulesTest {
  private static final int OK = 200;
  private static final int REFUSED = 409;
  private static final int CONFLICT = 500;

  private static final Map<TestDatabase.Kind, TestDatabase> databases = new EnumMap<>(TestDatabase.Kind.class);

  /** One case: the rows before, the op, the answer, whether the body ran, the rows after. */
  record Case(String name, Set<String> before, Op op, int status, boolean runs, Set<String> after) {
    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void createDatabases() throws SQLException {
    for (TestDatabase.Kind kind : TestDatabase.Kind.values()) {
      TestDatabase db = TestDatabase.create(kind, 4);
      databases.put(kind, db);
      Barrier.builder(db.dataSource()).createTable(true).build();
      db.execute("CREATE TABLE effects (gid VARCHAR(255) NOT NULL, branch_id VARCHAR(255) NOT NULL, op VARCHAR(16) NOT NULL)");
    }
  }

  @AfterAll
  static void dropDatabases() throws SQLException {
    for (TestDatabase db : databases.values()) {
      db.close();
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (TestDatabase.Kind kind : TestDatabase.Kind.values()) {
      for (BarrierMode mode : BarrierMode.values()) {
        for (Case c : table()) {
          all.add(Arguments.of(kind, mode, c));
        }
      }
    }
    return all.stream();
  }

  /** The same for both modes: OUTSIDE_EFFECTS differs in how a try gets there, not in where it ends. */
  static List<Case> table() {
    Set<String> none = Set.of();
    Set<String> tried = Set.of("try:try:done");
    Set<String> trying = Set.of("try:try:trying");
    Set<String> confirmed = Set.of("try:try:done", "confirm:confirm:done");
    Set<String> cancelled = Set.of("try:try:done", "cancel:cancel:done");
    Set<String> cancelledWhileTrying = Set.of("try:try:trying", "cancel:cancel:done");
    Set<String> nullCompensated = Set.of("try:cancel:done", "cancel:cancel:done");
    Set<String> acted = Set.of("action:action:done");
    Set<String> acting = Set.of("action:action:trying");
    Set<String> compensated = Set.of("action:action:done", "compensate:compensate:done");
    Set<String> nullCompensatedSaga = Set.of("action:compensate:done", "compensate:compensate:done");
    Set<String> committed = Set.of("commit:commit:done");
    Set<String> rolledBack = Set.of("rollback:rollback:done");
    return List.of(
        // TCC: try
        new Case("try on nothing runs", none, Op.TRY, OK, true, tried),
        new Case("try repeated is skipped", tried, Op.TRY, OK, false, tried),
        new Case("try after an unfinished try runs again", trying, Op.TRY, OK, true, tried),
        new Case("try after confirm is skipped", confirmed, Op.TRY, OK, false, confirmed),
        new Case("try after its cancel is refused", cancelled, Op.TRY, REFUSED, false, cancelled),
        new Case("try after cancel of an unfinished try is refused", cancelledWhileTrying, Op.TRY, REFUSED, false,
            cancelledWhileTrying),
        new Case("try after a null compensation is refused", nullCompensated, Op.TRY, REFUSED, false, nullCompensated),
        // TCC: confirm
        new Case("confirm without a try is a conflict", none, Op.CONFIRM, CONFLICT, false, none),
        new Case("confirm after try runs", tried, Op.CONFIRM, OK, true, confirmed),
        new Case("confirm of an unfinished try is a conflict", trying, Op.CONFIRM, CONFLICT, false, trying),
        new Case("confirm repeated is skipped", confirmed, Op.CONFIRM, OK, false, confirmed),
        new Case("confirm after cancel is a conflict", cancelled, Op.CONFIRM, CONFLICT, false, cancelled),
        new Case("confirm after cancel of an unfinished try is a conflict", cancelledWhileTrying, Op.CONFIRM, CONFLICT,
            false, cancelledWhileTrying),
        new Case("confirm after a null compensation is a conflict", nullCompensated, Op.CONFIRM, CONFLICT, false,
            nullCompensated),
        // TCC: cancel
        new Case("cancel without a try records a null compensation", none, Op.CANCEL, OK, false, nullCompensated),
        new Case("cancel after try runs", tried, Op.CANCEL, OK, true, cancelled),
        new Case("cancel of an unfinished try runs the real cancel", trying, Op.CANCEL, OK, true, cancelledWhileTrying),
        new Case("cancel after confirm is a conflict", confirmed, Op.CANCEL, CONFLICT, false, confirmed),
        new Case("cancel repeated is skipped", cancelled, Op.CANCEL, OK, false, cancelled),
        new Case("cancel repeated after an unfinished try is skipped", cancelledWhileTrying, Op.CANCEL, OK, false,
            cancelledWhileTrying),
        new Case("cancel repeated after a null compensation is skipped", nullCompensated, Op.CANCEL, OK, false,
            nullCompensated),
        // Saga: action and compensate work as try and cancel
        new Case("action on nothing runs", none, Op.ACTION, OK, true, acted),
        new Case("action repeated is skipped", acted, Op.ACTION, OK, false, acted),
        new Case("action after an unfinished action runs again", acting, Op.ACTION, OK, true, acted),
        new Case("action after its compensation is refused", compensated, Op.ACTION, REFUSED, false, compensated),
        new Case("action after a null compensation is refused", nullCompensatedSaga, Op.ACTION, REFUSED, false,
            nullCompensatedSaga),
        new Case("compensate without an action records a null compensation", none, Op.COMPENSATE, OK, false,
            nullCompensatedSaga),
        new Case("compensate after action runs", acted, Op.COMPENSATE, OK, true, compensated),
        new Case("compensate of an unfinished action runs", acting, Op.COMPENSATE, OK, true,
            Set.of("action:action:trying", "compensate:compensate:done")),
        new Case("compensate repeated is skipped", compensated, Op.COMPENSATE, OK, false, compensated),
        // 2PC: the prepare is the participant's own, before registration
        new Case("commit runs", none, Op.COMMIT, OK, true, committed),
        new Case("commit repeated is skipped", committed, Op.COMMIT, OK, false, committed),
        new Case("commit after rollback is a conflict", rolledBack, Op.COMMIT, CONFLICT, false, rolledBack),
        new Case("rollback runs", none, Op.ROLLBACK, OK, true, rolledBack),
        new Case("rollback repeated is skipped", rolledBack, Op.ROLLBACK, OK, false, rolledBack),
        new Case("rollback after commit is a conflict", committed, Op.ROLLBACK, CONFLICT, false, committed));
  }

  @ParameterizedTest(name = "{0} {1}: {2}")
  @MethodSource("cases")
  void answersAndChangesAsTheRulesSay(TestDatabase.Kind kind, BarrierMode mode, Case c) throws Exception {
    TestDatabase db = databases.get(kind);
    Barrier barrier = Barrier.builder(db.dataSource()).mode(mode).build();
    String gid = "gid-" + UUID.randomUUID();
    String branch = "stock";
    for (String row : c.before()) {
      String[] parts = row.split(":");
      db.execute("INSERT INTO " + Barrier.DEFAULT_TABLE + " (gid, branch_id, op, origin, state) VALUES ('" + gid
          + "', '" + branch + "', '" + parts[0] + "', '" + parts[1] + "', '" + parts[2] + "')");
    }
    ParticipantDispatcher dispatcher = ParticipantDispatcher.builder()
        .on("stock", c.op(), barrier.handler((call, connection) -> {
          try (PreparedStatement insert = connection.prepareStatement(
              "INSERT INTO effects (gid, branch_id, op) VALUES (?, ?, ?)")) {
            insert.setString(1, call.gid());
            insert.setString(2, call.branchId());
            insert.setString(3, call.op().code());
            insert.executeUpdate();
          }
        }))
        .build();

    ParticipantDispatcher.Response answer = dispatcher.handle(
        Map.of(Headers.GID, gid, Headers.BRANCH, branch, Headers.OP, c.op().code()), new byte[0], "/stock");

    assertThat(answer.status()).as("answer: %s", answer.bodyText()).isEqualTo(c.status());
    assertThat(effects(db, gid)).isEqualTo(c.runs() ? 1 : 0);
    assertThat(rows(db, gid)).isEqualTo(new TreeSet<>(c.after()));
  }

  private static int effects(TestDatabase db, String gid) throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM effects WHERE gid = ?")) {
      s.setString(1, gid);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  static Set<String> rows(TestDatabase db, String gid) throws SQLException {
    Set<String> rows = new TreeSet<>();
    try (Connection c = db.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
        "SELECT op, origin, state FROM " + Barrier.DEFAULT_TABLE + " WHERE gid = ?")) {
      s.setString(1, gid);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          rows.add(rs.getString(1) + ":" + rs.getString(2) + ":" + rs.getString(3));
        }
      }
    }
    return rows;
  }
}
