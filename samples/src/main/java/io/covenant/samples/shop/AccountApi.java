package io.covenant.samples.shop;

import io.covenant.tcc.TccAction;

/** The account service's TCC action, shared with the order service that calls it. */
public interface AccountApi {
  /** Try: freezes {@code amount} (in cents) of the customer's balance; refuses when the balance is short. */
  @TccAction(name = "debit-account")
  void debit(String orderId, String customer, long amount);
}
