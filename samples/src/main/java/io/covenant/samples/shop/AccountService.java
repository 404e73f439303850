package io.covenant.samples.shop;

import io.covenant.client.BusinessRefusal;
import io.covenant.tcc.Cancel;
import io.covenant.tcc.Confirm;

/**
 * The account service: {@code account(customer, balance, frozen)}, amounts in cents. The try moves
 * the amount from the balance to frozen; confirm takes it out of frozen (paid); cancel gives it back.
 */
public class AccountService implements AccountApi {
  /** The service's table (PostgreSQL and MySQL). */
  public static final String DDL = "CREATE TABLE IF NOT EXISTS account (customer VARCHAR(64) PRIMARY KEY,"
      + " balance BIGINT NOT NULL, frozen BIGINT NOT NULL)";

  @Override
  public void debit(String orderId, String customer, long amount) {
    int updated = Sql.update("UPDATE account SET balance = balance - ?, frozen = frozen + ?"
        + " WHERE customer = ? AND balance >= ?", amount, amount, customer, amount);
    if (updated == 0) {
      throw new BusinessRefusal("order " + orderId + ": the balance of " + customer + " is short of " + amount);
    }
  }

  @Confirm
  public void confirm(String orderId, String customer, long amount) {
    Sql.update("UPDATE account SET frozen = frozen - ? WHERE customer = ?", amount, customer);
  }

  @Cancel
  public void cancel(String orderId, String customer, long amount) {
    Sql.update("UPDATE account SET balance = balance + ?, frozen = frozen - ? WHERE customer = ?",
        amount, amount, customer);
  }
}
