package io.covenant.testkit;

import com.sun.net.httpserver.HttpServer;
import io.covenant.testkit.StockParticipant.Flaw;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts a {@link StockParticipant} with the given flaws before a test class and stops it after,
 * and makes the contracts that point at it. Registered before the contract, with
 * {@code @RegisterExtension}, so that the participant is up when the first scenario runs.
 */
final class ParticipantServer implements BeforeAllCallback, AfterAllCallback {
  static final Map<String, Object> ORDER = Map.of("sku", "A-1", "qty", 2);

  private final Flaw[] flaws;
  private volatile StockParticipant participant;

  ParticipantServer(Flaw... flaws) {
    this.flaws = flaws;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    participant = StockParticipant.start(flaws);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    participant.close();
  }

  StockParticipant participant() {
    return participant;
  }

  ParticipantContractExtension tcc() {
    return ParticipantContractExtension
        .forTcc(() -> participant.url("stock"), () -> participant.url("stock"), () -> participant.url("stock"))
        .payload(ORDER)
        .effects(branch -> participant.holding(branch));
  }

  ParticipantContractExtension saga() {
    return ParticipantContractExtension
        .forSaga(() -> participant.url("shipment"), () -> participant.url("shipment"))
        .payload(ORDER)
        .effects(branch -> participant.holding(branch));
  }

  ParticipantContractExtension twoPhase() {
    return ParticipantContractExtension
        .forTwoPhase(() -> participant.url("ledger"), () -> participant.url("ledger"))
        .payload(ORDER)
        .phaseOne(branch -> participant.prepare(branch, 2))
        .effects(branch -> participant.holding(branch));
  }

  /**
   * A server that answers 200 with an empty body to every request, whatever its op: what a
   * participant written without the protocol in mind does.
   */
  static final class AnswersOkToEverything implements BeforeAllCallback, AfterAllCallback {
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private volatile HttpServer server;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.setExecutor(executor);
      server.createContext("/", exchange -> {
        try (exchange) {
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(200, -1);
        }
      });
      server.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
      server.stop(0);
      executor.shutdownNow();
    }

    String url(String path) {
      return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }
  }
}
