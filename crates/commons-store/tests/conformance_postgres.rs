//! Runs the store conformance suite against PostgreSQL, each case in a database of its
//! own, created on the server named by `COMMONS_TEST_DATABASE_URL` and dropped afterwards.
//!
//! Without that variable the cases cannot run here. They then say so loudly on stderr
//! (past the test harness's output capture) instead of passing quietly, and on CI
//! (`CI=true`) they fail.

use commons_store::conformance::{self, appending, commons_id, creating, event};
use commons_store::conformance_accounts::{account_key, new_account, session};
use commons_store::{ACCOUNTS_MAX, AccountStore, AnyStore, PgStore, Store, StoreError};
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::io::Write;
use std::str::FromStr;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

const DATABASE_URL_VAR: &str = "COMMONS_TEST_DATABASE_URL";

/// The server to test against, or `None` after telling the person running the tests
/// that this case did not run and how to run it.
fn database_url(case: &str) -> Option<String> {
    if let Ok(url) = std::env::var(DATABASE_URL_VAR)
        && !url.is_empty()
    {
        return Some(url);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{DATABASE_URL_VAR} is not set on CI: the PostgreSQL conformance suite must run there"
        );
    }
    static BANNER: Once = Once::new();
    // Written to the process's stderr directly: the harness captures `eprintln!` of
    // passing tests, and this must be seen.
    let mut stderr = std::io::stderr();
    BANNER.call_once(|| {
        let _ = writeln!(
            stderr,
            "\n\
             ********************************************************************\n\
             *  PostgreSQL store tests NOT RUN: {DATABASE_URL_VAR} is not set.\n\
             *  To run them:\n\
             *    {DATABASE_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres \\\n\
             *      cargo test -p commons-store --test conformance_postgres\n\
             *  (each test creates and drops its own database on that server)\n\
             ********************************************************************"
        );
    });
    let _ = writeln!(
        stderr,
        "NOT RUN (no {DATABASE_URL_VAR}): conformance_postgres::{case}"
    );
    None
}

static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

/// A database created for one test and dropped when this is dropped, even when the test
/// panics.
struct TestDatabase {
    server: PgConnectOptions,
    name: String,
}

impl TestDatabase {
    async fn create(url: &str) -> TestDatabase {
        let server = PgConnectOptions::from_str(url)
            .unwrap_or_else(|error| panic!("{DATABASE_URL_VAR} is not a PostgreSQL URL: {error}"));
        let name = format!(
            "commons_test_{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::connect_with(&server)
            .await
            .unwrap_or_else(|error| panic!("connecting to {DATABASE_URL_VAR}: {error}"));
        // Database names cannot be bound; this one is made of digits and underscores only.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|error| panic!("creating database {name}: {error}"));
        }
        TestDatabase { server, name }
    }

    fn options(&self) -> PgConnectOptions {
        self.server.clone().database(&self.name)
    }

    fn url(&self) -> String {
        let options = self.options();
        format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            self.name
        )
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        // Drop cannot await, and may run while the test's runtime unwinds, so the drop
        // runs on a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect_with(&server)
                    .await
                    .map_err(|error| error.to_string())?;
                sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .map_err(|error| error.to_string())?;
                Ok::<(), String>(())
            })
        })
        .join();
        if let Ok(Err(error)) | Err(error) = dropped.map_err(|_| "panicked".to_owned()) {
            let _ = writeln!(
                std::io::stderr(),
                "could not drop test database {}: {error}",
                self.name
            );
        }
    }
}

/// Gives a case a fresh database, runs it, closes the store and drops the database.
async fn with_postgres(
    case_name: &'static str,
    case: impl AsyncFnOnce(&PgStore) -> commons_store::Result<()>,
) {
    let Some(url) = database_url(case_name) else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    let store = PgStore::connect_with(database.options())
        .await
        .expect("connecting to the test database");
    let result = case(&store).await;
    store.close().await;
    drop(database);
    if let Err(error) = result {
        panic!("store fault: {error}");
    }
}

commons_store::conformance_tests!(with_postgres);

#[tokio::test]
async fn any_store_opens_a_postgres_url_as_postgres() {
    let Some(url) = database_url("any_store_opens_a_postgres_url_as_postgres") else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    for scheme in ["postgres://", "postgresql://"] {
        let location = database.url().replacen("postgres://", scheme, 1);
        let store = AnyStore::open(&location)
            .await
            .expect("opening through AnyStore");
        assert_eq!(store.backend_name(), "postgres");
        store.close().await;
    }
}

