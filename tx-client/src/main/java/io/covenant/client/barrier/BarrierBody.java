package io.covenant.client.barrier;

import java.sql.Connection;

/**
 * The business change a {@link Barrier} guards. It runs at most once per (gid, branch, op) and gets
 * the connection whose local transaction also holds the barrier row: make every change through it,
 * and neither commit, roll back nor close it (the barrier does that).
 */
@FunctionalInterface
public interface BarrierBody {
  void run(Connection connection) throws Exception;
}
