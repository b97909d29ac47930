//! [`AccountStore`] on SQLite.
//!
//! Account writes go through the store's one writer connection, like appends, so they
//! queue behind each other and behind group commits instead of contending for the file
//! lock; a transaction that reads before it writes (a limit, a uniqueness check) begins
//! with `BEGIN IMMEDIATE`, so that no other process writes in between. Reads use the
//! reader pool.
//!
//! Personal data must be erasable, and SQLite leaves deleted or overwritten row bytes in
//! the page's free space (or on free pages) until something reuses it. Account writes
//! therefore run with `PRAGMA secure_delete` on, which zeroes those bytes as part of the
//! write, and put the connection's previous setting back afterwards so that appends keep
//! theirs. (The WAL may still hold the old pages until it is checkpointed and reused or
//! removed, as it is when the store closes.)

use crate::accounts::{
    self, Account, AccountId, AccountKey, AccountStore, EMAIL_TAKEN, KEY_TAKEN, NewAccount,
    NewAccountColumns, SESSION_TAKEN, Session, SessionColumns, UNKNOWN_ACCOUNT,
};
use crate::rows::{from_stored, to_stored};
use crate::{Result, SqliteStore, StoreError};
use commons_ledger::AuthorKey;
use sqlx::pool::PoolConnection;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Connection, Sqlite};

/// The columns [`accounts::decode_account`] expects, from `accounts`.
macro_rules! select_account {
    () => {
        "SELECT id, display_name, email, password_hash, created_ms FROM accounts"
    };
}

/// The writer connection, with `secure_delete` on until [`AccountWriter::release`].
pub(crate) struct AccountWriter {
    pub(crate) conn: PoolConnection<Sqlite>,
    /// The connection's setting before: 0 (off), 1 (on) or 2 (fast).
    previous: i64,
}

impl AccountWriter {
    pub(crate) async fn acquire(store: &SqliteStore) -> Result<AccountWriter> {
        let mut conn = store.pools().0.acquire().await?;
        let previous: i64 = sqlx::query_scalar("PRAGMA secure_delete")
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query("PRAGMA secure_delete = 1")
            .execute(&mut *conn)
            .await?;
        Ok(AccountWriter { conn, previous })
    }

    /// Puts the previous setting back. The write itself is over (committed or rolled
    /// back), so a failure here is logged, not returned: at worst the writer zeroes
    /// deleted bytes for longer than it needs to.
    pub(crate) async fn release(mut self) {
        let restore = match self.previous {
            0 => "PRAGMA secure_delete = 0",
            2 => "PRAGMA secure_delete = 2",
            _ => return,
        };
        if let Err(error) = sqlx::query(restore).execute(&mut *self.conn).await {
            tracing::warn!(%error, "could not restore secure_delete on the writer connection");
        }
    }
}

/// Runs `$body` (an expression using `$conn: &mut SqliteConnection`) on the writer with
/// `secure_delete` on, then restores the setting whatever the outcome and tells the
/// checkpointer.
macro_rules! with_writer {
    ($store:expr, $conn:ident => $body:expr) => {{
        let mut writer = $crate::sqlite_accounts::AccountWriter::acquire($store).await?;
        let result = {
            let $conn: &mut SqliteConnection = &mut writer.conn;
            $body.await
        };
        writer.release().await;
        $store.wrote();
        result
    }};
}
/// Private details (`sqlite_private`) are personal data too, written the same way.
pub(crate) use with_writer;

async fn create_account_in(
    conn: &mut SqliteConnection,
    columns: &NewAccountColumns<'_>,
) -> Result<Account> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let email_taken: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE email = ?)")
            .bind(columns.email)
            .fetch_one(&mut *tx)
            .await?;
    if email_taken {
        return Err(StoreError::Conflict(EMAIL_TAKEN.to_owned()));
    }
    if key_taken(&mut tx, &columns.key).await? {
        return Err(StoreError::Conflict(KEY_TAKEN.to_owned()));
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(&mut *tx)
        .await?;
    columns.check_room(stored)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (display_name, email, password_hash, created_ms) \
         VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(columns.display_name)
    .bind(columns.email)
    .bind(columns.password_hash)
    .bind(columns.created_ms)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO account_keys (key, account, sealed_secret, added_ms) VALUES (?, ?, ?, ?)",
    )
    .bind(&columns.key[..])
    .bind(id)
    .bind(columns.sealed_secret)
    .bind(columns.created_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    columns.account(id)
}

