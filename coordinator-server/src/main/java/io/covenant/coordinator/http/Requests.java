package io.covenant.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.References;
import io.covenant.coordinator.core.RetryPolicy;
import io.covenant.coordinator.core.StepHttp;
import io.covenant.coordinator.engine.UrlAuthority;
import io.covenant.coordinator.store.TxQuery;
import io.covenant.protocol.BeginRequest;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.FinishBranchRequest;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.RegisterBranchRequest;
import io.covenant.protocol.SagaRecovery;
import io.covenant.protocol.SagaRequest;
import io.covenant.protocol.SagaStep;
import io.covenant.protocol.StepRequest;
import io.vertx.core.MultiMap;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks API requests and turns them into engine input. Every check happens here, before the
 * engine is asked anything, so a rejected request changes nothing. Messages name the field as the
 * client wrote it ({@code steps[2].action}). Rules the core owns (a saga's dependency graph, a
 * branch registered twice) stay in the core; this class checks shape, syntax and limits.
 * Thread-safe (immutable).
 */
final class Requests {
  static final int LIST_LIMIT_DEFAULT = 50;
  /** The methods a saga step may use; a participant call is never CONNECT or TRACE. */
  static final Set<String> STEP_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}");
  /** Headers the coordinator sets itself (compared in lower case); a step may not set them. */
  static final Set<String> RESERVED_HEADERS = Set.of(
      "content-type", "content-length", "transfer-encoding", "host", "connection", "upgrade", "te", "trailer",
      "keep-alive", "expect");

  private final int idLengthMax;
  private final int branchesMax;
  private final int stepAttemptsDefault;
  private final Duration timeoutMax;
  private final int listPageMax;
  private final ParticipantUrls participantUrls;
  private final RetryPolicy retryDefault;
  /** The field names of the first steps, made once. */
  private final StepFields[] stepFields;

  /**
   * The names of step {@code i}'s fields ({@code steps[2].action}, ...) that the checks of every
   * submission pass along for their error messages: made once for the first {@link #CACHED}
   * indexes, since building them for every step of every saga was ~2 % of what a saga submission
   * allocated.
   */
  private static final class StepFields {
    static final int CACHED = 32;
    final String at;
    final String name;
    final String action;
    final String compensation;
    final String timeoutMillis;
    final String actionMethod;
    final String actionHeaders;
    final String compensationMethod;
    final String compensationHeaders;

    StepFields(int i) {
      at = "steps[" + i + "]";
      name = at + ".name";
      action = at + ".action";
      compensation = at + ".compensation";
      timeoutMillis = at + ".timeoutMillis";
      actionMethod = action + ".method";
      actionHeaders = action + ".headers";
      compensationMethod = compensation + ".method";
      compensationHeaders = compensation + ".headers";
    }
  }

  /** A begin request, checked. {@code gid} and {@code timeout} may be null (generate, default). */
  record Begin(String gid, Mode mode, Duration timeout) {}

  /** A saga submission, checked. {@code gid} and {@code timeout} may be null. */
  record Saga(String gid, List<Branch> steps, SagaRecovery recovery, Duration timeout) {}

  /**
   * @param retryDefault the coordinator's backoff ({@code retry.initialBackoff}, {@code retry.maxBackoff}),
   *     which fills in the half of a step's backoff that the step leaves out
   */
  Requests(int idLengthMax, int branchesMax, int stepAttemptsDefault, Duration timeoutMax, int listPageMax,
      ParticipantUrls participantUrls, RetryPolicy retryDefault) {
    this.participantUrls = participantUrls;
    this.retryDefault = Objects.requireNonNull(retryDefault, "retryDefault");
    this.idLengthMax = idLengthMax;
    this.branchesMax = branchesMax;
    this.stepAttemptsDefault = stepAttemptsDefault;
    this.timeoutMax = timeoutMax;
    this.listPageMax = listPageMax;
    this.stepFields = new StepFields[Math.max(0, Math.min(branchesMax, StepFields.CACHED))];
    Arrays.setAll(stepFields, StepFields::new);
  }

  private StepFields stepFields(int i) {
    return i < stepFields.length ? stepFields[i] : new StepFields(i);
  }

  Begin begin(BeginRequest r) {
    String gid = r.gid() == null ? null : id("gid", r.gid(), r.gid());
    if (r.mode() == null) {
      throw invalid("mode is required: tcc or 2pc", gid);
    }
    if (r.mode() == Mode.SAGA) {
      throw invalid("mode must be tcc or 2pc; submit a saga whole with POST /v1/sagas", gid);
    }
    return new Begin(gid, r.mode(), timeout("timeoutMillis", r.timeoutMillis(), gid));
  }

  /** The path's gid, checked like a gid in a body. */
  String pathGid(String gid) {
    return id("gid", gid, null);
  }

  /** The path's branch id, checked like a branch id in a body. */
  String pathBranchId(String branchId, String gid) {
    return id("branchId", branchId, gid);
  }

  /** The longest reason an operator may give for finishing a branch by hand. */
  static final int REASON_LENGTH_MAX = 500;

  /** An operator's reason: required, not blank, at most {@value #REASON_LENGTH_MAX} characters, on one line. */
  String reason(FinishBranchRequest r, String gid) {
    String reason = r.reason() == null ? "" : r.reason().strip();
    if (reason.isEmpty()) {
      throw invalid("reason is required: say why the branch is finished by hand", gid);
    }
    if (reason.length() > REASON_LENGTH_MAX) {
      throw invalid("reason is longer than " + REASON_LENGTH_MAX + " characters", gid);
    }
    if (reason.chars().anyMatch(Character::isISOControl)) {
      throw invalid("reason must be one line of text without control characters", gid);
    }
    return reason;
  }

  /**
   * Checks what does not depend on the transaction's mode: the branch id, and every URL given.
   * Call {@link #branch} once the mode is known.
   */
  void branchShape(RegisterBranchRequest r, String gid) {
    if (r.branchId() == null) {
      throw invalid("branchId is required", gid);
    }
    id("branchId", r.branchId(), gid);
    optionalUrl("confirm", r.confirm(), gid);
    optionalUrl("cancel", r.cancel(), gid);
    optionalUrl("commit", r.commit(), gid);
    optionalUrl("rollback", r.rollback(), gid);
  }

  /**
   * The branch to register on a transaction of {@code mode}: TCC takes {@code confirm} and
   * {@code cancel}, 2PC takes {@code commit} and {@code rollback}; the other pair must be absent.
   * Call after {@link #branchShape}.
   */
  Branch branch(RegisterBranchRequest r, Mode mode, String gid) {
    String payload = payload(r.payload());
    if (mode == Mode.TCC) {
      if (r.commit() != null || r.rollback() != null) {
        throw invalid("gid " + gid + " is a tcc transaction: a branch gives confirm and cancel, not commit or rollback", gid);
      }
      return Branch.registered(r.branchId(), required("confirm", r.confirm(), mode, gid),
          required("cancel", r.cancel(), mode, gid), payload);
    }
    if (mode == Mode.TWO_PHASE) {
      if (r.confirm() != null || r.cancel() != null) {
        throw invalid("gid " + gid + " is a 2pc transaction: a branch gives commit and rollback, not confirm or cancel", gid);
      }
      return Branch.registered(r.branchId(), required("commit", r.commit(), mode, gid),
          required("rollback", r.rollback(), mode, gid), payload);
    }
    throw new CovenantException(ErrorCode.WRONG_MODE, "gid " + gid + " is a saga; its steps are submitted with it", gid);
  }

  Saga saga(SagaRequest r) {
    String gid = r.gid() == null ? null : id("gid", r.gid(), r.gid());
    if (r.name() != null) {
      id("name", r.name(), gid);
    }
    Duration timeout = timeout("timeoutMillis", r.timeoutMillis(), gid);
    List<SagaStep> steps = r.steps();
    if (steps == null || steps.isEmpty()) {
      throw invalid("steps is required: a saga needs at least one step", gid);
    }
    if (steps.size() > branchesMax) {
      throw new CovenantException(ErrorCode.LIMIT_EXCEEDED, "a saga may have at most " + branchesMax
          + " steps (limits.branchesPerTransactionMax), got " + steps.size(), gid);
    }
    List<Branch> branches = new ArrayList<>(steps.size());
    String previous = null;
    for (int i = 0; i < steps.size(); i++) {
      SagaStep s = steps.get(i);
      StepFields f = stepFields(i);
      String at = f.at;
      if (s == null) {
        throw invalid(at + " must be an object", gid);
      }
      if (s.name() == null) {
        throw invalid(at + ".name is required", gid);
      }
      id(f.name, s.name(), gid);
      StepRequest action = s.action();
      if (action == null || action.url() == null) {
        throw invalid(at + (action == null ? ".action is required" : ".action.url is required"), gid);
      }
      stepUrl(f.action, action.url(), gid);
      StepRequest compensation = s.compensation();
      if (compensation != null) {
        if (compensation.url() == null) {
          throw invalid(at + ".compensation.url is required", gid);
        }
        stepUrl(f.compensation, compensation.url(), gid);
      }
      List<String> dependsOn;
      if (s.dependsOn() == null) {
        dependsOn = previous == null ? List.of() : List.of(previous);
      } else {
        Set<String> seen = new HashSet<>();
        for (int j = 0; j < s.dependsOn().size(); j++) {
          String d = s.dependsOn().get(j);
          String field = at + ".dependsOn[" + j + "]";
          if (d == null) {
            throw invalid(field + " must be a step name, not null", gid);
          }
          id(field, d, gid);
          if (!seen.add(d)) {
            throw invalid(field + " names step '" + d + "' twice", gid);
          }
        }
        dependsOn = List.copyOf(s.dependsOn());
      }
      int attemptsMax = s.attemptsMax() == null ? stepAttemptsDefault : s.attemptsMax();
      if (attemptsMax < 1) {
        throw invalid(at + ".attemptsMax must be at least 1, got " + attemptsMax, gid);
      }
      Duration callTimeout = timeout(f.timeoutMillis, s.timeoutMillis(), gid);
      String payload = payload(s.payload());
      String actionBody = action.body() != null ? payload(action.body()) : payload;
      String actionMethod = method(f.actionMethod, action.method(), gid);
      Map<String, String> actionHeaders = headers(f.actionHeaders, action.headers(), gid);
      StepHttp http = null;
      if (compensation != null) {
        String compensationBody = compensation.body() != null ? payload(compensation.body()) : payload;
        String compensationMethod = method(f.compensationMethod, compensation.method(), gid);
        Map<String, String> compensationHeaders = headers(f.compensationHeaders, compensation.headers(), gid);
        if (!actionMethod.equals(StepHttp.DEFAULT_METHOD) || !compensationMethod.equals(StepHttp.DEFAULT_METHOD)
            || !actionHeaders.isEmpty() || !compensationHeaders.isEmpty() || !Objects.equals(actionBody, compensationBody)) {
          http = new StepHttp(actionMethod, actionHeaders, compensationMethod, compensationHeaders, compensationBody);
        }
      } else if (!actionMethod.equals(StepHttp.DEFAULT_METHOD) || !actionHeaders.isEmpty()) {
        http = new StepHttp(actionMethod, actionHeaders, StepHttp.DEFAULT_METHOD, Map.of(), null);
      }
      RetryPolicy retry = backoff(at, s.backoffInitialMillis(), s.backoffMaxMillis(), gid);
      branches.add(Branch.step(s.name(), action.url(), compensation == null ? null : compensation.url(), actionBody,
          dependsOn, Boolean.TRUE.equals(s.pivot()), attemptsMax, callTimeout, http, retry));
      previous = s.name();
    }
    return new Saga(gid, branches, r.recovery() == null ? SagaRecovery.COMPENSATE : r.recovery(), timeout);
  }

  /** The method in upper case, {@code POST} when absent. */
  private static String method(String field, String method, String gid) {
    if (method == null) {
      return StepHttp.DEFAULT_METHOD;
    }
    String upper = method.toUpperCase(Locale.ROOT);
    if (!STEP_METHODS.contains(upper)) {
      throw invalid(field + " must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got '"
          + (method.length() > 20 ? method.substring(0, 20) + "…" : method) + "'", gid);
    }
    return upper;
  }

  /** Extra headers of a step's call: valid names and values, none the coordinator sets itself. */
  private static Map<String, String> headers(String field, Map<String, String> headers, String gid) {
    if (headers == null || headers.isEmpty()) {
      return Map.of();
    }
    Set<String> seen = new HashSet<>();
    Map<String, String> checked = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String name = h.getKey();
      String value = h.getValue();
      if (!HEADER_NAME.matcher(name).matches()) {
        throw invalid(field + " has an invalid header name '" + (name.length() > 40 ? name.substring(0, 40) + "…" : name) + "'", gid);
      }
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.startsWith("covenant-") || RESERVED_HEADERS.contains(lower)) {
        throw invalid(field + "." + name + " is set by the coordinator and cannot be given", gid);
      }
      if (!seen.add(lower)) {
        throw invalid(field + " gives header '" + name + "' twice (header names ignore case)", gid);
      }
      if (value == null || !validHeaderValue(value)) {
        throw invalid(field + "." + name + " must be a text of visible characters, spaces and tabs", gid);
      }
      checked.put(name, value);
    }
    return checked;
  }

  static boolean validHeaderValue(String value) {
    if (value.length() > 8192) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7F || c > 0xFF) {
        return false;
      }
    }
    return true;
  }

  /** A step's own backoff, or null when it gives none; a half left out comes from the coordinator's. */
  private RetryPolicy backoff(String at, Long initialMillis, Long maxMillis, String gid) {
    if (initialMillis == null && maxMillis == null) {
      return null;
    }
    Duration initial = initialMillis == null ? null : timeout(at + ".backoffInitialMillis", initialMillis, gid);
    Duration max = maxMillis == null ? null : timeout(at + ".backoffMaxMillis", maxMillis, gid);
    if (initial == null) {
      initial = retryDefault.initial().compareTo(max) < 0 ? retryDefault.initial() : max;
    }
    if (max == null) {
      max = retryDefault.max().compareTo(initial) > 0 ? retryDefault.max() : initial;
    }
    if (max.compareTo(initial) < 0) {
      throw invalid(at + ".backoffMaxMillis " + max.toMillis() + " is below backoffInitialMillis " + initial.toMillis(), gid);
    }
    return new RetryPolicy(initial, max);
  }

  /**
   * The listing query from {@code GET /v1/transactions} parameters; unknown parameters are ignored.
   *
   * @param now for {@code olderThanMillis}
   */
  TxQuery query(MultiMap params, Instant now, int stuckAfterAttempts) {
    Set<GlobalStatus> statuses = EnumSet.noneOf(GlobalStatus.class);
    for (String value : params.getAll("status")) {
      for (String code : value.split(",", -1)) {
        try {
          statuses.add(GlobalStatus.fromCode(code.trim()));
        } catch (IllegalArgumentException e) {
          throw invalid("status: " + e.getMessage(), null);
        }
      }
    }
    Mode mode = null;
    String modeText = single(params, "mode");
    if (modeText != null) {
      try {
        mode = Mode.fromCode(modeText);
      } catch (IllegalArgumentException e) {
        throw invalid("mode: " + e.getMessage(), null);
      }
    }
    Boolean stuck = null;
    String stuckText = single(params, "stuck");
    if (stuckText != null) {
      if (!stuckText.equals("true") && !stuckText.equals("false")) {
        throw invalid("stuck must be true or false, got '" + stuckText + "'", null);
      }
      stuck = Boolean.valueOf(stuckText);
    }
    Instant createdBefore = null;
    String olderText = single(params, "olderThanMillis");
    if (olderText != null) {
      long older = number("olderThanMillis", olderText, 0, Long.MAX_VALUE);
      createdBefore = older > now.toEpochMilli() ? Instant.EPOCH : now.minusMillis(older);
    }
    int limit = Math.min(LIST_LIMIT_DEFAULT, listPageMax);
    String limitText = single(params, "limit");
    if (limitText != null) {
      limit = (int) number("limit", limitText, 1, listPageMax);
    }
    String cursor = single(params, "cursor");
    if (cursor != null && cursor.isEmpty()) {
      throw invalid("cursor is empty; leave it out for the first page", null);
    }
    return new TxQuery(statuses, mode, stuck, stuckAfterAttempts, createdBefore, cursor, limit);
  }

  private static String single(MultiMap params, String name) {
    List<String> all = params.getAll(name);
    if (all.size() > 1) {
      throw invalid(name + " is given " + all.size() + " times; give it once", null);
    }
    return all.isEmpty() ? null : all.get(0);
  }

  private static long number(String name, String text, long min, long max) {
    long n;
    try {
      n = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw invalid(name + " must be a whole number, got '" + text + "'", null);
    }
    if (n < min || n > max) {
      throw invalid(name + " must be " + (max == Long.MAX_VALUE ? "at least " + min : "between " + min + " and " + max)
          + (name.equals("limit") ? " (limits.listPageMax)" : "") + ", got " + n, null);
    }
    return n;
  }

  private String id(String field, String value, String gid) {
    if (!isId(value)) {
      String shown = value.length() > 40 ? value.substring(0, 40) + "…" : value;
      throw invalid(field + " must be 1 to " + idLengthMax + " characters of A-Z a-z 0-9 . _ : - (limits.gidLengthMax), got '"
          + shown + "' (" + value.length() + " characters)", gid != null && isId(gid) ? gid : null);
    }
    return value;
  }

  /**
   * True for 1 to {@code idLengthMax} characters of {@code A-Z a-z 0-9 . _ : -}. A loop rather than
   * a regex: every request checks several ids (a saga its gid and each step's name), and a
   * matcher per check showed in profiles.
   */
  private boolean isId(String value) {
    int n = value.length();
    if (n < 1 || n > idLengthMax) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == ':' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /** Null when absent; otherwise positive (400) and at most {@code limits.timeoutMax} (422). */
  private Duration timeout(String field, Long millis, String gid) {
    if (millis == null) {
      return null;
    }
    if (millis <= 0) {
      throw invalid(field + " must be positive, got " + millis, gid);
    }
    Duration d = Duration.ofMillis(millis);
    if (d.compareTo(timeoutMax) > 0) {
      throw new CovenantException(ErrorCode.LIMIT_EXCEEDED, field + " " + millis + " exceeds "
          + timeoutMax.toMillis() + " ms (limits.timeoutMax)", gid);
    }
    return d;
  }

  private static String required(String field, String url, Mode mode, String gid) {
    if (url == null) {
      throw invalid(field + " is required for a " + mode.code() + " branch", gid);
    }
    return url;
  }

  private void optionalUrl(String field, String value, String gid) {
    if (value != null) {
      participantUrls.check(field, value, gid);
    }
  }

  /**
   * A saga step's URL, which may hold references (<code>${step/pointer}</code>) in its path and
   * query: never in its scheme or host, so a participant's answer can never choose whom the
   * coordinator calls. The URL is checked with each reference in place of a value, so the same
   * step URL is the same text to {@link ParticipantUrls}' cache at every submission.
   */
  private void stepUrl(String field, String value, String gid) {
    String checked = value;
    if (value.contains(References.TEXT_MARKER)) {
      try {
        References.findInText(value);
      } catch (IllegalArgumentException e) {
        throw invalid(field + ": " + e.getMessage(), gid);
      }
      int authorityStart = UrlAuthority.start(value);
      int authorityEnd = authorityStart < 0 ? value.length() : UrlAuthority.end(value, authorityStart);
      if (value.indexOf(References.TEXT_MARKER) < authorityEnd) {
        throw invalid(field + " may hold references only in its path and query, not in its scheme, host or port", gid);
      }
      checked = References.placeholder(value);
    }
    participantUrls.check(field, checked, gid);
  }

  /** The payload as JSON text, or null when absent or JSON {@code null}. */
  private static String payload(JsonNode payload) {
    return payload == null || payload.isNull() || payload.isMissingNode() ? null : payload.toString();
  }

  static CovenantException invalid(String detail, String gid) {
    return new CovenantException(ErrorCode.INVALID_REQUEST, detail, gid);
  }
}
