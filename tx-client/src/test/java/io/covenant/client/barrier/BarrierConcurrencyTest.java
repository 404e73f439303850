package io.covenant.client.barrier;

import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.client.BusinessRefusal;
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
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The barrier under concurrency, on the real PostgreSQL and MariaDB: many threads delivering the
 * same call at once run its body exactly once, and a try racing its cancel never leaves a
 * reservation behind (a try effect with a null cancel, the suspended reservation).
 */
class BarrierConcurrencyTest {
  private static final int THREADS = 12;
  private static final int RACE_ROUNDS = 60;
  private static final Map<TestDatabase.Kind, TestDatabase> databases = new EnumMap<>(TestDatabase.Kind.class);
  private ExecutorService pool;

  @BeforeAll
  static void createDatabases() throws SQLException {
    for (TestDatabase.Kind kind : TestDatabase.Kind.values()) {
      TestDatabase db = TestDatabase.create(kind, THREADS + 2);
      databases.put(kind, db);
      Barrier.builder(db.dataSource()).createTable(true).build();
      db.execute("CREATE TABLE reservations (gid VARCHAR(255) NOT NULL, qty INT NOT NULL)",
          "CREATE TABLE body_runs (gid VARCHAR(255) NOT NULL, op VARCHAR(16) NOT NULL)");
    }
  }

  @AfterAll
  static void dropDatabases() throws SQLException {
    for (TestDatabase db : databases.values()) {
      db.close();
    }
  }

  @BeforeEach
  void startPool() {
    pool = Executors.newFixedThreadPool(THREADS);
  }

