package io.covenant.samples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A participant of the Covenant protocol for demos and manual tests, in one file that needs
 * nothing but a JDK:
 *
 * <pre>
 * java samples/src/main/java/io/covenant/samples/DemoParticipant.java 9001 stock
 * </pre>
 *
 * <p>The coordinator POSTs to a participant URL with the headers {@code Covenant-Gid},
 * {@code Covenant-Branch} and {@code Covenant-Op} and the registered payload as body. The first
 * segment of the path decides the answer, so one demo participant can play every role:
 *
 * <ul>
 *   <li>{@code /ok/...}: 200.
 *   <li>{@code /refuse/...}: 409 with a short JSON reason (a business refusal).
 *   <li>{@code /flaky/...?failures=N}: 503 for the first N calls (default 2) of each
 *       (gid, branch, op), then 200.
 *   <li>{@code /slow/...?millis=M}: sleeps M milliseconds (default 500), then 200.
 * </ul>
 *
 * <p>Every call is printed as one line on stdout and recorded. {@code GET /calls} returns the
 * recorded calls as a JSON array ({@code ?gid=...} keeps one transaction's), and
 * {@code DELETE /calls} forgets them together with the flaky counters. A call whose
 * (gid, branch, op) was already answered with a 2xx is recorded with {@code "repeat": true}: it is
 * a duplicate delivery that a real participant must treat as a no-op (the branch barrier does).
 *
 * <p>Like a real participant, it refuses with 409 a {@code try} or {@code action} that arrives
 * after a {@code cancel} or {@code compensate} of the same (gid, branch), whatever the path: the
 * coordinator has already taken the branch back, so nothing the late call did would ever be undone
 * (a suspended reservation). The undo counts from the moment it arrives.
 *
 * <p>Calls are answered on a pool of threads, so a slow call never holds up the others.
 */
public final class DemoParticipant {

  private static final Set<String> OPS =
      Set.of("try", "confirm", "cancel", "action", "compensate", "commit", "rollback");
  /** The undo of each forward op: a try is taken back by its cancel, an action by its compensate. */
  private static final Map<String, String> UNDO_OF = Map.of("try", "cancel", "action", "compensate");
  private static final int FAILURES_DEFAULT = 2;
  private static final long MILLIS_DEFAULT = 500;
  private static final long MILLIS_MAX = 600_000;

  /** Calls with the same key are deliveries of the same operation on the same branch. */
  private record Key(String gid, String branch, String op) {}

  /**
   * One call as received and answered.
   *
   * @param seq orders the calls this participant received, from 1
   * @param path the request path with its query string, if any
   * @param gid the {@code Covenant-Gid} header, or null when absent (same for branch and op)
   * @param attempt how many calls with this (gid, branch, op) arrived so far, this one included;
   *     0 for a call rejected before it counted (wrong method, unknown path or op, bad query)
   * @param repeat true when an earlier call with this (gid, branch, op) was already answered 2xx
   */
  public record Call(
      int seq,
      Instant at,
      String method,
      String path,
      String gid,
      String branch,
      String op,
      int attempt,
      int status,
      boolean repeat,
      String body) {}

  private record Answer(int status, String json) {}

  private final String name;
  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<Key, Integer> arrivals = new HashMap<>();
  private final Set<Key> succeeded = new HashSet<>();
  private final Set<Key> undone = new HashSet<>();
  private final List<Call> calls = new ArrayList<>();

  private DemoParticipant(String name, HttpServer server, ExecutorService executor) {
    this.name = name;
    this.server = server;
    this.executor = executor;
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 2 || !args[0].matches("\\d{1,5}")) {
      System.err.println("usage: java DemoParticipant.java <port> <name>");
      System.exit(2);
    }
    DemoParticipant participant = start(Integer.parseInt(args[0]), args[1]);
    System.out.println("[" + participant.name + "] listening on port " + participant.port()
        + ": POST /ok/..., /refuse/..., /flaky/...?failures=2, /slow/...?millis=500; GET or DELETE /calls");
  }

  /**
   * Starts a participant on {@code port} of every interface ({@code 0} picks a free port; see
   * {@link #port()}). It answers until {@link #stop()}.
   *
   * @throws IOException if the port cannot be bound
   */
  public static DemoParticipant start(int port, String name) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "demo-participant-" + name + "-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    DemoParticipant participant = new DemoParticipant(name, server, executor);
    server.createContext("/", participant::handle);
    server.setExecutor(executor);
    server.start();
    return participant;
  }

  /** The port this participant listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  public String name() {
    return name;
  }

  /** A snapshot of the calls recorded so far, in the order they were answered. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Stops listening at once; calls still sleeping in {@code /slow} are interrupted. */
  public void stop() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      URI uri = exchange.getRequestURI();
      String method = exchange.getRequestMethod();
      if (uri.getPath().equals("/calls")) {
        handleCalls(exchange, method, uri.getRawQuery());
        return;
      }
      String gid = exchange.getRequestHeaders().getFirst("Covenant-Gid");
      String branch = exchange.getRequestHeaders().getFirst("Covenant-Branch");
      String op = exchange.getRequestHeaders().getFirst("Covenant-Op");
      String body;
      try (InputStream in = exchange.getRequestBody()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      Key key = new Key(gid, branch, op);
      int[] attempt = {0};
      Answer answer = answer(method, uri, key, attempt);
      String path = uri.getRawQuery() == null ? uri.getRawPath() : uri.getRawPath() + "?" + uri.getRawQuery();
      Call call = record(method, path, key, attempt[0], answer.status(), body);
      System.out.println("[" + name + "] gid=" + gid + " branch=" + branch + " op=" + op + " path=" + path
          + " -> " + answer.status() + (call.repeat() ? " (repeat)" : ""));
      if (answer.status() == 405) {
        exchange.getResponseHeaders().set("Allow", "POST");
      }
      send(exchange, answer.status(), answer.json());
    }
  }

  private Answer answer(String method, URI uri, Key key, int[] attempt) {
    String path = uri.getPath();
    int slash = path.indexOf('/', 1);
    String behaviour = slash < 0 ? path.substring(1) : path.substring(1, slash);
    if (!Set.of("ok", "refuse", "flaky", "slow").contains(behaviour)) {
      return reason(404, "no such path; use /ok/..., /refuse/..., /flaky/..., /slow/... or /calls");
    }
    if (!method.equals("POST")) {
      return reason(405, "participant calls are POST, not " + method);
    }
    if (key.op() != null && !OPS.contains(key.op())) {
      return reason(400, "Covenant-Op must be one of " + String.join(", ", OPS.stream().sorted().toList())
          + ", not " + key.op());
    }
    Map<String, String> query = parseQuery(uri.getRawQuery());
    long failures;
    long millis;
    try {
      failures = longParam(query, "failures", FAILURES_DEFAULT, Integer.MAX_VALUE);
      millis = longParam(query, "millis", MILLIS_DEFAULT, MILLIS_MAX);
    } catch (IllegalArgumentException e) {
      return reason(400, e.getMessage());
    }
    attempt[0] = arrive(key);
    if (arrivesAfterItsUndo(key)) {
      return reason(409, key.op() + " of branch " + key.branch() + " arrived after its " + UNDO_OF.get(key.op())
          + "; refused, so that nothing is left reserved");
    }
    switch (behaviour) {
      case "refuse":
        return reason(409, name + " refuses " + (key.op() == null ? "the call" : key.op())
            + (key.branch() == null ? "" : " of branch " + key.branch()));
      case "flaky":
        if (attempt[0] <= failures) {
          return reason(503, "flaky: failure " + attempt[0] + " of " + failures);
        }
        return ok();
      case "slow":
        try {
          Thread.sleep(millis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return reason(503, "interrupted while sleeping: " + name + " is stopping");
        }
        return ok();
      default:
        return ok();
    }
  }

  private Answer ok() {
    return new Answer(200, "{\"participant\":" + json(name) + ",\"result\":\"ok\"}");
  }

  private static Answer reason(int status, String reason) {
    return new Answer(status, "{\"reason\":" + json(reason) + "}");
  }

  private synchronized int arrive(Key key) {
    return arrivals.merge(key, 1, Integer::sum);
  }

  /**
   * Notes a cancel or compensate of the call's branch; true for a try or action whose undo has
   * already arrived. Undo and check happen under one lock, so a try racing its cancel is either
   * before it (and taken back by it) or after it (and refused).
   */
  private synchronized boolean arrivesAfterItsUndo(Key key) {
    if (key.gid() == null || key.branch() == null || key.op() == null) {
      return false;
    }
    if (UNDO_OF.containsValue(key.op())) {
      undone.add(new Key(key.gid(), key.branch(), key.op()));
      return false;
    }
    String undo = UNDO_OF.get(key.op());
    return undo != null && undone.contains(new Key(key.gid(), key.branch(), undo));
  }

  private synchronized Call record(String method, String path, Key key, int attempt, int status, String body) {
    boolean counted = attempt > 0;
    boolean repeat = counted && succeeded.contains(key);
    if (counted && status / 100 == 2) {
      succeeded.add(key);
    }
    Call call = new Call(calls.size() + 1, Instant.now(), method, path, key.gid(), key.branch(), key.op(),
        attempt, status, repeat, body);
    calls.add(call);
    return call;
  }

  private synchronized void clear() {
    calls.clear();
    arrivals.clear();
    succeeded.clear();
    undone.clear();
  }

  private void handleCalls(HttpExchange exchange, String method, String rawQuery) throws IOException {
    exchange.getRequestBody().readAllBytes();
    switch (method) {
      case "GET": {
        String gid = parseQuery(rawQuery).get("gid");
        StringBuilder out = new StringBuilder("[");
        for (Call c : calls()) {
          if (gid != null && !gid.equals(c.gid())) {
            continue;
          }
          if (out.length() > 1) {
            out.append(",\n ");
          }
          out.append(toJson(c));
        }
        send(exchange, 200, out.append("]\n").toString());
        return;
      }
      case "DELETE":
        clear();
        exchange.sendResponseHeaders(204, -1);
        return;
      default:
        exchange.getResponseHeaders().set("Allow", "GET, DELETE");
        send(exchange, 405, reason(405, "/calls takes GET or DELETE, not " + method).json());
    }
  }

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static Map<String, String> parseQuery(String rawQuery) {
    Map<String, String> params = new HashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.putIfAbsent(k, v);
    }
    return params;
  }

  private static long longParam(Map<String, String> query, String key, long fallback, long max) {
    String value = query.get(key);
    if (value == null) {
      return fallback;
    }
    try {
      long parsed = Long.parseLong(value);
      if (parsed >= 0 && parsed <= max) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below with the allowed range
    }
    throw new IllegalArgumentException(key + " must be an integer from 0 to " + max + ", not '" + value + "'");
  }

  private static String toJson(Call c) {
    return "{\"seq\":" + c.seq()
        + ",\"at\":" + json(c.at().toString())
        + ",\"method\":" + json(c.method())
        + ",\"path\":" + json(c.path())
        + ",\"gid\":" + json(c.gid())
        + ",\"branch\":" + json(c.branch())
        + ",\"op\":" + json(c.op())
        + ",\"attempt\":" + c.attempt()
        + ",\"status\":" + c.status()
        + ",\"repeat\":" + c.repeat()
        + ",\"body\":" + json(c.body())
        + "}";
  }

  /** A JSON string literal (RFC 8259), or {@code null}. */
  static String json(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
          // Control characters must be escaped; U+2028 and U+2029 are escaped too so that the
          // output is also safe to paste into JavaScript.
          if (ch < 0x20 || ch == '\u2028' || ch == '\u2029') {
            out.append(String.format("\\u%04x", (int) ch));
          } else {
            out.append(ch);
          }
      }
    }
    return out.append('"').toString();
  }
}
