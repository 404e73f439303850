package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * How the coordinator calls one side of a saga step (its action or its compensation). On the wire
 * it is either a plain URL string, which means {@code POST} to that URL with the step's
 * {@code payload} as the body, or an object with these fields.
 *
 * @param method the HTTP method; null means {@code POST}
 * @param url absolute http(s) URL
 * @param headers extra request headers (never the {@code Covenant-*} ones, which the coordinator sets); null means none
 * @param body the JSON body of this call; null means the step's {@code payload} (none if it has none).
 *     It may contain references to earlier steps' results: {@code {"$from": "reserve", "pointer": "/id"}}.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record StepRequest(String method, String url, Map<String, String> headers, JsonNode body) {

  /** The canonical form, also the properties creator for the object form. */
  @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
  public StepRequest {
    if (body != null && (body.isNull() || body.isMissingNode())) {
      body = null;
    }
  }

  /** The plain-URL form: {@code POST} to {@code url} with the step's payload. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static StepRequest of(String url) {
    return new StepRequest(null, url, null, null);
  }
}
