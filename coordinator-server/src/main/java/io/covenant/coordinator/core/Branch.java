package io.covenant.coordinator.core;

import io.covenant.protocol.BranchStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One branch of a global transaction: a TCC or 2PC participant, or one saga step. Immutable.
 *
 * <p>{@code attempts}, {@code lastError} and {@code nextAttemptAt} describe the operation being
 * driven now (a saga action, or the phase-2 call); they reset when the branch moves on to another
 * operation.
 *
 * @param id the branch id (for a saga, the step name)
 * @param forwardUrl confirm, commit or action URL
 * @param backwardUrl cancel, rollback or compensation URL; null only for a saga step with nothing to compensate
 * @param payload raw JSON text sent as the body of every call, or null
 * @param dependsOn saga only: steps that must succeed before this one starts
 * @param pivot saga only: once this step succeeds the saga goes only forward
 * @param attemptsMax saga only: attempts of the action before the step fails for good
 * @param callTimeout per-call timeout, or null for the coordinator's default
 * @param resolution set when an operator finished the branch by hand instead of its participant
 *     answering: who and why
 * @param http saga only: methods, headers and compensation body when they are not the default
 *     (POST, no extra headers, the payload as both bodies); null for the default
 * @param retry saga only: this step's backoff, or null for the coordinator's
 * @param result saga only: the JSON text the action answered with when it succeeded, or null. It is
 *     written in the same record as the step's success, so a later step that refers to it reads the
 *     same value after any restart.
 */
public record Branch(
    String id,
    BranchStatus status,
    String forwardUrl,
    String backwardUrl,
    String payload,
    List<String> dependsOn,
    boolean pivot,
    int attemptsMax,
    Duration callTimeout,
    int attempts,
    String lastError,
    Instant nextAttemptAt,
    String resolution,
    StepHttp http,
    RetryPolicy retry,
    String result) {

  public Branch {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(forwardUrl, "forwardUrl");
    dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
  }

  /** A branch with the default calls, the coordinator's backoff, no result, not finished by hand (every TCC and 2PC branch). */
  public Branch(String id, BranchStatus status, String forwardUrl, String backwardUrl, String payload,
      List<String> dependsOn, boolean pivot, int attemptsMax, Duration callTimeout, int attempts, String lastError,
      Instant nextAttemptAt) {
    this(id, status, forwardUrl, backwardUrl, payload, dependsOn, pivot, attemptsMax, callTimeout, attempts, lastError,
        nextAttemptAt, null, null, null, null);
  }

  /** A TCC or 2PC branch as registered. */
  public static Branch registered(String id, String forwardUrl, String backwardUrl, String payload) {
    return new Branch(id, BranchStatus.REGISTERED, forwardUrl, backwardUrl, payload, List.of(), false, 0, null, 0, null, null);
  }

  /** A saga step before it has run. */
  public static Branch step(
      String name, String action, String compensation, String payload, List<String> dependsOn,
      boolean pivot, int attemptsMax, Duration callTimeout) {
    return new Branch(name, BranchStatus.PENDING, action, compensation, payload, dependsOn, pivot, attemptsMax, callTimeout, 0, null, null);
  }

  /**
   * A saga step before it has run, with its own calls and backoff.
   *
   * @param payload the action's body (JSON text), or null
   * @param http null for the default calls
   * @param retry null for the coordinator's backoff
   */
  public static Branch step(
      String name, String action, String compensation, String payload, List<String> dependsOn,
      boolean pivot, int attemptsMax, Duration callTimeout, StepHttp http, RetryPolicy retry) {
    return new Branch(name, BranchStatus.PENDING, action, compensation, payload, dependsOn, pivot, attemptsMax, callTimeout,
        0, null, null, null, http, retry, null);
  }

  /** The body the compensation (or cancel, rollback) is sent with: JSON text, or null. */
  public String backwardBody() {
    return http == null ? payload : http.compensationBody();
  }

  /** This branch in {@code next} status, with the retry bookkeeping reset. */
  Branch moveTo(BranchStatus next) {
    return new Branch(id, next, forwardUrl, backwardUrl, payload, dependsOn, pivot, attemptsMax, callTimeout, 0, null, null,
        resolution, http, retry, result);
  }

  /** This branch with the action's answer kept. */
  Branch withResult(String answer) {
    return new Branch(id, status, forwardUrl, backwardUrl, payload, dependsOn, pivot, attemptsMax, callTimeout, attempts,
        lastError, nextAttemptAt, resolution, http, retry, answer);
  }

  /** This branch after a failed attempt, to be retried at {@code retryAt}. */
  Branch failedAttempt(String error, Instant retryAt) {
    return new Branch(id, status, forwardUrl, backwardUrl, payload, dependsOn, pivot, attemptsMax, callTimeout, attempts + 1, error, retryAt,
        resolution, http, retry, result);
  }

  /** This branch, noting that an operator (not its participant) moved it to its status. */
  Branch resolvedBy(String why) {
    return new Branch(id, status, forwardUrl, backwardUrl, payload, dependsOn, pivot, attemptsMax, callTimeout, attempts,
        lastError, nextAttemptAt, why, http, retry, result);
  }

  /**
   * True when this branch has the same registration (URLs and payload) as {@code other}. Payloads
   * are compared as JSON, so the same object with its members in another order (a client that
   * serialises a map) is the same registration.
   */
  boolean sameRegistration(Branch other) {
    return forwardUrl.equals(other.forwardUrl)
        && Objects.equals(backwardUrl, other.backwardUrl)
        && References.sameJson(payload, other.payload);
  }

  /** True when {@code other} is the same saga step definition (ignoring progress). */
  boolean sameDefinition(Branch other) {
    return id.equals(other.id) && sameRegistration(other) && dependsOn.equals(other.dependsOn)
        && pivot == other.pivot && attemptsMax == other.attemptsMax && Objects.equals(callTimeout, other.callTimeout)
        && Objects.equals(http, other.http) && Objects.equals(retry, other.retry);
  }
}
