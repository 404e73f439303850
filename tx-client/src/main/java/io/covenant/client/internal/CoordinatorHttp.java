package io.covenant.client.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.covenant.client.CovenantClientException;
import io.covenant.client.RetryPolicy;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Problem;
import io.covenant.protocol.TransactionSummary;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON over HTTP to the coordinator's {@code /v1} API, with the client's retries.
 *
 * <p>Each call is tried up to {@link RetryPolicy#attemptsMax()} times. An attempt that ends in a
 * connection error, a request timeout, a problem whose {@code retryable} is true, or a 5xx without a
 * problem body (a proxy's answer) is retried after a jittered backoff; anything else ends the call.
 * Waits never block a thread: the next attempt is scheduled through
 * {@link CompletableFuture#delayedExecutor}. Retrying is safe only because every request the client
 * sends is idempotent (begin and submit always carry a gid); callers must keep it so.
 *
 * <p>Futures complete on this transport's own daemon threads; {@link #close()} stops them.
 */
public final class CoordinatorHttp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorHttp.class);
  private static final int EXCERPT_CHARS = 200;

  private final String base;
  private final Duration requestTimeout;
  private final RetryPolicy retry;
  private final ObjectMapper json = ClientJson.mapper();
  private final ExecutorService executor;
  private final HttpClient http;
  private volatile boolean closed;

  public CoordinatorHttp(URI coordinator, Duration requestTimeout, RetryPolicy retry) {
    String text = coordinator.toString();
    this.base = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    this.requestTimeout = requestTimeout;
    this.retry = retry;
    this.executor = Executors.newCachedThreadPool(daemonThreads());
    // HTTP/2 (h2c upgrade on http, ALPN on https); the JDK falls back to HTTP/1.1 by itself.
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_2)
        .connectTimeout(requestTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .executor(executor)
        .build();
  }

  /** The executor futures complete on; for delayed work of the client's own (polling). */
  public Executor executor() {
    return executor;
  }

  /**
   * {@code POST base + path} with {@code body} as JSON (none when null), read as {@code type}.
   *
   * @param what names the call in errors and logs, e.g. {@code "commit"}
   * @param gid the transaction concerned, for errors and logs; may be null
   */
  public <T> CompletableFuture<T> post(String what, String gid, String path, Object body, Class<T> type) {
    return post(what, gid, path, body, type, null);
  }

  /**
   * Like {@link #post}, for a state-changing endpoint whose answer is read only for the gid and
   * status: sends {@code Prefer: return=minimal}, so the coordinator need not build the whole view.
   * A coordinator that does not honour the preference answers the view, which reads as a summary too.
   */
  public CompletableFuture<TransactionSummary> postForSummary(String what, String gid, String path, Object body) {
    return post(what, gid, path, body, TransactionSummary.class, Headers.RETURN_MINIMAL);
  }

  private <T> CompletableFuture<T> post(String what, String gid, String path, Object body, Class<T> type, String prefer) {
    byte[] bytes;
    try {
      bytes = body == null ? null : json.writeValueAsBytes(body);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("cannot write " + what + " request as JSON", e));
    }
    return call(new Call<>(what, gid, "POST", path, bytes, type, prefer));
  }

  /** {@code GET base + pathAndQuery}, read as {@code type}. */
  public <T> CompletableFuture<T> get(String what, String gid, String pathAndQuery, Class<T> type) {
    return call(new Call<>(what, gid, "GET", pathAndQuery, null, type, null));
  }

  /** A path segment with everything but unreserved characters (and {@code :}) percent-encoded. */
  public static String segment(String text) {
    StringBuilder sb = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
        sb.append(c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  /** Stops the transport's threads. Calls still in flight may fail; later calls fail at once. Idempotent. */
  @Override
  public void close() {
    closed = true;
    executor.shutdown();
  }

  /** One call, tried once or more; {@code prefer} is the {@code Prefer} header to send, or null. */
  private record Call<T>(String what, String gid, String method, String path, byte[] body, Class<T> type, String prefer) {}

  /** The end of one attempt: a value, a failure that may be retried, or a failure that ends the call at once. */
  private record Outcome<T>(T value, Failure failure, Throwable fatal) {}

  private record Failure(ErrorCode code, int status, String detail, String gid, boolean retryable, Throwable cause) {}

  private <T> CompletableFuture<T> call(Call<T> call) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("the Covenant client is closed"));
    }
    return attempt(call, 1);
  }

  private <T> CompletableFuture<T> attempt(Call<T> call, int attempt) {
    CompletableFuture<HttpResponse<byte[]>> sent;
    try {
      sent = http.sendAsync(request(call), HttpResponse.BodyHandlers.ofByteArray());
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent
        .handle((response, failure) -> failure == null ? read(call, response) : fromThrowable(call, unwrap(failure)))
        .thenCompose(outcome -> next(call, attempt, outcome));
  }

  private <T> CompletableFuture<T> next(Call<T> call, int attempt, Outcome<T> outcome) {
    if (outcome.fatal() != null) {
      return CompletableFuture.failedFuture(outcome.fatal());
    }
    Failure f = outcome.failure();
    if (f == null) {
      return CompletableFuture.completedFuture(outcome.value());
    }
    if (!f.retryable() || attempt >= retry.attemptsMax() || closed) {
      return CompletableFuture.failedFuture(exception(call, f, attempt));
    }
    Duration wait = Backoff.after(retry, attempt, ThreadLocalRandom.current().nextDouble());
    log.atDebug().addKeyValue("gid", call.gid()).addKeyValue("call", call.what()).addKeyValue("attempt", attempt)
        .addKeyValue("status", f.status()).addKeyValue("wait", wait).addKeyValue("detail", f.detail())
        .log("coordinator call failed; retrying");
    Executor later = CompletableFuture.delayedExecutor(wait.toNanos(), TimeUnit.NANOSECONDS, executor);
    return CompletableFuture.runAsync(() -> {}, later).thenCompose(ignored -> attempt(call, attempt + 1));
  }

  private HttpRequest request(Call<?> call) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + call.path()))
        .timeout(requestTimeout)
        .header("Accept", "application/json");
    if (call.prefer() != null) {
      b.header(Headers.PREFER, call.prefer());
    }
    if (call.method().equals("GET")) {
      return b.GET().build();
    }
    if (call.body() == null) {
      return b.POST(HttpRequest.BodyPublishers.noBody()).build();
    }
    return b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(call.body())).build();
  }

  private <T> Outcome<T> read(Call<T> call, HttpResponse<byte[]> response) {
    int status = response.statusCode();
    byte[] body = response.body();
    if (status >= 200 && status < 300) {
      try {
        return new Outcome<>(json.readValue(body, call.type()), null, null);
      } catch (IOException e) {
        return failed(new Failure(ErrorCode.INTERNAL, status,
            "the coordinator's answer is not a readable " + call.type().getSimpleName() + ": " + excerpt(body),
            call.gid(), false, e));
      }
    }
    Problem problem = problem(response);
    if (problem != null) {
      String detail = problem.detail() != null ? problem.detail() : problem.title();
      String gid = problem.gid() != null ? problem.gid() : call.gid();
      return failed(new Failure(ErrorCode.fromType(problem.type()), status, detail, gid, problem.retryable(), null));
    }
    // Not a problem document: a proxy or load balancer answered for the coordinator.
    boolean retryable = status >= 500 || status == 408 || status == 429;
    return failed(new Failure(codeForStatus(status), status, "HTTP " + status + " without a problem document: "
        + excerpt(body), call.gid(), retryable, null));
  }

  private <T> Outcome<T> fromThrowable(Call<T> call, Throwable failure) {
    if (failure instanceof IOException io) {
      return failed(new Failure(ErrorCode.INTERNAL, 0, describe(io), call.gid(), true, io));
    }
    return new Outcome<>(null, null, failure);
  }

  private static <T> Outcome<T> failed(Failure failure) {
    return new Outcome<>(null, failure, null);
  }

  private Problem problem(HttpResponse<byte[]> response) {
    String type = response.headers().firstValue("Content-Type").orElse("");
    if (!type.contains("json") || response.body().length == 0) {
      return null;
    }
    try {
      Problem p = json.readValue(response.body(), Problem.class);
      return p == null || p.type() == null ? null : p;
    } catch (IOException notAProblem) {
      return null;
    }
  }

  private String describe(IOException e) {
    if (e instanceof HttpTimeoutException) {
      return "no answer within " + requestTimeout + " (" + e.getMessage() + ")";
    }
    String kind = e instanceof ConnectException ? "cannot connect" : "connection failed";
    return kind + " to " + base + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  private static CovenantClientException exception(Call<?> call, Failure f, int attempts) {
    StringBuilder m = new StringBuilder(call.what());
    if (call.gid() != null) {
      m.append(" gid=").append(call.gid());
    }
    m.append(": ");
    if (f.status() == 0) {
      m.append("no answer from the coordinator: ");
    } else {
      m.append(f.status()).append(' ').append(f.code().slug()).append(": ");
    }
    m.append(f.detail());
    if (attempts > 1) {
      m.append(" (gave up after ").append(attempts).append(" attempts)");
    }
    return new CovenantClientException(f.code(), f.status(), f.detail(), f.gid(), f.retryable(), m.toString(), f.cause());
  }

  private static ErrorCode codeForStatus(int status) {
    switch (status) {
      case 400: return ErrorCode.INVALID_REQUEST;
      case 404: return ErrorCode.NOT_FOUND;
      case 405: return ErrorCode.METHOD_NOT_ALLOWED;
      case 413: return ErrorCode.PAYLOAD_TOO_LARGE;
      case 415: return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
      default: return ErrorCode.INTERNAL;
    }
  }

  private static String excerpt(byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (text.isEmpty()) {
      return "(empty body)";
    }
    return text.length() <= EXCERPT_CHARS ? text : text.substring(0, EXCERPT_CHARS) + "...";
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "covenant-client-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public String toString() {
    return "CoordinatorHttp{" + base + ", requestTimeout=" + requestTimeout + ", " + retry + "}";
  }

  /** The coordinator's base URL, without a trailing slash. */
  public String base() {
    return base;
  }
}
