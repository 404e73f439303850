package io.covenant.bench;

import io.covenant.coordinator.Coordinator;
import io.covenant.coordinator.config.CoordinatorConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The coordinator a run is aimed at: one started in this process, or one already running
 * elsewhere, known by its base URL.
 */
abstract class Target {
  abstract String baseUrl();

  abstract boolean inProcess();

  /** How the target is described in results: {@code inprocess} or the URL. */
  abstract String describe();

  /** Whether the coordinator runs on this machine (in this process, or at a loopback address), so that it shares its CPUs. */
  boolean onThisMachine() {
    if (inProcess()) {
      return true;
    }
    String host = URI.create(baseUrl()).getHost();
    if (host == null) {
      return false;
    }
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** The store of an in-process coordinator ({@code journal}, {@code postgres schema covenant_bench_…}), else null. */
  String storeDescription() {
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
   * Where a PostgreSQL or MySQL store lives. Each run gets a schema of its own (PostgreSQL schema,
   * MySQL database), {@code covenant_bench_<yyyyMMdd_HHmmss>_<random>}, which the coordinator
   * creates when it migrates at start and the run drops when the coordinator has closed, unless
   * {@code keepSchema}. A schema given with {@code --set store.postgres.schema=…} (or
   * {@code store.mysql.schema}) is used as it is and never dropped.
   *
   * @param url {@code postgresql://user@host:port/db} or {@code jdbc:mysql://host:port/db}; null
   *     when the URL key is given with {@code --set}
   * @param user MySQL only; null for the URL's
   * @param password MySQL only; null for none
   */
  record SqlStore(String url, String user, String password, boolean keepSchema) {
    @Override
    public String toString() {
      return "SqlStore[url=" + url + ", user=" + user + ", password=" + (password == null ? null : "****")
          + ", keepSchema=" + keepSchema + "]";
    }
  }

  private static final DateTimeFormatter SCHEMA_TIME = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A fresh schema name: {@code covenant_bench_20261126_031500_3fa2}. */
  static String freshSchema() {
    byte[] b = new byte[2];
    RANDOM.nextBytes(b);
    return "covenant_bench_" + SCHEMA_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)) + "_" + HexFormat.of().formatHex(b);
  }

  /**
   * Starts a coordinator in this process on a free loopback port.
   *
   * @param journalDir where the journal goes; null for a fresh temporary directory that is deleted on close
   * @param settings further coordinator keys ({@code participant.callsInFlightMax=256}), applied last
   * @param sql where a PostgreSQL or MySQL store lives; null for the journal and memory stores
   * @param progress told which schema the run uses, and when it is dropped
   */
  static InProcess inProcess(CoordinatorConfig.StoreKind store, boolean sync, Path journalDir,
      Map<String, String> settings, SqlStore sql, Consumer<String> progress) throws Exception {
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
    Schema schema = null;
    if (store == CoordinatorConfig.StoreKind.POSTGRES || store == CoordinatorConfig.StoreKind.MYSQL) {
      schema = schema(store, sql, applied);
      progress.accept("store " + store.code() + ": " + (schema.dropAtClose ? "fresh schema " : "schema ") + schema.name
          + (schema.dropAtClose ? " (dropped at the end)" : " (kept)"));
    }
    applied.forEach(builder::set);
    CoordinatorConfig config = builder.build();
    Coordinator coordinator;
    try {
      coordinator = Coordinator.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      if (schema != null && schema.dropAtClose) {
        try {
          schema.drop();
        } catch (Exception dropFailed) {
          e.addSuppressed(dropFailed);
        }
      }
      throw e;
    }
    return new InProcess(coordinator, store, sync, temporary ? dir : null, schema, progress, redacted(applied));
  }

  /** Puts the URL, user, password and schema keys of a SQL store into {@code applied}; the schema to use. */
  private static Schema schema(CoordinatorConfig.StoreKind store, SqlStore sql, Map<String, String> applied) {
    boolean postgres = store == CoordinatorConfig.StoreKind.POSTGRES;
    String urlKey = postgres ? CoordinatorConfig.POSTGRES_URL : CoordinatorConfig.MYSQL_URL;
    String schemaKey = postgres ? CoordinatorConfig.POSTGRES_SCHEMA : CoordinatorConfig.MYSQL_SCHEMA;
    if (sql != null && sql.url() != null) {
      applied.putIfAbsent(urlKey, sql.url());
    }
    if (!postgres && sql != null) {
      if (sql.user() != null) {
        applied.putIfAbsent(CoordinatorConfig.MYSQL_USER, sql.user());
      }
      if (sql.password() != null) {
        applied.putIfAbsent(CoordinatorConfig.MYSQL_PASSWORD, sql.password());
      }
    }
    String url = applied.get(urlKey);
    if (url == null) {
      throw new IllegalArgumentException("--store " + store.code() + " needs --store-url (or --set " + urlKey + "=…)");
    }
    String given = applied.get(schemaKey);
    boolean fresh = given == null;
    String name = fresh ? freshSchema() : given;
    applied.put(schemaKey, name);
    boolean drop = fresh && (sql == null || !sql.keepSchema());
    return new Schema(postgres, url, applied.get(CoordinatorConfig.MYSQL_USER), applied.get(CoordinatorConfig.MYSQL_PASSWORD),
        name, drop);
  }

  private static Map<String, String> redacted(Map<String, String> settings) {
    Map<String, String> out = new LinkedHashMap<>(settings);
    out.computeIfPresent(CoordinatorConfig.MYSQL_PASSWORD, (k, v) -> "****");
    out.computeIfPresent(CoordinatorConfig.POSTGRES_URL, (k, v) -> v.replaceFirst("://([^:@/]+):[^@/]*@", "://$1:****@"));
    return out;
  }

  /** The schema of a run on a SQL store, and how to drop it. */
  private record Schema(boolean postgres, String url, String user, String password, String name, boolean dropAtClose) {
    /** Drops the schema and everything in it; blocks (at most about a minute). */
    void drop() throws Exception {
      if (postgres) {
        // No file cache: its shutdown hook cannot be added while the JVM shuts down (Ctrl-C).
        Vertx vertx = Vertx.vertx(new VertxOptions().setFileSystemOptions(new FileSystemOptions()
            .setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
        try {
          PgConnection c = PgConnection.connect(vertx, PgConnectOptions.fromUri(url)).toCompletionStage()
              .toCompletableFuture().get(30, TimeUnit.SECONDS);
          try {
            // CASCADE would otherwise send a NOTICE per table, which the client logs as a warning.
            c.query("SET client_min_messages TO warning").execute().toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
            c.query("DROP SCHEMA IF EXISTS \"" + name + "\" CASCADE").execute().toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
          } finally {
            c.close();
          }
        } finally {
          vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
      } else {
        try (Connection c = user == null ? DriverManager.getConnection(url) : DriverManager.getConnection(url, user, password);
            Statement s = c.createStatement()) {
          s.execute("DROP DATABASE IF EXISTS `" + name + "`");
        }
      }
    }
  }

  static final class InProcess extends Target {
    /** Null once closed, so that the heap measured afterwards no longer holds the coordinator. */
    private Coordinator coordinator;
    private final String baseUrl;
    private final CoordinatorConfig.StoreKind store;
    private final boolean sync;
    private final Path temporaryDir;
    private final Schema schema;
    private final Consumer<String> progress;
    private final Map<String, String> settings;
    private final Thread shutdownHook;
    private boolean closed;

    private InProcess(Coordinator coordinator, CoordinatorConfig.StoreKind store, boolean sync, Path temporaryDir,
        Schema schema, Consumer<String> progress, Map<String, String> settings) {
      this.coordinator = coordinator;
      this.baseUrl = coordinator.baseUrl();
      this.store = store;
      this.sync = sync;
      this.temporaryDir = temporaryDir;
      this.schema = schema;
      this.progress = progress;
      this.settings = settings;
      if (schema != null && schema.dropAtClose) {
        // An interrupted run (Ctrl-C) still drops its schema.
        shutdownHook = new Thread(this::closeQuietly, "covenant-bench-drop-schema");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
      } else {
        shutdownHook = null;
      }
    }

    private void closeQuietly() {
      try {
        close();
      } catch (Exception e) {
        System.err.println("could not drop schema " + schema.name + ": " + e);
      }
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
    String storeDescription() {
      return schema == null ? store.code() : store.code() + " schema " + schema.name;
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
    public synchronized void close() throws Exception {
      if (closed) {
        return;
      }
      closed = true;
      if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
        try {
          Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running or about to: it finds this target closed
        }
      }
      Coordinator c = coordinator;
      coordinator = null;
      try {
        c.close().toCompletionStage().toCompletableFuture().get(Duration.ofMinutes(1).toSeconds(), TimeUnit.SECONDS);
      } finally {
        if (temporaryDir != null) {
          deleteTree(temporaryDir);
        }
        if (schema != null && schema.dropAtClose) {
          schema.drop();
          progress.accept("dropped schema " + schema.name);
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
