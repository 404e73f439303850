package io.covenant.tcc.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/** Reflective calls that throw what the called method threw. Not API. */
public final class Invocations {
  private Invocations() {}

  /** Calls {@code method} on {@code target}; rethrows the method's own exception unwrapped. */
  public static Object invoke(Method method, Object target, Object[] args) throws Exception {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  /** Makes a public method of a class that is not public callable (e.g. a nested class). */
  public static Method accessible(Method method) {
    method.trySetAccessible();
    return method;
  }
}
