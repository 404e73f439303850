package io.covenant.coordinator.http;

import java.util.List;

/**
 * Reads the {@code Prefer} request header (RFC 7240) for the one preference the API honours:
 * {@code return=minimal}, which asks a state-changing endpoint for a
 * {@link io.covenant.protocol.TransactionSummary} instead of the whole view.
 *
 * <p>The header is a comma-separated list of preferences, and may come several times. A preference
 * is a token, optionally {@code =} and a value (a token or a quoted string), then optional
 * {@code ;}-separated parameters; whitespace may surround each part. As RFC 7240 says, names are
 * compared ignoring case and values exactly, and a preference given more than once counts the first
 * time only: {@code return=representation, return=minimal} asks for the representation. Unknown
 * preferences, parameters, and elements that do not parse are skipped, so no {@code Prefer} header
 * ever fails a request. Thread-safe (stateless).
 */
final class Prefer {
  private static final String RETURN = "return";
  private static final String MINIMAL = "minimal";
  /** The characters of an HTTP token besides letters and digits (RFC 9110, section 5.6.2). */
  private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

  private Prefer() {}

  /** True when the first {@code return} preference in the {@code Prefer} headers {@code values} is {@code minimal}. */
  static boolean returnMinimal(List<String> values) {
    return MINIMAL.equals(first(values, RETURN));
  }

  /**
   * The value of the first preference named {@code name} (ignoring case) in the {@code Prefer}
   * headers {@code values}: its text unquoted, {@code ""} when it has none, null when no
   * well-formed preference has that name.
   */
  static String first(List<String> values, String name) {
    for (String header : values) {
      int at = 0;
      while (at < header.length()) {
        at = skip(header, at, " \t,");
        int nameEnd = tokenEnd(header, at);
        String found = header.substring(at, nameEnd);
        at = skip(header, nameEnd, " \t");
        String value = "";
        if (at < header.length() && header.charAt(at) == '=') {
          int valueStart = skip(header, at + 1, " \t");
          at = wordEnd(header, valueStart);
          if (at < 0) {
            break; // an unterminated quoted string: nothing after it can be read
          }
          value = unquote(header.substring(valueStart, at));
        }
        boolean wellFormed = !found.isEmpty() && (at == header.length() || " \t;,".indexOf(header.charAt(at)) >= 0);
        if (wellFormed && found.equalsIgnoreCase(name)) {
          return value;
        }
        at = nextElement(header, at);
      }
    }
    return null;
  }

  private static int skip(String s, int at, String chars) {
    while (at < s.length() && chars.indexOf(s.charAt(at)) >= 0) {
      at++;
    }
    return at;
  }

  private static int tokenEnd(String s, int at) {
    while (at < s.length() && isTokenChar(s.charAt(at))) {
      at++;
    }
    return at;
  }

  private static boolean isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || TOKEN_SYMBOLS.indexOf(c) >= 0;
  }

  /** The end of the token or quoted string at {@code at}, or -1 for a quoted string without its closing quote. */
  private static int wordEnd(String s, int at) {
    if (at >= s.length() || s.charAt(at) != '"') {
      return tokenEnd(s, at);
    }
    for (int i = at + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        return i + 1;
      }
    }
    return -1;
  }

  private static String unquote(String word) {
    if (word.isEmpty() || word.charAt(0) != '"') {
      return word;
    }
    StringBuilder text = new StringBuilder(word.length());
    for (int i = 1; i < word.length() - 1; i++) {
      char c = word.charAt(i);
      text.append(c == '\\' ? word.charAt(++i) : c);
    }
    return text.toString();
  }

  /** Where the element after the one at {@code at} starts: past the next comma outside quotes, or the end. */
  private static int nextElement(String s, int at) {
    while (at < s.length()) {
      char c = s.charAt(at);
      if (c == ',') {
        return at + 1;
      }
      if (c == '"') {
        int end = wordEnd(s, at);
        if (end < 0) {
          return s.length();
        }
        at = end;
      } else {
        at++;
      }
    }
    return at;
  }
}
