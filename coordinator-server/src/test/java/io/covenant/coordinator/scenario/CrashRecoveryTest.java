package io.covenant.coordinator.scenario;

import static io.covenant.coordinator.testkit.Api.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.covenant.coordinator.testkit.TestParticipant;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream of TCC and saga transactions, the coordinator crashed in the middle of it and restarted
 * on the same journal: every acknowledged transaction ends, each as decided, and no branch receives
 * both sides of a decision. A failure prints its seed; {@code -Dcovenant.seed=N} replays the same
 * workload (the timing of real HTTP and fsync is not replayed: that is the simulation's job).
 */
class CrashRecoveryTest {
  @TempDir Path dir;

  @Test
  void everyAcknowledgedTransactionEndsAtomicallyAfterACrashInTheMiddleOfAStream() throws Exception {
    long seed = Long.getLong("covenant.seed", System.nanoTime());
    Random random = new Random(seed);
    try (TestParticipant p = TestParticipant.start()) {
      TestCoordinator coordinator = TestCoordinator.journal(dir);
      Api api = new Api(coordinator.baseUrl());
      Map<String, String> expected = new HashMap<>(); // gid -> committed | rolled_back
      List<String> sagas = new ArrayList<>();
      p.answer("flaky", "confirm", 503, 503);
      for (int i = 0; i < 40; i++) {
        if (random.nextBoolean()) {
          String gid = api.begin("tcc", 60_000);
          for (String b : List.of("stock", "account", "flaky")) {
            expect(api.register(gid, b, "confirm", p.url(b + "/confirm"), "cancel", p.url(b + "/cancel")), 201);
          }
          boolean commit = random.nextInt(3) > 0;
          expect(commit ? api.commit(gid) : api.rollback(gid), 200);
          expected.put(gid, commit ? "committed" : "rolled_back");
        } else {
          ObjectNode saga = Api.object();
          var steps = saga.putArray("steps");
          boolean refuse = random.nextInt(4) == 0;
          for (int s = 1; s <= 3; s++) {
            String name = (refuse && s == 3) ? "refuse-" + i : "s" + s;
            steps.addObject().put("name", name).put("action", p.url(name + "/action"))
                .put("compensation", p.url(name + "/compensate"));
          }
          if (refuse) {
            p.refuse("refuse-" + i, "action"); // sticky: a repeat after the crash is refused again
          }
          String gid = expect(api.post("/v1/sagas", saga), 201).body().get("gid").asText();
          expected.put(gid, refuse ? "rolled_back" : "committed");
          sagas.add(gid);
        }
      }
      coordinator.crash();
      coordinator = coordinator.restart();
      api.baseUrl(coordinator.baseUrl());
      try {
        for (Map.Entry<String, String> e : expected.entrySet()) {
          String gid = e.getKey();
          await().atMost(Duration.ofSeconds(30)).untilAsserted(
              () -> assertThat(api.statusOf(gid)).as("gid %s (seed %d)", gid, seed).isEqualTo(e.getValue()));
          List<String> ops = p.calls(gid).stream().map(TestParticipant.Received::op).distinct().toList();
          if (e.getValue().equals("committed")) {
            assertThat(ops).as("gid %s (seed %d)", gid, seed).doesNotContain("cancel", "compensate");
          } else {
            assertThat(ops).as("gid %s (seed %d)", gid, seed).doesNotContain("confirm");
          }
        }
      } finally {
        coordinator.close();
      }
    }
  }
}
