package io.covenant.testkit;

import java.util.Objects;

/**
 * The branch a scenario works on: the {@code Covenant-Gid} and {@code Covenant-Branch} headers of
 * every call it sends. Each scenario has a gid of its own, so an {@link EffectProbe} looks up
 * exactly what that scenario did.
 */
public record Branch(String gid, String branchId) {
  public Branch {
    Objects.requireNonNull(gid, "gid");
    Objects.requireNonNull(branchId, "branchId");
  }

  @Override
  public String toString() {
    return "gid " + gid + ", branch " + branchId;
  }
}
