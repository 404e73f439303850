package io.covenant.coordinator.runtime;

import io.covenant.coordinator.engine.Scheduler;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The engine's {@link Scheduler} on one Vert.x event-loop {@link Context}: every task runs on that
 * context's thread, which makes it the engine thread.
 *
 * <p>{@link #schedule} arms a Vert.x timer (at least 1 ms; a zero delay becomes
 * {@code runOnContext}); {@link #execute} is {@code runOnContext}, safe from any thread.
 *
 * <p>Hazard: after {@link #halt()} every task, pending or new, is dropped without running. That is
 * how {@code Coordinator.crash()} makes the engine go silent at once, as if the process had died:
 * no store write and no participant call can start after it.
 */
public final class VertxScheduler implements Scheduler {
  private final Vertx vertx;
  private final Context context;
  private volatile boolean halted;
  private final Object pauseLock = new Object();
  private List<Runnable> held; // non-null while paused

  /** @param context the engine's context; must be an event-loop context of {@code vertx} */
  public VertxScheduler(Vertx vertx, Context context) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.context = Objects.requireNonNull(context, "context");
    if (!context.isEventLoopContext()) {
      throw new IllegalArgumentException("the engine needs an event-loop context, got " + context.threadingModel());
    }
  }

  public Context context() {
    return context;
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    Objects.requireNonNull(task, "task");
    Task t = new Task(task);
    if (delay.isZero() || delay.isNegative()) {
      context.runOnContext(v -> t.run());
      return t::cancel;
    }
    long timerMillis = Math.max(1, delay.toMillis()); // Vert.x timers take whole milliseconds, at least 1
    if (Vertx.currentContext() == context) {
      t.timerId = vertx.setTimer(timerMillis, id -> t.run());
    } else {
      // A Vert.x timer fires on the context that arms it, so arm it on the engine context.
      context.runOnContext(v -> {
        if (!t.cancelled) {
          t.timerId = vertx.setTimer(timerMillis, id -> t.run());
        }
      });
    }
    return t::cancel;
  }

  @Override
  public void execute(Runnable task) {
    Objects.requireNonNull(task, "task");
    if (halted) {
      return;
    }
    context.runOnContext(v -> runNow(task));
  }

  private void runNow(Runnable task) {
    if (halted) {
      return;
    }
    synchronized (pauseLock) {
      if (held != null) {
        held.add(task);
        return;
      }
    }
    task.run();
  }

  /**
   * For tests: holds every task that comes due from now on, as if the process were frozen (a long
   * GC pause, a suspended VM), until {@link #resume()} runs them in order.
   */
  public void pause() {
    synchronized (pauseLock) {
      if (held == null) {
        held = new ArrayList<>();
      }
    }
  }

  /** Runs the tasks held since {@link #pause()}, on the engine context, and stops holding. */
  public void resume() {
    List<Runnable> due;
    synchronized (pauseLock) {
      due = held;
      held = null;
    }
    if (due != null) {
      for (Runnable task : due) {
        context.runOnContext(v -> runNow(task));
      }
    }
  }

  /** Drops every pending and future task. Irreversible; used to simulate a crash. */
  public void halt() {
    halted = true;
  }

  public boolean halted() {
    return halted;
  }

  private final class Task {
    final Runnable task;
    volatile boolean cancelled;
    volatile long timerId = -1;

    Task(Runnable task) {
      this.task = task;
    }

    void run() {
      if (!cancelled && !halted) {
        cancelled = true; // a task runs at most once
        runNow(task);
      }
    }

    void cancel() {
      cancelled = true;
      long id = timerId;
      if (id >= 0) {
        vertx.cancelTimer(id);
      }
    }
  }
}
