package io.covenant.saga;

import io.covenant.protocol.SagaRecovery;
import io.covenant.protocol.SagaRequest;
import io.covenant.protocol.SagaStep;
import io.covenant.protocol.StepRequest;
import io.covenant.saga.internal.SagaJson;
import io.covenant.saga.internal.Validation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A saga, ready to run: named steps with their requests, dependencies, retry and pivot, a timeout
 * and a recovery mode. Immutable, and always valid: the constructor checks every rule the
 * coordinator applies (see {@link Saga} for the list) and throws {@link SagaValidationException}
 * naming every problem, so a definition that exists is one the coordinator accepts. Build one with
 * {@link Saga#named}, or read one with {@link #fromJson} / {@link #fromYaml}.
 *
 * <p>Its JSON form is exactly the body of the coordinator's {@code POST /v1/sagas} (without a
 * gid, which each run gets), and its YAML form is the same tree: {@code fromJson(d.toJson())} and
 * {@code fromYaml(d.toYaml())} equal {@code d}.
 *
 * @param name the definition's name, e.g. {@code order}; null for none. Runs get gids that start with it.
 * @param timeout a run still going forward after this is compensated; null for the coordinator's default
 * @param recovery {@link SagaRecovery#COMPENSATE} (null means this) or {@link SagaRecovery#FORWARD}
 * @param steps at least one
 */
public record SagaDefinition(String name, Duration timeout, SagaRecovery recovery, List<StepDefinition> steps) {

  public SagaDefinition {
    recovery = recovery == null ? SagaRecovery.COMPENSATE : recovery;
    steps = steps == null ? List.of() : List.copyOf(steps);
    List<String> problems = Validation.problems(name, timeout, recovery, steps);
    if (!problems.isEmpty()) {
      throw new SagaValidationException(name, problems);
    }
  }

  /** The step called {@code name}, if there is one. */
  public Optional<StepDefinition> step(String name) {
    return steps.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /** The body of {@code POST /v1/sagas} for one run of this saga; {@code gid} may be null. */
  public SagaRequest toRequest(String gid) {
    List<SagaStep> wire = new ArrayList<>(steps.size());
    for (StepDefinition s : steps) {
      wire.add(new SagaStep(s.name(), request(s.action()), s.compensation() == null ? null : request(s.compensation()),
          null, s.dependsOn(), s.pivot() ? Boolean.TRUE : null, s.attemptsMax(), millis(s.timeout()),
          millis(s.backoffInitial()), millis(s.backoffMax())));
    }
    return new SagaRequest(gid, name, millis(timeout), recovery == SagaRecovery.COMPENSATE ? null : recovery, wire);
  }

  /**
   * The definition a {@code POST /v1/sagas} body describes. Its {@code gid}, if any, is not part
   * of the definition. A step's {@code payload} becomes the body of each of its requests that gives
   * none, which is what the coordinator does with it.
   *
   * @throws SagaValidationException if the request breaks a rule
   */
  public static SagaDefinition fromRequest(SagaRequest request) {
    Objects.requireNonNull(request, "request");
    List<StepDefinition> steps = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    List<SagaStep> wire = request.steps() == null ? List.of() : request.steps();
    for (int i = 0; i < wire.size(); i++) {
      SagaStep s = wire.get(i);
      String at = s == null || s.name() == null ? "steps[" + i + "]" : "step '" + s.name() + "'";
      if (s == null || s.name() == null) {
        problems.add(at + ": name is required");
        continue;
      }
      if (s.action() == null || s.action().url() == null) {
        problems.add(at + ": action (a URL, or an object with url) is required");
        continue;
      }
      if (s.compensation() != null && s.compensation().url() == null) {
        problems.add(at + ": compensation.url is required");
        continue;
      }
      steps.add(new StepDefinition(s.name(), call(s.action(), s), s.compensation() == null ? null : call(s.compensation(), s),
          s.dependsOn(), Boolean.TRUE.equals(s.pivot()), s.attemptsMax(), duration(s.backoffInitialMillis()),
          duration(s.backoffMaxMillis()), duration(s.timeoutMillis())));
    }
    if (!problems.isEmpty()) {
      throw new SagaValidationException(request.name(), problems);
    }
    return new SagaDefinition(request.name(), duration(request.timeoutMillis()), request.recovery(), steps);
  }

  /** The JSON form: the body of {@code POST /v1/sagas} without a gid, indented. */
  public String toJson() {
    return SagaJson.toJson(toRequest(null));
  }

  /** The YAML form: the same tree as {@link #toJson}. */
  public String toYaml() {
    return SagaJson.toYaml(toRequest(null));
  }

  /**
   * Reads the JSON form. Unknown fields are errors (a misspelt {@code dependsOn} must not be
   * ignored silently).
   *
   * @throws SagaValidationException if the text is not a saga, or the saga breaks a rule
   */
  public static SagaDefinition fromJson(String json) {
    return fromRequest(SagaJson.fromJson(json));
  }

  /** Reads the YAML form, like {@link #fromJson}. */
  public static SagaDefinition fromYaml(String yaml) {
    return fromRequest(SagaJson.fromYaml(yaml));
  }

  private static StepRequest request(HttpCall call) {
    return new StepRequest(call.method().equals("POST") ? null : call.method(), call.url(),
        call.headers().isEmpty() ? null : call.headers(), call.body());
  }

  private static HttpCall call(StepRequest r, SagaStep step) {
    return new HttpCall(r.method() == null ? "POST" : r.method(), r.url(), r.headers(),
        r.body() != null ? r.body() : step.payload());
  }

  private static Long millis(Duration d) {
    return d == null ? null : d.toMillis();
  }

  private static Duration duration(Long millis) {
    return millis == null ? null : Duration.ofMillis(millis);
  }
}
