package io.covenant.bench;

import io.covenant.coordinator.Coordinator;
import io.covenant.coordinator.config.CoordinatorConfig;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator a run is aimed at: one started in this process, or one already running
 * elsewhere, known by its base URL.
 */
abstract class Target {
  abstract String baseUrl();

  abstract boolean inProcess();

  /** How the target is described in results: {@code inprocess} or the URL. */
  abstract String describe();

  /** The store kind of an in-process coordinator, else null. */
  String store() {
    return null;
  }

  Boolean journalSync() {
    return null;
  }

  Map<String, String> settings() {
    return Map.of();
  }

  /** Stops an in-process coordinator and deletes its temporary journal; idempotent. Nothing for a remote one. */
  public abstract void close() throws Exception;

  static Target remote(String url) {
    String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    return new Target() {
      @Override
      String baseUrl() {
        return base;
      }

      @Override
      boolean inProcess() {
        return false;
      }

      @Override
      String describe() {
        return base;
      }

      @Override
      public void close() {}
    };
  }

  /**
   * Starts a coordinator in this process on a free loopback port.
   *
   * @param journalDir where the journal goes; null for a fresh temporary directory that is deleted on close
   * @param settings further coordinator keys ({@code participant.callsInFlightMax=256}), applied last
   */
  static InProcess inProcess(CoordinatorConfig.StoreKind store, boolean sync, Path journalDir,
      Map<String, String> settings) throws Exception {
    boolean temporary = journalDir == null && store == CoordinatorConfig.StoreKind.JOURNAL;
    Path dir = temporary ? Files.createTempDirectory("covenant-bench-journal") : journalDir;
    CoordinatorConfig.Builder builder = CoordinatorConfig.builder()
        .httpHost("127.0.0.1")
        .httpPort(0)
        .store(store);
    if (dir != null) {
      builder.journalDir(dir);
    }
    builder.set(CoordinatorConfig.JOURNAL_SYNC, Boolean.toString(sync));
    Map<String, String> applied = new LinkedHashMap<>(settings);
    applied.forEach(builder::set);
    CoordinatorConfig config = builder.build();
    Coordinator coordinator = Coordinator.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return new InProcess(coordinator, store, sync, temporary ? dir : null, applied);
  }

  static final class InProcess extends Target {
    /** Null once closed, so that the heap measured afterwards no longer holds the coordinator. */
    private Coordinator coordinator;
    private final String baseUrl;
    private final CoordinatorConfig.StoreKind store;
    private final boolean sync;
    private final Path temporaryDir;
    private final Map<String, String> settings;
    private boolean closed;

    private InProcess(Coordinator coordinator, CoordinatorConfig.StoreKind store, boolean sync, Path temporaryDir,
        Map<String, String> settings) {
      this.coordinator = coordinator;
      this.baseUrl = coordinator.baseUrl();
      this.store = store;
      this.sync = sync;
      this.temporaryDir = temporaryDir;
      this.settings = settings;
    }

    @Override
    String baseUrl() {
      return baseUrl;
    }

    @Override
    boolean inProcess() {
      return true;
    }

    @Override
    String describe() {
      return "inprocess";
    }

    @Override
    String store() {
      return store.code();
    }

    @Override
    Boolean journalSync() {
      return store == CoordinatorConfig.StoreKind.JOURNAL ? sync : null;
    }

    @Override
    Map<String, String> settings() {
      return settings;
    }

    @Override
    public void close() throws Exception {
      if (closed) {
        return;
      }
      closed = true;
      Coordinator c = coordinator;
      coordinator = null;
      try {
        c.close().toCompletionStage().toCompletableFuture().get(Duration.ofMinutes(1).toSeconds(), TimeUnit.SECONDS);
      } finally {
        if (temporaryDir != null) {
          deleteTree(temporaryDir);
        }
      }
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
