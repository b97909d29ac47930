//! Distributions: one governed split of treasury money into payouts.
//!
//! *Propose* (a treasurer): an amount in one currency from the treasury, a ledger size the
//! computation is pinned to (with the root of the node's signed checkpoint at that size,
//! which the node checks), a minimum payout, and ordered buckets. Core computes the whole
//! split there and then, from the contributions accepted before the pinned size, each
//! valued under the equation in force when it was accepted, and stores it with the hash
//! of the configuration (equations and buckets), so everybody reviews the same figures.
//! *Approve*: `treasurer_approvals` distinct treasurers. *Execute* (a treasurer, once
//! approved): the amounts are credited to what the commons owes each person (or to each
//! upstream commons); amounts below the minimum payout are carried to the person's next
//! distribution. Payouts are then settled one by one with `money.payout`.
//!
//! Buckets run in order. A bucket takes `share_ppm` millionths of the whole amount
//! (`straight`) or of what the earlier buckets left (`remaining`); the last bucket takes
//! the rest, so the buckets always add up to the amount exactly. A bucket goes to the
//! treasury (kept for the association's own costs), to the equation's upstream commons by
//! their credit, or to contributors by their credit under a policy:
//!
//! - `lifetime`: by all credit earned before the pin;
//! - `immediate`: by credit earned since the previous executed distribution's pin;
//! - `recent`: SourceCred's RECENT, credit discounted by `discount_ppm` per interval of
//!   age, the newest interval counting fully;
//! - `balanced`: SourceCred's BALANCED over all intervals, paying those whose payments
//!   from earlier distributions (in this currency) lag their share of lifetime credit;
//! - `time`: by the effort declared on contributions accepted since the previous
//!   executed distribution's pin (the `immediate` window), split among co-authors by
//!   their shares, each minute weighted by the `rates` of its kind of contribution
//!   (`revision`, `external`, `care`; zero means the kind does not count). The effort
//!   was validated with the contribution, so nobody logs time the maintainers did not
//!   see.
//!
//! An interval is the stretch of ledger between the pins of two executed distributions
//! (the first starts at genesis, the last ends at this pin); at most
//! [`commons_value::policy::sourcecred::INTERVALS_MAX`] are kept, the oldest merged into
//! one. A bucket may also go to one named `person` with a `memo` (SourceCred's SPECIAL:
//! a one-off grant) or be `splits` among named people in parts per million (Drips'
//! cumulative rule); what splits leave unsplit stays in the treasury. A `claims` bucket
//! (at most one per distribution) settles the active claims on future distributions in
//! the distribution's currency (debts and one-time claims by seniority, then equity
//! shares; see [`super::claims`]); what they do not take stays in the treasury, and the
//! execution refuses (`distribution_stale`) when those claims changed since the proposal.
//! A `circle` bucket pays a closed GIVE circle's members in proportion to the GIVE they
//! received (Coordinape's peer allocation, [`super::circle`]); when nobody received any,
//! the bucket stays in the treasury.
//!
//! Credit is exact (big rationals) and then quantised to integer milli-credits (floor of
//! credit × 1000) before any money is computed; every money split is
//! `commons_value::apportion` (largest remainder, ties by id), so parts sum to the whole.

use super::bounty;
use super::equation::{self, Beneficiary, GraphTerms, Role};
use super::graph::{self, Flow, WindowCredit};
use super::money::{Account, Transfer};
use super::{AMOUNT_MAX, NOTE_LEN_MAX, read_amount, read_currency, require_treasurer};
use crate::body::BodyReader;
use crate::production::ContributionKind;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};
use commons_value::policy::quadratic::{self, Contribution, MatchCap, Round};
use commons_value::policy::sourcecred::{self, CreditHistory, Discount, INTERVALS_MAX};
use commons_value::policy::splits::{SplitReceiver, split as split_ppm};
use commons_value::policy::time::{self, Rate, TimeEntry};
use commons_value::policy::{Allocation, Basis, Exact, PolicyError, RecipientId};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub const PROPOSE: &str = "dist.propose";
pub const APPROVE: &str = "dist.approve";
pub const EXECUTE: &str = "dist.execute";
pub const CANCEL: &str = "dist.cancel";

/// Most buckets in one distribution.
pub const BUCKETS_MAX: usize = 16;
/// Most distributions a commons keeps.
pub const DISTRIBUTIONS_MAX: usize = 10_000;
/// Most distributions proposed and not yet executed or superseded at once.
pub const OPEN_DISTRIBUTIONS_MAX: usize = 8;
/// Credit is quantised to this many units per credit before money is computed.
pub const CREDIT_UNIT: u64 = 1_000;
/// Parts per million.
pub const PPM: u64 = 1_000_000;

/// Most people a `splits` bucket names (Drips' limit).
pub const SPLITS_MAX: usize = commons_value::policy::splits::SPLITS_RECEIVERS_MAX;
/// Longest memo of a `person` bucket, in bytes.
pub const MEMO_LEN_MAX: usize = 200;

/// Where a bucket's money goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Treasury,
    Upstream,
    Contributors(Policy),
    /// The whole bucket to one person, with the reason (SourceCred's SPECIAL).
    Person {
        key: AuthorKey,
        memo: String,
    },
    /// Fixed parts per million to named people, in key order (Drips' splits).
    Splits(Vec<(AuthorKey, u32)>),
    /// A closed GIVE circle's members by the GIVE they received (Coordinape).
    Circle(EventId),
    /// The active claims on future distributions in the distribution's currency.
    Claims,
    /// Quadratic matching of the bounties pledged on open tasks: each task's match adds
    /// to its escrow (see [`quadratic_shares`]).
    Quadratic(Matching),
}

/// A quadratic-matching bucket's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Matching {
    /// The most one task's match may be, in millionths of the bucket.
    pub cap_ppm: Option<u32>,
    /// Pledges below this (in minor units) are not matched.
    pub min_pledge: u64,
}

/// How a contributors' bucket weighs people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Lifetime,
    Immediate,
    /// Credit discounted by `discount_ppm` millionths per interval of age.
    Recent {
        discount_ppm: u32,
    },
    Balanced,
    /// By the effort declared on contributions accepted since the previous executed
    /// distribution, each minute weighted by the rate of its contribution's kind.
    Time(TimeRates),
}

/// Weight per minute of declared effort for each kind of contribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRates {
    pub revision: u64,
    pub external: u64,
    pub care: u64,
}

impl TimeRates {
    /// The rates by kind name, in the order the body form writes them.
    pub fn by_kind(&self) -> [(&'static str, u64); 3] {
        [
            (ContributionKind::Care.as_str(), self.care),
            (ContributionKind::External.as_str(), self.external),
            (ContributionKind::Revision.as_str(), self.revision),
        ]
    }
}

impl Target {
    /// What a share's weight counts in a bucket of this target: credit for the credit
    /// policies and upstream ([`CREDIT_WEIGHT`]), weighted minutes for `time`, GIVE
    /// received for a circle, millionths for fixed splits, the match weight for quadratic
    /// matching and what is owed (or the equity share) for claims.
    pub fn weight_unit(&self) -> &'static str {
        match self {
            Target::Contributors(Policy::Time(_)) => "weighted minutes",
            Target::Contributors(_) | Target::Upstream => CREDIT_WEIGHT,
            Target::Circle(_) => "GIVE",
            Target::Splits(_) => "millionths",
            Target::Quadratic(_) => "match weight",
            Target::Claims => "claim weight",
            Target::Person { .. } | Target::Treasury => "whole bucket",
        }
    }
}

