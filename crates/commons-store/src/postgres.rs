//! The PostgreSQL backend, for nodes that outgrow one SQLite file or want the database
//! run as a service (PostgreSQL-compatible clusters included).
//!
//! An append locks its commons' row (`SELECT ... FOR UPDATE`) inside a REPEATABLE READ
//! transaction, so writers of one commons are serialised by the database even when
//! several nodes share it, while writers of different commons proceed in parallel. A
//! serialization failure or deadlock (SQLSTATE 40001, 40P01) rolls the whole transaction
//! back; it is then retried a bounded number of times, and a retry that finds the ledger
//! moved on reports a `Conflict` as usual. Bulk writes bind one array per column and
//! `UNNEST` them: one statement per table, whatever the batch size.

use crate::migration::{self, Migration};
use crate::rows::{
    self, CheckpointColumns, EventFilter, PrefixColumns, PreparedBatch, ProjectionDelete,
    ProjectionPut, select_events,
};
use crate::{
    AppendBatch, CheckpointRow, CommonsRow, EventQuery, HASHES_LOOKUP_MAX, IDS_LOOKUP_MAX,
    ProjectionRow, Result, Store, StoreError, StoredEnvelope, StoredEvent,
};
use commons_ledger::{AuthorKey, CommonsId, EventId, Hash};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

/// The PostgreSQL schema, in order.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sql: include_str!("../migrations/postgres/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "blobs",
        sql: include_str!("../migrations/postgres/0003_blobs.sql"),
    },
    Migration {
        version: 4,
        name: "private",
        sql: include_str!("../migrations/postgres/0004_private.sql"),
    },
];

/// Connections the pool opens at most.
const CONNECTIONS_MAX: u32 = 16;
/// How many times a write transaction is tried before a serialization failure is
/// returned to the caller.
const WRITE_ATTEMPTS_MAX: u32 = 8;
/// The wait before retry `n` is `n` times this; linear, because contention here is
/// between a handful of writers of one commons, not a crowd.
const RETRY_BACKOFF_STEP_MS: u64 = 5;
/// The advisory lock that serialises migrations of one database by several nodes starting
/// at once (an arbitrary constant: "commons" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x0063_6f6d_6d6f_6e73;

/// The isolation of every write transaction; see the module comment.
const BEGIN_WRITE: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ";

/// The PostgreSQL store. Cloning is cheap and shares the pool.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    author_numbers: rows::AuthorNumberCache,
}

