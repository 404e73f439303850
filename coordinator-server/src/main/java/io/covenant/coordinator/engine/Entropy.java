package io.covenant.coordinator.engine;

/** Ids and randomness, injected so that a seeded simulation replays exactly. */
public interface Entropy {

  /** A fresh, unguessable global transaction id. */
  String newGid();

  /** A uniform number in [0, 1), for retry jitter. */
  double nextDouble();
}
