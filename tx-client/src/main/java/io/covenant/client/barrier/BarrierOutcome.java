package io.covenant.client.barrier;

/** What the {@link Barrier} did with one call. Each of them answers success to the caller. */
public enum BarrierOutcome {
  /** The call was new: the body ran, and its effects and the barrier row committed together. */
  RAN,
  /** The same op of the same branch had been done before: the body did not run again. */
  REPEATED,
  /**
   * A cancel (compensate) found no try (action) before it: it recorded itself, and a try marker so
   * that a late try is refused, and the body did not run.
   */
  NULL_COMPENSATION
}
