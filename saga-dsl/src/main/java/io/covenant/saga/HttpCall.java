package io.covenant.saga;

import com.fasterxml.jackson.databind.JsonNode;
import io.covenant.saga.internal.SagaJson;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One HTTP request the coordinator sends for a step: its action or its compensation. Immutable;
 * {@link #header} and {@link #body} return a new value.
 *
 * <p>The coordinator adds {@code Covenant-Gid}, {@code Covenant-Branch}, {@code Covenant-Op} and
 * {@code Content-Type: application/json}; a step cannot set those (nor hop-by-hop headers such as
 * {@code Host} or {@code Content-Length}). The body is JSON and may hold {@link Ref references} to
 * the results of steps this one depends on; the coordinator replaces them when it sends the call.
 *
 * @param method upper case: GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS
 * @param url absolute http(s) URL
 * @param headers extra headers, in the order given; never null
 * @param body the JSON body, or null for none
 */
public record HttpCall(String method, String url, Map<String, String> headers, JsonNode body) {

  public HttpCall {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(url, "url");
    method = method.toUpperCase(Locale.ROOT);
    headers = headers == null || headers.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    if (body != null && (body.isNull() || body.isMissingNode())) {
      body = null;
    }
    body = body == null ? null : body.deepCopy(); // a JsonNode can change: keep our own
  }

  /** The JSON body, or null; a copy, so that changing it changes nothing here. */
  @Override
  public JsonNode body() {
    return body == null ? null : body.deepCopy();
  }

  public static HttpCall post(String url) {
    return new HttpCall("POST", url, Map.of(), null);
  }

  public static HttpCall put(String url) {
    return new HttpCall("PUT", url, Map.of(), null);
  }

  public static HttpCall patch(String url) {
    return new HttpCall("PATCH", url, Map.of(), null);
  }

  public static HttpCall delete(String url) {
    return new HttpCall("DELETE", url, Map.of(), null);
  }

  public static HttpCall get(String url) {
    return new HttpCall("GET", url, Map.of(), null);
  }

  /** A request with any of the methods above. */
  public static HttpCall of(String method, String url) {
    return new HttpCall(method, url, Map.of(), null);
  }

  /** This request with one more header (replacing one of the same name). */
  public HttpCall header(String name, String value) {
    Objects.requireNonNull(name, "name");
    Map<String, String> next = new LinkedHashMap<>(headers);
    next.put(name, value);
    return new HttpCall(method, url, next, body);
  }

  /**
   * This request with {@code body}: a {@link JsonNode}, or any value Jackson turns into JSON (a
   * {@code Map}, a record, a list, a string...). {@link Ref} values anywhere inside become references.
   */
  public HttpCall body(Object body) {
    return new HttpCall(method, url, headers, SagaJson.tree(body));
  }
}
