-- Content-addressed blobs: the contents of artifacts (documents, designs, code, media,
-- datasets), kept outside the ledger and named in event bodies by algorithm, digest and
-- size; the same tables as the SQLite schema. A blob is never changed: its name is its
-- digest.
CREATE TABLE blobs (
    alg   TEXT   NOT NULL CHECK (alg IN ('sha256', 'blake3')),
    hash  BYTEA  NOT NULL CHECK (octet_length(hash) = 32),
    size  BIGINT NOT NULL CHECK (size >= 0),
    bytes BYTEA  NOT NULL CHECK (octet_length(bytes) = size),
    CONSTRAINT blobs_pkey PRIMARY KEY (alg, hash)
);

-- The bytes all blobs hold, kept in one row in the same transaction as each insert: the
-- conditional update of this row checks the cap and serialises concurrent inserts, even
-- from several nodes sharing the database.
CREATE TABLE blob_usage (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    bytes_total BIGINT  NOT NULL CHECK (bytes_total >= 0)
);
INSERT INTO blob_usage (id, bytes_total) VALUES (1, 0);
