package io.covenant.bench;

import io.covenant.coordinator.config.CoordinatorConfig;
import io.netty.channel.EventLoop;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Runs a workload once against a target, end to end: start the coordinator (in-process) or check
 * the remote one, start the participants and the driver on a Vert.x of the benchmark's own, take
 * CPU snapshots at the start and the end of the measurement window, wait for the drain, verify
 * every transaction, measure the coordinator's heap, and return a {@link RunResult}.
 *
 * <p>Not thread-safe: one run at a time per instance; the calling thread blocks for the run.
 */
public final class BenchRunner {
  static {
    // The coordinator logs its effective config at INFO; a benchmark wants a quiet console.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
  }

  /** How long the coordinator may take, after the drain, to record the end of what participants already finished. */
  private static final Duration SETTLE = Duration.ofSeconds(10);
  /** How many of the slowest measured transactions the result breaks down call by call. */
  static final int SLOWEST = 5;
  private static final Pattern CPU_METRIC = Pattern.compile("(?m)^process_cpu_time_ns_total(?:\\{[^}]*})?\\s+(\\S+)");
  private static final Pattern ALLOCATED_METRIC =
      Pattern.compile("(?m)^jvm_gc_memory_allocated_bytes_total(?:\\{[^}]*})?\\s+(\\S+)");
  private static final Pattern HEAP_METRIC = Pattern.compile("(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*}\\s+(\\S+)");
  private static final Pattern STORE_WRITES_METRIC = Pattern.compile(
      "(?m)^covenant_store_writes_seconds_(count|sum)\\{[^}]*kind=\"([a-z]+)\"[^}]*}\\s+(\\S+)");
  /**
   * The readings taken at each edge of the measured window, from one scrape of the coordinator's
   * {@code /metrics}: its store writes, and (remote target) its process CPU and allocation; this
   * process's threads (in-process target); the machine's and the database server's ticks, and this
   * process's CPU time.
   */
  private record Edge(CpuMeter.Snapshot cpu, Map<String, double[]> storeWrites, Double remoteCpuNanos,
      Double remoteAllocatedBytes, long[] machine, Map<Integer, Long> database, long processNanos) {
    static Edge take(WebClient client, Target target, CpuMeter cpu) {
      String metrics = scrape(client, target.baseUrl());
      String remote = target.inProcess() ? null : metrics;
      return new Edge(target.inProcess() ? cpu.snapshot() : null, BenchRunner.storeWrites(metrics), metric(remote, CPU_METRIC),
          metric(remote, ALLOCATED_METRIC), CpuMeter.machineTicks(), CpuMeter.databaseTicks(), CpuMeter.processCpuNanos());
    }
  }

  /** How often the warm-up takes the window's edge measurements, to warm their code. */
  private static final long WARM_MEASUREMENT_INTERVAL_NANOS = 5_000_000_000L;
  private static final Pattern LIVE_METRIC = Pattern.compile("(?m)^covenant_transactions_live(?:\\{[^}]*})?\\s+(\\S+)");
  private static final Pattern WAITING_METRIC = Pattern.compile("(?m)^covenant_participant_calls_waiting(?:\\{[^}]*})?\\s+(\\S+)");

  /**
   * @param target {@code inprocess} or the base URL of a running coordinator
   * @param journalDir for an in-process journal; null for a temporary directory
   * @param coordinatorSettings further keys for an in-process coordinator
   * @param benchEventLoops event loops of the load generator and participants together
   * @param connections HTTP/1.1 connections from the driver to the coordinator (and to each participant, for tries)
   * @param inFlightMax open loop: transactions in flight beyond which due arrivals are skipped
   * @param verifySample transactions, besides the suspect ones, whose final status is asked per gid
   * @param participantHost the host the coordinator reaches the participants at
   * @param drainTimeout how long to wait for transactions in flight after the window; null for the workload's
   * @param sqlStore for a SQL store, where and how (null for the journal and memory stores)
   */
  public record Options(Workload workload, String target, CoordinatorConfig.StoreKind store, boolean journalSync,
      Path journalDir, Map<String, String> coordinatorSettings, int benchEventLoops, Integer connections,
      int inFlightMax, Duration drainTimeout, int verifySample, long seed, String participantHost,
      Target.SqlStore sqlStore, Consumer<String> progress) {
    public Options {
      coordinatorSettings = coordinatorSettings == null ? Map.of() : Map.copyOf(coordinatorSettings);
      progress = progress == null ? s -> {} : progress;
    }

    public static Options inProcess(Workload workload, CoordinatorConfig.StoreKind store) {
      return new Options(workload, "inprocess", store, true, null, Map.of(), 1, null, 200_000,
          null, 200, 42, "127.0.0.1", null, null);
    }

    public Options withWorkload(Workload w) {
      return new Options(w, target, store, journalSync, journalDir, coordinatorSettings, benchEventLoops, connections,
          inFlightMax, drainTimeout, verifySample, seed, participantHost, sqlStore, progress);
    }

    public Options withProgress(Consumer<String> p) {
      return new Options(workload, target, store, journalSync, journalDir, coordinatorSettings, benchEventLoops,
          connections, inFlightMax, drainTimeout, verifySample, seed, participantHost, sqlStore, p);
    }
  }

