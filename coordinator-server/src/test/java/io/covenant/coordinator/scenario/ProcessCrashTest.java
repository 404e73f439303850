package io.covenant.coordinator.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.covenant.coordinator.store.TestDatabases;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestParticipant;
import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs the coordinator as a child process (the real {@code Main} on each durable store: the
 * journal with fsync, PostgreSQL, MySQL/MariaDB) under a stream of TCC and saga transactions, kills
 * it with SIGKILL at random moments, restarts it on the same store, and checks from the
 * participant's own records that every acknowledged transaction ended, and atomically.
 * {@code -Dcovenant.crash.kills=N} kills more often (CI: 4 per store); a failure prints its seed
 * ({@code -Dcovenant.crash.seed}) and the child's log is in the temp dir.
 */
class ProcessCrashTest {
  @TempDir Path dir;

  /** A durable store and the environment that points a child coordinator at it. */
  enum Store {
    JOURNAL, POSTGRES, MYSQL;

    /** Prepares a fresh store for one test; returns the child's environment and what drops it. */
    Prepared prepare(Path dir) throws Exception {
      String schema = TestDatabases.freshSchemaName();
      return switch (this) {
        case JOURNAL -> new Prepared(Map.of("COVENANT_STORE", "journal",
            "COVENANT_STORE_JOURNAL_DIR", dir.resolve("journal").toString()), () -> {});
        case POSTGRES -> {
          String url = TestDatabases.postgresUrl();
          yield new Prepared(Map.of("COVENANT_STORE", "postgres", "COVENANT_STORE_POSTGRES_URL", url,
              "COVENANT_STORE_POSTGRES_SCHEMA", schema), () -> TestDatabases.dropPostgresSchema(url, schema));
        }
        case MYSQL -> {
          TestDatabases.Mysql db = TestDatabases.mysql();
          Map<String, String> env = new java.util.HashMap<>(Map.of("COVENANT_STORE", "mysql",
              "COVENANT_STORE_MYSQL_URL", db.url(), "COVENANT_STORE_MYSQL_SCHEMA", schema));
          if (db.user() != null) {
            env.put("COVENANT_STORE_MYSQL_USER", db.user());
            env.put("COVENANT_STORE_MYSQL_PASSWORD", db.password());
          }
          yield new Prepared(env, () -> TestDatabases.dropMysqlDatabase(db, schema));
        }
      };
    }
  }

  /** Environment of a child coordinator on a prepared store, and how to drop the store afterwards. */
  record Prepared(Map<String, String> env, Cleanup cleanup) {}

