package io.covenant.coordinator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.SagaRecovery;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's write-ahead, retry, limit and recovery rules, in a hand-driven world. */
class EngineTest {
  final ManualWorld world = new ManualWorld();
  Engine engine = world.engine(64);

  String begunWith(String... branches) {
    Future<GlobalTx> begun = engine.begin(null, Mode.TCC, Duration.ofSeconds(10));
    world.flush();
    String gid = world.result(begun).gid();
    for (String b : branches) {
      Future<GlobalTx> r = engine.register(gid, Branch.registered(b, "http://" + b + ":1/confirm", "http://" + b + ":1/cancel", null));
      world.flush();
      world.result(r);
    }
    return gid;
  }

  @Test
  void nothingIsSentOrAnsweredBeforeTheDecisionIsDurable() {
    String gid = begunWith("stock", "pay");
    Future<GlobalTx> commit = engine.commit(gid);
    Future<GlobalTx> repeat = engine.commit(gid);
    world.run();
    assertThat(commit.isComplete()).isFalse();
    assertThat(repeat.isComplete()).as("a repeat waits for the write it repeats").isFalse();
    assertThat(world.transport.all).isEmpty();

    world.flush();
    assertThat(world.result(commit).status()).isEqualTo(GlobalStatus.COMMITTING);
    assertThat(world.result(repeat).status()).isEqualTo(GlobalStatus.COMMITTING);
    assertThat(world.transport.inFlightOps()).containsExactly("stock:confirm", "pay:confirm");
  }

  @Test
  void theEndIsRecordedBeforeTheTransactionLeavesMemory() {
    String gid = begunWith("stock");
    engine.commit(gid);
    world.flush();
    world.transport.answer("stock", CallResult.OK);
    world.run();
    assertThat(world.store.durable.find(gid).result().orElseThrow().status()).isEqualTo(GlobalStatus.COMMITTING);
    world.flush();
    assertThat(world.store.durable.find(gid).result().orElseThrow().status()).isEqualTo(GlobalStatus.COMMITTED);
    assertThat(world.result(engine.get(gid)).status()).isEqualTo(GlobalStatus.COMMITTED);
  }

  @Test
  void aFailedCallIsRetriedAfterItsBackoffAndOthersAreNotHeldUp() {
    String gid = begunWith("stock", "pay");
    engine.commit(gid);
    world.flush();
    world.transport.answer("stock", CallResult.failed("503"));
    world.transport.answer("pay", CallResult.OK);
    world.flush();
    assertThat(world.transport.inFlightOps()).isEmpty();
    world.advance(Duration.ofMillis(101));                    // backoff of the first failure is at most 100 ms
    world.flush();
    assertThat(world.transport.inFlightOps()).containsExactly("stock:confirm");
    world.transport.answer("stock", CallResult.OK);
    world.flush();
    assertThat(world.result(engine.get(gid)).status()).isEqualTo(GlobalStatus.COMMITTED);
  }

  @Test
  void callsToOneParticipantAreCappedAndTheRestWaitTheirTurn() {
    engine = world.engine(2);
    Future<GlobalTx> begun = engine.begin("g", Mode.TWO_PHASE, Duration.ofSeconds(10));
    world.flush();
    world.result(begun);
    for (int i = 0; i < 5; i++) {
      engine.register("g", Branch.registered("b" + i, "http://db:5432/commit", "http://db:5432/rollback", null));
    }
    engine.commit("g");
    world.flush();
    assertThat(world.transport.inFlightOps()).containsExactly("b0:commit", "b1:commit");
    world.transport.answer("b0", CallResult.OK);
    world.run();
    assertThat(world.transport.inFlightOps()).containsExactly("b1:commit", "b2:commit");
  }

  @Test
  void anUndecidedTransactionIsRolledBackAtItsDeadline() {
    String gid = begunWith("stock");
    world.advance(Duration.ofSeconds(9));
    assertThat(world.transport.all).isEmpty();
    world.advance(Duration.ofSeconds(1));
    world.flush();
    assertThat(world.transport.inFlightOps()).containsExactly("stock:cancel");
    assertThat(world.result(engine.get(gid)).reason()).contains("timed out");
  }

