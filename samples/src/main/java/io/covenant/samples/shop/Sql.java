package io.covenant.samples.shop;

import io.covenant.tcc.TccConnection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Statements through the connection of the running TCC method's local transaction. */
final class Sql {
  private Sql() {}

  /** The number a {@code SELECT COUNT(*)} query answers. */
  static long count(String sql, Object... args) {
    try (PreparedStatement statement = TccConnection.current().prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = statement.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("query failed: " + sql, e);
    }
  }

  /** Runs {@code sql} with {@code args}; returns the affected rows. */
  static int update(String sql, Object... args) {
    try (PreparedStatement statement = TccConnection.current().prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        statement.setObject(i + 1, args[i]);
      }
      return statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("statement failed: " + sql, e);
    }
  }
}
