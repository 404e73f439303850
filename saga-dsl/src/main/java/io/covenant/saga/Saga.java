package io.covenant.saga;

import io.covenant.protocol.SagaRecovery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Where a saga definition starts: a staged, immutable builder. Saga-wide settings come first, then
 * each step: its name, its action, then what else it needs.
 *
 * <pre>{@code
 * SagaDefinition order = Saga.named("order")
 *     .timeout(Duration.ofMinutes(1))
 *     .step("reserve")
 *         .action(HttpCall.post(stock + "/reserve").body(Map.of("sku", "A-1", "qty", 2)))
 *         .compensation(HttpCall.post(stock + "/release").body(Map.of("reservation", Ref.from("reserve").at("/id"))))
 *     .step("charge")
 *         .action(HttpCall.post(payments + "/charge").body(Map.of("reservation", Ref.from("reserve").at("/id"))))
 *         .compensation(HttpCall.post(payments + "/refund"))
 *         .attempts(3).backoff(Duration.ofMillis(200), Duration.ofSeconds(5))
 *     .build();
 * }</pre>
 *
 * <p>Every method returns a new builder and leaves the one it was called on as it was, so a partly
 * built saga can be shared and extended. {@link StepStage#build()} checks the whole definition and
 * throws {@link SagaValidationException} listing every problem, each naming its step:
 * <ul>
 *   <li>a name used twice, or not 1 to 128 characters of {@code A-Z a-z 0-9 . _ : -};</li>
 *   <li>a {@code dependsOn} naming an unknown step, the step itself, or a step twice; steps that
 *       depend on each other in a cycle;</li>
 *   <li>a step without compensation, unless it is a pivot or the saga recovers forward;</li>
 *   <li>a step that may run at the same time as a step without compensation (a pivot must come
 *       strictly before or after every other step);</li>
 *   <li>a {@link Ref} to an unknown step, or to a step that may not have run yet (one that is not
 *       among the steps it depends on, directly or through others), or a malformed reference;</li>
 *   <li>a URL that is not absolute http(s); a method other than GET, HEAD, POST, PUT, PATCH, DELETE,
 *       OPTIONS; a header the coordinator sets itself ({@code Covenant-*}, {@code Content-Type},
 *       {@code Host}, ...) or with control characters;</li>
 *   <li>attempts below 1; a timeout or backoff that is not a positive whole number of milliseconds,
 *       or a maximum backoff below the initial one.</li>
 * </ul>
 * These are the coordinator's own rules, so a definition that builds is one it accepts (its limits
 * on the number of steps, the longest timeout and the allowed hosts aside). The coordinator checks
 * again when the saga is submitted.
 */
public final class Saga {
  private Saga() {}

  /** A saga definition called {@code name} (e.g. {@code order}); runs get gids that start with it. */
  public static Builder named(String name) {
    return new Builder(Objects.requireNonNull(name, "name"), null, SagaRecovery.COMPENSATE);
  }

  /** A saga definition without a name. */
  public static Builder builder() {
    return new Builder(null, null, SagaRecovery.COMPENSATE);
  }

  /** The saga-wide settings; {@link #step} starts the first step. */
  public static final class Builder {
    private final String name;
    private final Duration timeout;
    private final SagaRecovery recovery;

    private Builder(String name, Duration timeout, SagaRecovery recovery) {
      this.name = name;
      this.timeout = timeout;
      this.recovery = recovery;
    }

    /** A run still going forward after {@code timeout} is compensated. Default: the coordinator's {@code saga.defaultTimeout}. */
    public Builder timeout(Duration timeout) {
      return new Builder(name, Objects.requireNonNull(timeout, "timeout"), recovery);
    }

    /**
     * {@link SagaRecovery#COMPENSATE} (the default): a step that fails for good compensates every
     * step that ran or may have run, in reverse dependency order. {@link SagaRecovery#FORWARD}:
     * never compensate; retry every step until it succeeds.
     */
    public Builder recovery(SagaRecovery recovery) {
      return new Builder(name, timeout, Objects.requireNonNull(recovery, "recovery"));
    }

    /** Starts a step called {@code name}; its action comes next. */
    public ActionStage step(String name) {
      return new ActionStage(this, List.of(), name);
    }

    SagaDefinition build(List<StepDefinition> steps) {
      return new SagaDefinition(name, timeout, recovery, steps);
    }
  }

