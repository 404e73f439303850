package io.covenant.coordinator.scenario;

import static io.covenant.coordinator.testkit.Api.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import io.covenant.coordinator.testkit.TestParticipant;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sagas end to end: a real coordinator on the journal, a real HTTP participant on loopback. */
class SagaScenarioTest {
  static final Duration BOUND = Duration.ofSeconds(15);

  @TempDir Path dir;
  TestCoordinator coordinator;
  TestParticipant shop;
  Api api;

  @BeforeEach
  void start() throws Exception {
    coordinator = TestCoordinator.journal(dir);
    shop = TestParticipant.start();
    api = new Api(coordinator.baseUrl());
  }

  @AfterEach
  void stop() throws Exception {
    coordinator.close();
    shop.close();
  }

  /** A step that depends on the step before it (dependsOn omitted). */
  private ObjectNode step(String name) {
    ObjectNode step = Api.object().put("name", name).put("action", shop.url(name + "/action"))
        .put("compensation", shop.url(name + "/compensate"));
    step.set("payload", Api.object().put("step", name));
    return step;
  }

  /** A step with explicit dependencies ({@code []} when none are given). */
  private ObjectNode stepAfter(String name, String... dependsOn) {
    ObjectNode step = step(name);
    ArrayNode deps = step.putArray("dependsOn");
    for (String d : dependsOn) {
      deps.add(d);
    }
    return step;
  }

  private String submit(ObjectNode... steps) {
    ObjectNode saga = Api.object();
    saga.putArray("steps").addAll(List.of(steps));
    Api.Response r = expect(api.post("/v1/sagas", saga), 201);
    return r.body().get("gid").asText();
  }

  private void awaitStatus(String gid, String status) {
    await().atMost(BOUND).untilAsserted(() -> assertThat(api.statusOf(gid)).isEqualTo(status));
  }

  @Test
  void aSagaWhoseStepsAllSucceedCommitsWithoutCompensating() {
    String gid = submit(step("s1"), step("s2"), step("s3"));
    awaitStatus(gid, "committed");
    assertThat(shop.trace(gid)).containsExactly("s1:action", "s2:action", "s3:action");
  }

  @Test
  void whenStepThreeOfFourIsRefusedStepsThreeTwoOneAreCompensatedInThatOrder() {
    shop.answer("s3", "action", 409);
    String gid = submit(step("s1"), step("s2"), step("s3"), step("s4"));
    awaitStatus(gid, "rolled_back");
    assertThat(shop.trace(gid)).containsExactly(
        "s1:action", "s2:action", "s3:action", "s3:compensate", "s2:compensate", "s1:compensate");
    Api.Response view = api.transaction(gid);
    assertThat(view.body().get("reason").asText()).contains("s3");
    assertThat(view.body().get("branches")).extracting(b -> b.get("status").asText())
        .containsExactly("compensated", "compensated", "compensated", "skipped");
  }

  @Test
  void aStepAnswering503TwiceIsRetriedAndTheSagaSucceeds() {
    shop.answer("s2", "action", 503, 503);
    String gid = submit(step("s1"), step("s2"), step("s3"));
    awaitStatus(gid, "committed");
    assertThat(shop.count(gid, "s2", "action")).isEqualTo(3);
    assertThat(shop.calls(gid)).noneMatch(c -> c.op().equals("compensate"));
  }

  @Test
  void stepsJoinedByDependsOnRunConcurrentlyAndCompensateInReverseDependencyOrder() {
    shop.gather("action", "b", "c");   // b and c are answered only once both are in progress at once
    shop.answer("d", "action", 409);
    String gid = submit(stepAfter("a"), stepAfter("b", "a"), stepAfter("c", "a"), stepAfter("d", "b", "c"));
    awaitStatus(gid, "rolled_back");
    assertThat(shop.maxConcurrent("action")).isGreaterThanOrEqualTo(2);
    List<String> trace = shop.trace(gid);
    assertThat(trace.indexOf("d:compensate")).isLessThan(trace.indexOf("b:compensate"));
    assertThat(trace.indexOf("d:compensate")).isLessThan(trace.indexOf("c:compensate"));
    assertThat(trace.indexOf("b:compensate")).isLessThan(trace.indexOf("a:compensate"));
    assertThat(trace.indexOf("c:compensate")).isLessThan(trace.indexOf("a:compensate"));
  }

  @Test
  void aCrashInTheMiddleOfASagaIsFinishedByTheNextCoordinator() throws Exception {
    shop.hold("action");
    String gid = submit(step("s1"), step("s2"), step("s3"));
    shop.awaitCall(BOUND, c -> c.gid().equals(gid) && c.branch().equals("s1"));
    shop.release("action");
    shop.awaitCall(BOUND, c -> c.gid().equals(gid) && c.branch().equals("s2"));
    shop.hold("action");                // s2's action is in flight when the coordinator dies

    coordinator.crash();
    shop.release("action");
    coordinator = coordinator.restart();
    api.baseUrl(coordinator.baseUrl());

    awaitStatus(gid, "committed");
    assertThat(shop.count(gid, "s3", "action")).isGreaterThanOrEqualTo(1);
    assertThat(shop.calls(gid)).noneMatch(c -> c.op().equals("compensate"));
  }

  @Test
  void aCrashWhileCompensatingIsFinishedByTheNextCoordinator() throws Exception {
    shop.answer("s3", "action", 409);
    shop.hold("compensate");
    String gid = submit(step("s1"), step("s2"), step("s3"));
    shop.awaitCall(BOUND, c -> c.gid().equals(gid) && c.op().equals("compensate"));

    coordinator.crash();
    shop.release("compensate");
    coordinator = coordinator.restart();
    api.baseUrl(coordinator.baseUrl());

    awaitStatus(gid, "rolled_back");
    List<String> trace = shop.trace(gid);
    assertThat(trace.lastIndexOf("s3:compensate")).isLessThan(trace.lastIndexOf("s2:compensate"));
    assertThat(trace.lastIndexOf("s2:compensate")).isLessThan(trace.lastIndexOf("s1:compensate"));
    assertThat(trace).doesNotContain("s4:action");
  }
}
