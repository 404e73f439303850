package io.covenant.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Writes the results of one invocation (one run, or a sweep of runs) into a new directory
 * {@code <out>/<workload>-<yyyyMMdd-HHmmss>/}:
 * <ul>
 *   <li>{@code result.json}: the environment and every {@link RunResult} in full;</li>
 *   <li>{@code summary.csv}: one row per run (throughput, latency percentiles, errors,
 *       consistency, CPU per transaction, heap);</li>
 *   <li>{@code timeline.csv}: per run and second, transactions started, decided, completed,
 *       failed and the latency percentiles of those that started in that second;</li>
 *   <li>{@code latency.csv}: per run, the percentile spectrum of both latencies;</li>
 *   <li>{@code report.html}: one self-contained page (inline SVG and CSS, no scripts).</li>
 * </ul>
 */
final class Reports {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

  private Reports() {}

  /** What the figures were measured on. */
  static Map<String, Object> environment(String command) {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("date", java.time.OffsetDateTime.now().toString());
    env.put("command", command);
    env.put("commit", git("rev-parse", "--short", "HEAD"));
    String dirty = git("status", "--porcelain", "--untracked-files=no");
    env.put("uncommittedChanges", dirty == null ? null : !dirty.isBlank());
    env.put("cores", Runtime.getRuntime().availableProcessors());
    env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    env.put("jvmArguments", ManagementFactory.getRuntimeMXBean().getInputArguments());
    env.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
    return env;
  }

