package io.covenant.coordinator.store.journal;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The appender runs every append it is given, in order, on its own thread, however it was submitted. */
class JournalAppenderTest {
  private final JournalAppender appender = new JournalAppender();
  private final Vertx vertx = Vertx.vertx();

  @BeforeEach
  void start() {
    appender.start();
  }

  @AfterEach
  void stop() throws Exception {
    appender.stop();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, SECONDS);
  }

  @Test
  void anAppendSubmittedOnAnEventLoopRunsOnceTheLoopsTurnEndsWithoutAnyOtherSubmission() throws Exception {
    CompletableFuture<String> ranOn = new CompletableFuture<>();
    vertx.runOnContext(v -> appender.submit(() -> ranOn.complete(Thread.currentThread().getName())));
    assertThat(ranOn.get(10, SECONDS)).isEqualTo("covenant-journal-append");
  }

  @Test
  void anAppendSubmittedOffAnyEventLoopRunsAtOnce() throws Exception {
    CompletableFuture<String> ranOn = new CompletableFuture<>();
    appender.submit(() -> ranOn.complete(Thread.currentThread().getName()));
    assertThat(ranOn.get(10, SECONDS)).isEqualTo("covenant-journal-append");
  }

  @Test
  void appendsFromOneEventLoopRunInTheOrderSubmittedAcrossManyTurns() throws Exception {
    List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch all = new CountDownLatch(1_000);
    for (int turn = 0; turn < 100; turn++) {
      int first = turn * 10;
      vertx.runOnContext(v -> {
        for (int i = first; i < first + 10; i++) {
          int n = i;
          appender.submit(() -> {
            ran.add(n);
            all.countDown();
          });
        }
      });
    }
    assertThat(all.await(10, SECONDS)).isTrue();
    assertThat(ran).isSorted().hasSize(1_000);
  }

  @Test
  void stopRunsEveryAppendAlreadySubmitted() {
    List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 1_000; i++) {
      int n = i;
      appender.submit(() -> ran.add(n));
    }
    appender.stop();
    assertThat(ran).hasSize(1_000).isSorted();
  }

  @Test
  void anAppendThatThrowsDoesNotStopTheOnesAfterIt() throws Exception {
    appender.submit(() -> {
      throw new IllegalStateException("a bug in one append");
    });
    CompletableFuture<Boolean> next = new CompletableFuture<>();
    appender.submit(() -> next.complete(true));
    assertThat(next.get(10, SECONDS)).isTrue();
  }
}
