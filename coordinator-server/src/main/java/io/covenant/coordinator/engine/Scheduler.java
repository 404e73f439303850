package io.covenant.coordinator.engine;

import java.time.Duration;

/**
 * Runs engine work on the engine's single thread (its Vert.x context in production, the
 * simulation's event queue in tests). The engine is not thread-safe: every task runs here.
 */
public interface Scheduler {

  /** Runs {@code task} after {@code delay} on the engine thread. */
  Cancellable schedule(Duration delay, Runnable task);

  /** Runs {@code task} soon on the engine thread; safe to call from any thread. */
  void execute(Runnable task);

  /** A scheduled task that may be cancelled before it runs. */
  @FunctionalInterface
  interface Cancellable {
    void cancel();
  }
}
