package io.covenant.coordinator.store.journal;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.activemq.artemis.core.io.nio.NIOSequentialFileFactory;
import org.apache.activemq.artemis.core.journal.impl.JournalImpl;
import org.apache.activemq.artemis.utils.actors.ArtemisExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where Artemis's journal runs its work: appends in place, one at a time; file work on a pool. */
class JournalExecutorsTest {
  private final JournalExecutors executors = new JournalExecutors();

  @AfterEach
  void shutdown() {
    executors.shutdown();
  }

  @Test
  void theThirdExecutorRunsEachTaskOnTheCallersThreadBeforeExecuteReturns() {
    executors.getExecutor();
    executors.getExecutor();
    ArtemisExecutor appends = executors.getExecutor();
    AtomicReference<Thread> ranOn = new AtomicReference<>();
    appends.execute(() -> ranOn.set(Thread.currentThread()));
    assertThat(ranOn.get()).isSameAs(Thread.currentThread());
  }

  @Test
  void theOtherExecutorsRunTheirTasksOnThePoolsThreads() throws Exception {
    ArtemisExecutor files = executors.getExecutor();
    CompletableFuture<String> ranOn = new CompletableFuture<>();
    files.execute(() -> ranOn.complete(Thread.currentThread().getName()));
    assertThat(ranOn.get(10, SECONDS)).startsWith("covenant-journal-io-");
  }

  @Test
  void twoThreadsNeverRunAppendsAtTheSameTime() throws Exception {
    executors.getExecutor();
    executors.getExecutor();
    ArtemisExecutor appends = executors.getExecutor();
    CountDownLatch firstInside = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    Thread first = new Thread(() -> appends.execute(() -> {
      firstInside.countDown();
      try {
        releaseFirst.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    first.start();
    assertThat(firstInside.await(10, SECONDS)).isTrue();
    AtomicBoolean secondRan = new AtomicBoolean();
    Thread second = new Thread(() -> appends.execute(() -> secondRan.set(true)));
    second.start();
    long deadline = System.nanoTime() + SECONDS.toNanos(10);
    while (second.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
      Thread.onSpinWait(); // until the second append waits for the first
    }
    assertThat(second.getState()).isEqualTo(Thread.State.WAITING);
    assertThat(secondRan).as("an append ran while another was running").isFalse();
    releaseFirst.countDown();
    second.join(10_000);
    first.join(10_000);
    assertThat(secondRan).isTrue();
  }

  @Test
  void aJournalStartedOnThemRunsItsAppendsInPlace(@TempDir Path dir) throws Exception {
    JournalImpl journal = journal(dir, executors);
    try {
      executors.checkAppendsRunInPlace(journal); // throws when the append executor is not the in-place one
    } finally {
      journal.stop();
    }
  }

  @Test
  void aJournalThatTookItsExecutorsInAnotherOrderIsRefused(@TempDir Path dir) throws Exception {
    executors.getExecutor(); // as if Artemis asked for one more executor first: appends would go to the pool
    JournalImpl journal = journal(dir, executors);
    try {
      assertThatThrownBy(() -> executors.checkAppendsRunInPlace(journal))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("append executor");
    } finally {
      journal.stop();
    }
  }

  private static JournalImpl journal(Path dir, JournalExecutors executors) throws Exception {
    NIOSequentialFileFactory files = new NIOSequentialFileFactory(dir.toFile(), true, 64 * 1024, 500_000, 1, false, null, null);
    JournalImpl journal = new JournalImpl(executors, 1024 * 1024, 2, 2, 0, 0, 5, files, "test", "tj", 1, 0, null, 0);
    journal.start();
    return journal;
  }
}
