//! The RFC 6962 Merkle tree of a commons ledger, with RFC 9162 inclusion and consistency proofs.
//!
//! A node keeps every hash of a *complete* subtree in its store, keyed by the "storage
//! index" of Russ Cox's "Transparent Logs for Skeptical Clients": the hash at level `L`
//! with number `n` (covering leaves `n·2^L .. (n+1)·2^L`) is stored at
//! [`stored_hash_index`]`(L, n)`. Appending leaf `i` writes the leaf hash and the hash of
//! every subtree that the leaf completes, so the store never rewrites a hash and a tree of
//! `N` leaves holds [`stored_hash_count`]`(N)`, about `2N`, hashes.
//!
//! Every hash the RFC needs (a root, a proof element) is the Merkle Tree Hash of a range
//! of leaves, and every such range splits into a few complete subtrees. Because the store is
//! asynchronous and this crate performs no IO, each read-dependent operation comes in two
//! halves: `*_indexes` says which stored hashes to read, and the function of the same name
//! computes the answer from the hashes read, given in the same order. The `*_indexes` half
//! never fails; invalid arguments make it return an empty list and the computing half
//! reports the error.
//!
//! [`MemoryTree`] computes the same things straight from the RFC's recursive definitions.
//! It serves tests, importers and offline verification, and it is the reference the
//! stored-hash path is property-tested against.

use crate::hash::Hash;

/// Largest tree size the functions here accept. No ledger comes near it (appending a
/// billion leaves a second would take a century to get there); the bound keeps every
/// storage index below `2^64` without overflow checks in the arithmetic.
pub const TREE_SIZE_MAX: u64 = 1 << 62;

/// Longest inclusion or consistency proof for any tree of at most [`TREE_SIZE_MAX`]
/// leaves: one hash per level, plus one for the extra hash a consistency proof may carry.
pub const PROOF_HASHES_MAX: usize = 64;

/// `SHA-256(0x00 || leaf_data)`.
pub fn leaf_hash(leaf_data: &[u8]) -> Hash {
    Hash::of(&[&[0x00], leaf_data])
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::of(&[&[0x01], &left.0, &right.0])
}

/// The root of the empty tree, `SHA-256("")` (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Hash::of(&[])
}

/// Why a tree hash or proof cannot be computed from the arguments and hashes given.
///
/// These are faults of the caller or of the store (a request for a leaf past the end, a
/// store that returned the wrong number of hashes), never a judgement about someone's data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {old_size} is larger than tree size {new_size}")]
    SizesOutOfOrder { old_size: u64, new_size: u64 },
    #[error("tree size {0} is larger than the largest supported tree size")]
    TreeTooLarge(u64),
    #[error("tree size {size} is larger than the {n_leaves} leaves held")]
    SizeBeyondTree { size: u64, n_leaves: u64 },
    #[error("expected {expected} stored hashes, got {got}")]
    HashCountMismatch { expected: usize, got: usize },
}

impl MerkleError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            MerkleError::IndexOutOfRange { .. } => "index_out_of_range",
            MerkleError::SizesOutOfOrder { .. } => "sizes_out_of_order",
            MerkleError::TreeTooLarge(_) => "tree_too_large",
            MerkleError::SizeBeyondTree { .. } => "size_beyond_tree",
            MerkleError::HashCountMismatch { .. } => "hash_count_mismatch",
        }
    }
}

/// Why a proof does not convince a verifier. A rejection: the proof, the sizes or the
/// roots presented do not fit together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {old_size} is larger than tree size {new_size}")]
    SizesOutOfOrder { old_size: u64, new_size: u64 },
    #[error("proof is malformed: {0}")]
    Malformed(&'static str),
    #[error("proof does not lead to the expected root")]
    RootMismatch,
}

impl ProofError {
    /// The stable, machine-readable code of this rejection.
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::IndexOutOfRange { .. } => "proof_index_out_of_range",
            ProofError::SizesOutOfOrder { .. } => "proof_sizes_out_of_order",
            ProofError::Malformed(_) => "proof_malformed",
            ProofError::RootMismatch => "proof_root_mismatch",
        }
    }
}

