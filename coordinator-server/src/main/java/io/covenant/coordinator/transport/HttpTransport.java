package io.covenant.coordinator.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.covenant.coordinator.core.Call;
import io.covenant.coordinator.engine.CallResult;
import io.covenant.coordinator.engine.ParticipantTransport;
import io.covenant.coordinator.engine.UrlAuthority;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * Calls participants over HTTP with the Vert.x {@link HttpClient}: the call's method (a {@code POST}
 * unless a saga step says otherwise) to the branch URL with the step's own headers, the
 * {@code Covenant-Gid}, {@code Covenant-Branch} and {@code Covenant-Op} headers and the body as
 * {@code application/json} (empty when there is none).
 *
 * <p>Results: the 2xx answer of a saga action is kept as the step's result, as JSON text (a body that
 * is not JSON becomes a JSON string; an empty body, no result), up to {@code saga.stepResultBytesMax}
 * bytes; a larger answer is reported as {@link CallResult#succeededTooLarge} and not kept.
 *
 * <p>Classification, which the engine's retry rules rely on: 2xx is {@link CallResult#OK}; 409 is
 * a business refusal ({@link CallResult#refused}); every other status, a connection error or no
 * answer in time is {@link CallResult#failed transient}. The detail is the status and an excerpt
 * of the body (at most {@value #EXCERPT_CHARS} characters), or the error; it becomes the branch's
 * {@code lastError}. The returned future never fails.
 *
 * <p>Connections are pooled per participant (scheme, host and port) and kept alive; the pool holds
 * up to {@code participant.callsInFlightMax} HTTP/1.1 connections, matching the engine's per-participant
 * limit, so a call never waits for a connection. With {@code participant.h2c} the client speaks
 * HTTP/2 with prior knowledge on {@code http} URLs (and offers h2 through ALPN on {@code https}).
 *
 * <p>Timeout: the call's own timeout, or the default ({@code participant.callTimeout}), bounds the
 * connect and then every wait for data (the request's idle timeout), not the total time a slowly
 * trickling answer may take. Redirects are not followed: a participant URL is called exactly as
 * registered, and a 3xx is a transient failure.
 *
 * <p>Addresses: a URL with a host name is resolved when it is called ({@link ParticipantAddresses})
 * and the request goes to an address the coordinator may call ({@link AddressRules}); a name that
 * resolves only to refused addresses (say, the cloud metadata address) fails the call, transiently,
 * with the reason as its detail. URLs with literal addresses were checked when registered.
 *
 * <p>Threading: call it from a Vert.x context (the engine's); the future completes on that context.
 */
public final class HttpTransport implements ParticipantTransport {
  /** The longest body excerpt kept in a result's detail. */
  public static final int EXCERPT_CHARS = 200;
  /** Bytes of a response body read into the excerpt; the rest is discarded as it arrives. */
  static final int EXCERPT_BYTES = 4 * EXCERPT_CHARS;

  /** The default of {@code participant.keepAliveTimeout} (and Vert.x's). */
  public static final Duration KEEP_ALIVE_TIMEOUT_DEFAULT = Duration.ofSeconds(60);

  /** The default of {@code saga.stepResultBytesMax}. */
  public static final int RESULT_BYTES_MAX_DEFAULT = 4096;

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private static final CharSequence USER_AGENT = HttpHeaders.createOptimized("covenant-coordinator");
  private static final CharSequence JSON_TYPE = HttpHeaders.createOptimized("application/json");
  private static final CharSequence GID = HttpHeaders.createOptimized(Headers.GID);
  private static final CharSequence BRANCH = HttpHeaders.createOptimized(Headers.BRANCH);
  private static final CharSequence OP = HttpHeaders.createOptimized(Headers.OP);

  private final HttpClient client;
  private final Duration defaultTimeout;
  private final int resultBytesMax;
  /** Bytes of a saga action's answer read to keep it as the step's result (one more shows it is too large). */
  private final int resultReadBytes;
  private final ParticipantAddresses addresses;

  /**
   * @param defaultTimeout for calls without their own timeout ({@code participant.callTimeout})
   * @param connectionsPerParticipantMax HTTP/1.1 connections kept per participant ({@code participant.callsInFlightMax})
   * @param h2c speak HTTP/2 with prior knowledge ({@code participant.h2c})
   */
  public HttpTransport(Vertx vertx, Duration defaultTimeout, int connectionsPerParticipantMax, boolean h2c) {
    this(vertx, defaultTimeout, connectionsPerParticipantMax, h2c, null);
  }

  /**
   * @param trustPath PEM CA certificates trusted for {@code https} participants
   *     ({@code participant.tls.trustPath}), or null for the JVM's default trust store
   */
  public HttpTransport(Vertx vertx, Duration defaultTimeout, int connectionsPerParticipantMax, boolean h2c,
      String trustPath) {
    this(vertx, defaultTimeout, connectionsPerParticipantMax, h2c, trustPath, RESULT_BYTES_MAX_DEFAULT,
        KEEP_ALIVE_TIMEOUT_DEFAULT, HostResolver.SYSTEM);
  }

  /**
   * @param resultBytesMax the largest saga action answer kept as the step's result ({@code saga.stepResultBytesMax})
   * @param keepAliveTimeout idle time, in whole seconds, after which a connection is closed; zero: never
   *     ({@code participant.keepAliveTimeout})
   * @param resolver how participant host names become addresses (tests give their own)
   */
  public HttpTransport(Vertx vertx, Duration defaultTimeout, int connectionsPerParticipantMax, boolean h2c,
      String trustPath, int resultBytesMax, Duration keepAliveTimeout, HostResolver resolver) {
    this.addresses = new ParticipantAddresses(vertx, resolver);
    this.defaultTimeout = requirePositive(defaultTimeout);
    if (resultBytesMax < 0) {
      throw new IllegalArgumentException("resultBytesMax must not be negative");
    }
    this.resultBytesMax = resultBytesMax;
    this.resultReadBytes = (int) Math.min(Integer.MAX_VALUE - 8, Math.max((long) EXCERPT_BYTES, resultBytesMax + 1L));
    if (connectionsPerParticipantMax < 1) {
      throw new IllegalArgumentException("connectionsPerParticipantMax must be at least 1");
    }
    if (keepAliveTimeout.isNegative() || keepAliveTimeout.getNano() != 0 || keepAliveTimeout.getSeconds() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("keepAliveTimeout must be whole seconds, zero or more: " + keepAliveTimeout);
    }
    int keepAliveSeconds = (int) keepAliveTimeout.getSeconds(); // Vert.x: 0 is no timeout
    HttpClientOptions options = new HttpClientOptions().setKeepAlive(true)
        .setKeepAliveTimeout(keepAliveSeconds).setHttp2KeepAliveTimeout(keepAliveSeconds);
    if (trustPath != null) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(trustPath));
    }
    if (h2c) {
      options.setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false) // prior knowledge: no HTTP/1.1 upgrade round trip
          .setUseAlpn(true)
          .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
    }
    PoolOptions pool = new PoolOptions().setHttp1MaxSize(connectionsPerParticipantMax);
    this.client = vertx.createHttpClient(options, pool);
  }

  @Override
  public Future<CallResult> call(Call call) {
    if (hasLiteralHost(call.url())) {
      return send(call, null); // checked when registered; nothing to resolve
    }
    URI uri;
    try {
      uri = URI.create(call.url());
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(CallResult.failed(unsendable(e)));
    }
    String host = uri.getHost();
    if (host == null) {
      return send(call, null);
    }
    return addresses.addressOf(host).transform(ar -> {
      if (ar.failed()) {
        return Future.succeededFuture(CallResult.failed(ar.cause() instanceof ParticipantAddresses.Unusable
            ? ar.cause().getMessage() : describe(ar.cause(), 0)));
      }
      int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
      return send(call, SocketAddress.inetSocketAddress(port, ar.result().getHostAddress()));
    });
  }

  /**
   * True when the URL's host is an IP address literal (IPv6 in brackets, or dotted IPv4). Found by
   * scanning, not by parsing a {@code URI}: this runs for every call.
   */
  static boolean hasLiteralHost(String url) {
    int start = UrlAuthority.start(url);
    if (start < 0) {
      return false;
    }
    int end = UrlAuthority.end(url, start);
    int at = url.lastIndexOf('@', end - 1);
    if (at >= start) {
      start = at + 1;
    }
    if (start < end && url.charAt(start) == '[') {
      return true;
    }
    int colon = url.indexOf(':', start);
    int hostEnd = colon >= 0 && colon < end ? colon : end;
    return isIpv4Literal(url, start, hostEnd);
  }

  /**
   * True when {@code text[start, end)} is an IPv4 literal as registration accepts it: four groups
   * of 1 to 3 digits joined by dots. A scan, not a regex: a matcher per call showed in profiles.
   */
  static boolean isIpv4Literal(String text, int start, int end) {
    int groups = 0;
    int digits = 0;
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        if (++digits > 3) {
          return false;
        }
      } else if (c == '.' && digits > 0 && groups < 3) {
        groups++;
        digits = 0;
      } else {
        return false;
      }
    }
    return groups == 3 && digits > 0;
  }

  /**
   * Sends {@code call} to {@code address}, or to its URL's host when null. Vert.x's core client,
   * not its WebClient: the WebClient's request pipeline, URL parsing and header copies cost about
   * 1.2 KB of garbage per call, 7 % of everything a 3-step saga allocates.
   */
  private Future<CallResult> send(Call call, SocketAddress address) {
    long timeoutMillis = Math.max(1, (call.timeout() != null ? call.timeout() : defaultTimeout).toMillis());
    boolean keepResult = call.op() == Op.ACTION;
    RequestOptions options;
    try {
      options = new RequestOptions()
          .setMethod(HttpMethod.valueOf(call.method()))
          .setAbsoluteURI(call.url())
          .setFollowRedirects(false)
          .setConnectTimeout(timeoutMillis)
          .setIdleTimeout(timeoutMillis);
      if (address != null) {
        options.setServer(address);
      }
    } catch (RuntimeException e) {
      // A URL the client cannot send; it will not get better, but the engine decides that.
      return Future.succeededFuture(CallResult.failed(unsendable(e)));
    }
    return client.request(options)
        .compose(request -> {
          MultiMap headers = request.headers();
          try {
            call.headers().forEach(headers::set);
          } catch (RuntimeException e) {
            request.reset();
            return Future.failedFuture(new Unsendable(e));
          }
          headers.set(HttpHeaders.USER_AGENT, USER_AGENT)
              .set(GID, call.gid())
              .set(BRANCH, call.branchId())
              .set(OP, call.op().code())
              .set(HttpHeaders.CONTENT_TYPE, JSON_TYPE);
          return call.body() == null ? request.send() : request.send(call.body());
        })
        .compose(response -> BodyExcerpt.read(response, keepResult ? resultReadBytes : EXCERPT_BYTES)
            .map(body -> classify(response.statusCode(), body, keepResult, resultBytesMax)))
        .otherwise(e -> CallResult.failed(e instanceof Unsendable ? e.getMessage() : describe(e, timeoutMillis)));
  }

  /** The detail of a call that cannot be sent as it is: it will not get better by retrying. */
  private static String unsendable(RuntimeException e) {
    return "cannot send the request: " + e.getMessage();
  }

  /** A request the client refused to build (a header it will not send); it will not get better. */
  private static final class Unsendable extends RuntimeException {
    Unsendable(RuntimeException cause) {
      super(unsendable(cause), cause, false, false);
    }
  }

  static CallResult classify(int status, BodyExcerpt.Excerpt body, boolean keepResult, int resultBytesMax) {
    if (status >= 200 && status < 300) {
      if (!keepResult || body.bytes() == 0) {
        return CallResult.OK;
      }
      if (body.bytes() > resultBytesMax) {
        return CallResult.succeededTooLarge("answer of " + body.bytes() + " bytes is larger than saga.stepResultBytesMax ("
            + resultBytesMax + " bytes) and was not kept");
      }
      return CallResult.succeeded(asJson(body.text()));
    }
    String excerpt = excerpt(body.text());
    String detail = excerpt.isEmpty() ? Integer.toString(status) : status + " " + excerpt;
    return status == 409 ? CallResult.refused(detail) : CallResult.failed(detail);
  }

  /** The answer as compact JSON text; a body that is not JSON becomes a JSON string, a blank one no result. */
  static String asJson(String text) {
    if (text.isBlank()) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(text);
      return node == null || node.isMissingNode() ? null : node.toString();
    } catch (JsonProcessingException e) {
      return TextNode.valueOf(text).toString();
    }
  }

  static String describe(Throwable e, long timeoutMillis) {
    if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
      return "timeout: no answer within " + timeoutMillis + " ms";
    }
    if (e instanceof ConnectException) {
      return excerpt("connection failed: " + e.getMessage());
    }
    String message = e.getMessage();
    return excerpt(e.getClass().getSimpleName() + (message == null ? "" : ": " + message));
  }

  /** The text with runs of whitespace and control characters folded to one space, cut to {@value #EXCERPT_CHARS} characters. */
  static String excerpt(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(Math.min(text.length(), EXCERPT_CHARS + 1));
    boolean space = false;
    for (int i = 0; i < text.length() && sb.length() <= EXCERPT_CHARS; i++) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c)) {
        space = sb.length() > 0;
        continue;
      }
      if (space) {
        sb.append(' ');
        space = false;
      }
      sb.append(c);
    }
    if (sb.length() > EXCERPT_CHARS) {
      sb.setLength(EXCERPT_CHARS - 1);
      sb.append('…');
    }
    return sb.toString();
  }

  @Override
  public Future<Void> close() {
    client.close();
    return Future.succeededFuture();
  }

  private static Duration requirePositive(Duration d) {
    Objects.requireNonNull(d, "defaultTimeout");
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("defaultTimeout must be positive, got " + d);
    }
    return d;
  }
}
