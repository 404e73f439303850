package io.covenant.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.covenant.testkit.StockParticipant.Flaw;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The kit against participants that each break a rule on purpose: it must report exactly the
 * scenarios that show the flaw, naming the broken rule, and pass all the others. Each fixture
 * class below is an ordinary user test of the kit, run here through JUnit's EngineTestKit.
 */
class BrokenParticipantsTest {

  @Test
  void reportsAConfirmThatTakesEffectTwice() {
    Report report = run(DoubleConfirm.class);

    assertThat(report.failed()).containsOnlyKeys("confirm twice: takes effect once",
        "8 copies of confirm at once: take effect once");
    assertThat(report.failed().get("confirm twice: takes effect once")).containsExactly(Rule.IDEMPOTENT);
    assertThat(report.failed().get("8 copies of confirm at once: take effect once"))
        .containsExactly(Rule.CONCURRENT_ONCE);
    assertThat(report.passed()).isEqualTo(report.total() - 2);
  }

  @Test
  void showsTheCallsTheAnswersAndBothEffectsOfABrokenRule() {
    Report report = run(DoubleConfirm.class);

    ContractViolations violations = report.violations("confirm twice: takes effect once");
    assertThat(violations.getMessage())
        .contains("broke 1 rule in \"confirm twice: takes effect once\"")
        .contains("1. try -> 200", "2. confirm -> 200", "3. confirm -> 200")
        .contains("[idempotent] after try, confirm, confirm the effect is Holding[held=-2, sold=4];"
            + " expected Holding[held=0, sold=2], the effect of try, confirm on gid kit-baseline-")
        .contains("(rule: a repeated call answers 2xx (already done) and takes no effect again)");
    RuleViolation violation = violations.violations().get(0);
    assertThat(violation.rule()).isEqualTo(Rule.IDEMPOTENT);
    assertThat(violation.getExpected().getEphemeralValue()).isEqualTo(new StockParticipant.Holding(0, 2));
    assertThat(violation.getActual().getEphemeralValue()).isEqualTo(new StockParticipant.Holding(-2, 4));
  }

  @Test
  void reportsATryThatReservesAfterItsCancel() {
    Report report = run(SuspendedTry.class);

    // The race reorders at random: when the cancel wins, the flaw shows there too.
    Set<String> races = report.names().stream().filter(n -> n.startsWith("try racing its cancel")).collect(Collectors.toSet());
    assertThat(report.failed()).containsKey("try after its cancel: refused with 409, nothing held");
    assertThat(races).hasSize(3);
    assertThat(report.failed().keySet()).isSubsetOf(union(races, "try after its cancel: refused with 409, nothing held"));
    report.failed().values().forEach(rules -> assertThat(rules).containsOnly(Rule.NO_SUSPENDED_TRY));
    assertThat(report.violations("try after its cancel: refused with 409, nothing held").getMessage())
        .contains("try after cancel must be refused with 409 (otherwise what it does is never taken back); it answered 200")
        .contains("after cancel, try the effect is Holding[held=2, sold=0]; expected nothing (Holding[held=0, sold=0])");
  }

  @Test
  void reportsACancelWithoutATryThatFails() {
    Report report = run(CancelNeedsTry.class);

    assertThat(report.failed()).containsOnlyKeys(
        "cancel without try: a null compensation, done and changing nothing",
        "try after its cancel: refused with 409, nothing held");
    report.failed().values().forEach(rules -> assertThat(rules).containsExactly(Rule.NULL_COMPENSATION));
    assertThat(report.violations("cancel without try: a null compensation, done and changing nothing").getMessage())
        .contains("1. cancel -> 500 (detail: cancel of branch kit-branch failed: java.lang.IllegalStateException:"
            + " nothing reserved for kit-undo-alone-")
        .contains("2. cancel (sent again) -> the same", "3. cancel (sent again) -> the same")
        .contains("[null-compensation] cancel was not done in 3 attempts; last answer 500");
  }

  @Test
  void reportsConcurrentConfirmsThatAllTakeEffect() {
    Report report = run(ConfirmCheckThenAct.class);

    assertThat(report.failed()).containsOnlyKeys("8 copies of confirm at once: take effect once");
    assertThat(report.failed().get("8 copies of confirm at once: take effect once")).containsExactly(Rule.CONCURRENT_ONCE);
    assertThat(report.violations("8 copies of confirm at once: take effect once").getMessage())
        .contains("2. confirm x8 at once -> 200, 200, 200, 200, 200, 200, 200, 200");
  }

  @Test
  void reportsASagaActionAfterItsCompensation() {
    Report report = run(SuspendedAction.class);

    String late = "action after its compensate: refused with 409, nothing held";
    Set<String> races = report.names().stream().filter(n -> n.startsWith("action racing its compensate"))
        .collect(Collectors.toSet());
    assertThat(report.failed()).containsKey(late);
    assertThat(report.failed().keySet()).isSubsetOf(union(races, late));
    report.failed().values().forEach(rules -> assertThat(rules).containsOnly(Rule.NO_SUSPENDED_TRY));
  }

