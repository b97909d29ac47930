-- Node-local accounts: the personal data of the people who use this node's web pages.
-- Nothing here enters a ledger, and deleting an account erases its rows here (the store
-- deletes them with `secure_delete` on, so their bytes are zeroed in the file too).
--
-- Accounts and keys refer to each other by the account's `id`. AUTOINCREMENT, so that an
-- id is never reused: a stale reference to a deleted account never finds a new one.
CREATE TABLE accounts (
    id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT CHECK (id >= 0),
    display_name  TEXT    NOT NULL,
    -- Normalised (lowercased) by the node before it reaches the store; one account each.
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL CHECK (created_ms >= 0)
) STRICT;

-- The signing keys of each account: one custodial key, whose secret the node keeps
-- sealed, and any the person holds and linked (no secret). A key belongs to one account.
CREATE TABLE account_keys (
    key           BLOB    NOT NULL PRIMARY KEY CHECK (length(key) = 33),
    account       INTEGER NOT NULL REFERENCES accounts (id),
    -- NULL for a linked key.
    sealed_secret BLOB,
    added_ms      INTEGER NOT NULL CHECK (added_ms >= 0)
) STRICT, WITHOUT ROWID;
CREATE INDEX account_keys_by_account ON account_keys (account, added_ms);
-- At most one custodial key per account.
CREATE UNIQUE INDEX account_keys_one_custodial ON account_keys (account)
    WHERE sealed_secret IS NOT NULL;

-- Login sessions, by the hash of the token the cookie carries (never the token itself).
CREATE TABLE sessions (
    token_hash BLOB    NOT NULL PRIMARY KEY CHECK (length(token_hash) = 32),
    account    INTEGER NOT NULL REFERENCES accounts (id),
    csrf_token TEXT    NOT NULL,
    created_ms INTEGER NOT NULL CHECK (created_ms >= 0),
    expires_ms INTEGER NOT NULL CHECK (expires_ms >= 0)
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_by_account ON sessions (account, created_ms);
CREATE INDEX sessions_by_expiry ON sessions (expires_ms);
