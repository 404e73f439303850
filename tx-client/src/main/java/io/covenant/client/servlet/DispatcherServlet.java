package io.covenant.client.servlet;

import io.covenant.client.ParticipantDispatcher;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Serves a {@link ParticipantDispatcher} from a Servlet container. The resource is the request's
 * path info, the part of the path below the servlet's mapping: map the servlet at
 * {@code /participant/*} and register {@code http://host/app/participant/stock} for resource
 * {@code stock}. Only {@code POST} is handled.
 *
 * <p>It takes its dispatcher in the constructor, so register an instance programmatically
 * ({@code servletContext.addServlet("covenant", new DispatcherServlet(dispatcher)).addMapping("/participant/*")},
 * or your framework's servlet registration bean) rather than by class name in {@code web.xml}.
 */
public class DispatcherServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  private final transient ParticipantDispatcher dispatcher;

  public DispatcherServlet(ParticipantDispatcher dispatcher) {
    this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
  }

  @Override
  protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    for (String name : Collections.list(request.getHeaderNames())) {
      headers.put(name, request.getHeader(name));
    }
    byte[] body = request.getInputStream().readAllBytes();
    String path = request.getPathInfo() == null ? "" : request.getPathInfo();
    ParticipantDispatcher.Response answer = dispatcher.handle(headers, body, path);
    response.setStatus(answer.status());
    if (answer.contentType() != null) {
      response.setContentType(answer.contentType());
    }
    if (answer.body().length > 0) {
      response.setContentLength(answer.body().length);
      response.getOutputStream().write(answer.body());
    }
  }
}
