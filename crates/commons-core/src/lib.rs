//! The pure rules of a commons and the deterministic fold of its ledger.
//!
//! `genesis` starts a state from a `commons.genesis` event; `apply` folds one more
//! event into it, or refuses it with a [`Rejection`] and leaves the state untouched.
//! There is no IO, no clock and no randomness here: time comes from `ledger.tick`
//! events, so any two programs folding the same ledger reach the same state.
//!
//! Rules are grouped by the areas of DESIGN.md's map; each area module handles the
//! kinds under its prefix:
//!
//! | module | kinds |
//! |---|---|
//! | [`network`] | `commons.genesis`, `ledger.tick`, `evidence.equivocation` |
//! | [`agents`] | `agent.profile`, `agent.rotate` |
//! | [`governance`] | `gov.update`, `gov.approve` |
//! | [`production`] | `area.*`, `task.*`, `contrib.*`, `thread.*` |
//! | [`association`] | `assoc.*`, `member.*`, `poll.*`, `delegate.*`, `budget.*` |
//! | [`value`] | `money.*`, `value.equation`, `dist.*` |
//!
//! Who may submit which kind is answered in one place, [`authz::authorize`], which `apply`
//! asks first and the node, web and CLI ask before they act.

pub mod agents;
pub mod association;
pub mod authz;
pub mod body;
pub mod fork;
pub mod governance;
pub mod network;
pub mod production;
pub mod projection;
pub mod rejection;
pub mod state;
pub mod value;

pub use projection::{Row, RowKey};
pub use rejection::{Rejection, RejectionCode};
pub use state::State;

use commons_ledger::Event;
use commons_ledger::cbor::Value;
use rejection::reject;
use state::ChainHead;
use std::collections::BTreeSet;

/// What folding one event changed: the projection rows to rewrite.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub touched: BTreeSet<RowKey>,
}

impl Applied {
    pub(crate) fn touch(&mut self, key: RowKey) {
        self.touched.insert(key);
    }
}

/// Every kind this version of core understands, for documentation and the API.
pub fn known_kinds() -> impl Iterator<Item = &'static str> {
    [
        network::GENESIS,
        network::TICK,
        network::EQUIVOCATION,
        agents::PROFILE,
        agents::ROTATE,
        governance::UPDATE,
        governance::APPROVE,
    ]
    .into_iter()
    .chain(production::KINDS.iter().copied())
    .chain(association::KINDS.iter().copied())
    .chain(value::KINDS.iter().copied())
}

/// Starts the state of a new commons from its genesis event at ledger `index` (0, or the
/// parent's size for a fork).
pub fn genesis(event: &Event, index: u64) -> Result<(State, Applied), Rejection> {
    network::genesis(event, index)
}

/// Folds `event`, which the node places at ledger `index`, into `state`. On rejection the
/// state is unchanged.
pub fn apply(state: &mut State, event: &Event, index: u64) -> Result<Applied, Rejection> {
    assert_eq!(index, state.size, "events are folded in ledger order");
    let author = event.header.author;
    if event.commons_id() != state.commons {
        return reject(
            RejectionCode::WrongCommons,
            "the event names another commons",
        );
    }
    authz::authorize(state, &author, event.header.kind.as_str())?;
    let head = state.chains.get(&author).copied();
    let expected_seq = head.map_or(0, |h| h.seq + 1);
    if event.header.seq != expected_seq || event.header.prev != head.map(|h| h.id) {
        return reject(
            RejectionCode::ChainBroken,
            format!(
                "the author's next event must have seq {expected_seq} and name the previous one"
            ),
        );
    }
    let Some(body) = event.body_value() else {
        return reject(
            RejectionCode::BodyMissing,
            "the body is needed to apply the event",
        );
    };
    let input = Input {
        event,
        body: &body,
        index,
    };
    let mut applied = match event.header.kind.as_str() {
        network::TICK => {
            let mut applied = network::tick(state, &input)?;
            production::on_tick(state, &input, &mut applied);
            association::on_tick(state, &input, &mut applied);
            applied
        }
        network::EQUIVOCATION => network::equivocation(state, &input)?,
        agents::PROFILE => agents::profile(state, &input)?,
        agents::ROTATE => agents::rotate(state, &input)?,
        governance::UPDATE => governance::update(state, &input)?,
        governance::APPROVE => governance::approve(state, &input)?,
        other => {
            let mut applied = match production::apply(state, &input)
                .or_else(|| association::apply(state, &input))
                .or_else(|| value::apply(state, &input))
            {
                Some(result) => result?,
                None => {
                    return reject(
                        RejectionCode::UnknownKind,
                        format!("unknown kind `{other}`"),
                    );
                }
            };
            // A task the event closed releases, refunds or returns its bounties.
            value::bounty::settle(state, &input, &mut applied);
            applied
        }
    };
    state.chains.insert(
        author,
        ChainHead {
            seq: event.header.seq,
            id: event.id,
        },
    );
    applied.touch(RowKey::Chain(author));
    state.size = index + 1;
    Ok(applied)
}

/// Folds a whole ledger from its genesis. Returns the state and, on the first refused
/// event, its index and rejection. A fork's ledger folds through: the parent's genesis
/// at 0, the parent's events, then the fork's genesis at the fork's size ([`fork::fork`]).
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Result<State, (u64, Rejection)> {
    let mut events = events.into_iter();
    let Some(first) = events.next() else {
        return Err((
            0,
            Rejection::new(RejectionCode::GenesisInvalid, "the ledger is empty"),
        ));
    };
    let (mut state, _) = genesis(first, 0).map_err(|r| (0, r))?;
    for (offset, event) in events.enumerate() {
        let index = offset as u64 + 1;
        if event.header.commons.is_none() {
            state = fork::fork(&state, event, index).map_err(|r| (index, r))?;
            continue;
        }
        apply(&mut state, event, index).map_err(|r| (index, r))?;
    }
    Ok(state)
}

/// One event being folded, with its decoded body and ledger index.
pub struct Input<'a> {
    pub event: &'a Event,
    pub body: &'a Value,
    pub index: u64,
}

#[cfg(test)]
mod test_world;
#[cfg(test)]
mod tests;
