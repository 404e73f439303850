package io.covenant.client;

import io.covenant.protocol.Mode;
import io.covenant.protocol.Op;
import io.covenant.protocol.RegisterBranchRequest;
import io.covenant.protocol.TransactionView;

/**
 * The transaction a {@link CovenantClient#inGlobalTransaction} body runs in: its gid, and helpers
 * that register its branches and mark the calls made for one branch. Commit and rollback are the
 * scope's business, not the body's: return to commit, throw to roll back.
 *
 * <p>A TCC branch is registered <em>before</em> its try is called, so that the coordinator cancels
 * it even if the try's answer is lost:
 *
 * <pre>{@code
 * tx.registerTcc("stock", stockUrl, stockUrl, order);
 * try (var branch = tx.branch("stock")) {
 *   HttpResponse<String> answer = http.send(tryRequest, ofString());   // http: a PropagatingHttpClient
 *   if (answer.statusCode() == 409) throw new BusinessRefusal("stock refused: " + answer.body());
 * }
 * }</pre>
 *
 * <p>The methods block, like {@link CovenantClient}'s; use the handle only while the body runs.
 */
public final class GlobalTransaction {
  private final CovenantClient client;
  private final String gid;
  private final Mode mode;

  GlobalTransaction(CovenantClient client, String gid, Mode mode) {
    this.client = client;
    this.gid = gid;
    this.mode = mode;
  }

  public String gid() {
    return gid;
  }

  public Mode mode() {
    return mode;
  }

  /** Registers a branch of this transaction; see {@link AsyncCovenantClient#register}. */
  public TransactionView register(RegisterBranchRequest branch) {
    return client.register(gid, branch);
  }

  /** Registers a TCC branch of this transaction; see {@link AsyncCovenantClient#registerTcc}. */
  public TransactionView registerTcc(String branchId, String confirmUrl, String cancelUrl, Object payload) {
    return client.registerTcc(gid, branchId, confirmUrl, cancelUrl, payload);
  }

  /** Registers a 2PC branch of this transaction; see {@link AsyncCovenantClient#registerTwoPhase}. */
  public TransactionView registerTwoPhase(String branchId, String commitUrl, String rollbackUrl, Object payload) {
    return client.registerTwoPhase(gid, branchId, commitUrl, rollbackUrl, payload);
  }

  /**
   * Makes {@code branchId} part of the current context until the scope closes, so that calls made
   * meanwhile through {@link CovenantHeaders} or a {@link PropagatingHttpClient} carry
   * {@code Covenant-Branch} as well as {@code Covenant-Gid}, and, in a TCC transaction,
   * {@code Covenant-Op: try}: the participant's try sees the same (gid, branch) as the confirm or
   * cancel that follow, and its dispatcher and barrier can key on them.
   */
  public TransactionContext.Scope branch(String branchId) {
    TransactionContext context = TransactionContext.of(gid, branchId);
    return (mode == Mode.TCC ? context.withOp(Op.TRY) : context).makeCurrent();
  }

  @Override
  public String toString() {
    return "GlobalTransaction{gid=" + gid + ", mode=" + mode.code() + "}";
  }
}
