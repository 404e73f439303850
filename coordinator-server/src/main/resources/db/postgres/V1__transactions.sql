-- Covenant transaction store, schema version 1, for PostgreSQL 12 or later.
--
-- The coordinator applies this file at start when store.postgres.migrate=true (the default) and
-- records it in covenant_schema_version. To apply it yourself instead, see "Stores" in
-- coordinator-server/README.md.
--
-- One row per global transaction. The body column holds the whole transaction in the
-- coordinator's binary format (TxCodec) and is the truth; the other columns are copies of its
-- fields, kept so that the coordinator can filter, order and purge without decoding rows.

CREATE TABLE covenant_transactions (
  gid            text COLLATE "C" NOT NULL PRIMARY KEY,
  mode           text        NOT NULL,  -- tcc | saga | 2pc
  status         text        NOT NULL,  -- active | committing | committed | rolling_back | rolled_back
  version        bigint      NOT NULL,  -- 1 at creation, +1 per change; every update is a compare-and-set on it
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  stuck_attempts integer     NOT NULL,  -- most attempts of an unfinished branch whose last call failed; -1 if none
  owner_id       text,                  -- reserved for several coordinators sharing the database; not used yet
  owner_epoch    bigint,                -- reserved, as owner_id
  body           bytea       NOT NULL
);

-- Unfinished transactions: what a coordinator loads at start, and what stuck and active listings scan.
-- Partial, so it stays as small as the work in progress however many finished rows are retained.
CREATE INDEX covenant_transactions_unfinished ON covenant_transactions (created_at, gid)
  WHERE status NOT IN ('committed', 'rolled_back');

-- Listing every transaction oldest first, page by page.
CREATE INDEX covenant_transactions_created ON covenant_transactions (created_at, gid);

-- Purging finished transactions past their retention, oldest first.
CREATE INDEX covenant_transactions_finished ON covenant_transactions (updated_at)
  WHERE status IN ('committed', 'rolled_back');
