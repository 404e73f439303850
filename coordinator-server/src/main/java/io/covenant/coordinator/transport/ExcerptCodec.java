package io.covenant.coordinator.transport;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads a participant's response body into a bounded text: the first {@code keepBytes} bytes are
 * kept, the rest is read, counted and dropped. The coordinator keeps answers only as a diagnostic or
 * as a saga action's result (up to {@code saga.stepResultBytesMax}), and a participant that answers
 * with a huge body must not cost it memory; reading to the end keeps the connection reusable.
 */
final class ExcerptCodec implements BodyCodec<ExcerptCodec.Excerpt> {
  static final ExcerptCodec DIAGNOSTIC = new ExcerptCodec(WebClientTransport.EXCERPT_BYTES);

  /** The kept start of a body, and the size of the whole body. */
  record Excerpt(String text, long bytes) {}

  private final int keepBytes;

  ExcerptCodec(int keepBytes) {
    this.keepBytes = keepBytes;
  }

  @Override
  public BodyStream<Excerpt> stream() {
    return new Stream(keepBytes);
  }

  private static final class Stream implements BodyStream<Excerpt> {
    private final Promise<Excerpt> result = Promise.promise();
    private final Buffer kept = Buffer.buffer();
    private final int keepBytes;
    private long bytes;

    Stream(int keepBytes) {
      this.keepBytes = keepBytes;
    }

    @Override
    public Future<Excerpt> result() {
      return result.future();
    }

    @Override
    public void handle(Throwable failure) {
      result.tryFail(failure);
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
      bytes += data.length();
      int room = keepBytes - kept.length();
      if (room > 0) {
        kept.appendBuffer(data.length() <= room ? data : data.getBuffer(0, room));
      }
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      result.tryComplete(new Excerpt(new String(kept.getBytes(), StandardCharsets.UTF_8), bytes));
      return Future.succeededFuture();
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      return this;
    }
  }
}
