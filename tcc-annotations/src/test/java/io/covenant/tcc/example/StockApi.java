package io.covenant.tcc.example;

import io.covenant.tcc.TccAction;

/** README example: the interface the stock service and its callers share. */
public interface StockApi {
  @TccAction(name = "reserve-stock")
  void reserve(String sku, int qty);
}