  /** A step that has a name and needs its action. */
  public static final class ActionStage {
    private final Builder saga;
    private final List<StepDefinition> done;
    private final String name;

    private ActionStage(Builder saga, List<StepDefinition> done, String name) {
      this.saga = saga;
      this.done = done;
      this.name = name;
    }

    /** The request that does this step. Its 2xx answer becomes the step's result, which later steps may {@link Ref refer to}. */
    public StepStage action(HttpCall action) {
      return new StepStage(saga, done,
          new StepDefinition(name, Objects.requireNonNull(action, "action"), null, null, false, null, null, null, null));
    }
  }

  /** A step with its action; the rest is optional. Then the next step, or {@link #build()}. */
  public static final class StepStage {
    private final Builder saga;
    private final List<StepDefinition> done;
    private final StepDefinition step;

    private StepStage(Builder saga, List<StepDefinition> done, StepDefinition step) {
      this.saga = saga;
      this.done = done;
      this.step = step;
    }

    private StepStage with(StepDefinition next) {
      return new StepStage(saga, done, next);
    }

    /**
     * The request that undoes this step. The coordinator sends it to every step that ran or may
     * have run when the saga compensates, including a step whose action failed or was never
     * answered, so it must be safe for an action that never happened (the branch barrier in
     * tx-client makes it so).
     */
    public StepStage compensation(HttpCall compensation) {
      return with(new StepDefinition(step.name(), step.action(), Objects.requireNonNull(compensation, "compensation"),
          step.dependsOn(), step.pivot(), step.attemptsMax(), step.backoffInitial(), step.backoffMax(), step.timeout()));
    }

    /**
     * The steps that must succeed before this one starts; none ({@code dependsOn()}) starts it at
     * once. Steps whose dependencies are met together run in parallel. Without this call a step
     * depends on the step before it.
     */
    public StepStage dependsOn(String... steps) {
      return with(new StepDefinition(step.name(), step.action(), step.compensation(), Arrays.asList(steps.clone()),
          step.pivot(), step.attemptsMax(), step.backoffInitial(), step.backoffMax(), step.timeout()));
    }

    /**
     * Makes this step a pivot: once it succeeds the saga only goes forward, retrying the remaining
     * steps until they succeed. A pivot may have no compensation.
     */
    public StepStage pivot() {
      return with(new StepDefinition(step.name(), step.action(), step.compensation(), step.dependsOn(), true,
          step.attemptsMax(), step.backoffInitial(), step.backoffMax(), step.timeout()));
    }

    /** Attempts of the action before the step fails for good (at least 1). Default: the coordinator's {@code saga.stepAttemptsMax}. */
    public StepStage attempts(int attemptsMax) {
      return with(new StepDefinition(step.name(), step.action(), step.compensation(), step.dependsOn(), step.pivot(),
          attemptsMax, step.backoffInitial(), step.backoffMax(), step.timeout()));
    }

    /**
     * The wait between failed calls of this step: {@code initial} after the first failure,
     * doubling up to {@code max}, with jitter. Default: the coordinator's {@code retry.*Backoff}.
     */
    public StepStage backoff(Duration initial, Duration max) {
      return with(new StepDefinition(step.name(), step.action(), step.compensation(), step.dependsOn(), step.pivot(),
          step.attemptsMax(), Objects.requireNonNull(initial, "initial"), Objects.requireNonNull(max, "max"), step.timeout()));
    }

    /** How long one call of this step may take. Default: the coordinator's {@code participant.callTimeout}. */
    public StepStage timeout(Duration timeout) {
      return with(new StepDefinition(step.name(), step.action(), step.compensation(), step.dependsOn(), step.pivot(),
          step.attemptsMax(), step.backoffInitial(), step.backoffMax(), Objects.requireNonNull(timeout, "timeout")));
    }

    /** Ends this step and starts the next one, called {@code name}. */
    public ActionStage step(String name) {
      return new ActionStage(saga, steps(), name);
    }

    /**
     * The definition.
     *
     * @throws SagaValidationException listing every problem, each naming its step; nothing is submitted
     */
    public SagaDefinition build() {
      return saga.build(steps());
    }

    private List<StepDefinition> steps() {
      List<StepDefinition> all = new ArrayList<>(done);
      all.add(step);
      return List.copyOf(all);
    }
  }
}
