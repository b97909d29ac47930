//! Distribution policies: the rules that turn a budget and the facts about its recipients
//! (credit, past payments, fixed splits, GIVE, time, claims, contributions) into exact
//! payouts, each with the reason a recipient got what they got.
//!
//! Every policy is a pure function of its inputs and a budget in minor units. It returns an
//! [`Allocation`]: one [`Share`] per recipient it considered (a zero share too, so that "why
//! did I get nothing" has an answer) and the part of the budget it did not place, which the
//! caller passes on ([`buckets`] hands it to the next bucket or the fallback). For every
//! allocation `Σ shares + unallocated = budget`, exactly.
//!
//! Every proportional money split goes through [`crate::apportion()`] or
//! [`crate::apportion_rational`] (largest remainder, ties by id); the fixed splits in parts
//! per million follow Drips' cumulative rounding instead, which is exact by construction
//! (see [`splits`]). No float is used anywhere.
//!
//! - [`sourcecred`]: IMMEDIATE, RECENT, BALANCED and SPECIAL, SourceCred's policies in
//!   integers.
//! - [`splits`]: fixed splits in parts per million (Drips).
//! - [`peer`]: GIVE circles (Coordinape).
//! - [`time`]: time logged times a rate per kind of work.
//! - [`claims`]: debt-like, one-time and equity-like claims, settled in order of seniority.
//! - [`quadratic`]: linear quadratic funding (Gitcoin's CLR) with caps by exact
//!   water-filling.
//! - [`bounty`]: an escrow released to co-authors by their shares.
//! - [`buckets`]: an ordered composition of the above into one [`buckets::Distribution`]
//!   with a minimum payout and a fallback recipient.

pub mod bounty;
pub mod buckets;
pub mod claims;
pub mod peer;
pub mod quadratic;
pub mod sourcecred;
pub mod splits;
pub mod time;

use crate::apportion::{ApportionError, apportion, apportion_rational};
use num_bigint::{BigInt, BigUint};
use num_rational::BigRational;
use num_traits::Zero;
use serde::{Serialize, Serializer};
use std::fmt;
use thiserror::Error;

/// A whole in parts per million: Drips' `TOTAL_SPLITS_WEIGHT`, and the unit of every
/// percentage in this module (15% is `150_000`).
pub const PPM_TOTAL: u32 = 1_000_000;

/// Most recipients (members, projects, claims, receivers) one policy takes.
pub const POLICY_RECIPIENTS_MAX: usize = 100_000;

/// Longest recipient id, in bytes.
pub const RECIPIENT_ID_BYTES_MAX: usize = 256;

/// Longest memo or name (of a bucket, a kind of work), in bytes.
pub const LABEL_BYTES_MAX: usize = 1_024;

/// Who may receive money from a distribution: a member, a project, a treasury. Givers in
/// a GIVE circle and contributors to a quadratic-funding round are named by the same ids,
/// since they are usually members too.
///
/// Between 1 and [`RECIPIENT_ID_BYTES_MAX`] bytes, no control characters. Ids are
/// compared bytewise, and that order breaks exact ties.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RecipientId(String);

impl RecipientId {
    /// Checks and wraps an id.
    pub fn new(text: impl Into<String>) -> Result<Self, PolicyError> {
        let text = text.into();
        let reason = if text.is_empty() {
            Some("it is empty")
        } else if text.len() > RECIPIENT_ID_BYTES_MAX {
            Some("it is too long")
        } else if text.chars().any(char::is_control) {
            Some("it holds a control character")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(PolicyError::InvalidId {
                id: text.chars().take(64).collect(),
                reason,
            }),
            None => Ok(Self(text)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecipientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An exact non-negative rational shown in explanations, serialized as `"n/d"` in lowest
/// terms (or `"n"` when it is an integer) so that no precision is lost on the way to a UI.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Exact(pub BigRational);

impl Exact {
    fn integer(value: impl Into<BigInt>) -> Self {
        Self(BigRational::from_integer(value.into()))
    }
}

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // BigRational keeps itself in lowest terms with a positive denominator.
        write!(f, "{}", self.0)
    }
}

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What one recipient gets from one policy, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Share {
    pub recipient: RecipientId,
    /// Minor units.
    pub amount: u64,
    /// The policy's inputs for this recipient.
    pub basis: Basis,
}

/// The result of one policy on one budget: `Σ shares.amount + unallocated = budget`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// One share per recipient considered (per claim for [`claims`]), in the order the
    /// policy lists them: by recipient id unless the policy says otherwise.
    pub shares: Vec<Share>,
    /// The part of the budget the policy did not place: a split's rest, a capped match that
    /// nobody under the cap could take, what remains after every claim is paid, or the whole
    /// budget when every weight is zero.
    pub unallocated: u64,
}

impl Allocation {
    /// Σ of the shares.
    pub fn allocated(&self) -> u64 {
        self.shares.iter().map(|share| share.amount).sum()
    }

