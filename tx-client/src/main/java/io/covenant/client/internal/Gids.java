package io.covenant.client.internal;

import java.util.UUID;

/**
 * Global transaction ids made by the client. Begin and saga submission always carry one, so a
 * retried request finds the transaction the first attempt created instead of creating another.
 */
public final class Gids {
  private Gids() {}

  /** A random UUID: 36 characters, within the coordinator's shortest allowed gid length limit. */
  public static String newGid() {
    return UUID.randomUUID().toString();
  }
}
