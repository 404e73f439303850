package io.covenant.coordinator.runtime;

import io.covenant.coordinator.engine.Clock;
import java.time.Instant;

/** The wall clock ({@link Instant#now()}), for production. The simulation injects its own {@link Clock}. */
public final class SystemClock implements Clock {
  public static final SystemClock INSTANCE = new SystemClock();

  private SystemClock() {}

  @Override
  public Instant now() {
    return Instant.now();
  }
}
