//! [`BlobStore`] on PostgreSQL.
//!
//! A put runs in READ COMMITTED. It adds the blob's size to the one `blob_usage` row
//! with a conditional update, which both checks the cap and locks the row until the
//! transaction ends, so concurrent puts (from this node or others sharing the database)
//! take turns and the cap holds. A concurrent put of the same blob that committed first
//! makes the insert do nothing; the transaction then rolls back (taking its addition to
//! the total with it) and answers that the blob was already there. Deadlocks are retried
//! like appends.

use crate::blobs::{self, BLOB_STORE_FULL, BlobColumns, BlobStore};
use crate::postgres::retrying;
use crate::{PgStore, Result, StoreError};
use commons_ledger::blob::{BlobAlg, BlobRef};

/// See the module comment.
const BEGIN_BLOB_WRITE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

impl PgStore {
    async fn stored_blob_size(&self, columns: &BlobColumns<'_>) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT size FROM blobs WHERE alg = $1 AND hash = $2")
                .bind(columns.alg)
                .bind(columns.hash)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    async fn put_blob_once(&self, columns: &BlobColumns<'_>, bytes: &[u8]) -> Result<bool> {
        if let Some(stored_size) = self.stored_blob_size(columns).await? {
            return columns.already_stored(stored_size);
        }
        let mut tx = self.pool().begin_with(BEGIN_BLOB_WRITE).await?;
        let added = sqlx::query(
            "UPDATE blob_usage SET bytes_total = bytes_total + $1 \
             WHERE id = 1 AND bytes_total <= $2 - $1",
        )
        .bind(columns.size)
        .bind(columns.bytes_total_max)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added != 1 {
            return Err(StoreError::Limit(BLOB_STORE_FULL.to_owned()));
        }
        let inserted = sqlx::query(
            "INSERT INTO blobs (alg, hash, size, bytes) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (alg, hash) DO NOTHING",
        )
        .bind(columns.alg)
        .bind(columns.hash)
        .bind(columns.size)
        .bind(bytes)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            tx.commit().await?;
            return Ok(true);
        }
        tx.rollback().await?;
        match self.stored_blob_size(columns).await? {
            Some(stored_size) => columns.already_stored(stored_size),
            None => Err(StoreError::Corrupt(
                "a blob that conflicted on insert is not stored".to_owned(),
            )),
        }
    }
}

impl BlobStore for PgStore {
    async fn put_blob(&self, blob: &BlobRef, bytes: &[u8], bytes_total_max: u64) -> Result<bool> {
        let columns = BlobColumns::new(blob, bytes, bytes_total_max)?;
        retrying(|| self.put_blob_once(&columns, bytes)).await
    }

    async fn blob(&self, alg: BlobAlg, hash: &[u8; 32]) -> Result<Option<(BlobRef, Vec<u8>)>> {
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT size, bytes FROM blobs WHERE alg = $1 AND hash = $2")
                .bind(alg.as_str())
                .bind(&hash[..])
                .fetch_optional(self.pool())
                .await?;
        row.map(|(size, bytes)| blobs::decode_blob(alg, hash, size, bytes))
            .transpose()
    }

    async fn blob_meta(&self, alg: BlobAlg, hash: &[u8; 32]) -> Result<Option<BlobRef>> {
        let size: Option<i64> =
            sqlx::query_scalar("SELECT size FROM blobs WHERE alg = $1 AND hash = $2")
                .bind(alg.as_str())
                .bind(&hash[..])
                .fetch_optional(self.pool())
                .await?;
        size.map(|size| blobs::decode_meta(alg, hash, size))
            .transpose()
    }

    async fn blobs_present(&self, refs: &[BlobRef]) -> Result<Vec<bool>> {
        blobs::present(self.pool(), refs).await
    }

    async fn blob_bytes_total(&self) -> Result<u64> {
        let total: Option<i64> =
            sqlx::query_scalar("SELECT bytes_total FROM blob_usage WHERE id = 1")
                .fetch_optional(self.pool())
                .await?;
        blobs::decode_total(total)
    }
}
