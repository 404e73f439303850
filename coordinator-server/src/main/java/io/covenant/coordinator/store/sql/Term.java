package io.covenant.coordinator.store.sql;

import org.slf4j.Logger;

/**
 * This coordinator's term in a shared database: the epoch it writes as, and whether its lease has
 * expired, in which case the next heartbeat begins a new term. The SQL stores keep one each and
 * differ only in how they talk to their database; the changes of a term, and the lines they log,
 * are here once. Thread-safe.
 */
public final class Term {
  private final Logger log;
  private final String location;
  private final String instanceId;
  private volatile long epoch;
  private volatile boolean expired;

  /** @param epoch the epoch of the term the store began when it opened */
  public Term(Logger log, String location, String instanceId, long epoch) {
    this.log = log;
    this.location = location;
    this.instanceId = instanceId;
    this.epoch = epoch;
  }

  /** The epoch this store writes as now. */
  public long epoch() {
    return epoch;
  }

  /** True once a heartbeat found the lease expired: the next heartbeat must begin a new term. */
  public boolean expired() {
    return expired;
  }

  /** A new term, epoch {@code next}, replaces the expired one. */
  public void began(long next) {
    long old = epoch;
    epoch = next;
    expired = false;
    log.atWarn().addKeyValue("location", location).addKeyValue("instanceId", instanceId)
        .addKeyValue("expiredEpoch", old).addKeyValue("epoch", next).log("began a new term");
  }

  /**
   * The outcome of renewing the lease of {@code renewedEpoch}.
   *
   * @return {@code renewed}; when false, the lease had expired and the term is marked so
   */
  public boolean renewal(long renewedEpoch, boolean renewed) {
    if (!renewed) {
      expired = true;
      log.atWarn().addKeyValue("location", location).addKeyValue("instanceId", instanceId)
          .addKeyValue("epoch", renewedEpoch).log("this coordinator's lease had expired; its transactions are orphans now");
    }
    return renewed;
  }

  /** The term {@code resignedEpoch} was ended on purpose (a graceful stop). */
  public void resigned(long resignedEpoch) {
    log.atInfo().addKeyValue("location", location).addKeyValue("epoch", resignedEpoch)
        .log("this coordinator resigned: its unfinished transactions are orphans for the others to adopt");
  }
}
