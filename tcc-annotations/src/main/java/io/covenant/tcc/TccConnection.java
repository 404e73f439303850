package io.covenant.tcc;

import java.sql.Connection;

/**
 * The connection of the local transaction a {@link TccAction} try, {@link Confirm} or {@link Cancel}
 * method runs in: the one that also holds the branch barrier's row. Make the method's changes
 * through it, so that they commit with the barrier row or not at all; do not commit, roll back or
 * close it.
 */
public final class TccConnection {
  private static final ThreadLocal<Connection> CURRENT = new ThreadLocal<>();

  private TccConnection() {}

  /**
   * The connection of the running try, confirm or cancel, on its thread.
   *
   * @throws IllegalStateException outside such a method, or when the participant runs without a barrier
   */
  public static Connection current() {
    Connection connection = CURRENT.get();
    if (connection == null) {
      throw new IllegalStateException("no TCC local transaction on this thread: TccConnection.current() works"
          + " inside a @TccAction, @Confirm or @Cancel method called by a TccParticipant with a barrier");
    }
    return connection;
  }

  static <T> T with(Connection connection, ThrowingSupplier<T> work) throws Exception {
    Connection previous = CURRENT.get();
    CURRENT.set(connection);
    try {
      return work.get();
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }

  @FunctionalInterface
  interface ThrowingSupplier<T> {
    T get() throws Exception;
  }
}
