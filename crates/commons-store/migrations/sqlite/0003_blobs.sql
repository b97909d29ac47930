-- Content-addressed blobs: the contents of artifacts (documents, designs, code, media,
-- datasets), kept outside the ledger and named in event bodies by algorithm, digest and
-- size. A blob is never changed: its name is its digest.
--
-- A rowid table rather than WITHOUT ROWID, which suits only small rows; `bytes` comes
-- last, so that reading the other columns never reads its overflow pages.
CREATE TABLE blobs (
    alg   TEXT    NOT NULL CHECK (alg IN ('sha256', 'blake3')),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    size  INTEGER NOT NULL CHECK (size >= 0),
    bytes BLOB    NOT NULL CHECK (length(bytes) = size),
    PRIMARY KEY (alg, hash)
) STRICT;

-- The bytes all blobs hold, kept in one row in the same transaction as each insert, so
-- that the cap on the total is checked without summing every blob.
CREATE TABLE blob_usage (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    bytes_total INTEGER NOT NULL CHECK (bytes_total >= 0)
) STRICT;
INSERT INTO blob_usage (id, bytes_total) VALUES (1, 0);
