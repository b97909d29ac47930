//! [`AccountStore`] on PostgreSQL.
//!
//! Account writes run in READ COMMITTED and take a lock before they read what they check,
//! so that each later statement sees everything committed before the lock was granted:
//! creating an account takes a transaction-scoped advisory lock (the account limit is a
//! count over the whole table, and several nodes may share the database), and linking a
//! key, creating a session or deleting an account lock the account's row. A concurrent
//! insert of the same e-mail, key or token that slips past a check fails on the unique
//! constraint, which is reported as the same `Conflict`. Deadlocks are retried like
//! appends.

use crate::accounts::{
    self, Account, AccountId, AccountKey, AccountStore, EMAIL_TAKEN, KEY_TAKEN, NewAccount,
    NewAccountColumns, SESSION_TAKEN, Session, SessionColumns, UNKNOWN_ACCOUNT,
};
use crate::postgres::retrying;
use crate::rows::{from_stored, to_stored};
use crate::{PgStore, Result, StoreError};
use commons_ledger::AuthorKey;
use sqlx::postgres::PgConnection;

/// See the module comment.
const BEGIN_ACCOUNT_WRITE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";
/// The advisory lock that serialises account creation ("accounts" in ASCII).
const ACCOUNTS_LOCK_KEY: i64 = 0x6163_636f_756e_7473;

/// The columns [`accounts::decode_account`] expects, from `accounts`.
macro_rules! select_account {
    () => {
        "SELECT id, display_name, email, password_hash, created_ms FROM accounts"
    };
}

/// Reports a unique or foreign-key violation on the account tables as the conflict it
/// stands for; anything else is a database error.
fn conflict_or(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(database) = &error {
        let code = match (database.code().as_deref(), database.constraint()) {
            (Some("23505"), Some("accounts_email_unique")) => Some(EMAIL_TAKEN),
            (Some("23505"), Some("account_keys_pkey")) => Some(KEY_TAKEN),
            (Some("23505"), Some("sessions_pkey")) => Some(SESSION_TAKEN),
            (Some("23503"), _) => Some(UNKNOWN_ACCOUNT),
            _ => None,
        };
        if let Some(code) = code {
            return StoreError::Conflict(code.to_owned());
        }
    }
    StoreError::Database(error)
}

/// Locks the account's row until the transaction ends; false when there is none.
async fn lock_account(conn: &mut PgConnection, id: i64) -> Result<bool> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

async fn key_taken(conn: &mut PgConnection, key: &[u8; 33]) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM account_keys WHERE key = $1)")
            .bind(&key[..])
            .fetch_one(&mut *conn)
            .await?,
    )
}

impl PgStore {
    async fn create_account_once(&self, columns: &NewAccountColumns<'_>) -> Result<Account> {
        let mut tx = self.pool().begin_with(BEGIN_ACCOUNT_WRITE).await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ACCOUNTS_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        let email_taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE email = $1)")
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
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(columns.display_name)
        .bind(columns.email)
        .bind(columns.password_hash)
        .bind(columns.created_ms)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_or)?;
        sqlx::query(
            "INSERT INTO account_keys (key, account, sealed_secret, added_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&columns.key[..])
        .bind(id)
        .bind(columns.sealed_secret)
        .bind(columns.created_ms)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or)?;
        tx.commit().await?;
        columns.account(id)
    }

    async fn link_key_once(&self, id: i64, key: &[u8; 33], added_ms: i64) -> Result<()> {
        let mut tx = self.pool().begin_with(BEGIN_ACCOUNT_WRITE).await?;
        if !lock_account(&mut tx, id).await? {
            return Err(StoreError::Conflict(UNKNOWN_ACCOUNT.to_owned()));
        }
        if key_taken(&mut tx, key).await? {
            return Err(StoreError::Conflict(KEY_TAKEN.to_owned()));
        }
        let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM account_keys WHERE account = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        accounts::check_key_room(keys)?;
        sqlx::query(
            "INSERT INTO account_keys (key, account, sealed_secret, added_ms) \
             VALUES ($1, $2, NULL, $3)",
        )
        .bind(&key[..])
        .bind(id)
        .bind(added_ms)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or)?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_account_once(&self, id: i64) -> Result<bool> {
        let mut tx = self.pool().begin_with(BEGIN_ACCOUNT_WRITE).await?;
        // Locked first, so that a session or key being added waits and then finds no
        // account, instead of this delete failing on its foreign key.
        if !lock_account(&mut tx, id).await? {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sessions WHERE account = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // The payment details kept under the account's keys are its holder's personal
        // data too (`private`), and go with it.
        sqlx::query(
            "DELETE FROM private_payment_details \
             WHERE person IN (SELECT key FROM account_keys WHERE account = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM account_keys WHERE account = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted == 1)
    }

    async fn create_session_once(&self, session: &SessionColumns<'_>) -> Result<()> {
        let mut tx = self.pool().begin_with(BEGIN_ACCOUNT_WRITE).await?;
        if !lock_account(&mut tx, session.account).await? {
            return Err(StoreError::Conflict(UNKNOWN_ACCOUNT.to_owned()));
        }
        let taken: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sessions WHERE token_hash = $1)")
                .bind(session.token_hash)
                .fetch_one(&mut *tx)
                .await?;
        if taken {
            return Err(StoreError::Conflict(SESSION_TAKEN.to_owned()));
        }
        sqlx::query("DELETE FROM sessions WHERE account = $1 AND expires_ms <= $2")
            .bind(session.account)
            .bind(session.created_ms)
            .execute(&mut *tx)
            .await?;
        let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE account = $1")
            .bind(session.account)
            .fetch_one(&mut *tx)
            .await?;
        let to_end = accounts::sessions_to_end(live);
        if to_end > 0 {
            sqlx::query(
                "DELETE FROM sessions WHERE token_hash IN (\
                     SELECT token_hash FROM sessions WHERE account = $1 \
                     ORDER BY created_ms, token_hash LIMIT $2)",
            )
            .bind(session.account)
            .bind(to_end)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO sessions (token_hash, account, csrf_token, created_ms, expires_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session.token_hash)
        .bind(session.account)
        .bind(session.csrf_token)
        .bind(session.created_ms)
        .bind(session.expires_ms)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or)?;
        tx.commit().await?;
        Ok(())
    }
}