/// The storage index of the hash at `level` with number `n`, i.e. of the complete subtree
/// over leaves `n·2^level .. (n+1)·2^level`.
///
/// Hashes are laid out in the order an append-only writer produces them: leaf `i`'s hash,
/// then the hashes of the subtrees it completes, lowest first. The hash `(level, n)` is
/// written just after its rightmost leaf, `(n+1)·2^level − 1`, so its index is that leaf's
/// index plus the `level` parents written before it. Leaf `i` itself is preceded by `i`
/// leaves and by the `i/2 + i/4 + …` parents they completed, which sums to `2i − popcount(i)`.
///
/// The arguments must name a subtree of a tree of at most [`TREE_SIZE_MAX`] leaves; the
/// `*_indexes` functions check their sizes against that bound before calling this.
pub fn stored_hash_index(level: u8, n: u64) -> u64 {
    let rightmost_leaf = ((n + 1) << level) - 1;
    2 * rightmost_leaf - u64::from(rightmost_leaf.count_ones()) + u64::from(level)
}

/// How many hashes a tree of `n_leaves` leaves has stored: the index just past the last
/// leaf's hash and the parents that leaf completed.
pub fn stored_hash_count(n_leaves: u64) -> u64 {
    if n_leaves == 0 {
        return 0;
    }
    let last_leaf = n_leaves - 1;
    // The last leaf completes one parent for each trailing one bit of its index.
    stored_hash_index(0, last_leaf) + 1 + u64::from(last_leaf.trailing_ones())
}

/// The largest power of two strictly below `n`, the split point `k` of RFC 9162 §2.1.1.
/// Callers pass `n >= 2`.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2, "a split needs at least two leaves");
    1 << (63 - (n - 1).leading_zeros())
}

/// A complete subtree: `level` and number, covering leaves `n·2^level .. (n+1)·2^level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Subtree {
    level: u8,
    n: u64,
}

impl Subtree {
    fn storage_index(self) -> u64 {
        stored_hash_index(self.level, self.n)
    }
}

/// The complete subtrees, left to right, whose hashes fold into `MTH(D[start:end])`.
///
/// Every range the RFC hashes starts at a multiple of a power of two at least as large as
/// the range, so the greedy split (largest aligned subtree first) is exactly the RFC's
/// recursive split, and the Merkle Tree Hash is the right fold of the subtree hashes.
fn range_subtrees(start: u64, end: u64) -> Vec<Subtree> {
    let mut subtrees = Vec::new();
    let mut position = start;
    while position < end {
        let remaining = end - position;
        let mut level = 63 - remaining.leading_zeros();
        if position != 0 {
            level = level.min(position.trailing_zeros());
        }
        subtrees.push(Subtree {
            // `level` is at most 63, so it fits in a u8.
            level: level as u8,
            n: position >> level,
        });
        position += 1 << level;
    }
    subtrees
}

/// The Merkle Tree Hash of a range from the hashes of its complete subtrees, left to right.
fn fold_subtree_hashes(hashes: &[Hash]) -> Hash {
    match hashes.split_last() {
        None => empty_root(),
        Some((last, rest)) => rest
            .iter()
            .rev()
            .fold(*last, |right, left| node_hash(left, &right)),
    }
}

/// The ranges `[start, end)` whose hashes form the inclusion proof `PATH(index, D[0:size])`
/// of RFC 9162 §2.1.3.1, in proof order (the leaf's sibling first).
fn inclusion_ranges(index: u64, start: u64, end: u64, ranges: &mut Vec<(u64, u64)>) {
    if end - start <= 1 {
        return;
    }
    let k = split_point(end - start);
    if index < start + k {
        inclusion_ranges(index, start, start + k, ranges);
        ranges.push((start + k, end));
    } else {
        inclusion_ranges(index, start + k, end, ranges);
        ranges.push((start, start + k));
    }
}

