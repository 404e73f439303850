package io.covenant.client;

/**
 * What a participant does for one operation on one resource. Returning answers {@code 200};
 * throwing {@link BusinessRefusal} answers {@code 409} (final); throwing anything else answers
 * {@code 500}, which the coordinator retries. The coordinator may call more than once, and in any
 * order (a cancel before its try), so make the work idempotent; the branch barrier
 * ({@link io.covenant.client.barrier.Barrier#handler}) does that for work in a local database transaction.
 */
@FunctionalInterface
public interface ParticipantHandler {
  void handle(ParticipantCall call) throws Exception;
}
