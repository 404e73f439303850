-- Covenant transaction store, schema version 1, for MySQL 8.0 or later and MariaDB 10.6 or later.
--
-- The coordinator applies this file at start when store.mysql.migrate=true (the default) and
-- records it in covenant_schema_version. To apply it yourself instead, see "Stores" in
-- coordinator-server/README.md.
--
-- One row per global transaction. The body column holds the whole transaction in the
-- coordinator's binary format (TxCodec) and is the truth; the other columns are copies of its
-- fields, kept so that the coordinator can filter, order and purge without decoding rows.
-- Gids are ASCII (the API allows A-Z a-z 0-9 . _ : -), compared byte by byte.

CREATE TABLE covenant_transactions (
  gid            VARCHAR(1024) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  mode           VARCHAR(16)  NOT NULL,  -- tcc | saga | 2pc
  status         VARCHAR(16)  NOT NULL,  -- active | committing | committed | rolling_back | rolled_back
  version        BIGINT       NOT NULL,  -- 1 at creation, +1 per change; every update is a compare-and-set on it
  created_at     DATETIME(6)  NOT NULL,  -- UTC
  updated_at     DATETIME(6)  NOT NULL,  -- UTC
  finished       TINYINT(1)   NOT NULL,  -- 1 when status is committed or rolled_back
  stuck_attempts INT          NOT NULL,  -- most attempts of an unfinished branch whose last call failed; -1 if none
  owner_id       VARCHAR(128) NULL,      -- reserved for several coordinators sharing the database; not used yet
  owner_epoch    BIGINT       NULL,      -- reserved, as owner_id
  body           LONGBLOB     NOT NULL,
  PRIMARY KEY (gid),
  -- Unfinished transactions (finished = 0): what a coordinator loads at start, and what stuck and
  -- active listings scan, without reading the finished rows retained beside them.
  KEY covenant_transactions_unfinished (finished, created_at, gid),
  -- Listing every transaction oldest first, page by page.
  KEY covenant_transactions_created (created_at, gid),
  -- Purging finished transactions past their retention, oldest first.
  KEY covenant_transactions_finished (finished, updated_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
