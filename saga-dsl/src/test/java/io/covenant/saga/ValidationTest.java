package io.covenant.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.client.CovenantClientException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.SagaRecovery;
import io.covenant.protocol.SagaRequest;
import io.covenant.protocol.SagaStep;
import io.covenant.protocol.StepRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every mistake is reported by {@code build()}, naming its step, before anything reaches the
 * coordinator; and the coordinator refuses the same mistakes when they reach it another way (issue #5).
 */
class ValidationTest {
  static final String A = "http://127.0.0.1:9/a";
  static final String UNDO = "http://127.0.0.1:9/undo";

  static SagaCoordinator coordinator;
  static SagaClient sagas;

  @BeforeAll
  static void start() throws Exception {
    coordinator = SagaCoordinator.memory();
    sagas = coordinator.sagas();
  }

  @AfterAll
  static void stop() throws Exception {
    coordinator.close();
  }

  static Saga.StepStage step(Saga.Builder saga, String name) {
    return saga.step(name).action(HttpCall.post(A)).compensation(HttpCall.post(UNDO));
  }

  static Saga.StepStage then(Saga.StepStage saga, String name) {
    return saga.step(name).action(HttpCall.post(A)).compensation(HttpCall.post(UNDO));
  }

  static Arguments row(String mistake, Supplier<SagaDefinition> build, String problem) {
    return Arguments.of(mistake, build, problem);
  }

  static Stream<Arguments> mistakes() {
    Saga.Builder saga = Saga.named("order");
    return Stream.of(
        row("a name used twice", () -> then(step(saga, "a"), "a").build(), "step name 'a' is used twice"),
        row("an unknown dependsOn", () -> then(step(saga, "a"), "b").dependsOn("c").build(), "step 'b' depends on unknown step 'c'"),
        row("a step depending on itself", () -> step(saga, "a").dependsOn("a").build(), "step 'a' depends on itself"),
        row("a dependency named twice", () -> then(step(saga, "a"), "b").dependsOn("a", "a").build(),
            "step 'b' names step 'a' twice in dependsOn"),
        row("a cycle", () -> then(then(step(saga, "a").dependsOn("c"), "b"), "c").build(),
            "steps depend on each other in a cycle: a -> c -> b -> a"),
        row("a compensatable step without compensation",
            () -> step(saga, "a").step("b").action(HttpCall.post(A)).build(),
            "step 'b' has no compensation; only a pivot step or a step of a forward saga may omit it"),
        row("a reference to a step that may not have run yet (a parallel one)",
            () -> then(step(saga, "a").dependsOn(), "b").dependsOn()
                .step("c").action(HttpCall.post(A).body(Map.of("x", Ref.from("b").at("/id")))).compensation(HttpCall.post(UNDO))
                .dependsOn("a").build(),
            "step 'c' action refers to step 'b', which may not have run yet: a step may refer only to steps it depends on, "
                + "directly or through others"),
        row("a reference to a later step", () -> step(saga, "a").step("a2")
                .action(HttpCall.post(A).body(Map.of("x", Ref.from("b")))).compensation(HttpCall.post(UNDO)).step("b")
                .action(HttpCall.post(A)).compensation(HttpCall.post(UNDO)).build(),
            "step 'a2' action refers to step 'b', which may not have run yet"),
        row("a reference to the step itself",
            () -> saga.step("a").action(HttpCall.post(A)).compensation(HttpCall.post(UNDO).body(List.of(Ref.from("a")))).build(),
            "step 'a' compensation refers to step 'a', which may not have run yet"),
        row("a reference to an unknown step",
            () -> then(step(saga, "a"), "b").step("c").action(HttpCall.post(A).body(Map.of("x", Ref.from("nobody"))))
                .compensation(HttpCall.post(UNDO)).build(),
            "step 'c' action refers to unknown step 'nobody'"),
        row("a reference in a URL's host", () -> then(step(saga, "a"), "b").step("c")
                .action(HttpCall.post("http://" + Ref.from("a").at("/host").inText() + "/x")).compensation(HttpCall.post(UNDO)).build(),
            "step 'c' action URL may hold references only in its path and query, not in its scheme, host or port"),
        row("a malformed reference in a header", () -> then(step(saga, "a"), "b").step("c")
                .action(HttpCall.post(A).header("X-Id", "${a/id")).compensation(HttpCall.post(UNDO)).build(),
            "step 'c' action header X-Id: '${a/id' is not a reference: write ${step} or ${step/pointer}"),
        row("a URL reference to a step that may not have run yet", () -> step(saga, "a").step("b")
                .action(HttpCall.delete(A + "/" + Ref.from("c").at("/id").inText())).compensation(HttpCall.post(UNDO))
                .step("c").action(HttpCall.post(A)).compensation(HttpCall.post(UNDO)).build(),
            "step 'b' action refers to step 'c', which may not have run yet"),
        row("a malformed reference", () -> then(step(saga, "a"), "b").step("c")
                .action(HttpCall.post(A).body(Map.of("x", Map.of("$from", "a", "pointer", "id")))).compensation(HttpCall.post(UNDO))
                .build(),
            "step 'c' action body: \"pointer\" must be empty or start with '/'"),
        row("a step that may run at the same time as a pivot without compensation",
            () -> step(saga, "a").dependsOn().step("p").action(HttpCall.post(A)).pivot().dependsOn().build(),
            "step 'a' may run at the same time as step 'p', which has no compensation"),
        row("a URL that is not absolute http(s)",
            () -> saga.step("a").action(HttpCall.post("ftp://example.com/x")).compensation(HttpCall.post(UNDO)).build(),
            "step 'a' action URL must be an absolute http or https URL, got 'ftp://example.com/x'"),
        row("a method the coordinator does not send",
            () -> saga.step("a").action(HttpCall.of("TRACE", A)).compensation(HttpCall.post(UNDO)).build(),
            "step 'a' action method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got 'TRACE'"),
        row("a header the coordinator sets itself",
            () -> saga.step("a").action(HttpCall.post(A)).compensation(HttpCall.post(UNDO).header("Covenant-Gid", "x")).build(),
            "step 'a' compensation header Covenant-Gid is set by the coordinator and cannot be given"),
        row("a header value that would split the request",
            () -> saga.step("a").action(HttpCall.post(A).header("X-Tenant", "a\r\nX-Evil: 1")).compensation(HttpCall.post(UNDO)).build(),
            "step 'a' action header X-Tenant must be a text of visible characters, spaces and tabs"),
        row("no attempt at all", () -> step(saga, "a").attempts(0).build(), "step 'a': attemptsMax must be at least 1, got 0"),
        row("a maximum backoff below the initial one",
            () -> step(saga, "a").backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build(),
            "step 'a': backoffMax 1000 ms is below backoffInitial 2000 ms"),
        row("a call timeout that is not positive", () -> step(saga, "a").timeout(Duration.ZERO).build(),
            "step 'a' timeout must be positive, got PT0S"),
        row("a saga timeout finer than milliseconds", () -> step(Saga.named("order").timeout(Duration.ofNanos(1_500_000)), "a").build(),
            "saga timeout must be whole milliseconds, got PT0.0015S"),
        row("a step name with a space", () -> step(saga, "a b").build(),
            "step 'a b': a name must be 1 to 128 characters of A-Z a-z 0-9 . _ : -"),
        row("no steps (in a file)", () -> SagaDefinition.fromJson("{\"name\": \"order\", \"steps\": []}"),
            "a saga needs at least one step"),
        row("a misspelt field (in a file)",
            () -> SagaDefinition.fromYaml("steps:\n- name: a\n  action: http://127.0.0.1:9/a\n  dependOn: []\n"),
            "Unrecognized field \"dependOn\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void eachMistakeIsReportedByBuildBeforeAnythingIsSubmitted(String mistake, Supplier<SagaDefinition> build, String problem)
      throws Exception {
    long before = coordinator.sagaSubmissions();

    assertThatThrownBy(() -> sagas.start(build.get(), "never-submitted"))
        .isInstanceOf(SagaValidationException.class)
        .satisfies(e -> assertThat(((SagaValidationException) e).problems()).anySatisfy(p -> assertThat(p).contains(problem)));

    assertThat(coordinator.sagaSubmissions()).as("requests the coordinator saw").isEqualTo(before);
    assertThat(coordinator.client().find("never-submitted")).isEmpty();
  }

  @Test
  void everyProblemIsReportedAtOnceEachNamingItsStep() {
    Saga.StepStage broken = Saga.named("order")
        .step("reserve").action(HttpCall.post("not a url")).compensation(HttpCall.post(UNDO)).attempts(0)
        .step("charge").action(HttpCall.post(A)).dependsOn("reserve", "bill")
        .step("ship").action(HttpCall.post(A).body(Map.of("id", Ref.from("notify")))).compensation(HttpCall.post(UNDO))
        .step("notify").action(HttpCall.post(A)).compensation(HttpCall.post(UNDO));

    assertThatThrownBy(broken::build).isInstanceOf(SagaValidationException.class)
        .hasMessageStartingWith("saga 'order' is invalid (5 problems)")
        .satisfies(e -> assertThat(((SagaValidationException) e).problems()).containsExactly(
            "step 'reserve' action URL must be an absolute http or https URL, got 'not a url'",
            "step 'reserve': attemptsMax must be at least 1, got 0",
            "step 'charge' has no compensation; only a pivot step or a step of a forward saga may omit it",
            "step 'charge' depends on unknown step 'bill'",
            "step 'ship' action refers to step 'notify', which may not have run yet: a step may refer only to steps it "
                + "depends on, directly or through others"));
  }

  /** The DSL's rules are the coordinator's: a wire request with the same mistake is refused by both. */
  @Test
  void theCoordinatorRefusesTheMistakesTheDslRefuses() throws Exception {
    long before = coordinator.sagaSubmissions();
    SagaStep a = new SagaStep("a", StepRequest.of(A), StepRequest.of(UNDO), null, null, null, null, null, null, null);
    List<List<SagaStep>> mistakes = new ArrayList<>();
    mistakes.add(List.of(a, a));
    mistakes.add(List.of(a, new SagaStep("b", A, UNDO, null, List.of("c"), null, null, null)));
    mistakes.add(List.of(new SagaStep("a", A, UNDO, null, List.of("b"), null, null, null),
        new SagaStep("b", A, UNDO, null, List.of("a"), null, null, null)));
    mistakes.add(List.of(a, new SagaStep("b", A, null, null, null, null, null, null)));
    mistakes.add(List.of(new SagaStep("a", A, UNDO, null, List.of(), null, null, null),
        new SagaStep("b", A, UNDO, null, List.of(), null, null, null),
        new SagaStep("c", new StepRequest(null, A, null, new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(Map.of("x", Ref.from("b").at("/id")))), StepRequest.of(UNDO), null,
            List.of("a"), null, null, null, null, null)));
    mistakes.add(List.of(new SagaStep("a", new StepRequest("TRACE", A, null, null), StepRequest.of(UNDO), null, null, null,
        null, null, null, null)));
    mistakes.add(List.of(new SagaStep("a", new StepRequest(null, A, Map.of("Host", "x"), null), StepRequest.of(UNDO), null,
        null, null, null, null, null, null)));
    mistakes.add(List.of(new SagaStep("a", StepRequest.of(A), StepRequest.of(UNDO), null, null, null, null, null, 500L, 100L)));
    for (List<SagaStep> steps : mistakes) {
      SagaRequest wire = new SagaRequest("wire-" + mistakes.indexOf(steps), "order", null, SagaRecovery.COMPENSATE, steps);
      assertThatThrownBy(() -> SagaDefinition.fromRequest(wire)).as("DSL: %s", steps).isInstanceOf(SagaValidationException.class);
      assertThatThrownBy(() -> coordinator.client().submit(wire)).as("coordinator: %s", steps)
          .isInstanceOfSatisfying(CovenantClientException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));
    }
    assertThat(coordinator.sagaSubmissions()).as("the submission counter counts").isEqualTo(before + mistakes.size());
  }
}
