package io.covenant.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** The extension's configuration, what it sends, and how it treats probes and silent participants. */
class ParticipantContractExtensionTest {
  static StockParticipant stock;

  @BeforeAll
  static void start() {
    stock = StockParticipant.start();
  }

  @AfterAll
  static void stop() {
    stock.close();
  }

  @Test
  void runsTheTccScenariosInThisOrder() {
    assertThat(tcc().scenarioNames()).containsExactly(
        "try, confirm: both done",
        "try, cancel: cancel takes the try back",
        "try twice: takes effect once",
        "confirm twice: takes effect once",
        "cancel twice: takes effect once",
        "a late duplicate try after confirm: changes nothing",
        "a late duplicate try after cancel: changes nothing",
        "cancel without try: a null compensation, done and changing nothing",
        "try after its cancel: refused with 409, nothing held",
        "8 copies of try at once: take effect once",
        "8 copies of confirm at once: take effect once",
        "8 copies of cancel at once: take effect once",
        "try racing its cancel (round 1 of 3): nothing stays held",
        "try racing its cancel (round 2 of 3): nothing stays held",
        "try racing its cancel (round 3 of 3): nothing stays held",
        "an unknown Covenant-Op: not done, changes nothing");
  }

  @Test
  void leavesOutTheScenariosAModeHasNoCallFor() {
    List<String> saga = ParticipantContractExtension.forSaga("http://127.0.0.1:1/a", "http://127.0.0.1:1/c")
        .races(1).concurrentCopies(4).scenarioNames();
    List<String> twoPhase = ParticipantContractExtension.forTwoPhase("http://127.0.0.1:1/c", "http://127.0.0.1:1/r")
        .scenarioNames();

    assertThat(saga).containsExactly(
        "action: done",
        "action, compensate: compensate takes the action back",
        "action twice: takes effect once",
        "compensate twice: takes effect once",
        "a late duplicate action after compensate: changes nothing",
        "compensate without action: a null compensation, done and changing nothing",
        "action after its compensate: refused with 409, nothing held",
        "4 copies of action at once: take effect once",
        "4 copies of compensate at once: take effect once",
        "action racing its compensate (round 1 of 1): nothing stays held",
        "an unknown Covenant-Op: not done, changes nothing");
    assertThat(twoPhase).containsExactly(
        "prepare, commit: both done",
        "prepare, rollback: rollback takes the prepare back",
        "commit twice: takes effect once",
        "rollback twice: takes effect once",
        "rollback without prepare: a null compensation, done and changing nothing",
        "8 copies of commit at once: take effect once",
        "8 copies of rollback at once: take effect once",
        "an unknown Covenant-Op: not done, changes nothing");
  }

  @Test
  void namesTheContractInDisplayNamesOnlyWhenItWasNamed() {
    assertThat(tcc().named("stock").scenarioNames()).first().isEqualTo("stock: try, confirm: both done");
  }

