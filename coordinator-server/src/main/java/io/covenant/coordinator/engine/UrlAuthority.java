package io.covenant.coordinator.engine;

/**
 * Where the authority ({@code [userinfo@]host[:port]}) of an absolute URL lies, found by scanning
 * rather than by parsing a {@code URI}: the per-call paths (the participant limiter's key, the
 * transport's literal-host check) need only that, on every call, and so does the check that keeps
 * references out of a saga step URL's authority.
 */
public final class UrlAuthority {
  private UrlAuthority() {}

  /** The index where the authority starts (just after {@code ://}), or -1 when there is none. */
  public static int start(String url) {
    int scheme = url.indexOf("://");
    return scheme < 0 ? -1 : scheme + 3;
  }

  /** The index just after the authority that starts at {@code start}: the first {@code /}, {@code ?} or {@code #}, or the end. */
  public static int end(String url, int start) {
    int end = start;
    while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) {
      end++;
    }
    return end;
  }
}
