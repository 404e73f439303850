package io.covenant.bench;

import io.covenant.coordinator.config.CoordinatorConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code bench} command line.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks-0.1.0-SNAPSHOT-all.jar run --workload benchmarks/workloads/saga-3-steps.yaml
 * java -jar benchmarks/target/benchmarks-0.1.0-SNAPSHOT-all.jar jmh CoreBench -f 1
 * </pre>
 *
 * Exit status of {@code run}: 0 when every transaction ended consistently, 2 when some did not,
 * 3 when some were still unfinished at the end (and none inconsistent), 1 on a usage or start error.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, version = "covenant-bench 0.1.0-SNAPSHOT",
    description = "Covenant benchmarks: replay a workload file against a coordinator, or run the JMH benchmarks.",
    subcommands = {BenchMain.Run.class, BenchMain.Jmh.class, CommandLine.HelpCommand.class})
public final class BenchMain {

  public static void main(String[] args) throws Exception {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    if (args.length > 0 && args[0].equals("jmh")) {
      // JMH parses its own options (-f, -wi, -prof ...); hand them over untouched.
      org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    int status = new CommandLine(new BenchMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    System.exit(status);
  }

  @Command(name = "jmh", description = {"Runs the JMH benchmarks of the coordinator's hot paths; every argument goes to JMH.",
      "Example: bench jmh -f 1 -wi 3 -i 5 CoreBench   (bench jmh -h lists JMH's options, -l the benchmarks)"})
  static final class Jmh implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      org.openjdk.jmh.Main.main(new String[0]);
      return 0;
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false, exitCodeOnInvalidInput = 1,
      description = "Replays a workload file against a coordinator and writes JSON, CSV and HTML results.")
  static final class Run implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--workload", required = true, paramLabel = "FILE", description = "workload YAML file")
    Path workload;

    @Option(names = "--target", defaultValue = "inprocess", paramLabel = "inprocess|URL",
        description = "'inprocess' starts a coordinator in this JVM; a URL (http://host:port) uses a running one (default: ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--store", defaultValue = "journal", paramLabel = "journal|memory|postgres|mysql",
        description = "store of the in-process coordinator (default: ${DEFAULT-VALUE}); postgres and mysql need --store-url")
    String store;

    @Option(names = "--store-url", paramLabel = "URL", description = "with --store postgres: postgresql://user@host:port/db; "
        + "with --store mysql: jdbc:mysql://host:port/db. Each run uses a fresh schema, covenant_bench_<time>_<random>, dropped at the end")
    String storeUrl;

    @Option(names = "--store-user", paramLabel = "NAME", description = "with --store mysql: the user (default: the URL's)")
    String storeUser;

    @Option(names = "--store-password", paramLabel = "SECRET", description = "with --store mysql: the password (default: none)")
    String storePassword;

    @Option(names = "--keep-schema", description = "keep each run's fresh SQL schema instead of dropping it at the end")
    boolean keepSchema;

    @Option(names = "--sync", defaultValue = "true", arity = "1", paramLabel = "true|false",
        description = "fsync the in-process journal before answering (default: ${DEFAULT-VALUE}; false is not durable against a power loss)")
    boolean sync;

    @Option(names = "--journal-dir", paramLabel = "DIR", description = "journal directory (default: a temporary one, deleted afterwards)")
    Path journalDir;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "a coordinator config key for the in-process coordinator, e.g. participant.callsInFlightMax=256 (repeatable)")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--rate", paramLabel = "TX/S", description = "open loop at this arrival rate (overrides the workload)")
    Double rate;

    @Option(names = "--concurrency", paramLabel = "N", description = "closed loop with N clients (overrides the workload)")
    Integer concurrency;

    @Option(names = "--sweep-concurrency", split = ",", paramLabel = "N", description = "one closed-loop run per level, e.g. 1,4,16,64; the report plots throughput against concurrency")
    List<Integer> sweepConcurrency;

    @Option(names = "--sweep-rate", split = ",", paramLabel = "TX/S", description = "one open-loop run per rate, e.g. 1000,2000,4000")
    List<Double> sweepRate;

    @Option(names = "--duration", paramLabel = "DURATION", description = "measured time, e.g. 30s (overrides the workload)")
    String duration;

    @Option(names = "--warmup", paramLabel = "DURATION", description = "warm-up before measuring, e.g. 5s (overrides the workload)")
    String warmup;

