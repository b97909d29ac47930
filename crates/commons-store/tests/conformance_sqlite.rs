//! Runs the store conformance suite against SQLite: a fresh database file in its own
//! temporary directory for every case, then the same suite through [`AnyStore`] and in
//! memory, plus the behaviour only a file-backed store has (reopening, migrations).

use commons_store::conformance::{self, commons_id, creating, ledger_events};
use commons_store::conformance_accounts::{account_key, new_account, session};
use commons_store::{ACCOUNTS_MAX, AccountStore, AnyStore, SqliteStore, Store, StoreError};

/// Gives a case a fresh SQLite file, runs it and closes the store; the directory goes
/// when the test ends, whether it passed or panicked.
async fn with_sqlite_file(
    _case: &'static str,
    case: impl AsyncFnOnce(&SqliteStore) -> commons_store::Result<()>,
) {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let store = SqliteStore::open(&dir.path().join("commons.db"))
        .await
        .expect("opening a fresh SQLite store");
    let result = case(&store).await;
    store.close().await;
    if let Err(error) = result {
        panic!("store fault: {error}");
    }
}

commons_store::conformance_tests!(with_sqlite_file);

mod in_memory {
    use commons_store::SqliteStore;

    async fn with_memory_store(
        _case: &'static str,
        case: impl AsyncFnOnce(&SqliteStore) -> commons_store::Result<()>,
    ) {
        let store = SqliteStore::open_in_memory()
            .await
            .expect("opening an in-memory SQLite store");
        let result = case(&store).await;
        store.close().await;
        if let Err(error) = result {
            panic!("store fault: {error}");
        }
    }

    commons_store::conformance_tests!(with_memory_store);
}

mod through_any_store {
    use commons_store::AnyStore;

    /// Opens the store from a path string whose parent directory does not exist yet, the
    /// way `commons serve --data-dir` does.
    async fn with_any_store(
        _case: &'static str,
        case: impl AsyncFnOnce(&AnyStore) -> commons_store::Result<()>,
    ) {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let location = dir.path().join("not yet").join("commons.db");
        let location = location.to_str().expect("a UTF-8 temporary path");
        let store = AnyStore::open(location)
            .await
            .expect("opening through AnyStore");
        assert_eq!(store.backend_name(), "sqlite");
        let result = case(&store).await;
        store.close().await;
        if let Err(error) = result {
            panic!("store fault: {error}");
        }
    }

    commons_store::conformance_tests!(with_any_store);
}

#[tokio::test]
async fn a_store_reopened_from_its_file_keeps_everything_it_acknowledged() {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let path = dir.path().join("commons.db");
    let commons = commons_id(1);
    let events = ledger_events(&commons, 0, 5);
    let store = SqliteStore::open(&path).await.expect("opening");
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await
        .expect("appending");
    store.close().await;
    drop(store);

    let reopened = SqliteStore::open(&path).await.expect("reopening");
    assert_eq!(
        reopened
            .commons(&commons)
            .await
            .expect("reading")
            .map(|row| row.size),
        Some(5)
    );
    assert_eq!(
        reopened
            .events_range(&commons, 0, u64::MAX)
            .await
            .expect("reading"),
        events
    );
    reopened.close().await;
}

#[tokio::test]
async fn opening_a_store_again_applies_each_migration_once() {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let path = dir.path().join("commons.db");
    for _ in 0..3 {
        SqliteStore::open(&path)
            .await
            .expect("opening")
            .close()
            .await;
    }
    let mut conn = sqlite_connection(&path).await;
    let versions: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, name FROM schema_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .expect("reading schema_migrations");
    assert_eq!(
        versions,
        vec![
            (1, "initial".to_owned()),
            (2, "accounts".to_owned()),
            (3, "blobs".to_owned()),
            (4, "private".to_owned())
        ]
    );
}