  @Test
  void aRestartedEngineResumesEveryUnfinishedTransactionFromTheStore() {
    String gid = begunWith("stock", "pay");
    engine.commit(gid);
    world.flush();
    world.transport.answer("pay", CallResult.OK);
    world.flush();
    world.transport.inFlight.clear();                         // the old process is gone, with its calls

    Engine restarted = world.engine(64);
    world.result(restarted.start());
    assertThat(world.transport.inFlightOps()).containsExactly("stock:confirm");
    world.transport.answer("stock", CallResult.OK);
    world.flush();
    GlobalTx done = world.result(restarted.get(gid));
    assertThat(done.status()).isEqualTo(GlobalStatus.COMMITTED);
    assertThat(done.branches()).extracting(Branch::status).containsOnly(BranchStatus.CONFIRMED);
  }

  @Test
  void aRequestThatArrivesWhileTheStoreIsLoadingDoesNotDriveTheTransactionTwice() {
    // start() used to replace the live state that such a request had adopted.
    String gid = begunWith("stock");
    engine.commit(gid);
    world.flush();
    world.transport.inFlight.clear();

    Engine restarted = world.engine(64);
    Future<GlobalTx> repeat = restarted.commit(gid);        // its lookup completes before the load below
    Future<Void> started = restarted.start();               // (a SQL store answers a find faster than a scan)
    world.flush();
    assertThat(started.succeeded()).isTrue();
    assertThat(world.result(repeat).status()).isEqualTo(GlobalStatus.COMMITTING);
    assertThat(world.transport.inFlightOps()).containsExactly("stock:confirm");
  }

