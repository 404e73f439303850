package io.covenant.client.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.client.BusinessRefusal;
import io.covenant.client.ParticipantDispatcher;
import io.covenant.client.TransactionContext;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The Servlet adapters, driven through the Servlet API with small stand-ins for the request and
 * response (there is no container on the test classpath; the adapters use only a few methods).
 */
class ServletAdaptersTest {

  /** A request with these headers, method, path info and body; any other method answers its type's default. */
  static HttpServletRequest request(String method, String pathInfo, Map<String, String> headers, String body) {
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    h.putAll(headers);
    ByteArrayInputStream in = new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
    ServletInputStream stream = new ServletInputStream() {
      @Override public int read() {
        return in.read();
      }

      @Override public boolean isFinished() {
        return in.available() == 0;
      }

      @Override public boolean isReady() {
        return true;
      }

      @Override public void setReadListener(ReadListener listener) {}
    };
    return (HttpServletRequest) Proxy.newProxyInstance(ServletAdaptersTest.class.getClassLoader(),
        new Class<?>[] {HttpServletRequest.class}, (proxy, m, args) -> switch (m.getName()) {
          case "getMethod" -> method;
          case "getPathInfo" -> pathInfo;
          case "getHeader" -> h.get((String) args[0]);
          case "getHeaderNames" -> Collections.enumeration(new ArrayList<>(h.keySet()));
          case "getInputStream" -> stream;
          case "getProtocol" -> "HTTP/1.1";
          default -> defaultValue(m.getReturnType());
        });
  }

  /** A response that keeps its status, content type and body. */
  static final class Recorded {
    int status = 200;
    String contentType;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();

    HttpServletResponse response() {
      ServletOutputStream out = new ServletOutputStream() {
        @Override public void write(int b) {
          body.write(b);
        }

        @Override public boolean isReady() {
          return true;
        }

        @Override public void setWriteListener(WriteListener listener) {}
      };
      return (HttpServletResponse) Proxy.newProxyInstance(ServletAdaptersTest.class.getClassLoader(),
          new Class<?>[] {HttpServletResponse.class}, (proxy, m, args) -> {
            switch (m.getName()) {
              case "setStatus" -> status = (Integer) args[0];
              case "setContentType" -> contentType = (String) args[0];
              case "getOutputStream" -> {
                return out;
              }
              default -> {
                return defaultValue(m.getReturnType());
              }
            }
            return null;
          });
    }
  }

  static Object defaultValue(Class<?> type) {
    if (type == boolean.class) {
      return false;
    }
    if (type == int.class) {
      return 0;
    }
    if (type == long.class) {
      return 0L;
    }
    return null;
  }

  @Test
  void theFilterBindsTheIncomingContextForTheChainOnly() throws Exception {
    List<Optional<TransactionContext>> seen = new ArrayList<>();
    FilterChain chain = (req, res) -> seen.add(TransactionContext.current());
    TransactionContextServletFilter filter = new TransactionContextServletFilter();

    filter.doFilter(request("POST", null, Map.of(Headers.GID, "order-1", Headers.BRANCH, "stock"), ""),
        new Recorded().response(), chain);
    filter.doFilter(request("GET", null, Map.of(), ""), new Recorded().response(), chain);

    assertThat(seen).containsExactly(Optional.of(TransactionContext.of("order-1", "stock")), Optional.empty());
    assertThat(TransactionContext.current()).isEmpty();
  }

  @Test
  void theServletAnswersWhatTheDispatcherDecides() throws Exception {
    List<String> confirmed = new ArrayList<>();
    DispatcherServlet servlet = new DispatcherServlet(ParticipantDispatcher.builder()
        .on("stock", Op.CONFIRM, call -> confirmed.add(call.gid() + " " + call.payload().path("sku").asText()))
        .on("stock", Op.TRY, call -> {
          throw new BusinessRefusal("sold out");
        })
        .build());

    Recorded ok = new Recorded();
    servlet.service(request("POST", "/stock",
        Map.of(Headers.GID, "order-2", Headers.BRANCH, "stock", Headers.OP, "confirm"), "{\"sku\":\"A-1\"}"), ok.response());
    Recorded refused = new Recorded();
    servlet.service(request("POST", "/stock",
        Map.of(Headers.GID, "order-2", Headers.BRANCH, "stock", Headers.OP, "try"), ""), refused.response());

    assertThat(ok.status).isEqualTo(200);
    assertThat(confirmed).containsExactly("order-2 A-1");
    assertThat(refused.status).isEqualTo(409);
    assertThat(refused.contentType).isEqualTo(Headers.PROBLEM_JSON);
    assertThat(refused.body.toString(StandardCharsets.UTF_8)).contains(BusinessRefusal.TYPE).contains("sold out");
  }
}
