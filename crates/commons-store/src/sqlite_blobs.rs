//! [`BlobStore`] on SQLite.
//!
//! A put goes through the store's one writer connection, like appends and account
//! writes, in a `BEGIN IMMEDIATE` transaction: it looks the blob up, adds its size to the
//! running total only if the total stays within the cap, and inserts it, with no other
//! writer in between. Reads use the reader pool.

use crate::blobs::{self, BLOB_STORE_FULL, BlobColumns, BlobStore};
use crate::{Result, SqliteStore, StoreError};
use commons_ledger::blob::{BlobAlg, BlobRef};
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;

async fn put_blob_in(
    conn: &mut SqliteConnection,
    columns: &BlobColumns<'_>,
    bytes: &[u8],
) -> Result<bool> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let stored: Option<i64> =
        sqlx::query_scalar("SELECT size FROM blobs WHERE alg = ? AND hash = ?")
            .bind(columns.alg)
            .bind(columns.hash)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(stored_size) = stored {
        return columns.already_stored(stored_size);
    }
    let added = sqlx::query(
        "UPDATE blob_usage SET bytes_total = bytes_total + ? WHERE id = 1 AND bytes_total <= ? - ?",
    )
    .bind(columns.size)
    .bind(columns.bytes_total_max)
    .bind(columns.size)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added != 1 {
        return Err(StoreError::Limit(BLOB_STORE_FULL.to_owned()));
    }
    sqlx::query("INSERT INTO blobs (alg, hash, size, bytes) VALUES (?, ?, ?, ?)")
        .bind(columns.alg)
        .bind(columns.hash)
        .bind(columns.size)
        .bind(bytes)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

impl BlobStore for SqliteStore {
    async fn put_blob(&self, blob: &BlobRef, bytes: &[u8], bytes_total_max: u64) -> Result<bool> {
        let columns = BlobColumns::new(blob, bytes, bytes_total_max)?;
        let mut conn = self.pools().0.acquire().await?;
        let result = put_blob_in(&mut conn, &columns, bytes).await;
        self.wrote();
        result
    }

    async fn blob(&self, alg: BlobAlg, hash: &[u8; 32]) -> Result<Option<(BlobRef, Vec<u8>)>> {
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT size, bytes FROM blobs WHERE alg = ? AND hash = ?")
                .bind(alg.as_str())
                .bind(&hash[..])
                .fetch_optional(self.pools().1)
                .await?;
        row.map(|(size, bytes)| blobs::decode_blob(alg, hash, size, bytes))
            .transpose()
    }

    async fn blob_meta(&self, alg: BlobAlg, hash: &[u8; 32]) -> Result<Option<BlobRef>> {
        let size: Option<i64> =
            sqlx::query_scalar("SELECT size FROM blobs WHERE alg = ? AND hash = ?")
                .bind(alg.as_str())
                .bind(&hash[..])
                .fetch_optional(self.pools().1)
                .await?;
        size.map(|size| blobs::decode_meta(alg, hash, size))
            .transpose()
    }

    async fn blobs_present(&self, refs: &[BlobRef]) -> Result<Vec<bool>> {
        blobs::present(self.pools().1, refs).await
    }

    async fn blob_bytes_total(&self) -> Result<u64> {
        let total: Option<i64> =
            sqlx::query_scalar("SELECT bytes_total FROM blob_usage WHERE id = 1")
                .fetch_optional(self.pools().1)
                .await?;
        blobs::decode_total(total)
    }
}
