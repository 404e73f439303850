package io.covenant.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.protocol.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A workload file: what transactions to send and how fast. Immutable; {@link #load} reads and
 * checks a YAML file and names the first bad key, the {@code with…} methods apply command-line
 * overrides. The format is documented in {@code benchmarks/README.md}:
 *
 * <pre>{@code
 * name: saga-3-steps
 * description: Three-step sagas that all commit.
 * mix: {saga: 1}                # weights of tcc, saga, 2pc
 * branches: 3                   # saga steps, or TCC / 2PC branches, per transaction (0..8)
 * payloadBytes: 128             # JSON payload of each branch / step
 * participantLatency: 0ms       # fixed time each participant takes to answer
 * participantLatencyInWarmup: 0ms        # during the warm-up only (default: participantLatency)
 * participantLatencyAfterArrivals: 0ms   # from the end of the arrivals on (default: participantLatency)
 * failure: {share: 0.1, at: last}  # transactions that must fail, and which branch refuses
 * arrival: {kind: closed, concurrency: 64}   # or {kind: open, rate: 2000}
 * warmup: 5s
 * duration: 30s
 * transactionTimeout: 60s       # TCC / 2PC timeoutMillis sent with begin
 * inFlightProbe: false          # at the window's end: count what is in flight and measure the heap after a GC
 * drainTimeout: 30s             # how long the run waits for transactions in flight after the window
 * }</pre>
 *
 * @param mix relative weights of the modes; at least one is positive
 * @param branches saga steps, or branches of a TCC / 2PC transaction; a saga needs at least one
 * @param failureShare the share of transactions, in [0, 1], that must fail: a saga step refuses
 *     its action (the saga compensates), a TCC try is refused (the initiator rolls back), or a 2PC
 *     participant does not prepare (the initiator rolls back)
 * @param failAt which branch fails in a failing transaction
 * @param participantLatencyInWarmup what the participants take during the warm-up; with participants
 *     that slow down only in the measured window, the coordinator is warm (JIT) when the backlog
 *     starts to grow
 * @param participantLatencyAfterArrivals what the participants take once the arrivals have ended
 *     (the end of the measured window): a participant that was slow recovers, so that a backlog
 *     built up on purpose drains in bounded time
 * @param inFlightProbe at the end of the window, before the drain: count the transactions in
 *     flight (the driver's and the coordinator's {@code covenant.transactions.live}) and measure
 *     the heap after a full GC; with it, the coordinator's gauges are also sampled every second
 * @param drainTimeout how long the run waits, after the window, for the transactions in flight
 */
public record Workload(
    String name,
    String description,
    Map<Mode, Double> mix,
    int branches,
    int payloadBytes,
    Duration participantLatency,
    double failureShare,
    FailAt failAt,
    Arrival arrival,
    Duration warmup,
    Duration duration,
    Duration transactionTimeout,
    Duration participantLatencyInWarmup,
    Duration participantLatencyAfterArrivals,
    boolean inFlightProbe,
    Duration drainTimeout) {

  /** Branch indexes are bits in a participant's record; see {@code TxRecord}. */
  public static final int BRANCHES_MAX = 8;

  /** Which branch of a failing transaction refuses. */
  public enum FailAt {
    FIRST, LAST, RANDOM;

    static FailAt parse(String text) {
      return FailAt.valueOf(text.trim().toUpperCase(Locale.ROOT));
    }
  }

  /**
   * How transactions arrive.
   *
   * @param open true: {@code rate} transactions per second, each measured from the time it was
   *     due to start (so a stall of the system under test shows in the latency rather than being
   *     hidden by a load generator that waited: coordinated omission); false: {@code concurrency}
   *     clients, each starting its next transaction once its previous one has completed
   */
  public record Arrival(boolean open, double rate, int concurrency) {
    public Arrival {
      if (open && !(rate > 0)) {
        throw new IllegalArgumentException("arrival.rate must be positive, got " + rate);
      }
      if (!open && concurrency < 1) {
        throw new IllegalArgumentException("arrival.concurrency must be at least 1, got " + concurrency);
      }
    }

    public static Arrival open(double rate) {
      return new Arrival(true, rate, 0);
    }

    public static Arrival closed(int concurrency) {
      return new Arrival(false, 0, concurrency);
    }

    /** {@code open 2000/s} or {@code closed 64}. */
    public String describe() {
      return open ? "open " + trim(rate) + "/s" : "closed " + concurrency;
    }
  }

  public Workload {
    Objects.requireNonNull(name, "name");
    description = description == null ? "" : description;
    mix = Collections.unmodifiableMap(new EnumMap<>(mix));
    double total = 0;
    for (Map.Entry<Mode, Double> e : mix.entrySet()) {
      if (e.getValue() < 0 || e.getValue().isNaN()) {
        throw new IllegalArgumentException("mix." + e.getKey().code() + " must not be negative");
      }
      total += e.getValue();
    }
    if (!(total > 0)) {
      throw new IllegalArgumentException("mix needs a positive weight for at least one of tcc, saga, 2pc");
    }
    if (branches < 0 || branches > BRANCHES_MAX) {
      throw new IllegalArgumentException("branches must be between 0 and " + BRANCHES_MAX + ", got " + branches);
    }
    if (branches == 0 && mix.getOrDefault(Mode.SAGA, 0.0) > 0) {
      throw new IllegalArgumentException("branches must be at least 1 when the mix has sagas (a saga needs a step)");
    }
    if (payloadBytes < 0) {
      throw new IllegalArgumentException("payloadBytes must not be negative, got " + payloadBytes);
    }
    if (participantLatency.isNegative()) {
      throw new IllegalArgumentException("participantLatency must not be negative");
    }
    if (!(failureShare >= 0 && failureShare <= 1)) {
      throw new IllegalArgumentException("failure.share must be in [0, 1], got " + failureShare);
    }
    if (failureShare > 0 && branches == 0) {
      throw new IllegalArgumentException("failure.share needs branches: with none, nothing can refuse");
    }
    Objects.requireNonNull(failAt, "failAt");
    Objects.requireNonNull(arrival, "arrival");
    if (warmup.isNegative()) {
      throw new IllegalArgumentException("warmup must not be negative");
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("duration must be positive");
    }
    if (transactionTimeout.isNegative() || transactionTimeout.isZero()) {
      throw new IllegalArgumentException("transactionTimeout must be positive");
    }
    if (participantLatencyInWarmup.isNegative()) {
      throw new IllegalArgumentException("participantLatencyInWarmup must not be negative");
    }
    if (participantLatencyAfterArrivals.isNegative()) {
      throw new IllegalArgumentException("participantLatencyAfterArrivals must not be negative");
    }
    if (drainTimeout.isNegative()) {
      throw new IllegalArgumentException("drainTimeout must not be negative");
    }
  }

  private static final Set<String> KEYS = Set.of("name", "description", "mix", "branches", "payloadBytes",
      "participantLatency", "participantLatencyInWarmup", "participantLatencyAfterArrivals", "failure", "arrival", "warmup", "duration",
      "transactionTimeout", "inFlightProbe", "drainTimeout");

  /**
   * Reads a workload file. The name defaults to the file name without {@code .yaml}.
   *
   * @throws IllegalArgumentException naming the file and the bad key
   */
  public static Workload load(Path file) throws IOException {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(Files.readString(file));
    } catch (IOException e) {
      if (e instanceof java.nio.file.NoSuchFileException) {
        throw e;
      }
      throw new IllegalArgumentException(file + ": not valid YAML: " + e.getMessage(), e);
    }
    try {
      return parse(root, file.getFileName().toString().replaceFirst("\\.ya?ml$", ""));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  static Workload parse(JsonNode root, String defaultName) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("a workload is a YAML map");
    }
    unknownKeys(root, KEYS, "");
    Map<Mode, Double> mix = new EnumMap<>(Mode.class);
    JsonNode m = root.path("mix");
    if (!m.isObject()) {
      throw new IllegalArgumentException("mix is required: a map of tcc, saga, 2pc to weights");
    }
    for (Map.Entry<String, JsonNode> e : m.properties()) {
      Mode mode;
      try {
        mode = Mode.fromCode(e.getKey());
      } catch (RuntimeException ex) {
        throw new IllegalArgumentException("mix." + e.getKey() + ": not a mode (tcc, saga, 2pc)");
      }
      mix.put(mode, number(e.getValue(), "mix." + e.getKey()));
    }
    JsonNode failure = root.path("failure");
    if (!failure.isMissingNode()) {
      unknownKeys(failure, Set.of("share", "at"), "failure.");
    }
    JsonNode arrival = root.path("arrival");
    if (!arrival.isObject()) {
      throw new IllegalArgumentException("arrival is required: {kind: closed, concurrency: N} or {kind: open, rate: N}");
    }
    unknownKeys(arrival, Set.of("kind", "rate", "concurrency"), "arrival.");
    String kind = text(arrival, "kind", "closed");
    Arrival a = switch (kind) {
      case "open" -> Arrival.open(number(arrival.path("rate"), "arrival.rate"));
      case "closed" -> Arrival.closed((int) number(arrival.path("concurrency"), "arrival.concurrency"));
      default -> throw new IllegalArgumentException("arrival.kind must be open or closed, got " + kind);
    };
    FailAt failAt;
    try {
      failAt = FailAt.parse(text(failure, "at", "last"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("failure.at must be first, last or random");
    }
    Duration participantLatency = duration(root, "participantLatency", Duration.ZERO);
    JsonNode probe = root.path("inFlightProbe");
    if (!probe.isMissingNode() && !probe.isBoolean()) {
      throw new IllegalArgumentException("inFlightProbe must be true or false, got " + probe);
    }
    return new Workload(
        text(root, "name", defaultName),
        text(root, "description", ""),
        mix,
        (int) number(root.path("branches"), "branches"),
        root.has("payloadBytes") ? (int) number(root.get("payloadBytes"), "payloadBytes") : 0,
        participantLatency,
        failure.has("share") ? number(failure.get("share"), "failure.share") : 0,
        failAt,
        a,
        duration(root, "warmup", Duration.ofSeconds(5)),
        duration(root, "duration", Duration.ofSeconds(30)),
        duration(root, "transactionTimeout", Duration.ofSeconds(60)),
        duration(root, "participantLatencyInWarmup", participantLatency),
        duration(root, "participantLatencyAfterArrivals", participantLatency),
        probe.asBoolean(false),
        duration(root, "drainTimeout", Duration.ofSeconds(30)));
  }

  public Workload withArrival(Arrival a) {
    return new Workload(name, description, mix, branches, payloadBytes, participantLatency, failureShare, failAt, a,
        warmup, duration, transactionTimeout, participantLatencyInWarmup, participantLatencyAfterArrivals, inFlightProbe, drainTimeout);
  }

  public Workload withWarmup(Duration d) {
    return new Workload(name, description, mix, branches, payloadBytes, participantLatency, failureShare, failAt,
        arrival, d, duration, transactionTimeout, participantLatencyInWarmup, participantLatencyAfterArrivals, inFlightProbe, drainTimeout);
  }

  public Workload withDuration(Duration d) {
    return new Workload(name, description, mix, branches, payloadBytes, participantLatency, failureShare, failAt,
        arrival, warmup, d, transactionTimeout, participantLatencyInWarmup, participantLatencyAfterArrivals, inFlightProbe, drainTimeout);
  }

  public Workload withDrainTimeout(Duration d) {
    return new Workload(name, description, mix, branches, payloadBytes, participantLatency, failureShare, failAt,
        arrival, warmup, duration, transactionTimeout, participantLatencyInWarmup, participantLatencyAfterArrivals, inFlightProbe, d);
  }

  /** The modes with a positive weight, in a fixed order, with their cumulative share in (0, 1]. */
  List<Map.Entry<Mode, Double>> cumulativeMix() {
    double total = mix.values().stream().mapToDouble(Double::doubleValue).sum();
    List<Map.Entry<Mode, Double>> out = new ArrayList<>();
    double acc = 0;
    for (Mode mode : Mode.values()) {
      double w = mix.getOrDefault(mode, 0.0);
      if (w > 0) {
        acc += w / total;
        out.add(Map.entry(mode, acc));
      }
    }
    return out;
  }

  /** {@code saga 100%} or {@code tcc 50%, saga 50%}. */
  public String describeMix() {
    double total = mix.values().stream().mapToDouble(Double::doubleValue).sum();
    List<String> parts = new ArrayList<>();
    for (Mode mode : Mode.values()) {
      double w = mix.getOrDefault(mode, 0.0);
      if (w > 0) {
        parts.add(mode.code() + " " + trim(100 * w / total) + "%");
      }
    }
    return String.join(", ", parts);
  }

  private static void unknownKeys(JsonNode node, Set<String> known, String prefix) {
    if (!node.isObject()) {
      throw new IllegalArgumentException(prefix.isEmpty() ? "a workload is a YAML map" : prefix.substring(0, prefix.length() - 1) + " must be a map");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k)) {
        throw new IllegalArgumentException("unknown key " + prefix + k + " (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
      }
    }
  }

  private static double number(JsonNode n, String key) {
    if (n == null || n.isMissingNode() || n.isNull()) {
      throw new IllegalArgumentException(key + " is required");
    }
    if (!n.isNumber()) {
      throw new IllegalArgumentException(key + " must be a number, got " + n);
    }
    return n.doubleValue();
  }

  private static String text(JsonNode parent, String key, String dflt) {
    JsonNode n = parent.path(key);
    return n.isMissingNode() || n.isNull() ? dflt : n.asText();
  }

  private static Duration duration(JsonNode parent, String key, Duration dflt) {
    JsonNode n = parent.path(key);
    if (n.isMissingNode() || n.isNull()) {
      return dflt;
    }
    try {
      return CoordinatorConfig.parseDuration(n.asText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": '" + n.asText() + "' " + e.getMessage());
    }
  }

  static String trim(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.2f", d);
  }
}
