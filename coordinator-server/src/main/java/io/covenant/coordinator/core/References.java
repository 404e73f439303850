package io.covenant.coordinator.core;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.covenant.protocol.BranchStatus;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Data passing between saga steps. Inside a step's body, a JSON object
 * {@code {"$from": "reserve", "pointer": "/reservationId"}} is a reference: when the coordinator
 * sends the call, it replaces the object by the value at that JSON pointer (RFC 6901) in the result
 * of step {@code reserve}, the answer its action gave when it succeeded. {@code pointer} may be left
 * out (or be {@code ""}) for the whole result. No other key may sit beside {@code $from}.
 *
 * <p>Hazard: a value must be the same whenever the call is sent, before or after a restart, or a
 * participant's retry would see other data than its first attempt. So references resolve only
 * from the durable state the engine plans from, and may name only steps the referring step depends
 * on (directly or through others): those have durably succeeded, with their result in the same
 * record, before the step can start, and their result never changes afterwards. A value that is
 * not there (a missing pointer, an empty answer) makes the call unsendable rather than guessed.
 *
 * <p>Bodies are parsed only when their text contains {@code "$from"}, so a saga without references
 * costs one substring search per call. Pure and thread-safe.
 */
public final class References {
  public static final String FROM = "$from";
  public static final String POINTER = "pointer";
  private static final String MARKER = "\"" + FROM + "\"";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** One reference: the step it names and the pointer into that step's result ({@code ""} for all of it). */
  public record Reference(String step, String pointer) {}

  /** A body with its references replaced, or why it cannot be built. */
  record Resolved(String body, String error) {}

  private References() {}

  /** True when {@code json} may contain a reference: the cheap test before any parsing. */
  static boolean mayContain(String json) {
    return json != null && json.contains(MARKER);
  }

  /**
   * The references in a body, in document order.
   *
   * @throws IllegalArgumentException naming what is wrong with a malformed reference, or when the
   *     text is not JSON
   */
  public static List<Reference> find(String json) {
    List<Reference> found = new ArrayList<>();
    if (mayContain(json)) {
      collect(parse(json), found);
    }
    return found;
  }

  /**
   * The body with every reference replaced from the results of {@code steps}.
   *
   * @param steps the saga's steps by name, in their durable state
   */
  static Resolved resolve(String json, Map<String, Branch> steps) {
    if (!mayContain(json)) {
      return new Resolved(json, null);
    }
    try {
      JsonNode body = parse(json);
      return new Resolved(replace(body, steps).toString(), null);
    } catch (IllegalArgumentException e) {
      return new Resolved(null, e.getMessage());
    }
  }

  private static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the body is not JSON: " + e.getOriginalMessage());
    }
  }

  private static void collect(JsonNode node, List<Reference> into) {
    if (node.isObject() && node.has(FROM)) {
      into.add(reference(node));
    } else if (node.isContainerNode()) {
      for (JsonNode child : node) {
        collect(child, into);
      }
    }
  }

  private static Reference reference(JsonNode node) {
    JsonNode from = node.get(FROM);
    JsonNode pointer = node.get(POINTER);
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!name.equals(FROM) && !name.equals(POINTER)) {
        throw new IllegalArgumentException("a reference has only \"$from\" and \"pointer\", but " + node + " also has \"" + name + "\"");
      }
    }
    if (!from.isTextual()) {
      throw new IllegalArgumentException("\"$from\" must be a step name, got " + from + " in " + node);
    }
    if (pointer != null && !pointer.isTextual()) {
      throw new IllegalArgumentException("\"pointer\" must be a JSON pointer string such as \"/id\", got " + pointer + " in " + node);
    }
    String p = pointer == null ? "" : pointer.textValue();
    try {
      JsonPointer.compile(p);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("\"pointer\" must be empty or start with '/', got \"" + p + "\" in " + node);
    }
    return new Reference(from.textValue(), p);
  }

  private static JsonNode replace(JsonNode node, Map<String, Branch> steps) {
    if (node.isObject() && node.has(FROM)) {
      return value(reference(node), steps);
    }
    if (node.isObject()) {
      ObjectNode copy = MAPPER.createObjectNode();
      node.fields().forEachRemaining(f -> copy.set(f.getKey(), replace(f.getValue(), steps)));
      return copy;
    }
    if (node.isArray()) {
      ArrayNode copy = MAPPER.createArrayNode();
      node.forEach(child -> copy.add(replace(child, steps)));
      return copy;
    }
    return node;
  }

  private static JsonNode value(Reference ref, Map<String, Branch> steps) {
    Branch from = steps.get(ref.step());
    if (from == null) {
      throw new IllegalArgumentException("reference to unknown step '" + ref.step() + "'");
    }
    if (from.result() == null) {
      throw new IllegalArgumentException("step '" + ref.step() + "' has no result to refer to ("
          + (from.status() == BranchStatus.PENDING ? "it has not succeeded" : "its action answered with an empty body")
          + ")");
    }
    JsonNode value = parse(from.result()).at(ref.pointer());
    if (value.isMissingNode()) {
      throw new IllegalArgumentException("pointer \"" + ref.pointer() + "\" is not in the result of step '" + ref.step() + "'");
    }
    return value;
  }
}
