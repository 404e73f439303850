package io.covenant.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.covenant.protocol.Op;
import io.covenant.testkit.internal.Scenario;
import io.covenant.testkit.internal.Settings;
import io.covenant.testkit.internal.Shape;
import io.covenant.testkit.internal.Suite;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Checks a participant against the rules of the participant protocol by calling its real
 * endpoints the way a coordinator that retries and reorders would: repeated calls, an undo before
 * its try and the late try after it, copies of one call at the same time, a try racing its cancel,
 * an unknown op. Each scenario runs on a fresh gid and reports every rule it saw broken, with the
 * calls sent, the answers received and the effects observed (see {@link ContractViolations}).
 *
 * <p>Answers are judged by the protocol (2xx done, 409 refused, anything else transient, which
 * the kit retries like the coordinator, up to {@link #attemptsMax(int)} times). Effects are judged
 * through the {@link EffectProbe} you give: without one, the kit checks answers only, and a
 * participant that answers 200 to everything while doing the work twice passes.
 *
 * <p>Two ways to run it:
 *
 * <pre>{@code
 * // 1. As an extension: every scenario is an invocation of a @ParticipantContract method.
 * @RegisterExtension
 * static ParticipantContractExtension stock = ParticipantContractExtension
 *     .forTcc(() -> url("/stock"), () -> url("/stock"), () -> url("/stock"))  // resolved when a call is sent
 *     .payload(Map.of("sku", "A-1", "qty", 2))
 *     .effects(branch -> inventory.effectOf(branch.gid()));
 *
 * @ParticipantContract
 * void stockKeepsTheContract() {}
 *
 * // 2. As dynamic tests, when the URLs are only known inside the test.
 * @TestFactory
 * Stream<DynamicTest> stockKeepsTheContract() {
 *   return ParticipantContractExtension.forTcc(url, url, url).payload(order).effects(probe).scenarios();
 * }
 * }</pre>
 *
 * <p>Configuration methods return a new, independent extension: instances are immutable and may
 * be shared. The scenarios of one instance run one after another; the effects of the plain flows
 * (try then confirm, try then cancel) are learned once per instance, on gids of their own, and
 * every other scenario is compared with them.
 */
public final class ParticipantContractExtension implements TestTemplateInvocationContextProvider {
  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
  private static final String DEFAULT_NAME = "participant";

  private final Settings settings;
  private final boolean named;
  private Suite suite;

  private ParticipantContractExtension(Settings settings, boolean named) {
    this.settings = settings;
    this.named = named;
  }

  // ---------------------------------------------------------------- the three modes

  /** A TCC participant: the initiator's try, the coordinator's confirm and cancel. */
  public static ParticipantContractExtension forTcc(String tryUrl, String confirmUrl, String cancelUrl) {
    return forTcc(fixed(tryUrl), fixed(confirmUrl), fixed(cancelUrl));
  }

  /** {@link #forTcc(String, String, String)} with URLs resolved when a call is sent. */
  public static ParticipantContractExtension forTcc(
      Supplier<String> tryUrl, Supplier<String> confirmUrl, Supplier<String> cancelUrl) {
    return of(Shape.TCC, Map.of(Op.TRY, tryUrl, Op.CONFIRM, confirmUrl, Op.CANCEL, cancelUrl));
  }

  /** A saga step: its action and its compensation. */
  public static ParticipantContractExtension forSaga(String actionUrl, String compensateUrl) {
    return forSaga(fixed(actionUrl), fixed(compensateUrl));
  }

  /** {@link #forSaga(String, String)} with URLs resolved when a call is sent. */
  public static ParticipantContractExtension forSaga(Supplier<String> actionUrl, Supplier<String> compensateUrl) {
    return of(Shape.SAGA, Map.of(Op.ACTION, actionUrl, Op.COMPENSATE, compensateUrl));
  }

  /**
   * A 2PC participant: the coordinator's commit and rollback of a branch the participant prepared
   * itself. Say how it prepares with {@link #phaseOne(PhaseOne)}.
   */
  public static ParticipantContractExtension forTwoPhase(String commitUrl, String rollbackUrl) {
    return forTwoPhase(fixed(commitUrl), fixed(rollbackUrl));
  }

  /** {@link #forTwoPhase(String, String)} with URLs resolved when a call is sent. */
  public static ParticipantContractExtension forTwoPhase(Supplier<String> commitUrl, Supplier<String> rollbackUrl) {
    return of(Shape.TWO_PHASE, Map.of(Op.COMMIT, commitUrl, Op.ROLLBACK, rollbackUrl));
  }

  private static ParticipantContractExtension of(Shape shape, Map<Op, Supplier<String>> urls) {
    Map<Op, Supplier<String>> checked = new EnumMap<>(Op.class);
    urls.forEach((op, url) -> checked.put(op, Objects.requireNonNull(url, op.code() + " URL")));
    return new ParticipantContractExtension(new Settings(DEFAULT_NAME, shape, checked, "kit-branch", null, null,
        PhaseOne.nothing(), Map.of(), 8, 3, 3, Duration.ofSeconds(10)), false);
  }

  private static Supplier<String> fixed(String url) {
    Objects.requireNonNull(url, "url");
    return () -> url;
  }

  // ---------------------------------------------------------------- configuration

  /**
   * Names the participant in reports and display names, and lets
   * {@code @ParticipantContract("name")} pick this contract when a class registers several.
   * Default: {@code participant}.
   */
  public ParticipantContractExtension named(String name) {
    requireText(name, "name");
    return with(s().withName(name), true);
  }

  /** The {@code Covenant-Branch} of every call (the gid is new for each scenario). Default: {@code kit-branch}. */
  public ParticipantContractExtension branch(String branchId) {
    requireText(branchId, "branchId");
    return with(s().withBranchId(branchId), named);
  }

  /**
   * The branch payload, sent as the JSON body of every call, as the coordinator sends the
   * registered payload. A {@code String} is taken as JSON text and must parse; anything else is
   * written with Jackson; {@code null} (the default) sends an empty body. It must be a payload the
   * participant accepts: the plain flows must succeed for the kit to learn their effects.
   *
   * @throws IllegalArgumentException if a String is not JSON or the value cannot be written as JSON
   */
  public ParticipantContractExtension payload(Object payload) {
    byte[] body;
    try {
      if (payload == null) {
        body = null;
      } else if (payload instanceof String) {
        body = JSON.writeValueAsBytes(JSON.readTree((String) payload));
      } else {
        body = JSON.writeValueAsBytes(payload);
      }
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the payload is not JSON: " + e.getOriginalMessage(), e);
    }
    return with(s().withPayload(body), named);
  }

  /** How to observe the participant's effect for a branch. Without it, only answers are checked. */
  public ParticipantContractExtension effects(EffectProbe probe) {
    Objects.requireNonNull(probe, "probe");
    return with(s().withProbe(probe), named);
  }

  /**
   * 2PC only: how the participant prepares a branch before the coordinator commits or rolls it
   * back. Default: nothing to prepare.
   *
   * @throws IllegalStateException for a TCC or saga contract, whose first call the kit sends itself
   */
  public ParticipantContractExtension phaseOne(PhaseOne phaseOne) {
    Objects.requireNonNull(phaseOne, "phaseOne");
    if (s().shape() != Shape.TWO_PHASE) {
      throw new IllegalStateException("phaseOne is for 2PC contracts; a " + s().shape().mode()
          + " contract sends its " + s().shape().forwardName() + " itself");
    }
    return with(s().withPhaseOne(phaseOne), named);
  }

  /** A header to send with every call besides the Covenant ones, for example an authorization. */
  public ParticipantContractExtension header(String name, String value) {
    requireText(name, "header name");
    Objects.requireNonNull(value, "header value");
    Map<String, String> headers = new LinkedHashMap<>(s().headers());
    headers.put(name, value);
    return with(s().withHeaders(headers), named);
  }

  /** How many copies of a call the concurrency scenarios send at once; at least 2. Default: 8. */
  public ParticipantContractExtension concurrentCopies(int copies) {
    if (copies < 2) {
      throw new IllegalArgumentException("concurrentCopies must be at least 2, not " + copies);
    }
    return with(s().withCopies(copies), named);
  }

  /**
   * How many rounds of "try racing its cancel" (or action racing its compensate) to run, each on
   * its own gid and shown as its own scenario; 0 leaves the race out. Default: 3.
   */
  public ParticipantContractExtension races(int rounds) {
    if (rounds < 0) {
      throw new IllegalArgumentException("races must be 0 or more, not " + rounds);
    }
    return with(s().withRaces(rounds), named);
  }

  /**
   * How many times the kit sends a call that got a transient answer (neither 2xx nor 409, or no
   * answer), as the coordinator would, before it counts the call as not done. Default: 3.
   */
  public ParticipantContractExtension attemptsMax(int attempts) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attemptsMax must be at least 1, not " + attempts);
    }
    return with(s().withAttemptsMax(attempts), named);
  }

  /** How long one call may take before it counts as unanswered (transient). Default: 10 s. */
  public ParticipantContractExtension callTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("callTimeout must be positive, not " + timeout);
    }
    return with(s().withCallTimeout(timeout), named);
  }

  // ---------------------------------------------------------------- running

  /**
   * The scenarios as dynamic tests, for a {@code @TestFactory}. Each one throws
   * {@link ContractViolations} when the participant broke a rule in it.
   */
  public Stream<DynamicTest> scenarios() {
    Suite suite = suite();
    return suite.scenarios().stream().map(s -> DynamicTest.dynamicTest(displayName(s), () -> suite.run(s)));
  }

  /** The scenario names, in the order they run. */
  public List<String> scenarioNames() {
    return suite().scenarios().stream().map(this::displayName).toList();
  }

  @Override
  public boolean supportsTestTemplate(ExtensionContext context) {
    return context.getTestMethod()
        .flatMap(method -> AnnotationSupport.findAnnotation(method, ParticipantContract.class))
        .map(contract -> contract.value().isEmpty() || contract.value().equals(settings.name()))
        .orElse(false);
  }

  @Override
  public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
    Suite suite = suite();
    return suite.scenarios().stream().map(scenario -> new ScenarioInvocation(suite, scenario, displayName(scenario)));
  }

  private String displayName(Scenario scenario) {
    return named ? settings.name() + ": " + scenario.title() : scenario.title();
  }

  private synchronized Suite suite() {
    if (suite == null) {
      suite = new Suite(settings);
    }
    return suite;
  }

  private Settings s() {
    return settings;
  }

  private ParticipantContractExtension with(Settings next, boolean isNamed) {
    return new ParticipantContractExtension(next, isNamed);
  }

  private static void requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
  }

  @Override
  public String toString() {
    return "ParticipantContractExtension[" + settings.name() + ", " + settings.shape().mode() + "]";
  }

  /** One scenario as one invocation of the template: the scenario runs, then (if it passed) the method. */
  private static final class ScenarioInvocation implements TestTemplateInvocationContext {
    private final Suite suite;
    private final Scenario scenario;
    private final String displayName;

    ScenarioInvocation(Suite suite, Scenario scenario, String displayName) {
      this.suite = suite;
      this.scenario = scenario;
      this.displayName = displayName;
    }

    @Override
    public String getDisplayName(int invocationIndex) {
      return displayName;
    }

    @Override
    public List<Extension> getAdditionalExtensions() {
      return List.of(new InvocationInterceptor() {
        @Override
        public void interceptTestTemplateMethod(Invocation<Void> invocation,
            ReflectiveInvocationContext<Method> invocationContext, ExtensionContext extensionContext) throws Throwable {
          try {
            suite.run(scenario);
          } catch (Throwable failure) {
            invocation.skip();
            throw failure;
          }
          invocation.proceed();
        }
      });
    }
  }
}
