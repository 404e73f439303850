package io.covenant.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CPU time of the threads of this process, split between the coordinator and the benchmark,
 * when the coordinator runs in-process.
 *
 * <p>Method: {@link ThreadMXBean#getThreadCpuTime} of every live Java thread at the start and
 * at the end of the measurement window. The benchmark's threads are known by id (the event loops
 * of the load generator's and participants' Vert.x, probed at start, and the thread that
 * controls the run); <b>every other Java thread is counted as the coordinator's</b>: its Vert.x
 * event loop, its Artemis journal threads, and the few idle service threads of the JVM (signal,
 * reference handler; they spend next to nothing). Threads that end inside the window take their
 * time with them; the coordinator's threads live for the whole run. The JVM's own native threads
 * (garbage collector, JIT compiler) are not Java threads: their time is the process CPU time
 * ({@code OperatingSystemMXBean.getProcessCpuTime}) minus the sum over Java threads, reported
 * apart as {@code jvmNativeNanos} because the benchmark's allocations cause part of it too; on
 * Linux it is split further by thread name ({@code /proc/self/task}) into garbage collection,
 * JIT compilation and other VM work. What remains of it is the time of threads that ended inside
 * the window.
 *
 * <p>The whole machine's busy time ({@code /proc/stat}) over the same window, minus this process,
 * shows how much other processes took: a run with other work on the machine is disturbed.
 *
 * <p>Thread-safe.
 */
final class CpuMeter {
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final Set<Long> benchThreads;

  /** CPU time per thread at one moment. */
  record Snapshot(long wallNanos, long processNanos, Map<Long, ThreadCpu> threads, long[] machineTicks,
      Map<Integer, ThreadCpu> osThreads) {}

  /** @param allocatedBytes bytes the thread allocated so far, or -1 where not known (the JVM's own threads) */
  record ThreadCpu(String name, long cpuNanos, long allocatedBytes) {}

  /**
   * CPU spent between two snapshots.
   *
   * @param coordinatorNanos Java threads other than the benchmark's
   * @param benchNanos the load generator's and participants' threads
   * @param jvmNativeNanos garbage collection, JIT compilation and other JVM-internal work
   * @param coordinatorAllocatedBytes bytes the coordinator's Java threads allocated, or null where
   *     the JVM does not count them
   * @param top the busiest threads, with their time
   */
  record Breakdown(long wallNanos, long processNanos, long coordinatorNanos, long benchNanos, long jvmNativeNanos,
      Long coordinatorAllocatedBytes, Double machineCores, long gcNanos, long jitNanos, long vmNanos, List<Map.Entry<String, Long>> top) {}

  CpuMeter(Set<Long> benchThreads) {
    this.benchThreads = Set.copyOf(benchThreads);
    if (threads.isThreadCpuTimeSupported() && !threads.isThreadCpuTimeEnabled()) {
      threads.setThreadCpuTimeEnabled(true);
    }
  }

  /** True when the JVM can measure CPU time per thread and for the process. */
  boolean supported() {
    return threads.isThreadCpuTimeSupported() && processCpuNanos() >= 0;
  }

  Snapshot snapshot() {
    long[] ids = threads.getAllThreadIds();
    ThreadInfo[] infos = threads.getThreadInfo(ids);
    long[] allocated = allocatedBytes(ids);
    Map<Long, ThreadCpu> cpu = new HashMap<>(ids.length * 2);
    for (int i = 0; i < ids.length; i++) {
      long t = threads.getThreadCpuTime(ids[i]);
      if (t >= 0 && infos[i] != null) {
        cpu.put(ids[i], new ThreadCpu(infos[i].getThreadName(), t, allocated == null ? -1 : allocated[i]));
      }
    }
    return new Snapshot(System.nanoTime(), processCpuNanos(), cpu, machineTicks(), osThreads());
  }

