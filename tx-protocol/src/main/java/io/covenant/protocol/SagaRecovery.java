package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a saga does when a step fails for good. */
public enum SagaRecovery implements WireCode {
  /** Compensate every step that ran or may have run, in reverse dependency order (the default). */
  COMPENSATE("compensate"),
  /** Never compensate: retry every step forward until it succeeds. */
  FORWARD("forward");

  private final String code;

  SagaRecovery(String code) {
    this.code = code;
  }

  @JsonValue
  @Override
  public String code() {
    return code;
  }

  @JsonCreator
  public static SagaRecovery fromCode(String code) {
    return WireCode.parse(SagaRecovery.class, code);
  }
}
