-- Node-local accounts: the personal data of the people who use this node's web pages;
-- the same tables as the SQLite schema. Nothing here enters a ledger, and deleting an
-- account deletes its rows here (PostgreSQL reclaims their space at the next vacuum).

-- An identity column never hands out an id twice, so a stale reference to a deleted
-- account never finds a new one.
CREATE TABLE accounts (
    id            BIGINT NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    display_name  TEXT   NOT NULL,
    -- Normalised (lowercased) by the node before it reaches the store; one account each.
    email         TEXT   NOT NULL CONSTRAINT accounts_email_unique UNIQUE,
    password_hash TEXT   NOT NULL,
    created_ms    BIGINT NOT NULL CHECK (created_ms >= 0)
);

-- The signing keys of each account: one custodial key, whose secret the node keeps
-- sealed, and any the person holds and linked (no secret). A key belongs to one account.
CREATE TABLE account_keys (
    key           BYTEA  NOT NULL CONSTRAINT account_keys_pkey PRIMARY KEY
                         CHECK (octet_length(key) = 33),
    account       BIGINT NOT NULL REFERENCES accounts (id),
    -- NULL for a linked key.
    sealed_secret BYTEA,
    added_ms      BIGINT NOT NULL CHECK (added_ms >= 0)
);
CREATE INDEX account_keys_by_account ON account_keys (account, added_ms);
-- At most one custodial key per account.
CREATE UNIQUE INDEX account_keys_one_custodial ON account_keys (account)
    WHERE sealed_secret IS NOT NULL;

-- Login sessions, by the hash of the token the cookie carries (never the token itself).
CREATE TABLE sessions (
    token_hash BYTEA  NOT NULL CONSTRAINT sessions_pkey PRIMARY KEY
                      CHECK (octet_length(token_hash) = 32),
    account    BIGINT NOT NULL REFERENCES accounts (id),
    csrf_token TEXT   NOT NULL,
    created_ms BIGINT NOT NULL CHECK (created_ms >= 0),
    expires_ms BIGINT NOT NULL CHECK (expires_ms >= 0)
);
CREATE INDEX sessions_by_account ON sessions (account, created_ms);
CREATE INDEX sessions_by_expiry ON sessions (expires_ms);
