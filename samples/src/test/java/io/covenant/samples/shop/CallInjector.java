package io.covenant.samples.shop;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import io.covenant.protocol.Headers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Faults at the HTTP layer, in front of a service's {@code /tcc}: it can deliver a cancel before a
 * try (the reordering the network may cause), deliver a call a second time right after the first
 * (a duplicate), or answer 503 without reaching the participant (an outage). Every call that passes,
 * and every injected one with the participant's answer, is recorded.
 */
final class CallInjector extends Filter {
  /** A call as the participant received it, and its answer (0 when not known). */
  record Call(String gid, String branch, String op, boolean injected, int status) {}

  private final URI self;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private volatile Predicate<Call> cancelBefore = c -> false;
  private volatile Predicate<Call> duplicate = c -> false;
  private volatile Predicate<Call> unavailable = c -> false;

  CallInjector(URI self) {
    this.self = self;
  }

  /** Delivers a cancel of the same branch, with the same body, before each call that matches (a try). */
  void cancelBefore(Predicate<Call> which) {
    cancelBefore = which;
  }

  /** Delivers each call that matches a second time, after the first has been answered. */
  void duplicate(Predicate<Call> which) {
    duplicate = which;
  }

  /** Answers 503 to each call that matches, without passing it on. */
  void unavailable(Predicate<Call> which) {
    unavailable = which;
  }

  void reset() {
    cancelBefore = c -> false;
    duplicate = c -> false;
    unavailable = c -> false;
  }

  List<Call> calls(String gid) {
    return calls.stream().filter(c -> gid.equals(c.gid())).toList();
  }

  @Override
  public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
    if (exchange.getRequestHeaders().containsKey(Headers.OP + "-Injected")) {
      chain.doFilter(exchange); // one of ours: pass it on untouched
      return;
    }
    var h = exchange.getRequestHeaders();
    Call call = new Call(h.getFirst(Headers.GID), h.getFirst(Headers.BRANCH), h.getFirst(Headers.OP), false, 0);
    byte[] body = exchange.getRequestBody().readAllBytes();
    exchange.setStreams(new ByteArrayInputStream(body), null);
    if (unavailable.test(call)) {
      calls.add(new Call(call.gid(), call.branch(), call.op(), false, 503));
      exchange.sendResponseHeaders(503, -1);
      exchange.close();
      return;
    }
    if (cancelBefore.test(call)) {
      deliver(exchange, body, "cancel");
    }
    calls.add(call);
    chain.doFilter(exchange);
    if (duplicate.test(call)) {
      deliver(exchange, body, call.op());
    }
  }

  private void deliver(HttpExchange original, byte[] body, String op) throws IOException {
    var h = original.getRequestHeaders();
    HttpRequest request = HttpRequest.newBuilder(self.resolve(original.getRequestURI().getPath()))
        .header("Content-Type", "application/json")
        .header(Headers.GID, h.getFirst(Headers.GID))
        .header(Headers.BRANCH, h.getFirst(Headers.BRANCH))
        .header(Headers.OP, op)
        .header(Headers.OP + "-Injected", "true")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    try {
      int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      calls.add(new Call(h.getFirst(Headers.GID), h.getFirst(Headers.BRANCH), op, true, status));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while injecting a " + op, e);
    }
  }

  @Override
  public String description() {
    return "injects reordered, duplicate and failed participant calls";
  }
}
