package io.covenant.saga;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.covenant.protocol.SagaRecovery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON and YAML forms of a definition: equal after a round trip, and the coordinator's submit format (issue #5). */
class FormatTest {

  /** Every feature of the DSL at least once. */
  static SagaDefinition everything() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sku", "A-1");
    body.put("qty", 2);
    body.put("price", 12.5);
    body.put("gift", true);
    body.put("note", null);
    body.put("tags", List.of("x", "ü 🚀"));
    return Saga.named("order")
        .timeout(Duration.ofMinutes(2))
        .step("reserve")
            .action(HttpCall.put("http://stock:8080/reservations").header("X-Tenant", "acme").header("Authorization", "Bearer t")
                .body(body))
            .compensation(HttpCall.delete("http://stock:8080/reservations?mode=all"))
            .dependsOn()
            .attempts(3).backoff(Duration.ofMillis(50), Duration.ofSeconds(2)).timeout(Duration.ofSeconds(5))
        .step("quote").action(HttpCall.get("http://pricing:8080/quote")).compensation(HttpCall.post("http://pricing:8080/forget"))
            .dependsOn()
        .step("charge")
            .action(HttpCall.post("https://pay.example.com/charge")
                .body(Map.of("reservation", Ref.from("reserve").at("/id"), "quote", Ref.from("quote"))))
            .pivot()
            .dependsOn("reserve", "quote")
        .step("ship")
            .action(HttpCall.patch("http://ship:8080/orders/1").body("express"))
            .compensation(HttpCall.post("http://ship:8080/cancel").body(List.of(Ref.from("charge").at("/receipt/0"))))
        .build();
  }

  @Test
  void theJsonFormReadsBackEqualToTheJavaDefinition() {
    SagaDefinition saga = everything();
    String json = saga.toJson();
    assertThat(SagaDefinition.fromJson(json)).isEqualTo(saga);
    assertThat(json).contains("\"$from\" : \"reserve\"").doesNotContain("\"gid\"").doesNotContain("\"payload\"");
  }

  @Test
  void theYamlFormReadsBackEqualToTheJavaDefinition() {
    SagaDefinition saga = everything();
    String yaml = saga.toYaml();
    assertThat(SagaDefinition.fromYaml(yaml)).isEqualTo(saga);
    assertThat(yaml).startsWith("name: order").contains("method: PUT");
  }

  @Test
  void aForwardSagaAndAnUnnamedOneRoundTripToo() {
    SagaDefinition forward = Saga.builder().recovery(SagaRecovery.FORWARD)
        .step("a").action(HttpCall.post("http://h/a"))
        .step("b").action(HttpCall.post("http://h/b").body(JsonNodeFactory.instance.numberNode(7)))
        .build();
    assertThat(SagaDefinition.fromJson(forward.toJson())).isEqualTo(forward);
    assertThat(SagaDefinition.fromYaml(forward.toYaml())).isEqualTo(forward);
    assertThat(forward.toJson()).contains("\"recovery\" : \"forward\"");
  }

  @Test
  void aDefinitionDoesNotChangeWhenTheJsonItWasGivenChanges() {
    com.fasterxml.jackson.databind.node.ObjectNode body = JsonNodeFactory.instance.objectNode().put("qty", 2);
    SagaDefinition saga = Saga.builder().step("a").action(HttpCall.post("http://h/a").body(body))
        .compensation(HttpCall.post("http://h/u")).build();
    String before = saga.toJson();

    body.put("qty", 3);
    ((com.fasterxml.jackson.databind.node.ObjectNode) saga.steps().get(0).action().body()).put("qty", 4);

    assertThat(saga.toJson()).isEqualTo(before);
  }

  @Test
  void aHandWrittenYamlFileWithPlainUrlsAndAPayloadReadsAsTheCoordinatorWouldRunIt() {
    SagaDefinition saga = SagaDefinition.fromYaml("""
        name: order
        timeoutMillis: 60000
        steps:
          - name: reserve
            action: http://stock:8080/reserve
            compensation: http://stock:8080/release
            payload: {sku: A-1, qty: 2}
          - name: charge
            action:
              url: http://pay:8080/charge
              method: put
              body: {reservation: {$from: reserve, pointer: /id}}
            compensation: http://pay:8080/refund
            attemptsMax: 5
        """);

    assertThat(saga.timeout()).isEqualTo(Duration.ofMinutes(1));
    StepDefinition reserve = saga.step("reserve").orElseThrow();
    assertThat(reserve.action().body()).as("the payload is the body of both calls").isEqualTo(reserve.compensation().body());
    assertThat(reserve.action().body().get("qty").asInt()).isEqualTo(2);
    StepDefinition charge = saga.step("charge").orElseThrow();
    assertThat(charge.action().method()).isEqualTo("PUT");
    assertThat(charge.compensation().body()).isNull();
    assertThat(charge.dependsOn()).as("omitted: after the step before").isNull();
    assertThat(SagaDefinition.fromYaml(saga.toYaml())).isEqualTo(saga);
  }

  @Test
  void theJsonFormIsTheBodyTheCoordinatorTakes() throws Exception {
    try (SagaCoordinator coordinator = SagaCoordinator.memory(); TestParticipant shop = TestParticipant.start()) {
      shop.answerBody("reserve", call -> "{\"id\":\"r-9\"}");
      SagaDefinition saga = Saga.named("order")
          .step("reserve").action(HttpCall.post(shop.url("reserve"))).compensation(HttpCall.post(shop.url("release")))
          .step("charge").action(HttpCall.post(shop.url("charge")).body(Map.of("reservation", Ref.from("reserve").at("/id"))))
              .compensation(HttpCall.post(shop.url("refund")))
          .build();

      HttpResponse<String> answer = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + "/v1/sagas")).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(saga.toJson())).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
      String gid = coordinator.client().get(answer.body().replaceAll("(?s).*\"gid\":\"([^\"]+)\".*", "$1")).gid();
      SagaProgress end = coordinator.sagas().attach(gid).awaitEnd(Duration.ofSeconds(20));
      assertThat(end.isCommitted()).isTrue();
      assertThat(shop.calls(gid).get(1).body()).isEqualTo("{\"reservation\":\"r-9\"}");
    }
  }
}