  private static String git(String... args) {
    try {
      List<String> cmd = new ArrayList<>();
      cmd.add("git");
      cmd.addAll(List.of(args));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return null;
      }
      return out;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Writes every file and returns the directory. */
  static Path write(Path out, String name, Map<String, Object> environment, List<RunResult> runs) throws IOException {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path dir = out.resolve(name + "-" + stamp);
    for (int i = 2; Files.exists(dir); i++) {
      dir = out.resolve(name + "-" + stamp + "-" + i);
    }
    Files.createDirectories(dir);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("environment", environment);
    json.put("runs", runs);
    JSON.writeValue(dir.resolve("result.json").toFile(), json);
    Files.writeString(dir.resolve("summary.csv"), summaryCsv(runs));
    Files.writeString(dir.resolve("timeline.csv"), timelineCsv(runs));
    Files.writeString(dir.resolve("latency.csv"), latencyCsv(runs));
    Files.writeString(dir.resolve("report.html"), html(name, environment, runs));
    return dir;
  }

  /**
   * One slow transaction on one line: {@code 174.1 ms, due at 104.32 s, gid b-7: begin 1.2 ms at
   * +0.1, register 0.9 ms at +1.4, ...}, each call with how long its answer took and when it was
   * sent, in ms after the transaction was due.
   */
  static String describe(RunResult.Slow slow) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%.1f ms, due at %.2f s, gid %s:",
        slow.decisionMillis(), slow.dueAtSecond(), slow.gid()));
    String sep = " ";
    for (RunResult.Call c : slow.calls()) {
      sb.append(sep).append(String.format(Locale.ROOT, "%s %.1f ms at +%.1f", c.call(), c.millis(), c.sentMillis()));
      sep = ", ";
    }
    return sb.toString();
  }

  static String summaryCsv(List<RunResult> runs) {
    StringBuilder sb = new StringBuilder("workload,target,store,sync,arrival,concurrency,rate,duration_s,"
        + "throughput_tx_s,committed_tx_s,decisions_s,"
        + "decision_p50_ms,decision_p90_ms,decision_p99_ms,decision_p999_ms,decision_max_ms,"
        + "completion_p50_ms,completion_p90_ms,completion_p99_ms,completion_p999_ms,completion_max_ms,"
        + "errors,inconsistent,unfinished,unexpected_outcome,coordinator_cpu_us_per_tx,coordinator_with_jvm_cpu_us_per_tx,"
        + "coordinator_cores,bench_cores,gc_cores,jit_cores,other_processes_cores,database_cores,coordinator_heap_bytes,"
        + "in_flight_at_window_end,coordinator_live_at_window_end,coordinator_heap_in_flight_bytes,"
        + "store_creates_s,store_updates_s,store_create_mean_ms,store_update_mean_ms,coordinator_alloc_kib_per_tx\n");
    for (RunResult r : runs) {
      RunResult.Setup s = r.setup();
      long errors = r.errors().values().stream().mapToLong(Long::longValue).sum();
      row(sb, r.workload(), s.target(), s.store(), s.journalSync(), s.arrival(), s.concurrency(), s.ratePerSecond(),
          s.durationSeconds(), r.throughputPerSecond(), r.committedPerSecond(), r.decisionsPerSecond(),
          r.decision().p50(), r.decision().p90(), r.decision().p99(), r.decision().p999(), r.decision().max(),
          r.completion().p50(), r.completion().p90(), r.completion().p99(), r.completion().p999(), r.completion().max(),
          errors, r.verification().inconsistent(), r.verification().unfinished(), r.verification().unexpectedOutcome(),
          r.cpu().coordinatorMicrosPerTx(), r.cpu().coordinatorWithJvmMicrosPerTx(), r.cpu().coordinatorCores(),
          r.cpu().benchCores(), r.cpu().gcCores(), r.cpu().jitCores(), r.cpu().otherProcessesCores(),
          r.cpu().databaseCores(), r.heap().coordinatorBytes(), r.inFlight() == null ? null : r.inFlight().driverInFlight(),
          r.inFlight() == null ? null : r.inFlight().coordinatorLive(), r.inFlight() == null ? null : r.inFlight().coordinatorBytes(),
          storeFigure(r, true, "create"), storeFigure(r, true, "update"), storeFigure(r, false, "create"),
          storeFigure(r, false, "update"), r.allocation() == null ? null : r.allocation().coordinatorKiBPerTx());
    }
    return sb.toString();
  }

  private static Double storeFigure(RunResult r, boolean perSecond, String kind) {
    RunResult.StoreWrites w = r.storeWrites();
    return w == null ? null : (perSecond ? w.perSecond() : w.meanMillis()).get(kind);
  }

  static String timelineCsv(List<RunResult> runs) {
    StringBuilder sb = new StringBuilder("workload,concurrency,rate,second,in_window,started,decided,completed,failed,"
        + "decision_p50_ms,decision_p99_ms,decision_max_ms,completion_p50_ms,completion_p99_ms,completion_max_ms,"
        + "in_flight,coordinator_live,coordinator_calls_waiting\n");
    for (RunResult r : runs) {
      for (RunResult.Second s : r.timeline()) {
        row(sb, r.workload(), r.setup().concurrency(), r.setup().ratePerSecond(), s.second(), s.inWindow(), s.started(),
            s.decided(), s.completed(), s.failed(), s.decisionP50(), s.decisionP99(), s.decisionMax(),
            s.completionP50(), s.completionP99(), s.completionMax(), s.inFlight(), s.coordinatorLive(),
            s.coordinatorCallsWaiting());
      }
    }
    return sb.toString();
  }

  static String latencyCsv(List<RunResult> runs) {
    StringBuilder sb = new StringBuilder("workload,concurrency,rate,latency,percentile,millis\n");
    for (RunResult r : runs) {
      for (RunResult.Percentile p : r.decisionDistribution()) {
        row(sb, r.workload(), r.setup().concurrency(), r.setup().ratePerSecond(), "decision", p.percentile(), p.millis());
      }
      for (RunResult.Percentile p : r.completionDistribution()) {
        row(sb, r.workload(), r.setup().concurrency(), r.setup().ratePerSecond(), "completion", p.percentile(), p.millis());
      }
    }
    return sb.toString();
  }

  private static void row(StringBuilder sb, Object... values) {
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      Object v = values[i];
      if (v == null) {
        continue;
      }
      String text = v instanceof Double d ? fmt(d) : v.toString();
      if (text.contains(",") || text.contains("\"") || text.contains("\n")) {
        text = "\"" + text.replace("\"", "\"\"") + "\"";
      }
      sb.append(text);
    }
    sb.append('\n');
  }

  private static String fmt(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return String.format(Locale.ROOT, "%.3f", d);
  }

  // ---------------------------------------------------------------- HTML

  static String html(String name, Map<String, Object> environment, List<RunResult> runs) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Covenant benchmark: ")
        .append(Svg.esc(name)).append("</title>\n<style>\n")
        .append("body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1200px}\n")
        .append("table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}\n")
        .append("th{background:#f3f3f3}td.l,th.l{text-align:left}.bad{color:#b00;font-weight:bold}.ok{color:#070}\n")
        .append("h2{margin-top:32px;border-bottom:1px solid #ddd}svg{margin:6px 12px 6px 0;border:1px solid #eee}\n")
        .append("code{background:#f5f5f5;padding:1px 4px}</style></head><body>\n");
    sb.append("<h1>Covenant benchmark: ").append(Svg.esc(name)).append("</h1>\n");
    RunResult first = runs.get(0);
    if (!first.description().isBlank()) {
      sb.append("<p>").append(Svg.esc(first.description())).append("</p>\n");
    }
    sb.append("<table>\n");
    environment.forEach((k, v) -> sb.append("<tr><th class=\"l\">").append(Svg.esc(k)).append("</th><td class=\"l\">")
        .append(Svg.esc(String.valueOf(v))).append("</td></tr>\n"));
    RunResult.Setup s0 = first.setup();
    sb.append("<tr><th class=\"l\">workload</th><td class=\"l\">").append(Svg.esc(s0.mix())).append("; ")
        .append(s0.branches()).append(" branches/steps; payload ").append(s0.payloadBytes()).append(" B; participant latency ")
        .append(s0.participantLatencyMillis()).append(" ms")
        .append(s0.participantLatencyInWarmupMillis() == null ? "" : " (" + s0.participantLatencyInWarmupMillis() + " ms in the warm-up)")
        .append(s0.participantLatencyAfterArrivalsMillis() == null ? ""
            : " (" + s0.participantLatencyAfterArrivalsMillis() + " ms after the arrivals)")
        .append("; failing share ").append(s0.failureShare())
        .append("; warm-up ").append(Svg.num(s0.warmupSeconds())).append(" s, measured ")
        .append(Svg.num(s0.durationSeconds())).append(" s</td></tr>\n");
    sb.append("<tr><th class=\"l\">target</th><td class=\"l\">").append(Svg.esc(s0.target()))
        .append(s0.store() == null ? "" : ", store " + s0.store()).append(s0.journalSync() == null ? "" : ", sync " + s0.journalSync())
        .append(s0.coordinatorSettings() == null ? "" : ", " + Svg.esc(s0.coordinatorSettings().toString()))
        .append("</td></tr>\n<tr><th class=\"l\">load generator's transport</th><td class=\"l\">")
        .append(Svg.esc(s0.loadGeneratorTransport())).append("</td></tr>\n</table>\n");

    sb.append("<h2>Summary</h2>\n<table>\n<tr><th>arrival</th><th>throughput tx/s</th><th>committed tx/s</th>")
        .append("<th>decision p50 / p90 / p99 / p99.9 / max ms</th><th>completion p50 / p90 / p99 / p99.9 / max ms</th>")
        .append("<th>errors</th><th>inconsistent</th><th>unfinished</th><th>coordinator CPU µs/tx (with GC+JIT)</th>")
        .append("<th>coordinator cores</th><th>bench cores</th><th>GC / JIT cores</th><th>database server cores</th><th>other processes' cores</th>")
        .append("<th>coordinator heap MiB</th><th>coordinator allocates KiB/tx</th></tr>\n");
    for (RunResult r : runs) {
      long errors = r.errors().values().stream().mapToLong(Long::longValue).sum();
      sb.append("<tr><td>").append(Svg.esc(arrival(r))).append("</td><td>").append(fmt1(r.throughputPerSecond()))
          .append("</td><td>").append(fmt1(r.committedPerSecond())).append("</td><td>").append(lat(r.decision()))
          .append("</td><td>").append(lat(r.completion())).append("</td><td").append(errors > 0 ? " class=\"bad\"" : "")
          .append('>').append(errors).append("</td><td class=\"").append(r.verification().inconsistent() > 0 ? "bad" : "ok")
          .append("\">").append(r.verification().inconsistent()).append("</td><td")
          .append(r.verification().unfinished() > 0 ? " class=\"bad\"" : "").append('>')
          .append(r.verification().unfinished()).append("</td><td>").append(opt(r.cpu().coordinatorMicrosPerTx()))
          .append(" (").append(opt(r.cpu().coordinatorWithJvmMicrosPerTx())).append(")</td><td>")
          .append(opt(r.cpu().coordinatorCores())).append("</td><td>").append(opt(r.cpu().benchCores()))
          .append("</td><td>").append(opt(r.cpu().gcCores())).append(" / ").append(opt(r.cpu().jitCores()))
          .append("</td><td>").append(opt(r.cpu().databaseCores()))
          .append("</td><td").append(r.cpu().otherProcessesCores() != null && r.cpu().otherProcessesCores() > 0.3 ? " class=\"bad\"" : "")
          .append('>').append(opt(r.cpu().otherProcessesCores())).append("</td><td>").append(r.heap().coordinatorBytes() == null ? "–" : fmt1(r.heap().coordinatorBytes() / 1048576.0))
          .append("</td><td>").append(r.allocation() == null ? "–" : opt(r.allocation().coordinatorKiBPerTx()))
          .append("</td></tr>\n");
    }
    sb.append("</table>\n");
    sb.append("<p>Decision: from the time a transaction was due to start to the coordinator's durable answer ")
        .append("(commit / rollback 200, saga 201). Completion: to the answer of the last participant call it needs. ")
        .append("Throughput: transactions completed inside the measured window, per second. ")
        .append("CPU: ").append(Svg.esc(first.cpu().method())).append(". Heap: ").append(Svg.esc(first.heap().method()))
        .append(first.allocation() == null ? "" : ". Allocation: " + Svg.esc(first.allocation().method()))
        .append(".</p>\n");

    if (runs.size() > 1) {
      sb.append("<h2>Throughput against concurrency</h2>\n");
      List<double[]> tput = new ArrayList<>();
      List<double[]> p99d = new ArrayList<>();
      List<double[]> p99c = new ArrayList<>();
      List<Svg.Tick> ticks = new ArrayList<>();
      boolean open = first.setup().concurrency() == null;
      for (RunResult r : runs) {
        double level = open ? r.setup().ratePerSecond() : r.setup().concurrency();
        double x = Math.log(level) / Math.log(2);
        ticks.add(new Svg.Tick(x, Svg.num(level)));
        tput.add(new double[] {x, r.throughputPerSecond()});
        p99d.add(new double[] {x, r.decision().p99()});
        p99c.add(new double[] {x, r.completion().p99()});
      }
      String xLabel = open ? "offered rate, tx/s (log scale)" : "concurrent clients (log scale)";
      sb.append(Svg.lineChart("Throughput", xLabel, "completed tx/s",
          List.of(new Svg.Series("throughput", COLORS[0], tput)), ticks));
      sb.append(Svg.lineChart("p99 latency", xLabel, "ms",
          List.of(new Svg.Series("decision p99", COLORS[0], p99d), new Svg.Series("completion p99", COLORS[1], p99c)), ticks));
    }

    for (RunResult r : runs) {
      sb.append("<h2>").append(Svg.esc(arrival(r))).append("</h2>\n");
      sb.append(timelineCharts(r));
      sb.append(inFlightChart(r));
      sb.append(distributionChart(r));
      if (!r.errors().isEmpty()) {
        sb.append("<table><tr><th class=\"l\">error</th><th>count</th></tr>\n");
        r.errors().forEach((k, v) -> sb.append("<tr><td class=\"l\">").append(Svg.esc(k)).append("</td><td>").append(v)
            .append("</td></tr>\n"));
        sb.append("</table>\n");
      }
      Verifier.Report v = r.verification();
      sb.append("<p>Verification: ").append(v.transactions()).append(" transactions, ").append(v.consistent())
          .append(" consistent, <span class=\"").append(v.inconsistent() > 0 ? "bad" : "ok").append("\">")
          .append(v.inconsistent()).append(" inconsistent</span>, ").append(v.unfinished()).append(" unfinished, ")
          .append(v.unexpectedOutcome()).append(" with an unexpected outcome, ").append(v.failedWithError())
          .append(" failed with an error; coordinator listed ").append(v.coordinatorUnfinished())
          .append(" unfinished, ").append(v.queried()).append(" checked one by one (")
          .append(v.purged()).append(" of them already purged by the coordinator's retention).</p>\n");
      if (!v.examples().isEmpty()) {
        sb.append("<ul>\n");
        v.examples().forEach(e -> sb.append("<li><code>").append(Svg.esc(e)).append("</code></li>\n"));
        sb.append("</ul>\n");
      }
      if (!r.slowest().isEmpty()) {
        sb.append("<details><summary>Slowest decisions, call by call</summary><table>\n")
            .append("<tr><th>decision ms</th><th>due at s</th><th class=\"l\">gid: each call, how long it took, ")
            .append("sent how long after the transaction was due</th></tr>\n");
        r.slowest().forEach(slow -> sb.append("<tr><td>").append(fmt1(slow.decisionMillis())).append("</td><td>")
            .append(fmt1(slow.dueAtSecond())).append("</td><td class=\"l\">").append(Svg.esc(describe(slow)))
            .append("</td></tr>\n"));
        sb.append("</table></details>\n");
      }
      if (r.cpu().topThreadsMillis() != null) {
        sb.append("<details><summary>Busiest threads in the window (CPU ms)</summary><table>\n");
        r.cpu().topThreadsMillis().forEach(e -> sb.append("<tr><td class=\"l\">").append(Svg.esc(e.getKey()))
            .append("</td><td>").append(e.getValue()).append("</td></tr>\n"));
        sb.append("</table></details>\n");
      }
    }
    sb.append("</body></html>\n");
    return sb.toString();
  }

  private static String timelineCharts(RunResult r) {
    List<double[]> dp50 = new ArrayList<>();
    List<double[]> dp99 = new ArrayList<>();
    List<double[]> cp50 = new ArrayList<>();
    List<double[]> cp99 = new ArrayList<>();
    List<double[]> completed = new ArrayList<>();
    List<double[]> started = new ArrayList<>();
    for (RunResult.Second s : r.timeline()) {
      if (s.started() > 0 || s.completed() > 0) {
        double x = s.second();
        if (s.decided() > 0 || s.decisionP50() > 0) {
          dp50.add(new double[] {x, s.decisionP50()});
          dp99.add(new double[] {x, s.decisionP99()});
          cp50.add(new double[] {x, s.completionP50()});
          cp99.add(new double[] {x, s.completionP99()});
        }
        completed.add(new double[] {x, s.completed()});
        started.add(new double[] {x, s.started()});
      }
    }
    double warmup = r.setup().warmupSeconds();
    String label = "seconds since start (shaded: warm-up)";
    return Svg.lineChart("Latency over time (by second of due start)", label, "ms", List.of(
            new Svg.Series("decision p50", COLORS[0], dp50), new Svg.Series("decision p99", COLORS[0], dp99, true),
            new Svg.Series("completion p50", COLORS[1], cp50), new Svg.Series("completion p99", COLORS[1], cp99, true)),
        null, warmup)
        + Svg.lineChart("Throughput over time", label, "tx per second", List.of(
            new Svg.Series("completed", COLORS[2], completed), new Svg.Series("started", COLORS[3], started, true)), null,
            warmup);
  }

  /** Transactions in flight over time, with what was decided per second: the acceptance rate as the backlog grows. */
  private static String inFlightChart(RunResult r) {
    List<double[]> driver = new ArrayList<>();
    List<double[]> live = new ArrayList<>();
    List<double[]> waiting = new ArrayList<>();
    List<double[]> decided = new ArrayList<>();
    for (RunResult.Second s : r.timeline()) {
      double x = s.second();
      if (s.inFlight() != null) {
        driver.add(new double[] {x, s.inFlight()});
      }
      if (s.coordinatorLive() != null) {
        live.add(new double[] {x, s.coordinatorLive()});
      }
      if (s.coordinatorCallsWaiting() != null) {
        waiting.add(new double[] {x, s.coordinatorCallsWaiting()});
      }
      decided.add(new double[] {x, s.decided()});
    }
    if (live.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    RunResult.InFlight f = r.inFlight();
    if (f != null) {
      sb.append("<p>At the end of the measured window: ").append(f.driverInFlight()).append(" transactions in flight (")
          .append(f.undecided()).append(" undecided); the coordinator's live gauge ").append(opt(f.coordinatorLive()))
          .append(", calls waiting ").append(opt(f.coordinatorCallsWaiting())).append("; coordinator heap ")
          .append(f.coordinatorBytes() == null ? "–" : fmt1(f.coordinatorBytes() / 1048576.0)).append(" MiB (")
          .append(Svg.esc(f.method())).append(").</p>\n");
    }
    double warmup = r.setup().warmupSeconds();
    String label = "seconds since start (shaded: warm-up)";
    return sb + Svg.lineChart("Transactions in flight", label, "transactions", List.of(
            new Svg.Series("driver: started, not complete", COLORS[0], driver),
            new Svg.Series("coordinator: live", COLORS[1], live),
            new Svg.Series("coordinator: calls waiting", COLORS[2], waiting, true)), null, warmup)
        + Svg.lineChart("Decided (accepted) per second", label, "tx per second", List.of(
            new Svg.Series("decided", COLORS[3], decided)), null, warmup);
  }

  /** Percentiles on a log scale of 1 / (1 - p), as HdrHistogram plots them. */
  private static String distributionChart(RunResult r) {
    List<Svg.Tick> ticks = new ArrayList<>();
    String[] labels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
    for (int i = 0; i < labels.length; i++) {
      ticks.add(new Svg.Tick(i, labels[i]));
    }
    return Svg.lineChart("Latency distribution (measured window)", "percentile", "ms", List.of(
        new Svg.Series("decision", COLORS[0], spectrum(r.decisionDistribution())),
        new Svg.Series("completion", COLORS[1], spectrum(r.completionDistribution()))), ticks);
  }

  private static List<double[]> spectrum(List<RunResult.Percentile> ps) {
    List<double[]> out = new ArrayList<>();
    for (RunResult.Percentile p : ps) {
      double tail = Math.max(1e-5, 1 - p.percentile() / 100);
      out.add(new double[] {Math.min(5, Math.log10(1 / tail)), p.millis()});
    }
    return out;
  }

  private static String arrival(RunResult r) {
    return r.setup().concurrency() != null ? "closed loop, " + r.setup().concurrency() + " clients"
        : "open loop, " + Svg.num(r.setup().ratePerSecond()) + " tx/s offered";
  }

  private static String lat(RunResult.Latency l) {
    return fmt1(l.p50()) + " / " + fmt1(l.p90()) + " / " + fmt1(l.p99()) + " / " + fmt1(l.p999()) + " / " + fmt1(l.max());
  }

  private static String opt(Double d) {
    return d == null ? "–" : fmt1(d);
  }

  private static String fmt1(double d) {
    return d >= 100 ? String.format(Locale.ROOT, "%.0f", d) : String.format(Locale.ROOT, "%.2f", d);
  }
}
