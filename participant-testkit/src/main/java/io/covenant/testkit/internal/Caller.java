package io.covenant.testkit.internal;

import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import io.covenant.testkit.Branch;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Sends participant calls the way the coordinator does: {@code POST} to the registered URL with
 * {@code Covenant-Gid}, {@code Covenant-Branch} and {@code Covenant-Op}, and the payload as JSON.
 * HTTP/1.1, so that any server understands it; each call on its own connection when several are in
 * flight at once, which is what makes concurrent copies arrive together.
 */
final class Caller {
  private final Settings settings;
  private final HttpClient http;

  Caller(Settings settings) {
    this.settings = settings;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(settings.callTimeout())
        .build();
  }

  /** The URL registered for {@code op}. */
  URI url(Op op) {
    String url = settings.urls().get(op).get();
    if (url == null || url.isBlank()) {
      throw new IllegalStateException("the URL of " + op.code() + " is empty; give the extension the participant's URL");
    }
    return URI.create(url);
  }

  /**
   * Sends one call with op {@code opCode} (any text, so that an unknown op can be sent too). The
   * future never fails: no answer becomes an {@link Answer#none} with the reason.
   */
  CompletableFuture<Answer> send(URI url, Branch branch, String opCode) {
    HttpRequest.Builder request = HttpRequest.newBuilder(url)
        .timeout(settings.callTimeout())
        .header(Headers.GID, branch.gid())
        .header(Headers.BRANCH, branch.branchId())
        .header(Headers.OP, opCode);
    settings.headers().forEach(request::header);
    byte[] payload = settings.payload();
    if (payload == null) {
      request.POST(HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(payload));
    }
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
        .handle((response, failure) -> {
          if (failure == null) {
            return Answer.of(response.statusCode(), response.body());
          }
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause() : failure;
          if (cause instanceof HttpTimeoutException) {
            return Answer.none("no answer within " + settings.callTimeout().toMillis() + " ms");
          }
          return Answer.none(cause.getClass().getSimpleName()
              + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        });
  }
}