async fn key_taken(conn: &mut SqliteConnection, key: &[u8; 33]) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM account_keys WHERE key = ?)")
            .bind(&key[..])
            .fetch_one(&mut *conn)
            .await?,
    )
}

async fn account_exists(conn: &mut SqliteConnection, id: i64) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?)")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

async fn link_key_in(
    conn: &mut SqliteConnection,
    id: i64,
    key: &[u8; 33],
    added_ms: i64,
) -> Result<()> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    if !account_exists(&mut tx, id).await? {
        return Err(StoreError::Conflict(UNKNOWN_ACCOUNT.to_owned()));
    }
    if key_taken(&mut tx, key).await? {
        return Err(StoreError::Conflict(KEY_TAKEN.to_owned()));
    }
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM account_keys WHERE account = ?")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    accounts::check_key_room(keys)?;
    sqlx::query(
        "INSERT INTO account_keys (key, account, sealed_secret, added_ms) \
         VALUES (?, ?, NULL, ?)",
    )
    .bind(&key[..])
    .bind(id)
    .bind(added_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn delete_account_in(conn: &mut SqliteConnection, id: i64) -> Result<bool> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query("DELETE FROM sessions WHERE account = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // The payment details kept under the account's keys are its holder's personal data
    // too (`private`), and go with it.
    sqlx::query(
        "DELETE FROM private_payment_details \
         WHERE person IN (SELECT key FROM account_keys WHERE account = ?)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM account_keys WHERE account = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let deleted = sqlx::query("DELETE FROM accounts WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(deleted == 1)
}

async fn create_session_in(
    conn: &mut SqliteConnection,
    session: &SessionColumns<'_>,
) -> Result<()> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    if !account_exists(&mut tx, session.account).await? {
        return Err(StoreError::Conflict(UNKNOWN_ACCOUNT.to_owned()));
    }
    let taken: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sessions WHERE token_hash = ?)")
            .bind(session.token_hash)
            .fetch_one(&mut *tx)
            .await?;
    if taken {
        return Err(StoreError::Conflict(SESSION_TAKEN.to_owned()));
    }
    sqlx::query("DELETE FROM sessions WHERE account = ? AND expires_ms <= ?")
        .bind(session.account)
        .bind(session.created_ms)
        .execute(&mut *tx)
        .await?;
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE account = ?")
        .bind(session.account)
        .fetch_one(&mut *tx)
        .await?;
    let to_end = accounts::sessions_to_end(live);
    if to_end > 0 {
        sqlx::query(
            "DELETE FROM sessions WHERE token_hash IN (\
                 SELECT token_hash FROM sessions WHERE account = ? \
                 ORDER BY created_ms, token_hash LIMIT ?)",
        )
        .bind(session.account)
        .bind(to_end)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO sessions (token_hash, account, csrf_token, created_ms, expires_ms) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(session.token_hash)
    .bind(session.account)
    .bind(session.csrf_token)
    .bind(session.created_ms)
    .bind(session.expires_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Runs one statement that changes rows on the writer (with `secure_delete` on) and
/// returns how many it changed.
async fn change(store: &SqliteStore, query: Query<'_, Sqlite, SqliteArguments>) -> Result<u64> {
    with_writer!(store, conn => async {
        Ok::<u64, StoreError>(query.execute(&mut *conn).await?.rows_affected())
    })
}

impl AccountStore for SqliteStore {
    async fn create_account(&self, account: &NewAccount, accounts_max: u64) -> Result<Account> {
        let columns = NewAccountColumns::new(account, accounts_max)?;
        with_writer!(self, conn => create_account_in(conn, &columns))
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        let Some(id) = accounts::stored_id(id) else {
            return Ok(None);
        };
        let row = sqlx::query(concat!(select_account!(), " WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pools().1)
            .await?;
        row.as_ref().map(accounts::decode_account).transpose()
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<Account>> {
        let row = sqlx::query(concat!(select_account!(), " WHERE email = ?"))
            .bind(email)
            .fetch_optional(self.pools().1)
            .await?;
        row.as_ref().map(accounts::decode_account).transpose()
    }

    async fn account_by_key(&self, key: &AuthorKey) -> Result<Option<Account>> {
        let row = sqlx::query(
            "SELECT a.id, a.display_name, a.email, a.password_hash, a.created_ms \
             FROM account_keys AS k JOIN accounts AS a ON a.id = k.account WHERE k.key = ?",
        )
        .bind(&key.to_bytes()[..])
        .fetch_optional(self.pools().1)
        .await?;
        row.as_ref().map(accounts::decode_account).transpose()
    }

    async fn count_accounts(&self) -> Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(self.pools().1)
            .await?;
        from_stored(count, "account count")
    }

    async fn set_display_name(&self, id: AccountId, display_name: &str) -> Result<bool> {
        accounts::check_display_name(display_name)?;
        let Some(id) = accounts::stored_id(id) else {
            return Ok(false);
        };
        let query = sqlx::query("UPDATE accounts SET display_name = ? WHERE id = ?")
            .bind(display_name)
            .bind(id);
        Ok(change(self, query).await? == 1)
    }

    async fn set_password_hash(&self, id: AccountId, password_hash: &str) -> Result<bool> {
        accounts::check_password_hash(password_hash)?;
        let Some(id) = accounts::stored_id(id) else {
            return Ok(false);
        };
        let query = sqlx::query("UPDATE accounts SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(id);
        Ok(change(self, query).await? == 1)
    }

    async fn account_keys(&self, id: AccountId) -> Result<Vec<AccountKey>> {
        let Some(id) = accounts::stored_id(id) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT key, sealed_secret, added_ms FROM account_keys WHERE account = ? \
             ORDER BY sealed_secret IS NULL, added_ms, key",
        )
        .bind(id)
        .fetch_all(self.pools().1)
        .await?;
        rows.iter().map(accounts::decode_account_key).collect()
    }

    async fn link_key(&self, id: AccountId, key: &AuthorKey, added_ms: u64) -> Result<()> {
        let added_ms = to_stored(added_ms, "key added_ms")?;
        let Some(id) = accounts::stored_id(id) else {
            return Err(StoreError::Conflict(UNKNOWN_ACCOUNT.to_owned()));
        };
        let key = key.to_bytes();
        with_writer!(self, conn => link_key_in(conn, id, &key, added_ms))
    }

    async fn delete_account(&self, id: AccountId) -> Result<bool> {
        let Some(id) = accounts::stored_id(id) else {
            return Ok(false);
        };
        with_writer!(self, conn => delete_account_in(conn, id))
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        let Some(columns) = SessionColumns::new(session)? else {
            return Err(StoreError::Conflict(UNKNOWN_ACCOUNT.to_owned()));
        };
        with_writer!(self, conn => create_session_in(conn, &columns))
    }

    async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT token_hash, account, csrf_token, created_ms, expires_ms \
             FROM sessions WHERE token_hash = ?",
        )
        .bind(&token_hash[..])
        .fetch_optional(self.pools().1)
        .await?;
        row.as_ref().map(accounts::decode_session).transpose()
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<bool> {
        let query = sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(&token_hash[..]);
        Ok(change(self, query).await? == 1)
    }

    async fn delete_sessions_of(&self, account: AccountId) -> Result<u64> {
        let Some(account) = accounts::stored_id(account) else {
            return Ok(0);
        };
        change(
            self,
            sqlx::query("DELETE FROM sessions WHERE account = ?").bind(account),
        )
        .await
    }

    async fn purge_expired_sessions(&self, now_ms: u64) -> Result<u64> {
        change(
            self,
            sqlx::query("DELETE FROM sessions WHERE expires_ms <= ?")
                .bind(accounts::stored_now(now_ms)),
        )
        .await
    }
}
