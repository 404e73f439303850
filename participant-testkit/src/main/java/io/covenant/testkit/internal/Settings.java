package io.covenant.testkit.internal;

import io.covenant.protocol.Op;
import io.covenant.testkit.EffectProbe;
import io.covenant.testkit.PhaseOne;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a contract runs against and how, as configured on the extension. Immutable.
 *
 * @param urls the URL of each op of {@code shape}, resolved when a call is sent, so that a server
 *     started after the extension was built (in {@code @BeforeAll}) can supply its port
 * @param payload the JSON body of every call, or null for an empty body
 * @param probe null: the kit checks answers only
 */
public record Settings(
    String name,
    Shape shape,
    Map<Op, Supplier<String>> urls,
    String branchId,
    byte[] payload,
    EffectProbe probe,
    PhaseOne phaseOne,
    Map<String, String> headers,
    int copies,
    int races,
    int attemptsMax,
    Duration callTimeout) {

  public Settings {
    urls = Map.copyOf(urls);
    headers = Map.copyOf(headers);
  }

  public Settings withName(String name) {
    return new Settings(name, shape, urls, branchId, payload, probe, phaseOne, headers, copies, races, attemptsMax, callTimeout);
  }

  public Settings withBranchId(String branchId) {
    return new Settings(name, shape, urls, branchId, payload, probe, phaseOne, headers, copies, races, attemptsMax, callTimeout);
  }

  public Settings withPayload(byte[] payload) {
    return new Settings(name, shape, urls, branchId, payload, probe, phaseOne, headers, copies, races, attemptsMax, callTimeout);
  }

  public Settings withProbe(EffectProbe probe) {
    return new Settings(name, shape, urls, branchId, payload, probe, phaseOne, headers, copies, races, attemptsMax, callTimeout);
  }

  public Settings withPhaseOne(PhaseOne phaseOne) {
    return new Settings(name, shape, urls, branchId, payload, probe, phaseOne, headers, copies, races, attemptsMax, callTimeout);
  }

  public Settings withHeaders(Map<String, String> headers) {
    return new Settings(name, shape, urls, branchId, payload, probe, phaseOne, headers, copies, races, attemptsMax, callTimeout);
  }

  public Settings withCopies(int copies) {
    return new Settings(name, shape, urls, branchId, payload, probe, phaseOne, headers, copies, races, attemptsMax, callTimeout);
  }

  public Settings withRaces(int races) {
    return new Settings(name, shape, urls, branchId, payload, probe, phaseOne, headers, copies, races, attemptsMax, callTimeout);
  }

  public Settings withAttemptsMax(int attemptsMax) {
    return new Settings(name, shape, urls, branchId, payload, probe, phaseOne, headers, copies, races, attemptsMax, callTimeout);
  }

  public Settings withCallTimeout(Duration callTimeout) {
    return new Settings(name, shape, urls, branchId, payload, probe, phaseOne, headers, copies, races, attemptsMax, callTimeout);
  }
}
