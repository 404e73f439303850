package io.covenant.coordinator.store.sql;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What the SQL stores need beyond their connection: who this coordinator is among those sharing the
 * database, how long its lease lasts, and how long to wait for the database.
 *
 * @param instanceId names this coordinator in {@code covenant_coordinators.instance_id} and
 *     {@code covenant_transactions.owner_id}, for people (fencing uses the epoch, not this)
 * @param heartbeatInterval how often the lease is renewed
 * @param heartbeatExpiry a lease not renewed for this long (by the database's clock) is dead and
 *     the coordinator's unfinished transactions are adopted by others; longer than the interval
 * @param timeout longest wait for the database: to connect, and for each statement; a connection
 *     that stays silent for twice as long is dropped, so a half-open connection cannot hang writes
 */
public record SharedStoreSettings(String instanceId, Duration heartbeatInterval, Duration heartbeatExpiry, Duration timeout) {
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(2);
  public static final Duration DEFAULT_HEARTBEAT_EXPIRY = Duration.ofSeconds(10);
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  public static final int INSTANCE_ID_LENGTH_MAX = 128;

  public SharedStoreSettings {
    Objects.requireNonNull(instanceId, "instanceId");
    if (instanceId.isBlank() || instanceId.length() > INSTANCE_ID_LENGTH_MAX) {
      throw new IllegalArgumentException("instanceId must be 1 to " + INSTANCE_ID_LENGTH_MAX + " characters");
    }
    if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
      throw new IllegalArgumentException("heartbeatInterval must be positive");
    }
    if (heartbeatExpiry.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException("heartbeatExpiry must be at least twice heartbeatInterval, got "
          + heartbeatExpiry.toMillis() + " ms and " + heartbeatInterval.toMillis() + " ms");
    }
    if (timeout.toMillis() < 1) {
      throw new IllegalArgumentException("timeout must be at least 1 ms");
    }
  }

  /** The defaults, with a generated instance id. */
  public static SharedStoreSettings defaults() {
    return new SharedStoreSettings(generatedInstanceId(), DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_EXPIRY, DEFAULT_TIMEOUT);
  }

  public SharedStoreSettings withInstanceId(String id) {
    return new SharedStoreSettings(id, heartbeatInterval, heartbeatExpiry, timeout);
  }

  public SharedStoreSettings withHeartbeat(Duration interval, Duration expiry) {
    return new SharedStoreSettings(instanceId, interval, expiry, timeout);
  }

  public SharedStoreSettings withTimeout(Duration t) {
    return new SharedStoreSettings(instanceId, heartbeatInterval, heartbeatExpiry, t);
  }

  /** {@code <host>-<pid>-<4 random bytes>}: distinct for every start, readable in the coordinators table. */
  public static String generatedInstanceId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "coordinator";
    }
    byte[] random = new byte[4];
    new SecureRandom().nextBytes(random);
    String id = host + "-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(random);
    return id.length() <= INSTANCE_ID_LENGTH_MAX ? id : id.substring(id.length() - INSTANCE_ID_LENGTH_MAX);
  }
}
