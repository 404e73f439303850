package io.covenant.testkit;

/**
 * A 2PC participant's own phase 1 for a branch: prepare its local transaction (for XA,
 * {@code XA START … XA END; XA PREPARE}) so that a commit or a rollback has something to finish.
 * The coordinator never sends this call, so the kit needs you to say how it is done, for example
 * by calling your service's own API or a test hook of it.
 *
 * <p>It runs on the test's thread, where the scenario's first call would be. A phase one that
 * throws ends the scenario as an error (not as a broken rule).
 */
@FunctionalInterface
public interface PhaseOne {
  /** Prepares {@code branch}; returns once it is prepared. */
  void prepare(Branch branch) throws Exception;

  /** For a participant with nothing to prepare: commit and rollback then act on an empty branch. */
  static PhaseOne nothing() {
    return branch -> {};
  }
}
