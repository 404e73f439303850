package io.covenant.coordinator.http;

import static io.covenant.coordinator.testkit.Api.expect;
import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.coordinator.testkit.Api;
import io.covenant.coordinator.testkit.TestCoordinator;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the HTTP API with mutated and random requests (bounded and seeded; a failure prints the
 * seed and the request; {@code -Dcovenant.fuzz.seed=N -Dcovenant.fuzz.requests=M} replays or
 * extends it). Whatever arrives, the coordinator never answers 500 (or drops the connection), every
 * error is problem+json, and a rejected request never changes a transaction.
 */
class HostileInputTest {
  static TestCoordinator coordinator;
  static Api api;
  static final List<String> GIDS = List.of("fz-tcc", "fz-2pc", "fz-saga", "fz-gone");

  static final String[] VALID = {
      "{\"gid\":\"%s\",\"mode\":\"tcc\",\"timeoutMillis\":60000}",
      "{\"branchId\":\"b9\",\"confirm\":\"http://127.0.0.1:9/c\",\"cancel\":\"http://127.0.0.1:9/x\",\"payload\":{\"a\":[1,2,{\"b\":null}]}}",
      "{\"branchId\":\"b9\",\"commit\":\"http://127.0.0.1:9/c\",\"rollback\":\"http://127.0.0.1:9/x\"}",
      "{\"gid\":\"%s\",\"timeoutMillis\":60000,\"recovery\":\"compensate\",\"steps\":[{\"name\":\"a\",\"action\":\"http://127.0.0.1:9/a\","
          + "\"compensation\":\"http://127.0.0.1:9/u\",\"dependsOn\":[],\"attemptsMax\":3,\"timeoutMillis\":1000,\"pivot\":false}]}",
      "{}", "[]", "null", "\"text\"", "0"};

  static final String[] PATHS = {
      "/v1/transactions", "/v1/transactions/{gid}", "/v1/transactions/{gid}/branches", "/v1/transactions/{gid}/commit",
      "/v1/transactions/{gid}/rollback", "/v1/sagas", "/v1/transactions?status={gid}&limit={n}", "/health/ready", "/metrics",
      "/v1/transactions/{gid}/branches/extra", "/v1/../v1/transactions/{gid}", "/v1/transactions/%25%00%ff"};

  static final String[] METHODS = {"POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH"};

  @BeforeAll
  static void start() throws Exception {
    coordinator = TestCoordinator.memory();
    api = new Api(coordinator.baseUrl());
    // Fixtures the fuzzer aims at: an active TCC and 2PC transaction with a branch, and a saga.
    // Their participants do not exist, so nothing ever finishes them during the run.
    expect(api.post("/v1/transactions", "{\"gid\":\"fz-tcc\",\"mode\":\"tcc\",\"timeoutMillis\":3600000}"), 201);
    expect(api.register("fz-tcc", "b1", "confirm", "http://127.0.0.1:9/c", "cancel", "http://127.0.0.1:9/x"), 201);
    expect(api.post("/v1/transactions", "{\"gid\":\"fz-2pc\",\"mode\":\"2pc\",\"timeoutMillis\":3600000}"), 201);
  }

  @AfterAll
  static void stop() throws Exception {
    coordinator.close();
  }

