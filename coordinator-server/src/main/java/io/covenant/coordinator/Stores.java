package io.covenant.coordinator;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.store.journal.JournalSettings;
import io.covenant.coordinator.store.journal.JournalTransactionStore;
import io.covenant.coordinator.store.memory.MemoryTransactionStore;
import io.covenant.coordinator.store.mysql.MysqlTransactionStore;
import io.covenant.coordinator.store.postgres.PostgresTransactionStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** Opens the store a configuration names. */
final class Stores {
  private Stores() {}

  /**
   * Opens the configured store.
   *
   * @return fails with {@code STORE_UNAVAILABLE} if the store cannot be opened (a journal directory
   *     that another coordinator holds, or that is unreadable or corrupt; a database that cannot be
   *     reached, refuses the login, or whose schema cannot be migrated): the message names the
   *     directory, or the database's host, port and name
   */
  static Future<TransactionStore> open(CoordinatorConfig config, Vertx vertx) {
    return switch (config.store()) {
      case MEMORY -> Future.succeededFuture(new MemoryTransactionStore());
      case JOURNAL -> journal(config.journalSettings(), vertx);
      case POSTGRES -> PostgresTransactionStore.open(config.postgresSettings(), config.sharedStoreSettings(), vertx)
          .map(store -> store);
      case MYSQL -> MysqlTransactionStore.open(config.mysqlSettings(), config.sharedStoreSettings()).map(store -> store);
    };
  }

  /** Opens and replays the journal on a thread of its own; the future completes there. */
  static Future<TransactionStore> journal(JournalSettings settings, Vertx vertx) {
    return JournalTransactionStore.open(settings).map(store -> store);
  }
}
