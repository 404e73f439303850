package io.covenant.saga;

import io.covenant.client.CovenantClient;
import io.covenant.testsupport.TestCoordinator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

/**
 * test-support's {@link TestCoordinator} with what the DSL's end-to-end tests add: a client and a
 * {@link SagaClient} on it, and the coordinator's own count of saga submissions.
 */
final class SagaCoordinator implements AutoCloseable {
  private final TestCoordinator coordinator;
  private final CovenantClient client;

  private SagaCoordinator(TestCoordinator coordinator) {
    this.coordinator = coordinator;
    this.client = CovenantClient.builder().coordinator(coordinator.uri()).build();
  }

  static SagaCoordinator memory() {
    return new SagaCoordinator(TestCoordinator.memory());
  }

  /** On the journal in {@code dir}, which survives a {@link #crash} and {@link #restart}. */
  static SagaCoordinator journal(Path dir) {
    return new SagaCoordinator(TestCoordinator.journal(dir));
  }

  String baseUrl() {
    return coordinator.baseUrl();
  }

  /** How many requests {@code POST /v1/sagas} has answered, from the coordinator's own metrics. */
  long sagaSubmissions() throws Exception {
    String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
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
  void crash() {
    client.close();
    coordinator.crash();
  }

  /** A new coordinator on the same configuration and store, on a new port. */
  SagaCoordinator restart() {
    return new SagaCoordinator(coordinator.restart());
  }

  @Override
  public void close() {
    client.close();
    coordinator.close();
  }
}
