package io.covenant.testkit.internal;

import io.covenant.protocol.Op;
import io.covenant.testkit.Branch;
import io.covenant.testkit.ContractViolations;
import io.covenant.testkit.Rule;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A contract ready to run: its scenarios, the HTTP caller they share, and the baselines (the
 * effects of the plain flows), learned once, on first use, on gids of their own.
 *
 * <p>Scenarios may run one after another on any thread; baselines are learned under a lock.
 */
public final class Suite {
  private final Settings settings;
  private final Caller caller;
  private final List<Scenario> scenarios;
  private Baselines baselines;

  public Suite(Settings settings) {
    this.settings = settings;
    this.caller = new Caller(settings);
    this.scenarios = Scenarios.of(settings);
  }

  public List<Scenario> scenarios() {
    return scenarios;
  }

  Settings settings() {
    return settings;
  }

  Caller caller() {
    return caller;
  }

  /**
   * Runs one scenario on a fresh gid.
   *
   * @throws ContractViolations listing every broken rule, with the transcript
   * @throws IllegalStateException when the probe or the phase one failed and no rule was broken yet
   */
  public void run(Scenario scenario) {
    // Learned first: the baselines' own calls must not fall inside this scenario's before and after,
    // which matters to a probe that reads a global figure.
    try {
      baselines();
    } catch (ScenarioError error) {
      throw new IllegalStateException(error.getMessage() + ", while learning the effects of the plain flows",
          error.getCause());
    }
    ScenarioRun run = new ScenarioRun(this, scenario.title(), newBranch(scenario.id()));
    try {
      run.start();
      scenario.body().run(run);
    } catch (ScenarioRun.Stop stop) {
      // A call the rest depended on was not done; its violation is already recorded.
    } catch (ScenarioError error) {
      if (run.violations().isEmpty()) {
        throw new IllegalStateException(error.getMessage() + "\n" + run.transcript(), error.getCause());
      }
      ContractViolations violations = new ContractViolations(scenario.title(), run.transcript(), run.violations());
      violations.addSuppressed(error);
      throw violations;
    }
    run.finish();
  }

  synchronized Baselines baselines() {
    if (baselines == null) {
      baselines = learn();
    }
    return baselines;
  }

  private Baselines learn() {
    Shape shape = settings.shape();
    String fn = shape.forwardName();
    Op finish = shape.finish();
    Op undo = shape.undo();

    if (settings.probe() == null) {
      return Baselines.unknown("no EffectProbe was given");
    }
    ScenarioRun forwardRun = new ScenarioRun(this, "baseline", newBranch("baseline"));
    Expected forward = null;
    Expected finished;
    try {
      forwardRun.start();
      forwardRun.forward(Rule.HAPPY_PATH);
      forward = Expected.of(forwardRun.effect(), "the effect of " + fn + " alone on gid " + forwardRun.branch().gid());
      if (finish == null) {
        finished = Expected.missing(shape.mode() + " has no finishing call");
      } else {
        forwardRun.mustBeDone(finish, Rule.HAPPY_PATH, true);
        finished = Expected.of(forwardRun.effect(),
            "the effect of " + fn + ", " + finish.code() + " on gid " + forwardRun.branch().gid());
      }
    } catch (ScenarioRun.Stop stop) {
      String why = "the kit could not learn it: " + forwardRun.violations().get(0).getMessage();
      if (forward == null) {
        forward = Expected.missing(why);
      }
      finished = Expected.missing(why);
    }

    ScenarioRun undoRun = new ScenarioRun(this, "baseline", newBranch("baseline"));
    Expected undone;
    try {
      undoRun.start();
      undoRun.forward(Rule.HAPPY_PATH);
      undoRun.mustBeDone(undo, Rule.HAPPY_PATH, true);
      undone = Expected.of(undoRun.effect(), "the effect of " + fn + ", " + undo.code() + " on gid " + undoRun.branch().gid());
    } catch (ScenarioRun.Stop stop) {
      undone = Expected.missing("the kit could not learn it: " + undoRun.violations().get(0).getMessage());
    }
    return new Baselines(forward, finished, undone);
  }

  private Branch newBranch(String scenarioId) {
    String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    return new Branch("kit-" + scenarioId + "-" + suffix, settings.branchId());
  }
}
