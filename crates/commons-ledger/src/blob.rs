//! Content-addressed blobs: artifact contents kept outside the ledger and named in event
//! bodies by their digest.
//!
//! A blob is named by an algorithm, a 32-byte digest and its size. SHA-256 suits small
//! blobs and is what most tools check; BLAKE3 is several times faster on large ones, so
//! clients pick it above [`BLAKE3_ABOVE_BYTES`]. In an event body a reference is the map
//! `{alg: "sha256" | "blake3", hash: bstr(32), size: uint}`; in URLs and on the command
//! line it is `alg:hex` (`sha256:9f86…`).

use crate::cbor::Value;
use sha2::{Digest, Sha256};

/// Largest blob a node stores and an event may reference.
pub const BLOB_BYTES_MAX: u64 = 16 * 1024 * 1024;

/// Size above which clients hash with BLAKE3 rather than SHA-256.
pub const BLAKE3_ABOVE_BYTES: u64 = 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlobAlg {
    Sha256,
    Blake3,
}

impl BlobAlg {
    pub fn as_str(&self) -> &'static str {
        match self {
            BlobAlg::Sha256 => "sha256",
            BlobAlg::Blake3 => "blake3",
        }
    }

    pub fn parse(text: &str) -> Option<BlobAlg> {
        match text {
            "sha256" => Some(BlobAlg::Sha256),
            "blake3" => Some(BlobAlg::Blake3),
            _ => None,
        }
    }

    /// The algorithm a client uses for a blob of `size` bytes.
    pub fn for_size(size: u64) -> BlobAlg {
        if size > BLAKE3_ABOVE_BYTES {
            BlobAlg::Blake3
        } else {
            BlobAlg::Sha256
        }
    }

    pub fn digest(&self, bytes: &[u8]) -> [u8; 32] {
        match self {
            BlobAlg::Sha256 => Sha256::digest(bytes).into(),
            BlobAlg::Blake3 => *blake3::hash(bytes).as_bytes(),
        }
    }
}

/// The name of one blob: algorithm, digest and size in bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobRef {
    pub alg: BlobAlg,
    pub hash: [u8; 32],
    pub size: u64,
}

/// Why a blob reference could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlobRefError {
    #[error("a blob reference is `sha256:<64 hex>` or `blake3:<64 hex>`")]
    Malformed,
    #[error("a blob reference in a body is a map {{alg, hash, size}} with nothing else")]
    BadValue,
}

impl BlobRef {
    /// The reference of `bytes` under `alg`.
    pub fn of(alg: BlobAlg, bytes: &[u8]) -> BlobRef {
        BlobRef {
            alg,
            hash: alg.digest(bytes),
            size: bytes.len() as u64,
        }
    }

    /// The reference of `bytes` under the algorithm a client picks for its size.
    pub fn of_bytes(bytes: &[u8]) -> BlobRef {
        BlobRef::of(BlobAlg::for_size(bytes.len() as u64), bytes)
    }

    /// Whether `bytes` are exactly this blob.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 == self.size && self.alg.digest(bytes) == self.hash
    }

    /// `alg:hex`, the form used in URLs; it leaves out the size.
    pub fn name(&self) -> String {
        format!("{}:{}", self.alg.as_str(), hex::encode(self.hash))
    }

    /// Reads `alg:hex`; the size is not part of the name and must come from elsewhere.
    pub fn parse_name(text: &str) -> Result<(BlobAlg, [u8; 32]), BlobRefError> {
        let (alg, digest) = text.split_once(':').ok_or(BlobRefError::Malformed)?;
        let alg = BlobAlg::parse(alg).ok_or(BlobRefError::Malformed)?;
        let mut hash = [0u8; 32];
        hex::decode_to_slice(digest, &mut hash).map_err(|_| BlobRefError::Malformed)?;
        Ok((alg, hash))
    }

    pub fn to_value(&self) -> Value {
        Value::text_map([
            ("alg", Value::text(self.alg.as_str())),
            ("hash", Value::bytes(self.hash.to_vec())),
            ("size", Value::Unsigned(self.size)),
        ])
    }

    pub fn from_value(value: &Value) -> Result<BlobRef, BlobRefError> {
        let Value::Map(entries) = value else {
            return Err(BlobRefError::BadValue);
        };
        if entries.len() != 3 {
            return Err(BlobRefError::BadValue);
        }
        let field = |name: &str| {
            entries
                .iter()
                .find(|(k, _)| k.as_text() == Some(name))
                .map(|(_, v)| v)
        };
        let alg = field("alg")
            .and_then(Value::as_text)
            .and_then(BlobAlg::parse)
            .ok_or(BlobRefError::BadValue)?;
        let hash = field("hash")
            .and_then(Value::as_bytes)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or(BlobRefError::BadValue)?;
        let size = field("size")
            .and_then(Value::as_u64)
            .ok_or(BlobRefError::BadValue)?;
        Ok(BlobRef { alg, hash, size })
    }
}

impl std::fmt::Debug for BlobRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bytes)", self.name(), self.size)
    }
}

impl std::fmt::Display for BlobRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_fips_180_vector() {
        let blob = BlobRef::of(BlobAlg::Sha256, b"abc");
        assert_eq!(
            blob.name(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(blob.size, 3);
    }

    #[test]
    fn blake3_of_empty_input_is_the_published_vector() {
        let blob = BlobRef::of(BlobAlg::Blake3, b"");
        assert_eq!(
            blob.name(),
            "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }

    #[test]
    fn large_blobs_use_blake3() {
        assert_eq!(BlobAlg::for_size(BLAKE3_ABOVE_BYTES), BlobAlg::Sha256);
        assert_eq!(BlobAlg::for_size(BLAKE3_ABOVE_BYTES + 1), BlobAlg::Blake3);
    }

    #[test]
    fn names_and_values_round_trip() {
        let blob = BlobRef::of_bytes(b"hello");
        assert!(blob.matches(b"hello"));
        assert!(!blob.matches(b"hellO"));
        assert_eq!(BlobRef::parse_name(&blob.name()), Ok((blob.alg, blob.hash)));
        assert_eq!(BlobRef::from_value(&blob.to_value()), Ok(blob));
        assert_eq!(BlobRef::parse_name("md5:00"), Err(BlobRefError::Malformed));
        let mut extra = blob.to_value();
        if let Value::Map(entries) = &mut extra {
            entries.push((Value::text("x"), Value::Null));
        }
        assert_eq!(BlobRef::from_value(&extra), Err(BlobRefError::BadValue));
    }
}
