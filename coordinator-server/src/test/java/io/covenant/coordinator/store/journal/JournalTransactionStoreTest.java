package io.covenant.coordinator.store.journal;

import static io.covenant.coordinator.store.TxFixtures.T0;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.coordinator.store.TransactionStore;
import io.covenant.coordinator.store.TransactionStoreContract;
import io.covenant.coordinator.store.TxFixtures;
import io.covenant.coordinator.store.TxQuery;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.activemq.artemis.core.io.nio.NIOSequentialFileFactory;
import org.apache.activemq.artemis.core.journal.impl.JournalImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on a real journal in a temporary directory, and what only a journal can do wrong. */
class JournalTransactionStoreTest extends TransactionStoreContract {
  @TempDir
  Path dir;

  /** 1 MiB files instead of 10: faster to preallocate, and the bigger tests roll over files. */
  JournalSettings settings() {
    return JournalSettings.defaults(dir.resolve("journal")).withFileSizeBytes(1024 * 1024);
  }

  @Override
  protected TransactionStore newStore() throws Exception {
    return await(JournalTransactionStore.open(settings()));
  }

  @Override
  protected boolean durable() {
    return true;
  }

  @Override
  protected TransactionStore reopen() throws Exception {
    await(store.close());
    return await(JournalTransactionStore.open(settings()));
  }

