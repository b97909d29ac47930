-- The first schema of the embedded store.
--
-- Tables are STRICT so that a value of the wrong type is refused rather than silently
-- coerced, and the CHECKs catch rows written by anything other than the store, which
-- itself only writes integers it has checked into the i64 range.

-- One row per hosted commons; `size` is the number of events in its ledger. Every other
-- table refers to a commons by its `no`, a small integer, rather than by its 32-byte id:
-- that keeps the rows and, above all, the index entries of the big tables short. Rows are
-- never deleted, so a `no` is never reused.
CREATE TABLE commons (
    no   INTEGER NOT NULL PRIMARY KEY,
    id   BLOB    NOT NULL UNIQUE CHECK (length(id) = 32),
    name TEXT    NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0)
) STRICT;

-- The authors of each commons' events, numbered the same way: `no` is unique across all
-- commons, so an index on (author, seq) orders the events of one author of one commons.
CREATE TABLE authors (
    no      INTEGER NOT NULL PRIMARY KEY,
    commons INTEGER NOT NULL,
    author  BLOB    NOT NULL CHECK (length(author) = 33),
    UNIQUE (commons, author)
) STRICT;

-- Events in ledger order. Rows are large (header, signature and body), so this is an
-- ordinary rowid table: SQLite advises WITHOUT ROWID only for rows well under a
-- twentieth of a page.
CREATE TABLE events (
    commons   INTEGER NOT NULL, -- commons.no
    idx       INTEGER NOT NULL CHECK (idx >= 0),
    id        BLOB    NOT NULL CHECK (length(id) = 32),
    author    INTEGER NOT NULL, -- authors.no
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    kind      TEXT    NOT NULL,
    time_ms   INTEGER NOT NULL CHECK (time_ms >= 0),
    header    BLOB    NOT NULL,
    signature BLOB    NOT NULL CHECK (length(signature) = 64),
    -- NULL when the body is withheld or redacted.
    body      BLOB,
    PRIMARY KEY (commons, idx)
) STRICT;

-- Event ids are random, so every insert lands at a random place of an index on them, and
-- a group commit of a few thousand events rewrites a page of it for almost every event.
-- Indexing only the ids' first 4 bytes makes that index (and so the pages each commit
-- writes) several times smaller than one on (commons, id). Lookups read the rows with
-- a matching prefix (rarely more than one: ids are hashes) and compare the whole id.
-- Queries name it with INDEXED BY, so that the planner cannot prefer a scan of the
-- commons' events through another index.
CREATE INDEX events_by_id ON events (substr(id, 1, 4));
-- An event id appears once per commons (a fork copies its parent's prefix, so the same
-- id may appear in two commons). The prefix index cannot be UNIQUE, so these triggers
-- refuse a second event with the same id in the same commons, through that index.
CREATE TRIGGER events_id_unique_on_insert BEFORE INSERT ON events
WHEN EXISTS (
    SELECT 1 FROM events INDEXED BY events_by_id
    WHERE substr(id, 1, 4) = substr(NEW.id, 1, 4) AND id = NEW.id AND commons = NEW.commons
)
BEGIN
    SELECT RAISE(ABORT, 'UNIQUE constraint failed: events.commons, events.id');
END;
CREATE TRIGGER events_id_unique_on_update BEFORE UPDATE OF commons, id ON events
WHEN EXISTS (
    SELECT 1 FROM events INDEXED BY events_by_id
    WHERE substr(id, 1, 4) = substr(NEW.id, 1, 4) AND id = NEW.id AND commons = NEW.commons
      AND rowid <> OLD.rowid
)
BEGIN
    SELECT RAISE(ABORT, 'UNIQUE constraint failed: events.commons, events.id');
END;
-- Only one event per author and seq is ever sequenced; an equivocating twin is refused.
-- Author numbers belong to one commons, so this is (commons, author, seq) uniqueness.
CREATE UNIQUE INDEX events_by_author_seq ON events (author, seq);
CREATE INDEX events_by_kind ON events (commons, kind, idx);
CREATE INDEX events_by_time ON events (commons, time_ms);

-- The Merkle tree's stored hashes, by storage index. Small rows: WITHOUT ROWID keeps
-- them in the primary key's b-tree alone.
CREATE TABLE merkle_hashes (
    commons INTEGER NOT NULL,
    idx     INTEGER NOT NULL CHECK (idx >= 0),
    hash    BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (commons, idx)
) STRICT, WITHOUT ROWID;

-- Signed checkpoint notes, one per ledger size.
CREATE TABLE checkpoints (
    commons INTEGER NOT NULL,
    size    INTEGER NOT NULL CHECK (size >= 0),
    root    BLOB    NOT NULL CHECK (length(root) = 32),
    note    TEXT    NOT NULL,
    PRIMARY KEY (commons, size)
) STRICT, WITHOUT ROWID;

-- Derived state, always rebuildable from the ledger. Rows are small and written by key,
-- so WITHOUT ROWID saves the second b-tree a rowid table would update on every upsert.
CREATE TABLE projections (
    commons INTEGER NOT NULL,
    tbl     TEXT    NOT NULL,
    key     BLOB    NOT NULL,
    value   BLOB    NOT NULL,
    PRIMARY KEY (commons, tbl, key)
) STRICT, WITHOUT ROWID;
