package io.covenant.testkit.internal;

/**
 * The effects of the plain flows, learned once per contract on fresh gids: after the forward call
 * (try, action, phase one), after forward then finish (confirm, commit) and after forward then undo
 * (cancel, compensate, rollback). Every other scenario is judged against them.
 */
record Baselines(Expected forward, Expected finish, Expected undo) {
  static Baselines unknown(String why) {
    return new Baselines(Expected.missing(why), Expected.missing(why), Expected.missing(why));
  }
}