impl PgStore {
    /// Connects to the database at a `postgres://` URL and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<PgStore> {
        PgStore::connect_with(PgConnectOptions::from_str(url)?).await
    }

    /// Connects with options built by the caller (say, the URL's server with another
    /// database name) and brings the schema up to date.
    pub async fn connect_with(options: PgConnectOptions) -> Result<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS_MAX)
            .connect_with(options)
            .await?;
        migrate(&pool).await?;
        Ok(PgStore {
            pool,
            author_numbers: rows::AuthorNumberCache::default(),
        })
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The pool, for the account tables (`postgres_accounts`).
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// One attempt at an append. Returns the commons' number and the author numbers it
    /// looked up, to remember once the transaction has committed.
    async fn append_once(
        &self,
        prepared: &PreparedBatch<'_>,
        arrays: &BatchArrays<'_>,
    ) -> Result<(i64, HashMap<[u8; 33], i64>)> {
        let commons = &prepared.commons.0[..];
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let (commons_no, mut current_size) = match prepared.create_name {
            Some(name) => {
                // A concurrent creator makes this wait and then fail to serialize; the
                // retry sees its row and reports the conflict.
                let created = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO commons (id, name, size) VALUES ($1, $2, 0) \
                     ON CONFLICT (id) DO NOTHING RETURNING no",
                )
                .bind(commons)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
                (created.ok_or_else(|| prepared.existing_commons())?, 0)
            }
            None => sqlx::query_as::<_, (i64, i64)>(
                "SELECT no, size FROM commons WHERE id = $1 FOR UPDATE",
            )
            .bind(commons)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| prepared.unknown_commons())?,
        };
        if let Some(prefix) = &prepared.fork_prefix {
            copy_prefix(&mut tx, prepared, commons_no, prefix).await?;
            current_size = prefix.size;
        }
        let size_after = prepared.size_after(current_size)?;
        let (mut numbers, unknown) = self.author_numbers.split(commons_no, &prepared.authors);
        let looked_up = author_numbers(&mut tx, commons_no, &unknown).await?;
        numbers.extend(looked_up.iter().map(|(author, no)| (*author, *no)));
        let author_nos = prepared.author_numbers(&numbers)?;
        arrays.insert(&mut tx, commons_no, &author_nos).await?;
        if let Some(checkpoint) = &prepared.checkpoint
            && !write_checkpoint(&mut tx, commons_no, checkpoint).await?
        {
            return Err(prepared.checkpoint_root_differs(checkpoint.size));
        }
        sqlx::query("UPDATE commons SET size = $1, name = COALESCE($2, name) WHERE no = $3")
            .bind(size_after)
            .bind(prepared.new_name)
            .bind(commons_no)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((commons_no, looked_up))
    }

    async fn replace_projections_once(
        &self,
        commons: &CommonsId,
        puts: &[ProjectionPut<'_>],
    ) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        // Locking the commons row orders the replacement with appends to the commons.
        let Some(commons_no) =
            sqlx::query_scalar::<_, i64>("SELECT no FROM commons WHERE id = $1 FOR UPDATE")
                .bind(&commons.0[..])
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Err(StoreError::Conflict(format!(
                "commons {commons} is unknown"
            )));
        };
        sqlx::query("DELETE FROM projections WHERE commons = $1")
            .bind(commons_no)
            .execute(&mut *tx)
            .await?;
        upsert_projections(&mut tx, commons_no, puts, false).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Whether a failed transaction may succeed if tried again from the start.
fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(error) => {
            matches!(error.code().as_deref(), Some("40001" | "40P01"))
        }
        _ => false,
    }
}