  @Test
  void refusesSettingsThatCannotWork() {
    ParticipantContractExtension tcc = tcc();
    assertThatThrownBy(() -> tcc.payload("{not json")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the payload is not JSON");
    assertThatThrownBy(() -> tcc.phaseOne(PhaseOne.nothing())).isInstanceOf(IllegalStateException.class)
        .hasMessage("phaseOne is for 2PC contracts; a TCC contract sends its try itself");
    assertThatThrownBy(() -> tcc.concurrentCopies(1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tcc.races(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tcc.attemptsMax(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tcc.callTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tcc.named(" ")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sendsTheCovenantHeadersThePayloadAndYourHeadersOnEveryCall() throws Throwable {
    List<Headers> seen = new CopyOnWriteArrayList<>();
    List<String> bodies = new CopyOnWriteArrayList<>();
    try (Server server = Server.answering(exchange -> {
      seen.add(exchange.getRequestHeaders());
      bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      return exchange.getRequestHeaders().getFirst("Covenant-Op").equals("no-such-op") ? 400 : 200;
    })) {
      ParticipantContractExtension contract = ParticipantContractExtension
          .forTwoPhase(server.url("/commit"), server.url("/rollback"))
          .branch("ledger")
          .payload("{\"amount\": 30}")
          .header("Authorization", "Bearer test-token");

      first(contract).call();
    }

    assertThat(seen).hasSize(1);
    Headers headers = seen.get(0);
    assertThat(headers.getFirst("Covenant-Gid")).matches("kit-finish-[0-9a-f]{1,10}");
    assertThat(headers.getFirst("Covenant-Branch")).isEqualTo("ledger");
    assertThat(headers.getFirst("Covenant-Op")).isEqualTo("commit");
    assertThat(headers.getFirst("Content-Type")).isEqualTo("application/json");
    assertThat(headers.getFirst("Authorization")).isEqualTo("Bearer test-token");
    assertThat(bodies).containsExactly("{\"amount\":30}");
  }

  @Test
  void countsACallWithoutAnAnswerAsTransient() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (Server server = Server.answering(exchange -> {
      release.await(10, TimeUnit.SECONDS);   // answers only once the test is over
      return 200;
    })) {
      ParticipantContractExtension contract = ParticipantContractExtension
          .forTwoPhase(server.url("/commit"), server.url("/rollback"))
          .callTimeout(Duration.ofMillis(300))
          .attemptsMax(2);

      assertThatThrownBy(first(contract)).isInstanceOfSatisfying(ContractViolations.class, v -> {
        assertThat(v.rules()).containsExactly(Rule.HAPPY_PATH);
        assertThat(v.getMessage())
            .contains("2. commit -> no answer (no answer within 300 ms)", "3. commit (sent again) -> the same")
            .contains("[happy-path] commit after prepare was not done in 2 attempts");
      });
    } finally {
      release.countDown();
    }
  }

  @Test
  void reportsAProbeThatNamesTheBranchInsteadOfTheEffect() {
    ParticipantContractExtension contract = tcc().effects(branch -> branch.gid() + ":" + stock.holding(branch));

    assertThatThrownBy(first(contract)).isInstanceOfSatisfying(ContractViolations.class, v -> {
      assertThat(v.rules()).containsExactly(Rule.EFFECT_OBSERVABLE);
      assertThat(v.violations()).hasSize(2);   // after the try and after the confirm
    });
  }

  @Test
  void reportsAProbeThatCannotSeeTheEffect() {
    ParticipantContractExtension contract = tcc().effects(branch -> "always the same");

    assertThatThrownBy(first(contract)).isInstanceOfSatisfying(ContractViolations.class, v -> {
      assertThat(v.rules()).containsExactly(Rule.EFFECT_OBSERVABLE);
      assertThat(v.getMessage()).contains("the effect probe shows the same after try, confirm as before the first call");
    });
  }

  @Test
  void failsAScenarioWhoseProbeThrowsAsAnErrorOfTheTest() {
    ParticipantContractExtension contract = tcc().effects(branch -> {
      throw new IOException("inventory database is down");
    });

    assertThatThrownBy(first(contract)).isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("the EffectProbe given to the kit failed for gid kit-baseline-")
        .hasRootCauseMessage("inventory database is down");
  }

  private static ParticipantContractExtension tcc() {
    return ParticipantContractExtension
        .forTcc(() -> stock.url("stock"), () -> stock.url("stock"), () -> stock.url("stock"))
        .payload(Map.of("sku", "A-1", "qty", 2))
        .effects(branch -> stock.holding(branch));
  }

  private static ThrowingCallable first(ParticipantContractExtension contract) {
    DynamicTest first = contract.scenarios().findFirst().orElseThrow();
    return first.getExecutable()::execute;
  }

  /** A loopback server that answers every request with the status its handler returns. */
  private static final class Server implements AutoCloseable {
    interface Handler {
      int status(com.sun.net.httpserver.HttpExchange exchange) throws Exception;
    }

    private final HttpServer http;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    private Server(Handler handler) throws IOException {
      http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      http.setExecutor(executor);
      http.createContext("/", exchange -> {
        try (exchange) {
          int status;
          try {
            status = handler.status(exchange);
          } catch (Exception e) {
            status = 500;
          }
          exchange.sendResponseHeaders(status, -1);
        }
      });
      http.start();
    }

    static Server answering(Handler handler) throws IOException {
      return new Server(handler);
    }

    String url(String path) {
      return "http://127.0.0.1:" + http.getAddress().getPort() + path;
    }

    @Override
    public void close() {
      http.stop(0);
      executor.shutdownNow();
    }
  }
}
