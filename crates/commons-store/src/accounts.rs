//! Node-local accounts: the personal data of the people who use a node through its web
//! pages (e-mail, password hash, the signing key the node keeps for them, their login
//! sessions).
//!
//! None of this enters a ledger (DESIGN.md: personal data lives in node-local tables that
//! can be erased). It sits in the same database as the ledgers, in tables of its own
//! (migration `0002_accounts`), behind a trait of its own, [`AccountStore`], which every
//! backend implements and the conformance suite (`conformance_accounts`) checks.
//!
//! The store validates sizes and integers, enforces uniqueness (one account per e-mail,
//! one account per key) and the limits below, and erases an account with everything
//! attached to it in one transaction. It does not hash passwords, normalise e-mails,
//! generate tokens, seal secrets or read a clock: the caller does, and passes the results
//! in.

use crate::rows::{from_stored, to_stored};
use crate::{AnyStore, Result, StoreError};
use commons_ledger::AuthorKey;
use sqlx::{ColumnIndex, Decode, Row, Type};
use std::future::Future;

/// An account's number on this node. Numbers are never reused, even after a deletion.
pub type AccountId = u64;

/// The usual cap on accounts one node holds, for [`AccountStore::create_account`]; a
/// node may pass another.
pub const ACCOUNTS_MAX: u64 = 100_000;
/// Most keys one account has: its custodial key plus the keys its holder linked.
pub const KEYS_PER_ACCOUNT_MAX: u64 = 16;
/// Most live sessions one account has; a new one beyond it ends the oldest.
pub const SESSIONS_PER_ACCOUNT_MAX: u64 = 16;
/// Longest display name, in bytes (the web layer may allow less).
pub const DISPLAY_NAME_BYTES_MAX: usize = 256;
/// Longest e-mail address, in bytes: RFC 5321's limit on a forward path.
pub const EMAIL_BYTES_MAX: usize = 254;
/// Longest password hash (a PHC string), in bytes.
pub const PASSWORD_HASH_BYTES_MAX: usize = 512;
/// Longest sealed secret key, in bytes.
pub const SEALED_SECRET_BYTES_MAX: usize = 1_024;
/// Longest CSRF token, in bytes.
pub const CSRF_TOKEN_BYTES_MAX: usize = 256;

/// The `Conflict` message when the e-mail address belongs to another account.
pub const EMAIL_TAKEN: &str = "email_taken";
/// The `Conflict` message when the key belongs to an account already (this one included).
pub const KEY_TAKEN: &str = "key_taken";
/// The `Conflict` message when the account named does not exist (or was just deleted).
pub const UNKNOWN_ACCOUNT: &str = "unknown_account";
/// The `Conflict` message when a session with the same token hash exists.
pub const SESSION_TAKEN: &str = "session_taken";

impl StoreError {
    /// Whether this is a `Conflict` with the given code ([`EMAIL_TAKEN`], [`KEY_TAKEN`],
    /// [`UNKNOWN_ACCOUNT`], [`SESSION_TAKEN`]).
    pub fn is_conflict(&self, code: &str) -> bool {
        matches!(self, StoreError::Conflict(message) if message == code)
    }
}

/// An account to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub display_name: String,
    /// Already normalised (lowercased) by the caller; stored and compared as given.
    pub email: String,
    /// A PHC string (argon2id).
    pub password_hash: String,
    pub created_ms: u64,
    /// The custodial signing key: the node keeps its secret and signs with it.
    pub key: AuthorKey,
    /// The key's secret, encrypted by the node; opaque to the store.
    pub sealed_secret: Vec<u8>,
}

/// A stored account.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub display_name: String,
    pub email: String,
    pub password_hash: String,
    pub created_ms: u64,
}

/// One key of an account.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountKey {
    pub key: AuthorKey,
    /// `Some` for the custodial key (the node holds its sealed secret), `None` for a key
    /// the person holds and linked.
    pub sealed_secret: Option<Vec<u8>>,
    pub added_ms: u64,
}

