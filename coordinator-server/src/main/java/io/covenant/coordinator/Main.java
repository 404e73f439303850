package io.covenant.coordinator;

import io.covenant.coordinator.config.ConfigException;
import io.covenant.coordinator.config.CoordinatorConfig;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a coordinator until the process is told to stop.
 *
 * <pre>
 * java -jar coordinator-server-all.jar [config.yaml|config.properties]
 * java -Dcovenant.config=config.yaml -jar coordinator-server-all.jar
 * COVENANT_HTTP_PORT=9090 COVENANT_STORE=memory java -jar coordinator-server-all.jar
 * java -jar coordinator-server-all.jar --help      # every key, its default and its variable
 * </pre>
 *
 * <p>A bad configuration exits with status 2 and a message naming the key; a failure to start
 * (the port is taken, the journal cannot be opened) exits with status 1. A store that is
 * unavailable (a database that does not answer yet) is tried again, with a doubling wait of up to
 * {@value #START_RETRY_MAX_SECONDS} s, each failure logged, for {@value #START_TIMEOUT_SECONDS} s
 * before giving up. SIGTERM / Ctrl-C closes the coordinator gracefully (in-flight requests finish,
 * pending writes become durable).
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);
  static final int EXIT_START_FAILED = 1;
  static final int EXIT_BAD_CONFIG = 2;
  private static final long START_TIMEOUT_SECONDS = 300;
  private static final long STOP_TIMEOUT_SECONDS = 60;
  static final long START_RETRY_MAX_SECONDS = 30;

  private Main() {}

  /**
   * Starts the coordinator; while it fails because the store is unavailable, waits (1 s, doubling,
   * at most {@value #START_RETRY_MAX_SECONDS} s) and tries again, until {@value #START_TIMEOUT_SECONDS} s
   * have passed. Any other failure ends the attempts at once.
   */
  static Coordinator startRetrying(CoordinatorConfig config) throws ExecutionException, TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
    long waitSeconds = 1;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException();
      }
      try {
        return Coordinator.start(config).toCompletionStage().toCompletableFuture().get(left, TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        boolean unavailable = e.getCause() instanceof CovenantException ce && ce.code() == ErrorCode.STORE_UNAVAILABLE;
        if (!unavailable || System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds) - deadline >= 0) {
          throw e;
        }
        log.atWarn().addKeyValue("retryInSeconds", waitSeconds).log("the store is unavailable; trying again: " + e.getCause().getMessage());
        Thread.sleep(TimeUnit.SECONDS.toMillis(waitSeconds)); // the main thread has nothing else to do
        waitSeconds = Math.min(START_RETRY_MAX_SECONDS, waitSeconds * 2);
      }
    }
  }

  public static void main(String[] args) {
    List<String> arguments = Arrays.asList(args);
    if (arguments.contains("--help") || arguments.contains("-h")) {
      System.out.println("usage: java -jar coordinator-server-all.jar [config.properties|config.yaml]");
      System.out.println("The file may also be named by -Dcovenant.config=path or COVENANT_CONFIG.");
      System.out.println("Environment variables override the file. Keys:");
      System.out.println();
      System.out.print(CoordinatorConfig.markdownTable());
      return;
    }
    CoordinatorConfig config;
    try {
      config = CoordinatorConfig.load(arguments, System.getenv(), System.getProperties());
    } catch (ConfigException e) {
      System.err.println("covenant: bad configuration: " + e.getMessage());
      System.exit(EXIT_BAD_CONFIG);
      return;
    }
    Coordinator coordinator;
    try {
      coordinator = startRetrying(config);
    } catch (ExecutionException e) {
      // Coordinator.start has logged the cause with its stack trace.
      System.err.println("covenant: failed to start: " + e.getCause());
      System.exit(EXIT_START_FAILED);
      return;
    } catch (TimeoutException | InterruptedException e) {
      System.err.println("covenant: failed to start within " + START_TIMEOUT_SECONDS + " s");
      System.exit(EXIT_START_FAILED);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        coordinator.close().toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.atWarn().setCause(e).log("coordinator did not stop cleanly");
      }
    }, "covenant-shutdown"));
    String where = config.store() == CoordinatorConfig.StoreKind.JOURNAL
        ? "store=journal dir=" + config.journalDir().toAbsolutePath().normalize()
        : "store=" + config.store().code();
    log.atInfo().log("coordinator listening on http://" + config.httpHost() + ":" + coordinator.port() + " (" + where + ")");
  }
}
