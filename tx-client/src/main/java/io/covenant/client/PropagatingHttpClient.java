package io.covenant.client;

import io.covenant.protocol.Headers;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A JDK {@link HttpClient} that adds the current {@link TransactionContext} to every request it
 * sends, as {@link CovenantHeaders} writes it. Everything else goes to the wrapped client.
 *
 * <pre>{@code
 * HttpClient http = PropagatingHttpClient.wrap(HttpClient.newHttpClient());
 * try (var branch = tx.branch("stock")) {
 *   http.send(HttpRequest.newBuilder(stockTry).POST(ofString(order)).build(), ofString());
 * }
 * }</pre>
 *
 * <p>The context is read on the thread that calls {@code send} or {@code sendAsync}, at the time of
 * the call. A request that already has a {@code Covenant-Gid} header is sent as it is.
 */
public final class PropagatingHttpClient extends HttpClient {
  private final HttpClient delegate;

  private PropagatingHttpClient(HttpClient delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  public static PropagatingHttpClient wrap(HttpClient delegate) {
    return new PropagatingHttpClient(delegate);
  }

  /** {@code request} with the current context's headers, or {@code request} itself when there is none to add. */
  public static HttpRequest propagate(HttpRequest request) {
    Optional<TransactionContext> context = TransactionContext.current();
    if (context.isEmpty() || request.headers().firstValue(Headers.GID).isPresent()) {
      return request;
    }
    HttpRequest.Builder copy = HttpRequest.newBuilder(request, (name, value) -> true);
    CovenantHeaders.apply(context.get(), copy::setHeader);
    return copy.build();
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> responseBodyHandler)
      throws IOException, InterruptedException {
    return delegate.send(propagate(request), responseBodyHandler);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> responseBodyHandler) {
    return delegate.sendAsync(propagate(request), responseBodyHandler);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> responseBodyHandler, HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
    return delegate.sendAsync(propagate(request), responseBodyHandler, pushPromiseHandler);
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return delegate.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return delegate.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return delegate.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return delegate.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return delegate.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return delegate.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return delegate.authenticator();
  }

  @Override
  public Version version() {
    return delegate.version();
  }

  @Override
  public Optional<Executor> executor() {
    return delegate.executor();
  }

  @Override
  public WebSocket.Builder newWebSocketBuilder() {
    return delegate.newWebSocketBuilder();
  }

  @Override
  public String toString() {
    return "PropagatingHttpClient{" + delegate + "}";
  }
}
