package io.covenant.client.vertx;

import io.covenant.client.ParticipantDispatcher;
import io.covenant.client.TransactionContext;
import io.covenant.protocol.Op;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;

/** The examples of the README, compiled here and run by {@link ReadmeExamplesTest}; keep the two in step. */
final class ReadmeExamples {
  private ReadmeExamples() {}

  /** README, "Read the context of incoming requests". */
  static void orders(Router router, HttpClient http, URI stockUrl) {
    router.route().handler(BodyHandler.create());                 // first, if you use one
    router.route().handler(TransactionContextHandler.create());
    router.post("/orders").handler(rc -> {
      // The synchronous part of a handler that next() runs: the request's context is current.
      Optional<TransactionContext> now = TransactionContext.current();

      // Anywhere else, e.g. on a worker thread: bind it again from the routing context.
      rc.vertx().executeBlocking(() -> {
        try (var scope = TransactionContextHandler.bind(rc)) {
          HttpRequest reserve = HttpRequest.newBuilder(stockUrl).POST(HttpRequest.BodyPublishers.noBody()).build();
          return http.send(reserve, HttpResponse.BodyHandlers.discarding()).statusCode();   // http: a PropagatingHttpClient
        }
      }).onComplete(status -> rc.response()
          .setStatusCode(status.succeeded() ? status.result() : 502)
          .end(TransactionContextHandler.context(rc).map(TransactionContext::gid).orElse("no transaction")));
    });
  }

  /** README, "Serve a participant". */
  static void participant(Vertx vertx, Router router) {
    ParticipantDispatcher stock = ParticipantDispatcher.builder()
        .on("stock", Op.TRY, call -> { /* reserve, e.g. behind the branch barrier: blocking is fine here */ })
        .on("stock", Op.CONFIRM, call -> { })
        .on("stock", Op.CANCEL, call -> { })
        .build();
    WorkerExecutor participantThreads = vertx.createSharedWorkerExecutor("participant", 16);
    router.post("/participant/*").handler(DispatcherHandler.create(stock, participantThreads));
    // register http://host:port/participant/stock as the branch's confirm and cancel URL
  }
}
