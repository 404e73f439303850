package io.covenant.client;

import io.covenant.protocol.Op;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * The global transaction this thread works for: its gid, and the branch id when the work belongs
 * to one branch (and, for a TCC try the initiator is about to call, the op {@code try}). Outgoing
 * calls carry it as the {@code Covenant-Gid}, {@code Covenant-Branch} and {@code Covenant-Op}
 * headers ({@link CovenantHeaders}, {@link PropagatingHttpClient}); incoming requests bind it
 * ({@link TransactionContextFilter}, the Servlet filter, {@link ParticipantDispatcher}).
 *
 * <p>The current context is thread-bound, and always bound for a scope that restores the previous
 * one when it closes:
 *
 * <pre>{@code
 * try (var scope = TransactionContext.bind(gid, "stock")) {
 *   http.send(request, ofString());      // a PropagatingHttpClient adds the headers
 * }
 * }</pre>
 *
 * <p>A thread-bound value does not follow work to another thread by itself. Across an async hop,
 * capture it and make it current on the other side, or let {@link #wrap(Runnable)} or
 * {@link #propagating(Executor)} do both:
 *
 * <pre>{@code
 * Optional<TransactionContext> captured = TransactionContext.current();
 * executor.execute(() -> {
 *   try (var scope = captured.map(TransactionContext::makeCurrent).orElse(null)) { ... }
 * });
 * }</pre>
 *
 * <p>Instances are immutable values.
 */
public final class TransactionContext {
  private static final ThreadLocal<TransactionContext> CURRENT = new ThreadLocal<>();

  private final String gid;
  private final String branchId;
  private final Op op;

  private TransactionContext(String gid, String branchId, Op op) {
    Objects.requireNonNull(gid, "gid");
    if (gid.isBlank()) {
      throw new IllegalArgumentException("gid must not be blank");
    }
    if (branchId != null && branchId.isBlank()) {
      throw new IllegalArgumentException("branchId must not be blank (null for none)");
    }
    this.gid = gid;
    this.branchId = branchId;
    this.op = op;
  }

  /** A context for {@code gid}, and for one of its branches unless {@code branchId} is null. */
  public static TransactionContext of(String gid, String branchId) {
    return new TransactionContext(gid, branchId, null);
  }

  /**
   * This context with an operation for outgoing calls to carry; {@link GlobalTransaction#branch}
   * uses it for op {@code try}. Null for none.
   */
  public TransactionContext withOp(Op op) {
    return new TransactionContext(gid, branchId, op);
  }

  public String gid() {
    return gid;
  }

  public Optional<String> branchId() {
    return Optional.ofNullable(branchId);
  }

  public Optional<Op> op() {
    return Optional.ofNullable(op);
  }

  /** The context bound to this thread, if any. */
  public static Optional<TransactionContext> current() {
    return Optional.ofNullable(CURRENT.get());
  }

  /** Binds {@code of(gid, branchId)} to this thread until the returned scope closes. */
  public static Scope bind(String gid, String branchId) {
    return of(gid, branchId).makeCurrent();
  }

  /**
   * Binds this context to the calling thread until the returned scope is closed, which restores the
   * context that was current before (or none). Close it on the same thread, in a
   * try-with-resources block; scopes nest.
   */
  public Scope makeCurrent() {
    return open(this);
  }

  /** Runs {@code task} with the context current now (or none) bound, wherever it runs. */
  @SuppressWarnings("try") // the scope is used for its close() alone
  public static Runnable wrap(Runnable task) {
    Objects.requireNonNull(task, "task");
    TransactionContext captured = CURRENT.get();
    return () -> {
      try (Scope ignored = open(captured)) {
        task.run();
      }
    };
  }

  /**
   * An executor that runs each task with the context that was current when the task was
   * <em>submitted</em>, for {@code CompletableFuture.supplyAsync(work, TransactionContext.propagating(pool))}.
   */
  public static Executor propagating(Executor executor) {
    Objects.requireNonNull(executor, "executor");
    return task -> executor.execute(wrap(task));
  }

  private static Scope open(TransactionContext next) {
    TransactionContext previous = CURRENT.get();
    set(next);
    return new ThreadScope(Thread.currentThread(), previous);
  }

  private static void set(TransactionContext context) {
    if (context == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(context);
    }
  }

  /** Ends a binding: restores the context that was current before it. */
  public interface Scope extends AutoCloseable {
    /** Restores the previous context. Idempotent. */
    @Override
    void close();
  }

  private static final class ThreadScope implements Scope {
    private final Thread owner;
    private final TransactionContext previous;
    private boolean closed;

    ThreadScope(Thread owner, TransactionContext previous) {
      this.owner = owner;
      this.previous = previous;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      if (Thread.currentThread() != owner) {
        throw new IllegalStateException("a TransactionContext scope must be closed on the thread that opened it ("
            + owner.getName() + "), not on " + Thread.currentThread().getName());
      }
      closed = true;
      set(previous);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TransactionContext c && gid.equals(c.gid) && Objects.equals(branchId, c.branchId) && op == c.op;
  }

  @Override
  public int hashCode() {
    return Objects.hash(gid, branchId, op);
  }

  @Override
  public String toString() {
    return "TransactionContext{gid=" + gid + (branchId == null ? "" : ", branchId=" + branchId)
        + (op == null ? "" : ", op=" + op.code()) + "}";
  }
}
