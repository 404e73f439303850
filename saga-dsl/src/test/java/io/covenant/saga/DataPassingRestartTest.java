package io.covenant.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.covenant.protocol.GlobalStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The value a step receives from an earlier step's answer is read from the coordinator's durable
 * record, so a coordinator that crashes between the two steps and restarts on the same journal
 * sends the same value, without running the first step again (issue #5).
 */
class DataPassingRestartTest {
  static final Duration BOUND = Duration.ofSeconds(20);

  @TempDir Path journal;

  @Test
  void aRestartBetweenTwoStepsResolvesTheSameValueFromTheDurableResult() throws Exception {
    AtomicInteger reservations = new AtomicInteger();
    try (TestParticipant shop = TestParticipant.start(); TestParticipant bank = TestParticipant.start()) {
      // Every reserve call would hand out a new id: a second call would show in the value.
      shop.answerBody("reserve", call -> "{\"id\":\"r-" + reservations.incrementAndGet() + "\"}");
      bank.hold("charge", "action");
      SagaDefinition order = Saga.named("order")
          .step("reserve").action(HttpCall.post(shop.url("reserve"))).compensation(HttpCall.post(shop.url("release")))
          .step("charge")
              .action(HttpCall.post(bank.url("charge")).body(Map.of("reservation", Ref.from("reserve").at("/id"), "amount", 30)))
              .compensation(HttpCall.post(bank.url("refund")))
          .build();

      SagaCoordinator first = SagaCoordinator.journal(journal);
      String gid;
      try {
        gid = first.sagas().start(order, "order-restart-1").gid();
        await().atMost(BOUND).untilAsserted(() -> assertThat(bank.inProgress()).contains("charge:action"));
      } finally {
        first.crash(); // charge is held open: its answer is never recorded
      }
      bank.release("charge", "action");

      try (SagaCoordinator second = first.restart()) {
        SagaProgress end = second.sagas().attach(gid).awaitEnd(BOUND);

        assertThat(end.status()).isEqualTo(GlobalStatus.COMMITTED);
        assertThat(shop.trace(gid)).as("reserve succeeded durably before the crash").containsExactly("reserve:action");
        List<TestParticipant.Call> charges = bank.calls(gid);
        assertThat(charges).hasSizeGreaterThanOrEqualTo(2); // before the crash, and again after the restart
        assertThat(charges.stream().map(TestParticipant.Call::body).distinct().toList()).as("every attempt, same body")
            .hasSize(1).allSatisfy(body -> assertThat(body).contains("\"reservation\":\"r-1\"").contains("\"amount\":30"));
        assertThat(end.step("reserve").result().toString()).isEqualTo("{\"id\":\"r-1\"}");
      }
    }
  }
}
