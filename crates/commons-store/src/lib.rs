//! Storage of commons ledgers behind one trait, with an embedded SQLite backend and a
//! PostgreSQL backend for scale.
//!
//! The store knows nothing of domain rules: it keeps events in ledger order, the Merkle
//! tree's stored hashes, signed checkpoints and the projection rows the node derives
//! from the fold, and it writes each batch of them in one transaction. Both backends run
//! the same conformance suite (`conformance`).

use commons_ledger::keys::Signature;
use commons_ledger::{AuthorKey, CommonsId, EventId, Hash};
use std::future::Future;

mod accounts;
mod activity;
mod blobs;
pub mod conformance;
pub mod conformance_accounts;
pub mod conformance_activity;
pub mod conformance_blobs;
pub mod conformance_private;
mod migration;
pub mod postgres;
mod postgres_accounts;
mod postgres_blobs;
mod postgres_private;
mod private;
mod rows;
pub mod sqlite;
mod sqlite_accounts;
mod sqlite_blobs;
mod sqlite_private;

pub use accounts::{
    ACCOUNTS_MAX, Account, AccountId, AccountKey, AccountStore, CSRF_TOKEN_BYTES_MAX,
    DISPLAY_NAME_BYTES_MAX, EMAIL_BYTES_MAX, EMAIL_TAKEN, KEY_TAKEN, KEYS_PER_ACCOUNT_MAX,
    NewAccount, PASSWORD_HASH_BYTES_MAX, SEALED_SECRET_BYTES_MAX, SESSION_TAKEN,
    SESSIONS_PER_ACCOUNT_MAX, Session, UNKNOWN_ACCOUNT,
};
pub use activity::*;
pub use blobs::{
    BLOB_BYTES_MAX, BLOB_SIZE_MISMATCH, BLOB_STORE_FULL, BLOB_TOO_LARGE, BLOBS_LOOKUP_MAX,
    BlobStore,
};
pub use postgres::PgStore;
pub use private::{
    ATTACHMENT_BYTES_MAX, ATTACHMENT_TOO_LARGE, ATTACHMENT_TYPE_UNSUPPORTED, ATTACHMENTS_FULL,
    ATTACHMENTS_PER_EXPENSE_MAX, AttachmentMediaType, AttachmentMeta, BIC_INVALID, Bic,
    FILE_NAME_BYTES_MAX, HOLDER_NAME_BYTES_MAX, IBAN_INVALID, Iban, NewAttachment,
    PAYMENT_NOTE_BYTES_MAX, PRIVATE_TEXT_INVALID, PaymentDetails, PrivateStore, PrivateValueError,
    StoredPaymentDetails, check_file_name,
};
pub use sqlite::SqliteStore;

/// Most events one query returns; callers page beyond it.
pub const EVENTS_PAGE_MAX: u64 = 1_000;
/// Most ids one lookup may ask for.
pub const IDS_LOOKUP_MAX: usize = 4_096;
/// Most stored hashes one read may ask for.
pub const HASHES_LOOKUP_MAX: usize = 4_096;
/// Largest integer (index, seq, time, size) the store writes: both backends keep integers
/// as signed 64-bit columns, so a larger `u64` is refused with [`StoreError::Limit`]
/// rather than wrapped. Read bounds above it are answered as if unbounded.
pub const STORED_INTEGER_MAX: u64 = (1 << 63) - 1;

/// A fault in the store. Rejections of bad input happen before anything reaches here.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The batch does not start at the commons' current size, or the commons is unknown
    /// (or already exists, for a batch that creates one). Nothing was written.
    #[error("append conflict: {0}")]
    Conflict(String),
    /// A caller asked for more than a named limit allows.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A stored row does not decode: the database was changed outside the store.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date (or is newer than this build).
    #[error("migration: {0}")]
    Migration(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One event as stored, in ledger order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// Position in the commons' ledger (the Merkle leaf index).
    pub index: u64,
    pub id: EventId,
    pub author: AuthorKey,
    pub seq: u64,
    pub kind: String,
    pub time_ms: u64,
    pub header_bytes: Vec<u8>,
    pub signature: Signature,
    /// `None` when withheld or redacted.
    pub body: Option<Vec<u8>>,
}