/// The ranges whose hashes form `SUBPROOF(m, D[start:end], whole_old_tree)` of RFC 9162
/// §2.1.4.1, where the old tree covers `D[start:start+m]`.
fn consistency_ranges(
    m: u64,
    start: u64,
    end: u64,
    whole_old_tree: bool,
    ranges: &mut Vec<(u64, u64)>,
) {
    if m == end - start {
        if !whole_old_tree {
            ranges.push((start, end));
        }
        return;
    }
    let k = split_point(end - start);
    if m <= k {
        consistency_ranges(m, start, start + k, whole_old_tree, ranges);
        ranges.push((start + k, end));
    } else {
        consistency_ranges(m - k, start + k, end, false, ranges);
        ranges.push((start, start + k));
    }
}

fn check_tree_size(size: u64) -> Result<(), MerkleError> {
    if size > TREE_SIZE_MAX {
        return Err(MerkleError::TreeTooLarge(size));
    }
    Ok(())
}

fn check_inclusion_arguments(index: u64, size: u64) -> Result<(), MerkleError> {
    check_tree_size(size)?;
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    Ok(())
}

fn check_consistency_arguments(old_size: u64, new_size: u64) -> Result<(), MerkleError> {
    check_tree_size(new_size)?;
    if old_size > new_size {
        return Err(MerkleError::SizesOutOfOrder { old_size, new_size });
    }
    Ok(())
}

fn inclusion_proof_ranges(index: u64, size: u64) -> Result<Vec<(u64, u64)>, MerkleError> {
    check_inclusion_arguments(index, size)?;
    let mut ranges = Vec::new();
    inclusion_ranges(index, 0, size, &mut ranges);
    Ok(ranges)
}

/// The consistency proof between equal sizes, or from the empty tree, is empty; the RFC
/// defines proofs only for `0 < m < n`, and these two cases need no hashes to check.
fn consistency_proof_ranges(old_size: u64, new_size: u64) -> Result<Vec<(u64, u64)>, MerkleError> {
    check_consistency_arguments(old_size, new_size)?;
    let mut ranges = Vec::new();
    if old_size != 0 && old_size != new_size {
        consistency_ranges(old_size, 0, new_size, true, &mut ranges);
    }
    Ok(ranges)
}

/// The storage indexes of all subtrees of all ranges, in order.
fn ranges_storage_indexes(ranges: &[(u64, u64)]) -> Vec<u64> {
    ranges
        .iter()
        .flat_map(|&(start, end)| range_subtrees(start, end))
        .map(Subtree::storage_index)
        .collect()
}

/// One hash per range, each folded from that range's stored subtree hashes.
fn hashes_for_ranges(ranges: &[(u64, u64)], stored: &[Hash]) -> Result<Vec<Hash>, MerkleError> {
    let subtree_counts: Vec<usize> = ranges
        .iter()
        .map(|&(start, end)| range_subtrees(start, end).len())
        .collect();
    let expected: usize = subtree_counts.iter().sum();
    if stored.len() != expected {
        return Err(MerkleError::HashCountMismatch {
            expected,
            got: stored.len(),
        });
    }
    let mut remaining = stored;
    let mut hashes = Vec::with_capacity(ranges.len());
    for count in subtree_counts {
        let (these, rest) = remaining.split_at(count);
        hashes.push(fold_subtree_hashes(these));
        remaining = rest;
    }
    Ok(hashes)
}

/// The storage indexes [`tree_hash`] needs for the root of the first `size` leaves.
pub fn tree_hash_indexes(size: u64) -> Vec<u64> {
    if size > TREE_SIZE_MAX {
        return Vec::new();
    }
    ranges_storage_indexes(&[(0, size)])
}

/// The root of the first `size` leaves, from the hashes at [`tree_hash_indexes`]`(size)`.
pub fn tree_hash(size: u64, stored: &[Hash]) -> Result<Hash, MerkleError> {
    check_tree_size(size)?;
    let expected = range_subtrees(0, size).len();
    if stored.len() != expected {
        return Err(MerkleError::HashCountMismatch {
            expected,
            got: stored.len(),
        });
    }
    Ok(fold_subtree_hashes(stored))
}

/// The storage indexes [`inclusion_proof`] needs; empty when `index >= size`.
pub fn inclusion_proof_indexes(index: u64, size: u64) -> Vec<u64> {
    inclusion_proof_ranges(index, size)
        .map(|ranges| ranges_storage_indexes(&ranges))
        .unwrap_or_default()
}

