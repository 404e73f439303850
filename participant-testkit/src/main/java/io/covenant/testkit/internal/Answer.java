package io.covenant.testkit.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A participant's answer to one call: its status, or why there was none ({@code status} 0).
 */
record Answer(int status, String body, String failure) {
  private static final int BODY_SHOWN_MAX = 300;
  private static final ObjectMapper JSON = new ObjectMapper();

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

  /**
   * The status, with what the body says when it explains a failure: the {@code detail} of a
   * problem document (RFC 9457), else the body itself, shortened.
   */
  String describe() {
    if (status == 0) {
      return "no answer (" + failure + ")";
    }
    String shown = body.strip().replaceAll("\\s+", " ");
    if (done() || shown.isEmpty()) {
      return String.valueOf(status);
    }
    String detail = problemDetail(shown);
    if (detail != null) {
      shown = "(detail: " + detail + ")";
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

  private static String problemDetail(String body) {
    if (!body.startsWith("{")) {
      return null;
    }
    try {
      JsonNode detail = JSON.readTree(body).path("detail");
      return detail.isTextual() ? detail.asText() : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }
}
