package io.covenant.samples.shop;

import io.covenant.coordinator.Coordinator;
import io.covenant.coordinator.config.CoordinatorConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real coordinator on its durable journal in a directory of the test's, on a fixed loopback port,
 * that can be crashed (as if the process died after its last durable write) and started again on the
 * same journal and port, where it resumes every unfinished transaction.
 */
final class ShopCoordinator implements AutoCloseable {
  private final CoordinatorConfig config;
  private Coordinator coordinator;

  private ShopCoordinator(CoordinatorConfig config) {
    this.config = config;
  }

  static ShopCoordinator start(Path journal) throws Exception {
    int port = freePortBelowTheEphemeralRange();
    CoordinatorConfig config = CoordinatorConfig.builder()
        .httpHost("127.0.0.1")
        .httpPort(port)
        .store(CoordinatorConfig.StoreKind.JOURNAL)
        .journalDir(journal)
        .retryInitialBackoff(Duration.ofMillis(20))
        .retryMaxBackoff(Duration.ofMillis(200))
        .participantCallTimeout(Duration.ofSeconds(5))
        .build();
    ShopCoordinator c = new ShopCoordinator(config);
    c.coordinator = Coordinator.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return c;
  }

  /**
   * A free port below Linux's ephemeral range (32768 and up), so that while this coordinator is down
   * for its restart, no other test's outgoing connection or port-0 server is likely to take it.
   */
  private static int freePortBelowTheEphemeralRange() throws IOException {
    java.util.Random random = new java.util.Random();
    IOException last = null;
    for (int attempt = 0; attempt < 50; attempt++) {
      int candidate = 20_000 + random.nextInt(10_000);
      try (ServerSocket probe = new ServerSocket(candidate, 1, java.net.InetAddress.getLoopbackAddress())) {
        return probe.getLocalPort();
      } catch (IOException taken) {
        last = taken;
      }
    }
    throw new IOException("no free port found between 20000 and 30000", last);
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + config.httpPort());
  }

  /** Crashes the coordinator and starts a new one on the same journal and port. */
  void crashAndRestart() throws Exception {
    coordinator.crash().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    coordinator = Coordinator.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    coordinator.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
