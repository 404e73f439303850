package io.covenant.coordinator.http;

import io.covenant.coordinator.transport.AddressRules;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which participant URLs the coordinator agrees to call. Whoever may register a branch decides
 * where the coordinator sends requests, so without a policy the coordinator could be used to reach
 * hosts the caller cannot (server-side request forgery).
 *
 * <p>Always refused: link-local addresses (169.254.0.0/16, where clouds serve instance metadata,
 * and fe80::/10), the unspecified and multicast addresses, the well-known metadata host names, and
 * IPv4 written in any form but plain dotted decimal (a bare number or a part with a leading zero
 * is read as decimal, octal or hex by some resolvers). Then, unless {@code participant.allowedHosts}
 * is {@code *}, the host (or host:port) must match one of its entries: {@code name},
 * {@code name:port}, or {@code *.domain} for any subdomain.
 *
 * <p>Names are not resolved here (that would block the event loop): the transport resolves them
 * when it calls, refuses the same addresses ({@link AddressRules}) and connects to the address it
 * checked, so a name whose DNS answer is a forbidden address is never called.
 */
public final class ParticipantUrls {
  private static final Set<String> METADATA_HOSTS = Set.of("metadata", "metadata.google.internal", "instance-data",
      "instance-data.ec2.internal", "metadata.azure.internal");
  private static final Pattern DOTTED_DECIMAL = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
  private static final Pattern NUMERIC_ISH = Pattern.compile("[0-9.]+|0x[0-9a-f.x]+");

  private final boolean allowAll;
  private final List<String> exact = new ArrayList<>();
  private final List<String> suffixes = new ArrayList<>();

  /** @param allowedHosts comma-separated entries, or {@code *} for every host not refused always */
  public ParticipantUrls(String allowedHosts) {
    boolean all = false;
    for (String raw : allowedHosts.split(",")) {
      String entry = raw.trim().toLowerCase(Locale.ROOT);
      if (entry.equals("*")) {
        all = true;
      } else if (entry.startsWith("*.")) {
        suffixes.add(entry.substring(1));
      } else if (!entry.isEmpty()) {
        exact.add(entry);
      }
    }
    this.allowAll = all;
  }

  /**
   * Refuses {@code url} (already known to be an absolute http(s) URL with a host) with
   * {@code PARTICIPANT_NOT_ALLOWED} naming {@code field} and why.
   */
  public void check(String field, String url, String gid) {
    String why = refusal(URI.create(url));
    if (why != null) {
      throw new CovenantException(ErrorCode.PARTICIPANT_NOT_ALLOWED, field + " " + why, gid);
    }
  }

  /** Why the coordinator will not call {@code uri}, or null when it will. */
  String refusal(URI uri) {
    if (uri.getHost() == null) {
      return "has no host that can be checked (" + uri.getRawAuthority() + ")";
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (METADATA_HOSTS.contains(host)) {
      return "names a cloud metadata host (" + host + ")";
    }
    boolean ipv6 = host.startsWith("[");
    if (!ipv6 && NUMERIC_ISH.matcher(host).matches() && !DOTTED_DECIMAL.matcher(host).matches()) {
      return "writes an IPv4 address in a form other than dotted decimal (" + host + ")";
    }
    if (ipv6 || DOTTED_DECIMAL.matcher(host).matches()) {
      String literal = ipv6 ? host.substring(1, host.length() - 1) : host;
      InetAddress address;
      try {
        address = InetAddress.getByName(literal); // a literal: no DNS lookup
      } catch (UnknownHostException e) {
        return "has an invalid address (" + host + ")";
      }
      String why = AddressRules.refusal(address);
      if (why != null) {
        return "points at a " + why + " address (" + host + "), which is never called";
      }
    }
    if (allowAll) {
      return null;
    }
    int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    if (exact.contains(host) || exact.contains(host + ":" + port)) {
      return null;
    }
    for (String suffix : suffixes) {
      if (host.endsWith(suffix)) {
        return null;
      }
    }
    return "host " + host + ":" + port + " is not in participant.allowedHosts";
  }
}
