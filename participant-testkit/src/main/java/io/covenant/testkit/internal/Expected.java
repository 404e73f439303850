package io.covenant.testkit.internal;

/**
 * An effect a scenario is compared with, learned from a plain flow on a fresh gid, and where it
 * came from ("the effect of try, confirm"); or why it could not be learned.
 */
record Expected(Object value, String origin, String missing) {
  static Expected of(Object value, String origin) {
    return new Expected(value, origin, null);
  }

  static Expected missing(String why) {
    return new Expected(null, null, why);
  }

  boolean known() {
    return missing == null;
  }
}
