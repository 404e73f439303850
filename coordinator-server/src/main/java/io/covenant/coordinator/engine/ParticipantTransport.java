package io.covenant.coordinator.engine;

import io.covenant.coordinator.core.Call;
import io.vertx.core.Future;

/**
 * Calls participants. Implementations send the {@code Covenant-Gid}, {@code Covenant-Branch} and
 * {@code Covenant-Op} headers and the payload as a JSON body, apply the call's timeout (or their
 * default), and classify the answer.
 */
public interface ParticipantTransport {

  /** Never fails: every outcome, errors included, is a {@link CallResult}. May complete on any thread. */
  Future<CallResult> call(Call call);

  /** Releases connections. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
