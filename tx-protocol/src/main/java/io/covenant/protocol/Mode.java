package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How a global transaction reaches its end. */
public enum Mode implements WireCode {
  /** Try / confirm / cancel: the initiator calls each try; the coordinator confirms or cancels every branch. */
  TCC("tcc", Op.CONFIRM, Op.CANCEL),
  /** Actions with compensations, run by the coordinator. */
  SAGA("saga", Op.ACTION, Op.COMPENSATE),
  /** Two-phase commit (and XA): participants prepare, the coordinator drives commit or rollback. */
  TWO_PHASE("2pc", Op.COMMIT, Op.ROLLBACK);

  private final String code;
  private final Op forward;
  private final Op backward;

  Mode(String code, Op forward, Op backward) {
    this.code = code;
    this.forward = forward;
    this.backward = backward;
  }

  @JsonValue
  @Override
  public String code() {
    return code;
  }

  /** The operation that moves a branch towards commit: confirm, action or commit. */
  public Op forward() {
    return forward;
  }

  /** The operation that undoes a branch: cancel, compensate or rollback. */
  public Op backward() {
    return backward;
  }

  @JsonCreator
  public static Mode fromCode(String code) {
    return WireCode.parse(Mode.class, code);
  }
}
