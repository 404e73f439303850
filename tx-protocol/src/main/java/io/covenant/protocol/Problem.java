package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An RFC 9457 problem detail, the body of every error response ({@code application/problem+json}).
 * {@code title} is fixed per {@code type}; {@code detail} describes this occurrence.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String gid, boolean retryable) {

  public static Problem of(ErrorCode code, String detail, String gid) {
    return new Problem(code.type(), code.title(), code.httpStatus(), detail, gid, code.retryable());
  }
}
