//! Offline receipts for one event, in the c2sp.org/tlog-proof format (spec §8).
//!
//! A receipt bundles a leaf index, its inclusion proof and a signed checkpoint, so anyone
//! holding the event and the sequencer's key can check, without asking the node, that the
//! event sits at that place in the ledger the sequencer signed. The format is the one the
//! transparency-log ecosystem uses for "spicy signatures", so its tools read ours.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64, optional>
//! index <leaf index>
//! <base64 proof hash, one per line, the leaf's sibling first>
//!
//! <checkpoint note, verbatim, with its signature lines>
//! ```

use crate::hash::Hash;
use crate::keys::AuthorKey;
use crate::merkle::{self, PROOF_HASHES_MAX, ProofError};
use crate::note::{self, Checkpoint, Note, NoteError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The first line of every receipt.
pub const RECEIPT_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// Longest opaque extra data a receipt may carry, in bytes. The data is unauthenticated
/// context, so it has no reason to be large.
pub const RECEIPT_EXTRA_LEN_MAX: usize = 65_536;
/// Longest receipt, in bytes: the largest extra data and proof plus the largest note.
pub const RECEIPT_LEN_MAX: usize = note::NOTE_LEN_MAX + 2 * RECEIPT_EXTRA_LEN_MAX;

/// Why a receipt is refused. Each variant has a stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("receipt is longer than {RECEIPT_LEN_MAX} bytes")]
    TooLong,
    #[error("malformed receipt: {0}")]
    Malformed(&'static str),
    #[error("receipt checkpoint: {0}")]
    Checkpoint(NoteError),
    #[error("receipt inclusion proof: {0}")]
    InclusionProof(ProofError),
}

impl ReceiptError {
    /// The stable, machine-readable code of this rejection; problems with the embedded
    /// checkpoint or proof keep the code of the underlying rejection.
    pub fn code(&self) -> &'static str {
        match self {
            ReceiptError::TooLong => "receipt_too_long",
            ReceiptError::Malformed(_) => "receipt_malformed",
            ReceiptError::Checkpoint(e) => e.code(),
            ReceiptError::InclusionProof(e) => e.code(),
        }
    }
}

/// A c2sp.org/tlog-proof receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The leaf's index in the ledger.
    pub index: u64,
    /// The inclusion proof of the leaf in the checkpoint's tree, the leaf's sibling first.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, verbatim, with all its signature lines.
    pub checkpoint_note: String,
    /// Opaque, unauthenticated extra data; never trust it without checking it otherwise.
    pub extra: Option<Vec<u8>>,
}

impl Receipt {
    /// The receipt in its text form.
    pub fn to_text(&self) -> String {
        let mut text =
            String::with_capacity(64 + 45 * self.proof.len() + self.checkpoint_note.len());
        text.push_str(RECEIPT_HEADER);
        text.push('\n');
        if let Some(extra) = &self.extra {
            text.push_str("extra ");
            text.push_str(&BASE64.encode(extra));
            text.push('\n');
        }
        text.push_str(&format!("index {}\n", self.index));
        for hash in &self.proof {
            text.push_str(&BASE64.encode(hash.0));
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&self.checkpoint_note);
        text
    }

    /// Parses a receipt strictly. The checkpoint must be a well-formed signed note; its
    /// signatures are checked by [`Receipt::verify_leaf_hash`], not here.
    pub fn parse(text: &str) -> Result<Receipt, ReceiptError> {
        if text.len() > RECEIPT_LEN_MAX {
            return Err(ReceiptError::TooLong);
        }
        let (head, checkpoint_note) = text.split_once("\n\n").ok_or(ReceiptError::Malformed(
            "no blank line before the checkpoint",
        ))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(RECEIPT_HEADER) {
            return Err(ReceiptError::Malformed(
                "first line is not c2sp.org/tlog-proof@v1",
            ));
        }
        let mut line = lines
            .next()
            .ok_or(ReceiptError::Malformed("no index line"))?;
        let mut extra = None;
        if let Some(encoded) = line.strip_prefix("extra ") {
            let bytes = BASE64.decode(encoded).map_err(|_| {
                ReceiptError::Malformed("extra data is not canonical standard base64")
            })?;
            if bytes.len() > RECEIPT_EXTRA_LEN_MAX {
                return Err(ReceiptError::Malformed("extra data is too long"));
            }
            extra = Some(bytes);
            line = lines
                .next()
                .ok_or(ReceiptError::Malformed("no index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(note::parse_decimal)
            .ok_or(ReceiptError::Malformed(
                "index line is not \"index\" and a decimal without leading zeroes",
            ))?;
        let mut proof = Vec::new();
        for line in lines {
            if proof.len() == PROOF_HASHES_MAX {
                return Err(ReceiptError::Malformed(
                    "inclusion proof has too many hashes",
                ));
            }
            let hash = BASE64
                .decode(line)
                .ok()
                .and_then(|bytes| Hash::from_slice(&bytes))
                .ok_or(ReceiptError::Malformed(
                    "proof hash is not 32 bytes in canonical standard base64",
                ))?;
            proof.push(hash);
        }
        Note::parse(checkpoint_note).map_err(ReceiptError::Checkpoint)?;
        Ok(Receipt {
            index,
            proof,
            checkpoint_note: checkpoint_note.to_owned(),
            extra,
        })
    }

    /// Checks that the leaf with hash `leaf_hash` is included, at this receipt's index, in
    /// the ledger the sequencer signed: the checkpoint's origin must be `origin`, it must
    /// carry the sequencer's signature under that name, and the proof must lead from the
    /// leaf to its root. Returns the verified checkpoint.
    pub fn verify_leaf_hash(
        &self,
        leaf_hash: &Hash,
        origin: &str,
        sequencer_key: &AuthorKey,
    ) -> Result<Checkpoint, ReceiptError> {
        let (checkpoint, _note) =
            Checkpoint::parse_and_verify(&self.checkpoint_note, origin, sequencer_key)
                .map_err(ReceiptError::Checkpoint)?;
        merkle::verify_inclusion(
            leaf_hash,
            self.index,
            checkpoint.size,
            &self.proof,
            &checkpoint.root,
        )
        .map_err(ReceiptError::InclusionProof)?;
        Ok(checkpoint)
    }

    /// [`Receipt::verify_leaf_hash`] for the leaf data itself (for a ledger leaf, the CBOR
    /// array `[header_bytes, signature]`).
    pub fn verify_leaf_data(
        &self,
        leaf_data: &[u8],
        origin: &str,
        sequencer_key: &AuthorKey,
    ) -> Result<Checkpoint, ReceiptError> {
        self.verify_leaf_hash(&merkle::leaf_hash(leaf_data), origin, sequencer_key)
    }
}

impl std::fmt::Display for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}
