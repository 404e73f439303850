package io.covenant.coordinator.transport;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves participant host names when they are called and picks an address the coordinator may
 * call ({@link AddressRules}). The request then goes to that very address (with the name as the
 * {@code Host} header and for TLS), so a name cannot pass the check with one DNS answer and be
 * connected with another (DNS rebinding).
 *
 * <p>Answers are cached for {@link #TTL}, as the JVM's own resolver does by default; a lookup runs
 * on a worker thread, so the event loop never waits for DNS.
 */
final class ParticipantAddresses {
  /** How long a resolved name is reused. */
  static final Duration TTL = Duration.ofSeconds(30);

  /** A name that cannot be called: it does not resolve, or only to refused addresses. */
  static final class Unusable extends Exception {
    Unusable(String message) {
      super(message, null, false, false);
    }
  }

  private record Resolved(InetAddress address, String refusal, long expiresAtNanos) {}

  private final Vertx vertx;
  private final HostResolver resolver;
  private final ConcurrentHashMap<String, Resolved> cache = new ConcurrentHashMap<>();

  ParticipantAddresses(Vertx vertx, HostResolver resolver) {
    this.vertx = vertx;
    this.resolver = resolver;
  }

  /** The address to connect to for {@code host}, a name (not a literal address). */
  Future<InetAddress> addressOf(String host) {
    Resolved hit = cache.get(host);
    if (hit != null && hit.expiresAtNanos - System.nanoTime() > 0) {
      return usable(host, hit);
    }
    return vertx.executeBlocking(() -> resolve(host), false).compose(resolved -> {
      cache.put(host, resolved);
      return usable(host, resolved);
    });
  }

  private static Future<InetAddress> usable(String host, Resolved r) {
    return r.address != null ? Future.succeededFuture(r.address) : Future.failedFuture(new Unusable(r.refusal));
  }

  private Resolved resolve(String host) {
    long expires = System.nanoTime() + TTL.toNanos();
    InetAddress[] all;
    try {
      all = resolver.resolve(host);
    } catch (UnknownHostException e) {
      // Not cached as a refusal for long: the name may be registered in DNS any moment.
      return new Resolved(null, "participant host " + host + " does not resolve", System.nanoTime());
    }
    List<String> refused = new ArrayList<>();
    for (InetAddress a : all) {
      String why = AddressRules.refusal(a);
      if (why == null) {
        return new Resolved(a, null, expires);
      }
      refused.add(a.getHostAddress() + " (" + why + ")");
    }
    return new Resolved(null, "participant host " + host + " resolves only to addresses that are never called: "
        + String.join(", ", refused), expires);
  }
}