  /** Bytes each thread has allocated (HotSpot's count, TLABs included), or null where the JVM has none. */
  private long[] allocatedBytes(long[] ids) {
    if (threads instanceof com.sun.management.ThreadMXBean counting && counting.isThreadAllocatedMemorySupported()) {
      if (!counting.isThreadAllocatedMemoryEnabled()) {
        counting.setThreadAllocatedMemoryEnabled(true);
      }
      return counting.getThreadAllocatedBytes(ids);
    }
    return null;
  }

  /** Linux clock ticks per second ({@code USER_HZ}), the unit of {@code /proc/.../stat} times. */
  private static final long TICKS_PER_SECOND = 100;

  /**
   * Every thread of this process as the operating system sees it ({@code /proc/self/task/<tid>/stat}):
   * its name, truncated to 15 characters, and its CPU time. Unlike {@link ThreadMXBean} this
   * includes the JVM's own threads (garbage collector, JIT compilers, VM thread). Empty where there
   * is no {@code /proc}.
   */
  static Map<Integer, ThreadCpu> osThreads() {
    Map<Integer, ThreadCpu> out = new HashMap<>();
    java.nio.file.Path tasks = java.nio.file.Path.of("/proc/self/task");
    try (java.util.stream.Stream<java.nio.file.Path> dirs = java.nio.file.Files.list(tasks)) {
      for (java.nio.file.Path dir : (Iterable<java.nio.file.Path>) dirs::iterator) {
        try {
          String stat = java.nio.file.Files.readString(dir.resolve("stat"));
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          String[] f = stat.substring(close + 2).split(" ");
          long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
          out.put(Integer.parseInt(dir.getFileName().toString()),
              new ThreadCpu(stat.substring(open + 1, close), ticks * (1_000_000_000L / TICKS_PER_SECOND), -1));
        } catch (java.io.IOException | RuntimeException e) {
          // the thread ended while being read
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      return Map.of();
    }
    return out;
  }

  /** What kind of JVM-internal work an operating-system thread name stands for, or null for a Java thread. */
  static String jvmKind(String osName) {
    if (osName.startsWith("GC Thread") || osName.startsWith("G1 ") || osName.startsWith("GC ")) {
      return "gc";
    }
    if (osName.startsWith("C1 CompilerThre") || osName.startsWith("C2 CompilerThre")) {
      return "jit";
    }
    if (osName.startsWith("VM Thread") || osName.startsWith("VM Periodic") || osName.startsWith("Service Thread")
        || osName.startsWith("Monitor Deflati") || osName.startsWith("Sweeper")) {
      return "vm";
    }
    return null;
  }

  /**
   * Busy and total clock ticks of the whole machine since boot, from the first line of
   * {@code /proc/stat}; null where there is none. Busy is user + nice + system + irq + softirq +
   * steal; total adds idle and iowait.
   */
  static long[] machineTicks() {
    try {
      String line = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0);
      String[] f = line.trim().split("\\s+");
      long user = Long.parseLong(f[1]);
      long nice = Long.parseLong(f[2]);
      long system = Long.parseLong(f[3]);
      long idle = Long.parseLong(f[4]);
      long iowait = f.length > 5 ? Long.parseLong(f[5]) : 0;
      long irq = f.length > 6 ? Long.parseLong(f[6]) : 0;
      long softirq = f.length > 7 ? Long.parseLong(f[7]) : 0;
      long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
      long busy = user + nice + system + irq + softirq + steal;
      return new long[] {busy, busy + idle + iowait};
    } catch (Exception e) {
      return null;
    }
  }

  /** Process names ({@code comm}) of the database servers a SQL store may run on. */
  static final java.util.Set<String> DATABASE_PROCESSES = java.util.Set.of("postgres", "mariadbd", "mysqld");

  /**
   * User + system clock ticks of every database server process on this machine ({@link
   * #DATABASE_PROCESSES}), by pid, from {@code /proc/<pid>/stat}; empty where there is none. A
   * process that exits between two readings loses its ticks; one that starts between them counts
   * whole.
   */
  static Map<Integer, Long> databaseTicks() {
    Map<Integer, Long> out = new HashMap<>();
    java.io.File[] entries = new java.io.File("/proc").listFiles();
    if (entries == null) {
      return out;
    }
    for (java.io.File f : entries) {
      String name = f.getName();
      if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
        continue;
      }
      try {
        String stat = java.nio.file.Files.readString(f.toPath().resolve("stat"));
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open || !DATABASE_PROCESSES.contains(stat.substring(open + 1, close))) {
          continue;
        }
        // After "pid (comm) ": state is field 3, utime field 14 and stime field 15.
        String[] rest = stat.substring(close + 2).trim().split("\\s+");
        out.put(Integer.parseInt(name), Long.parseLong(rest[11]) + Long.parseLong(rest[12]));
      } catch (Exception e) {
        // gone meanwhile, or not readable: not counted
      }
    }
    return out;
  }

  /** Cores the database servers kept busy between two readings, in the machine's tick base; null without {@code /proc/stat}. */
  static Double databaseCores(Map<Integer, Long> from, Map<Integer, Long> to, long[] machineFrom, long[] machineTo) {
    if (machineFrom == null || machineTo == null || machineTo[1] <= machineFrom[1]) {
      return null;
    }
    long ticks = 0;
    for (Map.Entry<Integer, Long> e : to.entrySet()) {
      ticks += Math.max(0, e.getValue() - from.getOrDefault(e.getKey(), 0L));
    }
    return (double) ticks / (machineTo[1] - machineFrom[1]) * Runtime.getRuntime().availableProcessors();
  }

  /** Cores the whole machine kept busy between two readings of {@link #machineTicks()}, or null. */
  static Double machineBusyCores(long[] from, long[] to) {
    if (from == null || to == null || to[1] <= from[1]) {
      return null;
    }
    return (double) (to[0] - from[0]) / (to[1] - from[1]) * Runtime.getRuntime().availableProcessors();
  }

  /**
   * CPU spent, and bytes the coordinator's Java threads allocated, between two snapshots. A thread
   * that ended in between is counted for neither. The allocation is null when the JVM does not
   * count it per thread.
   */
  Breakdown between(Snapshot from, Snapshot to) {
    long coordinator = 0;
    long bench = 0;
    long javaThreads = 0;
    long coordinatorAllocated = 0;
    boolean allocationCounted = true;
    Map<String, Long> byName = new HashMap<>();
    for (Map.Entry<Long, ThreadCpu> e : to.threads().entrySet()) {
      ThreadCpu before = from.threads().get(e.getKey());
      long spent = e.getValue().cpuNanos() - (before == null ? 0 : before.cpuNanos());
      javaThreads += spent;
      boolean isBench = benchThreads.contains(e.getKey());
      if (isBench) {
        bench += spent;
      } else {
        coordinator += spent;
        long allocated = e.getValue().allocatedBytes();
        if (allocated < 0) {
          allocationCounted = false;
        } else {
          coordinatorAllocated += allocated - (before == null ? 0 : Math.max(0, before.allocatedBytes()));
        }
      }
      byName.merge((isBench ? "bench: " : "coordinator: ") + e.getValue().name(), spent, Long::sum);
    }
    List<Map.Entry<String, Long>> top = new ArrayList<>(byName.entrySet());
    top.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()));
    long process = to.processNanos() - from.processNanos();
    long gc = 0;
    long jit = 0;
    long vm = 0;
    for (Map.Entry<Integer, ThreadCpu> e : to.osThreads().entrySet()) {
      String kind = jvmKind(e.getValue().name());
      if (kind == null) {
        continue;
      }
      ThreadCpu before = from.osThreads().get(e.getKey());
      long spent = e.getValue().cpuNanos() - (before == null ? 0 : before.cpuNanos());
      switch (kind) {
        case "gc" -> gc += spent;
        case "jit" -> jit += spent;
        default -> vm += spent;
      }
    }
    return new Breakdown(to.wallNanos() - from.wallNanos(), process, coordinator, bench,
        Math.max(0, process - javaThreads), allocationCounted ? coordinatorAllocated : null,
        machineBusyCores(from.machineTicks(), to.machineTicks()),
        gc, jit, vm, List.copyOf(top.subList(0, Math.min(12, top.size()))));
  }

  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }
}
