package io.covenant.client.internal;

import io.covenant.client.RetryPolicy;
import java.time.Duration;

/**
 * Capped exponential backoff with "equal jitter": before attempt {@code n + 1} the client waits a
 * random time between half and all of {@code min(maxBackoff, initialBackoff * 2^(n-1))}. The jitter
 * spreads out clients that failed together (a coordinator restart), so they do not all retry in
 * the same instant; the half that is not random keeps the wait from collapsing to nothing.
 */
public final class Backoff {
  private Backoff() {}

  /**
   * The wait after {@code failedAttempts} failed attempts (at least 1).
   *
   * @param random a number in [0, 1)
   */
  public static Duration after(RetryPolicy policy, int failedAttempts, double random) {
    long initial = policy.initialBackoff().toNanos();
    long max = policy.maxBackoff().toNanos();
    int doublings = Math.min(Math.max(failedAttempts - 1, 0), 62);
    long capped = initial > (max >> doublings) ? max : Math.min(max, initial << doublings);
    long half = capped / 2;
    return Duration.ofNanos(half + (long) (random * (capped - half)));
  }
}
