//! The books of a commons: a double-entry ledger per currency, inside the commons' ledger.
//!
//! Every movement of money is a [`Transfer`] of a positive integer amount of minor units
//! from one [`Account`] to another, in one currency; one event writes one or more
//! transfers, each a journal line. An account's balance is what was transferred in less
//! what was transferred out, so the balances of a currency always sum to zero. Accounts
//! *outside* the commons (where income comes from, where payouts go) run negative; every
//! account *inside* it (the treasury, pools, what is owed to a person, escrow) never does:
//! a transfer that would take one below zero is refused (`insufficient_funds`). Lines are
//! never edited: a correction is a reversal, a new event whose lines mirror the old ones.
//!
//! Balances and every line are public. Private details (an IBAN, an invoice) never enter
//! the ledger; income and payouts carry only an external reference.

use super::{AMOUNT_MAX, ENTRIES_MAX};
use crate::production::limit_reached;
use crate::rejection::{Rejection, RejectionCode, reject};
use commons_ledger::{AuthorKey, EventId};
use std::collections::BTreeMap;

/// Where money sits. Accounts inside the commons never go below zero.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// The association's treasury: income arrives here, distributions and expenses leave it.
    Treasury,
    /// A distribution's pool, between execution and the credit of each share.
    Pool(EventId),
    /// What the commons owes a person (a contributor's payouts not yet settled).
    Owed(AuthorKey),
    /// What an upstream commons named by the value equation is owed.
    Upstream(String),
    /// Amounts below the minimum payout, carried to a person's next distribution.
    Carry(AuthorKey),
    /// What an approved expense holds until it is paid.
    Reserved(EventId),
    /// Bounties pledged on a task, until the task closes.
    Escrow(EventId),
    /// An award's prize, set aside until a poll picks its winners.
    Award(EventId),
    /// Outside: where income of a kind came from.
    Income(IncomeKind),
    /// Outside: what was paid out to a person or an upstream commons.
    PaidOut,
}

impl Account {
    /// Whether the account belongs to the commons (and so may never go below zero).
    pub fn is_internal(&self) -> bool {
        !matches!(self, Account::Income(_) | Account::PaidOut)
    }

    /// A short name for people and the API: `treasury`, `pool:<id>`, `owed:<key>`, …
    pub fn name(&self) -> String {
        match self {
            Account::Treasury => "treasury".into(),
            Account::Pool(id) => format!("pool:{}", id.to_hex()),
            Account::Owed(key) => format!("owed:{}", key.to_hex()),
            Account::Upstream(name) => format!("upstream:{name}"),
            Account::Carry(key) => format!("carry:{}", key.to_hex()),
            Account::Reserved(id) => format!("reserved:{}", id.to_hex()),
            Account::Escrow(task) => format!("escrow:{}", task.to_hex()),
            Account::Award(id) => format!("award:{}", id.to_hex()),
            Account::Income(kind) => format!("income:{}", kind.as_str()),
            Account::PaidOut => "paid-out".into(),
        }
    }
}

/// Where income comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IncomeKind {
    Donation,
    /// A benefit-sharing payment from an organisation that uses the commons.
    BenefitSharing,
    /// A grant from a public body.
    Grant,
    /// A prize or an award.
    Prize,
    /// Money given to fund a bounty.
    Bounty,
    Sale,
}

impl IncomeKind {
    pub const ALL: [IncomeKind; 6] = [
        IncomeKind::Donation,
        IncomeKind::BenefitSharing,
        IncomeKind::Grant,
        IncomeKind::Prize,
        IncomeKind::Bounty,
        IncomeKind::Sale,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            IncomeKind::Donation => "donation",
            IncomeKind::BenefitSharing => "benefit_sharing",
            IncomeKind::Grant => "grant",
            IncomeKind::Prize => "prize",
            IncomeKind::Bounty => "bounty",
            IncomeKind::Sale => "sale",
        }
    }

    pub fn parse(text: &str) -> Option<IncomeKind> {
        IncomeKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One movement of money.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub from: Account,
    pub to: Account,
    pub amount: u64,
    pub currency: String,
}

/// One journal line: a transfer and the event that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub transfer: Transfer,
    /// The event that wrote the line.
    pub event: EventId,
    /// Its ledger index.
    pub index: u64,
    pub time_ms: u64,
    /// What the event was, e.g. `money.income`.
    pub memo: &'static str,
    /// The event whose lines this one reverses.
    pub reverses: Option<EventId>,
}

/// The journal and the balances it adds up to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Books {
    pub lines: Vec<Line>,
    /// Balance by (account, currency); i128 because outside accounts run negative.
    pub balances: BTreeMap<(Account, String), i128>,
    /// The lines each event wrote, as a range of `lines`.
    pub by_event: BTreeMap<EventId, (usize, usize)>,
    /// Events whose lines a later event reversed, with the reversing event.
    pub reversed: BTreeMap<EventId, EventId>,
}