/// A login session. The cookie carries a random token; the store keeps only its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: [u8; 32],
    pub account: AccountId,
    pub csrf_token: String,
    pub created_ms: u64,
    /// The caller compares it with its clock; the store only uses it to purge.
    pub expires_ms: u64,
}

/// Shows secrets as their length only, so that a logged value leaks none of them.
struct Redacted(usize);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0)
    }
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("display_name", &self.display_name)
            .field("email", &Redacted(self.email.len()))
            .field("password_hash", &Redacted(self.password_hash.len()))
            .field("created_ms", &self.created_ms)
            .field("key", &self.key)
            .field("sealed_secret", &Redacted(self.sealed_secret.len()))
            .finish()
    }
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("email", &Redacted(self.email.len()))
            .field("password_hash", &Redacted(self.password_hash.len()))
            .field("created_ms", &self.created_ms)
            .finish()
    }
}

impl std::fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountKey")
            .field("key", &self.key)
            .field(
                "sealed_secret",
                &self
                    .sealed_secret
                    .as_ref()
                    .map(|secret| Redacted(secret.len())),
            )
            .field("added_ms", &self.added_ms)
            .finish()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("token_hash", &Redacted(self.token_hash.len()))
            .field("account", &self.account)
            .field("csrf_token", &Redacted(self.csrf_token.len()))
            .field("created_ms", &self.created_ms)
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// Node-local account storage, implemented by every backend next to [`crate::Store`].
/// Reads may run in parallel with everything; writes are transactions of their own.
pub trait AccountStore: Send + Sync + 'static {
    /// Creates the account with its custodial key, in one transaction. An e-mail address
    /// already stored is a `Conflict` ([`EMAIL_TAKEN`]), a key already stored is a
    /// `Conflict` ([`KEY_TAKEN`]), and an account beyond `accounts_max` (usually
    /// [`ACCOUNTS_MAX`]) is a `Limit` error; nothing is written then.
    fn create_account(
        &self,
        account: &NewAccount,
        accounts_max: u64,
    ) -> impl Future<Output = Result<Account>> + Send;

    fn account(&self, id: AccountId) -> impl Future<Output = Result<Option<Account>>> + Send;

    /// The account with exactly this (normalised) e-mail address.
    fn account_by_email(&self, email: &str)
    -> impl Future<Output = Result<Option<Account>>> + Send;

    /// The account that holds this key, custodial or linked.
    fn account_by_key(
        &self,
        key: &AuthorKey,
    ) -> impl Future<Output = Result<Option<Account>>> + Send;

    fn count_accounts(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Returns false when there is no such account.
    fn set_display_name(
        &self,
        id: AccountId,
        display_name: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Returns false when there is no such account.
    fn set_password_hash(
        &self,
        id: AccountId,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// The account's keys: the custodial key first, then linked keys by `added_ms` (then
    /// by key). Empty for an unknown account.
    fn account_keys(&self, id: AccountId) -> impl Future<Output = Result<Vec<AccountKey>>> + Send;

    /// Links a key the person holds (they proved it by signing a challenge). A key that
    /// belongs to any account is a `Conflict` ([`KEY_TAKEN`]), an unknown account is a
    /// `Conflict` ([`UNKNOWN_ACCOUNT`]), and a key beyond [`KEYS_PER_ACCOUNT_MAX`] is a
    /// `Limit` error.
    fn link_key(
        &self,
        id: AccountId,
        key: &AuthorKey,
        added_ms: u64,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Erases the account, all its keys (the sealed secret with them), all its sessions
    /// and the payment details kept under its keys (`PrivateStore`) in one transaction. Returns false when there was no such account.
    fn delete_account(&self, id: AccountId) -> impl Future<Output = Result<bool>> + Send;

    /// Stores a session. The account's sessions that expired by `session.created_ms` go
    /// first; if [`SESSIONS_PER_ACCOUNT_MAX`] remain, the oldest (by `created_ms`, then
    /// token hash) are ended to make room. An unknown account is a `Conflict`
    /// ([`UNKNOWN_ACCOUNT`]); a token hash already stored is a `Conflict`
    /// ([`SESSION_TAKEN`]).
    fn create_session(&self, session: &Session) -> impl Future<Output = Result<()>> + Send;

    /// The session with this token hash, expired or not: the caller checks `expires_ms`
    /// against its clock.
    fn session(
        &self,
        token_hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<Session>>> + Send;

    /// Returns false when there was no such session.
    fn delete_session(&self, token_hash: &[u8; 32]) -> impl Future<Output = Result<bool>> + Send;

    /// Ends every session of the account (say, after a password change); returns how many.
    fn delete_sessions_of(&self, account: AccountId) -> impl Future<Output = Result<u64>> + Send;

    /// Deletes every session with `expires_ms <= now_ms`; returns how many.
    fn purge_expired_sessions(&self, now_ms: u64) -> impl Future<Output = Result<u64>> + Send;
}

// ---------------------------------------------------------------------------------------
// What both backends share

fn check_bytes(what: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(StoreError::Limit(format!(
            "{what} of {len} bytes is longer than {max}"
        )));
    }
    Ok(())
}

pub(crate) fn check_display_name(display_name: &str) -> Result<()> {
    check_bytes("a display name", display_name.len(), DISPLAY_NAME_BYTES_MAX)
}

pub(crate) fn check_password_hash(password_hash: &str) -> Result<()> {
    check_bytes(
        "a password hash",
        password_hash.len(),
        PASSWORD_HASH_BYTES_MAX,
    )
}

/// A new account's columns, checked before any IO.
pub(crate) struct NewAccountColumns<'a> {
    pub display_name: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub created_ms: i64,
    pub key: [u8; 33],
    pub sealed_secret: &'a [u8],
    /// The caller's cap, as a stored integer (a cap above `i64::MAX` caps nothing).
    pub accounts_max: i64,
}

impl<'a> NewAccountColumns<'a> {
    pub(crate) fn new(account: &'a NewAccount, accounts_max: u64) -> Result<Self> {
        check_display_name(&account.display_name)?;
        check_bytes("an e-mail address", account.email.len(), EMAIL_BYTES_MAX)?;
        check_password_hash(&account.password_hash)?;
        check_bytes(
            "a sealed secret",
            account.sealed_secret.len(),
            SEALED_SECRET_BYTES_MAX,
        )?;
        Ok(NewAccountColumns {
            display_name: &account.display_name,
            email: &account.email,
            password_hash: &account.password_hash,
            created_ms: to_stored(account.created_ms, "account created_ms")?,
            key: account.key.to_bytes(),
            sealed_secret: &account.sealed_secret,
            accounts_max: i64::try_from(accounts_max).unwrap_or(i64::MAX),
        })
    }

    pub(crate) fn check_room(&self, stored: i64) -> Result<()> {
        if stored >= self.accounts_max {
            return Err(StoreError::Limit(format!(
                "this node holds {stored} accounts, its maximum"
            )));
        }
        Ok(())
    }

    pub(crate) fn account(&self, id: i64) -> Result<Account> {
        Ok(Account {
            id: from_stored(id, "account id")?,
            display_name: self.display_name.to_owned(),
            email: self.email.to_owned(),
            password_hash: self.password_hash.to_owned(),
            created_ms: from_stored(self.created_ms, "account created_ms")?,
        })
    }
}

/// A session's columns, checked before any IO.
pub(crate) struct SessionColumns<'a> {
    pub token_hash: &'a [u8],
    pub account: i64,
    pub csrf_token: &'a str,
    pub created_ms: i64,
    pub expires_ms: i64,
}

impl<'a> SessionColumns<'a> {
    /// `None` when the account number cannot be stored, so no such account exists.
    pub(crate) fn new(session: &'a Session) -> Result<Option<Self>> {
        check_bytes(
            "a CSRF token",
            session.csrf_token.len(),
            CSRF_TOKEN_BYTES_MAX,
        )?;
        let created_ms = to_stored(session.created_ms, "session created_ms")?;
        let expires_ms = to_stored(session.expires_ms, "session expires_ms")?;
        let Some(account) = stored_id(session.account) else {
            return Ok(None);
        };
        Ok(Some(SessionColumns {
            token_hash: &session.token_hash,
            account,
            csrf_token: &session.csrf_token,
            created_ms,
            expires_ms,
        }))
    }
}

/// How many sessions to end so that a new one fits, given those the account has left.
pub(crate) fn sessions_to_end(live: i64) -> i64 {
    let max = i64::try_from(SESSIONS_PER_ACCOUNT_MAX).unwrap_or(i64::MAX);
    (live - max + 1).max(0)
}

/// Refuses a key beyond the per-account limit, given how many the account has.
pub(crate) fn check_key_room(keys: i64) -> Result<()> {
    if u64::try_from(keys).unwrap_or(0) >= KEYS_PER_ACCOUNT_MAX {
        return Err(StoreError::Limit(format!(
            "an account has at most {KEYS_PER_ACCOUNT_MAX} keys"
        )));
    }
    Ok(())
}

/// An account number in stored form; `None` for one no account can have.
pub(crate) fn stored_id(id: AccountId) -> Option<i64> {
    i64::try_from(id).ok()
}

/// A time bound for purging: every stored time is at most `i64::MAX`, so a later `now`
/// purges as much as `i64::MAX` does.
pub(crate) fn stored_now(now_ms: u64) -> i64 {
    i64::try_from(now_ms).unwrap_or(i64::MAX)
}

/// Decodes one `id, display_name, email, password_hash, created_ms` row.
pub(crate) fn decode_account<R>(row: &R) -> Result<Account>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r str: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: i64 = row.try_get(0)?;
    let display_name: &str = row.try_get(1)?;
    let email: &str = row.try_get(2)?;
    let password_hash: &str = row.try_get(3)?;
    let created_ms: i64 = row.try_get(4)?;
    Ok(Account {
        id: from_stored(id, "account id")?,
        display_name: display_name.to_owned(),
        email: email.to_owned(),
        password_hash: password_hash.to_owned(),
        created_ms: from_stored(created_ms, "account created_ms")?,
    })
}