#[tokio::test]
async fn the_database_file_is_in_wal_mode() {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let path = dir.path().join("commons.db");
    SqliteStore::open(&path)
        .await
        .expect("opening")
        .close()
        .await;
    let mut conn = sqlite_connection(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("reading the journal mode");
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let path = dir.path().join("commons.db");
    SqliteStore::open(&path)
        .await
        .expect("opening")
        .close()
        .await;
    let mut conn = sqlite_connection(&path).await;
    sqlx::query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')")
        .execute(&mut conn)
        .await
        .expect("recording a future migration");
    drop(conn);
    match SqliteStore::open(&path).await {
        Err(StoreError::Migration(message)) => assert!(message.contains("999"), "{message}"),
        other => panic!("expected a migration error, got {other:?}"),
    }
}

#[tokio::test]
async fn any_store_opens_a_relative_file_name_as_sqlite() {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let location = dir.path().join("commons.db");
    let store = AnyStore::open(location.to_str().expect("a UTF-8 temporary path"))
        .await
        .expect("opening");
    assert_eq!(store.backend_name(), "sqlite");
    store.close().await;
    assert!(location.exists());
}

/// Deleting an account leaves no row of it in the account tables and, because the store
/// deletes with `secure_delete` on, none of its personal bytes in the database file
/// (nor an earlier password hash it replaced).
#[tokio::test]
async fn a_deleted_account_leaves_no_rows_and_no_bytes_in_the_file() {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let path = dir.path().join("commons.db");
    let store = SqliteStore::open(&path).await.expect("opening");
    let kept_new = new_account(2);
    let kept = store
        .create_account(&kept_new, ACCOUNTS_MAX)
        .await
        .expect("creating");
    let gone_new = new_account(1);
    let gone = store
        .create_account(&gone_new, ACCOUNTS_MAX)
        .await
        .expect("creating");
    let linked = account_key(1, 1);
    store
        .link_key(gone.id, &linked, 2_000)
        .await
        .expect("linking");
    let new_hash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA";
    assert!(
        store
            .set_password_hash(gone.id, new_hash)
            .await
            .expect("changing the password hash")
    );
    let sessions = [
        session(1, gone.id, 100, 10_000),
        session(2, gone.id, 200, 10_000),
    ];
    for session in &sessions {
        store
            .create_session(session)
            .await
            .expect("creating a session");
    }
    let kept_session = session(3, kept.id, 100, 10_000);
    store
        .create_session(&kept_session)
        .await
        .expect("creating a session");
    // Something in the ledger tables too, which the deletion must not disturb.
    store
        .append(&creating(
            &commons_id(1),
            "Garden",
            ledger_events(&commons_id(1), 0, 3),
        ))
        .await
        .expect("appending");
    assert!(store.delete_account(gone.id).await.expect("deleting"));
    store.close().await;

    let mut conn = sqlite_connection(&path).await;
    for (sql, expected) in [
        ("SELECT COUNT(*) FROM accounts", 1),
        ("SELECT COUNT(*) FROM account_keys", 1),
        ("SELECT COUNT(*) FROM sessions", 1),
    ] {
        let count: i64 = sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect("counting rows");
        assert_eq!(count, expected, "{sql}");
    }
    let gone_rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM accounts WHERE id = ?1 OR email = ?2) \
              + (SELECT COUNT(*) FROM account_keys WHERE account = ?1) \
              + (SELECT COUNT(*) FROM sessions WHERE account = ?1)",
    )
    .bind(i64::try_from(gone.id).expect("a small id"))
    .bind(&gone.email)
    .fetch_one(&mut conn)
    .await
    .expect("counting the deleted account's rows");
    assert_eq!(gone_rows, 0);
    let kept_email: String = sqlx::query_scalar("SELECT email FROM accounts")
        .fetch_one(&mut conn)
        .await
        .expect("reading the kept account");
    assert_eq!(kept_email, kept.email);
    drop(conn);

    // Every byte the database keeps: the file and, if one is left, its WAL.
    let mut bytes = std::fs::read(&path).expect("reading the database file");
    if let Ok(wal) = std::fs::read(dir.path().join("commons.db-wal")) {
        bytes.extend(wal);
    }
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|window| window == needle);
    let personal: [(&str, Vec<u8>); 8] = [
        ("e-mail", gone.email.clone().into_bytes()),
        ("display name", gone.display_name.clone().into_bytes()),
        (
            "old password hash",
            gone_new.password_hash.clone().into_bytes(),
        ),
        ("new password hash", new_hash.as_bytes().to_vec()),
        ("sealed secret", gone_new.sealed_secret.clone()),
        ("custodial key", gone_new.key.to_bytes().to_vec()),
        ("linked key", linked.to_bytes().to_vec()),
        ("CSRF token", sessions[0].csrf_token.clone().into_bytes()),
    ];
    for (what, needle) in personal {
        assert!(
            !contains(&needle),
            "the deleted account's {what} is still in the file"
        );
    }
    for session in &sessions {
        assert!(
            !contains(&session.token_hash),
            "a deleted session's token hash"
        );
    }
    // The kept account is still there, byte for byte.
    assert!(contains(kept.email.as_bytes()));
    assert!(contains(&kept_new.sealed_secret));
}

