//! The distributed-network area: a commons' genesis, the ledger clock, and evidence of
//! equivocation.

use crate::body::BodyReader;
use crate::governance::{validate_governance, validate_licence};
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::{ForkParent, Frozen, Governance, MAINTAINERS_MAX, State};
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use commons_ledger::event::signing_bytes;
use commons_ledger::keys::Signature;
use commons_ledger::{AuthorKey, CommonsId, Event, Header};
use std::collections::BTreeMap;

pub const GENESIS: &str = "commons.genesis";
pub const TICK: &str = "ledger.tick";
pub const EQUIVOCATION: &str = "evidence.equivocation";

/// Longest commons name, in bytes (spec §9).
pub const COMMONS_NAME_LEN_MAX: usize = 200;
/// Longest licence expression, in bytes.
pub const LICENCE_LEN_MAX: usize = 512;
/// Longest signed checkpoint note a fork's `parent` may carry, in bytes: a checkpoint
/// with its sequencer's signature and a few cosignatures fits many times over.
pub const PARENT_CHECKPOINT_LEN_MAX: usize = 8_192;

/// The body of a `commons.genesis` with these maintainers, threshold, sequencer and
/// licence, and no parent (a fork names its parent; see [`crate::fork::fork_genesis_body`]).
pub fn genesis_body(
    name: &str,
    maintainers: &[AuthorKey],
    threshold: u64,
    sequencer: &AuthorKey,
    licence: &str,
) -> Value {
    genesis_body_with_parent(
        name,
        maintainers,
        threshold,
        sequencer,
        licence,
        Value::Null,
    )
}

/// A genesis body whose `parent` field is `parent` (null or a fork's parent map).
pub(crate) fn genesis_body_with_parent(
    name: &str,
    maintainers: &[AuthorKey],
    threshold: u64,
    sequencer: &AuthorKey,
    licence: &str,
    parent: Value,
) -> Value {
    let key = |k: &AuthorKey| Value::bytes(k.to_bytes().to_vec());
    Value::text_map([
        ("name", Value::text(name)),
        (
            "maintainers",
            Value::Array(maintainers.iter().map(key).collect()),
        ),
        ("threshold", Value::Unsigned(threshold)),
        ("sequencer", key(sequencer)),
        ("licence", Value::text(licence)),
        ("parent", parent),
    ])
}

pub(crate) fn genesis(event: &Event, index: u64) -> Result<(State, Applied), Rejection> {
    let header = &event.header;
    let governance = read_genesis(event)?;
    let commons = CommonsId(event.id.0);
    let mut state = State {
        commons,
        size: index + 1,
        time_ms: 0,
        governance,
        agents: BTreeMap::new(),
        chains: BTreeMap::new(),
        proposals: BTreeMap::new(),
        frozen: BTreeMap::new(),
        production: Default::default(),
        association: Default::default(),
        economy: Default::default(),
    };
    state.chains.insert(
        header.author,
        crate::state::ChainHead {
            seq: 0,
            id: event.id,
        },
    );
    let mut applied = Applied::default();
    applied.touch(RowKey::Commons);
    applied.touch(RowKey::Clock);
    applied.touch(RowKey::Chain(header.author));
    Ok((state, applied))
}

/// The governance a `commons.genesis` sets up (version 0), with its header and body
/// checked; shared by a new commons and a fork.
pub(crate) fn read_genesis(event: &Event) -> Result<Governance, Rejection> {
    let header = &event.header;
    if header.kind.as_str() != GENESIS || header.commons.is_some() || header.seq != 0 {
        return reject(
            RejectionCode::GenesisInvalid,
            "a commons starts with a commons.genesis event at seq 0 with an empty commons id",
        );
    }
    let Some(body) = event.body_value() else {
        return reject(RejectionCode::BodyMissing, "the genesis body is needed");
    };
    let mut reader = BodyReader::new(GENESIS, &body)?.allow_unknown_fields();
    let name = reader.text("name", 1, COMMONS_NAME_LEN_MAX)?;
    let maintainers = reader
        .optional_keys("maintainers", MAINTAINERS_MAX)?
        .unwrap_or_default();
    let threshold = reader.uint("threshold")?;
    let sequencer = reader.key("sequencer")?;
    let licence = reader.text("licence", 1, LICENCE_LEN_MAX)?;
    reader.require_key("parent")?;
    let parent = match reader.optional("parent") {
        None => None,
        Some(value) => Some(read_parent(value)?),
    };
    reader.finish()?;
    validate_licence(&licence)?;
    let governance = Governance {
        name,
        maintainers,
        threshold,
        sequencer,
        licence,
        parent,
        version: 0,
    };
    validate_governance(&governance)?;
    Ok(governance)
}