/// Runs a whole transaction, again from the start after a serialization failure or
/// deadlock, at most [`WRITE_ATTEMPTS_MAX`] times.
pub(crate) async fn retrying<T, F, Fut>(mut transaction: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt: u32 = 1;
    loop {
        match transaction().await {
            Err(StoreError::Database(error))
                if is_transient(&error) && attempt < WRITE_ATTEMPTS_MAX =>
            {
                tracing::debug!(attempt, %error, "retrying a transaction that failed to serialize");
                tokio::time::sleep(Duration::from_millis(
                    RETRY_BACKOFF_STEP_MS.saturating_mul(u64::from(attempt)),
                ))
                .await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// Brings the schema up to date, one migration per transaction, each under an advisory
/// lock so that nodes starting together apply each migration once.
async fn migrate(pool: &PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    lock_migrations(&mut tx).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version BIGINT NOT NULL PRIMARY KEY, \
             name TEXT NOT NULL\
         )",
    )
    .execute(&mut *tx)
    .await?;
    let applied_max: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(&mut *tx)
        .await?;
    migration::check_not_newer(applied_max, MIGRATIONS)?;
    tx.commit().await?;
    for migration in MIGRATIONS {
        let mut tx = conn.begin().await?;
        lock_migrations(&mut tx).await?;
        let recorded: Option<String> =
            sqlx::query_scalar("SELECT name FROM schema_migrations WHERE version = $1")
                .bind(migration.version)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(recorded) = recorded {
            migration::check_same_name(migration, &recorded)?;
            tx.commit().await?;
            continue;
        }
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .map_err(|error| {
                StoreError::Migration(format!(
                    "applying {:04}_{}: {error}",
                    migration.version, migration.name
                ))
            })?;
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn lock_migrations(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The numbers of the given authors of a commons, numbering those it has not seen yet.
/// The caller holds the commons row's lock, so no other append numbers them meanwhile.
async fn author_numbers(
    conn: &mut PgConnection,
    commons_no: i64,
    authors: &[[u8; 33]],
) -> Result<HashMap<[u8; 33], i64>> {
    let mut numbers = HashMap::with_capacity(authors.len());
    if authors.is_empty() {
        return Ok(numbers);
    }
    let authors: Vec<&[u8]> = authors.iter().map(|author| &author[..]).collect();
    let known: Vec<(Vec<u8>, i64)> =
        sqlx::query_as("SELECT author, no FROM authors WHERE commons = $1 AND author = ANY($2)")
            .bind(commons_no)
            .bind(&authors[..])
            .fetch_all(&mut *conn)
            .await?;
    for (author, no) in &known {
        rows::record_author_number(author, *no, &mut numbers)?;
    }
    if numbers.len() < authors.len() {
        let missing: Vec<&[u8]> = authors
            .iter()
            .copied()
            .filter(|author| {
                <[u8; 33]>::try_from(*author).is_ok_and(|key| !numbers.contains_key(&key))
            })
            .collect();
        let added: Vec<(Vec<u8>, i64)> = sqlx::query_as(
            "INSERT INTO authors (commons, author) SELECT $1, a FROM UNNEST($2::BYTEA[]) AS a \
             RETURNING author, no",
        )
        .bind(commons_no)
        .bind(&missing[..])
        .fetch_all(&mut *conn)
        .await?;
        for (author, no) in &added {
            rows::record_author_number(author, *no, &mut numbers)?;
        }
    }
    Ok(numbers)
}

/// A prepared batch as one array per column, built once and bound on every attempt.
struct BatchArrays<'a> {
    idx: Vec<i64>,
    id: Vec<&'a [u8]>,
    seq: Vec<i64>,
    kind: Vec<&'a str>,
    time_ms: Vec<i64>,
    header: Vec<&'a [u8]>,
    signature: Vec<&'a [u8]>,
    body: Vec<Option<&'a [u8]>>,
    hash_idx: Vec<i64>,
    hash: Vec<&'a [u8]>,
    deletes: &'a [ProjectionDelete<'a>],
    puts: &'a [ProjectionPut<'a>],
}

impl<'a> BatchArrays<'a> {
    fn new(prepared: &'a PreparedBatch<'a>) -> BatchArrays<'a> {
        let events = &prepared.events;
        BatchArrays {
            idx: events.iter().map(|event| event.idx).collect(),
            id: events.iter().map(|event| event.id).collect(),
            seq: events.iter().map(|event| event.seq).collect(),
            kind: events.iter().map(|event| event.kind).collect(),
            time_ms: events.iter().map(|event| event.time_ms).collect(),
            header: events.iter().map(|event| event.header).collect(),
            signature: events.iter().map(|event| event.signature).collect(),
            body: events.iter().map(|event| event.body).collect(),
            hash_idx: prepared.hashes.iter().map(|(idx, _)| *idx).collect(),
            hash: prepared.hashes.iter().map(|(_, hash)| *hash).collect(),
            deletes: &prepared.deletes,
            puts: &prepared.puts,
        }
    }

    async fn insert(
        &self,
        conn: &mut PgConnection,
        commons_no: i64,
        author_nos: &[i64],
    ) -> Result<()> {
        if !self.idx.is_empty() {
            sqlx::query(
                "INSERT INTO events \
                 (commons, idx, id, author, seq, kind, time_ms, header, signature, body) \
                 SELECT $1, e.* FROM UNNEST(\
                     $2::BIGINT[], $3::BYTEA[], $4::BIGINT[], $5::BIGINT[], $6::TEXT[], \
                     $7::BIGINT[], $8::BYTEA[], $9::BYTEA[], $10::BYTEA[]\
                 ) AS e",
            )
            .bind(commons_no)
            .bind(&self.idx[..])
            .bind(&self.id[..])
            .bind(author_nos)
            .bind(&self.seq[..])
            .bind(&self.kind[..])
            .bind(&self.time_ms[..])
            .bind(&self.header[..])
            .bind(&self.signature[..])
            .bind(&self.body[..])
            .execute(&mut *conn)
            .await?;
        }
        if !self.hash_idx.is_empty() {
            sqlx::query(
                "INSERT INTO merkle_hashes (commons, idx, hash) \
                 SELECT $1, h.* FROM UNNEST($2::BIGINT[], $3::BYTEA[]) AS h",
            )
            .bind(commons_no)
            .bind(&self.hash_idx[..])
            .bind(&self.hash[..])
            .execute(&mut *conn)
            .await?;
        }
        if !self.deletes.is_empty() {
            let tables: Vec<&str> = self.deletes.iter().map(|delete| delete.table).collect();
            let keys: Vec<&[u8]> = self.deletes.iter().map(|delete| delete.key).collect();
            sqlx::query(
                "DELETE FROM projections AS p \
                 USING UNNEST($2::TEXT[], $3::BYTEA[]) AS d (tbl, key) \
                 WHERE p.commons = $1 AND p.tbl = d.tbl AND p.key = d.key",
            )
            .bind(commons_no)
            .bind(&tables[..])
            .bind(&keys[..])
            .execute(&mut *conn)
            .await?;
        }
        upsert_projections(conn, commons_no, self.puts, true).await
    }
}

/// Writes projection rows; with `upsert`, a row that exists is overwritten. The rows are
/// distinct by `(table, key)`, as a multi-row upsert may not touch one row twice.
async fn upsert_projections(
    conn: &mut PgConnection,
    commons_no: i64,
    puts: &[ProjectionPut<'_>],
    upsert: bool,
) -> Result<()> {
    if puts.is_empty() {
        return Ok(());
    }
    let tables: Vec<&str> = puts.iter().map(|put| put.table).collect();
    let keys: Vec<&[u8]> = puts.iter().map(|put| put.key).collect();
    let values: Vec<&[u8]> = puts.iter().map(|put| put.value).collect();
    let sql = if upsert {
        "INSERT INTO projections (commons, tbl, key, value) \
         SELECT $1, p.* FROM UNNEST($2::TEXT[], $3::BYTEA[], $4::BYTEA[]) AS p \
         ON CONFLICT (commons, tbl, key) DO UPDATE SET value = EXCLUDED.value"
    } else {
        "INSERT INTO projections (commons, tbl, key, value) \
         SELECT $1, p.* FROM UNNEST($2::TEXT[], $3::BYTEA[], $4::BYTEA[]) AS p"
    };
    sqlx::query(sql)
        .bind(commons_no)
        .bind(&tables[..])
        .bind(&keys[..])
        .bind(&values[..])
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Copies a fork's parent prefix into the fork `fork_no` inside the database: the authors
/// of the prefix, its events (each pointing at its author's new number) and its stored
/// hashes. A set-based copy: no row passes through the process. The prefix rows never
/// change once written, so the transaction's snapshot needs no lock on the parent.
async fn copy_prefix(
    conn: &mut PgConnection,
    prepared: &PreparedBatch<'_>,
    fork_no: i64,
    prefix: &PrefixColumns<'_>,
) -> Result<()> {
    let parent = sqlx::query_as::<_, (i64, i64)>("SELECT no, size FROM commons WHERE id = $1")
        .bind(prefix.parent)
        .fetch_optional(&mut *conn)
        .await?;
    let parent_no = prepared.prefix_parent(prefix, parent)?;
    // An author belongs to the prefix when its first event (lowest seq) is in it: one
    // probe of the (author, seq) index per author.
    sqlx::query(
        "INSERT INTO authors (commons, author) \
         SELECT $1, a.author FROM authors AS a WHERE a.commons = $2 \
         AND (SELECT e.idx FROM events AS e WHERE e.author = a.no ORDER BY e.seq LIMIT 1) < $3",
    )
    .bind(fork_no)
    .bind(parent_no)
    .bind(prefix.size)
    .execute(&mut *conn)
    .await?;
    let events = sqlx::query(
        "INSERT INTO events \
         (commons, idx, id, author, seq, kind, time_ms, header, signature, body) \
         SELECT $1, e.idx, e.id, f.no, e.seq, e.kind, e.time_ms, e.header, e.signature, e.body \
         FROM events AS e \
         JOIN authors AS p ON p.no = e.author \
         JOIN authors AS f ON f.commons = $1 AND f.author = p.author \
         WHERE e.commons = $2 AND e.idx < $3",
    )
    .bind(fork_no)
    .bind(parent_no)
    .bind(prefix.size)
    .execute(&mut *conn)
    .await?;
    let hashes = sqlx::query(
        "INSERT INTO merkle_hashes (commons, idx, hash) \
         SELECT $1, idx, hash FROM merkle_hashes WHERE commons = $2 AND idx < $3",
    )
    .bind(fork_no)
    .bind(parent_no)
    .bind(prefix.hash_count)
    .execute(&mut *conn)
    .await?;
    prepared.prefix_copied(prefix, events.rows_affected(), hashes.rows_affected())
}

/// Stores the checkpoint, replacing the note of one at the same size only when the roots
/// agree. Returns false when a checkpoint of that size has a different root.
async fn write_checkpoint(
    conn: &mut PgConnection,
    commons_no: i64,
    checkpoint: &CheckpointColumns<'_>,
) -> Result<bool> {
    let written = sqlx::query(
        "INSERT INTO checkpoints (commons, size, root, note) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (commons, size) DO UPDATE SET note = EXCLUDED.note \
         WHERE checkpoints.root = EXCLUDED.root",
    )
    .bind(commons_no)
    .bind(checkpoint.size)
    .bind(checkpoint.root)
    .bind(checkpoint.note)
    .execute(&mut *conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

impl Store for PgStore {
    async fn append(&self, batch: &AppendBatch) -> Result<()> {
        let prepared = PreparedBatch::new(batch)?;
        let arrays = BatchArrays::new(&prepared);
        let (commons_no, looked_up) = retrying(|| self.append_once(&prepared, &arrays)).await?;
        self.author_numbers.remember(commons_no, &looked_up);
        Ok(())
    }

    async fn list_commons(&self) -> Result<Vec<CommonsRow>> {
        let rows = sqlx::query("SELECT id, name, size FROM commons ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rows::decode_commons).collect()
    }

    async fn commons(&self, id: &CommonsId) -> Result<Option<CommonsRow>> {
        let row = sqlx::query("SELECT id, name, size FROM commons WHERE id = $1")
            .bind(&id.0[..])
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::decode_commons).transpose()
    }

    async fn events_by_id(&self, commons: &CommonsId, ids: &[EventId]) -> Result<Vec<StoredEvent>> {
        rows::check_lookup(ids.len(), IDS_LOOKUP_MAX, "event ids")?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&[u8]> = ids.iter().map(|id| &id.0[..]).collect();
        let rows = sqlx::query(concat!(
            select_events!(),
            " WHERE e.commons = (SELECT no FROM commons WHERE id = $1) AND e.id = ANY($2) \
             ORDER BY e.idx"
        ))
        .bind(&commons.0[..])
        .bind(&ids[..])
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::decode_event).collect()
    }

    async fn event_by_author_seq(
        &self,
        commons: &CommonsId,
        author: &AuthorKey,
        seq: u64,
    ) -> Result<Option<StoredEvent>> {
        // No stored seq is above i64::MAX.
        let Ok(seq) = i64::try_from(seq) else {
            return Ok(None);
        };
        let row = sqlx::query(concat!(
            select_events!(),
            " WHERE e.author = (SELECT authors.no FROM authors \
             JOIN commons ON commons.no = authors.commons \
             WHERE commons.id = $1 AND authors.author = $2) AND e.seq = $3"
        ))
        .bind(&commons.0[..])
        .bind(&author.to_bytes()[..])
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::decode_event).transpose()
    }

    async fn envelopes_range(
        &self,
        commons: &CommonsId,
        from: u64,
        to: u64,
    ) -> Result<Vec<StoredEnvelope>> {
        let mut builder = rows::envelope_range::<Postgres>(commons, from, to)?;
        let rows = builder.build().fetch_all(&self.pool).await?;
        rows.iter().map(rows::decode_envelope).collect()
    }

    async fn query_events(
        &self,
        commons: &CommonsId,
        query: &EventQuery,
    ) -> Result<Vec<StoredEvent>> {
        let Some(filter) = EventFilter::new(query) else {
            return Ok(Vec::new());
        };
        let mut builder = rows::event_listing::<Postgres>(commons, &filter);
        let rows = builder.build().fetch_all(&self.pool).await?;
        rows.iter().map(rows::decode_event).collect()
    }

    async fn read_hashes(&self, commons: &CommonsId, indexes: &[u64]) -> Result<Vec<Hash>> {
        rows::check_lookup(indexes.len(), HASHES_LOOKUP_MAX, "hash indexes")?;
        // Indexes above i64::MAX are never stored; `hashes_in_order` reports them missing.
        let wanted: Vec<i64> = indexes
            .iter()
            .filter_map(|index| i64::try_from(*index).ok())
            .collect();
        let mut found = BTreeMap::new();
        if !wanted.is_empty() {
            let rows = sqlx::query(
                "SELECT idx, hash FROM merkle_hashes \
                 WHERE commons = (SELECT no FROM commons WHERE id = $1) AND idx = ANY($2)",
            )
            .bind(&commons.0[..])
            .bind(&wanted[..])
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                rows::decode_hash(row, &mut found)?;
            }
        }
        rows::hashes_in_order(commons, indexes, found)
    }

    async fn latest_checkpoint(&self, commons: &CommonsId) -> Result<Option<CheckpointRow>> {
        let row = sqlx::query(
            "SELECT size, root, note FROM checkpoints \
             WHERE commons = (SELECT no FROM commons WHERE id = $1) \
             ORDER BY size DESC LIMIT 1",
        )
        .bind(&commons.0[..])
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::decode_checkpoint).transpose()
    }

    async fn checkpoint_at(&self, commons: &CommonsId, size: u64) -> Result<Option<CheckpointRow>> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT size, root, note FROM checkpoints \
             WHERE commons = (SELECT no FROM commons WHERE id = $1) AND size = $2",
        )
        .bind(&commons.0[..])
        .bind(size)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rows::decode_checkpoint).transpose()
    }

    async fn checkpoints(&self, commons: &CommonsId) -> Result<Vec<CheckpointRow>> {
        let rows = sqlx::query(
            "SELECT size, root, note FROM checkpoints \
             WHERE commons = (SELECT no FROM commons WHERE id = $1) ORDER BY size",
        )
        .bind(&commons.0[..])
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::decode_checkpoint).collect()
    }

    async fn projection_rows(&self, commons: &CommonsId) -> Result<Vec<ProjectionRow>> {
        let rows = sqlx::query(
            "SELECT tbl, key, value FROM projections \
             WHERE commons = (SELECT no FROM commons WHERE id = $1) ORDER BY tbl, key",
        )
        .bind(&commons.0[..])
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::decode_projection).collect()
    }

    async fn projection_table(
        &self,
        commons: &CommonsId,
        table: &str,
    ) -> Result<Vec<ProjectionRow>> {
        let rows = sqlx::query(
            "SELECT tbl, key, value FROM projections \
             WHERE commons = (SELECT no FROM commons WHERE id = $1) AND tbl = $2 ORDER BY key",
        )
        .bind(&commons.0[..])
        .bind(table)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(rows::decode_projection).collect()
    }

    async fn replace_projections(&self, commons: &CommonsId, rows: &[ProjectionRow]) -> Result<()> {
        let puts = rows::dedupe_projection_rows(rows);
        retrying(|| self.replace_projections_once(commons, &puts)).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_serialization_failures_and_deadlocks_are_retried() {
        assert!(!super::is_transient(&sqlx::Error::RowNotFound));
        assert!(!super::is_transient(&sqlx::Error::PoolTimedOut));
    }
}