/// The writer never checkpoints; the store's checkpointer task does, and keeps the WAL
/// file under its limit. Appends write many times the limit; once they stop, the WAL file
/// must come back under it (without the task nothing would checkpoint before close, and
/// the WAL would hold every page written). Closing stops the task and closes its
/// connection: the store's last connection then removes the WAL, and the file can be
/// opened, deleted and created afresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkpointer_keeps_the_wal_under_its_limit_and_stops_on_close() {
    const WAL_LIMIT_BYTES: u64 = 256 * 1024;
    const BATCHES: u64 = 40;
    const EVENTS_PER_BATCH: u64 = 500;
    const SETTLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
    const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let path = dir.path().join("commons.db");
    let wal = dir.path().join("commons.db-wal");
    let wal_bytes = || std::fs::metadata(&wal).map_or(0, |metadata| metadata.len());
    let commons = commons_id(1);
    let store = SqliteStore::open_with_wal_limit(&path, WAL_LIMIT_BYTES)
        .await
        .expect("opening");
    for batch in 0..BATCHES {
        let events = ledger_events(
            &commons,
            batch * EVENTS_PER_BATCH,
            (batch + 1) * EVENTS_PER_BATCH,
        );
        let batch = if batch == 0 {
            creating(&commons, "Garden", events)
        } else {
            conformance::appending(&commons, events)
        };
        store.append(&batch).await.expect("appending");
    }
    let deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
    while wal_bytes() > WAL_LIMIT_BYTES {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the WAL file is still {} bytes, over its limit of {WAL_LIMIT_BYTES}",
            wal_bytes()
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    // What was written is many times the limit, and all of it is there.
    let database_bytes = std::fs::metadata(&path).expect("the database file").len();
    assert!(
        database_bytes > 4 * WAL_LIMIT_BYTES,
        "only {database_bytes} bytes in the database file"
    );
    assert_eq!(
        store
            .commons(&commons)
            .await
            .expect("reading")
            .map(|row| row.size),
        Some(BATCHES * EVENTS_PER_BATCH)
    );
    store.close().await;
    assert!(
        !wal.exists(),
        "a connection is still open after close: the WAL was not removed"
    );

    let mut conn = sqlite_connection(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("reading the journal mode");
    assert_eq!(mode, "wal");
    drop(conn);
    drop(store);
    for file in ["commons.db", "commons.db-wal", "commons.db-shm"] {
        let file = dir.path().join(file);
        if file.exists() {
            std::fs::remove_file(&file).expect("deleting the store's files");
        }
    }
    let fresh = SqliteStore::open(&path).await.expect("opening afresh");
    assert!(fresh.list_commons().await.expect("listing").is_empty());
    fresh.close().await;
}

/// A plain connection to the store's file, to look at what the store cannot show.
async fn sqlite_connection(path: &std::path::Path) -> sqlx::SqliteConnection {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("connecting to the SQLite file")
}

/// Keeps the case list honest: the suite module is public so that other backends (or a
/// future one) can run it.
#[test]
fn the_conformance_fixtures_are_deterministic() {
    assert_eq!(
        conformance::ledger_events(&commons_id(1), 0, 4),
        conformance::ledger_events(&commons_id(1), 0, 4)
    );
}
