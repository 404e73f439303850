package io.covenant.bench;

import io.covenant.protocol.Headers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Participants built for benchmarking: one loopback HTTP server per branch index (so the
 * coordinator's per-participant limit applies per branch, as with real services), answering
 * every call after a fixed latency armed with {@code vertx.setTimer} (no thread sleeps), logging
 * nothing per call.
 *
 * <p>The URL's first path segment says how to answer: {@code /ok/...} answers 200, {@code /refuse/...}
 * answers 409 (a business refusal). Each answer is recorded in the transaction's {@link TxRecord},
 * found by the {@code Covenant-Gid} header in the ledger; the branch index comes from the
 * {@code Covenant-Branch} header ({@code b0}, {@code b1}, ...). A call for a gid that is not in the
 * ledger, or without the headers, is answered 200 and counted as unknown.
 *
 * <p>Thread-safe; the servers run on the event loops of the Vert.x they are given.
 */
final class Participants {
  private final Vertx vertx;
  private final Map<String, TxRecord> ledger;
  /** Changed once, when the arrivals end (see {@link #latency(Duration)}); read by every call. */
  private volatile long latencyMillis;
  private final String host;
  private final List<HttpServer> servers = new ArrayList<>();
  private final LongAdder calls = new LongAdder();
  private final LongAdder unknown = new LongAdder();

  Participants(Vertx vertx, Map<String, TxRecord> ledger, Duration latency, String host) {
    this.vertx = vertx;
    this.ledger = ledger;
    this.latencyMillis = latency.toMillis();
    this.host = host;
  }

  /**
   * From now on every call is answered after {@code latency}; calls already waiting keep the
   * latency they started with. The driver's way to let slow participants recover.
   */
  void latency(Duration latency) {
    latencyMillis = latency.toMillis();
  }

  Duration latency() {
    return Duration.ofMillis(latencyMillis);
  }

  /** A new, empty ledger suited to many writers. */
  static Map<String, TxRecord> newLedger() {
    return new ConcurrentHashMap<>(1 << 16);
  }

  /** Starts {@code count} servers on ephemeral ports of {@code bindHost}, serving on the event loop of {@code context}. */
  Future<Void> start(int count, String bindHost, Context context) {
    List<Future<HttpServer>> listening = new ArrayList<>();
    for (int i = 0; i < Math.max(count, 1); i++) {
      HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost(bindHost).setPort(0)
          .setTcpNoDelay(true)).requestHandler(this::handle);
      Promise<HttpServer> listened = Promise.promise();
      context.runOnContext(v -> server.listen().onComplete(listened)); // a server serves on the context it listened from
      listening.add(listened.future());
    }
    return Future.all(listening).map(all -> {
      for (int i = 0; i < listening.size(); i++) {
        servers.add(listening.get(i).result());
      }
      return null;
    });
  }

  /** The URL on which the participant of {@code branch} answers {@code op}: {@code behaviour} is ok or refuse. */
  String url(int branch, String behaviour, String op) {
    return "http://" + host + ":" + port(branch) + "/" + behaviour + "/" + op;
  }

  /** The host in the URLs the coordinator is given. */
  String host() {
    return host;
  }

  int port(int branch) {
    return servers.get(branch % servers.size()).actualPort();
  }

  long calls() {
    return calls.sum();
  }

  long unknownCalls() {
    return unknown.sum();
  }

  Future<Void> close() {
    List<Future<Void>> closed = new ArrayList<>();
    servers.forEach(s -> closed.add(s.close()));
    return Future.join(closed).mapEmpty();
  }

  private void handle(HttpServerRequest request) {
    calls.increment();
    int status = request.path().startsWith("/refuse/") ? 409 : 200;
    long delay = latencyMillis;
    if (delay <= 0) {
      request.end().onComplete(ar -> answer(request, status));
    } else {
      request.end().onComplete(ar -> vertx.setTimer(delay, id -> answer(request, status)));
    }
  }

  private void answer(HttpServerRequest request, int status) {
    String gid = request.getHeader(Headers.GID);
    String branchText = request.getHeader(Headers.BRANCH);
    int op = TxRecord.op(request.getHeader(Headers.OP));
    TxRecord tx = gid == null ? null : ledger.get(gid);
    int branch = branchIndex(branchText);
    if (tx == null || op < 0 || branch < 0 || branch >= Workload.BRANCHES_MAX) {
      unknown.increment();
      request.response().setStatusCode(200).end();
      return;
    }
    // Record before answering: once the coordinator has the answer it may finish the transaction,
    // and the driver must never see the coordinator's end before the participant's record of it.
    tx.received(op, branch, System.nanoTime());
    request.response().setStatusCode(status).end();
  }

  private static int branchIndex(String text) {
    if (text == null || text.length() < 2 || text.charAt(0) != 'b') {
      return -1;
    }
    try {
      return Integer.parseInt(text, 1, text.length(), 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
