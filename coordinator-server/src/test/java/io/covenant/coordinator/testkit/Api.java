package io.covenant.coordinator.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A thin JSON-over-HTTP client for the coordinator's API, for tests. */
public final class Api {
  public static final ObjectMapper JSON = new ObjectMapper();

  /** A response: status, content type, parsed body (null when empty or not JSON), raw body and headers. */
  public record Response(int status, String contentType, JsonNode body, String raw, HttpHeaders headers) {
    /** The first value of header {@code name}, or null. */
    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    public String problemType() {
      return body == null || body.get("type") == null ? null : body.get("type").asText();
    }

    public String status(String field) {
      return body.path(field).asText();
    }
  }

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private String baseUrl;

  public Api(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** Points at another coordinator (after a restart on a new port). */
  public void baseUrl(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  /** A POST of {@code body} as JSON (a string is sent as it is), with extra headers given as name, value, name, value… */
  public Response post(String path, Object body, String... headers) {
    try {
      String text = body instanceof String s ? s : JSON.writeValueAsString(body);
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(text));
      for (int i = 0; i < headers.length; i += 2) {
        request.header(headers[i], headers[i + 1]);
      }
      return send(request);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  public Response get(String path) {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET());
  }

  public Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      JsonNode body = null;
      try {
        body = r.body().isEmpty() ? null : JSON.readTree(r.body());
      } catch (Exception notJson) {
        // left null: raw keeps the text
      }
      return new Response(r.statusCode(), r.headers().firstValue("content-type").orElse(null), body, r.body(), r.headers());
    } catch (Exception e) {
      throw new AssertionError("request failed: " + e, e);
    }
  }

  public String begin(String mode, long timeoutMillis) {
    Response r = post("/v1/transactions", object().put("mode", mode).put("timeoutMillis", timeoutMillis));
    expect(r, 201);
    return r.body().get("gid").asText();
  }

  public Response register(String gid, String branchId, String forwardField, String forward, String backwardField,
      String backward) {
    return post("/v1/transactions/" + gid + "/branches", object().put("branchId", branchId)
        .put(forwardField, forward).put(backwardField, backward).set("payload", object().put("branch", branchId)));
  }

  public Response commit(String gid) {
    return post("/v1/transactions/" + gid + "/commit", "");
  }

  public Response rollback(String gid) {
    return post("/v1/transactions/" + gid + "/rollback", "");
  }

  public Response transaction(String gid) {
    return get("/v1/transactions/" + gid);
  }

  public String statusOf(String gid) {
    return transaction(gid).status("status");
  }

  public static Response expect(Response r, int status) {
    if (r.status() != status) {
      throw new AssertionError("expected HTTP " + status + " but got " + r.status() + ": " + r.raw());
    }
    return r;
  }
}
