//! The Merkle tree against the published RFC 6962 test vectors of transparency-dev/merkle
//! (`testonly/constants.go`, `testonly/reference_test.go`, `proof/verify_test.go`), and the
//! laws that tie the stored-hash path, the in-memory reference and the verifiers together.

// A test that meets an unexpected error should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use commons_ledger::Hash;
use commons_ledger::merkle::{
    self, Frontier, MemoryTree, MerkleError, ProofError, consistency_proof,
    consistency_proof_indexes, empty_root, inclusion_proof, inclusion_proof_indexes, leaf_hash,
    stored_hash_index, tree_hash, tree_hash_indexes, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::collections::BTreeMap;

/// The eight leaf inputs of the RFC 6962 test tree, in hex.
const LEAF_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Roots of the trees of the first 0 to 8 leaves.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// Every complete subtree hash of the 8-leaf tree, by level then number.
const NODE_HASHES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

/// The compact range (frontier) of each tree size, as `(level, number)` of `NODE_HASHES`.
const FRONTIERS: [&[(usize, usize)]; 9] = [
    &[],
    &[(0, 0)],
    &[(1, 0)],
    &[(1, 0), (0, 2)],
    &[(2, 0)],
    &[(2, 0), (0, 4)],
    &[(2, 0), (1, 2)],
    &[(2, 0), (1, 2), (0, 6)],
    &[(3, 0)],
];

/// Inclusion proofs: zero-based leaf index, tree size, proof.
const INCLUSION_PROOFS: &[(u64, u64, &[&str])] = &[
    (0, 1, &[]),
    (
        0,
        2,
        &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
    ),
    (
        1,
        2,
        &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

/// Consistency proofs: old size, new size, proof.
const CONSISTENCY_PROOFS: &[(u64, u64, &[&str])] = &[
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

/// A hash that belongs to no tree above (from the same Go tests).
const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

fn h(hex: &str) -> Hash {
    Hash::from_hex(hex).unwrap()
}

fn hashes(hexes: &[&str]) -> Vec<Hash> {
    hexes.iter().map(|x| h(x)).collect()
}

/// A node's store in miniature: the frontier plus every hash it asked to persist.
#[derive(Default)]
struct StoredTree {
    frontier: Frontier,
    store: BTreeMap<u64, Hash>,
}

impl StoredTree {
    fn with_leaf_hashes(leaf_hashes: &[Hash]) -> StoredTree {
        let mut tree = StoredTree::default();
        for leaf in leaf_hashes {
            for (index, hash) in tree.frontier.append(*leaf) {
                assert!(
                    tree.store.insert(index, hash).is_none(),
                    "index {index} written twice"
                );
            }
        }
        tree
    }

    fn read(&self, indexes: &[u64]) -> Vec<Hash> {
        indexes.iter().map(|i| self.store[i]).collect()
    }

    fn root_at(&self, size: u64) -> Hash {
        tree_hash(size, &self.read(&tree_hash_indexes(size))).unwrap()
    }

    fn inclusion_proof(&self, index: u64, size: u64) -> Vec<Hash> {
        inclusion_proof(
            index,
            size,
            &self.read(&inclusion_proof_indexes(index, size)),
        )
        .unwrap()
    }

    fn consistency_proof(&self, old_size: u64, new_size: u64) -> Vec<Hash> {
        let indexes = consistency_proof_indexes(old_size, new_size);
        consistency_proof(old_size, new_size, &self.read(&indexes)).unwrap()
    }
}

fn rfc_leaf_hashes() -> Vec<Hash> {
    LEAF_INPUTS
        .iter()
        .map(|x| leaf_hash(&hex::decode(x).unwrap()))
        .collect()
}

fn rfc_root(size: u64) -> Hash {
    h(ROOTS[size as usize])
}

#[test]
fn the_rfc_6962_test_tree_has_the_published_roots_for_every_size() {
    let leaves = rfc_leaf_hashes();
    assert_eq!(empty_root(), rfc_root(0));
    let mut frontier = Frontier::empty();
    assert_eq!(frontier.root(), rfc_root(0));
    for size in 0..=8u64 {
        let prefix = &leaves[..size as usize];
        let memory = MemoryTree::from_leaf_hashes(prefix.to_vec());
        let stored = StoredTree::with_leaf_hashes(prefix);
        assert_eq!(memory.root(), rfc_root(size), "memory tree, size {size}");
        assert_eq!(
            stored.frontier.root(),
            rfc_root(size),
            "frontier, size {size}"
        );
        assert_eq!(
            stored.root_at(size),
            rfc_root(size),
            "stored hashes, size {size}"
        );
        if size > 0 {
            frontier.append(leaves[size as usize - 1]);
        }
        assert_eq!(frontier.root(), rfc_root(size));
    }
    let full = StoredTree::with_leaf_hashes(&leaves);
    let memory = MemoryTree::from_leaf_hashes(leaves.clone());
    for size in 0..=8u64 {
        assert_eq!(
            full.root_at(size),
            rfc_root(size),
            "older root from the full store"
        );
        assert_eq!(memory.root_at(size).unwrap(), rfc_root(size));
    }
}

#[test]
fn appending_stores_every_complete_subtree_hash_at_its_storage_index() {
    let stored = StoredTree::with_leaf_hashes(&rfc_leaf_hashes());
    let n_node_hashes: usize = NODE_HASHES.iter().map(|level| level.len()).sum();
    assert_eq!(stored.store.len(), n_node_hashes);
    assert_eq!(merkle::stored_hash_count(8), n_node_hashes as u64);
    for (level, level_hashes) in NODE_HASHES.iter().enumerate() {
        for (n, expected) in level_hashes.iter().enumerate() {
            let index = stored_hash_index(level as u8, n as u64);
            assert_eq!(stored.store[&index], h(expected), "level {level} hash {n}");
        }
    }
}

#[test]
fn a_frontier_reloaded_from_the_store_is_the_published_compact_range() {
    let leaves = rfc_leaf_hashes();
    let stored = StoredTree::with_leaf_hashes(&leaves);
    for (size, compact_range) in FRONTIERS.iter().enumerate() {
        let size = size as u64;
        let expected: Vec<Hash> = compact_range
            .iter()
            .map(|&(level, n)| h(NODE_HASHES[level][n]))
            .collect();
        let read = stored.read(&Frontier::indexes_for(size));
        assert_eq!(read, expected, "size {size}");
        let mut reloaded = Frontier::from_hashes(size, &read).unwrap();
        assert_eq!(reloaded.size(), size);
        assert_eq!(reloaded.root(), rfc_root(size));
        // A reloaded frontier carries on exactly like one that never stopped.
        if size < 8 {
            reloaded.append(leaves[size as usize]);
            assert_eq!(reloaded.root(), rfc_root(size + 1));
        }
    }
    assert_eq!(
        Frontier::from_hashes(3, &[h(ROOTS[2])]),
        Err(MerkleError::HashCountMismatch {
            expected: 2,
            got: 1
        })
    );
}

/// The ways `proof/verify_test.go` corrupts a good inclusion proof; each must fail.
fn corrupted_inclusion_probes(
    index: u64,
    size: u64,
    proof: &[Hash],
    root: Hash,
    leaf: Hash,
) -> Vec<(String, u64, u64, Vec<Hash>, Hash, Hash)> {
    let some = h(SOME_HASH);
    let mut probes = vec![
        (
            "index - 1".to_owned(),
            index.wrapping_sub(1),
            size,
            proof.to_vec(),
            root,
            leaf,
        ),
        (
            "index + 1".to_owned(),
            index + 1,
            size,
            proof.to_vec(),
            root,
            leaf,
        ),
        (
            "index ^ 2".to_owned(),
            index ^ 2,
            size,
            proof.to_vec(),
            root,
            leaf,
        ),
        (
            "size * 2".to_owned(),
            index,
            size * 2,
            proof.to_vec(),
            root,
            leaf,
        ),
        (
            "size / 2".to_owned(),
            index,
            size / 2,
            proof.to_vec(),
            root,
            leaf,
        ),
        (
            "wrong leaf".to_owned(),
            index,
            size,
            proof.to_vec(),
            root,
            some,
        ),
        (
            "empty root".to_owned(),
            index,
            size,
            proof.to_vec(),
            empty_root(),
            leaf,
        ),
        (
            "random root".to_owned(),
            index,
            size,
            proof.to_vec(),
            some,
            leaf,
        ),
        (
            "trailing root".to_owned(),
            index,
            size,
            [proof, &[root]].concat(),
            root,
            leaf,
        ),
        (
            "preceding root".to_owned(),
            index,
            size,
            [&[root], proof].concat(),
            root,
            leaf,
        ),
    ];
    for i in 0..proof.len() {
        let mut wrong = proof.to_vec();
        wrong[i].0[0] ^= 8;
        probes.push((
            format!("proof[{i}] bit 3 flipped"),
            index,
            size,
            wrong,
            root,
            leaf,
        ));
    }
    if let Some((_, shorter)) = proof.split_last() {
        probes.push((
            "removed component".to_owned(),
            index,
            size,
            shorter.to_vec(),
            root,
            leaf,
        ));
    }
    if proof.len() > 1 {
        let inserted = [&[proof[0], some], &proof[1..]].concat();
        probes.push((
            "inserted component".to_owned(),
            index,
            size,
            inserted,
            root,
            leaf,
        ));
    }
    probes
}

#[test]
fn published_inclusion_proofs_are_produced_by_both_paths_and_verify() {
    let leaves = rfc_leaf_hashes();
    let memory = MemoryTree::from_leaf_hashes(leaves.clone());
    let stored = StoredTree::with_leaf_hashes(&leaves);
    for &(index, size, proof_hex) in INCLUSION_PROOFS {
        let expected = hashes(proof_hex);
        assert_eq!(
            memory.inclusion_proof(index, size).unwrap(),
            expected,
            "memory {index}/{size}"
        );
        assert_eq!(
            stored.inclusion_proof(index, size),
            expected,
            "stored {index}/{size}"
        );
        let leaf = leaves[index as usize];
        let root = rfc_root(size);
        verify_inclusion(&leaf, index, size, &expected, &root).unwrap();
        for (probe, index, size, proof, root, leaf) in
            corrupted_inclusion_probes(index, size, &expected, root, leaf)
        {
            assert!(
                verify_inclusion(&leaf, index, size, &proof, &root).is_err(),
                "{probe} verified for leaf {index} of {size}"
            );
        }
    }
}

#[test]
fn inclusion_in_an_empty_tree_or_past_the_end_never_verifies() {
    let some = h(SOME_HASH);
    for (index, size) in [(0, 0), (1, 0), (2, 1), (1, 1)] {
        assert_eq!(
            verify_inclusion(&some, index, size, &[], &empty_root()),
            Err(ProofError::IndexOutOfRange { index, size })
        );
    }
    // In a one-leaf tree the root is the leaf hash and the proof is empty.
    let leaf = leaf_hash(b"data");
    verify_inclusion(&leaf, 0, 1, &[], &leaf).unwrap();
    assert_eq!(
        verify_inclusion(&leaf, 0, 1, &[], &some),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_inclusion(&some, 0, 1, &[], &leaf),
        Err(ProofError::RootMismatch)
    );
    let memory = MemoryTree::from_leaf_hashes(vec![leaf]);
    assert_eq!(
        memory.inclusion_proof(1, 1),
        Err(MerkleError::IndexOutOfRange { index: 1, size: 1 })
    );
    assert_eq!(
        memory.inclusion_proof(0, 2),
        Err(MerkleError::SizeBeyondTree {
            size: 2,
            n_leaves: 1
        })
    );
    assert!(inclusion_proof_indexes(1, 1).is_empty());
    assert_eq!(
        inclusion_proof(1, 1, &[]),
        Err(MerkleError::IndexOutOfRange { index: 1, size: 1 })
    );
}

/// The ways `proof/verify_test.go` corrupts a good consistency proof; each must fail.
fn corrupted_consistency_probes(
    old_size: u64,
    new_size: u64,
    old_root: Hash,
    new_root: Hash,
    proof: &[Hash],
) -> Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> {
    let wrong_root = h(SOME_HASH);
    let (m, n, r1, r2) = (old_size, new_size, old_root, new_root);
    let mut probes = vec![
        ("old size - 1".to_owned(), m - 1, n, r1, r2, proof.to_vec()),
        ("old size + 1".to_owned(), m + 1, n, r1, r2, proof.to_vec()),
        ("old size ^ 2".to_owned(), m ^ 2, n, r1, r2, proof.to_vec()),
        ("new size * 2".to_owned(), m, n * 2, r1, r2, proof.to_vec()),
        ("new size / 2".to_owned(), m, n / 2, r1, r2, proof.to_vec()),
        (
            "wrong old root".to_owned(),
            m,
            n,
            wrong_root,
            r2,
            proof.to_vec(),
        ),
        (
            "wrong new root".to_owned(),
            m,
            n,
            r1,
            wrong_root,
            proof.to_vec(),
        ),
        ("swapped roots".to_owned(), m, n, r2, r1, proof.to_vec()),
        ("empty proof".to_owned(), m, n, r1, r2, Vec::new()),
        (
            "trailing old root".to_owned(),
            m,
            n,
            r1,
            r2,
            [proof, &[r1]].concat(),
        ),
        (
            "trailing new root".to_owned(),
            m,
            n,
            r1,
            r2,
            [proof, &[r2]].concat(),
        ),
        (
            "preceding old root".to_owned(),
            m,
            n,
            r1,
            r2,
            [&[r1], proof].concat(),
        ),
        (
            "preceding new root".to_owned(),
            m,
            n,
            r1,
            r2,
            [&[r2], proof].concat(),
        ),
        (
            "preceding proof[0]".to_owned(),
            m,
            n,
            r1,
            r2,
            [&[proof[0]], proof].concat(),
        ),
        (
            "truncated proof".to_owned(),
            m,
            n,
            r1,
            r2,
            proof[..proof.len() - 1].to_vec(),
        ),
    ];
    for i in 0..proof.len() {
        let mut wrong = proof.to_vec();
        wrong[i].0[0] ^= 16;
        probes.push((format!("proof[{i}] bit 4 flipped"), m, n, r1, r2, wrong));
    }
    probes
}

#[test]
fn published_consistency_proofs_are_produced_by_both_paths_and_verify() {
    let leaves = rfc_leaf_hashes();
    let memory = MemoryTree::from_leaf_hashes(leaves.clone());
    let stored = StoredTree::with_leaf_hashes(&leaves);
    for &(old_size, new_size, proof_hex) in CONSISTENCY_PROOFS {
        let expected = hashes(proof_hex);
        assert_eq!(
            memory.consistency_proof(old_size, new_size).unwrap(),
            expected
        );
        assert_eq!(stored.consistency_proof(old_size, new_size), expected);
        let (old_root, new_root) = (rfc_root(old_size), rfc_root(new_size));
        verify_consistency(old_size, new_size, &old_root, &new_root, &expected).unwrap();
        if expected.is_empty() {
            continue;
        }
        for (probe, m, n, r1, r2, proof) in
            corrupted_consistency_probes(old_size, new_size, old_root, new_root, &expected)
        {
            assert!(
                verify_consistency(m, n, &r1, &r2, &proof).is_err(),
                "{probe} verified for {old_size} -> {new_size}"
            );
        }
    }
}

#[test]
fn trivial_consistency_needs_an_empty_proof_and_fitting_roots() {
    let (root_a, root_b) = (h(ROOTS[1]), h(ROOTS[2]));
    let empty = empty_root();
    // Equal sizes are consistent exactly when the roots are equal.
    verify_consistency(0, 0, &empty, &empty, &[]).unwrap();
    verify_consistency(1, 1, &root_a, &root_a, &[]).unwrap();
    assert_eq!(
        verify_consistency(1, 1, &root_a, &root_b, &[]),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_consistency(0, 0, &empty, &root_b, &[]),
        Err(ProofError::RootMismatch)
    );
    // The empty tree is a prefix of every tree, but only under its own root.
    verify_consistency(0, 1, &empty, &root_a, &[]).unwrap();
    assert_eq!(
        verify_consistency(0, 1, &root_a, &root_b, &[]),
        Err(ProofError::RootMismatch)
    );
    // Trees do not shrink.
    for (m, n) in [(1, 0), (2, 1)] {
        assert_eq!(
            verify_consistency(m, n, &root_a, &root_b, &[]),
            Err(ProofError::SizesOutOfOrder {
                old_size: m,
                new_size: n
            })
        );
    }
    // A real step needs a proof.
    assert!(verify_consistency(1, 2, &root_a, &root_b, &[]).is_err());
    // Trivial cases with a non-empty proof are refused.
    for (m, n) in [(0, 0), (0, 1), (1, 1)] {
        let (r1, r2) = if m == 0 {
            (empty, empty)
        } else {
            (root_a, root_a)
        };
        assert!(
            verify_consistency(m, n, &r1, &r2, &[empty]).is_err(),
            "{m} -> {n}"
        );
    }
    assert!(consistency_proof_indexes(3, 2).is_empty());
    assert_eq!(
        consistency_proof(3, 2, &[]),
        Err(MerkleError::SizesOutOfOrder {
            old_size: 3,
            new_size: 2
        })
    );
}

#[test]
fn computing_from_the_wrong_number_of_stored_hashes_is_an_error() {
    let stored = StoredTree::with_leaf_hashes(&rfc_leaf_hashes());
    let read = stored.read(&inclusion_proof_indexes(2, 7));
    assert_eq!(
        inclusion_proof(2, 7, &read[1..]),
        Err(MerkleError::HashCountMismatch {
            expected: read.len(),
            got: read.len() - 1
        })
    );
    assert!(tree_hash(7, &[]).is_err());
    assert_eq!(tree_hash(0, &[]), Ok(empty_root()));
    assert_eq!(
        tree_hash(merkle::TREE_SIZE_MAX + 1, &[]),
        Err(MerkleError::TreeTooLarge(merkle::TREE_SIZE_MAX + 1))
    );
}

/// Leaf hashes for generated trees: distinct per index and per seed.
fn generated_leaf_hashes(n_leaves: u64, seed: u64) -> Vec<Hash> {
    (0..n_leaves)
        .map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat()))
        .collect()
}

#[test]
fn for_every_size_up_to_70_all_proofs_agree_with_the_reference_and_verify() {
    let leaves = generated_leaf_hashes(70, 0);
    let memory = MemoryTree::from_leaf_hashes(leaves.clone());
    let stored = StoredTree::with_leaf_hashes(&leaves);
    for new_size in 0..=70u64 {
        let new_root = memory.root_at(new_size).unwrap();
        assert_eq!(stored.root_at(new_size), new_root);
        for index in 0..new_size {
            let proof = stored.inclusion_proof(index, new_size);
            assert_eq!(proof, memory.inclusion_proof(index, new_size).unwrap());
            verify_inclusion(&leaves[index as usize], index, new_size, &proof, &new_root).unwrap();
        }
        for old_size in 0..=new_size {
            let proof = stored.consistency_proof(old_size, new_size);
            assert_eq!(proof, memory.consistency_proof(old_size, new_size).unwrap());
            let old_root = memory.root_at(old_size).unwrap();
            verify_consistency(old_size, new_size, &old_root, &new_root, &proof).unwrap();
        }
    }
}

/// A fixed seed so any failure replays; no regression files, so tests stay hermetic.
fn seeded_config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x6c65_6467_6572),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A tree size up to 300 with a leaf index below it and two sizes `old <= new <= size`.
fn tree_and_positions() -> impl Strategy<Value = (u64, u64, u64, u64, u64)> {
    (1u64..=300, any::<u64>()).prop_flat_map(|(size, seed)| {
        (Just(size), Just(seed), 1..=size).prop_flat_map(|(size, seed, new_size)| {
            (
                Just(size),
                Just(seed),
                0..new_size,
                0..=new_size,
                Just(new_size),
            )
        })
    })
}

proptest! {
    #![proptest_config(seeded_config(256))]

    /// The stored-hash path computes the same roots and proofs as the RFC's recursive
    /// definitions, for trees read back at any earlier size.
    #[test]
    fn the_stored_hash_path_equals_the_reference_tree(
        (size, seed, index, old_size, new_size) in tree_and_positions()
    ) {
        let leaves = generated_leaf_hashes(size, seed);
        let memory = MemoryTree::from_leaf_hashes(leaves.clone());
        let stored = StoredTree::with_leaf_hashes(&leaves);
        prop_assert_eq!(stored.frontier.root(), memory.root());
        prop_assert_eq!(stored.store.len() as u64, merkle::stored_hash_count(size));
        prop_assert_eq!(stored.root_at(new_size), memory.root_at(new_size).unwrap());
        prop_assert_eq!(stored.root_at(old_size), memory.root_at(old_size).unwrap());
        prop_assert_eq!(
            stored.inclusion_proof(index, new_size),
            memory.inclusion_proof(index, new_size).unwrap()
        );
        prop_assert_eq!(
            stored.consistency_proof(old_size, new_size),
            memory.consistency_proof(old_size, new_size).unwrap()
        );
        let reloaded = Frontier::from_hashes(new_size, &stored.read(&Frontier::indexes_for(new_size))).unwrap();
        prop_assert_eq!(reloaded.root(), memory.root_at(new_size).unwrap());
    }

    /// Every proof verifies, and flipping any one bit of any one hash makes it fail.
    #[test]
    fn every_proof_verifies_and_any_flipped_hash_is_detected(
        (size, seed, index, old_size, new_size) in tree_and_positions(),
        bit in 0usize..256,
    ) {
        let leaves = generated_leaf_hashes(size, seed);
        let memory = MemoryTree::from_leaf_hashes(leaves.clone());
        let new_root = memory.root_at(new_size).unwrap();
        let old_root = memory.root_at(old_size).unwrap();
        let leaf = leaves[index as usize];

        let inclusion = memory.inclusion_proof(index, new_size).unwrap();
        prop_assert_eq!(verify_inclusion(&leaf, index, new_size, &inclusion, &new_root), Ok(()));
        for position in 0..inclusion.len() {
            let mut tampered = inclusion.clone();
            tampered[position].0[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_inclusion(&leaf, index, new_size, &tampered, &new_root).is_err());
        }

        let consistency = memory.consistency_proof(old_size, new_size).unwrap();
        prop_assert_eq!(
            verify_consistency(old_size, new_size, &old_root, &new_root, &consistency),
            Ok(())
        );
        for position in 0..consistency.len() {
            let mut tampered = consistency.clone();
            tampered[position].0[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(
                verify_consistency(old_size, new_size, &old_root, &new_root, &tampered).is_err()
            );
        }
    }
}
