package io.covenant.coordinator.scenario;

import static io.covenant.coordinator.testkit.Api.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.covenant.coordinator.Coordinator;
import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.config.CoordinatorConfig.StoreKind;
import io.covenant.coordinator.store.TestDatabases;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.covenant.coordinator.testkit.TestParticipant;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A coordinator on each SQL store, end to end: a TCC transaction begins, registers two branches,
 * commits and ends committed; a restarted coordinator still shows it; and a coordinator whose
 * database does not answer refuses to start, naming where it looked.
 */
class SqlSmokeTest {
  static final Duration BOUND = Duration.ofSeconds(15);

  @Test
  void aTccTransactionCommitsOnPostgres() throws Exception {
    String url = TestDatabases.postgresUrl();
    String schema = TestDatabases.freshSchemaName();
    try {
      commitsAndSurvivesARestart(TestCoordinator.testConfig()
          .store(StoreKind.POSTGRES).postgresUrl(url).postgresSchema(schema).build());
    } finally {
      TestDatabases.dropPostgresSchema(url, schema);
    }
  }

  @Test
  void aTccTransactionCommitsOnMysql() throws Exception {
    TestDatabases.Mysql db = TestDatabases.mysql();
    String schema = TestDatabases.freshSchemaName();
    try {
      commitsAndSurvivesARestart(TestCoordinator.testConfig()
          .store(StoreKind.MYSQL).mysqlUrl(db.url()).mysqlUser(db.user()).mysqlPassword(db.password()).mysqlSchema(schema)
          .build());
    } finally {
      TestDatabases.dropMysqlDatabase(db, schema);
    }
  }

  private static void commitsAndSurvivesARestart(CoordinatorConfig config) throws Exception {
    String gid;
    try (TestParticipant stock = TestParticipant.start(); TestParticipant account = TestParticipant.start()) {
      TestCoordinator coordinator = TestCoordinator.with(config);
      try {
        Api api = new Api(coordinator.baseUrl());
        gid = api.begin("tcc", 30_000);
        expect(api.register(gid, "stock", "confirm", stock.url("stock/confirm"), "cancel", stock.url("stock/cancel")), 201);
        expect(api.register(gid, "account", "confirm", account.url("account/confirm"), "cancel", account.url("account/cancel")), 201);
        expect(api.commit(gid), 200);
        await().atMost(BOUND).untilAsserted(() -> assertThat(api.statusOf(gid)).isEqualTo("committed"));
        assertThat(stock.trace(gid)).containsExactly("stock:confirm");
        assertThat(account.trace(gid)).containsExactly("account:confirm");
      } finally {
        coordinator.close();
      }

      TestCoordinator restarted = coordinator.restart();
      try {
        Api api = new Api(restarted.baseUrl());
        assertThat(api.statusOf(gid)).isEqualTo("committed");
        assertThat(api.transaction(gid).body().get("branches")).extracting(b -> b.get("status").asText())
            .containsOnly("confirmed");
        assertThat(stock.trace(gid)).as("nothing is called again after the restart").containsExactly("stock:confirm");
      } finally {
        restarted.close();
      }
    }
  }

  @Test
  void aCoordinatorWhoseDatabaseDoesNotAnswerFailsToStartNamingIt() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    CoordinatorConfig config = TestCoordinator.testConfig()
        .store(StoreKind.POSTGRES).postgresUrl("postgresql://postgres@127.0.0.1:" + port + "/test").build();
    int closedPort = port;

    assertThatThrownBy(() -> {
      try {
        Coordinator.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw e.getCause();
      }
    }).isInstanceOfSatisfying(CovenantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
        .hasMessageContaining("PostgreSQL at 127.0.0.1:" + closedPort + "/test");
  }
}
