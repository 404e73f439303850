package io.covenant.coordinator.store.sql;

import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The versioned schema of a SQL store: plain SQL files on the class path, {@code db/<dialect>/V<n>__<words>.sql},
 * applied in version order and recorded in the table {@code covenant_schema_version} (version,
 * description, applied_at, checksum). Users can read the files and apply them by hand.
 *
 * <p>This class knows the files and decides what to do; each store runs the SQL on its own client,
 * under a database lock so that two coordinators starting together apply a migration once
 * (PostgreSQL: {@code pg_advisory_xact_lock}, with the whole run in one transaction; MySQL:
 * {@code GET_LOCK}, statement by statement, since MySQL commits each DDL statement).
 *
 * <p>Checks, at every start: an applied version whose checksum differs from its file's stops the
 * start (someone changed a file that had already run); a row with a null checksum is taken as
 * applied by hand and not compared. A version in the table that this coordinator does not know
 * (a newer coordinator migrated the database) is logged by the store and tolerated.
 *
 * <p>Where a client needs one statement at a time (MySQL), a file is split at each {@code ;} that
 * ends a line, after dropping {@code --} comments and blank lines. That is enough for the DDL these
 * files hold, and the files keep to it: no procedure bodies, no {@code --} or line-ending {@code ;}
 * inside a string.
 *
 * <p>Immutable and thread-safe.
 */
public final class Migrations {
  /** The table that records applied versions. */
  public static final String VERSION_TABLE = "covenant_schema_version";

  private static final Pattern FILE = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");

  /** One versioned file. {@code checksum} is the SHA-256 (hex) of its text with line ends as {@code \n}. */
  public record Migration(int version, String description, String path, String sql, String checksum) {
    /** The statements of the file, in order, without the {@code ;}. */
    public List<String> statements() {
      return split(sql);
    }
  }

  /** A row of {@link #VERSION_TABLE}. {@code checksum} is null for a version applied by hand. */
  public record Applied(int version, String checksum) {}

  private final String dialect;
  private final List<Migration> migrations;

  private Migrations(String dialect, List<Migration> migrations) {
    this.dialect = dialect;
    this.migrations = List.copyOf(migrations);
  }

  /**
   * Loads the named files of {@code db/<dialect>/} from the class path.
   *
   * @throws IllegalStateException when a file is missing, misnamed or two share a version: the build is broken
   */
  public static Migrations load(String dialect, List<String> fileNames) {
    Map<Integer, Migration> byVersion = new TreeMap<>();
    for (String name : fileNames) {
      Matcher m = FILE.matcher(name);
      if (!m.matches()) {
        throw new IllegalStateException("migration file " + name + " is not named V<version>__<words>.sql");
      }
      String path = "db/" + dialect + "/" + name;
      String sql = read(path).replace("\r\n", "\n");
      int version = Integer.parseInt(m.group(1));
      Migration migration = new Migration(version, m.group(2).replace('_', ' '), path, sql, sha256(sql));
      if (byVersion.put(version, migration) != null) {
        throw new IllegalStateException("two migration files of " + dialect + " have version " + version);
      }
    }
    return new Migrations(dialect, new ArrayList<>(byVersion.values()));
  }

  public List<Migration> all() {
    return migrations;
  }

  /** The newest version these files bring the schema to. */
  public int latest() {
    return migrations.isEmpty() ? 0 : migrations.get(migrations.size() - 1).version();
  }

  /**
   * The migrations still to apply, in order, after checking what was applied.
   *
   * @throws CovenantException {@code STORE_UNAVAILABLE} when an applied file was changed since
   */
  public List<Migration> pending(List<Applied> applied, String where) {
    Map<Integer, Applied> done = new TreeMap<>();
    applied.forEach(a -> done.put(a.version(), a));
    List<Migration> pending = new ArrayList<>();
    for (Migration m : migrations) {
      Applied a = done.get(m.version());
      if (a == null) {
        pending.add(m);
      } else if (a.checksum() != null && !a.checksum().equalsIgnoreCase(m.checksum())) {
        throw new CovenantException(ErrorCode.STORE_UNAVAILABLE, "schema version " + m.version() + " in " + where
            + " was applied from a different " + m.path() + " (checksum " + a.checksum() + ", this coordinator's is "
            + m.checksum() + "); restore the original file or fix " + VERSION_TABLE + " by hand");
      }
    }
    return pending;
  }

  /** Versions recorded in the database that these files do not have (a newer coordinator's). */
  public List<Integer> unknown(List<Applied> applied) {
    List<Integer> unknown = new ArrayList<>();
    for (Applied a : applied) {
      if (migrations.stream().noneMatch(m -> m.version() == a.version())) {
        unknown.add(a.version());
      }
    }
    return unknown;
  }

  /**
   * The error for a database that misses migrations while migrating at start is off.
   *
   * @param migrateKey the configuration key that would turn migrating on
   */
  public CovenantException notMigrated(List<Migration> pending, String where, String migrateKey) {
    List<String> files = pending.stream().map(Migration::path).toList();
    return new CovenantException(ErrorCode.STORE_UNAVAILABLE, "the schema in " + where + " lacks " + files
        + "; apply them (and record them in " + VERSION_TABLE + ", see the coordinator-server README) or set "
        + migrateKey + "=true");
  }

  public String dialect() {
    return dialect;
  }

  /** Splits SQL text into statements; see the class comment for what it supports. */
  static List<String> split(String sql) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : sql.split("\n")) {
      int comment = line.indexOf("--");
      String code = (comment >= 0 ? line.substring(0, comment) : line).stripTrailing();
      if (code.isBlank()) {
        continue;
      }
      if (current.length() > 0) {
        current.append('\n');
      }
      if (code.endsWith(";")) {
        current.append(code, 0, code.length() - 1);
        statements.add(current.toString().strip());
        current.setLength(0);
      } else {
        current.append(code);
      }
    }
    if (!current.toString().isBlank()) {
      statements.add(current.toString().strip());
    }
    return statements;
  }

  private static String read(String path) {
    try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("migration " + path + " is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read migration " + path, e);
    }
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