/// The unit of a weight that is quantised credit.
pub const CREDIT_WEIGHT: &str = "milli-credits";

impl Policy {
    pub fn as_str(&self) -> &'static str {
        match self {
            Policy::Lifetime => "lifetime",
            Policy::Immediate => "immediate",
            Policy::Recent { .. } => "recent",
            Policy::Balanced => "balanced",
            Policy::Time(_) => "time",
        }
    }

    /// Whether the policy weighs credit from genesis (what "why did I get this" lists).
    pub fn since_genesis(&self) -> bool {
        !matches!(self, Policy::Immediate | Policy::Time(_))
    }
}

/// How much of the amount a bucket takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// Millionths of the whole amount.
    Straight(u64),
    /// Millionths of what the earlier buckets left.
    Remaining(u64),
    /// Everything left (the last bucket).
    Rest,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub take: Take,
    pub target: Target,
}

/// One recipient's share of one bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    pub to: Beneficiary,
    /// The weight the bucket's split used (milli-credits).
    pub weight: u64,
    pub amount: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketResult {
    pub bucket: Bucket,
    pub amount: u64,
    pub shares: Vec<Share>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Proposed,
    Executed {
        index: u64,
        time_ms: u64,
    },
    /// Withdrawn before execution (for instance refused as stale): nothing was credited,
    /// and its amount is no longer reserved.
    Cancelled {
        index: u64,
        by: AuthorKey,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distribution {
    pub id: EventId,
    pub by: AuthorKey,
    pub index: u64,
    pub time_ms: u64,
    pub title: String,
    pub amount: u64,
    pub currency: String,
    /// The ledger size the computation is pinned to, and the checkpoint root there.
    pub pin_size: u64,
    pub pin_root: [u8; 32],
    pub min_payout: u64,
    /// SHA-256 of the configuration: the equations in force and the buckets.
    pub config_hash: [u8; 32],
    pub buckets: Vec<BucketResult>,
    /// Each beneficiary's total over the buckets, before carrying.
    pub totals: BTreeMap<Beneficiary, u64>,
    /// What execution credits to each beneficiary (this distribution's total plus what
    /// earlier ones carried, when that reaches the minimum payout) and what it carries.
    pub credited: BTreeMap<Beneficiary, u64>,
    pub carried: BTreeMap<AuthorKey, u64>,
    pub approvals: BTreeSet<AuthorKey>,
    pub status: Status,
    /// Under a graph equation, the edges each paid beneficiary's credit arrived by.
    pub flows: Option<GraphFlows>,
}

/// Where the credit a distribution weighed came from, edge by edge, for each beneficiary
/// a contributors' or upstream bucket paid (see [`graph`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphFlows {
    /// Over every interval (what `lifetime`, `recent`, `balanced` and `upstream` weigh).
    pub lifetime: BTreeMap<Beneficiary, Vec<Flow>>,
    /// Over the last interval (what `immediate` weighs); empty without such a bucket.
    pub immediate: BTreeMap<Beneficiary, Vec<Flow>>,
}

/// What [`compute`] found: the buckets and, under a graph equation, the flows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Computed {
    pub buckets: Vec<BucketResult>,
    pub flows: Option<GraphFlows>,
}

/// The graph terms of the equation in force at the ledger's current time, if it has any.
pub fn graph_terms(state: &State) -> Option<GraphTerms> {
    state.economy.equation_at(state.time_ms).graph
}

impl Distribution {
    pub fn status_str(&self) -> &'static str {
        match self.status {
            Status::Proposed => "proposed",
            Status::Executed { .. } => "executed",
            Status::Cancelled { .. } => "cancelled",
        }
    }
}

/// Calls `f` with every part of every contribution accepted at a ledger index in
/// `since..before`, valued under the equation in force when it was accepted (what
/// [`credit`] adds up; audits and exports walk the same parts).
pub fn for_each_part(
    state: &State,
    since: u64,
    before: u64,
    mut f: impl FnMut(&EventId, Beneficiary, Role, BigRational),
) {
    for_each_part_at(state, since, before, |_, id, to, role, part| {
        f(id, to, role, part);
    });
}

/// [`for_each_part`], with the ledger index each contribution was accepted at.
pub(crate) fn for_each_part_at(
    state: &State,
    since: u64,
    before: u64,
    mut f: impl FnMut(u64, &EventId, Beneficiary, Role, BigRational),
) {
    let production = &state.production;
    for id in &production.contribution_order {
        let Some(c) = production.contributions.get(id) else {
            continue;
        };
        let Some((index, time_ms)) = equation::accepted(c) else {
            continue;
        };
        if index < since || index >= before {
            continue;
        }
        let eq = state.economy.equation_at(time_ms);
        for (to, role, part) in equation::valuate(&eq, production, c, before).parts {
            f(index, id, to, role, part);
        }
    }
}

/// An exact sum of many rationals that defers normalising: numerators are added per
/// denominator (an integer addition, where adding rationals takes a gcd of ever larger
/// numbers), and the few distinct denominators are combined once at the end.
#[derive(Clone, Debug, Default)]
struct ExactSum(BTreeMap<BigInt, BigInt>);

impl ExactSum {
    fn add(&mut self, part: BigRational) {
        let (numerator, denominator) = part.into_raw();
        *self.0.entry(denominator).or_default() += numerator;
    }

    fn total(self) -> BigRational {
        self.0
            .into_iter()
            .fold(BigRational::zero(), |sum, (denominator, numerator)| {
                sum + BigRational::new(numerator, denominator)
            })
    }
}

/// Sums parts per beneficiary.
#[derive(Default)]
struct CreditSums(BTreeMap<Beneficiary, ExactSum>);

impl CreditSums {
    fn add(&mut self, to: Beneficiary, part: BigRational) {
        self.0.entry(to).or_default().add(part);
    }

    fn totals(self) -> BTreeMap<Beneficiary, BigRational> {
        self.0
            .into_iter()
            .map(|(to, sum)| (to, sum.total()))
            .collect()
    }
}

/// Credit earned by contributions accepted at a ledger index in `since..before`, exact,
/// per beneficiary.
pub fn credit(state: &State, since: u64, before: u64) -> BTreeMap<Beneficiary, BigRational> {
    let mut credit = CreditSums::default();
    for_each_part(state, since, before, |_, to, _, part| credit.add(to, part));
    credit.totals()
}

/// Lifetime credit before `pin` per beneficiary, through the contribution graph when
/// `terms` are given (what `lifetime` buckets weigh); empty when the graph cannot be
/// ranked.
pub fn lifetime_credit(
    state: &State,
    pin: u64,
    terms: Option<&GraphTerms>,
) -> BTreeMap<Beneficiary, BigRational> {
    match terms {
        None => credit(state, 0, pin),
        Some(_) => Intervals::new(state, pin, terms)
            .map(|i| i.lifetime())
            .unwrap_or_default(),
    }
}

/// What `who`'s credit in a distribution's window (`since_genesis`: all of it, otherwise
/// since the previous executed distribution, `since`) came from, by contribution: the
/// graph flows the distribution stored, or without a graph each contribution's part.
pub fn explained_credit(
    state: &State,
    d: &Distribution,
    who: &Beneficiary,
    since_genesis: bool,
    since: u64,
) -> Vec<(EventId, Role, BigRational)> {
    match &d.flows {
        Some(flows) => {
            let window = if since_genesis {
                &flows.lifetime
            } else {
                &flows.immediate
            };
            window
                .get(who)
                .into_iter()
                .flatten()
                .map(|f| (f.contribution, f.role, graph::credits(f.credit)))
                .collect()
        }
        None => credit_of(
            state,
            who,
            if since_genesis { 0 } else { since },
            d.pin_size,
        ),
    }
}

