package io.covenant.samples.shop;

import io.covenant.client.CovenantClient;
import io.covenant.testkit.ParticipantContract;
import io.covenant.testkit.ParticipantContractExtension;
import io.covenant.testsupport.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shop's stock and account services through the participant test kit (issue #4: "our own
 * samples pass it"): repeats, a cancel before its try and the late try, concurrent copies and a try
 * racing its cancel, sent straight at their {@code /tcc/<action>} endpoints, with the effects read
 * from their tables. The kit's gids are no transactions of a coordinator, so the services are built
 * with {@code registersBranches(false)}, as for an initiator that registers each branch itself; the
 * payload is the try's arguments as a JSON array, as the coordinator would send it. The subclasses
 * choose the database.
 */
abstract class ShopContractTest {
  /** The try's arguments: order, item (or customer), quantity (or amount in cents). */
  static final String STOCK_PAYLOAD = "[\"o-1\",\"A-1\",1]";
  static final String ACCOUNT_PAYLOAD = "[\"o-1\",\"alice\",100]";

  @TempDir
  static Path journal;
  static ShopCoordinator coordinator;
  static CovenantClient client;
  static TestDatabase stockDb;
  static TestDatabase accountDb;
  static ShopService stock;
  static ShopService account;

  /** Starts the stock and account services, each on a database of its own of {@code kind}. */
  static void start(TestDatabase.Kind kind) throws Exception {
    // Not called while the kit runs (the services register no branches); it is there because a
    // participant is built with its coordinator's client.
    coordinator = ShopCoordinator.start(journal);
    client = CovenantClient.builder().coordinator(coordinator.uri()).build();
    stockDb = TestDatabase.create(kind, 12);
    accountDb = TestDatabase.create(kind, 12);
    stock = ShopService.stock(client, stockDb.dataSource(), false);
    account = ShopService.account(client, accountDb.dataSource(), false);
    // Enough for every scenario that takes its try's effect for good.
    stockDb.execute("INSERT INTO stock VALUES ('A-1', 1000, 0)");
    accountDb.execute("INSERT INTO account VALUES ('alice', 1000000, 0)");
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {stock, account, client, coordinator, stockDb, accountDb}) {
      if (c != null) {
        c.close();
      }
    }
  }

  static String action(ShopService service, String name) {
    return service.tccUrl() + "/" + name;
  }

  @RegisterExtension
  static ParticipantContractExtension stockContract = ParticipantContractExtension
      .forTcc(() -> action(stock, "reserve-stock"), () -> action(stock, "reserve-stock"),
          () -> action(stock, "reserve-stock"))
      .named("stock")
      .branch("reserve-stock")
      .payload(STOCK_PAYLOAD)
      .effects(new FigureChanges(() -> figures(stockDb, "SELECT available, reserved FROM stock WHERE sku = 'A-1'",
          "available", "reserved")));

  @RegisterExtension
  static ParticipantContractExtension accountContract = ParticipantContractExtension
      .forTcc(() -> action(account, "debit-account"), () -> action(account, "debit-account"),
          () -> action(account, "debit-account"))
      .named("account")
      .branch("debit-account")
      .payload(ACCOUNT_PAYLOAD)
      .effects(new FigureChanges(() -> figures(accountDb,
          "SELECT balance, frozen FROM account WHERE customer = 'alice'", "balance", "frozen")));

  /** The columns of the one row {@code sql} selects, by name. */
  static Map<String, Long> figures(TestDatabase db, String sql, String... names) throws Exception {
    try (Connection c = db.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql);
        ResultSet rs = s.executeQuery()) {
      if (!rs.next()) {
        throw new IllegalStateException("no row for " + sql);
      }
      Map<String, Long> figures = new LinkedHashMap<>();
      for (String name : names) {
        figures.put(name, rs.getLong(name));
      }
      return figures;
    }
  }

  @ParticipantContract("stock")
  void theStockServiceKeepsTheTccContract() {}

  @ParticipantContract("account")
  void theAccountServiceKeepsTheTccContract() {}
}
