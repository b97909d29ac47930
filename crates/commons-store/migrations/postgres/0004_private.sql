-- Node-local private details of value sharing: how a person wants to be paid, and the
-- invoices and receipts behind an expense; the same tables as the SQLite schema. Nothing
-- here enters a ledger, a bundle or a rebuild; the web layer shows it only to its owner
-- and the commons' treasurers.

-- One current record per (commons, person); a change replaces it in place.
CREATE TABLE private_payment_details (
    commons     BYTEA  NOT NULL CHECK (octet_length(commons) = 32),
    person      BYTEA  NOT NULL CHECK (octet_length(person) = 33),
    holder_name TEXT   NOT NULL,
    iban        TEXT   NOT NULL,
    bic         TEXT,
    note        TEXT,
    created_ms  BIGINT NOT NULL CHECK (created_ms >= 0),
    updated_ms  BIGINT NOT NULL CHECK (updated_ms >= 0),
    CONSTRAINT private_payment_details_pkey PRIMARY KEY (commons, person)
);

-- Attachments of an expense (named by its `expense.file` event), numbered 1, 2, … in
-- the order they were added.
CREATE TABLE private_attachments (
    commons     BYTEA  NOT NULL CHECK (octet_length(commons) = 32),
    expense     BYTEA  NOT NULL CHECK (octet_length(expense) = 32),
    n           BIGINT NOT NULL CHECK (n >= 1),
    file_name   TEXT   NOT NULL,
    media_type  TEXT   NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size        BIGINT NOT NULL CHECK (size >= 0),
    uploader    BYTEA  NOT NULL CHECK (octet_length(uploader) = 33),
    uploaded_ms BIGINT NOT NULL CHECK (uploaded_ms >= 0),
    bytes       BYTEA  NOT NULL CHECK (octet_length(bytes) = size),
    CONSTRAINT private_attachments_pkey PRIMARY KEY (commons, expense, n)
);
