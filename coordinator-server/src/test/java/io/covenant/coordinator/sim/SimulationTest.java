package io.covenant.coordinator.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Deterministic simulation of the coordinator under faults and crashes (see {@link SimWorld}).
 *
 * <p>CI runs {@code covenant.sim.seeds} seeds (default 200) from {@code covenant.sim.firstSeed}
 * (default 1). A failure names its seed; replay exactly that run with
 * {@code mvn -pl coordinator-server test -Dtest=SimulationTest -Dcovenant.sim.firstSeed=<seed> -Dcovenant.sim.seeds=1}.
 * Run more with {@code mvn -pl coordinator-server test -Psimulation -Dsim.seeds=100000} (only this
 * test; 5,000 seeds take about 45 s here).
 *
 * <p>It has teeth: planning calls from the newest instead of the durable state (breaking write
 * ahead) fails seed 440 with a rollback after a commit; skipping the compensation of a saga step
 * that may have run fails seed 25 with an effect left behind by a rolled-back saga.
 */
class SimulationTest {
  static final Duration CHAOS = Duration.ofSeconds(20);

  @Test
  void everyTransactionEndsAsDecidedDespiteLostMessagesDuplicatesAndCrashes() {
    long first = Long.getLong("covenant.sim.firstSeed", 1L);
    int seeds = Integer.getInteger("covenant.sim.seeds", 200);
    long events = 0;
    int crashes = 0;
    for (long seed = first; seed < first + seeds; seed++) {
      SimWorld world = run(seed);
      events += world.events;
      crashes += world.crashes;
    }
    assertThat(crashes).as("the runs must include crashes").isGreaterThan(seeds / 2);
    assertThat(events).isGreaterThan(seeds * 100L);
  }

  @Test
  void aSeedReplaysExactly() {
    SimWorld a = run(42);
    SimWorld b = run(42);
    assertThat(a.events).isEqualTo(b.events);
    assertThat(a.store.durable()).isEqualTo(b.store.durable());
  }

  static SimWorld run(long seed) {
    SimWorld world = new SimWorld(seed);
    world.startEngine();
    world.workload(30, Duration.ofSeconds(10));
    world.chaos(CHAOS);
    int crashes = world.random.nextInt(4);
    for (int i = 0; i < crashes; i++) {
      Duration when = Duration.ofMillis(world.random.nextInt((int) CHAOS.toMillis()));
      Duration down = Duration.ofMillis(world.random.nextInt(2_000));
      world.at(when, () -> world.crash(down));
    }
    world.runUntil(SimWorld.EPOCH.plus(CHAOS).plusSeconds(3));
    world.faults = false;                                   // heal: the network and participants behave
    world.runUntil(SimWorld.EPOCH.plus(CHAOS).plus(Duration.ofMinutes(10)));
    world.assertAllEndedConsistently();
    return world;
  }
}
