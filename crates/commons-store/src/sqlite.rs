//! The embedded backend: one SQLite file in the data directory, in WAL mode, with one
//! writer connection and a pool of read-only connections.
//!
//! SQLite allows one writer at a time whatever we do, so all appends go through a pool of
//! exactly one connection: they queue in the process instead of contending for the file
//! lock. Group commit comes from the node handing over one [`AppendBatch`] with many
//! events, which this backend writes with multi-row statements in one transaction (one
//! fsync). Readers run in parallel on their own connections; WAL lets them read the last
//! committed state while the writer works.
//!
//! The writer never checkpoints the WAL into the database file itself
//! (`wal_autocheckpoint=0`): a background task on a connection of its own does, so that
//! copying pages and fsyncing the database file does not stop appends (see
//! `run_checkpoints`).

use crate::migration::{self, Migration};
use crate::rows::{
    self, COMMONS_NO, CheckpointColumns, EventColumns, EventFilter, PrefixColumns, PreparedBatch,
    ProjectionDelete, ProjectionPut, select_events,
};
use crate::{
    AppendBatch, CheckpointRow, CommonsRow, EventQuery, HASHES_LOOKUP_MAX, IDS_LOOKUP_MAX,
    ProjectionRow, Result, Store, StoreError, StoredEnvelope, StoredEvent,
};
use commons_ledger::{AuthorKey, CommonsId, EventId, Hash};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection, QueryBuilder, Sqlite};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// The embedded schema, in order.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sql: include_str!("../migrations/sqlite/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "blobs",
        sql: include_str!("../migrations/sqlite/0003_blobs.sql"),
    },
    Migration {
        version: 4,
        name: "private",
        sql: include_str!("../migrations/sqlite/0004_private.sql"),
    },
];

/// How long a connection waits for a lock held by another process (a backup tool, a
/// second `commons` command on the same data directory) before failing.
const BUSY_TIMEOUT_MS: u64 = 5_000;
/// The limit on the WAL file of a store opened with [`SqliteStore::open`]. The WAL is
/// truncated back to it whenever SQLite starts it over, and when it has grown past it
/// (checkpoints could not keep up, or long reads kept its frames in use) the checkpointer
/// runs a `TRUNCATE` checkpoint, which waits for the writer and the readers and empties
/// it.
pub const WAL_BYTES_MAX: u64 = 64 * 1024 * 1024;
/// How often the checkpointer looks at the WAL; it checkpoints only when the writer has
/// committed since its last complete checkpoint.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(200);
/// Page cache of the writer connection, in KiB. A group commit of a few thousand events
/// touches more index pages than SQLite's default of 2 MiB holds; 8 MiB measured about a
/// sixth faster direct ingest for a few MB of memory. (64 MiB was no faster still, and
/// SQLite's default 4 KiB page size is kept: 16 KiB pages made the small commits of
/// HTTP ingest, which write every touched page whole, a fifth to a third slower.)
const WRITER_CACHE_KIB: u32 = 8 * 1024;
/// Read-only connections served in parallel.
const READERS_MAX: u32 = 8;
/// Rows a reader's query may produce ahead of the caller taking them. sqlx runs each
/// connection on its own thread and hands rows over through a channel of this size; at
/// sqlx's default of 50 the thread stops every 50 rows until the caller comes back, so a
/// caller working on one page while the next is read (a replay, an audit) got almost no
/// overlap. A whole page fits, so the read of a page never waits for the caller.
const READER_ROWS_AHEAD_MAX: usize = crate::EVENTS_PAGE_MAX as usize + 1;
/// SQLite's default `SQLITE_MAX_VARIABLE_NUMBER` since 3.32.
const BINDS_MAX: usize = 32_766;
/// Rows per multi-row statement. Enough to amortise the round trip to sqlx's connection
/// thread; a fixed chunk size also means full chunks reuse one cached prepared statement.
const INSERT_ROWS_MAX: usize = 500;

/// The SQLite store. Cloning is cheap and shares the connections.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    /// Exactly one connection: every write goes through it.
    writer: SqlitePool,
    /// Read-only connections; for an in-memory store, the writer itself.
    readers: SqlitePool,
    /// Numbers of authors already in the `authors` table, by commons number and key, so
    /// that a group commit does not look up the same thousand authors every time. A
    /// number never changes once committed (rows are never deleted or updated), so an
    /// entry stays true whoever else writes to the file; entries are added only after the
    /// transaction that read or assigned them has committed.
    author_numbers: rows::AuthorNumberCache,
    /// The background WAL checkpointer of a file-backed store; `None` in memory.
    checkpointer: Option<Arc<Checkpointer>>,
}

