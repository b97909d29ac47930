//! Delegation: optional, public, per area (topic) or for every poll, transitive up to
//! [`DELEGATION_DEPTH_MAX`] steps. A delegation that would close a cycle is refused; at a
//! poll's close, a voter who did not vote is counted with the ballot of the first voter
//! down their chain who did (a topic's delegation first, else the general one). A direct
//! vote always overrides: whoever votes is counted with their own ballot.

use super::polls::identity;
use super::{DELEGATION_DEPTH_MAX, DELEGATIONS_PER_KEY_MAX, SLUG_LEN_MAX, TOPIC_ALL};
use crate::body::BodyReader;
use crate::production::limit_reached;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::AuthorKey;
use std::collections::BTreeSet;

pub const SET: &str = "delegate.set";
pub const REVOKE: &str = "delegate.revoke";

fn topic_of(state: &State, reader: &mut BodyReader<'_>) -> Result<String, Rejection> {
    let topic = reader
        .optional_text("topic", 1, SLUG_LEN_MAX)?
        .unwrap_or_else(|| TOPIC_ALL.to_owned());
    if topic != TOPIC_ALL && state.production.area_by_slug(&topic).is_none() {
        return reject(
            RejectionCode::AreaUnknown,
            format!("no area `{topic}` to delegate on"),
        );
    }
    Ok(topic)
}

/// The next voter down `key`'s chain for polls on `topic` (its own delegation first, then
/// the general one).
fn next(state: &State, key: &AuthorKey, topic: Option<&str>) -> Option<AuthorKey> {
    let delegations = &state.association.delegations;
    topic
        .filter(|t| *t != TOPIC_ALL)
        .and_then(|t| delegations.get(&(*key, t.to_owned())))
        .or_else(|| delegations.get(&(*key, TOPIC_ALL.to_owned())))
        .copied()
}

/// Follows `key`'s chain to the first voter for whom `voted` holds, within the depth
/// limit; `None` on a cycle, a chain too long, or nobody who voted.
pub fn resolve_delegate(
    state: &State,
    key: &AuthorKey,
    topic: Option<&str>,
    voted: impl Fn(&AuthorKey) -> bool,
) -> Option<AuthorKey> {
    let mut seen = BTreeSet::from([*key]);
    let mut at = *key;
    for _ in 0..DELEGATION_DEPTH_MAX {
        at = next(state, &at, topic)?;
        if !seen.insert(at) {
            return None;
        }
        if voted(&at) {
            return Some(at);
        }
    }
    None
}

/// Delegates one's vote on a topic (an area's slug, or every poll).
pub(crate) fn set(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let from = identity(state, &input.event.header.author);
    let mut reader = BodyReader::new(SET, input.body)?;
    let to = reader.key("to")?;
    let topic = topic_of(state, &mut reader)?;
    reader.finish()?;
    let to = identity(state, &to);
    if to == from {
        return reject(
            RejectionCode::DelegationCycle,
            "you cannot delegate to yourself",
        );
    }
    // Would `to`'s chain lead back to `from` for this topic, or (for a general delegation)
    // for any topic someone delegates on?
    let mut topics: BTreeSet<String> = BTreeSet::from([topic.clone()]);
    if topic == TOPIC_ALL {
        topics.extend(state.association.delegations.keys().map(|(_, t)| t.clone()));
    }
    for t in &topics {
        let mut at = to;
        let mut depth = 1;
        while let Some(n) = next(state, &at, Some(t)) {
            if n == from {
                return reject(
                    RejectionCode::DelegationCycle,
                    format!("that delegation would close a cycle back to you (topic `{t}`)"),
                );
            }
            depth += 1;
            if depth >= DELEGATION_DEPTH_MAX {
                return reject(
                    RejectionCode::DelegationTooDeep,
                    format!("the chain would be longer than {DELEGATION_DEPTH_MAX} steps"),
                );
            }
            at = n;
        }
    }
    let held = state
        .association
        .delegations
        .range((from, String::new())..)
        .take_while(|((k, _), _)| *k == from)
        .count();
    let key = (from, topic);
    if held >= DELEGATIONS_PER_KEY_MAX && !state.association.delegations.contains_key(&key) {
        return limit_reached("delegations per key", DELEGATIONS_PER_KEY_MAX);
    }
    state.association.delegations.insert(key, to);
    let mut applied = Applied::default();
    applied.touch(RowKey::Delegations(from));
    Ok(applied)
}

pub(crate) fn revoke(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let from = identity(state, &input.event.header.author);
    let mut reader = BodyReader::new(REVOKE, input.body)?;
    let topic = topic_of(state, &mut reader)?;
    reader.finish()?;
    if state
        .association
        .delegations
        .remove(&(from, topic))
        .is_none()
    {
        return reject(
            RejectionCode::DelegationUnknown,
            "you hold no delegation on that topic",
        );
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Delegations(from));
    Ok(applied)
}
