//! c2sp.org/tlog-proof receipts: the text layout, round trips, and that tampering with any
//! part (proof, index, checkpoint, leaf) is detected.

// A test that meets an unexpected error should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use commons_ledger::merkle::{MemoryTree, leaf_hash};
use commons_ledger::note::{Checkpoint, origin_for};
use commons_ledger::receipt::{RECEIPT_HEADER, Receipt, ReceiptError};
use commons_ledger::{CommonsId, Hash, SecretKey};

const COMMONS: CommonsId = CommonsId([0x42; 32]);

/// The leaves of the RFC 6962 test tree used by transparency-dev/merkle.
fn rfc_leaf_inputs() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|x| hex::decode(x).unwrap())
    .collect()
}

struct Fixture {
    leaves: Vec<Vec<u8>>,
    sequencer: SecretKey,
    origin: String,
    checkpoint_note: String,
    tree: MemoryTree,
}

fn fixture() -> Fixture {
    let leaves = rfc_leaf_inputs();
    let tree = MemoryTree::from_leaf_hashes(leaves.iter().map(|l| leaf_hash(l)).collect());
    let sequencer = SecretKey::from_seed([7; 32]);
    let origin = origin_for(&COMMONS);
    let checkpoint = Checkpoint {
        origin: origin.clone(),
        size: tree.len(),
        root: tree.root(),
        extensions: vec![],
    };
    let checkpoint_note = checkpoint.sign(&sequencer).unwrap().to_text();
    Fixture {
        leaves,
        sequencer,
        origin,
        checkpoint_note,
        tree,
    }
}

fn receipt_for(fixture: &Fixture, index: u64) -> Receipt {
    Receipt {
        index,
        proof: fixture
            .tree
            .inclusion_proof(index, fixture.tree.len())
            .unwrap(),
        checkpoint_note: fixture.checkpoint_note.clone(),
        extra: None,
    }
}

#[test]
fn a_receipt_is_written_in_the_tlog_proof_layout() {
    let fixture = fixture();
    let mut receipt = receipt_for(&fixture, 5);
    receipt.extra = Some(b"context".to_vec());
    // transparency-dev/merkle's published inclusion proof of leaf 5 in the 8-leaf tree.
    let proof_lines: String = [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]
    .iter()
    .map(|x| format!("{}\n", BASE64.encode(hex::decode(x).unwrap())))
    .collect();
    let expected = format!(
        "c2sp.org/tlog-proof@v1\nextra {}\nindex 5\n{proof_lines}\n{}",
        BASE64.encode(b"context"),
        fixture.checkpoint_note
    );
    assert_eq!(receipt.to_text(), expected);
    assert!(expected.starts_with(RECEIPT_HEADER));
}

#[test]
fn every_receipt_round_trips_and_verifies() {
    let fixture = fixture();
    for index in 0..fixture.tree.len() {
        for extra in [None, Some(Vec::new()), Some(vec![0, 1, 2, 255])] {
            let mut receipt = receipt_for(&fixture, index);
            receipt.extra = extra;
            let parsed = Receipt::parse(&receipt.to_text()).unwrap();
            assert_eq!(parsed, receipt);
            let checkpoint = parsed
                .verify_leaf_data(
                    &fixture.leaves[index as usize],
                    &fixture.origin,
                    &fixture.sequencer.author_key(),
                )
                .unwrap();
            assert_eq!(checkpoint.size, 8);
            assert_eq!(checkpoint.root, fixture.tree.root());
        }
    }
}

#[test]
fn a_receipt_in_a_one_leaf_tree_has_no_proof_lines() {
    let sequencer = SecretKey::from_seed([8; 32]);
    let origin = origin_for(&COMMONS);
    let leaf = leaf_hash(b"genesis");
    let checkpoint = Checkpoint {
        origin: origin.clone(),
        size: 1,
        root: leaf,
        extensions: vec![],
    };
    let receipt = Receipt {
        index: 0,
        proof: vec![],
        checkpoint_note: checkpoint.sign(&sequencer).unwrap().to_text(),
        extra: None,
    };
    let text = receipt.to_text();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n\ncommons/"));
    let parsed = Receipt::parse(&text).unwrap();
    parsed
        .verify_leaf_hash(&leaf, &origin, &sequencer.author_key())
        .unwrap();
}

