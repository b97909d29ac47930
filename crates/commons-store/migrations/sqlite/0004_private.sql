-- Node-local private details of value sharing: how a person wants to be paid, and the
-- invoices and receipts behind an expense. Nothing here enters a ledger, a bundle or a
-- rebuild; the web layer shows it only to its owner and the commons' treasurers. Rows
-- name the commons and people by their ledger ids (no foreign key into the ledger
-- tables, which this data never joins), and are written with `secure_delete` on, so a
-- replaced IBAN's bytes are zeroed in the file.

-- One current record per (commons, person); a change replaces it in place.
CREATE TABLE private_payment_details (
    commons     BLOB    NOT NULL CHECK (length(commons) = 32),
    person      BLOB    NOT NULL CHECK (length(person) = 33),
    holder_name TEXT    NOT NULL,
    iban        TEXT    NOT NULL,
    bic         TEXT,
    note        TEXT,
    created_ms  INTEGER NOT NULL CHECK (created_ms >= 0),
    updated_ms  INTEGER NOT NULL CHECK (updated_ms >= 0),
    PRIMARY KEY (commons, person)
) STRICT, WITHOUT ROWID;

-- Attachments of an expense (named by its `expense.file` event), numbered 1, 2, … in
-- the order they were added. A rowid table with `bytes` last, like `blobs`.
CREATE TABLE private_attachments (
    commons     BLOB    NOT NULL CHECK (length(commons) = 32),
    expense     BLOB    NOT NULL CHECK (length(expense) = 32),
    n           INTEGER NOT NULL CHECK (n >= 1),
    file_name   TEXT    NOT NULL,
    media_type  TEXT    NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size        INTEGER NOT NULL CHECK (size >= 0),
    uploader    BLOB    NOT NULL CHECK (length(uploader) = 33),
    uploaded_ms INTEGER NOT NULL CHECK (uploaded_ms >= 0),
    bytes       BLOB    NOT NULL CHECK (length(bytes) = size),
    PRIMARY KEY (commons, expense, n)
) STRICT;