    /// The amount of `recipient` (summed over its shares), zero if absent.
    pub fn amount_of(&self, recipient: &str) -> u64 {
        self.shares
            .iter()
            .filter(|share| share.recipient.as_str() == recipient)
            .map(|share| share.amount)
            .sum()
    }
}

/// Why a recipient got its share: the inputs of the policy for that recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum Basis {
    /// IMMEDIATE: credit earned in the lookback window.
    Immediate { credit: u64 },
    /// RECENT: credit discounted by age, `Σₜ creditₜ·(1−d)^ageₜ`.
    Recent { discounted_credit: Exact },
    /// BALANCED: lifetime (or lookback) credit and payments, the fair target and the
    /// shortfall the budget is split by.
    Balanced {
        credit: u64,
        paid: u64,
        target: Exact,
        shortfall: Exact,
    },
    /// SPECIAL: a fixed amount to one recipient.
    Special { memo: String },
    /// A fixed split in parts per million.
    Split { weight_ppm: u32 },
    /// A GIVE circle: GIVE received (counted) and from how many members.
    Peer {
        give_received: u64,
        n_givers: u64,
        opted_out: bool,
    },
    /// Time logged, in minutes, and its weight after the rates per kind.
    Time { minutes: u64, weight: u64 },
    /// A debt-like claim: owed before and after this payment.
    Debt {
        seniority: u32,
        owed_before: u64,
        owed_after: u64,
    },
    /// A one-time claim, settled (fully or not) by this payment.
    Once { seniority: u32, amount: u64 },
    /// An equity-like claim: a share of what is left after the debts, up to a cap.
    Equity {
        share_ppm: u32,
        cap: Option<u64>,
        received_before: u64,
        received_after: u64,
    },
    /// Quadratic funding: the contributions counted, their number, the match weight
    /// `(Σ√cᵢ)² − Σcᵢ` (scaled, see [`quadratic`]) and whether a cap bound the match.
    Quadratic {
        contributed: u64,
        n_contributors: u64,
        match_weight: Exact,
        capped: bool,
    },
    /// A bounty's co-author share.
    Bounty { share: u64 },
    /// What no bucket placed, given to the distribution's fallback recipient.
    Fallback,
}

/// Why a policy could not allocate.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// More of something than its limit.
    #[error("{count} {what} is more than the {max} allowed")]
    TooMany {
        what: &'static str,
        count: usize,
        max: usize,
    },
    /// A recipient id is empty, too long or holds a control character.
    #[error("recipient id {id:?} is invalid: {reason}")]
    InvalidId { id: String, reason: &'static str },
    /// A recipient (or a claim holder's claim of one kind) appears twice.
    #[error("recipient {0} appears twice")]
    DuplicateRecipient(RecipientId),
    /// A parameter is out of its range.
    #[error("{what} is invalid: {reason}")]
    Invalid { what: &'static str, reason: String },
    /// Credit histories of different lengths cannot be aligned interval by interval.
    #[error("recipient {recipient} has {n_intervals} intervals where the first has {expected}")]
    InconsistentIntervals {
        recipient: RecipientId,
        n_intervals: usize,
        expected: usize,
    },
    /// A sum or a product does not fit its integer type.
    #[error("an amount overflowed while computing {0}")]
    AmountOverflow(&'static str),
    /// Someone is named who is not part of the policy (a gift to a non-member).
    #[error("{0} is not a recipient of this policy")]
    UnknownRecipient(RecipientId),
    /// Buckets asked for more than the budget holds.
    #[error("bucket {bucket:?} asks for {asked} where only {remaining} remains")]
    BucketsOverBudget {
        bucket: String,
        asked: u64,
        remaining: u64,
    },
    /// Something remains after the last bucket and there is no fallback recipient.
    #[error("{0} remains after the last bucket and no fallback recipient is named")]
    Unassigned(u64),
    /// A bucket's policy refused its input.
    #[error("bucket {bucket:?}: {source}")]
    InBucket {
        bucket: String,
        source: Box<PolicyError>,
    },
    /// The apportionment failed (a bug in a policy unless the input was refused first).
    #[error(transparent)]
    Apportion(#[from] ApportionError),
}

impl PolicyError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooMany { .. } => "policy_too_many",
            Self::InvalidId { .. } => "policy_invalid_id",
            Self::DuplicateRecipient(_) => "policy_duplicate_recipient",
            Self::Invalid { .. } => "policy_invalid",
            Self::InconsistentIntervals { .. } => "policy_inconsistent_intervals",
            Self::AmountOverflow(_) => "amount_overflow",
            Self::UnknownRecipient(_) => "policy_unknown_recipient",
            Self::BucketsOverBudget { .. } => "policy_buckets_over_budget",
            Self::Unassigned(_) => "policy_unassigned",
            Self::InBucket { source, .. } => source.code(),
            Self::Apportion(inner) => inner.code(),
        }
    }

    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            what,
            reason: reason.into(),
        }
    }
}

