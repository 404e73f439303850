package io.covenant.client;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A participant service for tests: a real JDK {@link HttpServer} on a loopback port serving a
 * {@link ParticipantDispatcher} at {@code /}, with a filter in front that records every call (its
 * Covenant headers and resource) in arrival order.
 */
final class TestParticipant implements AutoCloseable {
  /** One call as it arrived. */
  record Seen(String gid, String branchId, Op op, String resource) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<Seen> calls = new CopyOnWriteArrayList<>();

  private TestParticipant(ParticipantDispatcher dispatcher) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    HttpContext context = server.createContext("/", dispatcher.httpHandler());
    context.getFilters().add(new Recorder());
    server.start();
  }

  static TestParticipant serve(ParticipantDispatcher dispatcher) throws IOException {
    return new TestParticipant(dispatcher);
  }

  /** The URL of {@code resource}, to register for every op of it. */
  String url(String resource) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + resource;
  }

  /** The calls for {@code gid} on {@code branchId}, in arrival order. */
  List<Seen> calls(String gid, String branchId) {
    return calls.stream().filter(c -> gid.equals(c.gid()) && branchId.equals(c.branchId())).toList();
  }

  /** The ops of {@link #calls}, in arrival order. */
  List<Op> ops(String gid, String branchId) {
    return calls(gid, branchId).stream().map(Seen::op).toList();
  }

  /** Every call for {@code gid}, in arrival order. */
  List<Seen> calls(String gid) {
    return calls.stream().filter(c -> gid.equals(c.gid())).toList();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private final class Recorder extends Filter {
    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
      // Recorded before the handler answers: once the coordinator has its answer, the call is here.
      var h = exchange.getRequestHeaders();
      String op = h.getFirst(Headers.OP);
      calls.add(new Seen(h.getFirst(Headers.GID), h.getFirst(Headers.BRANCH), op == null ? null : Op.fromCode(op),
          ParticipantDispatcher.resource(exchange.getRequestURI().getPath())));
      chain.doFilter(exchange);
    }

    @Override
    public String description() {
      return "records participant calls";
    }
  }
}
