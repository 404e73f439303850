package io.covenant.bench;

import io.covenant.protocol.Headers;
import io.covenant.protocol.Mode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The load generator: starts transactions as the workload's arrival says and carries each one
 * out as a real initiator would, over HTTP.
 *
 * <ul>
 *   <li><b>TCC</b>: begin; for each branch, register it and then call the participant's try
 *       (with the {@code Covenant-*} headers); commit. A failing transaction's try is refused (409)
 *       and the driver rolls back.</li>
 *   <li><b>2PC</b>: begin; register each branch (its participant has prepared); commit. In a
 *       failing transaction a participant does not prepare: its branch and the ones after it are
 *       not registered, and the driver rolls back.</li>
 *   <li><b>Saga</b>: submit the whole saga; a failing saga has one step whose action URL refuses.</li>
 * </ul>
 * Every transaction gets its own gid ({@code bench-<run>-<n>}), which the participants use to
 * record what they received ({@link TxRecord}). A transaction is <em>decided</em> when the
 * coordinator's durable answer arrives and <em>complete</em> when, in addition, the participants
 * have answered the last call it needs.
 *
 * <p><b>Arrival.</b> Open loop: the rate rises from 0 over the first half of the warm-up, then a
 * 1 ms timer starts every transaction that is due at the full rate, each with the
 * time it was <em>due</em> as its start, so that a stall of the coordinator, or of the driver
 * itself, adds to the latency of every transaction that should have started meanwhile (no
 * coordinated omission); transactions beyond {@code inFlightMax} are skipped and counted as
 * errors. Closed loop: {@code concurrency} clients, each starting its next transaction when its
 * previous one is complete (or failed), so the number in flight stays fixed and a saturated
 * coordinator shows as lower throughput. Either way no transaction starts after the measurement
 * window; the run then waits for those in flight, at most {@code drainTimeout}.
 *
 * <p>Every request to the coordinator carries {@code Prefer: return=minimal}: the driver needs no
 * more of an answer than its status code (and, for a transaction without branches, the status in
 * the body), so the coordinator answers with the transaction's summary instead of building its
 * whole view, as a lean client would. The {@link Verifier} still reads whole views at the end.
 *
 * <p>Threading: everything but the end-of-transaction callback runs on the driver's context;
 * requests are issued from it, so their answers come back to it.
 */
final class Driver {
  private static final long REQUEST_TIMEOUT_MILLIS = 30_000;
  private static final String PROBLEMS = "/problems/";

  private final Vertx vertx;
  private final Context context;
  private final WebClient client;
  private final String host;
  private final int port;
  private final Participants participants;
  private final Map<String, TxRecord> ledger;
  private final Workload workload;
  private final Measurements measurements;
  private final String gidPrefix;
  private final SplittableRandom random;
  private final int inFlightMax;
  private final long startNanos;
  private final long drainTimeoutNanos;
  private final List<Map.Entry<Mode, Double>> mix;
  private final Buffer payload;
  private final String beginSuffix;
  /** Per mode (TCC / 2PC) and branch: the register request body. */
  private final Buffer[] registerTcc;
  private final Buffer[] register2pc;
  /** Per failing step (index 0: none, i + 1: step i refuses): the saga body after the gid. */
  private final String[] sagaSuffix;

  private final Promise<Void> done = Promise.promise();
  private long seq;
  private int inFlight;
  private boolean arrivalsEnded;
  private long openStarted;
  private long periodic = -1;

