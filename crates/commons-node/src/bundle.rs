//! Bundles: one commons' whole ledger in one file, for `commons export` and `commons
//! import`, verifiable offline by anyone who has read `spec/ledger-v1.md`.
//!
//! # Format `commons-bundle/v1`
//!
//! A bundle is an RFC 8742 CBOR sequence (media type `application/cbor-seq`): CBOR data
//! items written one after another, with no enclosing array and nothing between them.
//! Every item is in core deterministic encoding (spec §1: definite lengths, shortest
//! heads, map keys sorted bytewise by their encodings, no floats, no tags). A reader MUST
//! decode each item, re-encode it, and refuse the bundle unless the bytes are identical.
//!
//! The items, in order:
//!
//! 1. **Header**: a map with exactly these four text keys (listed in canonical order);
//!    any other key, or a missing one, makes the bundle invalid.
//!
//!    | key | value |
//!    |---|---|
//!    | `"size"` | uint: the number of events in the bundle, at least 1 |
//!    | `"format"` | tstr: exactly `"commons-bundle/v1"` |
//!    | `"commons"` | bstr(32): the commons id, which is the id of the genesis event |
//!    | `"sequencer"` | bstr(33): the author key (spec §1) of the sequencer that the commons' governance names after folding all `size` events |
//!
//! 2. **Events**: exactly `size` items, each an envelope (spec §4)
//!    `[header_bytes: bstr, signature: bstr(64), body: bstr]`: the events at ledger
//!    indexes `0 .. size - 1`, in ledger order. Every body is included: `null` is refused,
//!    because the fold that checks the ledger needs every body. Each envelope is at most
//!    [`ENVELOPE_LEN_MAX`](commons_ledger::event::ENVELOPE_LEN_MAX) (67,584) bytes.
//!
//! 3. **Checkpoint count**: a uint `n_checkpoints`, at least 1 and at most `size`.
//!
//! 4. **Checkpoints**: exactly `n_checkpoints` items, each a tstr holding one signed
//!    checkpoint note (spec §7), byte for byte as signed (a note that does not re-render
//!    identically is refused), at most
//!    [`NOTE_LEN_MAX`](commons_ledger::note::NOTE_LEN_MAX) bytes. Their tree sizes
//!    increase strictly, are between 1 and `size`, and the last one's size is `size`, so
//!    every event is covered by a signature.
//!
//! Nothing follows the last note: trailing bytes make the bundle invalid.
//!
//! Limits: at most [`BUNDLE_EVENTS_MAX`] events and [`BUNDLE_CHECKPOINTS_MAX`]
//! checkpoints; the header item is at most [`BUNDLE_HEADER_LEN_MAX`] bytes.
//!
//! # Verifying a bundle
//!
//! A bundle is valid when, besides the layout above:
//!
//! - every envelope passes spec §2–§4: canonical header, every field rule, a body that
//!   is itself deterministic CBOR (or empty) matching `body_len` and `body_hash`, an Ed25519 signature valid under ZIP-215 by an author
//!   key that is not of small order;
//! - leaf 0 is a `commons.genesis` whose id is `commons` and which starts no fork;
//! - every event id appears once, every `deps` entry names an earlier event, and every
//!   author's events continue its chain (`seq` 0, 1, 2, … with `prev` naming the last);
//! - folding the events in order through the rules of `docs/events.md` accepts every one;
//! - `sequencer` equals the sequencer named by the governance after the last event;
//! - for each checkpoint of size `n`: its origin line is `commons/<commons id in
//!   lowercase hex>`; it carries a valid Ed25519 signature under that key name by the
//!   sequencer in effect when leaf `n - 1` was appended, or by the one governance names
//!   just after it (they differ only when that leaf hands the ledger to a new
//!   sequencer); its root equals the RFC 6962 root of leaves `0 .. n - 1` (spec §6);
//! - each checkpoint is joined to the one before it by an RFC 9162 consistency proof.
//!
//! Other signature lines on a note (witness cosignatures) are kept as they are. This
//! verifier has no witness keys and does not check them; a verifier that trusts some
//! witness checks that witness's line.