  @Test
  void aTornLastRecordIsDroppedAndEverythingBeforeItLoads() throws Exception {
    List<GlobalTx> written = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      GlobalTx tx = TxFixtures.active("torn-" + i, T0.plusSeconds(i));
      await(store.create(tx));
      written.add(tx);
    }
    await(store.close());
    // A crash in the middle of the last write: its final bytes never reached the disk.
    Path file = null;
    long end = -1;
    try (var files = java.nio.file.Files.list(dir.resolve("journal"))) {
      for (Path f : files.filter(f -> f.toString().endsWith("." + JournalTransactionStore.FILE_EXTENSION)).toList()) {
        byte[] bytes = java.nio.file.Files.readAllBytes(f);
        int last = bytes.length - 1;
        while (last >= 0 && bytes[last] == 0) {
          last--;
        }
        if (last > end) {
          end = last;
          file = f;
        }
      }
    }
    assertThat(file).isNotNull();
    try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      channel.write(java.nio.ByteBuffer.allocate(12), end - 11);
    }

    JournalTransactionStore reopened = await(JournalTransactionStore.open(settings()));
    store = reopened;
    assertThat(reopened.tornRecordOffset()).as("the torn record is reported").isPresent();
    for (GlobalTx tx : written.subList(0, 4)) {
      assertThat(await(store.find(tx.gid()))).as(tx.gid()).contains(tx);
    }
    assertThat(await(store.find("torn-5"))).as("the torn record is dropped, not misread").isEmpty();
    GlobalTx again = TxFixtures.active("torn-5", T0.plusSeconds(9));
    await(store.create(again));
    assertThat(await(store.find("torn-5"))).contains(again);
  }

  @Test
  void reopeningAfterManyUpdatesGivesTheLastVersionOfEachTransaction() throws Exception {
    // Small files and eager compaction, so that the updates span many files that are reclaimed and compacted.
    JournalSettings small = JournalSettings.defaults(dir.resolve("small")).withFileSizeBytes(64 * 1024).withCompaction(2, 30);
    await(store.close());
    store = await(JournalTransactionStore.open(small));

    List<GlobalTx> last = new ArrayList<>();
    List<Future<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      GlobalTx tx = TxFixtures.active("tx-" + i, Mode.values()[i % 3], T0.plusSeconds(i));
      writes.add(store.create(tx));
      last.add(tx);
    }
    for (int u = 0; u < 250; u++) {
      for (int i = 0; i < last.size(); i++) {
        GlobalTx tx = last.get(i);
        GlobalTx next = TxFixtures.touched(tx, T0.plusSeconds(1000 + u));
        writes.add(store.update(next, tx.version())); // on top of a write still in flight
        last.set(i, next);
      }
    }
    for (Future<Void> w : writes) {
      await(w);
    }
    await(store.close());
    JournalTransactionStore reopened = await(JournalTransactionStore.open(small));
    store = reopened;
    assertThat(reopened.tornRecordOffset()).as("a clean close leaves no torn record, even in reused files").isEmpty();

    for (GlobalTx tx : last) {
      assertThat(await(store.find(tx.gid()))).as(tx.gid()).contains(tx);
      assertThat(tx.version()).isEqualTo(251);
    }
    assertThat(await(store.loadUnfinished())).hasSize(20);
  }

  /**
   * Eight threads write at once while another purges, on small files that switch and compact under
   * them: every acknowledged write must come back after a restart, and every purged transaction
   * (only finished ones) stay gone.
   */
  @Test
  void appendsFromManyThreadsAndAConcurrentPurgeAllSurviveARestart() throws Exception {
    JournalSettings small = JournalSettings.defaults(dir.resolve("busy")).withFileSizeBytes(64 * 1024).withCompaction(2, 30);
    await(store.close());
    store = await(JournalTransactionStore.open(small));
    int writers = 8;
    int perWriter = 300;
    Map<String, GlobalTx> acknowledged = new ConcurrentHashMap<>();
    ExecutorService threads = Executors.newFixedThreadPool(writers + 1);
    try {
      AtomicBoolean writing = new AtomicBoolean(true);
      java.util.concurrent.Future<Integer> purging = threads.submit(() -> {
        int purged = 0;
        while (writing.get()) {
          purged += await(store.purgeFinished(T0.plusSeconds(1_000_000), 50, 20)); // keep the newest 50 finished
        }
        return purged;
      });
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        done.add(threads.submit(() -> {
          for (int i = 0; i < perWriter; i++) {
            GlobalTx tx = TxFixtures.active("w" + writer + "-" + i, Mode.values()[i % 3], T0.plusMillis(i));
            await(store.create(tx));
            GlobalTx next = TxFixtures.touched(tx, T0.plusSeconds(10));
            await(store.update(next, tx.version()));
            GlobalTx last = i % 2 == 0 ? TxFixtures.moved(next, GlobalStatus.COMMITTED, T0.plusSeconds(20 + i)) : next;
            if (last != next) {
              await(store.update(last, next.version()));
            }
            acknowledged.put(last.gid(), last);
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, SECONDS);
      }
      writing.set(false);
      assertThat(purging.get(60, SECONDS)).as("the purge ran alongside").isPositive();
    } finally {
      threads.shutdownNow();
    }
    Set<String> present = new HashSet<>();
    for (GlobalTx tx : acknowledged.values()) {
      if (await(store.find(tx.gid())).isPresent()) {
        present.add(tx.gid());
      }
    }
    await(store.close());
    JournalTransactionStore reopened = await(JournalTransactionStore.open(small));
    store = reopened;
    assertThat(reopened.tornRecordOffset()).isEmpty();
    for (GlobalTx tx : acknowledged.values()) {
      if (present.contains(tx.gid())) {
        assertThat(await(store.find(tx.gid()))).as(tx.gid()).contains(tx);
      } else {
        assertThat(tx.status().isFinished()).as(tx.gid() + " was purged, so it had finished").isTrue();
        assertThat(await(store.find(tx.gid()))).as(tx.gid() + " was purged").isEmpty();
      }
    }
    assertThat(await(store.loadUnfinished())).hasSize(writers * perWriter / 2);
  }

  /** Issue #6: what a restart replays is kept as it was before: a finished transaction as its bytes. */
  @Test
  void aRestartReplaysFinishedTransactionsIntoTheirCompactForm() throws Exception {
    GlobalTx finished = TxFixtures.rolledBackWithEveryField("order-done", T0);
    await(store.create(TxFixtures.active("order-done", Mode.SAGA, T0)));
    await(store.update(finished, 1));
    GlobalTx unfinished = TxFixtures.active("order-open", T0.plusSeconds(1));
    await(store.create(unfinished));
    store = reopen();

    // A finished transaction is decoded anew at every read; an unfinished one is the object itself.
    GlobalTx read = await(store.find("order-done")).orElseThrow();
    assertThat(read).isEqualTo(finished);
    assertThat(await(store.find("order-done")).orElseThrow()).isEqualTo(finished).isNotSameAs(read);
    GlobalTx resumed = await(store.loadUnfinished()).get(0);
    assertThat(resumed).isEqualTo(unfinished);
    assertThat(await(store.find("order-open")).orElseThrow()).isSameAs(resumed);
    assertThat(listAll(TxQuery.all(10))).containsExactly(finished, unfinished);

    GlobalTx annotated = TxFixtures.touched(finished, T0.plusSeconds(20));
    assertThat(failureOf(store.update(annotated, 1))).isEqualTo(ErrorCode.CONCURRENT_UPDATE);
    await(store.update(annotated, 2));
    assertThat(await(store.purgeFinished(T0.plusSeconds(20), Integer.MAX_VALUE, 10))).isZero();
    assertThat(await(store.purgeFinished(T0.plusSeconds(21), Integer.MAX_VALUE, 10))).isEqualTo(1);
    store = reopen();
    assertThat(await(store.find("order-done"))).isEmpty();
    assertThat(listAll(TxQuery.all(10))).containsExactly(unfinished);
  }

  /** Reads still answer from memory after close. */
  @Override
  protected void assertReadsAfterClose(GlobalTx stored) throws Exception {
    assertThat(await(store.find(stored.gid()))).contains(stored);
  }
  @Test
  void closingLetsWritesAlreadyAcceptedBecomeDurable() throws Exception {
    List<Future<Void>> creates = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      creates.add(store.create(TxFixtures.active("tx-" + i, T0.plusMillis(i))));
    }
    Future<Void> closed = store.close();
    for (Future<Void> c : creates) {
      await(c);
    }
    await(closed);

    store = await(JournalTransactionStore.open(settings()));
    assertThat(await(store.loadUnfinished())).hasSize(300);
  }

  @Test
  void aTransactionTooLargeForOneRecordIsRefusedAndTheStoreStaysUsable() throws Exception {
    String payload = "x".repeat(JournalSettings.DEFAULT_BUFFER_SIZE_BYTES);
    GlobalTx huge = new GlobalTx("huge", Mode.TCC, GlobalStatus.ACTIVE, T0, T0, null, null, 1,
        List.of(Branch.registered("b", "http://h/confirm", "http://h/cancel", payload)));
    assertThat(failureOf(store.create(huge))).isEqualTo(ErrorCode.LIMIT_EXCEEDED);

    GlobalTx tx = TxFixtures.active("small", T0);
    await(store.create(tx));
    GlobalTx grown = new GlobalTx("small", Mode.TCC, GlobalStatus.ACTIVE, T0, T0, null, null, 2, huge.branches());
    assertThat(failureOf(store.update(grown, 1))).isEqualTo(ErrorCode.LIMIT_EXCEEDED);
    await(store.update(TxFixtures.touched(tx, T0.plusSeconds(1)), 1));
    assertThat(await(store.find("huge"))).isEmpty();
  }

  @Test
  void aSecondStoreOnTheSameDirectoryIsRefused() throws Exception {
    long appenders = appenderThreads();
    assertThat(failureOf(JournalTransactionStore.open(settings()))).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
    assertThat(appenderThreads()).as("the refused store left no appender thread behind").isEqualTo(appenders);
    await(store.create(TxFixtures.active("still-works", T0)));
    assertThat(await(store.list(TxQuery.all(10))).items()).hasSize(1);
  }

  private static long appenderThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("covenant-journal-append")).count();
  }

  /** Appends a record straight through Artemis, as an older (or damaged) coordinator might have. */
  private void appendRaw(byte type, byte[] data) throws Exception {
    JournalSettings s = settings();
    NIOSequentialFileFactory files = new NIOSequentialFileFactory(s.directory().toFile(), true, 1);
    JournalImpl raw = new JournalImpl(s.fileSizeBytes(), s.minFiles(), s.poolSize(), 0, 0, files,
        JournalTransactionStore.FILE_PREFIX, JournalTransactionStore.FILE_EXTENSION, 1);
    raw.start();
    raw.loadInternalOnly();
    raw.appendAddRecord(1_000_000, type, data, true);
    raw.stop();
    files.stop();
  }

  @Test
  void aRecordThatCannotBeDecodedStopsTheStoreFromOpening() throws Exception {
    await(store.create(TxFixtures.active("good", T0)));
    await(store.close());
    store = null;

    byte formatVersionFromTheFuture = 99;
    appendRaw(JournalTransactionStore.TX_RECORD_UNCHECKED, new byte[] {formatVersionFromTheFuture, 1, 2, 3});

    assertThat(failureOf(JournalTransactionStore.open(settings()))).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
  }

  @Test
  void aRecordDamagedOnDiskFailsItsChecksumAndStopsTheStartInsteadOfBeingMisread() throws Exception {
    await(store.create(TxFixtures.active("order-4711", T0)));
    await(store.close());
    store = null;
    // One flipped bit inside the record's body: Artemis's size checks still pass, and the body
    // would decode as another gid ("order-4701") if nothing checked it.
    boolean flipped = false;
    try (var files = java.nio.file.Files.list(dir.resolve("journal"))) {
      for (Path f : files.filter(f -> f.toString().endsWith("." + JournalTransactionStore.FILE_EXTENSION)).toList()) {
        byte[] bytes = java.nio.file.Files.readAllBytes(f);
        int at = TxFixtures.indexOf(bytes, "order-4711".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (at >= 0) {
          bytes[at + 8] ^= 0x01;
          java.nio.file.Files.write(f, bytes);
          flipped = true;
        }
      }
    }
    assertThat(flipped).isTrue();

    Throwable failure = catchFailure(JournalTransactionStore.open(settings()));
    assertThat(failure).isInstanceOf(io.covenant.protocol.CovenantException.class).hasMessageContaining("checksum");
    assertThat(((io.covenant.protocol.CovenantException) failure).code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
  }

  @Test
  void aRecordOnDiskIsItsTxCodecBytesThenTheirBigEndianCrc32c() throws Exception {
    GlobalTx tx = TxFixtures.sagaWithOwnCalls("order-4712", T0);
    await(store.create(tx));
    await(store.close());
    store = null;
    byte[] body = io.covenant.coordinator.store.TxCodec.encode(tx);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(body);
    byte[] record = java.nio.ByteBuffer.allocate(body.length + 4).put(body).putInt((int) crc.getValue()).array();
    boolean found = false;
    try (var files = java.nio.file.Files.list(dir.resolve("journal"))) {
      for (Path f : files.filter(f -> f.toString().endsWith("." + JournalTransactionStore.FILE_EXTENSION)).toList()) {
        found |= TxFixtures.indexOf(java.nio.file.Files.readAllBytes(f), record) >= 0;
      }
    }
    assertThat(found).isTrue();
    store = await(JournalTransactionStore.open(settings()));
    assertThat(await(store.find(tx.gid()))).contains(tx);
  }

  @Test
  void recordsOfTheFirstFormatWithoutAChecksumStillLoad() throws Exception {
    await(store.close());
    store = null;
    GlobalTx old = TxFixtures.active("written-before-checksums", T0);
    appendRaw(JournalTransactionStore.TX_RECORD_UNCHECKED, io.covenant.coordinator.store.TxCodec.encode(old));

    store = await(JournalTransactionStore.open(settings()));
    assertThat(await(store.find(old.gid()))).contains(old);
    GlobalTx next = TxFixtures.touched(old, T0.plusSeconds(1));
    await(store.update(next, old.version()));
    store = reopen();
    assertThat(await(store.find(old.gid()))).contains(next);
  }
}