/// The handle on the checkpointer task. The task ends when [`SqliteStore::close`] asks it
/// to, or when the last clone of the store is dropped (its stop channel closes); either
/// way it closes its connection.
#[derive(Debug)]
struct Checkpointer {
    /// Set to true to stop the task.
    stop: watch::Sender<bool>,
    /// The task, until `close` has waited for it.
    task: Mutex<Option<JoinHandle<()>>>,
    /// Write transactions the writer has finished, counted after each one so that the
    /// task knows when there is something to checkpoint.
    writes: Arc<AtomicU64>,
}

impl Checkpointer {
    /// Stops the task and waits until it has closed its connection.
    async fn stop(&self) {
        self.stop.send_replace(true);
        let task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(task) = task
            && let Err(error) = task.await
        {
            tracing::warn!(%error, "the SQLite WAL checkpointer ended abnormally");
        }
    }
}

impl SqliteStore {
    /// Opens the store in the file at `path`, creating the file (not its directory) if it
    /// is missing, and brings its schema up to date. Its WAL is kept under
    /// [`WAL_BYTES_MAX`].
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        SqliteStore::open_with_wal_limit(path, WAL_BYTES_MAX).await
    }

    /// [`SqliteStore::open`] with another limit on the WAL file, in bytes (tests use a
    /// small one to see the checkpointer at work).
    pub async fn open_with_wal_limit(path: &Path, wal_bytes_max: u64) -> Result<SqliteStore> {
        // synchronous=FULL: in WAL mode, NORMAL already survives a crash of this process
        // (the OS has the WAL pages), but can lose the last commits on power loss or an OS
        // crash. An acknowledged append may already have been answered with a signed
        // checkpoint or receipt; losing it would make the ledger contradict what it
        // signed. FULL costs one fsync of the WAL per commit, which group commit spreads
        // over a whole batch.
        let common = SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
            .synchronous(SqliteSynchronous::Full)
            // When SQLite starts the WAL over, it truncates the file back to this size, so
            // that it does not stay at its high-water mark.
            .pragma("journal_size_limit", wal_bytes_max.to_string());
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // The one writer connection lives as long as the store: reopening it would
            // only cost time.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(
                common
                    .clone()
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
                    // A multi-row INSERT that may fail part-way (a UNIQUE index, the id
                    // trigger) keeps the pages it changes in a statement journal, so that
                    // only it is undone. In a temporary file, writing that journal took a
                    // fifth of the writer's time during ingest; it never outlives its
                    // statement, so memory loses nothing a crash would not.
                    .pragma("temp_store", "MEMORY")
                    // A checkpoint copies the WAL into the database file and fsyncs it.
                    // Run by the writer at the end of a commit, checkpoints took 10-15% of
                    // its time during ingest; the checkpointer runs them instead.
                    .pragma("wal_autocheckpoint", "0"),
            )
            .await?;
        migrate(&writer).await?;
        // Not read-only: a checkpoint writes to the database file.
        let checkpoint_conn = SqliteConnection::connect_with(&common).await?;
        let (stop, stopped) = watch::channel(false);
        let writes = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(run_checkpoints(
            checkpoint_conn,
            wal_path(path),
            wal_bytes_max,
            Arc::clone(&writes),
            stopped,
        ));
        let checkpointer = Arc::new(Checkpointer {
            stop,
            task: Mutex::new(Some(task)),
            writes,
        });
        // Readers open after the writer so that the file, its WAL mode and its schema exist.
        let readers = SqlitePoolOptions::new()
            .max_connections(READERS_MAX)
            .connect_with(
                common
                    .read_only(true)
                    .row_buffer_size(READER_ROWS_AHEAD_MAX),
            )
            .await?;
        Ok(SqliteStore {
            writer,
            readers,
            author_numbers: Default::default(),
            checkpointer: Some(checkpointer),
        })
    }

    /// A store that lives in memory, for tests and throwaway nodes. It has one connection
    /// for reads and writes, kept open for the store's life: an in-memory database
    /// disappears with its last connection.
    pub async fn open_in_memory() -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        migrate(&pool).await?;
        Ok(SqliteStore {
            writer: pool.clone(),
            readers: pool,
            author_numbers: Default::default(),
            checkpointer: None,
        })
    }

    /// Stops the checkpointer and closes every connection, waiting for those in use to be
    /// returned.
    pub async fn close(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.stop().await;
        }
        self.readers.close().await;
        self.writer.close().await;
    }

    /// The one writer connection and the readers, for the account tables
    /// (`sqlite_accounts`), whose writes share the store's single writer.
    pub(crate) fn pools(&self) -> (&SqlitePool, &SqlitePool) {
        (&self.writer, &self.readers)
    }

    /// Tells the checkpointer that a write transaction on the writer has ended (committed
    /// or not), so that it checkpoints at its next tick. Called after every write.
    pub(crate) fn wrote(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.writes.fetch_add(1, Ordering::Release);
        }
    }

    async fn write_batch(&self, batch: &AppendBatch) -> Result<()> {
        let written = self.write_batch_in(batch).await;
        self.wrote();
        written
    }

    async fn write_batch_in(&self, batch: &AppendBatch) -> Result<()> {
        let prepared = PreparedBatch::new(batch)?;
        let commons = &prepared.commons.0[..];
        // IMMEDIATE takes the write lock at BEGIN, so the size read below cannot be
        // overtaken by another process before this transaction writes.
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let (commons_no, mut current_size) = match prepared.create_name {
            Some(name) => {
                let created = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO commons (id, name, size) VALUES (?, ?, 0) \
                     ON CONFLICT (id) DO NOTHING RETURNING no",
                )
                .bind(commons)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
                (created.ok_or_else(|| prepared.existing_commons())?, 0)
            }
            None => sqlx::query_as::<_, (i64, i64)>("SELECT no, size FROM commons WHERE id = ?")
                .bind(commons)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| prepared.unknown_commons())?,
        };
        if let Some(prefix) = &prepared.fork_prefix {
            copy_prefix(&mut tx, &prepared, commons_no, prefix).await?;
            current_size = prefix.size;
        }
        let size_after = prepared.size_after(current_size)?;
        let (mut numbers, unknown) = self.author_numbers.split(commons_no, &prepared.authors);
        let looked_up = author_numbers(&mut tx, commons_no, &unknown).await?;
        numbers.extend(looked_up.iter().map(|(author, no)| (*author, *no)));
        let author_nos = prepared.author_numbers(&numbers)?;
        insert_events(&mut tx, commons_no, &prepared.events, &author_nos).await?;
        insert_hashes(&mut tx, commons_no, &prepared.hashes).await?;
        delete_projections(&mut tx, commons_no, &prepared.deletes).await?;
        upsert_projections(&mut tx, commons_no, &prepared.puts, true).await?;
        if let Some(checkpoint) = &prepared.checkpoint
            && !write_checkpoint(&mut tx, commons_no, checkpoint).await?
        {
            return Err(prepared.checkpoint_root_differs(checkpoint.size));
        }
        sqlx::query("UPDATE commons SET size = ?, name = COALESCE(?, name) WHERE no = ?")
            .bind(size_after)
            .bind(prepared.new_name)
            .bind(commons_no)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.author_numbers.remember(commons_no, &looked_up);
        Ok(())
    }
}

