package io.covenant.testkit;

import com.sun.net.httpserver.HttpServer;
import io.covenant.client.BusinessRefusal;
import io.covenant.client.ParticipantCall;
import io.covenant.client.ParticipantDispatcher;
import io.covenant.protocol.Op;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A stock service that is a participant in all three modes, on a real JDK HTTP server on a loopback
 * port, built with tx-client's {@link ParticipantDispatcher}: resource {@code stock} is a TCC
 * branch (try reserves, confirm sells, cancel releases), {@code shipment} a saga step (action
 * sells, compensate takes it back) and {@code ledger} a 2PC branch ({@link #prepare} holds, commit
 * sells, rollback releases). The quantity is the payload's {@code qty}.
 *
 * <p>Correct, it guards every branch with an in-memory barrier: the ops done per (gid, branch),
 * checked and changed under that branch's lock together with the effect, so that a repeat is
 * skipped, an undo without its try records itself and changes nothing, and a try after its undo
 * is refused. Each {@link Flaw} breaks one of these on purpose, for the kit to find.
 */
final class StockParticipant implements AutoCloseable {
  static final int STOCK = 1_000;

  enum Flaw {
    /** Confirm never checks whether it was done: every confirm sells again. */
    DOUBLE_CONFIRM,
    /** Try never checks for its cancel: a late try reserves what nobody will release. */
    SUSPENDED_TRY,
    /** A cancel with no try before it fails (500) instead of recording a null compensation. */
    CANCEL_NEEDS_TRY,
    /**
     * Confirm checks its record, then lets go of the lock before it sells and records: the classic
     * check-then-act race. Sequential repeats are skipped; copies that arrive together all sell.
     * The gap is held open until a second copy has arrived (at most {@link #GAP_MAX_MILLIS}), so
     * that the race shows on every run rather than by luck.
     */
    CONFIRM_CHECK_THEN_ACT,
    /** A saga action never checks for its compensation. */
    SUSPENDED_ACTION,
    /** A 2PC rollback releases again on every delivery. */
    DOUBLE_ROLLBACK
  }

  static final long GAP_MAX_MILLIS = 1_000;

  /** What one branch holds: reserved (held) and sold units. The effect the kit observes. */
  record Holding(int held, int sold) {
    static final Holding NOTHING = new Holding(0, 0);
  }

  private static final class BranchState {
    final Set<String> done = new HashSet<>();
    int held;
    int sold;
    CountDownLatch secondCopy = new CountDownLatch(2);
  }

  private final Set<Flaw> flaws;
  private final Map<String, BranchState> branches = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private int available = STOCK;

  private StockParticipant(Set<Flaw> flaws) {
    this.flaws = flaws;
    ParticipantDispatcher dispatcher = ParticipantDispatcher.builder()
        .on("stock", Op.TRY, this::tryReserve)
        .on("stock", Op.CONFIRM, this::confirm)
        .on("stock", Op.CANCEL, this::cancel)
        .on("shipment", Op.ACTION, this::ship)
        .on("shipment", Op.COMPENSATE, this::unship)
        .on("ledger", Op.COMMIT, this::commit)
        .on("ledger", Op.ROLLBACK, this::rollback)
        .build();
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(executor);
    server.createContext("/", dispatcher.httpHandler());
    server.start();
  }

  static StockParticipant start(Flaw... flaws) {
    return new StockParticipant(flaws.length == 0 ? EnumSet.noneOf(Flaw.class) : EnumSet.of(flaws[0], flaws));
  }

  /** The URL of a resource: {@code stock}, {@code shipment} or {@code ledger}. */
  String url(String resource) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + resource;
  }

  /** What the branch holds now; {@link Holding#NOTHING} for a branch never seen. */
  Holding holding(Branch branch) {
    BranchState b = branches.get(key(branch.gid(), branch.branchId()));
    if (b == null) {
      return Holding.NOTHING;
    }
    synchronized (b) {
      return new Holding(b.held, b.sold);
    }
  }

  /** Units neither held nor sold, over every branch. */
  synchronized int available() {
    return available;
  }

  /** 2PC phase one: holds the payload's quantity for the branch, once. */
  void prepare(Branch branch, int qty) {
    BranchState b = branch(branch.gid(), branch.branchId());
    synchronized (b) {
      if (b.done.add("prepare")) {
        hold(b, qty);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  // ---------------------------------------------------------------- TCC

  private void tryReserve(ParticipantCall call) {
    BranchState b = branch(call);
    synchronized (b) {
      if (!flaws.contains(Flaw.SUSPENDED_TRY) && b.done.contains("cancel")) {
        throw new BusinessRefusal("branch " + call.branchId() + " of " + call.gid() + " was cancelled before its try");
      }
      if (b.done.add("try")) {
        hold(b, qty(call));
      }
    }
  }

  private void confirm(ParticipantCall call) throws InterruptedException {
    BranchState b = branch(call);
    if (flaws.contains(Flaw.CONFIRM_CHECK_THEN_ACT)) {
      synchronized (b) {
        if (b.done.contains("confirm")) {
          return;
        }
      }
      b.secondCopy.countDown();
      b.secondCopy.await(GAP_MAX_MILLIS, TimeUnit.MILLISECONDS);
      synchronized (b) {
        sell(b, qty(call));
        b.done.add("confirm");
      }
      return;
    }
    synchronized (b) {
      if (flaws.contains(Flaw.DOUBLE_CONFIRM) || b.done.add("confirm")) {
        sell(b, qty(call));
      }
    }
  }

  private void cancel(ParticipantCall call) {
    BranchState b = branch(call);
    synchronized (b) {
      if (flaws.contains(Flaw.CANCEL_NEEDS_TRY) && !b.done.contains("try")) {
        throw new IllegalStateException("nothing reserved for " + call.gid());
      }
      if (b.done.add("cancel") && b.done.contains("try") && !b.done.contains("confirm")) {
        release(b, qty(call));
      }
    }
  }

  // ---------------------------------------------------------------- saga

  private void ship(ParticipantCall call) {
    BranchState b = branch(call);
    synchronized (b) {
      if (!flaws.contains(Flaw.SUSPENDED_ACTION) && b.done.contains("compensate")) {
        throw new BusinessRefusal("step " + call.branchId() + " of " + call.gid() + " was compensated before its action");
      }
      if (b.done.add("action")) {
        hold(b, qty(call));
        sell(b, qty(call));
      }
    }
  }

  private void unship(ParticipantCall call) {
    BranchState b = branch(call);
    synchronized (b) {
      if (b.done.add("compensate") && b.done.contains("action")) {
        unsell(b, qty(call));
      }
    }
  }

  // ---------------------------------------------------------------- 2PC

  private void commit(ParticipantCall call) {
    BranchState b = branch(call);
    synchronized (b) {
      if (b.done.add("commit") && b.done.contains("prepare") && !b.done.contains("rollback")) {
        sell(b, qty(call));
      }
    }
  }

  private void rollback(ParticipantCall call) {
    BranchState b = branch(call);
    synchronized (b) {
      boolean first = b.done.add("rollback");
      if ((first || flaws.contains(Flaw.DOUBLE_ROLLBACK)) && b.done.contains("prepare") && !b.done.contains("commit")) {
        release(b, qty(call));
      }
    }
  }

  // ---------------------------------------------------------------- effects

  private void hold(BranchState b, int qty) {
    synchronized (this) {
      available -= qty;
    }
    b.held += qty;
  }

  private void sell(BranchState b, int qty) {
    b.held -= qty;
    b.sold += qty;
  }

  private void unsell(BranchState b, int qty) {
    b.sold -= qty;
    synchronized (this) {
      available += qty;
    }
  }

  private void release(BranchState b, int qty) {
    b.held -= qty;
    synchronized (this) {
      available += qty;
    }
  }

  private static int qty(ParticipantCall call) {
    int qty = call.payload().path("qty").asInt(0);
    if (qty <= 0) {
      throw new BusinessRefusal("qty must be positive: " + call.payload());
    }
    return qty;
  }

  private BranchState branch(ParticipantCall call) {
    return branch(call.gid(), call.branchId());
  }

  private BranchState branch(String gid, String branchId) {
    return branches.computeIfAbsent(key(gid, branchId), k -> new BranchState());
  }

  private static String key(String gid, String branchId) {
    return gid + "\u0000" + branchId;
  }
}
