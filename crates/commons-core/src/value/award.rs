//! Awards and prizes: recognition of commons work, with a nomination round and a decision
//! by poll.
//!
//! `award.open` (a treasurer) sets the prize aside: `treasury` → `award:<id>`. Members
//! nominate people (`award.nominate`, with a reason) until `nominations_close_ms`. Then a
//! member opens a poll of kind `award` naming it: an election among the nominees, for as
//! many seats as the award has winners, counted under the statutes' `award` rule (or, when
//! they give none, their board election rule). When the poll passes, the prize is split
//! equally among the winners by largest remainder (`award:<id>` → `owed:<winner>`), to
//! the cent. `award.cancel` (a treasurer, before that) returns the prize to the treasury.

use super::equation::Beneficiary;
use super::money::{Account, Transfer};
use super::{NOTE_LEN_MAX, read_amount, read_currency, require_treasurer, touch_lines};
use crate::body::BodyReader;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::{AuthorKey, EventId};
use std::collections::BTreeMap;

pub const OPEN: &str = "award.open";
pub const NOMINATE: &str = "award.nominate";
pub const CANCEL: &str = "award.cancel";

/// Most winners one award has.
pub const WINNERS_MAX: u64 = 16;
/// Most nominees in one award.
pub const NOMINEES_MAX: usize = 64;
/// Most awards a commons keeps.
pub const AWARDS_MAX: usize = 10_000;
/// Longest nomination period: a year of ledger time.
pub const NOMINATION_MS_MAX: u64 = 366 * 86_400_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AwardState {
    /// Nominations open until `nominations_close_ms`, then a poll decides.
    Open,
    Awarded {
        poll: EventId,
        shares: Vec<(AuthorKey, u64)>,
        index: u64,
    },
    Cancelled {
        index: u64,
    },
}

impl AwardState {
    pub fn as_str(&self) -> &'static str {
        match self {
            AwardState::Open => "open",
            AwardState::Awarded { .. } => "awarded",
            AwardState::Cancelled { .. } => "cancelled",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nomination {
    pub nominee: AuthorKey,
    pub by: AuthorKey,
    pub reason: String,
    pub index: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Award {
    pub id: EventId,
    pub by: AuthorKey,
    pub index: u64,
    pub title: String,
    pub description: Option<String>,
    pub amount: u64,
    pub currency: String,
    pub winners: u32,
    pub nominations_close_ms: u64,
    /// In order of first nomination; one entry per nominee.
    pub nominations: Vec<Nomination>,
    pub state: AwardState,
}

fn unknown<T>() -> Result<T, Rejection> {
    reject(RejectionCode::AwardUnknown, "no award has that id")
}

/// `award.open`.
pub(crate) fn open(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let by = input.event.header.author;
    require_treasurer(state, &by, "open an award")?;
    let amount = read_amount(OPEN, input.body, "amount")?;
    let mut reader = BodyReader::new(OPEN, input.body)?;
    reader.require_key("amount")?;
    let title = reader.text("title", 1, 200)?;
    let description = reader.optional_text("description", 1, NOTE_LEN_MAX)?;
    let currency = read_currency(&mut reader, OPEN)?;
    let winners = reader.optional_uint("winners")?.unwrap_or(1);
    let nominations_close_ms = reader.uint("nominations_close_ms")?;
    reader.finish()?;
    if winners == 0 || winners > WINNERS_MAX {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{OPEN}: `winners` is 1 to {WINNERS_MAX}"),
        );
    }
    if nominations_close_ms <= state.time_ms
        || nominations_close_ms - state.time_ms > NOMINATION_MS_MAX
    {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{OPEN}: `nominations_close_ms` is after the ledger's time now, within a year"),
        );
    }
    if state.economy.awards.len() >= AWARDS_MAX {
        return crate::production::limit_reached("awards", AWARDS_MAX);
    }
    let id = input.event.id;
    super::post(
        state,
        input,
        vec![Transfer {
            from: Account::Treasury,
            to: Account::Award(id),
            amount,
            currency: currency.clone(),
        }],
        OPEN,
    )?;
    state.economy.awards.insert(
        id,
        Award {
            id,
            by,
            index: input.index,
            title,
            description,
            amount,
            currency,
            winners: winners as u32,
            nominations_close_ms,
            nominations: Vec::new(),
            state: AwardState::Open,
        },
    );
    let mut applied = Applied::default();
    touch_lines(state, &id, &mut applied);
    applied.touch(RowKey::Award(id));
    Ok(applied)
}

fn open_award<'a>(state: &'a State, id: &EventId) -> Result<&'a Award, Rejection> {
    match state.economy.awards.get(id) {
        None => unknown(),
        Some(a) if a.state != AwardState::Open => reject(
            RejectionCode::AwardClosed,
            format!("the award is {}", a.state.as_str()),
        ),
        Some(a) => Ok(a),
    }
}

