//! Conformance cases of [`BlobStore`], run against every backend by
//! [`conformance_tests!`](crate::conformance_tests) next to those of the ledger store.
//!
//! Like the other cases, each takes a fresh, empty store, builds every blob
//! deterministically from small tags, and returns `Err` only for a fault it did not
//! expect.

use crate::{
    BLOB_BYTES_MAX, BLOB_SIZE_MISMATCH, BLOB_STORE_FULL, BLOB_TOO_LARGE, BLOBS_LOOKUP_MAX,
    BlobStore, Result, StoreError,
};
use commons_ledger::blob::{BlobAlg, BlobRef};

/// A cap on blob bytes far above what any case stores.
const NO_CAP: u64 = u64::MAX;

/// Deterministic bytes: `len` bytes that depend on the tag and on their position.
pub fn blob_bytes(tag: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| tag.wrapping_mul(31).wrapping_add((i % 251) as u8))
        .collect()
}

/// A blob of `len` bytes and its reference under `alg`.
pub fn blob(alg: BlobAlg, tag: u8, len: usize) -> (BlobRef, Vec<u8>) {
    let bytes = blob_bytes(tag, len);
    (BlobRef::of(alg, &bytes), bytes)
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T>, code: &str, what: &str) {
    match result {
        Err(error) if error.is_conflict(code) => {}
        other => panic!("{what}: expected conflict {code}, got {other:?}"),
    }
}

fn assert_limit<T: std::fmt::Debug>(result: Result<T>, code: &str, what: &str) {
    match result {
        Err(error) if error.is_limit(code) => {}
        other => panic!("{what}: expected limit {code}, got {other:?}"),
    }
}

async fn assert_absent<S: BlobStore>(store: &S, blob: &BlobRef) -> Result<()> {
    assert_eq!(store.blob_meta(blob.alg, &blob.hash).await?, None);
    assert_eq!(store.blob(blob.alg, &blob.hash).await?, None);
    assert_eq!(store.blobs_present(&[*blob]).await?, vec![false]);
    Ok(())
}

pub async fn blobs_are_stored_and_read_back_with_their_reference<S: BlobStore>(
    store: &S,
) -> Result<()> {
    assert_eq!(store.blob_bytes_total().await?, 0);
    let stored = [
        blob(BlobAlg::Sha256, 1, 1_000),
        blob(BlobAlg::Blake3, 2, 70_000),
        blob(BlobAlg::Sha256, 3, 0),
    ];
    for (reference, bytes) in &stored {
        assert!(store.put_blob(reference, bytes, NO_CAP).await?);
    }
    for (reference, bytes) in &stored {
        assert_eq!(
            store.blob(reference.alg, &reference.hash).await?,
            Some((*reference, bytes.clone()))
        );
        assert_eq!(
            store.blob_meta(reference.alg, &reference.hash).await?,
            Some(*reference)
        );
    }
    assert_eq!(store.blob_bytes_total().await?, 71_000);
    // The same digest under the other algorithm is another blob, and is not stored.
    let (first, _) = &stored[0];
    let other_alg = BlobRef {
        alg: BlobAlg::Blake3,
        ..*first
    };
    assert_absent(store, &other_alg).await?;
    assert_absent(store, &blob(BlobAlg::Sha256, 9, 10).0).await
}

pub async fn putting_the_same_blob_again_is_ok_and_stores_it_once<S: BlobStore>(
    store: &S,
) -> Result<()> {
    let (reference, bytes) = blob(BlobAlg::Sha256, 1, 500);
    assert!(store.put_blob(&reference, &bytes, NO_CAP).await?);
    assert!(!store.put_blob(&reference, &bytes, NO_CAP).await?);
    // Even with no room left: the blob is there already.
    assert!(!store.put_blob(&reference, &bytes, 0).await?);
    assert_eq!(store.blob_bytes_total().await?, 500);
    assert_eq!(
        store.blob(reference.alg, &reference.hash).await?,
        Some((reference, bytes))
    );
    Ok(())
}