#[test]
fn tampering_with_any_part_of_a_receipt_is_detected() {
    let fixture = fixture();
    let key = fixture.sequencer.author_key();
    let receipt = receipt_for(&fixture, 3);
    let leaf = &fixture.leaves[3];
    receipt
        .verify_leaf_data(leaf, &fixture.origin, &key)
        .unwrap();

    for position in 0..receipt.proof.len() {
        let mut tampered = receipt.clone();
        tampered.proof[position].0[31] ^= 1;
        let reparsed = Receipt::parse(&tampered.to_text()).unwrap();
        assert_eq!(
            reparsed
                .verify_leaf_data(leaf, &fixture.origin, &key)
                .unwrap_err()
                .code(),
            "proof_root_mismatch"
        );
    }

    for wrong_index in [2, 4, 7, 8, u64::MAX] {
        let mut tampered = receipt.clone();
        tampered.index = wrong_index;
        let reparsed = Receipt::parse(&tampered.to_text()).unwrap();
        assert!(
            reparsed
                .verify_leaf_data(leaf, &fixture.origin, &key)
                .is_err(),
            "index {wrong_index}"
        );
    }

    let mut tampered = receipt.clone();
    tampered.checkpoint_note = tampered.checkpoint_note.replacen("\n8\n", "\n9\n", 1);
    let reparsed = Receipt::parse(&tampered.to_text()).unwrap();
    assert_eq!(
        reparsed
            .verify_leaf_data(leaf, &fixture.origin, &key)
            .unwrap_err()
            .code(),
        "bad_signature"
    );

    assert!(
        receipt
            .verify_leaf_data(&fixture.leaves[4], &fixture.origin, &key)
            .is_err()
    );
    assert_eq!(
        receipt
            .verify_leaf_data(leaf, &origin_for(&CommonsId([1; 32])), &key)
            .unwrap_err()
            .code(),
        "checkpoint_origin_mismatch"
    );
    assert_eq!(
        receipt
            .verify_leaf_data(
                leaf,
                &fixture.origin,
                &SecretKey::from_seed([99; 32]).author_key()
            )
            .unwrap_err()
            .code(),
        "note_not_signed_by_key"
    );
    let mut shortened = receipt.clone();
    shortened.proof.pop();
    assert!(matches!(
        shortened.verify_leaf_data(leaf, &fixture.origin, &key),
        Err(ReceiptError::InclusionProof(_))
    ));
}

#[test]
fn malformed_receipts_are_rejected() {
    let fixture = fixture();
    let good = receipt_for(&fixture, 3).to_text();
    let hash_line = format!("{}\n", BASE64.encode(Hash::of(&[b"x"]).0));
    let too_many_hashes = format!(
        "c2sp.org/tlog-proof@v1\nindex 3\n{}\n{}",
        hash_line.repeat(65),
        fixture.checkpoint_note
    );
    let cases = [
        (
            "wrong header",
            good.replace("tlog-proof@v1", "tlog-proof@v2"),
        ),
        ("leading zero index", good.replace("index 3", "index 03")),
        ("signed index", good.replace("index 3", "index +3")),
        ("index without number", good.replace("index 3", "index ")),
        ("missing index", good.replace("index 3\n", "")),
        (
            "index before extra",
            good.replace("index 3\n", "index 3\nextra AA==\n"),
        ),
        (
            "bad extra",
            good.replace("index 3\n", "extra !!\nindex 3\n"),
        ),
        ("short hash", good.replacen("=\n", "\n", 1)),
        ("carriage returns", good.replace('\n', "\r\n")),
        (
            "no checkpoint",
            good[..good.find("\n\n").unwrap() + 2].to_owned(),
        ),
        (
            "unsigned checkpoint",
            good.replace("\n\n\u{2014}", "\n\nno signature line"),
        ),
        ("too many hashes", too_many_hashes),
    ];
    for (what, text) in cases {
        let result = Receipt::parse(&text);
        assert!(result.is_err(), "{what}: {result:?}");
    }
    let missing_blank_line = good.replacen("\n\n", "\n", 1);
    assert!(matches!(
        Receipt::parse(&missing_blank_line),
        Err(ReceiptError::Malformed(_) | ReceiptError::Checkpoint(_))
    ));
    assert_eq!(
        Receipt::parse(&good.replace("index 3", "index 03"))
            .unwrap_err()
            .code(),
        "receipt_malformed"
    );
}