/// `award.nominate`: a member nominates someone, with a reason.
pub(crate) fn nominate(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let by = crate::association::polls::identity(state, &input.event.header.author);
    let mut reader = BodyReader::new(NOMINATE, input.body)?;
    let id = reader.event_id("award")?;
    let nominee = reader.key("nominee")?;
    let reason = reader.text("reason", 1, NOTE_LEN_MAX)?;
    reader.finish()?;
    if !state.association.is_active_member(&by) {
        return reject(RejectionCode::NotMember, "only a member nominates");
    }
    let award = open_award(state, &id)?;
    if state.time_ms >= award.nominations_close_ms {
        return reject(RejectionCode::AwardClosed, "nominations are closed");
    }
    let nominee = crate::association::polls::identity(state, &nominee);
    if award.nominations.iter().any(|n| n.nominee == nominee) {
        return reject(
            RejectionCode::AlreadyNominated,
            "that person is already nominated",
        );
    }
    if award.nominations.len() >= NOMINEES_MAX {
        return crate::production::limit_reached("nominees of an award", NOMINEES_MAX);
    }
    let index = input.index;
    if let Some(a) = state.economy.awards.get_mut(&id) {
        a.nominations.push(Nomination {
            nominee,
            by,
            reason,
            index,
        });
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Award(id));
    Ok(applied)
}

/// `award.cancel`: a treasurer withdraws an award not yet decided; the prize returns.
pub(crate) fn cancel(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    require_treasurer(state, &input.event.header.author, "cancel an award")?;
    let mut reader = BodyReader::new(CANCEL, input.body)?;
    let id = reader.event_id("award")?;
    reader.text("reason", 1, NOTE_LEN_MAX)?;
    reader.finish()?;
    let award = open_award(state, &id)?;
    let transfer = Transfer {
        from: Account::Award(id),
        to: Account::Treasury,
        amount: award.amount,
        currency: award.currency.clone(),
    };
    super::post(state, input, vec![transfer], CANCEL)?;
    let index = input.index;
    if let Some(a) = state.economy.awards.get_mut(&id) {
        a.state = AwardState::Cancelled { index };
    }
    let mut applied = Applied::default();
    touch_lines(state, &input.event.id, &mut applied);
    applied.touch(RowKey::Award(id));
    Ok(applied)
}

/// The nominees a poll on the award elects among, and its seats; refuses an award that is
/// unknown, decided, still taking nominations, or has nobody nominated.
pub(crate) fn ballot_of(state: &State, id: &EventId) -> Result<(Vec<AuthorKey>, u32), Rejection> {
    let award = open_award(state, id)?;
    if state.time_ms < award.nominations_close_ms {
        return reject(
            RejectionCode::AwardClosed,
            "nominations are still open; the poll comes after them",
        );
    }
    if award.nominations.is_empty() {
        return reject(RejectionCode::ElectorateEmpty, "nobody was nominated");
    }
    let nominees: Vec<AuthorKey> = award.nominations.iter().map(|n| n.nominee).collect();
    let seats = award.winners.min(nominees.len() as u32);
    Ok((nominees, seats))
}

/// A passed `award` poll: the prize split equally among the winners. Returns what it did.
pub(crate) fn decided(
    state: &mut State,
    input: &Input<'_>,
    poll: &EventId,
    id: &EventId,
    winners: &[AuthorKey],
    applied: &mut Applied,
) -> String {
    let Some(award) = state.economy.awards.get(id) else {
        return "not applied: the award is unknown".into();
    };
    if award.state != AwardState::Open {
        return format!("not applied: the award is {}", award.state.as_str());
    }
    let weights: BTreeMap<Beneficiary, u64> = winners
        .iter()
        .map(|k| (Beneficiary::Person(*k), 1))
        .collect();
    let shares: Vec<(AuthorKey, u64)> = super::distribution::split(award.amount, &weights)
        .into_iter()
        .filter_map(|s| match s.to {
            Beneficiary::Person(k) => Some((k, s.amount)),
            Beneficiary::Upstream(_) | Beneficiary::Task(_) => None,
        })
        .collect();
    if shares.is_empty() {
        return "not applied: the poll elected nobody".into();
    }
    let transfers = shares
        .iter()
        .map(|(k, amount)| Transfer {
            from: Account::Award(*id),
            to: Account::Owed(*k),
            amount: *amount,
            currency: award.currency.clone(),
        })
        .collect();
    if let Err(r) = super::post(state, input, transfers, "award.decide") {
        return format!("not applied: {}", r.message);
    }
    let n = shares.len();
    if let Some(a) = state.economy.awards.get_mut(id) {
        a.state = AwardState::Awarded {
            poll: *poll,
            shares,
            index: input.index,
        };
    }
    touch_lines(state, &input.event.id, applied);
    applied.touch(RowKey::Award(*id));
    format!("the prize is awarded to {n} winner(s)")
}
