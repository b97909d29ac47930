//! Value and benefit sharing: the commons' books, its income, the governed value
//! equation, contribution credit and distributions.
//!
//! | module | kinds |
//! |---|---|
//! | [`money`] | `money.income`, `money.reverse`, `money.payout` (treasurers) |
//! | [`equation`] | `value.equation` (the first one; later ones only by a poll) |
//! | [`distribution`] | `dist.propose`, `dist.approve`, `dist.execute` (treasurers) |
//! | [`claims`] | `claim.propose`, `claim.approve` (treasurers), `claim.waive` (the holder) |
//! | [`circle`] | `circle.open` (treasurers), `circle.give` (the circle's members) |
//!
//! Treasurers are named by the statutes (`treasurers`, with `treasurer_approvals`, the k
//! of k-of-n). Amounts are integers of minor units, checked on every addition; money is
//! split only by `commons_value::apportion`.

pub mod award;
pub mod bounty;
pub mod circle;
pub mod claims;
pub mod distribution;
pub mod equation;
pub mod expense;
pub mod graph;
pub mod money;
pub mod rows;

#[cfg(test)]
mod claims_tests;
#[cfg(test)]
mod replay_props;
#[cfg(test)]
mod tests;

use crate::association::statutes_of;
use crate::body::BodyReader;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};
use equation::Equation;
use money::{Account, Books, IncomeKind, Transfer};
use std::collections::BTreeMap;

pub const INCOME: &str = "money.income";
pub const REVERSE: &str = "money.reverse";
pub const PAYOUT: &str = "money.payout";
pub const EQUATION: &str = "value.equation";
pub const KINDS: [&str; 25] = [
    INCOME,
    REVERSE,
    PAYOUT,
    EQUATION,
    distribution::PROPOSE,
    distribution::APPROVE,
    distribution::EXECUTE,
    distribution::CANCEL,
    expense::FILE,
    expense::EDIT,
    expense::DECIDE,
    expense::SCHEDULE,
    expense::PAY,
    expense::CANCEL,
    expense::REVERSE,
    expense::POLICY,
    bounty::FUND,
    award::OPEN,
    award::NOMINATE,
    award::CANCEL,
    claims::PROPOSE,
    claims::APPROVE,
    claims::WAIVE,
    circle::OPEN,
    circle::GIVE,
];

/// Largest amount one line moves, in minor units (10¹⁵: ten trillion of a two-decimal
/// currency).
pub const AMOUNT_MAX: u64 = 1_000_000_000_000_000;
/// Most journal lines a commons keeps.
pub const ENTRIES_MAX: usize = 5_000_000;
/// Most incomes a commons keeps.
pub const INCOMES_MAX: usize = 1_000_000;
/// Longest currency code (ISO 4217 codes have 3 letters; a custom unit may have more).
pub const CURRENCY_LEN_MAX: usize = 12;
/// Longest source, reference or memo text, in bytes.
pub const REFERENCE_LEN_MAX: usize = 200;
/// Longest note, in bytes.
pub const NOTE_LEN_MAX: usize = 2_000;
/// Most entries in one weight table of the value equation.
pub const LABEL_WEIGHTS_MAX: usize = 256;
/// Most upstream commons the equation cites.
pub const UPSTREAM_MAX: usize = 32;
/// Most equations a commons adopts over its life.
pub const EQUATIONS_MAX: usize = 1_000;

/// What an income is earmarked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Earmark {
    Area(EventId),
    Task(EventId),
}

/// One recorded income.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Income {
    pub id: EventId,
    pub by: AuthorKey,
    pub index: u64,
    pub time_ms: u64,
    pub kind: IncomeKind,
    pub amount: u64,
    pub currency: String,
    /// Who paid, in words ("Atelier Lumen SARL", "City of Brest").
    pub source: String,
    /// The payer's key, when they have one in the commons.
    pub source_agent: Option<AuthorKey>,
    pub earmark: Option<Earmark>,
    /// The bank transfer, invoice number or receipt that proves it, outside the ledger.
    pub reference: String,
    pub note: Option<String>,
}

/// One adopted value equation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adopted {
    pub equation: Equation,
    /// Contributions accepted from this ledger time on count under it.
    pub effective_ms: u64,
    pub index: u64,
    /// The poll that decided it (`None` for the commons' first equation).
    pub poll: Option<EventId>,
}

