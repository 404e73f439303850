package io.covenant.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.testkit.Api;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The coordinator's life: start, close, crash and restart on the journal, and a start that fails cleanly. */
class CoordinatorTest {
  @TempDir
  Path dir;

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  CoordinatorConfig.Builder journal() {
    return CoordinatorConfig.builder().httpHost("127.0.0.1").httpPort(0).journalDir(dir.resolve("journal"));
  }

  @Test
  void aCrashKeepsWhatWasDurableAndARestartResumesIt() throws Exception {
    Coordinator first = await(Coordinator.start(journal().build()));
    assertThat(first.port()).isPositive();
    assertThat(first.baseUrl()).isEqualTo("http://127.0.0.1:" + first.port());
    Api api = new Api(first.baseUrl());
    String active = api.begin("tcc", 600_000);
    String committed = api.begin("2pc", 600_000);
    Api.expect(api.commit(committed), 200);

    await(first.crash());
    assertThat(await(first.close())).as("close after crash is the crash's outcome").isNull();

    Coordinator second = await(Coordinator.start(journal().build()));
    try {
      api.baseUrl(second.baseUrl());
      assertThat(api.statusOf(active)).isEqualTo("active");
      assertThat(api.statusOf(committed)).isEqualTo("committed");
    } finally {
      await(second.close());
    }
  }

  @Test
  void closeIsGracefulAndIdempotent() throws Exception {
    Coordinator c = await(Coordinator.start(journal().build()));
    Api api = new Api(c.baseUrl());
    String gid = api.begin("tcc", 600_000);

    Future<Void> closing = c.close();
    assertThat(c.close()).isSameAs(closing);
    await(closing);

    Coordinator again = await(Coordinator.start(journal().build()));
    try {
      api.baseUrl(again.baseUrl());
      assertThat(api.statusOf(gid)).isEqualTo("active");
    } finally {
      await(again.close());
    }
  }

  @Test
  void aFailedStartReleasesTheJournal() throws Exception {
    Coordinator running = await(Coordinator.start(CoordinatorConfig.builder().httpHost("127.0.0.1").httpPort(0)
        .store(CoordinatorConfig.StoreKind.MEMORY).build()));
    try {
      assertThatThrownBy(() -> await(Coordinator.start(journal().httpPort(running.port()).build())))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("Address already in use");

      Coordinator next = await(Coordinator.start(journal().build())); // the journal's lock was released
      await(next.close());
    } finally {
      await(running.close());
    }
  }

  @Test
  void finishedTransactionsArePurgedAfterTheirRetention() throws Exception {
    Coordinator c = await(Coordinator.start(journal()
        .retentionFinished(java.time.Duration.ZERO).retentionPurgeInterval(java.time.Duration.ofMillis(20)).build()));
    try {
      Api api = new Api(c.baseUrl());
      String finished = api.begin("2pc", 600_000);
      String active = api.begin("2pc", 600_000);
      Api.expect(api.rollback(finished), 200);

      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> api.transaction(finished).status() == 404);
      assertThat(api.statusOf(active)).isEqualTo("active");
    } finally {
      await(c.close());
    }
  }

  @Test
  void finishedTransactionsBeyondTheMaximumArePurgedOldestFirstWhateverTheirAge() throws Exception {
    Coordinator c = await(Coordinator.start(journal()
        .retentionFinishedMax(2).retentionPurgeInterval(java.time.Duration.ofMillis(20)).build()));
    try {
      Api api = new Api(c.baseUrl());
      java.util.List<String> finished = new java.util.ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String gid = api.begin("2pc", 600_000);
        Api.expect(api.rollback(gid), 200);
        finished.add(gid);
      }
      String active = api.begin("2pc", 600_000);

      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> api.transaction(finished.get(2)).status() == 404);
      for (String gid : finished.subList(0, 3)) {
        assertThat(api.transaction(gid).status()).as(gid).isEqualTo(404);
      }
      for (String gid : finished.subList(3, 5)) {
        assertThat(api.statusOf(gid)).as(gid).isEqualTo("rolled_back");
      }
      assertThat(api.statusOf(active)).isEqualTo("active");
    } finally {
      await(c.close());
    }
  }

  @Test
  void aGivenVertxIsLeftOpen() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Coordinator c = await(Coordinator.start(journal().store(CoordinatorConfig.StoreKind.MEMORY).build(), vertx));
      Api.expect(new Api(c.baseUrl()).get("/health/ready"), 200);
      await(c.close());
      assertThat(vertx.deploymentIDs()).isEmpty();
      assertThat(await(vertx.timer(1, TimeUnit.MILLISECONDS))).isNull(); // still running
    } finally {
      await(vertx.close());
    }
  }
}