pub async fn bytes_whose_length_is_not_the_size_are_refused_and_nothing_is_written<S: BlobStore>(
    store: &S,
) -> Result<()> {
    let (reference, bytes) = blob(BlobAlg::Sha256, 1, 100);
    assert_conflict(
        store.put_blob(&reference, &bytes[..99], NO_CAP).await,
        BLOB_SIZE_MISMATCH,
        "bytes shorter than the size",
    );
    let mut longer = bytes.clone();
    longer.push(0);
    assert_conflict(
        store.put_blob(&reference, &longer, NO_CAP).await,
        BLOB_SIZE_MISMATCH,
        "bytes longer than the size",
    );
    assert_absent(store, &reference).await?;
    assert_eq!(store.blob_bytes_total().await?, 0);
    // A stored digest claimed with another size (and bytes of that size) is refused too.
    assert!(store.put_blob(&reference, &bytes, NO_CAP).await?);
    let claimed = BlobRef {
        size: 99,
        ..reference
    };
    assert_conflict(
        store.put_blob(&claimed, &bytes[..99], NO_CAP).await,
        BLOB_SIZE_MISMATCH,
        "a stored digest with another size",
    );
    assert_eq!(
        store.blob(reference.alg, &reference.hash).await?,
        Some((reference, bytes))
    );
    assert_eq!(store.blob_bytes_total().await?, 100);
    Ok(())
}

pub async fn a_blob_of_blob_bytes_max_is_stored_and_one_byte_more_is_too_large<S: BlobStore>(
    store: &S,
) -> Result<()> {
    // The store does not hash, so a made-up digest is enough to test its limit.
    let largest = usize::try_from(BLOB_BYTES_MAX).map_err(|e| StoreError::Limit(e.to_string()))?;
    let too_large = vec![7u8; largest + 1];
    let reference = BlobRef {
        alg: BlobAlg::Blake3,
        hash: [7; 32],
        size: BLOB_BYTES_MAX + 1,
    };
    assert_limit(
        store.put_blob(&reference, &too_large, NO_CAP).await,
        BLOB_TOO_LARGE,
        "a blob one byte over the limit",
    );
    assert_absent(store, &reference).await?;
    let exactly = BlobRef {
        size: BLOB_BYTES_MAX,
        ..reference
    };
    assert!(
        store
            .put_blob(&exactly, &too_large[..largest], NO_CAP)
            .await?
    );
    assert_eq!(store.blob_bytes_total().await?, BLOB_BYTES_MAX);
    let read = store.blob(exactly.alg, &exactly.hash).await?;
    assert!(read.is_some_and(|(found, bytes)| found == exactly && bytes == too_large[..largest]));
    Ok(())
}

pub async fn a_new_blob_past_the_callers_cap_is_refused_as_the_store_being_full<S: BlobStore>(
    store: &S,
) -> Result<()> {
    let cap = 10;
    let (six, six_bytes) = blob(BlobAlg::Sha256, 1, 6);
    let (five, five_bytes) = blob(BlobAlg::Sha256, 2, 5);
    let (four, four_bytes) = blob(BlobAlg::Blake3, 3, 4);
    let (empty, empty_bytes) = blob(BlobAlg::Sha256, 4, 0);
    assert_limit(
        store.put_blob(&six, &six_bytes, 0).await,
        BLOB_STORE_FULL,
        "a cap of zero",
    );
    assert!(store.put_blob(&six, &six_bytes, cap).await?);
    assert_limit(
        store.put_blob(&five, &five_bytes, cap).await,
        BLOB_STORE_FULL,
        "a blob past the cap",
    );
    assert_absent(store, &five).await?;
    // Exactly up to the cap fits, and so does an empty blob then.
    assert!(store.put_blob(&four, &four_bytes, cap).await?);
    assert!(store.put_blob(&empty, &empty_bytes, cap).await?);
    assert_eq!(store.blob_bytes_total().await?, 10);
    // A larger cap lets more in.
    assert!(store.put_blob(&five, &five_bytes, cap + 5).await?);
    assert_eq!(store.blob_bytes_total().await?, 15);
    Ok(())
}

