package io.covenant.coordinator.runtime;

import io.covenant.coordinator.engine.Entropy;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Production {@link Entropy}: gids are random (version 4) UUIDs from the JDK's
 * {@code SecureRandom}, so they cannot be guessed; retry jitter comes from
 * {@link ThreadLocalRandom}, which is fast and needs no security. Thread-safe.
 *
 * <p>A generated gid is 36 characters of {@code [0-9a-f-]}, so it always passes the API's gid rule.
 */
public final class SecureEntropy implements Entropy {
  /** The length of every generated gid; {@code limits.gidLengthMax} may not be below it. */
  public static final int GID_LENGTH = 36;

  @Override
  public String newGid() {
    return UUID.randomUUID().toString();
  }

  @Override
  public double nextDouble() {
    return ThreadLocalRandom.current().nextDouble();
  }
}
