package io.covenant.tcc.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Branch ids for the tries a global transaction calls: the action's name, then {@code name-2},
 * {@code name-3}, … when one transaction calls the same action again, so that each call is a branch
 * of its own. Counted per transaction begun on this thread by a {@code @GlobalTransactional} method;
 * a try called outside such a scope (the transaction joined from an incoming request) gets the bare
 * name. Not API.
 */
public final class BranchNames {
  private static final ThreadLocal<Deque<Scope>> SCOPES = ThreadLocal.withInitial(ArrayDeque::new);

  private BranchNames() {}

  /** Counts branch names for {@code gid} on this thread until the returned scope closes. */
  public static Scope open(String gid) {
    Scope scope = new Scope(gid);
    SCOPES.get().push(scope);
    return scope;
  }

  /** The branch id of the next call of action {@code name} in transaction {@code gid}. */
  public static String next(String gid, String name) {
    for (Scope scope : SCOPES.get()) {
      if (scope.gid.equals(gid)) {
        int n = scope.counts.merge(name, 1, Integer::sum);
        return n == 1 ? name : name + "-" + n;
      }
    }
    return name;
  }

  /** One transaction's counts. */
  public static final class Scope implements AutoCloseable {
    private final String gid;
    private final Map<String, Integer> counts = new HashMap<>();

    private Scope(String gid) {
      this.gid = gid;
    }

    @Override
    public void close() {
      Deque<Scope> scopes = SCOPES.get();
      for (Iterator<Scope> it = scopes.iterator(); it.hasNext(); ) {
        if (it.next() == this) {
          it.remove();
          break;
        }
      }
      if (scopes.isEmpty()) {
        SCOPES.remove();
      }
    }
  }
}