use crate::audit::{self, AuditFailure, Phase, Progress, projection_rows};
use crate::runtime::stored_event;
use commons_ledger::cbor::{NESTING_DEPTH_MAX, Value};
use commons_ledger::event::ENVELOPE_LEN_MAX;
use commons_ledger::note::{Checkpoint, NOTE_LEN_MAX, Note, NoteError};
use commons_ledger::{AuthorKey, CommonsId, Envelope, Event, FormatError, Hash};
use commons_store::{AppendBatch, CheckpointRow, ProjectionChange, Store, StoreError};

/// The `format` value of this version.
pub const FORMAT: &str = "commons-bundle/v1";
/// Most events a bundle may hold. A reader holds the whole bundle in memory, so this is
/// about the largest that fits on a modest machine (tens of gigabytes).
pub const BUNDLE_EVENTS_MAX: u64 = 50_000_000;
/// Most checkpoints a bundle may hold: the node signs one per group commit, so at most
/// one per event.
pub const BUNDLE_CHECKPOINTS_MAX: u64 = BUNDLE_EVENTS_MAX;
/// Largest header item: its four fields take at most 127 bytes.
pub const BUNDLE_HEADER_LEN_MAX: usize = 256;
/// Largest checkpoint-count item: a uint head.
const COUNT_LEN_MAX: usize = 9;
/// Largest checkpoint item: a note and its tstr head.
const NOTE_ITEM_LEN_MAX: usize = NOTE_LEN_MAX + 9;

/// One checkpoint of a bundle, with the size and root its text states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// The signed note, byte for byte.
    pub note: String,
}

/// A bundle as read, before any signature or rule is checked (see [`audit::audit_bundle`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub commons: CommonsId,
    pub sequencer: AuthorKey,
    /// Events at ledger indexes `0 .. size`, each with its body.
    pub events: Vec<Event>,
    pub checkpoints: Vec<BundleCheckpoint>,
}

impl Bundle {
    pub fn size(&self) -> u64 {
        self.events.len() as u64
    }

    /// The bundle's bytes, exactly as [`export`] writes them.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = header_value(&self.commons, self.size(), &self.sequencer).encode();
        for event in &self.events {
            out.extend_from_slice(&event.envelope().encode());
        }
        Value::Unsigned(self.checkpoints.len() as u64).encode_into(&mut out);
        for checkpoint in &self.checkpoints {
            commons_ledger::cbor::write_text(&mut out, &checkpoint.note);
        }
        out
    }
}

fn header_value(commons: &CommonsId, size: u64, sequencer: &AuthorKey) -> Value {
    Value::text_map([
        ("format", Value::text(FORMAT)),
        ("commons", Value::bytes(commons.0.to_vec())),
        ("size", Value::Unsigned(size)),
        ("sequencer", Value::bytes(sequencer.to_bytes().to_vec())),
    ])
}

/// Why bytes are not a `commons-bundle/v1`. Nothing about signatures or rules: those are
/// the audit's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("the bundle ends at byte {offset}, inside or before {what}")]
    Truncated { offset: usize, what: &'static str },
    #[error("malformed bundle at byte {offset}: {message}")]
    Malformed { offset: usize, message: String },
    #[error("unsupported bundle format {0:?}, expected \"commons-bundle/v1\"")]
    UnsupportedFormat(String),
    #[error("{what} {count} exceeds the limit of {max}")]
    TooLarge {
        what: &'static str,
        count: u64,
        max: u64,
    },
    #[error("event {index} at byte {offset}: {error}")]
    Event {
        index: u64,
        offset: usize,
        error: FormatError,
    },
    #[error("event {index} has no body; a v1 bundle carries every body")]
    BodyMissing { index: u64 },
    #[error("checkpoint {index}: {error}")]
    Checkpoint { index: u64, error: NoteError },
    #[error("checkpoint {index}: {message}")]
    CheckpointOrder { index: u64, message: String },
    #[error("{0} bytes follow the last checkpoint")]
    TrailingBytes(usize),
}

