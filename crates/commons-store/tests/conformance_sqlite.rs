//! Runs the store conformance suite against SQLite: a fresh database file in its own
//! temporary directory for every case, then the same suite through [`AnyStore`] and in
//! memory, plus the behaviour only a file-backed store has (reopening, migrations).

use commons_store::conformance::{self, commons_id, creating, ledger_events};
use commons_store::{AnyStore, SqliteStore, Store, StoreError};

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
    assert_eq!(versions, vec![(1, "initial".to_owned())]);
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
