//! The state of one commons: what the fold of its ledger has produced so far.
//!
//! Everything here is ordered (`BTreeMap`, sorted vectors) so that equal ledgers give
//! equal states, equal projection rows and equal bytes.

use commons_ledger::{AuthorKey, CommonsId, EventId};
use std::collections::{BTreeMap, BTreeSet};

/// Most maintainers a commons may name.
pub const MAINTAINERS_MAX: usize = 64;
/// Most governance proposals open at once; more would let one maintainer flood the others.
pub const OPEN_PROPOSALS_MAX: usize = 64;

/// The parent checkpoint a fork starts from (spec §9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkParent {
    pub commons: CommonsId,
    pub size: u64,
    pub root: [u8; 32],
    pub checkpoint: String,
}

/// Who governs the commons and how (spec §9, changed by `gov.update`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Governance {
    pub name: String,
    pub maintainers: Vec<AuthorKey>,
    /// Approvals needed to change governance.
    pub threshold: u64,
    pub sequencer: AuthorKey,
    pub licence: String,
    pub parent: Option<ForkParent>,
    /// Incremented by every change that takes effect; proposals made under an older
    /// version are stale.
    pub version: u64,
}

/// A public person or organisation, as its keys present it. No personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    /// The first key the agent used: its stable identity across rotations.
    pub identity: AuthorKey,
    pub name: Option<String>,
    pub kind: Option<AgentKind>,
    /// Set once this key was rotated away; the key may sign nothing more.
    pub rotated_to: Option<AuthorKey>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AgentKind {
    Person,
    Organisation,
}

impl AgentKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            AgentKind::Person => "person",
            AgentKind::Organisation => "organisation",
        }
    }

    pub fn parse(text: &str) -> Option<AgentKind> {
        match text {
            "person" => Some(AgentKind::Person),
            "organisation" => Some(AgentKind::Organisation),
            _ => None,
        }
    }
}

/// The head of one author's chain in this commons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: u64,
    pub id: EventId,
}

/// A requested change of governance; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GovernanceChange {
    pub name: Option<String>,
    pub maintainers: Option<Vec<AuthorKey>>,
    pub threshold: Option<u64>,
    pub sequencer: Option<AuthorKey>,
    pub licence: Option<String>,
    /// Authors frozen for equivocation that governance lets write again.
    pub unfreeze: Vec<AuthorKey>,
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalStatus {
    Open,
    /// Took effect at this ledger index.
    Applied(u64),
    /// Another change took effect first; this one can no longer be approved.
    Stale,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub proposer: AuthorKey,
    pub index: u64,
    pub governance_version: u64,
    pub change: GovernanceChange,
    pub approvals: BTreeSet<AuthorKey>,
    pub status: ProposalStatus,
}

/// An author frozen for equivocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frozen {
    /// Ledger index of the `evidence.equivocation` event.
    pub evidence_index: u64,
    pub seq: u64,
}

/// The folded state of one commons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub commons: CommonsId,
    /// Number of ledger entries folded so far (the next index).
    pub size: u64,
    /// Ledger time in milliseconds, from the latest `ledger.tick`.
    pub time_ms: u64,
    pub governance: Governance,
    pub agents: BTreeMap<AuthorKey, Agent>,
    pub chains: BTreeMap<AuthorKey, ChainHead>,
    pub proposals: BTreeMap<EventId, Proposal>,
    pub frozen: BTreeMap<AuthorKey, Frozen>,
    /// Areas, tasks, contributions, artifacts and threads.
    pub production: crate::production::Production,
    /// The for-benefit association: statutes, members, polls, delegations.
    pub association: crate::association::Association,
    /// Value sharing: the books, income, the value equation, distributions.
    pub economy: crate::value::Economy,
}

impl State {
    /// The person a key belongs to: the identity its chain of rotations started from (the
    /// key itself when it never rotated), so that roles and rights follow people.
    pub fn identity_of(&self, key: &AuthorKey) -> AuthorKey {
        self.agents.get(key).map_or(*key, |a| a.identity)
    }

    pub fn is_maintainer(&self, key: &AuthorKey) -> bool {
        self.governance.maintainers.contains(key)
    }

    pub fn n_open_proposals(&self) -> usize {
        self.proposals
            .values()
            .filter(|p| p.status == ProposalStatus::Open)
            .count()
    }

    /// The earliest ledger time at which a rule waits to act: a lazy-consensus window, a
    /// poll or budgeting round closing, a suspension or a board term ending. A sequencer
    /// ticks once it has come, so time-bound decisions settle without waiting for the
    /// next event.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        let association = &self.association;
        [
            self.production.lazy_queue.first().map(|(d, _)| *d),
            association.open_polls.first().map(|(d, _)| *d),
            association.budgets.open_rounds.first().map(|(d, _)| *d),
            association.suspensions.first().map(|(d, _)| *d),
            (!association.board.is_empty()).then_some(association.board_until_ms),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The display name an author published, if any.
    pub fn display_name(&self, key: &AuthorKey) -> Option<&str> {
        self.agents.get(key).and_then(|a| a.name.as_deref())
    }
}
