package io.covenant.testkit.internal;

import io.covenant.protocol.Op;
import io.covenant.testkit.Rule;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The scenarios of a contract, made from its {@link Shape}: the plain flows, then repeats, late
 * and reordered calls, concurrent copies, a forward call racing its undo, and an unknown op. Each
 * runs on a fresh gid. In the comments, F is the forward call (try, action, or the 2PC phase one),
 * C the finishing call (confirm, commit) and U the undo (cancel, compensate, rollback).
 */
final class Scenarios {
  /** An op no participant knows. */
  static final String UNKNOWN_OP = "no-such-op";

  private Scenarios() {}

  static List<Scenario> of(Settings settings) {
    Shape shape = settings.shape();
    Op f = shape.forward();
    Op c = shape.finish();
    Op u = shape.undo();
    String fn = shape.forwardName();
    String un = u.code();
    int copies = settings.copies();
    List<Scenario> all = new ArrayList<>();

    // F, C: the plain flow that commits. The kit learned the same flow on another gid, so this also
    // checks that the probe describes the effect rather than the branch.
    if (c != null) {
      all.add(new Scenario("finish", fn + ", " + c.code() + ": both done", run -> {
        run.forward(Rule.HAPPY_PATH);
        run.effectIs(run.baselines().forward(), Rule.EFFECT_OBSERVABLE);
        run.mustBeDone(c, Rule.HAPPY_PATH, true);
        if (run.probed()) {
          mustSeeSomething(run, run.effectIs(run.baselines().finish(), Rule.EFFECT_OBSERVABLE));
        }
      }));
    } else {
      all.add(new Scenario("forward", fn + ": done", run -> {
        run.forward(Rule.HAPPY_PATH);
        if (run.probed()) {
          mustSeeSomething(run, run.effectIs(run.baselines().forward(), Rule.EFFECT_OBSERVABLE));
        }
      }));
    }

    // F, U: the plain flow that rolls back; the undo must take the forward effect back.
    all.add(new Scenario("undo", fn + ", " + un + ": " + un + " takes the " + fn + " back", run -> {
      run.forward(Rule.HAPPY_PATH);
      Object afterForward = run.probed() ? run.effect() : null;
      run.mustBeDone(u, Rule.HAPPY_PATH, true);
      if (run.probed()) {
        Object afterUndo = run.effectIs(run.baselines().undo(), Rule.EFFECT_OBSERVABLE);
        if (!Effects.same(afterForward, run.nothing()) && Effects.same(afterUndo, afterForward)) {
          run.violate(Rule.UNDO_UNDOES, un + " left the effect of " + fn + " in place: " + Effects.show(afterUndo),
              run.nothing(), afterUndo);
        }
      }
    }));

    // F, F: a repeated try or action.
    if (f != null) {
      all.add(new Scenario("forward-twice", fn + " twice: takes effect once", run -> {
        run.forward(Rule.HAPPY_PATH);
        run.mustBeDone(f, Rule.IDEMPOTENT, false);
        run.effectIs(run.baselines().forward(), Rule.IDEMPOTENT);
      }));
    }
    // F, C, C
    if (c != null) {
      all.add(new Scenario("finish-twice", c.code() + " twice: takes effect once", run -> {
        run.forward(Rule.HAPPY_PATH);
        run.mustBeDone(c, Rule.HAPPY_PATH, true);
        run.mustBeDone(c, Rule.IDEMPOTENT, false);
        run.effectIs(run.baselines().finish(), Rule.IDEMPOTENT);
      }));
    }
    // F, U, U
    all.add(new Scenario("undo-twice", un + " twice: takes effect once", run -> {
      run.forward(Rule.HAPPY_PATH);
      run.mustBeDone(u, Rule.HAPPY_PATH, true);
      run.mustBeDone(u, Rule.IDEMPOTENT, false);
      run.effectIs(run.baselines().undo(), Rule.IDEMPOTENT);
    }));
    if (f != null && c != null) {
      // F, C, F: a duplicate try delayed past the confirm. Done (a repeat) or refused are both safe.
      all.add(new Scenario("forward-after-finish", "a late duplicate " + fn + " after " + c.code() + ": changes nothing",
          run -> {
            run.forward(Rule.HAPPY_PATH);
            run.mustBeDone(c, Rule.HAPPY_PATH, true);
            mustSettle(run, f, Rule.IDEMPOTENT);
            run.effectIs(run.baselines().finish(), Rule.IDEMPOTENT);
          }));
    }
    if (f != null) {
      // F, U, F: a duplicate try delayed past the cancel; it must not reserve again.
      all.add(new Scenario("forward-after-undo", "a late duplicate " + fn + " after " + un + ": changes nothing",
          run -> {
            run.forward(Rule.HAPPY_PATH);
            run.mustBeDone(u, Rule.HAPPY_PATH, true);
            mustSettle(run, f, Rule.NO_SUSPENDED_TRY);
            run.effectIs(run.baselines().undo(), Rule.NO_SUSPENDED_TRY);
          }));
    }

    // U, U without F: the null compensation, repeated.
    all.add(new Scenario("undo-alone", un + " without " + fn + ": a null compensation, done and changing nothing",
        run -> {
          run.mustBeDone(u, Rule.NULL_COMPENSATION, true);
          run.effectIsNothing(Rule.NULL_COMPENSATION);
          run.mustBeDone(u, Rule.IDEMPOTENT, false);
          run.effectIsNothing(Rule.IDEMPOTENT);
        }));
    if (f != null) {
      // U, then the late F: refused, nothing suspended.
      all.add(new Scenario("forward-after-its-undo", fn + " after its " + un + ": refused with 409, nothing held",
          run -> {
            run.mustBeDone(u, Rule.NULL_COMPENSATION, true);
            run.mustBeRefused(f, Rule.NO_SUSPENDED_TRY, "otherwise what it does is never taken back");
            run.effectIsNothing(Rule.NO_SUSPENDED_TRY);
          }));
    }

    // Concurrent copies.
    if (f != null) {
      all.add(new Scenario("forward-concurrently", copies + " copies of " + fn + " at once: take effect once", run -> {
        List<Answer> answers = run.together(f, copies);
        run.noCopyRefused(f, answers, Rule.CONCURRENT_ONCE);
        if (answers.stream().noneMatch(Answer::done)) {
          run.mustBeDone(f, Rule.CONCURRENT_ONCE, true);
        }
        run.effectIs(run.baselines().forward(), Rule.CONCURRENT_ONCE);
      }));
    }
    if (c != null) {
      all.add(new Scenario("finish-concurrently", copies + " copies of " + c.code() + " at once: take effect once",
          run -> concurrently(run, c, run.baselines().finish())));
    }
    all.add(new Scenario("undo-concurrently", copies + " copies of " + un + " at once: take effect once",
        run -> concurrently(run, u, run.baselines().undo())));

    // F racing U, several rounds: whatever the order, nothing may stay held. Even rounds send the
    // undo a moment first, so that both orders get their chance.
    if (f != null) {
      for (int round = 1; round <= settings.races(); round++) {
        boolean undoLeads = round % 2 == 0;
        all.add(new Scenario("race-" + round, fn + " racing its " + un + " (round " + round + " of " + settings.races()
            + "): nothing stays held", run -> {
              List<Answer> answers = run.race(f, u, undoLeads);
              if (answers.get(1).refused()) {
                run.violate(Rule.NO_REFUSAL_AFTER_DECISION, un + " was refused: " + answers.get(1).describe());
              } else if (!answers.get(1).done()) {
                run.mustBeDone(u, answers.get(0).done() ? Rule.HAPPY_PATH : Rule.NULL_COMPENSATION, false);
              }
              if (answers.get(0).transientFailure()) {
                mustSettle(run, f, Rule.NO_SUSPENDED_TRY);
              }
              run.effectIsNothing(Rule.NO_SUSPENDED_TRY);
            }));
      }
    }

    // An unknown op, to every URL of the mode.
    all.add(new Scenario("unknown-op", "an unknown Covenant-Op: not done, changes nothing", run -> {
      Set<String> seen = new LinkedHashSet<>();
      for (Op op : shape.calls()) {
        if (seen.add(run.urlOf(op))) {
          Answer answer = run.onceAs(op, UNKNOWN_OP);
          if (answer.done()) {
            run.violate(Rule.REJECTS_UNKNOWN_OP, "Covenant-Op: " + UNKNOWN_OP + " to the " + op.code()
                + " URL was answered " + answer.describe());
          }
        }
      }
      run.effectIsNothing(Rule.REJECTS_UNKNOWN_OP);
    }));
    return List.copyOf(all);
  }

