package io.covenant.client.vertx;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A real Vert.x HTTP server on a free loopback port, serving the routes a test sets up, on a Vert.x
 * instance of its own with a single event loop, so that a handler that blocked the event loop
 * would hold every other request up.
 */
final class TestServer implements AutoCloseable {
  final Vertx vertx;
  private final HttpServer server;

  private TestServer(Vertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  static TestServer start(Consumer<Router> routes) throws Exception {
    return start((vertx, router) -> routes.accept(router));
  }

  /** For routes that need the Vert.x instance (a sub-router, a worker executor). */
  static TestServer start(BiConsumer<Vertx, Router> routes) throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    Router router = Router.router(vertx);
    routes.accept(vertx, router);
    HttpServer server = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    return new TestServer(vertx, server);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.actualPort() + path);
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    await(vertx.close());
  }
}