/// Everything value sharing adds to a commons' state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Economy {
    pub books: Books,
    pub incomes: BTreeMap<EventId, Income>,
    /// Incomes in ledger order.
    pub income_order: Vec<EventId>,
    /// Adopted equations in order of adoption.
    pub equations: Vec<Adopted>,
    pub distributions: BTreeMap<EventId, distribution::Distribution>,
    pub distribution_order: Vec<EventId>,
    pub expenses: expense::Expenses,
    pub bounties: bounty::Bounties,
    pub awards: BTreeMap<EventId, award::Award>,
    pub claims: claims::Claims,
    pub circles: circle::Circles,
}

impl Economy {
    /// The equation in force for work accepted at ledger time `time_ms`: the one with the
    /// latest `effective_ms` not after it (the later adopted on a tie); the default when
    /// none is.
    pub fn equation_at(&self, time_ms: u64) -> Equation {
        self.equations
            .iter()
            .filter(|a| a.effective_ms <= time_ms)
            .max_by_key(|a| (a.effective_ms, a.index))
            .map(|a| a.equation.clone())
            .unwrap_or_default()
    }
}

/// Whether `key` is one of the statutes' treasurers.
pub fn is_treasurer(state: &State, key: &AuthorKey) -> bool {
    state
        .association
        .statutes
        .as_ref()
        .is_some_and(|s| s.treasurers.contains(key))
}

pub(crate) fn require_treasurer(
    state: &State,
    key: &AuthorKey,
    what: &str,
) -> Result<(), Rejection> {
    let statutes = statutes_of(state)?;
    if statutes.treasurers.contains(key) {
        Ok(())
    } else {
        reject(
            RejectionCode::NotTreasurer,
            format!("only a treasurer named in the statutes may {what}"),
        )
    }
}

/// Reads an amount field: a positive integer of minor units up to [`AMOUNT_MAX`]. A
/// negative or oversized number gets `amount_invalid`, not a generic body error.
pub(crate) fn read_amount(kind: &str, body: &Value, name: &str) -> Result<u64, Rejection> {
    match body.get(name) {
        Some(Value::Unsigned(n)) if *n > 0 && *n <= AMOUNT_MAX => Ok(*n),
        Some(Value::Unsigned(_)) | Some(Value::Negative(_)) => reject(
            RejectionCode::AmountInvalid,
            format!("{kind}: `{name}` must be 1 to {AMOUNT_MAX} minor units"),
        ),
        _ => reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: `{name}` is an amount in minor units"),
        ),
    }
}

/// Reads a currency code: 1 to 12 upper-case letters or digits (ISO 4217 or a custom unit).
pub(crate) fn read_currency(reader: &mut BodyReader<'_>, kind: &str) -> Result<String, Rejection> {
    let code = reader.text("currency", 1, CURRENCY_LEN_MAX)?;
    if code
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        Ok(code)
    } else {
        reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: `currency` is an upper-case code such as EUR"),
        )
    }
}

pub(crate) fn apply(state: &mut State, input: &Input<'_>) -> Option<Result<Applied, Rejection>> {
    Some(match input.event.header.kind.as_str() {
        INCOME => income(state, input),
        REVERSE => reverse(state, input),
        PAYOUT => payout(state, input),
        EQUATION => set_equation(state, input),
        distribution::PROPOSE => distribution::propose(state, input),
        distribution::APPROVE => distribution::approve(state, input),
        distribution::EXECUTE => distribution::execute(state, input),
        distribution::CANCEL => distribution::cancel(state, input),
        expense::FILE => expense::file(state, input),
        expense::EDIT => expense::edit(state, input),
        expense::DECIDE => expense::decide(state, input),
        expense::SCHEDULE => expense::schedule(state, input),
        expense::PAY => expense::pay(state, input),
        expense::CANCEL => expense::cancel(state, input),
        expense::REVERSE => expense::reverse(state, input),
        expense::POLICY => expense::set_policy(state, input),
        bounty::FUND => bounty::fund(state, input),
        award::OPEN => award::open(state, input),
        award::NOMINATE => award::nominate(state, input),
        award::CANCEL => award::cancel(state, input),
        claims::PROPOSE => claims::propose(state, input),
        claims::APPROVE => claims::approve(state, input),
        claims::WAIVE => claims::waive(state, input),
        circle::OPEN => circle::open(state, input),
        circle::GIVE => circle::give(state, input),
        _ => return None,
    })
}

