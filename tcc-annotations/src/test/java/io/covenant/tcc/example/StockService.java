package io.covenant.tcc.example;

import io.covenant.client.BusinessRefusal;
import io.covenant.tcc.Cancel;
import io.covenant.tcc.Confirm;
import io.covenant.tcc.TccConnection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** README example: the participant. The try reserves, confirm takes the reservation, cancel releases it. */
public class StockService implements StockApi {
  @Override
  public void reserve(String sku, int qty) {
    if (update("UPDATE stock SET available = available - ?, reserved = reserved + ? WHERE sku = ? AND available >= ?",
        qty, qty, sku, qty) == 0) {
      throw new BusinessRefusal("not enough " + sku);   // 409: the initiator rolls back
    }
  }

  @Confirm
  public void confirm(String sku, int qty) {            // the try's arguments, from the branch payload
    update("UPDATE stock SET reserved = reserved - ? WHERE sku = ?", qty, sku);
  }

  @Cancel
  public void cancel(String sku, int qty) {             // not called for a cancel that came before its try
    update("UPDATE stock SET available = available + ?, reserved = reserved - ? WHERE sku = ?", qty, qty, sku);
  }

  private static int update(String sql, Object... args) {
    // The connection of the barrier's local transaction: the change commits with the barrier row.
    try (PreparedStatement statement = TccConnection.current().prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      return statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
