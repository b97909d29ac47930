//! The RFC 6962 Merkle tree of a commons ledger, with RFC 9162 inclusion and consistency proofs.

use crate::hash::Hash;

/// `SHA-256(0x00 || leaf_data)`.
pub fn leaf_hash(leaf_data: &[u8]) -> Hash {
    Hash::of(&[&[0x00], leaf_data])
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::of(&[&[0x01], &left.0, &right.0])
}