  @AfterEach
  void stopPool() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
  }

  static List<Arguments> databasesAndModes() {
    List<Arguments> all = new ArrayList<>();
    for (TestDatabase.Kind kind : TestDatabase.Kind.values()) {
      for (BarrierMode mode : BarrierMode.values()) {
        all.add(Arguments.of(kind, mode));
      }
    }
    return all;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("databasesAndModes")
  void concurrentDuplicatesOfEachOpRunTheBodyExactlyOnce(TestDatabase.Kind kind, BarrierMode mode) throws Exception {
    Barrier barrier = Barrier.builder(databases.get(kind).dataSource()).mode(mode).build();
    String gid = "dup-" + UUID.randomUUID();
    for (Op op : List.of(Op.TRY, Op.CONFIRM)) {
      List<BarrierOutcome> outcomes = all(barrier, gid, op);
      assertThat(outcomes).filteredOn(o -> o == BarrierOutcome.RAN).hasSize(1);
      assertThat(outcomes).filteredOn(o -> o == BarrierOutcome.REPEATED).hasSize(THREADS - 1);
      assertThat(bodyRuns(kind, gid, op)).isEqualTo(1);
    }
    String cancelled = "dup-" + UUID.randomUUID();
    all(barrier, cancelled, Op.TRY);
    List<BarrierOutcome> cancels = all(barrier, cancelled, Op.CANCEL);
    assertThat(cancels).filteredOn(o -> o == BarrierOutcome.RAN).hasSize(1);
    assertThat(bodyRuns(kind, cancelled, Op.CANCEL)).isEqualTo(1);
    assertThat(reserved(kind, cancelled)).isZero();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("databasesAndModes")
  void concurrentCancelsWithoutATryRecordOneNullCompensation(TestDatabase.Kind kind, BarrierMode mode)
      throws Exception {
    Barrier barrier = Barrier.builder(databases.get(kind).dataSource()).mode(mode).build();
    String gid = "dup-" + UUID.randomUUID();
    List<BarrierOutcome> outcomes = all(barrier, gid, Op.CANCEL);
    assertThat(outcomes).filteredOn(o -> o == BarrierOutcome.NULL_COMPENSATION).hasSize(1);
    assertThat(outcomes).filteredOn(o -> o == BarrierOutcome.REPEATED).hasSize(THREADS - 1);
    assertThat(bodyRuns(kind, gid, Op.CANCEL)).isZero();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("databasesAndModes")
  void aTryRacingItsCancelNeverLeavesASuspendedReservation(TestDatabase.Kind kind, BarrierMode mode)
      throws Exception {
    Barrier barrier = Barrier.builder(databases.get(kind).dataSource()).mode(mode).build();
    AtomicInteger tryWonRounds = new AtomicInteger();
    AtomicInteger cancelWonRounds = new AtomicInteger();
    for (int round = 0; round < RACE_ROUNDS; round++) {
      String gid = "race-" + round + "-" + UUID.randomUUID();
      CountDownLatch start = new CountDownLatch(1);
      Future<Object> tryCall = pool.submit(() -> {
        start.await();
        try {
          return call(barrier, gid, Op.TRY);
        } catch (BranchCancelled refused) {
          return refused;
        }
      });
      Future<Object> cancelCall = pool.submit(() -> {
        start.await();
        return call(barrier, gid, Op.CANCEL);
      });
      start.countDown();
      Object tried = tryCall.get(30, TimeUnit.SECONDS);
      Object cancelled = cancelCall.get(30, TimeUnit.SECONDS);

      assertThat(reserved(kind, gid)).as("round %d: try %s, cancel %s", round, tried, cancelled).isZero();
      if (tried == BarrierOutcome.RAN) {
        assertThat(cancelled).as("round %d: the try ran, so the cancel must undo it", round)
            .isEqualTo(BarrierOutcome.RAN);
        tryWonRounds.incrementAndGet();
      } else {
        assertThat(tried).as("round %d", round).isInstanceOf(BusinessRefusal.class);
        assertThat(cancelled).as("round %d", round).isIn(BarrierOutcome.NULL_COMPENSATION, BarrierOutcome.RAN);
        cancelWonRounds.incrementAndGet();
      }
    }
    assertThat(tryWonRounds.get() + cancelWonRounds.get()).isEqualTo(RACE_ROUNDS);
  }

  private List<BarrierOutcome> all(Barrier barrier, String gid, Op op) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<BarrierOutcome>> futures = new ArrayList<>();
    for (int i = 0; i < THREADS; i++) {
      Callable<BarrierOutcome> task = () -> {
        start.await();
        return call(barrier, gid, op);
      };
      futures.add(pool.submit(task));
    }
    start.countDown();
    List<BarrierOutcome> outcomes = new ArrayList<>();
    for (Future<BarrierOutcome> f : futures) {
      outcomes.add(f.get(60, TimeUnit.SECONDS));
    }
    return outcomes;
  }

  /** A stock participant: try reserves 1, confirm and cancel end the reservation; each run is counted. */
  private static BarrierOutcome call(Barrier barrier, String gid, Op op) throws Exception {
    return barrier.run(gid, "stock", op, connection -> {
      update(connection, "INSERT INTO body_runs (gid, op) VALUES (?, '" + op.code() + "')", gid);
      switch (op) {
        case TRY -> update(connection, "INSERT INTO reservations (gid, qty) VALUES (?, 1)", gid);
        case CONFIRM, CANCEL -> update(connection, "DELETE FROM reservations WHERE gid = ?", gid);
        default -> throw new IllegalArgumentException(op.code());
      }
    });
  }

  private static void update(Connection connection, String sql, String gid) throws SQLException {
    try (PreparedStatement s = connection.prepareStatement(sql)) {
      s.setString(1, gid);
      s.executeUpdate();
    }
  }

  private static int bodyRuns(TestDatabase.Kind kind, String gid, Op op) throws SQLException {
    return count(kind, "SELECT COUNT(*) FROM body_runs WHERE gid = ? AND op = '" + op.code() + "'", gid);
  }

  private static int reserved(TestDatabase.Kind kind, String gid) throws SQLException {
    return count(kind, "SELECT COUNT(*) FROM reservations WHERE gid = ?", gid);
  }

  private static int count(TestDatabase.Kind kind, String sql, String gid) throws SQLException {
    try (Connection c = databases.get(kind).dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, gid);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