impl BundleError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Truncated { .. } => "bundle_truncated",
            BundleError::Malformed { .. } => "bundle_malformed",
            BundleError::UnsupportedFormat(_) => "bundle_format_unsupported",
            BundleError::TooLarge { .. } => "bundle_too_large",
            BundleError::Event { .. } => "bundle_event_invalid",
            BundleError::BodyMissing { .. } => "bundle_body_missing",
            BundleError::Checkpoint { .. } => "bundle_checkpoint_invalid",
            BundleError::CheckpointOrder { .. } => "bundle_checkpoint_order",
            BundleError::TrailingBytes(_) => "bundle_trailing_bytes",
        }
    }
}

/// Walks a CBOR sequence item by item.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    /// The bytes of the next item, of at most `len_max` bytes. Only its extent is found
    /// here, from its heads; the caller decodes it strictly.
    fn item(&mut self, what: &'static str, len_max: usize) -> Result<&'a [u8], BundleError> {
        let start = self.position;
        if start == self.bytes.len() {
            return Err(BundleError::Truncated {
                offset: start,
                what,
            });
        }
        let end = skip_item(self.bytes, start, 0).map_err(|error| match error {
            SkipError::Truncated => BundleError::Truncated {
                offset: self.bytes.len(),
                what,
            },
            SkipError::Malformed(offset, message) => BundleError::Malformed {
                offset,
                message: format!("{what}: {message}"),
            },
        })?;
        if end - start > len_max {
            return Err(BundleError::Malformed {
                offset: start,
                message: format!(
                    "{what} is {} bytes, longer than the {len_max} allowed",
                    end - start
                ),
            });
        }
        self.position = end;
        Ok(&self.bytes[start..end])
    }
}

