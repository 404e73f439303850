package io.covenant.testkit.internal;

/**
 * One scenario of a contract: a stable id (also part of its gids), the title a test report shows,
 * and the calls and checks it makes.
 */
public record Scenario(String id, String title, Body body) {
  @FunctionalInterface
  interface Body {
    void run(ScenarioRun run);
  }
}
