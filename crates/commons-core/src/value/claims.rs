//! Claims on future distributions: what the commons owes someone out of the money it will
//! share, recorded in its ledger so that every distribution pays it in the same order.
//!
//! A claim is one of three kinds (see `commons_value::policy::claims`):
//!
//! - `debt`: an amount `owed` (a loan for a server, unpaid work), paid at each distribution
//!   that has a `claims` bucket until repaid;
//! - `once`: an `amount` paid by the next such distribution only, as far as it reaches;
//! - `equity`: `share_ppm` of what every such distribution has left after the debts, until
//!   the holder has received the optional `cap`.
//!
//! `claim.propose` (a treasurer) names the holder, currency, terms and a reason;
//! `claim.approve` (a treasurer other than the holder) counts towards the statutes'
//! `treasurer_approvals`, and the claim becomes active when that many treasurers approved
//! (as with distributions, proposing is not approving). `claim.waive` (the holder) ends a
//! claim, proposed or active: a holder may forgive what is owed.
//!
//! A distribution's `claims` bucket settles the active claims in its currency with
//! `commons_value::policy::claims::settle`; what the claims do not take stays in the
//! treasury. The proposal records what it settled ([`Seen`]: a hash of the claims and each
//! claim's line); its execution refuses with `distribution_stale` when the claims in that
//! currency changed since (another distribution paid them, a holder waived, a claim was
//! activated), so a claim is never paid twice from one state of the claims. Execution then
//! applies the settlement: debts reduced, one-time claims settled, equity's received grows,
//! a capped equity claim that reached its cap settled.
//!
//! Limits: one live (proposed or active) claim per holder, kind and currency, which the
//! settlement requires; at most [`LIVE_CLAIMS_MAX`] live claims in a commons and
//! [`CLAIMS_KEPT_MAX`] claims kept with their history; equity shares of the live claims
//! of a currency sum to at most the whole (1,000,000 ppm); amounts up to `AMOUNT_MAX`.

use super::distribution::{self, BucketResult, Share, Target};
use super::equation::Beneficiary;
use super::{AMOUNT_MAX, NOTE_LEN_MAX, read_amount, read_currency, require_treasurer};
use crate::body::BodyReader;
use crate::projection::{RowKey, key_value, keys_value};
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};
use commons_value::policy::claims as policy;
/// The terms of a claim, as `commons_value` settles them.
pub use commons_value::policy::claims::ClaimTerms;
use commons_value::policy::{Basis, PPM_TOTAL, RecipientId};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub const PROPOSE: &str = "claim.propose";
pub const APPROVE: &str = "claim.approve";
pub const WAIVE: &str = "claim.waive";

/// Most live (proposed or active) claims a commons has at once, over all currencies; within
/// what one settlement takes.
pub const LIVE_CLAIMS_MAX: usize = 1_000;
/// Most claims a commons keeps, settled and waived ones included.
pub const CLAIMS_KEPT_MAX: usize = 10_000;
/// Longest reason of a claim, in bytes.
pub const REASON_LEN_MAX: usize = NOTE_LEN_MAX;

const _: () = assert!(LIVE_CLAIMS_MAX <= policy::CLAIMS_MAX);

/// The three kinds, as the body names them.
pub const CLAIM_KINDS: [&str; 3] = ["debt", "once", "equity"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimState {
    /// Waiting for `treasurer_approvals` approvals.
    Proposed,
    /// Settled by every distribution with a `claims` bucket in its currency.
    Active { index: u64 },
    /// Repaid, paid once, or capped, by the execution of `distribution`.
    Settled { distribution: EventId, index: u64 },
    /// Ended by its holder.
    Waived { index: u64 },
}

impl ClaimState {
    pub fn as_str(&self) -> &'static str {
        match self {
            ClaimState::Proposed => "proposed",
            ClaimState::Active { .. } => "active",
            ClaimState::Settled { .. } => "settled",
            ClaimState::Waived { .. } => "waived",
        }
    }

    /// Proposed or active: a claim that still counts towards the limits.
    pub fn is_live(&self) -> bool {
        matches!(self, ClaimState::Proposed | ClaimState::Active { .. })
    }
}

