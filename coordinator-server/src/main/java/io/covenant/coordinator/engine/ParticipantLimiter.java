package io.covenant.coordinator.engine;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Caps the calls in flight to each participant (scheme, host and port of the URL), queueing the
 * rest in arrival order. Without it, a participant that comes back after an outage would receive
 * every retry due at once (a retry storm). Engine thread only.
 */
final class ParticipantLimiter {
  private final int inFlightMax;
  private final Map<String, Slot> slots = new HashMap<>();

  private static final class Slot {
    int inFlight;
    final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  }

  ParticipantLimiter(int inFlightMax) {
    if (inFlightMax < 1) {
      throw new IllegalArgumentException("participant.callsInFlightMax must be at least 1");
    }
    this.inFlightMax = inFlightMax;
  }

  /** Runs {@code call} now or when a slot frees up; {@code call} must eventually call {@link #release}. */
  void submit(String url, Runnable call) {
    Slot slot = slots.computeIfAbsent(key(url), k -> new Slot());
    if (slot.inFlight < inFlightMax) {
      slot.inFlight++;
      call.run();
    } else {
      slot.waiting.add(call);
    }
  }

  void release(String url) {
    String key = key(url);
    Slot slot = slots.get(key);
    Runnable next = slot.waiting.poll();
    if (next != null) {
      next.run(); // the slot passes straight to the next waiting call
    } else if (--slot.inFlight == 0) {
      slots.remove(key);
    }
  }

  int waiting() {
    int n = 0;
    for (Slot s : slots.values()) {
      n += s.waiting.size();
    }
    return n;
  }

  /**
   * The participant a URL belongs to: its scheme and authority (host and port), lower-cased, as
   * written. Found by scanning, not by parsing a {@code URI}: this runs twice per call.
   */
  static String key(String url) {
    int start = UrlAuthority.start(url);
    return start < 0 ? url : url.substring(0, UrlAuthority.end(url, start)).toLowerCase(Locale.ROOT);
  }
}
