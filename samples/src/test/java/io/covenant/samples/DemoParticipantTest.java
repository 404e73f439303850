package io.covenant.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo participant on an ephemeral port, called over real HTTP the way the coordinator calls
 * it: POST with the {@code Covenant-*} headers and the payload as body.
 */
class DemoParticipantTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();
  private DemoParticipant participant;

  @BeforeEach
  void start() throws IOException {
    participant = DemoParticipant.start(0, "stock");
  }

  @AfterEach
  void stop() {
    participant.stop();
  }

  @Test
  void answersOkWith200AndRecordsTheCall() throws Exception {
    HttpResponse<String> response = call("/ok/reserve", "order-1", "reserve", "action", "{\"sku\":\"A-1\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JSON.readTree(response.body()).path("participant").asText()).isEqualTo("stock");
    assertThat(participant.calls()).singleElement().satisfies(c -> {
      assertThat(c.seq()).isEqualTo(1);
      assertThat(c.method()).isEqualTo("POST");
      assertThat(c.path()).isEqualTo("/ok/reserve");
      assertThat(c.gid()).isEqualTo("order-1");
      assertThat(c.branch()).isEqualTo("reserve");
      assertThat(c.op()).isEqualTo("action");
      assertThat(c.attempt()).isEqualTo(1);
      assertThat(c.status()).isEqualTo(200);
      assertThat(c.repeat()).isFalse();
      assertThat(c.body()).isEqualTo("{\"sku\":\"A-1\"}");
    });
  }

  @Test
  void refusesWith409AndAJsonReason() throws Exception {
    HttpResponse<String> response = call("/refuse/charge", "order-2", "charge", "action", "");

    assertThat(response.statusCode()).isEqualTo(409);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JSON.readTree(response.body()).path("reason").asText()).isEqualTo("stock refuses action of branch charge");
    assertThat(participant.calls()).extracting(DemoParticipant.Call::status).containsExactly(409);
  }

  @Test
  void flakyFailsTheFirstTwoCallsOfEachGidBranchAndOpThenSucceeds() throws Exception {
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      statuses.add(call("/flaky/charge", "order-3", "charge", "action", "").statusCode());
    }
    int otherOp = call("/flaky/charge", "order-3", "charge", "compensate", "").statusCode();
    int otherBranch = call("/flaky/charge", "order-3", "refund", "action", "").statusCode();
    int otherGid = call("/flaky/charge", "order-4", "charge", "action", "").statusCode();

    assertThat(statuses).containsExactly(503, 503, 200, 200);
    assertThat(List.of(otherOp, otherBranch, otherGid)).containsExactly(503, 503, 503);
  }

  @Test
  void flakyTakesTheNumberOfFailuresFromTheQuery() throws Exception {
    List<Integer> once = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      once.add(call("/flaky/charge?failures=1", "order-5", "charge", "action", "").statusCode());
    }
    int never = call("/flaky/charge?failures=0", "order-6", "charge", "action", "").statusCode();

    assertThat(once).containsExactly(503, 200);
    assertThat(never).isEqualTo(200);
    assertThat(participant.calls()).extracting(DemoParticipant.Call::path)
        .containsExactly("/flaky/charge?failures=1", "/flaky/charge?failures=1", "/flaky/charge?failures=0");
  }

  @Test
  void slowWaitsTheGivenMillisThenAnswers200() throws Exception {
    long started = System.nanoTime();
    HttpResponse<String> response = call("/slow/charge?millis=200", "order-7", "charge", "action", "");
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(200));
  }

  @Test
  void answersOtherCallsWhileASlowCallWaits() throws Exception {
    CompletableFuture<HttpResponse<String>> slow =
        http.sendAsync(request("/slow/charge?millis=600000", "order-8", "charge", "action", ""),
            HttpResponse.BodyHandlers.ofString());

    HttpResponse<String> quick = call("/ok/reserve", "order-8", "reserve", "action", "");

    assertThat(quick.statusCode()).isEqualTo(200);
    assertThat(slow).isNotDone();
    assertThat(participant.calls()).extracting(DemoParticipant.Call::branch).containsExactly("reserve");
  }

  @Test
  void refusesATryOrActionThatArrivesAfterItsCancelOrCompensate() throws Exception {
    int cancel = call("/ok/cancel", "order-16", "stock", "cancel", "").statusCode();
    HttpResponse<String> lateTry = call("/ok/try", "order-16", "stock", "try", "");
    int lateFlakyTry = call("/flaky/try", "order-16", "stock", "try", "").statusCode();
    int otherBranch = call("/ok/try", "order-16", "payment", "try", "").statusCode();
    int compensate = call("/flaky/release", "order-17", "reserve", "compensate", "").statusCode();
    int lateAction = call("/ok/reserve", "order-17", "reserve", "action", "").statusCode();
    int tryBeforeItsCancel = call("/ok/try", "order-18", "stock", "try", "").statusCode();
    call("/ok/cancel", "order-18", "stock", "cancel", "");

    assertThat(List.of(cancel, lateTry.statusCode(), lateFlakyTry, otherBranch)).containsExactly(200, 409, 409, 200);
    assertThat(JSON.readTree(lateTry.body()).path("reason").asText())
        .isEqualTo("try of branch stock arrived after its cancel; refused, so that nothing is left reserved");
    assertThat(List.of(compensate, lateAction, tryBeforeItsCancel)).containsExactly(503, 409, 200);
  }

  @Test
  void marksADeliveryOfAnAlreadySucceededCallAsRepeat() throws Exception {
    call("/ok/confirm", "order-9", "stock", "confirm", "");
    call("/ok/confirm", "order-9", "stock", "confirm", "");
    call("/ok/cancel", "order-9", "stock", "cancel", "");
    for (int i = 0; i < 4; i++) {
      call("/flaky/charge", "order-10", "charge", "action", "");
    }

    assertThat(participant.calls()).extracting(DemoParticipant.Call::repeat)
        .containsExactly(false, true, false, false, false, false, true);
    assertThat(participant.calls()).extracting(DemoParticipant.Call::attempt)
        .containsExactly(1, 2, 1, 1, 2, 3, 4);
  }

  @Test
  void listsTheCallsAsAJsonArrayWithEveryStringEscaped() throws Exception {
    String body = "{\"note\":\"quote \\\" backslash \\\\\"}\n\ttab \u0001 ctl \u2028 é 🙂";
    String gid = "order-\"11\"\\x";
    call("/ok/reserve?x=1&y=a%20b", gid, "reserve", "try", body);
    call("/refuse/charge", "order-12", "charge", "try", "");

    JsonNode all = JSON.readTree(get("/calls").body());
    JsonNode one = JSON.readTree(get("/calls?gid=order-12").body());

    assertThat(all.isArray()).isTrue();
    assertThat(all).hasSize(2);
    JsonNode first = all.get(0);
    assertThat(first.path("seq").asInt()).isEqualTo(1);
    assertThat(first.path("at").asText()).isNotEmpty();
    assertThat(first.path("method").asText()).isEqualTo("POST");
    assertThat(first.path("path").asText()).isEqualTo("/ok/reserve?x=1&y=a%20b");
    assertThat(first.path("gid").asText()).isEqualTo(gid);
    assertThat(first.path("branch").asText()).isEqualTo("reserve");
    assertThat(first.path("op").asText()).isEqualTo("try");
    assertThat(first.path("attempt").asInt()).isEqualTo(1);
    assertThat(first.path("status").asInt()).isEqualTo(200);
    assertThat(first.path("repeat").asBoolean()).isFalse();
    assertThat(first.path("body").asText()).isEqualTo(body);
    assertThat(one).hasSize(1);
    assertThat(one.get(0).path("status").asInt()).isEqualTo(409);
  }

  @Test
  void recordsAbsentHeadersAsNull() throws Exception {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(uri("/ok/poke")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());

    JsonNode call = JSON.readTree(get("/calls").body()).get(0);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(call.get("gid").isNull()).isTrue();
    assertThat(call.get("branch").isNull()).isTrue();
    assertThat(call.get("op").isNull()).isTrue();
  }

  @Test
  void deleteForgetsTheCallsAndTheFlakyCounters() throws Exception {
    call("/flaky/charge?failures=1", "order-13", "charge", "action", "");
    call("/flaky/charge?failures=1", "order-13", "charge", "action", "");

    HttpResponse<String> deleted = http.send(HttpRequest.newBuilder(uri("/calls")).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    String afterDelete = get("/calls").body();
    int again = call("/flaky/charge?failures=1", "order-13", "charge", "action", "").statusCode();

    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(JSON.readTree(afterDelete)).isEmpty();
    assertThat(again).isEqualTo(503);
    assertThat(participant.calls()).singleElement().satisfies(c -> assertThat(c.seq()).isEqualTo(1));
  }

  @Test
  void rejectsWhatIsNotAParticipantCallWithoutCountingIt() throws Exception {
    HttpResponse<String> unknownPath = call("/maybe/charge", "order-14", "charge", "action", "");
    HttpResponse<String> notPost = http.send(
        HttpRequest.newBuilder(uri("/ok/charge")).GET().header("Covenant-Op", "action").build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> unknownOp = call("/ok/charge", "order-14", "charge", "prepare", "");
    HttpResponse<String> badFailures = call("/flaky/charge?failures=-1", "order-14", "charge", "action", "");
    HttpResponse<String> badMillis = call("/slow/charge?millis=soon", "order-14", "charge", "action", "");

    assertThat(unknownPath.statusCode()).isEqualTo(404);
    assertThat(notPost.statusCode()).isEqualTo(405);
    assertThat(notPost.headers().firstValue("Allow")).hasValue("POST");
    assertThat(unknownOp.statusCode()).isEqualTo(400);
    assertThat(badFailures.statusCode()).isEqualTo(400);
    assertThat(badMillis.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(badFailures.body()).path("reason").asText()).contains("failures");
    assertThat(participant.calls()).extracting(DemoParticipant.Call::attempt).containsOnly(0);
    assertThat(call("/flaky/charge", "order-14", "charge", "action", "").statusCode()).isEqualTo(503);
  }

  @Test
  void printsEveryCallAsOneLine() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      call("/ok/confirm", "order-15", "stock", "confirm", "");
      call("/ok/confirm", "order-15", "stock", "confirm", "");
    } finally {
      System.setOut(original);
    }

    assertThat(captured.toString(StandardCharsets.UTF_8).lines()).containsExactly(
        "[stock] gid=order-15 branch=stock op=confirm path=/ok/confirm -> 200",
        "[stock] gid=order-15 branch=stock op=confirm path=/ok/confirm -> 200 (repeat)");
  }

  private HttpResponse<String> call(String path, String gid, String branch, String op, String body)
      throws IOException, InterruptedException {
    return http.send(request(path, gid, branch, op, body), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest request(String path, String gid, String branch, String op, String body) {
    return HttpRequest.newBuilder(uri(path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Covenant-Gid", gid)
        .header("Covenant-Branch", branch)
        .header("Covenant-Op", op)
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
        .build();
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + participant.port() + path);
  }
}
