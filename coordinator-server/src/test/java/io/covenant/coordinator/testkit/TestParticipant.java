package io.covenant.coordinator.testkit;

import io.covenant.protocol.Headers;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real HTTP participant on a loopback port, for tests: it records every call the coordinator
 * makes (gid, branch, op, body) and answers as scripted: a queue of statuses per (branch, op),
 * holding calls of an op until released, or holding them until several are in progress at once
 * (which proves the coordinator really calls them in parallel).
 */
public final class TestParticipant implements AutoCloseable {

  /** One call as received. {@code seq} orders calls across this participant. */
  public record Received(int seq, String gid, String branch, String op, String body) {}

  private final Vertx vertx;
  private final HttpServer server;
  private final Object lock = new Object();
  private final List<Received> calls = new ArrayList<>();
  private final Map<String, Queue<Integer>> scripts = new HashMap<>();
  private final Map<String, List<HttpServerRequest>> held = new HashMap<>();
  private final Map<String, java.util.Set<String>> gathering = new HashMap<>();
  private final Map<String, Integer> inProgress = new HashMap<>();
  private final Map<String, Integer> maxInProgress = new HashMap<>();
  private final java.util.Set<String> holding = new java.util.HashSet<>();
  private final java.util.Set<String> refusing = new java.util.HashSet<>();

  private TestParticipant(Vertx vertx) throws Exception {
    this.vertx = vertx;
    this.server = vertx.createHttpServer().requestHandler(this::handle)
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  public static TestParticipant start() throws Exception {
    return new TestParticipant(Vertx.vertx());
  }

  /** The URL for an endpoint of this participant; the path is informative only. */
  public String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + "/" + path;
  }

  /** The next calls of {@code op} on {@code branch} get these statuses, in order; later ones get 200. */
  public TestParticipant answer(String branch, String op, int... statuses) {
    synchronized (lock) {
      Queue<Integer> q = scripts.computeIfAbsent(branch + "/" + op, k -> new ArrayDeque<>());
      for (int s : statuses) {
        q.add(s);
      }
    }
    return this;
  }

  /**
   * Refuses (409) every call of {@code op} on {@code branch}, as a participant whose barrier
   * remembers its refusal would, however often the coordinator repeats the call.
   */
  public TestParticipant refuse(String branch, String op) {
    synchronized (lock) {
      refusing.add(branch + "/" + op);
    }
    return this;
  }

  /** Holds every call of {@code op} without answering, until {@link #release}. */
  public TestParticipant hold(String op) {
    synchronized (lock) {
      holding.add(op);
    }
    return this;
  }

  /** Stops holding {@code op} and answers the held calls (200 unless scripted). */
  public void release(String op) {
    List<HttpServerRequest> toAnswer;
    synchronized (lock) {
      holding.remove(op);
      toAnswer = held.getOrDefault(op, List.of());
      held.remove(op);
    }
    toAnswer.forEach(r -> vertx.runOnContext(v -> respond(r)));
  }

  /**
   * Holds the calls of {@code op} for the given branches until all of them are in progress at
   * once, then answers them all: it completes only if the coordinator calls them concurrently.
   */
  public TestParticipant gather(String op, String... branches) {
    synchronized (lock) {
      gathering.put(op, new java.util.HashSet<>(List.of(branches)));
    }
    return this;
  }

  /** The most calls of {@code op} that were in progress at the same time. */
  public int maxConcurrent(String op) {
    synchronized (lock) {
      return maxInProgress.getOrDefault(op, 0);
    }
  }

  public List<Received> calls() {
    synchronized (lock) {
      return List.copyOf(calls);
    }
  }

  public List<Received> calls(String gid) {
    return calls().stream().filter(c -> c.gid().equals(gid)).toList();
  }

  /** "branch:op" of every call for {@code gid}, in arrival order. */
  public List<String> trace(String gid) {
    return calls(gid).stream().map(c -> c.branch() + ":" + c.op()).toList();
  }

  public long count(String gid, String branch, String op) {
    return calls(gid).stream().filter(c -> c.branch().equals(branch) && c.op().equals(op)).count();
  }

  /** Waits (bounded) until some received call matches. */
  public void awaitCall(Duration bound, Predicate<Received> match) {
    long deadline = System.nanoTime() + bound.toNanos();
    synchronized (lock) {
      while (calls.stream().noneMatch(match)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no matching call within " + bound + "; received " + calls);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      String op = request.getHeader(Headers.OP);
      List<HttpServerRequest> gathered = null;
      synchronized (lock) {
        calls.add(new Received(calls.size() + 1, request.getHeader(Headers.GID), request.getHeader(Headers.BRANCH), op,
            body.toString()));
        int now = inProgress.merge(op, 1, Integer::sum);
        maxInProgress.merge(op, now, Math::max);
        lock.notifyAll();
        java.util.Set<String> group = gathering.get(op);
        boolean gather = group != null && group.contains(request.getHeader(Headers.BRANCH));
        if (holding.contains(op) || gather) {
          held.computeIfAbsent(op, k -> new ArrayList<>()).add(request);
          if (gather && held.get(op).size() >= group.size()) {
            gathering.remove(op);
            gathered = held.remove(op);
          } else {
            return;
          }
        }
      }
      if (gathered != null) {
        gathered.forEach(this::respond);
      } else {
        respond(request);
      }
    });
  }

  private void respond(HttpServerRequest request) {
    String op = request.getHeader(Headers.OP);
    int status;
    synchronized (lock) {
      String key = request.getHeader(Headers.BRANCH) + "/" + op;
      Queue<Integer> q = scripts.get(key);
      status = refusing.contains(key) ? 409 : q == null || q.isEmpty() ? 200 : q.poll();
      inProgress.merge(op, -1, Integer::sum);
    }
    request.response().setStatusCode(status).putHeader("content-type", "application/json")
        .end(status == 409 ? "{\"reason\":\"refused by test\"}" : "{}");
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
