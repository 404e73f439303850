package io.covenant.coordinator.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The engine's scheduler on a real Vert.x context. Ordering is proven with later tasks, never by sleeping. */
class VertxSchedulerTest {
  Vertx vertx;
  Context context;
  VertxScheduler scheduler;
  final List<String> ran = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    scheduler = new VertxScheduler(vertx, context);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Completes after a task scheduled {@code after} from now has run on the context. */
  private void awaitMarker(Duration after) throws Exception {
    CompletableFuture<Void> marker = new CompletableFuture<>();
    context.runOnContext(v -> vertx.setTimer(Math.max(1, after.toMillis()), id -> marker.complete(null)));
    marker.get(10, TimeUnit.SECONDS);
  }

  @Test
  void scheduledAndExecutedTasksRunOnTheEngineContext() throws Exception {
    CompletableFuture<Context> scheduled = new CompletableFuture<>();
    CompletableFuture<Context> zero = new CompletableFuture<>();
    CompletableFuture<Context> executed = new CompletableFuture<>();

    scheduler.schedule(Duration.ofMillis(5), () -> scheduled.complete(Vertx.currentContext()));
    scheduler.schedule(Duration.ZERO, () -> zero.complete(Vertx.currentContext()));
    scheduler.execute(() -> executed.complete(Vertx.currentContext()));

    assertThat(scheduled.get(10, TimeUnit.SECONDS)).isSameAs(context);
    assertThat(zero.get(10, TimeUnit.SECONDS)).isSameAs(context);
    assertThat(executed.get(10, TimeUnit.SECONDS)).isSameAs(context);
  }

  @Test
  void aSubMillisecondDelayStillRuns() throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    scheduler.schedule(Duration.ofNanos(10), () -> done.complete(null));
    done.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aCancelledTaskNeverRuns() throws Exception {
    CompletableFuture<Void> armed = new CompletableFuture<>();
    context.runOnContext(v -> {
      scheduler.schedule(Duration.ofMillis(20), () -> ran.add("cancelled")).cancel();
      scheduler.schedule(Duration.ZERO, () -> ran.add("zero-cancelled")).cancel();
      armed.complete(null);
    });
    armed.get(10, TimeUnit.SECONDS);
    scheduler.schedule(Duration.ofMillis(10), () -> ran.add("kept")).cancel();

    awaitMarker(Duration.ofMillis(60));

    assertThat(ran).isEmpty();
  }

  @Test
  void afterHaltNothingRuns() throws Exception {
    scheduler.schedule(Duration.ofMillis(30), () -> ran.add("pending timer"));
    scheduler.halt();
    scheduler.execute(() -> ran.add("executed"));
    scheduler.schedule(Duration.ofMillis(1), () -> ran.add("new timer"));

    awaitMarker(Duration.ofMillis(80));

    assertThat(scheduler.halted()).isTrue();
    assertThat(ran).isEmpty();
  }
}
