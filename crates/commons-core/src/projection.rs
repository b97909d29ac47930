//! Projection rows: the state rendered as `(table, key) -> value` rows that the node writes
//! in the same transaction as the events that changed them.
//!
//! Values are deterministic CBOR, so a rebuild from the ledger can be compared with the
//! stored rows byte for byte. [`State::rows`] renders everything; [`State::row`] renders
//! one touched row (or its deletion) after an event.

use crate::state::{Agent, ChainHead, Frozen, Proposal, ProposalStatus, State};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};

pub const TABLE_COMMONS: &str = "commons";
pub const TABLE_CLOCK: &str = "clock";
pub const TABLE_AGENT: &str = "agent";
pub const TABLE_CHAIN: &str = "chain";
pub const TABLE_PROPOSAL: &str = "proposal";
pub const TABLE_FROZEN: &str = "frozen";
pub const TABLE_AREA: &str = "area";
pub const TABLE_NOMINATION: &str = "nomination";
pub const TABLE_TASK: &str = "task";
pub const TABLE_CONTRIBUTION: &str = "contribution";
pub const TABLE_ARTIFACT: &str = "artifact";
pub const TABLE_POST: &str = "post";
pub const TABLE_RECORD: &str = "record";
pub const TABLE_ASSOCIATION: &str = "association";
pub const TABLE_MEMBER: &str = "member";
pub const TABLE_APPLICATION: &str = "application";
pub const TABLE_POLL: &str = "poll";
pub const TABLE_BALLOT: &str = "ballot";
pub const TABLE_DELEGATION: &str = "delegation";
pub const TABLE_ROUND: &str = "budget_round";
pub const TABLE_BUDGET_PROJECT: &str = "budget_project";
pub const TABLE_MONEY_EVENT: &str = "money_event";
pub const TABLE_BALANCE: &str = "balance";
pub const TABLE_INCOME: &str = "income";
pub const TABLE_EQUATIONS: &str = "equations";
pub const TABLE_DISTRIBUTION: &str = "distribution";
pub const TABLE_EXPENSE: &str = "expense";
pub const TABLE_BOUNTY: &str = "bounty";
pub const TABLE_AWARD: &str = "award";
pub const TABLE_CIRCLE: &str = "circle";
pub const TABLE_EXPENSE_POLICIES: &str = "expense_policies";
pub const TABLE_CLAIM: &str = "claim";

/// Which projection row an event touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKey {
    Commons,
    Clock,
    Agent(AuthorKey),
    Chain(AuthorKey),
    Proposal(EventId),
    Frozen(AuthorKey),
    Area(EventId),
    Nomination(EventId),
    Task(EventId),
    Contribution(EventId),
    Artifact(EventId),
    Post(EventId),
    Record(AuthorKey),
    Association,
    Member(AuthorKey),
    Application(EventId),
    Poll(EventId),
    /// One cast ballot, by the id of its `poll.vote` event.
    Ballot(EventId),
    /// One key's delegations, every topic.
    Delegations(AuthorKey),
    /// A participatory budgeting round.
    Round(EventId),
    BudgetProject(EventId),
    /// The money lines one event wrote.
    MoneyEvent(EventId),
    /// Every account's balance in one currency (its code, zero-padded).
    Balances([u8; crate::value::CURRENCY_LEN_MAX]),
    Income(EventId),
    /// Every adopted value equation.
    Equations,
    Distribution(EventId),
    Expense(EventId),
    Bounty(EventId),
    Award(EventId),
    /// A claim on future distributions.
    Claim(EventId),
    /// A GIVE circle with its members' allocations.
    Circle(EventId),
    /// Every budget line's expense policy.
    ExpensePolicies,
}

/// One projection row; `value` is `None` when the row no longer exists.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    pub table: &'static str,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

pub(crate) fn key_value(key: &AuthorKey) -> Value {
    Value::bytes(key.to_bytes().to_vec())
}

pub(crate) fn opt_text(text: &Option<String>) -> Value {
    text.as_ref()
        .map_or(Value::Null, |t| Value::text(t.clone()))
}

pub(crate) fn keys_value(keys: impl IntoIterator<Item = AuthorKey>) -> Value {
    Value::Array(keys.into_iter().map(|k| key_value(&k)).collect())
}

