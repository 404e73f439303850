package io.covenant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What the driver reads from the coordinator's answers: the transaction's status, from a summary or a view. */
class DriverTest {
  @Test
  void readsTheStatusOfASummary() {
    assertThat(Driver.status("{\"gid\":\"bench-1-7\",\"status\":\"committed\"}")).isEqualTo("committed");
  }

  @Test
  void readsTheTransactionsStatusOfAViewNotABranchs() {
    String view = "{\"gid\":\"bench-1-7\",\"mode\":\"tcc\",\"status\":\"committing\",\"stuck\":false,"
        + "\"branches\":[{\"branchId\":\"b0\",\"status\":\"confirmed\",\"attempts\":0}]}";
    assertThat(Driver.status(view)).isEqualTo("committing");
  }

  @Test
  void hasNoStatusForAnEmptyOrForeignAnswer() {
    assertThat(Driver.status(null)).isNull();
    assertThat(Driver.status("")).isNull();
    assertThat(Driver.status("{\"status\":\"unterminated")).isNull();
  }
}