impl Books {
    pub fn balance(&self, account: &Account, currency: &str) -> i128 {
        self.balances
            .get(&(account.clone(), currency.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// What an internal account holds (never negative).
    pub fn holds(&self, account: &Account, currency: &str) -> u64 {
        u64::try_from(self.balance(account, currency).max(0)).unwrap_or(u64::MAX)
    }

    /// Every currency the books have seen, in order.
    pub fn currencies(&self) -> Vec<String> {
        let mut seen: Vec<String> = self.balances.keys().map(|(_, c)| c.clone()).collect();
        seen.sort();
        seen.dedup();
        seen
    }

    /// Whether the transfers may all be posted: amounts in range, no internal account
    /// below zero after them, no overflow. Posts nothing.
    pub fn check(&self, transfers: &[Transfer]) -> Result<(), Rejection> {
        if self.lines.len().saturating_add(transfers.len()) > ENTRIES_MAX {
            return limit_reached("money lines", ENTRIES_MAX);
        }
        let mut after: BTreeMap<(&Account, &str), i128> = BTreeMap::new();
        for t in transfers {
            if t.amount == 0 || t.amount > AMOUNT_MAX {
                return reject(
                    RejectionCode::AmountInvalid,
                    format!("an amount is 1 to {AMOUNT_MAX} minor units"),
                );
            }
            let amount = i128::from(t.amount);
            for (account, delta) in [(&t.from, -amount), (&t.to, amount)] {
                let key = (account, t.currency.as_str());
                let now = match after.get(&key) {
                    Some(v) => *v,
                    None => self.balance(account, &t.currency),
                };
                let next = now
                    .checked_add(delta)
                    .filter(|v| v.unsigned_abs() <= i128::MAX as u128 / 2);
                let Some(next) = next else {
                    return reject(RejectionCode::AmountInvalid, "the balance would overflow");
                };
                if account.is_internal() && next < 0 {
                    return reject(
                        RejectionCode::InsufficientFunds,
                        format!(
                            "{} holds {} {} and cannot pay {}",
                            account.name(),
                            now.max(0),
                            t.currency,
                            t.amount
                        ),
                    );
                }
                after.insert(key, next);
            }
        }
        Ok(())
    }

    /// Posts checked transfers as the lines of `event`.
    pub fn post(
        &mut self,
        transfers: Vec<Transfer>,
        event: EventId,
        index: u64,
        time_ms: u64,
        memo: &'static str,
        reverses: Option<EventId>,
    ) -> Result<(), Rejection> {
        self.check(&transfers)?;
        if transfers.is_empty() {
            // No lines, no entry: an event that moved nothing (a distribution whose
            // buckets all stayed in the treasury) has no money row.
            return Ok(());
        }
        let start = self.lines.len();
        for transfer in transfers {
            let amount = i128::from(transfer.amount);
            *self
                .balances
                .entry((transfer.from.clone(), transfer.currency.clone()))
                .or_insert(0) -= amount;
            *self
                .balances
                .entry((transfer.to.clone(), transfer.currency.clone()))
                .or_insert(0) += amount;
            self.lines.push(Line {
                transfer,
                event,
                index,
                time_ms,
                memo,
                reverses,
            });
        }
        if let Some(original) = reverses {
            self.reversed.insert(original, event);
        }
        // One event may post more than once (a tick closing several polls): its lines
        // are contiguous, so its range grows.
        // An event that moved nothing (a distribution whose buckets all stay in the
        // treasury) has no lines and so no money row.
        let end = self.lines.len();
        if end > start {
            self.by_event
                .entry(event)
                .and_modify(|range| range.1 = end)
                .or_insert((start, end));
        }
        Ok(())
    }

    /// The lines `event` wrote.
    pub fn lines_of(&self, event: &EventId) -> &[Line] {
        match self.by_event.get(event) {
            Some((start, end)) => &self.lines[*start..*end],
            None => &[],
        }
    }

    /// The transfers that undo `event`'s lines: each line mirrored, in reverse order.
    pub fn reversal_of(&self, event: &EventId) -> Result<Vec<Transfer>, Rejection> {
        let lines = self.lines_of(event);
        if lines.is_empty() {
            return reject(
                RejectionCode::EntryUnknown,
                "no money movement has that event id",
            );
        }
        if let Some(by) = self.reversed.get(event) {
            return reject(
                RejectionCode::AlreadyReversed,
                format!("already reversed by {}", by.to_hex()),
            );
        }
        if lines[0].reverses.is_some() {
            return reject(
                RejectionCode::AlreadyReversed,
                "a reversal is itself corrected by a new entry, not reversed",
            );
        }
        Ok(lines
            .iter()
            .rev()
            .map(|l| Transfer {
                from: l.transfer.to.clone(),
                to: l.transfer.from.clone(),
                amount: l.transfer.amount,
                currency: l.transfer.currency.clone(),
            })
            .collect())
    }
}
