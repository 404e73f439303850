package io.covenant.samples;

import io.covenant.testkit.ParticipantContract;
import io.covenant.testkit.ParticipantContractExtension;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The demo participant through the participant test kit, in every role it plays: TCC, saga step
 * and 2PC branch, on its {@code /ok/} and {@code /flaky/} paths. The demo changes nothing but its
 * log, so there is no effect to probe: the kit checks its answers (repeats done, a late try after
 * its cancel refused, an unknown op not done, flaky answers settled by retrying).
 */
class DemoParticipantContractTest {
  static DemoParticipant demo;

  @BeforeAll
  static void start() throws IOException {
    demo = DemoParticipant.start(0, "demo");
  }

  @AfterAll
  static void stop() {
    demo.stop();
  }

  static String url(String path) {
    return "http://127.0.0.1:" + demo.port() + path;
  }

  @RegisterExtension
  static ParticipantContractExtension tcc = ParticipantContractExtension
      .forTcc(() -> url("/ok/try"), () -> url("/ok/confirm"), () -> url("/ok/cancel"))
      .named("tcc")
      .payload(Map.of("sku", "A-1", "qty", 2));

  @RegisterExtension
  static ParticipantContractExtension flakyTcc = ParticipantContractExtension
      .forTcc(() -> url("/flaky/try?failures=1"), () -> url("/flaky/confirm?failures=1"),
          () -> url("/flaky/cancel?failures=1"))
      .named("flaky-tcc");

  @RegisterExtension
  static ParticipantContractExtension saga = ParticipantContractExtension
      .forSaga(() -> url("/ok/reserve"), () -> url("/ok/release"))
      .named("saga")
      .payload(Map.of("sku", "A-1", "qty", 2));

  @RegisterExtension
  static ParticipantContractExtension twoPhase = ParticipantContractExtension
      .forTwoPhase(() -> url("/ok/commit"), () -> url("/ok/rollback"))
      .named("2pc");

  @ParticipantContract("tcc")
  void keepsTheTccContract() {}

  @ParticipantContract("flaky-tcc")
  void keepsTheTccContractWhenEveryFirstCallFails() {}

  @ParticipantContract("saga")
  void keepsTheSagaContract() {}

  @ParticipantContract("2pc")
  void keepsTheTwoPhaseContract() {}
}
