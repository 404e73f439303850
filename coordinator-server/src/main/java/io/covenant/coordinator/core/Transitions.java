package io.covenant.coordinator.core;

import static io.covenant.protocol.BranchStatus.CANCELLED;
import static io.covenant.protocol.BranchStatus.COMPENSATED;
import static io.covenant.protocol.BranchStatus.CONFIRMED;
import static io.covenant.protocol.BranchStatus.FAILED;
import static io.covenant.protocol.BranchStatus.PENDING;
import static io.covenant.protocol.BranchStatus.REGISTERED;
import static io.covenant.protocol.BranchStatus.SKIPPED;
import static io.covenant.protocol.BranchStatus.SUCCEEDED;
import static io.covenant.protocol.GlobalStatus.ACTIVE;
import static io.covenant.protocol.GlobalStatus.COMMITTED;
import static io.covenant.protocol.GlobalStatus.COMMITTING;
import static io.covenant.protocol.GlobalStatus.ROLLED_BACK;
import static io.covenant.protocol.GlobalStatus.ROLLING_BACK;

import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.GlobalStatus;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The transition table: every status a global transaction or a branch may move to. A status may
 * always stay as it is (a branch or retry detail changed). {@link #check} enforces the table, and
 * that no branch ever takes the side the decision did not, on every change the core makes.
 */
public final class Transitions {

  /** Decided statuses never go back to {@code ACTIVE} or cross to the other side. */
  public static final Map<GlobalStatus, Set<GlobalStatus>> GLOBAL_NEXT = Map.of(
      ACTIVE,       EnumSet.of(COMMITTING, COMMITTED, ROLLING_BACK, ROLLED_BACK), // direct to the end when no branch needs a call
      COMMITTING,   EnumSet.of(COMMITTED),
      ROLLING_BACK, EnumSet.of(ROLLED_BACK),
      COMMITTED,    EnumSet.noneOf(GlobalStatus.class),
      ROLLED_BACK,  EnumSet.noneOf(GlobalStatus.class));

  public static final Map<BranchStatus, Set<BranchStatus>> BRANCH_NEXT = Map.of(
      REGISTERED, EnumSet.of(CONFIRMED, CANCELLED, BranchStatus.COMMITTED, BranchStatus.ROLLED_BACK),
      PENDING,    EnumSet.of(SUCCEEDED, FAILED, COMPENSATED, SKIPPED),                // compensated: it may have run
      SUCCEEDED,  EnumSet.of(COMPENSATED, SKIPPED),                                   // skipped: no compensation defined
      FAILED,     EnumSet.of(COMPENSATED, SKIPPED));

  private static final Set<BranchStatus> COMMIT_SIDE = EnumSet.of(CONFIRMED, BranchStatus.COMMITTED);
  private static final Set<BranchStatus> ROLLBACK_SIDE = EnumSet.of(CANCELLED, BranchStatus.ROLLED_BACK, COMPENSATED);

  private Transitions() {}

  public static boolean allowed(GlobalStatus from, GlobalStatus to) {
    return from == to || GLOBAL_NEXT.get(from).contains(to);
  }

  public static boolean allowed(BranchStatus from, BranchStatus to) {
    return from == to || BRANCH_NEXT.getOrDefault(from, Set.of()).contains(to);
  }

  /**
   * Checks that {@code next} may follow {@code prev}.
   *
   * @throws IllegalStateException naming the broken rule; a bug in the core, never bad input
   */
  public static void check(GlobalTx prev, GlobalTx next) {
    if (!prev.gid().equals(next.gid()) || prev.mode() != next.mode()) {
      throw new IllegalStateException("identity changed: " + prev.gid() + " -> " + next.gid());
    }
    if (!allowed(prev.status(), next.status())) {
      throw new IllegalStateException("gid=" + prev.gid() + " illegal transition " + prev.status() + " -> " + next.status());
    }
    if (next.version() <= prev.version()) {
      throw new IllegalStateException("gid=" + prev.gid() + " version did not grow: " + prev.version() + " -> " + next.version());
    }
    int n = prev.branches().size();
    if (next.branches().size() < n) {
      throw new IllegalStateException("gid=" + prev.gid() + " lost a branch");
    }
    for (int i = 0; i < next.branches().size(); i++) {
      Branch b = next.branches().get(i);
      if (i < n) {
        Branch a = prev.branches().get(i);
        if (!a.id().equals(b.id()) || !allowed(a.status(), b.status())) {
          throw new IllegalStateException("gid=" + prev.gid() + " branch " + a.id() + " illegal transition " + a.status() + " -> " + b.status());
        }
      } else if (prev.status() != ACTIVE) {
        throw new IllegalStateException("gid=" + prev.gid() + " branch " + b.id() + " added after the decision");
      }
      checkSide(next, b);
    }
  }

  /** No branch may take the side the decision did not: never confirmed under roll back, never cancelled under commit. */
  static void checkSide(GlobalTx tx, Branch b) {
    boolean commit = tx.status().isCommit();
    boolean rollback = tx.status() == ROLLING_BACK || tx.status() == ROLLED_BACK;
    if ((COMMIT_SIDE.contains(b.status()) && !commit) || (ROLLBACK_SIDE.contains(b.status()) && !rollback)) {
      throw new IllegalStateException("gid=" + tx.gid() + " status=" + tx.status() + " but branch " + b.id() + " is " + b.status());
    }
  }
}
