//! A fresh, uniquely named PostgreSQL database per measured path, created on the server
//! the given URL points at and dropped afterwards, so runs never see each other's data.

use anyhow::{Context, Result};
use commons_store::AnyStore;
use commons_store::postgres::PgStore;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The URL the CI notes use for the local server.
pub const EXAMPLE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database that exists until [`FreshDatabase::drop_database`] is called.
pub struct FreshDatabase {
    server: PgConnectOptions,
    pub name: String,
}

impl FreshDatabase {
    /// Creates `commons_bench_<pid>_<millis>_<n>` on the server of `url`.
    pub async fn create(url: &str) -> Result<FreshDatabase> {
        static CREATED: AtomicU64 = AtomicU64::new(0);
        let server = PgConnectOptions::from_str(url)
            .with_context(|| format!("cannot parse the database URL {url}"))?;
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let name = format!(
            "commons_bench_{}_{millis}_{}",
            std::process::id(),
            CREATED.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect_with(&server)
            .await
            .with_context(|| format!("cannot connect to {url}"))?;
        // The name is built above from digits and underscores only, so it needs no escaping.
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        admin.close().await?;
        Ok(FreshDatabase { server, name })
    }

    /// Opens a store on the fresh database (running its migrations).
    pub async fn store(&self) -> Result<AnyStore> {
        let store = PgStore::connect_with(self.server.clone().database(&self.name))
            .await
            .with_context(|| format!("cannot open a store on database {}", self.name))?;
        Ok(AnyStore::Postgres(store))
    }

    /// Drops the database, ending any connection still open on it.
    pub async fn drop_database(self) -> Result<()> {
        let mut admin = PgConnection::connect_with(&self.server).await?;
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(&mut admin)
        .await
        .with_context(|| format!("cannot drop database {}", self.name))?;
        admin.close().await?;
        Ok(())
    }
}
