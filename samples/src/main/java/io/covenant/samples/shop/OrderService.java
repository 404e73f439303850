package io.covenant.samples.shop;

import io.covenant.client.TransactionContext;
import io.covenant.tcc.GlobalTransactional;

/**
 * The initiator: one order is one TCC transaction with three branches, the order row (in this
 * service's database, a local call), the stock reservation and the debit (remote calls). It returns
 * the gid once the commit is decided; the coordinator then confirms the three branches. Any refusal
 * or failure rolls the transaction back, and the coordinator cancels every registered branch.
 */
public class OrderService {
  private final OrderBookApi orders;
  private final StockApi stock;
  private final AccountApi accounts;

  public OrderService(OrderBookApi orders, StockApi stock, AccountApi accounts) {
    this.orders = orders;
    this.stock = stock;
    this.accounts = accounts;
  }

  @GlobalTransactional(timeoutMillis = 30_000)
  public String placeOrder(Order order) {
    orders.create(order);
    stock.reserve(order.orderId(), order.sku(), order.qty());
    accounts.debit(order.orderId(), order.customer(), order.amount());
    return TransactionContext.current().orElseThrow().gid();
  }
}
