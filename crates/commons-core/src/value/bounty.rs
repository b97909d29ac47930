//! Bounties: money pledged on a task, held in escrow until the task closes.
//!
//! `bounty.fund` (a treasurer) records that a pledge's money arrived: it moves from
//! `income:bounty` into the task's escrow, with what happens if the task closes
//! unresolved — `refund` (owed back to the pledger, who must have a key) or `treasury`.
//! The event that closes the task settles every bounty on it in the same step: when an
//! accepted contribution resolves the task, the escrow goes to that contribution's
//! co-authors by their shares (split by `commons_value::apportion`, so it adds up to the
//! cent) as amounts owed to them; when a maintainer closes it unresolved, each bounty is
//! refunded or given to the treasury as it said. Payouts are then settled with
//! `money.payout` as for distributions.

use super::equation::Beneficiary;
use super::money::{Account, IncomeKind, Transfer};
use super::{REFERENCE_LEN_MAX, read_amount, read_currency, require_treasurer, touch_lines};
use crate::body::BodyReader;
use crate::production::TaskStatus;
use crate::projection::RowKey;
use crate::rejection::Rejection;
use crate::rejection::{RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::{AuthorKey, EventId};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const FUND: &str = "bounty.fund";

/// Most bounties on one task.
pub const BOUNTIES_PER_TASK_MAX: usize = 64;
/// Most bounties a commons keeps.
pub const BOUNTIES_MAX: usize = 1_000_000;

/// What happens to a bounty when its task closes unresolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unresolved {
    Refund,
    Treasury,
}

