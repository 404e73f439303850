-- Covenant branch barrier table for MySQL 8 and MariaDB 10.6+ (tx-client, io.covenant.client.barrier.Barrier).
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
-- The table must be InnoDB (transactional); the index on created_at serves Barrier.purgeOlderThan.
CREATE TABLE IF NOT EXISTS covenant_barrier (
  gid        VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  branch_id  VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  op         VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  origin     VARCHAR(16)  CHARACTER SET ascii NOT NULL,
  state      VARCHAR(16)  CHARACTER SET ascii NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (gid, branch_id, op),
  KEY covenant_barrier_created_at (created_at)
) ENGINE=InnoDB;
