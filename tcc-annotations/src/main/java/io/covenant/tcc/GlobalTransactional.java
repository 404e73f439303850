package io.covenant.tcc;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method in a TCC global transaction: it begins one before the method runs (with
 * {@link Propagation#REQUIRED}, only when none is current), commits when the method returns and
 * rolls back when it throws, rethrowing the method's exception, the semantics of
 * {@link io.covenant.client.CovenantClient#inGlobalTransaction}. While the method runs, the
 * transaction's gid is the current {@link io.covenant.client.TransactionContext}, so the tries it calls
 * ({@link Tcc#remote}, {@link TccParticipant#local}) join it.
 *
 * <p>Takes effect on objects made by {@link Tcc#proxy} (interfaces) or {@link Tcc#create} (classes).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface GlobalTransactional {
  /** Rolled back by the coordinator if not committed within this many milliseconds; 0 for the coordinator's default. */
  long timeoutMillis() default 0;

  /** Whether the method joins a transaction that is current already. */
  Propagation propagation() default Propagation.REQUIRED;
}
