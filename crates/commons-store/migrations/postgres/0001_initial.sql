-- The first schema of the PostgreSQL store; the same tables as the SQLite schema.
--
-- The CHECKs catch rows written by anything other than the store, which itself only
-- writes integers it has checked into the BIGINT range.

-- One row per hosted commons; `size` is the number of events in its ledger. Appends lock
-- this row, which serialises writers of one commons. Every other table refers to a
-- commons by its `no` rather than by its 32-byte id, which keeps rows and index entries
-- short.
CREATE TABLE commons (
    no   BIGINT NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id   BYTEA  NOT NULL UNIQUE CHECK (octet_length(id) = 32),
    name TEXT   NOT NULL,
    size BIGINT NOT NULL CHECK (size >= 0)
);

-- The authors of each commons' events, numbered the same way: `no` is unique across all
-- commons, so an index on (author, seq) orders the events of one author of one commons.
CREATE TABLE authors (
    no      BIGINT NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    commons BIGINT NOT NULL,
    author  BYTEA  NOT NULL CHECK (octet_length(author) = 33),
    UNIQUE (commons, author)
);

CREATE TABLE events (
    commons   BIGINT NOT NULL, -- commons.no
    idx       BIGINT NOT NULL CHECK (idx >= 0),
    id        BYTEA  NOT NULL CHECK (octet_length(id) = 32),
    author    BIGINT NOT NULL, -- authors.no
    seq       BIGINT NOT NULL CHECK (seq >= 0),
    kind      TEXT   NOT NULL,
    time_ms   BIGINT NOT NULL CHECK (time_ms >= 0),
    header    BYTEA  NOT NULL,
    signature BYTEA  NOT NULL CHECK (octet_length(signature) = 64),
    -- NULL when the body is withheld or redacted.
    body      BYTEA,
    PRIMARY KEY (commons, idx)
);

-- An event id appears once per commons (a fork copies its parent's prefix, so the same
-- id may appear in two commons).
CREATE UNIQUE INDEX events_by_id ON events (commons, id);
-- Only one event per author and seq is ever sequenced; an equivocating twin is refused.
-- Author numbers belong to one commons, so this is (commons, author, seq) uniqueness.
CREATE UNIQUE INDEX events_by_author_seq ON events (author, seq);
CREATE INDEX events_by_kind ON events (commons, kind, idx);
CREATE INDEX events_by_time ON events (commons, time_ms);

CREATE TABLE merkle_hashes (
    commons BIGINT NOT NULL,
    idx     BIGINT NOT NULL CHECK (idx >= 0),
    hash    BYTEA  NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (commons, idx)
);

CREATE TABLE checkpoints (
    commons BIGINT NOT NULL,
    size    BIGINT NOT NULL CHECK (size >= 0),
    root    BYTEA  NOT NULL CHECK (octet_length(root) = 32),
    note    TEXT   NOT NULL,
    PRIMARY KEY (commons, size)
);

-- Derived state, always rebuildable from the ledger. `tbl` sorts bytewise (COLLATE "C")
-- so that reads come back in the same order as on SQLite and in Rust, whatever the
-- database's default collation.
CREATE TABLE projections (
    commons BIGINT NOT NULL,
    tbl     TEXT COLLATE "C" NOT NULL,
    key     BYTEA NOT NULL,
    value   BYTEA NOT NULL,
    PRIMARY KEY (commons, tbl, key)
);
