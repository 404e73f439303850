package io.covenant.client.vertx;

import io.covenant.client.CovenantHeaders;
import io.covenant.client.TransactionContext;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.Optional;

/**
 * A Vert.x Web handler that reads the transaction context of an incoming request
 * ({@code Covenant-Gid}, {@code Covenant-Branch}; see {@link CovenantHeaders#read}) and makes it
 * available to the rest of the route, in two ways:
 *
 * <ul>
 *   <li><b>In the routing context</b>, for the whole request: {@link #context(RoutingContext)} returns
 *       it from any handler, callback or worker thread that has the {@code RoutingContext}, and
 *       {@link #bind(RoutingContext)} makes it the current {@link TransactionContext} of whatever
 *       thread runs a continuation.</li>
 *   <li><b>As the current {@link TransactionContext}</b> of the event-loop thread while the handlers
 *       that {@link RoutingContext#next()} runs directly do their synchronous part, so that calls
 *       they make through a {@code PropagatingHttpClient} or {@link CovenantHeaders#apply} carry it.</li>
 * </ul>
 *
 * <pre>{@code
 * router.route().handler(BodyHandler.create());              // if you use one: before this handler
 * router.route().handler(TransactionContextHandler.create());
 * router.post("/orders").handler(rc -> {
 *   TransactionContext.current();                            // the request's, here on the event loop
 *   rc.vertx().executeBlocking(() -> {
 *     try (var scope = TransactionContextHandler.bind(rc)) { // a worker thread: bind it again
 *       return http.send(request, ofString());               // a PropagatingHttpClient carries it on
 *     }
 *   });
 * });
 * }</pre>
 *
 * <p><b>The rule.</b> The thread-bound context is a {@code ThreadLocal}; an event loop serves many
 * requests in turns, so the context is bound only while this handler's {@code next()} runs and is
 * restored as soon as it returns. It does not follow a {@code Future}'s callback, a timer, an
 * {@code executeBlocking} body or a {@code blockingHandler}, nor a handler reached asynchronously,
 * such as one after a {@code BodyHandler} mounted <em>behind</em> this one (it reads the body first).
 * Code there reads {@link #context(RoutingContext)} or opens {@link #bind(RoutingContext)}.
 *
 * <p>Requests without {@code Covenant-Gid} pass through with no context. {@code Covenant-Op} is not
 * taken: it names the call this service received, and must not travel on. The handler is stateless
 * and may be shared by any number of routes and routers.
 */
public final class TransactionContextHandler implements Handler<RoutingContext> {
  /** The key of the request's {@link TransactionContext} in the routing context's data. */
  public static final String KEY = TransactionContext.class.getName();

  private static final TransactionContext.Scope NOTHING_BOUND = () -> {};

  private TransactionContextHandler() {}

  /** A handler; mount it on {@code router.route()} (all paths), before the handlers that need the context. */
  public static TransactionContextHandler create() {
    return new TransactionContextHandler();
  }

  @SuppressWarnings("try") // the scope is used for its close() alone
  @Override
  public void handle(RoutingContext routingContext) {
    Optional<TransactionContext> incoming = CovenantHeaders.read(routingContext.request()::getHeader);
    if (incoming.isEmpty()) {
      routingContext.next();
      return;
    }
    routingContext.put(KEY, incoming.get());
    try (TransactionContext.Scope scope = incoming.get().makeCurrent()) {
      routingContext.next();
    }
  }

  /**
   * The context of the request, as this handler read it; empty when the request carried no
   * {@code Covenant-Gid} or no {@code TransactionContextHandler} ran for it. Callable from any thread.
   */
  public static Optional<TransactionContext> context(RoutingContext routingContext) {
    Objects.requireNonNull(routingContext, "routingContext");
    Object value = routingContext.get(KEY);
    return value instanceof TransactionContext context ? Optional.of(context) : Optional.empty();
  }

  /**
   * Makes the request's context current on the calling thread until the returned scope closes
   * (which restores what was current before); binds nothing when the request has none. Use it in a
   * continuation: a {@code Future} callback, an {@code executeBlocking} body, a
   * {@code blockingHandler}. Close it on the same thread, in a try-with-resources block.
   */
  public static TransactionContext.Scope bind(RoutingContext routingContext) {
    return context(routingContext).map(TransactionContext::makeCurrent).orElse(NOTHING_BOUND);
  }

  @Override
  public String toString() {
    return "TransactionContextHandler";
  }
}