/// One claim. `terms` are the terms as proposed (for a debt, `owed` is the whole debt; for
/// equity, `received` is zero); `paid` is what executed distributions paid it since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub id: EventId,
    pub by: AuthorKey,
    pub index: u64,
    pub time_ms: u64,
    pub holder: AuthorKey,
    pub currency: String,
    pub terms: ClaimTerms,
    pub reason: String,
    pub approvals: BTreeSet<AuthorKey>,
    pub state: ClaimState,
    pub paid: u64,
}

impl Claim {
    pub fn kind(&self) -> &'static str {
        kind_of(&self.terms)
    }

    /// The terms as a settlement sees them now: a debt's `owed` less what was paid, an
    /// equity claim's `received` so far.
    pub fn terms_now(&self) -> ClaimTerms {
        match self.terms {
            ClaimTerms::Debt { owed, seniority } => ClaimTerms::Debt {
                owed: owed.saturating_sub(self.paid),
                seniority,
            },
            ClaimTerms::Once { .. } => self.terms.clone(),
            ClaimTerms::Equity { share_ppm, cap, .. } => ClaimTerms::Equity {
                share_ppm,
                cap,
                received: self.paid,
            },
        }
    }
}

pub fn kind_of(terms: &ClaimTerms) -> &'static str {
    match terms {
        ClaimTerms::Debt { .. } => CLAIM_KINDS[0],
        ClaimTerms::Once { .. } => CLAIM_KINDS[1],
        ClaimTerms::Equity { .. } => CLAIM_KINDS[2],
    }
}

/// One claim's part in a distribution's `claims` bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub claim: EventId,
    pub holder: AuthorKey,
    /// The terms the settlement took (see [`Claim::terms_now`]).
    pub before: ClaimTerms,
    pub paid: u64,
    /// The terms afterwards; `None` when the distribution settles the claim.
    pub after: Option<ClaimTerms>,
}

/// What a distribution's `claims` bucket settled, recorded at its proposal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// [`claims_hash`] of the currency's active claims at the proposal.
    pub hash: [u8; 32],
    /// One line per active claim, in claim id order.
    pub lines: Vec<Line>,
}

/// Every claim of a commons, and what each distribution with a `claims` bucket saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    pub claims: BTreeMap<EventId, Claim>,
    /// Claims in ledger order.
    pub order: Vec<EventId>,
    /// By distribution id.
    pub seen: BTreeMap<EventId, Seen>,
}

impl Claims {
    /// Live claims (proposed or active).
    pub fn live(&self) -> impl Iterator<Item = &Claim> {
        self.claims.values().filter(|c| c.state.is_live())
    }

    /// Active claims in `currency`, in id order.
    pub fn active(&self, currency: &str) -> impl Iterator<Item = &Claim> {
        self.claims
            .values()
            .filter(move |c| matches!(c.state, ClaimState::Active { .. }) && c.currency == currency)
    }
}

/// SHA-256 over the active claims of `currency` as a settlement takes them: each claim's
/// id and its terms now. Any activation, waiver or payment changes it.
pub fn claims_hash(state: &State, currency: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for claim in state.economy.claims.active(currency) {
        hasher.update(claim.id.0);
        hasher.update(terms_value(&claim.terms_now()).encode());
    }
    hasher.finalize().into()
}

/// The terms in their body form (with `received` for equity).
pub fn terms_value(terms: &ClaimTerms) -> Value {
    let kind = ("kind", Value::text(kind_of(terms)));
    match terms {
        ClaimTerms::Debt { owed, seniority } => Value::text_map([
            kind,
            ("owed", Value::Unsigned(*owed)),
            ("seniority", Value::Unsigned(u64::from(*seniority))),
        ]),
        ClaimTerms::Once { amount, seniority } => Value::text_map([
            kind,
            ("amount", Value::Unsigned(*amount)),
            ("seniority", Value::Unsigned(u64::from(*seniority))),
        ]),
        ClaimTerms::Equity {
            share_ppm,
            cap,
            received,
        } => Value::text_map([
            kind,
            ("share_ppm", Value::Unsigned(u64::from(*share_ppm))),
            ("cap", cap.map_or(Value::Null, Value::Unsigned)),
            ("received", Value::Unsigned(*received)),
        ]),
    }
}

fn recipient_id(key: &AuthorKey) -> RecipientId {
    RecipientId::new(key.to_hex()).expect("a key's hex is a valid recipient id")
}