/// Decodes one `key, sealed_secret, added_ms` row.
pub(crate) fn decode_account_key<R>(row: &R) -> Result<AccountKey>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r [u8]: Decode<'r, R::Database> + Type<R::Database>,
{
    let key: &[u8] = row.try_get(0)?;
    let sealed_secret: Option<&[u8]> = row.try_get(1)?;
    let added_ms: i64 = row.try_get(2)?;
    Ok(AccountKey {
        key: AuthorKey::from_bytes(key)
            .map_err(|error| StoreError::Corrupt(format!("an account key: {error}")))?,
        sealed_secret: sealed_secret.map(<[u8]>::to_vec),
        added_ms: from_stored(added_ms, "account key added_ms")?,
    })
}

/// Decodes one `token_hash, account, csrf_token, created_ms, expires_ms` row.
pub(crate) fn decode_session<R>(row: &R) -> Result<Session>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r [u8]: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r str: Decode<'r, R::Database> + Type<R::Database>,
{
    let token_hash: &[u8] = row.try_get(0)?;
    let account: i64 = row.try_get(1)?;
    let csrf_token: &str = row.try_get(2)?;
    let created_ms: i64 = row.try_get(3)?;
    let expires_ms: i64 = row.try_get(4)?;
    Ok(Session {
        token_hash: <[u8; 32]>::try_from(token_hash)
            .map_err(|_| StoreError::Corrupt("a session has a malformed token hash".to_owned()))?,
        account: from_stored(account, "session account")?,
        csrf_token: csrf_token.to_owned(),
        created_ms: from_stored(created_ms, "session created_ms")?,
        expires_ms: from_stored(expires_ms, "session expires_ms")?,
    })
}

