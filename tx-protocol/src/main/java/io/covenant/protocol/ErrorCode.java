package io.covenant.protocol;

/**
 * Every error the coordinator reports, with a stable slug (the problem {@code type}), a fixed
 * title, an HTTP status and whether the same request may succeed if retried unchanged. Clients
 * switch on the type, never on the text.
 */
public enum ErrorCode {
  INVALID_REQUEST("invalid-request", "Request is invalid", 400, false),
  MALFORMED_JSON("malformed-json", "Request body is not valid JSON", 400, false),
  UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", "Request body must be application/json", 415, false),
  PAYLOAD_TOO_LARGE("payload-too-large", "Request body is too large", 413, false),
  LIMIT_EXCEEDED("limit-exceeded", "A configured limit would be exceeded", 422, false),
  NOT_FOUND("not-found", "No such resource", 404, false),
  METHOD_NOT_ALLOWED("method-not-allowed", "Method not allowed on this resource", 405, false),
  TRANSACTION_NOT_FOUND("transaction-not-found", "Transaction not found", 404, false),
  TRANSACTION_NOT_ACTIVE("transaction-not-active", "Transaction is not active", 409, false),
  TRANSACTION_ROLLED_BACK("transaction-rolled-back", "Transaction was rolled back", 409, false),
  TRANSACTION_COMMITTED("transaction-committed", "Transaction was committed", 409, false),
  TRANSACTION_NOT_DECIDED("transaction-not-decided", "Transaction has no decision to finish towards", 409, false),
  BRANCH_NOT_FOUND("branch-not-found", "Branch not found", 404, false),
  BRANCH_NOT_DUE("branch-not-due", "Branch has no call due to finish", 409, false),
  WRONG_MODE("wrong-mode", "Operation does not apply to this transaction's mode", 409, false),
  UNAUTHORIZED("unauthorized", "Authentication required", 401, false),
  FORBIDDEN("forbidden", "Permission denied", 403, false),
  PARTICIPANT_NOT_ALLOWED("participant-not-allowed", "Participant URL is not allowed", 403, false),
  GID_CONFLICT("gid-conflict", "A different transaction already uses this gid", 409, false),
  BRANCH_CONFLICT("branch-conflict", "A different branch already uses this branch id", 409, false),
  CONCURRENT_UPDATE("concurrent-update", "Transaction was changed by another request", 409, true),
  STORE_UNAVAILABLE("store-unavailable", "Transaction store is unavailable", 503, true),
  SHUTTING_DOWN("shutting-down", "Coordinator is shutting down", 503, true),
  INTERNAL("internal-error", "Internal error", 500, true);

  /** The base of every problem type URI. */
  public static final String TYPE_BASE = "https://covenant.example/problems/";

  private final String slug;
  private final String title;
  private final int httpStatus;
  private final boolean retryable;

  ErrorCode(String slug, String title, int httpStatus, boolean retryable) {
    this.slug = slug;
    this.title = title;
    this.httpStatus = httpStatus;
    this.retryable = retryable;
  }

  public String slug() {
    return slug;
  }

  public String title() {
    return title;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public boolean retryable() {
    return retryable;
  }

  /** The problem {@code type} URI. */
  public String type() {
    return TYPE_BASE + slug;
  }

  /** Finds the code for a problem {@code type} URI, or {@link #INTERNAL} for one this version does not know. */
  public static ErrorCode fromType(String type) {
    for (ErrorCode c : values()) {
      if (c.type().equals(type)) {
        return c;
      }
    }
    return INTERNAL;
  }
}
