package io.covenant.testkit.internal;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * How probed values become effects and compare: numbers as the change over a scenario, compared by
 * value; anything else as it is after the scenario, compared with {@code equals}.
 */
final class Effects {
  private Effects() {}

  /** The effect of a scenario whose probe read {@code before} at its start and {@code after} now. */
  static Object effect(Object before, Object after) {
    if (before instanceof Number && after instanceof Number) {
      return decimal(after).subtract(decimal(before));
    }
    return after;
  }

  /** The effect of a scenario that changed nothing. */
  static Object nothing(Object before) {
    return before instanceof Number ? BigDecimal.ZERO : before;
  }

  static boolean same(Object a, Object b) {
    if (a instanceof Number && b instanceof Number) {
      return decimal(a).compareTo(decimal(b)) == 0;
    }
    return Objects.equals(a, b);
  }

  /** For reports: a change of a number is shown with its sign. */
  static String show(Object effect) {
    if (effect instanceof BigDecimal) {
      BigDecimal d = ((BigDecimal) effect).stripTrailingZeros();
      String plain = d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
      return "a change of " + (d.signum() > 0 ? "+" : "") + plain;
    }
    return String.valueOf(effect);
  }

  private static BigDecimal decimal(Object number) {
    return number instanceof BigDecimal ? (BigDecimal) number : new BigDecimal(number.toString());
  }
}
