package io.covenant.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.covenant.protocol.Op;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * One call of the coordinator (or, for a TCC try, of the initiator) to a participant: who it is
 * for (gid, branch id), what to do (op), on which resource, and the branch's registered payload.
 * Its payload is parsed when first asked for; the object is confined to the handler's thread.
 */
public final class ParticipantCall {
  private final String gid;
  private final String branchId;
  private final Op op;
  private final String resource;
  private final byte[] body;
  private final Map<String, String> headers;
  private final ObjectMapper json;
  private JsonNode payload;

  ParticipantCall(String gid, String branchId, Op op, String resource, byte[] body, Map<String, String> headers,
      ObjectMapper json) {
    this.gid = gid;
    this.branchId = branchId;
    this.op = op;
    this.resource = resource;
    this.body = body;
    this.headers = headers;
    this.json = json;
  }

  public String gid() {
    return gid;
  }

  public String branchId() {
    return branchId;
  }

  public Op op() {
    return op;
  }

  /** The resource the call was routed by: the request path below the dispatcher, without slashes at either end. */
  public String resource() {
    return resource;
  }

  /** The raw body (a copy). Empty when the branch has no payload. */
  public byte[] body() {
    return body.clone();
  }

  /**
   * The payload as JSON; {@link NullNode} when the body is empty.
   *
   * @throws UncheckedIOException when the body is not JSON (the call then answers 500)
   */
  public JsonNode payload() {
    if (payload == null) {
      try {
        payload = body.length == 0 ? NullNode.getInstance() : json.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException("the payload of " + this + " is not JSON", e);
      }
    }
    return payload;
  }

  /**
   * The payload read as {@code type} with the dispatcher's mapper; null when the body is empty.
   *
   * @throws UncheckedIOException when it does not read as {@code type} (the call then answers 500)
   */
  public <T> T payloadAs(Class<T> type) {
    if (body.length == 0) {
      return null;
    }
    try {
      return json.treeToValue(payload(), type);
    } catch (IOException e) {
      throw new UncheckedIOException("the payload of " + this + " does not read as " + type.getName(), e);
    }
  }

  /** A request header by name, ignoring case. */
  public Optional<String> header(String name) {
    return Optional.ofNullable(headers.get(name));
  }

  @Override
  public String toString() {
    return "ParticipantCall{gid=" + gid + ", branchId=" + branchId + ", op=" + op.code() + ", resource=" + resource + "}";
  }
}
