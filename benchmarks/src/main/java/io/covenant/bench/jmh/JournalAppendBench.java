package io.covenant.bench.jmh;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.store.journal.JournalSettings;
import io.covenant.coordinator.store.journal.JournalTransactionStore;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link JournalTransactionStore#update} of a 3-step saga record (about 600 bytes), with and
 * without fsync, in a temporary directory on the disk of {@code java.io.tmpdir}:
 * <ul>
 *   <li>{@code updatePipelined}: {@code window} updates of different transactions kept in flight,
 *       a new one issued as soon as one completes, as a busy engine does; group commit shares each
 *       write and fsync among them. The score is updates per second; with a small window it is
 *       bound by the latency of a flush, with a large one by the CPU of the append path.</li>
 *   <li>{@code updateOneAtATime}: one update, wait, the next: the latency a lone writer sees,
 *       about one group-commit window ({@code store.journal.bufferTimeout}, 500 µs) with sync.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class JournalAppendBench {
  /** Transactions updated in turn; also the most updates {@code updatePipelined} keeps in flight. */
  private static final int TRANSACTIONS = 4096;

  @Param({"false", "true"})
  public boolean sync;

  /** Updates {@code updatePipelined} keeps in flight. */
  @Param({"64", "1024"})
  public int window;

  private Path dir;
  private JournalTransactionStore store;
  private GlobalTx[] current;
  private int next;
  private Semaphore slots;
  private volatile Throwable failure;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("covenant-jmh-journal");
    JournalSettings d = JournalSettings.defaults(dir);
    JournalSettings settings = new JournalSettings(dir, d.fileSizeBytes(), d.minFiles(), d.poolSize(), d.bufferSizeBytes(),
        d.bufferTimeout(), d.compactMinFiles(), d.compactPercentage(), sync);
    store = JournalTransactionStore.open(settings).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    slots = new Semaphore(window);
    current = new GlobalTx[TRANSACTIONS];
    List<Future<Void>> created = new ArrayList<>();
    for (int i = 0; i < TRANSACTIONS; i++) {
      current[i] = Fixtures.saga3FirstStepDone("bench-journal-" + i);
      created.add(store.create(current[i]));
    }
    Future.all(created).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    store.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /**
   * One update, issued once fewer than {@code window} are in flight; its completion frees the
   * slot. The score is the steady rate the journal sustains with that many writes waiting.
   */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public void updatePipelined() throws Exception {
    if (!slots.tryAcquire(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the journal completed nothing for 30 s");
    }
    int i = next;
    next = (next + 1) % TRANSACTIONS;
    GlobalTx before = current[i];
    GlobalTx after = Fixtures.nextVersion(before);
    current[i] = after;
    store.update(after, before.version()).onComplete(ar -> {
      if (ar.failed()) {
        failure = ar.cause();
      }
      slots.release();
    });
  }

  /** Waits for the writes still in flight, so that each iteration ends with the journal idle. */
  @TearDown(Level.Iteration)
  public void drain() throws Exception {
    if (!slots.tryAcquire(window, 30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("writes still pending after 30 s");
    }
    slots.release(window);
    if (failure != null) {
      throw new IllegalStateException("a journal write failed", failure);
    }
  }

  @Benchmark
  public void updateOneAtATime() throws Exception {
    int i = next;
    next = (next + 1) % TRANSACTIONS;
    GlobalTx before = current[i];
    GlobalTx after = Fixtures.nextVersion(before);
    current[i] = after;
    store.update(after, before.version()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