/// One beneficiary's credit broken down by contribution, for "why did I get this".
pub fn credit_of(
    state: &State,
    who: &Beneficiary,
    since: u64,
    before: u64,
) -> Vec<(EventId, Role, BigRational)> {
    let mut out = Vec::new();
    for_each_part(state, since, before, |id, to, role, part| {
        if to == *who {
            out.push((*id, role, part));
        }
    });
    out
}

/// Exact credit quantised to whole milli-credits (floor).
pub fn quantise(credit: &BigRational) -> u64 {
    // Credit is never negative; most fit 128 bits, where this is one division.
    if let (Some(n), Some(d)) = (credit.numer().to_u128(), credit.denom().to_u128())
        && let Some(scaled) = n.checked_mul(u128::from(CREDIT_UNIT))
    {
        return u64::try_from(scaled / d).unwrap_or(u64::MAX);
    }
    (credit * BigRational::from_integer(BigInt::from(CREDIT_UNIT)))
        .floor()
        .to_integer()
        .to_u64()
        .unwrap_or(u64::MAX)
}

fn read_buckets(value: &Value) -> Result<Vec<Bucket>, Rejection> {
    let bad = |why: &str| {
        reject(
            RejectionCode::BodyInvalid,
            format!("{PROPOSE}: `buckets` {why}"),
        )
    };
    let Some(items) = value.as_array() else {
        return bad("is a list");
    };
    if items.is_empty() || items.len() > BUCKETS_MAX {
        return bad(&format!("holds 1 to {BUCKETS_MAX} buckets"));
    }
    let mut buckets = Vec::new();
    let mut straight_total = 0u64;
    for (i, item) in items.iter().enumerate() {
        let mut r = BodyReader::new(PROPOSE, item)?;
        let name = r.text("name", 1, 64)?;
        let take_text = r.text("take", 1, 16)?;
        let ppm = r.optional_uint("share_ppm")?;
        let to = r.text("to", 1, 16)?;
        let target = read_target(&mut r, &to)?;
        r.finish()?;
        let take = match (take_text.as_str(), ppm) {
            ("straight", Some(p)) if p <= PPM => {
                straight_total = straight_total.saturating_add(p);
                Take::Straight(p)
            }
            ("remaining", Some(p)) if p <= PPM => Take::Remaining(p),
            ("rest", None) => Take::Rest,
            _ => {
                return bad(
                    "take `straight` or `remaining` with `share_ppm` (0 to 1,000,000), or `rest`",
                );
            }
        };
        if (take == Take::Rest) != (i + 1 == items.len()) {
            return bad("end with one bucket that takes the `rest`, and only the last takes it");
        }
        buckets.push(Bucket { name, take, target });
    }
    if straight_total > PPM {
        return bad("take more than the whole amount straight");
    }
    if buckets
        .iter()
        .filter(|b| b.target == Target::Claims)
        .count()
        > 1
    {
        return bad("hold at most one `claims` bucket (claims are settled once per distribution)");
    }
    Ok(buckets)
}

/// The target a bucket goes `to`, with the fields that target takes; any other field is
/// left for `finish` to refuse.
fn read_target(r: &mut BodyReader<'_>, to: &str) -> Result<Target, Rejection> {
    let target = match to {
        "treasury" => Target::Treasury,
        "upstream" => Target::Upstream,
        "contributors" => {
            let policy = r.optional_text("policy", 1, 16)?;
            match policy.as_deref() {
                None | Some("lifetime") => Target::Contributors(Policy::Lifetime),
                Some("immediate") => Target::Contributors(Policy::Immediate),
                Some("balanced") => Target::Contributors(Policy::Balanced),
                Some("time") => {
                    Target::Contributors(Policy::Time(read_rates(r.required("rates")?)?))
                }
                Some("recent") => match r.uint("discount_ppm")? {
                    d if d <= PPM => Target::Contributors(Policy::Recent {
                        discount_ppm: d as u32,
                    }),
                    _ => {
                        return reject(
                            RejectionCode::BodyInvalid,
                            format!("{PROPOSE}: `discount_ppm` is 0 to 1,000,000"),
                        );
                    }
                },
                Some(_) => return bad_target(),
            }
        }
        "person" => Target::Person {
            key: r.key("person")?,
            memo: r.text("memo", 1, MEMO_LEN_MAX)?,
        },
        "splits" => Target::Splits(read_splits(r.required("splits")?)?),
        "quadratic" => {
            let cap_ppm = match r.optional_uint("cap_ppm")? {
                Some(c) if c == 0 || c > PPM => {
                    return reject(
                        RejectionCode::BodyInvalid,
                        format!("{PROPOSE}: `cap_ppm` is 1 to 1,000,000"),
                    );
                }
                c => c.map(|c| c as u32),
            };
            let min_pledge = r.optional_uint("min_pledge")?.unwrap_or(0);
            if min_pledge > AMOUNT_MAX {
                return reject(RejectionCode::AmountInvalid, "`min_pledge` is too large");
            }
            Target::Quadratic(Matching {
                cap_ppm,
                min_pledge,
            })
        }
        "claims" => Target::Claims,
        "circle" => Target::Circle(r.event_id("circle")?),
        _ => return bad_target(),
    };
    Ok(target)
}

/// A time bucket's `rates`: a weight per minute, at most [`time::RATE_MAX`], for every
/// kind of contribution (zero: the kind does not count).
fn read_rates(value: &Value) -> Result<TimeRates, Rejection> {
    let mut r = BodyReader::new(PROPOSE, value)?;
    let mut rate = |kind: ContributionKind| match r.uint(kind.as_str()) {
        Ok(w) if w <= time::RATE_MAX => Ok(w),
        Ok(_) => reject(
            RejectionCode::BodyInvalid,
            format!(
                "{PROPOSE}: `rates` weigh a minute at most {}",
                time::RATE_MAX
            ),
        ),
        Err(e) => Err(e),
    };
    let rates = TimeRates {
        revision: rate(ContributionKind::Revision)?,
        external: rate(ContributionKind::External)?,
        care: rate(ContributionKind::Care)?,
    };
    r.finish()?;
    Ok(rates)
}

fn bad_target<T>() -> Result<T, Rejection> {
    reject(
        RejectionCode::BodyInvalid,
        format!(
            "{PROPOSE}: `buckets` go `to` treasury, upstream, contributors (policy lifetime, immediate, balanced, recent with `discount_ppm`, or time with `rates`), a `person` with a `memo`, `splits`, `claims`, a closed `circle` by id, or `quadratic` matching of bounties"
        ),
    )
}

/// A `splits` list: 1 to [`SPLITS_MAX`] `{person, share_ppm}`, distinct people, each share
/// above zero and together at most the whole; kept in key order.
fn read_splits(value: &Value) -> Result<Vec<(AuthorKey, u32)>, Rejection> {
    let bad = |why: &str| {
        reject(
            RejectionCode::BodyInvalid,
            format!("{PROPOSE}: `splits` {why}"),
        )
    };
    let Some(items) = value.as_array() else {
        return bad("is a list");
    };
    if items.is_empty() || items.len() > SPLITS_MAX {
        return bad(&format!("names 1 to {SPLITS_MAX} people"));
    }
    let mut splits = BTreeMap::new();
    let mut total = 0u64;
    for item in items {
        let mut r = BodyReader::new(PROPOSE, item)?;
        let key = r.key("person")?;
        let ppm = r.uint("share_ppm")?;
        r.finish()?;
        if ppm == 0 || ppm > PPM {
            return bad("gives each person a `share_ppm` from 1 to 1,000,000");
        }
        total += ppm;
        if splits.insert(key, ppm as u32).is_some() {
            return bad("names each person once");
        }
    }
    if total > PPM {
        return bad("shares more than the whole bucket");
    }
    Ok(splits.into_iter().collect())
}

