package io.covenant.samples.shop;

import io.covenant.client.BusinessRefusal;
import io.covenant.tcc.Cancel;
import io.covenant.tcc.Confirm;

/**
 * The order service's own table, {@code orders}: the try records the order as {@code PENDING},
 * confirm makes it {@code CONFIRMED}, cancel {@code CANCELLED}.
 */
public class OrderBook implements OrderBookApi {
  /** The service's table (PostgreSQL and MySQL). */
  public static final String DDL = "CREATE TABLE IF NOT EXISTS orders (order_id VARCHAR(64) PRIMARY KEY,"
      + " customer VARCHAR(64) NOT NULL, sku VARCHAR(64) NOT NULL, qty INT NOT NULL, amount BIGINT NOT NULL,"
      + " status VARCHAR(16) NOT NULL)";

  @Override
  public void create(Order order) {
    if (Sql.count("SELECT COUNT(*) FROM orders WHERE order_id = ?", order.orderId()) > 0) {
      throw new BusinessRefusal("order " + order.orderId() + " exists already");
    }
    Sql.update("INSERT INTO orders (order_id, customer, sku, qty, amount, status) VALUES (?, ?, ?, ?, ?, 'PENDING')",
        order.orderId(), order.customer(), order.sku(), order.qty(), order.amount());
  }

  @Confirm
  public void confirm(Order order) {
    Sql.update("UPDATE orders SET status = 'CONFIRMED' WHERE order_id = ?", order.orderId());
  }

  @Cancel
  public void cancel(Order order) {
    Sql.update("UPDATE orders SET status = 'CANCELLED' WHERE order_id = ?", order.orderId());
  }
}
