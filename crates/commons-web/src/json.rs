//! The JSON shapes of the API. Serialization is a boundary (STYLE rule 3): the ledger owns
//! the canonical CBOR, and this module is the one place that decides how it looks as JSON
//! — ids, keys and hashes as lowercase hex, bodies through `cbor::json::to_json`.

use crate::error::ApiError;
use commons_ledger::Header;
use commons_ledger::cbor::{self, Value};
use commons_node::CommonsView;
use commons_store::StoredEvent;
use serde::Serialize;

/// `GET /api/v1/node`.
#[derive(Debug, Serialize)]
pub struct NodeInfo {
    /// Hex of the 33-byte key that signs checkpoints.
    pub sequencer: String,
    pub accepts_new_commons: bool,
    pub version: &'static str,
}

/// One element of `GET /api/v1/commons`.
#[derive(Debug, Serialize)]
pub struct CommonsSummary {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub licence: String,
    pub maintainers: Vec<String>,
    pub threshold: u64,
}

impl CommonsSummary {
    pub fn of(view: &CommonsView) -> CommonsSummary {
        let governance = &view.governance;
        CommonsSummary {
            id: view.id.to_hex(),
            name: governance.name.clone(),
            size: view.size,
            licence: governance.licence.clone(),
            maintainers: governance.maintainers.iter().map(|k| k.to_hex()).collect(),
            threshold: governance.threshold,
        }
    }
}

/// `GET /api/v1/commons/{id}`.
#[derive(Debug, Serialize)]
pub struct CommonsOverview {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub licence: String,
    pub maintainers: Vec<String>,
    pub threshold: u64,
    pub sequencer: String,
    pub governance_version: u64,
    /// Ledger time from the latest `ledger.tick`, in milliseconds since the epoch.
    pub ledger_time_ms: u64,
    /// Whether this node's key sequences the commons (otherwise it mirrors it).
    pub sequenced_here: bool,
    /// The latest signed checkpoint note, verbatim.
    pub checkpoint: Option<String>,
    pub n_authors: usize,
    pub n_agents: usize,
}

impl CommonsOverview {
    pub fn of(view: &CommonsView) -> CommonsOverview {
        let summary = CommonsSummary::of(view);
        CommonsOverview {
            id: summary.id,
            name: summary.name,
            size: summary.size,
            licence: summary.licence,
            maintainers: summary.maintainers,
            threshold: summary.threshold,
            sequencer: view.governance.sequencer.to_hex(),
            governance_version: view.governance.version,
            ledger_time_ms: view.time_ms,
            sequenced_here: view.sequenced_here,
            checkpoint: view.checkpoint.as_ref().map(|c| c.note.clone()),
            n_authors: view.n_authors,
            n_agents: view.n_agents,
        }
    }
}

/// The answer to `POST /api/v1/events` (spec §12).
#[derive(Debug, Serialize)]
pub struct SubmitAnswer {
    pub id: String,
    /// `sequenced` or `pending`.
    pub status: &'static str,
    /// The ledger index once sequenced, `null` while pending.
    pub index: Option<u64>,
}

/// A sequenced event rendered for people.
#[derive(Debug, Serialize)]
pub struct EventJson {
    pub index: u64,
    pub id: String,
    pub commons: String,
    pub author: String,
    pub seq: u64,
    pub prev: Option<String>,
    pub deps: Vec<String>,
    /// Milliseconds since the epoch, as the author claims; never used for ordering.
    pub time: u64,
    pub kind: String,
    pub body_len: u64,
    pub body_hash: String,
    /// The body as JSON (`cbor::json` mapping), `null` when withheld or empty.
    pub body: serde_json::Value,
    pub body_withheld: bool,
    pub signature: String,
}