/// Settles the active claims of `currency` from `take`: one line per claim, in id order.
fn settle(state: &State, currency: &str, take: u64) -> Result<Vec<Line>, Rejection> {
    let active: Vec<&Claim> = state.economy.claims.active(currency).collect();
    let input: Vec<policy::Claim> = active
        .iter()
        .map(|c| policy::Claim {
            holder: recipient_id(&c.holder),
            terms: c.terms_now(),
        })
        .collect();
    let settlement = policy::settle(take, &input).map_err(|e| {
        Rejection::new(
            RejectionCode::LimitReached,
            format!(
                "{}: the claims cannot be settled: {e}",
                distribution::PROPOSE
            ),
        )
    })?;
    // The policy answers by (holder, kind), which identifies a live claim in a currency.
    let key = |holder: &RecipientId, terms: &ClaimTerms| (holder.clone(), kind_of(terms));
    let paid: BTreeMap<_, u64> = settlement
        .allocation
        .shares
        .iter()
        .map(|s| {
            let kind = match s.basis {
                Basis::Debt { .. } => CLAIM_KINDS[0],
                Basis::Once { .. } => CLAIM_KINDS[1],
                _ => CLAIM_KINDS[2],
            };
            ((s.recipient.clone(), kind), s.amount)
        })
        .collect();
    let after: BTreeMap<_, &ClaimTerms> = settlement
        .claims_after
        .iter()
        .map(|c| (key(&c.holder, &c.terms), &c.terms))
        .collect();
    Ok(active
        .iter()
        .zip(&input)
        .map(|(claim, taken)| {
            let k = key(&taken.holder, &taken.terms);
            Line {
                claim: claim.id,
                holder: claim.holder,
                before: taken.terms.clone(),
                paid: paid.get(&k).copied().unwrap_or(0),
                after: after.get(&k).map(|t| (*t).clone()),
            }
        })
        .collect())
}

/// A `claims` bucket's shares: one per active claim of `currency`, weighted by what the
/// claim stood at (a debt's or one-time claim's amount, an equity claim's ppm).
pub(crate) fn bucket_shares(
    state: &State,
    currency: &str,
    take: u64,
) -> Result<Vec<Share>, Rejection> {
    Ok(settle(state, currency, take)?
        .into_iter()
        .map(|line| Share {
            to: Beneficiary::Person(line.holder),
            weight: match line.before {
                ClaimTerms::Debt { owed, .. } => owed,
                ClaimTerms::Once { amount, .. } => amount,
                ClaimTerms::Equity { share_ppm, .. } => u64::from(share_ppm),
            },
            amount: line.paid,
        })
        .collect())
}

/// At a distribution's proposal: records what its `claims` bucket (if it has one) settled.
pub(crate) fn record_proposal(
    state: &mut State,
    distribution: EventId,
    currency: &str,
    results: &[BucketResult],
) -> Result<(), Rejection> {
    let Some(bucket) = results.iter().find(|r| r.bucket.target == Target::Claims) else {
        return Ok(());
    };
    let seen = Seen {
        hash: claims_hash(state, currency),
        lines: settle(state, currency, bucket.amount)?,
    };
    state.economy.claims.seen.insert(distribution, seen);
    Ok(())
}

/// Before a distribution's execution: refuses one whose `claims` bucket settled claims
/// that have changed since its proposal.
pub(crate) fn check_fresh(
    state: &State,
    distribution: &EventId,
    currency: &str,
) -> Result<(), Rejection> {
    match state.economy.claims.seen.get(distribution) {
        Some(seen) if seen.hash != claims_hash(state, currency) => reject(
            RejectionCode::DistributionStale,
            format!(
                "the claims in {currency} changed since this distribution was proposed (paid by another distribution, waived or activated); propose it again"
            ),
        ),
        _ => Ok(()),
    }
}

/// At a distribution's execution: every claim it settled takes its terms afterwards.
pub(crate) fn executed(
    state: &mut State,
    distribution: &EventId,
    index: u64,
    applied: &mut Applied,
) {
    let Some(seen) = state.economy.claims.seen.get(distribution) else {
        return;
    };
    let lines = seen.lines.clone();
    for line in lines {
        let Some(claim) = state.economy.claims.claims.get_mut(&line.claim) else {
            continue;
        };
        claim.paid = claim.paid.saturating_add(line.paid);
        if line.after.is_none() {
            claim.state = ClaimState::Settled {
                distribution: *distribution,
                index,
            };
        }
        applied.touch(RowKey::Claim(line.claim));
    }
}