enum SkipError {
    Truncated,
    Malformed(usize, &'static str),
}

/// One CBOR head at `position`: major type, argument, and where the head ends.
fn read_head(bytes: &[u8], position: usize) -> Result<(u8, u64, usize), SkipError> {
    let initial = *bytes.get(position).ok_or(SkipError::Truncated)?;
    let major = initial >> 5;
    let info = initial & 0x1f;
    let n_argument_bytes = match info {
        0..=23 => return Ok((major, u64::from(info), position + 1)),
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        _ => {
            return Err(SkipError::Malformed(
                position,
                "indefinite length or reserved head",
            ));
        }
    };
    let end = position + 1 + n_argument_bytes;
    let argument_bytes = bytes.get(position + 1..end).ok_or(SkipError::Truncated)?;
    let argument = argument_bytes
        .iter()
        .fold(0u64, |n, b| (n << 8) | u64::from(*b));
    Ok((major, argument, end))
}

/// Where the item starting at `position` ends. Tags and indefinite lengths are refused
/// here; everything else the deterministic decoder checks afterwards.
fn skip_item(bytes: &[u8], position: usize, depth: usize) -> Result<usize, SkipError> {
    if depth > NESTING_DEPTH_MAX {
        return Err(SkipError::Malformed(position, "nested too deeply"));
    }
    let (major, argument, mut next) = read_head(bytes, position)?;
    let remaining = (bytes.len() - next) as u64;
    match major {
        0 | 1 | 7 => Ok(next),
        2 | 3 => {
            if argument > remaining {
                return Err(SkipError::Truncated);
            }
            // `argument <= remaining`, a slice length, so it fits in a usize.
            Ok(next + argument as usize)
        }
        4 | 5 => {
            let n_items = if major == 5 {
                argument.saturating_mul(2)
            } else {
                argument
            };
            // Every item takes at least one byte; a larger count cannot be honest.
            if n_items > remaining {
                return Err(SkipError::Truncated);
            }
            for _ in 0..n_items {
                next = skip_item(bytes, next, depth + 1)?;
            }
            Ok(next)
        }
        _ => Err(SkipError::Malformed(position, "tags are not allowed")),
    }
}

fn malformed(offset: usize, message: impl Into<String>) -> BundleError {
    BundleError::Malformed {
        offset,
        message: message.into(),
    }
}

/// Decodes one item strictly: deterministic encoding, re-encoded byte for byte.
fn decode_value(item: &[u8], offset: usize, what: &str) -> Result<Value, BundleError> {
    Value::decode(item).map_err(|error| malformed(offset, format!("{what}: {error}")))
}

fn read_header(reader: &mut Reader<'_>) -> Result<(CommonsId, u64, AuthorKey), BundleError> {
    let offset = reader.position;
    let item = reader.item("the bundle header", BUNDLE_HEADER_LEN_MAX)?;
    let header = decode_value(item, offset, "the bundle header")?;
    let Value::Map(entries) = &header else {
        return Err(malformed(offset, "the bundle header is not a map"));
    };
    if entries.len() != 4 {
        return Err(malformed(
            offset,
            "the bundle header must have exactly the keys size, format, commons and sequencer",
        ));
    }
    let field = |key: &str| {
        header
            .get(key)
            .ok_or_else(|| malformed(offset, format!("the bundle header has no `{key}`")))
    };
    let format = field("format")?
        .as_text()
        .ok_or_else(|| malformed(offset, "`format` is not text"))?;
    if format != FORMAT {
        return Err(BundleError::UnsupportedFormat(format.to_owned()));
    }
    let commons = field("commons")?
        .as_bytes()
        .and_then(CommonsId::from_slice)
        .ok_or_else(|| malformed(offset, "`commons` is not 32 bytes"))?;
    let size = field("size")?
        .as_u64()
        .ok_or_else(|| malformed(offset, "`size` is not a uint"))?;
    let sequencer = field("sequencer")?
        .as_bytes()
        .ok_or_else(|| malformed(offset, "`sequencer` is not bytes"))
        .and_then(|bytes| {
            AuthorKey::from_bytes(bytes).map_err(|e| malformed(offset, format!("`sequencer`: {e}")))
        })?;
    if size == 0 {
        return Err(malformed(offset, "a bundle holds at least its genesis"));
    }
    if size > BUNDLE_EVENTS_MAX {
        return Err(BundleError::TooLarge {
            what: "event count",
            count: size,
            max: BUNDLE_EVENTS_MAX,
        });
    }
    Ok((commons, size, sequencer))
}

/// Reads a bundle strictly (everything in the module documentation's layout). Signatures,
/// chains, rules and roots are checked by [`audit::audit_bundle`].
pub fn read_bundle(bytes: &[u8]) -> Result<Bundle, BundleError> {
    let mut reader = Reader { bytes, position: 0 };
    let (commons, size, sequencer) = read_header(&mut reader)?;
    // The count is checked against a limit, not trusted for allocation: the bytes bound
    // how many envelopes can really follow.
    let mut events = Vec::new();
    for index in 0..size {
        let offset = reader.position;
        let item = reader.item("an envelope", ENVELOPE_LEN_MAX)?;
        let event = Event::decode(item).map_err(|error| BundleError::Event {
            index,
            offset,
            error,
        })?;
        if event.body.is_none() {
            return Err(BundleError::BodyMissing { index });
        }
        events.push(event);
    }
    let offset = reader.position;
    let item = reader.item("the checkpoint count", COUNT_LEN_MAX)?;
    let n_checkpoints = decode_value(item, offset, "the checkpoint count")?
        .as_u64()
        .ok_or_else(|| malformed(offset, "the checkpoint count is not a uint"))?;
    if n_checkpoints > BUNDLE_CHECKPOINTS_MAX {
        return Err(BundleError::TooLarge {
            what: "checkpoint count",
            count: n_checkpoints,
            max: BUNDLE_CHECKPOINTS_MAX,
        });
    }
    if n_checkpoints == 0 || n_checkpoints > size {
        return Err(malformed(
            offset,
            format!(
                "{n_checkpoints} checkpoints cannot cover {size} events with strictly increasing sizes"
            ),
        ));
    }
    let mut checkpoints: Vec<BundleCheckpoint> = Vec::new();
    for index in 0..n_checkpoints {
        let offset = reader.position;
        let item = reader.item("a checkpoint note", NOTE_ITEM_LEN_MAX)?;
        let Value::Text(note) = decode_value(item, offset, "a checkpoint note")? else {
            return Err(malformed(offset, "a checkpoint note is not text"));
        };
        let checkpoint =
            parse_note(&note).map_err(|error| BundleError::Checkpoint { index, error })?;
        let previous = checkpoints.last().map_or(0, |c| c.size);
        if checkpoint.size <= previous || checkpoint.size > size {
            return Err(BundleError::CheckpointOrder {
                index,
                message: format!(
                    "size {} does not lie between {previous} (exclusive) and {size}",
                    checkpoint.size
                ),
            });
        }
        checkpoints.push(BundleCheckpoint {
            size: checkpoint.size,
            root: checkpoint.root,
            note,
        });
    }
    if checkpoints.last().map(|c| c.size) != Some(size) {
        return Err(BundleError::CheckpointOrder {
            index: n_checkpoints - 1,
            message: format!("the last checkpoint must cover all {size} events"),
        });
    }
    if reader.position != bytes.len() {
        return Err(BundleError::TrailingBytes(bytes.len() - reader.position));
    }
    Ok(Bundle {
        commons,
        sequencer,
        events,
        checkpoints,
    })
}

/// Parses a note and its checkpoint text, refusing a note that does not re-render to the
/// same bytes.
fn parse_note(text: &str) -> Result<Checkpoint, NoteError> {
    let note = Note::parse(text)?;
    if note.to_text() != text {
        return Err(NoteError::Malformed(
            "the note does not re-render to the same bytes",
        ));
    }
    Checkpoint::parse(&note.text)
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the store hosts no commons {0}")]
    CommonsUnknown(CommonsId),
    #[error("commons {0} has no signed checkpoint to export up to")]
    NoCheckpoint(CommonsId),
    #[error("event {index} has no body; a v1 bundle carries every body")]
    BodyMissing { index: u64 },
    #[error("the stored ledger does not fold: {0}")]
    Ledger(#[from] AuditFailure),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("writing the bundle: {0}")]
    Io(#[from] std::io::Error),
}

impl ExportError {
    pub fn code(&self) -> &'static str {
        match self {
            ExportError::CommonsUnknown(_) => "commons_unknown",
            ExportError::NoCheckpoint(_) => "checkpoint_missing",
            ExportError::BodyMissing { .. } => "body_missing",
            ExportError::Ledger(failure) => failure.code(),
            ExportError::Store(_) => "store_fault",
            ExportError::Io(_) => "io",
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportReport {
    pub size: u64,
    pub n_checkpoints: u64,
    pub n_bytes: u64,
}

/// Writes the ledger of `commons` up to its latest signed checkpoint as a bundle.
///
/// Exporting up to the latest checkpoint, read first, gives a consistent snapshot even
/// while a node appends: the ledger below a signed size never changes. The ledger is
/// read twice: once folded, for the `sequencer` the header names first, then written.
pub async fn export(
    store: &(impl Store + Clone),
    commons: &CommonsId,
    writer: &mut impl std::io::Write,
    progress: &dyn Progress,
) -> Result<ExportReport, ExportError> {
    if store.commons(commons).await?.is_none() {
        return Err(ExportError::CommonsUnknown(*commons));
    }
    let checkpoints = store.checkpoints(commons).await?;
    let Some(size) = checkpoints.last().map(|c| c.size) else {
        return Err(ExportError::NoCheckpoint(*commons));
    };
    let state = audit::replay(store, commons, size, progress).await?;
    let mut n_bytes = 0u64;
    let mut write = |bytes: &[u8]| -> Result<(), std::io::Error> {
        writer.write_all(bytes)?;
        n_bytes += bytes.len() as u64;
        Ok(())
    };
    write(&header_value(commons, size, &state.governance.sequencer).encode())?;
    {
        let phase = Phase::start(progress, "writing events", size);
        audit::for_each_page(store, commons, size, audit::Reading::Events, |page| {
            if page.events.len() as u64 != page.to - page.from {
                let message = format!("events {}..{} are missing", page.from, page.to);
                return Err(ExportError::Store(StoreError::Corrupt(message)));
            }
            let mut out = Vec::new();
            for stored in &page.events {
                if stored.body.is_none() {
                    return Err(ExportError::BodyMissing {
                        index: stored.index,
                    });
                }
                let envelope = Envelope {
                    header_bytes: stored.header_bytes.clone(),
                    signature: stored.signature,
                    body: stored.body.clone(),
                };
                out.extend_from_slice(&envelope.encode());
            }
            write(&out)?;
            phase.advance(page.to - page.from);
            Ok(())
        })
        .await?;
    }
    let mut out = Value::Unsigned(checkpoints.len() as u64).encode();
    for checkpoint in &checkpoints {
        commons_ledger::cbor::write_text(&mut out, &checkpoint.note);
    }
    write(&out)?;
    writer.flush()?;
    Ok(ExportReport {
        size,
        n_checkpoints: checkpoints.len() as u64,
        n_bytes,
    })
}

/// Why an import was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("commons {0} already exists on this store")]
    CommonsExists(CommonsId),
    #[error("the bundle does not verify: {0}")]
    Audit(#[from] AuditFailure),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::CommonsExists(_) => "commons_exists",
            ImportError::Audit(failure) => failure.code(),
            ImportError::Store(_) => "store_fault",
        }
    }
}

/// What an import wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    pub commons: CommonsId,
    pub size: u64,
    pub n_checkpoints: u64,
    pub n_rows: u64,
}

/// Audits a bundle and writes it into `store` as a new commons.
///
/// The ledger, its Merkle hashes (recomputed, never taken from the bundle), its projection
/// rows and the latest checkpoint go in one transaction, so the commons appears whole or
/// not at all. The earlier checkpoints follow, one transaction each, because a batch
/// carries one checkpoint; if the import stops among them the commons is complete and
/// verifiable, only without some historical checkpoints.
pub async fn import(
    store: &(impl Store + Clone),
    bundle: &Bundle,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    if store.commons(&bundle.commons).await?.is_some() {
        return Err(ImportError::CommonsExists(bundle.commons));
    }
    let verified = audit::verify_bundle(bundle, progress)?;
    let rows = projection_rows(&verified.state);
    let n_rows = rows.len() as u64;
    let (latest, earlier) = bundle.checkpoints.split_last().ok_or_else(|| {
        ImportError::Audit(AuditFailure::Invalid {
            code: audit::AuditCode::CheckpointMissing,
            index: None,
            message: "the bundle has no checkpoint".to_owned(),
        })
    })?;
    let checkpoint_row = |checkpoint: &BundleCheckpoint| CheckpointRow {
        size: checkpoint.size,
        root: checkpoint.root,
        note: checkpoint.note.clone(),
    };
    let phase = Phase::start(progress, "writing the ledger", 1 + earlier.len() as u64);
    let batch = AppendBatch {
        commons: Some(bundle.commons),
        create_name: Some(verified.state.governance.name.clone()),
        // A fork's bundle carries its whole ledger, the parent's prefix included.
        fork_prefix: None,
        rename: None,
        events: bundle
            .events
            .iter()
            .zip(0u64..)
            .map(|(event, index)| stored_event(event, index))
            .collect(),
        hashes: verified
            .hashes
            .iter()
            .zip(0u64..)
            .map(|(hash, index)| (index, *hash))
            .collect(),
        projections: rows.into_iter().map(ProjectionChange::Put).collect(),
        checkpoint: Some(checkpoint_row(latest)),
    };
    if let Err(error) = store.append(&batch).await {
        // Another import may have created the commons since the check above.
        if matches!(error, StoreError::Conflict(_))
            && store.commons(&bundle.commons).await?.is_some()
        {
            return Err(ImportError::CommonsExists(bundle.commons));
        }
        return Err(error.into());
    }
    drop(batch);
    phase.advance(1);
    for checkpoint in earlier {
        store
            .append(&AppendBatch {
                commons: Some(bundle.commons),
                checkpoint: Some(checkpoint_row(checkpoint)),
                ..AppendBatch::default()
            })
            .await?;
        phase.advance(1);
    }
    Ok(ImportReport {
        commons: bundle.commons,
        size: verified.size,
        n_checkpoints: bundle.checkpoints.len() as u64,
        n_rows,
    })
}
