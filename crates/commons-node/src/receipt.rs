//! Offline inclusion receipts (c2sp.org/tlog-proof) for one event, and their check.
//!
//! The receipt's `extra` data is the CBOR map `{"leaf": leaf_data, "sequencer": key33}`:
//! the event's `[header_bytes, signature]` and the sequencer key the node claims. Extra
//! data is unauthenticated, so a verifier should pin the sequencer key it trusts (the
//! commons' genesis names it); the check says which key it used and where it came from.

use crate::{Node, NodeError};
use commons_ledger::cbor::Value;
use commons_ledger::event::{leaf_data, signing_bytes};
use commons_ledger::keys::Signature;
use commons_ledger::note::origin_for;
use commons_ledger::receipt::Receipt;
use commons_ledger::{AuthorKey, CommonsId, EventId, Header};
use commons_store::Store;

impl Node {
    /// A receipt for `event` against the latest checkpoint; `None` if the event is not
    /// sequenced in this commons.
    pub async fn receipt(
        &self,
        commons: &CommonsId,
        event: &EventId,
    ) -> Result<Option<Receipt>, NodeError> {
        let Some(stored) = self
            .store()
            .events_by_id(commons, &[*event])
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let Some(checkpoint) = self.latest_checkpoint(commons).await? else {
            return Ok(None);
        };
        let Some(proof) = self
            .inclusion_proof(commons, stored.index, checkpoint.size)
            .await?
        else {
            return Ok(None);
        };
        let sequencer = self
            .commons(commons)
            .map(|view| view.governance.sequencer)
            .unwrap_or_else(|| self.sequencer_key());
        let extra = Value::text_map([
            (
                "leaf",
                Value::bytes(leaf_data(&stored.header_bytes, &stored.signature)),
            ),
            ("sequencer", Value::bytes(sequencer.to_bytes().to_vec())),
        ]);
        Ok(Some(Receipt {
            index: stored.index,
            proof,
            checkpoint_note: checkpoint.note,
            extra: Some(extra.encode()),
        }))
    }
}

/// Why a receipt does not verify.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptCheckError {
    #[error("{0}")]
    Receipt(#[from] commons_ledger::receipt::ReceiptError),
    #[error("the receipt's extra data is not {{leaf, sequencer}}: {0}")]
    Extra(String),
    #[error("the event's own signature does not verify")]
    EventSignature,
    #[error("the receipt names sequencer {found}, not the expected {expected}")]
    SequencerMismatch { expected: String, found: String },
}

/// Checks a receipt's text offline: the event's signature, the checkpoint's signature
/// by the sequencer, and the inclusion proof. Returns a sentence saying what was proven.
pub fn verify_receipt_text(
    text: &str,
    expected_sequencer: Option<&str>,
) -> Result<String, ReceiptCheckError> {
    let receipt = Receipt::parse(text)?;
    let extra = receipt
        .extra
        .as_deref()
        .ok_or_else(|| ReceiptCheckError::Extra("missing".into()))?;
    let extra = Value::decode(extra).map_err(|e| ReceiptCheckError::Extra(e.to_string()))?;
    let leaf = extra
        .get("leaf")
        .and_then(Value::as_bytes)
        .ok_or_else(|| ReceiptCheckError::Extra("no leaf".into()))?;
    let claimed = extra
        .get("sequencer")
        .and_then(Value::as_bytes)
        .and_then(|b| AuthorKey::from_bytes(b).ok())
        .ok_or_else(|| ReceiptCheckError::Extra("no sequencer key".into()))?;
    let sequencer = match expected_sequencer {
        Some(hex) => {
            let expected =
                AuthorKey::from_hex(hex).map_err(|e| ReceiptCheckError::Extra(e.to_string()))?;
            if expected != claimed {
                return Err(ReceiptCheckError::SequencerMismatch {
                    expected: expected.to_hex(),
                    found: claimed.to_hex(),
                });
            }
            expected
        }
        None => claimed,
    };
    let items = Value::decode(leaf).map_err(|e| ReceiptCheckError::Extra(e.to_string()))?;
    let (header_bytes, signature) = match items.as_array() {
        Some([Value::Bytes(h), Value::Bytes(s)]) => (h.clone(), Signature::from_slice(s)),
        _ => {
            return Err(ReceiptCheckError::Extra(
                "leaf is not [header, signature]".into(),
            ));
        }
    };
    let signature = signature.ok_or(ReceiptCheckError::EventSignature)?;
    let header =
        Header::decode(&header_bytes).map_err(|e| ReceiptCheckError::Extra(e.to_string()))?;
    header
        .author
        .verify(&signing_bytes(&header_bytes), &signature)
        .map_err(|_| ReceiptCheckError::EventSignature)?;
    let id = commons_ledger::event::event_id(&header_bytes);
    let commons = header.commons.unwrap_or(CommonsId(id.0));
    let checkpoint = receipt.verify_leaf_data(leaf, &origin_for(&commons), &sequencer)?;
    let pinned = if expected_sequencer.is_some() {
        "the sequencer key you gave"
    } else {
        "the sequencer key named in the receipt (pass --sequencer to pin the commons' key)"
    };
    Ok(format!(
        "ok: event {} ({} by {}, seq {}) is entry {} of commons {} in the checkpoint of size {} signed by {}",
        id.to_hex(),
        header.kind,
        header.author.to_hex(),
        header.seq,
        receipt.index,
        commons.to_hex(),
        checkpoint.size,
        pinned
    ))
}