  Driver(Vertx vertx, Context context, WebClient client, String coordinatorBaseUrl, Participants participants,
      Map<String, TxRecord> ledger, Workload workload, Measurements measurements, String gidPrefix, long seed,
      int inFlightMax, long startNanos, long drainTimeoutNanos) {
    this.vertx = vertx;
    this.context = context;
    this.client = client;
    URI base = URI.create(coordinatorBaseUrl);
    this.host = base.getHost();
    this.port = base.getPort() < 0 ? 80 : base.getPort();
    this.participants = participants;
    this.ledger = ledger;
    this.workload = workload;
    this.measurements = measurements;
    this.gidPrefix = gidPrefix;
    this.random = new SplittableRandom(seed);
    this.inFlightMax = inFlightMax;
    this.startNanos = startNanos;
    this.drainTimeoutNanos = drainTimeoutNanos;
    this.mix = workload.cumulativeMix();
    String payloadJson = payloadJson(workload.payloadBytes());
    this.payload = payloadJson == null ? Buffer.buffer() : Buffer.buffer(payloadJson);
    this.beginSuffix = "\",\"timeoutMillis\":" + workload.transactionTimeout().toMillis() + "}";
    int n = workload.branches();
    registerTcc = new Buffer[n];
    register2pc = new Buffer[n];
    for (int b = 0; b < n; b++) {
      registerTcc[b] = Buffer.buffer("{\"branchId\":\"b" + b + "\",\"confirm\":\"" + participants.url(b, "ok", "confirm")
          + "\",\"cancel\":\"" + participants.url(b, "ok", "cancel") + "\"" + payloadField(payloadJson) + "}");
      register2pc[b] = Buffer.buffer("{\"branchId\":\"b" + b + "\",\"commit\":\"" + participants.url(b, "ok", "commit")
          + "\",\"rollback\":\"" + participants.url(b, "ok", "rollback") + "\"" + payloadField(payloadJson) + "}");
    }
    sagaSuffix = new String[n + 1];
    for (int fail = -1; fail < n; fail++) {
      StringBuilder sb = new StringBuilder("\",\"steps\":[");
      for (int b = 0; b < n; b++) {
        if (b > 0) {
          sb.append(',');
        }
        sb.append("{\"name\":\"b").append(b).append("\",\"action\":\"")
            .append(participants.url(b, b == fail ? "refuse" : "ok", "action"))
            .append("\",\"compensation\":\"").append(participants.url(b, "ok", "compensate")).append('"')
            .append(payloadField(payloadJson)).append('}');
      }
      sagaSuffix[fail + 1] = sb.append("]}").toString();
    }
  }

  /**
   * A JSON object of about {@code bytes} bytes ({@code {"data":"xxx…"}}), or null for none. At
   * least the 11 bytes of the smallest such object.
   */
  static String payloadJson(int bytes) {
    if (bytes <= 0) {
      return null;
    }
    int filler = Math.max(0, bytes - "{\"data\":\"\"}".length());
    return "{\"data\":\"" + "x".repeat(filler) + "\"}";
  }

  private static String payloadField(String payloadJson) {
    return payloadJson == null ? "" : ",\"payload\":" + payloadJson;
  }

  /**
   * Runs the workload: arrivals until the end of the measurement window, then the drain.
   *
   * @return completes on the driver's context once every transaction has finished or the drain
   *     timed out; {@link #inFlight()} then says how many had not
   */
  Future<Void> run() {
    context.runOnContext(v -> {
      long windowEnd = measurements.windowEndNanos();
      long drainDelayMillis = Math.max(1, (windowEnd - System.nanoTime() + drainTimeoutNanos) / 1_000_000);
      vertx.setTimer(drainDelayMillis, id -> finish());
      if (workload.arrival().open()) {
        periodic = vertx.setPeriodic(1, id -> openTick());
        openTick();
      } else {
        for (int i = 0; i < workload.arrival().concurrency(); i++) {
          start(System.nanoTime());
        }
      }
    });
    return done.future();
  }

  /** Transactions started and not finished (read on the driver's context, or after {@link #run()} completed). */
  int inFlight() {
    return inFlight;
  }

  private void openTick() {
    if (arrivalsEnded) {
      return;
    }
    long now = System.nanoTime();
    long windowEnd = measurements.windowEndNanos();
    double perNanos = workload.arrival().rate() / 1e9;
    long rampNanos = (measurements.windowStartNanos() - startNanos) / 2;
    long due = arrivalsBy(Math.min(now, windowEnd) - startNanos, perNanos, rampNanos);
    while (openStarted < due) {
      long intended = startNanos + dueTimeOf(openStarted, perNanos, rampNanos);
      openStarted++;
      if (intended >= windowEnd) {
        break;
      }
      if (inFlight >= inFlightMax) {
        measurements.skipArrival();
        continue;
      }
      start(intended);
    }
    if (now >= windowEnd) {
      vertx.cancelTimer(periodic);
      endArrivals();
    }
  }

