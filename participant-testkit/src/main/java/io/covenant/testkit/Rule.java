package io.covenant.testkit;

/**
 * The rules of the participant protocol that the kit checks (docs/protocol.md, "What a
 * participant must do"). "Undo" stands for the op that takes a branch back: a TCC cancel, a saga
 * compensate, a 2PC rollback; "try" for a TCC try or a saga action.
 */
public enum Rule {
  /** The calls of a transaction that goes through are done (2xx). */
  HAPPY_PATH("happy-path", "the calls of a transaction that goes through answer 2xx"),
  /** A repeated call answers 2xx and takes no effect again (rule 1). */
  IDEMPOTENT("idempotent", "a repeated call answers 2xx (already done) and takes no effect again"),
  /** Copies of a call that arrive at the same time take effect once (rule 1, under concurrency). */
  CONCURRENT_ONCE("concurrent-once", "copies of a call that arrive together take effect once"),
  /** An undo with nothing to undo answers 2xx and changes nothing (rule 2). */
  NULL_COMPENSATION("null-compensation",
      "a cancel, compensate or rollback with nothing to undo answers 2xx and changes nothing"),
  /** A try or action after its undo is refused with 409 and reserves nothing (rule 3). */
  NO_SUSPENDED_TRY("no-suspended-try",
      "a try or action that arrives after its cancel or compensate is refused with 409 and changes nothing"),
  /** An undo takes back the effect of the try or action before it. */
  UNDO_UNDOES("undo-undoes", "a cancel, compensate or rollback takes back what the branch did"),
  /** Phase-2 calls and compensations are never refused (rule 4). */
  NO_REFUSAL_AFTER_DECISION("no-refusal-after-decision",
      "a confirm, cancel, compensate, commit or rollback is never answered 409: the decision is made"),
  /** A call with an unknown op is not done and changes nothing. */
  REJECTS_UNKNOWN_OP("rejects-unknown-op", "a call with an unknown Covenant-Op is not answered 2xx and changes nothing"),
  /** Not a rule of the participant but of the kit's set-up: the effect probe must see the effects. */
  EFFECT_OBSERVABLE("effect-observable",
      "the effect probe sees the effect of a finished branch, and the same effect on every gid");

  private final String id;
  private final String sentence;

  Rule(String id, String sentence) {
    this.id = id;
    this.sentence = sentence;
  }

  /** A short stable name, as printed in reports: {@code idempotent}, {@code no-suspended-try}, … */
  public String id() {
    return id;
  }

  /** The rule in one sentence. */
  public String sentence() {
    return sentence;
  }
}
