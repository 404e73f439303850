package io.covenant.client;

/**
 * The body of {@link CovenantClient#inGlobalTransaction}: the business work of the initiator,
 * which registers branches and calls their tries through the {@link GlobalTransaction} handle.
 *
 * @param <T> what the body returns, handed back by {@code inGlobalTransaction} after the commit
 * @param <E> the checked exception the body may throw (inferred; {@code RuntimeException} when none)
 */
@FunctionalInterface
public interface TransactionBody<T, E extends Exception> {
  T run(GlobalTransaction tx) throws E;
}