/// One event's signed envelope as stored: what a replay reads, and nothing more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEnvelope {
    pub index: u64,
    pub header_bytes: Vec<u8>,
    pub signature: Signature,
    /// `None` when withheld or redacted.
    pub body: Option<Vec<u8>>,
}

impl From<StoredEvent> for StoredEnvelope {
    fn from(event: StoredEvent) -> StoredEnvelope {
        StoredEnvelope {
            index: event.index,
            header_bytes: event.header_bytes,
            signature: event.signature,
            body: event.body,
        }
    }
}

/// A hosted commons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommonsRow {
    pub id: CommonsId,
    pub name: String,
    /// Number of events in its ledger.
    pub size: u64,
}

/// A signed checkpoint note of a commons' ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointRow {
    pub size: u64,
    pub root: Hash,
    /// The full C2SP signed note.
    pub note: String,
}

/// One row of derived state: `(table, key) -> value`, all written by the node from the
/// fold and always rebuildable from the ledger.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProjectionRow {
    pub table: String,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// A change to one projection row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectionChange {
    Put(ProjectionRow),
    Delete { table: String, key: Vec<u8> },
}

/// Everything one group commit writes for one commons, atomically.
#[derive(Clone, Debug, Default)]
pub struct AppendBatch {
    /// The commons written to; a batch without one is refused with `Conflict`.
    pub commons: Option<CommonsId>,
    /// Set when this batch creates the commons (its genesis is the batch's first event,
    /// or, for a fork, the copied parent prefix comes first).
    pub create_name: Option<String>,
    /// For a batch that creates a fork: the parent prefix copied into the new commons
    /// before the batch's own rows, in the same transaction (see [`ForkPrefix`]). The
    /// batch's events then start at the prefix size.
    pub fork_prefix: Option<ForkPrefix>,
    /// A new name for the commons (governance may rename it).
    pub rename: Option<String>,
    /// Events with consecutive indexes starting at the commons' current size.
    pub events: Vec<StoredEvent>,
    /// Merkle stored hashes `(storage index, hash)` the events add.
    pub hashes: Vec<(u64, Hash)>,
    pub projections: Vec<ProjectionChange>,
    /// The checkpoint of the ledger after this batch. Its size may not exceed the ledger
    /// size after the batch; at a size already stored it must have the same root, and its
    /// note (say, with a new cosignature) replaces the stored one (`Conflict` otherwise).
    pub checkpoint: Option<CheckpointRow>,
}

/// The first `size` leaves of `parent`, which a fork's ledger begins with (spec §9).
///
/// The copy runs inside the database (`INSERT … SELECT`), never through the caller: the
/// parent's events at indexes `0 .. size` with their authors (numbered anew for the
/// fork), and the Merkle stored hashes of that prefix (storage indexes
/// `0 .. stored_hash_count(size)`, which are exactly the complete subtrees of the first
/// `size` leaves). Checkpoints are not copied (their notes name the parent's origin) and
/// neither are projection rows (the fork's state differs from the parent's; the caller
/// writes all of its rows). A parent that is unknown or holds fewer than `size` events,
/// or a prefix on a batch that does not create its commons, is a `Conflict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkPrefix {
    pub parent: CommonsId,
    pub size: u64,
}

/// Which events a listing returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventQuery {
    pub kind: Option<String>,
    pub author: Option<AuthorKey>,
    /// Only events with `time_ms >= time_from_ms`.
    pub time_from_ms: Option<u64>,
    /// Only events with `time_ms < time_to_ms` (half-open, like index ranges).
    pub time_to_ms: Option<u64>,
    /// Only events with `index < before_index` (a cursor for newest-first paging).
    pub before_index: Option<u64>,
    /// Only events with `index >= from_index`.
    pub from_index: Option<u64>,
    /// Newest first when true, ledger order when false.
    pub descending: bool,
    /// At most this many, capped at [`EVENTS_PAGE_MAX`].
    pub limit: u64,
}

