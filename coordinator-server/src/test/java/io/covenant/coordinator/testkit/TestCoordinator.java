package io.covenant.coordinator.testkit;

import io.covenant.coordinator.Coordinator;
import io.covenant.coordinator.config.CoordinatorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real coordinator for end-to-end tests: HTTP on a free loopback port, the journal in a test
 * directory (or the memory store), and short retry backoffs so tests finish quickly.
 */
public final class TestCoordinator implements AutoCloseable {
  private final CoordinatorConfig config;
  private final Coordinator coordinator;

  private TestCoordinator(CoordinatorConfig config) throws Exception {
    this.config = config;
    this.coordinator = Coordinator.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  public static CoordinatorConfig.Builder testConfig() {
    return CoordinatorConfig.builder()
        .httpHost("127.0.0.1")
        .httpPort(0)
        .retryInitialBackoff(Duration.ofMillis(20))
        .retryMaxBackoff(Duration.ofMillis(200))
        .participantCallTimeout(Duration.ofSeconds(5));
  }

  public static TestCoordinator journal(Path dir) throws Exception {
    return new TestCoordinator(testConfig().store(CoordinatorConfig.StoreKind.JOURNAL).journalDir(dir).build());
  }

  public static TestCoordinator memory() throws Exception {
    return new TestCoordinator(testConfig().store(CoordinatorConfig.StoreKind.MEMORY).build());
  }

  public static TestCoordinator with(CoordinatorConfig config) throws Exception {
    return new TestCoordinator(config);
  }

  public String baseUrl() {
    return coordinator.baseUrl();
  }

  public Coordinator coordinator() {
    return coordinator;
  }

  /** Stops abruptly, as a killed process would: nothing after the last durable write is recorded. */
  public void crash() throws Exception {
    coordinator.crash().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** A new coordinator on the same configuration and store (after {@link #crash} or {@link #close}). */
  public TestCoordinator restart() throws Exception {
    return new TestCoordinator(config);
  }

  @Override
  public void close() throws Exception {
    coordinator.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