/// The WAL file SQLite keeps next to the database file at `path`.
fn wal_path(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

/// The size of the WAL file in bytes; a missing file is empty.
fn wal_bytes(wal: &Path) -> u64 {
    std::fs::metadata(wal).map_or(0, |metadata| metadata.len())
}

/// The checkpointer: every [`CHECKPOINT_INTERVAL`], if the writer has written (`writes`
/// has moved) since the last complete checkpoint, a `PASSIVE` checkpoint, which copies committed pages into the
/// database file without taking the write lock or waiting for anyone; and if the WAL file
/// is then still over `wal_bytes_max`, a `TRUNCATE` checkpoint, which waits (up to the
/// busy timeout) for the writer and the readers and leaves the WAL empty. Durability is
/// unchanged: a commit is durable in the WAL before it is acknowledged, and a checkpoint
/// only moves committed pages. Runs until `stop` turns true or its sender is dropped, then
/// closes its connection.
async fn run_checkpoints(
    mut conn: SqliteConnection,
    wal: PathBuf,
    wal_bytes_max: u64,
    writes: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(CHECKPOINT_INTERVAL);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // `writes` as it was before the last checkpoint that copied every frame: every write
    // it counts was in the WAL when that checkpoint started. Migrations wrote before the
    // task started.
    let mut checkpointed = None;
    loop {
        tokio::select! {
            biased;
            _ = stop.wait_for(|stop| *stop) => break,
            _ = ticks.tick() => {}
        }
        let writes_before = writes.load(Ordering::Acquire);
        if checkpointed != Some(writes_before) {
            match checkpoint(&mut conn, CheckpointMode::Passive).await {
                Ok(complete) => checkpointed = complete.then_some(writes_before),
                Err(error) => tracing::warn!(%error, "SQLite WAL checkpoint (PASSIVE) failed"),
            }
        }
        if wal_bytes(&wal) > wal_bytes_max {
            match checkpoint(&mut conn, CheckpointMode::Truncate).await {
                Ok(true) => checkpointed = Some(writes_before),
                Ok(false) => tracing::warn!(
                    wal_bytes_max,
                    "the SQLite WAL is over its limit and readers or the writer kept a \
                     TRUNCATE checkpoint from finishing; trying again"
                ),
                Err(error) => tracing::warn!(%error, "SQLite WAL checkpoint (TRUNCATE) failed"),
            }
        }
    }
    if let Err(error) = conn.close().await {
        tracing::warn!(%error, "closing the SQLite WAL checkpointer's connection");
    }
}

/// The `wal_checkpoint` modes the checkpointer uses.
#[derive(Clone, Copy, Debug)]
enum CheckpointMode {
    /// Copies what it can without waiting for anyone.
    Passive,
    /// Waits for the writer and the readers, copies everything and empties the WAL file.
    Truncate,
}

/// Runs one checkpoint and returns whether it copied every frame of the WAL.
async fn checkpoint(conn: &mut SqliteConnection, mode: CheckpointMode) -> Result<bool> {
    let sql = match mode {
        CheckpointMode::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
        CheckpointMode::Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
    };
    // The columns: busy (1 if it could not finish), frames in the WAL, frames copied.
    let (busy, frames, copied): (i64, i64, i64) = sqlx::query_as(sql).fetch_one(&mut *conn).await?;
    Ok(busy == 0 && frames == copied)
}

/// Brings the schema up to date, one migration per transaction.
async fn migrate(pool: &SqlitePool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version INTEGER NOT NULL PRIMARY KEY, \
             name TEXT NOT NULL\
         ) STRICT",
    )
    .execute(&mut *conn)
    .await?;
    let applied_max: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(&mut *conn)
        .await?;
    migration::check_not_newer(applied_max, MIGRATIONS)?;
    for migration in MIGRATIONS {
        // IMMEDIATE: a second process opening the same file waits here instead of
        // applying the same migration at the same time.
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let recorded: Option<String> =
            sqlx::query_scalar("SELECT name FROM schema_migrations WHERE version = ?")
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
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES (?, ?)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Rows per statement for a table of `columns` bound columns.
fn rows_per_statement(columns: usize) -> usize {
    (BINDS_MAX / columns).min(INSERT_ROWS_MAX)
}

/// The numbers of the given authors of a commons, numbering those it has not seen yet.
async fn author_numbers(
    conn: &mut SqliteConnection,
    commons_no: i64,
    authors: &[[u8; 33]],
) -> Result<HashMap<[u8; 33], i64>> {
    let mut numbers = HashMap::with_capacity(authors.len());
    if authors.is_empty() {
        return Ok(numbers);
    }
    // One bind for the commons plus one per author.
    for chunk in authors.chunks(rows_per_statement(1) - 1) {
        let mut builder =
            QueryBuilder::<Sqlite>::new("SELECT author, no FROM authors WHERE commons = ");
        builder.push_bind(commons_no).push(" AND author IN (");
        let mut list = builder.separated(", ");
        for author in chunk {
            list.push_bind(&author[..]);
        }
        builder.push(")");
        let rows = builder
            .build_query_as::<(Vec<u8>, i64)>()
            .fetch_all(&mut *conn)
            .await?;
        for (author, no) in &rows {
            rows::record_author_number(author, *no, &mut numbers)?;
        }
    }
    let missing: Vec<&[u8; 33]> = authors
        .iter()
        .filter(|author| !numbers.contains_key(*author))
        .collect();
    for chunk in missing.chunks(rows_per_statement(2)) {
        let mut builder = QueryBuilder::<Sqlite>::new("INSERT INTO authors (commons, author) ");
        builder.push_values(chunk, |mut row, author| {
            row.push_bind(commons_no).push_bind(&author[..]);
        });
        builder.push(" RETURNING author, no");
        let rows = builder
            .build_query_as::<(Vec<u8>, i64)>()
            .fetch_all(&mut *conn)
            .await?;
        for (author, no) in &rows {
            rows::record_author_number(author, *no, &mut numbers)?;
        }
    }
    Ok(numbers)
}

async fn insert_events(
    conn: &mut SqliteConnection,
    commons_no: i64,
    events: &[EventColumns<'_>],
    author_nos: &[i64],
) -> Result<()> {
    let rows_max = rows_per_statement(10);
    for (chunk, author_nos) in events.chunks(rows_max).zip(author_nos.chunks(rows_max)) {
        let mut builder = QueryBuilder::<Sqlite>::new(
            "INSERT INTO events \
             (commons, idx, id, author, seq, kind, time_ms, header, signature, body) ",
        );
        builder.push_values(
            chunk.iter().zip(author_nos),
            |mut row, (event, author_no)| {
                row.push_bind(commons_no)
                    .push_bind(event.idx)
                    .push_bind(event.id)
                    .push_bind(*author_no)
                    .push_bind(event.seq)
                    .push_bind(event.kind)
                    .push_bind(event.time_ms)
                    .push_bind(event.header)
                    .push_bind(event.signature)
                    .push_bind(event.body);
            },
        );
        builder.build().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_hashes(
    conn: &mut SqliteConnection,
    commons_no: i64,
    hashes: &[(i64, &[u8])],
) -> Result<()> {
    for chunk in hashes.chunks(rows_per_statement(3)) {
        let mut builder =
            QueryBuilder::<Sqlite>::new("INSERT INTO merkle_hashes (commons, idx, hash) ");
        builder.push_values(chunk, |mut row, (idx, hash)| {
            row.push_bind(commons_no).push_bind(*idx).push_bind(*hash);
        });
        builder.build().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn delete_projections(
    conn: &mut SqliteConnection,
    commons_no: i64,
    deletes: &[ProjectionDelete<'_>],
) -> Result<()> {
    // One bind for the commons plus two per row.
    for chunk in deletes.chunks(rows_per_statement(2) - 1) {
        let mut builder = QueryBuilder::<Sqlite>::new("DELETE FROM projections WHERE commons = ");
        builder.push_bind(commons_no).push(" AND (tbl, key) IN (");
        builder.push_values(chunk, |mut row, delete| {
            row.push_bind(delete.table).push_bind(delete.key);
        });
        builder.push(")");
        builder.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Writes projection rows; with `upsert`, a row that exists is overwritten.
async fn upsert_projections(
    conn: &mut SqliteConnection,
    commons_no: i64,
    puts: &[ProjectionPut<'_>],
    upsert: bool,
) -> Result<()> {
    for chunk in puts.chunks(rows_per_statement(4)) {
        let mut builder =
            QueryBuilder::<Sqlite>::new("INSERT INTO projections (commons, tbl, key, value) ");
        builder.push_values(chunk, |mut row, put| {
            row.push_bind(commons_no)
                .push_bind(put.table)
                .push_bind(put.key)
                .push_bind(put.value);
        });
        if upsert {
            builder.push(" ON CONFLICT (commons, tbl, key) DO UPDATE SET value = excluded.value");
        }
        builder.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Copies a fork's parent prefix into the fork `fork_no` inside the database: the authors
/// of the prefix, its events (each pointing at its author's new number) and its stored
/// hashes. A set-based copy: no row passes through the process.
async fn copy_prefix(
    conn: &mut SqliteConnection,
    prepared: &PreparedBatch<'_>,
    fork_no: i64,
    prefix: &PrefixColumns<'_>,
) -> Result<()> {
    let parent = sqlx::query_as::<_, (i64, i64)>("SELECT no, size FROM commons WHERE id = ?")
        .bind(prefix.parent)
        .fetch_optional(&mut *conn)
        .await?;
    let parent_no = prepared.prefix_parent(prefix, parent)?;
    // An author belongs to the prefix when its first event (lowest seq) is in it: one
    // probe of the (author, seq) index per author.
    sqlx::query(
        "INSERT INTO authors (commons, author) \
         SELECT ?, a.author FROM authors AS a WHERE a.commons = ? \
         AND (SELECT e.idx FROM events AS e WHERE e.author = a.no ORDER BY e.seq LIMIT 1) < ?",
    )
    .bind(fork_no)
    .bind(parent_no)
    .bind(prefix.size)
    .execute(&mut *conn)
    .await?;
    let events = sqlx::query(
        "INSERT INTO events \
         (commons, idx, id, author, seq, kind, time_ms, header, signature, body) \
         SELECT ?, e.idx, e.id, f.no, e.seq, e.kind, e.time_ms, e.header, e.signature, e.body \
         FROM events AS e \
         JOIN authors AS p ON p.no = e.author \
         JOIN authors AS f ON f.commons = ? AND f.author = p.author \
         WHERE e.commons = ? AND e.idx < ? ORDER BY e.idx",
    )
    .bind(fork_no)
    .bind(fork_no)
    .bind(parent_no)
    .bind(prefix.size)
    .execute(&mut *conn)
    .await?;
    let hashes = sqlx::query(
        "INSERT INTO merkle_hashes (commons, idx, hash) \
         SELECT ?, idx, hash FROM merkle_hashes WHERE commons = ? AND idx < ? ORDER BY idx",
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
    conn: &mut SqliteConnection,
    commons_no: i64,
    checkpoint: &CheckpointColumns<'_>,
) -> Result<bool> {
    let written = sqlx::query(
        "INSERT INTO checkpoints (commons, size, root, note) VALUES (?, ?, ?, ?) \
         ON CONFLICT (commons, size) DO UPDATE SET note = excluded.note \
         WHERE checkpoints.root = excluded.root",
    )
    .bind(commons_no)
    .bind(checkpoint.size)
    .bind(checkpoint.root)
    .bind(checkpoint.note)
    .execute(&mut *conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

impl Store for SqliteStore {
    async fn append(&self, batch: &AppendBatch) -> Result<()> {
        self.write_batch(batch).await
    }

    async fn list_commons(&self) -> Result<Vec<CommonsRow>> {
        let rows = sqlx::query("SELECT id, name, size FROM commons ORDER BY id")
            .fetch_all(&self.readers)
            .await?;
        rows.iter().map(rows::decode_commons).collect()
    }

    async fn commons(&self, id: &CommonsId) -> Result<Option<CommonsRow>> {
        let row = sqlx::query("SELECT id, name, size FROM commons WHERE id = ?")
            .bind(&id.0[..])
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(rows::decode_commons).transpose()
    }

    async fn events_by_id(&self, commons: &CommonsId, ids: &[EventId]) -> Result<Vec<StoredEvent>> {
        rows::check_lookup(ids.len(), IDS_LOOKUP_MAX, "event ids")?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // The index is on the ids' first 4 bytes (see the schema); INDEXED BY keeps the
        // planner from scanning the commons' events through another index instead.
        let mut builder = QueryBuilder::<Sqlite>::new(
            "SELECT e.idx, e.id, a.author, e.seq, e.kind, e.time_ms, e.header, e.signature, \
             e.body FROM events AS e INDEXED BY events_by_id \
             LEFT JOIN authors AS a ON a.no = e.author WHERE e.commons = ",
        );
        builder
            .push(COMMONS_NO)
            .push_bind(&commons.0[..])
            .push(") AND substr(e.id, 1, 4) IN (");
        let mut list = builder.separated(", ");
        for id in ids {
            list.push_bind(&id.0[..4]);
        }
        builder.push(") AND e.id IN (");
        let mut list = builder.separated(", ");
        for id in ids {
            list.push_bind(&id.0[..]);
        }
        builder.push(") ORDER BY e.idx");
        let rows = builder.build().fetch_all(&self.readers).await?;
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
             WHERE commons.id = ? AND authors.author = ?) AND e.seq = ?"
        ))
        .bind(&commons.0[..])
        .bind(&author.to_bytes()[..])
        .bind(seq)
        .fetch_optional(&self.readers)
        .await?;
        row.as_ref().map(rows::decode_event).transpose()
    }

    async fn envelopes_range(
        &self,
        commons: &CommonsId,
        from: u64,
        to: u64,
    ) -> Result<Vec<StoredEnvelope>> {
        let mut builder = rows::envelope_range::<Sqlite>(commons, from, to)?;
        let rows = builder.build().fetch_all(&self.readers).await?;
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
        let mut builder = rows::event_listing::<Sqlite>(commons, &filter);
        let rows = builder.build().fetch_all(&self.readers).await?;
        rows.iter().map(rows::decode_event).collect()
    }

    async fn read_hashes(&self, commons: &CommonsId, indexes: &[u64]) -> Result<Vec<Hash>> {
        rows::check_lookup(indexes.len(), HASHES_LOOKUP_MAX, "hash indexes")?;
        // Indexes above i64::MAX are never stored; `hashes_in_order` reports them missing.
        let wanted: BTreeSet<i64> = indexes
            .iter()
            .filter_map(|index| i64::try_from(*index).ok())
            .collect();
        let mut found = BTreeMap::new();
        if !wanted.is_empty() {
            let mut builder =
                QueryBuilder::<Sqlite>::new("SELECT idx, hash FROM merkle_hashes WHERE commons = ");
            builder
                .push(COMMONS_NO)
                .push_bind(&commons.0[..])
                .push(") AND idx IN (");
            let mut list = builder.separated(", ");
            for index in &wanted {
                list.push_bind(*index);
            }
            builder.push(")");
            let rows = builder.build().fetch_all(&self.readers).await?;
            for row in &rows {
                rows::decode_hash(row, &mut found)?;
            }
        }
        rows::hashes_in_order(commons, indexes, found)
    }

    async fn latest_checkpoint(&self, commons: &CommonsId) -> Result<Option<CheckpointRow>> {
        let row = sqlx::query(
            "SELECT size, root, note FROM checkpoints \
             WHERE commons = (SELECT no FROM commons WHERE id = ?) \
             ORDER BY size DESC LIMIT 1",
        )
        .bind(&commons.0[..])
        .fetch_optional(&self.readers)
        .await?;
        row.as_ref().map(rows::decode_checkpoint).transpose()
    }

    async fn checkpoint_at(&self, commons: &CommonsId, size: u64) -> Result<Option<CheckpointRow>> {
        let Ok(size) = i64::try_from(size) else {
            return Ok(None);
        };
        let row = sqlx::query(concat!(
            "SELECT size, root, note FROM checkpoints WHERE commons = ",
            "(SELECT no FROM commons WHERE id = ?) AND size = ?"
        ))
        .bind(&commons.0[..])
        .bind(size)
        .fetch_optional(&self.readers)
        .await?;
        row.as_ref().map(rows::decode_checkpoint).transpose()
    }

    async fn checkpoints(&self, commons: &CommonsId) -> Result<Vec<CheckpointRow>> {
        let rows = sqlx::query(
            "SELECT size, root, note FROM checkpoints \
                 WHERE commons = (SELECT no FROM commons WHERE id = ?) ORDER BY size",
        )
        .bind(&commons.0[..])
        .fetch_all(&self.readers)
        .await?;
        rows.iter().map(rows::decode_checkpoint).collect()
    }

    async fn projection_rows(&self, commons: &CommonsId) -> Result<Vec<ProjectionRow>> {
        let rows = sqlx::query(
            "SELECT tbl, key, value FROM projections \
             WHERE commons = (SELECT no FROM commons WHERE id = ?) ORDER BY tbl, key",
        )
        .bind(&commons.0[..])
        .fetch_all(&self.readers)
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
             WHERE commons = (SELECT no FROM commons WHERE id = ?) AND tbl = ? ORDER BY key",
        )
        .bind(&commons.0[..])
        .bind(table)
        .fetch_all(&self.readers)
        .await?;
        rows.iter().map(rows::decode_projection).collect()
    }

    async fn replace_projections(&self, commons: &CommonsId, rows: &[ProjectionRow]) -> Result<()> {
        let puts = rows::dedupe_projection_rows(rows);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let Some(commons_no) = sqlx::query_scalar::<_, i64>("SELECT no FROM commons WHERE id = ?")
            .bind(&commons.0[..])
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Err(StoreError::Conflict(format!(
                "commons {commons} is unknown"
            )));
        };
        sqlx::query("DELETE FROM projections WHERE commons = ?")
            .bind(commons_no)
            .execute(&mut *tx)
            .await?;
        upsert_projections(&mut tx, commons_no, &puts, false).await?;
        tx.commit().await?;
        self.wrote();
        Ok(())
    }
}