/// The storage every backend provides. Reads may run in parallel; `append` calls for one
/// commons are made by one writer at a time.
pub trait Store: Send + Sync + 'static {
    /// Writes the batch in one transaction, or nothing.
    fn append(&self, batch: &AppendBatch) -> impl Future<Output = Result<()>> + Send;

    /// Every hosted commons, sorted by id.
    fn list_commons(&self) -> impl Future<Output = Result<Vec<CommonsRow>>> + Send;

    fn commons(&self, id: &CommonsId) -> impl Future<Output = Result<Option<CommonsRow>>> + Send;

    /// Events by id within one commons, in ledger order; unknown ids are left out.
    /// More than [`IDS_LOOKUP_MAX`] ids is a `Limit` error.
    fn events_by_id(
        &self,
        commons: &CommonsId,
        ids: &[EventId],
    ) -> impl Future<Output = Result<Vec<StoredEvent>>> + Send;

    fn event_by_author_seq(
        &self,
        commons: &CommonsId,
        author: &AuthorKey,
        seq: u64,
    ) -> impl Future<Output = Result<Option<StoredEvent>>> + Send;

    /// Events with `from <= index < to`, in ledger order; at most [`EVENTS_PAGE_MAX`].
    fn events_range(
        &self,
        commons: &CommonsId,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<StoredEvent>>> + Send {
        // A range is one listing in ledger order; every backend answers it the same way.
        let query = EventQuery {
            from_index: Some(from),
            before_index: Some(to),
            limit: EVENTS_PAGE_MAX,
            ..EventQuery::default()
        };
        async move { self.query_events(commons, &query).await }
    }

    /// The envelopes of [`Store::events_range`]: the same events, without the columns
    /// the header already holds (id, author, seq, kind, time), which a replay does not
    /// read. Backends answer it with a leaner query.
    fn envelopes_range(
        &self,
        commons: &CommonsId,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<StoredEnvelope>>> + Send {
        async move {
            let events = self.events_range(commons, from, to).await?;
            Ok(events.into_iter().map(StoredEnvelope::from).collect())
        }
    }

    fn query_events(
        &self,
        commons: &CommonsId,
        query: &EventQuery,
    ) -> impl Future<Output = Result<Vec<StoredEvent>>> + Send;

    /// Merkle stored hashes by storage index, in the order asked. A missing index is a
    /// `Corrupt` error: callers only ask for hashes the ledger size implies. More than
    /// [`HASHES_LOOKUP_MAX`] indexes is a `Limit` error.
    fn read_hashes(
        &self,
        commons: &CommonsId,
        indexes: &[u64],
    ) -> impl Future<Output = Result<Vec<Hash>>> + Send;

    fn latest_checkpoint(
        &self,
        commons: &CommonsId,
    ) -> impl Future<Output = Result<Option<CheckpointRow>>> + Send;

    /// The stored checkpoint at exactly `size`, if there is one. The backends answer it
    /// from the index; this default reads every checkpoint.
    fn checkpoint_at(
        &self,
        commons: &CommonsId,
        size: u64,
    ) -> impl Future<Output = Result<Option<CheckpointRow>>> + Send {
        async move {
            Ok(self
                .checkpoints(commons)
                .await?
                .into_iter()
                .find(|checkpoint| checkpoint.size == size))
        }
    }

    /// Every stored checkpoint, smallest size first.
    fn checkpoints(
        &self,
        commons: &CommonsId,
    ) -> impl Future<Output = Result<Vec<CheckpointRow>>> + Send;

    /// Every projection row of the commons, sorted by `(table, key)`.
    fn projection_rows(
        &self,
        commons: &CommonsId,
    ) -> impl Future<Output = Result<Vec<ProjectionRow>>> + Send;

    /// Projection rows of one table, sorted by key.
    fn projection_table(
        &self,
        commons: &CommonsId,
        table: &str,
    ) -> impl Future<Output = Result<Vec<ProjectionRow>>> + Send;

    /// Replaces all projection rows of the commons in one transaction (used by rebuild).
    /// The commons must exist (`Conflict` otherwise); a repeated `(table, key)` keeps the
    /// last row.
    fn replace_projections(
        &self,
        commons: &CommonsId,
        rows: &[ProjectionRow],
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The store a node runs on, chosen at startup from a location string.
#[derive(Clone, Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    /// Opens the store at `location`: a `postgres://` or `postgresql://` URL connects to
    /// PostgreSQL; anything else is the path of a SQLite file, created (with its parent
    /// directory) if missing.
    pub async fn open(location: &str) -> Result<AnyStore> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            return Ok(AnyStore::Postgres(PgStore::connect(location).await?));
        }
        let path = std::path::Path::new(location);
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|error| {
                StoreError::Database(sqlx::Error::Configuration(
                    format!("cannot create directory {}: {error}", parent.display()).into(),
                ))
            })?;
        }
        Ok(AnyStore::Sqlite(SqliteStore::open(path).await?))
    }

    /// `"sqlite"` or `"postgres"`, for logs and the status page.
    pub fn backend_name(&self) -> &'static str {
        match self {
            AnyStore::Sqlite(_) => "sqlite",
            AnyStore::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        match self {
            AnyStore::Sqlite(store) => store.close().await,
            AnyStore::Postgres(store) => store.close().await,
        }
    }
}

