package io.covenant.coordinator.store.journal;

import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadEventLoop;
import io.vertx.core.internal.ContextInternal;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread ({@code covenant-journal-append}) that hands records to Artemis, woken at most once
 * per turn of an event loop.
 *
 * <p>Why: handing each record to another thread wakes that thread when it is parked, which at tens of
 * thousands of records a second is nearly every time (profiled under sagas: ~10 % of the event loop
 * in {@code LockSupport.unpark}, and as much again on the woken threads). So an append submitted on
 * a Vert.x event loop is queued, and the appender is woken once, after the loop has run everything
 * that was ready in its current turn (Netty's {@link SingleThreadEventLoop#executeAfterEventLoopIteration
 * tail task}): one wake-up for all the records of that turn. An append submitted on any other
 * thread wakes the appender at once. Artemis then runs each append on this thread
 * ({@link JournalExecutors}), so a record is handed over once, not twice.
 *
 * <p>Order: appends run one at a time, in the order they were submitted from each thread. The store
 * submits a transaction's appends under that transaction's map lock, so the journal receives them in
 * the order their compare-and-set succeeded.
 *
 * <p>An event loop must therefore never block waiting for a write it submitted (no Vert.x code
 * should): the record reaches Artemis only once the loop's turn ends.
 *
 * <p>What a task does if it fails is its own business: it must not throw (a thrown exception is
 * logged as a bug and the appender goes on).
 */
final class JournalAppender {
  private static final Logger log = LoggerFactory.getLogger(JournalAppender.class);

  private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  /** True while the appender is parked, or about to be; a producer that sees it wakes the appender. */
  private final AtomicBoolean sleeping = new AtomicBoolean();
  private volatile boolean stopping;
  /** The event loop threads that have a wake-up pending for the end of their current turn. */
  private final ThreadLocal<boolean[]> wakeScheduled = ThreadLocal.withInitial(() -> new boolean[1]);
  private final Runnable wakeAtTurnEnd = this::wakeFromLoop;

  JournalAppender() {
    thread = new Thread(this::run, "covenant-journal-append");
    thread.setDaemon(true);
  }

  /** Starts the thread; appends submitted before wait for it. */
  void start() {
    thread.start();
  }

  /** Queues {@code append} to run on the appender thread; see the class comment for when it wakes. */
  void submit(Runnable append) {
    queue.add(append);
    SingleThreadEventLoop loop = currentEventLoop();
    if (loop == null) {
      wake();
      return;
    }
    boolean[] scheduled = wakeScheduled.get();
    if (!scheduled[0]) {
      scheduled[0] = true;
      loop.executeAfterEventLoopIteration(wakeAtTurnEnd);
    }
  }

  /** Runs every append already submitted, then stops the thread; nothing to do if it never started. */
  void stop() {
    stopping = true;
    LockSupport.unpark(thread);
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The Netty event loop the calling thread runs, or null when it is not one. */
  private static SingleThreadEventLoop currentEventLoop() {
    ContextInternal context = ContextInternal.current();
    if (context == null) {
      return null;
    }
    EventLoop loop = context.nettyEventLoop();
    return loop instanceof SingleThreadEventLoop single && single.inEventLoop() ? single : null;
  }

  private void wakeFromLoop() {
    wakeScheduled.get()[0] = false;
    wake();
  }

  private void wake() {
    if (sleeping.get()) {
      LockSupport.unpark(thread);
    }
  }

  private void run() {
    while (true) {
      Runnable append;
      while ((append = queue.poll()) != null) {
        try {
          append.run();
        } catch (RuntimeException | Error e) {
          log.atError().setCause(e).log("a journal append threw; this is a bug");
        }
      }
      if (stopping && queue.isEmpty()) {
        return;
      }
      sleeping.set(true);
      // Checked again after announcing the sleep: a producer that queued before it saw no sleeper.
      if (queue.isEmpty() && !stopping) {
        LockSupport.park(this);
      }
      sleeping.set(false);
    }
  }
}
