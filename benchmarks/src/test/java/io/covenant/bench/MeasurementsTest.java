package io.covenant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MeasurementsTest {
  @Test
  void phaseSplitsTheRunAtTheWindowsEdgesWhateverTheSignOfNanoTime() {
    for (long start : new long[] {0, 1_000_000_000L, -5_000_000_000L, Long.MAX_VALUE / 4, Long.MIN_VALUE / 4}) {
      long windowStart = start + 90_000_000_000L;
      long windowEnd = windowStart + 30_000_000_000L;
      Measurements m = new Measurements(start, windowStart, windowEnd);

      assertThat(m.phase(start)).isEqualTo(Measurements.WARM_UP);
      assertThat(m.phase(windowStart - 1)).isEqualTo(Measurements.WARM_UP);
      assertThat(m.phase(windowStart)).isEqualTo(Measurements.WINDOW);
      assertThat(m.phase(windowEnd - 1)).isEqualTo(Measurements.WINDOW);
      assertThat(m.phase(windowEnd)).isEqualTo(Measurements.DRAIN);
      assertThat(m.phase(windowEnd + 600_000_000_000L)).isEqualTo(Measurements.DRAIN);
    }
  }

  @Test
  void onlyTransactionsDueInTheWindowCountInItsLatencies() {
    Measurements m = new Measurements(0, 10, 20);
    m.started(5);
    m.started(15);
    TxRecord warm = new TxRecord("w", io.covenant.protocol.Mode.SAGA, 1, -1, 5, m.phase(5), tx -> {});
    TxRecord measured = new TxRecord("m", io.covenant.protocol.Mode.SAGA, 1, -1, 15, m.phase(15), tx -> {});
    for (TxRecord tx : new TxRecord[] {warm, measured}) {
      tx.decided(tx.intendedNanos + 3_000_000, null);
      tx.received(TxRecord.ACTION, 0, tx.intendedNanos + 4_000_000);
      m.finished(tx);
    }

    assertThat(m.measuredStarted()).isEqualTo(1);
    assertThat(m.decision().getTotalCount()).isEqualTo(1);
    assertThat(m.decision().getMaxValue()).isBetween(2_990L, 3_010L); // µs
    assertThat(m.decidedInWindow()).isZero(); // decided at 3,000,005 ns: after the window
    assertThat(measured.measured()).isTrue();
    assertThat(warm.measured()).isFalse();
  }
}
