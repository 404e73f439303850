package io.covenant.tcc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.covenant.client.BusinessRefusal;
import io.covenant.client.CovenantClient;
import io.covenant.client.TransactionContext;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Op;
import io.covenant.tcc.internal.BranchNames;
import io.covenant.tcc.internal.GlobalTransactionInterceptor;
import io.covenant.tcc.internal.Invocations;
import io.covenant.tcc.internal.TccJson;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.loading.ClassInjector;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.implementation.MethodDelegation;
import net.bytebuddy.matcher.ElementMatchers;

/**
 * The initiator's side of annotation-driven TCC: objects whose {@link GlobalTransactional} methods run
 * in a global transaction, and stubs that call a remote participant's {@link TccAction} tries.
 *
 * <pre>{@code
 * Tcc tcc = Tcc.builder(client).build();
 * StockApi stock = tcc.remote(StockApi.class, URI.create("http://stock.internal:9001/tcc"));
 * OrderService orders = tcc.create(OrderService.class, stock, dataSource);   // a class: a generated subclass
 * orders.placeOrder(order);   // @GlobalTransactional: begins, calls the tries, commits (or rolls back and rethrows)
 * }</pre>
 *
 * <ul>
 *   <li>{@link #proxy(Class, Object)}: a JDK dynamic proxy of an interface around your object.</li>
 *   <li>{@link #create(Class, Object...)}: an instance of a generated subclass of a class (ByteBuddy),
 *       made with the constructor that fits the arguments; the class and the annotated methods must be
 *       neither final nor private.</li>
 *   <li>{@link #remote(Class, URI)}: an interface whose {@link TccAction} methods POST the try to a
 *       {@link TccParticipant} with the current transaction's headers.</li>
 * </ul>
 * Thread-safe; share one per service.
 */
public final class Tcc {
  /** The wait before the second attempt of a remote try; it doubles for each further one. */
  private static final Duration RETRY_BACKOFF = Duration.ofMillis(100);

  private final GlobalTransactionInterceptor interceptor;
  /** Per Tcc: a generated subclass holds the interceptor of the Tcc that made it. */
  private final Map<Class<?>, Class<?>> subclasses = new ConcurrentHashMap<>();
  private final ObjectMapper json;
  private final HttpClient http;
  private final Duration tryTimeout;
  private final int tryAttemptsMax;

  private Tcc(CovenantClient client, ObjectMapper json, HttpClient http, Duration tryTimeout, int tryAttemptsMax) {
    this.interceptor = new GlobalTransactionInterceptor(client);
    this.json = json;
    this.http = http;
    this.tryTimeout = tryTimeout;
    this.tryAttemptsMax = tryAttemptsMax;
  }

  public static Builder builder(CovenantClient client) {
    return new Builder(client);
  }

