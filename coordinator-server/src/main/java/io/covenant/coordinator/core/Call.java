package io.covenant.coordinator.core;

import io.covenant.protocol.Op;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A call the engine must make to a participant: {@code op} on {@code url}, with {@code body} and the
 * {@code Covenant-*} headers.
 *
 * @param body the JSON text to send (references to earlier steps' results already replaced), or null
 * @param timeout the per-call timeout, or null for the coordinator's default
 * @param method the HTTP method, upper case
 * @param headers extra headers (a saga step's own), sent before the {@code Covenant-*} ones
 * @param unsendable why the body cannot be built (a reference that does not resolve), or null; such a
 *     call must not be sent: the engine reports it with {@link Event.CallUnsendable}
 */
public record Call(String gid, String branchId, Op op, String url, String body, Duration timeout, String method,
    Map<String, String> headers, String unsendable) {

  public Call {
    Objects.requireNonNull(method, "method");
    headers = headers == null ? Map.of() : headers;
  }

  /** A {@code POST} with no extra headers. */
  public Call(String gid, String branchId, Op op, String url, String body, Duration timeout) {
    this(gid, branchId, op, url, body, timeout, StepHttp.DEFAULT_METHOD, Map.of(), null);
  }

  /** The body; the name it had before calls could carry their own method and headers. */
  public String payload() {
    return body;
  }
}
