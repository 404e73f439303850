package io.covenant.coordinator.scenario;

import static io.covenant.coordinator.testkit.Api.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.covenant.coordinator.testkit.TestParticipant;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TCC and 2PC end to end: a real coordinator on the journal, real HTTP participants on loopback. */
class TccScenarioTest {
  static final Duration BOUND = Duration.ofSeconds(15);

  @TempDir Path dir;
  TestCoordinator coordinator;
  TestParticipant stock;
  TestParticipant account;
  Api api;

  @BeforeEach
  void start() throws Exception {
    coordinator = TestCoordinator.journal(dir);
    stock = TestParticipant.start();
    account = TestParticipant.start();
    api = new Api(coordinator.baseUrl());
  }

  @AfterEach
  void stop() throws Exception {
    coordinator.close();
    stock.close();
    account.close();
  }

  private void registerTcc(String gid, String branch, TestParticipant p) {
    expect(api.register(gid, branch, "confirm", p.url(branch + "/confirm"), "cancel", p.url(branch + "/cancel")), 201);
  }

  /** The initiator calls a try itself, as a TCC initiator does (the coordinator never calls try). */
  private int callTry(String gid, String branch, TestParticipant p) {
    return api.send(HttpRequest.newBuilder(URI.create(p.url(branch + "/try"))).header("Covenant-Gid", gid)
        .header("Covenant-Branch", branch).header("Covenant-Op", "try").POST(HttpRequest.BodyPublishers.noBody())).status();
  }

  private void awaitStatus(String gid, String status) {
    await().atMost(BOUND).untilAsserted(() -> assertThat(api.statusOf(gid)).isEqualTo(status));
  }

  @Test
  void whenEveryTrySucceedsEveryBranchIsConfirmed() {
    String gid = api.begin("tcc", 30_000);
    registerTcc(gid, "stock", stock);
    assertThat(callTry(gid, "stock", stock)).isEqualTo(200);
    registerTcc(gid, "account", account);
    assertThat(callTry(gid, "account", account)).isEqualTo(200);

    Api.Response committed = expect(api.commit(gid), 200);
    assertThat(committed.status("status")).isIn("committing", "committed");
    awaitStatus(gid, "committed");

    assertThat(stock.trace(gid)).containsExactly("stock:try", "stock:confirm");
    assertThat(account.trace(gid)).containsExactly("account:try", "account:confirm");
    assertThat(api.transaction(gid).body().get("branches")).extracting(b -> b.get("status").asText())
        .containsOnly("confirmed");
  }

  @Test
  void whenOneTryIsRefusedEveryRegisteredBranchIsCancelledEvenOneWhoseTryNeverArrived() {
    String gid = api.begin("tcc", 30_000);
    registerTcc(gid, "stock", stock);
    assertThat(callTry(gid, "stock", stock)).isEqualTo(200);
    stock.answer("reserve-more", "try", 409);
    registerTcc(gid, "reserve-more", stock);
    assertThat(callTry(gid, "reserve-more", stock)).isEqualTo(409);
    registerTcc(gid, "account", account); // registered, but the initiator gives up before calling its try

    expect(api.rollback(gid), 200);
    awaitStatus(gid, "rolled_back");

    assertThat(stock.count(gid, "stock", "cancel")).isEqualTo(1);
    assertThat(stock.count(gid, "reserve-more", "cancel")).isEqualTo(1);
    assertThat(account.trace(gid)).containsExactly("account:cancel");
    assertThat(stock.calls(gid)).noneMatch(c -> c.op().equals("confirm"));
  }

  @Test
  void theCallCarriesTheRegisteredPayloadAndTheProtocolHeaders() {
    String gid = api.begin("tcc", 30_000);
    registerTcc(gid, "stock", stock);
    expect(api.commit(gid), 200);
    awaitStatus(gid, "committed");
    TestParticipant.Received confirm = stock.calls(gid).get(0);
    assertThat(confirm.gid()).isEqualTo(gid);
    assertThat(confirm.branch()).isEqualTo("stock");
    assertThat(confirm.op()).isEqualTo("confirm");
    assertThat(confirm.body()).isEqualTo("{\"branch\":\"stock\"}");
  }

