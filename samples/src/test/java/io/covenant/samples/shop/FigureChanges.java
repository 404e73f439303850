package io.covenant.samples.shop;

import io.covenant.testkit.Branch;
import io.covenant.testkit.EffectProbe;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link EffectProbe} over figures that belong to no branch (the stock of an item, the balance of
 * a customer): the effect of a branch is how each figure changed since the probe first looked at the
 * branch's gid, as {@code {available=-1, reserved=1}}. The participant test kit looks at a fresh gid
 * before its first call, and runs one scenario at a time, so nothing else moves the figures in
 * between. (A single number the kit compares as a change by itself; two figures need this.)
 */
final class FigureChanges implements EffectProbe {
  /** Reads the figures now, in a stable order. */
  @FunctionalInterface
  interface Figures {
    Map<String, Long> read() throws Exception;
  }

  private final Figures figures;
  private final Map<String, Map<String, Long>> firstLook = new ConcurrentHashMap<>();

  FigureChanges(Figures figures) {
    this.figures = figures;
  }

  @Override
  public Object observe(Branch branch) throws Exception {
    Map<String, Long> now = figures.read();
    Map<String, Long> first = firstLook.computeIfAbsent(branch.gid(), gid -> now);
    Map<String, Long> change = new LinkedHashMap<>();
    now.forEach((figure, value) -> change.put(figure, value - first.get(figure)));
    return change;
  }
}
