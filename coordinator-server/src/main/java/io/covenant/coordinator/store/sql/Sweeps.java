package io.covenant.coordinator.store.sql;

/**
 * When a SQL store also sweeps for orphans by an anti-join over every unfinished transaction (the
 * safety net behind adoption by dead term, which goes through the owner index and costs only what
 * it adopts): at the first adoption (a coordinator starting) and then at most once per
 * {@link #INTERVAL_NANOS}. The sweep finds transactions whose owner's term row is gone: written
 * late by a paused coordinator after the row was deleted, or stored before terms existed.
 *
 * <p>Thread-safe.
 */
public final class Sweeps {
  /** At most one sweep per minute and coordinator. */
  public static final long INTERVAL_NANOS = 60_000_000_000L;

  private long last;
  private boolean swept;

  /** True when a sweep is due now; the caller then sweeps. */
  public synchronized boolean due() {
    long now = System.nanoTime();
    if (swept && now - last < INTERVAL_NANOS) {
      return false;
    }
    swept = true;
    last = now;
    return true;
  }
}
