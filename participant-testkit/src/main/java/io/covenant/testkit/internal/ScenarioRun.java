package io.covenant.testkit.internal;

import io.covenant.protocol.Op;
import io.covenant.testkit.Branch;
import io.covenant.testkit.ContractViolations;
import io.covenant.testkit.Rule;
import io.covenant.testkit.RuleViolation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * One scenario on one branch: sends its calls, observes the effects, writes the transcript and
 * collects every broken rule. A check that fails records a {@link RuleViolation} and the scenario
 * goes on, so that one run reports all it can; only a call that later steps need (a try before its
 * confirm) ends it early when it is not done.
 *
 * <p>Not thread-safe: one test thread drives it; concurrent copies are sent and awaited here.
 */
final class ScenarioRun {
  /** Ends a scenario whose later steps depend on a call that was not done. */
  static final class Stop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stop() {
      super(null, null, false, false);
    }
  }

  private static final String NO_CALL = "no call";

  private final Suite suite;
  private final Settings settings;
  private final String title;
  private final Branch branch;
  private final List<String> lines = new ArrayList<>();
  private final List<RuleViolation> violations = new ArrayList<>();
  private final List<String> history = new ArrayList<>();
  private Object before;
  private int calls;

  ScenarioRun(Suite suite, String title, Branch branch) {
    this.suite = suite;
    this.settings = suite.settings();
    this.title = title;
    this.branch = branch;
  }

  Branch branch() {
    return branch;
  }

  int copies() {
    return settings.copies();
  }

  /** The URL of {@code op}, as text. */
  String urlOf(Op op) {
    return suite.caller().url(op).toString();
  }

  boolean probed() {
    return settings.probe() != null;
  }

  Baselines baselines() {
    return suite.baselines();
  }

  /** The calls done so far, for messages: "try, confirm, confirm". */
  String history() {
    return history.isEmpty() ? NO_CALL : String.join(", ", history);
  }

  List<RuleViolation> violations() {
    return violations;
  }

  // ---------------------------------------------------------------- calls

  /** Observes the effect before the first call; every effect of this run is relative to it. */
  void start() {
    if (probed()) {
      before = observe();
      lines.add("effect before the first call: " + before);
    }
  }

  /** Sends {@code op} once. */
  Answer once(Op op) {
    Answer answer = await(suite.caller().send(suite.caller().url(op), branch, op.code()));
    lines.add(++calls + ". " + op.code() + " -> " + answer.describe());
    return answer;
  }

  /** Sends {@code opCode}, which need not be a known op, to {@code op}'s URL once. */
  Answer onceAs(Op urlOf, String opCode) {
    Answer answer = await(suite.caller().send(suite.caller().url(urlOf), branch, opCode));
    lines.add(++calls + ". " + opCode + " (to the " + urlOf.code() + " URL) -> " + answer.describe());
    return answer;
  }

  /**
   * Sends {@code op} until it is done or refused, as the coordinator would, at most
   * {@code attemptsMax} times; returns the last answer.
   */
  Answer settle(Op op) {
    Answer answer = once(op);
    for (int attempt = 1; answer.transientFailure() && attempt < settings.attemptsMax(); attempt++) {
      Answer again = await(suite.caller().send(suite.caller().url(op), branch, op.code()));
      lines.add(++calls + ". " + op.code() + " (sent again) -> "
          + (again.describe().equals(answer.describe()) ? "the same" : again.describe()));
      answer = again;
    }
    history.add(op.code());
    return answer;
  }

  /** Sends {@code copies} copies of {@code op} at once and waits for every answer. */
  List<Answer> together(Op op, int copies) {
    List<CompletableFuture<Answer>> inFlight = new ArrayList<>();
    for (int i = 0; i < copies; i++) {
      inFlight.add(suite.caller().send(suite.caller().url(op), branch, op.code()));
    }
    List<Answer> answers = inFlight.stream().map(this::await).collect(Collectors.toList());
    lines.add(++calls + ". " + op.code() + " x" + copies + " at once -> "
        + answers.stream().map(Answer::brief).collect(Collectors.joining(", ")));
    answers.stream().filter(a -> !a.done()).map(Answer::describe).distinct()
        .forEach(a -> lines.add("   (" + a + ")"));
    history.add(copies + " x " + op.code() + " at once");
    return answers;
  }

  /**
   * Sends {@code first} and {@code second} at once, {@code second} a moment earlier when
   * {@code secondLeads}; returns their answers in the order first, second.
   */
  List<Answer> race(Op first, Op second, boolean secondLeads) {
    CompletableFuture<Answer> a;
    CompletableFuture<Answer> b;
    if (secondLeads) {
      b = suite.caller().send(suite.caller().url(second), branch, second.code());
      a = suite.caller().send(suite.caller().url(first), branch, first.code());
    } else {
      a = suite.caller().send(suite.caller().url(first), branch, first.code());
      b = suite.caller().send(suite.caller().url(second), branch, second.code());
    }
    List<Answer> answers = List.of(await(a), await(b));
    lines.add(++calls + ". " + first.code() + " and " + second.code() + " at once -> " + first.code() + " "
        + answers.get(0).describe() + ", " + second.code() + " " + answers.get(1).describe());
    history.add(first.code() + " racing " + second.code());
    return answers;
  }

  /** Runs the user's phase one (2PC). */
  void prepare() {
    try {
      settings.phaseOne().prepare(branch);
    } catch (Exception e) {
      throw new ScenarioError("the PhaseOne given to the kit failed for " + branch, e);
    }
    lines.add(++calls + ". prepare (your PhaseOne) -> done");
    history.add("prepare");
  }

  /** The forward step of the mode: the try or action call, or the user's phase one. */
  void forward(Rule rule) {
    Op forward = settings.shape().forward();
    if (forward == null) {
      prepare();
    } else {
      mustBeDone(forward, rule, true);
    }
  }

  // ---------------------------------------------------------------- checks of answers

  /**
   * {@code op} must end done. A refusal of a decided op breaks
   * {@link Rule#NO_REFUSAL_AFTER_DECISION}; anything else breaks {@code rule}. When
   * {@code required}, the scenario stops there.
   */
  Answer mustBeDone(Op op, Rule rule, boolean required) {
    String after = history();
    boolean repeat = history.contains(op.code());
    Answer answer = settle(op);
    if (!answer.done()) {
      String which = (repeat ? "the repeated " : "") + op.code() + (after.equals(NO_CALL) ? "" : " after " + after);
      if (answer.refused() && Shape.decided(op)) {
        violate(Rule.NO_REFUSAL_AFTER_DECISION, which + " was refused: " + answer.describe());
      } else if (answer.refused()) {
        violate(rule, which + " was refused: " + answer.describe());
      } else {
        violate(rule, which + " was not done in " + settings.attemptsMax() + " attempts; last answer "
            + answer.describe());
      }
      if (required) {
        throw new Stop();
      }
    }
    return answer;
  }

  /** {@code op} must end refused with 409 (not done, and not failing). */
  void mustBeRefused(Op op, Rule rule, String why) {
    String after = history();
    Answer answer = settle(op);
    if (!answer.refused()) {
      violate(rule, op.code() + " after " + after + " must be refused with 409 (" + why + "); it answered "
          + (answer.transientFailure() && settings.attemptsMax() > 1
              ? answer.describe() + " in all " + settings.attemptsMax() + " attempts" : answer.describe()));
    }
  }

  /** Copies answered 409 break {@code rule} (or {@link Rule#NO_REFUSAL_AFTER_DECISION}). */
  void noCopyRefused(Op op, List<Answer> answers, Rule rule) {
    long refused = answers.stream().filter(Answer::refused).count();
    if (refused > 0) {
      Rule broken = Shape.decided(op) ? Rule.NO_REFUSAL_AFTER_DECISION : rule;
      violate(broken, refused + " of " + answers.size() + " concurrent copies of " + op.code()
          + " were refused with 409; a copy must answer as the first did");
    }
  }

  // ---------------------------------------------------------------- checks of effects

  /** The effect now, relative to the start; only when probed. */
  Object effect() {
    Object now = observe();
    Object effect = Effects.effect(before, now);
    lines.add("   effect: " + Effects.show(effect));
    return effect;
  }

  Object nothing() {
    return Effects.nothing(before);
  }

  /**
   * The effect must equal {@code expected}. Skipped (noted) when not probed or not learned.
   *
   * @return the effect, or null when not probed
   */
  Object effectIs(Expected expected, Rule rule) {
    if (!probed()) {
      return null;
    }
    Object effect = effect();
    if (!expected.known()) {
      lines.add("   (effect not judged: " + expected.missing() + ")");
      return effect;
    }
    if (!Effects.same(effect, expected.value())) {
      violate(rule, "after " + history() + " the effect is " + Effects.show(effect) + "; expected "
          + Effects.show(expected.value()) + ", " + expected.origin(), expected.value(), effect);
    }
    return effect;
  }

  /**
   * The effect must be "nothing happened": what the probe saw before the first call, or (for a
   * participant whose probe shows a cancelled branch as such) the effect of forward then undo.
   */
  void effectIsNothing(Rule rule) {
    if (!probed()) {
      return;
    }
    Object effect = effect();
    Object nothing = nothing();
    if (Effects.same(effect, nothing)) {
      return;
    }
    Expected undone = baselines().undo();
    if (undone.known() && Effects.same(effect, undone.value())) {
      return;
    }
    violate(rule, "after " + history() + " the effect is " + Effects.show(effect) + "; expected nothing ("
        + Effects.show(nothing) + ")" + (undone.known() ? " or " + Effects.show(undone.value()) + ", " + undone.origin() : ""),
        nothing, effect);
  }

  void violate(Rule rule, String message) {
    violations.add(new RuleViolation(rule, message));
    lines.add("   ! " + rule.id());
  }

  void violate(Rule rule, String message, Object expected, Object actual) {
    violations.add(new RuleViolation(rule, message, expected, actual));
    lines.add("   ! " + rule.id());
  }

  void note(String line) {
    lines.add(line);
  }

  // ---------------------------------------------------------------- the end

  String transcript() {
    StringBuilder out = new StringBuilder()
        .append(settings.name()).append(" (").append(settings.shape().mode()).append("), ").append(branch).append('\n');
    for (Op op : settings.shape().calls()) {
      out.append("  ").append(op.code()).append(": POST ").append(urlOrProblem(op)).append('\n');
    }
    out.append("calls and answers:\n");
    lines.forEach(line -> out.append("  ").append(line).append('\n'));
    return out.toString().stripTrailing();
  }

  private String urlOrProblem(Op op) {
    try {
      return suite.caller().url(op).toString();
    } catch (RuntimeException e) {
      return "(" + e.getMessage() + ")";
    }
  }

  /** Throws the collected violations, if any. */
  void finish() {
    if (!violations.isEmpty()) {
      throw new ContractViolations(title, transcript(), violations);
    }
  }

  private Object observe() {
    try {
      return settings.probe().observe(branch);
    } catch (Exception e) {
      throw new ScenarioError("the EffectProbe given to the kit failed for " + branch, e);
    }
  }

  private Answer await(CompletableFuture<Answer> answer) {
    try {
      // The call itself times out after callTimeout; the margin covers connecting.
      return answer.get(settings.callTimeout().toMillis() * 2 + 1_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ScenarioError("interrupted while waiting for an answer", e);
    } catch (ExecutionException | TimeoutException e) {
      return Answer.none(e.toString());
    }
  }
}
