package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The status of one branch (a TCC or 2PC participant) or one saga step. */
public enum BranchStatus implements WireCode {
  /** TCC / 2PC: registered (tried or prepared, as far as the coordinator knows); waiting for the decision. */
  REGISTERED("registered"),
  /** Saga: the action has not completed (it has not started, or it is in flight). */
  PENDING("pending"),
  /** Saga: the action answered 2xx. */
  SUCCEEDED("succeeded"),
  /** Saga: the action was refused (409) or ran out of attempts; it may have taken effect. */
  FAILED("failed"),
  /** TCC: confirmed. Final. */
  CONFIRMED("confirmed"),
  /** TCC: cancelled. Final. */
  CANCELLED("cancelled"),
  /** 2PC: committed. Final. */
  COMMITTED("committed"),
  /** 2PC: rolled back. Final. */
  ROLLED_BACK("rolled_back"),
  /** Saga: compensated. Final. */
  COMPENSATED("compensated"),
  /** Saga: never started, so there is nothing to compensate. Final. */
  SKIPPED("skipped");

  private final String code;

  BranchStatus(String code) {
    this.code = code;
  }

  @JsonValue
  @Override
  public String code() {
    return code;
  }

  /** True when nothing more will ever be sent to this branch. */
  public boolean isFinal() {
    return switch (this) {
      case CONFIRMED, CANCELLED, COMMITTED, ROLLED_BACK, COMPENSATED, SKIPPED -> true;
      default -> false;
    };
  }

  @JsonCreator
  public static BranchStatus fromCode(String code) {
    return WireCode.parse(BranchStatus.class, code);
  }
}
