-- Covenant transaction store, schema version 2, for MySQL 8.0 or later and MariaDB 10.6 or later:
-- several coordinators sharing one database.
--
-- Each running coordinator has a term: a row here, created when its store opens, whose epoch (an
-- AUTO_INCREMENT, never reused: both servers persist the counter) names it. The coordinator renews
-- heartbeat_at every cluster.heartbeatInterval; a term whose heartbeat_at is older than
-- cluster.heartbeatExpiry (by the database's clock) is dead, and so is a term whose row is gone. A
-- transaction row names its owner in covenant_transactions.owner_id / owner_epoch; every write by
-- the owner is a compare-and-set on version AND owner_epoch. An unfinished transaction whose
-- owner's term is dead is an orphan: another coordinator adopts it by setting owner_epoch to its
-- own, which refuses the old owner's late writes.

CREATE TABLE covenant_coordinators (
  epoch        BIGINT       NOT NULL AUTO_INCREMENT,
  instance_id  VARCHAR(128) NOT NULL,  -- cluster.instanceId: which coordinator, for people
  started_at   DATETIME(6)  NOT NULL,  -- UTC
  heartbeat_at DATETIME(6)  NOT NULL,  -- UTC_TIMESTAMP(6) of the database at the last renewal
  PRIMARY KEY (epoch)
) ENGINE = InnoDB;

-- Unfinished transactions by owner: what a coordinator resumes at start and what adoption scans.
CREATE INDEX covenant_transactions_owner ON covenant_transactions (finished, owner_epoch, created_at);
