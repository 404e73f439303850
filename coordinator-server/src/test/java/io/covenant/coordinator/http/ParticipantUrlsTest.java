package io.covenant.coordinator.http;

import static io.covenant.coordinator.testkit.Api.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The coordinator refuses to call link-local and metadata hosts, and, when told, any host not
 * listed; it remembers its verdict per URL text (issue #6) without changing a single answer.
 */
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
  void aUrlSeenAgainGetsTheSameVerdictWhicheverFieldGivesIt() {
    ParticipantUrls listed = new ParticipantUrls("stock.internal");
    for (int i = 0; i < 3; i++) {
      String field = "steps[" + i + "].action";
      assertThatCode(() -> listed.check(field, "http://stock.internal/confirm", "g-1")).doesNotThrowAnyException();
      assertThat(refusal(listed, field, "http://evil.example/x"))
          .isEqualTo(new Refusal(ErrorCode.PARTICIPANT_NOT_ALLOWED,
              field + " host evil.example:80 is not in participant.allowedHosts", "g-1"));
      assertThat(refusal(listed, field, "ftp://stock.internal/x"))
          .isEqualTo(new Refusal(ErrorCode.INVALID_REQUEST,
              field + " must be an absolute http or https URL, got 'ftp://stock.internal/x'", "g-1"));
    }
    assertThat(listed.verdictsCached()).isEqualTo(3);
  }

  @Test
  void theVerdictCacheKeepsWithinItsBoundAndARefusalOutlivesItsEviction() {
    ParticipantUrls urls = new ParticipantUrls("*", 4);
    Refusal first = refusal(urls, "confirm", "http://169.254.169.254/latest");
    for (int i = 0; i < 50; i++) {
      urls.check("confirm", "http://stock-" + i + ".internal/confirm", null);
      assertThat(urls.verdictsCached()).isBetween(1, 4);
    }
    assertThat(refusal(urls, "confirm", "http://169.254.169.254/latest")).isEqualTo(first);

    int cached = urls.verdictsCached();
    String longUrl = "http://stock.internal/" + "x".repeat(ParticipantUrls.CACHED_URL_LENGTH_MAX);
    urls.check("confirm", longUrl, null);
    assertThat(urls.verdictsCached()).as("a URL over the cached length is judged, not kept").isEqualTo(cached);
  }

  /** A refusal as the API would show it: code, detail and gid. */
  record Refusal(ErrorCode code, String detail, String gid) {}

  static Refusal refusal(ParticipantUrls urls, String field, String url) {
    CovenantException e = catchThrowableOfType(() -> urls.check(field, url, "g-1"), CovenantException.class);
    assertThat(e).as("%s is refused", url).isNotNull();
    return new Refusal(e.code(), e.getMessage(), e.gid());
  }

  /** A coordinator (memory store) whose {@code participant.allowedHosts} is {@code 127.0.0.1}. */
  static TestCoordinator callingOnlyLoopback() throws Exception {
    return TestCoordinator.with(TestCoordinator.testConfig().store(CoordinatorConfig.StoreKind.MEMORY)
        .participantAllowedHosts("127.0.0.1").build());
  }

  @Test
  void aDisallowedParticipantIsRefusedAtRegistrationAndNothingChanges() throws Exception {
    try (TestCoordinator coordinator = callingOnlyLoopback()) {
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

  @Test
  void aRefusedUrlIsRefusedAlikeEveryTimeAndAnAllowedOneKeepsBeingCalled() throws Exception {
    try (TestCoordinator coordinator = callingOnlyLoopback()) {
      Api api = new Api(coordinator.baseUrl());
      String gid = api.begin("tcc", 30_000);
      Api.Response first = api.register(gid, "b1", "confirm", "http://example.org/c", "cancel", "http://127.0.0.1:9/c");
      Api.Response again = api.register(gid, "b1", "confirm", "http://example.org/c", "cancel", "http://127.0.0.1:9/c");
      assertThat(first.status()).isEqualTo(403);
      assertThat(again.raw()).isEqualTo(first.raw());
      expect(api.register(gid, "b1", "confirm", "http://127.0.0.1:9/c", "cancel", "http://127.0.0.1:9/c"), 201);
      expect(api.register(gid, "b2", "confirm", "http://127.0.0.1:9/c", "cancel", "http://127.0.0.1:9/c"), 201);

      // A step URL with a reference is checked with a placeholder in its place: the same text every time.
      String refused = saga("http://example.org/r/${a/id}");
      Api.Response sagaFirst = api.post("/v1/sagas", refused);
      assertThat(sagaFirst.status()).isEqualTo(403);
      assertThat(sagaFirst.body().get("detail").asText()).isEqualTo(
          "steps[1].action host example.org:80 is not in participant.allowedHosts");
      assertThat(api.post("/v1/sagas", refused).raw()).isEqualTo(sagaFirst.raw());
      expect(api.post("/v1/sagas", saga("http://127.0.0.1:9/r/${a/id}")), 201);
      expect(api.post("/v1/sagas", saga("http://127.0.0.1:9/r/${a/id}")), 201);
    }
  }

  /** A saga of two steps whose second action is {@code secondAction}. */
  static String saga(String secondAction) {
    return "{\"steps\":[{\"name\":\"a\",\"action\":\"http://127.0.0.1:9/a\",\"compensation\":\"http://127.0.0.1:9/u\"},"
        + "{\"name\":\"b\",\"action\":\"" + secondAction + "\",\"compensation\":\"http://127.0.0.1:9/v\"}]}";
  }
}
