package io.covenant.protocol;

import java.util.Arrays;
import java.util.Locale;

/** An enum whose JSON form is an explicit, stable code, never its ordinal or Java name. */
public interface WireCode {
  String code();

  /**
   * Finds the constant of {@code type} whose code is {@code code}, ignoring case.
   *
   * @throws IllegalArgumentException naming the accepted codes when none matches
   */
  static <E extends Enum<E> & WireCode> E parse(Class<E> type, String code) {
    if (code != null) {
      String wanted = code.toLowerCase(Locale.ROOT);
      for (E e : type.getEnumConstants()) {
        if (e.code().equals(wanted)) {
          return e;
        }
      }
    }
    throw new IllegalArgumentException(
        "'" + code + "' is not one of " + Arrays.stream(type.getEnumConstants()).map(WireCode::code).toList());
  }
}
