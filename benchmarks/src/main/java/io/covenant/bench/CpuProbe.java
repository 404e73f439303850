package io.covenant.bench;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * How fast one core of this machine is right now: SHA-256 over a buffer, on the calling thread,
 * in megabytes per second. Shared and virtual machines change speed from hour to hour (another
 * tenant, frequency scaling); a run records the probe before and after, so figures from different
 * days can be told apart from changes of the code.
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
