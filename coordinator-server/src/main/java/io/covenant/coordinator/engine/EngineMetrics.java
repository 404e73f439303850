package io.covenant.coordinator.engine;

import io.covenant.coordinator.engine.CallResult.Kind;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.Op;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The engine's meters. Names are dotted lowercase with bounded tags (mode, op, outcome); a gid
 * never becomes a tag. Meters are created up front so the hot path only increments.
 */
final class EngineMetrics {
  private final Map<Mode, Counter> begun = new EnumMap<>(Mode.class);
  private final Map<Mode, Counter> committed = new EnumMap<>(Mode.class);
  private final Map<Mode, Counter> rolledBack = new EnumMap<>(Mode.class);
  private final Map<Op, Map<Kind, Timer>> calls = new EnumMap<>(Op.class);
  private final Map<Op, Counter> retries = new EnumMap<>(Op.class);
  private final Timer creates;
  private final Timer updates;
  private final Counter adopted;
  private final Counter takenOver;
  private final Counter lost;

  /** The gauges' values, set on the engine thread by {@link #gauges} and read by any thread that scrapes. */
  private volatile int live;
  private volatile int stuck;
  private volatile int waiting;

  EngineMetrics(MeterRegistry registry) {
    for (Mode mode : Mode.values()) {
      begun.put(mode, Counter.builder("covenant.transactions.begun").tag("mode", mode.code())
          .description("Global transactions begun or submitted").register(registry));
      committed.put(mode, completed(registry, mode, "committed"));
      rolledBack.put(mode, completed(registry, mode, "rolled_back"));
    }
    for (Op op : Op.values()) {
      if (op == Op.TRY) {
        continue; // the coordinator never calls a try
      }
      Map<Kind, Timer> byKind = new EnumMap<>(Kind.class);
      for (Kind kind : Kind.values()) {
        byKind.put(kind, Timer.builder("covenant.branch.calls").tag("op", op.code())
            .tag("outcome", kind.name().toLowerCase(java.util.Locale.ROOT))
            .description("Calls to participants and their latency").register(registry));
      }
      calls.put(op, byKind);
      retries.put(op, Counter.builder("covenant.branch.retries").tag("op", op.code())
          .description("Participant calls that did not succeed (most are retried)").register(registry));
    }
    creates = Timer.builder("covenant.store.writes").tag("kind", "create").description("Durable store writes").register(registry);
    updates = Timer.builder("covenant.store.writes").tag("kind", "update").description("Durable store writes").register(registry);
    adopted = ownership(registry, "adopted");
    takenOver = ownership(registry, "taken_over");
    lost = ownership(registry, "lost");
    gauge(registry, "covenant.transactions.live", "Unfinished transactions being driven", () -> live);
    gauge(registry, "covenant.transactions.stuck", "Transactions with a branch that keeps failing", () -> stuck);
    gauge(registry, "covenant.participant.calls.waiting", "Participant calls waiting for a slot", () -> waiting);
  }

  /**
   * Sets what the gauges show. The engine's state is not thread-safe, so the engine counts on its
   * own thread (every second) and a scrape, on any thread, reads these values.
   */
  void gauges(int live, int stuck, int waiting) {
    this.live = live;
    this.stuck = stuck;
    this.waiting = waiting;
  }

  /** Registers a gauge holding its supplier strongly (Micrometer holds gauge objects weakly by default). */
  private static void gauge(MeterRegistry registry, String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value, s -> s.get().doubleValue()).description(description).strongReference(true).register(registry);
  }

  private static Counter ownership(MeterRegistry registry, String change) {
    return Counter.builder("covenant.ownership.changes").tag("change", change)
        .description("Transactions this coordinator adopted (lease expired), took over (a request), or lost to another")
        .register(registry);
  }

  void adopted(int n) {
    adopted.increment(n);
  }

  void takenOver() {
    takenOver.increment();
  }

  void lost(int n) {
    lost.increment(n);
  }

  private static Counter completed(MeterRegistry registry, Mode mode, String outcome) {
    return Counter.builder("covenant.transactions.completed").tag("mode", mode.code()).tag("outcome", outcome)
        .description("Global transactions finished").register(registry);
  }

  void begun(Mode mode) {
    begun.get(mode).increment();
  }

  void completed(Mode mode, GlobalStatus status) {
    (status == GlobalStatus.COMMITTED ? committed : rolledBack).get(mode).increment();
  }

  void call(Op op, Kind kind, Duration latency) {
    calls.get(op).get(kind).record(latency);
    if (kind != Kind.SUCCEEDED) {
      retries.get(op).increment();
    }
  }

  void write(boolean create, Duration latency) {
    (create ? creates : updates).record(latency);
  }
}