  @Test
  void aConfirmThatFailsIsRetriedUntilItSucceeds() {
    stock.answer("stock", "confirm", 503, 500, 503);
    String gid = api.begin("tcc", 30_000);
    registerTcc(gid, "stock", stock);
    registerTcc(gid, "account", account);
    expect(api.commit(gid), 200);
    awaitStatus(gid, "committed");
    assertThat(stock.count(gid, "stock", "confirm")).isEqualTo(4);
    assertThat(account.count(gid, "account", "confirm")).as("one failing participant holds up no other").isEqualTo(1);
  }

  @Test
  void aTransactionNobodyCommitsIsRolledBackAtItsTimeout() {
    String gid = api.begin("tcc", 1_500); // long enough to register on a loaded machine
    registerTcc(gid, "stock", stock);
    awaitStatus(gid, "rolled_back");
    assertThat(stock.trace(gid)).containsExactly("stock:cancel");
    assertThat(api.transaction(gid).body().get("reason").asText()).contains("timed out");
    assertThat(expect(api.commit(gid), 409).problemType()).endsWith("/transaction-rolled-back");
  }

  @Test
  void twoPhaseCommitDrivesCommitOnEveryBranch() {
    String gid = api.begin("2pc", 30_000);
    expect(api.register(gid, "db1", "commit", stock.url("db1/commit"), "rollback", stock.url("db1/rollback")), 201);
    expect(api.register(gid, "db2", "commit", account.url("db2/commit"), "rollback", account.url("db2/rollback")), 201);
    expect(api.commit(gid), 200);
    awaitStatus(gid, "committed");
    assertThat(stock.trace(gid)).containsExactly("db1:commit");
    assertThat(account.trace(gid)).containsExactly("db2:commit");
  }

  @Test
  void twoPhaseRollbackDrivesRollbackOnEveryBranch() {
    String gid = api.begin("2pc", 30_000);
    expect(api.register(gid, "db1", "commit", stock.url("db1/commit"), "rollback", stock.url("db1/rollback")), 201);
    expect(api.register(gid, "db2", "commit", account.url("db2/commit"), "rollback", account.url("db2/rollback")), 201);
    expect(api.rollback(gid), 200);
    awaitStatus(gid, "rolled_back");
    assertThat(stock.trace(gid)).containsExactly("db1:rollback");
    assertThat(account.trace(gid)).containsExactly("db2:rollback");
  }

  @Test
  void aCrashAfterTheDecisionIsDurableIsFinishedByTheNextCoordinator() throws Exception {
    stock.hold("confirm");
    String gid = api.begin("tcc", 30_000);
    registerTcc(gid, "stock", stock);
    registerTcc(gid, "account", account);
    expect(api.commit(gid), 200);
    stock.awaitCall(BOUND, c -> c.gid().equals(gid) && c.op().equals("confirm"));

    coordinator.crash();                      // phase 2 is half done: account confirmed, stock's answer never recorded
    stock.release("confirm");
    coordinator = coordinator.restart();
    api.baseUrl(coordinator.baseUrl());

    awaitStatus(gid, "committed");
    assertThat(stock.count(gid, "stock", "confirm")).as("repeated after the restart").isGreaterThanOrEqualTo(2);
    assertThat(account.count(gid, "account", "confirm")).isGreaterThanOrEqualTo(1);
    assertThat(stock.calls(gid)).noneMatch(c -> c.op().equals("cancel"));
    assertThat(account.calls(gid)).noneMatch(c -> c.op().equals("cancel"));
  }

  @Test
  void aCrashDuringRollbackIsFinishedByTheNextCoordinator() throws Exception {
    account.hold("cancel");
    String gid = api.begin("tcc", 30_000);
    registerTcc(gid, "stock", stock);
    registerTcc(gid, "account", account);
    expect(api.rollback(gid), 200);
    account.awaitCall(BOUND, c -> c.gid().equals(gid) && c.op().equals("cancel"));

    coordinator.crash();
    account.release("cancel");
    coordinator = coordinator.restart();
    api.baseUrl(coordinator.baseUrl());

    awaitStatus(gid, "rolled_back");
    assertThat(stock.calls(gid)).noneMatch(c -> c.op().equals("confirm"));
    assertThat(account.calls(gid)).noneMatch(c -> c.op().equals("confirm"));
  }
}
