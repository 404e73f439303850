-- Covenant branch barrier table for PostgreSQL (tx-client, io.covenant.client.barrier.Barrier).
-- Apply it yourself, or let Barrier.builder(...).createTable(true) run it at start (it is idempotent).
-- A table name other than covenant_barrier is set with Barrier.builder(...).table("..."); the barrier
-- then runs this text with that name in place of covenant_barrier.
--
-- One row per (gid, branch_id, op) slot, inserted with insert-if-absent in the same local transaction
-- as the business change:
--   op      the slot: try, confirm, cancel, action, compensate, commit or rollback
--   origin  the op of the call that wrote the row; a cancel (compensate) that finds no try (action)
--           writes the try slot with origin 'cancel' ('compensate'), so that a later try is refused
--   state   'done', or 'trying' while a try (action) in OUTSIDE_EFFECTS mode has not finished its
--           local transaction
CREATE TABLE IF NOT EXISTS covenant_barrier (
  gid        VARCHAR(255) NOT NULL,
  branch_id  VARCHAR(255) NOT NULL,
  op         VARCHAR(16)  NOT NULL,
  origin     VARCHAR(16)  NOT NULL,
  state      VARCHAR(16)  NOT NULL,
  created_at TIMESTAMPTZ  NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (gid, branch_id, op)
);

-- Cleanup (Barrier.purgeOlderThan) deletes old rows in batches by this index.
CREATE INDEX IF NOT EXISTS covenant_barrier_created_at ON covenant_barrier (created_at);
