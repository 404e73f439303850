package io.covenant.coordinator.store;

import static io.covenant.coordinator.store.TxFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What the store contract cannot see of the index: that a finished transaction is held as its
 * bytes (issue #6) while the count and order that purging relies on stay right.
 */
class InMemoryIndexTest {
  private final InMemoryIndex index = new InMemoryIndex();

  private GlobalTx finish(GlobalTx tx, Instant at) {
    GlobalTx committed = TxFixtures.moved(tx, GlobalStatus.COMMITTED, at);
    index.update(committed, tx.version());
    return committed;
  }

  @Test
  void keepsAnUnfinishedTransactionAsItIsAndAFinishedOneAsBytesThatDecodeToIt() {
    GlobalTx open = TxFixtures.active("open", T0);
    index.create(open);
    GlobalTx done = TxFixtures.rolledBackWithEveryField("done", T0.plusSeconds(1));
    index.create(TxFixtures.active("done", Mode.SAGA, T0.plusSeconds(1)));
    index.update(done, 1);
    index.checkConsistent();

    assertThat(index.find("open")).containsSame(open);
    assertThat(index.unfinished()).containsExactly(open);
    GlobalTx read = index.find("done").orElseThrow();
    assertThat(read).isEqualTo(done).isNotSameAs(done);
    assertThat(index.find("done").orElseThrow()).isEqualTo(done).isNotSameAs(read);
    List<GlobalTx> listed = index.list(TxQuery.all(10)).items();
    assertThat(listed).containsExactly(open, done);
    assertThat(listed.get(0)).isSameAs(open);
  }

  @Test
  void countsAndOrdersFinishedTransactionsByTheirLastChange() {
    GlobalTx a = TxFixtures.active("a", T0);
    GlobalTx b = TxFixtures.active("b", T0.plusSeconds(1));
    GlobalTx c = TxFixtures.active("c", T0.plusSeconds(2));
    index.create(a);
    index.create(b);
    index.create(c);
    GlobalTx aDone = finish(a, T0.plusSeconds(10));
    GlobalTx bDone = finish(b, T0.plusSeconds(20));
    assertThat(index.finishedCount()).isEqualTo(2);

    // A change to a finished transaction replaces its place in the order; it is not counted twice.
    GlobalTx aAnnotated = TxFixtures.touched(aDone, T0.plusSeconds(30));
    index.update(aAnnotated, 2);
    assertThat(index.finishedCount()).isEqualTo(2);
    index.checkConsistent();

    List<InMemoryIndex.Entry> removed = index.removeFinished(T0.plusSeconds(31), Integer.MAX_VALUE, 10);
    assertThat(removed).extracting(InMemoryIndex.Entry::gid).containsExactly("b", "a");
    assertThat(removed).extracting(InMemoryIndex.Entry::tx).containsExactly(bDone, aAnnotated);
    assertThat(removed).extracting(InMemoryIndex.Entry::version).containsExactly(2L, 3L);
    assertThat(index.finishedCount()).isZero();
    assertThat(index.size()).isEqualTo(1);
    index.checkConsistent();

    // What a purge takes back (the journal's, when a write of it is still in flight) is as it was.
    index.put(removed.get(1));
    assertThat(index.finishedCount()).isEqualTo(1);
    index.checkConsistent();
    assertThat(index.find("a")).contains(aAnnotated);
    assertThat(index.list(TxQuery.all(10)).items()).containsExactly(aAnnotated, c);
    assertThat(index.removeFinished(T0, 0, 10)).extracting(InMemoryIndex.Entry::gid).containsExactly("a");
    index.checkConsistent();
  }

  @Test
  void keepsTheBytesItIsGivenEvenInTheFirstCodecFormat() {
    // The journal hands over the bytes it replayed, which an older coordinator may have written.
    byte[] version1 = HexFormat.of().parseHex(TxCodecTest.VERSION_1_RECORD);
    version1[10] = 5; // the status code: ROLLED_BACK instead of ROLLING_BACK, so that it is kept compact
    GlobalTx tx = TxCodec.decode(version1);
    assertThat(tx.status()).isEqualTo(GlobalStatus.ROLLED_BACK);

    index.put(InMemoryIndex.Entry.of(tx, version1));

    assertThat(index.find(tx.gid())).contains(tx);
    assertThat(index.finishedCount()).isEqualTo(1);
    assertThat(index.list(new TxQuery(Set.of(GlobalStatus.ROLLED_BACK), Mode.SAGA, false, 3, null, null, 10)).items())
        .containsExactly(tx);
  }

  @Test
  void filtersOnCreationTimesBeyondTheRangeOfEpochNanos() {
    GlobalTx open = TxFixtures.active("open", T0);
    index.create(open);
    GlobalTx done = TxFixtures.active("done", T0.plusSeconds(1));
    index.create(done);
    finish(done, T0.plusSeconds(2));

    assertThat(index.list(new TxQuery(Set.of(), null, null, 3, Instant.MAX, null, 10)).items()).hasSize(2);
    assertThat(index.list(new TxQuery(Set.of(), null, null, 3, Instant.MIN, null, 10)).items()).isEmpty();
  }
}
