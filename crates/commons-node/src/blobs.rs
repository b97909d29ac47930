//! Content-addressed blobs: the node names the bytes of an artifact by their digest and
//! keeps them in its store, outside every ledger; events refer to them by [`BlobRef`].
//!
//! The node hashes (the store does not) on tokio's blocking pool, since a 16 MiB blob
//! takes tens of milliseconds to hash, and it hashes again on every read, so that it
//! never serves bytes that do not match their name even if the database was changed
//! behind its back.

use crate::{Node, NodeError};
use commons_ledger::blob::{BlobAlg, BlobRef};
use commons_store::{BLOB_BYTES_MAX, BLOB_STORE_FULL, BLOB_TOO_LARGE, BLOBS_LOOKUP_MAX, BlobStore};
use std::collections::BTreeSet;

/// The usual cap on the bytes all blobs of a node hold together (10 GiB), for
/// [`crate::NodeConfig::blob_bytes_total_max`].
pub const BLOB_BYTES_TOTAL_MAX_DEFAULT: u64 = 10 * 1024 * 1024 * 1024;

/// Why the node did not store a blob. Nothing was stored for any of these.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("a blob holds at most {BLOB_BYTES_MAX} bytes")]
    TooLarge,
    #[error("this node's blob storage is full")]
    StoreFull,
    #[error("the bytes are {actual:?}, not the expected {expected:?}")]
    Mismatch { expected: BlobRef, actual: BlobRef },
    #[error("{0}")]
    Fault(#[from] NodeError),
}

impl BlobError {
    /// The stable code clients match on; a fault has none of its own.
    pub fn code(&self) -> &'static str {
        match self {
            BlobError::TooLarge => BLOB_TOO_LARGE,
            BlobError::StoreFull => BLOB_STORE_FULL,
            BlobError::Mismatch { .. } => "blob_mismatch",
            BlobError::Fault(_) => "internal",
        }
    }
}

/// A blob the node holds after a put.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobPut {
    pub blob: BlobRef,
    /// True when this put stored it, false when the node held it already.
    pub created: bool,
}

/// Runs `work` on tokio's blocking pool.
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, NodeError> {
    // Only a panic (a bug) or a runtime shutting down makes the task fail.
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| NodeError::ShuttingDown)
}

impl Node {
    /// Stores `bytes` under the algorithm a client picks for their size
    /// ([`BlobAlg::for_size`]).
    pub async fn put_blob(&self, bytes: Vec<u8>) -> Result<BlobPut, BlobError> {
        let alg = BlobAlg::for_size(bytes.len() as u64);
        self.put_blob_as(alg, None, bytes).await
    }

    /// Stores `bytes` under `alg`. With `expected`, the bytes must be exactly that blob
    /// (algorithm, digest and size), or nothing is stored (`blob_mismatch`).
    pub async fn put_blob_as(
        &self,
        alg: BlobAlg,
        expected: Option<BlobRef>,
        bytes: Vec<u8>,
    ) -> Result<BlobPut, BlobError> {
        if bytes.len() as u64 > BLOB_BYTES_MAX {
            return Err(BlobError::TooLarge);
        }
        let (blob, bytes) = off_thread(move || (BlobRef::of(alg, &bytes), bytes)).await?;
        if let Some(expected) = expected
            && expected != blob
        {
            return Err(BlobError::Mismatch {
                expected,
                actual: blob,
            });
        }
        let created = self
            .shared
            .store
            .put_blob(&blob, &bytes, self.shared.config.blob_bytes_total_max)
            .await
            .map_err(|error| {
                if error.is_limit(BLOB_TOO_LARGE) {
                    BlobError::TooLarge
                } else if error.is_limit(BLOB_STORE_FULL) {
                    BlobError::StoreFull
                } else {
                    BlobError::Fault(error.into())
                }
            })?;
        Ok(BlobPut { blob, created })
    }

    /// The blob named `alg:hash`, with its bytes, checked against its name.
    pub async fn blob(
        &self,
        alg: BlobAlg,
        hash: &[u8; 32],
    ) -> Result<Option<(BlobRef, Vec<u8>)>, NodeError> {
        let Some((blob, bytes)) = self.shared.store.blob(alg, hash).await? else {
            return Ok(None);
        };
        let (matches, bytes) = off_thread(move || (blob.matches(&bytes), bytes)).await?;
        if !matches {
            return Err(NodeError::Inconsistent(format!(
                "the stored bytes of blob {} do not match its name",
                blob.name()
            )));
        }
        Ok(Some((blob, bytes)))
    }

    /// The reference of the blob named `alg:hash`, without reading its bytes.
    pub async fn blob_meta(
        &self,
        alg: BlobAlg,
        hash: &[u8; 32],
    ) -> Result<Option<BlobRef>, NodeError> {
        Ok(self.shared.store.blob_meta(alg, hash).await?)
    }

    /// The blobs of `blobs` this node does not hold (algorithm, digest and size), each
    /// once, in the order first asked. An event that refers to one of them is refused with
    /// [`crate::IngestError::BlobMissing`] until it is uploaded.
    pub async fn blobs_missing(&self, blobs: &[BlobRef]) -> Result<Vec<BlobRef>, NodeError> {
        let mut missing = Vec::new();
        let mut seen = BTreeSet::new();
        for chunk in blobs.chunks(BLOBS_LOOKUP_MAX) {
            let present = self.shared.store.blobs_present(chunk).await?;
            for (blob, present) in chunk.iter().zip(present) {
                if !present && seen.insert(*blob) {
                    missing.push(*blob);
                }
            }
        }
        Ok(missing)
    }

    /// The bytes all blobs on this node hold together.
    pub async fn blob_bytes_total(&self) -> Result<u64, NodeError> {
        Ok(self.shared.store.blob_bytes_total().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_is_10_gib() {
        assert_eq!(BLOB_BYTES_TOTAL_MAX_DEFAULT, 10_737_418_240);
    }

    #[test]
    fn every_blob_refusal_has_its_stable_code() {
        let blob = BlobRef::of_bytes(b"x");
        let codes = [
            BlobError::TooLarge.code(),
            BlobError::StoreFull.code(),
            BlobError::Mismatch {
                expected: blob,
                actual: blob,
            }
            .code(),
        ];
        assert_eq!(
            codes,
            ["blob_too_large", "blob_store_full", "blob_mismatch"]
        );
    }
}
