package io.covenant.testkit.internal;

import io.covenant.protocol.Op;
import java.util.EnumSet;
import java.util.Set;

/**
 * The ops of one mode in three roles: the call that does the branch's work ({@code forward}: a TCC
 * try, a saga action; null for 2PC, whose phase 1 is the participant's own), the call that finishes
 * it ({@code finish}: confirm, commit; null for a saga, whose action is final) and the call that
 * takes it back ({@code undo}: cancel, compensate, rollback).
 */
public record Shape(String mode, Op forward, Op finish, Op undo) {
  public static final Shape TCC = new Shape("TCC", Op.TRY, Op.CONFIRM, Op.CANCEL);
  public static final Shape SAGA = new Shape("saga", Op.ACTION, null, Op.COMPENSATE);
  public static final Shape TWO_PHASE = new Shape("2PC", null, Op.COMMIT, Op.ROLLBACK);

  /** Ops that carry out a decision already made: the coordinator retries them until they are done. */
  private static final Set<Op> DECIDED = EnumSet.of(Op.CONFIRM, Op.CANCEL, Op.COMPENSATE, Op.COMMIT, Op.ROLLBACK);

  /** The ops this mode sends over HTTP, in the order forward, finish, undo. */
  public Set<Op> calls() {
    Set<Op> ops = EnumSet.noneOf(Op.class);
    if (forward != null) {
      ops.add(forward);
    }
    if (finish != null) {
      ops.add(finish);
    }
    ops.add(undo);
    return ops;
  }

  public boolean forwardIsCall() {
    return forward != null;
  }

  public String forwardName() {
    return forward == null ? "prepare" : forward.code();
  }

  static boolean decided(Op op) {
    return DECIDED.contains(op);
  }
}
