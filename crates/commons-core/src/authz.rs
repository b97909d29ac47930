//! The one answer to "may this key submit this kind of event in this commons?".
//!
//! [`apply`](crate::apply) asks it before any kind's rule runs, and the node, the web UI
//! and the CLI ask it before they offer or sign an action, so the three always agree.
//! What a kind's rule checks beyond standing (a body, a proposal's status) stays with
//! the rule.

use crate::production::{self, areas};
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{agents, association, governance, network};
use commons_ledger::AuthorKey;

/// Who may submit a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Any key in good standing.
    Anyone,
    /// One of the commons' maintainers.
    Maintainer,
    /// The commons' sequencer key.
    Sequencer,
    /// Nobody inside an existing commons: the kind starts one (the node's policy decides
    /// who may create a commons).
    Founder,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Anyone => "anyone",
            Role::Maintainer => "maintainer",
            Role::Sequencer => "sequencer",
            Role::Founder => "founder",
        }
    }
}

/// The role each known kind needs; `None` for a kind this version does not know.
pub fn required_role(kind: &str) -> Option<Role> {
    Some(match kind {
        network::GENESIS => Role::Founder,
        network::TICK | network::EQUIVOCATION => Role::Sequencer,
        agents::PROFILE | agents::ROTATE => Role::Anyone,
        governance::UPDATE | governance::APPROVE => Role::Maintainer,
        // Creating an area is the commons' maintainers' call; every other peer-production
        // kind is open to anyone, and the rule checks standing in the area itself
        // (`not_area_maintainer`).
        areas::CREATE => Role::Maintainer,
        kind if production::KINDS.contains(&kind) => Role::Anyone,
        // The first statutes are the commons' maintainers' to adopt; everything else in the
        // association is open to anyone, and each rule checks membership, eligibility and
        // the statutes' decision rules itself.
        association::statutes::ADOPT => Role::Maintainer,
        kind if association::KINDS.contains(&kind) => Role::Anyone,
        // Money is the statutes' treasurers' to move; each rule checks that itself
        // (`not_treasurer`), since the role lives in the statutes.
        kind if crate::value::KINDS.contains(&kind) => Role::Anyone,
        _ => return None,
    })
}

/// Whether `author` may submit an event of `kind` in the commons whose state is `state`:
/// the kind is known, the key is neither frozen nor rotated away, and it holds the role
/// the kind needs. The refusal carries the stable code the ledger would give.
pub fn authorize(state: &State, author: &AuthorKey, kind: &str) -> Result<(), Rejection> {
    let Some(role) = required_role(kind) else {
        return reject(RejectionCode::UnknownKind, format!("unknown kind `{kind}`"));
    };
    if state.frozen.contains_key(author) {
        return reject(
            RejectionCode::AuthorFrozen,
            "this author equivocated and is frozen until governance acts",
        );
    }
    if state
        .agents
        .get(author)
        .is_some_and(|agent| agent.rotated_to.is_some())
    {
        return reject(RejectionCode::KeyRevoked, "this key was rotated away");
    }
    match role {
        Role::Anyone => Ok(()),
        Role::Maintainer if state.is_maintainer(author) => Ok(()),
        Role::Maintainer => reject(
            RejectionCode::NotAuthorised,
            format!("only a maintainer may submit {kind}"),
        ),
        Role::Sequencer if *author == state.governance.sequencer => Ok(()),
        Role::Sequencer => reject(
            RejectionCode::NotAuthorised,
            format!("only the commons' sequencer submits {kind}"),
        ),
        Role::Founder => reject(
            RejectionCode::GenesisInvalid,
            "a commons has exactly one genesis",
        ),
    }
}
