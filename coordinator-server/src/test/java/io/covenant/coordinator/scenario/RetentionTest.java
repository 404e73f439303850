package io.covenant.coordinator.scenario;

import static io.covenant.coordinator.testkit.Api.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.covenant.coordinator.testkit.TestParticipant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Finished transactions are forgotten once {@code retention.finished} has passed (issue #3), by
 * every coordinator sharing the database, each purge a short statement of at most a batch; the
 * unfinished ones and the recently finished ones stay. The store contract checks the batches
 * ({@code purgeForgetsOnlyFinishedTransactionsOlderThanTheCutoffAtMostMaxAtATime}).
 */
class RetentionTest {
  static final Duration BOUND = Duration.ofSeconds(30);

  @ParameterizedTest(name = "{0}")
  @EnumSource(TestDb.Kind.class)
  void finishedTransactionsArePurgedAfterTheRetentionAndUnfinishedOnesStay(TestDb.Kind database) throws Exception {
    try (TestDb db = database.open()) {
      purges(db);
    }
  }

  private static void purges(TestDb db) throws Exception {
    Duration retention = Duration.ofSeconds(1);
    try (TestParticipant p = TestParticipant.start()) {
      TestCoordinator a = TestCoordinator.with(db.config("a").toBuilder()
          .retentionFinished(retention).retentionPurgeInterval(Duration.ofMillis(100)).build());
      TestCoordinator b = TestCoordinator.with(db.config("b").toBuilder()
          .retentionFinished(retention).retentionPurgeInterval(Duration.ofMillis(100)).build());
      try {
        Api viaA = new Api(a.baseUrl());
        Api viaB = new Api(b.baseUrl());
        List<String> finished = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          Api api = i % 2 == 0 ? viaA : viaB;
          String gid = api.begin("tcc", 60_000);
          expect(api.register(gid, "stock", "confirm", p.url("stock/confirm"), "cancel", p.url("stock/cancel")), 201);
          expect(i % 3 == 0 ? api.rollback(gid) : api.commit(gid), 200);
          finished.add(gid);
        }
        String open = viaA.begin("tcc", 60_000);
        expect(viaA.register(open, "stock", "confirm", p.url("stock/confirm"), "cancel", p.url("stock/cancel")), 201);
        // Only finished transactions are purged, so all of them gone means all of them finished first.
        await().atMost(BOUND).pollInterval(Duration.ofMillis(100))
            .until(() -> finished.stream().allMatch(gid -> viaA.transaction(gid).status() == 404));
        assertThat(viaB.transaction(finished.get(0)).problemType()).endsWith("transaction-not-found");
        assertThat(viaA.statusOf(open)).isEqualTo("active");
        assertThat(db.unfinished()).isEqualTo(1);

        // A purged gid may be begun again.
        String reused = finished.get(1);
        Api.Response again = viaB.post("/v1/transactions", Api.object().put("gid", reused).put("mode", "tcc"));
        expect(again, 201);
      } finally {
        a.close();
        b.close();
      }
    }
  }
}
