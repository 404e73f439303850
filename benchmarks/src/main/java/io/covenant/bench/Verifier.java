package io.covenant.bench;

import io.covenant.protocol.Mode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks, after a run, that every transaction ended consistently: what the participants received
 * must be one whole outcome, and it must agree with the coordinator's final status.
 *
 * <p>What the participants saw gives each transaction an <em>observed</em> outcome:
 * <ul>
 *   <li>committed: every branch confirmed (TCC) / committed (2PC) / every saga step's action
 *       answered, with no cancel, rollback or compensation anywhere;</li>
 *   <li>rolled back: every registered branch cancelled / rolled back, or every saga step whose
 *       action was called compensated, with no confirm or commit anywhere and no step run after
 *       the refused one;</li>
 *   <li>conflict: both sides at once (a branch confirmed and another cancelled, a branch both
 *       committed and rolled back, a step run after the refusal): always inconsistent;</li>
 *   <li>incomplete: one side, not yet everywhere.</li>
 * </ul>
 * The coordinator is asked for every transaction it still lists as unfinished
 * ({@code GET /v1/transactions?status=active,committing,rolling_back}, every page), and per gid
 * ({@code GET /v1/transactions/{gid}}) for each transaction that looks wrong or failed with an
 * error (at most {@code suspectsMax}) plus a random sample of the others. A transaction is
 * <b>inconsistent</b> when it is a conflict or when the coordinator's final status disagrees with
 * what the participants saw; <b>unfinished</b> when the coordinator still drives it or the
 * participants have not seen its end; an <b>unexpected outcome</b> when it ended consistently
 * but not as planned (a transaction meant to commit that timed out and rolled back).
 *
 * <p>A coordinator keeps at most {@code retention.finishedMax} finished transactions, so in a long
 * run it may have purged some of those asked for. One it answers 404 for, whose participants saw a
 * whole outcome, is counted as <b>purged</b> (and consistent: only the participants' side could be
 * checked); one it does not know whose participants saw a partial outcome is inconsistent.
 *
 * <p>Runs on a Vert.x context; the future completes there.
 */
final class Verifier {
  private static final Pattern ITEM_GID = Pattern.compile("\"gid\":\"([^\"]+)\",\"mode\":\"[^\"]*\",\"status\":\"([^\"]+)\"");
  private static final Pattern NEXT_CURSOR = Pattern.compile("\"nextCursor\":\"([^\"]+)\"");
  private static final int PAGES_MAX = 1_000;
  private static final int PAGE = 500;
  private static final int QUERIES_IN_FLIGHT = 16;
  private static final int EXAMPLES_MAX = 20;
  private static final long SETTLE_POLL_MILLIS = 200;

  enum Observed { COMMITTED, ROLLED_BACK, CONFLICT, INCOMPLETE, NONE }

  /**
   * @param transactions every transaction the driver started
   * @param failedWithError of those, the ones the driver could not carry out (see the errors)
   * @param coordinatorUnfinished listed by the coordinator as still active, committing or rolling back
   * @param queried transactions whose final status was asked per gid
   * @param purged of those asked, finished ones the coordinator no longer knew (retention)
   * @param examples a few gids per problem, with what is wrong
   */
  record Report(long transactions, long consistent, long inconsistent, long unfinished, long unexpectedOutcome,
      long failedWithError, long coordinatorUnfinished, long queried, long purged, List<String> examples) {}

  private final Vertx vertx;
  private final WebClient client;
  private final String host;
  private final int port;
  private final String gidPrefix;

  Verifier(Vertx vertx, WebClient client, String baseUrl, String gidPrefix) {
    this.vertx = vertx;
    this.client = client;
    URI base = URI.create(baseUrl);
    this.host = base.getHost();
    this.port = base.getPort() < 0 ? 80 : base.getPort();
    this.gidPrefix = gidPrefix;
  }

  /**
   * Waits until the coordinator lists none of this run's transactions as unfinished (or
   * {@code settle} has passed: a participant records a call before the coordinator has recorded
   * its answer, so the last transactions end at the coordinator a little after the drain), then
   * classifies every transaction.
   */
  Future<Report> verify(Collection<TxRecord> records, int sample, int suspectsMax, long seed, Duration settle) {
    Map<String, String> unfinished = new HashMap<>();
    return settle(unfinished, System.nanoTime() + settle.toNanos()).compose(v -> {
      List<TxRecord> toQuery = new ArrayList<>();
      List<TxRecord> others = new ArrayList<>();
      for (TxRecord tx : records) {
        Observed o = observe(tx).outcome();
        boolean suspect = tx.error() != null || o == Observed.CONFLICT || o == Observed.INCOMPLETE
            || (o != Observed.NONE && (o == Observed.COMMITTED) != tx.plannedCommit());
        if (suspect && toQuery.size() < suspectsMax) {
          toQuery.add(tx);
        } else if (!suspect) {
          others.add(tx);
        }
      }
      SplittableRandom random = new SplittableRandom(seed);
      for (int i = 0; i < sample && !others.isEmpty(); i++) {
        int j = random.nextInt(others.size());
        toQuery.add(others.get(j));
        others.set(j, others.get(others.size() - 1));
        others.remove(others.size() - 1);
      }
      return queryAll(toQuery).map(q -> classify(records, unfinished, toQuery.size()));
    });
  }

