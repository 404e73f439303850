package io.covenant.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.coordinator.config.CoordinatorConfig.StoreKind;
import io.covenant.coordinator.store.mysql.MysqlSettings;
import io.covenant.coordinator.store.postgres.PostgresSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorConfigTest {
  @TempDir
  Path dir;

  private static CoordinatorConfig load(List<String> args, Map<String, String> env) {
    return CoordinatorConfig.load(args, env, new Properties());
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    CoordinatorConfig c = CoordinatorConfig.defaults();

    assertThat(c.httpHost()).isEqualTo("0.0.0.0");
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.httpH2c()).isTrue();
    assertThat(c.store()).isEqualTo(StoreKind.JOURNAL);
    assertThat(c.journalDir()).isEqualTo(Path.of("./data/journal"));
    assertThat(c.journalSettings().directory()).isEqualTo(Path.of("./data/journal"));
    assertThat(c.journalSettings().sync()).isTrue();
    assertThat(c.retentionFinished()).isEqualTo(Duration.ofHours(1));
    assertThat(c.retentionFinishedMax()).isEqualTo(100_000);
    assertThat(c.retentionPurgeInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.retryInitialBackoff()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.retryMaxBackoff()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.retryStuckAfterAttempts()).isEqualTo(5);
    assertThat(c.participantCallTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.participantCallsInFlightMax()).isEqualTo(64);
    assertThat(c.participantH2c()).isFalse();
    assertThat(c.participantKeepAliveTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.transactionDefaultTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.sagaDefaultTimeout()).isNull();
    assertThat(c.sagaStepAttemptsMax()).isEqualTo(5);
    assertThat(c.limitsTimeoutMax()).isEqualTo(Duration.ofDays(1));
    assertThat(c.limitsBodyBytesMax()).isEqualTo(1024 * 1024);
    assertThat(c.limitsBranchesPerTransactionMax()).isEqualTo(100);
    assertThat(c.limitsGidLengthMax()).isEqualTo(128);
    assertThat(c.limitsListPageMax()).isEqualTo(500);
    assertThat(c.text("store.postgres.url")).isEqualTo("none");
    assertThat(c.text("store.postgres.poolSize")).isEqualTo("8");
    assertThat(c.text("store.postgres.pipeliningLimit")).isEqualTo("256");
    assertThat(c.text("store.postgres.migrate")).isEqualTo("true");
    assertThat(c.text("store.postgres.schema")).isEqualTo("none");
    assertThat(c.text("store.mysql.url")).isEqualTo("none");
    assertThat(c.text("store.mysql.user")).isEqualTo("none");
    assertThat(c.text("store.mysql.password")).isEqualTo("none");
    assertThat(c.text("store.mysql.poolSize")).isEqualTo("8");
    assertThat(c.text("store.mysql.migrate")).isEqualTo("true");
    assertThat(c.text("store.mysql.schema")).isEqualTo("none");
  }

  @Test
  void thePostgresStoreIsConfiguredFromAFileAndTheEnvironment() throws Exception {
    Path file = dir.resolve("pg.yaml");
    Files.writeString(file, """
        store: postgres
        store.postgres:
          url: postgresql://covenant@db.internal:5433/tx
          schema: covenant
          migrate: false
        """);

    CoordinatorConfig c = load(List.of(file.toString()), Map.of(
        "COVENANT_STORE_POSTGRES_POOL_SIZE", "16",
        "COVENANT_STORE_POSTGRES_PIPELININGLIMIT", "64"));

    assertThat(c.store()).isEqualTo(StoreKind.POSTGRES);
    PostgresSettings pg = c.postgresSettings();
    assertThat(pg.url()).isEqualTo("postgresql://covenant@db.internal:5433/tx");
    assertThat(pg.poolSize()).isEqualTo(16);
    assertThat(pg.pipeliningLimit()).isEqualTo(64);
    assertThat(pg.migrate()).isFalse();
    assertThat(pg.schema()).isEqualTo("covenant");
    assertThat(pg.location()).isEqualTo("db.internal:5433/tx schema covenant");
  }

  @Test
  void theMysqlStoreIsConfiguredFromPropertiesAndTheEnvironment() throws Exception {
    Path file = dir.resolve("my.properties");
    Files.writeString(file, "store=mysql\nstore.mysql.url=jdbc:mysql://127.0.0.1:3306/test\nstore.mysql.user=covenant\n");

    CoordinatorConfig c = load(List.of(file.toString()), Map.of("COVENANT_STORE_MYSQL_PASSWORD", "s3cret",
        "COVENANT_STORE_MYSQL_POOLSIZE", "4"));

    MysqlSettings my = c.mysqlSettings();
    assertThat(c.store()).isEqualTo(StoreKind.MYSQL);
    assertThat(my.url()).isEqualTo("jdbc:mysql://127.0.0.1:3306/test");
    assertThat(my.user()).isEqualTo("covenant");
    assertThat(my.password()).isEqualTo("s3cret");
    assertThat(my.poolSize()).isEqualTo(4);
    assertThat(my.migrate()).isTrue();
    assertThat(my.schema()).isNull();
    assertThat(my.location()).isEqualTo("127.0.0.1:3306/test");
  }

  @Test
  void aSqlStoreNeedsItsUrl() {
    assertThatThrownBy(() -> CoordinatorConfig.builder().store(StoreKind.POSTGRES).build())
        .isInstanceOf(ConfigException.class).hasMessage("store.postgres.url is required when store=postgres");
    assertThatThrownBy(() -> CoordinatorConfig.builder().store(StoreKind.MYSQL).build())
        .isInstanceOf(ConfigException.class).hasMessage("store.mysql.url is required when store=mysql");
    assertThatThrownBy(() -> load(List.of(), Map.of("COVENANT_STORE", "postgres")))
        .hasMessage("store.postgres.url is required when store=postgres");
    // Not needed by the other stores, where it is unset.
    assertThat(CoordinatorConfig.builder().store(StoreKind.MEMORY).build().store()).isEqualTo(StoreKind.MEMORY);
  }

  @Test
  void theClusterKeysMakeTheSharedStoreSettings() {
    CoordinatorConfig c = load(List.of(), Map.of("COVENANT_CLUSTER_INSTANCEID", "coordinator-1",
        "COVENANT_CLUSTER_HEARTBEAT_INTERVAL", "500ms", "COVENANT_CLUSTER_HEARTBEAT_EXPIRY", "3s", "COVENANT_STORE_SQL_TIMEOUT", "4s"));
    var shared = c.sharedStoreSettings();
    assertThat(shared.instanceId()).isEqualTo("coordinator-1");
    assertThat(shared.heartbeatInterval()).isEqualTo(java.time.Duration.ofMillis(500));
    assertThat(shared.heartbeatExpiry()).isEqualTo(java.time.Duration.ofSeconds(3));
    assertThat(shared.timeout()).isEqualTo(java.time.Duration.ofSeconds(4));
    // Without a name each store gets a generated one, distinct per start.
    CoordinatorConfig unnamed = CoordinatorConfig.defaults();
    assertThat(unnamed.sharedStoreSettings().instanceId()).isNotEqualTo(unnamed.sharedStoreSettings().instanceId());
  }

  @Test
  void aLeaseShorterThanTwoHeartbeatsIsRefused() {
    assertThatThrownBy(() -> CoordinatorConfig.builder()
        .clusterHeartbeat(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(3)).build())
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("cluster.heartbeatExpiry must be at least twice heartbeatInterval");
  }

  @Test
  void aBadSqlStoreValueNamesItsKey() {
    assertThatThrownBy(() -> CoordinatorConfig.builder().store(StoreKind.POSTGRES).postgresUrl("jdbc:postgresql://h/db").build())
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("store.postgres.url must start with postgresql://");
    assertThatThrownBy(() -> CoordinatorConfig.builder().store(StoreKind.MYSQL).mysqlUrl("mysql://h/db").build())
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("store.mysql.url must be a JDBC URL jdbc:mysql://");
    assertThatThrownBy(() -> CoordinatorConfig.builder().postgresSchema("covenant; drop table x").build())
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("store.postgres.schema must be a plain SQL name");
    assertThatThrownBy(() -> CoordinatorConfig.builder().store(StoreKind.MYSQL).mysqlUrl("jdbc:mysql://h/db")
        .mysqlSchema("a-b").build())
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("store.mysql.schema must be a plain SQL name");
    assertThatThrownBy(() -> CoordinatorConfig.builder().postgresPoolSize(0).build())
        .hasMessage("store.postgres.poolSize must be at least 1, got 0");
    assertThatThrownBy(() -> CoordinatorConfig.builder().set("store.postgres.pipeliningLimit", "0").build())
        .hasMessage("store.postgres.pipeliningLimit must be at least 1, got 0");
    assertThatThrownBy(() -> CoordinatorConfig.builder().mysqlPoolSize(0).build())
        .hasMessage("store.mysql.poolSize must be at least 1, got 0");
  }

  @Test
  void passwordsNeverReachTheStartLog() {
    CoordinatorConfig c = CoordinatorConfig.builder()
        .store(StoreKind.MYSQL).mysqlUrl("jdbc:mysql://h:3306/db?user=u&password=url-secret").mysqlPassword("key-secret")
        .postgresUrl("postgresql://covenant:pg-secret@h:5432/db")
        .build();

    String text = c.toString();
    assertThat(text).doesNotContain("url-secret", "key-secret", "pg-secret")
        .contains("store.mysql.password=****", "store.postgres.url=postgresql://covenant:****@h:5432/db",
            "store.mysql.url=jdbc:mysql://h:3306/db?user=u&password=****");
    assertThat(c.mysqlSettings().toString()).doesNotContain("url-secret", "key-secret");
    assertThat(c.postgresSettings().toString()).doesNotContain("pg-secret");
    assertThat(c.text("store.mysql.password")).isEqualTo("key-secret"); // the value itself is intact
  }

  @Test
  void noFileAndNoVariablesGiveTheDefaults() {
    assertThat(load(List.of(), Map.of())).isEqualTo(CoordinatorConfig.defaults());
  }

  @Test
  void environmentOverridesTheYamlFileWhichOverridesTheDefaults() throws Exception {
    Path file = dir.resolve("covenant.yaml");
    Files.writeString(file, """
        http:
          port: 9000
          host: 127.0.0.1
        store: memory
        retry:
          initialBackoff: 250ms
          maxBackoff: PT2M
        saga.defaultTimeout: 5m
        limits:
          bodyBytesMax: 64KiB
        """);

    CoordinatorConfig c = load(List.of(file.toString()), Map.of(
        "COVENANT_HTTP_PORT", "9100",
        "COVENANT_RETRY_MAXBACKOFF", "1m",
        "COVENANT_TEST", "1",                       // other COVENANT_ variables are not keys: ignored
        "COVENANT_PG_URL", "postgresql://elsewhere"));

    assertThat(c.httpPort()).isEqualTo(9100);                           // env beats the file
    assertThat(c.httpHost()).isEqualTo("127.0.0.1");                    // file beats the default
    assertThat(c.store()).isEqualTo(StoreKind.MEMORY);
    assertThat(c.retryInitialBackoff()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.retryMaxBackoff()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.sagaDefaultTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.limitsBodyBytesMax()).isEqualTo(64 * 1024);
    assertThat(c.participantCallTimeout()).isEqualTo(Duration.ofSeconds(10)); // untouched: default
  }

  @Test
  void readsAPropertiesFileNamedBySystemProperty() throws Exception {
    Path file = dir.resolve("covenant.properties");
    Files.writeString(file, "http.port=7070\nstore.journal.dir=/var/lib/covenant\nparticipant.h2c=true\n"
        + "transaction.defaultTimeout=30s\n");
    Properties system = new Properties();
    system.setProperty("covenant.config", file.toString());

    CoordinatorConfig c = CoordinatorConfig.load(List.of(), Map.of(), system);

    assertThat(c.httpPort()).isEqualTo(7070);
    assertThat(c.journalDir()).isEqualTo(Path.of("/var/lib/covenant"));
    assertThat(c.participantH2c()).isTrue();
    assertThat(c.transactionDefaultTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void theFirstArgumentWinsOverTheSystemProperty() throws Exception {
    Path first = dir.resolve("first.properties");
    Path second = dir.resolve("second.properties");
    Files.writeString(first, "http.port=1111\n");
    Files.writeString(second, "http.port=2222\n");
    Properties system = new Properties();
    system.setProperty("covenant.config", second.toString());

    assertThat(CoordinatorConfig.load(List.of(first.toString()), Map.of(), system).httpPort()).isEqualTo(1111);
  }

  @Test
  void journalKeysCanBeNestedUnderADottedMap() throws Exception {
    Path file = dir.resolve("c.yml");
    Files.writeString(file, """
        store: journal
        store.journal:
          dir: /data/j
          fileSizeBytes: 1MiB
          bufferTimeout: 2ms
          sync: false
        """);

    CoordinatorConfig c = load(List.of(file.toString()), Map.of());

    assertThat(c.journalSettings().directory()).isEqualTo(Path.of("/data/j"));
    assertThat(c.journalSettings().fileSizeBytes()).isEqualTo(1024 * 1024);
    assertThat(c.journalSettings().bufferTimeout()).isEqualTo(Duration.ofMillis(2));
    assertThat(c.journalSettings().sync()).isFalse();
  }

  @Test
  void aCamelCaseKeyMayAlsoBeSplitInItsVariable() {
    CoordinatorConfig c = load(List.of(), Map.of(
        "COVENANT_RETENTION_PURGE_INTERVAL", "30s",
        "COVENANT_LIMITS_LISTPAGEMAX", "20"));

    assertThat(c.retentionPurgeInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.limitsListPageMax()).isEqualTo(20);
  }

  @Test
  void durationsAcceptEveryDocumentedForm() {
    assertThat(CoordinatorConfig.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(CoordinatorConfig.parseDuration("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(CoordinatorConfig.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(CoordinatorConfig.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(CoordinatorConfig.parseDuration("1d")).isEqualTo(Duration.ofDays(1));
    assertThat(CoordinatorConfig.parseDuration("PT1.5S")).isEqualTo(Duration.ofMillis(1500));
    assertThat(CoordinatorConfig.parseDuration("P2D")).isEqualTo(Duration.ofDays(2));
  }

  @Test
  void aBadValueNamesItsKeyAndWhereItCameFrom() {
    assertThatThrownBy(() -> load(List.of(), Map.of("COVENANT_HTTP_PORT", "eighty")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port")
        .hasMessageContaining("eighty")
        .hasMessageContaining("COVENANT_HTTP_PORT");
    assertThatThrownBy(() -> load(List.of(), Map.of("COVENANT_PARTICIPANT_CALLTIMEOUT", "10 parsecs")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("participant.callTimeout")
        .hasMessageContaining("not a duration");
    assertThatThrownBy(() -> load(List.of(), Map.of("COVENANT_STORE", "oracle")))
        .hasMessageContaining("store")
        .hasMessageContaining("journal, postgres, mysql, memory");
    assertThatThrownBy(() -> load(List.of(), Map.of("COVENANT_HTTP_H2C", "yes")))
        .hasMessageContaining("http.h2c")
        .hasMessageContaining("true or false");
  }

  @Test
  void anUnknownKeyInAFileIsAnError() throws Exception {
    Path file = dir.resolve("typo.yaml");
    Files.writeString(file, "http:\n  prot: 9000\n");

    assertThatThrownBy(() -> load(List.of(file.toString()), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown config key 'http.prot'")
        .hasMessageContaining(file.toString());
  }

  @Test
  void aMissingFileIsAnError() {
    assertThatThrownBy(() -> load(List.of(dir.resolve("nope.yaml").toString()), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  void outOfRangeValuesNameTheirKey() {
    assertThatThrownBy(() -> CoordinatorConfig.builder().httpPort(70_000).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("http.port must be between 0 and 65535");
    assertThatThrownBy(() -> CoordinatorConfig.builder().journalDir(Path.of(" ")).build())
        .hasMessage("store.journal.dir is required when store=journal");
    assertThatThrownBy(() -> CoordinatorConfig.builder().set("store.journal.dir", "").build())
        .hasMessageContaining("store.journal.dir");
    assertThatThrownBy(() -> CoordinatorConfig.builder()
        .retryInitialBackoff(Duration.ofSeconds(2)).retryMaxBackoff(Duration.ofSeconds(1)).build())
        .hasMessage("retry.maxBackoff (1s) must not be below retry.initialBackoff (2s)");
    assertThatThrownBy(() -> CoordinatorConfig.builder().retryStuckAfterAttempts(0).build())
        .hasMessageContaining("retry.stuckAfterAttempts must be at least 1");
    assertThatThrownBy(() -> CoordinatorConfig.builder().limitsGidLengthMax(10).build())
        .hasMessageContaining("limits.gidLengthMax must be between 36");
    assertThatThrownBy(() -> CoordinatorConfig.builder().transactionDefaultTimeout(Duration.ofDays(2)).build())
        .hasMessageContaining("transaction.defaultTimeout (2d) must not exceed limits.timeoutMax (1d)");
    assertThatThrownBy(() -> CoordinatorConfig.builder().set("store.journal.bufferSizeBytes", "20MiB").build())
        .hasMessageContaining("store.journal.bufferSizeBytes");
  }

  @Test
  void theParticipantKeepAliveIsWholeSecondsAndZeroKeepsConnections() {
    assertThat(CoordinatorConfig.builder().set("participant.keepAliveTimeout", "0s").build().participantKeepAliveTimeout())
        .isZero();
    assertThat(CoordinatorConfig.builder().set("participant.keepAliveTimeout", "4s").build().participantKeepAliveTimeout())
        .isEqualTo(Duration.ofSeconds(4));
    assertThatThrownBy(() -> CoordinatorConfig.builder().set("participant.keepAliveTimeout", "1500ms").build())
        .hasMessage("participant.keepAliveTimeout must be a whole number of seconds, 0s or more, got 1500ms");
    assertThatThrownBy(() -> CoordinatorConfig.builder().participantKeepAliveTimeout(Duration.ofSeconds(-1)).build())
        .hasMessageContaining("participant.keepAliveTimeout must be a whole number of seconds");
  }

  @Test
  void theJournalDirectoryIsNotNeededForTheMemoryStore() {
    CoordinatorConfig c = CoordinatorConfig.builder().store(StoreKind.MEMORY).journalDir(null).build();
    assertThat(c.store()).isEqualTo(StoreKind.MEMORY);
  }

  @Test
  void noneClearsAnOptionalKey() {
    CoordinatorConfig c = CoordinatorConfig.builder().sagaDefaultTimeout(Duration.ofMinutes(1))
        .set("saga.defaultTimeout", "none").build();
    assertThat(c.sagaDefaultTimeout()).isNull();
    assertThatThrownBy(() -> CoordinatorConfig.builder().set("transaction.defaultTimeout", "none"))
        .hasMessageContaining("transaction.defaultTimeout");
  }

  @Test
  void toStringListsEveryKeyWithItsEffectiveValueForTheStartLog() {
    String text = CoordinatorConfig.builder().httpPort(0).retryInitialBackoff(Duration.ofMillis(250)).build().toString();

    for (String key : CoordinatorConfig.keyNames()) {
      assertThat(text).contains(key + "=");
    }
    assertThat(text).contains("http.port=0", "retry.initialBackoff=250ms", "saga.defaultTimeout=none",
        "limits.bodyBytesMax=1MiB", "limits.timeoutMax=1d");
  }

  @Test
  void everyKeyHasADocumentedRowAndVariable() {
    String table = CoordinatorConfig.markdownTable();
    for (CoordinatorConfig.Key k : CoordinatorConfig.KEYS) {
      assertThat(table).contains("| `" + k.name() + "` |");
      assertThat(k.meaning()).isNotBlank();
    }
    assertThat(table).contains("`COVENANT_HTTP_PORT`");
  }

  @Test
  void aValueWrittenByTextRoundTrips() {
    CoordinatorConfig c = CoordinatorConfig.defaults();
    CoordinatorConfig.Builder b = CoordinatorConfig.builder();
    for (String key : CoordinatorConfig.keyNames()) {
      b.set(key, c.text(key));
    }
    assertThat(b.build()).isEqualTo(c);
  }
}
