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
 * Reads a participant's response body into a short text: the first
 * {@link WebClientTransport#EXCERPT_BYTES} bytes are kept, the rest is read and dropped. The
 * coordinator ignores answer bodies except as a diagnostic, and a participant that answers with a
 * huge body must not cost it memory; reading to the end keeps the connection reusable.
 */
final class ExcerptCodec implements BodyCodec<String> {
  static final ExcerptCodec INSTANCE = new ExcerptCodec();

  private ExcerptCodec() {}

  @Override
  public BodyStream<String> stream() {
    return new Stream();
  }

  private static final class Stream implements BodyStream<String> {
    private final Promise<String> result = Promise.promise();
    private final Buffer kept = Buffer.buffer();

    @Override
    public Future<String> result() {
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
      int room = WebClientTransport.EXCERPT_BYTES - kept.length();
      if (room > 0) {
        kept.appendBuffer(data.length() <= room ? data : data.getBuffer(0, room));
      }
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      result.tryComplete(new String(kept.getBytes(), StandardCharsets.UTF_8));
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
