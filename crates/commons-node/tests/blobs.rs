//! Blob storage through the node: the algorithm it picks, digest checks, idempotent
//! puts, the node's cap on blob bytes, and which referenced blobs are missing.
#![allow(clippy::unwrap_used)]

use commons_ledger::blob::{BLAKE3_ABOVE_BYTES, BlobAlg, BlobRef};
use commons_node::{BLOB_BYTES_TOTAL_MAX_DEFAULT, BlobError, IngestError, RejectionClass};
use commons_store::{BLOB_BYTES_MAX, BlobStore};
use commons_testkit::TestNode;

fn bytes(tag: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| tag ^ (i % 253) as u8).collect()
}

#[tokio::test]
async fn a_put_blob_is_named_by_the_algorithm_for_its_size_and_reads_back() {
    let t = TestNode::start().await;
    let small = bytes(1, 1_000);
    let put = t.node.put_blob(small.clone()).await.unwrap();
    assert!(put.created);
    assert_eq!(put.blob, BlobRef::of(BlobAlg::Sha256, &small));
    let large = bytes(2, BLAKE3_ABOVE_BYTES as usize + 1);
    let put_large = t.node.put_blob(large.clone()).await.unwrap();
    assert_eq!(put_large.blob.alg, BlobAlg::Blake3);
    assert!(put_large.blob.matches(&large));

    let (found, found_bytes) = t
        .node
        .blob(BlobAlg::Sha256, &put.blob.hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found, found_bytes), (put.blob, small.clone()));
    assert_eq!(
        t.node
            .blob_meta(BlobAlg::Sha256, &put.blob.hash)
            .await
            .unwrap(),
        Some(put.blob)
    );
    // The same digest under the other algorithm names nothing here.
    assert_eq!(
        t.node.blob(BlobAlg::Blake3, &put.blob.hash).await.unwrap(),
        None
    );
    assert_eq!(
        t.node.blob_bytes_total().await.unwrap(),
        put.blob.size + put_large.blob.size
    );

    // Again: the same reference, not stored twice.
    let again = t.node.put_blob(small).await.unwrap();
    assert_eq!((again.blob, again.created), (put.blob, false));
    assert_eq!(
        t.node.blob_bytes_total().await.unwrap(),
        put.blob.size + put_large.blob.size
    );
}

#[tokio::test]
async fn a_put_with_an_expected_reference_stores_only_matching_bytes() {
    let t = TestNode::start().await;
    let content = bytes(3, 300);
    let expected = BlobRef::of(BlobAlg::Blake3, &content);
    let put = t
        .node
        .put_blob_as(BlobAlg::Blake3, Some(expected), content.clone())
        .await
        .unwrap();
    assert_eq!(put.blob, expected);

    let mut tampered = content.clone();
    tampered[0] ^= 1;
    let other = BlobRef::of(BlobAlg::Sha256, &content);
    // Other bytes, or the right bytes under another algorithm, are refused.
    for (alg, bytes) in [
        (BlobAlg::Sha256, tampered.clone()),
        (BlobAlg::Blake3, content.clone()),
    ] {
        let refused = t
            .node
            .put_blob_as(alg, Some(other), bytes)
            .await
            .unwrap_err();
        assert!(matches!(refused, BlobError::Mismatch { .. }), "{refused}");
        assert_eq!(refused.code(), "blob_mismatch");
    }
    let put = t
        .node
        .put_blob_as(BlobAlg::Sha256, Some(other), content)
        .await
        .unwrap();
    assert_eq!(put.blob, other);
    // The tampered bytes were refused and left nothing behind.
    let tampered_ref = BlobRef::of(BlobAlg::Sha256, &tampered);
    assert_eq!(
        t.node
            .blob_meta(BlobAlg::Sha256, &tampered_ref.hash)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_blob_over_the_limit_is_refused_before_it_is_hashed() {
    let t = TestNode::start().await;
    let refused = t
        .node
        .put_blob(vec![0; BLOB_BYTES_MAX as usize + 1])
        .await
        .unwrap_err();
    assert!(matches!(refused, BlobError::TooLarge), "{refused}");
    assert_eq!(refused.code(), "blob_too_large");
    assert_eq!(t.node.blob_bytes_total().await.unwrap(), 0);
}

#[tokio::test]
async fn the_node_refuses_new_blobs_past_its_configured_cap() {
    assert_eq!(BLOB_BYTES_TOTAL_MAX_DEFAULT, 10 * 1024 * 1024 * 1024);
    let t = TestNode::start_with(|config| config.blob_bytes_total_max = 100).await;
    let first = t.node.put_blob(bytes(1, 60)).await.unwrap();
    let refused = t.node.put_blob(bytes(2, 41)).await.unwrap_err();
    assert!(matches!(refused, BlobError::StoreFull), "{refused}");
    assert_eq!(refused.code(), "blob_store_full");
    // What is stored already is still accepted, and what fits still fits.
    assert!(!t.node.put_blob(bytes(1, 60)).await.unwrap().created);
    t.node.put_blob(bytes(3, 40)).await.unwrap();
    assert_eq!(t.node.blob_bytes_total().await.unwrap(), 100);
    assert_eq!(
        t.node.store().blob_bytes_total().await.unwrap(),
        100,
        "{first:?}"
    );
}

#[tokio::test]
async fn blobs_missing_lists_each_unheld_reference_once_in_order() {
    let t = TestNode::start().await;
    let held = t.node.put_blob(bytes(1, 10)).await.unwrap().blob;
    let unheld = BlobRef::of_bytes(&bytes(2, 10));
    let wrong_size = BlobRef { size: 11, ..held };
    assert_eq!(t.node.blobs_missing(&[]).await.unwrap(), vec![]);
    assert_eq!(
        t.node
            .blobs_missing(&[held, unheld, wrong_size, unheld, held])
            .await
            .unwrap(),
        vec![unheld, wrong_size]
    );
    // More references than one store lookup takes are asked in pages.
    let many = vec![unheld; commons_store::BLOBS_LOOKUP_MAX + 1];
    assert_eq!(t.node.blobs_missing(&many).await.unwrap(), vec![unheld]);

    let missing = IngestError::BlobMissing(unheld);
    assert_eq!(missing.code(), "blob_missing");
    assert_eq!(missing.class(), RejectionClass::Rule);
    assert!(missing.to_string().contains(&unheld.name()));
}
