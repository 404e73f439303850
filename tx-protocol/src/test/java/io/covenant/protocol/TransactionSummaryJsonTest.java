package io.covenant.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The answer to {@code Prefer: return=minimal} on the wire (issue #6). */
class TransactionSummaryJsonTest {
  final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());

  @Test
  void isTheGidAndTheStatusWireCode() throws Exception {
    TransactionSummary summary = new TransactionSummary("pay-1", GlobalStatus.ROLLING_BACK);
    assertThat(json.writeValueAsString(summary)).isEqualTo("{\"gid\":\"pay-1\",\"status\":\"rolling_back\"}");
    assertThat(json.readValue("{\"gid\":\"pay-1\",\"status\":\"rolling_back\"}", TransactionSummary.class)).isEqualTo(summary);
  }

  @Test
  void readsFromAFullViewAsAnOlderCoordinatorWouldAnswer() throws Exception {
    Instant now = Instant.parse("2026-11-25T10:15:30.123Z");
    TransactionView view = new TransactionView("pay-1", Mode.TCC, GlobalStatus.ACTIVE, now, now, now.plusSeconds(30), null,
        false, List.of(new BranchView("stock", BranchStatus.REGISTERED, "http://h/c", "http://h/x", null, null, null, 0,
            null, null, null, null)));
    assertThat(json.readValue(json.writeValueAsString(view), TransactionSummary.class))
        .isEqualTo(new TransactionSummary("pay-1", GlobalStatus.ACTIVE));
  }
}