  @Test
  void aFailedWriteIsNotAcknowledgedAndTheTransactionIsReloadedFromTheStore() {
    String gid = begunWith("stock");
    world.store.failNextWrite = true;
    Future<GlobalTx> commit = engine.commit(gid);
    world.flush();
    assertThat(commit.failed()).isTrue();
    assertThat(((CovenantException) commit.cause()).code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
    assertThat(world.transport.all).as("nothing is driven from a decision that is not durable").isEmpty();

    world.advance(Duration.ofSeconds(2));                      // reloaded: the store still says ACTIVE
    Future<GlobalTx> again = engine.commit(gid);
    world.flush();
    assertThat(world.result(again).status()).isEqualTo(GlobalStatus.COMMITTING);
    assertThat(world.transport.inFlightOps()).containsExactly("stock:confirm");
  }

  @Test
  void aTransactionAnotherCoordinatorAdoptedIsDroppedAndItsLateAnswerCallsNoOneElse() {
    world.store.shared = true;
    String gid = begunWith("stock", "account");
    Future<GlobalTx> commit = engine.commit(gid);
    world.flush();
    world.result(commit);
    assertThat(world.transport.inFlightOps()).containsExactlyInAnyOrder("stock:confirm", "account:confirm");
    GlobalTx stored = world.result(engine.get(gid));

    world.store.lost.add(gid);                                 // this coordinator paused; another adopted it
    world.transport.answer("stock", CallResult.failed("503"));
    world.flush();                                             // the write of that answer is refused: fenced
    world.transport.answer("account", CallResult.OK);
    world.flush();
    world.advance(Duration.ofMinutes(1));

    assertThat(world.store.durable.find(gid).result()).contains(stored);
    assertThat(world.transport.all).as("no retry, nothing more from a coordinator that lost it").hasSize(2);
  }

  @Test
  void aLeaseThatExpiredDropsEverythingBeforeANewTermAndTheOrphansAreAdoptedAgain() {
    world.store.shared = true;
    String gid = begunWith("stock");
    GlobalTx stored = world.result(engine.get(gid));

    world.store.leaseExpired = true;
    world.store.orphans.add(stored);                           // adopted back, here by the same coordinator
    world.result(engine.keepOwnership());
    assertThat(world.store.ownershipLog).containsExactly("heartbeat:false", "heartbeat:true", "adopt:1");

    world.advance(Duration.ofSeconds(11));                      // its deadline: the adopted copy is driven
    world.flush();
    assertThat(world.store.durable.find(gid).result().orElseThrow().status()).isEqualTo(GlobalStatus.ROLLING_BACK);
    assertThat(world.transport.inFlightOps()).containsExactly("stock:cancel");
  }

  @Test
  void aRequestForAnotherCoordinatorsTransactionIsAppliedToTheStoredStateAndTakesItOver() {
    world.store.shared = true;
    String gid = begunWith("stock");
    world.store.lost.add(gid);                                 // another coordinator took it over meanwhile
    Future<GlobalTx> commit = engine.commit(gid);
    world.flush();
    world.flush();
    assertThat(world.result(commit).status()).isEqualTo(GlobalStatus.COMMITTING);
    assertThat(world.store.lost).doesNotContain(gid);          // taken over: this coordinator drives phase 2
    assertThat(world.transport.inFlightOps()).containsExactly("stock:confirm");
  }

  @Test
  void beginWithAGivenGidIsIdempotentAndAConflictingOneIsRefused() {
    Future<GlobalTx> first = engine.begin("order-1", Mode.TCC, null);
    Future<GlobalTx> second = engine.begin("order-1", Mode.TCC, null);
    Future<GlobalTx> other = engine.begin("order-1", Mode.TWO_PHASE, null);
    world.flush();
    assertThat(world.result(first).gid()).isEqualTo("order-1");
    assertThat(world.result(second).version()).isEqualTo(1);
    assertThat(((CovenantException) other.cause()).code()).isEqualTo(ErrorCode.GID_CONFLICT);
    assertThat(world.store.durable.list(io.covenant.coordinator.store.TxQuery.all(10)).result().items()).hasSize(1);
  }

  @Test
  void aSagaStepStartsOnlyAfterItsDependencyIsDurablySucceeded() {
    Future<GlobalTx> saga = engine.submitSaga("s", List.of(
        Branch.step("a", "http://p:1/a", "http://p:1/ua", null, List.of(), false, 3, null),
        Branch.step("b", "http://p:1/b", "http://p:1/ub", null, List.of("a"), false, 3, null)),
        SagaRecovery.COMPENSATE, null);
    world.flush();
    world.result(saga);
    assertThat(world.transport.inFlightOps()).containsExactly("a:action");
    world.transport.answer("a", CallResult.OK);
    world.run();
    assertThat(world.transport.inFlightOps()).as("a's success is not durable yet").isEmpty();
    world.flush();
    assertThat(world.transport.inFlightOps()).containsExactly("b:action");
  }

  // Issue #5: results and references.

  private Future<GlobalTx> reserveThenPay() {
    return engine.submitSaga("dp", List.of(
        Branch.step("reserve", "http://p:1/r", "http://p:1/ur", null, List.of(), false, 2, null),
        Branch.step("pay", "http://p:1/p", "http://p:1/up", "{\"r\":{\"$from\":\"reserve\",\"pointer\":\"/id\"}}",
            List.of("reserve"), false, 2, null)),
        SagaRecovery.COMPENSATE, null);
  }

  @Test
  void aStepReceivesTheEarlierResultOnlyOnceThatResultIsDurable() {
    world.result(flushed(reserveThenPay()));
    world.transport.answer("reserve", CallResult.succeeded("{\"id\":\"r-1\"}"));
    world.run();
    assertThat(world.transport.inFlightOps()).as("the result is not durable yet").isEmpty();
    world.flush();
    assertThat(world.store.durable.find("dp").result().orElseThrow().findBranch("reserve").orElseThrow().result())
        .isEqualTo("{\"id\":\"r-1\"}");
    assertThat(world.transport.inFlightOps()).containsExactly("pay:action");
    assertThat(world.transport.all.get(world.transport.all.size() - 1).body()).isEqualTo("{\"r\":\"r-1\"}");
  }

  @Test
  void anAnswerTooLargeToKeepFailsTheAttemptWhenALaterStepNeedsIt() {
    world.result(flushed(reserveThenPay()));
    world.transport.answer("reserve", CallResult.succeededTooLarge("answer of 9000 bytes is larger than saga.stepResultBytesMax"));
    world.run();
    world.flush();
    Branch reserve = world.store.durable.find("dp").result().orElseThrow().findBranch("reserve").orElseThrow();
    assertThat(reserve.status()).isEqualTo(BranchStatus.PENDING);
    assertThat(reserve.attempts()).isEqualTo(1);
    assertThat(reserve.lastError()).contains("saga.stepResultBytesMax").contains("step 'pay' refers to it");
  }

  @Test
  void anUnsendableCallIsRecordedWithoutReachingTheParticipant() {
    world.result(flushed(reserveThenPay()));
    world.transport.answer("reserve", CallResult.succeeded("{\"other\":1}"));
    world.run();
    world.flush();
    world.run();
    world.flush();
    GlobalTx tx = world.store.durable.find("dp").result().orElseThrow();
    assertThat(tx.status()).isEqualTo(GlobalStatus.ROLLING_BACK);
    assertThat(tx.reason()).isEqualTo("step pay cannot be sent: pointer \"/id\" is not in the result of step 'reserve'");
    assertThat(world.transport.all).extracting(c -> c.branchId() + ":" + c.op().code()).doesNotContain("pay:action");
  }

  private Future<GlobalTx> flushed(Future<GlobalTx> f) {
    world.flush();
    return f;
  }
}
