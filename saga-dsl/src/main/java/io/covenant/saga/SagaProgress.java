package io.covenant.saga;

import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.TransactionView;
import java.time.Instant;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A saga run step by step, as the coordinator last recorded it (a read of
 * {@code GET /v1/transactions/{gid}}).
 *
 * @param status {@code ACTIVE} (running forward), {@code COMMITTING} (past a pivot, or a forward
 *     saga), {@code COMMITTED}, {@code ROLLING_BACK} (compensating) or {@code ROLLED_BACK}
 * @param reason why it rolled back (the failed step and its error, a timeout), or null
 * @param stuck some step keeps failing (see each step's {@code lastError})
 * @param steps in definition order
 */
public record SagaProgress(String gid, GlobalStatus status, String reason, boolean stuck, Instant createdAt,
    Instant updatedAt, List<StepProgress> steps) {

  public SagaProgress {
    steps = List.copyOf(steps);
  }

  static SagaProgress of(TransactionView view) {
    return new SagaProgress(view.gid(), view.status(), view.reason(), view.stuck(), view.createdAt(), view.updatedAt(),
        view.branches() == null ? List.of() : view.branches().stream().map(StepProgress::of).toList());
  }

  /** The step called {@code name}. */
  public StepProgress step(String name) {
    return steps.stream().filter(s -> s.name().equals(name)).findFirst()
        .orElseThrow(() -> new NoSuchElementException("saga " + gid + " has no step '" + name + "'"));
  }

  /** True once committed or rolled back: nothing will change any more. */
  public boolean isFinished() {
    return status.isFinished();
  }

  public boolean isCommitted() {
    return status == GlobalStatus.COMMITTED;
  }

  public boolean isRolledBack() {
    return status == GlobalStatus.ROLLED_BACK;
  }
}
