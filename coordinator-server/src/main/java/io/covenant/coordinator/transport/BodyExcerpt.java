package io.covenant.coordinator.transport;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import java.nio.charset.StandardCharsets;

/**
 * Reads a participant's response body into a bounded text: the first {@code keepBytes} bytes are
 * kept, the rest is read, counted and dropped. The coordinator keeps answers only as a diagnostic or
 * as a saga action's result (up to {@code saga.stepResultBytesMax}), and a participant that answers
 * with a huge body must not cost it memory; reading to the end keeps the connection reusable.
 */
final class BodyExcerpt {
  /** The kept start of a body, and the size of the whole body. */
  record Excerpt(String text, long bytes) {}

  private static final Excerpt EMPTY = new Excerpt("", 0);

  private final int keepBytes;
  /** Created at the first byte: most answers have no body. */
  private Buffer kept;
  private long bytes;

  private BodyExcerpt(int keepBytes) {
    this.keepBytes = keepBytes;
  }

  /** The excerpt of {@code response}'s body, once it has all arrived; fails if the response fails first. */
  static Future<Excerpt> read(HttpClientResponse response, int keepBytes) {
    Promise<Excerpt> result = Promise.promise();
    BodyExcerpt body = new BodyExcerpt(keepBytes);
    response.handler(body::append)
        .exceptionHandler(result::tryFail)
        .endHandler(v -> result.tryComplete(body.excerpt()));
    return result.future();
  }

  private void append(Buffer data) {
    bytes += data.length();
    int room = keepBytes - (kept == null ? 0 : kept.length());
    if (room > 0) {
      if (kept == null) {
        kept = Buffer.buffer(Math.min(room, data.length()));
      }
      kept.appendBuffer(data.length() <= room ? data : data.getBuffer(0, room));
    }
  }

  private Excerpt excerpt() {
    return kept == null ? (bytes == 0 ? EMPTY : new Excerpt("", bytes))
        : new Excerpt(new String(kept.getBytes(), StandardCharsets.UTF_8), bytes);
  }
}
