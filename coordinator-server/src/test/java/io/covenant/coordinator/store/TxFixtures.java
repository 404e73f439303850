package io.covenant.coordinator.store;

import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.core.RetryPolicy;
import io.covenant.coordinator.core.StepHttp;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds {@link GlobalTx} values for store tests through the public constructors only (the core's
 * own change helpers are package-private). Each change returns a new value with version + 1, as the
 * core's would.
 */
public final class TxFixtures {
  public static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private TxFixtures() {}

  /** An active transaction of {@code mode} with two branches (or saga steps), created at {@code createdAt}. */
  public static GlobalTx active(String gid, Mode mode, Instant createdAt) {
    List<Branch> branches = switch (mode) {
      case TCC, TWO_PHASE -> List.of(
          Branch.registered("stock", "http://stock:8080/" + gid + "/forward", "http://stock:8080/" + gid + "/backward", "{\"sku\":\"A-1\",\"qty\":2}"),
          Branch.registered("pay", "http://pay:8080/" + gid + "/forward", "http://pay:8080/" + gid + "/backward", null));
      case SAGA -> List.of(
          Branch.step("reserve", "http://stock:8080/reserve", "http://stock:8080/release", "{\"sku\":\"A-1\"}", List.of(), false, 3, Duration.ofSeconds(5)),
          Branch.step("pay", "http://pay:8080/charge", null, null, List.of("reserve"), true, 5, null));
    };
    return new GlobalTx(gid, mode, GlobalStatus.ACTIVE, createdAt, createdAt, createdAt.plusSeconds(60), null, 1, branches);
  }

  /** An active saga whose first step has its own methods, headers, compensation body and backoff, and whose second refers to its result. */
  public static GlobalTx sagaWithOwnCalls(String gid, Instant createdAt) {
    StepHttp http = new StepHttp("PUT", Map.of("X-Tenant", "acme"), "DELETE", Map.of(), "{\"why\":\"saga failed\"}");
    List<Branch> steps = List.of(
        Branch.step("reserve", "http://stock:8080/reserve", "http://stock:8080/release", "{\"sku\":\"A-1\"}", List.of(), false, 3,
            null, http, new RetryPolicy(Duration.ofMillis(20), Duration.ofSeconds(1))),
        Branch.step("pay", "http://pay:8080/charge", "http://pay:8080/refund", "{\"ref\":{\"$from\":\"reserve\",\"pointer\":\"/id\"}}",
            List.of("reserve"), false, 5, null));
    return new GlobalTx(gid, Mode.SAGA, GlobalStatus.ACTIVE, createdAt, createdAt, createdAt.plusSeconds(60), null, 1, steps);
  }

  /** {@code tx} after its first step succeeded with {@code result}. */
  public static GlobalTx firstStepSucceeded(GlobalTx tx, String result, Instant at) {
    List<Branch> branches = new ArrayList<>(tx.branches());
    Branch b = branches.get(0);
    branches.set(0, new Branch(b.id(), BranchStatus.SUCCEEDED, b.forwardUrl(), b.backwardUrl(), b.payload(), b.dependsOn(),
        b.pivot(), b.attemptsMax(), b.callTimeout(), 0, null, null, null, b.http(), b.retry(), result));
    return new GlobalTx(tx.gid(), tx.mode(), tx.status(), tx.createdAt(), at, tx.deadline(), tx.reason(), tx.version() + 1, branches);
  }

