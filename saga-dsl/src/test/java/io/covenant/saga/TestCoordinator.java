package io.covenant.saga;

import io.covenant.client.CovenantClient;
import io.covenant.coordinator.Coordinator;
import io.covenant.coordinator.config.CoordinatorConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real coordinator in this JVM for the DSL's end-to-end tests: HTTP on a free loopback port,
 * short retry backoffs, and the memory store or the journal in a directory (which survives a
 * {@link #crash} and {@link #restart}).
 */
final class TestCoordinator implements AutoCloseable {
  private final CoordinatorConfig config;
  private final Coordinator coordinator;
  private final CovenantClient client;

  private TestCoordinator(CoordinatorConfig config) throws Exception {
    this.config = config;
    this.coordinator = Coordinator.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    this.client = CovenantClient.builder().coordinator(URI.create(coordinator.baseUrl())).build();
  }

  private static CoordinatorConfig.Builder config() {
    return CoordinatorConfig.builder()
        .httpHost("127.0.0.1")
        .httpPort(0)
        .retryInitialBackoff(Duration.ofMillis(20))
        .retryMaxBackoff(Duration.ofMillis(200))
        .participantCallTimeout(Duration.ofSeconds(5));
  }

  static TestCoordinator memory() throws Exception {
    return new TestCoordinator(config().store(CoordinatorConfig.StoreKind.MEMORY).build());
  }

  static TestCoordinator journal(Path dir) throws Exception {
    return new TestCoordinator(config().store(CoordinatorConfig.StoreKind.JOURNAL).journalDir(dir).build());
  }

  String baseUrl() {
    return coordinator.baseUrl();
  }

  /** How many requests {@code POST /v1/sagas} has answered, from the coordinator's own metrics. */
  long sagaSubmissions() throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    String metrics = http.send(java.net.http.HttpRequest.newBuilder(URI.create(baseUrl() + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    long n = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith("covenant_http_requests_seconds_count") && line.contains("/v1/sagas")) {
        n += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return n;
  }

  CovenantClient client() {
    return client;
  }

  SagaClient sagas() {
    return new SagaClient(client);
  }

  /** Stops abruptly, as a killed process would: nothing after the last durable write is recorded. */
  void crash() throws Exception {
    client.close();
    coordinator.crash().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** A new coordinator on the same configuration and store, on a new port. */
  TestCoordinator restart() throws Exception {
    return new TestCoordinator(config);
  }

  @Override
  public void close() throws Exception {
    client.close();
    coordinator.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
