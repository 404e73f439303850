package io.covenant.saga;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A value from an earlier step's result, used inside a request body: the coordinator replaces it
 * with the value at {@link #pointer} (a JSON pointer, RFC 6901) in the JSON that step's action
 * answered with. On the wire it is the object {@code {"$from": "reserve", "pointer": "/id"}}.
 *
 * <p>A step may refer only to steps it depends on, directly or through others (checked by
 * {@code build()}), because only their results surely exist when it starts. The value is read from
 * the coordinator's durable record, so a restart in between gives the same value. If the result has
 * nothing at the pointer, the step is not sent: it fails (and the saga compensates) with a
 * {@code lastError} saying which pointer was missing.
 *
 * <pre>{@code
 * HttpCall.post(payments + "/charge").body(Map.of("reservation", Ref.from("reserve").at("/id")))
 * HttpCall.delete(stock + "/reservations/" + Ref.from("reserve").at("/id").inText())
 * }</pre>
 *
 * <p>In a URL's path or query, or in a header value, write it with {@link #inText()}:
 * <code>${reserve/id}</code>. There the value must be a string, number or boolean; in a URL it is
 * percent-encoded, so it can never change the host the coordinator calls.
 *
 * @param step the step whose result is read
 * @param pointer the JSON pointer into it; {@code ""} for the whole result
 */
public record Ref(String step, String pointer) {

  public Ref {
    Objects.requireNonNull(step, "step");
    pointer = pointer == null ? "" : pointer;
  }

  /** The whole result of {@code step}. */
  public static Ref from(String step) {
    return new Ref(step, "");
  }

  /** The value at {@code pointer} ({@code "/id"}, {@code "/items/0/sku"}) in the same step's result. */
  public Ref at(String pointer) {
    return new Ref(step, pointer);
  }

  /**
   * The form for a URL (path or query) or a header value: <code>${step/pointer}</code>, or
   * <code>${step}</code> for the whole result. The pointer cannot hold a <code>}</code> there.
   */
  public String inText() {
    return "${" + step + pointer + "}";
  }

  /** The wire form inside a body: {@code {"$from": step, "pointer": pointer}}, without {@code pointer} when it is empty. */
  @JsonValue
  public Map<String, String> toJson() {
    Map<String, String> json = new LinkedHashMap<>();
    json.put("$from", step);
    if (!pointer.isEmpty()) {
      json.put("pointer", pointer);
    }
    return json;
  }
}
