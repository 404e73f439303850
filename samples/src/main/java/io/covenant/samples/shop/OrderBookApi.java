package io.covenant.samples.shop;

import io.covenant.tcc.TccAction;

/** The order service's own TCC action: the order row is a branch of the transaction like the others. */
public interface OrderBookApi {
  /** Try: records the order as pending; refuses an order id that exists already. */
  @TccAction(name = "create-order")
  void create(Order order);
}