#[tokio::test]
async fn nodes_starting_together_apply_each_migration_once() {
    let Some(url) = database_url("nodes_starting_together_apply_each_migration_once") else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    let connect = || PgStore::connect_with(database.options());
    let (a, b, c, d) = tokio::join!(connect(), connect(), connect(), connect());
    for store in [a, b, c, d] {
        store
            .expect("connecting while others migrate")
            .close()
            .await;
    }
    let mut conn = PgConnection::connect_with(&database.options())
        .await
        .expect("connecting to the test database");
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
async fn a_database_migrated_by_a_newer_build_is_refused() {
    let Some(url) = database_url("a_database_migrated_by_a_newer_build_is_refused") else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    PgStore::connect_with(database.options())
        .await
        .expect("connecting")
        .close()
        .await;
    let mut conn = PgConnection::connect_with(&database.options())
        .await
        .expect("connecting to the test database");
    sqlx::query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')")
        .execute(&mut conn)
        .await
        .expect("recording a future migration");
    match PgStore::connect_with(database.options()).await {
        Err(StoreError::Migration(message)) => assert!(message.contains("999"), "{message}"),
        other => panic!("expected a migration error, got {other:?}"),
    }
}

/// Two nodes (two pools) sharing one database race for the same ledger position, round
/// after round: each round exactly one lands and the other gets a conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_racing_on_one_commons_end_with_one_success_and_one_conflict() {
    let Some(url) =
        database_url("two_nodes_racing_on_one_commons_end_with_one_success_and_one_conflict")
    else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    let first = PgStore::connect_with(database.options())
        .await
        .expect("connecting");
    let second = PgStore::connect_with(database.options())
        .await
        .expect("connecting");
    let commons = commons_id(1);
    first
        .append(&creating(&commons, "Garden", vec![]))
        .await
        .expect("creating");
    let mut next_seq = [1u64, 1u64];
    let rounds = 20u64;
    for round in 0..rounds {
        let batch_of = |author_tag: u8, seq: u64| {
            appending(
                &commons,
                vec![event(&commons, round, author_tag, seq, "post", round)],
            )
        };
        let (a, b) = (batch_of(1, next_seq[0]), batch_of(2, next_seq[1]));
        let results = tokio::join!(first.append(&a), second.append(&b));
        let winner = match results {
            (Ok(()), Err(StoreError::Conflict(_))) => 0,
            (Err(StoreError::Conflict(_)), Ok(())) => 1,
            other => panic!("round {round}: expected one success and one conflict, got {other:?}"),
        };
        next_seq[winner] += 1;
    }
    let row = second
        .commons(&commons)
        .await
        .expect("reading")
        .expect("the commons exists");
    assert_eq!(row.size, rounds);
    let indexes: Vec<u64> = first
        .events_range(&commons, 0, u64::MAX)
        .await
        .expect("reading")
        .iter()
        .map(|event| event.index)
        .collect();
    assert_eq!(indexes, (0..rounds).collect::<Vec<u64>>());
    first.close().await;
    second.close().await;
}

/// Deleting an account leaves no row of it in the account tables, read directly.
#[tokio::test]
async fn a_deleted_account_leaves_no_rows() {
    let Some(url) = database_url("a_deleted_account_leaves_no_rows") else {
        return;
    };
    let database = TestDatabase::create(&url).await;
    let store = PgStore::connect_with(database.options())
        .await
        .expect("connecting");
    let kept = store
        .create_account(&new_account(2), ACCOUNTS_MAX)
        .await
        .expect("creating");
    let gone = store
        .create_account(&new_account(1), ACCOUNTS_MAX)
        .await
        .expect("creating");
    store
        .link_key(gone.id, &account_key(1, 1), 2_000)
        .await
        .expect("linking");
    for session in [
        session(1, gone.id, 100, 10_000),
        session(2, gone.id, 200, 10_000),
        session(3, kept.id, 100, 10_000),
    ] {
        store
            .create_session(&session)
            .await
            .expect("creating a session");
    }
    assert!(store.delete_account(gone.id).await.expect("deleting"));
    store.close().await;

    let mut conn = PgConnection::connect_with(&database.options())
        .await
        .expect("connecting to the test database");
    let gone_id = i64::try_from(gone.id).expect("a small id");
    let kept_id = i64::try_from(kept.id).expect("a small id");
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT 'accounts', account FROM (SELECT id AS account FROM accounts) AS a \
         UNION ALL SELECT 'account_keys', account FROM account_keys \
         UNION ALL SELECT 'sessions', account FROM sessions ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .expect("reading the account tables");
    assert_eq!(
        rows,
        vec![
            ("account_keys".to_owned(), kept_id),
            ("accounts".to_owned(), kept_id),
            ("sessions".to_owned(), kept_id),
        ]
    );
    let by_email: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE email = $1")
        .bind(&gone.email)
        .fetch_one(&mut conn)
        .await
        .expect("reading accounts");
    assert_eq!(by_email, 0);
    assert_ne!(gone_id, kept_id);
}

#[test]
fn the_suite_here_is_the_shared_one() {
    // The fixtures this file uses come from the shared suite, not a copy.
    assert_eq!(conformance::commons_id(1), commons_id(1));
}