/// One policy with its inputs, as a bucket runs it. Each variant is the function of the
/// same name in its module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Policy {
    /// [`sourcecred::immediate`].
    Immediate {
        lookback_intervals: usize,
        histories: Vec<sourcecred::CreditHistory>,
    },
    /// [`sourcecred::recent`].
    Recent {
        discount: sourcecred::Discount,
        histories: Vec<sourcecred::CreditHistory>,
    },
    /// [`sourcecred::balanced`].
    Balanced {
        lookback_intervals: usize,
        histories: Vec<sourcecred::CreditHistory>,
    },
    /// [`sourcecred::special`].
    Special {
        recipient: RecipientId,
        memo: String,
    },
    /// [`splits::split`].
    Splits {
        receivers: Vec<splits::SplitReceiver>,
    },
    /// [`peer::peer`].
    Peer { circle: peer::GiveCircle },
    /// [`time::time_weighted`].
    Time {
        rates: Vec<time::Rate>,
        entries: Vec<time::TimeEntry>,
    },
    /// [`claims::settle`]; a bucket reports the claims left after it.
    Claims { claims: Vec<claims::Claim> },
    /// [`quadratic::quadratic_match`].
    Quadratic { round: quadratic::Round },
    /// [`bounty::release`].
    Bounty {
        coauthors: Vec<bounty::CoauthorShare>,
    },
}

impl Policy {
    /// The policy's name, as shown in explanations.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Immediate { .. } => "immediate",
            Self::Recent { .. } => "recent",
            Self::Balanced { .. } => "balanced",
            Self::Special { .. } => "special",
            Self::Splits { .. } => "splits",
            Self::Peer { .. } => "peer",
            Self::Time { .. } => "time",
            Self::Claims { .. } => "claims",
            Self::Quadratic { .. } => "quadratic",
            Self::Bounty { .. } => "bounty",
        }
    }

    /// Runs the policy on `budget`.
    pub fn allocate(&self, budget: u64) -> Result<Allocation, PolicyError> {
        Ok(self.run(budget)?.0)
    }

    /// Runs the policy, with the claims left after it for [`Policy::Claims`].
    pub(crate) fn run(
        &self,
        budget: u64,
    ) -> Result<(Allocation, Option<Vec<claims::Claim>>), PolicyError> {
        let allocation = match self {
            Self::Immediate {
                lookback_intervals,
                histories,
            } => sourcecred::immediate(budget, *lookback_intervals, histories)?,
            Self::Recent {
                discount,
                histories,
            } => sourcecred::recent(budget, *discount, histories)?,
            Self::Balanced {
                lookback_intervals,
                histories,
            } => sourcecred::balanced(budget, *lookback_intervals, histories)?,
            Self::Special { recipient, memo } => sourcecred::special(budget, recipient, memo)?,
            Self::Splits { receivers } => splits::split(budget, receivers)?,
            Self::Peer { circle } => peer::peer(budget, circle)?,
            Self::Time { rates, entries } => time::time_weighted(budget, rates, entries)?,
            Self::Claims { claims } => {
                let settlement = claims::settle(budget, claims)?;
                return Ok((settlement.allocation, Some(settlement.claims_after)));
            }
            Self::Quadratic { round } => quadratic::quadratic_match(budget, round)?,
            Self::Bounty { coauthors } => bounty::release(budget, coauthors)?,
        };
        Ok((allocation, None))
    }
}

/// Refuses more than `max` items.
pub(crate) fn check_count(what: &'static str, count: usize, max: usize) -> Result<(), PolicyError> {
    if count > max {
        return Err(PolicyError::TooMany { what, count, max });
    }
    Ok(())
}

/// Refuses a label (memo, name, kind) longer than [`LABEL_BYTES_MAX`].
pub(crate) fn check_label(what: &'static str, label: &str) -> Result<(), PolicyError> {
    if label.len() > LABEL_BYTES_MAX {
        return Err(PolicyError::invalid(
            what,
            format!(
                "{} bytes is longer than the {LABEL_BYTES_MAX} allowed",
                label.len()
            ),
        ));
    }
    Ok(())
}

/// Refuses a recipient named twice.
pub(crate) fn check_unique<'a>(
    ids: impl Iterator<Item = &'a RecipientId>,
) -> Result<(), PolicyError> {
    let mut ids: Vec<&RecipientId> = ids.collect();
    ids.sort_unstable();
    match ids.windows(2).find(|pair| pair[0] == pair[1]) {
        Some(pair) => Err(PolicyError::DuplicateRecipient(pair[0].clone())),
        None => Ok(()),
    }
}