/// A bucket's `take`, `share_ppm`, `to` and `policy` as its body form writes them.
pub type BucketWords = (
    &'static str,
    Option<u64>,
    &'static str,
    Option<&'static str>,
);

impl Bucket {
    /// The bucket in the words of its body form (see [`BucketWords`]).
    pub fn words(&self) -> BucketWords {
        let (take, ppm) = match self.take {
            Take::Straight(p) => ("straight", Some(p)),
            Take::Remaining(p) => ("remaining", Some(p)),
            Take::Rest => ("rest", None),
        };
        let (to, policy) = match &self.target {
            Target::Treasury => ("treasury", None),
            Target::Upstream => ("upstream", None),
            Target::Contributors(p) => ("contributors", Some(p.as_str())),
            Target::Person { .. } => ("person", None),
            Target::Splits(_) => ("splits", None),
            Target::Quadratic(_) => ("quadratic", None),
            Target::Claims => ("claims", None),
            Target::Circle(_) => ("circle", None),
        };
        (take, ppm, to, policy)
    }
}

/// A bucket in its `dist.propose` body form (what [`read_buckets`] reads).
pub fn bucket_value(b: &Bucket) -> Value {
    let (take, ppm, to, policy) = b.words();
    let mut fields = vec![
        ("name", Value::text(b.name.clone())),
        ("take", Value::text(take)),
        ("to", Value::text(to)),
    ];
    if let Some(p) = ppm {
        fields.push(("share_ppm", Value::Unsigned(p)));
    }
    if let Some(p) = policy {
        fields.push(("policy", Value::text(p)));
    }
    match &b.target {
        Target::Contributors(Policy::Recent { discount_ppm }) => {
            fields.push(("discount_ppm", Value::Unsigned(u64::from(*discount_ppm))));
        }
        Target::Contributors(Policy::Time(rates)) => {
            let rates = rates
                .by_kind()
                .into_iter()
                .map(|(kind, w)| (kind, Value::Unsigned(w)));
            fields.push(("rates", Value::text_map(rates)));
        }
        Target::Person { key, memo } => {
            fields.push(("person", Value::Bytes(key.to_bytes().to_vec())));
            fields.push(("memo", Value::text(memo.clone())));
        }
        Target::Splits(splits) => {
            let items = splits
                .iter()
                .map(|(key, ppm)| {
                    Value::text_map(vec![
                        ("person", Value::Bytes(key.to_bytes().to_vec())),
                        ("share_ppm", Value::Unsigned(u64::from(*ppm))),
                    ])
                })
                .collect();
            fields.push(("splits", Value::Array(items)));
        }
        Target::Quadratic(m) => {
            if let Some(cap) = m.cap_ppm {
                fields.push(("cap_ppm", Value::Unsigned(u64::from(cap))));
            }
            if m.min_pledge > 0 {
                fields.push(("min_pledge", Value::Unsigned(m.min_pledge)));
            }
        }
        Target::Circle(circle) => fields.push(("circle", Value::Bytes(circle.0.to_vec()))),
        Target::Treasury | Target::Upstream | Target::Contributors(_) | Target::Claims => {}
    }
    Value::text_map(fields)
}

/// The configuration hash: SHA-256 over the buckets and every adopted equation, in order.
fn config_hash(state: &State, buckets: &[Bucket]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(Value::Array(buckets.iter().map(bucket_value).collect()).encode());
    for adopted in &state.economy.equations {
        hasher.update(adopted.effective_ms.to_be_bytes());
        hasher.update(equation::hash(&adopted.equation));
    }
    hasher.finalize().into()
}

