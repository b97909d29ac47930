//! Content-addressed blobs: the contents of a commons' artifacts (documents, designs,
//! code, media, datasets), kept outside the ledger; events name them by
//! [`BlobRef`] (algorithm, digest, size).
//!
//! They sit in the same database as the ledgers, in tables of their own (migration
//! `0003_blobs`), behind a trait of their own, [`BlobStore`], which every backend
//! implements and the conformance suite (`conformance_blobs`) checks. A blob is written
//! once and never changed or deleted, so a stored name always means the same bytes.
//!
//! The store does not hash: the caller has checked that the bytes have the digest the
//! reference names, and passes both in. The store checks what it can without hashing
//! (the length against the size), keeps the limits below, and writes a blob and the
//! running total of blob bytes in one transaction, so a refused or failed put leaves
//! nothing behind.

use crate::rows::{self, from_stored};
use crate::{AnyStore, Result, StoreError};
use commons_ledger::blob::{BlobAlg, BlobRef};
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, QueryBuilder, Type};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

/// Largest blob, in bytes (16 MiB); a larger one is refused with a `Limit` error whose
/// message is [`BLOB_TOO_LARGE`].
pub const BLOB_BYTES_MAX: u64 = 16 * 1024 * 1024;
/// Most references one [`BlobStore::blobs_present`] call may ask about.
pub const BLOBS_LOOKUP_MAX: usize = 4_096;

/// The `Limit` message of a blob larger than [`BLOB_BYTES_MAX`].
pub const BLOB_TOO_LARGE: &str = "blob_too_large";
/// The `Limit` message of a blob that would take the blob bytes past the caller's cap.
pub const BLOB_STORE_FULL: &str = "blob_store_full";
/// The `Conflict` message when the bytes' length is not the reference's size, or a blob
/// with the same algorithm and digest is stored with another size.
pub const BLOB_SIZE_MISMATCH: &str = "blob_size_mismatch";

impl StoreError {
    /// Whether this is a `Limit` error with the given code ([`BLOB_TOO_LARGE`],
    /// [`BLOB_STORE_FULL`]).
    pub fn is_limit(&self, code: &str) -> bool {
        matches!(self, StoreError::Limit(message) if message == code)
    }
}

