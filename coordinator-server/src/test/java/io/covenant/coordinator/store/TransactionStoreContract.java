package io.covenant.coordinator.store;

import static io.covenant.coordinator.store.TxFixtures.T0;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.covenant.coordinator.core.GlobalTx;
import io.covenant.protocol.CovenantException;
import io.covenant.protocol.ErrorCode;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TransactionStore} must do (DESIGN.md: one shared conformance suite). A store's
 * test extends this class and supplies {@link #newStore()}; a durable store also overrides
 * {@link #durable()} and {@link #reopen()}, which turns on the tests that restart it.
 */
public abstract class TransactionStoreContract {
  /** The lease of the coordinators in the ownership tests: short, so that it expires within a test. */
  protected static final Duration LEASE = Duration.ofSeconds(2);

  protected TransactionStore store;

  /** A new, empty store. */
  protected abstract TransactionStore newStore() throws Exception;

  /** True when the store keeps its data across {@link #reopen()}. */
  protected boolean durable() {
    return false;
  }

  /** Closes {@link #store} and returns a new store over the same data. Only for durable stores. */
  protected TransactionStore reopen() throws Exception {
    throw new UnsupportedOperationException("this store keeps nothing across a restart");
  }

  /**
   * For a store that coordinators share ({@link TransactionStore#isShared()}): a new store over the
   * same data, as another coordinator would open it, whose idea of an expired lease is
   * {@code expiry}. The test closes it.
   */
  protected TransactionStore openSharing(Duration expiry) throws Exception {
    throw new UnsupportedOperationException("this store is not shared by coordinators");
  }

  /** For a shared store: deletes the row of {@code sharing}'s term, as a coordinator gone for good leaves it. */
  protected void forgetTerm(TransactionStore sharing) throws Exception {
    throw new UnsupportedOperationException("this store is not shared by coordinators");
  }

  /** For a shared store: clears every transaction's owner, as schema version 1 (before ownership) left them. */
  protected void clearOwners() throws Exception {
    throw new UnsupportedOperationException("this store is not shared by coordinators");
  }

  /** What reads do once a durable store is closed: answer from memory, or fail. */
  protected void assertReadsAfterClose(GlobalTx stored) throws Exception {
    throw new UnsupportedOperationException("a durable store says what its reads do after close");
  }

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
  }

  @AfterEach
  void closeStore() throws Exception {
    if (store != null) {
      await(store.close());
    }
  }

  protected static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  /** The error code {@code future} fails with; fails the test if it succeeds. */
  protected static ErrorCode failureOf(Future<?> future) throws InterruptedException, TimeoutException {
    Throwable failure = catchFailure(future);
    assertThat(failure).isInstanceOf(CovenantException.class);
    return ((CovenantException) failure).code();
  }

  /** What {@code future} fails with; fails the test if it succeeds. */
  protected static Throwable catchFailure(Future<?> future) throws InterruptedException, TimeoutException {
    try {
      future.toCompletionStage().toCompletableFuture().get(10, SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    return fail("expected a failure, but the store answered success");
  }

  protected GlobalTx stored(String gid) throws Exception {
    return await(store.find(gid)).orElseThrow(() -> new AssertionError(gid + " is not stored"));
  }

  protected List<String> gidsOf(List<GlobalTx> txs) {
    return txs.stream().map(GlobalTx::gid).toList();
  }

  /** Every transaction matching {@code query}, page by page, failing on a repeat. */
  protected List<GlobalTx> listAll(TxQuery query) throws Exception {
    List<GlobalTx> all = new ArrayList<>();
    String cursor = null;
    do {
      TxPage page = await(store.list(new TxQuery(query.statuses(), query.mode(), query.stuck(), query.stuckAfterAttempts(),
          query.createdBefore(), cursor, query.limit())));
      assertThat(page.items().size()).isLessThanOrEqualTo(query.limit());
      all.addAll(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
    assertThat(gidsOf(all)).doesNotHaveDuplicates();
    return all;
  }

  static TxQuery query(Set<GlobalStatus> statuses, Mode mode, Boolean stuck, Instant createdBefore) {
    return new TxQuery(statuses, mode, stuck, 3, createdBefore, null, 100);
  }

  @Test
  void aCreatedTransactionIsFoundAsStored() throws Exception {
    GlobalTx tx = TxFixtures.active("order-1", Mode.SAGA, T0);
    await(store.create(tx));
    assertThat(await(store.find("order-1"))).contains(tx);
    assertThat(await(store.find("order-2"))).isEmpty();
  }

  /** Issue #5: a saga step's own calls and backoff, and its action's result, are stored with it. */
  @Test
  void aSagaStepsOwnCallsBackoffAndResultAreStoredWithIt() throws Exception {
    GlobalTx tx = TxFixtures.sagaWithOwnCalls("order-own", T0);
    await(store.create(tx));
    GlobalTx succeeded = TxFixtures.firstStepSucceeded(tx, "{\"id\":\"r-17\",\"city\":\"Zürich\"}", T0.plusSeconds(1));
    await(store.update(succeeded, 1));
    assertThat(stored("order-own")).isEqualTo(succeeded);
    assertThat(stored("order-own").branches().get(0).result()).isEqualTo("{\"id\":\"r-17\",\"city\":\"Zürich\"}");
  }

  @Test
  void creatingATakenGidFailsWithGidConflictEvenAfterTheTransactionFinished() throws Exception {
    GlobalTx tx = TxFixtures.active("order-1", T0);
    await(store.create(tx));
    assertThat(failureOf(store.create(TxFixtures.active("order-1", Mode.SAGA, T0.plusSeconds(1))))).isEqualTo(ErrorCode.GID_CONFLICT);

    GlobalTx committed = TxFixtures.moved(tx, GlobalStatus.COMMITTED, T0.plusSeconds(2));
    await(store.update(committed, 1));
    assertThat(failureOf(store.create(TxFixtures.active("order-1", T0.plusSeconds(3))))).isEqualTo(ErrorCode.GID_CONFLICT);
    assertThat(stored("order-1")).isEqualTo(committed);
  }

  @Test
  void anUpdateFromTheStoredVersionReplacesTheTransaction() throws Exception {
    GlobalTx tx = TxFixtures.active("order-1", T0);
    await(store.create(tx));
    GlobalTx committing = TxFixtures.moved(tx, GlobalStatus.COMMITTING, T0.plusSeconds(1));
    await(store.update(committing, 1));
    assertThat(stored("order-1")).isEqualTo(committing);
  }

  @Test
  void anUpdateFromAnotherVersionFailsWithConcurrentUpdateAndChangesNothing() throws Exception {
    GlobalTx tx = TxFixtures.active("order-1", T0);
    await(store.create(tx));
    GlobalTx v2 = TxFixtures.moved(tx, GlobalStatus.COMMITTING, T0.plusSeconds(1));
    await(store.update(v2, 1));

    GlobalTx stale = TxFixtures.moved(tx, GlobalStatus.ROLLING_BACK, T0.plusSeconds(2));
    assertThat(failureOf(store.update(stale, 1))).isEqualTo(ErrorCode.CONCURRENT_UPDATE);
    assertThat(failureOf(store.update(TxFixtures.touched(v2, T0.plusSeconds(3)), 7))).isEqualTo(ErrorCode.CONCURRENT_UPDATE);
    assertThat(stored("order-1")).isEqualTo(v2);
  }

  // Issue #6: the journal and memory stores keep a finished transaction as its encoded bytes.

  @Test
  void aFinishedTransactionReadsBackAsWrittenWithEveryField() throws Exception {
    GlobalTx finished = TxFixtures.rolledBackWithEveryField("order-done", T0);
    assertThat(finished).hasNoNullFieldsOrProperties();
    assertThat(finished.branches().get(1)).hasNoNullFieldsOrProperties();
    await(store.create(TxFixtures.active("order-done", Mode.SAGA, T0)));
    await(store.update(finished, 1));

    assertThat(stored("order-done")).isEqualTo(finished);
    assertThat(listAll(TxQuery.all(10))).containsExactly(finished);
    assertThat(listAll(query(Set.of(GlobalStatus.ROLLED_BACK), Mode.SAGA, false, T0.plusMillis(1)))).containsExactly(finished);
    // Its second step failed 4 times (the threshold is 3), but a finished transaction is never stuck.
    assertThat(listAll(query(Set.of(), null, true, null))).isEmpty();
    assertThat(listAll(query(Set.of(GlobalStatus.COMMITTED), null, null, null))).isEmpty();
    assertThat(listAll(query(Set.of(), Mode.TCC, null, null))).isEmpty();
    assertThat(listAll(query(Set.of(), null, null, T0))).isEmpty();
  }

  @Test
  void anUpdateOfAFinishedTransactionIsStillACompareAndSetOnItsVersion() throws Exception {
    GlobalTx tx = TxFixtures.active("order-1", T0);
    await(store.create(tx));
    GlobalTx committed = TxFixtures.moved(tx, GlobalStatus.COMMITTED, T0.plusSeconds(1));
    await(store.update(committed, 1));

    assertVersionConflict(store.update(TxFixtures.touched(tx, T0.plusSeconds(2)), 1), 2, 1);
    assertThat(stored("order-1")).isEqualTo(committed);

    GlobalTx annotated = TxFixtures.touched(committed, T0.plusSeconds(3));
    await(store.update(annotated, 2));
    assertThat(stored("order-1")).isEqualTo(annotated);
    assertVersionConflict(store.update(TxFixtures.touched(committed, T0.plusSeconds(4)), 2), 3, 2);
    assertThat(stored("order-1")).isEqualTo(annotated);
  }

  private static void assertVersionConflict(Future<Void> update, long stored, long expected) throws Exception {
    assertThat(catchFailure(update))
        .isInstanceOfSatisfying(CovenantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_UPDATE))
        .hasMessageContaining("is at version " + stored + ", expected " + expected);
  }

  @Test
  void updatesIssuedBackToBackEachOnThePreviousVersionAllSucceed() throws Exception {
    GlobalTx tx = TxFixtures.active("order-1", T0);
    Future<Void> created = store.create(tx);
    List<Future<Void>> writes = new ArrayList<>();
    GlobalTx last = tx;
    for (int i = 1; i <= 20; i++) {
      GlobalTx next = TxFixtures.touched(last, T0.plusMillis(i));
      writes.add(store.update(next, last.version()));
      last = next;
    }
    await(created);
    for (Future<Void> w : writes) {
      await(w);
    }
    assertThat(stored("order-1")).isEqualTo(last);
  }

  @Test
  void aDecisionRaceHasExactlyOneWinner() throws Exception {
    ExecutorService racers = Executors.newFixedThreadPool(2);
    try {
      for (int i = 0; i < 50; i++) {
        GlobalTx tx = TxFixtures.active("race-" + i, T0.plusMillis(i));
        await(store.create(tx));
        GlobalTx commit = TxFixtures.moved(tx, GlobalStatus.COMMITTING, T0.plusSeconds(1));
        GlobalTx rollback = TxFixtures.moved(tx, GlobalStatus.ROLLING_BACK, T0.plusSeconds(1));
        CyclicBarrier start = new CyclicBarrier(2);
        CompletableFuture<Future<Void>> a = CompletableFuture.supplyAsync(() -> {
          awaitBarrier(start);
          return store.update(commit, 1);
        }, racers);
        CompletableFuture<Future<Void>> b = CompletableFuture.supplyAsync(() -> {
          awaitBarrier(start);
          return store.update(rollback, 1);
        }, racers);
        boolean commitWon = outcome(a.get(10, SECONDS));
        boolean rollbackWon = outcome(b.get(10, SECONDS));
        assertThat(commitWon ^ rollbackWon).as("exactly one of commit and rollback wins race %d", i).isTrue();
        assertThat(stored(tx.gid())).isEqualTo(commitWon ? commit : rollback);
      }
    } finally {
      racers.shutdownNow();
    }
  }

  private static void awaitBarrier(CyclicBarrier barrier) {
    try {
      barrier.await(10, SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** True if the write won; false if it lost with CONCURRENT_UPDATE; anything else fails the test. */
  private static boolean outcome(Future<Void> write) throws Exception {
    try {
      await(write);
      return true;
    } catch (CovenantException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_UPDATE);
      return false;
    }
  }

  @Test
  void writesIssuedTogetherAreEachAnsweredOnTheirOwn() throws Exception {
    // Issued without waiting, so that a store which coalesces writes puts them in shared batches:
    // each must still get its own outcome, and a loser must not take a winner down with it.
    List<GlobalTx> txs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      GlobalTx tx = TxFixtures.active(String.format("tx-%02d", i), Mode.values()[i % 3], T0.plusMillis(i));
      await(store.create(tx));
      txs.add(tx);
    }
    List<Future<Void>> stale = new ArrayList<>();
    List<Future<Void>> fresh = new ArrayList<>();
    List<Future<Void>> taken = new ArrayList<>();
    List<Future<Void>> ghosts = new ArrayList<>();
    List<Future<Void>> created = new ArrayList<>();
    List<GlobalTx> expected = new ArrayList<>();
    for (int i = 0; i < txs.size(); i++) {
      GlobalTx tx = txs.get(i);
      GlobalTx next = TxFixtures.moved(tx, GlobalStatus.COMMITTING, T0.plusSeconds(1));
      switch (i % 4) {
        case 0 -> {
          stale.add(store.update(next, 5));
          expected.add(tx);
        }
        case 1 -> {
          fresh.add(store.update(next, 1));
          expected.add(next);
        }
        case 2 -> {
          taken.add(store.create(TxFixtures.active(tx.gid(), Mode.SAGA, T0.plusSeconds(2))));
          expected.add(tx);
        }
        default -> {
          ghosts.add(store.update(TxFixtures.moved(TxFixtures.active("ghost-" + i, T0), GlobalStatus.COMMITTING, T0), 1));
          expected.add(tx);
        }
      }
      GlobalTx brandNew = TxFixtures.active("new-" + i, T0.plusSeconds(3 + i));
      created.add(store.create(brandNew));
      expected.add(brandNew);
    }
    for (Future<Void> f : stale) {
      assertThat(failureOf(f)).isEqualTo(ErrorCode.CONCURRENT_UPDATE);
    }
    for (Future<Void> f : taken) {
      assertThat(failureOf(f)).isEqualTo(ErrorCode.GID_CONFLICT);
    }
    for (Future<Void> f : ghosts) {
      assertThat(failureOf(f)).isEqualTo(ErrorCode.TRANSACTION_NOT_FOUND);
    }
    for (Future<Void> f : fresh) {
      await(f);
    }
    for (Future<Void> f : created) {
      await(f);
    }
    for (GlobalTx tx : expected) {
      assertThat(stored(tx.gid())).isEqualTo(tx);
    }
    assertThat(listAll(TxQuery.all(1000))).hasSize(80);
  }

  @Test
  void anUpdateOfAnUnknownGidFailsWithTransactionNotFound() throws Exception {
    GlobalTx ghost = TxFixtures.moved(TxFixtures.active("ghost", T0), GlobalStatus.COMMITTING, T0);
    assertThat(failureOf(store.update(ghost, 1))).isEqualTo(ErrorCode.TRANSACTION_NOT_FOUND);
    assertThat(await(store.find("ghost"))).isEmpty();
  }

  @Test
  void loadUnfinishedReturnsExactlyTheUnfinishedTransactions() throws Exception {
    GlobalStatus[] statuses = {
        GlobalStatus.ACTIVE, GlobalStatus.COMMITTING, GlobalStatus.COMMITTED, GlobalStatus.ROLLING_BACK,
        GlobalStatus.ROLLED_BACK, GlobalStatus.ACTIVE, GlobalStatus.COMMITTED,
    };
    List<GlobalTx> expected = new ArrayList<>();
    for (int i = 0; i < statuses.length; i++) {
      GlobalTx tx = TxFixtures.active("tx-" + i, Mode.values()[i % 3], T0.plusSeconds(i));
      await(store.create(tx));
      if (statuses[i] != GlobalStatus.ACTIVE) {
        tx = TxFixtures.moved(tx, statuses[i], T0.plusSeconds(10 + i));
        await(store.update(tx, 1));
      }
      if (!statuses[i].isFinished()) {
        expected.add(tx);
      }
    }
    assertThat(await(store.loadUnfinished())).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void listFiltersByStatusModeStuckAndAge() throws Exception {
    await(store.create(TxFixtures.active("tcc-active", Mode.TCC, T0)));
    GlobalTx sagaStuck = TxFixtures.active("saga-stuck", Mode.SAGA, T0.plusSeconds(1));
    await(store.create(sagaStuck));
    await(store.update(TxFixtures.failing(sagaStuck, 5, T0.plusSeconds(30)), 1));
    GlobalTx pcCommitted = TxFixtures.active("2pc-committed", Mode.TWO_PHASE, T0.plusSeconds(2));
    await(store.create(pcCommitted));
    await(store.update(TxFixtures.moved(pcCommitted, GlobalStatus.COMMITTED, T0.plusSeconds(30)), 1));
    GlobalTx tccFailingOnce = TxFixtures.active("tcc-failing-once", Mode.TCC, T0.plusSeconds(3));
    await(store.create(tccFailingOnce));
    await(store.update(TxFixtures.failing(tccFailingOnce, 1, T0.plusSeconds(30)), 1));
    GlobalTx tccRollingBack = TxFixtures.active("tcc-rolling-back", Mode.TCC, T0.plusSeconds(4));
    await(store.create(tccRollingBack));
    GlobalTx rollingBack = TxFixtures.moved(tccRollingBack, GlobalStatus.ROLLING_BACK, T0.plusSeconds(30));
    await(store.update(rollingBack, 1));
    await(store.update(TxFixtures.failing(rollingBack, 4, T0.plusSeconds(40)), 2));

    assertThat(gidsOf(listAll(query(Set.of(), null, null, null))))
        .containsExactly("tcc-active", "saga-stuck", "2pc-committed", "tcc-failing-once", "tcc-rolling-back");
    assertThat(gidsOf(listAll(query(Set.of(GlobalStatus.ACTIVE), null, null, null))))
        .containsExactly("tcc-active", "saga-stuck", "tcc-failing-once");
    assertThat(gidsOf(listAll(query(Set.of(GlobalStatus.COMMITTED, GlobalStatus.ROLLING_BACK), null, null, null))))
        .containsExactly("2pc-committed", "tcc-rolling-back");
    assertThat(gidsOf(listAll(query(Set.of(), Mode.TCC, null, null))))
        .containsExactly("tcc-active", "tcc-failing-once", "tcc-rolling-back");
    assertThat(gidsOf(listAll(query(Set.of(), null, true, null))))
        .containsExactly("saga-stuck", "tcc-rolling-back");
    assertThat(gidsOf(listAll(query(Set.of(), null, false, null))))
        .containsExactly("tcc-active", "2pc-committed", "tcc-failing-once");
    assertThat(gidsOf(listAll(query(Set.of(), null, null, T0.plusSeconds(2)))))
        .containsExactly("tcc-active", "saga-stuck");
    assertThat(gidsOf(listAll(query(Set.of(GlobalStatus.ACTIVE), Mode.TCC, false, T0.plusSeconds(4)))))
        .containsExactly("tcc-active", "tcc-failing-once");
  }

  @Test
  void pagingThroughCursorsVisitsEveryTransactionOnceInCreationOrder() throws Exception {
    List<GlobalTx> txs = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      // Two transactions share each creation instant: creation time orders them, then the gid.
      txs.add(TxFixtures.active(String.format("tx-%02d", i), Mode.values()[i % 3], T0.plusMillis(i / 2)));
    }
    List<GlobalTx> shuffled = new ArrayList<>(txs);
    Collections.shuffle(shuffled, new Random(7));
    for (GlobalTx tx : shuffled) {
      await(store.create(tx));
    }
    for (int limit : new int[] {1, 4, 23, 100}) {
      List<GlobalTx> visited = listAll(new TxQuery(Set.of(), null, null, 3, null, null, limit));
      assertThat(gidsOf(visited)).as("page size %d", limit).containsExactlyElementsOf(gidsOf(txs));
    }
    List<GlobalTx> sagas = listAll(new TxQuery(Set.of(), Mode.SAGA, null, 3, null, null, 2));
    assertThat(gidsOf(sagas)).containsExactlyElementsOf(gidsOf(txs.stream().filter(t -> t.mode() == Mode.SAGA).toList()));
  }

  @Test
  void aPageCursorStaysValidWhileTransactionsAreAdded() throws Exception {
    for (int i = 0; i < 6; i++) {
      await(store.create(TxFixtures.active("tx-" + i, T0.plusSeconds(i))));
    }
    TxPage first = await(store.list(new TxQuery(Set.of(), null, null, 3, null, null, 3)));
    assertThat(gidsOf(first.items())).containsExactly("tx-0", "tx-1", "tx-2");
    await(store.create(TxFixtures.active("tx-late", T0.plusSeconds(100))));
    TxPage second = await(store.list(new TxQuery(Set.of(), null, null, 3, null, first.nextCursor(), 10)));
    assertThat(gidsOf(second.items())).containsExactly("tx-3", "tx-4", "tx-5", "tx-late");
    assertThat(second.nextCursor()).isNull();
  }

  /** A bound on finished transactions that never binds. */
  private static final int KEEP_ALL = Integer.MAX_VALUE;

  @Test
  void purgeForgetsOnlyFinishedTransactionsOlderThanTheCutoffAtMostMaxAtATime() throws Exception {
    Instant cutoff = T0.plusSeconds(100);
    List<String> oldFinished = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      GlobalTx tx = TxFixtures.active("old-finished-" + i, T0.plusSeconds(i));
      await(store.create(tx));
      await(store.update(TxFixtures.moved(tx, i % 2 == 0 ? GlobalStatus.COMMITTED : GlobalStatus.ROLLED_BACK, T0.plusSeconds(50 + i)), 1));
      oldFinished.add(tx.gid());
    }
    GlobalTx recent = TxFixtures.active("recently-finished", T0.plusSeconds(10));
    await(store.create(recent));
    await(store.update(TxFixtures.moved(recent, GlobalStatus.COMMITTED, cutoff), 1));
    GlobalTx oldActive = TxFixtures.active("old-active", T0.plusSeconds(11));
    await(store.create(oldActive));
    GlobalTx oldCommitting = TxFixtures.active("old-committing", T0.plusSeconds(12));
    await(store.create(oldCommitting));
    await(store.update(TxFixtures.moved(oldCommitting, GlobalStatus.COMMITTING, T0.plusSeconds(13)), 1));

    assertThat(await(store.purgeFinished(cutoff, KEEP_ALL, 3))).isEqualTo(3);
    assertThat(await(store.purgeFinished(cutoff, KEEP_ALL, 100))).isEqualTo(2);
    assertThat(await(store.purgeFinished(cutoff, KEEP_ALL, 100))).isZero();

    for (String gid : oldFinished) {
      assertThat(await(store.find(gid))).as(gid).isEmpty();
    }
    assertThat(gidsOf(listAll(TxQuery.all(10)))).containsExactly("recently-finished", "old-active", "old-committing");
    assertThat(gidsOf(await(store.loadUnfinished()))).containsExactlyInAnyOrder("old-active", "old-committing");
  }

  @Test
  void purgeKeepsAtMostTheNewestFinishedTransactionsWhateverTheirAge() throws Exception {
    for (int i = 0; i < 6; i++) {
      GlobalTx tx = TxFixtures.active("finished-" + i, T0.plusSeconds(i));
      await(store.create(tx));
      // Finished in the reverse order of creation: the order that counts is the last update.
      await(store.update(TxFixtures.moved(tx, GlobalStatus.COMMITTED, T0.plusSeconds(100 - i)), 1));
    }
    await(store.create(TxFixtures.active("unfinished-a", T0.plusSeconds(10))));
    await(store.create(TxFixtures.active("unfinished-b", T0.plusSeconds(11))));

    assertThat(await(store.purgeFinished(T0, 4, 1))).isEqualTo(1);
    assertThat(await(store.purgeFinished(T0, 2, 100))).isEqualTo(3);
    assertThat(await(store.purgeFinished(T0, 2, 100))).isZero();

    assertThat(gidsOf(listAll(TxQuery.all(10)))).containsExactly("finished-0", "finished-1", "unfinished-a", "unfinished-b");
    assertThat(await(store.purgeFinished(T0, 0, 100))).isEqualTo(2);
    assertThat(gidsOf(await(store.loadUnfinished()))).containsExactlyInAnyOrder("unfinished-a", "unfinished-b");
  }

  @Test
  void aFinishedTransactionChangedAgainIsPurgedInTheOrderOfItsLastChange() throws Exception {
    GlobalTx first = TxFixtures.active("finished-first", T0);
    GlobalTx second = TxFixtures.active("finished-second", T0.plusSeconds(1));
    await(store.create(first));
    await(store.create(second));
    GlobalTx firstCommitted = TxFixtures.moved(first, GlobalStatus.COMMITTED, T0.plusSeconds(10));
    await(store.update(firstCommitted, 1));
    await(store.update(TxFixtures.moved(second, GlobalStatus.ROLLED_BACK, T0.plusSeconds(20)), 1));
    GlobalTx firstAnnotated = TxFixtures.touched(firstCommitted, T0.plusSeconds(30));
    await(store.update(firstAnnotated, 2));

    assertThat(await(store.purgeFinished(T0, 1, 100))).isEqualTo(1);
    assertThat(await(store.find("finished-second"))).isEmpty();
    assertThat(listAll(TxQuery.all(10))).containsExactly(firstAnnotated);
    assertThat(await(store.purgeFinished(T0.plusSeconds(30), KEEP_ALL, 100))).isZero();
    assertThat(await(store.purgeFinished(T0.plusSeconds(31), KEEP_ALL, 100))).isEqualTo(1);
    assertThat(listAll(TxQuery.all(10))).isEmpty();
  }

  @Test
  void aPurgedGidCanBeCreatedAgain() throws Exception {
    GlobalTx tx = TxFixtures.active("reused", T0);
    await(store.create(tx));
    await(store.update(TxFixtures.moved(tx, GlobalStatus.ROLLED_BACK, T0.plusSeconds(1)), 1));
    assertThat(await(store.purgeFinished(T0.plusSeconds(2), KEEP_ALL, 10))).isEqualTo(1);

    GlobalTx again = TxFixtures.active("reused", Mode.SAGA, T0.plusSeconds(3));
    await(store.create(again));
    assertThat(stored("reused")).isEqualTo(again);
    GlobalTx committing = TxFixtures.moved(again, GlobalStatus.COMMITTING, T0.plusSeconds(4));
    await(store.update(committing, 1));
    assertThat(stored("reused")).isEqualTo(committing);
  }

  @Test
  void manyConcurrentCreatesAndUpdatesAllSucceed() throws Exception {
    int count = 2_000;
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<Void>> chains = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        GlobalTx tx = TxFixtures.active(String.format("tx-%05d", i), Mode.values()[i % 3], T0.plusMillis(i));
        GlobalTx committing = TxFixtures.moved(tx, GlobalStatus.COMMITTING, T0.plusSeconds(10));
        GlobalTx committed = TxFixtures.moved(committing, GlobalStatus.COMMITTED, T0.plusSeconds(11));
        // Each continuation runs on whatever thread completed the previous write, as the engine's would.
        chains.add(CompletableFuture.supplyAsync(() -> store.create(tx)
            .compose(v -> store.update(committing, 1))
            .compose(v -> store.update(committed, 2)), callers)
            .thenCompose(f -> f.toCompletionStage()));
      }
      CompletableFuture.allOf(chains.toArray(CompletableFuture[]::new)).get(30, SECONDS);
    } finally {
      callers.shutdownNow();
    }
    List<GlobalTx> all = listAll(TxQuery.all(500));
    assertThat(all).hasSize(count);
    assertThat(all).allSatisfy(tx -> {
      assertThat(tx.version()).isEqualTo(3);
      assertThat(tx.status()).isEqualTo(GlobalStatus.COMMITTED);
    });
    assertThat(await(store.loadUnfinished())).isEmpty();
  }

  @Test
  void everythingSurvivesAReopen() throws Exception {
    assumeTrue(durable(), "this store keeps nothing across a restart");
    List<GlobalTx> latest = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      GlobalTx tx = TxFixtures.active("tx-" + i, Mode.values()[i % 3], T0.plusSeconds(i));
      await(store.create(tx));
      for (int step = 0; step < i % 4; step++) {
        GlobalTx next = TxFixtures.touched(tx, T0.plusSeconds(100 + step));
        await(store.update(next, tx.version()));
        tx = next;
      }
      if (i % 5 == 0) {
        GlobalTx done = TxFixtures.moved(tx, GlobalStatus.COMMITTED, T0.plusSeconds(200 + i));
        await(store.update(done, tx.version()));
        tx = done;
      } else if (i % 7 == 0) {
        GlobalTx failing = TxFixtures.failing(TxFixtures.moved(tx, GlobalStatus.ROLLING_BACK, T0.plusSeconds(200)), 4, T0.plusSeconds(300));
        await(store.update(failing, tx.version()));
        tx = failing;
      }
      latest.add(tx);
    }
    // Purge the finished ones created before tx-15 (tx-0, tx-5, tx-10).
    assertThat(await(store.purgeFinished(T0.plusSeconds(215), KEEP_ALL, 100))).isEqualTo(3);
    latest.removeIf(tx -> Set.of("tx-0", "tx-5", "tx-10").contains(tx.gid()));

    await(store.resign()); // a graceful stop: what it owned is adopted by the next coordinator at once
    store = reopen();
    List<GlobalTx> resumed = new ArrayList<>(await(store.loadUnfinished()));
    resumed.addAll(await(store.adoptOrphans(1000)));
    assertThat(resumed).containsExactlyInAnyOrderElementsOf(latest.stream().filter(tx -> !tx.status().isFinished()).toList());

    for (GlobalTx tx : latest) {
      assertThat(await(store.find(tx.gid()))).as(tx.gid()).contains(tx);
    }
    for (String purged : List.of("tx-0", "tx-5", "tx-10")) {
      assertThat(await(store.find(purged))).as(purged).isEmpty();
    }
    assertThat(listAll(TxQuery.all(7))).containsExactlyElementsOf(latest);
    assertThat(await(store.loadUnfinished()))
        .containsExactlyInAnyOrderElementsOf(latest.stream().filter(tx -> !tx.status().isFinished()).toList());
    assertThat(await(store.adoptOrphans(1000))).isEmpty();

    // The reopened store goes on where the old one stopped: versions, conflicts and reused gids.
    GlobalTx tx1 = latest.get(0);
    GlobalTx next = TxFixtures.touched(tx1, T0.plusSeconds(400));
    assertThat(failureOf(store.update(next, tx1.version() - 1))).isEqualTo(ErrorCode.CONCURRENT_UPDATE);
    await(store.update(next, tx1.version()));
    assertThat(failureOf(store.create(TxFixtures.active(tx1.gid(), T0)))).isEqualTo(ErrorCode.GID_CONFLICT);
    GlobalTx reborn = TxFixtures.active("tx-0", T0.plusSeconds(500));
    await(store.create(reborn));
    await(store.create(TxFixtures.active("brand-new", T0.plusSeconds(501))));

    store = reopen();
    assertThat(await(store.find(tx1.gid()))).contains(next);
    assertThat(await(store.find("tx-0"))).contains(reborn);
    assertThat(await(store.find("brand-new"))).isPresent();
    assertThat(listAll(TxQuery.all(100))).hasSize(latest.size() + 2);
  }

  @Test
  void writesAfterCloseFailWithStoreUnavailable() throws Exception {
    assumeTrue(durable(), "only a durable store holds files or connections to close");
    GlobalTx tx = TxFixtures.active("order-1", T0);
    await(store.create(tx));
    await(store.close());

    assertThat(failureOf(store.create(TxFixtures.active("order-2", T0)))).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
    assertThat(failureOf(store.update(TxFixtures.moved(tx, GlobalStatus.COMMITTING, T0), 1))).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
    assertThat(failureOf(store.purgeFinished(Instant.MAX, KEEP_ALL, 10))).isEqualTo(ErrorCode.STORE_UNAVAILABLE);
    assertReadsAfterClose(tx);
    await(store.close()); // closing twice is harmless
    store = null;
  }

  // --- ownership (issue #3): trivial for a single-owner store, fencing for a shared one ---------

  @Test
  void aStoreOwnsTheUnfinishedTransactionsItCreates() throws Exception {
    GlobalTx tx = TxFixtures.active("order-1", T0);
    await(store.create(tx));
    assertThat(await(store.findOwned("order-1"))).contains(tx);
    assertThat(await(store.heartbeat())).isTrue();
    assertThat(await(store.adoptOrphans(10))).isEmpty();

    GlobalTx committed = TxFixtures.moved(tx, GlobalStatus.COMMITTED, T0.plusSeconds(1));
    await(store.update(committed, 1));
    assertThat(await(store.findOwned("order-1"))).isEmpty();
    assertThat(await(store.findOwned("order-2"))).isEmpty();
  }

  @Test
  void aTakeOverIsACompareAndSetOnTheVersion() throws Exception {
    GlobalTx tx = TxFixtures.active("order-1", T0);
    await(store.create(tx));
    GlobalTx committing = TxFixtures.moved(tx, GlobalStatus.COMMITTING, T0.plusSeconds(1));
    await(store.takeOver(committing, 1));
    assertThat(failureOf(store.takeOver(TxFixtures.moved(tx, GlobalStatus.ROLLING_BACK, T0.plusSeconds(2)), 1)))
        .isEqualTo(ErrorCode.CONCURRENT_UPDATE);
    assertThat(failureOf(store.takeOver(TxFixtures.touched(committing, T0.plusSeconds(2)), 7)))
        .isEqualTo(ErrorCode.CONCURRENT_UPDATE);
    assertThat(stored("order-1")).isEqualTo(committing);
    assertThat(await(store.findOwned("order-1"))).contains(committing);
  }

  @Test
  void aTransactionWhoseTermRowIsGoneIsAdoptedByTheSweep() throws Exception {
    assumeTrue(store.isShared(), "a single-owner store has no terms");
    TransactionStore gone = openSharing(Duration.ofMinutes(1));
    try {
      GlobalTx tx = TxFixtures.active("late-write", T0);
      await(gone.create(tx));
      forgetTerm(gone);
      TransactionStore adopter = openSharing(Duration.ofMinutes(1)); // its first adoption sweeps
      try {
        assertThat(await(adopter.adoptOrphans(10))).containsExactly(tx);
        assertThat(failureOf(gone.update(TxFixtures.touched(tx, T0.plusSeconds(1)), 1))).isEqualTo(ErrorCode.CONCURRENT_UPDATE);
      } finally {
        await(adopter.close());
      }
    } finally {
      await(gone.close());
    }
  }

  @Test
  void aTransactionStoredBeforeOwnershipExistedIsAdoptedAtStart() throws Exception {
    assumeTrue(store.isShared(), "a single-owner store has no owners");
    GlobalTx tx = TxFixtures.active("from-v1", T0);
    await(store.create(tx));
    clearOwners();
    TransactionStore next = openSharing(Duration.ofMinutes(1));
    try {
      assertThat(await(next.adoptOrphans(10))).containsExactly(tx);
      await(next.update(TxFixtures.touched(tx, T0.plusSeconds(1)), 1));
    } finally {
      await(next.close());
    }
  }

  @Test
  void anOrphanIsAdoptedOnlyOnceItsOwnersLeaseExpiresAndTheOldOwnersLateWritesAreRefused() throws Exception {
    assumeTrue(store.isShared(), "a single-owner store has no other coordinator to fence");
    TransactionStore owner = openSharing(LEASE);
    TransactionStore adopter = openSharing(LEASE);
    try {
      GlobalTx tx = TxFixtures.active("order-1", T0);
      await(owner.create(tx));
      GlobalTx v2 = TxFixtures.touched(tx, T0.plusSeconds(1));
      await(owner.update(v2, 1));

      // While the owner renews its lease, nobody adopts its transaction.
      Awaitility.await().during(LEASE.multipliedBy(2)).atMost(LEASE.multipliedBy(6)).pollInterval(LEASE.dividedBy(10))
          .until(() -> await(owner.heartbeat()) && await(adopter.heartbeat()) && await(adopter.adoptOrphans(10)).isEmpty());

      // The owner pauses; once its lease expires the adopter takes the transaction as stored.
      List<GlobalTx> adopted = new ArrayList<>();
      Awaitility.await().atMost(LEASE.multipliedBy(10)).pollInterval(LEASE.dividedBy(10))
          .until(() -> await(adopter.heartbeat()) && adopted.addAll(await(adopter.adoptOrphans(10))));
      assertThat(adopted).containsExactly(v2);
      assertThat(await(adopter.findOwned("order-1"))).contains(v2);
      assertThat(await(owner.findOwned("order-1"))).isEmpty();

      // The owner wakes up: its write from the version it knows, still the stored one, is refused.
      GlobalTx lateRollback = TxFixtures.moved(v2, GlobalStatus.ROLLING_BACK, T0.plusSeconds(2));
      assertThat(failureOf(owner.update(lateRollback, 2))).isEqualTo(ErrorCode.CONCURRENT_UPDATE);
      GlobalTx commit = TxFixtures.moved(v2, GlobalStatus.COMMITTING, T0.plusSeconds(3));
      await(adopter.update(commit, 2));
      assertThat(failureOf(owner.update(TxFixtures.touched(commit, T0.plusSeconds(4)), 3))).isEqualTo(ErrorCode.CONCURRENT_UPDATE);
      assertThat(await(adopter.find("order-1"))).contains(commit);

      // Its next heartbeat tells it the lease is gone; it begins a new term, which owns nothing yet.
      assertThat(await(owner.heartbeat())).isFalse();
      assertThat(await(owner.heartbeat())).isTrue();
      assertThat(await(owner.loadUnfinished())).isEmpty();
      assertThat(await(adopter.heartbeat())).isTrue();
      assertThat(await(adopter.adoptOrphans(10))).isEmpty();
      assertThat(await(owner.adoptOrphans(10))).isEmpty();
    } finally {
      await(owner.close());
      await(adopter.close());
    }
  }

  @Test
  void aTakeOverByAnotherCoordinatorFencesTheOwner() throws Exception {
    assumeTrue(store.isShared(), "a single-owner store has no other coordinator to fence");
    TransactionStore other = openSharing(Duration.ofMinutes(1));
    try {
      GlobalTx tx = TxFixtures.active("order-1", T0);
      await(store.create(tx));
      GlobalTx committing = TxFixtures.moved(tx, GlobalStatus.COMMITTING, T0.plusSeconds(1));
      await(other.takeOver(committing, 1));

      assertThat(await(other.findOwned("order-1"))).contains(committing);
      assertThat(await(store.findOwned("order-1"))).isEmpty();
      assertThat(failureOf(store.update(TxFixtures.moved(committing, GlobalStatus.COMMITTED, T0.plusSeconds(2)), 2)))
          .isEqualTo(ErrorCode.CONCURRENT_UPDATE);
      GlobalTx committed = TxFixtures.moved(committing, GlobalStatus.COMMITTED, T0.plusSeconds(3));
      await(other.update(committed, 2));
      assertThat(stored("order-1")).isEqualTo(committed);
    } finally {
      await(other.close());
    }
  }

  @Test
  void adoptersRacingForManyOrphansTakeEachExactlyOnce() throws Exception {
    assumeTrue(store.isShared(), "a single-owner store has no other coordinator to fence");
    Duration longLease = Duration.ofMinutes(1); // only the resigned coordinator's transactions are orphans
    TransactionStore gone = openSharing(longLease);
    List<TransactionStore> adopters = new ArrayList<>();
    try {
      List<Future<Void>> creates = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        creates.add(gone.create(TxFixtures.active("tx-" + i, T0.plusMillis(i))));
      }
      for (Future<Void> c : creates) {
        await(c);
      }
      await(gone.resign());
      for (int i = 0; i < 3; i++) {
        adopters.add(openSharing(longLease));
      }
      List<List<String>> taken = Collections.synchronizedList(new ArrayList<>());
      ExecutorService pool = Executors.newFixedThreadPool(adopters.size());
      try {
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (TransactionStore adopter : adopters) {
          runs.add(CompletableFuture.runAsync(() -> {
            try {
              List<GlobalTx> batch;
              do {
                batch = await(adopter.adoptOrphans(25));
                taken.add(gidsOf(batch));
              } while (!batch.isEmpty());
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }, pool));
        }
        CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(60, SECONDS);
      } finally {
        pool.shutdownNow();
      }
      List<String> all = taken.stream().flatMap(List::stream).toList();
      assertThat(all).hasSize(300).doesNotHaveDuplicates();
      int owned = 0;
      for (TransactionStore adopter : adopters) {
        for (String gid : all) {
          if (await(adopter.findOwned(gid)).isPresent()) {
            owned++;
          }
        }
      }
      assertThat(owned).isEqualTo(300);
    } finally {
      await(gone.close());
      for (TransactionStore adopter : adopters) {
        await(adopter.close());
      }
    }
  }
}
