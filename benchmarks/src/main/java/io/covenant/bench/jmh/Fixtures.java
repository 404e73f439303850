package io.covenant.bench.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.Core;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.core.RetryPolicy;
import io.covenant.coordinator.http.Json;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.BranchView;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.TransactionView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The transactions the JMH benchmarks work on, shaped like the load generator's: a 3-step saga
 * (one step done) and a 2-branch TCC transaction, with 128-byte payloads and loopback URLs.
 */
final class Fixtures {
  static final Instant T0 = Instant.parse("2026-11-25T10:15:30.123456789Z");
  static final String PAYLOAD = "{\"data\":\"" + "x".repeat(117) + "\"}";

  private Fixtures() {}

  static Core core() {
    return new Core(new Core.Policy(new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(30)), 100, 5));
  }

  /** A 3-step saga as submitted: every step pending, each depending on the one before. */
  static GlobalTx saga3(String gid) {
    List<Branch> steps = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      steps.add(Branch.step("b" + i, "http://127.0.0.1:4010" + i + "/ok/action", "http://127.0.0.1:4010" + i + "/ok/compensate",
          PAYLOAD, i == 0 ? List.of() : List.of("b" + (i - 1)), false, 5, null));
    }
    return new GlobalTx(gid, Mode.SAGA, GlobalStatus.ACTIVE, T0, T0, null, null, 1, steps);
  }

  /** The same saga after its first step succeeded (what the journal writes on the second update). */
  static GlobalTx saga3FirstStepDone(String gid) {
    GlobalTx tx = saga3(gid);
    List<Branch> steps = new ArrayList<>(tx.branches());
    Branch b = steps.get(0);
    steps.set(0, new Branch(b.id(), BranchStatus.SUCCEEDED, b.forwardUrl(), b.backwardUrl(), b.payload(), b.dependsOn(),
        b.pivot(), b.attemptsMax(), b.callTimeout(), 0, null, null));
    return new GlobalTx(gid, Mode.SAGA, GlobalStatus.ACTIVE, T0, T0.plusMillis(2), null, null, 2, steps);
  }

  /** An active TCC transaction with two registered branches. */
  static GlobalTx tcc2(String gid) {
    List<Branch> branches = List.of(
        Branch.registered("b0", "http://127.0.0.1:40100/ok/confirm", "http://127.0.0.1:40100/ok/cancel", PAYLOAD),
        Branch.registered("b1", "http://127.0.0.1:40101/ok/confirm", "http://127.0.0.1:40101/ok/cancel", PAYLOAD));
    return new GlobalTx(gid, Mode.TCC, GlobalStatus.ACTIVE, T0, T0, T0.plusSeconds(60), null, 3, branches);
  }

  /** {@code tx} with the version and time of its next change, as the engine's update would write it. */
  static GlobalTx nextVersion(GlobalTx tx) {
    return new GlobalTx(tx.gid(), tx.mode(), tx.status(), tx.createdAt(), tx.updatedAt().plusNanos(1000), tx.deadline(),
        tx.reason(), tx.version() + 1, tx.branches());
  }

  /** The API view of {@code tx}, built as the coordinator's {@code Views} does. */
  static TransactionView view(GlobalTx tx) {
    List<BranchView> branches = new ArrayList<>();
    boolean saga = tx.mode() == Mode.SAGA;
    for (Branch b : tx.branches()) {
      JsonNode payload;
      try {
        payload = b.payload() == null ? null : Json.mapper().readTree(b.payload());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      branches.add(new BranchView(b.id(), b.status(), b.forwardUrl(), b.backwardUrl(), payload,
          saga ? b.dependsOn() : null, saga ? b.pivot() : null, b.attempts(), b.lastError(), b.nextAttemptAt(),
          b.resolution(), null));
    }
    return new TransactionView(tx.gid(), tx.mode(), tx.status(), tx.createdAt(), tx.updatedAt(),
        tx.status() == GlobalStatus.ACTIVE ? tx.deadline() : null, tx.reason(), false, branches);
  }
}