  interface Cleanup {
    void run() throws Exception;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Store.class)
  void everyAcknowledgedTransactionEndsAtomicallyAcrossKillNine(Store store) throws Exception {
    long seed = Long.getLong("covenant.crash.seed", System.nanoTime());
    int kills = Integer.getInteger("covenant.crash.kills", 4);
    Random random = new Random(seed);
    Map<String, String> acknowledged = new ConcurrentHashMap<>(); // gid -> committed | rolled_back | saga
    AtomicInteger attempted = new AtomicInteger();
    Prepared prepared = store.prepare(dir);
    try (TestParticipant p = TestParticipant.start()) {
      Child child = Child.start(dir, prepared.env(), 0);
      ExecutorService clients = Executors.newFixedThreadPool(4);
      try {
        for (int k = 0; k <= kills; k++) {
          AtomicBoolean running = new AtomicBoolean(true);
          String base = child.baseUrl();
          List<java.util.concurrent.Future<?>> load = new ArrayList<>();
          for (int c = 0; c < 4; c++) {
            long clientSeed = random.nextLong();
            load.add(clients.submit(() -> stream(new Api(base), p, new Random(clientSeed), running, acknowledged, attempted)));
          }
          if (k == kills) {
            running.set(false); // the last incarnation only finishes what is left
          } else {
            // The moment to kill is counted in progress, not time, so a slow machine still gets a stream.
            int target = acknowledged.size() + 3 + random.nextInt(20);
            await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= target);
            child.process.destroyForcibly();                                           // SIGKILL, mid-stream
            child.process.waitFor(10, TimeUnit.SECONDS);
            running.set(false);
          }
          for (var f : load) {
            f.get(60, TimeUnit.SECONDS);
          }
          if (k < kills) {
            child = Child.start(dir, prepared.env(), k + 1);
          }
        }
        Api api = new Api(child.baseUrl());
        assertThat(attempted.get()).as("%s seed %d: requests cut off by a kill", store, seed).isGreaterThan(acknowledged.size());
        for (Map.Entry<String, String> e : acknowledged.entrySet()) {
          String gid = e.getKey();
          await().atMost(Duration.ofSeconds(60)).until(() -> api.statusOf(gid).matches("committed|rolled_back"));
          String status = api.statusOf(gid);
          if (!e.getValue().equals("saga")) {
            assertThat(status).as("%s seed %d gid %s", store, seed, gid).isEqualTo(e.getValue());
          }
          List<String> ops = p.calls(gid).stream().map(TestParticipant.Received::op).distinct().toList();
          if (status.equals("committed")) {
            assertThat(ops).as("%s seed %d gid %s", store, seed, gid).doesNotContain("cancel", "compensate");
          } else {
            assertThat(ops).as("%s seed %d gid %s", store, seed, gid).doesNotContain("confirm");
          }
        }
      } finally {
        clients.shutdownNow();
        child.process.destroyForcibly();
        child.process.waitFor(10, TimeUnit.SECONDS);
      }
    } finally {
      prepared.cleanup().run();
    }
  }

  /** One client: TCC transactions (committed or rolled back) and 3-step sagas, until told to stop. */
  private static void stream(Api api, TestParticipant p, Random random, AtomicBoolean running,
      Map<String, String> acknowledged, AtomicInteger attempted) {
    while (running.get()) {
      attempted.incrementAndGet();
      try {
        if (random.nextBoolean()) {
          String gid = api.begin("tcc", 60_000);
          for (String b : List.of("stock", "account")) {
            Api.expect(api.register(gid, b, "confirm", p.url(b + "/confirm"), "cancel", p.url(b + "/cancel")), 201);
          }
          boolean commit = random.nextInt(4) > 0;
          Api.expect(commit ? api.commit(gid) : api.rollback(gid), 200);
          acknowledged.put(gid, commit ? "committed" : "rolled_back");
        } else {
          ObjectNode saga = Api.object();
          var steps = saga.putArray("steps");
          for (String s : List.of("reserve", "charge", "ship")) {
            steps.addObject().put("name", s).put("action", p.url(s + "/action")).put("compensation", p.url(s + "/undo"));
          }
          String gid = Api.expect(api.post("/v1/sagas", saga), 201).body().get("gid").asText();
          acknowledged.put(gid, "saga");
        }
      } catch (AssertionError refusedOrDown) {
        // the coordinator died mid-request: nothing was acknowledged, so nothing is expected
      }
    }
  }

  /** The coordinator in a child JVM, on the test's classpath, with its log in the temp dir. */
  private record Child(Process process, int port) {
    static Child start(Path dir, Map<String, String> storeEnv, int incarnation) throws Exception {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      String javaBin = ProcessHandle.current().info().command().orElse("java");
      ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
          "io.covenant.coordinator.Main");
      pb.environment().put("COVENANT_HTTP_HOST", "127.0.0.1");
      pb.environment().put("COVENANT_HTTP_PORT", String.valueOf(port));
      pb.environment().putAll(storeEnv);
      pb.environment().put("COVENANT_RETRY_INITIAL_BACKOFF", "20ms");
      pb.environment().put("COVENANT_RETRY_MAX_BACKOFF", "200ms");
      File log = dir.resolve("coordinator-" + incarnation + ".log").toFile();
      Process process = pb.redirectErrorStream(true).redirectOutput(log).start();
      Child child = new Child(process, port);
      Api api = new Api(child.baseUrl());
      try {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
            .until(() -> !process.isAlive() || api.get("/health/ready").status() == 200);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        process.destroyForcibly();
      }
      if (!process.isAlive()) {
        throw new AssertionError("coordinator " + incarnation + " did not start; its log:\n"
            + java.nio.file.Files.readString(log.toPath()));
      }
      return child;
    }

    String baseUrl() {
      return "http://127.0.0.1:" + port;
    }
  }
}