impl RowKey {
    pub fn table(&self) -> &'static str {
        match self {
            RowKey::Commons => TABLE_COMMONS,
            RowKey::Clock => TABLE_CLOCK,
            RowKey::Agent(_) => TABLE_AGENT,
            RowKey::Chain(_) => TABLE_CHAIN,
            RowKey::Proposal(_) => TABLE_PROPOSAL,
            RowKey::Frozen(_) => TABLE_FROZEN,
            RowKey::Area(_) => TABLE_AREA,
            RowKey::Nomination(_) => TABLE_NOMINATION,
            RowKey::Task(_) => TABLE_TASK,
            RowKey::Contribution(_) => TABLE_CONTRIBUTION,
            RowKey::Artifact(_) => TABLE_ARTIFACT,
            RowKey::Post(_) => TABLE_POST,
            RowKey::Record(_) => TABLE_RECORD,
            RowKey::Association => TABLE_ASSOCIATION,
            RowKey::Member(_) => TABLE_MEMBER,
            RowKey::Application(_) => TABLE_APPLICATION,
            RowKey::Poll(_) => TABLE_POLL,
            RowKey::Ballot(_) => TABLE_BALLOT,
            RowKey::Delegations(_) => TABLE_DELEGATION,
            RowKey::Round(_) => TABLE_ROUND,
            RowKey::BudgetProject(_) => TABLE_BUDGET_PROJECT,
            RowKey::MoneyEvent(_) => TABLE_MONEY_EVENT,
            RowKey::Balances(_) => TABLE_BALANCE,
            RowKey::Income(_) => TABLE_INCOME,
            RowKey::Equations => TABLE_EQUATIONS,
            RowKey::Distribution(_) => TABLE_DISTRIBUTION,
            RowKey::Expense(_) => TABLE_EXPENSE,
            RowKey::Bounty(_) => TABLE_BOUNTY,
            RowKey::Award(_) => TABLE_AWARD,
            RowKey::Claim(_) => TABLE_CLAIM,
            RowKey::Circle(_) => TABLE_CIRCLE,
            RowKey::ExpensePolicies => TABLE_EXPENSE_POLICIES,
        }
    }

    pub fn key_bytes(&self) -> Vec<u8> {
        match self {
            RowKey::Commons
            | RowKey::Clock
            | RowKey::Association
            | RowKey::Equations
            | RowKey::ExpensePolicies => Vec::new(),
            RowKey::Balances(code) => crate::value::code_text(code).as_bytes().to_vec(),
            RowKey::Agent(k)
            | RowKey::Chain(k)
            | RowKey::Frozen(k)
            | RowKey::Record(k)
            | RowKey::Member(k)
            | RowKey::Delegations(k) => k.to_bytes().to_vec(),
            RowKey::Proposal(id)
            | RowKey::Area(id)
            | RowKey::Nomination(id)
            | RowKey::Task(id)
            | RowKey::Contribution(id)
            | RowKey::Artifact(id)
            | RowKey::Post(id)
            | RowKey::Application(id)
            | RowKey::Poll(id)
            | RowKey::Ballot(id)
            | RowKey::Round(id)
            | RowKey::BudgetProject(id)
            | RowKey::MoneyEvent(id)
            | RowKey::Income(id)
            | RowKey::Distribution(id)
            | RowKey::Expense(id)
            | RowKey::Bounty(id)
            | RowKey::Award(id)
            | RowKey::Claim(id) => id.0.to_vec(),
            RowKey::Circle(id) => id.0.to_vec(),
        }
    }
}

impl State {
    /// The current value of one row, or its absence.
    pub fn row(&self, key: &RowKey) -> Row {
        let value = match key {
            RowKey::Commons => Some(self.commons_value()),
            RowKey::Clock => Some(Value::text_map([("time", Value::Unsigned(self.time_ms))])),
            RowKey::Agent(k) => self.agents.get(k).map(agent_value),
            RowKey::Chain(k) => self.chains.get(k).map(chain_value),
            RowKey::Proposal(id) => self.proposals.get(id).map(proposal_value),
            RowKey::Frozen(k) => self.frozen.get(k).map(frozen_value),
            RowKey::Association
            | RowKey::Member(_)
            | RowKey::Application(_)
            | RowKey::Poll(_)
            | RowKey::Ballot(_)
            | RowKey::Delegations(_)
            | RowKey::Round(_)
            | RowKey::BudgetProject(_) => crate::association::rows::value(self, key),
            RowKey::MoneyEvent(_)
            | RowKey::Balances(_)
            | RowKey::Income(_)
            | RowKey::Equations
            | RowKey::Distribution(_)
            | RowKey::Expense(_)
            | RowKey::Bounty(_)
            | RowKey::Award(_)
            | RowKey::Claim(_)
            | RowKey::Circle(_)
            | RowKey::ExpensePolicies => crate::value::rows::value(self, key),
            other => crate::production::rows::value(self, other),
        };
        Row {
            table: key.table(),
            key: key.key_bytes(),
            value: value.map(|v| v.encode()),
        }
    }

