package io.covenant.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.client.CovenantClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The examples of saga-dsl/README.md, compiled and run against a real coordinator with real
 * participants. Keep the two in step: a README snippet is the body of one of these methods.
 */
class ReadmeExamplesTest {
  static SagaCoordinator coordinator;
  static TestParticipant participant;
  static String stock;
  static String payments;
  static String shipping;

  @BeforeAll
  static void start() throws Exception {
    coordinator = SagaCoordinator.memory();
    participant = TestParticipant.start();
    participant.answerBody("reserve", call -> "{\"id\":\"r-" + call.gid() + "\"}");
    stock = participant.url("stock").replaceAll("/stock$", "");
    payments = stock;
    shipping = stock;
  }

  @AfterAll
  static void stop() throws Exception {
    coordinator.close();
    participant.close();
  }

  static SagaDefinition orderSaga() {
    // README: "Define a saga"
    SagaDefinition order = Saga.named("order")
        .timeout(Duration.ofMinutes(1))
        .step("reserve")
            .action(HttpCall.post(stock + "/reservations").body(Map.of("sku", "A-1", "qty", 2)))
            .compensation(HttpCall.post(stock + "/reservations/release"))
        .step("charge")
            .action(HttpCall.post(payments + "/charges")
                .header("X-Tenant", "acme")
                .body(Map.of("reservation", Ref.from("reserve").at("/id"), "amount", 30)))
            .compensation(HttpCall.post(payments + "/refunds").body(Map.of("reservation", Ref.from("reserve").at("/id"))))
            .attempts(3)
            .backoff(Duration.ofMillis(200), Duration.ofSeconds(5))
            .timeout(Duration.ofSeconds(10))
        .step("ship")
            .action(HttpCall.put(shipping + "/shipments/order").body(Map.of("reservation", Ref.from("reserve").at("/id"))))
            .pivot()
        .build();
    return order;
  }

  @Test
  void defineAndRunASaga() {
    SagaDefinition order = orderSaga();
    URI coordinatorUri = URI.create(coordinator.baseUrl());

    // README: "Run it"
    CovenantClient client = CovenantClient.builder().coordinator(coordinatorUri).build();
    SagaClient sagas = new SagaClient(client);

    SagaProgress end = sagas.run(order, "order-4711", Duration.ofSeconds(30));
    if (!end.isFinished()) {
      // still running after 30 s (a participant down?): it goes on without us; look again later
    } else if (end.isRolledBack()) {
      System.out.println("order-4711 was compensated: " + end.reason());
    }

    SagaRun run = sagas.start(order, "order-4712");         // returns once the coordinator has it
    for (StepProgress step : run.progress().steps()) {
      System.out.printf("%s %s attempts=%d lastError=%s result=%s%n",
          step.name(), step.status(), step.attempts(), step.lastError(), step.result());
    }

    assertThat(end.isCommitted()).isTrue();
    assertThat(run.awaitEnd(Duration.ofSeconds(30)).isCommitted()).isTrue();
    assertThat(participant.calls("order-4711").get(1).body()).contains("\"reservation\":\"r-order-4711\"");
    client.close();
  }

  @Test
  void parallelSteps() {
    // README: "Parallel steps"
    SagaDefinition checkout = Saga.named("checkout")
        .step("stock").action(HttpCall.post(stock + "/reserve")).compensation(HttpCall.post(stock + "/release"))
            .dependsOn()                                        // starts at once
        .step("payment").action(HttpCall.post(payments + "/charge")).compensation(HttpCall.post(payments + "/refund"))
            .dependsOn()                                        // starts at once, in parallel with stock
        .step("ship").action(HttpCall.post(shipping + "/ship")).compensation(HttpCall.post(shipping + "/unship"))
            .dependsOn("stock", "payment")                      // waits for both
        .build();

    assertThat(coordinator.sagas().run(checkout, "checkout-1", Duration.ofSeconds(30)).isCommitted()).isTrue();
  }

  @Test
  void mistakesAreNamedBeforeAnythingRuns() {
    assertThatThrownBy(() ->
        // README: "Mistakes"
        Saga.named("order")
            .step("reserve").action(HttpCall.post(stock + "/reserve")).compensation(HttpCall.post(stock + "/release"))
            .step("charge").action(HttpCall.post(payments + "/charge").body(Map.of("id", Ref.from("ship").at("/id"))))
                .dependsOn("reserve", "bill")
            .step("ship").action(HttpCall.post(shipping + "/ship")).compensation(HttpCall.post(shipping + "/unship"))
            .build())
        .isInstanceOf(SagaValidationException.class)
        .hasMessage(readmeBlock("text"));
  }

  @Test
  void theYamlExampleIsTheJavaExample() throws Exception {
    String yaml = readmeBlock("yaml").replace("http://stock.internal:8080", stock)
        .replace("http://payments.internal:8080", payments).replace("http://shipping.internal:8080", shipping);
    Path dir = Files.createTempDirectory("saga-readme");
    Files.writeString(dir.resolve("order.yaml"), yaml);
    Path file = dir.resolve("order.yaml");

    // README: "JSON and YAML" (with the file's path)
    SagaDefinition fromFile = SagaDefinition.fromYaml(Files.readString(file));

    assertThat(fromFile).isEqualTo(orderSaga());
    Files.delete(file);
    Files.delete(dir);
    assertThat(SagaDefinition.fromJson(fromFile.toJson())).isEqualTo(fromFile);
  }

  /** The first fenced block of {@code lang} in the README, without its fences. */
  static String readmeBlock(String lang) {
    try {
      String readme = Files.readString(Path.of("README.md"));
      Matcher m = Pattern.compile("```" + lang + "\\n(.*?)```", Pattern.DOTALL).matcher(readme);
      assertThat(m.find()).as("a ```%s block in README.md", lang).isTrue();
      return m.group(1).stripTrailing();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
