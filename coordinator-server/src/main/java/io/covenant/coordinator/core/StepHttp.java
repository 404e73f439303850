package io.covenant.coordinator.core;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How a saga step's calls differ from the default (a {@code POST} with no extra headers and the
 * step's payload as the body of both the action and the compensation). A step submitted with plain
 * URLs has none ({@link Branch#http()} is null), which keeps its stored record as small as before.
 *
 * @param actionMethod HTTP method of the action, upper case
 * @param actionHeaders extra headers of the action (never the {@code Covenant-*} ones)
 * @param compensationMethod HTTP method of the compensation, upper case
 * @param compensationHeaders extra headers of the compensation
 * @param compensationBody JSON text of the compensation's body, or null for an empty body; the action's
 *     body is the branch's {@link Branch#payload()}
 */
public record StepHttp(
    String actionMethod,
    Map<String, String> actionHeaders,
    String compensationMethod,
    Map<String, String> compensationHeaders,
    String compensationBody) {

  public static final String DEFAULT_METHOD = "POST";

  public StepHttp {
    Objects.requireNonNull(actionMethod, "actionMethod");
    Objects.requireNonNull(compensationMethod, "compensationMethod");
    actionHeaders = sorted(actionHeaders);
    compensationHeaders = sorted(compensationHeaders);
  }

  /** Headers in name order, so that encodings and views are stable. */
  private static Map<String, String> sorted(Map<String, String> headers) {
    return headers == null || headers.isEmpty() ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(headers));
  }
}
