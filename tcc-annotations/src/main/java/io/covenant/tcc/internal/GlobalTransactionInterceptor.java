package io.covenant.tcc.internal;

import io.covenant.client.CovenantClient;
import io.covenant.client.TransactionContext;
import io.covenant.protocol.Mode;
import io.covenant.tcc.GlobalTransactional;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import net.bytebuddy.implementation.bind.annotation.Origin;
import net.bytebuddy.implementation.bind.annotation.RuntimeType;
import net.bytebuddy.implementation.bind.annotation.SuperCall;

/**
 * Runs a {@link GlobalTransactional} method as its propagation says: joined to the current
 * transaction, or in one of its own begun, committed and rolled back through
 * {@link CovenantClient#inGlobalTransaction}. Serves both the JDK proxies and the ByteBuddy
 * subclasses (which call {@link #intercept}). Not API.
 */
public final class GlobalTransactionInterceptor {
  private final CovenantClient client;

  public GlobalTransactionInterceptor(CovenantClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** The entry point of the generated subclasses: {@code method} is the annotated one. */
  @RuntimeType
  public Object intercept(@Origin Method method, @SuperCall Callable<?> superCall) throws Exception {
    return around(method.getAnnotation(GlobalTransactional.class), method, superCall::call);
  }

  /** A method body to run. */
  @FunctionalInterface
  public interface Proceed {
    Object run() throws Exception;
  }

  public Object around(GlobalTransactional annotation, Method method, Proceed proceed) throws Exception {
    if (annotation == null) {
      return proceed.run();
    }
    boolean current = TransactionContext.current().isPresent();
    switch (annotation.propagation()) {
      case REQUIRED:
        return current ? proceed.run() : inNew(annotation, proceed);
      case REQUIRES_NEW:
        return inNew(annotation, proceed);
      case MANDATORY:
        if (!current) {
          throw new IllegalStateException(method + " is @GlobalTransactional(propagation = MANDATORY) and was"
              + " called outside a global transaction");
        }
        return proceed.run();
      case NEVER:
        if (current) {
          throw new IllegalStateException(method + " is @GlobalTransactional(propagation = NEVER) and was called"
              + " inside global transaction " + TransactionContext.current().get().gid());
        }
        return proceed.run();
      case SUPPORTS:
      default:
        return proceed.run();
    }
  }

  @SuppressWarnings("try") // the scope is used for its close() alone
  private Object inNew(GlobalTransactional annotation, Proceed proceed) throws Exception {
    Duration timeout = annotation.timeoutMillis() > 0 ? Duration.ofMillis(annotation.timeoutMillis()) : null;
    return client.inGlobalTransaction(Mode.TCC, timeout, tx -> {
      try (BranchNames.Scope names = BranchNames.open(tx.gid())) {
        return proceed.run();
      }
    });
  }
}