/// Calls the same method on whichever backend the store is.
macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Postgres($store) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn append(&self, batch: &AppendBatch) -> Result<()> {
        delegate!(self, store => store.append(batch))
    }

    async fn list_commons(&self) -> Result<Vec<CommonsRow>> {
        delegate!(self, store => store.list_commons())
    }

    async fn commons(&self, id: &CommonsId) -> Result<Option<CommonsRow>> {
        delegate!(self, store => store.commons(id))
    }

    async fn events_by_id(&self, commons: &CommonsId, ids: &[EventId]) -> Result<Vec<StoredEvent>> {
        delegate!(self, store => store.events_by_id(commons, ids))
    }

    async fn event_by_author_seq(
        &self,
        commons: &CommonsId,
        author: &AuthorKey,
        seq: u64,
    ) -> Result<Option<StoredEvent>> {
        delegate!(self, store => store.event_by_author_seq(commons, author, seq))
    }

    async fn envelopes_range(
        &self,
        commons: &CommonsId,
        from: u64,
        to: u64,
    ) -> Result<Vec<StoredEnvelope>> {
        delegate!(self, store => store.envelopes_range(commons, from, to))
    }

    async fn query_events(
        &self,
        commons: &CommonsId,
        query: &EventQuery,
    ) -> Result<Vec<StoredEvent>> {
        delegate!(self, store => store.query_events(commons, query))
    }

    async fn read_hashes(&self, commons: &CommonsId, indexes: &[u64]) -> Result<Vec<Hash>> {
        delegate!(self, store => store.read_hashes(commons, indexes))
    }

    async fn latest_checkpoint(&self, commons: &CommonsId) -> Result<Option<CheckpointRow>> {
        delegate!(self, store => store.latest_checkpoint(commons))
    }

    async fn checkpoint_at(&self, commons: &CommonsId, size: u64) -> Result<Option<CheckpointRow>> {
        delegate!(self, store => store.checkpoint_at(commons, size))
    }

    async fn checkpoints(&self, commons: &CommonsId) -> Result<Vec<CheckpointRow>> {
        delegate!(self, store => store.checkpoints(commons))
    }

    async fn projection_rows(&self, commons: &CommonsId) -> Result<Vec<ProjectionRow>> {
        delegate!(self, store => store.projection_rows(commons))
    }

    async fn projection_table(
        &self,
        commons: &CommonsId,
        table: &str,
    ) -> Result<Vec<ProjectionRow>> {
        delegate!(self, store => store.projection_table(commons, table))
    }

    async fn replace_projections(&self, commons: &CommonsId, rows: &[ProjectionRow]) -> Result<()> {
        delegate!(self, store => store.replace_projections(commons, rows))
    }
}
