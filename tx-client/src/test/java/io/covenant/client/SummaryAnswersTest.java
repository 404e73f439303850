package io.covenant.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Headers;
import io.covenant.protocol.Mode;
import io.covenant.protocol.RegisterBranchRequest;
import io.covenant.protocol.SagaRequest;
import io.covenant.protocol.SagaStep;
import io.covenant.protocol.TransactionSummary;
import io.covenant.protocol.TransactionView;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Where the client asks the coordinator for a summary ({@code Prefer: return=minimal}) instead of
 * the whole view: only where it reads no more than the gid and status (issue #6). The
 * {@link FlakyProxy} in front of the coordinator shows what each request carried.
 */
class SummaryAnswersTest extends ThroughFlakyProxy {
  private List<String> prefers(String endpoint) {
    return proxy.requests(endpoint).stream().map(FlakyProxy.Request::prefer).toList();
  }

  @Test
  void theScopeAsksForSummariesWhileTheBranchItRegistersAnswersTheView() {
    AtomicReference<TransactionView> registered = new AtomicReference<>();

    String gid = client.inGlobalTransaction(Mode.TCC, TIMEOUT, tx -> {
      registered.set(tx.registerTcc("stock", participant.url("stock"), participant.url("stock"), null));
      return tx.gid();
    });
    assertThatThrownBy(() -> client.inGlobalTransaction(Mode.TCC, TIMEOUT, tx -> {
      throw new BusinessRefusal("out of stock");
    })).isInstanceOf(BusinessRefusal.class);

    assertThat(prefers("POST /v1/transactions")).containsOnly(Headers.RETURN_MINIMAL).hasSize(2);
    assertThat(prefers("/commit")).containsExactly(Headers.RETURN_MINIMAL);
    assertThat(prefers("/rollback")).containsExactly(Headers.RETURN_MINIMAL);
    assertThat(prefers("/branches")).containsExactly((String) null);
    assertThat(registered.get().branches()).hasSize(1);
    assertThat(client.awaitEnd(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.COMMITTED);
  }

  @Test
  void submitAndRegisterForSummaryAnswerTheGidAndStatus() {
    TransactionSummary saga = client.submitForSummary(new SagaRequest("order-" + System.nanoTime(), null, null,
        List.of(SagaStep.of("reserve", participant.url("reserve"), participant.url("reserve")))));
    assertThat(saga.gid()).startsWith("order-");
    assertThat(saga.status()).isIn(GlobalStatus.ACTIVE, GlobalStatus.COMMITTING, GlobalStatus.COMMITTED);
    assertThat(prefers("/v1/sagas")).containsExactly(Headers.RETURN_MINIMAL);

    String gid = client.begin(Mode.TCC, TIMEOUT).gid();
    TransactionSummary registered = client.registerForSummary(gid,
        RegisterBranchRequest.tcc("stock", participant.url("stock"), participant.url("stock"), null));
    assertThat(registered).isEqualTo(new TransactionSummary(gid, GlobalStatus.ACTIVE));
    assertThat(prefers("/branches")).containsExactly(Headers.RETURN_MINIMAL);
    assertThat(prefers("POST /v1/transactions")).as("the plain begin reads the view").containsExactly((String) null);

    client.rollback(gid);
    assertThatThrownBy(() -> client.registerForSummary(gid,   // a repeat is answered 201, with the status after the decision
        RegisterBranchRequest.tcc("stock", participant.url("stock"), participant.url("stock"), null)))
        .asInstanceOf(type(CovenantClientException.class))
        .extracting(CovenantClientException::code).isEqualTo(ErrorCode.TRANSACTION_NOT_ACTIVE);
  }

  @Test
  void aCoordinatorThatIgnoresThePreferenceAnswersAViewWhichReadsAsASummary() {
    proxy.dropsPrefer();

    TransactionSummary saga = client.submitForSummary(new SagaRequest("order-" + System.nanoTime(), null, null,
        List.of(SagaStep.of("reserve", participant.url("reserve"), participant.url("reserve")))));
    String scoped = client.inGlobalTransaction(Mode.TCC, TIMEOUT, GlobalTransaction::gid);

    assertThat(saga.gid()).startsWith("order-");
    assertThat(saga.status()).isNotNull();
    assertThat(client.awaitEnd(scoped, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.COMMITTED);
  }
}
