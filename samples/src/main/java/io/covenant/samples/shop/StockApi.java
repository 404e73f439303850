package io.covenant.samples.shop;

import io.covenant.tcc.TccAction;

/** The stock service's TCC action, shared with the order service that calls it. */
public interface StockApi {
  /** Try: holds {@code qty} of {@code sku} for the order; refuses when fewer are available. */
  @TccAction(name = "reserve-stock")
  void reserve(String orderId, String sku, int qty);
}
