package io.covenant.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.covenant.client.internal.ClientJson;
import io.covenant.client.internal.CoordinatorHttp;
import io.covenant.client.internal.Gids;
import io.covenant.protocol.BeginRequest;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.RegisterBranchRequest;
import io.covenant.protocol.SagaRequest;
import io.covenant.protocol.TransactionPage;
import io.covenant.protocol.TransactionSummary;
import io.covenant.protocol.TransactionView;
import io.covenant.protocol.WireCode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The non-blocking form of {@link CovenantClient}, from {@link CovenantClient#async()}: the same
 * methods, each returning a {@link CompletableFuture}.
 *
 * <p>A future completes with the coordinator's answer, or exceptionally with a
 * {@link CovenantClientException} once the call has failed for good (see {@link RetryPolicy} for what
 * is retried first). Invalid arguments (a null gid, a saga mode given to begin) throw at once
 * instead. Futures complete on the client's own threads: do not block in their callbacks.
 *
 * <p>The writes answer the transaction's whole view. Where only its gid and status matter,
 * {@link #registerForSummary} and {@link #submitForSummary} answer a {@link TransactionSummary}
 * instead: they send {@code Prefer: return=minimal}, which saves the coordinator building the view.
 */
public final class AsyncCovenantClient {
  /** First wait between two polls of {@link #awaitEnd}; it doubles up to {@link #POLL_INTERVAL_MAX}. */
  static final Duration POLL_INTERVAL_FIRST = Duration.ofMillis(10);
  static final Duration POLL_INTERVAL_MAX = Duration.ofSeconds(1);

  private final CoordinatorHttp http;

  AsyncCovenantClient(CoordinatorHttp http) {
    this.http = http;
  }

  /**
   * Begins a TCC or 2PC transaction with a gid the client makes, so that a retried begin finds the
   * transaction its first attempt created.
   *
   * @param timeout rolled back if nobody commits within it; null for the coordinator's default
   * @return the new transaction ({@code active}); its {@code gid()} names it from now on
   */
  public CompletableFuture<TransactionView> begin(Mode mode, Duration timeout) {
    return begin(Gids.newGid(), mode, timeout);
  }

  /**
   * Begins a TCC or 2PC transaction with your gid, for example one derived from the business
   * operation ({@code "order-4711"}). Idempotent: if the gid exists with this mode, the answer is
   * that transaction <em>as it is now</em>, which may be decided already; check {@code status()}.
   *
   * @param timeout rolled back if nobody commits within it; null for the coordinator's default
   */
  public CompletableFuture<TransactionView> begin(String gid, Mode mode, Duration timeout) {
    return forView(beginWrite(gid, mode, timeout));
  }

  /** {@link #begin(Mode, Duration)}, answered with the summary: for the scope, which needs only the gid and status. */
  CompletableFuture<TransactionSummary> beginForSummary(Mode mode, Duration timeout) {
    return forSummary(beginWrite(Gids.newGid(), mode, timeout));
  }

  private static Write beginWrite(String gid, Mode mode, Duration timeout) {
    Objects.requireNonNull(gid, "gid");
    Objects.requireNonNull(mode, "mode");
    if (mode == Mode.SAGA) {
      throw new IllegalArgumentException("a saga is not begun: submit it whole with submit(SagaRequest)");
    }
    Long millis = timeout == null ? null : positiveMillis("timeout", timeout);
    return new Write("begin", gid, "/v1/transactions", new BeginRequest(gid, mode, millis));
  }

  /**
   * Registers a branch: for TCC <em>before</em> calling its try, for 2PC after it has prepared.
   * Registering the same branch again with the same content is a no-op, so a retry is safe.
   *
   * @return the transaction with the branch; fails with {@link ErrorCode#TRANSACTION_NOT_ACTIVE}
   *     when the transaction is decided, even if the coordinator had recorded the branch earlier (an
   *     earlier attempt whose answer was lost): then do not call the try
   */
  public CompletableFuture<TransactionView> register(String gid, RegisterBranchRequest branch) {
    Write register = registerWrite(gid, branch);
    return forView(register).thenApply(view -> requireActive(register, view.status(), view));
  }

  /**
   * {@link #register}, answered with the summary rather than the view: for a caller that only needs
   * to know the branch is registered on an active transaction, such as a participant about to run
   * its try. Fails like {@link #register}.
   */
  public CompletableFuture<TransactionSummary> registerForSummary(String gid, RegisterBranchRequest branch) {
    Write register = registerWrite(gid, branch);
    return forSummary(register).thenApply(summary -> requireActive(register, summary.status(), summary));
  }

  private static Write registerWrite(String gid, RegisterBranchRequest branch) {
    Objects.requireNonNull(gid, "gid");
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(branch.branchId(), "branch.branchId");
    return new Write("register branch " + branch.branchId() + " of", gid,
        "/v1/transactions/" + CoordinatorHttp.segment(gid) + "/branches", branch);
  }

  /**
   * Registers a TCC branch; see {@link #register}.
   *
   * @param payload any value Jackson can write (a {@link JsonNode} is taken as is), or null for none;
   *     sent as the body of the confirm and cancel calls
   */
  public CompletableFuture<TransactionView> registerTcc(
      String gid, String branchId, String confirmUrl, String cancelUrl, Object payload) {
    return register(gid, RegisterBranchRequest.tcc(branchId, confirmUrl, cancelUrl, toJson(payload)));
  }

  /** Registers a 2PC branch after it has prepared; see {@link #register} and {@link #registerTcc}. */
  public CompletableFuture<TransactionView> registerTwoPhase(
      String gid, String branchId, String commitUrl, String rollbackUrl, Object payload) {
    return register(gid, RegisterBranchRequest.twoPhase(branchId, commitUrl, rollbackUrl, toJson(payload)));
  }

  /**
   * Decides commit. Completes once the decision is durable ({@code committing} or {@code committed});
   * the coordinator then confirms or commits every branch on its own. Idempotent.
   *
   * @return fails with {@link ErrorCode#TRANSACTION_ROLLED_BACK} if it was rolled back (by a client,
   *     a refused saga step, or its timeout)
   */
  public CompletableFuture<TransactionView> commit(String gid) {
    return forView(decisionWrite("commit", gid));
  }

  /** {@link #commit}, answered with the summary: for the scope, which reads nothing of the answer. */
  CompletableFuture<TransactionSummary> commitForSummary(String gid) {
    return forSummary(decisionWrite("commit", gid));
  }

  /**
   * Decides rollback. Completes once the decision is durable ({@code rolling_back} or
   * {@code rolled_back}); the coordinator then cancels every registered branch. Idempotent.
   *
   * @return fails with {@link ErrorCode#TRANSACTION_COMMITTED} if commit was decided first
   */
  public CompletableFuture<TransactionView> rollback(String gid) {
    return forView(decisionWrite("rollback", gid));
  }

  /** {@link #rollback}, answered with the summary: for the scope, which reads nothing of the answer. */
  CompletableFuture<TransactionSummary> rollbackForSummary(String gid) {
    return forSummary(decisionWrite("rollback", gid));
  }

  /** A commit or rollback: {@code decision} is both the call's name and the last segment of its path. */
  private static Write decisionWrite(String decision, String gid) {
    Objects.requireNonNull(gid, "gid");
    return new Write(decision, gid, "/v1/transactions/" + CoordinatorHttp.segment(gid) + "/" + decision, null);
  }

  /**
   * Submits a whole saga for the coordinator to run. A saga without a gid gets one from the client,
   * so that a retried submission is idempotent. Completes once the saga is durable; it then runs on
   * its own: use {@link #awaitEnd} to wait for its end.
   */
  public CompletableFuture<TransactionView> submit(SagaRequest saga) {
    return forView(submitWrite(saga));
  }

  /**
   * {@link #submit}, answered with the summary rather than the view: for a caller that needs only
   * the gid (and perhaps the status) of the saga it submitted. Fails like {@link #submit}.
   */
  public CompletableFuture<TransactionSummary> submitForSummary(SagaRequest saga) {
    return forSummary(submitWrite(saga));
  }

  private static Write submitWrite(SagaRequest saga) {
    Objects.requireNonNull(saga, "saga");
    SagaRequest withGid = saga.gid() != null ? saga
        : new SagaRequest(Gids.newGid(), saga.name(), saga.timeoutMillis(), saga.recovery(), saga.steps());
    return new Write("submit saga", withGid.gid(), "/v1/sagas", withGid);
  }

  /** The transaction with its branches; fails with {@link ErrorCode#TRANSACTION_NOT_FOUND} for an unknown (or purged) gid. */
  public CompletableFuture<TransactionView> get(String gid) {
    Objects.requireNonNull(gid, "gid");
    return http.get("get", gid, "/v1/transactions/" + CoordinatorHttp.segment(gid), TransactionView.class);
  }

  /** Like {@link #get}, but empty for an unknown (or purged) gid. */
  public CompletableFuture<Optional<TransactionView>> find(String gid) {
    return get(gid).handle((view, failure) -> {
      if (failure == null) {
        return Optional.of(view);
      }
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      if (cause instanceof CovenantClientException e && e.code() == ErrorCode.TRANSACTION_NOT_FOUND) {
        return Optional.empty();
      }
      throw failure instanceof CompletionException c ? c : new CompletionException(cause);
    });
  }

  /** One page of transactions matching {@code query}, oldest first. */
  public CompletableFuture<TransactionPage> list(TransactionQuery query) {
    Objects.requireNonNull(query, "query");
    List<String> params = new ArrayList<>();
    if (!query.statuses().isEmpty()) {
      params.add("status=" + query.statuses().stream().sorted().map(WireCode::code).collect(Collectors.joining(",")));
    }
    if (query.mode() != null) {
      params.add("mode=" + query.mode().code());
    }
    if (query.stuck() != null) {
      params.add("stuck=" + query.stuck());
    }
    if (query.olderThan() != null) {
      params.add("olderThanMillis=" + query.olderThan().toMillis());
    }
    if (query.limit() != null) {
      params.add("limit=" + query.limit());
    }
    if (query.cursor() != null) {
      params.add("cursor=" + URLEncoder.encode(query.cursor(), StandardCharsets.UTF_8));
    }
    String path = "/v1/transactions" + (params.isEmpty() ? "" : "?" + String.join("&", params));
    return http.get("list", null, path, TransactionPage.class);
  }

  /**
   * Polls the transaction until it is {@code committed} or {@code rolled_back}, or until
   * {@code bound} has passed, whichever comes first. Polls start 10 ms apart and back off to 1 s;
   * no thread waits in between.
   *
   * @return the last view read: <em>check {@code status().isFinished()}</em>, because a transaction
   *     that is still being driven when the bound passes (a participant down, for instance) is
   *     answered as it is, not as an error; fails like {@link #get} when a poll fails for good
   */
  public CompletableFuture<TransactionView> awaitEnd(String gid, Duration bound) {
    Objects.requireNonNull(gid, "gid");
    Objects.requireNonNull(bound, "bound");
    long deadline = System.nanoTime() + bound.toNanos();
    return poll(gid, deadline, POLL_INTERVAL_FIRST);
  }

  private CompletableFuture<TransactionView> poll(String gid, long deadline, Duration wait) {
    return get(gid).thenCompose(view -> {
      long left = deadline - System.nanoTime();
      if (view.status().isFinished() || left <= 0) {
        return CompletableFuture.completedFuture(view);
      }
      Executor later = CompletableFuture.delayedExecutor(Math.min(wait.toNanos(), left), TimeUnit.NANOSECONDS,
          http.executor());
      Duration nextWait = wait.multipliedBy(2).compareTo(POLL_INTERVAL_MAX) > 0 ? POLL_INTERVAL_MAX : wait.multipliedBy(2);
      return CompletableFuture.runAsync(() -> {}, later).thenCompose(ignored -> poll(gid, deadline, nextWait));
    });
  }

  /** A state-changing call, ready to be sent for the view or for the summary. */
  private record Write(String what, String gid, String path, Object body) {}

  private CompletableFuture<TransactionView> forView(Write write) {
    return http.post(write.what(), write.gid(), write.path(), write.body(), TransactionView.class);
  }

  private CompletableFuture<TransactionSummary> forSummary(Write write) {
    return http.postForSummary(write.what(), write.gid(), write.path(), write.body());
  }

  /** {@code answer} when the registration's transaction is still {@code active}; else transaction-not-active. */
  private static <T> T requireActive(Write register, GlobalStatus status, T answer) {
    if (status == GlobalStatus.ACTIVE) {
      return answer;
    }
    String gid = register.gid();
    String detail = "gid " + gid + " is " + status.code() + "; the branch must not be tried";
    ErrorCode code = ErrorCode.TRANSACTION_NOT_ACTIVE;
    throw new CovenantClientException(code, code.httpStatus(), detail, gid, false,
        register.what() + " gid=" + gid + ": " + code.httpStatus() + " " + code.slug() + ": " + detail, null);
  }

  static JsonNode toJson(Object payload) {
    if (payload == null || payload instanceof JsonNode) {
      return (JsonNode) payload;
    }
    return ClientJson.mapper().valueToTree(payload);
  }

  private static long positiveMillis(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
    return Math.max(1, d.toMillis());
  }
}