/// The inclusion proof of leaf `index` in the tree of the first `size` leaves
/// (RFC 9162 §2.1.3.1), from the hashes at [`inclusion_proof_indexes`]`(index, size)`.
pub fn inclusion_proof(index: u64, size: u64, stored: &[Hash]) -> Result<Vec<Hash>, MerkleError> {
    let ranges = inclusion_proof_ranges(index, size)?;
    hashes_for_ranges(&ranges, stored)
}

/// The storage indexes [`consistency_proof`] needs; empty when `old_size > new_size`.
pub fn consistency_proof_indexes(old_size: u64, new_size: u64) -> Vec<u64> {
    consistency_proof_ranges(old_size, new_size)
        .map(|ranges| ranges_storage_indexes(&ranges))
        .unwrap_or_default()
}

/// The consistency proof from the tree of `old_size` leaves to the tree of `new_size`
/// leaves (RFC 9162 §2.1.4.1), from the hashes at
/// [`consistency_proof_indexes`]`(old_size, new_size)`. It is empty when the sizes are
/// equal or `old_size` is zero.
pub fn consistency_proof(
    old_size: u64,
    new_size: u64,
    stored: &[Hash],
) -> Result<Vec<Hash>, MerkleError> {
    let ranges = consistency_proof_ranges(old_size, new_size)?;
    hashes_for_ranges(&ranges, stored)
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves with root `root`,
/// exactly as RFC 9162 §2.1.3.2 describes.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    // Step 1.
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // Steps 2 and 3.
    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r = *leaf_hash;
    // Step 4.
    for p in proof {
        if sn == 0 {
            return Err(ProofError::Malformed(
                "proof has more hashes than the tree has levels",
            ));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    if sn != 0 {
        return Err(ProofError::Malformed(
            "proof has fewer hashes than the tree has levels",
        ));
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`, exactly as RFC 9162 §2.1.4.2 describes.
///
/// The RFC defines proofs for `0 < old_size < new_size`. For the two cases outside it the
/// proof must be empty: equal sizes are consistent when the roots are equal, and the empty
/// tree (whose only root is `SHA-256("")`) is a prefix of every tree.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(ProofError::Malformed(
                "proof between these sizes must be empty",
            ));
        }
        let roots_fit = (old_size != 0 || *old_root == empty_root())
            && (old_size != new_size || old_root == new_root);
        if !roots_fit {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    // Step 1.
    let Some((first_hash, rest)) = proof.split_first() else {
        return Err(ProofError::Malformed("proof is empty"));
    };
    // Step 2: when the old tree is a complete subtree its root starts the path.
    let path: Vec<&Hash> = if old_size.is_power_of_two() {
        std::iter::once(old_root).chain(proof).collect()
    } else {
        std::iter::once(first_hash).chain(rest).collect()
    };
    // Step 3.
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    // Step 4.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let mut fr = *path[0];
    let mut sr = *path[0];
    // Step 6.
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::Malformed(
                "proof has more hashes than the tree has levels",
            ));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(ProofError::Malformed(
            "proof has fewer hashes than the tree has levels",
        ));
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The right edge of the tree: the hashes of the complete subtrees whose right fold is the
/// root, largest first. It is all a sequencer needs in memory to append leaves and sign
/// roots; everything else lives in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// One hash per set bit of `size`, from the highest bit to the lowest.
    subtree_hashes: Vec<Hash>,
}

impl Default for Frontier {
    fn default() -> Frontier {
        Frontier::empty()
    }
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn empty() -> Frontier {
        Frontier {
            size: 0,
            subtree_hashes: Vec::new(),
        }
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the tree of [`Frontier::size`] leaves.
    pub fn root(&self) -> Hash {
        fold_subtree_hashes(&self.subtree_hashes)
    }

    /// Appends a leaf and returns the hashes the store must persist, with their storage
    /// indexes: the leaf's own hash first, then the hash of every subtree it completes.
    pub fn append(&mut self, leaf_hash: Hash) -> Vec<(u64, Hash)> {
        // A ledger cannot reach TREE_SIZE_MAX leaves (see its documentation), so the
        // increment below cannot overflow.
        debug_assert!(self.size < TREE_SIZE_MAX, "tree is full");
        let mut level: u8 = 0;
        let mut n = self.size;
        let mut hash = leaf_hash;
        let mut to_store = vec![(stored_hash_index(level, n), hash)];
        // Each trailing one bit of the old size is a subtree of the same height waiting on
        // the left; merging with it completes the parent.
        // The frontier holds one hash per set bit of the size, so it has at least that many.
        let n_merges = self.size.trailing_ones() as usize;
        let first_merged = self.subtree_hashes.len().saturating_sub(n_merges);
        let lefts = self.subtree_hashes.split_off(first_merged);
        for left in lefts.iter().rev() {
            hash = node_hash(left, &hash);
            level += 1;
            n >>= 1;
            to_store.push((stored_hash_index(level, n), hash));
        }
        self.subtree_hashes.push(hash);
        self.size += 1;
        to_store
    }

    /// The storage indexes [`Frontier::from_hashes`] needs to rebuild the frontier of a
    /// tree of `size` leaves.
    pub fn indexes_for(size: u64) -> Vec<u64> {
        tree_hash_indexes(size)
    }

    /// Rebuilds the frontier from the hashes at [`Frontier::indexes_for`]`(size)`.
    pub fn from_hashes(size: u64, stored: &[Hash]) -> Result<Frontier, MerkleError> {
        check_tree_size(size)?;
        let expected = size.count_ones() as usize;
        if stored.len() != expected {
            return Err(MerkleError::HashCountMismatch {
                expected,
                got: stored.len(),
            });
        }
        Ok(Frontier {
            size,
            subtree_hashes: stored.to_vec(),
        })
    }
}

/// A whole tree in memory: every leaf hash, with roots and proofs computed by the recursive
/// definitions of RFC 9162 §2.1 (`MTH`, `PATH`, `PROOF`).
///
/// It is deliberately written straight from the RFC rather than from the stored-hash
/// arithmetic above, so that the two can be checked against each other.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryTree {
    leaf_hashes: Vec<Hash>,
}

/// `MTH(D[n])` of RFC 9162 §2.1.1, over leaf hashes.
fn merkle_tree_hash(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes {
        [] => empty_root(),
        [leaf] => *leaf,
        _ => {
            let k = split_point(leaf_hashes.len() as u64) as usize;
            node_hash(
                &merkle_tree_hash(&leaf_hashes[..k]),
                &merkle_tree_hash(&leaf_hashes[k..]),
            )
        }
    }
}

/// `PATH(m, D[n])` of RFC 9162 §2.1.3.1. Callers pass `m < leaf_hashes.len()`.
fn merkle_audit_path(m: usize, leaf_hashes: &[Hash]) -> Vec<Hash> {
    if leaf_hashes.len() <= 1 {
        return Vec::new();
    }
    let k = split_point(leaf_hashes.len() as u64) as usize;
    if m < k {
        let mut path = merkle_audit_path(m, &leaf_hashes[..k]);
        path.push(merkle_tree_hash(&leaf_hashes[k..]));
        path
    } else {
        let mut path = merkle_audit_path(m - k, &leaf_hashes[k..]);
        path.push(merkle_tree_hash(&leaf_hashes[..k]));
        path
    }
}

/// `SUBPROOF(m, D[n], b)` of RFC 9162 §2.1.4.1. Callers pass `0 < m <= leaf_hashes.len()`.
fn merkle_subproof(m: usize, leaf_hashes: &[Hash], whole_old_tree: bool) -> Vec<Hash> {
    let n = leaf_hashes.len();
    if m == n {
        return if whole_old_tree {
            Vec::new()
        } else {
            vec![merkle_tree_hash(leaf_hashes)]
        };
    }
    let k = split_point(n as u64) as usize;
    if m <= k {
        let mut proof = merkle_subproof(m, &leaf_hashes[..k], whole_old_tree);
        proof.push(merkle_tree_hash(&leaf_hashes[k..]));
        proof
    } else {
        let mut proof = merkle_subproof(m - k, &leaf_hashes[k..], false);
        proof.push(merkle_tree_hash(&leaf_hashes[..k]));
        proof
    }
}

impl MemoryTree {
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    pub fn from_leaf_hashes(leaf_hashes: Vec<Hash>) -> MemoryTree {
        MemoryTree { leaf_hashes }
    }

    pub fn push(&mut self, leaf_hash: Hash) {
        self.leaf_hashes.push(leaf_hash);
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.leaf_hashes.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.leaf_hashes.is_empty()
    }

    pub fn leaf_hashes(&self) -> &[Hash] {
        &self.leaf_hashes
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        merkle_tree_hash(&self.leaf_hashes)
    }

    /// The leaves `0 .. size`, after checking that they exist.
    fn prefix(&self, size: u64) -> Result<&[Hash], MerkleError> {
        if size > self.len() {
            return Err(MerkleError::SizeBeyondTree {
                size,
                n_leaves: self.len(),
            });
        }
        // `size` is at most the length of a vector, so it fits in a usize.
        Ok(&self.leaf_hashes[..size as usize])
    }

    /// The root of the tree of the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, MerkleError> {
        Ok(merkle_tree_hash(self.prefix(size)?))
    }

    /// `MTH(D[start:end])`, the hash of any range of leaves (tiles above level 0 are made of
    /// these).
    pub fn range_hash(&self, start: u64, end: u64) -> Result<Hash, MerkleError> {
        if start > end {
            return Err(MerkleError::SizesOutOfOrder {
                old_size: start,
                new_size: end,
            });
        }
        let leaves = self.prefix(end)?;
        // `start <= end`, which `prefix` checked against the vector's length.
        Ok(merkle_tree_hash(&leaves[start as usize..]))
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, MerkleError> {
        check_inclusion_arguments(index, size)?;
        let leaves = self.prefix(size)?;
        // `index < size`, which fits in a usize as `prefix` showed.
        Ok(merkle_audit_path(index as usize, leaves))
    }

    /// The consistency proof from the first `old_size` leaves to the first `new_size`;
    /// empty when the sizes are equal or `old_size` is zero.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, MerkleError> {
        check_consistency_arguments(old_size, new_size)?;
        let leaves = self.prefix(new_size)?;
        if old_size == 0 || old_size == new_size {
            return Ok(Vec::new());
        }
        // `old_size < new_size`, which fits in a usize as `prefix` showed.
        Ok(merkle_subproof(old_size as usize, leaves, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_indexes_follow_the_append_order() {
        // Leaves 0 and 1, their parent, leaf 2, leaf 3, parents (1,1) and (2,0), leaf 4.
        assert_eq!(stored_hash_index(0, 0), 0);
        assert_eq!(stored_hash_index(0, 1), 1);
        assert_eq!(stored_hash_index(1, 0), 2);
        assert_eq!(stored_hash_index(0, 2), 3);
        assert_eq!(stored_hash_index(0, 3), 4);
        assert_eq!(stored_hash_index(1, 1), 5);
        assert_eq!(stored_hash_index(2, 0), 6);
        assert_eq!(stored_hash_index(0, 4), 7);
        let counts: Vec<u64> = (0..9).map(stored_hash_count).collect();
        assert_eq!(counts, [0, 1, 3, 4, 7, 8, 10, 11, 15]);
    }

    #[test]
    fn appending_writes_each_storage_index_exactly_once_in_order() {
        let mut frontier = Frontier::empty();
        let mut next_index = 0;
        for i in 0u64..1000 {
            for (index, _) in frontier.append(leaf_hash(&i.to_be_bytes())) {
                assert_eq!(index, next_index);
                next_index += 1;
            }
            assert_eq!(stored_hash_count(frontier.size()), next_index);
        }
    }

    #[test]
    fn range_subtrees_split_like_the_rfc() {
        let subtrees = range_subtrees(0, 7);
        assert_eq!(
            subtrees,
            [
                Subtree { level: 2, n: 0 },
                Subtree { level: 1, n: 2 },
                Subtree { level: 0, n: 6 }
            ]
        );
        assert_eq!(range_subtrees(8, 13).len(), 2);
        assert!(range_subtrees(5, 5).is_empty());
    }
}
