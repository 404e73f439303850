package io.covenant.coordinator.core;

import io.covenant.protocol.ErrorCode;

/** What {@link Core#on} makes of an event: a new state to persist, no change, or a refusal. */
public sealed interface Outcome {

  /** The event changed the transaction; {@code next} must be durable before anyone is told. */
  record Changed(GlobalTx next) implements Outcome {}

  /** The event was a repeat of something already true (an idempotent retry); nothing to write. */
  record Unchanged(GlobalTx current) implements Outcome {}

  /** The event is not allowed in the current state; nothing changes. */
  record Rejected(ErrorCode code, String detail) implements Outcome {}
}
