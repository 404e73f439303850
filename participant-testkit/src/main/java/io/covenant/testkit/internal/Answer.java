package io.covenant.testkit.internal;

/**
 * A participant's answer to one call: its status, or why there was none ({@code status} 0).
 */
record Answer(int status, String body, String failure) {
  private static final int BODY_SHOWN_MAX = 200;

  static Answer of(int status, String body) {
    return new Answer(status, body == null ? "" : body, null);
  }

  static Answer none(String failure) {
    return new Answer(0, "", failure);
  }

  /** 2xx: the call is done. */
  boolean done() {
    return status >= 200 && status < 300;
  }

  /** 409: a business refusal. */
  boolean refused() {
    return status == 409;
  }

  /** Neither done nor refused: the coordinator would call again. */
  boolean transientFailure() {
    return !done() && !refused();
  }

  /** The status, with the body when it explains a failure: {@code 500 {"detail":"..."}}. */
  String describe() {
    if (status == 0) {
      return "no answer (" + failure + ")";
    }
    String shown = body.strip().replaceAll("\\s+", " ");
    if (done() || shown.isEmpty()) {
      return String.valueOf(status);
    }
    if (shown.length() > BODY_SHOWN_MAX) {
      shown = shown.substring(0, BODY_SHOWN_MAX) + "…";
    }
    return status + " " + shown;
  }

  /** Just the status, or "no answer". */
  String brief() {
    return status == 0 ? "no answer" : String.valueOf(status);
  }
}
