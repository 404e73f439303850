package io.covenant.client;

import io.covenant.protocol.Op;
import io.covenant.testsupport.TestCoordinator;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The setting of the tests that watch the client's requests: a real coordinator (memory store) and
 * a participant serving the TCC branch {@code stock} and the saga step {@code reserve}, for the
 * class; and, for each test, a {@link FlakyProxy} in front of the coordinator with a client that
 * talks through it, retrying three times about a millisecond apart (the tests count attempts, not time).
 */
abstract class ThroughFlakyProxy {
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(2));

  static TestCoordinator coordinator;
  static TestParticipant participant;
  FlakyProxy proxy;
  CovenantClient client;

  @BeforeAll
  static void startCoordinator() throws Exception {
    coordinator = TestCoordinator.memory();
    participant = TestParticipant.serve(ParticipantDispatcher.builder()
        .on("stock", Op.CONFIRM, call -> {})
        .on("stock", Op.CANCEL, call -> {})
        .on("reserve", Op.ACTION, call -> {})
        .on("reserve", Op.COMPENSATE, call -> {})
        .build());
  }

  @AfterAll
  static void stopCoordinator() throws Exception {
    participant.close();
    coordinator.close();
  }

  @BeforeEach
  void startProxy() throws IOException {
    proxy = FlakyProxy.inFrontOf(coordinator.uri());
    client = CovenantClient.builder().coordinator(proxy.uri()).requestTimeout(Duration.ofSeconds(5)).retry(FAST).build();
  }

  @AfterEach
  void stopProxy() {
    client.close();
    proxy.close();
  }
}
