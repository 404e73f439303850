-- Covenant transaction store, schema version 2, for PostgreSQL 12 or later: several coordinators
-- sharing one database.
--
-- Each running coordinator has a term: a row here, created when its store opens, whose epoch (an
-- identity, never reused) names it. The coordinator renews heartbeat_at every
-- cluster.heartbeatInterval; a term whose heartbeat_at is older than cluster.heartbeatExpiry (by
-- the database's clock) is dead, and so is a term whose row is gone. A transaction row names its
-- owner in covenant_transactions.owner_id / owner_epoch; every write by the owner is a
-- compare-and-set on version AND owner_epoch. An unfinished transaction whose owner's term is dead
-- is an orphan: another coordinator adopts it by setting owner_epoch to its own, which refuses the
-- old owner's late writes.

CREATE TABLE covenant_coordinators (
  epoch        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instance_id  text        NOT NULL,  -- cluster.instanceId: which coordinator, for people
  started_at   timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL   -- the database's now() at the last renewal
);

-- Unfinished transactions by owner: what a coordinator resumes at start and what adoption scans.
CREATE INDEX covenant_transactions_owner ON covenant_transactions (owner_epoch)
  WHERE status NOT IN ('committed', 'rolled_back');
