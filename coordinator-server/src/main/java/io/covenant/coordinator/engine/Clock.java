package io.covenant.coordinator.engine;

import java.time.Instant;

/** The engine's only source of time: Vert.x-backed wall time in production, {@code SimClock} in tests. */
@FunctionalInterface
public interface Clock {
  Instant now();
}
