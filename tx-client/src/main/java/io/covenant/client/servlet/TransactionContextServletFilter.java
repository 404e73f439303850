package io.covenant.client.servlet;

import io.covenant.client.CovenantHeaders;
import io.covenant.client.TransactionContext;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.Optional;

/**
 * A Jakarta Servlet filter that makes the context of the incoming request ({@code Covenant-Gid},
 * {@code Covenant-Branch}; see {@link CovenantHeaders#read}) the current {@link TransactionContext}
 * while the rest of the chain runs. Requests without {@code Covenant-Gid} pass through unchanged.
 *
 * <p>The context is bound on the container's thread for the synchronous part of the request; work
 * an async servlet hands to other threads must carry it itself ({@link TransactionContext#wrap(Runnable)}, {@link TransactionContext#propagating}).
 */
public class TransactionContextServletFilter implements Filter {

  @SuppressWarnings("try") // the scope is used for its close() alone
  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    Optional<TransactionContext> incoming = request instanceof HttpServletRequest http
        ? CovenantHeaders.read(http::getHeader)
        : Optional.empty();
    if (incoming.isEmpty()) {
      chain.doFilter(request, response);
      return;
    }
    try (TransactionContext.Scope scope = incoming.get().makeCurrent()) {
      chain.doFilter(request, response);
    }
  }
}
