package io.covenant.client;

import static io.covenant.protocol.Op.ACTION;
import static io.covenant.protocol.Op.CANCEL;
import static io.covenant.protocol.Op.COMMIT;
import static io.covenant.protocol.Op.COMPENSATE;
import static io.covenant.protocol.Op.CONFIRM;
import static io.covenant.protocol.Op.TRY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import com.fasterxml.jackson.databind.JsonNode;
import io.covenant.client.internal.ClientJson;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.BranchView;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Mode;
import io.covenant.protocol.Op;
import io.covenant.protocol.SagaRequest;
import io.covenant.protocol.SagaStep;
import io.covenant.protocol.TransactionPage;
import io.covenant.protocol.TransactionView;
import io.covenant.testsupport.TestCoordinator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client against a real coordinator (memory store) and a real participant service (a JDK
 * HttpServer serving a {@link ParticipantDispatcher}): the initiator's view of TCC, 2PC and sagas,
 * and the problems it gets back. Issue #4.
 */
@SuppressWarnings("try") // scopes are used for their close() alone
class CovenantClientTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Duration END = Duration.ofSeconds(10);

  /** What the shop participant reserves and charges; read with {@link ParticipantCall#payloadAs}. */
  record Order(String sku, int qty, int amount) {}

  static TestCoordinator coordinator;
  static TestParticipant shop;
  static CovenantClient client;
  static HttpClient http = PropagatingHttpClient.wrap(HttpClient.newHttpClient());
  /** The context each stock try saw while its handler ran, by gid. */
  static final Map<String, TransactionContext> contextInTry = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    coordinator = TestCoordinator.memory();
    shop = TestParticipant.serve(ParticipantDispatcher.builder()
        .on("stock", TRY, call -> {
          contextInTry.put(call.gid(), TransactionContext.current().orElseThrow());
          Order order = call.payloadAs(Order.class);
          if (order.qty() > 10) {
            throw new BusinessRefusal("only 10 of " + order.sku() + " left");
          }
        })
        .on("stock", CONFIRM, call -> {})
        .on("stock", CANCEL, call -> {})
        .on("payment", TRY, call -> {
          if (call.payloadAs(Order.class).amount() > 100) {
            throw new BusinessRefusal("insufficient funds");
          }
        })
        .on("payment", CONFIRM, call -> {})
        .on("payment", CANCEL, call -> {})
        .on("ledger", Op.COMMIT, call -> {})
        .on("ledger", Op.ROLLBACK, call -> {})
        .on("reserve", ACTION, call -> {})
        .on("reserve", COMPENSATE, call -> {})
        .on("ship", ACTION, call -> {
          if (call.payload().path("refuse").asBoolean()) {
            throw new BusinessRefusal("no courier for " + call.payload().path("to").asText());
          }
        })
        .on("ship", COMPENSATE, call -> {})
        .build());
    client = CovenantClient.builder().coordinator(coordinator.uri()).requestTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    shop.close();
    coordinator.close();
  }

  /** The initiator's call of a try: the context (gid, branch, op try) travels as headers. */
  static HttpResponse<String> callTry(String url, Order order) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(ClientJson.mapper().writeValueAsBytes(order)))
        .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void commitsWhenTheBodyReturnsAndTheCoordinatorConfirmsEachBranchOnce() throws Exception {
    Order order = new Order("A-1", 2, 30);

    String gid = client.inGlobalTransaction(Mode.TCC, TIMEOUT, tx -> {
      assertThat(TransactionContext.current()).contains(TransactionContext.of(tx.gid(), null));
      for (String branch : List.of("stock", "payment")) {
        tx.registerTcc(branch, shop.url(branch), shop.url(branch), order);
        try (var scope = tx.branch(branch)) {
          assertThat(callTry(shop.url(branch), order).statusCode()).isEqualTo(200);
        }
      }
      return tx.gid();
    });

    assertThat(TransactionContext.current()).isEmpty();
    TransactionView end = client.awaitEnd(gid, END);
    assertThat(end.status()).isEqualTo(GlobalStatus.COMMITTED);
    assertThat(end.branches()).extracting(BranchView::branchId, BranchView::status).containsExactly(
        tuple("stock", BranchStatus.CONFIRMED),
        tuple("payment", BranchStatus.CONFIRMED));
    assertThat(shop.ops(gid, "stock")).containsExactly(TRY, CONFIRM);
    assertThat(shop.ops(gid, "payment")).containsExactly(TRY, CONFIRM);
    assertThat(contextInTry.get(gid)).isEqualTo(TransactionContext.of(gid, "stock"));
  }

  @Test
  void rollsBackAndRethrowsWhenTheBodyThrows() {
    Order order = new Order("A-2", 1, 10);
    AtomicReference<String> gid = new AtomicReference<>();
    IllegalStateException failure = new IllegalStateException("the payment service is down");

    assertThatThrownBy(() -> client.inGlobalTransaction(Mode.TCC, TIMEOUT, tx -> {
      gid.set(tx.gid());
      tx.registerTcc("stock", shop.url("stock"), shop.url("stock"), order);
      try (var scope = tx.branch("stock")) {
        assertThat(callTry(shop.url("stock"), order).statusCode()).isEqualTo(200);
      }
      throw failure;
    })).isSameAs(failure);

    assertThat(failure.getSuppressed()).isEmpty();
    assertThat(TransactionContext.current()).isEmpty();
    assertThat(client.awaitEnd(gid.get(), END).status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    assertThat(shop.ops(gid.get(), "stock")).containsExactly(TRY, CANCEL);
  }

  @Test
  void aRefusedTryReachesTheInitiatorWhichRollsBackEveryBranch() {
    AtomicReference<String> gid = new AtomicReference<>();
    AtomicReference<HttpResponse<String>> refused = new AtomicReference<>();

    assertThatThrownBy(() -> client.inGlobalTransaction(Mode.TCC, TIMEOUT, tx -> {
      gid.set(tx.gid());
      Order order = new Order("A-3", 1, 500);
      for (String branch : List.of("stock", "payment")) {
        tx.registerTcc(branch, shop.url(branch), shop.url(branch), order);
        try (var scope = tx.branch(branch)) {
          HttpResponse<String> answer = callTry(shop.url(branch), order);
          if (answer.statusCode() == 409) {
            refused.set(answer);
            throw new BusinessRefusal(branch + " refused: " + answer.body());
          }
        }
      }
      return null;
    })).isInstanceOf(BusinessRefusal.class).hasMessageStartingWith("payment refused");

    HttpResponse<String> answer = refused.get();
    assertThat(answer.headers().firstValue("Content-Type")).contains(Headers.PROBLEM_JSON);
    JsonNode problem = readTree(answer.body());
    assertThat(problem.path("type").asText()).isEqualTo(BusinessRefusal.TYPE);
    assertThat(problem.path("status").asInt()).isEqualTo(409);
    assertThat(problem.path("detail").asText()).isEqualTo("insufficient funds");
    assertThat(problem.path("gid").asText()).isEqualTo(gid.get());
    assertThat(problem.path("retryable").asBoolean()).isFalse();

    assertThat(client.awaitEnd(gid.get(), END).status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    assertThat(shop.ops(gid.get(), "stock")).containsExactly(TRY, CANCEL);
    assertThat(shop.ops(gid.get(), "payment")).containsExactly(TRY, CANCEL); // a null compensation
  }

  @Test
  void twoPhaseBranchesAreCommittedByTheCoordinator() {
    String gid = client.inGlobalTransaction(Mode.TWO_PHASE, TIMEOUT, tx -> {
      tx.registerTwoPhase("ledger", shop.url("ledger"), shop.url("ledger"), Map.of("debit", 30));
      return tx.gid();
    });

    TransactionView end = client.awaitEnd(gid, END);
    assertThat(end.status()).isEqualTo(GlobalStatus.COMMITTED);
    assertThat(end.branches().get(0).payload().path("debit").asInt()).isEqualTo(30);
    assertThat(shop.ops(gid, "ledger")).containsExactly(COMMIT);
  }

  @Test
  void aSubmittedSagaGetsAGidAndRunsToItsEnd() {
    SagaRequest saga = new SagaRequest(null, null, null, List.of(
        SagaStep.of("reserve", shop.url("reserve"), shop.url("reserve")),
        SagaStep.of("ship", shop.url("ship"), shop.url("ship"))));

    TransactionView submitted = client.submit(saga);

    assertThat(submitted.gid()).isNotBlank();
    assertThat(submitted.mode()).isEqualTo(Mode.SAGA);
    assertThat(client.awaitEnd(submitted.gid(), END).status()).isEqualTo(GlobalStatus.COMMITTED);
    assertThat(shop.calls(submitted.gid())).extracting(TestParticipant.Seen::branchId, TestParticipant.Seen::op)
        .containsExactly(tuple("reserve", ACTION),
            tuple("ship", ACTION));
  }

  @Test
  void aSagaWhoseStepIsRefusedIsCompensatedInReverseOrder() {
    JsonNode refuse = ClientJson.mapper().valueToTree(Map.of("refuse", true, "to", "Atlantis"));
    SagaRequest saga = new SagaRequest("order-" + System.nanoTime(), null, null, List.of(
        SagaStep.of("reserve", shop.url("reserve"), shop.url("reserve")),
        new SagaStep("ship", shop.url("ship"), shop.url("ship"), refuse, null, null, null, null)));

    String gid = client.submit(saga).gid();

    TransactionView end = client.awaitEnd(gid, END);
    assertThat(end.status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    assertThat(end.reason()).contains("no courier for Atlantis");
    assertThat(shop.calls(gid)).extracting(TestParticipant.Seen::branchId, TestParticipant.Seen::op).containsExactly(
        tuple("reserve", ACTION),
        tuple("ship", ACTION),
        tuple("ship", COMPENSATE),
        tuple("reserve", COMPENSATE));
  }

  @Test
  void anUnknownGidIsTransactionNotFound() {
    assertThatThrownBy(() -> client.get("no-such-gid"))
        .asInstanceOf(type(CovenantClientException.class))
        .satisfies(e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.TRANSACTION_NOT_FOUND);
          assertThat(e.status()).isEqualTo(404);
          assertThat(e.gid()).isEqualTo("no-such-gid");
          assertThat(e.retryable()).isFalse();
          assertThat(e.detail()).contains("no-such-gid");
          assertThat(e.getMessage()).startsWith("get gid=no-such-gid: 404 transaction-not-found: ");
        });
    assertThat(client.find("no-such-gid")).isEmpty();
  }

  @Test
  void problemsMapToTheirErrorCodes() {
    assertThatThrownBy(() -> client.begin("not a valid gid!", Mode.TCC, TIMEOUT))
        .asInstanceOf(type(CovenantClientException.class))
        .satisfies(e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
          assertThat(e.status()).isEqualTo(400);
        });

    String gid = client.begin(Mode.TCC, TIMEOUT).gid();
    client.rollback(gid);
    assertThatThrownBy(() -> client.commit(gid))
        .asInstanceOf(type(CovenantClientException.class))
        .satisfies(e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.TRANSACTION_ROLLED_BACK);
          assertThat(e.status()).isEqualTo(409);
          assertThat(e.gid()).isEqualTo(gid);
        });
    assertThatThrownBy(() -> client.registerTcc(gid, "late", shop.url("stock"), shop.url("stock"), null))
        .asInstanceOf(type(CovenantClientException.class))
        .extracting(CovenantClientException::code).isEqualTo(ErrorCode.TRANSACTION_NOT_ACTIVE);
  }

  @Test
  void aRepeatedRegistrationOfADecidedTransactionIsNotActiveSoTheTryIsNotCalled() {
    String gid = client.begin(Mode.TCC, TIMEOUT).gid();
    client.registerTcc(gid, "stock", shop.url("stock"), shop.url("stock"), null);
    client.rollback(gid);

    // The coordinator answers 201 for the same branch again (its first answer may have been lost);
    // the client still refuses, because the try must not be called any more.
    assertThatThrownBy(() -> client.registerTcc(gid, "stock", shop.url("stock"), shop.url("stock"), null))
        .asInstanceOf(type(CovenantClientException.class))
        .satisfies(e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.TRANSACTION_NOT_ACTIVE);
          assertThat(e.detail()).contains("must not be tried");
        });
  }

  @Test
  void aRollbackThatFailsIsSuppressedOnTheBodysException() {
    AtomicReference<String> gid = new AtomicReference<>();
    RuntimeException failure = new RuntimeException("after committing by hand");

    assertThatThrownBy(() -> client.inGlobalTransaction(Mode.TCC, TIMEOUT, tx -> {
      gid.set(tx.gid());
      client.commit(tx.gid());
      throw failure;
    })).isSameAs(failure);

    assertThat(failure.getSuppressed()).singleElement()
        .asInstanceOf(type(CovenantClientException.class))
        .extracting(CovenantClientException::code).isEqualTo(ErrorCode.TRANSACTION_COMMITTED);
    assertThat(client.get(gid.get()).status().isCommit()).isTrue();
  }

  @Test
  void aCommitAfterTheTransactionWasRolledBackFails() {
    assertThatThrownBy(() -> client.inGlobalTransaction(Mode.TCC, TIMEOUT, tx -> client.rollback(tx.gid())))
        .asInstanceOf(type(CovenantClientException.class))
        .extracting(CovenantClientException::code).isEqualTo(ErrorCode.TRANSACTION_ROLLED_BACK);
  }

  @Test
  void aCheckedExceptionOfTheBodyIsRethrownAsIs() {
    IOException failure = new IOException("disk full");
    assertThatThrownBy(() -> client.inGlobalTransaction(Mode.TCC, TIMEOUT, tx -> {
      throw failure;
    })).isSameAs(failure);
  }

  @Test
  void theAsyncFormComposes() throws Exception {
    AsyncCovenantClient async = client.async();

    TransactionView committed = async.begin(Mode.TCC, TIMEOUT)
        .thenCompose(begun -> async.registerTcc(begun.gid(), "stock", shop.url("stock"), shop.url("stock"), null))
        .thenCompose(registered -> async.commit(registered.gid()))
        .thenCompose(decided -> async.awaitEnd(decided.gid(), END))
        .get(20, TimeUnit.SECONDS);

    assertThat(committed.status()).isEqualTo(GlobalStatus.COMMITTED);
    assertThat(async.find("no-such-gid").get(10, TimeUnit.SECONDS)).isEmpty();
  }

  @Test
  void beginWithAGidIsIdempotent() {
    String gid = "order-" + System.nanoTime();
    TransactionView first = client.begin(gid, Mode.TCC, TIMEOUT);
    TransactionView again = client.begin(gid, Mode.TCC, TIMEOUT);

    assertThat(again.gid()).isEqualTo(first.gid()).isEqualTo(gid);
    assertThat(again.createdAt()).isEqualTo(first.createdAt());
    client.rollback(gid);
  }

  @Test
  void awaitEndAnswersTheTransactionAsItIsWhenTheBoundPasses() {
    String gid = client.begin(Mode.TCC, TIMEOUT).gid();

    TransactionView view = client.awaitEnd(gid, Duration.ofMillis(50));

    assertThat(view.status()).isEqualTo(GlobalStatus.ACTIVE);
    client.rollback(gid);
  }

  @Test
  void listPagesThroughTransactionsWithFilters() {
    String first = client.submit(new SagaRequest(null, null, null,
        List.of(SagaStep.of("reserve", shop.url("reserve"), shop.url("reserve"))))).gid();
    String second = client.submit(new SagaRequest(null, null, null,
        List.of(SagaStep.of("reserve", shop.url("reserve"), shop.url("reserve"))))).gid();
    client.awaitEnd(first, END);
    client.awaitEnd(second, END);

    TransactionQuery sagas = TransactionQuery.all().withMode(Mode.SAGA).withStatus(GlobalStatus.COMMITTED).withLimit(1);
    TransactionPage page = client.list(sagas);
    assertThat(page.items()).hasSize(1);
    List<String> seen = new java.util.ArrayList<>();
    while (true) {
      page.items().forEach(v -> {
        assertThat(v.mode()).isEqualTo(Mode.SAGA);
        assertThat(v.status()).isEqualTo(GlobalStatus.COMMITTED);
        seen.add(v.gid());
      });
      if (page.nextCursor() == null) {
        break;
      }
      page = client.list(sagas.withCursor(page.nextCursor()));
    }
    assertThat(seen).contains(first, second).doesNotHaveDuplicates();
  }

  private static JsonNode readTree(String text) {
    try {
      return ClientJson.mapper().readTree(text);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
