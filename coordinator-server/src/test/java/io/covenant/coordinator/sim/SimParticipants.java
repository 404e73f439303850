package io.covenant.coordinator.sim;

import io.covenant.protocol.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every participant of the simulation, as a model of a service that guards its branches with the
 * branch barrier: each (gid, branch, op) takes effect once; a cancel or compensation with nothing
 * before it records itself and does nothing; a try or action arriving after its cancel or
 * compensation is refused. It records the effects the checks compare with the decision, and any
 * branch that receives both sides of a decision.
 */
final class SimParticipants {

  /** What one branch has seen. */
  static final class BranchState {
    boolean tried;
    boolean forward;   // confirmed, committed, or saga action applied
    boolean backward;  // cancelled, rolled back or compensated (possibly a null compensation)
    boolean effectUndone;
  }

  private final Map<String, BranchState> branches = new HashMap<>();
  /** Bodies of the saga action calls each branch received, as "gid/branch" (issue #5: data passing). */
  final Map<String, Set<String>> actionBodies = new HashMap<>();
  /** Each applied action answers with a new number, so a step that ran twice would show it. */
  private int answers;

  /** How a participant answered: a status, and for an applied saga action a JSON body. */
  record Answer(int status, String body) {}
  /** Branches whose try or action the participant refuses, as "gid/branch". */
  final Set<String> refusing = new HashSet<>();
  final List<String> violations = new ArrayList<>();

  BranchState state(String gid, String branch) {
    return branches.computeIfAbsent(gid + "/" + branch, k -> new BranchState());
  }

  /** A TCC try called by the initiator; false when refused. */
  boolean tryBranch(String gid, String branch) {
    BranchState s = state(gid, branch);
    if (s.backward || refusing.contains(gid + "/" + branch)) {
      return false; // try after cancel: refused, so no resource is left suspended
    }
    s.tried = true;
    return true;
  }

  /** Handles a call from the coordinator. */
  Answer handle(String gid, String branch, Op op, boolean sagaStep, String body) {
    if (op == Op.ACTION && body != null) {
      actionBodies.computeIfAbsent(gid + "/" + branch, k -> new HashSet<>()).add(body);
    }
    int status = status(gid, branch, op, sagaStep);
    return new Answer(status, op == Op.ACTION && status == 200 ? "{\"v\":" + (++answers) + "}" : null);
  }

  private int status(String gid, String branch, Op op, boolean sagaStep) {
    BranchState s = state(gid, branch);
    switch (op) {
      case ACTION -> {
        if (s.backward || refusing.contains(gid + "/" + branch)) {
          return 409;
        }
        s.forward = true;
        return 200;
      }
      case CONFIRM, COMMIT -> {
        if (s.backward) {
          violations.add(gid + "/" + branch + " received " + op.code() + " after its cancel/rollback");
          return 409;
        }
        s.forward = true;
        return 200;
      }
      case CANCEL, ROLLBACK, COMPENSATE -> {
        if (s.forward && !sagaStep) {
          violations.add(gid + "/" + branch + " received " + op.code() + " after its confirm/commit");
          return 409;
        }
        if (!s.backward && s.forward) {
          s.effectUndone = true;
        }
        s.backward = true;
        return 200;
      }
      default -> throw new IllegalStateException("the coordinator never calls " + op);
    }
  }
}
