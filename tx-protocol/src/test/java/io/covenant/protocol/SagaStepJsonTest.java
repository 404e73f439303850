package io.covenant.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A step's action and compensation on the wire: a plain URL, or a request object (issue #5). */
class SagaStepJsonTest {
  final ObjectMapper json = new ObjectMapper();

  @Test
  void aPlainUrlIsAPostWithTheStepsPayload() throws Exception {
    SagaStep step = json.readValue("{\"name\":\"a\",\"action\":\"http://h/a\",\"payload\":{\"x\":1}}", SagaStep.class);
    assertThat(step.action()).isEqualTo(StepRequest.of("http://h/a"));
    assertThat(step.action().method()).isNull();
    assertThat(step.payload().get("x").asInt()).isEqualTo(1);
  }

  @Test
  void aRequestObjectCarriesItsOwnMethodHeadersAndBody() throws Exception {
    SagaStep step = json.readValue("{\"name\":\"a\",\"action\":{\"url\":\"http://h/a\",\"method\":\"PUT\","
        + "\"headers\":{\"X-T\":\"1\"},\"body\":{\"$from\":\"b\"}},\"compensation\":{\"url\":\"http://h/u\",\"body\":null}}",
        SagaStep.class);
    assertThat(step.action().method()).isEqualTo("PUT");
    assertThat(step.action().headers()).isEqualTo(Map.of("X-T", "1"));
    assertThat(step.action().body().get("$from").asText()).isEqualTo("b");
    assertThat(step.compensation().body()).as("a JSON null body is no body").isNull();
  }

  @Test
  void writesOnlyWhatIsGivenAndReadsItBackEqual() throws Exception {
    SagaRequest saga = new SagaRequest("g", "order", 1000L, SagaRecovery.FORWARD, java.util.List.of(
        new SagaStep("a", new StepRequest(null, "http://h/a", null, null), null, null, null, null, 2, null, 10L, 20L)));
    String text = json.writeValueAsString(saga);
    assertThat(text).doesNotContain("method").doesNotContain("headers").doesNotContain("payload").contains("\"name\":\"order\"");
    assertThat(json.readValue(text, SagaRequest.class)).isEqualTo(saga);
  }
}
