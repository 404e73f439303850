package io.covenant.bench;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/**
 * How fast one core of this machine is right now: SHA-256 over a buffer, on the calling thread,
 * in megabytes per second, and the latency of a read from memory. Shared and virtual machines
 * change speed from hour to hour (another tenant, frequency scaling); a run records the probes
 * before and after, so figures from different days can be told apart from changes of the code.
 * The hash stays in the core's caches; the memory probe sees what it cannot, another tenant
 * contending for the host's caches and memory.
 */
final class CpuProbe {
  private static final long WARMUP_NANOS = 200_000_000L;
  private static final long MEASURE_NANOS = 300_000_000L;

  private CpuProbe() {}

  /** SHA-256 megabytes per second on one thread, over about half a second. */
  static double sha256MegabytesPerSecond() {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    byte[] buffer = new byte[64 * 1024];
    for (int i = 0; i < buffer.length; i++) {
      buffer[i] = (byte) (i * 31);
    }
    hashFor(sha, buffer, WARMUP_NANOS);
    long started = System.nanoTime();
    long bytes = hashFor(sha, buffer, MEASURE_NANOS);
    return bytes / 1e6 / ((System.nanoTime() - started) / 1e9);
  }

  /**
   * Nanoseconds per read from memory on one thread, over about half a second: a chain of dependent
   * reads through a random cycle over 64 MiB, larger than the last-level cache, so that each read
   * waits for memory.
   */
  static double memoryNanosPerRead() {
    int[] next = randomCycle(16 * 1024 * 1024, 42);
    chaseFor(next, WARMUP_NANOS);
    long started = System.nanoTime();
    long reads = chaseFor(next, MEASURE_NANOS);
    return (System.nanoTime() - started) / (double) reads;
  }

  /** A single cycle through every index (Sattolo's shuffle), so that a chase never falls into a short loop. */
  static int[] randomCycle(int size, long seed) {
    int[] next = new int[size];
    for (int i = 0; i < size; i++) {
      next[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = size - 1; i > 0; i--) {
      int j = random.nextInt(i);
      int t = next[i];
      next[i] = next[j];
      next[j] = t;
    }
    return next;
  }

  /** Follows {@code next} for about {@code nanos}; returns the reads made. */
  private static long chaseFor(int[] next, long nanos) {
    long end = System.nanoTime() + nanos;
    long reads = 0;
    int at = 0;
    while (System.nanoTime() < end) {
      for (int i = 0; i < 1024; i++) {
        at = next[at];
      }
      reads += 1024;
    }
    if (at == -1) {
      throw new AssertionError(); // uses the result, so the reads are not skipped
    }
    return reads;
  }

  /** Hashes {@code buffer} over and over for about {@code nanos}; returns the bytes hashed. */
  private static long hashFor(MessageDigest sha, byte[] buffer, long nanos) {
    long end = System.nanoTime() + nanos;
    long bytes = 0;
    while (System.nanoTime() < end) {
      sha.update(buffer);
      bytes += buffer.length;
      buffer[0] = sha.digest()[0]; // a result that is used, so the work is not skipped
    }
    return bytes;
  }
}