  private Future<Void> settle(Map<String, String> unfinished, long deadlineNanos) {
    unfinished.clear();
    return listUnfinished(null, 0, unfinished).compose(v -> {
      if (unfinished.isEmpty() || System.nanoTime() >= deadlineNanos) {
        return Future.succeededFuture();
      }
      Promise<Void> later = Promise.promise();
      vertx.setTimer(SETTLE_POLL_MILLIS, id -> settle(unfinished, deadlineNanos).onComplete(later));
      return later.future();
    });
  }

  private Future<Void> listUnfinished(String cursor, int page, Map<String, String> into) {
    if (page >= PAGES_MAX) {
      return Future.succeededFuture();
    }
    String uri = "/v1/transactions?status=active,committing,rolling_back&limit=" + PAGE
        + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
    return client.request(HttpMethod.GET, port, host, uri).timeout(30_000).send().compose(r -> {
      if (r.statusCode() != 200) {
        return Future.failedFuture("listing unfinished transactions answered " + r.statusCode() + ": " + r.bodyAsString());
      }
      String body = r.bodyAsString();
      Matcher m = ITEM_GID.matcher(body);
      while (m.find()) {
        if (m.group(1).startsWith(gidPrefix)) {
          into.put(m.group(1), m.group(2));
        }
      }
      Matcher next = NEXT_CURSOR.matcher(body);
      return next.find() ? listUnfinished(next.group(1), page + 1, into) : Future.succeededFuture();
    });
  }

