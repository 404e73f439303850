package io.covenant.coordinator.http;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.WireCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Bearer tokens for the API, read from a YAML or JSON file ({@code auth.tokensFile}):
 *
 * <pre>
 * tokens:
 *   - name: order-service
 *     sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08   # of the token
 *     permissions: [transactions, read]
 *   - name: ops
 *     token: change-me            # plain text is accepted too; prefer sha256
 *     permissions: [read, operator]
 * </pre>
 *
 * <p>Only SHA-256 digests are kept in memory and compared (in constant time); tokens are never
 * logged. Without a file, authentication is off.
 */
public final class ApiTokens {

  /** What a token may do. */
  public enum Permission implements WireCode {
    /** Begin, register, commit, roll back, submit sagas. */
    TRANSACTIONS("transactions"),
    /** Read transactions. */
    READ("read"),
    /** Operator actions (force retry, force finish); includes read. */
    OPERATOR("operator");

    private final String code;

    Permission(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }
  }

  /** Who a request authenticated as. */
  public record Principal(String name, Set<Permission> permissions) {
    boolean may(Permission p) {
      return permissions.contains(p) || (p == Permission.READ && permissions.contains(Permission.OPERATOR));
    }
  }

  private record Entry(String name, String token, String sha256, List<String> permissions) {}

  private record File(List<Entry> tokens) {}

  private record Known(Principal principal, byte[] digest) {}

  private final List<Known> known;

  private ApiTokens(List<Known> known) {
    this.known = known;
  }

  /** No file: every request is let through. */
  public static ApiTokens disabled() {
    return new ApiTokens(null);
  }

  public boolean enabled() {
    return known != null;
  }

  /**
   * Reads the tokens file.
   *
   * @throws IllegalArgumentException naming the file and the entry that is wrong
   */
  public static ApiTokens load(Path file) {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    File parsed;
    try {
      parsed = yaml.readValue(file.toFile(), File.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("auth.tokensFile " + file + " cannot be read: " + e.getMessage(), e);
    }
    if (parsed == null || parsed.tokens() == null || parsed.tokens().isEmpty()) {
      throw new IllegalArgumentException("auth.tokensFile " + file + " lists no tokens");
    }
    List<Known> known = new ArrayList<>();
    for (Entry e : parsed.tokens()) {
      String where = "auth.tokensFile " + file + ", token '" + e.name() + "': ";
      if (e.name() == null || e.name().isBlank()) {
        throw new IllegalArgumentException("auth.tokensFile " + file + ": every token needs a name");
      }
      if ((e.token() == null) == (e.sha256() == null)) {
        throw new IllegalArgumentException(where + "give exactly one of token and sha256");
      }
      byte[] digest;
      try {
        digest = e.sha256() != null ? HexFormat.of().parseHex(e.sha256().toLowerCase(Locale.ROOT)) : sha256(e.token());
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(where + "sha256 is not hexadecimal", bad);
      }
      if (digest.length != 32) {
        throw new IllegalArgumentException(where + "sha256 must be 64 hexadecimal digits");
      }
      Set<Permission> permissions = EnumSet.noneOf(Permission.class);
      for (String p : e.permissions() == null ? List.<String>of() : e.permissions()) {
        try {
          permissions.add(WireCode.parse(Permission.class, p));
        } catch (IllegalArgumentException bad) {
          throw new IllegalArgumentException(where + bad.getMessage(), bad);
        }
      }
      known.add(new Known(new Principal(e.name(), permissions), digest));
    }
    return new ApiTokens(List.copyOf(known));
  }

  /**
   * Checks the {@code Authorization} header for {@code needed}.
   *
   * @throws CovenantException {@code UNAUTHORIZED} without a known bearer token, {@code FORBIDDEN}
   *     when the token lacks the permission
   */
  public Principal authorize(String authorization, Permission needed) {
    if (known == null) {
      return null;
    }
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new CovenantException(ErrorCode.UNAUTHORIZED, "send Authorization: Bearer <token>");
    }
    byte[] digest = sha256(authorization.substring(7).trim());
    Principal found = null;
    for (Known k : known) {
      if (MessageDigest.isEqual(k.digest(), digest)) {
        found = k.principal();
      }
    }
    if (found == null) {
      throw new CovenantException(ErrorCode.UNAUTHORIZED, "the bearer token is not known");
    }
    if (!found.may(needed)) {
      throw new CovenantException(ErrorCode.FORBIDDEN,
          "token '" + found.name() + "' lacks the permission '" + needed.code() + "'");
    }
    return found;
  }

  static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