  /**
   * {@code target} behind a JDK dynamic proxy of {@code api}: methods annotated
   * {@link GlobalTransactional} (on the interface or on the target's class) run in a global
   * transaction; the others are passed through.
   */
  public <T> T proxy(Class<T> api, T target) {
    Objects.requireNonNull(target, "target");
    if (!api.isInterface()) {
      throw new IllegalArgumentException(api.getName() + " is not an interface; use create(" + api.getSimpleName()
          + ".class, constructor arguments…) for a class");
    }
    Map<Method, GlobalTransactional> annotated = new ConcurrentHashMap<>();
    for (Method m : api.getMethods()) {
      GlobalTransactional a = ActionDefinition.find(target.getClass(), m, GlobalTransactional.class);
      if (a != null) {
        annotated.put(m, a);
      }
    }
    Object proxy = Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api}, (self, method, args) -> {
      if (method.getDeclaringClass() == Object.class) {
        return TccParticipant.objectMethod(self, method, args, "transactional proxy of " + target);
      }
      Method accessible = Invocations.accessible(method);
      return interceptor.around(annotated.get(method), method, () -> Invocations.invoke(accessible, target, args));
    });
    return api.cast(proxy);
  }

  /**
   * A new instance of a generated subclass of {@code type} whose {@link GlobalTransactional} methods
   * run in a global transaction, made with the constructor of {@code type} that takes
   * {@code constructorArguments}.
   *
   * @throws IllegalArgumentException when {@code type} is final, an annotated method is final, private
   *     or static, or no constructor fits the arguments
   */
  public <T> T create(Class<T> type, Object... constructorArguments) {
    Class<?> subclass = subclasses.computeIfAbsent(type, this::subclass);
    Object[] args = constructorArguments == null ? new Object[0] : constructorArguments;
    List<Constructor<?>> fitting = new ArrayList<>();
    for (Constructor<?> c : subclass.getDeclaredConstructors()) {
      if (fits(c.getParameterTypes(), args)) {
        fitting.add(c);
      }
    }
    if (fitting.size() != 1) {
      throw new IllegalArgumentException((fitting.isEmpty() ? "no constructor" : fitting.size() + " constructors")
          + " of " + type.getName() + " fit(s) " + args.length + " argument(s)" + describe(args));
    }
    try {
      Constructor<?> constructor = fitting.get(0);
      constructor.trySetAccessible();
      Object instance = constructor.newInstance(args);
      return type.cast(instance);
    } catch (ReflectiveOperationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("cannot construct " + type.getName() + ": " + cause, cause);
    }
  }

  private Class<?> subclass(Class<?> type) {
    if (Modifier.isFinal(type.getModifiers()) || type.isInterface() || type.isPrimitive() || type.isArray()) {
      throw new IllegalArgumentException(type.getName() + " must be a class that is not final; use proxy(...) for"
          + " an interface");
    }
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Method m : c.getDeclaredMethods()) {
        int mod = m.getModifiers();
        if (m.isAnnotationPresent(GlobalTransactional.class)
            && (Modifier.isFinal(mod) || Modifier.isPrivate(mod) || Modifier.isStatic(mod))) {
          throw new IllegalArgumentException("@GlobalTransactional " + m + " must be neither final, private nor"
              + " static: a subclass overrides it");
        }
      }
    }
    ClassLoadingStrategy<ClassLoader> strategy;
    try {
      strategy = ClassInjector.UsingLookup.isAvailable()
          ? ClassLoadingStrategy.UsingLookup.of(MethodHandles.privateLookupIn(type, MethodHandles.lookup()))
          : ClassLoadingStrategy.Default.INJECTION;
    } catch (IllegalAccessException e) {
      strategy = ClassLoadingStrategy.Default.INJECTION;
    }
    return new ByteBuddy()
        .subclass(type)
        .method(ElementMatchers.isAnnotatedWith(GlobalTransactional.class))
        .intercept(MethodDelegation.withDefaultConfiguration()
            .filter(ElementMatchers.named("intercept"))   // the interceptor's entry point, never its helpers
            .to(interceptor))
        .make()
        .load(type.getClassLoader(), strategy)
        .getLoaded();
  }

  /**
   * A stub of a remote participant: each {@link TccAction} method of {@code api} POSTs its try to
   * {@code <participantUrl>/<action name>} with the current transaction's {@code Covenant-Gid}, a
   * branch id made from the action's name, {@code Covenant-Op: try}, and the arguments as a JSON
   * array; the participant registers the branch, then runs the try. It returns when the participant
   * answers 2xx; a 409 throws {@link BusinessRefusal} at once. No answer, a 5xx, 408 or 429 is sent
   * again ({@link Builder#tryAttemptsMax}), which the participant's barrier makes safe; when the
   * attempts run out, or for another status, it throws {@link TccTryFailed}. Either exception, left
   * to propagate, rolls the enclosing {@link GlobalTransactional} method back. It blocks the calling
   * thread.
   *
   * @param participantUrl where the participant's {@link TccParticipant#httpHandler()} is mounted
   */
  public <T> T remote(Class<T> api, URI participantUrl) {
    if (!api.isInterface()) {
      throw new IllegalArgumentException(api.getName() + " is not an interface");
    }
    String base = participantUrl.toString().replaceAll("/+$", "");
    Map<Method, String> actions = new ConcurrentHashMap<>();
    for (Method m : api.getMethods()) {
      TccAction a = m.getAnnotation(TccAction.class);
      if (a != null) {
        if (m.getReturnType() != void.class) {
          throw new IllegalArgumentException("@TccAction " + m + " must return void");
        }
        actions.put(m, a.name().isEmpty() ? m.getName() : a.name());
      }
    }
    Object proxy = Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api}, (self, method, args) -> {
      String action = actions.get(method);
      if (action != null) {
        callTry(base, action, args == null ? new Object[0] : args);
        return null;
      }
      if (method.getDeclaringClass() == Object.class) {
        return TccParticipant.objectMethod(self, method, args, "remote TCC participant " + base);
      }
      throw new UnsupportedOperationException(method + " is not a @TccAction: a remote stub calls tries only");
    });
    return api.cast(proxy);
  }

  private void callTry(String base, String action, Object[] args) throws IOException, InterruptedException {
    String gid = TransactionContext.current().map(TransactionContext::gid).orElseThrow(() ->
        new IllegalStateException("the try " + action + " must be called inside a global transaction"
            + " (a @GlobalTransactional method)"));
    String branchId = BranchNames.next(gid, action);
    ArrayNode body = json.createArrayNode();
    for (Object arg : args) {
      body.add(json.valueToTree(arg));
    }
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/" + action))
        .timeout(tryTimeout)
        .header("Content-Type", "application/json")
        .header(Headers.GID, gid)
        .header(Headers.BRANCH, branchId)
        .header(Headers.OP, Op.TRY.code())
        .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)))
        .build();
    TccTryFailed failure = null;
    for (int attempt = 1; attempt <= tryAttemptsMax; attempt++) {
      if (attempt > 1) {
        Thread.sleep(RETRY_BACKOFF.toMillis() << Math.min(attempt - 2, 10));   // 100 ms, 200 ms, …: the initiator blocks anyway
      }
      HttpResponse<String> answer;
      try {
        answer = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        failure = new TccTryFailed("try " + action + " of branch " + branchId + " (gid " + gid + ") got no answer"
            + " from " + base + " in " + attempt + " attempt(s): " + e, 0, e);
        continue;
      }
      int status = answer.statusCode();
      if (status / 100 == 2) {
        return;
      }
      String detail = detail(answer.body());
      if (status == 409) {
        throw new BusinessRefusal(detail.isEmpty() ? "try " + action + " of branch " + branchId + " was refused" : detail);
      }
      failure = new TccTryFailed("try " + action + " of branch " + branchId + " (gid " + gid + ") answered " + status
          + " in " + attempt + " attempt(s)" + (detail.isEmpty() ? "" : ": " + detail), status, null);
      if (status / 100 != 5 && status != 408 && status != 429) {
        break;   // a 4xx other than these will not change on its own
      }
    }
    throw failure;
  }

  private String detail(String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    try {
      JsonNode problem = json.readTree(body);
      if (problem.hasNonNull("detail")) {
        return problem.get("detail").asText();
      }
    } catch (IOException notJson) {
      // the body is not a problem document: show it as it is
    }
    return body.length() > 300 ? body.substring(0, 300) + "…" : body;
  }

  private static boolean fits(Class<?>[] parameters, Object[] args) {
    if (parameters.length != args.length) {
      return false;
    }
    for (int i = 0; i < parameters.length; i++) {
      Class<?> p = parameters[i].isPrimitive() ? boxed(parameters[i]) : parameters[i];
      if (args[i] == null ? parameters[i].isPrimitive() : !p.isInstance(args[i])) {
        return false;
      }
    }
    return true;
  }

  private static Class<?> boxed(Class<?> primitive) {
    return java.lang.invoke.MethodType.methodType(primitive).wrap().returnType();
  }

  private static String describe(Object[] args) {
    List<String> types = new ArrayList<>();
    for (Object a : args) {
      types.add(a == null ? "null" : a.getClass().getSimpleName());
    }
    return " " + types;
  }

  /** Configures a {@link Tcc}. */
  public static final class Builder {
    private final CovenantClient client;
    private ObjectMapper json = TccJson.mapper();
    private HttpClient http;
    private Duration tryTimeout = Duration.ofSeconds(10);
    private int tryAttemptsMax = 3;

    private Builder(CovenantClient client) {
      this.client = Objects.requireNonNull(client, "client");
    }

    /** The mapper of the try arguments; it must read what the participant's writes. */
    public Builder objectMapper(ObjectMapper json) {
      this.json = Objects.requireNonNull(json, "json");
      return this;
    }

    /** The HTTP client for {@link #remote} tries; a new JDK client by default. */
    public Builder httpClient(HttpClient http) {
      this.http = Objects.requireNonNull(http, "http");
      return this;
    }

    /** How long a remote try may take before it counts as failed (and the transaction rolls back); 10 s by default. */
    public Builder tryTimeout(Duration tryTimeout) {
      Objects.requireNonNull(tryTimeout, "tryTimeout");
      if (tryTimeout.isNegative() || tryTimeout.isZero()) {
        throw new IllegalArgumentException("tryTimeout must be positive, was " + tryTimeout);
      }
      this.tryTimeout = tryTimeout;
      return this;
    }

    /**
     * How many times a remote try is sent when it gets no answer or a 5xx, 408 or 429 (3 by default,
     * 100 ms, then 200 ms, … apart). Sending it again is safe: the participant's barrier runs a try
     * once, and a repeat waits for the first attempt and answers as it did.
     */
    public Builder tryAttemptsMax(int tryAttemptsMax) {
      if (tryAttemptsMax < 1) {
        throw new IllegalArgumentException("tryAttemptsMax must be at least 1, was " + tryAttemptsMax);
      }
      this.tryAttemptsMax = tryAttemptsMax;
      return this;
    }

    public Tcc build() {
      HttpClient h = http != null ? http
          : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(tryTimeout).build();
      return new Tcc(client, json, h, tryTimeout, tryAttemptsMax);
    }
  }
}
