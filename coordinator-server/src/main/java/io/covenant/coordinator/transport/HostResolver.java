package io.covenant.coordinator.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Turns a participant host name into addresses; blocking, so called off the event loop. */
@FunctionalInterface
public interface HostResolver {
  /** The system's resolver (hosts file, then DNS), as {@link InetAddress#getAllByName}. */
  HostResolver SYSTEM = InetAddress::getAllByName;

  InetAddress[] resolve(String host) throws UnknownHostException;
}