impl EventJson {
    /// Renders a stored event. The store only holds events the node decoded, so a failure
    /// here means the database was changed behind the node's back: a fault.
    pub fn of(stored: &StoredEvent) -> Result<EventJson, ApiError> {
        let corrupt =
            |what: String| ApiError::Fault(format!("stored event {} {what}", stored.index));
        let header = Header::decode(&stored.header_bytes)
            .map_err(|e| corrupt(format!("has a bad header: {e}")))?;
        let body = match &stored.body {
            None => serde_json::Value::Null,
            Some(bytes) if bytes.is_empty() => serde_json::Value::Null,
            Some(bytes) => {
                let value =
                    Value::decode(bytes).map_err(|e| corrupt(format!("has a bad body: {e}")))?;
                cbor::json::to_json(&value)
            }
        };
        Ok(EventJson {
            index: stored.index,
            id: stored.id.to_hex(),
            commons: header
                .commons
                .unwrap_or(commons_ledger::CommonsId(stored.id.0))
                .to_hex(),
            author: header.author.to_hex(),
            seq: header.seq,
            prev: header.prev.map(|p| p.to_hex()),
            deps: header.deps.iter().map(|d| d.to_hex()).collect(),
            time: header.time_ms,
            kind: header.kind.as_str().to_owned(),
            body_len: header.body_len,
            body_hash: header.body_hash.to_hex(),
            body,
            body_withheld: stored.body.is_none(),
            signature: hex::encode(stored.signature.0),
        })
    }
}

/// A page of `GET /api/v1/commons/{id}/events`.
#[derive(Debug, Serialize)]
pub struct EventPage {
    pub events: Vec<EventJson>,
    /// The path and query of the next page, `null` on the last one.
    pub next: Option<String>,
}

/// `GET /api/v1/commons/{id}/events/{event_id}`.
#[derive(Debug, Serialize)]
pub struct EventStatusJson {
    pub id: String,
    /// `sequenced`, `pending` or `evicted`.
    pub status: &'static str,
    pub index: Option<u64>,
    /// Why an evicted event left the pending pool (`evicted_pool_full`, `evicted_expired`).
    pub reason: Option<&'static str>,
    /// The event, once sequenced (a pending event's body is not served).
    pub event: Option<EventJson>,
}

/// `GET /api/v1/commons/{id}/proof/inclusion` (spec §12).
#[derive(Debug, Serialize)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    pub hashes: Vec<String>,
}

/// `GET /api/v1/commons/{id}/proof/consistency` (spec §12).
#[derive(Debug, Serialize)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub hashes: Vec<String>,
}

/// The parent checkpoint a fork starts from (spec §9), as its genesis names it.
#[derive(Debug, Serialize)]
pub struct ForkParentJson {
    pub commons: String,
    pub size: u64,
    pub root: String,
    /// The parent's signed checkpoint note, verbatim.
    pub checkpoint: String,
}

impl ForkParentJson {
    pub fn of(parent: &commons_core::state::ForkParent) -> ForkParentJson {
        ForkParentJson {
            commons: parent.commons.to_hex(),
            size: parent.size,
            root: commons_ledger::Hash(parent.root).to_hex(),
            checkpoint: parent.checkpoint.clone(),
        }
    }
}

/// `GET /api/v1/commons/{id}/lineage`: what a verifier needs to check that a fork's
/// ledger extends its parent's checkpoint.
#[derive(Debug, Serialize)]
pub struct Lineage {
    pub parent: ForkParentJson,
    /// The fork's latest signed checkpoint note.
    pub fork_checkpoint: String,
    /// RFC 9162 consistency proof from the parent's size to the fork checkpoint's.
    pub consistency_proof: Vec<String>,
}

/// One element of `GET /api/v1/commons/{id}/forks`.
#[derive(Debug, Serialize)]
pub struct ForkSummary {
    pub id: String,
    pub name: String,
    /// The parent's size at which the fork starts (its genesis' index).
    pub fork_size: u64,
}

/// The envelopes of stored events as one CBOR array, the wire form of exports and of
/// `/entries` (spec §4, §12).
pub fn envelopes_cbor(events: &[StoredEvent]) -> Vec<u8> {
    let body_bytes: usize = events
        .iter()
        .map(|e| e.header_bytes.len() + e.body.as_ref().map_or(0, Vec::len) + 80)
        .sum();
    let mut out = Vec::with_capacity(body_bytes + 9);
    cbor::write_head(&mut out, 4, events.len() as u64);
    for event in events {
        let envelope = commons_ledger::Envelope {
            header_bytes: event.header_bytes.clone(),
            signature: event.signature,
            body: event.body.clone(),
        };
        out.extend_from_slice(&envelope.encode());
    }
    out
}
