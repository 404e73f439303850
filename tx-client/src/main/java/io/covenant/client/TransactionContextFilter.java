package io.covenant.client;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.Optional;

/**
 * A JDK {@link com.sun.net.httpserver.HttpServer} filter that makes the context of the incoming
 * request ({@code Covenant-Gid}, {@code Covenant-Branch}; see {@link CovenantHeaders#read}) the
 * current {@link TransactionContext} while the handler runs, so that calls the handler makes carry
 * it on. Requests without {@code Covenant-Gid} pass through unchanged.
 *
 * <pre>{@code
 * server.createContext("/orders", ordersHandler).getFilters().add(new TransactionContextFilter());
 * }</pre>
 *
 * <p>The context is bound on the server's thread for the handler's synchronous part only.
 */
public final class TransactionContextFilter extends Filter {

  @SuppressWarnings("try") // the scope is used for its close() alone
  @Override
  public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
    Optional<TransactionContext> incoming = CovenantHeaders.read(exchange.getRequestHeaders()::getFirst);
    if (incoming.isEmpty()) {
      chain.doFilter(exchange);
      return;
    }
    try (TransactionContext.Scope scope = incoming.get().makeCurrent()) {
      chain.doFilter(exchange);
    }
  }

  @Override
  public String description() {
    return "binds the Covenant transaction context from the Covenant-Gid and Covenant-Branch headers";
  }
}
