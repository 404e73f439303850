package io.covenant.tcc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpHandler;
import io.covenant.client.BusinessRefusal;
import io.covenant.client.CovenantClient;
import io.covenant.client.CovenantClientException;
import io.covenant.client.ParticipantCall;
import io.covenant.client.ParticipantDispatcher;
import io.covenant.client.TransactionContext;
import io.covenant.client.barrier.Barrier;
import io.covenant.client.barrier.BarrierMode;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.Op;
import io.covenant.protocol.RegisterBranchRequest;
import io.covenant.tcc.internal.BranchNames;
import io.covenant.tcc.internal.Invocations;
import io.covenant.tcc.internal.TccJson;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Serves the {@link TccAction}s of a participant's beans over HTTP: the initiator's try, and the
 * coordinator's confirm and cancel, each behind the branch barrier, which is on by default.
 *
 * <pre>{@code
 * TccParticipant stock = TccParticipant.builder(client)
 *     .callbackUrl(URI.create("http://stock.internal:9001/tcc"))   // where httpHandler() is mounted
 *     .dataSource(dataSource)                                        // the barrier's (and the methods') database
 *     .bean(new StockService())
 *     .build();
 * server.createContext("/tcc", stock.httpHandler());
 * }</pre>
 *
 * <p>Each action is the resource {@code <callbackUrl>/<action name>} and takes every op there:
 * <ul>
 *   <li><b>try</b> (from the initiator, e.g. through {@link Tcc#remote}), body = the arguments as a
 *       JSON array: registers the branch (id from {@code Covenant-Branch}) with the coordinator, with
 *       this resource as its confirm and cancel URL and the arguments as its payload, <em>then</em>
 *       runs the try method behind the barrier. A transaction that is decided already refuses the
 *       try (409), which then does not run.</li>
 *   <li><b>confirm</b> and <b>cancel</b> (from the coordinator), body = that payload: run the
 *       {@link Confirm} or {@link Cancel} method with the try's arguments, behind the barrier.</li>
 * </ul>
 * The methods run on the HTTP server's thread, in the barrier's local transaction, whose connection
 * is {@link TccConnection#current()}; the call's gid and branch are the current
 * {@link TransactionContext}. Thread-safe once built.
 */
public final class TccParticipant {
  private final CovenantClient client;
  private final String callbackUrl;
  private final Barrier barrier;
  private final ObjectMapper json;
  private final Map<String, ActionDefinition> actions;
  private final boolean registersBranches;
  private final ParticipantDispatcher dispatcher;

  private TccParticipant(CovenantClient client, String callbackUrl, Barrier barrier, ObjectMapper json,
      Map<String, ActionDefinition> actions, boolean registersBranches) {
    this.client = client;
    this.registersBranches = registersBranches;
    this.callbackUrl = callbackUrl;
    this.barrier = barrier;
    this.json = json;
    this.actions = actions;
    ParticipantDispatcher.Builder routes = ParticipantDispatcher.builder().objectMapper(json);
    for (ActionDefinition action : actions.values()) {
      routes.on(action.name(), Op.TRY, call -> runTry(action, call.gid(), call.branchId(), arguments(action, call)));
      routes.on(action.name(), Op.CONFIRM, call -> finish(action, call, action.confirmMethod()));
      routes.on(action.name(), Op.CANCEL, call -> finish(action, call, action.cancelMethod()));
    }
    this.dispatcher = routes.build();
  }

  /** A participant that registers its branches through {@code client}. */
  public static Builder builder(CovenantClient client) {
    return new Builder(client);
  }

  /** Routes the calls; for a Servlet container ({@code DispatcherServlet}) or a server of your own. */
  public ParticipantDispatcher dispatcher() {
    return dispatcher;
  }

  /** {@link #dispatcher()} for a JDK {@code HttpServer}, mounted at the path of {@link Builder#callbackUrl}. */
  public HttpHandler httpHandler() {
    return dispatcher.httpHandler();
  }

  /** The names of the actions served. */
  public Set<String> actions() {
    return actions.keySet();
  }

  /** The barrier guarding the actions, if any ({@link Builder#withoutBarrier()} makes none). */
  public Optional<Barrier> barrier() {
    return Optional.ofNullable(barrier);
  }

  /**
   * The bean implementing {@code api}, for callers in this JVM: its {@link TccAction} methods do what
   * an HTTP try does (register the branch with the current transaction, then run behind the barrier),
   * with a branch id made from the action's name; other methods go straight to the bean.
   *
   * @throws IllegalArgumentException when no bean, or more than one, implements {@code api}
   */
  @SuppressWarnings("try") // the scope is used for its close() alone
  public <T> T local(Class<T> api) {
    if (!api.isInterface()) {
      throw new IllegalArgumentException(api.getName() + " is not an interface");
    }
    List<Object> beans = new ArrayList<>();
    for (ActionDefinition a : actions.values()) {
      if (api.isInstance(a.bean()) && beans.stream().noneMatch(b -> b == a.bean())) {
        beans.add(a.bean());
      }
    }
    if (beans.size() != 1) {
      throw new IllegalArgumentException((beans.isEmpty() ? "no bean" : beans.size() + " beans")
          + " of this participant implement " + api.getName());
    }
    Object bean = beans.get(0);
    Map<Method, ActionDefinition> byMethod = new LinkedHashMap<>();
    for (Method m : api.getMethods()) {
      for (ActionDefinition a : actions.values()) {
        if (a.bean() == bean && a.tryMethod().getName().equals(m.getName())
            && Arrays.equals(a.tryMethod().getParameterTypes(), m.getParameterTypes())) {
          byMethod.put(m, a);
        }
      }
    }
    Object proxy = Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api}, (self, method, args) -> {
      ActionDefinition action = byMethod.get(method);
      if (action != null) {
        String gid = TransactionContext.current().map(TransactionContext::gid).orElseThrow(() ->
            new IllegalStateException("the try " + action.name() + " must be called inside a global transaction"
                + " (a @GlobalTransactional method)"));
        String branchId = BranchNames.next(gid, action.name());
        try (TransactionContext.Scope scope = TransactionContext.bind(gid, branchId)) {
          runTry(action, gid, branchId, args == null ? new Object[0] : args);
        }
        return null;
      }
      if (method.getDeclaringClass() == Object.class) {
        return objectMethod(self, method, args, "local TCC proxy of " + bean);
      }
      return Invocations.invoke(method, bean, args);
    });
    return api.cast(proxy);
  }

  static Object objectMethod(Object self, Method method, Object[] args, String description) {
    return switch (method.getName()) {
      case "equals" -> self == args[0];
      case "hashCode" -> System.identityHashCode(self);
      case "toString" -> description;
      default -> throw new UnsupportedOperationException(method.toString());
    };
  }

  private Object[] arguments(ActionDefinition action, ParticipantCall call) {
    return action.arguments(json, call.payload());
  }

  /** Registers the branch (answered with a summary: only its status matters), then runs the try behind the barrier. */
  private void runTry(ActionDefinition action, String gid, String branchId, Object[] args) throws Exception {
    if (registersBranches) {
      ArrayNode payload = action.payload(json, args);
      String url = callbackUrl + "/" + action.name();
      try {
        client.registerForSummary(gid, RegisterBranchRequest.tcc(branchId, url, url, payload));
      } catch (CovenantClientException e) {
        if (e.code() == ErrorCode.TRANSACTION_NOT_ACTIVE || e.code() == ErrorCode.TRANSACTION_NOT_FOUND) {
          throw new BusinessRefusal("the try of branch " + branchId + " is not run: " + e.detail(), e);
        }
        throw e;
      }
    }
    if (barrier == null) {
      Invocations.invoke(action.tryMethod(), action.bean(), args);
      return;
    }
    Barrier guard = action.outsideEffects() ? barrier.withMode(BarrierMode.OUTSIDE_EFFECTS) : barrier;
    guard.run(gid, branchId, Op.TRY,
        connection -> TccConnection.with(connection, () -> Invocations.invoke(action.tryMethod(), action.bean(), args)));
  }

  private void finish(ActionDefinition action, ParticipantCall call, Method method) throws Exception {
    Object[] args = arguments(action, call);
    if (barrier == null) {
      Invocations.invoke(method, action.bean(), args);
      return;
    }
    barrier.run(call, connection -> TccConnection.with(connection, () -> Invocations.invoke(method, action.bean(), args)));
  }

  @Override
  public String toString() {
    return "TccParticipant{" + callbackUrl + " " + actions.keySet() + (barrier == null ? ", no barrier" : ", " + barrier) + "}";
  }

  /**
   * Configures a {@link TccParticipant}: {@link #callbackUrl}, the barrier's {@link #dataSource} (or a
   * {@link #barrier} of your own, or explicitly {@link #withoutBarrier()}), and at least one
   * {@link #bean}.
   */
  public static final class Builder {
    private final CovenantClient client;
    private URI callbackUrl;
    private DataSource dataSource;
    private Barrier barrier;
    private boolean withoutBarrier;
    private boolean createBarrierTable;
    private ObjectMapper json = TccJson.mapper();
    private boolean registersBranches = true;
    private final List<Object> beans = new ArrayList<>();

    private Builder(CovenantClient client) {
      this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * The URL at which the coordinator reaches this participant's {@link #httpHandler()} (where it is
     * mounted), e.g. {@code http://stock.internal:9001/tcc}; each action is a resource below it.
     */
    public Builder callbackUrl(URI callbackUrl) {
      this.callbackUrl = Objects.requireNonNull(callbackUrl, "callbackUrl");
      return this;
    }

    /** The database of the barrier table, and of the connection the methods get: the barrier on it, default settings. */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /** Whether to create the barrier table at {@code build()} when it is missing (with {@link #dataSource}). */
    public Builder createBarrierTable(boolean create) {
      this.createBarrierTable = create;
      return this;
    }

    /** A barrier configured by you (table name, dialect, mode) instead of {@link #dataSource}. */
    public Builder barrier(Barrier barrier) {
      this.barrier = Objects.requireNonNull(barrier, "barrier");
      return this;
    }

    /**
     * No barrier: the methods are called as they are, so each must itself be idempotent, accept a
     * cancel without a try, and refuse a try after its cancel; {@link TccConnection} is unavailable.
     */
    public Builder withoutBarrier() {
      this.withoutBarrier = true;
      return this;
    }

    /** The mapper of the try arguments (the branch payload); by default with java.time support. */
    public Builder objectMapper(ObjectMapper json) {
      this.json = Objects.requireNonNull(json, "json");
      return this;
    }

    /**
     * Whether a try registers its branch before it runs (the default). Turn it off only when every
     * initiator registers each branch itself before calling the try, with this participant's
     * {@code <callbackUrl>/<action>} as confirm and cancel URL and the arguments as a JSON array as
     * payload: a non-Java initiator, or a test kit that calls the endpoints directly.
     */
    public Builder registersBranches(boolean registersBranches) {
      this.registersBranches = registersBranches;
      return this;
    }

    /** A bean with {@link TccAction} methods to serve. */
    public Builder bean(Object bean) {
      beans.add(Objects.requireNonNull(bean, "bean"));
      return this;
    }

    /**
     * @throws IllegalStateException naming what is missing or contradictory
     * @throws IllegalArgumentException when a bean's annotations do not fit together
     * @throws SQLException when the barrier cannot reach its database or create its table
     */
    public TccParticipant build() throws SQLException {
      if (callbackUrl == null) {
        throw new IllegalStateException("callbackUrl is required: where the coordinator reaches httpHandler(),"
            + " e.g. http://stock.internal:9001/tcc");
      }
      String scheme = callbackUrl.getScheme();
      if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || callbackUrl.getHost() == null) {
        throw new IllegalStateException("callbackUrl must be an absolute http(s) URL, was " + callbackUrl);
      }
      int set = (dataSource != null ? 1 : 0) + (barrier != null ? 1 : 0) + (withoutBarrier ? 1 : 0);
      if (set != 1) {
        throw new IllegalStateException("a TCC participant needs exactly one of dataSource(...) (the barrier, on by"
            + " default), barrier(...) or withoutBarrier(); " + (set == 0 ? "none was set" : "several were set"));
      }
      if (beans.isEmpty()) {
        throw new IllegalStateException("a TCC participant needs at least one bean(...) with @TccAction methods");
      }
      Barrier guard = barrier;
      if (dataSource != null) {
        guard = Barrier.builder(dataSource).createTable(createBarrierTable).build();
      }
      Map<String, ActionDefinition> actions = new LinkedHashMap<>();
      for (Object bean : beans) {
        for (ActionDefinition a : ActionDefinition.scan(bean, json).values()) {
          if (actions.putIfAbsent(a.name(), a) != null) {
            throw new IllegalArgumentException("two beans have an action named '" + a.name() + "'");
          }
        }
      }
      String base = callbackUrl.toString();
      while (base.endsWith("/")) {
        base = base.substring(0, base.length() - 1);
      }
      return new TccParticipant(client, base, guard, json, Collections.unmodifiableMap(actions), registersBranches);
    }
  }
}
