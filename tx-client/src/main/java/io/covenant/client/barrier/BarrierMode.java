package io.covenant.client.barrier;

/**
 * How the {@link Barrier} guards a try (or a saga action). Confirm, cancel and the other ops work
 * the same in both modes.
 */
public enum BarrierMode {
  /**
   * The default. The try's barrier row is inserted in the same local transaction as the body's
   * changes, so either both commit or neither does. Correct when every effect of the try is a
   * change in that transaction: a try that fails leaves nothing behind, and a cancel that finds no
   * try row may safely do nothing (null compensation).
   */
  LOCAL_EFFECTS,
  /**
   * For try bodies that also act outside their database (call another service, send a message,
   * write a file). A {@code trying} row is committed in a transaction of its own <em>before</em> the
   * body runs, and set to {@code done} in the body's transaction. A cancel that finds the row,
   * {@code trying} or {@code done}, runs the real cancel logic, which must therefore also undo a try
   * that only partly happened (or did not happen at all); a cancel that finds nothing still records
   * a null compensation. A try that finds its own {@code trying} row (an earlier attempt failed)
   * runs its body again, so the body's outside effects must be idempotent per (gid, branch).
   */
  OUTSIDE_EFFECTS
}
