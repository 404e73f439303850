package io.covenant.testsupport;

import io.covenant.coordinator.Coordinator;
import io.covenant.coordinator.config.CoordinatorConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real coordinator in the test's JVM: HTTP on a free loopback port, short participant-retry
 * backoffs so that tests end quickly, and the memory store or the journal in a directory (which
 * survives a {@link #crash} and {@link #restart}).
 */
public final class TestCoordinator implements AutoCloseable {
  private final CoordinatorConfig config;
  private final Coordinator coordinator;

  private TestCoordinator(CoordinatorConfig config) {
    this.config = config;
    this.coordinator = await(Coordinator.start(config).toCompletionStage(), "start");
  }

  private static CoordinatorConfig.Builder config() {
    return CoordinatorConfig.builder()
        .httpHost("127.0.0.1")
        .httpPort(0)
        .retryInitialBackoff(Duration.ofMillis(20))
        .retryMaxBackoff(Duration.ofMillis(200))
        .participantCallTimeout(Duration.ofSeconds(5));
  }

  /** A coordinator on the memory store: nothing survives it. */
  public static TestCoordinator memory() {
    return new TestCoordinator(config().store(CoordinatorConfig.StoreKind.MEMORY).build());
  }

  /** A coordinator on the journal in {@code dir}, which a {@link #restart} reads again. */
  public static TestCoordinator journal(Path dir) {
    return new TestCoordinator(config().store(CoordinatorConfig.StoreKind.JOURNAL).journalDir(dir).build());
  }

  /** Where it listens, as {@code http://127.0.0.1:port}. */
  public String baseUrl() {
    return coordinator.baseUrl();
  }

  public URI uri() {
    return URI.create(baseUrl());
  }

  /** Stops abruptly, as a killed process would: nothing after the last durable write is recorded. */
  public void crash() {
    await(coordinator.crash().toCompletionStage(), "crash");
  }

  /** A new coordinator on the same configuration and store, on a new port (after {@link #crash} or {@link #close}). */
  public TestCoordinator restart() {
    return new TestCoordinator(config);
  }

  @Override
  public void close() {
    await(coordinator.close().toCompletionStage(), "stop");
  }

  private static <T> T await(CompletionStage<T> stage, String what) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the coordinator to " + what, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the coordinator did not " + what + " cleanly", e);
    }
  }
}