  /**
   * {@code active(gid, SAGA, createdAt)} rolled back (version 2) with every optional field set
   * somewhere: a deadline and a reason; a first step with its own calls, backoff, call timeout and
   * result; a second step with all of that too, whose compensation kept failing (attempts, last
   * error, next attempt) until an operator finished it by hand (resolution). Its times carry
   * nanoseconds.
   */
  public static GlobalTx rolledBackWithEveryField(String gid, Instant createdAt) {
    RetryPolicy retry = new RetryPolicy(Duration.ofMillis(20), Duration.ofSeconds(1));
    Branch reserve = new Branch("reserve", BranchStatus.COMPENSATED, "http://stock:8080/reserve", "http://stock:8080/release",
        "{\"sku\":\"A-1\"}", List.of(), false, 3, Duration.ofSeconds(5), 0, null, null, null,
        new StepHttp("PUT", Map.of("X-Tenant", "acme"), "DELETE", Map.of(), null), retry, "{\"id\":\"r-17\",\"city\":\"Zürich\"}");
    Branch pay = new Branch("pay", BranchStatus.COMPENSATED, "http://pay:8080/charge", "http://pay:8080/refund",
        "{\"ref\":{\"$from\":\"reserve\",\"pointer\":\"/id\"}}", List.of("reserve"), false, 5, Duration.ofMillis(1500),
        4, "503 from http://pay:8080/refund", createdAt.plusSeconds(9).plusNanos(1),
        "finished by hand by 'ops': refunded in the payment system",
        new StepHttp("POST", Map.of("X-Tenant", "acme"), "PATCH", Map.of("X-Undo", "1"), "{\"why\":\"saga failed\"}"),
        retry, "{\"charge\":\"c-9\"}");
    return new GlobalTx(gid, Mode.SAGA, GlobalStatus.ROLLED_BACK, createdAt, createdAt.plusSeconds(12).plusNanos(345_678_901),
        createdAt.plusSeconds(60), "step ship failed", 2, List.of(reserve, pay));
  }

  public static GlobalTx active(String gid, Instant createdAt) {
    return active(gid, Mode.TCC, createdAt);
  }

  /** {@code tx} moved to {@code status} at {@code at}; a final status also ends every branch. */
  public static GlobalTx moved(GlobalTx tx, GlobalStatus status, Instant at) {
    List<Branch> branches = tx.branches();
    if (status.isFinished()) {
      branches = new ArrayList<>();
      for (Branch b : tx.branches()) {
        branches.add(withStatus(b, endOf(tx.mode(), status.isCommit())));
      }
    }
    String reason = status == GlobalStatus.ROLLING_BACK || status == GlobalStatus.ROLLED_BACK ? "timed out" : tx.reason();
    return new GlobalTx(tx.gid(), tx.mode(), status, tx.createdAt(), at, tx.deadline(), reason, tx.version() + 1, branches);
  }

  /** {@code tx} after its first branch failed {@code attempts} times with an error (stuck from that many attempts). */
  public static GlobalTx failing(GlobalTx tx, int attempts, Instant at) {
    List<Branch> branches = new ArrayList<>(tx.branches());
    Branch b = branches.get(0);
    branches.set(0, new Branch(b.id(), b.status(), b.forwardUrl(), b.backwardUrl(), b.payload(), b.dependsOn(), b.pivot(),
        b.attemptsMax(), b.callTimeout(), attempts, "503 from " + b.forwardUrl(), at.plusSeconds(attempts)));
    return new GlobalTx(tx.gid(), tx.mode(), tx.status(), tx.createdAt(), at, tx.deadline(), tx.reason(), tx.version() + 1, branches);
  }

  /** {@code tx} with an unchanged status and a new reason, as a detail-only change. */
  public static GlobalTx touched(GlobalTx tx, Instant at) {
    return new GlobalTx(tx.gid(), tx.mode(), tx.status(), tx.createdAt(), at, tx.deadline(), "v" + (tx.version() + 1),
        tx.version() + 1, tx.branches());
  }

  private static BranchStatus endOf(Mode mode, boolean commit) {
    return switch (mode) {
      case TCC -> commit ? BranchStatus.CONFIRMED : BranchStatus.CANCELLED;
      case TWO_PHASE -> commit ? BranchStatus.COMMITTED : BranchStatus.ROLLED_BACK;
      case SAGA -> commit ? BranchStatus.SUCCEEDED : BranchStatus.COMPENSATED;
    };
  }

  private static Branch withStatus(Branch b, BranchStatus status) {
    return new Branch(b.id(), status, b.forwardUrl(), b.backwardUrl(), b.payload(), b.dependsOn(), b.pivot(),
        b.attemptsMax(), b.callTimeout(), 0, null, null);
  }

  /** Where {@code needle} first occurs in {@code haystack}, or -1: to find a record's bytes in a file. */
  public static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
