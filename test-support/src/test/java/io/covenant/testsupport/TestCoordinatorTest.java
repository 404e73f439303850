package io.covenant.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestCoordinatorTest {
  static final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theJournalKeepsATransactionThroughACrashAndRestart(@TempDir Path journal) throws Exception {
    TestCoordinator first = TestCoordinator.journal(journal);
    try {
      assertThat(first.uri()).isEqualTo(URI.create(first.baseUrl()));
      assertThat(first.baseUrl()).startsWith("http://127.0.0.1:");
      assertThat(begin(first, "kept-1").statusCode()).isEqualTo(201);
    } finally {
      first.crash();
    }
    try (TestCoordinator second = first.restart()) {
      HttpResponse<String> view = get(second, "kept-1");
      assertThat(view.statusCode()).isEqualTo(200);
      assertThat(view.body()).contains("\"status\":\"active\"");
    }
  }

  @Test
  void theMemoryStoreForgetsEverythingOnRestart() throws Exception {
    TestCoordinator first = TestCoordinator.memory();
    try (first) {
      assertThat(begin(first, "lost-1").statusCode()).isEqualTo(201);
      assertThat(get(first, "lost-1").statusCode()).isEqualTo(200);
    }
    try (TestCoordinator second = first.restart()) {
      assertThat(get(second, "lost-1").statusCode()).isEqualTo(404);
    }
  }

  private static HttpResponse<String> begin(TestCoordinator coordinator, String gid) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + "/v1/transactions"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"gid\":\"" + gid + "\",\"mode\":\"tcc\",\"timeoutMillis\":600000}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(TestCoordinator coordinator, String gid) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + "/v1/transactions/" + gid)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
