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
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * <p>In a URL (its path and query) and in a header value, a reference is written
 * {@code ${reserve/reservationId}}: the step name, then the pointer (which cannot hold a
 * {@code '}'}); {@code ${reserve}} is the whole result. The value must be a string, number or
 * boolean; in a URL it is percent-encoded (everything but {@code A-Z a-z 0-9 - . _ ~}), so it can
 * never change the host the coordinator calls, nor add a path segment.
 *
 * <p>Bodies are parsed only when their text contains {@code "$from"}, and URLs and headers only when
 * they contain <code>${</code>, so a saga without references costs one substring search per call.
 * Pure and thread-safe.
 */
public final class References {
  public static final String FROM = "$from";
  public static final String POINTER = "pointer";
  private static final String MARKER = "\"" + FROM + "\"";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** Starts a reference in a URL or header value. */
  public static final String TEXT_MARKER = "${";
  private static final Pattern TEXT_REFERENCE = Pattern.compile("\\$\\{([A-Za-z0-9._:-]+)(/[^}]*)?}");
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

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
    if (!mayContain(json)) {
      return List.of();
    }
    List<Reference> found = new ArrayList<>();
    collect(parse(json), found);
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

  /** True when a URL or header value may contain a reference. */
  static boolean mayContainInText(String text) {
    return text != null && text.contains(TEXT_MARKER);
  }

  /**
   * The references in a URL or header value, in order.
   *
   * @throws IllegalArgumentException for a <code>${</code> that does not start a well-formed reference
   */
  public static List<Reference> findInText(String text) {
    if (!mayContainInText(text)) {
      return List.of();
    }
    List<Reference> found = new ArrayList<>();
    int from = 0;
    int at;
    while ((at = text.indexOf(TEXT_MARKER, from)) >= 0) {
      Matcher m = TEXT_REFERENCE.matcher(text);
      if (!m.find(at) || m.start() != at) {
        int end = text.indexOf('}', at);
        String shown = end < 0 ? text.substring(at, Math.min(text.length(), at + 40)) : text.substring(at, end + 1);
        throw new IllegalArgumentException("'" + shown + "' is not a reference: write ${step} or ${step/pointer}");
      }
      found.add(new Reference(m.group(1), m.group(2) == null ? "" : m.group(2)));
      from = m.end();
    }
    return found;
  }

  /** {@code text} with every well-formed reference replaced by {@code x}: a URL as it looks to syntax checks. */
  public static String placeholder(String text) {
    return mayContainInText(text) ? TEXT_REFERENCE.matcher(text).replaceAll("x") : text;
  }

  /**
   * A URL ({@code url} true) or header value with every reference replaced by its value from the
   * results of {@code steps}, percent-encoded in a URL; or why it cannot be built.
   */
  static Resolved resolveText(String text, Map<String, Branch> steps, boolean url) {
    if (!mayContainInText(text)) {
      return new Resolved(text, null);
    }
    try {
      findInText(text); // reports a malformed reference before any value is looked up
      Matcher m = TEXT_REFERENCE.matcher(text);
      StringBuilder out = new StringBuilder(text.length() + 16);
      while (m.find()) {
        Reference ref = new Reference(m.group(1), m.group(2) == null ? "" : m.group(2));
        JsonNode value = value(ref, steps);
        if (!value.isValueNode() || value.isNull()) {
          throw new IllegalArgumentException("the value at pointer \"" + ref.pointer() + "\" in the result of step '"
              + ref.step() + "' is " + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
              + ", not a string, number or boolean");
        }
        String replacement = url ? encode(value.asText()) : headerValue(value.asText(), ref);
        m.appendReplacement(out, Matcher.quoteReplacement(replacement));
      }
      m.appendTail(out);
      return new Resolved(out.toString(), null);
    } catch (IllegalArgumentException e) {
      return new Resolved(null, e.getMessage());
    }
  }

  /** Percent-encodes everything but the unreserved characters of RFC 3986, as UTF-8 (by hand: the core does no I/O, not even charsets). */
  static String encode(String value) {
    StringBuilder sb = new StringBuilder(value.length() * 3);
    value.codePoints().forEach(cp -> {
      if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '-' || cp == '.'
          || cp == '_' || cp == '~') {
        sb.append((char) cp);
      } else if (cp < 0x80) {
        percent(sb, cp);
      } else if (cp < 0x800) {
        percent(sb, 0xC0 | (cp >> 6));
        percent(sb, 0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        percent(sb, 0xE0 | (cp >> 12));
        percent(sb, 0x80 | ((cp >> 6) & 0x3F));
        percent(sb, 0x80 | (cp & 0x3F));
      } else {
        percent(sb, 0xF0 | (cp >> 18));
        percent(sb, 0x80 | ((cp >> 12) & 0x3F));
        percent(sb, 0x80 | ((cp >> 6) & 0x3F));
        percent(sb, 0x80 | (cp & 0x3F));
      }
    });
    return sb.toString();
  }

  private static void percent(StringBuilder sb, int b) {
    sb.append('%').append(HEX[b >> 4]).append(HEX[b & 0xF]);
  }

  private static String headerValue(String value, Reference ref) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7F || c > 0xFF) {
        throw new IllegalArgumentException("the value at pointer \"" + ref.pointer() + "\" in the result of step '"
            + ref.step() + "' cannot be sent in a header: it holds control or non-Latin-1 characters");
      }
    }
    return value;
  }

  /** True when both are null, or both are JSON texts of equal values (members in any order). */
  static boolean sameJson(String a, String b) {
    if (Objects.equals(a, b)) {
      return true;
    }
    if (a == null || b == null) {
      return false;
    }
    try {
      return MAPPER.readTree(a).equals(MAPPER.readTree(b));
    } catch (JsonProcessingException e) {
      return false; // stored payloads are JSON; text that is not cannot be the same registration
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