  /**
   * Open-loop arrivals due in the first {@code elapsed} nanoseconds: the rate rises linearly from 0
   * over {@code ramp} (the first half of the warm-up), then stays at {@code perNanos}. A cold JVM
   * offered the full rate at once falls behind while it compiles, and the measured window would
   * then only show that backlog draining; the window itself is always at the full rate.
   */
  static long arrivalsBy(long elapsed, double perNanos, long ramp) {
    if (elapsed <= 0) {
      return 0;
    }
    if (elapsed < ramp) {
      return (long) (perNanos * elapsed * (double) elapsed / (2.0 * ramp));
    }
    return (long) (perNanos * (elapsed - ramp / 2.0));
  }

  /** When arrival {@code k} (from 0) is due, in nanoseconds after the start: the inverse of {@link #arrivalsBy}. */
  static long dueTimeOf(long k, double perNanos, long ramp) {
    double rampArrivals = perNanos * ramp / 2.0;
    if (k < rampArrivals) {
      return (long) Math.sqrt(2.0 * k * ramp / perNanos);
    }
    return (long) (k / perNanos + ramp / 2.0);
  }

  private void endArrivals() {
    arrivalsEnded = true;
    if (inFlight == 0) {
      finish();
    }
  }

  private void finish() {
    arrivalsEnded = true;
    if (periodic >= 0) {
      vertx.cancelTimer(periodic);
    }
    done.tryComplete();
  }

  private void start(long intendedNanos) {
    Mode mode = pickMode();
    int fail = -1;
    if (workload.failureShare() > 0 && random.nextDouble() < workload.failureShare()) {
      fail = switch (workload.failAt()) {
        case FIRST -> 0;
        case LAST -> workload.branches() - 1;
        case RANDOM -> random.nextInt(workload.branches());
      };
    }
    String gid = gidPrefix + (seq++);
    TxRecord tx = new TxRecord(gid, mode, workload.branches(), fail, intendedNanos,
        measurements.phase(intendedNanos), this::onFinished);
    ledger.put(gid, tx);
    inFlight++;
    measurements.started(intendedNanos);
    if (mode == Mode.SAGA) {
      submitSaga(tx);
    } else {
      long sent = System.nanoTime();
      post("/v1/transactions", Buffer.buffer("{\"mode\":\"" + mode.code() + "\",\"gid\":\"" + gid + beginSuffix))
          .onComplete(ar -> {
            tx.call(TxRecord.Call.BEGIN, sent, System.nanoTime());
            String problem = problem("begin", ar, 201);
            if (problem != null) {
              tx.failed(problem);
            } else {
              branch(tx, 0);
            }
          });
    }
  }

  private Mode pickMode() {
    if (mix.size() == 1) {
      return mix.get(0).getKey();
    }
    double r = random.nextDouble();
    for (Map.Entry<Mode, Double> e : mix) {
      if (r < e.getValue()) {
        return e.getKey();
      }
    }
    return mix.get(mix.size() - 1).getKey();
  }

  private void submitSaga(TxRecord tx) {
    long sent = System.nanoTime();
    post("/v1/sagas", Buffer.buffer("{\"gid\":\"" + tx.gid + sagaSuffix[tx.failBranch + 1]))
        .onComplete(ar -> {
          tx.call(TxRecord.Call.SUBMIT, sent, System.nanoTime());
          String problem = problem("submit saga", ar, 201);
          if (problem != null) {
            tx.failed(problem);
          } else {
            tx.decided(System.nanoTime(), null);
          }
        });
  }

  /** Registers branch {@code b} (and calls its try, for TCC), then the next, then decides. */
  private void branch(TxRecord tx, int b) {
    boolean refuses = b == tx.failBranch;
    if (b == tx.branches || (tx.mode == Mode.TWO_PHASE && refuses)) {
      decide(tx, tx.plannedCommit());
      return;
    }
    Buffer body = tx.mode == Mode.TCC ? registerTcc[b] : register2pc[b];
    long sent = System.nanoTime();
    post("/v1/transactions/" + tx.gid + "/branches", body).onComplete(ar -> {
      tx.call(TxRecord.Call.REGISTER, sent, System.nanoTime());
      String problem = problem("register", ar, 201);
      if (problem != null) {
        abort(tx, problem);
      } else if (tx.mode != Mode.TCC) {
        branch(tx, b + 1);
      } else {
        long trySent = System.nanoTime();
        callTry(tx, b, refuses).onComplete(tried -> {
          tx.call(TxRecord.Call.TRY, trySent, System.nanoTime());
          String tryProblem = problem("try", tried, refuses ? 409 : 200);
          if (tryProblem != null) {
            abort(tx, tryProblem);
          } else if (refuses) {
            decide(tx, false);
          } else {
            branch(tx, b + 1);
          }
        });
      }
    });
  }

