package io.covenant.coordinator.http;

import static io.covenant.coordinator.testkit.Api.expect;
import static io.covenant.coordinator.testkit.Api.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.covenant.coordinator.Coordinator;
import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.Api.Response;
import io.covenant.coordinator.testkit.TestParticipant;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The HTTP API end to end: a real coordinator (memory store) on a free port, real HTTP from the
 * JDK client, and a real loopback participant. Every rejected request is checked for its status,
 * its problem type and media type, and for having changed nothing.
 */
class HttpApiTest {
  static final int BODY_BYTES_MAX = 8 * 1024;
  static final Duration WAIT = Duration.ofSeconds(10);
  static final AtomicInteger ids = new AtomicInteger();

  static Coordinator coordinator;
  static TestParticipant participant;
  static Api api;

  @BeforeAll
  static void start() throws Exception {
    coordinator = Coordinator.start(CoordinatorConfig.builder()
            .store(CoordinatorConfig.StoreKind.MEMORY)
            .httpHost("127.0.0.1")
            .httpPort(0)
            .retryInitialBackoff(Duration.ofMillis(10))
            .retryMaxBackoff(Duration.ofMillis(200))
            .limitsBodyBytesMax(BODY_BYTES_MAX)
            .limitsTimeoutMax(Duration.ofHours(1))
            .build())
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    participant = TestParticipant.start();
    api = new Api(coordinator.baseUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    if (coordinator != null) {
      coordinator.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (participant != null) {
      participant.close();
    }
  }

  static String gid(String prefix) {
    return prefix + "-" + ids.incrementAndGet();
  }

  static String begin(String mode) {
    String gid = gid(mode);
    expect(api.post("/v1/transactions", object().put("gid", gid).put("mode", mode).put("timeoutMillis", 600_000)), 201);
    return gid;
  }

  static ObjectNode tccBranch(String branchId) {
    return object().put("branchId", branchId).put("confirm", participant.url("confirm")).put("cancel", participant.url("cancel"));
  }

  static JsonNode view(String gid) {
    return expect(api.transaction(gid), 200).body();
  }

  static void awaitStatus(String gid, String status) {
    await().atMost(WAIT).until(() -> api.statusOf(gid).equals(status));
  }

  static Response send(String method, String path, String contentType, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return api.send(b);
  }

  /** Asserts an RFC 9457 problem of the given status and slug, and returns its detail. */
  static String assertProblem(Response r, int status, String slug) {
    assertThat(r.status()).as(r.raw()).isEqualTo(status);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    assertThat(r.problemType()).isEqualTo("https://covenant.example/problems/" + slug);
    assertThat(r.body().path("status").asInt()).isEqualTo(status);
    assertThat(r.body().path("title").asText()).isNotBlank();
    return r.body().path("detail").asText();
  }

  static int count() {
    int n = 0;
    String cursor = null;
    do {
      JsonNode page = expect(api.get("/v1/transactions?limit=500" + (cursor == null ? "" : "&cursor=" + cursor)), 200).body();
      n += page.path("items").size();
      cursor = page.hasNonNull("nextCursor") ? page.get("nextCursor").asText() : null;
    } while (cursor != null);
    return n;
  }

  @Nested
  class RoundTrips {
    @Test
    void beginsATransactionWithTheGivenGid() {
      String gid = gid("pay");
      Response r = api.post("/v1/transactions", object().put("gid", gid).put("mode", "tcc").put("timeoutMillis", 30_000));

      expect(r, 201);
      assertThat(r.contentType()).isEqualTo("application/json");
      assertThat(r.body().get("gid").asText()).isEqualTo(gid);
      assertThat(r.body().get("mode").asText()).isEqualTo("tcc");
      assertThat(r.body().get("status").asText()).isEqualTo("active");
      assertThat(r.body().get("stuck").asBoolean()).isFalse();
      assertThat(r.body().get("branches")).isEmpty();
      assertThat(r.body().hasNonNull("deadline")).isTrue();
      assertThat(r.body().hasNonNull("createdAt")).isTrue();
    }

    @Test
    void aBodyWrittenWithWhitespaceAndNestedValuesReadsAsItsJsonValue() {
      String gid = begin("tcc");
      String body = "\n\t {\"branchId\": \"odd\", \"confirm\": \"" + participant.url("confirm") + "\", \"cancel\": \""
          + participant.url("cancel") + "\",\r\n \"payload\": {\"none\": null, \"list\": [1, 2.5, \"\\u00e9\", [true]], "
          + "\"deep\": {\"x\": {}}}, \"unknown\": [1]}  ";

      expect(send("POST", "/v1/transactions/" + gid + "/branches", "application/json", body), 201);

      JsonNode payload = view(gid).get("branches").get(0).get("payload");
      ObjectNode expected = object().putNull("none");
      expected.putArray("list").add(1).add(2.5).add("é").addArray().add(true);
      expected.putObject("deep").putObject("x");
      assertThat(payload).isEqualTo(expected);
    }

    @Test
    void beginIsIdempotentForTheSameGidAndMode() {
      String gid = begin("tcc");
      JsonNode first = view(gid);

      Response again = api.post("/v1/transactions", object().put("gid", gid).put("mode", "tcc"));

      expect(again, 201);
      assertThat(again.body()).isEqualTo(first);
      assertProblem(api.post("/v1/transactions", object().put("gid", gid).put("mode", "2pc")), 409, "gid-conflict");
    }

    @Test
    void beginWithoutAGidGeneratesOneAndIgnoresUnknownFields() {
      Response r = api.post("/v1/transactions", object().put("mode", "2pc").put("comment", "unknown fields are ignored"));

      expect(r, 201);
      String gid = r.body().get("gid").asText();
      assertThat(gid).matches("[0-9a-f-]{36}");
      assertThat(view(gid).get("mode").asText()).isEqualTo("2pc");
    }

    @Test
    void commitConfirmsEveryRegisteredBranchWithItsPayload() {
      String gid = begin("tcc");
      Response registered = api.post("/v1/transactions/" + gid + "/branches",
          tccBranch("stock").set("payload", object().put("sku", "A-1").put("qty", 2)));
      expect(registered, 201);
      JsonNode branch = registered.body().get("branches").get(0);
      assertThat(branch.get("branchId").asText()).isEqualTo("stock");
      assertThat(branch.get("status").asText()).isEqualTo("registered");
      assertThat(branch.get("forward").asText()).isEqualTo(participant.url("confirm"));
      assertThat(branch.get("payload")).isEqualTo(object().put("sku", "A-1").put("qty", 2));
      assertThat(branch.has("dependsOn")).as("saga-only fields are left out").isFalse();
      expect(api.post("/v1/transactions/" + gid + "/branches", tccBranch("payment")), 201);

      Response committed = api.commit(gid);

      expect(committed, 200);
      assertThat(committed.body().get("status").asText()).isIn("committing", "committed");
      assertThat(committed.body().has("deadline")).as("no deadline once decided").isFalse();
      awaitStatus(gid, "committed");
      assertThat(participant.count(gid, "stock", "confirm")).isEqualTo(1);
      assertThat(participant.count(gid, "payment", "confirm")).isEqualTo(1);
      assertThat(participant.calls(gid).stream().filter(c -> c.branch().equals("stock")).findFirst().orElseThrow().body())
          .isEqualTo("{\"sku\":\"A-1\",\"qty\":2}");
      assertThat(view(gid).get("branches").findValuesAsText("status")).containsOnly("confirmed");
      expect(api.commit(gid), 200); // a repeat is answered from the state
    }

    @Test
    void rollbackRollsBackEveryTwoPhaseBranch() {
      String gid = begin("2pc");
      expect(api.register(gid, "ledger", "commit", participant.url("commit"), "rollback", participant.url("rollback")), 201);

      Response rolledBack = api.rollback(gid);

      expect(rolledBack, 200);
      assertThat(rolledBack.body().get("status").asText()).isIn("rolling_back", "rolled_back");
      assertThat(rolledBack.body().get("reason").asText()).isEqualTo("rolled back by the client");
      awaitStatus(gid, "rolled_back");
      assertThat(participant.count(gid, "ledger", "rollback")).isEqualTo(1);
      assertThat(participant.count(gid, "ledger", "commit")).isZero();
    }

    @Test
    void aSagaRunsItsStepsInOrderAndCommits() {
      String gid = gid("order");
      ObjectNode saga = object().put("gid", gid);
      ArrayNode steps = saga.putArray("steps");
      steps.add(object().put("name", "reserve").put("action", participant.url("reserve"))
          .put("compensation", participant.url("release")).set("payload", object().put("qty", 1)));
      steps.add(object().put("name", "charge").put("action", participant.url("charge"))
          .put("compensation", participant.url("refund")).put("attemptsMax", 3).put("timeoutMillis", 2_000));

      Response r = api.post("/v1/sagas", saga);

      expect(r, 201);
      assertThat(r.body().get("mode").asText()).isEqualTo("saga");
      JsonNode charge = r.body().get("branches").get(1);
      assertThat(charge.get("dependsOn")).as("an omitted dependsOn means the step before").containsExactly(api.JSON.getNodeFactory().textNode("reserve"));
      assertThat(charge.get("pivot").asBoolean()).isFalse();
      assertThat(r.body().get("branches").get(0).get("dependsOn")).isEmpty();
      awaitStatus(gid, "committed");
      assertThat(participant.trace(gid)).containsExactly("reserve:action", "charge:action");
      expect(api.post("/v1/sagas", saga), 201); // the same saga again is the same saga
    }

    @Test
    void listsTransactionsFilteredAndPaged() {
      List<String> gids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        gids.add(begin("2pc"));
      }
      String rolledBack = gids.get(2);
      expect(api.rollback(rolledBack), 200);

      JsonNode active = expect(api.get("/v1/transactions?mode=2pc&status=active&limit=500"), 200).body();
      assertThat(active.get("items").findValuesAsText("gid")).contains(gids.get(0), gids.get(1)).doesNotContain(rolledBack);
      assertThat(active.get("items").findValuesAsText("mode")).containsOnly("2pc");

      JsonNode finished = expect(api.get("/v1/transactions?status=rolled_back,committed&stuck=false"), 200).body();
      assertThat(finished.get("items").findValuesAsText("gid")).contains(rolledBack);

      List<String> seen = new ArrayList<>();
      String cursor = null;
      do {
        JsonNode page = expect(api.get("/v1/transactions?mode=2pc&limit=1" + (cursor == null ? "" : "&cursor=" + cursor)), 200).body();
        assertThat(page.get("items").size()).isLessThanOrEqualTo(1);
        page.get("items").forEach(v -> seen.add(v.get("gid").asText()));
        cursor = page.hasNonNull("nextCursor") ? page.get("nextCursor").asText() : null;
      } while (cursor != null);
      assertThat(seen).containsSubsequence(gids).doesNotHaveDuplicates();

      JsonNode none = expect(api.get("/v1/transactions?olderThanMillis=3600000"), 200).body();
      assertThat(none.get("items")).isEmpty();
      assertThat(none.has("nextCursor")).isFalse();
    }

    @Test
    void healthAndMetrics() {
      Response live = expect(api.get("/health/live"), 200);
      assertThat(live.body().get("status").asText()).isEqualTo("UP");
      Response ready = expect(api.get("/health/ready"), 200);
      assertThat(ready.body().get("status").asText()).isEqualTo("UP");

      String begins = "covenant_http_requests_seconds_count{method=\"POST\",route=\"/v1/transactions\",status=\"201\"}";
      begin("tcc");
      Response metrics = expect(api.get("/metrics"), 200);
      assertThat(metrics.contentType()).startsWith("text/plain; version=0.0.4");
      assertThat(metrics.raw()).contains("covenant_transactions_begun_total{mode=\"tcc\"}")
          .contains("covenant_transactions_live")
          .contains("jvm_gc_memory_allocated_bytes_total") // the benchmarks' garbage per transaction
          .contains(begins);
      double before = sample(metrics.raw(), begins);
      begin("tcc");
      begin("tcc");
      assertThat(sample(expect(api.get("/metrics"), 200).raw(), begins)).isEqualTo(before + 2);
    }

    @Test
    void theLiveGaugeCountsAnOpenTransactionWithinItsRefreshInterval() {
      String gid = begin("tcc");
      await().atMost(WAIT).until(() -> sample(expect(api.get("/metrics"), 200).raw(), "covenant_transactions_live") >= 1);
      expect(api.rollback(gid), 200);
    }

    /** The value of the Prometheus sample named (with its labels) {@code series}. */
    private static double sample(String scrape, String series) {
      return scrape.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
          .findFirst().orElseThrow();
    }
  }

  /** {@code Prefer: return=minimal} (RFC 7240) on the writes: the summary, with the same status and Location (issue #6). */
  @Nested
  class ReturnMinimal {
    static final String[] MINIMAL = {"Prefer", "return=minimal"};

    /** Asserts a summary answer of {@code status} for {@code gid} in {@code txStatus}: exactly gid and status. */
    void assertSummary(Response r, int status, String gid, String txStatus) {
      expect(r, status);
      assertThat(r.contentType()).isEqualTo("application/json");
      assertThat(r.header("Preference-Applied")).isEqualTo("return=minimal");
      assertThat(r.body()).isEqualTo(object().put("gid", gid).put("status", txStatus));
    }

    @Test
    void everyWriteOfATccTransactionAnswersItsSummary() {
      String gid = gid("lean");
      Response begun = api.post("/v1/transactions", object().put("gid", gid).put("mode", "tcc"), MINIMAL);
      assertSummary(begun, 201, gid, "active");
      assertThat(begun.header("Location")).isEqualTo("/v1/transactions/" + gid);

      Response registered = api.post("/v1/transactions/" + gid + "/branches", tccBranch("stock"), MINIMAL);
      assertSummary(registered, 201, gid, "active");
      assertThat(registered.header("Location")).isNull();
      assertThat(api.post("/v1/transactions/" + gid + "/commit", "", MINIMAL).body().get("status").asText())
          .isIn("committing", "committed");
      awaitStatus(gid, "committed");
      assertSummary(api.post("/v1/transactions/" + gid + "/commit", "", MINIMAL), 200, gid, "committed");
      assertSummary(api.post("/v1/transactions/" + gid + "/retry", "", MINIMAL), 200, gid, "committed");
      assertThat(view(gid).get("branches").findValuesAsText("status")).containsExactly("confirmed");
    }

    @Test
    void rollbackSagaSubmissionAndFinishingByHandAnswerTheSummary() {
      String rolledBack = begin("2pc");
      Response rollback = api.post("/v1/transactions/" + rolledBack + "/rollback", "", MINIMAL);
      assertSummary(rollback, 200, rolledBack, rollback.body().get("status").asText());
      assertThat(rollback.body().get("status").asText()).isIn("rolling_back", "rolled_back");

      String saga = gid("lean-saga");
      Response submitted = api.post("/v1/sagas", object().put("gid", saga).set("steps", Api.JSON.createArrayNode()
          .add(object().put("name", "reserve").put("action", participant.url("action")).put("compensation", participant.url("c")))),
          MINIMAL);
      assertSummary(submitted, 201, saga, "active");
      assertThat(submitted.header("Location")).isEqualTo("/v1/transactions/" + saga);

      String stuck = begin("tcc");
      participant.refuse("by-hand", "confirm");
      expect(api.post("/v1/transactions/" + stuck + "/branches", tccBranch("by-hand")), 201);
      expect(api.commit(stuck), 200);
      assertSummary(api.post("/v1/transactions/" + stuck + "/branches/by-hand/finish",
          object().put("reason", "confirmed by hand"), MINIMAL), 200, stuck, "committed");
    }

    @Test
    void otherPreferencesSurroundingItAreIgnored() {
      String gid = gid("lean");
      assertSummary(api.post("/v1/transactions", object().put("gid", gid).put("mode", "tcc"),
          "Prefer", "respond-async, wait=5", "Prefer", "RETURN = minimal; charset=\"a,b\""), 201, gid, "active");
    }

    @Test
    void withoutItOrWithReturnRepresentationTheViewIsAnsweredAsBefore() {
      String gid = gid("full");
      Response plain = api.post("/v1/transactions", object().put("gid", gid).put("mode", "tcc"));
      Response representation = api.post("/v1/transactions", object().put("gid", gid).put("mode", "tcc"),
          "Prefer", "return=representation, return=minimal");

      for (Response r : List.of(plain, representation)) {
        expect(r, 201);
        assertThat(r.header("Preference-Applied")).isNull();
        assertThat(r.header("Location")).isEqualTo("/v1/transactions/" + gid);
        assertThat(r.body()).isEqualTo(view(gid));
      }
    }

    @Test
    void readsAndErrorsDoNotChange() {
      String gid = begin("tcc");
      Response read = api.send(HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + "/v1/transactions/" + gid))
          .header("Prefer", "return=minimal").GET());
      assertThat(read.header("Preference-Applied")).isNull();
      assertThat(read.body()).isEqualTo(view(gid));

      Response unknown = api.post("/v1/transactions/no-such-gid/commit", "", MINIMAL);
      assertProblem(unknown, 404, "transaction-not-found");
      assertThat(unknown.header("Preference-Applied")).isNull();
      assertProblem(api.post("/v1/transactions", object().put("mode", "xa"), MINIMAL), 400, "invalid-request");
    }
  }

  @Nested
  class Rejections {
    @Test
    void malformedJsonChangesNothing() {
      String gid = begin("tcc");
      JsonNode before = view(gid);

      assertProblem(send("POST", "/v1/transactions/" + gid + "/branches", "application/json", "{\"branchId\": \"a\","),
          400, "malformed-json");
      assertProblem(send("POST", "/v1/transactions", "application/json", "{\"mode\":\"tcc\"} trailing"), 400, "malformed-json");
      assertProblem(send("POST", "/v1/transactions", "application/json", "{\"mode\":\"tcc\",\"mode\":\"2pc\"}"), 400,
          "malformed-json");
      assertProblem(send("POST", "/v1/transactions/" + gid + "/commit", "application/json", "{nope"), 400, "malformed-json");

      assertThat(view(gid)).isEqualTo(before);
    }

    @Test
    void aBodyThatIsNotAnObjectIsInvalid() {
      int before = count();
      assertThat(assertProblem(send("POST", "/v1/transactions", "application/json", "[]"), 400, "invalid-request"))
          .contains("must be a JSON object");
      assertThat(assertProblem(send("POST", "/v1/transactions", "application/json", ""), 400, "invalid-request"))
          .contains("body is required");
      assertThat(count()).isEqualTo(before);
    }

    @Test
    void anUnknownGidIsNotFound() {
      String gid = gid("missing");
      assertThat(assertProblem(api.transaction(gid), 404, "transaction-not-found")).contains(gid);
      assertProblem(api.commit(gid), 404, "transaction-not-found");
      assertProblem(api.rollback(gid), 404, "transaction-not-found");
      assertProblem(api.post("/v1/transactions/" + gid + "/branches", tccBranch("a")), 404, "transaction-not-found");
      assertThat(api.transaction(gid).body().get("gid").asText()).isEqualTo(gid);
    }

    @Test
    void commitAfterRollbackIsRefused() {
      String gid = begin("tcc");
      expect(api.rollback(gid), 200);
      awaitStatus(gid, "rolled_back");
      JsonNode before = view(gid);

      assertProblem(api.commit(gid), 409, "transaction-rolled-back");

      assertThat(view(gid)).isEqualTo(before);
    }

    @Test
    void registerAfterCommitIsRefused() {
      String gid = begin("tcc");
      expect(api.post("/v1/transactions/" + gid + "/branches", tccBranch("stock")), 201);
      expect(api.commit(gid), 200);
      awaitStatus(gid, "committed");
      JsonNode before = view(gid);

      assertProblem(api.post("/v1/transactions/" + gid + "/branches", tccBranch("late")), 409, "transaction-not-active");

      assertThat(view(gid)).isEqualTo(before);
      assertThat(participant.count(gid, "late", "confirm")).isZero();
    }

    @Test
    void anOversizedBodyIsRefusedAsProblemJson() {
      String gid = begin("tcc");
      JsonNode before = view(gid);
      ObjectNode big = tccBranch("big");
      big.putObject("payload").put("blob", "x".repeat(BODY_BYTES_MAX + 1));

      String detail = assertProblem(api.post("/v1/transactions/" + gid + "/branches", big), 413, "payload-too-large");

      assertThat(detail).contains("limits.bodyBytesMax");
      assertThat(view(gid)).isEqualTo(before);
    }

    @Test
    void aCallbackThatIsNotAnHttpUrlIsInvalid() {
      String gid = begin("tcc");
      JsonNode before = view(gid);

      String detail = assertProblem(api.post("/v1/transactions/" + gid + "/branches",
          tccBranch("a").put("confirm", "ftp://files.example/confirm")), 400, "invalid-request");
      assertThat(detail).startsWith("confirm must be an absolute http or https URL");
      assertThat(assertProblem(api.post("/v1/transactions/" + gid + "/branches",
          tccBranch("a").put("cancel", "/relative/cancel")), 400, "invalid-request")).startsWith("cancel must be");
      assertProblem(api.post("/v1/transactions/" + gid + "/branches", tccBranch("a").put("cancel", "http:///no-host")),
          400, "invalid-request");

      assertThat(view(gid)).isEqualTo(before);
    }

    @Test
    void theWrongPairOfUrlsForTheModeIsInvalid() {
      String gid = begin("tcc");
      JsonNode before = view(gid);

      String detail = assertProblem(api.register(gid, "a", "commit", participant.url("c"), "rollback", participant.url("r")),
          400, "invalid-request");
      assertThat(detail).contains("tcc").contains("confirm and cancel");
      assertThat(assertProblem(api.post("/v1/transactions/" + gid + "/branches",
          object().put("branchId", "a").put("confirm", participant.url("c"))), 400, "invalid-request"))
          .isEqualTo("cancel is required for a tcc branch");
      assertThat(assertProblem(api.post("/v1/transactions/" + gid + "/branches",
          object().put("confirm", participant.url("c"))), 400, "invalid-request")).isEqualTo("branchId is required");

      assertThat(view(gid)).isEqualTo(before);
    }

    @Test
    void aBadGidIsInvalidAndCreatesNothing() {
      int before = count();

      assertThat(assertProblem(api.post("/v1/transactions", object().put("gid", "bad gid!").put("mode", "tcc")), 400,
          "invalid-request")).startsWith("gid must be 1 to 128 characters");
      assertProblem(api.post("/v1/transactions", object().put("gid", "g".repeat(129)).put("mode", "tcc")), 400,
          "invalid-request");
      assertProblem(api.post("/v1/transactions", object().put("gid", "").put("mode", "tcc")), 400, "invalid-request");
      assertProblem(api.get("/v1/transactions/bad%20gid"), 400, "invalid-request");

      assertThat(count()).isEqualTo(before);
    }

    @Test
    void fieldsOfTheWrongTypeNameTheField() {
      int before = count();

      assertThat(assertProblem(api.post("/v1/transactions", object().put("mode", "tcc").put("timeoutMillis", "soon")),
          400, "invalid-request")).isEqualTo("timeoutMillis must be a whole number");
      assertThat(assertProblem(api.post("/v1/transactions", object().put("mode", "xa")), 400, "invalid-request"))
          .startsWith("mode: 'xa' is not one of");
      assertThat(assertProblem(api.post("/v1/transactions", object().put("gid", gid("m"))), 400, "invalid-request"))
          .startsWith("mode is required");
      assertThat(assertProblem(api.post("/v1/transactions", object().put("mode", "saga")), 400, "invalid-request"))
          .contains("POST /v1/sagas");
      assertThat(assertProblem(api.post("/v1/transactions", object().put("mode", "tcc").put("timeoutMillis", 0)),
          400, "invalid-request")).isEqualTo("timeoutMillis must be positive, got 0");
      assertProblem(api.post("/v1/transactions", object().put("mode", "tcc").put("timeoutMillis", 1.5)), 400, "invalid-request");
      assertThat(assertProblem(api.post("/v1/transactions", object().put("mode", "tcc").put("timeoutMillis", 7_200_000)),
          422, "limit-exceeded")).contains("limits.timeoutMax");

      assertThat(count()).isEqualTo(before);
    }

    @Test
    void sagaFieldErrorsNameTheStep() {
      String gid = gid("saga-bad");
      ObjectNode saga = object().put("gid", gid);
      ArrayNode steps = saga.putArray("steps");
      steps.add(object().put("name", "a").put("action", participant.url("a")).put("compensation", participant.url("ua")));
      steps.add(object().put("name", "b").put("action", participant.url("b")).put("compensation", participant.url("ub")));
      steps.add(object().put("name", "c").put("action", "mailto:ops@example.com").put("compensation", participant.url("uc")));

      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request"))
          .startsWith("steps[2].action must be an absolute http or https URL");

      ((ObjectNode) steps.get(2)).put("action", participant.url("c")).put("attemptsMax", 0);
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request")).startsWith("steps[2].attemptsMax");
      ((ObjectNode) steps.get(2)).remove("attemptsMax");
      ((ObjectNode) steps.get(1)).putArray("dependsOn").add("nobody");
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request")).contains("unknown step 'nobody'");
      ((ObjectNode) steps.get(1)).remove("dependsOn");
      ((ObjectNode) steps.get(1)).put("timeoutMillis", "long");
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request"))
          .isEqualTo("steps[1].timeoutMillis must be a whole number");
      ObjectNode strict = object().put("gid", gid);
      strict.putArray("steps").addObject().put("name", "x").put("action", participant.url("x"))
          .put("compensation", participant.url("y")).put("pivot", "yes");
      assertThat(assertProblem(api.post("/v1/sagas", strict), 400, "invalid-request")).isEqualTo("steps[0].pivot must be true or false");
      assertProblem(api.post("/v1/sagas", object().put("gid", gid)), 400, "invalid-request");

      assertProblem(api.transaction(gid), 404, "transaction-not-found");
    }

    /** Issue #5: a step's own calls, backoff and references are checked before anything is stored. */
    @Test
    void sagaStepRequestErrorsNameTheField() {
      String gid = gid("saga-req");
      ObjectNode saga = object().put("gid", gid);
      ArrayNode steps = saga.putArray("steps");
      steps.add(object().put("name", "a").put("action", participant.url("a")).put("compensation", participant.url("ua")));
      ObjectNode b = object().put("name", "b").put("compensation", participant.url("ub"));
      ObjectNode action = b.putObject("action").put("url", participant.url("b")).put("method", "TRACE");
      steps.add(b);

      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request"))
          .startsWith("steps[1].action.method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
      action.put("method", "put").putObject("headers").put("Covenant-Op", "x");
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request"))
          .isEqualTo("steps[1].action.headers.Covenant-Op is set by the coordinator and cannot be given");
      action.putObject("headers").put("X-Tenant", "acme\r\nInjected: 1");
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request"))
          .startsWith("steps[1].action.headers.X-Tenant must be a text of visible characters");
      action.putObject("headers").put("X-Tenant", "acme");
      b.put("backoffInitialMillis", 500).put("backoffMaxMillis", 100);
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request"))
          .isEqualTo("steps[1].backoffMaxMillis 100 is below backoffInitialMillis 500");
      b.remove("backoffMaxMillis");
      action.putObject("body").putObject("id").put("$from", "c");
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request"))
          .isEqualTo("step 'b' action refers to unknown step 'c'");
      b.putArray("dependsOn");
      action.putObject("body").putObject("id").put("$from", "a");
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request"))
          .contains("step 'b' action refers to step 'a', which may not have run yet");
      action.put("url", "http://${a/host}/b");
      b.remove("dependsOn");
      action.remove("body");
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request"))
          .isEqualTo("steps[1].action may hold references only in its path and query, not in its scheme, host or port");
      action.put("url", participant.url("b/${a/id"));
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request"))
          .startsWith("steps[1].action: '${a/id' is not a reference");
      action.remove("url");
      assertThat(assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request")).isEqualTo("steps[1].action.url is required");
      b.put("action", 42);
      assertProblem(api.post("/v1/sagas", saga), 400, "invalid-request");

      assertProblem(api.transaction(gid), 404, "transaction-not-found");
    }

    @Test
    void aSagaStepsOwnMethodHeadersAndBodiesReachTheParticipant() {
      String gid = gid("saga-own");
      ObjectNode saga = object().put("gid", gid).put("name", "order");
      ArrayNode steps = saga.putArray("steps");
      ObjectNode step = object().put("name", "reserve").put("backoffInitialMillis", 5);
      ObjectNode action = step.putObject("action").put("url", participant.url("reserve")).put("method", "PUT");
      action.set("body", object().put("sku", "A-1"));
      action.putObject("headers").put("X-Tenant", "acme");
      step.putObject("compensation").put("url", participant.url("release")).put("method", "DELETE");
      steps.add(step);
      participant.answer("reserve", "action", 409);

      Response r = expect(api.post("/v1/sagas", saga), 201);

      assertThat(r.body().get("branches").get(0).get("payload")).isEqualTo(object().put("sku", "A-1"));
      awaitStatus(gid, "rolled_back");
      assertThat(participant.calls(gid)).extracting(TestParticipant.Received::body)
          .as("the compensation has no body of its own").containsExactly("{\"sku\":\"A-1\"}", "");
    }

    @Test
    void aSagaMayBeSubmittedAsYamlButNothingElseMay() {
      String gid = gid("saga-yaml");
      String yaml = "gid: " + gid + "\nname: order\nsteps:\n"
          + "  - name: reserve\n    action: " + participant.url("reserve") + "\n    compensation: " + participant.url("release") + "\n"
          + "    payload: {sku: A-1, qty: 2}\n"
          + "  - name: charge\n    action: {url: '" + participant.url("charge") + "', method: put, body: {r: {$from: reserve}}}\n"
          + "    compensation: " + participant.url("refund") + "\n";

      Response r = send("POST", "/v1/sagas", "application/yaml; charset=utf-8", yaml);

      assertThat(r.status()).as(r.raw()).isEqualTo(201);
      assertThat(r.contentType()).isEqualTo("application/json");
      awaitStatus(gid, "committed");
      assertThat(participant.calls(gid)).extracting(TestParticipant.Received::body)
          .containsExactly("{\"sku\":\"A-1\",\"qty\":2}", "{\"r\":{}}");
      assertThat(view(gid).get("branches").get(0).get("result")).isEqualTo(object());

      assertThat(assertProblem(send("POST", "/v1/sagas", "application/yaml", "steps: [unclosed"), 400, "malformed-json"))
          .startsWith("body is not valid YAML");
      assertThat(assertProblem(send("POST", "/v1/sagas", "application/yaml", "a: 1\na: 2\n"), 400, "malformed-json"))
          .contains("YAML");
      assertProblem(send("POST", "/v1/transactions", "application/yaml", "mode: tcc\n"), 415, "unsupported-media-type");
      assertThat(assertProblem(send("POST", "/v1/sagas", "text/plain", "steps: []"), 415, "unsupported-media-type"))
          .contains("application/json or application/yaml");
    }

    @Test
    void aSagaCannotBeCommittedOrGivenBranches() {
      String gid = gid("saga-mode");
      ObjectNode saga = object().put("gid", gid);
      saga.putArray("steps").addObject().put("name", "only").put("action", participant.url("slow-action"))
          .put("compensation", participant.url("undo"));
      participant.hold("action");
      try {
        expect(api.post("/v1/sagas", saga), 201);
        JsonNode before = view(gid);

        assertProblem(api.commit(gid), 409, "wrong-mode");
        assertProblem(api.post("/v1/transactions/" + gid + "/branches", tccBranch("x")), 409, "wrong-mode");

        assertThat(view(gid)).isEqualTo(before);
      } finally {
        participant.release("action");
      }
      awaitStatus(gid, "committed");
    }

    @Test
    void aBodyThatIsNotJsonIsAnUnsupportedMediaType() {
      String gid = begin("tcc");
      JsonNode before = view(gid);
      int total = count();

      assertThat(assertProblem(send("POST", "/v1/transactions", "text/plain", "{\"mode\":\"tcc\"}"), 415,
          "unsupported-media-type")).contains("text/plain");
      assertProblem(send("POST", "/v1/transactions/" + gid + "/branches", null, tccBranch("a").toString()), 415,
          "unsupported-media-type");
      assertProblem(send("POST", "/v1/transactions/" + gid + "/branches", "application/json; charset=iso-8859-1",
          tccBranch("a").toString()), 415, "unsupported-media-type");
      expect(send("POST", "/v1/transactions", "application/json; charset=UTF-8", "{\"mode\":\"tcc\"}"), 201);

      assertThat(view(gid)).isEqualTo(before);
      assertThat(count()).isEqualTo(total + 1);
    }

    @Test
    void anUnknownRouteIsNotFound() {
      assertThat(assertProblem(api.get("/v2/transactions"), 404, "not-found")).contains("/v2/transactions");
      assertProblem(send("POST", "/v1/nothing", "application/json", "{}"), 404, "not-found");
      assertProblem(api.get("/v1/transactions/a/b/c"), 404, "not-found");
    }

    @Test
    void aWrongMethodIsNotAllowed() {
      String gid = begin("tcc");
      JsonNode before = view(gid);

      Response r = send("DELETE", "/v1/transactions/" + gid, null, null);
      assertProblem(r, 405, "method-not-allowed");
      assertProblem(api.get("/v1/sagas"), 405, "method-not-allowed");
      assertProblem(api.get("/v1/transactions/" + gid + "/commit"), 405, "method-not-allowed");
      assertProblem(send("PUT", "/v1/transactions", "application/json", "{}"), 405, "method-not-allowed");

      assertThat(view(gid)).isEqualTo(before);
    }

    @Test
    void aWrongMethodNamesTheAllowedOnes() throws Exception {
      var response = java.net.http.HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + "/v1/sagas")).GET().build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(405);
      assertThat(response.headers().firstValue("allow")).hasValue("POST");
    }

    @Test
    void badListParametersAreInvalid() {
      assertThat(assertProblem(api.get("/v1/transactions?status=bogus"), 400, "invalid-request")).startsWith("status:");
      assertProblem(api.get("/v1/transactions?status=active,"), 400, "invalid-request");
      assertProblem(api.get("/v1/transactions?mode=xa"), 400, "invalid-request");
      assertProblem(api.get("/v1/transactions?stuck=maybe"), 400, "invalid-request");
      assertProblem(api.get("/v1/transactions?olderThanMillis=-1"), 400, "invalid-request");
      assertProblem(api.get("/v1/transactions?limit=0"), 400, "invalid-request");
      assertThat(assertProblem(api.get("/v1/transactions?limit=501"), 400, "invalid-request")).contains("limits.listPageMax");
      assertProblem(api.get("/v1/transactions?limit=ten"), 400, "invalid-request");
      assertProblem(api.get("/v1/transactions?limit=1&limit=2"), 400, "invalid-request");
      assertProblem(api.get("/v1/transactions?cursor=garbage"), 400, "invalid-request");
    }
  }
}
