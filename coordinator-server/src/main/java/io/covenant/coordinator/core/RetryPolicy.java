package io.covenant.coordinator.core;

import java.time.Duration;

/**
 * Capped exponential backoff with jitter. The n-th consecutive failure waits
 * {@code min(max, initial * 2^(n-1))}, of which the upper half is scaled by the jitter, so
 * retries from many transactions do not arrive at a recovering participant together.
 */
public record RetryPolicy(Duration initial, Duration max) {

  public RetryPolicy {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("retry backoff needs 0 < initial <= max, got " + initial + " and " + max);
    }
  }

  /**
   * The wait after {@code failures} consecutive failures (at least 1).
   *
   * @param jitter in [0, 1)
   */
  public Duration backoff(int failures, double jitter) {
    long initialNanos = initial.toNanos();
    long maxNanos = max.toNanos();
    int shift = Math.min(Math.max(failures - 1, 0), 62);
    long capped = (shift >= 62 || initialNanos > (maxNanos >> shift)) ? maxNanos : Math.min(maxNanos, initialNanos << shift);
    long half = capped / 2;
    return Duration.ofNanos(half + (long) (half * jitter));
  }
}