  @Test
  void reportsATwoPhaseRollbackThatReleasesTwice() {
    Report report = run(DoubleRollback.class);

    assertThat(report.failed()).containsOnlyKeys("rollback twice: takes effect once",
        "8 copies of rollback at once: take effect once");
    assertThat(report.failed().get("rollback twice: takes effect once")).containsExactly(Rule.IDEMPOTENT);
    assertThat(report.failed().get("8 copies of rollback at once: take effect once")).containsExactly(Rule.CONCURRENT_ONCE);
  }

  @Test
  void checksTheAnswersAloneWithoutAnEffectProbe() {
    Report report = run(AnswersOkToEverything.class);

    assertThat(report.failed()).containsOnlyKeys("try after its cancel: refused with 409, nothing held",
        "an unknown Covenant-Op: not done, changes nothing");
    assertThat(report.failed().get("try after its cancel: refused with 409, nothing held"))
        .containsExactly(Rule.NO_SUSPENDED_TRY);
    assertThat(report.failed().get("an unknown Covenant-Op: not done, changes nothing"))
        .containsExactly(Rule.REJECTS_UNKNOWN_OP);
    assertThat(report.violations("an unknown Covenant-Op: not done, changes nothing").violations())
        .hasSize(3);   // one per URL: try, confirm and cancel each answered 200
  }

  // ------------------------------------------------------------------ fixtures

  @Fixture
  static class DoubleConfirm {
    @RegisterExtension static final ParticipantServer server = new ParticipantServer(Flaw.DOUBLE_CONFIRM);
    @RegisterExtension static final ParticipantContractExtension contract = server.tcc();

    @ParticipantContract
    void stock() {}
  }

  @Fixture
  static class SuspendedTry {
    @RegisterExtension static final ParticipantServer server = new ParticipantServer(Flaw.SUSPENDED_TRY);
    @RegisterExtension static final ParticipantContractExtension contract = server.tcc();

    @ParticipantContract
    void stock() {}
  }

  @Fixture
  static class CancelNeedsTry {
    @RegisterExtension static final ParticipantServer server = new ParticipantServer(Flaw.CANCEL_NEEDS_TRY);
    @RegisterExtension static final ParticipantContractExtension contract = server.tcc();

    @ParticipantContract
    void stock() {}
  }

  @Fixture
  static class ConfirmCheckThenAct {
    @RegisterExtension static final ParticipantServer server = new ParticipantServer(Flaw.CONFIRM_CHECK_THEN_ACT);
    @RegisterExtension static final ParticipantContractExtension contract = server.tcc();

    @ParticipantContract
    void stock() {}
  }

  @Fixture
  static class SuspendedAction {
    @RegisterExtension static final ParticipantServer server = new ParticipantServer(Flaw.SUSPENDED_ACTION);
    @RegisterExtension static final ParticipantContractExtension contract = server.saga();

    @ParticipantContract
    void shipment() {}
  }

  @Fixture
  static class DoubleRollback {
    @RegisterExtension static final ParticipantServer server = new ParticipantServer(Flaw.DOUBLE_ROLLBACK);
    @RegisterExtension static final ParticipantContractExtension contract = server.twoPhase();

    @ParticipantContract
    void ledger() {}
  }

  @Fixture
  static class AnswersOkToEverything {
    @RegisterExtension static final ParticipantServer.AnswersOkToEverything server =
        new ParticipantServer.AnswersOkToEverything();
    @RegisterExtension static final ParticipantContractExtension contract = ParticipantContractExtension
        .forTcc(() -> server.url("/try"), () -> server.url("/confirm"), () -> server.url("/cancel"));

    @ParticipantContract
    void anything() {}
  }

  // ------------------------------------------------------------------ running a fixture

  /** What a fixture class reported: the scenarios that failed with the rules each broke. */
  record Report(List<String> names, Map<String, List<Rule>> failed, Map<String, Throwable> failures, long passed) {
    long total() {
      return names.size();
    }

    ContractViolations violations(String scenario) {
      assertThat(failures).containsKey(scenario);
      return (ContractViolations) failures.get(scenario);
    }
  }

  private static Report run(Class<?> fixture) {
    EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
        .configurationParameter(Fixture.RUN, "true")
        .selectors(selectClass(fixture))
        .execute();
    results.containerEvents().assertStatistics(stats -> stats.failed(0).aborted(0));
    results.testEvents().assertStatistics(stats -> stats.skipped(0).aborted(0));
    List<String> names = results.testEvents().started().stream().map(BrokenParticipantsTest::name).toList();
    Map<String, Throwable> failures = new LinkedHashMap<>();
    Map<String, List<Rule>> failed = new LinkedHashMap<>();
    for (Event event : results.testEvents().failed().list()) {
      Throwable failure = event.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable).orElseThrow();
      assertThat(failure).as("the failure of %s", name(event)).isInstanceOf(ContractViolations.class);
      failures.put(name(event), failure);
      failed.put(name(event), ((ContractViolations) failure).rules());
    }
    long passed = results.testEvents().succeeded().count();
    assertThat(names).isNotEmpty();
    return new Report(names, failed, failures, passed);
  }

  private static String name(Event event) {
    return event.getTestDescriptor().getDisplayName();
  }

  private static Set<String> union(Set<String> names, String name) {
    Set<String> all = new java.util.HashSet<>(names);
    all.add(name);
    return all;
  }
}