// ---------------------------------------------------------------------------------------
// AnyStore

/// Calls the same method on whichever backend the store is.
macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Postgres($store) => $call.await,
        }
    };
}

impl AccountStore for AnyStore {
    async fn create_account(&self, account: &NewAccount, accounts_max: u64) -> Result<Account> {
        dispatch!(self, store => store.create_account(account, accounts_max))
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        dispatch!(self, store => store.account(id))
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<Account>> {
        dispatch!(self, store => store.account_by_email(email))
    }

    async fn account_by_key(&self, key: &AuthorKey) -> Result<Option<Account>> {
        dispatch!(self, store => store.account_by_key(key))
    }

    async fn count_accounts(&self) -> Result<u64> {
        dispatch!(self, store => store.count_accounts())
    }

    async fn set_display_name(&self, id: AccountId, display_name: &str) -> Result<bool> {
        dispatch!(self, store => store.set_display_name(id, display_name))
    }

    async fn set_password_hash(&self, id: AccountId, password_hash: &str) -> Result<bool> {
        dispatch!(self, store => store.set_password_hash(id, password_hash))
    }

    async fn account_keys(&self, id: AccountId) -> Result<Vec<AccountKey>> {
        dispatch!(self, store => store.account_keys(id))
    }

    async fn link_key(&self, id: AccountId, key: &AuthorKey, added_ms: u64) -> Result<()> {
        dispatch!(self, store => store.link_key(id, key, added_ms))
    }

    async fn delete_account(&self, id: AccountId) -> Result<bool> {
        dispatch!(self, store => store.delete_account(id))
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        dispatch!(self, store => store.create_session(session))
    }

    async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>> {
        dispatch!(self, store => store.session(token_hash))
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<bool> {
        dispatch!(self, store => store.delete_session(token_hash))
    }

    async fn delete_sessions_of(&self, account: AccountId) -> Result<u64> {
        dispatch!(self, store => store.delete_sessions_of(account))
    }

    async fn purge_expired_sessions(&self, now_ms: u64) -> Result<u64> {
        dispatch!(self, store => store.purge_expired_sessions(now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::{Account, AccountKey, NewAccount, Session};
    use commons_ledger::AuthorKey;

    /// Logs and panics print `Debug`: no secret or e-mail address may appear in it.
    #[test]
    fn debug_output_shows_no_secret() {
        let secret_texts = ["person@example.org", "$argon2id$secret-hash", "csrf-secret"];
        let new = NewAccount {
            display_name: "Person".to_owned(),
            email: secret_texts[0].to_owned(),
            password_hash: secret_texts[1].to_owned(),
            created_ms: 1,
            key: AuthorKey([1; 32]),
            sealed_secret: vec![0xAB; 48],
        };
        let account = Account {
            id: 1,
            display_name: "Person".to_owned(),
            email: secret_texts[0].to_owned(),
            password_hash: secret_texts[1].to_owned(),
            created_ms: 1,
        };
        let key = AccountKey {
            key: AuthorKey([1; 32]),
            sealed_secret: Some(vec![0xAB; 48]),
            added_ms: 1,
        };
        let session = Session {
            token_hash: [0xAB; 32],
            account: 1,
            csrf_token: secret_texts[2].to_owned(),
            created_ms: 1,
            expires_ms: 2,
        };
        let shown = format!("{new:?} {account:?} {key:?} {session:?}");
        for secret in secret_texts {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        for byte_shown in ["171", "0xab", "0xAB", "AB, AB", "ab, ab"] {
            assert!(!shown.contains(byte_shown), "{byte_shown} in {shown}");
        }
        assert!(shown.contains("Person") && shown.contains("redacted"));
    }
}
