-- The first schema of the embedded store.
--
-- Tables are STRICT so that a value of the wrong type is refused rather than silently
-- coerced, and the CHECKs catch rows written by anything other than the store, which
-- itself only writes integers it has checked into the i64 range.

-- One row per hosted commons; `size` is the number of events in its ledger.
CREATE TABLE commons (
    id   BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 32),
    name TEXT    NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0)
) STRICT, WITHOUT ROWID;

-- Events in ledger order. Rows are large (header, signature and body), so this is an
-- ordinary rowid table: SQLite advises WITHOUT ROWID only for rows well under a
-- twentieth of a page.
CREATE TABLE events (
    commons   BLOB    NOT NULL,
    idx       INTEGER NOT NULL CHECK (idx >= 0),
    id        BLOB    NOT NULL CHECK (length(id) = 32),
    author    BLOB    NOT NULL CHECK (length(author) = 33),
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    kind      TEXT    NOT NULL,
    time_ms   INTEGER NOT NULL CHECK (time_ms >= 0),
    header    BLOB    NOT NULL,
    signature BLOB    NOT NULL CHECK (length(signature) = 64),
    -- NULL when the body is withheld or redacted.
    body      BLOB,
    PRIMARY KEY (commons, idx)
) STRICT;

-- An event id appears once per commons (a fork copies its parent's prefix, so the same
-- id may appear in two commons).
CREATE UNIQUE INDEX events_by_id ON events (commons, id);
-- Only one event per author and seq is ever sequenced; an equivocating twin is refused.
CREATE UNIQUE INDEX events_by_author_seq ON events (commons, author, seq);
CREATE INDEX events_by_kind ON events (commons, kind, idx);
CREATE INDEX events_by_time ON events (commons, time_ms);

-- The Merkle tree's stored hashes, by storage index. Small rows: WITHOUT ROWID keeps
-- them in the primary key's b-tree alone.
CREATE TABLE merkle_hashes (
    commons BLOB    NOT NULL,
    idx     INTEGER NOT NULL CHECK (idx >= 0),
    hash    BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (commons, idx)
) STRICT, WITHOUT ROWID;

-- Signed checkpoint notes, one per ledger size.
CREATE TABLE checkpoints (
    commons BLOB    NOT NULL,
    size    INTEGER NOT NULL CHECK (size >= 0),
    root    BLOB    NOT NULL CHECK (length(root) = 32),
    note    TEXT    NOT NULL,
    PRIMARY KEY (commons, size)
) STRICT, WITHOUT ROWID;

-- Derived state, always rebuildable from the ledger. Rows are small and written by key,
-- so WITHOUT ROWID saves the second b-tree a rowid table would update on every upsert.
CREATE TABLE projections (
    commons BLOB NOT NULL,
    tbl     TEXT NOT NULL,
    key     BLOB NOT NULL,
    value   BLOB NOT NULL,
    PRIMARY KEY (commons, tbl, key)
) STRICT, WITHOUT ROWID;