/// Blob storage, implemented by every backend next to [`crate::Store`]. Reads may run in
/// parallel with everything; each put is a transaction of its own.
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` as `blob`, whose digest the caller has checked. Returns true when
    /// the blob was stored now and false when it was already there (a put is idempotent).
    /// A blob over [`BLOB_BYTES_MAX`] is a `Limit` error ([`BLOB_TOO_LARGE`]); bytes
    /// whose length is not `blob.size` are a `Conflict` ([`BLOB_SIZE_MISMATCH`]); a new
    /// blob that would take [`BlobStore::blob_bytes_total`] past `bytes_total_max` is a
    /// `Limit` error ([`BLOB_STORE_FULL`]). Nothing is written then.
    fn put_blob(
        &self,
        blob: &BlobRef,
        bytes: &[u8],
        bytes_total_max: u64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// The blob with this algorithm and digest, with its bytes.
    fn blob(
        &self,
        alg: BlobAlg,
        hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<(BlobRef, Vec<u8>)>>> + Send;

    /// The reference of the blob with this algorithm and digest, without reading its bytes.
    fn blob_meta(
        &self,
        alg: BlobAlg,
        hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<BlobRef>>> + Send;

    /// For each reference, in order, whether that blob (algorithm, digest and size) is
    /// stored, in one query. More than [`BLOBS_LOOKUP_MAX`] references is a `Limit` error.
    fn blobs_present(&self, blobs: &[BlobRef]) -> impl Future<Output = Result<Vec<bool>>> + Send;

    /// The bytes all stored blobs hold together.
    fn blob_bytes_total(&self) -> impl Future<Output = Result<u64>> + Send;
}

// ---------------------------------------------------------------------------------------
// What both backends share

/// A new blob's columns, checked before any IO.
pub(crate) struct BlobColumns<'a> {
    pub alg: &'static str,
    pub hash: &'a [u8],
    pub size: i64,
    /// The caller's cap, as a stored integer (a cap above `i64::MAX` caps nothing).
    pub bytes_total_max: i64,
}

impl<'a> BlobColumns<'a> {
    pub(crate) fn new(blob: &'a BlobRef, bytes: &[u8], bytes_total_max: u64) -> Result<Self> {
        let length = bytes.len() as u64;
        if blob.size > BLOB_BYTES_MAX || length > BLOB_BYTES_MAX {
            return Err(StoreError::Limit(BLOB_TOO_LARGE.to_owned()));
        }
        if length != blob.size {
            return Err(StoreError::Conflict(BLOB_SIZE_MISMATCH.to_owned()));
        }
        Ok(BlobColumns {
            alg: blob.alg.as_str(),
            hash: &blob.hash,
            size: rows::to_stored(blob.size, "blob size")?,
            bytes_total_max: i64::try_from(bytes_total_max).unwrap_or(i64::MAX),
        })
    }

    /// The answer to a put that found the blob stored with `stored_size`.
    pub(crate) fn already_stored(&self, stored_size: i64) -> Result<bool> {
        if stored_size == self.size {
            Ok(false)
        } else {
            Err(StoreError::Conflict(BLOB_SIZE_MISMATCH.to_owned()))
        }
    }
}

/// Decodes a stored `(size, bytes)` of the blob `alg:hash`.
pub(crate) fn decode_blob(
    alg: BlobAlg,
    hash: &[u8; 32],
    size: i64,
    bytes: Vec<u8>,
) -> Result<(BlobRef, Vec<u8>)> {
    let blob = decode_meta(alg, hash, size)?;
    if bytes.len() as u64 != blob.size {
        return Err(StoreError::Corrupt(format!(
            "blob {} holds {} bytes, not {}",
            blob.name(),
            bytes.len(),
            blob.size
        )));
    }
    Ok((blob, bytes))
}

pub(crate) fn decode_meta(alg: BlobAlg, hash: &[u8; 32], size: i64) -> Result<BlobRef> {
    Ok(BlobRef {
        alg,
        hash: *hash,
        size: from_stored(size, "blob size")?,
    })
}

/// The running total in stored form, read back.
pub(crate) fn decode_total(total: Option<i64>) -> Result<u64> {
    let total =
        total.ok_or_else(|| StoreError::Corrupt("the blob_usage row is missing".to_owned()))?;
    from_stored(total, "blob bytes total")
}

/// Answers [`BlobStore::blobs_present`] on `executor` with one query for both backends;
/// every value is bound.
pub(crate) async fn present<'e, DB, E>(executor: E, blobs: &[BlobRef]) -> Result<Vec<bool>>
where
    DB: Database,
    E: Executor<'e, Database = DB>,
    for<'t> &'t [u8]: Encode<'t, DB> + Type<DB>,
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    <DB as Database>::Arguments: IntoArguments<DB>,
    (String, Vec<u8>, i64): for<'r> FromRow<'r, DB::Row>,
{
    rows::check_lookup(blobs.len(), BLOBS_LOOKUP_MAX, "blob references")?;
    if blobs.is_empty() {
        return Ok(Vec::new());
    }
    // Each (alg, hash) once, as one list of row values: an `OR` per reference would nest
    // deeper than SQLite's expression depth limit long before the lookup limit.
    let distinct: BTreeSet<(&'static str, &[u8])> = blobs
        .iter()
        .map(|blob| (blob.alg.as_str(), &blob.hash[..]))
        .collect();
    let mut builder =
        QueryBuilder::<DB>::new("SELECT alg, hash, size FROM blobs WHERE (alg, hash) IN (VALUES ");
    for (position, (alg, hash)) in distinct.into_iter().enumerate() {
        if position > 0 {
            builder.push(", ");
        }
        builder
            .push("(")
            .push_bind(alg)
            .push(", ")
            .push_bind(hash)
            .push(")");
    }
    builder.push(")");
    let found: Vec<(String, Vec<u8>, i64)> = builder.build_query_as().fetch_all(executor).await?;
    let mut sizes: BTreeMap<(String, Vec<u8>), i64> = BTreeMap::new();
    for (alg, hash, size) in found {
        sizes.insert((alg, hash), size);
    }
    Ok(blobs
        .iter()
        .map(|blob| {
            let key = (blob.alg.as_str().to_owned(), blob.hash.to_vec());
            sizes
                .get(&key)
                .is_some_and(|size| u64::try_from(*size).ok() == Some(blob.size))
        })
        .collect())
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

impl BlobStore for AnyStore {
    async fn put_blob(&self, blob: &BlobRef, bytes: &[u8], bytes_total_max: u64) -> Result<bool> {
        dispatch!(self, store => store.put_blob(blob, bytes, bytes_total_max))
    }

    async fn blob(&self, alg: BlobAlg, hash: &[u8; 32]) -> Result<Option<(BlobRef, Vec<u8>)>> {
        dispatch!(self, store => store.blob(alg, hash))
    }

    async fn blob_meta(&self, alg: BlobAlg, hash: &[u8; 32]) -> Result<Option<BlobRef>> {
        dispatch!(self, store => store.blob_meta(alg, hash))
    }

    async fn blobs_present(&self, blobs: &[BlobRef]) -> Result<Vec<bool>> {
        dispatch!(self, store => store.blobs_present(blobs))
    }

    async fn blob_bytes_total(&self) -> Result<u64> {
        dispatch!(self, store => store.blob_bytes_total())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blob_limit_is_16_mib() {
        assert_eq!(BLOB_BYTES_MAX, 16_777_216);
    }

    #[test]
    fn columns_refuse_oversized_blobs_and_lengths_that_are_not_the_size() {
        let bytes = b"hello".to_vec();
        let blob = BlobRef::of(BlobAlg::Sha256, &bytes);
        let columns = BlobColumns::new(&blob, &bytes, u64::MAX).map(|c| c.bytes_total_max);
        assert_eq!(columns.ok(), Some(i64::MAX));
        let short = BlobColumns::new(&blob, &bytes[..4], 100).err();
        assert!(short.is_some_and(|e| e.is_conflict(BLOB_SIZE_MISMATCH)));
        let huge = BlobRef {
            size: BLOB_BYTES_MAX + 1,
            ..blob
        };
        let refused = BlobColumns::new(&huge, &bytes, u64::MAX).err();
        assert!(refused.is_some_and(|e| e.is_limit(BLOB_TOO_LARGE)));
    }
}
