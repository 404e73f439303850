package io.covenant.client.barrier;

import io.covenant.client.BusinessRefusal;

/**
 * A try (or saga action) refused because its branch was cancelled (compensated) already, most often
 * a try that arrived after its cancel. Running it would leave a reservation nobody releases (a
 * <em>suspended</em> reservation), so the {@link Barrier} refuses it: the dispatcher answers
 * {@code 409}, and the initiator rolls back.
 */
public final class BranchCancelled extends BusinessRefusal {
  private static final long serialVersionUID = 1L;

  BranchCancelled(String message) {
    super(message);
  }
}
