package io.covenant.tcc;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.covenant.tcc.internal.Invocations;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One {@link TccAction} of a participant bean: its try, confirm and cancel methods, found by their
 * annotations, and how its arguments travel as the branch payload (a JSON array, one element per
 * parameter, read back with the parameters' generic types).
 */
record ActionDefinition(String name, Object bean, Method tryMethod, Method confirmMethod, Method cancelMethod,
    boolean outsideEffects, JavaType[] parameterTypes) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._~-]{1,100}");

  /**
   * The actions of {@code bean}, by name.
   *
   * @throws IllegalArgumentException naming the method when the annotations do not fit together
   */
  static Map<String, ActionDefinition> scan(Object bean, ObjectMapper json) {
    Class<?> type = bean.getClass();
    Map<String, Method> tries = new LinkedHashMap<>();
    Map<String, TccAction> annotations = new LinkedHashMap<>();
    List<Method> confirms = new ArrayList<>();
    List<Method> cancels = new ArrayList<>();
    for (Method method : type.getMethods()) {
      if (method.isBridge() || method.isSynthetic() || Modifier.isStatic(method.getModifiers())) {
        continue;
      }
      TccAction action = find(type, method, TccAction.class);
      if (action != null) {
        String name = action.name().isEmpty() ? method.getName() : action.name();
        if (!NAME.matcher(name).matches()) {
          throw new IllegalArgumentException("@TccAction name '" + name + "' of " + method
              + " must be 1 to 100 of the characters A-Z a-z 0-9 . _ ~ - (it is a URL path segment)");
        }
        if (method.getReturnType() != void.class) {
          throw new IllegalArgumentException("@TccAction " + method + " must return void: a try answers done, or"
              + " refuses by throwing BusinessRefusal");
        }
        if (tries.putIfAbsent(name, method) != null) {
          throw new IllegalArgumentException(type.getName() + " has two @TccAction methods named '" + name + "'");
        }
        annotations.put(name, action);
      }
      if (find(type, method, Confirm.class) != null) {
        confirms.add(method);
      }
      if (find(type, method, Cancel.class) != null) {
        cancels.add(method);
      }
    }
    if (tries.isEmpty()) {
      throw new IllegalArgumentException(type.getName() + " has no @TccAction method");
    }
    Map<String, ActionDefinition> actions = new LinkedHashMap<>();
    for (Map.Entry<String, Method> e : tries.entrySet()) {
      String name = e.getKey();
      Method tryMethod = e.getValue();
      Method confirm = pick(type, name, tryMethod, confirms, tries.size(), "@Confirm",
          m -> find(type, m, Confirm.class).action());
      Method cancel = pick(type, name, tryMethod, cancels, tries.size(), "@Cancel",
          m -> find(type, m, Cancel.class).action());
      JavaType[] parameters = Arrays.stream(tryMethod.getGenericParameterTypes())
          .map(json::constructType).toArray(JavaType[]::new);
      actions.put(name, new ActionDefinition(name, bean, Invocations.accessible(tryMethod),
          Invocations.accessible(confirm), Invocations.accessible(cancel), annotations.get(name).outsideEffects(),
          parameters));
    }
    return actions;
  }

  private interface ActionOf {
    String apply(Method method);
  }

  private static Method pick(Class<?> type, String name, Method tryMethod, List<Method> candidates, int actionCount,
      String annotation, ActionOf actionOf) {
    List<Method> matching = new ArrayList<>();
    for (Method m : candidates) {
      String target = actionOf.apply(m);
      if (target.isEmpty() ? actionCount == 1 : target.equals(name)) {
        matching.add(m);
      }
    }
    if (matching.size() != 1) {
      throw new IllegalArgumentException(type.getName() + " needs exactly one " + annotation + " method for action '"
          + name + "'" + (actionCount > 1 ? " (with action = \"" + name + "\", as the class has several actions)" : "")
          + "; found " + matching);
    }
    Method m = matching.get(0);
    if (!Arrays.equals(m.getGenericParameterTypes(), tryMethod.getGenericParameterTypes())) {
      throw new IllegalArgumentException(annotation + " " + m + " must take the same parameters as its try "
          + tryMethod + ": it receives the try's arguments");
    }
    return m;
  }

  /** {@code annotation} on {@code method}, or on the method it implements in an interface or a superclass. */
  static <A extends Annotation> A find(Class<?> type, Method method, Class<A> annotation) {
    A direct = method.getAnnotation(annotation);
    if (direct != null) {
      return direct;
    }
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      A found = findIn(c, method, annotation);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  private static <A extends Annotation> A findIn(Class<?> c, Method method, Class<A> annotation) {
    try {
      A a = c.getDeclaredMethod(method.getName(), method.getParameterTypes()).getAnnotation(annotation);
      if (a != null) {
        return a;
      }
    } catch (NoSuchMethodException ignored) {
      // not declared here
    }
    for (Class<?> i : c.getInterfaces()) {
      A a = findIn(i, method, annotation);
      if (a != null) {
        return a;
      }
    }
    return null;
  }

  /** The try's arguments as the branch payload. */
  ArrayNode payload(ObjectMapper json, Object[] args) {
    ArrayNode array = json.createArrayNode();
    for (int i = 0; i < parameterTypes.length; i++) {
      array.add(json.<JsonNode>valueToTree(args == null ? null : args[i]));
    }
    return array;
  }

  /**
   * The try's arguments read back from the branch payload.
   *
   * @throws IllegalArgumentException when the payload does not fit the parameters
   */
  Object[] arguments(ObjectMapper json, JsonNode payload) {
    if (!payload.isArray() || payload.size() != parameterTypes.length) {
      throw new IllegalArgumentException("the payload of action '" + name + "' must be a JSON array of "
          + parameterTypes.length + " argument(s), was " + abbreviate(payload.toString()));
    }
    Object[] args = new Object[parameterTypes.length];
    for (int i = 0; i < args.length; i++) {
      try {
        args[i] = json.treeToValue(payload.get(i), parameterTypes[i]);
      } catch (IOException e) {
        throw new IllegalArgumentException("argument " + i + " of action '" + name + "' does not read as "
            + parameterTypes[i] + ": " + e.getMessage(), e);
      }
    }
    return args;
  }

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }
}
