package io.covenant.coordinator.transport;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The addresses the coordinator never calls, whatever the configuration: link-local (169.254.0.0/16,
 * where clouds serve instance metadata, and fe80::/10, also in IPv4-mapped form), the unspecified
 * address and multicast. Checked on literal addresses when a URL is registered, and on what a host
 * name resolves to when it is called.
 */
public final class AddressRules {
  private AddressRules() {}

  /** Why {@code address} is never called, or null when it may be. */
  public static String refusal(InetAddress address) {
    if (address.isLinkLocalAddress() || (address instanceof Inet6Address v6 && isMappedLinkLocal(v6))) {
      return "link-local";
    }
    if (address.isAnyLocalAddress()) {
      return "unspecified";
    }
    if (address.isMulticastAddress()) {
      return "multicast";
    }
    return null;
  }

  /** ::ffff:169.254.x.y, an IPv4 link-local address in IPv6 form. */
  private static boolean isMappedLinkLocal(Inet6Address v6) {
    byte[] b = v6.getAddress();
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[10] == (byte) 0xff && b[11] == (byte) 0xff && b[12] == (byte) 169 && b[13] == (byte) 254;
  }
}
