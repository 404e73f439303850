package io.covenant.coordinator.store.sql;

import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.store.TxCodec;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.Set;

/**
 * What the PostgreSQL and MySQL stores share about the row of a transaction: the columns derived
 * from a {@link GlobalTx} (its {@link TxCodec} bytes are the truth, the other columns exist to
 * filter and order), the listing cursor, and the errors they report.
 *
 * <p>Time columns hold microseconds (what both databases keep), so every instant is truncated to
 * microseconds before it is written or compared, and clamped to years 1..9999 (MySQL's
 * {@code DATETIME} range). Listing order, the {@code createdBefore} filter and purge therefore work
 * at microsecond precision; {@code Instant.now()} gives no finer on the JVMs the coordinator runs
 * on, and the transaction read back keeps every nanosecond (it is decoded from the body).
 *
 * <p>Stateless and thread-safe.
 */
public final class SqlTx {
  /** The statuses after which nothing changes: what "finished" means in the schema. */
  public static final Set<GlobalStatus> FINISHED = EnumSet.of(GlobalStatus.COMMITTED, GlobalStatus.ROLLED_BACK);

  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

  private SqlTx() {}

  /**
   * The {@code stuck_attempts} column: the largest {@code attempts} among branches that are not
   * final and failed their last call, or -1 when there is none or the transaction is finished. So
   * {@code stuck_attempts >= n} holds exactly when {@link GlobalTx#isStuck(int) isStuck(n)} does,
   * for every {@code n >= 0}.
   */
  public static int stuckAttempts(GlobalTx tx) {
    if (tx.status().isFinished()) {
      return -1;
    }
    int most = -1;
    for (Branch b : tx.branches()) {
      if (!b.status().isFinal() && b.lastError() != null) {
        most = Math.max(most, b.attempts());
      }
    }
    return most;
  }

  /** The threshold to compare {@code stuck_attempts} with: {@code isStuck} treats every n below 0 as 0. */
  public static int stuckThreshold(int stuckAfterAttempts) {
    return Math.max(stuckAfterAttempts, 0);
  }

  /** An instant as a time column holds it: microseconds, within years 1..9999. */
  public static Instant column(Instant t) {
    if (t.isBefore(EARLIEST)) {
      return EARLIEST;
    }
    if (t.isAfter(LATEST)) {
      return LATEST;
    }
    return t.truncatedTo(ChronoUnit.MICROS);
  }

  /** A position in the listing order (creation time, then gid). */
  public record Cursor(Instant createdAt, String gid) {}

  /**
   * The cursor after {@code tx}: {@code <createdAt epoch nanos>:<gid>}, the format of the other
   * stores, with the creation time as the column holds it.
   */
  public static String cursorAfter(GlobalTx tx) {
    Instant t = column(tx.createdAt());
    return (t.getEpochSecond() * 1_000_000_000L + t.getNano()) + ":" + tx.gid();
  }

  /** Parses a cursor; fails with {@code INVALID_REQUEST} for text no store issued. */
  public static Cursor parseCursor(String cursor) {
    int colon = cursor.indexOf(':');
    if (colon >= 1) {
      try {
        long nanos = Long.parseLong(cursor.substring(0, colon));
        Instant at = Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
        return new Cursor(column(at), cursor.substring(colon + 1));
      } catch (NumberFormatException e) {
        // falls through to the refusal below
      }
    }
    throw new CovenantException(ErrorCode.INVALID_REQUEST, "cursor '" + cursor + "' is not one this coordinator issued");
  }

  /** Decodes a body column; a record this coordinator cannot read fails with {@code STORE_UNAVAILABLE}. */
  public static GlobalTx decode(byte[] body, String where) {
    try {
      return TxCodec.decode(body);
    } catch (IllegalArgumentException e) {
      throw new CovenantException(ErrorCode.STORE_UNAVAILABLE,
          "a transaction row in " + where + " cannot be decoded: " + e.getMessage(), null, e);
    }
  }

  public static CovenantException gidConflict(String gid) {
    return new CovenantException(ErrorCode.GID_CONFLICT, "gid " + gid + " is already used", gid);
  }

  public static CovenantException notFound(String gid) {
    return new CovenantException(ErrorCode.TRANSACTION_NOT_FOUND, "gid " + gid + " is not stored", gid);
  }

  public static CovenantException concurrentUpdate(String gid, long storedVersion, long expectedVersion) {
    return new CovenantException(ErrorCode.CONCURRENT_UPDATE,
        "gid " + gid + " is at version " + storedVersion + ", expected " + expectedVersion, gid);
  }

  /**
   * An update from the stored version refused because another coordinator's term owns the
   * transaction now (it adopted or took it over): the writer has been fenced off.
   */
  public static CovenantException ownedByAnother(String gid, String ownerId, Long ownerEpoch, long writerEpoch) {
    return new CovenantException(ErrorCode.CONCURRENT_UPDATE, "gid " + gid + " is owned by "
        + (ownerEpoch == null ? "no coordinator" : "coordinator " + ownerId + " (epoch " + ownerEpoch + ")")
        + ", not by this one (epoch " + writerEpoch + ")", gid);
  }

  /**
   * A failure of the database as {@code STORE_UNAVAILABLE} (HTTP 503, retryable). For a write the
   * outcome is unknown: the change may have been committed before the answer was lost.
   */
  public static CovenantException unavailable(String where, String what, String gid, Throwable cause) {
    if (cause instanceof CovenantException ce) {
      return ce;
    }
    return new CovenantException(ErrorCode.STORE_UNAVAILABLE, what + " failed on " + where + ": " + describe(cause), gid, cause);
  }

  /**
   * A failure in one line: the first line of its message (its type when it has none), and the
   * root cause's when that says something more ({@code Communications link failure (ConnectException:
   * Connection refused)}).
   */
  public static String describe(Throwable cause) {
    if (cause == null) {
      return "unknown error";
    }
    String text = firstLine(cause);
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root != cause) {
      String rootText = firstLine(root);
      if (!text.contains(rootText)) {
        text += " (" + root.getClass().getSimpleName() + ": " + rootText + ")";
      }
    }
    return text;
  }

  private static String firstLine(Throwable t) {
    String message = t.getMessage();
    if (message == null || message.isBlank()) {
      return t.getClass().getSimpleName();
    }
    int end = message.indexOf('\n');
    return (end < 0 ? message : message.substring(0, end)).strip();
  }
}
