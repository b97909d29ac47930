//! Agents: the public profile of a key (a display name and whether it is a person or an
//! organisation) and key rotation. No personal data ever enters the ledger.

use crate::body::{BodyReader, signature_field};
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::{Agent, AgentKind, State};
use crate::{Applied, Input};
use commons_ledger::keys::{KeyError, Signature, possession_message};
use commons_ledger::{AuthorKey, CommonsId};

pub const PROFILE: &str = "agent.profile";
pub const ROTATE: &str = "agent.rotate";

/// Longest display name, in bytes (spec §10).
pub const NAME_LEN_MAX: usize = 100;
/// Context of the message the new key signs to prove it consents to a rotation.
pub const ROTATE_CONTEXT: &str = "commons/rotate/v1";

/// The body of an `agent.profile`.
pub fn profile_body(name: &str, kind: AgentKind) -> commons_ledger::cbor::Value {
    use commons_ledger::cbor::Value;
    Value::text_map([
        ("name", Value::text(name)),
        ("kind", Value::text(kind.as_str())),
    ])
}

pub(crate) fn profile(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let mut reader = BodyReader::new(PROFILE, input.body)?;
    let name = reader.text("name", 1, NAME_LEN_MAX)?;
    let kind_text = reader.text("kind", 1, 32)?;
    reader.finish()?;
    let Some(kind) = AgentKind::parse(&kind_text) else {
        return reject(
            RejectionCode::BodyInvalid,
            "agent.profile: `kind` must be \"person\" or \"organisation\"",
        );
    };
    let author = input.event.header.author;
    let agent = state.agents.entry(author).or_insert_with(|| Agent {
        identity: author,
        name: None,
        kind: None,
        rotated_to: None,
    });
    agent.name = Some(name);
    agent.kind = Some(kind);
    let mut applied = Applied::default();
    applied.touch(RowKey::Agent(author));
    Ok(applied)
}

/// The message a new key signs to accept a rotation from `old` in `commons`.
pub fn rotation_message(commons: &CommonsId, old: &AuthorKey, new: &AuthorKey) -> Vec<u8> {
    possession_message(
        ROTATE_CONTEXT,
        &[&commons.0, &old.to_bytes(), &new.to_bytes()],
    )
}

pub(crate) fn rotate(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let old = input.event.header.author;
    let mut reader = BodyReader::new(ROTATE, input.body)?;
    let new = reader.key("new")?;
    let proof = signature_field(ROTATE, "proof", reader.required("proof")?)?;
    reader.finish()?;
    if old == state.governance.sequencer {
        return reject(
            RejectionCode::NotAuthorised,
            "the sequencer key changes through gov.update, not agent.rotate",
        );
    }
    match new.check_registrable() {
        Ok(()) => {}
        Err(KeyError::SmallOrder) => {
            return reject(RejectionCode::SmallOrderKey, "the new key has small order");
        }
        Err(_) => return reject(RejectionCode::KeyInvalid, "the new key is not a valid key"),
    }
    if state.agents.contains_key(&new) || state.chains.contains_key(&new) || new == old {
        return reject(
            RejectionCode::KeyInvalid,
            "the new key is already in use in this commons",
        );
    }
    if new
        .verify(
            &rotation_message(&state.commons, &old, &new),
            &Signature(proof),
        )
        .is_err()
    {
        return reject(
            RejectionCode::BodyInvalid,
            "agent.rotate: `proof` is not the new key's signature of the rotation message",
        );
    }

    let mut applied = Applied::default();
    let previous = state.agents.get(&old).cloned().unwrap_or(Agent {
        identity: old,
        name: None,
        kind: None,
        rotated_to: None,
    });
    state.agents.insert(
        new,
        Agent {
            rotated_to: None,
            ..previous.clone()
        },
    );
    state.agents.insert(
        old,
        Agent {
            rotated_to: Some(new),
            ..previous
        },
    );
    applied.touch(RowKey::Agent(old));
    applied.touch(RowKey::Agent(new));
    // Roles follow the person, not the key.
    if let Some(slot) = state.governance.maintainers.iter_mut().find(|k| **k == old) {
        *slot = new;
        applied.touch(RowKey::Commons);
    }
    for (id, proposal) in state.proposals.iter_mut() {
        if proposal.approvals.remove(&old) {
            proposal.approvals.insert(new);
            applied.touch(RowKey::Proposal(*id));
        }
    }
    Ok(applied)
}
