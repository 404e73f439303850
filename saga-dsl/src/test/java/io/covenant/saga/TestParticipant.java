package io.covenant.saga;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A real HTTP participant on a loopback port (the JDK's server, one thread per request, so that
 * calls can be held open together). It records every call with its method, headers and body, and
 * answers as scripted: statuses queued per (branch, op), an answer body per branch, and calls held
 * open until released, which shows which calls were in progress at the same time.
 */
final class TestParticipant implements AutoCloseable {

  /** One call as received; {@code seq} orders calls across every participant of the test JVM. */
  record Call(long seq, String gid, String branch, String op, String method, String path, String tenant, String body) {
    String key() {
      return branch + ":" + op;
    }
  }

  private static final java.util.concurrent.atomic.AtomicLong SEQ = new java.util.concurrent.atomic.AtomicLong();

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final Object lock = new Object();
  private final List<Call> calls = new ArrayList<>();
  private final Map<String, Queue<Integer>> statuses = new HashMap<>();
  private final Map<String, Function<Call, String>> answers = new HashMap<>();
  private final Set<String> held = new java.util.HashSet<>();
  private final Map<String, Integer> inProgress = new HashMap<>();
  private boolean closed;

  private TestParticipant() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  static TestParticipant start() throws IOException {
    return new TestParticipant();
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + path;
  }

  /** The next calls of {@code op} on {@code branch} get these statuses; later ones get 200. */
  TestParticipant answer(String branch, String op, int... codes) {
    synchronized (lock) {
      Queue<Integer> q = statuses.computeIfAbsent(branch + ":" + op, k -> new ArrayDeque<>());
      for (int c : codes) {
        q.add(c);
      }
    }
    return this;
  }

  /** The body of every 2xx answer to {@code branch}'s action (default {@code {}}). */
  TestParticipant answerBody(String branch, Function<Call, String> body) {
    synchronized (lock) {
      answers.put(branch + ":action", body);
    }
    return this;
  }

  /** Holds calls of {@code op} on {@code branch} open (unanswered) until {@link #release}. */
  TestParticipant hold(String branch, String op) {
    synchronized (lock) {
      held.add(branch + ":" + op);
    }
    return this;
  }

  void release(String branch, String op) {
    synchronized (lock) {
      held.remove(branch + ":" + op);
      lock.notifyAll();
    }
  }

  /** Calls being handled now, by "branch:op". */
  Set<String> inProgress() {
    synchronized (lock) {
      Set<String> now = new java.util.TreeSet<>();
      inProgress.forEach((k, n) -> {
        if (n > 0) {
          now.add(k);
        }
      });
      return now;
    }
  }

  List<Call> calls(String gid) {
    synchronized (lock) {
      return calls.stream().filter(c -> gid.equals(c.gid())).toList();
    }
  }

  /** "branch:op" of every call for {@code gid}, in arrival order. */
  List<String> trace(String gid) {
    return calls(gid).stream().map(Call::key).toList();
  }

  int requestCount() {
    synchronized (lock) {
      return calls.size();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      var h = exchange.getRequestHeaders();
      int status;
      String answer;
      Call call;
      synchronized (lock) {
        call = new Call(SEQ.incrementAndGet(), h.getFirst("Covenant-Gid"), h.getFirst("Covenant-Branch"), h.getFirst("Covenant-Op"),
            exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), h.getFirst("X-Tenant"), body);
        calls.add(call);
        inProgress.merge(call.key(), 1, Integer::sum);
        lock.notifyAll();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (held.contains(call.key()) && !closed && System.nanoTime() < deadline) {
          try {
            TimeUnit.NANOSECONDS.timedWait(lock, deadline - System.nanoTime());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
        inProgress.merge(call.key(), -1, Integer::sum);
        Queue<Integer> q = statuses.get(call.key());
        status = q == null || q.isEmpty() ? 200 : q.poll();
        Function<Call, String> answerer = answers.get(call.key());
        answer = status == 409 ? "{\"reason\":\"refused by test\"}"
            : status >= 300 ? "try later" : answerer == null ? "{}" : answerer.apply(call);
      }
      byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      // the caller went away (a coordinator that crashed while the call was held): nothing to answer
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
    server.stop(0);
    threads.shutdownNow();
  }
}
