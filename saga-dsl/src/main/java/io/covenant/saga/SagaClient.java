package io.covenant.saga;

import io.covenant.client.CovenantClient;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * Runs saga definitions on a coordinator through a {@link CovenantClient}: submit and return
 * ({@link #start}), submit and wait for the end with a bound ({@link #run}), or read a run's
 * progress step by step ({@link #attach}). The definition was validated when it was built, so a
 * submission fails only for what the coordinator alone knows (its limits, allowed hosts, a gid taken
 * by another saga) or when it cannot be reached.
 *
 * <pre>{@code
 * SagaClient sagas = new SagaClient(covenantClient);
 * SagaProgress end = sagas.run(order, "order-4711", Duration.ofSeconds(30));
 * if (end.isRolledBack()) { log.warn("order failed: {}", end.reason()); }
 * }</pre>
 *
 * Submission is idempotent per gid (the client retries it after a lost answer), so pass a gid of
 * your own, such as one derived from the business operation, whenever you may submit again.
 * Thread-safe; blocking calls block the calling thread.
 */
public final class SagaClient {
  /** Room left in a gid for the name: 128 characters (the coordinator's default limit) minus "-" and a UUID. */
  private static final int NAME_IN_GID_MAX = 128 - 37;

  private final CovenantClient client;

  public SagaClient(CovenantClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** Submits a run with a new gid ({@code <name>-<uuid>}, or {@code saga-<uuid>}) and returns once it is durable. */
  public SagaRun start(SagaDefinition saga) {
    String prefix = saga.name() == null ? "saga" : saga.name();
    if (prefix.length() > NAME_IN_GID_MAX) {
      prefix = prefix.substring(0, NAME_IN_GID_MAX);
    }
    return start(saga, prefix + "-" + UUID.randomUUID());
  }

  /**
   * Submits a run with your gid and returns once the coordinator has it durably; its steps start
   * then. Submitting the same definition with the same gid again returns the same run. The
   * coordinator answers with a summary, not the whole view ({@code Prefer: return=minimal}): the
   * run needs only its gid, and {@link SagaRun#progress} reads the rest when asked.
   *
   * @throws io.covenant.client.CovenantClientException e.g. {@code GID_CONFLICT} for a gid taken by
   *     another saga, {@code LIMIT_EXCEEDED}, {@code PARTICIPANT_NOT_ALLOWED}
   */
  public SagaRun start(SagaDefinition saga, String gid) {
    Objects.requireNonNull(saga, "saga");
    Objects.requireNonNull(gid, "gid");
    return new SagaRun(client, client.submitForSummary(saga.toRequest(gid)).gid());
  }

  /**
   * Submits a run and waits for its end, at most {@code bound}.
   *
   * @return the last progress: check {@link SagaProgress#isFinished()} (see {@link SagaRun#awaitEnd})
   */
  public SagaProgress run(SagaDefinition saga, String gid, Duration bound) {
    return start(saga, gid).awaitEnd(bound);
  }

  /** A run submitted earlier (by this or another process), to read its progress. */
  public SagaRun attach(String gid) {
    return new SagaRun(client, Objects.requireNonNull(gid, "gid"));
  }
}
