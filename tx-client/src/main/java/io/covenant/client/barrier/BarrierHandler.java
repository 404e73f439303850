package io.covenant.client.barrier;

import io.covenant.client.ParticipantCall;
import java.sql.Connection;

/**
 * A {@link io.covenant.client.ParticipantHandler} whose work runs behind a {@link Barrier}: it gets
 * the call and the connection of the local transaction that also holds the barrier row. See
 * {@link Barrier#handler(BarrierHandler)}.
 */
@FunctionalInterface
public interface BarrierHandler {
  void handle(ParticipantCall call, Connection connection) throws Exception;
}