  @Test
  void noRequestCausesAServerErrorOrChangesStateWhenRejected() {
    long seed = Long.getLong("covenant.fuzz.seed", 20261125L);
    int requests = Integer.getInteger("covenant.fuzz.requests", 1000);
    Random random = new Random(seed);
    for (int i = 0; i < requests; i++) {
      String gid = pick(random, GIDS);
      String path = pick(random, PATHS).replace("{gid}", mutateText(random, gid, 0.05, URL_CHARS))
          .replace("{n}", String.valueOf(random.nextInt(1000) - 10));
      String method = METHODS[random.nextInt(METHODS.length)];
      byte[] body = body(random, gid);
      String before = snapshot(gid);
      Api.Response r;
      try {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(coordinator.baseUrl() + path));
        String contentType = random.nextInt(10) == 0 ? pick(random, List.of("text/plain", "application/xml", "")) : "application/json";
        if (!contentType.isEmpty()) {
          b.header("Content-Type", contentType);
        }
        r = api.send(b.method(method, HttpRequest.BodyPublishers.ofByteArray(body)));
      } catch (IllegalArgumentException unsendable) {
        continue; // the JDK client refuses to send it (e.g. an invalid URI): nothing reached the server
      }
      String what = "seed " + seed + " request " + i + ": " + method + " " + path + " "
          + new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
      assertThat(r.status()).as(what + " -> " + r.raw()).isBetween(200, 499);
      if (r.status() >= 400) {
        assertThat(r.contentType()).as(what).startsWith("application/problem+json");
        assertThat(r.problemType()).as(what).startsWith("https://covenant.example/problems/");
        assertThat(snapshot(gid)).as("state changed by a rejected request: " + what).isEqualTo(before);
      }
    }
  }

  /**
   * What a request could change: status, reason and the branches' registrations and statuses.
   * Retry bookkeeping (attempts, errors, times) moves on by itself while phase 2 keeps failing.
   */
  private static String snapshot(String gid) {
    Api.Response r = api.transaction(gid);
    if (r.status() != 200) {
      return r.raw();
    }
    var view = r.body().deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) view).remove(List.of("updatedAt", "stuck"));
    for (var branch : view.path("branches")) {
      ((com.fasterxml.jackson.databind.node.ObjectNode) branch).remove(List.of("attempts", "lastError", "nextAttemptAt"));
    }
    return view.toString();
  }

  private static <T> T pick(Random random, List<T> items) {
    return items.get(random.nextInt(items.size()));
  }

  private static String pick(Random random, String[] items) {
    return items[random.nextInt(items.length)];
  }

  private static byte[] body(Random random, String gid) {
    switch (random.nextInt(8)) {
      case 0 -> { // random bytes, often invalid UTF-8
        byte[] b = new byte[random.nextInt(200)];
        random.nextBytes(b);
        return b;
      }
      case 1 -> { // deep nesting
        int depth = 500 + random.nextInt(5000);
        return ("{\"gid\":" + "[".repeat(depth) + "]".repeat(depth) + "}").getBytes(StandardCharsets.UTF_8);
      }
      case 2 -> { // huge or wrongly typed values
        String value = pick(random, List.of("1e400", "-1", "9223372036854775808", "\"60000\"", "true", "{}", "[1]",
            "\"" + "x".repeat(100_000) + "\"", "null", "0.5"));
        String field = pick(random, List.of("gid", "mode", "timeoutMillis", "branchId", "steps", "payload", "confirm", "recovery"));
        return ("{\"" + field + "\":" + value + ",\"mode\":\"tcc\"}").getBytes(StandardCharsets.UTF_8);
      }
      default -> {
        String valid = String.format(pick(random, VALID), gid);
        return mutateText(random, valid, 0.03, JSON_CHARS).getBytes(StandardCharsets.UTF_8);
      }
    }
  }

  /** Characters that JSON mutations insert: syntax, digits, control and non-ASCII characters, a lone surrogate. */
  static final String JSON_CHARS = "{}[]\",:\\ 0123456789eE-+.truefalsnl\u0000\u00e9\ud83d\ude00/%&?#";
  /** Characters that path mutations insert: the client can only send what it can encode. */
  static final String URL_CHARS = "/.%&?#=;:@!$'()*+,-_~0123456789aZ";

  /** Deletes, duplicates or replaces characters (from {@code alphabet}) with probability {@code rate} each. */
  private static String mutateText(Random random, String text, double rate, String alphabet) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (random.nextDouble() >= rate) {
        out.append(c);
        continue;
      }
      switch (random.nextInt(3)) {
        case 0 -> { } // delete
        case 1 -> out.append(c).append(c);
        default -> out.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
    }
    return out.toString();
  }
}
