package io.covenant.coordinator.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * Engine settings that are not rules of the core.
 *
 * @param defaultTimeout deadline of a TCC / 2PC transaction begun without {@code timeoutMillis}
 * @param defaultSagaTimeout deadline of a saga submitted without one; null means none
 * @param timeoutMax the largest timeout a client may ask for
 * @param participantCallsInFlightMax calls in flight to one participant (host and port) at once
 */
public record EngineSettings(
    Duration defaultTimeout, Duration defaultSagaTimeout, Duration timeoutMax, int participantCallsInFlightMax) {

  public EngineSettings {
    Objects.requireNonNull(defaultTimeout, "defaultTimeout");
    Objects.requireNonNull(timeoutMax, "timeoutMax");
  }

  public static EngineSettings defaults() {
    return new EngineSettings(Duration.ofSeconds(60), null, Duration.ofDays(1), 64);
  }
}
