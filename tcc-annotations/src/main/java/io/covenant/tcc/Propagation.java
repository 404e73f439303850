package io.covenant.tcc;

/**
 * How a {@link GlobalTransactional} method relates to a global transaction that is current when it
 * is called (one begun by an outer method, or bound from an incoming request's headers).
 */
public enum Propagation {
  /** Join the current transaction; begin one (and finish it) only when none is current. The default. */
  REQUIRED,
  /**
   * Always begin a transaction of the method's own and finish it when the method ends; a current one
   * is set aside meanwhile and is current again afterwards. The two are independent: rolling back
   * one does not roll back the other.
   */
  REQUIRES_NEW,
  /** Join the current transaction; throw {@link IllegalStateException} when none is current. */
  MANDATORY,
  /** Join the current transaction if there is one, else run without. */
  SUPPORTS,
  /** Throw {@link IllegalStateException} when a transaction is current; else run without. */
  NEVER
}
