package io.covenant.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bearer tokens: unauthenticated and wrong-permission calls are refused and change nothing. */
class AccessControlTest {
  @TempDir Path dir;
  TestCoordinator coordinator;
  Api api;

  @BeforeEach
  void start() throws Exception {
    String opsDigest = HexFormat.of().formatHex(ApiTokens.sha256("ops-secret"));
    Path tokens = Files.writeString(dir.resolve("tokens.yaml"), """
        tokens:
          - name: order-service
            token: svc-secret
            permissions: [transactions, read]
          - name: dashboard
            token: reader-secret
            permissions: [read]
          - name: ops
            sha256: %s
            permissions: [operator]
        """.formatted(opsDigest));
    coordinator = TestCoordinator.with(TestCoordinator.testConfig().store(CoordinatorConfig.StoreKind.MEMORY)
        .authTokensFile(tokens).build());
    api = new Api(coordinator.baseUrl());
  }

  @AfterEach
  void stop() throws Exception {
    coordinator.close();
  }

  private Api.Response call(String method, String path, String token, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + path))
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return api.send(b);
  }

  private int count(String token) {
    return call("GET", "/v1/transactions", token, null).body().get("items").size();
  }

  @Test
  void aCallWithoutAKnownTokenIsUnauthorizedAndChangesNothing() {
    Api.Response none = call("POST", "/v1/transactions", null, "{\"mode\":\"tcc\"}");
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.problemType()).endsWith("/unauthorized");
    assertThat(none.contentType()).startsWith("application/problem+json");
    Api.Response wrong = call("POST", "/v1/transactions", "guess", "{\"mode\":\"tcc\"}");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.raw()).doesNotContain("guess");
    assertThat(call("GET", "/v1/transactions", null, null).status()).isEqualTo(401);
    assertThat(count("reader-secret")).isZero();
  }

  @Test
  void aTokenWithoutThePermissionIsForbiddenAndChangesNothing() {
    Api.Response reader = call("POST", "/v1/transactions", "reader-secret", "{\"mode\":\"tcc\"}");
    assertThat(reader.status()).isEqualTo(403);
    assertThat(reader.problemType()).endsWith("/forbidden");
    assertThat(reader.body().get("detail").asText()).contains("dashboard").contains("transactions");
    assertThat(call("POST", "/v1/sagas", "ops-secret", "{}").status()).isEqualTo(403);
    assertThat(count("ops-secret")).as("operator includes read").isZero();
  }

  @Test
  void eachTokenDoesWhatItsPermissionsAllow() {
    Api.Response begun = call("POST", "/v1/transactions", "svc-secret", "{\"mode\":\"tcc\"}");
    assertThat(begun.status()).isEqualTo(201);
    String gid = begun.body().get("gid").asText();
    assertThat(call("POST", "/v1/transactions/" + gid + "/commit", "reader-secret", null).status()).isEqualTo(403);
    assertThat(call("POST", "/v1/transactions/" + gid + "/commit", "svc-secret", null).status()).isEqualTo(200);
    assertThat(call("GET", "/v1/transactions/" + gid, "reader-secret", null).body().get("status").asText()).isEqualTo("committed");
    assertThat(api.get("/health/live").status()).as("health stays open").isEqualTo(200);
    assertThat(api.get("/metrics").status()).isEqualTo(200);
  }

  @Test
  void aBrokenTokensFileStopsTheStartAndNamesTheProblem() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.yaml"), "tokens:\n  - name: x\n    token: t\n    permissions: [everything]\n");
    assertThatThrownBy(() -> TestCoordinator.with(TestCoordinator.testConfig().store(CoordinatorConfig.StoreKind.MEMORY)
        .authTokensFile(bad).build()))
        .hasStackTraceContaining("auth.tokensFile").hasStackTraceContaining("'everything'");
  }
}