  /** F, then copies of {@code op} at once; settled as the coordinator would; effect once. */
  private static void concurrently(ScenarioRun run, Op op, Expected expected) {
    run.forward(Rule.HAPPY_PATH);
    List<Answer> answers = run.together(op, run.copies());
    run.noCopyRefused(op, answers, Rule.CONCURRENT_ONCE);
    if (answers.stream().noneMatch(Answer::done)) {
      // The coordinator calls again until one is done.
      run.mustBeDone(op, Rule.CONCURRENT_ONCE, false);
    }
    run.effectIs(expected, Rule.CONCURRENT_ONCE);
  }

  /** A late or raced call may be done (a repeat) or refused, but must not keep failing. */
  private static void mustSettle(ScenarioRun run, Op op, Rule rule) {
    String after = run.history();
    Answer answer = run.settle(op);
    if (answer.transientFailure()) {
      run.violate(rule, op.code() + " after " + after + " was neither done nor refused: " + answer.describe());
    }
  }

  /** The probe must tell the plain flow's end from "nothing happened", or it can check nothing. */
  private static void mustSeeSomething(ScenarioRun run, Object effect) {
    if (Effects.same(effect, run.nothing())) {
      run.violate(Rule.EFFECT_OBSERVABLE, "the effect probe shows the same after " + run.history()
          + " as before the first call (" + Effects.show(effect) + "), so it cannot tell a repeated effect"
          + " from none; make it observe what the participant changes");
    }
  }
}