  private Future<Void> queryAll(List<TxRecord> txs) {
    Promise<Void> done = Promise.promise();
    ArrayDeque<TxRecord> queue = new ArrayDeque<>(txs);
    int[] running = {0};
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      while (running[0] < QUERIES_IN_FLIGHT && !queue.isEmpty()) {
        TxRecord tx = queue.poll();
        running[0]++;
        client.request(HttpMethod.GET, port, host, "/v1/transactions/" + tx.gid).timeout(30_000).send()
            .onComplete(ar -> {
              tx.coordinatorStatus(statusOf(ar));
              running[0]--;
              next[0].run();
            });
      }
      if (running[0] == 0 && queue.isEmpty()) {
        done.tryComplete();
      }
    };
    next[0].run();
    return done.future();
  }

  private static String statusOf(io.vertx.core.AsyncResult<HttpResponse<Buffer>> ar) {
    if (ar.failed()) {
      return "unknown (" + ar.cause().getClass().getSimpleName() + ")";
    }
    if (ar.result().statusCode() == 404) {
      return "not-found";
    }
    if (ar.result().statusCode() != 200) {
      return "unknown (" + ar.result().statusCode() + ")";
    }
    String s = Driver.status(ar.result().bodyAsString());
    return s == null ? "unknown" : s;
  }

  private Report classify(Collection<TxRecord> records, Map<String, String> unfinishedListed, int queried) {
    long consistent = 0;
    long inconsistent = 0;
    long unfinished = 0;
    long unexpected = 0;
    long errored = 0;
    long purged = 0;
    Set<String> examples = new LinkedHashSet<>();
    for (TxRecord tx : records) {
      Verdict v = observe(tx);
      Observed o = v.outcome();
      if (o == Observed.NONE && "committed".equals(tx.answeredStatus())) {
        o = Observed.COMMITTED;
      }
      String status = tx.coordinatorStatus();
      if (status == null) {
        status = unfinishedListed.get(tx.gid);
      }
      if (tx.error() != null) {
        errored++;
      }
      String problem = null;
      boolean isUnfinished = false;
      if (o == Observed.CONFLICT) {
        problem = "inconsistent: " + v.why();
      } else if (status != null && (status.equals("active") || status.equals("committing") || status.equals("rolling_back"))) {
        isUnfinished = true;
        problem = "unfinished: coordinator says " + status + "; participants saw " + o.name().toLowerCase();
      } else if ("committed".equals(status) && o != Observed.COMMITTED && !(o == Observed.NONE && tx.branches == 0)) {
        problem = "inconsistent: coordinator says committed; participants saw " + describe(o, v);
      } else if ("rolled_back".equals(status) && o != Observed.ROLLED_BACK && o != Observed.NONE) {
        problem = "inconsistent: coordinator says rolled_back; participants saw " + describe(o, v);
      } else if ("not-found".equals(status) && (o == Observed.COMMITTED || o == Observed.ROLLED_BACK)) {
        purged++; // ended as a whole at the participants, then purged by the coordinator's retention
      } else if ("not-found".equals(status) && o != Observed.NONE) {
        problem = "inconsistent: coordinator does not know the transaction; participants saw " + describe(o, v);
      } else if (o == Observed.INCOMPLETE && tx.error() == null) {
        isUnfinished = true;
        problem = "unfinished: participants saw " + v.why() + (status == null ? "" : "; coordinator says " + status);
      }
      if (problem == null) {
        consistent++;
        boolean ended = o == Observed.COMMITTED || o == Observed.ROLLED_BACK;
        if (tx.error() == null && ended && (o == Observed.COMMITTED) != tx.plannedCommit()) {
          unexpected++;
          if (examples.size() < EXAMPLES_MAX) {
            examples.add(tx.gid + " (" + tx.mode.code() + "): unexpected outcome: planned to "
                + (tx.plannedCommit() ? "commit" : "fail") + ", ended " + o.name().toLowerCase());
          }
        }
      } else {
        if (isUnfinished) {
          unfinished++;
        } else {
          inconsistent++;
        }
        if (examples.size() < EXAMPLES_MAX) {
          examples.add(tx.gid + " (" + tx.mode.code() + (tx.error() != null ? ", " + tx.error() : "") + "): " + problem);
        }
      }
    }
    return new Report(records.size(), consistent, inconsistent, unfinished, unexpected, errored,
        unfinishedListed.size(), queried, purged, List.copyOf(examples));
  }

  private static String describe(Observed o, Verdict v) {
    return o == Observed.INCOMPLETE ? v.why() : o.name().toLowerCase();
  }

  record Verdict(Observed outcome, String why) {}

  /** What the participants' records say about a transaction. */
  static Verdict observe(TxRecord tx) {
    long bits = tx.receivedBits();
    if (tx.mode == Mode.SAGA) {
      return observeSaga(tx, bits);
    }
    int fwd = tx.mode == Mode.TCC ? TxRecord.CONFIRM : TxRecord.COMMIT;
    int back = tx.mode == Mode.TCC ? TxRecord.CANCEL : TxRecord.ROLLBACK;
    int forwardCount = 0;
    int backCount = 0;
    for (int b = 0; b < tx.branches; b++) {
      boolean f = tx.has(bits, fwd, b);
      boolean k = tx.has(bits, back, b);
      if (f && k) {
        return new Verdict(Observed.CONFLICT, "branch b" + b + " got both " + TxRecord.OP_NAMES[fwd] + " and " + TxRecord.OP_NAMES[back]);
      }
      forwardCount += f ? 1 : 0;
      backCount += k ? 1 : 0;
    }
    if (forwardCount > 0 && backCount > 0) {
      return new Verdict(Observed.CONFLICT, forwardCount + " branches got " + TxRecord.OP_NAMES[fwd] + " and "
          + backCount + " got " + TxRecord.OP_NAMES[back]);
    }
    // Branches registered: all when committing; up to the refused try (TCC) or before the
    // participant that did not prepare (2PC) when failing; unknown after an error.
    int registered = tx.error() != null || tx.plannedCommit() ? tx.branches
        : (tx.mode == Mode.TCC ? tx.failBranch + 1 : tx.failBranch);
    if (forwardCount > 0) {
      return forwardCount == tx.branches ? new Verdict(Observed.COMMITTED, "")
          : new Verdict(Observed.INCOMPLETE, forwardCount + " of " + tx.branches + " branches got " + TxRecord.OP_NAMES[fwd]);
    }
    if (backCount > 0) {
      return backCount >= registered || tx.error() != null ? new Verdict(Observed.ROLLED_BACK, "")
          : new Verdict(Observed.INCOMPLETE, backCount + " of " + registered + " branches got " + TxRecord.OP_NAMES[back]);
    }
    return registered == 0 || tx.error() != null ? new Verdict(Observed.NONE, "")
        : new Verdict(Observed.INCOMPLETE, "no " + TxRecord.OP_NAMES[fwd] + " or " + TxRecord.OP_NAMES[back] + " yet");
  }

  private static Verdict observeSaga(TxRecord tx, long bits) {
    int actions = 0;
    int compensations = 0;
    int lastAction = -1;
    for (int b = 0; b < tx.branches; b++) {
      if (tx.has(bits, TxRecord.ACTION, b)) {
        actions++;
        lastAction = b;
      }
      if (tx.has(bits, TxRecord.COMPENSATE, b)) {
        compensations++;
      }
    }
    if (tx.failBranch >= 0 && lastAction > tx.failBranch) {
      return new Verdict(Observed.CONFLICT, "step b" + lastAction + " ran after step b" + tx.failBranch + " refused");
    }
    if (compensations == 0) {
      if (actions == tx.branches && tx.failBranch < 0) {
        return new Verdict(Observed.COMMITTED, "");
      }
      return new Verdict(actions == 0 && tx.error() != null ? Observed.NONE : Observed.INCOMPLETE,
          actions + " of " + tx.branches + " actions, no compensation yet");
    }
    for (int b = 0; b < tx.branches; b++) {
      if (tx.has(bits, TxRecord.ACTION, b) && !tx.has(bits, TxRecord.COMPENSATE, b)) {
        return new Verdict(Observed.INCOMPLETE, "step b" + b + " ran and is not compensated yet");
      }
    }
    return new Verdict(Observed.ROLLED_BACK, "");
  }
}