/// Splits `amount` among weighted beneficiaries with `apportion`; all-zero weights give an
/// empty split (the caller sends that money back to the treasury).
pub(crate) fn split(amount: u64, weights: &BTreeMap<Beneficiary, u64>) -> Vec<Share> {
    let entries: Vec<(&Beneficiary, u64)> = weights
        .iter()
        .filter(|(_, w)| **w > 0)
        .map(|(b, w)| (b, *w))
        .collect();
    if amount == 0 || entries.is_empty() {
        return Vec::new();
    }
    match commons_value::apportion(amount, &entries) {
        Ok(parts) => entries
            .into_iter()
            .zip(parts)
            .map(|((to, weight), amount)| Share {
                to: to.clone(),
                weight,
                amount,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Where `immediate` starts for a distribution proposed at ledger index `before`: the pin
/// of the last distribution executed before it (0 when none was).
pub fn last_executed_pin(state: &State, before: u64) -> u64 {
    state
        .economy
        .distribution_order
        .iter()
        .filter_map(|id| state.economy.distributions.get(id))
        .filter(|d| matches!(d.status, Status::Executed { index, .. } if index < before))
        .map(|d| d.pin_size)
        .max()
        .unwrap_or(0)
}

/// Credit per interval up to a pin (see the module): `starts[k]` opens interval `k`, the
/// last ends at the pin; `credit[k]` is what contributions accepted in it earned, exact.
/// Under a graph equation, `windows[k]` is interval `k`'s graph credit with its flows
/// (and `credit[k]` the same milli-credits as credits); otherwise `windows` is empty.
/// Where the intervals before `pin` start: at genesis and at each executed distribution's
/// pin, the oldest merged into the first beyond the most kept (fewer when `graph`).
fn interval_starts(state: &State, pin: u64, graph: bool) -> Vec<u64> {
    let mut starts: Vec<u64> = std::iter::once(0)
        .chain(
            executed(state)
                .map(|d| d.pin_size)
                .filter(|p| *p > 0 && *p < pin),
        )
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let kept = if graph {
        graph::GRAPH_INTERVALS_MAX
    } else {
        INTERVALS_MAX
    };
    if starts.len() > kept {
        // The oldest intervals merge into the first.
        starts.drain(1..=starts.len() - kept);
    }
    starts
}

fn unrankable(e: commons_value::credrank::CreditError) -> Rejection {
    Rejection::new(
        RejectionCode::LimitReached,
        format!(
            "the contribution graph cannot be ranked: {e} ({})",
            e.code()
        ),
    )
}

/// The contribution graph a distribution pinned to `pin` and proposed on `state` (the
/// state its `dist.propose` was applied to) ranks, window by window, as CSV an auditor
/// feeds to `commons cred pagerank`; `None` when the equation then in force has no
/// graph terms.
pub fn graph_windows(state: &State, pin: u64) -> Result<Option<Vec<graph::WindowCsv>>, Rejection> {
    let Some(terms) = graph_terms(state) else {
        return Ok(None);
    };
    let starts = interval_starts(state, pin, true);
    graph::windows_csv(state, &starts, pin, &terms)
        .map(Some)
        .map_err(unrankable)
}

struct Intervals {
    starts: Vec<u64>,
    credit: Vec<BTreeMap<Beneficiary, BigRational>>,
    windows: Vec<WindowCredit>,
}

impl Intervals {
    /// Values every contribution accepted before `pin` once, binned by interval, and
    /// under a graph equation ranks each interval on the contribution graph.
    fn new(state: &State, pin: u64, terms: Option<&GraphTerms>) -> Result<Self, Rejection> {
        let starts = interval_starts(state, pin, terms.is_some());
        if let Some(terms) = terms {
            let windows = graph::windows(state, &starts, pin, terms).map_err(unrankable)?;
            let credit = windows
                .iter()
                .map(|w| {
                    w.credit
                        .iter()
                        .map(|(to, milli)| (to.clone(), graph::credits(*milli)))
                        .collect()
                })
                .collect();
            return Ok(Self {
                starts,
                credit,
                windows,
            });
        }
        let mut sums: Vec<CreditSums> = starts.iter().map(|_| CreditSums::default()).collect();
        for_each_part_at(state, 0, pin, |index, _, to, _, part| {
            let k = starts.partition_point(|s| *s <= index) - 1;
            sums[k].add(to, part);
        });
        let credit = sums.into_iter().map(CreditSums::totals).collect();
        Ok(Self {
            starts,
            credit,
            windows: Vec::new(),
        })
    }

    /// Under a graph equation, the flows of the credit over all intervals and over the
    /// last one (`immediate`), for the beneficiaries in `paid`.
    fn flows(&self, immediate: bool, paid: &BTreeSet<&Beneficiary>) -> Option<GraphFlows> {
        if self.windows.is_empty() {
            return None;
        }
        let keep = |w: &WindowCredit| -> BTreeMap<Beneficiary, Vec<Flow>> {
            w.flows
                .iter()
                .filter(|(to, _)| paid.contains(to))
                .map(|(to, f)| (to.clone(), f.clone()))
                .collect()
        };
        let mut lifetime = WindowCredit::default();
        for w in &self.windows {
            lifetime.merge(w);
        }
        Some(GraphFlows {
            lifetime: keep(&lifetime),
            immediate: match self.windows.last() {
                Some(w) if immediate => keep(w),
                _ => BTreeMap::new(),
            },
        })
    }

    /// The interval a distribution pinned at `pin_size` paid for: the one ending there.
    fn paid_interval(&self, pin_size: u64) -> usize {
        self.starts.partition_point(|s| *s < pin_size).max(1) - 1
    }

    /// Exact credit over all intervals.
    fn lifetime(&self) -> BTreeMap<Beneficiary, BigRational> {
        let mut total = BTreeMap::new();
        for window in &self.credit {
            for (to, c) in window {
                *total.entry(to.clone()).or_insert_with(BigRational::zero) += c;
            }
        }
        total
    }

    /// Each person's quantised credit per interval and what executed distributions in
    /// `currency` gave them per interval, as SourceCred's policies take them.
    fn histories(&self, state: &State, currency: &str) -> Vec<(AuthorKey, CreditHistory)> {
        let n = self.starts.len();
        let mut people: BTreeMap<AuthorKey, (Vec<u64>, Vec<u64>)> = BTreeMap::new();
        for (k, window) in self.credit.iter().enumerate() {
            for (to, c) in window {
                if let Beneficiary::Person(key) = to {
                    people
                        .entry(*key)
                        .or_insert_with(|| (vec![0; n], vec![0; n]))
                        .0[k] = quantise(c);
                }
            }
        }
        // Everyone paid counts, with or without credit: BALANCED's pool is the budget
        // plus all earlier payments.
        for d in executed(state).filter(|d| d.currency == currency) {
            let k = self.paid_interval(d.pin_size);
            for (to, amount) in &d.totals {
                if let Beneficiary::Person(key) = to {
                    let paid = &mut people
                        .entry(*key)
                        .or_insert_with(|| (vec![0; n], vec![0; n]))
                        .1;
                    paid[k] = paid[k].saturating_add(*amount);
                }
            }
        }
        people
            .into_iter()
            .map(|(key, (credit_per_interval, paid_per_interval))| {
                let history = CreditHistory {
                    recipient: recipient_id(&key),
                    credit_per_interval,
                    paid_per_interval,
                };
                (key, history)
            })
            .collect()
    }
}

fn executed(state: &State) -> impl Iterator<Item = &Distribution> {
    state
        .economy
        .distributions
        .values()
        .filter(|d| matches!(d.status, Status::Executed { .. }))
}

fn recipient_id(key: &AuthorKey) -> RecipientId {
    RecipientId::new(key.to_hex()).expect("a key's hex is a valid recipient id")
}

/// An allocation of a commons-value policy as shares, keyed back to people; the weight
/// shown is the policy's basis for the person, floored to an integer.
fn shares_of(
    allocation: Result<Allocation, PolicyError>,
    people: &BTreeMap<String, AuthorKey>,
) -> Result<Vec<Share>, Rejection> {
    let allocation = allocation.map_err(policy_rejection)?;
    let floor = |x: &Exact| x.0.floor().to_integer().to_u64().unwrap_or(u64::MAX);
    Ok(allocation
        .shares
        .into_iter()
        .filter_map(|share| {
            let key = people.get(share.recipient.as_str())?;
            let weight = match &share.basis {
                Basis::Recent { discounted_credit } => floor(discounted_credit),
                Basis::Balanced { shortfall, .. } => floor(shortfall),
                Basis::Split { weight_ppm } => u64::from(*weight_ppm),
                Basis::Immediate { credit } => *credit,
                Basis::Time { weight, .. } => *weight,
                _ => 1,
            };
            Some(Share {
                to: Beneficiary::Person(*key),
                weight,
                amount: share.amount,
            })
        })
        .filter(|share| share.weight > 0 || share.amount > 0)
        .collect())
}

/// Computes the buckets of a distribution of `amount` in `currency`, with credit flowing
/// along the contribution graph when `terms` are given. A policy that cannot run (more
/// people than it takes) is a rejection.
pub fn compute(
    state: &State,
    amount: u64,
    currency: &str,
    pin: u64,
    buckets: &[Bucket],
    terms: Option<&GraphTerms>,
) -> Result<Computed, Rejection> {
    // Every contribution is valued once (valuing them is the whole cost), binned by
    // interval; `immediate` is the last interval, or nothing when a distribution was
    // executed at or past this pin.
    let since = last_executed_pin(state, u64::MAX);
    let needs_credit = buckets
        .iter()
        .any(|b| matches!(b.target, Target::Upstream | Target::Contributors(_)));
    let intervals = match needs_credit {
        true => Some(Intervals::new(state, pin, terms)?),
        false => None,
    };
    let lifetime = intervals
        .as_ref()
        .map(Intervals::lifetime)
        .unwrap_or_default();
    let empty = BTreeMap::new();
    let recent = match &intervals {
        Some(i) if since < pin => i.credit.last().unwrap_or(&empty),
        _ => &empty,
    };
    let weights_of = |credit: &BTreeMap<Beneficiary, BigRational>, people: bool| {
        credit
            .iter()
            .filter(|(b, _)| matches!(b, Beneficiary::Person(_)) == people)
            .map(|(b, c)| (b.clone(), quantise(c)))
            .collect::<BTreeMap<_, _>>()
    };
    let needs_history = buckets.iter().any(|b| {
        matches!(
            b.target,
            Target::Contributors(Policy::Recent { .. } | Policy::Balanced)
        )
    });
    let histories = match (&intervals, needs_history) {
        (Some(i), true) => i.histories(state, currency),
        _ => Vec::new(),
    };
    let people: BTreeMap<String, AuthorKey> = histories
        .iter()
        .map(|(key, h)| (h.recipient.as_str().to_owned(), *key))
        .collect();
    let histories: Vec<CreditHistory> = histories.into_iter().map(|(_, h)| h).collect();
    let mut left = amount;
    let mut results = Vec::with_capacity(buckets.len());
    for bucket in buckets {
        let take = match bucket.take {
            Take::Straight(ppm) => mul_ppm(amount, ppm),
            Take::Remaining(ppm) => mul_ppm(left, ppm),
            Take::Rest => left,
        }
        .min(left);
        left -= take;
        let shares = match &bucket.target {
            Target::Treasury => Vec::new(),
            Target::Upstream => split(take, &weights_of(&lifetime, false)),
            Target::Contributors(Policy::Lifetime) => split(take, &weights_of(&lifetime, true)),
            Target::Contributors(Policy::Immediate) => split(take, &weights_of(recent, true)),
            Target::Contributors(Policy::Recent { discount_ppm }) => {
                let discount = Discount::new(u64::from(*discount_ppm), PPM)
                    .expect("read_buckets keeps discounts within one");
                shares_of(sourcecred::recent(take, discount, &histories), &people)?
            }
            Target::Contributors(Policy::Balanced) => {
                shares_of(sourcecred::balanced(take, 0, &histories), &people)?
            }
            Target::Contributors(Policy::Time(rates)) => {
                let (entries, named) = time_entries(state, since.min(pin), pin);
                let rates: Vec<Rate> = rates
                    .by_kind()
                    .into_iter()
                    .map(|(kind, weight_per_minute)| Rate {
                        kind: kind.to_owned(),
                        weight_per_minute,
                    })
                    .collect();
                shares_of(time::time_weighted(take, &rates, &entries), &named)?
            }
            Target::Person { key, .. } if take > 0 => vec![Share {
                to: Beneficiary::Person(*key),
                weight: 1,
                amount: take,
            }],
            Target::Person { .. } => Vec::new(),
            Target::Splits(splits) => {
                let receivers: Vec<SplitReceiver> = splits
                    .iter()
                    .map(|(key, ppm)| SplitReceiver {
                        recipient: recipient_id(key),
                        weight_ppm: *ppm,
                    })
                    .collect();
                let named = splits.iter().map(|(key, _)| (key.to_hex(), *key)).collect();
                shares_of(split_ppm(take, &receivers), &named)?
            }
            Target::Quadratic(matching) => quadratic_shares(state, take, currency, pin, matching)?,
            Target::Claims => super::claims::bucket_shares(state, currency, take)?,
            Target::Circle(circle) => super::circle::shares(state, circle, take)?,
        };
        results.push(BucketResult {
            bucket: bucket.clone(),
            amount: take,
            shares,
        });
    }
    let flows = intervals.as_ref().and_then(|i| {
        let weighed = results
            .iter()
            .filter(|r| matches!(r.bucket.target, Target::Upstream | Target::Contributors(_)));
        let paid: BTreeSet<&Beneficiary> = weighed
            .clone()
            .flat_map(|r| r.shares.iter().map(|s| &s.to))
            .collect();
        let immediate = weighed
            .clone()
            .any(|r| r.bucket.target == Target::Contributors(Policy::Immediate));
        i.flows(immediate, &paid)
    });
    Ok(Computed {
        buckets: results,
        flows,
    })
}

/// The effort declared on contributions accepted at a ledger index in `since..before`,
/// split among co-authors by their shares as the production record splits it (floors,
/// the remainder to the submitter), as time entries per person and kind of contribution;
/// a person's total of a kind is entered in pieces of at most a week, the longest entry
/// the policy takes. Also the people by recipient id.
fn time_entries(
    state: &State,
    since: u64,
    before: u64,
) -> (Vec<TimeEntry>, BTreeMap<String, AuthorKey>) {
    let mut minutes: BTreeMap<(AuthorKey, &'static str), u64> = BTreeMap::new();
    for_each_effort(state, since, before, |_, kind, key, part| {
        let sum = minutes.entry((key, kind)).or_default();
        *sum = sum.saturating_add(part);
    });
    let mut entries = Vec::new();
    let mut named = BTreeMap::new();
    for ((key, kind), mut left) in minutes {
        let recipient = recipient_id(&key);
        named.insert(recipient.as_str().to_owned(), key);
        while left > 0 {
            let piece = left.min(time::ENTRY_MINUTES_MAX);
            entries.push(TimeEntry {
                recipient: recipient.clone(),
                kind: kind.to_owned(),
                minutes: piece,
            });
            left -= piece;
        }
    }
    (entries, named)
}

/// Calls `f(contribution, kind, author, minutes)` for each author's part of the effort
/// declared on each contribution accepted at a ledger index in `since..before`, in
/// contribution order: what a `time` bucket weighs.
fn for_each_effort(
    state: &State,
    since: u64,
    before: u64,
    mut f: impl FnMut(&EventId, &'static str, AuthorKey, u64),
) {
    let production = &state.production;
    for id in &production.contribution_order {
        let Some(c) = production.contributions.get(id) else {
            continue;
        };
        match equation::accepted(c) {
            Some((index, _)) if index >= since && index < before => {}
            _ => continue,
        }
        for (key, part) in c.effort_by_author() {
            f(id, c.kind.as_str(), key, part);
        }
    }
}

/// The effort `who` declared on contributions accepted at a ledger index in
/// `since..before`, by contribution: `(contribution, kind, minutes)`, what "why did I get
/// this" lists for a `time` bucket (their weight there is the minutes times their kind's
/// rate, summed).
pub fn effort_of(
    state: &State,
    who: &AuthorKey,
    since: u64,
    before: u64,
) -> Vec<(EventId, &'static str, u64)> {
    let mut out = Vec::new();
    for_each_effort(state, since, before, |id, kind, key, minutes| {
        if key == *who && minutes > 0 {
            out.push((*id, kind, minutes));
        }
    });
    out
}

/// Quadratic matching (Gitcoin's linear CLR, `commons_value::policy::quadratic`) of the
/// bounties in `currency` escrowed on open tasks before the pin: a task is a project, a
/// pledger a contributor (all of one pledger's bounties on a task add up first), so many
/// small pledges from many people draw more of the bucket than one large one. Only
/// pledges that name their pledger by key count (an anonymous pledge could be anyone,
/// many times over); a lone pledger earns no match. The weight shown is the match weight
/// `(Σ√cᵢ)² − Σcᵢ` in minor units, floored.
fn quadratic_shares(
    state: &State,
    take: u64,
    currency: &str,
    pin: u64,
    matching: &Matching,
) -> Result<Vec<Share>, Rejection> {
    let bounties = &state.economy.bounties;
    let mut tasks = BTreeMap::new();
    let mut contributions = Vec::new();
    for (task, ids) in &bounties.escrowed {
        if !state
            .production
            .tasks
            .get(task)
            .is_some_and(|t| t.is_open())
        {
            continue;
        }
        for b in ids.iter().filter_map(|id| bounties.bounties.get(id)) {
            let Some(pledger) = b.pledger else { continue };
            if b.currency != currency || b.index >= pin {
                continue;
            }
            let project = RecipientId::new(task.to_hex()).expect("an id's hex is a recipient id");
            tasks.insert(project.as_str().to_owned(), *task);
            contributions.push(Contribution {
                contributor: recipient_id(&pledger),
                project,
                amount: b.amount,
            });
        }
    }
    let round = Round {
        contributions,
        contribution_min: matching.min_pledge,
        cap: matching.cap_ppm.map(MatchCap::SharePpm),
    };
    let allocation = quadratic::quadratic_match(take, &round).map_err(policy_rejection)?;
    Ok(allocation
        .shares
        .into_iter()
        .filter_map(|share| {
            let task = tasks.get(share.recipient.as_str())?;
            let weight = match &share.basis {
                Basis::Quadratic { match_weight, .. } => match_weight
                    .0
                    .floor()
                    .to_integer()
                    .to_u64()
                    .unwrap_or(u64::MAX),
                _ => 0,
            };
            (weight > 0 || share.amount > 0).then_some(Share {
                to: Beneficiary::Task(*task),
                weight,
                amount: share.amount,
            })
        })
        .collect())
}

/// A policy that cannot run (more people than it takes) refuses the proposal.
fn policy_rejection(e: PolicyError) -> Rejection {
    Rejection::new(
        RejectionCode::LimitReached,
        format!("{PROPOSE}: the policy cannot run: {e}"),
    )
}

fn mul_ppm(amount: u64, ppm: u64) -> u64 {
    (u128::from(amount) * u128::from(ppm) / u128::from(PPM)) as u64
}

/// Money still promised by distributions proposed and not executed.
pub fn reserved(state: &State, currency: &str) -> u64 {
    state
        .economy
        .distributions
        .values()
        .filter(|d| d.status == Status::Proposed && d.currency == currency)
        .map(|d| d.amount)
        .fold(0u64, u64::saturating_add)
}

/// `dist.propose`.
pub(crate) fn propose(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    require_treasurer(state, &author, "propose a distribution")?;
    let amount = read_amount(PROPOSE, input.body, "amount")?;
    let mut reader = BodyReader::new(PROPOSE, input.body)?;
    reader.require_key("amount")?;
    let title = reader.text("title", 1, 200)?;
    let currency = read_currency(&mut reader, PROPOSE)?;
    let min_payout = reader.optional_uint("min_payout")?.unwrap_or(0);
    let buckets = read_buckets(reader.required("buckets")?)?;
    let pin = reader.optional("pin");
    reader.optional_text("note", 1, NOTE_LEN_MAX)?;
    let Some(pin) = pin.filter(|v| !v.is_null()) else {
        reader.finish()?;
        return reject(
            RejectionCode::DistributionUnpinned,
            "a distribution is pinned to a checkpoint: `pin` {size, root}",
        );
    };
    reader.finish()?;
    let mut p = BodyReader::new(PROPOSE, pin)?;
    let pin_size = p.uint("size")?;
    let root = p.required("root")?;
    p.finish()?;
    let Some(pin_root) = root.as_bytes().and_then(|b| <[u8; 32]>::try_from(b).ok()) else {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{PROPOSE}: `pin.root` is a 32-byte Merkle root"),
        );
    };
    if pin_size == 0 || pin_size > state.size {
        return reject(
            RejectionCode::CheckpointUnknown,
            format!(
                "the ledger has {} entries; a pin names a checkpoint at a size it has reached",
                state.size
            ),
        );
    }
    if min_payout > AMOUNT_MAX {
        return reject(RejectionCode::AmountInvalid, "`min_payout` is too large");
    }
    let books = &state.economy.books;
    if !books.currencies().contains(&currency) {
        return reject(
            RejectionCode::CurrencyMismatch,
            format!("the treasury has never received {currency}"),
        );
    }
    let available = books
        .holds(&Account::Treasury, &currency)
        .saturating_sub(reserved(state, &currency));
    if amount > available {
        return reject(
            RejectionCode::InsufficientFunds,
            format!(
                "the treasury has {available} {currency} not yet promised; a distribution never exceeds the income it is built from"
            ),
        );
    }
    let economy = &state.economy;
    if economy.distributions.len() >= DISTRIBUTIONS_MAX {
        return crate::production::limit_reached("distributions", DISTRIBUTIONS_MAX);
    }
    if economy
        .distributions
        .values()
        .filter(|d| d.status == Status::Proposed)
        .count()
        >= OPEN_DISTRIBUTIONS_MAX
    {
        return crate::production::limit_reached("open distributions", OPEN_DISTRIBUTIONS_MAX);
    }
    let terms = graph_terms(state);
    let Computed {
        buckets: results,
        flows,
    } = compute(state, amount, &currency, pin_size, &buckets, terms.as_ref())?;
    let mut totals: BTreeMap<Beneficiary, u64> = BTreeMap::new();
    for r in &results {
        for s in &r.shares {
            let t = totals.entry(s.to.clone()).or_insert(0);
            *t = t.saturating_add(s.amount);
        }
    }
    let (credited, carried) = carry(state, &totals, &currency, min_payout);
    let id = input.event.id;
    super::claims::record_proposal(state, id, &currency, &results)?;
    let distribution = Distribution {
        id,
        by: author,
        index: input.index,
        time_ms: state.time_ms,
        title,
        amount,
        currency,
        pin_size,
        pin_root,
        min_payout,
        config_hash: config_hash(state, &buckets),
        buckets: results,
        totals,
        credited,
        carried,
        approvals: BTreeSet::new(),
        status: Status::Proposed,
        flows,
    };
    state.economy.distributions.insert(id, distribution);
    state.economy.distribution_order.push(id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Distribution(id));
    Ok(applied)
}

/// What execution credits and carries: a person's total plus what earlier distributions
/// carried for them is credited when it reaches `min_payout`, and carried otherwise.
fn carry(
    state: &State,
    totals: &BTreeMap<Beneficiary, u64>,
    currency: &str,
    min_payout: u64,
) -> (BTreeMap<Beneficiary, u64>, BTreeMap<AuthorKey, u64>) {
    let books = &state.economy.books;
    let mut credited = BTreeMap::new();
    let mut carried = BTreeMap::new();
    for (to, amount) in totals {
        match to {
            Beneficiary::Person(key) => {
                let before = books.holds(&Account::Carry(*key), currency);
                let sum = amount.saturating_add(before);
                if sum >= min_payout.max(1) {
                    credited.insert(to.clone(), sum);
                } else if *amount > 0 {
                    carried.insert(*key, *amount);
                }
            }
            Beneficiary::Upstream(_) | Beneficiary::Task(_) => {
                if *amount > 0 {
                    credited.insert(to.clone(), *amount);
                }
            }
        }
    }
    (credited, carried)
}

fn target(state: &State, input: &Input<'_>, kind: &str) -> Result<EventId, Rejection> {
    let mut reader = BodyReader::new(kind, input.body)?;
    let id = reader.event_id("distribution")?;
    reader.finish()?;
    match state.economy.distributions.get(&id) {
        None => reject(
            RejectionCode::DistributionUnknown,
            "no distribution has that id",
        ),
        Some(d) if d.status != Status::Proposed => reject(
            RejectionCode::DistributionState,
            format!("the distribution is {}", d.status_str()),
        ),
        Some(_) => Ok(id),
    }
}

/// `dist.cancel`: a treasurer withdraws a proposed distribution, with a reason; its
/// amount is no longer reserved and it no longer counts among the open ones.
pub(crate) fn cancel(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    require_treasurer(state, &author, "cancel a distribution")?;
    let mut reader = BodyReader::new(CANCEL, input.body)?;
    let id = reader.event_id("distribution")?;
    reader.text("reason", 1, NOTE_LEN_MAX)?;
    reader.finish()?;
    match state.economy.distributions.get_mut(&id) {
        None => reject(
            RejectionCode::DistributionUnknown,
            "no distribution has that id",
        ),
        Some(d) if d.status != Status::Proposed => reject(
            RejectionCode::DistributionState,
            format!("the distribution is {}", d.status_str()),
        ),
        Some(d) => {
            d.status = Status::Cancelled {
                index: input.index,
                by: author,
            };
            let mut applied = Applied::default();
            applied.touch(RowKey::Distribution(id));
            Ok(applied)
        }
    }
}

/// `dist.approve`: one treasurer's approval.
pub(crate) fn approve(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    require_treasurer(state, &author, "approve a distribution")?;
    let id = target(state, input, APPROVE)?;
    let Some(d) = state.economy.distributions.get_mut(&id) else {
        return reject(
            RejectionCode::DistributionUnknown,
            "no distribution has that id",
        );
    };
    if !d.approvals.insert(author) {
        return reject(
            RejectionCode::AlreadyApproved,
            "you already approved this distribution",
        );
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Distribution(id));
    Ok(applied)
}

/// `dist.execute`: credits what each beneficiary is owed, once enough treasurers approved.
pub(crate) fn execute(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    require_treasurer(state, &author, "execute a distribution")?;
    let id = target(state, input, EXECUTE)?;
    let needed = crate::association::statutes_of(state)?.treasurer_approvals as usize;
    let Some(d) = state.economy.distributions.get(&id) else {
        return reject(
            RejectionCode::DistributionUnknown,
            "no distribution has that id",
        );
    };
    let approvals = d
        .approvals
        .iter()
        .filter(|k| super::is_treasurer(state, k))
        .count();
    if approvals < needed {
        return reject(
            RejectionCode::DistributionState,
            format!("{approvals} of the {needed} treasurer approvals it needs"),
        );
    }
    let currency = d.currency.clone();
    super::claims::check_fresh(state, &id, &currency)?;
    let mut transfers = Vec::new();
    // Quadratic matches that go into a task's escrow; one whose task closed since the
    // proposal stays in the treasury.
    let mut matches = Vec::new();
    let books = &state.economy.books;
    for (to, amount) in &d.credited {
        match to {
            Beneficiary::Person(key) => {
                let before = books.holds(&Account::Carry(*key), &currency);
                let now = amount.saturating_sub(before);
                if now > 0 {
                    transfers.push(Transfer {
                        from: Account::Treasury,
                        to: Account::Owed(*key),
                        amount: now,
                        currency: currency.clone(),
                    });
                }
                if before > 0 {
                    transfers.push(Transfer {
                        from: Account::Carry(*key),
                        to: Account::Owed(*key),
                        amount: before,
                        currency: currency.clone(),
                    });
                }
            }
            Beneficiary::Upstream(name) => transfers.push(Transfer {
                from: Account::Treasury,
                to: Account::Upstream(name.clone()),
                amount: *amount,
                currency: currency.clone(),
            }),
            Beneficiary::Task(task) => {
                if bounty::can_match(state, task) {
                    transfers.push(Transfer {
                        from: Account::Treasury,
                        to: Account::Escrow(*task),
                        amount: *amount,
                        currency: currency.clone(),
                    });
                    matches.push((*task, *amount));
                }
            }
        }
    }
    for (key, amount) in &d.carried {
        transfers.push(Transfer {
            from: Account::Treasury,
            to: Account::Carry(*key),
            amount: *amount,
            currency: currency.clone(),
        });
    }
    let event = input.event.id;
    let time_ms = state.time_ms;
    state
        .economy
        .books
        .post(transfers, event, input.index, time_ms, EXECUTE, None)?;
    let mut applied = Applied::default();
    for (task, amount) in matches {
        let bounty = bounty::record_match(state, input, &id, task, amount, &currency);
        applied.touch(RowKey::Bounty(bounty));
    }
    if let Some(d) = state.economy.distributions.get_mut(&id) {
        d.status = Status::Executed {
            index: input.index,
            time_ms,
        };
    }
    super::claims::executed(state, &id, input.index, &mut applied);
    super::touch_lines(state, &event, &mut applied);
    applied.touch(RowKey::Distribution(id));
    Ok(applied)
}

/// One beneficiary's line in an equation change's simulation: credit (milli-credits) and
/// money (minor units) under the equations in force and with the change adopted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedShare {
    pub to: Beneficiary,
    pub credit_before: u64,
    pub credit_after: u64,
    pub money_before: u64,
    pub money_after: u64,
}

/// What a value equation change would do, shown before anyone votes on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simulation {
    /// The distribution simulated: the latest one's amount, currency and buckets, pinned
    /// to the ledger as it is now; or, before any, the whole treasury in its first currency
    /// to contributors by lifetime credit.
    pub amount: u64,
    pub currency: Option<String>,
    pub buckets: Vec<Bucket>,
    /// Every beneficiary either side, in key order.
    pub shares: Vec<SimulatedShare>,
}

/// Simulates adopting `equation` from `effective_ms`: each beneficiary's lifetime credit
/// and share of a distribution, before and after. Exact, and computed by the same code as
/// a real distribution.
pub fn simulate_equation(
    state: &State,
    equation: &super::equation::Equation,
    effective_ms: u64,
) -> Simulation {
    let (amount, currency, buckets) = match state
        .economy
        .distribution_order
        .last()
        .and_then(|id| state.economy.distributions.get(id))
    {
        Some(d) => (
            d.amount,
            Some(d.currency.clone()),
            d.buckets.iter().map(|b| b.bucket.clone()).collect(),
        ),
        None => {
            let currency = state.economy.books.currencies().into_iter().next();
            let amount = currency
                .as_ref()
                .map_or(0, |c| state.economy.books.holds(&Account::Treasury, c));
            let bucket = Bucket {
                name: "contributors".into(),
                take: Take::Rest,
                target: Target::Contributors(Policy::Lifetime),
            };
            (amount, currency, vec![bucket])
        }
    };
    let mut after = state.clone();
    super::adopt_equation(&mut after, equation.clone(), effective_ms, u64::MAX, None);
    // The change is simulated as if in force: its graph terms rank both ways.
    let (terms_before, terms_after) = (graph_terms(state), equation.graph);
    let before_credit = lifetime_credit(state, state.size, terms_before.as_ref());
    let after_credit = lifetime_credit(&after, state.size, terms_after.as_ref());
    let money = |s: &State, terms: Option<&GraphTerms>| -> BTreeMap<Beneficiary, u64> {
        let mut totals = BTreeMap::new();
        if amount > 0 {
            let currency = currency.as_deref().unwrap_or_default();
            let computed = compute(s, amount, currency, s.size, &buckets, terms);
            for r in computed.unwrap_or_default().buckets {
                for share in r.shares {
                    *totals.entry(share.to).or_insert(0u64) += share.amount;
                }
            }
        }
        totals
    };
    let money_before = money(state, terms_before.as_ref());
    let money_after = money(&after, terms_after.as_ref());
    let everyone: BTreeSet<&Beneficiary> = before_credit
        .keys()
        .chain(after_credit.keys())
        .chain(money_before.keys())
        .chain(money_after.keys())
        .collect();
    let shares = everyone
        .into_iter()
        .map(|to| SimulatedShare {
            to: to.clone(),
            credit_before: before_credit.get(to).map_or(0, quantise),
            credit_after: after_credit.get(to).map_or(0, quantise),
            money_before: money_before.get(to).copied().unwrap_or(0),
            money_after: money_after.get(to).copied().unwrap_or(0),
        })
        .collect();
    Simulation {
        amount,
        currency,
        buckets,
        shares,
    }
}
