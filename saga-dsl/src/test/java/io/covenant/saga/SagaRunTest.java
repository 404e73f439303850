package io.covenant.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.TextNode;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.GlobalStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sagas defined with the DSL, run end to end: a real coordinator in this JVM and real HTTP
 * participants on loopback ports, which observe what the coordinator sends (issue #5).
 */
class SagaRunTest {
  static final Duration BOUND = Duration.ofSeconds(20);

  static SagaCoordinator coordinator;
  static TestParticipant shop;
  static TestParticipant bank;
  static SagaClient sagas;

  @BeforeAll
  static void start() throws Exception {
    coordinator = SagaCoordinator.memory();
    shop = TestParticipant.start();
    bank = TestParticipant.start();
    sagas = coordinator.sagas();
  }

  @AfterAll
  static void stop() throws Exception {
    coordinator.close();
    shop.close();
    bank.close();
  }

  @Test
  void aFourStepSagaRunsEveryStepInOrderAndCommits() {
    SagaDefinition order = Saga.named("order")
        .step("reserve").action(HttpCall.post(shop.url("reserve"))).compensation(HttpCall.post(shop.url("release")))
        .step("charge").action(HttpCall.post(shop.url("charge"))).compensation(HttpCall.post(shop.url("refund")))
        .step("ship").action(HttpCall.post(shop.url("ship"))).compensation(HttpCall.post(shop.url("unship")))
        .step("notify").action(HttpCall.post(shop.url("notify"))).compensation(HttpCall.post(shop.url("retract")))
        .build();

    SagaProgress end = sagas.run(order, "order-ok-1", BOUND);

    assertThat(end.status()).isEqualTo(GlobalStatus.COMMITTED);
    assertThat(end.steps()).extracting(StepProgress::status).containsOnly(BranchStatus.SUCCEEDED);
    assertThat(shop.trace("order-ok-1")).containsExactly("reserve:action", "charge:action", "ship:action", "notify:action");
  }

  @Test
  void aRefusedThirdStepCompensatesStepsThreeTwoAndOneInReverseOrder() {
    shop.answer("ship", "action", 409);
    SagaDefinition order = Saga.named("order")
        .step("reserve").action(HttpCall.post(shop.url("reserve"))).compensation(HttpCall.post(shop.url("release")))
        .step("charge").action(HttpCall.post(shop.url("charge"))).compensation(HttpCall.post(shop.url("refund")))
        .step("ship").action(HttpCall.post(shop.url("ship"))).compensation(HttpCall.post(shop.url("unship")))
        .step("notify").action(HttpCall.post(shop.url("notify"))).compensation(HttpCall.post(shop.url("retract")))
        .build();

    SagaProgress end = sagas.run(order, "order-refused-1", BOUND);

    assertThat(end.status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    assertThat(end.reason()).startsWith("step ship refused");
    // ship was refused, but a refusal may follow a partial effect: it is compensated too, first.
    assertThat(shop.trace("order-refused-1")).containsExactly("reserve:action", "charge:action", "ship:action",
        "ship:compensate", "charge:compensate", "reserve:compensate");
    assertThat(end.step("notify").status()).isEqualTo(BranchStatus.SKIPPED);
    assertThat(end.step("reserve").status()).isEqualTo(BranchStatus.COMPENSATED);
  }

  @Test
  void parallelStepsRunAtTheSameTimeAndCompensateInReverseDependencyOrder() {
    // stock and payment start at once; both calls are held open until both have arrived.
    shop.hold("stock", "action");
    bank.hold("payment", "action");
    shop.answer("ship", "action", 409);
    SagaDefinition order = Saga.named("order")
        .step("stock").action(HttpCall.post(shop.url("stock"))).compensation(HttpCall.post(shop.url("unstock"))).dependsOn()
        .step("payment").action(HttpCall.post(bank.url("pay"))).compensation(HttpCall.post(bank.url("refund"))).dependsOn()
        .step("ship").action(HttpCall.post(shop.url("ship"))).compensation(HttpCall.post(shop.url("unship")))
            .dependsOn("stock", "payment")
        .build();

    SagaRun run = sagas.start(order, "order-parallel-1");

    await().atMost(BOUND).untilAsserted(() -> {
      assertThat(shop.inProgress()).contains("stock:action");
      assertThat(bank.inProgress()).contains("payment:action");
    });
    shop.release("stock", "action");
    bank.release("payment", "action");
    SagaProgress end = run.awaitEnd(BOUND);

    assertThat(end.status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    List<TestParticipant.Call> shopCalls = shop.calls("order-parallel-1");
    List<TestParticipant.Call> bankCalls = bank.calls("order-parallel-1");
    assertThat(shopCalls).extracting(TestParticipant.Call::key)
        .containsExactly("stock:action", "ship:action", "ship:compensate", "stock:compensate");
    assertThat(bankCalls).extracting(TestParticipant.Call::key).containsExactly("payment:action", "payment:compensate");
    // ship depends on both, so it is compensated before either of them (seq orders calls across participants).
    long shipUndone = shopCalls.get(2).seq();
    assertThat(shopCalls.get(3).seq()).isGreaterThan(shipUndone);
    assertThat(bankCalls.get(1).seq()).isGreaterThan(shipUndone);
    assertThat(end.step("ship").status()).isEqualTo(BranchStatus.COMPENSATED);
    assertThat(end.step("stock").status()).isEqualTo(BranchStatus.COMPENSATED);
    assertThat(end.step("payment").status()).isEqualTo(BranchStatus.COMPENSATED);
  }

  @Test
  void dataFromTheFirstStepsAnswerReachesTheSecondStepsRequest() {
    shop.answerBody("reserve", call -> "{\"id\":\"r-" + call.gid() + "\",\"lines\":[{\"sku\":\"A-1\"}]}");
    SagaDefinition order = Saga.named("order")
        .step("reserve")
            .action(HttpCall.post(shop.url("reserve")).body(Map.of("sku", "A-1", "qty", 2)))
            .compensation(HttpCall.delete(shop.url("reservation")).header("X-Tenant", "acme"))
        .step("charge")
            .action(HttpCall.put(bank.url("charge")).header("X-Tenant", "acme")
                .body(Map.of("reservation", Ref.from("reserve").at("/id"), "firstSku", Ref.from("reserve").at("/lines/0/sku"))))
            .compensation(HttpCall.post(bank.url("refund")))
        .build();

    SagaProgress end = sagas.run(order, "order-data-1", BOUND);

    assertThat(end.status()).isEqualTo(GlobalStatus.COMMITTED);
    TestParticipant.Call charge = bank.calls("order-data-1").get(0);
    assertThat(charge.method()).isEqualTo("PUT");
    assertThat(charge.tenant()).isEqualTo("acme");
    assertThat(charge.body()).contains("\"reservation\":\"r-order-data-1\"").contains("\"firstSku\":\"A-1\"");
    assertThat(end.step("reserve").result("/id")).contains(TextNode.valueOf("r-order-data-1"));
  }

  @Test
  void aValueFromAnEarlierStepCanGoInTheUrlAndAHeader() {
    shop.answerBody("open", call -> "{\"cart\":\"c 7/x\",\"user\":\"u-1\"}");
    SagaDefinition saga = Saga.named("cart")
        .step("open").action(HttpCall.post(shop.url("open"))).compensation(HttpCall.post(shop.url("close")))
        .step("fill")
            .action(HttpCall.put(shop.url("carts/" + Ref.from("open").at("/cart").inText()))
                .header("X-Tenant", Ref.from("open").at("/user").inText()))
            .compensation(HttpCall.delete(shop.url("carts/" + Ref.from("open").at("/cart").inText())))
        .build();

    SagaProgress end = sagas.run(saga, "cart-1", BOUND);

    assertThat(end.isCommitted()).isTrue();
    TestParticipant.Call fill = shop.calls("cart-1").get(1);
    assertThat(fill.method()).isEqualTo("PUT");
    assertThat(fill.path()).as("percent-encoded: one path segment").isEqualTo("/carts/c%207%2Fx");
    assertThat(fill.tenant()).isEqualTo("u-1");
  }

  @Test
  void aCompensationReceivesTheValueOfAnEarlierStep() {
    shop.answerBody("hold", call -> "{\"holdId\":42}");
    bank.answer("debit", "action", 409);
    SagaDefinition transfer = Saga.named("transfer")
        .step("hold").action(HttpCall.post(shop.url("hold"))).compensation(HttpCall.post(shop.url("unhold")))
        .step("debit").action(HttpCall.post(bank.url("debit")))
            .compensation(HttpCall.delete(bank.url("debit")).header("X-Tenant", "t1")
                .body(Map.of("hold", Ref.from("hold").at("/holdId"))))
        .build();

    SagaProgress end = sagas.run(transfer, "transfer-1", BOUND);

    assertThat(end.status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    TestParticipant.Call undo = bank.calls("transfer-1").get(1);
    assertThat(undo.op()).isEqualTo("compensate");
    assertThat(undo.method()).isEqualTo("DELETE");
    assertThat(undo.tenant()).isEqualTo("t1");
    assertThat(undo.body()).isEqualTo("{\"hold\":42}");
  }

  @Test
  void aPointerMissingFromTheAnswerFailsTheStepWithoutSendingItAndSaysWhy() {
    shop.answerBody("lookup", call -> "{\"unexpected\":true}");
    SagaDefinition saga = Saga.named("lookup")
        .step("lookup").action(HttpCall.post(shop.url("lookup"))).compensation(HttpCall.post(shop.url("unlookup")))
        .step("use").action(HttpCall.post(shop.url("use")).body(Map.of("id", Ref.from("lookup").at("/id"))))
            .compensation(HttpCall.post(shop.url("unuse")))
        .build();

    SagaProgress end = sagas.run(saga, "lookup-1", BOUND);

    assertThat(end.status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    assertThat(end.reason()).isEqualTo("step use cannot be sent: pointer \"/id\" is not in the result of step 'lookup'");
    assertThat(shop.trace("lookup-1")).containsExactly("lookup:action", "use:compensate", "lookup:compensate");
  }

  @Test
  void progressIsReadableStepByStepWhileTheSagaRuns() {
    shop.hold("second", "action");
    shop.answerBody("first", call -> "{\"n\":1}");
    SagaDefinition saga = Saga.named("watch")
        .step("first").action(HttpCall.post(shop.url("first"))).compensation(HttpCall.post(shop.url("unfirst")))
            .attempts(2).backoff(Duration.ofMillis(10), Duration.ofMillis(50)).timeout(Duration.ofSeconds(3))
        .step("second").action(HttpCall.post(shop.url("second"))).compensation(HttpCall.post(shop.url("unsecond")))
        .build();

    SagaRun run = sagas.start(saga);

    assertThat(run.gid()).startsWith("watch-");
    await().atMost(BOUND).untilAsserted(() -> assertThat(shop.inProgress()).contains("second:action"));
    SagaProgress during = run.progress();
    assertThat(during.status()).isEqualTo(GlobalStatus.ACTIVE);
    assertThat(during.isFinished()).isFalse();
    assertThat(during.step("first").status()).isEqualTo(BranchStatus.SUCCEEDED);
    assertThat(during.step("first").result().toString()).isEqualTo("{\"n\":1}");
    assertThat(during.step("second").status()).isEqualTo(BranchStatus.PENDING);
    assertThat(during.step("second").dependsOn()).containsExactly("first");
    shop.release("second", "action");
    assertThat(run.awaitEnd(BOUND).isCommitted()).isTrue();
    assertThat(sagas.attach(run.gid()).progress().isCommitted()).isTrue();
  }
}