/// A currency code as a fixed-size, zero-padded key (codes are checked to fit).
pub fn code_key(currency: &str) -> [u8; CURRENCY_LEN_MAX] {
    let mut key = [0u8; CURRENCY_LEN_MAX];
    let n = currency.len().min(CURRENCY_LEN_MAX);
    key[..n].copy_from_slice(&currency.as_bytes()[..n]);
    key
}

/// The code a [`code_key`] holds.
pub fn code_text(key: &[u8; CURRENCY_LEN_MAX]) -> &str {
    let n = key.iter().position(|b| *b == 0).unwrap_or(CURRENCY_LEN_MAX);
    std::str::from_utf8(&key[..n]).unwrap_or("")
}

/// Posts `transfers` as lines of the event being applied, at the ledger's time now.
pub(crate) fn post(
    state: &mut State,
    input: &Input<'_>,
    transfers: Vec<Transfer>,
    memo: &'static str,
) -> Result<(), Rejection> {
    let time_ms = state.time_ms;
    state
        .economy
        .books
        .post(transfers, input.event.id, input.index, time_ms, memo, None)
}

pub(crate) fn touch_lines(state: &State, event: &EventId, applied: &mut Applied) {
    applied.touch(RowKey::MoneyEvent(*event));
    for line in state.economy.books.lines_of(event) {
        applied.touch(RowKey::Balances(code_key(&line.transfer.currency)));
    }
}

/// `money.income`: a treasurer records money that arrived.
fn income(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    require_treasurer(state, &author, "record income")?;
    let kind = INCOME;
    let amount = read_amount(kind, input.body, "amount")?;
    let mut reader = BodyReader::new(kind, input.body)?;
    reader.require_key("amount")?;
    let income_kind_text = reader.text("kind", 1, 32)?;
    let Some(income_kind) = IncomeKind::parse(&income_kind_text) else {
        return reject(
            RejectionCode::BodyInvalid,
            format!(
                "{kind}: `kind` is one of {}",
                IncomeKind::ALL.map(|k| k.as_str()).join(", ")
            ),
        );
    };
    let currency = read_currency(&mut reader, kind)?;
    let source = reader.text("source", 1, REFERENCE_LEN_MAX)?;
    let source_agent = reader.optional_key("source_agent")?;
    let reference = reader.text("reference", 1, REFERENCE_LEN_MAX)?;
    let note = reader.optional_text("note", 1, NOTE_LEN_MAX)?;
    let earmark = match reader.optional("earmark") {
        None => None,
        Some(v) => {
            let mut e = BodyReader::new(kind, v)?;
            let area = e
                .optional("area")
                .and_then(|v| v.as_bytes())
                .and_then(EventId::from_slice);
            let task = e
                .optional("task")
                .and_then(|v| v.as_bytes())
                .and_then(EventId::from_slice);
            e.finish()?;
            match (area, task) {
                (Some(a), None) if state.production.areas.contains_key(&a) => {
                    Some(Earmark::Area(a))
                }
                (None, Some(t)) if state.production.tasks.contains_key(&t) => {
                    Some(Earmark::Task(t))
                }
                _ => {
                    return reject(
                        RejectionCode::BodyInvalid,
                        format!("{kind}: `earmark` names one known `area` or `task` by id"),
                    );
                }
            }
        }
    };
    reader.finish()?;
    if state.economy.incomes.len() >= INCOMES_MAX {
        return crate::production::limit_reached("incomes", INCOMES_MAX);
    }
    let id = input.event.id;
    state.economy.books.post(
        vec![Transfer {
            from: Account::Income(income_kind),
            to: Account::Treasury,
            amount,
            currency: currency.clone(),
        }],
        id,
        input.index,
        state.time_ms,
        INCOME,
        None,
    )?;
    state.economy.incomes.insert(
        id,
        Income {
            id,
            by: author,
            index: input.index,
            time_ms: state.time_ms,
            kind: income_kind,
            amount,
            currency,
            source,
            source_agent,
            earmark,
            reference,
            note,
        },
    );
    state.economy.income_order.push(id);
    let mut applied = Applied::default();
    touch_lines(state, &id, &mut applied);
    applied.touch(RowKey::Income(id));
    Ok(applied)
}

