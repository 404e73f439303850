package io.covenant.coordinator.store;

import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.core.RetryPolicy;
import io.covenant.coordinator.core.StepHttp;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary form of a {@link GlobalTx}, as the journal stores it: one record per change, so this
 * is on the hot path of every write. Hand-written rather than JSON because it is several times
 * smaller and faster, and because its layout is fixed here, in one place, independent of the wire
 * model.
 *
 * <p>Layout, format version 2 (all fields in this order):
 * <pre>
 * byte     format version (2)
 * string   gid
 * byte     mode code            TCC=1, SAGA=2, TWO_PHASE=3
 * byte     status code          ACTIVE=1, COMMITTING=2, COMMITTED=3, ROLLING_BACK=4, ROLLED_BACK=5
 * byte     flags                bit 0: deadline present, bit 1: reason present
 * instant  createdAt, instant updatedAt, [instant deadline], [string reason]
 * varlong  version (zigzag)
 * varint   branch count, then per branch:
 *   string   id
 *   byte     status code       REGISTERED=1, PENDING=2, SUCCEEDED=3, FAILED=4, CONFIRMED=5,
 *                              CANCELLED=6, COMMITTED=7, ROLLED_BACK=8, COMPENSATED=9, SKIPPED=10
 *   varint   flags             bit 0: backwardUrl, 1: payload, 2: callTimeout, 3: lastError,
 *                              4: nextAttemptAt present; bit 5: pivot; 6: resolution present;
 *                              7: http, 8: retry, 9: result present; 10: http has a compensation body
 *   string   forwardUrl, [string backwardUrl], [string payload]
 *   varint   dependsOn count, then that many strings
 *   varint   attemptsMax (zigzag), varint attempts (zigzag)
 *   [varlong callTimeout in nanoseconds (zigzag)], [string lastError], [instant nextAttemptAt]
 *   [string resolution]
 *   [http: string actionMethod, headers actionHeaders, string compensationMethod,
 *          headers compensationHeaders, [string compensationBody]]
 *   [retry: varlong initial, varlong max, in nanoseconds (zigzag)]
 *   [string result]
 * </pre>
 * {@code headers} is a count (varint) and that many name and value strings.
 *
 * <p>Format version 1, written before saga steps had their own calls, backoff and result, is
 * still read: it is version 2 with the branch flags in one byte (bits 0 to 6 only; bit 6 and the
 * resolution came late in version 1, so older records never set it) and nothing after
 * {@code resolution}. A stored record is never rewritten in place; the next change of the
 * transaction writes it in version 2.
 * A {@code string} is its UTF-8 byte length (varint) and the bytes; an {@code instant} is epoch
 * seconds (zigzag varlong) and nanoseconds (varint). Varints are unsigned LEB128. Enum codes are
 * explicit constants of this format, never ordinals, so reordering an enum cannot change what an
 * old record means; a new constant needs a new code here (compilation fails until it has one).
 *
 * <p>Strings are encoded as UTF-8, except that a lone surrogate (legal in a Java string, not in
 * Unicode) is written as its 3-byte form instead of being replaced by {@code '?'} as
 * {@link String#getBytes} would: a gid or payload must come back exactly as it went in.
 *
 * <p>Durations are stored in nanoseconds, so a {@code callTimeout} must be shorter than about 292
 * years ({@link Duration#toNanos} throws {@code ArithmeticException} otherwise).
 *
 * <p>Stateless and thread-safe.
 */
public final class TxCodec {

  /** The version this class writes; it reads this one and {@link #FORMAT_VERSION_1}. */
  public static final byte FORMAT_VERSION = 2;
  /** The first format, without a step's own calls, backoff and result. */
  public static final byte FORMAT_VERSION_1 = 1;

  private static final int TX_DEADLINE = 1;
  private static final int TX_REASON = 1 << 1;
  private static final int TX_FLAGS = TX_DEADLINE | TX_REASON;

  private static final int BRANCH_BACKWARD_URL = 1;
  private static final int BRANCH_PAYLOAD = 1 << 1;
  private static final int BRANCH_CALL_TIMEOUT = 1 << 2;
  private static final int BRANCH_LAST_ERROR = 1 << 3;
  private static final int BRANCH_NEXT_ATTEMPT_AT = 1 << 4;
  private static final int BRANCH_PIVOT = 1 << 5;
  private static final int BRANCH_RESOLUTION = 1 << 6;
  private static final int BRANCH_FLAGS_V1 = (1 << 7) - 1;
  private static final int BRANCH_HTTP = 1 << 7;
  private static final int BRANCH_RETRY = 1 << 8;
  private static final int BRANCH_RESULT = 1 << 9;
  private static final int BRANCH_COMPENSATION_BODY = 1 << 10;
  private static final int BRANCH_FLAGS = BRANCH_FLAGS_V1 | BRANCH_HTTP | BRANCH_RETRY | BRANCH_RESULT | BRANCH_COMPENSATION_BODY;

  private TxCodec() {}

  /** The bytes of {@code tx}, in the current format. */
  public static byte[] encode(GlobalTx tx) {
    return encodeUncopied(tx).toByteArray();
  }

  /**
   * The bytes of {@code tx}, in the current format, left in the encoder's buffer rather than copied
   * into an array of their exact size: for a caller that copies them anyway. The journal writes
   * them, with their checksum, straight into its write buffer; the copies it saves are a large
   * share of what a busy coordinator allocates.
   */
  public static Encoded encodeUncopied(GlobalTx tx) {
    Writer w = new Writer(estimate(tx));
    w.writeByte(FORMAT_VERSION);
    w.writeString(tx.gid());
    w.writeByte(code(tx.mode()));
    w.writeByte(code(tx.status()));
    w.writeByte((tx.deadline() != null ? TX_DEADLINE : 0) | (tx.reason() != null ? TX_REASON : 0));
    w.writeInstant(tx.createdAt());
    w.writeInstant(tx.updatedAt());
    if (tx.deadline() != null) {
      w.writeInstant(tx.deadline());
    }
    if (tx.reason() != null) {
      w.writeString(tx.reason());
    }
    w.writeVarLong(zigzag(tx.version()));
    List<Branch> branches = tx.branches();
    w.writeVarInt(branches.size());
    for (int i = 0; i < branches.size(); i++) {
      writeBranch(w, branches.get(i));
    }
    return new Encoded(w.buf, w.pos);
  }

  /**
   * The TxCodec bytes of a transaction: the first {@link #length()} bytes of {@link #array()}, which
   * may be longer. Nobody writes to the array once it is encoded; readers must not either.
   */
  public static final class Encoded {
    private final byte[] array;
    private final int length;

    Encoded(byte[] array, int length) {
      this.array = array;
      this.length = length;
    }

    /** The array that holds the bytes from index 0; do not change it. */
    public byte[] array() {
      return array;
    }

    public int length() {
      return length;
    }

    /** The bytes in an array of their exact size: {@link #array()} itself when it is that size already. */
    public byte[] toByteArray() {
      return length == array.length ? array : Arrays.copyOf(array, length);
    }
  }

  /**
   * The transaction in {@code bytes}.
   *
   * @throws IllegalArgumentException if the bytes are not a record of a format version this class
   *     reads (corrupt, truncated, or written by a newer coordinator)
   */
  public static GlobalTx decode(byte[] bytes) {
    Reader r = new Reader(bytes);
    try {
      int format = r.readByte();
      if (format != FORMAT_VERSION && format != FORMAT_VERSION_1) {
        throw new IllegalArgumentException("transaction record has format version " + format
            + "; this coordinator reads versions " + FORMAT_VERSION_1 + " and " + FORMAT_VERSION);
      }
      String gid = r.readString();
      Mode mode = mode(r.readByte());
      GlobalStatus status = globalStatus(r.readByte());
      int flags = r.readFlags(TX_FLAGS);
      Instant createdAt = r.readInstant();
      Instant updatedAt = r.readInstant();
      Instant deadline = (flags & TX_DEADLINE) != 0 ? r.readInstant() : null;
      String reason = (flags & TX_REASON) != 0 ? r.readString() : null;
      long version = unzigzag(r.readVarLong());
      int count = r.readCount();
      List<Branch> branches = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        branches.add(readBranch(r, format));
      }
      if (r.remaining() != 0) {
        throw new IllegalArgumentException(r.remaining() + " unexpected bytes after the record");
      }
      return new GlobalTx(gid, mode, status, createdAt, updatedAt, deadline, reason, version, branches);
    } catch (ArrayIndexOutOfBoundsException | NullPointerException e) {
      throw new IllegalArgumentException("transaction record is corrupt (" + bytes.length + " bytes)", e);
    }
  }

  private static void writeBranch(Writer w, Branch b) {
    w.writeString(b.id());
    w.writeByte(code(b.status()));
    int flags = (b.backwardUrl() != null ? BRANCH_BACKWARD_URL : 0)
        | (b.payload() != null ? BRANCH_PAYLOAD : 0)
        | (b.callTimeout() != null ? BRANCH_CALL_TIMEOUT : 0)
        | (b.lastError() != null ? BRANCH_LAST_ERROR : 0)
        | (b.nextAttemptAt() != null ? BRANCH_NEXT_ATTEMPT_AT : 0)
        | (b.pivot() ? BRANCH_PIVOT : 0)
        | (b.resolution() != null ? BRANCH_RESOLUTION : 0)
        | (b.http() != null ? BRANCH_HTTP : 0)
        | (b.http() != null && b.http().compensationBody() != null ? BRANCH_COMPENSATION_BODY : 0)
        | (b.retry() != null ? BRANCH_RETRY : 0)
        | (b.result() != null ? BRANCH_RESULT : 0);
    w.writeVarInt(flags);
    w.writeString(b.forwardUrl());
    if (b.backwardUrl() != null) {
      w.writeString(b.backwardUrl());
    }
    if (b.payload() != null) {
      w.writeString(b.payload());
    }
    List<String> dependsOn = b.dependsOn();
    w.writeVarInt(dependsOn.size());
    for (int i = 0; i < dependsOn.size(); i++) {
      w.writeString(dependsOn.get(i));
    }
    w.writeVarInt(zigzag(b.attemptsMax()));
    w.writeVarInt(zigzag(b.attempts()));
    if (b.callTimeout() != null) {
      w.writeVarLong(zigzag(b.callTimeout().toNanos()));
    }
    if (b.lastError() != null) {
      w.writeString(b.lastError());
    }
    if (b.nextAttemptAt() != null) {
      w.writeInstant(b.nextAttemptAt());
    }
    if (b.resolution() != null) {
      w.writeString(b.resolution());
    }
    StepHttp http = b.http();
    if (http != null) {
      w.writeString(http.actionMethod());
      writeHeaders(w, http.actionHeaders());
      w.writeString(http.compensationMethod());
      writeHeaders(w, http.compensationHeaders());
      if (http.compensationBody() != null) {
        w.writeString(http.compensationBody());
      }
    }
    if (b.retry() != null) {
      w.writeVarLong(zigzag(b.retry().initial().toNanos()));
      w.writeVarLong(zigzag(b.retry().max().toNanos()));
    }
    if (b.result() != null) {
      w.writeString(b.result());
    }
  }

  private static void writeHeaders(Writer w, Map<String, String> headers) {
    w.writeVarInt(headers.size());
    for (Map.Entry<String, String> h : headers.entrySet()) {
      w.writeString(h.getKey());
      w.writeString(h.getValue());
    }
  }

  private static Map<String, String> readHeaders(Reader r) {
    int count = r.readCount();
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      headers.put(r.readString(), r.readString());
    }
    return headers;
  }

  private static Branch readBranch(Reader r, int format) {
    String id = r.readString();
    BranchStatus status = branchStatus(r.readByte());
    int flags = format == FORMAT_VERSION_1 ? r.readFlags(BRANCH_FLAGS_V1) : r.readVarFlags(BRANCH_FLAGS);
    String forwardUrl = r.readString();
    String backwardUrl = (flags & BRANCH_BACKWARD_URL) != 0 ? r.readString() : null;
    String payload = (flags & BRANCH_PAYLOAD) != 0 ? r.readString() : null;
    int dependsOnCount = r.readCount();
    List<String> dependsOn = new ArrayList<>(dependsOnCount);
    for (int i = 0; i < dependsOnCount; i++) {
      dependsOn.add(r.readString());
    }
    int attemptsMax = unzigzag(r.readVarInt());
    int attempts = unzigzag(r.readVarInt());
    Duration callTimeout = (flags & BRANCH_CALL_TIMEOUT) != 0 ? Duration.ofNanos(unzigzag(r.readVarLong())) : null;
    String lastError = (flags & BRANCH_LAST_ERROR) != 0 ? r.readString() : null;
    Instant nextAttemptAt = (flags & BRANCH_NEXT_ATTEMPT_AT) != 0 ? r.readInstant() : null;
    String resolution = (flags & BRANCH_RESOLUTION) != 0 ? r.readString() : null;
    StepHttp http = null;
    if ((flags & BRANCH_HTTP) != 0) {
      String actionMethod = r.readString();
      Map<String, String> actionHeaders = readHeaders(r);
      String compensationMethod = r.readString();
      Map<String, String> compensationHeaders = readHeaders(r);
      String compensationBody = (flags & BRANCH_COMPENSATION_BODY) != 0 ? r.readString() : null;
      http = new StepHttp(actionMethod, actionHeaders, compensationMethod, compensationHeaders, compensationBody);
    } else if ((flags & BRANCH_COMPENSATION_BODY) != 0) {
      throw new IllegalArgumentException("compensation body flag without http in transaction record");
    }
    RetryPolicy retry = null;
    if ((flags & BRANCH_RETRY) != 0) {
      Duration initial = Duration.ofNanos(unzigzag(r.readVarLong()));
      Duration max = Duration.ofNanos(unzigzag(r.readVarLong()));
      retry = new RetryPolicy(initial, max);
    }
    String result = (flags & BRANCH_RESULT) != 0 ? r.readString() : null;
    return new Branch(id, status, forwardUrl, backwardUrl, payload, dependsOn, (flags & BRANCH_PIVOT) != 0,
        attemptsMax, callTimeout, attempts, lastError, nextAttemptAt, resolution, http, retry, result);
  }

  /** A first guess at the encoded size, so that a typical record needs no buffer growth. */
  private static int estimate(GlobalTx tx) {
    int n = 48 + tx.gid().length() + (tx.reason() == null ? 0 : tx.reason().length());
    List<Branch> branches = tx.branches();
    for (int i = 0; i < branches.size(); i++) { // indexed loops: iterators here were garbage at every write
      Branch b = branches.get(i);
      n += 40 + b.id().length() + b.forwardUrl().length()
          + (b.backwardUrl() == null ? 0 : b.backwardUrl().length())
          + (b.payload() == null ? 0 : b.payload().length())
          + (b.lastError() == null ? 0 : b.lastError().length())
          + (b.resolution() == null ? 0 : b.resolution().length())
          + (b.result() == null ? 0 : b.result().length())
          + (b.http() == null ? 0 : 32 + (b.http().compensationBody() == null ? 0 : b.http().compensationBody().length()));
      List<String> dependsOn = b.dependsOn();
      for (int j = 0; j < dependsOn.size(); j++) {
        n += 1 + dependsOn.get(j).length();
      }
    }
    return n;
  }

  // Enum codes: part of the format. Never renumber; add new constants with new codes. The switches
  // that give a code have no default, so a constant added to an enum fails compilation here.

  static int code(Mode mode) {
    return switch (mode) {
      case TCC -> 1;
      case SAGA -> 2;
      case TWO_PHASE -> 3;
    };
  }

  static Mode mode(int code) {
    return switch (code) {
      case 1 -> Mode.TCC;
      case 2 -> Mode.SAGA;
      case 3 -> Mode.TWO_PHASE;
      default -> throw new IllegalArgumentException("unknown mode code " + code + " in transaction record");
    };
  }

  static int code(GlobalStatus status) {
    return switch (status) {
      case ACTIVE -> 1;
      case COMMITTING -> 2;
      case COMMITTED -> 3;
      case ROLLING_BACK -> 4;
      case ROLLED_BACK -> 5;
    };
  }

  static GlobalStatus globalStatus(int code) {
    return switch (code) {
      case 1 -> GlobalStatus.ACTIVE;
      case 2 -> GlobalStatus.COMMITTING;
      case 3 -> GlobalStatus.COMMITTED;
      case 4 -> GlobalStatus.ROLLING_BACK;
      case 5 -> GlobalStatus.ROLLED_BACK;
      default -> throw new IllegalArgumentException("unknown transaction status code " + code + " in transaction record");
    };
  }

  static int code(BranchStatus status) {
    return switch (status) {
      case REGISTERED -> 1;
      case PENDING -> 2;
      case SUCCEEDED -> 3;
      case FAILED -> 4;
      case CONFIRMED -> 5;
      case CANCELLED -> 6;
      case COMMITTED -> 7;
      case ROLLED_BACK -> 8;
      case COMPENSATED -> 9;
      case SKIPPED -> 10;
    };
  }

  static BranchStatus branchStatus(int code) {
    return switch (code) {
      case 1 -> BranchStatus.REGISTERED;
      case 2 -> BranchStatus.PENDING;
      case 3 -> BranchStatus.SUCCEEDED;
      case 4 -> BranchStatus.FAILED;
      case 5 -> BranchStatus.CONFIRMED;
      case 6 -> BranchStatus.CANCELLED;
      case 7 -> BranchStatus.COMMITTED;
      case 8 -> BranchStatus.ROLLED_BACK;
      case 9 -> BranchStatus.COMPENSATED;
      case 10 -> BranchStatus.SKIPPED;
      default -> throw new IllegalArgumentException("unknown branch status code " + code + " in transaction record");
    };
  }

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private static int zigzag(int v) {
    return (v << 1) ^ (v >> 31);
  }

  private static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  private static int unzigzag(int v) {
    return (v >>> 1) ^ -(v & 1);
  }

  /** A growable byte array; one per encode, never shared. */
  private static final class Writer {
    private byte[] buf;
    private int pos;

    Writer(int capacity) {
      buf = new byte[Math.max(capacity, 32)];
    }

    private void ensure(int more) {
      if (pos + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
      }
    }

    void writeByte(int b) {
      ensure(1);
      buf[pos++] = (byte) b;
    }

    void writeVarInt(int v) {
      ensure(5);
      while ((v & ~0x7F) != 0) {
        buf[pos++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    void writeVarLong(long v) {
      ensure(10);
      while ((v & ~0x7FL) != 0) {
        buf[pos++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    void writeInstant(Instant t) {
      writeVarLong(zigzag(t.getEpochSecond()));
      writeVarInt(t.getNano());
    }

    /** UTF-8, with lone surrogates in their 3-byte form (see the class comment). */
    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): see below
    void writeString(String s) {
      int chars = s.length();
      int bytes = chars;
      for (int i = 0; i < chars; i++) {
        char c = s.charAt(i);
        if (c >= 0x80) {
          // 2 bytes below U+0800, else 3; a surrogate pair is 4 bytes for its 2 chars: 3 + 1 here.
          bytes += c < 0x800 ? 1 : 2;
          if (Character.isHighSurrogate(c) && i + 1 < chars && Character.isLowSurrogate(s.charAt(i + 1))) {
            i++;
          }
        }
      }
      writeVarInt(bytes);
      ensure(bytes);
      if (bytes == chars) {
        // All ASCII (every other character takes more than one byte), as nearly every gid, URL and
        // payload is: then each byte is the low 8 bits of its char, which this old method copies in
        // bulk, far faster than the loop below (strings are most of a record's bytes).
        s.getBytes(0, chars, buf, pos);
        pos += chars;
        return;
      }
      byte[] b = buf;
      int p = pos;
      for (int i = 0; i < chars; i++) {
        char c = s.charAt(i);
        if (c < 0x80) {
          b[p++] = (byte) c;
        } else if (c < 0x800) {
          b[p++] = (byte) (0xC0 | (c >> 6));
          b[p++] = (byte) (0x80 | (c & 0x3F));
        } else if (Character.isHighSurrogate(c) && i + 1 < chars && Character.isLowSurrogate(s.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, s.charAt(++i));
          b[p++] = (byte) (0xF0 | (cp >> 18));
          b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
          b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
          b[p++] = (byte) (0x80 | (cp & 0x3F));
        } else {
          b[p++] = (byte) (0xE0 | (c >> 12));
          b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          b[p++] = (byte) (0x80 | (c & 0x3F));
        }
      }
      pos = p;
    }
  }

  /** Reads one record; every length is checked against what is left, so corrupt input fails cleanly. */
  private static final class Reader {
    private final byte[] buf;
    private int pos;

    Reader(byte[] buf) {
      this.buf = buf;
    }

    int remaining() {
      return buf.length - pos;
    }

    int readByte() {
      return buf[pos++] & 0xFF;
    }

    int readFlags(int known) {
      int flags = readByte();
      if ((flags & ~known) != 0) {
        throw new IllegalArgumentException("unknown flags " + Integer.toBinaryString(flags) + " in transaction record");
      }
      return flags;
    }

    int readVarFlags(int known) {
      int flags = readVarInt();
      if ((flags & ~known) != 0) {
        throw new IllegalArgumentException("unknown flags " + Integer.toBinaryString(flags) + " in transaction record");
      }
      return flags;
    }

    int readVarInt() {
      int v = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        int b = readByte();
        v |= (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("varint longer than 5 bytes in transaction record");
    }

    long readVarLong() {
      long v = 0;
      for (int shift = 0; shift < 70; shift += 7) {
        int b = readByte();
        v |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("varlong longer than 10 bytes in transaction record");
    }

    /** A count of items that follow; each takes at least one byte, which bounds it. */
    int readCount() {
      int n = readVarInt();
      if (n < 0 || n > remaining()) {
        throw new IllegalArgumentException("count " + n + " exceeds the " + remaining() + " bytes left in transaction record");
      }
      return n;
    }

    Instant readInstant() {
      long seconds = unzigzag(readVarLong());
      int nanos = readVarInt();
      return Instant.ofEpochSecond(seconds, nanos);
    }

    String readString() {
      int len = readCount();
      int start = pos;
      int end = start + len;
      byte[] b = buf;
      int i = start;
      while (i < end && b[i] >= 0) {
        i++;
      }
      pos = end;
      if (i == end) {
        // All ASCII: the JDK builds a compact string straight from the bytes.
        return new String(b, start, len, StandardCharsets.ISO_8859_1);
      }
      char[] out = new char[len];
      int n = 0;
      for (int k = start; k < i; k++) {
        out[n++] = (char) b[k];
      }
      while (i < end) {
        int b0 = b[i++] & 0xFF;
        if (b0 < 0x80) {
          out[n++] = (char) b0;
        } else if ((b0 & 0xE0) == 0xC0 && i < end) {
          out[n++] = (char) (((b0 & 0x1F) << 6) | continuation(b[i++]));
        } else if ((b0 & 0xF0) == 0xE0 && i + 1 < end) {
          int c1 = continuation(b[i++]);
          out[n++] = (char) (((b0 & 0x0F) << 12) | (c1 << 6) | continuation(b[i++]));
        } else if ((b0 & 0xF8) == 0xF0 && i + 2 < end) {
          int c1 = continuation(b[i++]);
          int c2 = continuation(b[i++]);
          int cp = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | continuation(b[i++]);
          if (cp < 0x10000 || cp > Character.MAX_CODE_POINT) {
            throw new IllegalArgumentException("invalid code point in transaction record");
          }
          out[n++] = Character.highSurrogate(cp);
          out[n++] = Character.lowSurrogate(cp);
        } else {
          throw new IllegalArgumentException("invalid UTF-8 in transaction record");
        }
      }
      return new String(out, 0, n);
    }

    private static int continuation(byte b) {
      if ((b & 0xC0) != 0x80) {
        throw new IllegalArgumentException("invalid UTF-8 in transaction record");
      }
      return b & 0x3F;
    }
  }
}
