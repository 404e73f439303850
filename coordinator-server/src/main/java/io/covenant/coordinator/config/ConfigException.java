package io.covenant.coordinator.config;

/**
 * A configuration that cannot be used: an unknown key, a value of the wrong type, a value out of
 * range, or a missing value. The message names the key, and where the value came from when known
 * (a file, an environment variable), so an operator can fix it without reading code.
 */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
