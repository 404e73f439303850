package io.covenant.client.vertx;

import io.covenant.coordinator.Coordinator;
import io.covenant.coordinator.config.CoordinatorConfig;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real coordinator for the client's end-to-end tests: the memory store, HTTP on a free loopback
 * port, and short participant-retry backoffs so that tests end quickly.
 */
final class TestCoordinator implements AutoCloseable {
  private final Coordinator coordinator;

  private TestCoordinator(Coordinator coordinator) {
    this.coordinator = coordinator;
  }

  static TestCoordinator start() throws Exception {
    CoordinatorConfig config = CoordinatorConfig.builder()
        .httpHost("127.0.0.1")
        .httpPort(0)
        .store(CoordinatorConfig.StoreKind.MEMORY)
        .retryInitialBackoff(Duration.ofMillis(20))
        .retryMaxBackoff(Duration.ofMillis(200))
        .participantCallTimeout(Duration.ofSeconds(5))
        .build();
    return new TestCoordinator(Coordinator.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
  }

  URI uri() {
    return URI.create(coordinator.baseUrl());
  }

  @Override
  public void close() {
    try {
      coordinator.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the coordinator", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the coordinator did not stop cleanly", e);
    }
  }
}
