package io.covenant.coordinator.store;

import static io.covenant.coordinator.store.TxFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.protocol.BranchStatus;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
        T0.plusNanos(123_456_789), "finished by hand by 'ops': released in the warehouse system");
    GlobalTx tx = new GlobalTx("g", Mode.SAGA, GlobalStatus.ROLLING_BACK, T0, T0.plusSeconds(3).plusNanos(1),
        T0.plusSeconds(60), "step reserve failed", 42, List.of(full));
    assertThat(roundTrip(tx)).isEqualTo(tx);
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
    bytes[0] = 2;
    assertThatThrownBy(() -> TxCodec.decode(bytes))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format version 2");
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