  private Future<HttpResponse<Buffer>> callTry(TxRecord tx, int b, boolean refuses) {
    HttpRequest<Buffer> request = client.request(HttpMethod.POST, participants.port(b), participants.host(), refuses ? "/refuse/try" : "/ok/try")
        .timeout(REQUEST_TIMEOUT_MILLIS)
        .putHeader(Headers.GID, tx.gid)
        .putHeader(Headers.BRANCH, "b" + b)
        .putHeader(Headers.OP, "try");
    return payload.length() == 0 ? request.send()
        : request.putHeader("Content-Type", "application/json").sendBuffer(payload);
  }

  private void decide(TxRecord tx, boolean commit) {
    String op = commit ? "commit" : "rollback";
    long sent = System.nanoTime();
    post("/v1/transactions/" + tx.gid + "/" + op, null).onComplete(ar -> {
      tx.call(commit ? TxRecord.Call.COMMIT : TxRecord.Call.ROLLBACK, sent, System.nanoTime());
      String problem = problem(op, ar, 200);
      if (problem != null) {
        tx.failed(problem);
      } else {
        tx.decided(System.nanoTime(), tx.branches == 0 ? status(ar.result().bodyAsString()) : null);
      }
    });
  }

  /** A step failed: record it, and roll back so that the coordinator need not wait for the timeout. */
  private void abort(TxRecord tx, String problem) {
    tx.failed(problem);
    post("/v1/transactions/" + tx.gid + "/rollback", null).onComplete(ar -> {
      String p = problem("rollback after an error", ar, 200);
      if (p != null) {
        measurements.error(p);
      }
    });
  }

  private Future<HttpResponse<Buffer>> post(String uri, Buffer body) {
    HttpRequest<Buffer> request = client.request(HttpMethod.POST, port, host, uri).timeout(REQUEST_TIMEOUT_MILLIS)
        .putHeader(Headers.PREFER, Headers.RETURN_MINIMAL);
    return body == null ? request.send() : request.putHeader("Content-Type", "application/json").sendBuffer(body);
  }

  private void onFinished(TxRecord tx) {
    measurements.finished(tx);
    if (Vertx.currentContext() == context) {
      afterFinish();
    } else {
      context.runOnContext(v -> afterFinish());
    }
  }

  private void afterFinish() {
    inFlight--;
    if (!workload.arrival().open() && !arrivalsEnded) {
      if (System.nanoTime() < measurements.windowEndNanos()) {
        start(System.nanoTime());
        return;
      }
      arrivalsEnded = true;
    }
    if (arrivalsEnded && inFlight == 0) {
      finish();
    }
  }

  /** Null when the answer has the expected status, else the kind of error: {@code "commit: 409 transaction-rolled-back"}. */
  static String problem(String what, io.vertx.core.AsyncResult<HttpResponse<Buffer>> ar, int expected) {
    if (ar.failed()) {
      Throwable e = ar.cause();
      String name = e.getClass().getSimpleName();
      return what + ": " + (name.contains("Timeout") ? "timeout" : name);
    }
    HttpResponse<Buffer> r = ar.result();
    if (r.statusCode() == expected) {
      return null;
    }
    String slug = "";
    Buffer body = r.body();
    if (body != null) {
      String text = body.toString(StandardCharsets.UTF_8);
      int i = text.indexOf(PROBLEMS);
      if (i >= 0) {
        int end = text.indexOf('"', i);
        slug = " " + text.substring(i + PROBLEMS.length(), end < 0 ? text.length() : end);
      }
    }
    return what + ": " + r.statusCode() + slug;
  }

  /**
   * The {@code status} of a transaction summary or view, found without parsing it: the first
   * {@code status} member, which in a view is the transaction's (it comes before the branches').
   */
  static String status(String answer) {
    if (answer == null) {
      return null;
    }
    int i = answer.indexOf("\"status\":\"");
    if (i < 0) {
      return null;
    }
    int from = i + "\"status\":\"".length();
    int end = answer.indexOf('"', from);
    return end < 0 ? null : answer.substring(from, end);
  }
}
