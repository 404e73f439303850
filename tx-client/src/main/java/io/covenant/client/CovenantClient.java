package io.covenant.client;

import io.covenant.client.internal.CoordinatorHttp;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.RegisterBranchRequest;
import io.covenant.protocol.SagaRequest;
import io.covenant.protocol.TransactionPage;
import io.covenant.protocol.TransactionSummary;
import io.covenant.protocol.TransactionView;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The Java client of a Covenant coordinator: begin, register branches, commit, roll back, submit
 * sagas and read transactions. Every method here blocks until the coordinator has answered (or the
 * retries have run out); {@link #async()} has the same methods returning {@link CompletableFuture}.
 *
 * <pre>{@code
 * try (CovenantClient client = CovenantClient.builder().coordinator(URI.create("http://localhost:8080")).build()) {
 *   String reservation = client.inGlobalTransaction(Mode.TCC, Duration.ofSeconds(30), tx -> {
 *     tx.registerTcc("stock", stockUrl, stockUrl, order);
 *     try (var branch = tx.branch("stock")) {          // Covenant-Gid, -Branch and -Op: try
 *       return callStockTry(order);                    // e.g. through a PropagatingHttpClient
 *     }
 *   });                                                // committed here, or rolled back if it threw
 * }
 * }</pre>
 *
 * <p>Failures are {@link CovenantClientException}s carrying the problem's {@link ErrorCode}; the
 * client has already retried what may be retried ({@link RetryPolicy}). Thread-safe: share one
 * client per coordinator. {@link #close()} stops its threads.
 */
public final class CovenantClient implements AutoCloseable {
  private final CoordinatorHttp http;
  private final AsyncCovenantClient async;

  private CovenantClient(CoordinatorHttp http) {
    this.http = http;
    this.async = new AsyncCovenantClient(http);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The same client with non-blocking methods. */
  public AsyncCovenantClient async() {
    return async;
  }

  /** See {@link AsyncCovenantClient#begin(Mode, Duration)}. */
  public TransactionView begin(Mode mode, Duration timeout) {
    return await(async.begin(mode, timeout));
  }

  /** See {@link AsyncCovenantClient#begin(String, Mode, Duration)}. */
  public TransactionView begin(String gid, Mode mode, Duration timeout) {
    return await(async.begin(gid, mode, timeout));
  }

  /** See {@link AsyncCovenantClient#register}. */
  public TransactionView register(String gid, RegisterBranchRequest branch) {
    return await(async.register(gid, branch));
  }

  /** See {@link AsyncCovenantClient#registerForSummary}. */
  public TransactionSummary registerForSummary(String gid, RegisterBranchRequest branch) {
    return await(async.registerForSummary(gid, branch));
  }

  /** See {@link AsyncCovenantClient#registerTcc}. */
  public TransactionView registerTcc(String gid, String branchId, String confirmUrl, String cancelUrl, Object payload) {
    return await(async.registerTcc(gid, branchId, confirmUrl, cancelUrl, payload));
  }

  /** See {@link AsyncCovenantClient#registerTwoPhase}. */
  public TransactionView registerTwoPhase(
      String gid, String branchId, String commitUrl, String rollbackUrl, Object payload) {
    return await(async.registerTwoPhase(gid, branchId, commitUrl, rollbackUrl, payload));
  }

  /** See {@link AsyncCovenantClient#commit}. */
  public TransactionView commit(String gid) {
    return await(async.commit(gid));
  }

  /** See {@link AsyncCovenantClient#rollback}. */
  public TransactionView rollback(String gid) {
    return await(async.rollback(gid));
  }

  /** See {@link AsyncCovenantClient#submit}. */
  public TransactionView submit(SagaRequest saga) {
    return await(async.submit(saga));
  }

  /** See {@link AsyncCovenantClient#submitForSummary}. */
  public TransactionSummary submitForSummary(SagaRequest saga) {
    return await(async.submitForSummary(saga));
  }

  /** See {@link AsyncCovenantClient#get}. */
  public TransactionView get(String gid) {
    return await(async.get(gid));
  }

  /** See {@link AsyncCovenantClient#find}. */
  public Optional<TransactionView> find(String gid) {
    return await(async.find(gid));
  }

  /** See {@link AsyncCovenantClient#list}. */
  public TransactionPage list(TransactionQuery query) {
    return await(async.list(query));
  }

  /** See {@link AsyncCovenantClient#awaitEnd}: check {@code status().isFinished()} on the answer. */
  public TransactionView awaitEnd(String gid, Duration bound) {
    return await(async.awaitEnd(gid, bound));
  }

  /**
   * Runs {@code body} in a new global transaction: begins it (with a gid of the client's), makes its
   * gid the current {@link TransactionContext} while the body runs, then
   * <ul>
   *   <li>when the body returns, commits and returns what the body returned. The coordinator then
   *       confirms (TCC) or commits (2PC) every registered branch on its own; use {@link #awaitEnd}
   *       to wait for that.</li>
   *   <li>when the body throws, rolls back and rethrows the body's exception; a failure to roll back
   *       is added to it as suppressed (the transaction's timeout then rolls it back).</li>
   * </ul>
   * If the commit fails without an answer (the coordinator is unreachable even after the retries),
   * its outcome is unknown; the client then settles it by rolling back. If that finds the commit
   * already decided, this method returns normally; otherwise the commit's exception is thrown and
   * the transaction is rolled back (or, if the rollback failed too, will be at its timeout).
   *
   * <p>Each call begins a transaction of its own, also when called inside another's body. It blocks
   * the calling thread; the body runs on it. Its own begin, commit and rollback ask the coordinator
   * for summaries ({@code Prefer: return=minimal}), since it reads no more than the gid and status.
   *
   * @param mode {@link Mode#TCC} or {@link Mode#TWO_PHASE}
   * @param timeout rolled back if not committed within it; null for the coordinator's default
   * @throws CovenantClientException when begin or commit fail; for example
   *     {@link ErrorCode#TRANSACTION_ROLLED_BACK} when the timeout struck before the commit
   * @throws E what the body threw (after the rollback)
   */
  @SuppressWarnings("try") // the scope is used for its close() alone
  public <T, E extends Exception> T inGlobalTransaction(Mode mode, Duration timeout, TransactionBody<T, E> body)
      throws E {
    Objects.requireNonNull(body, "body");
    TransactionSummary begun = await(async.beginForSummary(mode, timeout));
    if (begun.status() != GlobalStatus.ACTIVE) {
      // Only a retried begin whose first attempt landed long enough ago to have timed out gets here.
      ErrorCode code = ErrorCode.TRANSACTION_NOT_ACTIVE;
      String detail = "gid " + begun.gid() + " is " + begun.status().code() + " already after begin";
      throw new CovenantClientException(code, code.httpStatus(), detail, begun.gid(), false,
          "begin gid=" + begun.gid() + ": " + detail, null);
    }
    GlobalTransaction tx = new GlobalTransaction(this, begun.gid(), mode);
    T result;
    try (TransactionContext.Scope scope = TransactionContext.bind(tx.gid(), null)) {
      result = body.run(tx);
    } catch (Throwable failure) {
      try {
        await(async.rollbackForSummary(tx.gid()));
      } catch (Throwable rollbackFailure) {
        failure.addSuppressed(rollbackFailure);
      }
      throw failure;
    }
    commitOrSettle(tx.gid());
    return result;
  }

  private void commitOrSettle(String gid) {
    try {
      await(async.commitForSummary(gid));
    } catch (CovenantClientException commitFailure) {
      if (!commitFailure.retryable()) {
        throw commitFailure; // a decided answer, e.g. transaction-rolled-back
      }
      try {
        await(async.rollbackForSummary(gid));
      } catch (CovenantClientException rollbackFailure) {
        if (rollbackFailure.code() == ErrorCode.TRANSACTION_COMMITTED) {
          return; // the commit had landed after all
        }
        commitFailure.addSuppressed(rollbackFailure);
      }
      throw commitFailure;
    }
  }

  /** Stops the client's threads; calls after this fail. Idempotent. */
  @Override
  public void close() {
    http.close();
  }

  @Override
  public String toString() {
    return "CovenantClient{" + http + "}";
  }

  /**
   * Waits for {@code future} and returns its value, or throws its failure as it is (a
   * {@link CovenantClientException} usually). An interrupt cancels the wait: the interrupt flag is
   * set again and a {@link CancellationException} thrown; the call itself may still take effect.
   */
  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      CancellationException c = new CancellationException("interrupted while waiting for the coordinator");
      c.initCause(e);
      throw c;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new CompletionException(cause);
    }
  }

  /**
   * Configures a {@link CovenantClient}. Only {@link #coordinator} is required.
   *
   * <table>
   *   <caption>Settings</caption>
   *   <tr><th>Setting</th><th>Default</th><th>Meaning</th></tr>
   *   <tr><td>{@code coordinator}</td><td>(required)</td><td>the coordinator's base URL, e.g. {@code http://localhost:8080}</td></tr>
   *   <tr><td>{@code requestTimeout}</td><td>10 s</td><td>how long one attempt may wait to connect and for the answer</td></tr>
   *   <tr><td>{@code retry}</td><td>{@link RetryPolicy#defaults()}</td><td>how failed attempts are retried</td></tr>
   * </table>
   */
  public static final class Builder {
    private URI coordinator;
    private Duration requestTimeout = Duration.ofSeconds(10);
    private RetryPolicy retry = RetryPolicy.defaults();

    private Builder() {}

    /** The coordinator's base URL ({@code http} or {@code https}); the API lives under its {@code /v1}. */
    public Builder coordinator(URI coordinator) {
      this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
      return this;
    }

    /** How long one attempt may take to connect and to get its answer. */
    public Builder requestTimeout(Duration requestTimeout) {
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive, was " + requestTimeout);
      }
      this.requestTimeout = requestTimeout;
      return this;
    }

    /** How calls are retried; {@link RetryPolicy#none()} turns retries off. */
    public Builder retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /**
     * @throws IllegalStateException naming the setting when the configuration is incomplete
     */
    public CovenantClient build() {
      if (coordinator == null) {
        throw new IllegalStateException("coordinator is required: the coordinator's base URL, e.g. http://localhost:8080");
      }
      String scheme = coordinator.getScheme();
      if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || coordinator.getHost() == null) {
        throw new IllegalStateException("coordinator must be an absolute http(s) URL, was " + coordinator);
      }
      if (coordinator.getRawQuery() != null || coordinator.getRawFragment() != null) {
        throw new IllegalStateException("coordinator must be a base URL without query or fragment, was " + coordinator);
      }
      return new CovenantClient(new CoordinatorHttp(coordinator, requestTimeout, retry));
    }
  }
}
