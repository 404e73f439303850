package io.covenant.coordinator.scenario;

import static io.covenant.coordinator.testkit.Api.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TcpProxy;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.covenant.coordinator.testkit.TestParticipant;
import java.time.Duration;
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
 * The database goes away while a coordinator runs (issue #3): a {@link TcpProxy} between the
 * coordinator and the real PostgreSQL or MariaDB closes every connection and refuses new ones,
 * for longer than the coordinator's lease, under a stream of TCC transactions and sagas. While it
 * is cut, requests are answered {@code 503 store-unavailable} (problem+json, retryable) within the
 * store timeout; once it heals, the coordinator takes requests again by itself, and every
 * transaction it acknowledged, before or after the cut, ends as acknowledged and atomically.
 */
class DatabaseOutageTest {
  static final Duration BOUND = Duration.ofSeconds(90);
  static final Duration STORE_TIMEOUT = Duration.ofSeconds(2);

  @ParameterizedTest(name = "{0}")
  @EnumSource(TestDb.Kind.class)
  void nothingAcknowledgedIsLostAcrossACutAndWorkResumesWhenItHeals(TestDb.Kind database) throws Exception {
    try (TestDb db = database.open()) {
      ridesOutACut(db);
    }
  }

  private static void ridesOutACut(TestDb db) throws Exception {
    Map<String, String> acknowledged = new ConcurrentHashMap<>();
    try (TcpProxy proxy = TcpProxy.to(db.host(), db.port()); TestParticipant p = TestParticipant.start()) {
      CoordinatorConfig config = db.config("solo", proxy.port()).toBuilder().sqlTimeout(STORE_TIMEOUT).build();
      TestCoordinator coordinator = TestCoordinator.with(config);
      ExecutorService clients = Executors.newFixedThreadPool(4);
      try {
        Api api = new Api(coordinator.baseUrl());
        AtomicBoolean running = new AtomicBoolean(true);
        List<java.util.concurrent.Future<?>> load = new ArrayList<>();
        long seed = System.nanoTime();
        for (int c = 0; c < 4; c++) {
          Random random = new Random(seed + c);
          load.add(clients.submit(() -> SharedDatabaseTest.stream(List.of(api), p, random, running, acknowledged)));
        }
        await().atMost(BOUND).until(() -> acknowledged.size() >= 20);
        String before = acknowledged.keySet().iterator().next();

        proxy.cut();
        Api.Response begin = api.post("/v1/transactions", Api.object().put("mode", "tcc").put("timeoutMillis", 5_000));
        assertStoreUnavailable(begin);
        assertStoreUnavailable(api.transaction(before));
        // Down for longer than the lease: the coordinator's term expires while it cannot renew it.
        await().atMost(BOUND).pollDelay(TestDb.EXPIRY.multipliedBy(2)).until(() -> proxy.refused() > 0);
        int acknowledgedDuringCut = acknowledged.size();

        proxy.heal();
        await().atMost(BOUND).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
            .until(() -> api.transaction(before).status() == 200);
        await().atMost(BOUND).until(() -> acknowledged.size() >= acknowledgedDuringCut + 20); // new work is taken again
        running.set(false);
        for (var f : load) {
          f.get(60, TimeUnit.SECONDS);
        }

        SharedDatabaseTest.assertEveryTransactionEndedAtomically(db, api, p, acknowledged, seed);
        expect(api.get("/health/ready"), 200);
      } finally {
        clients.shutdownNow();
        coordinator.close();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(TestDb.Kind.class)
  void aHalfOpenConnectionCannotHangRequests(TestDb.Kind database) throws Exception {
    try (TestDb db = database.open()) {
      answersThroughAHalfOpenConnection(db);
    }
  }

  /**
   * The database vanishes without closing anything: every byte is swallowed. Requests are still
   * answered, {@code 503 store-unavailable}, within a few store timeouts, because statements and
   * silent connections time out; once the network is back, so is the coordinator.
   */
  private static void answersThroughAHalfOpenConnection(TestDb db) throws Exception {
    Duration timeout = Duration.ofSeconds(1);
    try (TcpProxy proxy = TcpProxy.to(db.host(), db.port()); TestParticipant p = TestParticipant.start()) {
      CoordinatorConfig config = db.config("solo", proxy.port()).toBuilder().sqlTimeout(timeout).build();
      TestCoordinator coordinator = TestCoordinator.with(config);
      try {
        Api api = new Api(coordinator.baseUrl());
        String gid = api.begin("tcc", 60_000);
        expect(api.register(gid, "stock", "confirm", p.url("stock/confirm"), "cancel", p.url("stock/cancel")), 201);

        proxy.freeze();
        long started = System.nanoTime();
        assertStoreUnavailable(api.post("/v1/transactions", Api.object().put("mode", "tcc")));
        assertStoreUnavailable(api.commit(gid));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("two answers while frozen")
            .isLessThan(Duration.ofSeconds(9)); // each within a few timeouts; Api gives up at 10 s

        proxy.heal();
        await().atMost(BOUND).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
            .until(() -> api.commit(gid).status() == 200);
        await().atMost(BOUND).until(() -> "committed".equals(api.statusOf(gid)));
        assertThat(p.trace(gid)).containsOnly("stock:confirm");
      } finally {
        coordinator.close();
      }
    }
  }

  private static void assertStoreUnavailable(Api.Response r) {
    assertThat(r.status()).as(r.raw()).isEqualTo(503);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.problemType()).endsWith("store-unavailable");
    assertThat(r.body().get("retryable").asBoolean()).isTrue();
  }
}
