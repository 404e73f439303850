package io.covenant.coordinator.store.memory;

import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.store.TransactionStoreContract;

class MemoryTransactionStoreTest extends TransactionStoreContract {

  @Override
  protected TransactionStore newStore() {
    return new MemoryTransactionStore();
  }
}
