package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The status of a global transaction. {@link #ACTIVE} is the only undecided status; the decision
 * (commit or roll back) is written once and never changes.
 */
public enum GlobalStatus implements WireCode {
  /** Undecided: branches may register (TCC, 2PC) or saga steps run forward. */
  ACTIVE("active"),
  /** Decided to commit; forward calls (confirm, commit, remaining saga steps) are being driven. */
  COMMITTING("committing"),
  /** Every branch is confirmed / committed / every saga step succeeded. Final. */
  COMMITTED("committed"),
  /** Decided to roll back; cancel, rollback or compensation calls are being driven. */
  ROLLING_BACK("rolling_back"),
  /** Every branch is cancelled / rolled back / compensated. Final. */
  ROLLED_BACK("rolled_back");

  private final String code;

  GlobalStatus(String code) {
    this.code = code;
  }

  @JsonValue
  @Override
  public String code() {
    return code;
  }

  /** True once the decision is made: everything but {@link #ACTIVE}. */
  public boolean isDecided() {
    return this != ACTIVE;
  }

  /** True for the two final statuses. */
  public boolean isFinished() {
    return this == COMMITTED || this == ROLLED_BACK;
  }

  /** True for the commit side of the decision. */
  public boolean isCommit() {
    return this == COMMITTING || this == COMMITTED;
  }

  @JsonCreator
  public static GlobalStatus fromCode(String code) {
    return WireCode.parse(GlobalStatus.class, code);
  }
}
