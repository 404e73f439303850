package io.covenant.coordinator.core;

import static io.covenant.protocol.BranchStatus.CANCELLED;
import static io.covenant.protocol.BranchStatus.COMPENSATED;
import static io.covenant.protocol.BranchStatus.CONFIRMED;
import static io.covenant.protocol.BranchStatus.FAILED;
import static io.covenant.protocol.BranchStatus.PENDING;
import static io.covenant.protocol.BranchStatus.SKIPPED;
import static io.covenant.protocol.BranchStatus.SUCCEEDED;
import static io.covenant.protocol.GlobalStatus.ACTIVE;
import static io.covenant.protocol.GlobalStatus.COMMITTED;
import static io.covenant.protocol.GlobalStatus.COMMITTING;
import static io.covenant.protocol.GlobalStatus.ROLLED_BACK;
import static io.covenant.protocol.GlobalStatus.ROLLING_BACK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.coordinator.core.Outcome.Changed;
import io.covenant.coordinator.core.Outcome.Rejected;
import io.covenant.coordinator.core.Outcome.Unchanged;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.Mode;
import io.covenant.protocol.Op;
import io.covenant.protocol.SagaRecovery;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CoreTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  final Core core = new Core(new Core.Policy(new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(10)), 10, 3));

  GlobalTx changed(GlobalTx tx, Event e) {
    Outcome o = core.on(tx, e);
    assertThat(o).as("outcome of %s", e).isInstanceOf(Changed.class);
    return ((Changed) o).next();
  }

  Rejected rejected(GlobalTx tx, Event e) {
    Outcome o = core.on(tx, e);
    assertThat(o).as("outcome of %s", e).isInstanceOf(Rejected.class);
    return (Rejected) o;
  }

  static Instant at(long millis) {
    return T0.plusMillis(millis);
  }

  static List<String> calls(Plan plan) {
    return plan.calls().stream().map(c -> c.branchId() + ":" + c.op().code()).toList();
  }

  static BranchStatus status(GlobalTx tx, String branch) {
    return tx.findBranch(branch).orElseThrow().status();
  }

  GlobalTx tccWithTwoBranches() {
    GlobalTx tx = core.begin("g1", Mode.TCC, T0, at(30_000));
    tx = changed(tx, new Event.Register(Branch.registered("stock", "http://s/confirm", "http://s/cancel", "{\"n\":1}"), at(1)));
    return changed(tx, new Event.Register(Branch.registered("pay", "http://p/confirm", "http://p/cancel", null), at(2)));
  }

  @Nested
  class Tcc {
    @Test
    void commitConfirmsEveryBranchThenFinishes() {
      GlobalTx tx = changed(tccWithTwoBranches(), new Event.Commit(at(3)));
      assertThat(tx.status()).isEqualTo(COMMITTING);
      assertThat(calls(core.plan(tx, at(3), Set.of()))).containsExactly("stock:confirm", "pay:confirm");

      tx = changed(tx, new Event.CallSucceeded("stock", Op.CONFIRM, at(4)));
      assertThat(tx.status()).isEqualTo(COMMITTING);
      assertThat(calls(core.plan(tx, at(4), Set.of("pay")))).isEmpty();
      tx = changed(tx, new Event.CallSucceeded("pay", Op.CONFIRM, at(5)));
      assertThat(tx.status()).isEqualTo(COMMITTED);
      assertThat(tx.branches()).extracting(Branch::status).containsOnly(CONFIRMED);
    }

    @Test
    void rollbackCancelsEveryRegisteredBranch() {
      GlobalTx tx = changed(tccWithTwoBranches(), new Event.Rollback("try refused", at(3)));
      assertThat(tx.status()).isEqualTo(ROLLING_BACK);
      assertThat(tx.reason()).isEqualTo("try refused");
      assertThat(calls(core.plan(tx, at(3), Set.of()))).containsExactly("stock:cancel", "pay:cancel");
      tx = changed(tx, new Event.CallSucceeded("stock", Op.CANCEL, at(4)));
      tx = changed(tx, new Event.CallSucceeded("pay", Op.CANCEL, at(4)));
      assertThat(tx.status()).isEqualTo(ROLLED_BACK);
      assertThat(tx.branches()).extracting(Branch::status).containsOnly(CANCELLED);
    }

    @Test
    void theDecisionIsMadeOnceAndRepeatsAreAnsweredFromTheState() {
      GlobalTx committing = changed(tccWithTwoBranches(), new Event.Commit(at(3)));
      assertThat(core.on(committing, new Event.Commit(at(4)))).isInstanceOf(Unchanged.class);
      assertThat(rejected(committing, new Event.Rollback("late", at(4))).code()).isEqualTo(ErrorCode.TRANSACTION_COMMITTED);
      assertThat(core.on(committing, new Event.Expire(at(60_000)))).isInstanceOf(Unchanged.class);

      GlobalTx rollingBack = changed(tccWithTwoBranches(), new Event.Rollback("client", at(3)));
      assertThat(rejected(rollingBack, new Event.Commit(at(4))).code()).isEqualTo(ErrorCode.TRANSACTION_ROLLED_BACK);
      assertThat(core.on(rollingBack, new Event.Rollback("again", at(4)))).isInstanceOf(Unchanged.class);
    }

    @Test
    void aRepeatedRegistrationIsComparedByItsPayloadsValueNotItsText() {
      GlobalTx tx = core.begin("g1", Mode.TCC, T0, at(30_000));
      tx = changed(tx, new Event.Register(Branch.registered("stock", "http://s/c", "http://s/x", "{\"sku\":\"A-1\",\"qty\":2}"), at(1)));
      assertThat(core.on(tx, new Event.Register(Branch.registered("stock", "http://s/c", "http://s/x", "{ \"qty\": 2, \"sku\": \"A-1\" }"), at(2))))
          .as("same members in another order").isInstanceOf(Unchanged.class);
      assertThat(rejected(tx, new Event.Register(Branch.registered("stock", "http://s/c", "http://s/x", "{\"sku\":\"A-1\",\"qty\":3}"), at(2))).code())
          .isEqualTo(ErrorCode.BRANCH_CONFLICT);
      assertThat(rejected(tx, new Event.Register(Branch.registered("stock", "http://s/c", "http://s/x", null), at(2))).code())
          .isEqualTo(ErrorCode.BRANCH_CONFLICT);
    }

    @Test
    void registrationIsIdempotentAndClosesWithTheDecision() {
      GlobalTx tx = tccWithTwoBranches();
      assertThat(core.on(tx, new Event.Register(Branch.registered("stock", "http://s/confirm", "http://s/cancel", "{\"n\":1}"), at(3))))
          .isInstanceOf(Unchanged.class);
      assertThat(rejected(tx, new Event.Register(Branch.registered("stock", "http://s/other", "http://s/cancel", null), at(3))).code())
          .isEqualTo(ErrorCode.BRANCH_CONFLICT);
      GlobalTx committed = changed(tx, new Event.Commit(at(4)));
      assertThat(rejected(committed, new Event.Register(Branch.registered("late", "http://l/c", "http://l/x", null), at(5))).code())
          .isEqualTo(ErrorCode.TRANSACTION_NOT_ACTIVE);
    }

    @Test
    void refusesBranchesBeyondTheLimit() {
      GlobalTx tx = core.begin("g", Mode.TCC, T0, at(1000));
      for (int i = 0; i < 10; i++) {
        tx = changed(tx, new Event.Register(Branch.registered("b" + i, "http://x/c", "http://x/r", null), at(1)));
      }
      assertThat(rejected(tx, new Event.Register(Branch.registered("b10", "http://x/c", "http://x/r", null), at(1))).code())
          .isEqualTo(ErrorCode.LIMIT_EXCEEDED);
    }

    @Test
    void rollsBackAtTheDeadlineAndNotBefore() {
      GlobalTx tx = tccWithTwoBranches();
      assertThat(core.plan(tx, at(29_999), Set.of())).isEqualTo(new Plan(List.of(), at(30_000), false));
      assertThat(core.on(tx, new Event.Expire(at(29_999)))).isInstanceOf(Unchanged.class);
      assertThat(core.plan(tx, at(30_000), Set.of()).expired()).isTrue();
      GlobalTx expired = changed(tx, new Event.Expire(at(30_000)));
      assertThat(expired.status()).isEqualTo(ROLLING_BACK);
      assertThat(expired.reason()).contains("timed out");
    }

    @Test
    void commitWithNoBranchesFinishesAtOnce() {
      GlobalTx tx = changed(core.begin("empty", Mode.TCC, T0, at(1000)), new Event.Commit(at(1)));
      assertThat(tx.status()).isEqualTo(COMMITTED);
      assertThat(core.plan(tx, at(1), Set.of())).isEqualTo(Plan.NOTHING);
    }

    @Test
    void aFailedConfirmIsRetriedWithBackoffAndShowsAsStuck() {
      GlobalTx tx = changed(tccWithTwoBranches(), new Event.Commit(at(3)));
      tx = changed(tx, new Event.CallFailed("stock", Op.CONFIRM, false, "503", 0.0, at(10)));
      Branch stock = tx.findBranch("stock").orElseThrow();
      assertThat(stock.attempts()).isEqualTo(1);
      assertThat(stock.nextAttemptAt()).isEqualTo(at(60)); // half of 100 ms with zero jitter
      assertThat(calls(core.plan(tx, at(59), Set.of("pay")))).isEmpty();
      assertThat(core.plan(tx, at(59), Set.of("pay")).wakeAt()).isEqualTo(at(60));
      assertThat(calls(core.plan(tx, at(60), Set.of("pay")))).containsExactly("stock:confirm");

      tx = changed(tx, new Event.CallFailed("stock", Op.CONFIRM, true, "no", 0.0, at(61)));
      assertThat(tx.status()).as("a refused confirm cannot undo the decision").isEqualTo(COMMITTING);
      assertThat(tx.isStuck(3)).isFalse();
      tx = changed(tx, new Event.CallFailed("stock", Op.CONFIRM, false, "503", 0.0, at(300)));
      assertThat(tx.isStuck(3)).isTrue();
      assertThat(tx.findBranch("stock").orElseThrow().lastError()).isEqualTo("503");
      tx = changed(tx, new Event.CallSucceeded("stock", Op.CONFIRM, at(1000)));
      assertThat(tx.isStuck(3)).isFalse();
    }

    @Test
    void lateAndDuplicateAnswersChangeNothing() {
      GlobalTx tx = changed(tccWithTwoBranches(), new Event.Commit(at(3)));
      tx = changed(tx, new Event.CallSucceeded("stock", Op.CONFIRM, at(4)));
      assertThat(core.on(tx, new Event.CallSucceeded("stock", Op.CONFIRM, at(5)))).isInstanceOf(Unchanged.class);
      assertThat(core.on(tx, new Event.CallSucceeded("stock", Op.CANCEL, at(5)))).isInstanceOf(Unchanged.class);
      assertThat(core.on(tx, new Event.CallFailed("stock", Op.CONFIRM, false, "x", 0.5, at(5)))).isInstanceOf(Unchanged.class);
      assertThat(core.on(tx, new Event.CallSucceeded("nobody", Op.CONFIRM, at(5)))).isInstanceOf(Unchanged.class);
    }
  }

  @Nested
  class TwoPhase {
    @Test
    void commitAndRollbackDriveTheMatchingPhaseTwoCall() {
      GlobalTx tx = core.begin("x", Mode.TWO_PHASE, T0, at(1000));
      tx = changed(tx, new Event.Register(Branch.registered("db1", "http://a/commit", "http://a/rollback", null), at(1)));
      GlobalTx committing = changed(tx, new Event.Commit(at(2)));
      assertThat(calls(core.plan(committing, at(2), Set.of()))).containsExactly("db1:commit");
      assertThat(changed(committing, new Event.CallSucceeded("db1", Op.COMMIT, at(3))).status()).isEqualTo(COMMITTED);
      GlobalTx rollingBack = changed(tx, new Event.Rollback("client", at(2)));
      assertThat(calls(core.plan(rollingBack, at(2), Set.of()))).containsExactly("db1:rollback");
      GlobalTx done = changed(rollingBack, new Event.CallSucceeded("db1", Op.ROLLBACK, at(3)));
      assertThat(done.status()).isEqualTo(ROLLED_BACK);
      assertThat(status(done, "db1")).isEqualTo(BranchStatus.ROLLED_BACK);
    }
  }

  static Branch step(String name, List<String> dependsOn) {
    return Branch.step(name, "http://p/" + name, "http://p/undo-" + name, null, dependsOn, false, 3, null);
  }

  GlobalTx sequentialSaga(int steps) {
    List<Branch> list = new ArrayList<>();
    for (int i = 1; i <= steps; i++) {
      list.add(step("s" + i, i == 1 ? List.of() : List.of("s" + (i - 1))));
    }
    return core.saga("saga", list, SagaRecovery.COMPENSATE, T0, null);
  }

  @Nested
  class Saga {
    @Test
    void stepsRunOneAfterAnotherAndTheSagaCommitsWhenAllSucceed() {
      GlobalTx tx = sequentialSaga(3);
      assertThat(tx.status()).isEqualTo(ACTIVE);
      for (int i = 1; i <= 3; i++) {
        assertThat(calls(core.plan(tx, at(i), Set.of()))).containsExactly("s" + i + ":action");
        tx = changed(tx, new Event.CallSucceeded("s" + i, Op.ACTION, at(i)));
      }
      assertThat(tx.status()).isEqualTo(COMMITTED);
    }

    @Test
    void aRefusedThirdStepCompensatesStepsThreeTwoOneInThatOrder() {
      GlobalTx tx = sequentialSaga(4);
      tx = changed(tx, new Event.CallSucceeded("s1", Op.ACTION, at(1)));
      tx = changed(tx, new Event.CallSucceeded("s2", Op.ACTION, at(2)));
      tx = changed(tx, new Event.CallFailed("s3", Op.ACTION, true, "out of stock", 0.5, at(3)));
      assertThat(tx.status()).isEqualTo(ROLLING_BACK);
      assertThat(tx.reason()).contains("s3").contains("out of stock");
      assertThat(status(tx, "s3")).isEqualTo(FAILED);
      assertThat(status(tx, "s4")).isEqualTo(SKIPPED);
      List<String> order = new ArrayList<>();
      while (!tx.status().isFinished()) {
        List<Call> due = core.plan(tx, at(10), Set.of()).calls();
        assertThat(due).hasSize(1);
        order.add(due.get(0).branchId());
        tx = changed(tx, new Event.CallSucceeded(due.get(0).branchId(), Op.COMPENSATE, at(10)));
      }
      assertThat(order).containsExactly("s3", "s2", "s1");
      assertThat(tx.status()).isEqualTo(ROLLED_BACK);
    }

    @Test
    void aTransientFailureIsRetriedUntilTheStepRunsOutOfAttempts() {
      GlobalTx tx = sequentialSaga(2);
      tx = changed(tx, new Event.CallFailed("s1", Op.ACTION, false, "503", 0.0, at(1)));
      tx = changed(tx, new Event.CallFailed("s1", Op.ACTION, false, "503", 0.0, at(100)));
      assertThat(tx.status()).isEqualTo(ACTIVE);
      assertThat(status(tx, "s1")).isEqualTo(PENDING);
      tx = changed(tx, new Event.CallFailed("s1", Op.ACTION, false, "503", 0.0, at(300)));
      assertThat(tx.status()).isEqualTo(ROLLING_BACK);
      assertThat(tx.reason()).contains("after 3 attempts");
      assertThat(calls(core.plan(tx, at(300), Set.of()))).as("it may have run: compensate it").containsExactly("s1:compensate");
    }

    @Test
    void parallelStepsStartTogetherAndCompensateInReverseDependencyOrder() {
      GlobalTx tx = core.saga("p", List.of(step("a", List.of()), step("b", List.of("a")), step("c", List.of("a")),
          step("d", List.of("b", "c")), step("e", List.of("d"))), SagaRecovery.COMPENSATE, T0, null);
      tx = changed(tx, new Event.CallSucceeded("a", Op.ACTION, at(1)));
      assertThat(calls(core.plan(tx, at(1), Set.of()))).containsExactly("b:action", "c:action");
      tx = changed(tx, new Event.CallSucceeded("b", Op.ACTION, at(2)));
      assertThat(calls(core.plan(tx, at(2), Set.of("c")))).as("d waits for c").isEmpty();
      tx = changed(tx, new Event.CallSucceeded("c", Op.ACTION, at(3)));
      tx = changed(tx, new Event.CallFailed("d", Op.ACTION, true, "no", 0.0, at(4)));
      assertThat(status(tx, "e")).isEqualTo(SKIPPED);
      assertThat(calls(core.plan(tx, at(5), Set.of()))).containsExactly("d:compensate");
      tx = changed(tx, new Event.CallSucceeded("d", Op.COMPENSATE, at(5)));
      assertThat(calls(core.plan(tx, at(6), Set.of()))).containsExactly("b:compensate", "c:compensate");
      tx = changed(tx, new Event.CallSucceeded("b", Op.COMPENSATE, at(6)));
      assertThat(calls(core.plan(tx, at(6), Set.of("c")))).as("a waits for c").isEmpty();
      tx = changed(tx, new Event.CallSucceeded("c", Op.COMPENSATE, at(7)));
      assertThat(calls(core.plan(tx, at(7), Set.of()))).containsExactly("a:compensate");
    }

    @Test
    void aStepInFlightWhenTheSagaTurnsIsCompensatedAfterItsAnswer() {
      GlobalTx tx = core.saga("p", List.of(step("a", List.of()), step("b", List.of())), SagaRecovery.COMPENSATE, T0, null);
      tx = changed(tx, new Event.CallFailed("a", Op.ACTION, true, "no", 0.0, at(1)));
      assertThat(calls(core.plan(tx, at(1), Set.of("b")))).containsExactly("a:compensate");
      tx = changed(tx, new Event.CallSucceeded("a", Op.COMPENSATE, at(2)));
      assertThat(tx.status()).isEqualTo(ROLLING_BACK);
      tx = changed(tx, new Event.CallSucceeded("b", Op.ACTION, at(3)));
      assertThat(status(tx, "b")).isEqualTo(SUCCEEDED);
      assertThat(calls(core.plan(tx, at(3), Set.of()))).containsExactly("b:compensate");
      assertThat(changed(tx, new Event.CallSucceeded("b", Op.COMPENSATE, at(4))).status()).isEqualTo(ROLLED_BACK);
    }

    @Test
    void anEligibleStepIsCompensatedEvenIfNoAnswerWasRecordedBecauseItMayHaveRun() {
      // After a crash the engine cannot know whether it sent b's action; b's dependencies had succeeded.
      GlobalTx tx = core.saga("p", List.of(step("a", List.of()), step("b", List.of("a"))), SagaRecovery.COMPENSATE, T0, at(100));
      tx = changed(tx, new Event.CallSucceeded("a", Op.ACTION, at(1)));
      tx = changed(tx, new Event.Expire(at(100)));
      assertThat(calls(core.plan(tx, at(100), Set.of()))).containsExactly("b:compensate");
    }

    @Test
    void afterThePivotTheSagaOnlyGoesForward() {
      Branch pivot = Branch.step("ship", "http://p/ship", null, null, List.of("pay"), true, 3, null);
      GlobalTx tx = core.saga("p", List.of(step("pay", List.of()), pivot, step("notify", List.of("ship"))),
          SagaRecovery.COMPENSATE, T0, at(1000));
      tx = changed(tx, new Event.CallSucceeded("pay", Op.ACTION, at(1)));
      tx = changed(tx, new Event.CallSucceeded("ship", Op.ACTION, at(2)));
      assertThat(tx.status()).isEqualTo(COMMITTING);
      for (int i = 0; i < 5; i++) {
        tx = changed(tx, new Event.CallFailed("notify", Op.ACTION, i % 2 == 0, "down", 0.0, at(10 + i * 100_000)));
      }
      assertThat(tx.status()).isEqualTo(COMMITTING);
      assertThat(core.on(tx, new Event.Expire(at(2_000_000)))).isInstanceOf(Unchanged.class);
      assertThat(rejected(tx, new Event.Rollback("client", at(2_000_000))).code()).isEqualTo(ErrorCode.TRANSACTION_COMMITTED);
      assertThat(changed(tx, new Event.CallSucceeded("notify", Op.ACTION, at(3_000_000))).status()).isEqualTo(COMMITTED);
    }

    @Test
    void aPivotThatMayHaveRunIsRetriedUntilItAnswersAndHoldsOffTimeoutAndRollback() {
      // Found by the simulation (seed 133): a pivot whose answers were lost ran out of attempts,
      // the saga rolled back, and the pivot's effect, which nothing can undo, remained.
      Branch pivot = Branch.step("ship", "http://p/ship", null, null, List.of("pay"), true, 2, null);
      GlobalTx tx = core.saga("p", List.of(step("pay", List.of()), pivot), SagaRecovery.COMPENSATE, T0, at(1000));
      tx = changed(tx, new Event.CallSucceeded("pay", Op.ACTION, at(1)));
      for (int i = 0; i < 5; i++) {
        tx = changed(tx, new Event.CallFailed("ship", Op.ACTION, false, "timed out", 0.0, at(10 + i)));
      }
      assertThat(tx.status()).isEqualTo(ACTIVE);
      assertThat(status(tx, "ship")).isEqualTo(PENDING);
      assertThat(core.plan(tx, at(5_000), Set.of("ship")).expired()).isFalse();
      assertThat(core.on(tx, new Event.Expire(at(5_000)))).isInstanceOf(Unchanged.class);
      assertThat(rejected(tx, new Event.Rollback("client", at(5_000))).code()).isEqualTo(ErrorCode.TRANSACTION_NOT_ACTIVE);

      GlobalTx refused = changed(tx, new Event.CallFailed("ship", Op.ACTION, true, "no", 0.0, at(6_000)));
      assertThat(refused.status()).as("a refusal means no effect: compensate the rest").isEqualTo(ROLLING_BACK);
      assertThat(changed(tx, new Event.CallSucceeded("ship", Op.ACTION, at(6_000))).status()).isEqualTo(COMMITTED);
    }

    @Test
    void aStepThatMayRunAlongsideAPivotIsRefused() {
      Branch pivot = Branch.step("ship", "http://p/ship", null, null, List.of("a"), true, 2, null);
      assertThat(core.sagaDefinitionError(List.of(step("a", List.of()), pivot, step("b", List.of("a"))), SagaRecovery.COMPENSATE))
          .contains("step 'b' may run at the same time as step 'ship'");
      assertThat(core.sagaDefinitionError(List.of(step("a", List.of()), pivot, step("b", List.of("ship"))), SagaRecovery.COMPENSATE))
          .isNull();
    }

    @Test
    void aForwardSagaIsDecidedAtSubmission() {
      Branch only = Branch.step("a", "http://p/a", null, null, List.of(), false, 1, null);
      GlobalTx tx = core.saga("f", List.of(only), SagaRecovery.FORWARD, T0, at(10));
      assertThat(tx.status()).isEqualTo(COMMITTING);
      assertThat(tx.deadline()).isNull();
      tx = changed(tx, new Event.CallFailed("a", Op.ACTION, true, "no", 0.0, at(1)));
      assertThat(tx.status()).isEqualTo(COMMITTING);
      assertThat(status(tx, "a")).isEqualTo(PENDING);
    }

    @Test
    void commitAndRegisterDoNotApplyToSagas() {
      GlobalTx tx = sequentialSaga(1);
      assertThat(rejected(tx, new Event.Commit(at(1))).code()).isEqualTo(ErrorCode.WRONG_MODE);
      assertThat(rejected(tx, new Event.Register(Branch.registered("x", "http://a", "http://b", null), at(1))).code())
          .isEqualTo(ErrorCode.WRONG_MODE);
    }

    @Test
    void aRollbackRequestCompensatesARunningSaga() {
      GlobalTx tx = changed(sequentialSaga(2), new Event.CallSucceeded("s1", Op.ACTION, at(1)));
      tx = changed(tx, new Event.Rollback("operator", at(2)));
      assertThat(calls(core.plan(tx, at(2), Set.of()))).containsExactly("s2:compensate");
      tx = changed(tx, new Event.CallSucceeded("s2", Op.COMPENSATE, at(3)));
      tx = changed(tx, new Event.CallSucceeded("s1", Op.COMPENSATE, at(4)));
      assertThat(tx.branches()).extracting(Branch::status).containsOnly(COMPENSATED);
      assertThat(tx.status()).isEqualTo(ROLLED_BACK);
    }

    @Test
    void definitionErrorsAreNamed() {
      assertThat(core.sagaDefinitionError(List.of(), SagaRecovery.COMPENSATE)).contains("at least one step");
      assertThat(core.sagaDefinitionError(List.of(step("a", List.of()), step("a", List.of())), SagaRecovery.COMPENSATE))
          .contains("'a' is used twice");
      assertThat(core.sagaDefinitionError(List.of(step("a", List.of("zz"))), SagaRecovery.COMPENSATE))
          .contains("unknown step 'zz'");
      assertThat(core.sagaDefinitionError(List.of(step("a", List.of("a"))), SagaRecovery.COMPENSATE)).contains("itself");
      assertThat(core.sagaDefinitionError(List.of(step("a", List.of("c")), step("b", List.of("a")), step("c", List.of("b"))),
          SagaRecovery.COMPENSATE)).contains("cycle").contains("a -> c -> b -> a");
      Branch noUndo = Branch.step("a", "http://p/a", null, null, List.of(), false, 1, null);
      assertThat(core.sagaDefinitionError(List.of(noUndo), SagaRecovery.COMPENSATE)).contains("has no compensation");
      assertThat(core.sagaDefinitionError(List.of(noUndo), SagaRecovery.FORWARD)).isNull();
      assertThatThrownBy(() -> core.saga("x", List.of(), SagaRecovery.COMPENSATE, T0, null))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  /** Issue #5: data passing between steps, per-step calls and backoff. */
  @Nested
  class DataPassing {
    static final String REF_ID = "{\"reservation\":{\"$from\":\"reserve\",\"pointer\":\"/id\"},\"qty\":2}";

    Branch stepWithBody(String name, List<String> dependsOn, String body) {
      return Branch.step(name, "http://p/" + name, "http://p/undo-" + name, body, dependsOn, false, 3, null);
    }

    GlobalTx reserveThenPay(String payBody) {
      return core.saga("dp", List.of(stepWithBody("reserve", List.of(), null), stepWithBody("pay", List.of("reserve"), payBody)),
          SagaRecovery.COMPENSATE, T0, null);
    }

    @Test
    void anActionsAnswerIsKeptInTheSameChangeThatRecordsItsSuccess() {
      GlobalTx tx = changed(reserveThenPay(REF_ID), new Event.CallSucceeded("reserve", Op.ACTION, "{\"id\":\"r-17\"}", at(1)));
      assertThat(tx.findBranch("reserve").orElseThrow().status()).isEqualTo(SUCCEEDED);
      assertThat(tx.findBranch("reserve").orElseThrow().result()).isEqualTo("{\"id\":\"r-17\"}");
    }

    @Test
    void aReferenceIsReplacedByTheValueAtItsPointerInTheNamedStepsResult() {
      GlobalTx tx = changed(reserveThenPay(REF_ID), new Event.CallSucceeded("reserve", Op.ACTION, "{\"id\":\"r-17\",\"x\":[1]}", at(1)));
      List<Call> due = core.plan(tx, at(2), Set.of()).calls();
      assertThat(due).hasSize(1);
      assertThat(due.get(0).body()).isEqualTo("{\"reservation\":\"r-17\",\"qty\":2}");
      assertThat(due.get(0).unsendable()).isNull();
      assertThat(core.plan(tx, at(5_000), Set.of()).calls().get(0).body()).as("planned again, e.g. after a restart")
          .isEqualTo(due.get(0).body());
    }

    @Test
    void aReferenceWithoutPointerTakesTheWholeResultAndReferencesNestInArrays() {
      String body = "[{\"$from\":\"reserve\"},{\"deep\":{\"$from\":\"reserve\",\"pointer\":\"/a/1\"}}]";
      GlobalTx tx = changed(reserveThenPay(body), new Event.CallSucceeded("reserve", Op.ACTION, "{\"a\":[true,null]}", at(1)));
      assertThat(core.plan(tx, at(2), Set.of()).calls().get(0).body()).isEqualTo("[{\"a\":[true,null]},{\"deep\":null}]");
    }

    @Test
    void aMissingPointerMakesTheActionUnsendableAndTheStepFailsForGoodWithAClearReason() {
      GlobalTx tx = changed(reserveThenPay(REF_ID), new Event.CallSucceeded("reserve", Op.ACTION, "{\"other\":1}", at(1)));
      Call call = core.plan(tx, at(2), Set.of()).calls().get(0);
      assertThat(call.unsendable()).isEqualTo("pointer \"/id\" is not in the result of step 'reserve'");
      tx = changed(tx, new Event.CallUnsendable("pay", Op.ACTION, call.unsendable(), 0.5, at(2)));
      assertThat(tx.status()).isEqualTo(ROLLING_BACK);
      assertThat(tx.reason()).isEqualTo("step pay cannot be sent: pointer \"/id\" is not in the result of step 'reserve'");
      assertThat(status(tx, "pay")).isEqualTo(FAILED);
      assertThat(calls(core.plan(tx, at(3), Set.of()))).containsExactly("pay:compensate");
    }

    @Test
    void anEmptyAnswerHasNoResultToReferTo() {
      GlobalTx tx = changed(reserveThenPay(REF_ID), new Event.CallSucceeded("reserve", Op.ACTION, at(1)));
      assertThat(core.plan(tx, at(2), Set.of()).calls().get(0).unsendable())
          .isEqualTo("step 'reserve' has no result to refer to (its action answered with an empty body)");
    }

    @Test
    void pastThePivotAnUnsendableActionIsRetriedWithBackoffAndShowsWhy() {
      Branch pivot = Branch.step("reserve", "http://p/reserve", null, null, List.of(), true, 3, null);
      GlobalTx tx = core.saga("dp", List.of(pivot, stepWithBody("pay", List.of("reserve"), REF_ID)), SagaRecovery.COMPENSATE, T0, null);
      tx = changed(tx, new Event.CallSucceeded("reserve", Op.ACTION, "{}", at(1)));
      assertThat(tx.status()).isEqualTo(COMMITTING);
      tx = changed(tx, new Event.CallUnsendable("pay", Op.ACTION, "pointer \"/id\" is not in the result of step 'reserve'", 0.0, at(2)));
      Branch pay = tx.findBranch("pay").orElseThrow();
      assertThat(pay.status()).isEqualTo(PENDING);
      assertThat(pay.lastError()).startsWith("cannot be sent: pointer");
      assertThat(pay.nextAttemptAt()).isEqualTo(at(2).plusMillis(50));
    }

    @Test
    void aCompensationBodyMayReferToAStepItDependsOn() {
      StepHttp http = new StepHttp("POST", java.util.Map.of(), "DELETE", java.util.Map.of("X-T", "1"),
          "{\"id\":{\"$from\":\"reserve\",\"pointer\":\"/id\"}}");
      Branch pay = Branch.step("pay", "http://p/pay", "http://p/refund", null, List.of("reserve"), false, 3, null, http, null);
      GlobalTx tx = core.saga("dp", List.of(stepWithBody("reserve", List.of(), null), pay), SagaRecovery.COMPENSATE, T0, null);
      tx = changed(tx, new Event.CallSucceeded("reserve", Op.ACTION, "{\"id\":7}", at(1)));
      tx = changed(tx, new Event.CallFailed("pay", Op.ACTION, true, "no money", 0.0, at(2)));
      Call compensation = core.plan(tx, at(3), Set.of()).calls().get(0);
      assertThat(compensation.op()).isEqualTo(Op.COMPENSATE);
      assertThat(compensation.method()).isEqualTo("DELETE");
      assertThat(compensation.headers()).containsEntry("X-T", "1");
      assertThat(compensation.body()).isEqualTo("{\"id\":7}");
    }

    @Test
    void aStepsOwnBackoffReplacesTheCoordinators() {
      Branch a = Branch.step("a", "http://p/a", "http://p/ua", null, List.of(), false, 5, null, null,
          new RetryPolicy(Duration.ofSeconds(4), Duration.ofSeconds(8)));
      GlobalTx tx = core.saga("b", List.of(a), SagaRecovery.COMPENSATE, T0, null);
      tx = changed(tx, new Event.CallFailed("a", Op.ACTION, false, "503", 0.0, at(0)));
      assertThat(tx.findBranch("a").orElseThrow().nextAttemptAt()).isEqualTo(at(2_000));
      tx = changed(tx, new Event.CallFailed("a", Op.ACTION, false, "503", 0.0, at(2_000)));
      assertThat(tx.findBranch("a").orElseThrow().nextAttemptAt()).isEqualTo(at(6_000));
    }

    @Test
    void referencesAreValidatedAtSubmission() {
      assertThat(core.sagaDefinitionError(List.of(stepWithBody("a", List.of(), "{\"x\":{\"$from\":\"zz\"}}")), SagaRecovery.COMPENSATE))
          .isEqualTo("step 'a' action refers to unknown step 'zz'");
      assertThat(core.sagaDefinitionError(List.of(stepWithBody("a", List.of(), "{\"$from\":\"a\"}")), SagaRecovery.COMPENSATE))
          .contains("step 'a' action refers to step 'a', which may not have run yet");
      assertThat(core.sagaDefinitionError(List.of(stepWithBody("a", List.of(), null), stepWithBody("b", List.of(), null),
          stepWithBody("c", List.of("b"), "{\"$from\":\"a\"}")), SagaRecovery.COMPENSATE))
          .as("a runs in parallel with c's dependency, not before c").contains("refers to step 'a', which may not have run yet");
      assertThat(core.sagaDefinitionError(List.of(stepWithBody("a", List.of(), null), stepWithBody("b", List.of("a"), null),
          stepWithBody("c", List.of("b"), "{\"$from\":\"a\",\"pointer\":\"/x\"}")), SagaRecovery.COMPENSATE))
          .as("a transitive dependency is fine").isNull();
      assertThat(core.sagaDefinitionError(List.of(stepWithBody("a", List.of(), null),
          stepWithBody("b", List.of("a"), "{\"$from\":\"a\",\"pointer\":\"x\"}")), SagaRecovery.COMPENSATE))
          .contains("\"pointer\" must be empty or start with '/'");
      assertThat(core.sagaDefinitionError(List.of(stepWithBody("a", List.of(), null),
          stepWithBody("b", List.of("a"), "{\"$from\":\"a\",\"extra\":1}")), SagaRecovery.COMPENSATE))
          .contains("a reference has only \"$from\" and \"pointer\"");
      assertThat(core.sagaDefinitionError(List.of(stepWithBody("a", List.of(), null),
          stepWithBody("b", List.of("a"), "{\"$from\":7}")), SagaRecovery.COMPENSATE))
          .contains("\"$from\" must be a step name");
    }

    @Test
    void aReferenceInTheUrlOrAHeaderIsReplacedByItsValuePercentEncodedInTheUrl() {
      StepHttp http = new StepHttp("DELETE", java.util.Map.of("X-Reservation", "${reserve/id}", "X-Fixed", "1"), "POST",
          java.util.Map.of(), null);
      Branch pay = Branch.step("pay", "http://p/reservations/${reserve/id}?owner=${reserve/owner}", "http://p/undo", null,
          List.of("reserve"), false, 3, null, http, null);
      GlobalTx tx = core.saga("dp", List.of(stepWithBody("reserve", List.of(), null), pay), SagaRecovery.COMPENSATE, T0, null);
      tx = changed(tx, new Event.CallSucceeded("reserve", Op.ACTION, "{\"id\":\"r/1 ü\",\"owner\":7}", at(1)));
      Call call = core.plan(tx, at(2), Set.of()).calls().get(0);
      assertThat(call.unsendable()).isNull();
      assertThat(call.url()).isEqualTo("http://p/reservations/r%2F1%20%C3%BC?owner=7");
      assertThat(call.headers()).containsEntry("X-Reservation", "r/1 ü").containsEntry("X-Fixed", "1");
      assertThat(call.method()).isEqualTo("DELETE");
    }

    @Test
    void aUrlReferenceToAnObjectIsUnsendable() {
      Branch pay = Branch.step("pay", "http://p/r/${reserve}", "http://p/undo", null, List.of("reserve"), false, 3, null);
      GlobalTx tx = core.saga("dp", List.of(stepWithBody("reserve", List.of(), null), pay), SagaRecovery.COMPENSATE, T0, null);
      tx = changed(tx, new Event.CallSucceeded("reserve", Op.ACTION, "{\"id\":1}", at(1)));
      assertThat(core.plan(tx, at(2), Set.of()).calls().get(0).unsendable())
          .isEqualTo("URL: the value at pointer \"\" in the result of step 'reserve' is object, not a string, number or boolean");
    }

    @Test
    void urlAndHeaderReferencesAreValidatedLikeBodyReferences() {
      Branch early = Branch.step("a", "http://p/a/${b/id}", "http://p/ua", null, List.of(), false, 3, null);
      assertThat(core.sagaDefinitionError(List.of(early, stepWithBody("b", List.of("a"), null)), SagaRecovery.COMPENSATE))
          .contains("step 'a' action refers to step 'b', which may not have run yet");
      Branch malformed = Branch.step("a", "http://p/a/${b", "http://p/ua", null, List.of(), false, 3, null);
      assertThat(core.sagaDefinitionError(List.of(malformed), SagaRecovery.COMPENSATE))
          .isEqualTo("step 'a' action URL: '${b' is not a reference: write ${step} or ${step/pointer}");
      StepHttp http = new StepHttp("POST", java.util.Map.of(), "POST", java.util.Map.of("X-R", "${zz}"), null);
      Branch header = Branch.step("a", "http://p/a", "http://p/ua", null, List.of(), false, 3, null, http, null);
      assertThat(core.sagaDefinitionError(List.of(header), SagaRecovery.COMPENSATE))
          .isEqualTo("step 'a' compensation refers to unknown step 'zz'");
    }

    @Test
    void theEngineLearnsWhetherAnAnswerIsNeededFromTheReferences() {
      GlobalTx tx = reserveThenPay(REF_ID);
      assertThat(core.referencedBy(tx, "reserve")).isEqualTo("pay");
      assertThat(core.referencedBy(tx, "pay")).isNull();
    }
  }

  @Nested
  class Invariants {
    @Test
    void theTransitionTableRejectsCrossingTheDecision() {
      GlobalTx committing = changed(tccWithTwoBranches(), new Event.Commit(at(3)));
      GlobalTx crossed = new GlobalTx(committing.gid(), committing.mode(), ROLLING_BACK, committing.createdAt(),
          at(4), null, null, committing.version() + 1, committing.branches());
      assertThatThrownBy(() -> Transitions.check(committing, crossed)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("illegal transition COMMITTING -> ROLLING_BACK");
      GlobalTx cancelledUnderCommit = new GlobalTx(committing.gid(), committing.mode(), COMMITTING, committing.createdAt(),
          at(4), null, null, committing.version() + 1,
          List.of(committing.branches().get(0).moveTo(CANCELLED), committing.branches().get(1)));
      assertThatThrownBy(() -> Transitions.check(committing, cancelledUnderCommit)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("branch stock is CANCELLED");
    }

    /** Random events in random order never break the table, never flip a decision, always finish once answered. */
    @Test
    void randomEventSequencesKeepEveryInvariant() {
      Random random = new Random(20261125L);
      Op[] ops = Op.values();
      for (int run = 0; run < 2_000; run++) {
        GlobalTx tx = switch (run % 3) {
          case 0 -> tccWithTwoBranches();
          case 1 -> sequentialSaga(1 + random.nextInt(4));
          default -> core.saga("p", List.of(step("a", List.of()), step("b", List.of()), step("c", List.of("a", "b"))),
              SagaRecovery.COMPENSATE, T0, at(5_000));
        };
        Boolean decidedCommit = null;
        for (int i = 0; i < 60; i++) {
          Instant now = at(i * 200L);
          String branch = tx.branches().get(random.nextInt(tx.branches().size())).id();
          Event e = switch (random.nextInt(6)) {
            case 0 -> new Event.Commit(now);
            case 1 -> new Event.Rollback("r", now);
            case 2 -> new Event.Expire(now);
            case 3 -> new Event.CallFailed(branch, ops[random.nextInt(ops.length)], random.nextBoolean(), "e", random.nextDouble(), now);
            default -> new Event.CallSucceeded(branch, ops[random.nextInt(ops.length)], now);
          };
          if (core.on(tx, e) instanceof Changed c) {
            tx = c.next(); // Transitions.check ran inside on()
          }
          if (tx.status().isDecided()) {
            boolean commit = tx.status().isCommit();
            assertThat(decidedCommit == null || decidedCommit == commit).as("decision flipped in run %d", run).isTrue();
            decidedCommit = commit;
          }
        }
        // Heal: answer every due call with success; every transaction must end.
        for (int i = 0; i < 50 && !tx.status().isFinished(); i++) {
          Instant now = at(1_000_000L + i);
          if (tx.status() == ACTIVE) {
            tx = ((Changed) core.on(tx, tx.mode() == Mode.SAGA ? new Event.Rollback("heal", now) : new Event.Commit(now))).next();
          }
          for (Call call : core.plan(tx, at(10_000_000L), Set.of()).calls()) {
            tx = ((Changed) core.on(tx, new Event.CallSucceeded(call.branchId(), call.op(), now))).next();
          }
        }
        assertThat(tx.status().isFinished()).as("run %d ended as %s", run, tx).isTrue();
      }
    }
  }

  @Nested
  class Operator {
    static final String BY_HAND = "finished by hand by 'ops': refund done in the bank's portal";

    @Test
    void finishingABranchCountsAsItsDueCallSucceedingAndKeepsWhoAndWhy() {
      GlobalTx tx = changed(tccWithTwoBranches(), new Event.Commit(at(3)));
      tx = changed(tx, new Event.CallFailed("pay", Op.CONFIRM, false, "503", 0.5, at(4)));
      tx = changed(tx, new Event.CallSucceeded("stock", Op.CONFIRM, at(5)));

      tx = changed(tx, new Event.Finish("pay", BY_HAND, at(6)));

      assertThat(tx.status()).isEqualTo(COMMITTED);
      Branch pay = tx.findBranch("pay").orElseThrow();
      assertThat(pay.status()).isEqualTo(CONFIRMED);
      assertThat(pay.resolution()).isEqualTo(BY_HAND);
      assertThat(pay.lastError()).isNull();
      assertThat(tx.findBranch("stock").orElseThrow().resolution()).isNull();
    }

    @Test
    void finishingFollowsTheDecisionAndNeverMakesOne() {
      GlobalTx rollingBack = changed(tccWithTwoBranches(), new Event.Rollback("client", at(3)));
      assertThat(status(changed(rollingBack, new Event.Finish("stock", BY_HAND, at(4))), "stock")).isEqualTo(CANCELLED);

      assertThat(rejected(tccWithTwoBranches(), new Event.Finish("stock", BY_HAND, at(4))).code())
          .isEqualTo(ErrorCode.TRANSACTION_NOT_DECIDED);
      assertThat(rejected(rollingBack, new Event.Finish("nope", BY_HAND, at(4))).code()).isEqualTo(ErrorCode.BRANCH_NOT_FOUND);
    }

    @Test
    void aFinishedBranchStaysAsItIsWhateverArrivesLater() {
      GlobalTx tx = changed(changed(tccWithTwoBranches(), new Event.Commit(at(3))), new Event.Finish("stock", BY_HAND, at(4)));
      assertThat(core.on(tx, new Event.Finish("stock", "again", at(5)))).isInstanceOf(Unchanged.class);
      assertThat(core.on(tx, new Event.CallSucceeded("stock", Op.CONFIRM, at(5)))).isInstanceOf(Unchanged.class);
      assertThat(core.on(tx, new Event.CallFailed("stock", Op.CONFIRM, true, "409", 0.5, at(5)))).isInstanceOf(Unchanged.class);
    }

    @Test
    void aSagaStepIsFinishedOnlyWhenItsCallIsDue() {
      GlobalTx tx = sequentialSaga(3);
      tx = changed(tx, new Event.CallSucceeded("s1", Op.ACTION, at(1)));
      tx = changed(tx, new Event.CallSucceeded("s2", Op.ACTION, at(2)));
      tx = changed(tx, new Event.CallFailed("s3", Op.ACTION, true, "409 out of stock", 0.5, at(3)));
      assertThat(calls(core.plan(tx, at(3), Set.of()))).containsExactly("s3:compensate");
      // Compensation runs in reverse: s1 is not due before s3 and s2 are compensated.
      assertThat(rejected(tx, new Event.Finish("s1", BY_HAND, at(4))).code()).isEqualTo(ErrorCode.BRANCH_NOT_DUE);
      tx = changed(tx, new Event.Finish("s3", BY_HAND, at(4)));
      assertThat(status(tx, "s3")).isEqualTo(COMPENSATED);
      assertThat(calls(core.plan(tx, at(4), Set.of()))).containsExactly("s2:compensate");
    }

    @Test
    void retryNowMakesCallsWaitingForTheirBackoffDue() {
      GlobalTx tx = changed(tccWithTwoBranches(), new Event.Commit(at(3)));
      tx = changed(tx, new Event.CallFailed("pay", Op.CONFIRM, false, "503", 0.5, at(4)));
      assertThat(calls(core.plan(tx, at(5), Set.of("stock")))).isEmpty();
      assertThat(calls(core.plan(tx, at(5), Set.of("stock"), true))).containsExactly("pay:confirm");
    }
  }

  @Test
  void backoffDoublesUpToTheCapAndJitterSpreadsTheUpperHalf() {
    RetryPolicy p = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1));
    assertThat(p.backoff(1, 0.0)).isEqualTo(Duration.ofMillis(50));
    assertThat(p.backoff(1, 0.999)).isBetween(Duration.ofMillis(99), Duration.ofMillis(100));
    assertThat(p.backoff(2, 0.0)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.backoff(4, 0.0)).isEqualTo(Duration.ofMillis(400));
    assertThat(p.backoff(5, 0.0)).isEqualTo(Duration.ofMillis(500));
    assertThat(p.backoff(1_000, 0.0)).isEqualTo(Duration.ofMillis(500));
  }
}