    @Option(names = "--out", defaultValue = "results", paramLabel = "DIR", description = "where the results directory is created (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--bench-event-loops", defaultValue = "1", paramLabel = "N", description = "event loops shared by the load generator and the participants (default: ${DEFAULT-VALUE})")
    int benchEventLoops;

    @Option(names = "--connections", paramLabel = "N", description = "HTTP connections from the load generator to the coordinator (default: the concurrency, at least 8; 256 for an open loop)")
    Integer connections;

    @Option(names = "--in-flight-max", defaultValue = "200000", paramLabel = "N", description = "open loop: skip (and count as errors) arrivals beyond this many transactions in flight (default: ${DEFAULT-VALUE})")
    int inFlightMax;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", description = "how long to wait for transactions in flight after the window (default: the workload's drainTimeout, 30s unless it says)")
    String drainTimeout;

    @Option(names = "--verify-sample", defaultValue = "200", paramLabel = "N", description = "transactions whose final status is asked one by one, besides the suspect ones (default: ${DEFAULT-VALUE})")
    int verifySample;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the mode mix and failure choice (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--participant-host", defaultValue = "127.0.0.1", paramLabel = "HOST", description = "host the coordinator calls participants at; not loopback binds them on every interface (default: ${DEFAULT-VALUE})")
    String participantHost;

    @Override
    public Integer call() throws Exception {
      Workload w = Workload.load(workload);
      if (rate != null && concurrency != null) {
        throw new CommandLine.ParameterException(new CommandLine(this), "give --rate or --concurrency, not both");
      }
      if (rate != null) {
        w = w.withArrival(Workload.Arrival.open(rate));
      }
      if (concurrency != null) {
        w = w.withArrival(Workload.Arrival.closed(concurrency));
      }
      if (duration != null) {
        w = w.withDuration(CoordinatorConfig.parseDuration(duration));
      }
      if (warmup != null) {
        w = w.withWarmup(CoordinatorConfig.parseDuration(warmup));
      }
      List<Workload> runs = new ArrayList<>();
      if (sweepConcurrency != null && !sweepConcurrency.isEmpty()) {
        for (int c : sweepConcurrency) {
          runs.add(w.withArrival(Workload.Arrival.closed(c)));
        }
      } else if (sweepRate != null && !sweepRate.isEmpty()) {
        for (double r : sweepRate) {
          runs.add(w.withArrival(Workload.Arrival.open(r)));
        }
      } else {
        runs.add(w);
      }
      CoordinatorConfig.StoreKind kind = CoordinatorConfig.StoreKind.valueOf(store.toUpperCase(Locale.ROOT));
      boolean sql = kind == CoordinatorConfig.StoreKind.POSTGRES || kind == CoordinatorConfig.StoreKind.MYSQL;
      if (!sql && (storeUrl != null || storeUser != null || storePassword != null || keepSchema)) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "--store-url, --store-user, --store-password and --keep-schema apply to --store postgres or mysql");
      }
      String urlKey = kind == CoordinatorConfig.StoreKind.POSTGRES ? CoordinatorConfig.POSTGRES_URL : CoordinatorConfig.MYSQL_URL;
      if (sql && storeUrl == null && !settings.containsKey(urlKey)) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "--store " + kind.code() + " needs --store-url (e.g. " + (kind == CoordinatorConfig.StoreKind.POSTGRES
                ? "postgresql://postgres@127.0.0.1:5432/test" : "jdbc:mysql://127.0.0.1:3306/test --store-user root") + ")");
      }
      Target.SqlStore sqlStore = sql ? new Target.SqlStore(storeUrl, storeUser, storePassword, keepSchema) : null;
      BenchRunner.Options options = new BenchRunner.Options(w, target, kind, sync, journalDir, settings,
          benchEventLoops, connections, inFlightMax, drainTimeout == null ? null : CoordinatorConfig.parseDuration(drainTimeout),
          verifySample, seed, participantHost, sqlStore, System.out::println);
      Map<String, Object> env = Reports.environment("bench " + String.join(" ", commandLine()));
      Map<String, Double> probe = new LinkedHashMap<>();
      Map<String, Double> memoryProbe = new LinkedHashMap<>();
      probe.put("before", CpuProbe.sha256MegabytesPerSecond());
      memoryProbe.put("before", CpuProbe.memoryNanosPerRead());
      env.put("cpuProbeSha256MBps", probe);
      env.put("memoryProbeNanosPerRead", memoryProbe);
      List<RunResult> results = new ArrayList<>();
      BenchRunner runner = new BenchRunner();
      for (Workload each : runs) {
        RunResult r = runner.run(options.withWorkload(each));
        results.add(r);
        System.out.println(summaryLine(r));
        r.slowest().forEach(slow -> System.out.println("  slow: " + Reports.describe(slow)));
      }
      probe.put("after", CpuProbe.sha256MegabytesPerSecond());
      memoryProbe.put("after", CpuProbe.memoryNanosPerRead());
      System.out.printf(Locale.ROOT, "machine speed: SHA-256 %.0f MB/s and a random read from memory in %.1f ns on one "
          + "thread before the runs, %.0f MB/s and %.1f ns after%n",
          probe.get("before"), memoryProbe.get("before"), probe.get("after"), memoryProbe.get("after"));
      Path dir = Reports.write(out, w.name(), env, results);
      System.out.println("results: " + dir.toAbsolutePath());
      long inconsistent = results.stream().mapToLong(r -> r.verification().inconsistent()).sum();
      long unfinished = results.stream().mapToLong(r -> r.verification().unfinished()).sum();
      if (inconsistent > 0) {
        System.out.println("INCONSISTENT transactions: " + inconsistent + " (see the report)");
        return 2;
      }
      if (unfinished > 0) {
        System.out.println("unfinished transactions at the end: " + unfinished + " (see the report)");
        return 3;
      }
      return 0;
    }

    private List<String> commandLine() {
      return spec.commandLine().getParseResult().originalArgs();
    }
  }

  static String summaryLine(RunResult r) {
    RunResult.Latency d = r.decision();
    RunResult.Latency c = r.completion();
    long errors = r.errors().values().stream().mapToLong(Long::longValue).sum();
    String line = String.format(Locale.ROOT,
        "%s [%s]: %.0f tx/s (%.0f committed/s); decision p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.2f ms; "
            + "completion p50 %.2f p99 %.2f max %.2f ms; errors %d; inconsistent %d, unfinished %d; "
            + "coordinator CPU %s µs/tx (%s with GC+JIT), %s cores; bench %s cores; GC %s, JIT %s cores; database server %s cores; other processes %s cores; coordinator heap %s MiB; coordinator allocates %s KiB/tx",
        r.workload(), r.setup().concurrency() != null ? "closed " + r.setup().concurrency() : "open " + r.setup().ratePerSecond() + "/s",
        r.throughputPerSecond(), r.committedPerSecond(), d.p50(), d.p90(), d.p99(), d.p999(), d.max(),
        c.p50(), c.p99(), c.max(), errors, r.verification().inconsistent(), r.verification().unfinished(),
        fmt(r.cpu().coordinatorMicrosPerTx()), fmt(r.cpu().coordinatorWithJvmMicrosPerTx()), fmt(r.cpu().coordinatorCores()),
        fmt(r.cpu().benchCores()), fmt(r.cpu().gcCores()), fmt(r.cpu().jitCores()), fmt(r.cpu().databaseCores()), fmt(r.cpu().otherProcessesCores()), r.heap().coordinatorBytes() == null ? "?" : fmt(r.heap().coordinatorBytes() / 1048576.0),
        r.allocation() == null ? "?" : fmt(r.allocation().coordinatorKiBPerTx()));
    RunResult.StoreWrites sw = r.storeWrites();
    if (sw != null) {
      line += "; store writes/s " + sw.perSecond() + ", mean ms " + sw.meanMillis();
    }
    RunResult.InFlight f = r.inFlight();
    if (f != null) {
      line += String.format(Locale.ROOT, "; at the window's end %d in flight (%d undecided), coordinator live %s, "
              + "calls waiting %s, coordinator heap %s MiB",
          f.driverInFlight(), f.undecided(), fmt(f.coordinatorLive()), fmt(f.coordinatorCallsWaiting()),
          f.coordinatorBytes() == null ? "?" : fmt(f.coordinatorBytes() / 1048576.0));
    }
    return line;
  }

  private static String fmt(Double d) {
    return d == null ? "?" : String.format(Locale.ROOT, "%.1f", d);
  }
}