fn read_parent(value: &Value) -> Result<ForkParent, Rejection> {
    let mut reader = BodyReader::new("commons.genesis parent", value)?;
    let commons = reader.event_id("commons")?;
    let size = reader.uint("size")?;
    let root = reader.event_id("root")?;
    let checkpoint = reader.text("checkpoint", 1, PARENT_CHECKPOINT_LEN_MAX)?;
    reader.finish()?;
    Ok(ForkParent {
        commons: CommonsId(commons.0),
        size,
        root: root.0,
        checkpoint,
    })
}

pub(crate) fn tick(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let mut reader = BodyReader::new(TICK, input.body)?;
    let time_ms = reader.uint("time")?;
    reader.finish()?;
    if time_ms < state.time_ms {
        return reject(
            RejectionCode::TimeRegression,
            format!(
                "ledger time never decreases (now {}, tick {time_ms})",
                state.time_ms
            ),
        );
    }
    state.time_ms = time_ms;
    let mut applied = Applied::default();
    applied.touch(RowKey::Clock);
    Ok(applied)
}

/// A header and signature taken as evidence; checks that the signature is the author's.
fn read_signed_header(value: &Value, field: &str) -> Result<(Header, Vec<u8>), Rejection> {
    let invalid = |why: &str| {
        Rejection::new(
            RejectionCode::EvidenceInvalid,
            format!("evidence `{field}`: {why}"),
        )
    };
    let items = value
        .as_array()
        .filter(|items| items.len() == 2)
        .ok_or_else(|| invalid("must be [header_bytes, signature]"))?;
    let header_bytes = items[0]
        .as_bytes()
        .ok_or_else(|| invalid("header must be bytes"))?;
    let signature = items[1]
        .as_bytes()
        .and_then(Signature::from_slice)
        .ok_or_else(|| invalid("signature must be 64 bytes"))?;
    let header = Header::decode(header_bytes).map_err(|e| invalid(&e.to_string()))?;
    header
        .author
        .verify(&signing_bytes(header_bytes), &signature)
        .map_err(|_| invalid("the signature does not verify"))?;
    Ok((header, header_bytes.to_vec()))
}

pub(crate) fn equivocation(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let mut reader = BodyReader::new(EQUIVOCATION, input.body)?;
    let first = reader.required("first")?;
    let second = reader.required("second")?;
    reader.finish()?;
    let (first, first_bytes) = read_signed_header(first, "first")?;
    let (second, second_bytes) = read_signed_header(second, "second")?;
    // A genesis header names no commons (`h''`): its commons is its own id, and it is seq 0
    // of its author's chain in that commons, so it can be half of an equivocation too.
    let commons_of = |header: &Header, bytes: &[u8]| {
        header
            .commons
            .unwrap_or_else(|| CommonsId(commons_ledger::event::event_id(bytes).0))
    };
    let same_slot = first.author == second.author
        && first.seq == second.seq
        && commons_of(&first, &first_bytes) == state.commons
        && commons_of(&second, &second_bytes) == state.commons;
    if !same_slot || first_bytes == second_bytes {
        return reject(
            RejectionCode::EvidenceInvalid,
            "evidence must be two different signed headers of one author at one seq in this commons",
        );
    }
    if state.frozen.contains_key(&first.author) {
        return reject(
            RejectionCode::EvidenceInvalid,
            "this author is already frozen",
        );
    }
    state.frozen.insert(
        first.author,
        Frozen {
            evidence_index: input.index,
            seq: first.seq,
        },
    );
    let mut applied = Applied::default();
    applied.touch(RowKey::Frozen(first.author));
    Ok(applied)
}

/// The body of an `evidence.equivocation` event for two conflicting signed headers.
pub fn equivocation_body(first: (&[u8], &Signature), second: (&[u8], &Signature)) -> Value {
    let pair = |(header, signature): (&[u8], &Signature)| {
        Value::Array(vec![
            Value::bytes(header),
            Value::bytes(signature.0.to_vec()),
        ])
    };
    Value::text_map([("first", pair(first)), ("second", pair(second))])
}
