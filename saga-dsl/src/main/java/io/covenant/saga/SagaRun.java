package io.covenant.saga;

import io.covenant.client.CovenantClient;
import java.time.Duration;
import java.util.Objects;

/**
 * One submitted run of a saga, identified by its gid. The coordinator runs it whether or not anyone
 * watches; this only reads its progress. Thread-safe.
 */
public final class SagaRun {
  private final CovenantClient client;
  private final String gid;

  SagaRun(CovenantClient client, String gid) {
    this.client = client;
    this.gid = gid;
  }

  public String gid() {
    return gid;
  }

  /**
   * Its progress now, step by step.
   *
   * @throws io.covenant.client.CovenantClientException if the coordinator cannot answer, or has
   *     purged the run after its retention
   */
  public SagaProgress progress() {
    return SagaProgress.of(client.get(gid));
  }

  /**
   * Waits until the run is committed or rolled back, or until {@code bound} has passed. Blocks
   * the calling thread (polling, 10 ms apart at first and up to 1 s).
   *
   * @return the last progress read: <em>check {@link SagaProgress#isFinished()}</em>, because a run
   *     that is still going when the bound passes (a participant down, a long step) is answered as
   *     it is, not as an error
   */
  public SagaProgress awaitEnd(Duration bound) {
    return SagaProgress.of(client.awaitEnd(gid, Objects.requireNonNull(bound, "bound")));
  }

  @Override
  public String toString() {
    return "SagaRun[" + gid + "]";
  }
}
