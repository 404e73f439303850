package io.covenant.tcc;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the method that cancels a {@link TccAction}: same class, same parameters as the try, which
 * it receives from the branch payload. It runs at most once per branch, behind the barrier, and only
 * when the try ran (a cancel with no try before it records a null compensation and does not call
 * this method). Its connection is {@link TccConnection#current()}. It must not refuse: a failure is
 * retried by the coordinator until it succeeds.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Cancel {
  /** The {@link TccAction#name()} this cancels; needed only when the class has more than one action. */
  String action() default "";
}