/// `money.reverse`: a treasurer corrects a movement (an income recorded twice, a payout
/// that bounced) by a new entry that mirrors its lines.
fn reverse(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    require_treasurer(state, &author, "reverse a money entry")?;
    let mut reader = BodyReader::new(REVERSE, input.body)?;
    let entry = reader.event_id("entry")?;
    reader.text("reason", 1, NOTE_LEN_MAX)?;
    reader.finish()?;
    // Only an income or a payout is corrected by a mirror entry: a distribution's,
    // expense's, bounty's or award's lines belong to its own workflow (reversing an
    // execution would let the same income be distributed twice).
    let lines = state.economy.books.lines_of(&entry);
    if lines
        .first()
        .is_some_and(|l| !matches!(l.memo, INCOME | PAYOUT | REVERSE))
    {
        return reject(
            RejectionCode::EntryUnknown,
            "money.reverse corrects an income or a payout; a distribution's, an expense's, a bounty's or an award's lines follow their own workflow (an expense's payment is reversed with expense.reverse)",
        );
    }
    let transfers = state.economy.books.reversal_of(&entry)?;
    let id = input.event.id;
    state.economy.books.post(
        transfers,
        id,
        input.index,
        state.time_ms,
        REVERSE,
        Some(entry),
    )?;
    let mut applied = Applied::default();
    touch_lines(state, &id, &mut applied);
    applied.touch(RowKey::MoneyEvent(entry));
    Ok(applied)
}

/// `money.payout`: a treasurer records that a person (or an upstream commons) was paid
/// what the commons owed them, with the external reference of the payment.
fn payout(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    require_treasurer(state, &author, "record a payout")?;
    let amount = read_amount(PAYOUT, input.body, "amount")?;
    let mut reader = BodyReader::new(PAYOUT, input.body)?;
    reader.require_key("amount")?;
    let to = reader.optional_key("to")?;
    let upstream = reader.optional_text("upstream", 1, 64)?;
    let currency = read_currency(&mut reader, PAYOUT)?;
    reader.text("reference", 1, REFERENCE_LEN_MAX)?;
    reader.optional_text("note", 1, NOTE_LEN_MAX)?;
    reader.finish()?;
    let account = match (to, upstream) {
        (Some(key), None) => Account::Owed(key),
        (None, Some(name)) => Account::Upstream(name),
        _ => {
            return reject(
                RejectionCode::BodyInvalid,
                format!("{PAYOUT}: name either `to` (a person's key) or `upstream`"),
            );
        }
    };
    let books = &state.economy.books;
    let owed = books.holds(&account, &currency);
    if owed == 0
        && books
            .currencies()
            .iter()
            .any(|c| *c != currency && books.holds(&account, c) > 0)
    {
        return reject(
            RejectionCode::CurrencyMismatch,
            format!(
                "{} is owed nothing in {currency}, only in other currencies",
                account.name()
            ),
        );
    }
    if amount > owed {
        return reject(
            RejectionCode::PayoutExceedsOwed,
            format!(
                "{} is owed {owed} {currency}, less than {amount}",
                account.name()
            ),
        );
    }
    let id = input.event.id;
    state.economy.books.post(
        vec![Transfer {
            from: account,
            to: Account::PaidOut,
            amount,
            currency,
        }],
        id,
        input.index,
        state.time_ms,
        PAYOUT,
        None,
    )?;
    let mut applied = Applied::default();
    touch_lines(state, &id, &mut applied);
    Ok(applied)
}

/// `value.equation`: the commons' first value equation, set by a treasurer or a
/// maintainer. Every later change is a poll's decision (`equation_needs_poll`).
fn set_equation(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    if !state.economy.equations.is_empty() {
        return reject(
            RejectionCode::EquationNeedsPoll,
            "the value equation is set; a change is a `value_equation` poll under the statutes",
        );
    }
    if !is_treasurer(state, &author) && !state.is_maintainer(&author) {
        return reject(
            RejectionCode::NotTreasurer,
            "the first value equation is set by a treasurer or a maintainer",
        );
    }
    let mut reader = BodyReader::new(EQUATION, input.body)?;
    let eq = equation::read(EQUATION, reader.required("equation")?)?;
    reader.finish()?;
    adopt_equation(state, eq, 0, input.index, None);
    let mut applied = Applied::default();
    applied.touch(RowKey::Equations);
    Ok(applied)
}

/// Records an adopted equation (the first, or a passed poll's decision).
pub(crate) fn adopt_equation(
    state: &mut State,
    equation: Equation,
    effective_ms: u64,
    index: u64,
    poll: Option<EventId>,
) -> bool {
    if state.economy.equations.len() >= EQUATIONS_MAX {
        return false;
    }
    state.economy.equations.push(Adopted {
        equation,
        effective_ms,
        index,
        poll,
    });
    true
}
