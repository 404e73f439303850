package io.covenant.tcc;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a participant's try method. The methods that finish it carry {@link Confirm} and
 * {@link Cancel} in the same class and take the same parameters; they receive the try's arguments,
 * which travel as the branch payload (a JSON array, written and read with Jackson).
 *
 * <p>Before the try runs, the participant registers its branch with the coordinator, its confirm
 * and cancel URLs being the {@link TccParticipant}'s; then the try runs behind the branch barrier, in
 * a local transaction whose connection is {@link TccConnection#current()}. The method returns
 * {@code void}; it refuses by throwing {@link io.covenant.client.BusinessRefusal}.
 *
 * <p>May be put on the method of an interface (shared with the initiator, for {@link Tcc#remote}) or
 * on the class's method.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface TccAction {
  /**
   * The action's name: its resource under the participant's URL and the base of its branch id. The
   * method's name when empty. Give the actions of the participants of one transaction different
   * names (e.g. {@code reserve-stock}, {@code debit-account}).
   */
  String name() default "";

  /**
   * Whether the try acts outside its database too (calls a service, sends a message): then the
   * barrier commits a {@code trying} row before it runs, so a cancel always runs the real
   * {@link Cancel} method, which must then undo a try that may have only partly happened. See
   * {@link io.covenant.client.barrier.BarrierMode#OUTSIDE_EFFECTS}.
   */
  boolean outsideEffects() default false;
}