/// Splits `budget` in proportion to integer weights through [`apportion`]; when every
/// weight is zero nothing is split and the whole budget is unallocated. Shares come out
/// sorted by recipient id.
pub(crate) fn by_weights(
    budget: u64,
    mut weighted: Vec<(RecipientId, u64, Basis)>,
) -> Result<Allocation, PolicyError> {
    weighted.sort_by(|a, b| a.0.cmp(&b.0));
    let total: u128 = weighted.iter().map(|(_, w, _)| u128::from(*w)).sum();
    if total == 0 {
        return Ok(nothing_placed(budget, weighted));
    }
    let pairs: Vec<(&RecipientId, u64)> = weighted.iter().map(|(id, w, _)| (id, *w)).collect();
    let parts = apportion(budget, &pairs)?;
    Ok(placed(weighted, parts))
}

/// [`by_weights`] for big integer weights, through [`apportion_rational`].
pub(crate) fn by_big_weights(
    budget: u64,
    mut weighted: Vec<(RecipientId, BigUint, Basis)>,
) -> Result<Allocation, PolicyError> {
    weighted.sort_by(|a, b| a.0.cmp(&b.0));
    if weighted.iter().all(|(_, w, _)| w.is_zero()) {
        return Ok(nothing_placed(budget, weighted));
    }
    let pairs: Vec<(&RecipientId, BigRational)> = weighted
        .iter()
        .map(|(id, w, _)| (id, BigRational::from_integer(BigInt::from(w.clone()))))
        .collect();
    let parts = apportion_rational(budget, &pairs)?;
    Ok(placed(weighted, parts))
}

/// The whole budget placed: each recipient with its part and its basis.
fn placed<W>(weighted: Vec<(RecipientId, W, Basis)>, parts: Vec<u64>) -> Allocation {
    Allocation {
        shares: weighted
            .into_iter()
            .zip(parts)
            .map(|((recipient, _, basis), amount)| Share {
                recipient,
                amount,
                basis,
            })
            .collect(),
        unallocated: 0,
    }
}

/// Every recipient gets zero and the budget stays unallocated.
fn nothing_placed<W>(budget: u64, weighted: Vec<(RecipientId, W, Basis)>) -> Allocation {
    Allocation {
        shares: weighted
            .into_iter()
            .map(|(recipient, _, basis)| Share {
                recipient,
                amount: 0,
                basis,
            })
            .collect(),
        unallocated: budget,
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers shared by the policy tests.
    use super::*;

    pub fn id(text: &str) -> RecipientId {
        RecipientId::new(text).unwrap()
    }

    /// The law every allocation obeys: the shares and the unallocated rest sum to the
    /// budget exactly.
    pub fn assert_conserves(budget: u64, allocation: &Allocation) {
        let placed: u128 = allocation
            .shares
            .iter()
            .map(|share| u128::from(share.amount))
            .sum();
        assert_eq!(
            placed + u128::from(allocation.unallocated),
            u128::from(budget),
            "{allocation:?}"
        );
    }

    /// `(id, amount)` of every share, for compact assertions.
    pub fn amounts(allocation: &Allocation) -> Vec<(&str, u64)> {
        allocation
            .shares
            .iter()
            .map(|share| (share.recipient.as_str(), share.amount))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn recipient_ids_are_checked() {
        assert_eq!(id("alice").as_str(), "alice");
        for bad in ["", "a\nb", &"x".repeat(RECIPIENT_ID_BYTES_MAX + 1)] {
            assert_eq!(
                RecipientId::new(bad).unwrap_err().code(),
                "policy_invalid_id"
            );
        }
        assert!(RecipientId::new("x".repeat(RECIPIENT_ID_BYTES_MAX)).is_ok());
    }

    #[test]
    fn exact_values_serialize_in_lowest_terms() {
        let value = Exact(BigRational::new(BigInt::from(6), BigInt::from(4)));
        assert_eq!(serde_json::to_string(&value).unwrap(), "\"3/2\"");
        assert_eq!(serde_json::to_string(&Exact::integer(7)).unwrap(), "\"7\"");
    }

    #[test]
    fn every_weight_zero_leaves_the_budget_unallocated() {
        let allocation = by_weights(
            10,
            vec![
                (id("b"), 0, Basis::Bounty { share: 0 }),
                (id("a"), 0, Basis::Bounty { share: 0 }),
            ],
        )
        .unwrap();
        assert_eq!(amounts(&allocation), vec![("a", 0), ("b", 0)]);
        assert_eq!(allocation.unallocated, 10);
    }
}
