package io.covenant.coordinator.http;

import static io.covenant.coordinator.testkit.Api.expect;
import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The coordinator refuses to call link-local and metadata hosts, and, when told, any host not listed. */
class ParticipantUrlsTest {
  final ParticipantUrls open = new ParticipantUrls("*");

  @ParameterizedTest
  @ValueSource(strings = {
      "http://169.254.169.254/latest/meta-data", "http://169.254.0.1:8080/x", "http://[fe80::1]/x",
      "http://[::ffff:169.254.169.254]/x", "http://0.0.0.0/x", "http://[::]/x", "http://224.0.0.1/x",
      "http://metadata.google.internal/computeMetadata/v1", "http://METADATA/x", "http://metadata.google.internal./x",
      "http://2852039166/x", "http://0251.0376.0251.0376/x", "http://0xa9.0xfe.0xa9.0xfe/x", "http://169.254.169.254.:80/x"})
  void refusesLinkLocalMetadataAndObfuscatedAddressesWhateverTheAllowList(String url) {
    assertThat(open.refusal(URI.create(url))).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1:8080/x", "https://stock.svc.cluster.local/confirm", "http://10.1.2.3/x",
      "http://[::1]:9000/x", "http://localhost:9001/ok/reserve"})
  void callsOrdinaryHostsByDefault(String url) {
    assertThat(open.refusal(URI.create(url))).isNull();
  }

  @Test
  void anAllowListAdmitsOnlyItsHostsPortsAndDomains() {
    ParticipantUrls listed = new ParticipantUrls("stock.internal, payments.internal:8443, *.svc.cluster.local");
    assertThat(listed.refusal(URI.create("http://stock.internal/confirm"))).isNull();
    assertThat(listed.refusal(URI.create("http://STOCK.internal:9000/confirm"))).isNull();
    assertThat(listed.refusal(URI.create("https://payments.internal:8443/x"))).isNull();
    assertThat(listed.refusal(URI.create("https://payments.internal/x"))).contains("payments.internal:443");
    assertThat(listed.refusal(URI.create("http://a.b.svc.cluster.local/x"))).isNull();
    assertThat(listed.refusal(URI.create("http://evil.example/x"))).contains("not in participant.allowedHosts");
    assertThat(listed.refusal(URI.create("http://svc.cluster.local.evil.example/x"))).isNotNull();
  }

  @Test
  void aDisallowedParticipantIsRefusedAtRegistrationAndNothingChanges() throws Exception {
    try (TestCoordinator coordinator = TestCoordinator.with(TestCoordinator.testConfig()
        .store(io.covenant.coordinator.config.CoordinatorConfig.StoreKind.MEMORY)
        .participantAllowedHosts("127.0.0.1").build())) {
      Api api = new Api(coordinator.baseUrl());
      String gid = api.begin("tcc", 30_000);
      Api.Response metadata = api.register(gid, "b1", "confirm", "http://169.254.169.254/latest", "cancel", "http://127.0.0.1:9/c");
      assertThat(metadata.status()).isEqualTo(403);
      assertThat(metadata.problemType()).endsWith("/participant-not-allowed");
      assertThat(metadata.body().get("detail").asText()).startsWith("confirm ").contains("link-local");
      Api.Response unlisted = api.register(gid, "b1", "confirm", "http://127.0.0.1:9/c", "cancel", "http://example.org/c");
      assertThat(unlisted.status()).isEqualTo(403);
      assertThat(api.transaction(gid).body().get("branches")).isEmpty();

      Api.Response saga = api.post("/v1/sagas", "{\"steps\":[{\"name\":\"a\",\"action\":\"http://[fe80::1]/a\","
          + "\"compensation\":\"http://127.0.0.1:9/u\"}]}");
      assertThat(saga.status()).isEqualTo(403);
      assertThat(saga.body().get("detail").asText()).startsWith("steps[0].action");
      expect(api.register(gid, "b1", "confirm", "http://127.0.0.1:9/c", "cancel", "http://127.0.0.1:9/x"), 201);
    }
  }
}
