package io.covenant.testkit;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The kit against a participant that keeps every rule, in all three modes (a real HTTP server on
 * a loopback port, guarded by an in-memory barrier): every scenario must pass. This is also how a
 * user runs the kit.
 */
class CorrectParticipantTest {
  static final Map<String, Object> ORDER = Map.of("sku", "A-1", "qty", 2);

  static StockParticipant stock;

  @BeforeAll
  static void start() {
    stock = StockParticipant.start();
  }

  @AfterAll
  static void stop() {
    stock.close();
  }

  /** Effects as a record per branch: units held and sold. */
  @RegisterExtension
  static ParticipantContractExtension tcc = ParticipantContractExtension
      .forTcc(() -> stock.url("stock"), () -> stock.url("stock"), () -> stock.url("stock"))
      .named("stock")
      .payload(ORDER)
      .effects(branch -> stock.holding(branch));

  /** The same participant, its effects read as one global number: the units still available. */
  @RegisterExtension
  static ParticipantContractExtension tccByAvailableStock = ParticipantContractExtension
      .forTcc(() -> stock.url("stock"), () -> stock.url("stock"), () -> stock.url("stock"))
      .named("available-stock")
      .payload("{\"sku\": \"A-1\", \"qty\": 3}")
      .effects(branch -> stock.available());

  @RegisterExtension
  static ParticipantContractExtension twoPhase = ParticipantContractExtension
      .forTwoPhase(() -> stock.url("ledger"), () -> stock.url("ledger"))
      .named("ledger")
      .payload(ORDER)
      .phaseOne(branch -> stock.prepare(branch, 2))
      .effects(branch -> stock.holding(branch));

  @ParticipantContract("stock")
  void tccStockKeepsTheContract() {}

  @ParticipantContract("available-stock")
  void tccStockKeepsTheContractSeenThroughTheAvailableStock() {}

  @ParticipantContract("ledger")
  void twoPhaseLedgerKeepsTheContract() {}

  @TestFactory
  Stream<DynamicTest> sagaShipmentKeepsTheContract() {
    return ParticipantContractExtension.forSaga(stock.url("shipment"), stock.url("shipment"))
        .named("shipment")
        .payload(ORDER)
        .effects(branch -> stock.holding(branch))
        .scenarios();
  }
}