impl Unresolved {
    pub fn as_str(&self) -> &'static str {
        match self {
            Unresolved::Refund => "refund",
            Unresolved::Treasury => "treasury",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BountyState {
    Escrowed,
    /// Paid to the resolving contribution's co-authors: who got how much.
    Released {
        contribution: EventId,
        shares: Vec<(AuthorKey, u64)>,
        index: u64,
    },
    Refunded {
        index: u64,
    },
    ToTreasury {
        index: u64,
    },
}

impl BountyState {
    pub fn as_str(&self) -> &'static str {
        match self {
            BountyState::Escrowed => "escrowed",
            BountyState::Released { .. } => "released",
            BountyState::Refunded { .. } => "refunded",
            BountyState::ToTreasury { .. } => "to_treasury",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounty {
    pub id: EventId,
    pub task: EventId,
    pub by: AuthorKey,
    pub index: u64,
    pub pledger: Option<AuthorKey>,
    pub source: String,
    pub reference: String,
    pub amount: u64,
    pub currency: String,
    pub unresolved: Unresolved,
    pub state: BountyState,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bounties {
    pub bounties: BTreeMap<EventId, Bounty>,
    /// Bounties still in escrow, by task.
    pub escrowed: BTreeMap<EventId, Vec<EventId>>,
}

impl Bounties {
    /// Refuses a new bounty on `task` past the commons' or the task's limit.
    fn room_on(&self, task: &EventId) -> Result<(), Rejection> {
        if self.bounties.len() >= BOUNTIES_MAX {
            return crate::production::limit_reached("bounties", BOUNTIES_MAX);
        }
        if self.escrowed.get(task).map_or(0, Vec::len) >= BOUNTIES_PER_TASK_MAX {
            return crate::production::limit_reached("bounties on a task", BOUNTIES_PER_TASK_MAX);
        }
        Ok(())
    }

    /// Keeps a bounty whose money is in its task's escrow.
    fn escrow(&mut self, bounty: Bounty) {
        self.escrowed
            .entry(bounty.task)
            .or_default()
            .push(bounty.id);
        self.bounties.insert(bounty.id, bounty);
    }
}

/// `bounty.fund`: a treasurer records a pledge's money arriving into a task's escrow.
pub(crate) fn fund(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    require_treasurer(state, &input.event.header.author, "fund a bounty")?;
    let amount = read_amount(FUND, input.body, "amount")?;
    let mut reader = BodyReader::new(FUND, input.body)?;
    reader.require_key("amount")?;
    let task = reader.event_id("task")?;
    let currency = read_currency(&mut reader, FUND)?;
    let pledger = reader.optional_key("pledger")?;
    let source = reader.text("source", 1, REFERENCE_LEN_MAX)?;
    let reference = reader.text("reference", 1, REFERENCE_LEN_MAX)?;
    let unresolved = match reader.text("unresolved", 1, 16)?.as_str() {
        "refund" => Unresolved::Refund,
        "treasury" => Unresolved::Treasury,
        _ => {
            return reject(
                RejectionCode::BodyInvalid,
                format!("{FUND}: `unresolved` is refund or treasury"),
            );
        }
    };
    reader.finish()?;
    if unresolved == Unresolved::Refund && pledger.is_none() {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{FUND}: a refund goes to the `pledger`, who must be named by key"),
        );
    }
    match state.production.tasks.get(&task) {
        None => return reject(RejectionCode::TaskUnknown, "no task has that id"),
        Some(t) if !t.is_open() => {
            return reject(RejectionCode::TaskClosed, "the task is closed");
        }
        Some(_) => {}
    }
    state.economy.bounties.room_on(&task)?;
    let id = input.event.id;
    super::post(
        state,
        input,
        vec![Transfer {
            from: Account::Income(IncomeKind::Bounty),
            to: Account::Escrow(task),
            amount,
            currency: currency.clone(),
        }],
        FUND,
    )?;
    state.economy.bounties.escrow(Bounty {
        id,
        task,
        by: input.event.header.author,
        index: input.index,
        pledger,
        source,
        reference,
        amount,
        currency,
        unresolved,
        state: BountyState::Escrowed,
    });
    let mut applied = Applied::default();
    touch_lines(state, &id, &mut applied);
    applied.touch(RowKey::Bounty(id));
    Ok(applied)
}

/// Whether a quadratic match may still be added to the task's escrow: the task is open
/// and neither the task's nor the commons' bounty limit is reached (otherwise the match
/// stays in the treasury).
pub(crate) fn can_match(state: &State, task: &EventId) -> bool {
    state
        .production
        .tasks
        .get(task)
        .is_some_and(|t| t.is_open())
        && state.economy.bounties.room_on(task).is_ok()
}

/// The id of the bounty a distribution's quadratic match adds to a task: SHA-256 of
/// `commons/match`, the distribution's id and the task's id (no event has it).
pub fn match_id(distribution: &EventId, task: &EventId) -> EventId {
    let mut hasher = Sha256::new();
    hasher.update(b"commons/match");
    hasher.update(distribution.0);
    hasher.update(task.0);
    EventId(hasher.finalize().into())
}

/// Records a quadratic match the execution of `distribution` moved into the task's
/// escrow, as a bounty that goes to the treasury if the task closes unresolved.
pub(crate) fn record_match(
    state: &mut State,
    input: &Input<'_>,
    distribution: &EventId,
    task: EventId,
    amount: u64,
    currency: &str,
) -> EventId {
    let id = match_id(distribution, &task);
    state.economy.bounties.escrow(Bounty {
        id,
        task,
        by: input.event.header.author,
        index: input.index,
        pledger: None,
        source: "quadratic match".to_owned(),
        reference: distribution.to_hex(),
        amount,
        currency: currency.to_owned(),
        unresolved: Unresolved::Treasury,
        state: BountyState::Escrowed,
    });
    id
}

/// Settles the bounties on every task the event closed (the tasks it touched that are no
/// longer open). Runs after a production event is applied.
pub(crate) fn settle(state: &mut State, input: &Input<'_>, applied: &mut Applied) {
    if state.economy.bounties.escrowed.is_empty() {
        return;
    }
    let closed: Vec<EventId> = applied
        .touched
        .iter()
        .filter_map(|k| match k {
            RowKey::Task(id) => Some(*id),
            _ => None,
        })
        .filter(|id| state.economy.bounties.escrowed.contains_key(id))
        .filter(|id| state.production.tasks.get(id).is_some_and(|t| !t.is_open()))
        .collect();
    for task in closed {
        let Some(ids) = state.economy.bounties.escrowed.remove(&task) else {
            continue;
        };
        for id in ids {
            settle_one(state, input, &task, &id, applied);
        }
    }
}

fn settle_one(
    state: &mut State,
    input: &Input<'_>,
    task: &EventId,
    id: &EventId,
    applied: &mut Applied,
) {
    let Some(bounty) = state.economy.bounties.bounties.get(id) else {
        return;
    };
    let status = state.production.tasks.get(task).map(|t| t.status.clone());
    let escrow = Account::Escrow(*task);
    let currency = bounty.currency.clone();
    let transfer = |to: Account, amount: u64| Transfer {
        from: escrow.clone(),
        to,
        amount,
        currency: currency.clone(),
    };
    let (transfers, next) = match status {
        Some(TaskStatus::Resolved { contribution, .. })
            if !co_author_shares(state, &contribution, bounty.amount).is_empty() =>
        {
            let shares = co_author_shares(state, &contribution, bounty.amount);
            (
                shares
                    .iter()
                    .filter(|(_, a)| *a > 0)
                    .map(|(k, a)| transfer(Account::Owed(*k), *a))
                    .collect(),
                BountyState::Released {
                    contribution,
                    shares,
                    index: input.index,
                },
            )
        }
        _ => match (bounty.unresolved, bounty.pledger) {
            (Unresolved::Refund, Some(pledger)) => (
                vec![transfer(Account::Owed(pledger), bounty.amount)],
                BountyState::Refunded { index: input.index },
            ),
            _ => (
                vec![transfer(Account::Treasury, bounty.amount)],
                BountyState::ToTreasury { index: input.index },
            ),
        },
    };
    let posted = super::post(state, input, transfers, "bounty.settle");
    if posted.is_err() {
        // Only the journal's size limit can refuse a settlement; the bounty stays in
        // escrow, visibly, rather than vanish.
        state
            .economy
            .bounties
            .escrowed
            .entry(*task)
            .or_default()
            .push(*id);
        return;
    }
    if let Some(b) = state.economy.bounties.bounties.get_mut(id) {
        b.state = next;
    }
    touch_lines(state, &input.event.id, applied);
    applied.touch(RowKey::Bounty(*id));
}

/// The bounty's split among the resolving contribution's co-authors by their shares (the
/// submitter alone when it names no co-authors).
fn co_author_shares(state: &State, contribution: &EventId, amount: u64) -> Vec<(AuthorKey, u64)> {
    let Some(c) = state.production.contributions.get(contribution) else {
        return Vec::new();
    };
    let weights: BTreeMap<Beneficiary, u64> = if c.authors.is_empty() {
        BTreeMap::from([(Beneficiary::Person(c.author), 1)])
    } else {
        let mut w = BTreeMap::new();
        for (k, share) in &c.authors {
            *w.entry(Beneficiary::Person(*k)).or_insert(0u64) += share;
        }
        w
    };
    super::distribution::split(amount, &weights)
        .into_iter()
        .filter_map(|s| match s.to {
            Beneficiary::Person(k) => Some((k, s.amount)),
            Beneficiary::Upstream(_) | Beneficiary::Task(_) => None,
        })
        .collect()
}