pub async fn blobs_present_answers_each_reference_in_the_order_asked<S: BlobStore>(
    store: &S,
) -> Result<()> {
    assert_eq!(store.blobs_present(&[]).await?, Vec::<bool>::new());
    let (a, a_bytes) = blob(BlobAlg::Sha256, 1, 10);
    let (b, b_bytes) = blob(BlobAlg::Blake3, 2, 20);
    let (unknown, _) = blob(BlobAlg::Sha256, 3, 30);
    store.put_blob(&a, &a_bytes, NO_CAP).await?;
    store.put_blob(&b, &b_bytes, NO_CAP).await?;
    let wrong_size = BlobRef { size: 11, ..a };
    let wrong_alg = BlobRef {
        alg: BlobAlg::Sha256,
        ..b
    };
    assert_eq!(
        store
            .blobs_present(&[unknown, b, wrong_size, a, wrong_alg, b])
            .await?,
        vec![false, true, false, true, false, true]
    );
    // Exactly the limit is answered; one more is refused.
    let many = vec![a; BLOBS_LOOKUP_MAX];
    assert_eq!(
        store.blobs_present(&many).await?,
        vec![true; BLOBS_LOOKUP_MAX]
    );
    let too_many = vec![a; BLOBS_LOOKUP_MAX + 1];
    assert!(matches!(
        store.blobs_present(&too_many).await,
        Err(StoreError::Limit(_))
    ));
    Ok(())
}

pub async fn concurrent_puts_stay_within_the_cap_and_store_each_blob_once<S: BlobStore>(
    store: &S,
) -> Result<()> {
    let cap = 12;
    let racers: Vec<(BlobRef, Vec<u8>)> =
        (1..=6).map(|tag| blob(BlobAlg::Sha256, tag, 4)).collect();
    let results = tokio::join!(
        store.put_blob(&racers[0].0, &racers[0].1, cap),
        store.put_blob(&racers[1].0, &racers[1].1, cap),
        store.put_blob(&racers[2].0, &racers[2].1, cap),
        store.put_blob(&racers[3].0, &racers[3].1, cap),
        store.put_blob(&racers[4].0, &racers[4].1, cap),
        store.put_blob(&racers[5].0, &racers[5].1, cap),
    );
    let results = [
        results.0, results.1, results.2, results.3, results.4, results.5,
    ];
    let mut stored = 0;
    for result in results {
        match result {
            Ok(true) => stored += 1,
            Err(error) if error.is_limit(BLOB_STORE_FULL) => {}
            other => panic!("a racing put answered {other:?}"),
        }
    }
    assert_eq!(stored, 3);
    assert_eq!(store.blob_bytes_total().await?, 12);
    let refs: Vec<BlobRef> = racers.iter().map(|(reference, _)| *reference).collect();
    let present = store.blobs_present(&refs).await?;
    assert_eq!(present.iter().filter(|p| **p).count(), 3);

    // The same new blob put three times at once is stored once and counted once.
    let (same, same_bytes) = blob(BlobAlg::Blake3, 9, 100);
    let same_results = tokio::join!(
        store.put_blob(&same, &same_bytes, NO_CAP),
        store.put_blob(&same, &same_bytes, NO_CAP),
        store.put_blob(&same, &same_bytes, NO_CAP),
    );
    let newly: Vec<bool> = [same_results.0?, same_results.1?, same_results.2?].to_vec();
    assert_eq!(newly.iter().filter(|n| **n).count(), 1, "{newly:?}");
    assert_eq!(store.blob_bytes_total().await?, 112);
    Ok(())
}
