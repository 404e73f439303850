package io.covenant.coordinator.http;

import io.covenant.coordinator.transport.AddressRules;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Which participant URLs the coordinator agrees to call. Whoever may register a branch decides
 * where the coordinator sends requests, so without a policy the coordinator could be used to reach
 * hosts the caller cannot (server-side request forgery).
 *
 * <p>A URL must first be an absolute {@code http} or {@code https} URL with a host
 * ({@code invalid-request} otherwise). Always refused then: link-local addresses (169.254.0.0/16,
 * where clouds serve instance metadata, and fe80::/10), the unspecified and multicast addresses, the
 * well-known metadata host names, and IPv4 written in any form but plain dotted decimal (a bare
 * number or a part with a leading zero is read as decimal, octal or hex by some resolvers). Then,
 * unless {@code participant.allowedHosts} is {@code *}, the host (or host:port) must match one of
 * its entries: {@code name}, {@code name:port}, or {@code *.domain} for any subdomain.
 *
 * <p>Names are not resolved here (that would block the event loop): the transport resolves them
 * when it calls, refuses the same addresses ({@link AddressRules}) and connects to the address it
 * checked, so a name whose DNS answer is a forbidden address is never called.
 *
 * <p><b>Verdicts are remembered per URL text.</b> Parsing a URL, matching its host and reading a
 * literal address cost more than the rest of a submission's checks, and initiators send the same
 * few URLs again and again (six for a saga of three steps). A verdict depends only on the text and
 * on the allowed hosts, which are fixed for the life of this object, so it is kept: allowed, or
 * the problem code with the reason that follows the field name (the caller's field name is added
 * on every refusal, so messages read as if nothing were cached). The cache is bounded: it keeps
 * texts of at most {@value #CACHED_URL_LENGTH_MAX} characters, and once it holds
 * {@code verdictsMax} of them ({@value #VERDICTS_MAX} by default) it is emptied before the next one
 * goes in. A stream of ever new URLs (a query string per order, say) therefore costs what it cost
 * without a cache, plus an occasional clear, and never more memory than the bound.
 *
 * <p>Thread-safe: any number of event loops may check at once. Two that meet the same new URL at
 * the same moment both judge it and store the same verdict; a clear racing with a store may leave
 * a few entries more than the bound until the next clear.
 */
public final class ParticipantUrls {
  private static final Set<String> METADATA_HOSTS = Set.of("metadata", "metadata.google.internal", "instance-data",
      "instance-data.ec2.internal", "metadata.azure.internal");
  private static final Pattern DOTTED_DECIMAL = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
  private static final Pattern NUMERIC_ISH = Pattern.compile("[0-9.]+|0x[0-9a-f.x]+");
  /** How many verdicts are kept by default: far more distinct participant URLs than a deployment has. */
  static final int VERDICTS_MAX = 1024;
  /** Longer URLs are judged every time, so the cache's memory stays bounded by its entry count. */
  static final int CACHED_URL_LENGTH_MAX = 1024;
  /** How much of a URL that is not http(s) its refusal quotes. */
  private static final int SHOWN_LENGTH_MAX = 80;

  /** The verdict on one URL text: allowed (no code), or refused with the problem code and the reason after the field name. */
  private record Verdict(ErrorCode refusal, String reason) {
    static final Verdict ALLOWED = new Verdict(null, null);
  }

  private final boolean allowAll;
  private final List<String> exact = new ArrayList<>();
  private final List<String> suffixes = new ArrayList<>();
  private final int verdictsMax;
  private final Map<String, Verdict> verdicts = new ConcurrentHashMap<>();

  /** @param allowedHosts comma-separated entries, or {@code *} for every host not refused always */
  public ParticipantUrls(String allowedHosts) {
    this(allowedHosts, VERDICTS_MAX);
  }

  /** @param verdictsMax how many URL verdicts to keep at most (at least 1) */
  ParticipantUrls(String allowedHosts, int verdictsMax) {
    if (verdictsMax < 1) {
      throw new IllegalArgumentException("verdictsMax must be at least 1, got " + verdictsMax);
    }
    this.verdictsMax = verdictsMax;
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
   * Returns when the coordinator may call {@code url}; otherwise throws a {@link CovenantException}
   * whose detail is {@code field} and the reason: {@code INVALID_REQUEST} when it is not an absolute
   * http(s) URL with a host, {@code PARTICIPANT_NOT_ALLOWED} when the policy refuses it. The same
   * text always gets the same answer.
   *
   * @param gid the transaction the problem names; may be null
   */
  public void check(String field, String url, String gid) {
    Verdict verdict = verdict(url);
    if (verdict != Verdict.ALLOWED) {
      throw new CovenantException(verdict.refusal(), field + " " + verdict.reason(), gid);
    }
  }

  private Verdict verdict(String url) {
    Verdict known = verdicts.get(url);
    if (known != null) {
      return known;
    }
    Verdict verdict = judge(url);
    if (url.length() <= CACHED_URL_LENGTH_MAX) {
      if (verdicts.size() >= verdictsMax) {
        verdicts.clear();
      }
      verdicts.put(url, verdict);
    }
    return verdict;
  }

  private Verdict judge(String url) {
    URI uri = httpUrl(url);
    if (uri == null) {
      return new Verdict(ErrorCode.INVALID_REQUEST, "must be an absolute http or https URL, got '"
          + (url.length() > SHOWN_LENGTH_MAX ? url.substring(0, SHOWN_LENGTH_MAX) + "…" : url) + "'");
    }
    String why = refusal(uri);
    return why == null ? Verdict.ALLOWED : new Verdict(ErrorCode.PARTICIPANT_NOT_ALLOWED, why);
  }

  /** How many verdicts are kept now; never more than the bound when checks do not race. */
  int verdictsCached() {
    return verdicts.size();
  }

  /** {@code value} parsed, when it is an absolute {@code http} or {@code https} URL with a host; else null. */
  static URI httpUrl(String value) {
    try {
      URI u = new URI(value);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      boolean http = (scheme.equals("http") || scheme.equals("https")) && !u.isOpaque()
          && u.getHost() != null && !u.getHost().isEmpty();
      return http ? u : null;
    } catch (URISyntaxException e) {
      return null;
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
