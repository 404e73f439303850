package io.covenant.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link CovenantClient} retries its own calls to the coordinator: at most {@code attemptsMax}
 * attempts in all, waiting between attempts a jittered, doubling backoff from
 * {@code initialBackoff} up to {@code maxBackoff}.
 *
 * <p>A call is retried after a connection error, a request timeout, or a problem whose
 * {@code retryable} is true ({@code 503 store-unavailable}, {@code 503 shutting-down},
 * {@code 500 internal-error}, {@code 409 concurrent-update}). Every call the client makes is safe to
 * repeat: begin and saga submission always carry a gid (the client makes one when you give none),
 * registration is keyed by branch id, and commit and rollback are idempotent.
 *
 * @param attemptsMax attempts in all, first one included (at least 1; 1 means no retry). Default 5.
 * @param initialBackoff the wait after the first failed attempt. Default 100 ms.
 * @param maxBackoff the longest wait between two attempts. Default 2 s.
 */
public record RetryPolicy(int attemptsMax, Duration initialBackoff, Duration maxBackoff) {

  public RetryPolicy {
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (attemptsMax < 1) {
      throw new IllegalArgumentException("attemptsMax must be at least 1, was " + attemptsMax);
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "need 0 <= initialBackoff <= maxBackoff, were " + initialBackoff + " and " + maxBackoff);
    }
  }

  /** 5 attempts, backoff from 100 ms doubling up to 2 s: rides out a coordinator restart of a few seconds. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(2));
  }

  /** One attempt: every failure reaches the caller at once. */
  public static RetryPolicy none() {
    return new RetryPolicy(1, Duration.ZERO, Duration.ZERO);
  }
}