impl AccountStore for PgStore {
    async fn create_account(&self, account: &NewAccount, accounts_max: u64) -> Result<Account> {
        let columns = NewAccountColumns::new(account, accounts_max)?;
        retrying(|| self.create_account_once(&columns)).await
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        let Some(id) = accounts::stored_id(id) else {
            return Ok(None);
        };
        let row = sqlx::query(concat!(select_account!(), " WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(accounts::decode_account).transpose()
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<Account>> {
        let row = sqlx::query(concat!(select_account!(), " WHERE email = $1"))
            .bind(email)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(accounts::decode_account).transpose()
    }

    async fn account_by_key(&self, key: &AuthorKey) -> Result<Option<Account>> {
        let row = sqlx::query(
            "SELECT a.id, a.display_name, a.email, a.password_hash, a.created_ms \
             FROM account_keys AS k JOIN accounts AS a ON a.id = k.account WHERE k.key = $1",
        )
        .bind(&key.to_bytes()[..])
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(accounts::decode_account).transpose()
    }

    async fn count_accounts(&self) -> Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(self.pool())
            .await?;
        from_stored(count, "account count")
    }

    async fn set_display_name(&self, id: AccountId, display_name: &str) -> Result<bool> {
        accounts::check_display_name(display_name)?;
        let Some(id) = accounts::stored_id(id) else {
            return Ok(false);
        };
        let changed = sqlx::query("UPDATE accounts SET display_name = $1 WHERE id = $2")
            .bind(display_name)
            .bind(id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(changed == 1)
    }

    async fn set_password_hash(&self, id: AccountId, password_hash: &str) -> Result<bool> {
        accounts::check_password_hash(password_hash)?;
        let Some(id) = accounts::stored_id(id) else {
            return Ok(false);
        };
        let changed = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(changed == 1)
    }

    async fn account_keys(&self, id: AccountId) -> Result<Vec<AccountKey>> {
        let Some(id) = accounts::stored_id(id) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT key, sealed_secret, added_ms FROM account_keys WHERE account = $1 \
             ORDER BY sealed_secret IS NULL, added_ms, key",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(accounts::decode_account_key).collect()
    }

    async fn link_key(&self, id: AccountId, key: &AuthorKey, added_ms: u64) -> Result<()> {
        let added_ms = to_stored(added_ms, "key added_ms")?;
        let Some(id) = accounts::stored_id(id) else {
            return Err(StoreError::Conflict(UNKNOWN_ACCOUNT.to_owned()));
        };
        let key = key.to_bytes();
        retrying(|| self.link_key_once(id, &key, added_ms)).await
    }

    async fn delete_account(&self, id: AccountId) -> Result<bool> {
        let Some(id) = accounts::stored_id(id) else {
            return Ok(false);
        };
        retrying(|| self.delete_account_once(id)).await
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        let Some(columns) = SessionColumns::new(session)? else {
            return Err(StoreError::Conflict(UNKNOWN_ACCOUNT.to_owned()));
        };
        retrying(|| self.create_session_once(&columns)).await
    }

    async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT token_hash, account, csrf_token, created_ms, expires_ms \
             FROM sessions WHERE token_hash = $1",
        )
        .bind(&token_hash[..])
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(accounts::decode_session).transpose()
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&token_hash[..])
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(deleted == 1)
    }

    async fn delete_sessions_of(&self, account: AccountId) -> Result<u64> {
        let Some(account) = accounts::stored_id(account) else {
            return Ok(0);
        };
        Ok(sqlx::query("DELETE FROM sessions WHERE account = $1")
            .bind(account)
            .execute(self.pool())
            .await?
            .rows_affected())
    }

    async fn purge_expired_sessions(&self, now_ms: u64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_ms <= $1")
            .bind(accounts::stored_now(now_ms))
            .execute(self.pool())
            .await?
            .rows_affected())
    }
}