fn read_terms(value: &Value) -> Result<ClaimTerms, Rejection> {
    let mut r = BodyReader::new(PROPOSE, value)?;
    let kind = r.text("kind", 1, 16)?;
    let seniority = |r: &mut BodyReader<'_>| -> Result<u32, Rejection> {
        u32::try_from(r.uint("seniority")?).or_else(|_| {
            reject(
                RejectionCode::BodyInvalid,
                format!("{PROPOSE}: `seniority` is 0 to {}", u32::MAX),
            )
        })
    };
    let terms = match kind.as_str() {
        "debt" => {
            let owed = read_amount(PROPOSE, value, "owed")?;
            r.require_key("owed")?;
            ClaimTerms::Debt {
                owed,
                seniority: seniority(&mut r)?,
            }
        }
        "once" => {
            let amount = read_amount(PROPOSE, value, "amount")?;
            r.require_key("amount")?;
            ClaimTerms::Once {
                amount,
                seniority: seniority(&mut r)?,
            }
        }
        "equity" => {
            let share_ppm = r.uint("share_ppm")?;
            if share_ppm == 0 || share_ppm > u64::from(PPM_TOTAL) {
                return reject(
                    RejectionCode::BodyInvalid,
                    format!("{PROPOSE}: `share_ppm` is 1 to 1,000,000"),
                );
            }
            let cap = match value.get("cap") {
                None | Some(Value::Null) => None,
                Some(_) => Some(read_amount(PROPOSE, value, "cap")?),
            };
            r.optional("cap");
            ClaimTerms::Equity {
                share_ppm: share_ppm as u32,
                cap,
                received: 0,
            }
        }
        _ => {
            return reject(
                RejectionCode::BodyInvalid,
                format!(
                    "{PROPOSE}: `terms` are {{kind: \"debt\", owed, seniority}}, {{kind: \"once\", amount, seniority}} or {{kind: \"equity\", share_ppm, cap?}}"
                ),
            );
        }
    };
    r.finish()?;
    Ok(terms)
}

/// `claim.propose`: a treasurer proposes a claim.
pub(crate) fn propose(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let by = input.event.header.author;
    require_treasurer(state, &by, "propose a claim")?;
    let mut reader = BodyReader::new(PROPOSE, input.body)?;
    let holder = reader.key("holder")?;
    let currency = read_currency(&mut reader, PROPOSE)?;
    let terms = read_terms(reader.required("terms")?)?;
    let reason = reader.text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    if !state.economy.books.currencies().contains(&currency) {
        return reject(
            RejectionCode::CurrencyMismatch,
            format!(
                "the treasury has never received {currency}; a claim is paid from distributions in a currency it holds"
            ),
        );
    }
    let claims = &state.economy.claims;
    let kind = kind_of(&terms);
    if claims
        .live()
        .any(|c| c.holder == holder && c.currency == currency && c.kind() == kind)
    {
        return reject(
            RejectionCode::ClaimExists,
            format!("the holder already has a {kind} claim in {currency}, proposed or active"),
        );
    }
    if let ClaimTerms::Equity { share_ppm, .. } = terms {
        let live_ppm: u64 = claims
            .live()
            .filter(|c| c.currency == currency)
            .map(|c| match c.terms {
                ClaimTerms::Equity { share_ppm, .. } => u64::from(share_ppm),
                _ => 0,
            })
            .sum();
        if live_ppm + u64::from(share_ppm) > u64::from(PPM_TOTAL) {
            return reject(
                RejectionCode::ClaimEquityFull,
                format!(
                    "equity claims in {currency} already take {live_ppm} ppm; with this one they would take more than the whole (1,000,000)"
                ),
            );
        }
    }
    if claims.live().count() >= LIVE_CLAIMS_MAX {
        return crate::production::limit_reached("live claims", LIVE_CLAIMS_MAX);
    }
    if claims.claims.len() >= CLAIMS_KEPT_MAX {
        return crate::production::limit_reached("claims", CLAIMS_KEPT_MAX);
    }
    debug_assert!(match terms {
        ClaimTerms::Debt { owed: a, .. } | ClaimTerms::Once { amount: a, .. } => a <= AMOUNT_MAX,
        ClaimTerms::Equity { .. } => true,
    });
    let id = input.event.id;
    let claims = &mut state.economy.claims;
    claims.claims.insert(
        id,
        Claim {
            id,
            by,
            index: input.index,
            time_ms: state.time_ms,
            holder,
            currency,
            terms,
            reason,
            approvals: BTreeSet::new(),
            state: ClaimState::Proposed,
            paid: 0,
        },
    );
    claims.order.push(id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Claim(id));
    Ok(applied)
}

