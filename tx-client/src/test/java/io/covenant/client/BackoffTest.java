package io.covenant.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.client.internal.Backoff;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The client's retry backoff: doubling, capped, and jittered between half and all of the step. */
class BackoffTest {
  final RetryPolicy policy = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofSeconds(2));

  @Test
  void doublesFromTheInitialBackoffUpToTheCap() {
    assertThat(Backoff.after(policy, 1, 0.999999)).isBetween(Duration.ofMillis(99), Duration.ofMillis(100));
    assertThat(Backoff.after(policy, 2, 0.999999)).isBetween(Duration.ofMillis(199), Duration.ofMillis(200));
    assertThat(Backoff.after(policy, 4, 0.999999)).isBetween(Duration.ofMillis(799), Duration.ofMillis(800));
    assertThat(Backoff.after(policy, 6, 0.999999)).isEqualTo(Backoff.after(policy, 60, 0.999999))
        .isBetween(Duration.ofMillis(1999), Duration.ofSeconds(2));
    assertThat(Backoff.after(policy, Integer.MAX_VALUE, 0.5)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
  }

  @Test
  void jitterKeepsAtLeastHalfOfTheStep() {
    assertThat(Backoff.after(policy, 1, 0.0)).isEqualTo(Duration.ofMillis(50));
    assertThat(Backoff.after(policy, 3, 0.0)).isEqualTo(Duration.ofMillis(200));
    assertThat(Backoff.after(RetryPolicy.none(), 1, 0.7)).isZero();
  }

  @Test
  void aPolicyIsValidated() {
    assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CovenantClient.builder().build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("coordinator is required");
    assertThatThrownBy(() -> CovenantClient.builder().coordinator(java.net.URI.create("ftp://host/")).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("http(s)");
  }
}
