package io.covenant.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.covenant.protocol.Headers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The API over TLS, and participant calls over TLS checked against a configured trust store. */
class TlsTest {
  Vertx vertx;
  SelfSignedCertificate certificate;
  HttpServer participant;
  final List<String> received = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    certificate = SelfSignedCertificate.create("localhost");
    participant = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setKeyCertOptions(certificate.keyCertOptions()))
        .requestHandler(r -> {
          received.add(r.getHeader(Headers.OP) + " over " + (r.isSSL() ? "tls" : "plain"));
          r.response().end();
        })
        .listen(0, "localhost").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static <T> T result(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void servesTheApiOverTlsAndCallsParticipantsItTrusts() throws Exception {
    CoordinatorConfig config = TestCoordinator.testConfig().store(CoordinatorConfig.StoreKind.MEMORY)
        .httpTls(certificate.certificatePath(), certificate.privateKeyPath())
        .participantTlsTrustPath(certificate.certificatePath()).build();
    try (TestCoordinator coordinator = TestCoordinator.with(config)) {
      assertThat(coordinator.baseUrl()).startsWith("https://");
      WebClient client = WebClient.create(vertx, new WebClientOptions().setSsl(true).setVerifyHost(false)
          .setTrustOptions(new PemTrustOptions().addCertPath(certificate.certificatePath())));
      String base = coordinator.baseUrl();
      HttpResponse<Buffer> begun = result(client.postAbs(base + "/v1/transactions")
          .sendJsonObject(new JsonObject().put("mode", "tcc")));
      assertThat(begun.statusCode()).isEqualTo(201);
      String gid = begun.bodyAsJsonObject().getString("gid");
      String url = "https://localhost:" + participant.actualPort();
      assertThat(result(client.postAbs(base + "/v1/transactions/" + gid + "/branches").sendJsonObject(new JsonObject()
          .put("branchId", "b1").put("confirm", url + "/confirm").put("cancel", url + "/cancel"))).statusCode()).isEqualTo(201);
      assertThat(result(client.postAbs(base + "/v1/transactions/" + gid + "/commit").send()).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("confirm over tls"));

      WebClient plain = WebClient.create(vertx);
      assertThat(plain.getAbs(base.replace("https://", "http://") + "/health/live").send()
          .toCompletionStage().toCompletableFuture().handle((r, e) -> e != null || r.statusCode() != 200).get(10, TimeUnit.SECONDS))
          .as("plain HTTP is not served on the TLS port").isTrue();
    }
  }

  @Test
  void aParticipantWhoseCertificateIsNotTrustedIsNeverConfirmed() throws Exception {
    CoordinatorConfig config = TestCoordinator.testConfig().store(CoordinatorConfig.StoreKind.MEMORY).build();
    try (TestCoordinator coordinator = TestCoordinator.with(config)) {
      Api api = new Api(coordinator.baseUrl());
      String gid = api.begin("tcc", 30_000);
      String url = "https://localhost:" + participant.actualPort();
      Api.expect(api.register(gid, "b1", "confirm", url + "/confirm", "cancel", url + "/cancel"), 201);
      Api.expect(api.commit(gid), 200);
      await().atMost(Duration.ofSeconds(10)).until(() ->
          api.transaction(gid).body().get("branches").get(0).path("attempts").asInt() >= 2);
      assertThat(received).isEmpty();
      assertThat(api.transaction(gid).body().get("branches").get(0).get("lastError").asText()).isNotBlank();
    }
  }
}