fn target<'a>(state: &'a State, kind: &str, body: &Value) -> Result<&'a Claim, Rejection> {
    let mut reader = BodyReader::new(kind, body)?;
    let id = reader.event_id("claim")?;
    if kind == WAIVE {
        reader.optional_text("reason", 1, REASON_LEN_MAX)?;
    }
    reader.finish()?;
    match state.economy.claims.claims.get(&id) {
        None => reject(RejectionCode::ClaimUnknown, "no claim has that id"),
        Some(c) => Ok(c),
    }
}

/// `claim.approve`: one treasurer's approval; the claim becomes active with enough.
pub(crate) fn approve(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    require_treasurer(state, &author, "approve a claim")?;
    let claim = target(state, APPROVE, input.body)?;
    if claim.state != ClaimState::Proposed {
        return reject(
            RejectionCode::ClaimState,
            format!("the claim is {}", claim.state.as_str()),
        );
    }
    if state.identity_of(&claim.holder) == state.identity_of(&author) {
        return reject(
            RejectionCode::SelfApprovalForbidden,
            "the holder of a claim never approves it",
        );
    }
    if claim.approvals.contains(&author) {
        return reject(
            RejectionCode::AlreadyApproved,
            "you already approved this claim",
        );
    }
    let needed = crate::association::statutes_of(state)?.treasurer_approvals as usize;
    let counted = claim
        .approvals
        .iter()
        .chain(std::iter::once(&author))
        .filter(|k| super::is_treasurer(state, k))
        .count();
    let id = claim.id;
    let index = input.index;
    if let Some(claim) = state.economy.claims.claims.get_mut(&id) {
        claim.approvals.insert(author);
        if counted >= needed {
            claim.state = ClaimState::Active { index };
        }
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Claim(id));
    Ok(applied)
}

/// `claim.waive`: the holder ends their claim (with their current key after a rotation).
pub(crate) fn waive(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let claim = target(state, WAIVE, input.body)?;
    if state.identity_of(&claim.holder) != state.identity_of(&author) {
        return reject(
            RejectionCode::NotClaimHolder,
            "only the holder of a claim waives it",
        );
    }
    if !claim.state.is_live() {
        return reject(
            RejectionCode::ClaimState,
            format!("the claim is {}", claim.state.as_str()),
        );
    }
    let id = claim.id;
    let index = input.index;
    if let Some(claim) = state.economy.claims.claims.get_mut(&id) {
        claim.state = ClaimState::Waived { index };
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Claim(id));
    Ok(applied)
}

pub(crate) fn row_keys(state: &State, keys: &mut Vec<RowKey>) {
    keys.extend(
        state
            .economy
            .claims
            .claims
            .keys()
            .map(|id| RowKey::Claim(*id)),
    );
}

/// A claim's projection row.
pub(crate) fn row_value(state: &State, id: &EventId) -> Option<Value> {
    let c = state.economy.claims.claims.get(id)?;
    let ended = match c.state {
        ClaimState::Settled { distribution, .. } => Value::bytes(distribution.0.to_vec()),
        _ => Value::Null,
    };
    Some(Value::text_map([
        ("by", key_value(&c.by)),
        ("holder", key_value(&c.holder)),
        ("currency", Value::text(c.currency.clone())),
        ("terms", terms_value(&c.terms)),
        ("reason", Value::text(c.reason.clone())),
        ("approvals", keys_value(c.approvals.iter().copied())),
        ("state", Value::text(c.state.as_str())),
        ("paid", Value::Unsigned(c.paid)),
        ("settled_by", ended),
    ]))
}
