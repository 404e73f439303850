package io.covenant.samples.shop;

import io.covenant.client.BusinessRefusal;
import io.covenant.tcc.Cancel;
import io.covenant.tcc.Confirm;

/**
 * The stock service: {@code stock(sku, available, reserved)}. The try moves the quantity from
 * available to reserved; confirm takes it out of reserved (sold); cancel puts it back.
 */
public class StockService implements StockApi {
  /** The service's table (PostgreSQL and MySQL). */
  public static final String DDL = "CREATE TABLE IF NOT EXISTS stock (sku VARCHAR(64) PRIMARY KEY,"
      + " available INT NOT NULL, reserved INT NOT NULL)";

  @Override
  public void reserve(String orderId, String sku, int qty) {
    int updated = Sql.update("UPDATE stock SET available = available - ?, reserved = reserved + ?"
        + " WHERE sku = ? AND available >= ?", qty, qty, sku, qty);
    if (updated == 0) {
      throw new BusinessRefusal("order " + orderId + ": fewer than " + qty + " of " + sku + " available");
    }
  }

  @Confirm
  public void confirm(String orderId, String sku, int qty) {
    Sql.update("UPDATE stock SET reserved = reserved - ? WHERE sku = ?", qty, sku);
  }

  @Cancel
  public void cancel(String orderId, String sku, int qty) {
    Sql.update("UPDATE stock SET available = available + ?, reserved = reserved - ? WHERE sku = ?", qty, qty, sku);
  }
}
