package io.covenant.client;

import io.covenant.protocol.Headers;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Writes the current {@link TransactionContext} into the headers of an outgoing request, for any
 * HTTP client, and reads it from an incoming one, for any server.
 *
 * <pre>{@code
 * HttpRequest.Builder request = HttpRequest.newBuilder(uri);
 * CovenantHeaders.apply(request::header);                       // JDK HttpClient
 * CovenantHeaders.apply(okHttpRequest::header);                 // OkHttp's Request.Builder
 * CovenantHeaders.apply((name, value) -> springHeaders.set(name, value));
 *
 * // any server (Vert.x Web has a ready handler in tx-client-vertx):
 * Optional<TransactionContext> incoming = CovenantHeaders.read(request::getHeader);
 * }</pre>
 *
 * <p>The headers are {@code Covenant-Gid} (always), {@code Covenant-Branch} (when the context has a
 * branch) and {@code Covenant-Op} (when it has an op, as a TCC try has).
 */
public final class CovenantHeaders {
  private CovenantHeaders() {}

  /** Adds the current context's headers through {@code headerSetter}; adds nothing when no context is bound. */
  public static void apply(BiConsumer<String, String> headerSetter) {
    Objects.requireNonNull(headerSetter, "headerSetter");
    TransactionContext.current().ifPresent(context -> apply(context, headerSetter));
  }

  /** Adds {@code context}'s headers through {@code headerSetter}. */
  public static void apply(TransactionContext context, BiConsumer<String, String> headerSetter) {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(headerSetter, "headerSetter");
    headerSetter.accept(Headers.GID, context.gid());
    context.branchId().ifPresent(branch -> headerSetter.accept(Headers.BRANCH, branch));
    context.op().ifPresent(op -> headerSetter.accept(Headers.OP, op.code()));
  }

  /**
   * The context an incoming request carries: its {@code Covenant-Gid} and, if present,
   * {@code Covenant-Branch}; empty without a gid. {@code Covenant-Op} is left out on purpose: it
   * names the call this service received, and must not travel on to the calls it makes.
   *
   * @param header returns a request header's value by name (ignoring case, as HTTP does), or null
   */
  public static Optional<TransactionContext> read(Function<String, String> header) {
    Objects.requireNonNull(header, "header");
    String gid = trimmed(header.apply(Headers.GID));
    if (gid == null) {
      return Optional.empty();
    }
    return Optional.of(TransactionContext.of(gid, trimmed(header.apply(Headers.BRANCH))));
  }

  private static String trimmed(String value) {
    if (value == null) {
      return null;
    }
    String t = value.strip();
    return t.isEmpty() ? null : t;
  }
}
