package io.covenant.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.config.CoordinatorConfig.StoreKind;
import io.covenant.coordinator.store.TestDatabases;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TcpProxy;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.vertx.pgclient.PgConnectOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The database is down when the coordinator starts (issue #3): {@code Main} logs why and tries
 * again, and the coordinator starts by itself once the database answers.
 */
class StartRetryTest {

  @Test
  void aCoordinatorStartedWhileItsDatabaseIsDownStartsOnceTheDatabaseAnswers() throws Exception {
    String url = TestDatabases.postgresUrl();
    PgConnectOptions target = PgConnectOptions.fromUri(url);
    String schema = TestDatabases.freshSchemaName();
    try (TcpProxy proxy = TcpProxy.to(target.getHost(), target.getPort())) {
      proxy.cut();
      String via = url.replace("@" + target.getHost() + ":" + target.getPort() + "/", "@127.0.0.1:" + proxy.port() + "/");
      assertThat(via).isNotEqualTo(url);
      CoordinatorConfig config = TestCoordinator.testConfig().store(StoreKind.POSTGRES).postgresUrl(via).postgresSchema(schema)
          .sqlTimeout(Duration.ofSeconds(1)).build();

      CompletableFuture<Coordinator> starting = CompletableFuture.supplyAsync(() -> {
        try {
          return Main.startRetrying(config);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> proxy.refused() >= 2); // it tried, failed, and tried again
      assertThat(starting).isNotDone();

      proxy.heal();
      Coordinator coordinator = starting.get(60, TimeUnit.SECONDS);
      try {
        Api api = new Api(coordinator.baseUrl());
        Api.expect(api.get("/health/ready"), 200);
        String gid = api.begin("tcc", 10_000);
        Api.expect(api.commit(gid), 200);
        assertThat(api.statusOf(gid)).isEqualTo("committed");
      } finally {
        coordinator.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    } finally {
      TestDatabases.dropPostgresSchema(url, schema);
    }
  }
}
