package io.covenant.coordinator.store.journal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the {@link JournalTransactionStore}; {@link #defaults(Path)} gives the values below.
 *
 * @param directory where the journal files live; created if missing. One coordinator process per
 *     directory (the store holds a lock file there).
 * @param fileSizeBytes size of each journal file (default 10 MiB). Files are preallocated, so the
 *     journal takes at least {@code minFiles * fileSizeBytes} of disk.
 * @param minFiles journal files kept even when empty (default 2, at least 2)
 * @param poolSize empty files kept for reuse instead of deleted (default 2)
 * @param bufferSizeBytes size of the write buffer that collects records between flushes (default
 *     490 KiB, as Artemis). It also caps one record: a transaction whose encoded form (plus about 20
 *     bytes of header) is larger is refused with {@code LIMIT_EXCEEDED}.
 * @param bufferTimeout the group-commit window (default 500 µs): after a flush, the journal waits
 *     out the rest of this window, and every record that arrives meanwhile shares the next write and
 *     fsync. So one caller writing in sequence waits about one window per write, and many callers
 *     share one fsync per window. Set it near the disk's fsync time: shorter only spends more
 *     fsyncs, longer adds latency without raising throughput much. Measured here (fsync about
 *     0.15–0.3 ms, 182-byte records): 500 µs gave p50 0.23 ms for one sequential caller and about
 *     50k creates/s with hundreds in flight; Artemis's own NIO default, 3.33 ms, gave p50 3.4 ms for
 *     the sequential caller and the same throughput.
 * @param compactMinFiles compaction is considered only when there are more data files than this
 *     (default 10); 0 turns compaction off
 * @param compactPercentage compact when live data is below this percentage of the data files
 *     (default 30)
 * @param sync fsync before a write is reported done (default true). False reports a write done
 *     once it is handed to the operating system: it then survives a crash of the process, but not
 *     of the machine, which breaks the write-ahead rule for a power loss. Only for tests and
 *     benchmarks.
 */
public record JournalSettings(
    Path directory,
    int fileSizeBytes,
    int minFiles,
    int poolSize,
    int bufferSizeBytes,
    Duration bufferTimeout,
    int compactMinFiles,
    int compactPercentage,
    boolean sync) {

  public static final int DEFAULT_FILE_SIZE_BYTES = 10 * 1024 * 1024;
  public static final int DEFAULT_MIN_FILES = 2;
  public static final int DEFAULT_POOL_SIZE = 2;
  public static final int DEFAULT_BUFFER_SIZE_BYTES = 490 * 1024;
  public static final Duration DEFAULT_BUFFER_TIMEOUT = Duration.ofNanos(500_000);
  public static final int DEFAULT_COMPACT_MIN_FILES = 10;
  public static final int DEFAULT_COMPACT_PERCENTAGE = 30;

  /** Artemis refuses smaller journal files. */
  private static final int FILE_SIZE_BYTES_MIN = 1024;

  public JournalSettings {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(bufferTimeout, "bufferTimeout");
    if (fileSizeBytes < FILE_SIZE_BYTES_MIN) {
      throw new IllegalArgumentException("fileSizeBytes must be at least " + FILE_SIZE_BYTES_MIN + ", got " + fileSizeBytes);
    }
    if (minFiles < 2) {
      throw new IllegalArgumentException("minFiles must be at least 2, got " + minFiles);
    }
    if (poolSize < 0) {
      throw new IllegalArgumentException("poolSize must not be negative, got " + poolSize);
    }
    if (bufferSizeBytes < 1024 || bufferSizeBytes > fileSizeBytes) {
      throw new IllegalArgumentException(
          "bufferSizeBytes must be between 1024 and fileSizeBytes (" + fileSizeBytes + "), got " + bufferSizeBytes);
    }
    if (bufferTimeout.isNegative() || bufferTimeout.isZero() || bufferTimeout.compareTo(Duration.ofSeconds(1)) > 0) {
      throw new IllegalArgumentException("bufferTimeout must be in (0, 1s], got " + bufferTimeout);
    }
    if (compactMinFiles < 0) {
      throw new IllegalArgumentException("compactMinFiles must not be negative, got " + compactMinFiles);
    }
    if (compactPercentage < 0 || compactPercentage > 100) {
      throw new IllegalArgumentException("compactPercentage must be in [0, 100], got " + compactPercentage);
    }
  }

  /** The defaults documented on each component, in {@code directory}. */
  public static JournalSettings defaults(Path directory) {
    return new JournalSettings(directory, DEFAULT_FILE_SIZE_BYTES, DEFAULT_MIN_FILES, DEFAULT_POOL_SIZE,
        DEFAULT_BUFFER_SIZE_BYTES, DEFAULT_BUFFER_TIMEOUT, DEFAULT_COMPACT_MIN_FILES, DEFAULT_COMPACT_PERCENTAGE, true);
  }

  /** These settings with journal files of {@code bytes} (and a buffer no larger than a file). */
  public JournalSettings withFileSizeBytes(int bytes) {
    return new JournalSettings(directory, bytes, minFiles, poolSize, Math.min(bufferSizeBytes, bytes), bufferTimeout,
        compactMinFiles, compactPercentage, sync);
  }

  /**
   * These settings with compaction considered above {@code dataFilesMin} data files once live data
   * is below {@code percentage}; {@code dataFilesMin} 0 turns compaction off.
   */
  public JournalSettings withCompaction(int dataFilesMin, int percentage) {
    return new JournalSettings(directory, fileSizeBytes, minFiles, poolSize, bufferSizeBytes, bufferTimeout,
        dataFilesMin, percentage, sync);
  }
}
