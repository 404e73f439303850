package io.covenant.saga.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.covenant.protocol.SagaRecovery;
import io.covenant.saga.HttpCall;
import io.covenant.saga.StepDefinition;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rules a saga definition must follow, the same ones the coordinator applies when it is
 * submitted ({@code Requests.saga} and {@code Core.sagaDefinitionError} in coordinator-server), so
 * that a definition that passes here is accepted there. Unlike the coordinator, which answers with
 * the first problem, this collects every problem, each naming its step.
 *
 * <p>Left to the coordinator, because only its configuration knows them: the most steps
 * ({@code limits.branchesPerTransactionMax}), the longest name ({@code limits.gidLengthMax}, at
 * least 36; 128 is assumed here), the longest timeout ({@code limits.timeoutMax}) and the hosts
 * it may call ({@code participant.allowedHosts}).
 */
public final class Validation {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}");
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
  private static final Set<String> RESERVED_HEADERS = Set.of(
      "content-type", "content-length", "transfer-encoding", "host", "connection", "upgrade", "te", "trailer",
      "keep-alive", "expect");
  private static final String FROM = "$from";
  private static final String TEXT_MARKER = "${";
  private static final Pattern TEXT_REFERENCE = Pattern.compile("\\$\\{([A-Za-z0-9._:-]+)(/[^}]*)?}");
  private static final String POINTER = "pointer";

  private Validation() {}

  /** Every problem of the definition, in step order; empty when it is valid. */
  public static List<String> problems(String name, Duration timeout, SagaRecovery recovery, List<StepDefinition> steps) {
    List<String> problems = new ArrayList<>();
    if (name != null && !ID.matcher(name).matches()) {
      problems.add("saga name must be 1 to 128 characters of A-Z a-z 0-9 . _ : -, got '" + shorten(name) + "'");
    }
    duration(problems, "saga timeout", timeout);
    if (steps.isEmpty()) {
      problems.add("a saga needs at least one step");
      return problems;
    }
    Map<String, StepDefinition> byName = new HashMap<>();
    Map<String, List<String>> deps = new HashMap<>();
    Set<String> duplicates = new LinkedHashSet<>();
    String previous = null;
    for (int i = 0; i < steps.size(); i++) {
      StepDefinition s = steps.get(i);
      if (s.name() == null) {
        problems.add("steps[" + i + "]: name is required");
        continue;
      }
      if (byName.putIfAbsent(s.name(), s) != null) {
        duplicates.add(s.name());
      }
      deps.putIfAbsent(s.name(), s.dependsOn() != null ? s.dependsOn() : previous == null ? List.of() : List.of(previous));
      previous = s.name();
    }
    for (String d : duplicates) {
      problems.add("step name '" + d + "' is used twice");
    }
    for (StepDefinition s : steps) {
      if (s.name() != null) {
        stepProblems(problems, s, recovery, byName);
      }
    }
    String cycle = findCycle(steps, deps, byName);
    if (cycle != null) {
      problems.add("steps depend on each other in a cycle: " + cycle);
      return problems; // "before" and "after" mean nothing in a cycle: the rules below would only repeat it
    }
    for (StepDefinition s : steps) {
      if (s.name() == null) {
        continue;
      }
      Set<String> ancestors = ancestors(s.name(), deps, byName);
      references(problems, s, "action", s.action(), ancestors, byName);
      if (s.compensation() != null) {
        references(problems, s, "compensation", s.compensation(), ancestors, byName);
      }
    }
    if (recovery == SagaRecovery.COMPENSATE) {
      for (StepDefinition s : steps) {
        if (s.name() != null && s.compensation() == null && byName.get(s.name()) == s) {
          Set<String> above = ancestors(s.name(), deps, byName);
          for (StepDefinition other : steps) {
            if (other != s && other.name() != null && !above.contains(other.name())
                && !ancestors(other.name(), deps, byName).contains(s.name()) && !other.name().equals(s.name())) {
              problems.add("step '" + other.name() + "' may run at the same time as step '" + s.name() + "', which has no "
                  + "compensation: make it depend on '" + s.name() + "' or '" + s.name() + "' depend on it");
            }
          }
        }
      }
    }
    return problems;
  }

  private static void stepProblems(List<String> problems, StepDefinition s, SagaRecovery recovery,
      Map<String, StepDefinition> byName) {
    String step = "step '" + s.name() + "'";
    if (!ID.matcher(s.name()).matches()) {
      problems.add(step + ": a name must be 1 to 128 characters of A-Z a-z 0-9 . _ : -");
    }
    if (s.action() == null) {
      problems.add(step + ": action is required");
    } else {
      call(problems, step + " action", s.action());
    }
    if (s.compensation() != null) {
      call(problems, step + " compensation", s.compensation());
    } else if (recovery == SagaRecovery.COMPENSATE && !s.pivot()) {
      problems.add(step + " has no compensation; only a pivot step or a step of a forward saga may omit it");
    }
    if (s.dependsOn() != null) {
      Set<String> seen = new HashSet<>();
      for (String d : s.dependsOn()) {
        if (d == null) {
          problems.add(step + ": dependsOn holds null instead of a step name");
        } else if (d.equals(s.name())) {
          problems.add(step + " depends on itself");
        } else if (!byName.containsKey(d)) {
          problems.add(step + " depends on unknown step '" + shorten(d) + "'");
        } else if (!seen.add(d)) {
          problems.add(step + " names step '" + d + "' twice in dependsOn");
        }
      }
    }
    if (s.attemptsMax() != null && s.attemptsMax() < 1) {
      problems.add(step + ": attemptsMax must be at least 1, got " + s.attemptsMax());
    }
    duration(problems, step + " timeout", s.timeout());
    duration(problems, step + " backoffInitial", s.backoffInitial());
    duration(problems, step + " backoffMax", s.backoffMax());
    if (s.backoffInitial() != null && s.backoffMax() != null && s.backoffMax().compareTo(s.backoffInitial()) < 0) {
      problems.add(step + ": backoffMax " + s.backoffMax().toMillis() + " ms is below backoffInitial "
          + s.backoffInitial().toMillis() + " ms");
    }
  }

  private static void call(List<String> problems, String what, HttpCall call) {
    String url = call.url();
    if (url.contains(TEXT_MARKER)) {
      String malformed = malformedText(url);
      if (malformed != null) {
        problems.add(what + " URL: " + malformed);
        return;
      }
      if (url.indexOf(TEXT_MARKER) < authorityEnd(url)) {
        problems.add(what + " URL may hold references only in its path and query, not in its scheme, host or port");
        return;
      }
      url = TEXT_REFERENCE.matcher(url).replaceAll("x");
    }
    if (!isHttpUrl(url)) {
      problems.add(what + " URL must be an absolute http or https URL, got '" + shorten(call.url()) + "'");
    }
    if (!METHODS.contains(call.method())) {
      problems.add(what + " method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got '" + shorten(call.method()) + "'");
    }
    Set<String> seen = new HashSet<>();
    for (Map.Entry<String, String> h : call.headers().entrySet()) {
      String name = h.getKey();
      String lower = name.toLowerCase(Locale.ROOT);
      if (!HEADER_NAME.matcher(name).matches()) {
        problems.add(what + " has an invalid header name '" + shorten(name) + "'");
      } else if (lower.startsWith("covenant-") || RESERVED_HEADERS.contains(lower)) {
        problems.add(what + " header " + name + " is set by the coordinator and cannot be given");
      } else if (!seen.add(lower)) {
        problems.add(what + " gives header '" + name + "' twice (header names ignore case)");
      }
      if (h.getValue() == null || !validHeaderValue(h.getValue())) {
        problems.add(what + " header " + shorten(name) + " must be a text of visible characters, spaces and tabs");
      } else if (malformedText(h.getValue()) != null) {
        problems.add(what + " header " + shorten(name) + ": " + malformedText(h.getValue()));
      }
    }
  }

  private static void references(List<String> problems, StepDefinition s, String side, HttpCall call, Set<String> ancestors,
      Map<String, StepDefinition> byName) {
    List<String[]> refs = new ArrayList<>();
    if (call.body() != null) {
      collect(problems, "step '" + s.name() + "' " + side + " body", call.body(), refs);
    }
    textReferences(call.url(), refs);
    call.headers().values().forEach(v -> textReferences(v, refs));
    for (String[] r : refs) {
      String target = r[0];
      if (!byName.containsKey(target)) {
        problems.add("step '" + s.name() + "' " + side + " refers to unknown step '" + shorten(target) + "'");
      } else if (!ancestors.contains(target)) {
        problems.add("step '" + s.name() + "' " + side + " refers to step '" + target + "', which may not have run "
            + "yet: a step may refer only to steps it depends on, directly or through others");
      }
    }
  }

  /** The well-formed references of a URL or header value (malformed ones are reported elsewhere). */
  private static void textReferences(String text, List<String[]> into) {
    if (text == null || !text.contains(TEXT_MARKER) || malformedText(text) != null) {
      return;
    }
    Matcher m = TEXT_REFERENCE.matcher(text);
    while (m.find()) {
      into.add(new String[] {m.group(1), m.group(2) == null ? "" : m.group(2)});
    }
  }

  /** What is wrong with the first <code>${</code> that does not start a reference, or null. */
  private static String malformedText(String text) {
    int from = 0;
    int at;
    while ((at = text.indexOf(TEXT_MARKER, from)) >= 0) {
      Matcher m = TEXT_REFERENCE.matcher(text);
      if (!m.find(at) || m.start() != at) {
        int end = text.indexOf('}', at);
        String shown = end < 0 ? text.substring(at, Math.min(text.length(), at + 40)) : text.substring(at, end + 1);
        return "'" + shown + "' is not a reference: write ${step} or ${step/pointer}";
      }
      from = m.end();
    }
    return null;
  }

  private static int authorityEnd(String url) {
    int scheme = url.indexOf("://");
    if (scheme < 0) {
      return url.length();
    }
    for (int i = scheme + 3; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c == '/' || c == '?' || c == '#') {
        return i;
      }
    }
    return url.length();
  }

  /** Collects the references in a body ({step, pointer}), adding a problem for each malformed one. */
  private static void collect(List<String> problems, String where, JsonNode node, List<String[]> into) {
    if (node.isObject() && node.has(FROM)) {
      JsonNode from = node.get(FROM);
      JsonNode pointer = node.get(POINTER);
      Iterator<String> names = node.fieldNames();
      while (names.hasNext()) {
        String n = names.next();
        if (!n.equals(FROM) && !n.equals(POINTER)) {
          problems.add(where + ": a reference has only \"$from\" and \"pointer\", but " + node + " also has \"" + n + "\"");
          return;
        }
      }
      if (!from.isTextual()) {
        problems.add(where + ": \"$from\" must be a step name, got " + from + " in " + node);
        return;
      }
      if (pointer != null && (!pointer.isTextual() || !(pointer.textValue().isEmpty() || pointer.textValue().startsWith("/")))) {
        problems.add(where + ": \"pointer\" must be empty or start with '/', got " + pointer + " in " + node);
        return;
      }
      into.add(new String[] {from.textValue(), pointer == null ? "" : pointer.textValue()});
    } else if (node.isContainerNode()) {
      for (JsonNode child : node) {
        collect(problems, where, child, into);
      }
    }
  }

  private static Set<String> ancestors(String step, Map<String, List<String>> deps, Map<String, StepDefinition> byName) {
    Set<String> into = new HashSet<>();
    List<String> todo = new ArrayList<>(deps.getOrDefault(step, List.of()));
    while (!todo.isEmpty()) {
      String d = todo.remove(todo.size() - 1);
      if (d != null && byName.containsKey(d) && into.add(d)) {
        todo.addAll(deps.getOrDefault(d, List.of()));
      }
    }
    return into;
  }

  private static String findCycle(List<StepDefinition> steps, Map<String, List<String>> deps, Map<String, StepDefinition> byName) {
    Map<String, Integer> state = new HashMap<>(); // 1 = on the path, 2 = done
    for (StepDefinition s : steps) {
      if (s.name() == null) {
        continue;
      }
      List<String> path = new ArrayList<>();
      if (visit(s.name(), deps, byName, state, path)) {
        return String.join(" -> ", path);
      }
    }
    return null;
  }

  private static boolean visit(String name, Map<String, List<String>> deps, Map<String, StepDefinition> byName,
      Map<String, Integer> state, List<String> path) {
    Integer st = state.get(name);
    if (st != null) {
      if (st == 1) {
        path.add(name);
        return true;
      }
      return false;
    }
    state.put(name, 1);
    path.add(name);
    for (String d : deps.getOrDefault(name, List.of())) {
      if (d != null && !d.equals(name) && byName.containsKey(d) && visit(d, deps, byName, state, path)) {
        return true;
      }
    }
    path.remove(path.size() - 1);
    state.put(name, 2);
    return false;
  }

  private static void duration(List<String> problems, String what, Duration d) {
    if (d == null) {
      return;
    }
    if (d.isNegative() || d.isZero()) {
      problems.add(what + " must be positive, got " + d);
    } else if (d.getNano() % 1_000_000 != 0) {
      problems.add(what + " must be whole milliseconds, got " + d);
    }
  }

  static boolean isHttpUrl(String value) {
    try {
      URI u = new URI(value);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      return (scheme.equals("http") || scheme.equals("https")) && !u.isOpaque()
          && u.getHost() != null && !u.getHost().isEmpty();
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static boolean validHeaderValue(String value) {
    if (value.length() > 8192) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7F || c > 0xFF) {
        return false;
      }
    }
    return true;
  }

  private static String shorten(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "…" : s;
  }
}
