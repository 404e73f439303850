package io.covenant.coordinator.core;

import java.time.Instant;
import java.util.List;

/**
 * What must happen next for one transaction, given its durable state, the time, and the calls
 * already in flight.
 *
 * @param calls calls due now
 * @param wakeAt when to plan again (a retry falls due or the deadline passes), or null
 * @param expired the deadline has passed: apply {@link Event.Expire}
 */
public record Plan(List<Call> calls, Instant wakeAt, boolean expired) {
  static final Plan NOTHING = new Plan(List.of(), null, false);
}
