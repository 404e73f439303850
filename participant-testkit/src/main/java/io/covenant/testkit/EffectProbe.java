package io.covenant.testkit;

/**
 * Observes what a participant has done for one branch, so that the kit can judge effects and not
 * only status codes: a confirm answered 200 twice is fine, a confirm that took the money twice is
 * not.
 *
 * <p>Return any value whose {@code equals} says "same effect": an enum state of your own
 * ({@code RESERVED}, {@code CONFIRMED}, …), a record such as {@code new Held(reserved, sold)}, or a
 * number. The kit learns the expected values from the plain flows (try then confirm, try then
 * cancel) on fresh gids and compares every other scenario with them, so the value must describe the
 * effect, never identify the branch: no gid, no timestamps, no row ids.
 *
 * <ul>
 *   <li><b>Numbers</b> are compared as the change over the scenario: the value after its last call
 *       minus the value before its first, compared by value ({@code 2} equals {@code 2.0}). A probe
 *       may therefore read a global figure, such as the stock left or a balance, as long as nothing
 *       else changes it while the kit runs.
 *   <li><b>Any other value</b> is compared as it is after the scenario; "nothing happened" is the
 *       value the probe returned for the fresh gid before the scenario's first call.
 * </ul>
 *
 * <p>The probe runs on the test's thread, after every call of a scenario has been answered. A probe
 * that throws ends the scenario as an error (not as a broken rule).
 */
@FunctionalInterface
public interface EffectProbe {
  /** The effect of {@code branch} as it is now; may be null ("nothing", if that is what it means). */
  Object observe(Branch branch) throws Exception;
}
