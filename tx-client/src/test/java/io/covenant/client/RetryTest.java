package io.covenant.client;

import static io.covenant.client.FlakyProxy.Fault.BAD_GATEWAY_HTML;
import static io.covenant.client.FlakyProxy.Fault.CONCURRENT_UPDATE;
import static io.covenant.client.FlakyProxy.Fault.DROP;
import static io.covenant.client.FlakyProxy.Fault.FORWARD_THEN_DROP;
import static io.covenant.client.FlakyProxy.Fault.SHUTTING_DOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.covenant.client.internal.ClientJson;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.Op;
import io.covenant.protocol.TransactionView;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The client's own retries, through a {@link FlakyProxy} in front of a real coordinator that
 * answers the scripted faults first and forwards afterwards. Retried requests are the same request
 * (same gid, same branch), which is what makes retrying them safe. Issue #4.
 */
class RetryTest extends ThroughFlakyProxy {
  @Test
  void aBeginAnsweredWithARetryableProblemIsSentAgainWithTheSameGid() throws Exception {
    proxy.failNext("POST /v1/transactions", SHUTTING_DOWN);

    TransactionView begun = client.begin(Mode.TCC, TIMEOUT);

    var attempts = proxy.requests("POST /v1/transactions");
    assertThat(attempts).extracting(FlakyProxy.Request::fault).containsExactly(SHUTTING_DOWN, null);
    assertThat(ClientJson.mapper().readTree(attempts.get(0).body()).path("gid").asText())
        .isEqualTo(ClientJson.mapper().readTree(attempts.get(1).body()).path("gid").asText())
        .isEqualTo(begun.gid());
    assertThat(begun.status()).isEqualTo(GlobalStatus.ACTIVE);
  }

  @Test
  void aBeginWhoseAnswerIsLostFindsTheTransactionItsFirstAttemptCreated() {
    proxy.failNext("POST /v1/transactions", FORWARD_THEN_DROP);

    TransactionView begun = client.begin(Mode.TCC, TIMEOUT);

    assertThat(proxy.requests("POST /v1/transactions")).extracting(FlakyProxy.Request::fault)
        .containsExactly(FORWARD_THEN_DROP, null);
    assertThat(client.list(TransactionQuery.all().withStatus(GlobalStatus.ACTIVE).withLimit(500)).items())
        .filteredOn(v -> v.gid().equals(begun.gid())).hasSize(1);
  }

  @Test
  void dropsConcurrentUpdatesAndProxyErrorsAreRetried() {
    String gid = client.begin(Mode.TCC, TIMEOUT).gid();
    proxy.failNext("/branches", DROP, CONCURRENT_UPDATE);
    proxy.failNext("/commit", BAD_GATEWAY_HTML);

    client.registerTcc(gid, "stock", participant.url("stock"), participant.url("stock"), null);
    TransactionView decided = client.commit(gid);

    assertThat(proxy.requests("/branches")).extracting(FlakyProxy.Request::fault)
        .containsExactly(DROP, CONCURRENT_UPDATE, null);
    assertThat(proxy.requests("/commit")).extracting(FlakyProxy.Request::fault).containsExactly(BAD_GATEWAY_HTML, null);
    assertThat(decided.status().isCommit()).isTrue();
  }

  @Test
  void aRegistrationWhoseAnswerIsLostIsRegisteredOnce() {
    String gid = client.begin(Mode.TCC, TIMEOUT).gid();
    proxy.failNext("/branches", FORWARD_THEN_DROP);

    TransactionView registered = client.registerTcc(gid, "stock", participant.url("stock"), participant.url("stock"), null);

    assertThat(proxy.requests("/branches")).hasSize(2);
    assertThat(registered.branches()).hasSize(1);
    client.rollback(gid);
  }

  @Test
  void aNonRetryableProblemFailsAtTheFirstAttempt() {
    assertThatThrownBy(() -> client.get("no-such-gid"))
        .asInstanceOf(type(CovenantClientException.class))
        .extracting(CovenantClientException::code).isEqualTo(ErrorCode.TRANSACTION_NOT_FOUND);
    assertThat(proxy.requests("/no-such-gid")).hasSize(1);
  }

  @Test
  void theClientGivesUpAfterAttemptsMax() {
    proxy.failNext("POST /v1/transactions", SHUTTING_DOWN, SHUTTING_DOWN, SHUTTING_DOWN, SHUTTING_DOWN);

    assertThatThrownBy(() -> client.begin(Mode.TCC, TIMEOUT))
        .asInstanceOf(type(CovenantClientException.class))
        .satisfies(e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.SHUTTING_DOWN);
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.retryable()).isTrue();
          assertThat(e.getMessage()).endsWith("(gave up after 3 attempts)");
        });
    assertThat(proxy.requests("POST /v1/transactions")).hasSize(3);
  }

  @Test
  void aCoordinatorThatNeverAnswersIsAnUnansweredRetryableFailure() throws IOException {
    URI nobody;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nobody = URI.create("http://127.0.0.1:" + socket.getLocalPort());
    } // closed: nothing listens there any more
    try (CovenantClient unreachable = CovenantClient.builder().coordinator(nobody).retry(FAST).build()) {
      assertThatThrownBy(() -> unreachable.commit("order-1"))
          .asInstanceOf(type(CovenantClientException.class))
          .satisfies(e -> {
            assertThat(e.status()).isZero();
            assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
            assertThat(e.retryable()).isTrue();
            assertThat(e.gid()).isEqualTo("order-1");
            assertThat(e.getCause()).isInstanceOf(ConnectException.class);
            assertThat(e.getMessage()).contains("no answer from the coordinator").contains("gave up after 3 attempts");
          });
    }
  }

  @Test
  void aScopedCommitWhoseOutcomeIsUnknownIsSettledAsCommittedWhenItLanded() {
    // The first commit lands but its answer is lost, and so are the answers of both retries: the
    // client cannot tell. Its rollback then finds the commit decided, so the scope returns.
    proxy.failNext("/commit", FORWARD_THEN_DROP, DROP, DROP);
    AtomicReference<String> gid = new AtomicReference<>();

    String result = client.inGlobalTransaction(Mode.TCC, TIMEOUT, tx -> {
      gid.set(tx.gid());
      tx.registerTcc("stock", participant.url("stock"), participant.url("stock"), null);
      return "done";
    });

    assertThat(result).isEqualTo("done");
    assertThat(proxy.requests("/commit")).hasSize(3);
    assertThat(proxy.requests("/rollback")).hasSize(1);
    assertThat(client.awaitEnd(gid.get(), Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.COMMITTED);
  }

  @Test
  void aScopedCommitThatNeverLandedIsSettledByRollingBack() {
    proxy.failNext("/commit", DROP, DROP, DROP);
    AtomicReference<String> gid = new AtomicReference<>();

    assertThatThrownBy(() -> client.inGlobalTransaction(Mode.TCC, TIMEOUT, tx -> {
      gid.set(tx.gid());
      tx.registerTcc("stock", participant.url("stock"), participant.url("stock"), null);
      return "done";
    })).asInstanceOf(type(CovenantClientException.class))
        .satisfies(e -> {
          assertThat(e.status()).isZero();
          assertThat(e.retryable()).isTrue();
          assertThat(e.getSuppressed()).isEmpty();
        });

    assertThat(client.awaitEnd(gid.get(), Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.ROLLED_BACK);
    assertThat(participant.ops(gid.get(), "stock")).containsExactly(Op.CANCEL);
  }
}
