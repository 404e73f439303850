package io.covenant.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.covenant.coordinator.testkit.TestParticipant;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's actions on a real coordinator (journal, bearer tokens) with a real participant:
 * finishing a branch by hand, retrying now, and who may do either.
 */
class OperatorActionsTest {
  static final String OPS = "ops-secret";
  static final String SERVICE = "svc-secret";
  static final String READER = "reader-secret";

  @TempDir Path dir;
  TestParticipant participant;
  TestCoordinator coordinator;
  Path tokens;

  @BeforeEach
  void start() throws Exception {
    tokens = Files.writeString(dir.resolve("tokens.yaml"), """
        tokens:
          - name: order-service
            token: %s
            permissions: [transactions, read]
          - name: dashboard
            token: %s
            permissions: [read]
          - name: ops
            token: %s
            permissions: [operator]
        """.formatted(SERVICE, READER, OPS));
    participant = TestParticipant.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (coordinator != null) {
      coordinator.close();
    }
    participant.close();
  }

  private CoordinatorConfig.Builder config() {
    return TestCoordinator.testConfig().store(CoordinatorConfig.StoreKind.JOURNAL).journalDir(dir.resolve("journal"))
        .authTokensFile(tokens);
  }

  private Api.Response call(String path, String token, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + path))
        .header("Content-Type", "application/json")
        .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return new Api(coordinator.baseUrl()).send(b);
  }

  private Api.Response view(String gid) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + "/v1/transactions/" + gid))
        .header("Authorization", "Bearer " + READER);
    return new Api(coordinator.baseUrl()).send(b.GET());
  }

  private String committedTcc(String... branches) {
    String gid = Api.expect(call("/v1/transactions", SERVICE, "{\"mode\":\"tcc\",\"timeoutMillis\":60000}"), 201)
        .body().get("gid").asText();
    for (String branch : branches) {
      Api.expect(call("/v1/transactions/" + gid + "/branches", SERVICE, """
          {"branchId":"%s","confirm":"%s","cancel":"%s"}""".formatted(branch,
          participant.url(branch + "/confirm"), participant.url(branch + "/cancel"))), 201);
    }
    Api.expect(call("/v1/transactions/" + gid + "/commit", SERVICE, null), 200);
    return gid;
  }

  private static String branchField(Api.Response view, String branch, String field) {
    for (var b : view.body().get("branches")) {
      if (b.get("branchId").asText().equals(branch)) {
        return b.hasNonNull(field) ? b.get(field).asText() : null;
      }
    }
    throw new AssertionError("no branch " + branch + " in " + view.raw());
  }

  @Test
  void aBranchWhoseParticipantKeepsFailingIsFinishedByHandAndTheDecisionCompletes() throws Exception {
    coordinator = TestCoordinator.with(config().build());
    participant.refuse("pay", "confirm"); // a confirm refused forever: the coordinator retries it forever
    String gid = committedTcc("stock", "pay");
    await().atMost(Duration.ofSeconds(10)).until(() -> branchField(view(gid), "pay", "lastError") != null);
    assertThat(view(gid).body().get("status").asText()).isEqualTo("committing");

    Api.Response finished = call("/v1/transactions/" + gid + "/branches/pay/finish", OPS,
        "{\"reason\":\"payment captured by hand in the PSP console\"}");

    assertThat(finished.status()).isEqualTo(200);
    assertThat(finished.body().get("status").asText()).isEqualTo("committed");
    String resolution = "finished by hand by 'ops': payment captured by hand in the PSP console";
    assertThat(branchField(finished, "pay", "status")).isEqualTo("confirmed");
    assertThat(branchField(finished, "pay", "resolution")).isEqualTo(resolution);
    assertThat(branchField(finished, "stock", "resolution")).isNull();
    assertThat(call("/v1/transactions/" + gid + "/branches/pay/finish", OPS, "{\"reason\":\"again\"}").status())
        .as("finishing again is a repeat").isEqualTo(200);

    coordinator.close();
    coordinator = TestCoordinator.with(config().build());
    assertThat(branchField(view(gid), "pay", "resolution")).as("durable").isEqualTo(resolution);
    assertThat(participant.calls(gid)).extracting(TestParticipant.Received::op).doesNotContain("cancel");
  }

  @Test
  void retryNowCallsAtOnceInsteadOfWaitingForTheBackoff() throws Exception {
    coordinator = TestCoordinator.with(config()
        .retryInitialBackoff(Duration.ofHours(1)).retryMaxBackoff(Duration.ofHours(1)).build());
    participant.answer("pay", "confirm", 503); // then 200
    String gid = committedTcc("pay");
    await().atMost(Duration.ofSeconds(10)).until(() -> branchField(view(gid), "pay", "nextAttemptAt") != null);

    Api.Response retried = call("/v1/transactions/" + gid + "/retry", OPS, null);

    assertThat(retried.status()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> view(gid).body().get("status").asText().equals("committed"));
    assertThat(participant.count(gid, "pay", "confirm")).isEqualTo(2);
  }

  @Test
  void onlyTheOperatorPermissionMayActAndARefusedActionChangesNothing() throws Exception {
    coordinator = TestCoordinator.with(config().build());
    participant.refuse("pay", "confirm");
    String gid = committedTcc("pay");
    String finish = "/v1/transactions/" + gid + "/branches/pay/finish";
    String body = "{\"reason\":\"done by hand\"}";

    assertThat(call(finish, null, body).status()).isEqualTo(401);
    for (String token : new String[] {SERVICE, READER}) {
      Api.Response refused = call(finish, token, body);
      assertThat(refused.status()).isEqualTo(403);
      assertThat(refused.problemType()).endsWith("/forbidden");
      assertThat(call("/v1/transactions/" + gid + "/retry", token, null).status()).isEqualTo(403);
    }
    assertThat(view(gid).body().get("status").asText()).isEqualTo("committing");
    assertThat(branchField(view(gid), "pay", "resolution")).isNull();
  }

  @Test
  void badOperatorRequestsAreProblemsThatChangeNothing() throws Exception {
    coordinator = TestCoordinator.with(config().build());
    participant.refuse("pay", "confirm");
    String gid = committedTcc("pay");
    String active = Api.expect(call("/v1/transactions", SERVICE, "{\"mode\":\"tcc\"}"), 201).body().get("gid").asText();
    Api.expect(call("/v1/transactions/" + active + "/branches", SERVICE, """
        {"branchId":"stock","confirm":"%s","cancel":"%s"}""".formatted(participant.url("c"), participant.url("x"))), 201);

    expectProblem(call("/v1/transactions/" + gid + "/branches/pay/finish", OPS, "{}"), 400, "invalid-request");
    expectProblem(call("/v1/transactions/" + gid + "/branches/pay/finish", OPS, "{\"reason\":\"  \"}"), 400, "invalid-request");
    expectProblem(call("/v1/transactions/" + gid + "/branches/pay/finish", OPS, "{\"reason\":\"a\\nb\"}"), 400, "invalid-request");
    expectProblem(call("/v1/transactions/" + gid + "/branches/pay/finish", OPS,
        "{\"reason\":\"" + "x".repeat(501) + "\"}"), 400, "invalid-request");
    expectProblem(call("/v1/transactions/" + gid + "/branches/nope/finish", OPS, "{\"reason\":\"r\"}"), 404, "branch-not-found");
    expectProblem(call("/v1/transactions/unknown/branches/pay/finish", OPS, "{\"reason\":\"r\"}"), 404, "transaction-not-found");
    expectProblem(call("/v1/transactions/" + active + "/branches/stock/finish", OPS, "{\"reason\":\"r\"}"), 409,
        "transaction-not-decided");
    expectProblem(call("/v1/transactions/unknown/retry", OPS, null), 404, "transaction-not-found");

    assertThat(view(gid).body().get("status").asText()).isEqualTo("committing");
    assertThat(view(active).body().get("status").asText()).isEqualTo("active");
  }

  private static void expectProblem(Api.Response r, int status, String type) {
    assertThat(r.status()).as(r.raw()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.problemType()).endsWith("/" + type);
  }
}
