package io.covenant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What the driver reads from the coordinator's answers, and when its open loop starts transactions. */
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

  private static final double PER_NANOS = 2000 / 1e9; // 2,000 per second
  private static final long RAMP = 20_000_000_000L; // 20 s

  @Test
  void theOpenLoopRampsUpToItsRateOverTheRampThenKeepsIt() {
    assertThat(Driver.arrivalsBy(0, PER_NANOS, RAMP)).isZero();
    assertThat(Driver.arrivalsBy(RAMP / 2, PER_NANOS, RAMP)).isEqualTo(5_000); // a quarter of the ramp's 20,000 at full rate
    assertThat(Driver.arrivalsBy(RAMP, PER_NANOS, RAMP)).isEqualTo(20_000);
    long second = 1_000_000_000L;
    assertThat(Driver.arrivalsBy(RAMP + 10 * second, PER_NANOS, RAMP) - Driver.arrivalsBy(RAMP + 9 * second, PER_NANOS, RAMP))
        .isEqualTo(2_000);
    assertThat(Driver.arrivalsBy(5 * second, PER_NANOS, 0)).isEqualTo(10_000); // no ramp: the rate from the start
  }

  @Test
  void eachArrivalIsDueWhenTheCountReachesIt() {
    long previous = -1;
    for (long k = 0; k < 60_000; k += 7) {
      long due = Driver.dueTimeOf(k, PER_NANOS, RAMP);
      assertThat(due).isGreaterThan(previous);
      assertThat(Driver.arrivalsBy(due + 1_000, PER_NANOS, RAMP)).isGreaterThanOrEqualTo(k);
      assertThat(Driver.arrivalsBy(due - 1_000, PER_NANOS, RAMP)).isLessThanOrEqualTo(k);
      previous = due;
    }
  }
}