  public RunResult run(Options o) throws Exception {
    Workload w = o.workload();
    Instant startedAt = Instant.now();
    Duration drainTimeout = o.drainTimeout() != null ? o.drainTimeout() : w.drainTimeout();
    Target target = "inprocess".equals(o.target())
        ? Target.inProcess(o.store(), o.journalSync(), o.journalDir(), o.coordinatorSettings(), o.sqlStore(),
            o.progress())
        : Target.remote(o.target());
    Vertx vertx = null;
    try {
      // Netty's epoll transport where it exists (Linux x86-64; NIO elsewhere): the load generator shares
      // the machine with the coordinator, and epoll cost it 0.1-0.2 cores less than NIO at 2,000 TCC/s.
      vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(o.benchEventLoops()).setWorkerPoolSize(2)
          .setInternalBlockingPoolSize(2));
      Set<Long> benchThreads = probeEventLoops(vertx, o.benchEventLoops());
      benchThreads.add(Thread.currentThread().getId());
      CpuMeter cpu = new CpuMeter(benchThreads);

      int connections = o.connections() != null ? o.connections()
          : w.arrival().open() ? 256 : Math.max(8, w.arrival().concurrency());
      // Connections are kept for the whole run (keep-alive timeout 0: never evicted). With Vert.x's
      // default of 60 s, the connections opened during the ramp went idle and were closed a minute
      // later, inside the measured window: the first closes of each JVM's life deoptimised its hot
      // network code in both JVMs at once, and every call of the transactions then in flight took
      // 20-70 ms instead of 1-7 (TCC p99 100-350 ms).
      WebClient client = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true).setKeepAliveTimeout(0)
          .setTcpNoDelay(true).setUserAgent("covenant-bench"), new PoolOptions().setHttp1MaxSize(connections));
      Context context = vertx.getOrCreateContext();
      checkReady(client, target.baseUrl());

      Map<String, TxRecord> ledger = Participants.newLedger();
      boolean loopback = o.participantHost().startsWith("127.") || o.participantHost().equals("localhost");
      Participants participants = new Participants(vertx, ledger, w.participantLatencyInWarmup(), o.participantHost());
      await(participants.start(Math.max(1, w.branches()), loopback ? "127.0.0.1" : "0.0.0.0",
          contextOnAnotherLoop(vertx, context, o.benchEventLoops())), Duration.ofSeconds(30));

      long startNanos = System.nanoTime() + 20_000_000L;
      long windowStart = startNanos + w.warmup().toNanos();
      long windowEnd = windowStart + w.duration().toNanos();
      Measurements m = new Measurements(startNanos, windowStart, windowEnd);
      String gidPrefix = "bench-" + Long.toString(System.currentTimeMillis(), 36) + "-";
      Driver driver = new Driver(vertx, context, client, target.baseUrl(), participants, ledger, w, m, gidPrefix,
          o.seed(), o.inFlightMax(), startNanos, drainTimeout.toNanos());
      o.progress().accept(String.format("running %s: %s, %s, warm-up %ss, measuring %ss", w.name(), w.describeMix(),
          w.arrival().describe(), w.warmup().toSeconds(), w.duration().toSeconds()));

      Future<Void> ran = driver.run();
      Vertx benchVertx = vertx;
      long sampler = onContext(context, () -> benchVertx.setPeriodic(1_000, id -> {
        sampleInFlight(m, driver);
        if (w.inFlightProbe()) {
          sampleCoordinator(client, target.baseUrl(), m);
        }
      }));
      // The measurements taken at the window's edges (a scrape of /metrics, /proc) are also taken
      // every few seconds of the warm-up: run cold, their code cost both JVMs hundreds of ms of CPU
      // at the window's start, which showed as a backlog in its first seconds.
      while (System.nanoTime() < windowStart - WARM_MEASUREMENT_INTERVAL_NANOS) {
        sleepUntil(Math.min(System.nanoTime() + WARM_MEASUREMENT_INTERVAL_NANOS, windowStart - WARM_MEASUREMENT_INTERVAL_NANOS));
        Edge.take(client, target, cpu);
      }
      sleepUntil(windowStart);
      if (!w.participantLatency().equals(w.participantLatencyInWarmup())) {
        participants.latency(w.participantLatency());
        o.progress().accept("warm-up over: participants now answer in " + w.participantLatency().toMillis() + " ms");
      }
      Edge from = Edge.take(client, target, cpu);
      sleepUntil(windowEnd);
      Edge to = Edge.take(client, target, cpu);
      RunResult.StoreWrites storeWrites = storeWrites(from.storeWrites(), to.storeWrites(), (windowEnd - windowStart) / 1e9);
      Probe probe = w.inFlightProbe() ? probe(context, driver, client, target, ledger, o.progress()) : null;
      if (!w.participantLatencyAfterArrivals().equals(participants.latency())) {
        participants.latency(w.participantLatencyAfterArrivals());
        o.progress().accept("participants now answer in " + w.participantLatencyAfterArrivals().toMillis()
            + " ms; draining (at most " + drainTimeout.toSeconds() + " s)");
      }
      await(ran, drainTimeout.plusSeconds(30));
      int unfinishedAfterDrain = onContext(context, driver::inFlight);
      onContext(context, () -> benchVertx.cancelTimer(sampler));
      o.progress().accept("verifying " + ledger.size() + " transactions");

      Verifier verifier = new Verifier(vertx, client, target.baseUrl(), gidPrefix);
      Verifier.Report report = await(onContextFuture(context,
          () -> verifier.verify(ledger.values(), o.verifySample(), 2_000, o.seed(), SETTLE)), Duration.ofMinutes(5));

      long completed = m.completedInWindow();
      double seconds = w.duration().toNanos() / 1e9;
      Double machineCores = CpuMeter.machineBusyCores(from.machine(), to.machine());
      Double databaseCores = CpuMeter.databaseCores(from.database(), to.database(), from.machine(), to.machine());
      // On a SQL store the database server is part of what is measured, not a disturbance.
      boolean sqlStore = target.inProcess() && (o.store() == CoordinatorConfig.StoreKind.POSTGRES
          || o.store() == CoordinatorConfig.StoreKind.MYSQL);
      double processCores = (to.processNanos() - from.processNanos()) / (double) (windowEnd - windowStart);
      Double remoteCpuNanos = target.inProcess() || from.remoteCpuNanos() == null || to.remoteCpuNanos() == null
          ? null : to.remoteCpuNanos() - from.remoteCpuNanos();
      Double remoteCoordinatorCores = remoteCpuNanos == null ? null : remoteCpuNanos / 1e9 / seconds;
      // Others: the machine minus this process, minus a coordinator in a JVM of its own on this machine.
      Double others = machineCores == null ? null
          : Math.max(0, machineCores - processCores - (sqlStore && databaseCores != null ? databaseCores : 0)
              - (remoteCoordinatorCores != null && target.onThisMachine() ? remoteCoordinatorCores : 0));
      CpuMeter.Breakdown spent = target.inProcess() ? cpu.between(from.cpu(), to.cpu()) : null;
      RunResult.Cpu cpuResult = target.inProcess()
          ? inProcessCpu(spent, completed, others, databaseCores)
          : remoteCpu(remoteCpuNanos, completed, remoteCoordinatorCores, processCores, others, databaseCores);
      long participantCalls = participants.calls();
      long unknownCalls = participants.unknownCalls();
      await(participants.close(), Duration.ofSeconds(10));
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      // The size of the benchmark's own records, to take them out of the heap measured in flight.
      Long withRecords = probe != null && target.inProcess() ? usedAfterGc(memory) : null;
      List<RunResult.Slow> slowest = slowest(ledger.values(), startNanos, SLOWEST);
      ledger.clear(); // the heap measured next must not include the benchmark's records
      RunResult.Heap heap = target.inProcess() ? inProcessHeap((Target.InProcess) target)
          : remoteHeap(client, target.baseUrl());
      RunResult.InFlight inFlight = probe == null ? null : probe.result(withRecords, heap);

      RunResult.Setup setup = new RunResult.Setup(w.describeMix(), w.branches(), w.payloadBytes(),
          w.participantLatency().toMillis(),
          w.participantLatencyInWarmup().equals(w.participantLatency()) ? null : w.participantLatencyInWarmup().toMillis(),
          w.participantLatencyAfterArrivals().equals(w.participantLatency()) ? null
              : w.participantLatencyAfterArrivals().toMillis(),
          w.failureShare(), w.failAt().name().toLowerCase(),
          w.arrival().open() ? "open" : "closed",
          w.arrival().open() ? null : w.arrival().concurrency(),
          w.arrival().open() ? w.arrival().rate() : null,
          w.warmup().toNanos() / 1e9, seconds, target.describe(), target.storeDescription(), target.journalSync(),
          target.settings().isEmpty() ? null : new LinkedHashMap<>(target.settings()),
          vertx.isNativeTransportEnabled() ? "epoll" : "nio", startedAt.toString());
      RunResult.Counts counts = new RunResult.Counts(m.started(), m.measuredStarted(), completed, m.committedInWindow(),
          m.decidedInWindow(), report.failedWithError(), m.overloadSkipped(), unfinishedAfterDrain, participantCalls,
          unknownCalls);
      Histogram decision = m.decision();
      Histogram completion = m.completion();
      return new RunResult(w.name(), w.description(), setup, counts, completed / seconds,
          m.committedInWindow() / seconds, m.decidedInWindow() / seconds,
          latency(decision), latency(completion), m.errors(), report, cpuResult,
          target.inProcess() ? inProcessAllocation(spent, completed)
              : remoteAllocation(from.remoteAllocatedBytes(), to.remoteAllocatedBytes(), completed), storeWrites, heap,
          inFlight, timeline(m),
          distribution(decision), distribution(completion), slowest);
    } finally {
      Exception failure = null;
      try {
        target.close();
      } catch (Exception e) {
        failure = e;
      }
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      if (failure != null) {
        throw failure;
      }
    }
  }

  /**
   * The {@code n} measured transactions with the longest decision latency, slowest first, each with
   * the driver's calls: which of them the time went to (the coordinator's answers, a participant's
   * try, or the load generator itself, between an answer and the next call).
   */
  static List<RunResult.Slow> slowest(Collection<TxRecord> records, long startNanos, int n) {
    Comparator<TxRecord> byDecision = Comparator.comparingLong(tx -> tx.decisionNanos() - tx.intendedNanos);
    PriorityQueue<TxRecord> kept = new PriorityQueue<>(n + 1, byDecision);
    for (TxRecord tx : records) {
      if (tx.measured() && tx.decisionNanos() >= 0) {
        kept.add(tx);
        if (kept.size() > n) {
          kept.poll();
        }
      }
    }
    List<RunResult.Slow> slowest = new ArrayList<>(kept.size());
    while (!kept.isEmpty()) {
      TxRecord tx = kept.poll();
      slowest.add(0, new RunResult.Slow(tx.gid, (tx.intendedNanos - startNanos) / 1e9,
          (tx.decisionNanos() - tx.intendedNanos) / 1e6, tx.driverCalls()));
    }
    return slowest;
  }

  /**
   * The ids of the threads behind the event loops of {@code vertx}, found by running a task on
   * each; each is renamed {@code bench-vert.x-eventloop-thread-N}.
   */
  private static Set<Long> probeEventLoops(Vertx vertx, int loops) throws InterruptedException {
    Set<Long> ids = ConcurrentHashMap.newKeySet();
    // New event-loop contexts are given the loops in turn, so twice as many contexts as loops reach
    // them all. (Not getOrCreateContext: outside Vert.x it gives the calling thread the same context each time.)
    int probes = loops * 2;
    CountDownLatch latch = new CountDownLatch(probes);
    for (int i = 0; i < probes; i++) {
      ((VertxInternal) vertx).createEventLoopContext().runOnContext(v -> {
        Thread t = Thread.currentThread();
        if (ids.add(t.getId())) {
          // Both Vert.x instances name their threads alike; a distinct name tells them apart in
          // the CPU breakdown, thread dumps and profiles.
          t.setName("bench-" + t.getName());
        }
        latch.countDown();
      });
    }
    if (!latch.await(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the benchmark's event loops did not answer");
    }
    if (ids.size() != loops) {
      throw new IllegalStateException("found " + ids.size() + " of the benchmark's " + loops + " event loops");
    }
    return new HashSet<>(ids);
  }

  /**
   * A context for the participants on another event loop than the driver's {@code driver}, when
   * there are two or more; else the driver's. Sharing one loop, the participants' answers wait
   * behind the driver's work and the driver's behind theirs.
   */
  static Context contextOnAnotherLoop(Vertx vertx, Context driver, int loops) {
    if (loops < 2) {
      return driver;
    }
    EventLoop driverLoop = ((ContextInternal) driver).nettyEventLoop();
    // New event-loop contexts take the loops in turn, so one of the next few is on another.
    for (int i = 0; i < 2 * loops; i++) {
      ContextInternal candidate = ((VertxInternal) vertx).createEventLoopContext();
      if (candidate.nettyEventLoop() != driverLoop) {
        return candidate;
      }
    }
    throw new IllegalStateException("no event loop other than the driver's among " + loops);
  }

  /**
   * A sample value of the Prometheus text format ({@code 12}, {@code 6.58703E-5}, {@code NaN},
   * {@code +Inf}); NaN for anything else.
   */
  static double metricValue(String text) {
    switch (text) {
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      default:
        try {
          return Double.parseDouble(text);
        } catch (NumberFormatException e) {
          return Double.NaN;
        }
    }
  }

  /** Per write kind (create, update): count and total seconds of the coordinator's {@code covenant.store.writes} timer. */
  private static Map<String, double[]> storeWrites(String metrics) {
    Map<String, double[]> out = new java.util.TreeMap<>();
    if (metrics == null) {
      return out;
    }
    Matcher matcher = STORE_WRITES_METRIC.matcher(metrics);
    while (matcher.find()) {
      double[] v = out.computeIfAbsent(matcher.group(2), k -> new double[2]);
      double value = metricValue(matcher.group(3));
      if (Double.isFinite(value)) {
        v[matcher.group(1).equals("count") ? 0 : 1] += value;
      }
    }
    return out;
  }

  /** The coordinator's durable store writes in the window: per second and mean latency, per kind; null without metrics. */
  private static RunResult.StoreWrites storeWrites(Map<String, double[]> from, Map<String, double[]> to, double seconds) {
    if (from.isEmpty() || to.isEmpty()) {
      return null;
    }
    Map<String, Double> perSecond = new java.util.TreeMap<>();
    Map<String, Double> meanMillis = new java.util.TreeMap<>();
    to.forEach((kind, v) -> {
      double[] f = from.getOrDefault(kind, new double[2]);
      double count = v[0] - f[0];
      perSecond.put(kind, round(count / seconds));
      meanMillis.put(kind, count <= 0 ? null : round((v[1] - f[1]) * 1e3 / count));
    });
    return new RunResult.StoreWrites("the coordinator's covenant.store.writes timer from /metrics, between the start "
        + "and the end of the window: writes per second and mean time from the store call to its durable answer",
        perSecond, meanMillis);
  }

  /** Samples the driver's transactions in flight into the current second. Driver's context. */
  private static void sampleInFlight(Measurements m, Driver driver) {
    m.sampleInFlight(System.nanoTime(), driver.inFlight());
  }

  /** Scrapes the coordinator's live and waiting gauges into the current second; asynchronous, on the calling context. */
  private static void sampleCoordinator(WebClient client, String baseUrl, Measurements m) {
    URI u = URI.create(baseUrl);
    client.request(HttpMethod.GET, u.getPort() < 0 ? 80 : u.getPort(), u.getHost(), "/metrics").timeout(5_000).send()
        .onSuccess(r -> {
          if (r.statusCode() == 200) {
            String text = r.bodyAsString();
            m.sampleCoordinator(System.nanoTime(), gauge(LIVE_METRIC, text), gauge(WAITING_METRIC, text));
          }
        });
  }

  private static Double gauge(Pattern metric, String text) {
    if (text == null) {
      return null;
    }
    Matcher matcher = metric.matcher(text);
    double value = matcher.find() ? metricValue(matcher.group(1)) : Double.NaN;
    return Double.isFinite(value) ? value : null;
  }

  /** What {@link #probe} saw at the end of the window; completed into a {@link RunResult.InFlight} at the end of the run. */
  private record Probe(long driverInFlight, long undecided, Double live, Double waiting, Long processAfterGc,
      Long remoteHeap) {
    RunResult.InFlight result(Long withRecords, RunResult.Heap end) {
      if (processAfterGc == null) {
        return new RunResult.InFlight("remote: counts at the end of the window; heap is the coordinator's "
            + "jvm_memory_used_bytes{area=heap} at that moment (not after a GC: an upper bound of its live heap)",
            driverInFlight, undecided, live, waiting, null, null, null, remoteHeap);
      }
      long baseline = end.processAfterGcBytes() - end.coordinatorBytes();
      long records = withRecords == null ? 0 : Math.max(0, withRecords - end.processAfterGcBytes());
      return new RunResult.InFlight("in-process: at the end of the window, before the drain, the driver's and the "
          + "coordinator's counts, then the heap used after System.gc(); the coordinator's share is that minus the "
          + "benchmark's records (measured at the end by dropping them) minus the heap left once the coordinator closed",
          driverInFlight, undecided, live, waiting, processAfterGc, records, baseline,
          Math.max(0, processAfterGc - records - baseline));
    }
  }

  /**
   * At the end of the window, before participants recover and the backlog drains: what is in
   * flight, by the driver's and the coordinator's count, and the heap after a full GC (in-process)
   * or the coordinator's heap gauge (remote). The GC pauses the coordinator for a moment; nothing
   * measured is affected, since the window is over.
   */
  private static Probe probe(Context context, Driver driver, WebClient client, Target target,
      Map<String, TxRecord> ledger, Consumer<String> progress) throws Exception {
    int inFlight = onContext(context, driver::inFlight);
    long undecided = 0;
    for (TxRecord tx : ledger.values()) {
      if (tx.decisionNanos() < 0 && tx.error() == null) {
        undecided++;
      }
    }
    String metrics = scrape(client, target.baseUrl());
    Double live = gauge(LIVE_METRIC, metrics);
    Double waiting = gauge(WAITING_METRIC, metrics);
    Long processAfterGc = target.inProcess() ? usedAfterGc(ManagementFactory.getMemoryMXBean()) : null;
    Long remoteHeap = null;
    if (!target.inProcess() && metrics != null) {
      Matcher hm = HEAP_METRIC.matcher(metrics);
      long sum = 0;
      while (hm.find()) {
        double value = metricValue(hm.group(1));
        sum += Double.isFinite(value) ? (long) value : 0;
      }
      remoteHeap = sum;
    }
    progress.accept(String.format(java.util.Locale.ROOT,
        "in flight at the end of the window: driver %d (%d undecided), coordinator live %s, calls waiting %s, heap after GC %s MiB",
        inFlight, undecided, live == null ? "?" : String.format(java.util.Locale.ROOT, "%.0f", live),
        waiting == null ? "?" : String.format(java.util.Locale.ROOT, "%.0f", waiting),
        processAfterGc == null ? "?" : Long.toString(processAfterGc >> 20)));
    return new Probe(inFlight, undecided, live, waiting, processAfterGc, remoteHeap);
  }

  private static void checkReady(WebClient client, String baseUrl) throws Exception {
    URI u = URI.create(baseUrl);
    HttpResponse<Buffer> r = await(client.request(HttpMethod.GET, u.getPort() < 0 ? 80 : u.getPort(), u.getHost(),
        "/health/ready").timeout(10_000).send(), Duration.ofSeconds(15));
    if (r.statusCode() != 200) {
      throw new IllegalStateException("coordinator at " + baseUrl + " is not ready: " + r.statusCode() + " " + r.bodyAsString());
    }
  }

  private static RunResult.Cpu inProcessCpu(CpuMeter.Breakdown b, long completed, Double others, Double database) {
    double wall = b.wallNanos();
    List<Map.Entry<String, Long>> top = new ArrayList<>();
    for (Map.Entry<String, Long> e : b.top()) {
      top.add(Map.entry(e.getKey(), e.getValue() / 1_000_000));
    }
    return new RunResult.Cpu(
        "in-process: ThreadMXBean CPU time of the coordinator's Java threads (every thread but the benchmark's) "
            + "over the measurement window, per transaction completed in it; with JVM = plus GC/JIT time "
            + "(process CPU time minus all Java threads)",
        completed == 0 ? null : b.coordinatorNanos() / 1e3 / completed,
        completed == 0 ? null : (b.coordinatorNanos() + b.jvmNativeNanos()) / 1e3 / completed,
        b.coordinatorNanos() / wall, b.benchNanos() / wall, b.jvmNativeNanos() / wall, b.processNanos() / wall,
        others, database, b.gcNanos() / wall, b.jitNanos() / wall, b.vmNanos() / wall, top);
  }

  /**
   * @param nanos the coordinator's process CPU over the window, or null when its /metrics has none
   * @param cores the same per second of the window
   * @param benchCores this process's cores over the window: the load generator and the participants
   */
  private static RunResult.Cpu remoteCpu(Double nanos, long completed, Double cores, double benchCores,
      Double others, Double database) {
    if (nanos == null) {
      return new RunResult.Cpu("remote: the coordinator's /metrics has no process_cpu_time_ns_total", null, null,
          null, benchCores, null, null, others, database, null, null, null, null);
    }
    Double perTx = completed == 0 ? null : nanos / 1e3 / completed;
    return new RunResult.Cpu("remote: process_cpu_time_ns_total from the coordinator's /metrics over the window "
        + "(the whole coordinator process, GC and JIT included), per transaction completed in it",
        perTx, perTx, cores, benchCores, null, null, others, database, null, null, null, null);
  }

  private static RunResult.Heap inProcessHeap(Target.InProcess target) throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long running = usedAfterGc(memory);
    target.close();
    long closed = usedAfterGc(memory);
    return new RunResult.Heap("heap used after System.gc() with the coordinator running, minus the same after it "
        + "closed; the coordinator keeps finished transactions for retention.finished (default 1h)",
        Math.max(0, running - closed), running, memory.getHeapMemoryUsage().getMax());
  }

  private static long usedAfterGc(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 2; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static RunResult.Heap remoteHeap(WebClient client, String baseUrl) {
    String metrics = scrape(client, baseUrl);
    if (metrics == null) {
      return new RunResult.Heap("remote: /metrics not available", null, null, null);
    }
    Matcher m = HEAP_METRIC.matcher(metrics);
    double sum = 0;
    boolean found = false;
    while (m.find()) {
      double value = metricValue(m.group(1));
      sum += Double.isFinite(value) ? value : 0;
      found = true;
    }
    return new RunResult.Heap("remote: jvm_memory_used_bytes{area=heap} from /metrics at the end (not after a GC: "
        + "an upper bound of its live heap)", found ? (long) sum : null, null, null);
  }

  /** The first value of {@code metric} in a Prometheus text, or null. */
  private static Double metric(String metrics, Pattern metric) {
    if (metrics == null) {
      return null;
    }
    Matcher m = metric.matcher(metrics);
    double value = m.find() ? metricValue(m.group(1)) : Double.NaN;
    return Double.isFinite(value) ? value : null;
  }

  private static RunResult.Allocation inProcessAllocation(CpuMeter.Breakdown b, long completed) {
    if (b.coordinatorAllocatedBytes() == null) {
      return new RunResult.Allocation("in-process: this JVM does not count allocation per thread", null);
    }
    return new RunResult.Allocation("in-process: bytes allocated by the coordinator's Java threads (every thread but "
        + "the benchmark's; com.sun.management.ThreadMXBean) over the window, per transaction completed in it",
        completed == 0 ? null : b.coordinatorAllocatedBytes() / 1024.0 / completed);
  }

  static RunResult.Allocation remoteAllocation(Double from, Double to, long completed) {
    if (from == null || to == null) {
      return new RunResult.Allocation("remote: the coordinator's /metrics has no jvm_gc_memory_allocated_bytes_total", null);
    }
    if (to.equals(from)) {
      // The counter moves at young collections only: none in the window is not "nothing allocated".
      return new RunResult.Allocation("remote: no young collection in the window, so "
          + "jvm_gc_memory_allocated_bytes_total did not move (measure a longer window)", null);
    }
    return new RunResult.Allocation("remote: jvm_gc_memory_allocated_bytes_total from the coordinator's /metrics over "
        + "the window (counted at each young collection), per transaction completed in it",
        completed == 0 ? null : (to - from) / 1024 / completed);
  }

  private static String scrape(WebClient client, String baseUrl) {
    try {
      URI u = URI.create(baseUrl);
      HttpResponse<Buffer> r = await(client.request(HttpMethod.GET, u.getPort() < 0 ? 80 : u.getPort(), u.getHost(),
          "/metrics").timeout(10_000).send(), Duration.ofSeconds(15));
      return r.statusCode() == 200 ? r.bodyAsString() : null;
    } catch (Exception e) {
      return null;
    }
  }

  static RunResult.Latency latency(Histogram h) {
    if (h.getTotalCount() == 0) {
      return new RunResult.Latency(0, 0, 0, 0, 0, 0, 0);
    }
    return new RunResult.Latency(h.getTotalCount(), round(h.getMean() / 1e3), ms(h, 50), ms(h, 90), ms(h, 99),
        ms(h, 99.9), round(h.getMaxValue() / 1e3));
  }

  private static double ms(Histogram h, double p) {
    return round(h.getValueAtPercentile(p) / 1e3);
  }

  private static double round(double d) {
    return Math.round(d * 1000) / 1000.0;
  }

  private static List<RunResult.Second> timeline(Measurements m) {
    List<RunResult.Second> out = new ArrayList<>();
    List<Measurements.Second> seconds = m.seconds();
    for (int i = 0; i < seconds.size(); i++) {
      Measurements.Second s = seconds.get(i);
      out.add(new RunResult.Second(i, m.secondInWindow(i), s.started, s.decided, s.completed, s.failed,
          pct(s.decision, 50), pct(s.decision, 99), max(s.decision),
          pct(s.completion, 50), pct(s.completion, 99), max(s.completion),
          s.inFlight < 0 ? null : s.inFlight, s.coordinatorLive, s.coordinatorCallsWaiting));
    }
    return out;
  }

  private static double pct(Histogram h, double p) {
    return h.getTotalCount() == 0 ? 0 : round(h.getValueAtPercentile(p) / 1e3);
  }

  private static double max(Histogram h) {
    return h.getTotalCount() == 0 ? 0 : round(h.getMaxValue() / 1e3);
  }

  /** Percentile spectrum, 5 steps per halving of the remaining tail, up to the last recorded value. */
  static List<RunResult.Percentile> distribution(Histogram h) {
    List<RunResult.Percentile> out = new ArrayList<>();
    if (h.getTotalCount() == 0) {
      return out;
    }
    double last = -1;
    for (HistogramIterationValue v : h.percentiles(5)) {
      double p = v.getPercentileLevelIteratedTo();
      if (p <= last) {
        continue;
      }
      last = p;
      out.add(new RunResult.Percentile(Math.round(p * 10_000) / 10_000.0, round(v.getValueIteratedTo() / 1e3)));
      if (p >= 100.0) {
        break;
      }
    }
    return out;
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long left;
    while ((left = nanos - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000L));
    }
  }

  static <T> T await(Future<T> f, Duration timeout) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof Exception ex) {
        throw ex;
      }
      throw e;
    }
  }

  private static <T> T onContext(Context context, java.util.function.Supplier<T> s) throws Exception {
    return await(onContextFuture(context, () -> Future.succeededFuture(s.get())), Duration.ofSeconds(10));
  }

  private static <T> Future<T> onContextFuture(Context context, java.util.function.Supplier<Future<T>> s) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        s.get().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }
}
