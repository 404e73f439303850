package io.covenant.coordinator.store.journal;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.activemq.artemis.core.journal.impl.JournalImpl;
import org.apache.activemq.artemis.utils.ExecutorFactory;
import org.apache.activemq.artemis.utils.actors.ArtemisExecutor;
import org.apache.activemq.artemis.utils.actors.OrderedExecutorFactory;

/**
 * The executors Artemis's {@link JournalImpl} runs its work on. Opening and closing files and
 * compaction run on a pool of daemon threads ({@code covenant-journal-io}), as Artemis would run
 * them by default; <b>appends run on the thread that calls the journal</b> (the store's
 * {@link JournalAppender}, or the opening thread during the load), one at a time.
 *
 * <p>Why: by default Artemis hands every append to a pooled thread, and the store's appends already
 * come from a thread of their own; a second hand-over would wake a second parked thread per record.
 * The thread that runs an append in place may wait, rarely and briefly, for the write buffer's lock
 * while the buffer is written out, for a file switch every {@code fileSizeBytes} of records (the
 * buffer is flushed and fsynced on that thread) and for a compaction swapping its files in; the
 * event loop never does.
 *
 * <p>Artemis ran appends in submission order on one thread and relies on it: two appends must not
 * run at once. The append executor therefore runs each task under a lock.
 *
 * <p>{@link JournalImpl#start()} asks for its executors in a fixed order (files, compactor, append);
 * the third is the append executor. {@link #checkAppendsRunInPlace} verifies that after the start,
 * so an Artemis upgrade that changes the order fails the journal's opening (and its tests) instead
 * of silently running file work in place.
 */
final class JournalExecutors implements ExecutorFactory {
  /** The position of the append executor among the executors {@link JournalImpl#start()} asks for. */
  private static final int APPEND_EXECUTOR = 3;

  private final ThreadPoolExecutor pool;
  private final OrderedExecutorFactory ordered;
  private final InPlace appends = new InPlace();
  private int handedOut;

  JournalExecutors() {
    AtomicInteger threads = new AtomicInteger();
    pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "covenant-journal-io-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    ordered = new OrderedExecutorFactory(pool);
  }

  @Override
  public synchronized ArtemisExecutor getExecutor() {
    return ++handedOut == APPEND_EXECUTOR ? appends : ordered.getExecutor();
  }

  /**
   * Throws unless {@code journal}'s appends run in place: a task its append executor is given runs on
   * this thread before {@code execute} returns.
   */
  void checkAppendsRunInPlace(JournalImpl journal) throws InterruptedException {
    long before = appends.ran();
    journal.flushAppendExecutor(1, TimeUnit.SECONDS);
    if (appends.ran() == before) {
      throw new IllegalStateException("Artemis's journal no longer takes its append executor third; "
          + "JournalExecutors must be adapted to this Artemis version");
    }
  }

  /** Stops the pool's threads once the journal has stopped; tasks already given still run. */
  void shutdown() {
    pool.shutdown();
  }

  /** Runs each task on the calling thread, one at a time. */
  private static final class InPlace implements ArtemisExecutor {
    private final ReentrantLock oneAtATime = new ReentrantLock();
    /** Tasks run so far; guarded by {@link #oneAtATime}. */
    private long ran;

    @Override
    public void execute(Runnable task) {
      oneAtATime.lock();
      try {
        ran++;
        task.run();
      } finally {
        oneAtATime.unlock();
      }
    }

    long ran() {
      oneAtATime.lock();
      try {
        return ran;
      } finally {
        oneAtATime.unlock();
      }
    }
  }
}
