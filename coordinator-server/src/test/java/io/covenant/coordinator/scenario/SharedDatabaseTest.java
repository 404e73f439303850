package io.covenant.coordinator.scenario;

import static io.covenant.coordinator.testkit.Api.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.covenant.coordinator.testkit.TestParticipant;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Two coordinators on one database (issue #3), end to end, on PostgreSQL and on MariaDB: the
 * survivor of a crash in the middle of phase 2 finishes every transaction of the crashed one; a
 * coordinator paused past its lease cannot overwrite what the adopter holds; the requests of one
 * transaction may reach either coordinator (a load balancer) and it still ends once, atomically.
 *
 * <p>Leases here are short (250 ms heartbeats, 1.5 s expiry) so that adoption happens within a
 * test; each test works in a fresh schema (PostgreSQL) or database (MariaDB) and drops it.
 */
class SharedDatabaseTest {
  static final Duration BOUND = Duration.ofSeconds(60);

  // --- a crash in the middle of phase 2 --------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @EnumSource(TestDb.Kind.class)
  void theSurvivorFinishesEveryTransactionOfACoordinatorThatCrashedInPhaseTwo(TestDb.Kind database) throws Exception {
    try (TestDb db = database.open()) {
      survivorFinishesEverything(db);
    }
  }

  /**
   * Four clients send TCC transactions and sagas, each request to either coordinator at random (a
   * load balancer). Once a stream is going, the participant holds every confirm and saga action
   * (phase 2 and saga steps stall in flight), more transactions are acknowledged, then A crashes.
   * The participant lets go; B adopts A's transactions when A's lease expires and finishes them.
   */
  private static void survivorFinishesEverything(TestDb db) throws Exception {
    Map<String, String> acknowledged = new ConcurrentHashMap<>(); // gid -> committed | rolled_back | saga
    try (TestParticipant p = TestParticipant.start()) {
      TestCoordinator a = TestCoordinator.with(db.config("a"));
      TestCoordinator b = TestCoordinator.with(db.config("b"));
      ExecutorService clients = Executors.newFixedThreadPool(4);
      try {
        List<Api> both = List.of(new Api(a.baseUrl()), new Api(b.baseUrl()));
        AtomicBoolean running = new AtomicBoolean(true);
        List<java.util.concurrent.Future<?>> load = new ArrayList<>();
        long seed = System.nanoTime();
        for (int c = 0; c < 4; c++) {
          Random random = new Random(seed + c);
          load.add(clients.submit(() -> stream(both, p, random, running, acknowledged)));
        }
        await().atMost(BOUND).until(() -> acknowledged.size() >= 20);
        p.hold("confirm");
        p.hold("action");
        int target = acknowledged.size() + 20;
        await().atMost(BOUND).until(() -> acknowledged.size() >= target);
        a.crash();                                                        // mid phase 2, abruptly
        long stalledOnA = db.unfinishedOf("a");
        running.set(false);
        for (var f : load) {
          f.get(60, TimeUnit.SECONDS);
        }
        p.release("confirm");
        p.release("action");
        assertThat(stalledOnA).as("A's unfinished transactions when it crashed").isPositive();
        await().atMost(BOUND).until(() -> b.coordinator().registry().get("covenant.ownership.changes")
            .tag("change", "adopted").counter().count() >= 1);

        assertEveryTransactionEndedAtomically(db, both.get(1), p, acknowledged, seed);
      } finally {
        clients.shutdownNow();
        a.close(); // after a crash: returns the crash's outcome
        b.close();
      }
    }
  }

  /**
   * Once nothing is left unfinished in the store: every acknowledged transaction ended as it was
   * acknowledged (sagas either way), and no branch was both confirmed and cancelled.
   */
  static void assertEveryTransactionEndedAtomically(TestDb db, Api api, TestParticipant p, Map<String, String> acknowledged,
      long seed) throws Exception {
    try {
      await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).until(() -> db.unfinished() == 0);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("seed " + seed + ": still unfinished: " + db.describeUnfinished(), e);
    }
    for (Map.Entry<String, String> e : acknowledged.entrySet()) {
      String gid = e.getKey();
      String status = api.statusOf(gid);
      assertThat(status).as("seed %d gid %s", seed, gid).isIn("committed", "rolled_back");
      if (!e.getValue().equals("saga")) {
        assertThat(status).as("seed %d gid %s", seed, gid).isEqualTo(e.getValue());
      }
      List<String> ops = p.calls(gid).stream().map(TestParticipant.Received::op).distinct().toList();
      if (status.equals("committed")) {
        assertThat(ops).as("seed %d gid %s", seed, gid).doesNotContain("cancel", "compensate");
      } else {
        assertThat(ops).as("seed %d gid %s", seed, gid).doesNotContain("confirm");
      }
    }
  }

  /**
   * One client: TCC transactions (three in four committed) and 3-step sagas, each request to one of
   * {@code coordinators} at random, until told to stop. A request that fails (a coordinator down,
   * 503) leaves its transaction unacknowledged; the TCC ones time out after 5 s.
   */
  static void stream(List<Api> coordinators, TestParticipant p, Random random, AtomicBoolean running,
      Map<String, String> acknowledged) {
    while (running.get()) {
      try {
        if (random.nextBoolean()) {
          String gid = pick(coordinators, random).begin("tcc", 5_000);
          for (String b : List.of("stock", "account")) {
            expect(pick(coordinators, random).register(gid, b, "confirm", p.url(b + "/confirm"), "cancel", p.url(b + "/cancel")), 201);
          }
          boolean commit = random.nextInt(4) > 0;
          Api decider = pick(coordinators, random);
          expect(commit ? decider.commit(gid) : decider.rollback(gid), 200);
          acknowledged.put(gid, commit ? "committed" : "rolled_back");
        } else {
          ObjectNode saga = Api.object();
          var steps = saga.putArray("steps");
          for (String s : List.of("reserve", "charge", "ship")) {
            steps.addObject().put("name", s).put("action", p.url(s + "/action")).put("compensation", p.url(s + "/undo"));
          }
          String gid = expect(pick(coordinators, random).post("/v1/sagas", saga), 201).body().get("gid").asText();
          acknowledged.put(gid, "saga");
        }
      } catch (AssertionError refusedOrDown) {
        // a coordinator died mid-request, or the transaction timed out: nothing was acknowledged
      }
    }
  }

  static Api pick(List<Api> coordinators, Random random) {
    return coordinators.get(random.nextInt(coordinators.size()));
  }

  // --- fencing a paused coordinator ------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @EnumSource(TestDb.Kind.class)
  void aCoordinatorPausedPastItsLeaseCannotOverwriteTheAdopter(TestDb.Kind database) throws Exception {
    try (TestDb db = database.open()) {
      pausedOwnerIsFenced(db);
    }
  }

  /**
   * A begins a TCC transaction and freezes (a long GC pause) before its deadline. B adopts it when
   * A's lease expires, without changing it, and then freezes in turn. A wakes after the deadline:
   * its timeout fires and it tries to roll back from the version that is still the stored one. The
   * owner epoch refuses that write, so the transaction stays active and A calls nobody; A drops
   * it. When B wakes it rolls back the transaction itself, and the branch is cancelled once.
   */
  private static void pausedOwnerIsFenced(TestDb db) throws Exception {
    try (TestParticipant p = TestParticipant.start()) {
      TestCoordinator a = TestCoordinator.with(db.config("a"));
      TestCoordinator b = TestCoordinator.with(db.config("b"));
      try {
        Api viaA = new Api(a.baseUrl());
        Api viaB = new Api(b.baseUrl());
        long timeoutMillis = 3_000;
        String gid = viaA.begin("tcc", timeoutMillis);
        Instant deadline = Instant.now().plusMillis(timeoutMillis);
        expect(viaA.register(gid, "stock", "confirm", p.url("stock/confirm"), "cancel", p.url("stock/cancel")), 201);
        assertThat(db.ownerOf(gid)).isEqualTo("a");

        join(a.coordinator().pause());
        await().atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(() -> "b".equals(db.ownerOf(gid)));
        join(b.coordinator().pause());
        await().atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(() -> Instant.now().isAfter(deadline.plusMillis(200)));

        join(a.coordinator().resume());                       // A's timeout fires: a late rollback
        await().atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(() -> live(a) == 0);
        assertThat(db.statusOf(gid)).as("A's late rollback was refused").isEqualTo("active");
        assertThat(db.ownerOf(gid)).isEqualTo("b");
        assertThat(p.calls(gid)).as("A called nobody").isEmpty();

        join(b.coordinator().resume());
        await().atMost(BOUND).until(() -> "rolled_back".equals(viaA.statusOf(gid)));
        assertThat(p.trace(gid)).containsExactly("stock:cancel");

        // A goes on under a new term: it still begins and finishes transactions.
        String next = viaA.begin("tcc", 30_000);
        expect(viaA.register(next, "stock", "confirm", p.url("stock/confirm"), "cancel", p.url("stock/cancel")), 201);
        expect(viaA.commit(next), 200);
        await().atMost(BOUND).until(() -> "committed".equals(viaB.statusOf(next)));
      } finally {
        a.close();
        b.close();
      }
    }
  }

  private static double live(TestCoordinator c) throws Exception {
    join(c.coordinator().refreshGauges());
    return c.coordinator().registry().get("covenant.transactions.live").gauge().value();
  }

  private static <T> T join(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  // --- a load balancer in front ----------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @EnumSource(TestDb.Kind.class)
  void requestsOfOneTransactionMayReachEitherCoordinator(TestDb.Kind database) throws Exception {
    try (TestDb db = database.open()) {
      requestsAlternate(db);
    }
  }

  /**
   * Begin on A, register on B, register on A, commit on B: each request lands on a coordinator
   * that holds a stale copy or none, is applied to the stored state and written as a take-over.
   * The coordinator that wrote the decision (B) drives phase 2; A, holding a stale copy, is refused
   * at its next write and drops it. Each branch is confirmed, none cancelled.
   */
  private static void requestsAlternate(TestDb db) throws Exception {
    try (TestParticipant p = TestParticipant.start()) {
      TestCoordinator a = TestCoordinator.with(db.config("a"));
      TestCoordinator b = TestCoordinator.with(db.config("b"));
      try {
        Api viaA = new Api(a.baseUrl());
        Api viaB = new Api(b.baseUrl());
        String gid = viaA.begin("tcc", 2_000);
        expect(viaB.register(gid, "stock", "confirm", p.url("stock/confirm"), "cancel", p.url("stock/cancel")), 201);
        assertThat(db.ownerOf(gid)).isEqualTo("b");
        expect(viaA.register(gid, "account", "confirm", p.url("account/confirm"), "cancel", p.url("account/cancel")), 201);
        assertThat(db.ownerOf(gid)).isEqualTo("a");
        JsonNode decided = expect(viaB.commit(gid), 200).body();
        assertThat(decided.get("status").asText()).isIn("committing", "committed");
        expect(viaA.commit(gid), 200); // a repeat, on the other coordinator: the same answer

        await().atMost(BOUND).until(() -> "committed".equals(viaA.statusOf(gid)));
        assertThat(db.ownerOf(gid)).isEqualTo("b");
        assertThat(viaB.transaction(gid).body().get("branches")).extracting(x -> x.get("status").asText())
            .containsOnly("confirmed");
        // A's stale copy was refused at the repeated commit and dropped; nothing is cancelled.
        await().atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(() -> live(a) == 0);
        assertThat(viaB.statusOf(gid)).isEqualTo("committed");
        assertThat(p.calls(gid).stream().map(TestParticipant.Received::op)).containsOnly("confirm");
        assertThat(p.count(gid, "stock", "confirm")).isEqualTo(1);
        assertThat(p.count(gid, "account", "confirm")).isEqualTo(1);
      } finally {
        a.close();
        b.close();
      }
    }
  }
}