    /// Every row of the state, sorted by `(table, key)`.
    pub fn rows(&self) -> Vec<Row> {
        let mut keys = vec![RowKey::Commons, RowKey::Clock];
        keys.extend(self.agents.keys().map(|k| RowKey::Agent(*k)));
        keys.extend(self.chains.keys().map(|k| RowKey::Chain(*k)));
        keys.extend(self.proposals.keys().map(|id| RowKey::Proposal(*id)));
        keys.extend(self.frozen.keys().map(|k| RowKey::Frozen(*k)));
        crate::production::rows::keys(self, &mut keys);
        crate::association::rows::keys(self, &mut keys);
        crate::value::rows::keys(self, &mut keys);
        let mut rows: Vec<Row> = keys.iter().map(|k| self.row(k)).collect();
        rows.sort();
        rows
    }

    fn commons_value(&self) -> Value {
        let g = &self.governance;
        let parent = g.parent.as_ref().map_or(Value::Null, |p| {
            Value::text_map([
                ("commons", Value::bytes(p.commons.0.to_vec())),
                ("size", Value::Unsigned(p.size)),
                ("root", Value::bytes(p.root.to_vec())),
                ("checkpoint", Value::text(p.checkpoint.clone())),
            ])
        });
        Value::text_map([
            ("id", Value::bytes(self.commons.0.to_vec())),
            ("name", Value::text(g.name.clone())),
            ("maintainers", keys_value(g.maintainers.iter().copied())),
            ("threshold", Value::Unsigned(g.threshold)),
            ("sequencer", key_value(&g.sequencer)),
            ("licence", Value::text(g.licence.clone())),
            ("parent", parent),
            ("version", Value::Unsigned(g.version)),
        ])
    }
}

fn agent_value(agent: &Agent) -> Value {
    Value::text_map([
        ("identity", key_value(&agent.identity)),
        ("name", opt_text(&agent.name)),
        (
            "kind",
            agent.kind.map_or(Value::Null, |k| Value::text(k.as_str())),
        ),
        (
            "rotated_to",
            agent.rotated_to.as_ref().map_or(Value::Null, key_value),
        ),
    ])
}

fn chain_value(head: &ChainHead) -> Value {
    Value::text_map([
        ("seq", Value::Unsigned(head.seq)),
        ("id", Value::bytes(head.id.0.to_vec())),
    ])
}

fn proposal_value(proposal: &Proposal) -> Value {
    let status = match proposal.status {
        ProposalStatus::Open => Value::text("open"),
        ProposalStatus::Applied(index) => Value::text_map([("applied", Value::Unsigned(index))]),
        ProposalStatus::Stale => Value::text("stale"),
    };
    let change = &proposal.change;
    Value::text_map([
        ("proposer", key_value(&proposal.proposer)),
        ("index", Value::Unsigned(proposal.index)),
        (
            "governance_version",
            Value::Unsigned(proposal.governance_version),
        ),
        ("approvals", keys_value(proposal.approvals.iter().copied())),
        ("status", status),
        ("name", opt_text(&change.name)),
        (
            "maintainers",
            change
                .maintainers
                .as_ref()
                .map_or(Value::Null, |m| keys_value(m.iter().copied())),
        ),
        (
            "threshold",
            change.threshold.map_or(Value::Null, Value::Unsigned),
        ),
        (
            "sequencer",
            change.sequencer.as_ref().map_or(Value::Null, key_value),
        ),
        ("licence", opt_text(&change.licence)),
        ("unfreeze", keys_value(change.unfreeze.iter().copied())),
        ("reason", opt_text(&change.reason)),
    ])
}

fn frozen_value(frozen: &Frozen) -> Value {
    Value::text_map([
        ("evidence_index", Value::Unsigned(frozen.evidence_index)),
        ("seq", Value::Unsigned(frozen.seq)),
    ])
}
