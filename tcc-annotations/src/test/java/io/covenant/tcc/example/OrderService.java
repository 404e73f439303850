package io.covenant.tcc.example;

import io.covenant.client.TransactionContext;
import io.covenant.tcc.GlobalTransactional;

/** README example: the initiator, a plain class. */
public class OrderService {
  private final StockApi stock;

  public OrderService(StockApi stock) {
    this.stock = stock;
  }

  @GlobalTransactional(timeoutMillis = 30_000)
  public String placeOrder(String sku, int qty) {
    stock.reserve(sku, qty);          // registers the branch, then runs the try
    // … more tries; throwing anywhere rolls back, and every registered branch is cancelled
    return TransactionContext.current().orElseThrow().gid();
  }                                   // returns: committed, and the coordinator confirms every branch
}
