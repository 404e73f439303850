package io.covenant.coordinator.store;

import static io.covenant.coordinator.store.TxFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.core.RetryPolicy;
import io.covenant.coordinator.core.StepHttp;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TxCodecTest {

  static GlobalTx roundTrip(GlobalTx tx) {
    return TxCodec.decode(TxCodec.encode(tx));
  }

  @Test
  void roundTripsEveryModeAndStatus() {
    for (Mode mode : Mode.values()) {
      for (GlobalStatus status : GlobalStatus.values()) {
        GlobalTx tx = TxFixtures.moved(TxFixtures.active("g-" + mode + "-" + status, mode, T0), status, T0.plusMillis(5));
        assertThat(roundTrip(tx)).isEqualTo(tx);
      }
    }
  }

  @Test
  void roundTripsEveryBranchStatus() {
    List<Branch> branches = new ArrayList<>();
    for (BranchStatus status : BranchStatus.values()) {
      branches.add(new Branch("b-" + status, status, "http://p/f", "http://p/b", "{}", List.of(), false, 1, null, 0, null, null));
    }
    GlobalTx tx = new GlobalTx("g", Mode.SAGA, GlobalStatus.ACTIVE, T0, T0, null, null, 1, branches);
    assertThat(roundTrip(tx)).isEqualTo(tx);
  }

  @Test
  void roundTripsATransactionWithEveryOptionalFieldNull() {
    Branch bare = new Branch("b", BranchStatus.PENDING, "http://p/action", null, null, null, false, 0, null, 0, null, null);
    GlobalTx tx = new GlobalTx("g", Mode.SAGA, GlobalStatus.ACTIVE, T0, T0, null, null, 1, List.of(bare));
    GlobalTx back = roundTrip(tx);
    assertThat(back).isEqualTo(tx);
    assertThat(back.deadline()).isNull();
    assertThat(back.reason()).isNull();
    assertThat(back.branches().get(0).backwardUrl()).isNull();
    assertThat(back.branches().get(0).payload()).isNull();
    assertThat(back.branches().get(0).callTimeout()).isNull();
    assertThat(back.branches().get(0).lastError()).isNull();
    assertThat(back.branches().get(0).nextAttemptAt()).isNull();
  }

  @Test
  void roundTripsATransactionWithEveryOptionalFieldSet() {
    Branch full = new Branch("reserve", BranchStatus.FAILED, "http://stock/reserve", "http://stock/release",
        "{\"sku\":\"A-1\"}", List.of("a", "b", "c"), true, 7, Duration.ofMillis(1500), 6, "connection refused",
        T0.plusNanos(123_456_789), "finished by hand by 'ops': released in the warehouse system", null, null, null);
    GlobalTx tx = new GlobalTx("g", Mode.SAGA, GlobalStatus.ROLLING_BACK, T0, T0.plusSeconds(3).plusNanos(1),
        T0.plusSeconds(60), "step reserve failed", 42, List.of(full));
    assertThat(roundTrip(tx)).isEqualTo(tx);
  }

  @Test
  void theUncopiedBytesAreTheRecordItself() {
    for (GlobalTx tx : List.of(TxFixtures.active("g", T0), TxFixtures.sagaWithOwnCalls("saga-ü-\uD83D\uDE00", T0),
        TxFixtures.rolledBackWithEveryField("rb", T0), TxFixtures.firstStepSucceeded(TxFixtures.sagaWithOwnCalls("s", T0),
            "{\"id\":\"" + "x".repeat(5000) + "\"}", T0.plusSeconds(1)))) {
      TxCodec.Encoded uncopied = TxCodec.encodeUncopied(tx);
      byte[] exact = TxCodec.encode(tx);
      assertThat(uncopied.length()).isEqualTo(exact.length).isLessThanOrEqualTo(uncopied.array().length);
      assertThat(Arrays.copyOf(uncopied.array(), uncopied.length())).isEqualTo(exact);
      assertThat(uncopied.toByteArray()).isEqualTo(exact);
      assertThat(TxCodec.decode(uncopied.toByteArray())).isEqualTo(tx);
    }
  }

  @Test
  void roundTripsATransactionWithoutBranches() {
    GlobalTx tx = new GlobalTx("g", Mode.TWO_PHASE, GlobalStatus.COMMITTED, T0, T0, null, null, 2, List.of());
    assertThat(roundTrip(tx)).isEqualTo(tx);
  }

  @Test
  void roundTripsUnicodeExactlyIncludingLoneSurrogates() {
    String[] texts = {
        "", "plain", "é", "日本語の注文", "emoji 🚀 and 👩‍💻", "nul\u0000inside", "\uFFFF", "mixed ascii é 中 🚀 end",
        "lone high \uD800 surrogate", "lone low \uDC00", "reversed \uDC00\uD800 pair", "\uD83D", "e\u0301 combining",
    };
    for (String s : texts) {
      Branch b = new Branch(s + "-id", BranchStatus.REGISTERED, "http://h/" + s, s, "{\"note\":\"" + s + "\"}",
          List.of(s), false, 0, null, 1, s, null);
      GlobalTx tx = new GlobalTx("gid-" + s, Mode.TCC, GlobalStatus.ACTIVE, T0, T0, null, s, 1, List.of(b));
      assertThat(roundTrip(tx)).as("text %s", s).isEqualTo(tx);
    }
  }

  @Test
  void writesValidUnicodeAsStandardUtf8() {
    String payload = "{\"city\":\"Zürich\",\"icon\":\"🚀\"}";
    GlobalTx tx = new GlobalTx("g", Mode.TCC, GlobalStatus.ACTIVE, T0, T0, null, null, 1,
        List.of(Branch.registered("b", "http://h/c", "http://h/x", payload)));
    assertThat(TxFixtures.indexOf(TxCodec.encode(tx), payload.getBytes(StandardCharsets.UTF_8))).isPositive();
  }

  @Test
  void writesEveryAsciiAndLatin1CharacterAsStandardUtf8() {
    // ASCII text takes a bulk copy and other text a per-character loop; both must give UTF-8.
    StringBuilder ascii = new StringBuilder();
    for (char c = 0; c < 0x80; c++) {
      ascii.append(c);
    }
    StringBuilder latin1 = new StringBuilder(ascii);
    for (char c = 0x80; c <= 0xFF; c++) {
      latin1.append(c);
    }
    for (String text : List.of(ascii.toString(), latin1.toString(), "\u00FF", "plain " + "x".repeat(300))) {
      GlobalTx tx = new GlobalTx("g", Mode.TCC, GlobalStatus.ACTIVE, T0, T0, null, text, 1,
          List.of(Branch.registered("b", "http://h/c", "http://h/x", text)));
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      assertThat(TxFixtures.indexOf(TxCodec.encode(tx), utf8)).as("text of %s chars", text.length()).isPositive();
      assertThat(roundTrip(tx)).isEqualTo(tx);
    }
  }

  @Test
  void roundTripsPayloadsLargerThan64KiB() {
    String big = "ä".repeat(70_000) + "🚀".repeat(10_000);
    GlobalTx tx = new GlobalTx("g", Mode.TCC, GlobalStatus.ACTIVE, T0, T0, null, null, 1,
        List.of(Branch.registered("b", "http://h/c", "http://h/x", big)));
    assertThat(roundTrip(tx)).isEqualTo(tx);
  }

  @Test
  void roundTripsExtremeNumbersAndInstants() {
    Branch b = new Branch("b", BranchStatus.PENDING, "http://h/a", null, null, List.of(), false, Integer.MIN_VALUE,
        Duration.ofNanos(Long.MAX_VALUE), Integer.MAX_VALUE, "e", Instant.MAX);
    Branch c = new Branch("c", BranchStatus.PENDING, "http://h/a", null, null, List.of(), false, -1,
        Duration.ZERO, -5, null, Instant.EPOCH.minusNanos(1));
    GlobalTx tx = new GlobalTx("g", Mode.SAGA, GlobalStatus.ACTIVE, Instant.MIN, Instant.MAX, Instant.EPOCH, null,
        Long.MAX_VALUE, List.of(b, c));
    assertThat(roundTrip(tx)).isEqualTo(tx);
  }

  @Test
  void startsWithTheFormatVersion() {
    assertThat(TxCodec.encode(TxFixtures.active("g", T0))[0]).isEqualTo(TxCodec.FORMAT_VERSION);
  }

  @Test
  void refusesARecordOfAnotherFormatVersion() {
    byte[] bytes = TxCodec.encode(TxFixtures.active("g", T0));
    bytes[0] = 3;
    assertThatThrownBy(() -> TxCodec.decode(bytes))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format version 3");
  }

  /** Bytes written by the version 1 codec (before saga steps had their own calls, backoff and result). */
  static final String VERSION_1_RECORD = "01076f726465722d3102040380e4ad950d0086e4ad950d00f8e4ad950d0013737465702072657365727665"
      + "206661696c65645402016103000a687474703a2f2f702f610006000772657365727665043f14687474703a2f2f73746f636b2f7265"
      + "736572766514687474703a2f2f73746f636b2f72656c656173650d7b22736b75223a22412d31227d0101610e0c80bcc1960b1263"
      + "6f6e6e656374696f6e207265667573656480e4ad950d959aef3a";

  @Test
  void decodesARecordWrittenInFormatVersion1() {
    Branch bare = new Branch("a", BranchStatus.SUCCEEDED, "http://p/a", null, null, List.of(), false, 3, null, 0, null, null);
    Branch full = new Branch("reserve", BranchStatus.FAILED, "http://stock/reserve", "http://stock/release",
        "{\"sku\":\"A-1\"}", List.of("a"), true, 7, Duration.ofMillis(1500), 6, "connection refused", T0.plusNanos(123_456_789));
    GlobalTx expected = new GlobalTx("order-1", Mode.SAGA, GlobalStatus.ROLLING_BACK, T0, T0.plusSeconds(3), T0.plusSeconds(60),
        "step reserve failed", 42, List.of(bare, full));

    GlobalTx decoded = TxCodec.decode(HexFormat.of().parseHex(VERSION_1_RECORD));

    assertThat(decoded).isEqualTo(expected);
    assertThat(decoded.branches()).allSatisfy(b -> {
      assertThat(b.http()).isNull();
      assertThat(b.retry()).isNull();
      assertThat(b.result()).isNull();
    });
    assertThat(TxCodec.encode(decoded)[0]).isEqualTo(TxCodec.FORMAT_VERSION); // the next write is version 2
    assertThat(roundTrip(decoded)).isEqualTo(expected);
  }

  @Test
  void roundTripsAStepsOwnCallsBackoffAndResult() {
    StepHttp http = new StepHttp("PUT", Map.of("X-Tenant", "acme", "Authorization", "Bearer t"), "DELETE",
        Map.of("X-Tenant", "acme"), "{\"reservation\":{\"$from\":\"reserve\",\"pointer\":\"/id\"}}");
    Branch reserve = new Branch("reserve", BranchStatus.SUCCEEDED, "http://stock/reserve", "http://stock/release",
        "{\"sku\":\"A-1\"}", List.of(), false, 3, null, 0, null, null, null, http,
        new RetryPolicy(Duration.ofMillis(50), Duration.ofSeconds(2)), "{\"id\":\"r-17\",\"note\":\"Zürich 🚀\"}");
    Branch noBody = new Branch("ship", BranchStatus.PENDING, "http://ship/go", "http://ship/undo", null, List.of("reserve"),
        false, 3, null, 0, null, null, null, new StepHttp("POST", Map.of(), "POST", Map.of(), null), null, null);
    Branch resultOnly = new Branch("pay", BranchStatus.SUCCEEDED, "http://pay/charge", "http://pay/refund", null,
        List.of(), false, 3, null, 0, null, null, "finished by hand by 'ops': charged by phone", null, null,
        "\"plain text answer\"");
    GlobalTx tx = new GlobalTx("g", Mode.SAGA, GlobalStatus.ACTIVE, T0, T0, null, null, 3, List.of(reserve, noBody, resultOnly));

    GlobalTx back = roundTrip(tx);

    assertThat(back).isEqualTo(tx);
    assertThat(back.branches().get(0).http().actionHeaders()).containsEntry("Authorization", "Bearer t");
    assertThat(back.branches().get(1).http().compensationBody()).isNull();
    for (int len = 0; len < TxCodec.encode(tx).length; len++) {
      byte[] prefix = Arrays.copyOf(TxCodec.encode(tx), len);
      assertThatThrownBy(() -> TxCodec.decode(prefix)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void refusesEveryTruncationAndTrailingGarbageCleanly() {
    for (Mode mode : Mode.values()) {
      GlobalTx tx = TxFixtures.failing(TxFixtures.active("g-" + mode, mode, T0), 3, T0.plusSeconds(1));
      byte[] bytes = TxCodec.encode(tx);
      for (int len = 0; len < bytes.length; len++) {
        byte[] prefix = Arrays.copyOf(bytes, len);
        assertThatThrownBy(() -> TxCodec.decode(prefix)).as("prefix of %d bytes", len)
            .isInstanceOf(IllegalArgumentException.class);
      }
      byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
      assertThatThrownBy(() -> TxCodec.decode(longer)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unexpected bytes");
    }
  }

  @Test
  void isMuchSmallerThanTheTextOfItsFields() {
    GlobalTx tx = TxFixtures.active("order-7f3a9c", Mode.TCC, T0);
    // URLs and payloads dominate; the structure around them costs a few dozen bytes.
    int text = 0;
    for (Branch b : tx.branches()) {
      text += b.id().length() + b.forwardUrl().length() + b.backwardUrl().length() + (b.payload() == null ? 0 : b.payload().length());
    }
    assertThat(TxCodec.encode(tx).length).isLessThan(text + tx.gid().length() + 64);
  }
}
