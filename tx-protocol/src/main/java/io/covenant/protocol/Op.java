package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The operation named in the {@code Covenant-Op} header of a call to a participant. */
public enum Op implements WireCode {
  TRY("try"),
  CONFIRM("confirm"),
  CANCEL("cancel"),
  ACTION("action"),
  COMPENSATE("compensate"),
  COMMIT("commit"),
  ROLLBACK("rollback");

  private final String code;

  Op(String code) {
    this.code = code;
  }

  @JsonValue
  @Override
  public String code() {
    return code;
  }

  @JsonCreator
  public static Op fromCode(String code) {
    return WireCode.parse(Op.class, code);
  }
}
