package io.covenant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpuProbeTest {
  @Test
  void theMemoryProbesChainVisitsEveryIndexBeforeComingBack() {
    int size = 10_000;
    int[] next = CpuProbe.randomCycle(size, 7);
    boolean[] seen = new boolean[size];
    int at = 0;
    for (int i = 0; i < size; i++) {
      assertThat(seen[at]).as("index %d seen twice after %d reads", at, i).isFalse();
      seen[at] = true;
      at = next[at];
    }
    assertThat(at).isZero();
  }

  @Test
  void bothProbesMeasureSomething() {
    assertThat(CpuProbe.memoryNanosPerRead()).isPositive().isFinite();
    assertThat(CpuProbe.sha256MegabytesPerSecond()).isPositive().isFinite();
  }
}
