package io.covenant.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TestDatabaseTest {
  @ParameterizedTest
  @EnumSource(TestDatabase.Kind.class)
  void eachDatabaseIsItsOwnAndCloseDropsIt(TestDatabase.Kind kind) throws Exception {
    try (TestDatabase other = TestDatabase.create(kind, 1)) {
      TestDatabase db = TestDatabase.create(kind, 2);
      String name = db.toString().substring(db.toString().indexOf(':') + 1);
      try (db) {
        assertThat(db.kind()).isEqualTo(kind);
        db.execute("CREATE TABLE probe (id INT PRIMARY KEY)", "INSERT INTO probe VALUES (1)");
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM probe")) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getInt(1)).isEqualTo(1);
        }
        assertThatThrownBy(() -> other.execute("SELECT COUNT(*) FROM probe")).isInstanceOf(SQLException.class);
        assertThat(exists(other, name)).isTrue();
      }
      assertThat(exists(other, name)).as("dropped by close()").isFalse();
    }
  }

  /** Whether the schema (PostgreSQL) or database (MySQL) of that name exists on the server. */
  private static boolean exists(TestDatabase db, String name) throws SQLException {
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT schema_name FROM information_schema.schemata WHERE schema_name = '" + name + "'")) {
      return rs.next();
    }
  }
}
