package io.covenant.samples.shop;

import io.covenant.tcc.TccConnection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** Statements through the connection of the running TCC method's local transaction. */
final class Sql {
  private Sql() {}

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
