//! The value equation: how much credit each accepted contribution mints, and who it goes to.
//!
//! A contribution's value is, exactly (big rationals, no float):
//!
//! ```text
//! value = (base + effort_per_hour × effort_minutes / 60)
//!         × kind weight × area weight × Π weights of the labels of the tasks it resolves
//!         × (chore_multiplier if it resolves a chore task, else 1)
//! ```
//!
//! Weights absent from the equation are 1. The value is then shared: each upstream commons
//! the equation cites gets its `share` of it; the reviewers who approved the accepted
//! version (not its authors) share `reviewer_share` equally; the authors get the rest by
//! their co-author shares (and the reviewers' part too when nobody else reviewed). Only
//! accepted contributions count; a contribution counts under the equation in force at
//! the ledger time it was accepted.
//!
//! The commons' first equation is set by a treasurer or maintainer with `value.equation`;
//! every later one only by a poll under the statutes' `general` rule whose decision is
//! the new equation and the ledger time it takes effect from.

use super::{LABEL_WEIGHTS_MAX, UPSTREAM_MAX};
use crate::body::BodyReader;
use crate::production::{Contribution, ContributionStatus, Production, Verdict};
use crate::rejection::{Rejection, RejectionCode, reject};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};
use std::collections::BTreeMap;

/// A non-negative exact weight `num / den` (unlike the statutes' ratios, it may exceed 1),
/// kept as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
}

impl Ratio {
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };

    pub fn big(&self) -> BigRational {
        BigRational::new(BigInt::from(self.num), BigInt::from(self.den))
    }

    /// `n/d`, as the API shows it.
    pub fn text(&self) -> String {
        format!("{}/{}", self.num, self.den)
    }
}

fn ratio_value(r: &Ratio) -> Value {
    Value::Array(vec![Value::Unsigned(r.num), Value::Unsigned(r.den)])
}

/// A commons' value equation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Equation {
    /// Credit every accepted contribution is worth before effort and weights.
    pub base: Ratio,
    /// Credit per declared hour of effort.
    pub effort_per_hour: Ratio,
    /// Weight by contribution kind (`revision`, `external`, `care`).
    pub kinds: BTreeMap<String, Ratio>,
    /// Weight by area slug.
    pub areas: BTreeMap<String, Ratio>,
    /// Weight by task label (multiplied over the distinct labels of resolved tasks).
    pub labels: BTreeMap<String, Ratio>,
    /// Multiplier for a contribution that resolves a chore.
    pub chore_multiplier: Ratio,
    /// Share of each value for the reviewers who approved it.
    pub reviewer_share: Ratio,
    /// Cited upstream commons and the share of each value that flows to them.
    pub upstream: Vec<(String, Ratio)>,
    /// When set, credit is not paid where it is minted but flows along the contribution
    /// graph (CredRank, see [`crate::value::graph`]).
    pub graph: Option<GraphTerms>,
}

/// How credit flows along the contribution graph: PageRank's damping, and the weight of
/// each back-flow edge relative to its edge (a person passes credit back to their
/// contributions, an upstream commons to the contributions that cite it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphTerms {
    /// Above 0 and at most 19/20, so that ranking converges (networkx uses 0.85).
    pub damping: Ratio,
    /// At most 1; 0 adds no back-flow edges.
    pub back_flow: Ratio,
    /// Below 1: the share of the credit flowing out of a revision that goes to the
    /// revision it builds on (its base), and so on to that one's authors.
    pub builds_on: Ratio,
}

impl GraphTerms {
    /// Damping 17/20 (0.85) and back-flow 1/8, commons-value's defaults, and a fifth of
    /// a revision's credit to the revision it builds on.
    pub const DEFAULT: GraphTerms = GraphTerms {
        damping: Ratio { num: 17, den: 20 },
        back_flow: Ratio { num: 1, den: 8 },
        builds_on: Ratio { num: 1, den: 5 },
    };
}

impl Default for Equation {
    /// One credit per accepted contribution, all of it to its authors.
    fn default() -> Equation {
        Equation {
            base: Ratio { num: 1, den: 1 },
            effort_per_hour: Ratio::ZERO,
            kinds: BTreeMap::new(),
            areas: BTreeMap::new(),
            labels: BTreeMap::new(),
            chore_multiplier: Ratio { num: 1, den: 1 },
            reviewer_share: Ratio::ZERO,
            upstream: Vec::new(),
            graph: None,
        }
    }
}

/// Who a contribution's value goes to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Beneficiary {
    Person(AuthorKey),
    Upstream(String),
    /// A task's bounty escrow (a quadratic match).
    Task(EventId),
}

/// Why a beneficiary gets part of a contribution's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Author,
    Reviewer,
    Upstream,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Author => "author",
            Role::Reviewer => "reviewer",
            Role::Upstream => "upstream",
        }
    }
}

fn read_weight(kind: &str, name: &str, value: &Value) -> Result<Ratio, Rejection> {
    let invalid = || {
        reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: `{name}` is a fraction [n, d] with d > 0 and n ≤ 1,000,000 × d"),
        )
    };
    let Some([n, d]) = value.as_array() else {
        return invalid();
    };
    match (n.as_u64(), d.as_u64()) {
        (Some(num), Some(den))
            if den > 0 && den <= 1_000_000 && num <= den.saturating_mul(1_000_000) =>
        {
            Ok(Ratio { num, den })
        }
        _ => invalid(),
    }
}

fn read_weights(
    kind: &str,
    name: &str,
    value: Option<&Value>,
) -> Result<BTreeMap<String, Ratio>, Rejection> {
    let mut out = BTreeMap::new();
    let Some(value) = value else {
        return Ok(out);
    };
    let Value::Map(entries) = value else {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: `{name}` maps names to fractions"),
        );
    };
    if entries.len() > LABEL_WEIGHTS_MAX {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: `{name}` has at most {LABEL_WEIGHTS_MAX} entries"),
        );
    }
    for (k, v) in entries {
        let Some(key) = k.as_text().filter(|t| !t.is_empty() && t.len() <= 64) else {
            return reject(
                RejectionCode::BodyInvalid,
                format!("{kind}: `{name}` keys are names of 1 to 64 bytes"),
            );
        };
        out.insert(key.to_owned(), read_weight(kind, name, v)?);
    }
    Ok(out)
}

fn is_share(r: &Ratio) -> bool {
    r.num < r.den
}

/// Reads `graph: {damping, back_flow, builds_on}` (fractions `[n, d]`), each defaulting to
/// [`GraphTerms::DEFAULT`]'s.
fn read_graph(kind: &str, value: &Value) -> Result<GraphTerms, Rejection> {
    let mut r = BodyReader::new(kind, value)?;
    let mut terms = GraphTerms::DEFAULT;
    if let Some(v) = r.optional("damping") {
        terms.damping = read_weight(kind, "graph.damping", v)?;
    }
    if let Some(v) = r.optional("back_flow") {
        terms.back_flow = read_weight(kind, "graph.back_flow", v)?;
    }
    if let Some(v) = r.optional("builds_on") {
        terms.builds_on = read_weight(kind, "graph.builds_on", v)?;
    }
    r.finish()?;
    if !is_share(&terms.builds_on) {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: `graph.builds_on` is below 1"),
        );
    }
    let (num, den) = (u128::from(terms.damping.num), u128::from(terms.damping.den));
    if num == 0 || num * 20 > den * 19 {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: `graph.damping` is above 0 and at most 19/20"),
        );
    }
    if terms.back_flow.num > terms.back_flow.den {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: `graph.back_flow` is at most 1"),
        );
    }
    Ok(terms)
}

/// Reads an equation from its body form (see [`value`]).
pub fn read(kind: &str, body: &Value) -> Result<Equation, Rejection> {
    let mut reader = BodyReader::new(kind, body)?;
    let mut eq = Equation::default();
    if let Some(v) = reader.optional("base") {
        eq.base = read_weight(kind, "base", v)?;
    }
    if let Some(v) = reader.optional("effort_per_hour") {
        eq.effort_per_hour = read_weight(kind, "effort_per_hour", v)?;
    }
    eq.kinds = read_weights(kind, "kinds", reader.optional("kinds"))?;
    if let Some(bad) = eq
        .kinds
        .keys()
        .find(|k| crate::production::ContributionKind::parse(k).is_none())
    {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: `kinds` names revision, external or care, not `{bad}`"),
        );
    }
    eq.areas = read_weights(kind, "areas", reader.optional("areas"))?;
    eq.labels = read_weights(kind, "labels", reader.optional("labels"))?;
    if let Some(v) = reader.optional("chore_multiplier") {
        eq.chore_multiplier = read_weight(kind, "chore_multiplier", v)?;
    }
    if let Some(v) = reader.optional("reviewer_share") {
        eq.reviewer_share = read_weight(kind, "reviewer_share", v)?;
        if !is_share(&eq.reviewer_share) {
            return reject(
                RejectionCode::BodyInvalid,
                format!("{kind}: `reviewer_share` is below 1"),
            );
        }
    }
    if let Some(v) = reader.optional("upstream") {
        let Some(items) = v.as_array() else {
            return reject(
                RejectionCode::BodyInvalid,
                format!("{kind}: `upstream` is a list of {{name, share}}"),
            );
        };
        if items.len() > UPSTREAM_MAX {
            return reject(
                RejectionCode::BodyInvalid,
                format!("{kind}: at most {UPSTREAM_MAX} upstream commons"),
            );
        }
        for item in items {
            let mut r = BodyReader::new(kind, item)?;
            let name = r.text("name", 1, 64)?;
            let share = read_weight(kind, "share", r.required("share")?)?;
            r.finish()?;
            if eq.upstream.iter().any(|(n, _)| *n == name) {
                return reject(
                    RejectionCode::BodyInvalid,
                    format!("{kind}: upstream `{name}` is listed twice"),
                );
            }
            eq.upstream.push((name, share));
        }
    }
    if let Some(v) = reader.optional("graph") {
        eq.graph = Some(read_graph(kind, v)?);
    }
    reader.finish()?;
    let mut shared = eq.reviewer_share.big();
    for (_, share) in &eq.upstream {
        shared += share.big();
    }
    if shared >= BigRational::one() {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: the reviewers' and upstream shares must leave the authors something"),
        );
    }
    Ok(eq)
}

/// The equation as a body value (the inverse of [`read`]).
pub fn value(eq: &Equation) -> Value {
    let weights = |m: &BTreeMap<String, Ratio>| {
        Value::map(
            m.iter()
                .map(|(k, r)| (Value::text(k.clone()), ratio_value(r))),
        )
    };
    let mut fields = vec![
        ("base", ratio_value(&eq.base)),
        ("effort_per_hour", ratio_value(&eq.effort_per_hour)),
        ("chore_multiplier", ratio_value(&eq.chore_multiplier)),
        ("reviewer_share", ratio_value(&eq.reviewer_share)),
    ];
    if !eq.kinds.is_empty() {
        fields.push(("kinds", weights(&eq.kinds)));
    }
    if !eq.areas.is_empty() {
        fields.push(("areas", weights(&eq.areas)));
    }
    if !eq.labels.is_empty() {
        fields.push(("labels", weights(&eq.labels)));
    }
    if !eq.upstream.is_empty() {
        fields.push((
            "upstream",
            Value::Array(
                eq.upstream
                    .iter()
                    .map(|(name, share)| {
                        Value::text_map([
                            ("name", Value::text(name.clone())),
                            ("share", ratio_value(share)),
                        ])
                    })
                    .collect(),
            ),
        ));
    }
    if let Some(graph) = &eq.graph {
        fields.push((
            "graph",
            Value::text_map([
                ("damping", ratio_value(&graph.damping)),
                ("back_flow", ratio_value(&graph.back_flow)),
                ("builds_on", ratio_value(&graph.builds_on)),
            ]),
        ));
    }
    Value::text_map(fields)
}

/// The SHA-256 of the equation's deterministic CBOR, which a distribution pins.
pub fn hash(eq: &Equation) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(value(eq).encode()).into()
}

fn weight_of(map: &BTreeMap<String, Ratio>, key: &str) -> BigRational {
    map.get(key).map_or_else(BigRational::one, Ratio::big)
}

/// What one accepted contribution is worth under `eq`, and how it is shared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Valuation {
    pub value: BigRational,
    pub parts: Vec<(Beneficiary, Role, BigRational)>,
}

/// Values `c` under `eq`, counting only reviews made before ledger index `before` (whether
/// the contribution counts is the caller's question).
pub fn valuate(eq: &Equation, production: &Production, c: &Contribution, before: u64) -> Valuation {
    let inputs = Inputs::of(production, c, before);
    valuate_small(eq, c, &inputs).unwrap_or_else(|| valuate_big(eq, c, &inputs))
}

/// What a contribution's valuation depends on besides the equation.
struct Inputs<'a> {
    area: Option<&'a str>,
    labels: Vec<&'a str>,
    chore: bool,
    reviewers: Vec<AuthorKey>,
    total_shares: u64,
}

impl<'a> Inputs<'a> {
    fn of(production: &'a Production, c: &'a Contribution, before: u64) -> Self {
        let mut labels: Vec<&str> = Vec::new();
        let mut chore = false;
        for task in c.tasks.iter().filter_map(|t| production.tasks.get(t)) {
            chore |= task.chore;
            labels.extend(task.labels.iter().map(String::as_str));
        }
        labels.sort_unstable();
        labels.dedup();
        let mut reviewers: Vec<AuthorKey> = c
            .reviews
            .iter()
            .filter(|r| {
                r.verdict == Verdict::Approve
                    && r.version == c.version
                    && r.index < before
                    && !c.is_author(&r.reviewer)
            })
            .map(|r| r.reviewer)
            .collect();
        reviewers.sort_unstable();
        reviewers.dedup();
        Self {
            area: production.areas.get(&c.area).map(|a| a.slug.as_str()),
            labels,
            chore,
            reviewers,
            total_shares: c.authors.iter().map(|(_, s)| *s).sum(),
        }
    }
}

/// The valuation in big rationals: always exact, whatever the sizes.
fn valuate_big(eq: &Equation, c: &Contribution, inputs: &Inputs<'_>) -> Valuation {
    let mut value = eq.base.big()
        + eq.effort_per_hour.big()
            * BigRational::new(BigInt::from(c.effort_minutes), BigInt::from(60));
    value *= weight_of(&eq.kinds, c.kind.as_str());
    if let Some(area) = inputs.area {
        value *= weight_of(&eq.areas, area);
    }
    for label in &inputs.labels {
        value *= weight_of(&eq.labels, label);
    }
    if inputs.chore {
        value *= eq.chore_multiplier.big();
    }
    let mut parts = Vec::new();
    let mut left = value.clone();
    for (name, share) in &eq.upstream {
        let part = &value * share.big();
        left -= &part;
        parts.push((Beneficiary::Upstream(name.clone()), Role::Upstream, part));
    }
    let reviewers = &inputs.reviewers;
    if !reviewers.is_empty() && !eq.reviewer_share.big().is_zero() {
        let each = &value * eq.reviewer_share.big() / BigInt::from(reviewers.len());
        for reviewer in reviewers {
            left -= &each;
            parts.push((Beneficiary::Person(*reviewer), Role::Reviewer, each.clone()));
        }
    }
    if inputs.total_shares > 0 {
        for (author, share) in &c.authors {
            let part =
                &left * BigRational::new(BigInt::from(*share), BigInt::from(inputs.total_shares));
            parts.push((Beneficiary::Person(*author), Role::Author, part));
        }
    }
    Valuation { value, parts }
}

/// The same valuation step for step in 128-bit rationals, every operation checked; `None`
/// when one would overflow (then [`valuate_big`] computes it). Both are exact and reduced,
/// so they agree wherever this one answers; it is only faster, with no allocation per
/// step (a distribution values every accepted contribution).
fn valuate_small(eq: &Equation, c: &Contribution, inputs: &Inputs<'_>) -> Option<Valuation> {
    let weight =
        |map: &BTreeMap<String, Ratio>, key: &str| map.get(key).map_or(Some(Small::ONE), Small::of);
    let mut value = Small::of(&eq.base)?
        .add(Small::of(&eq.effort_per_hour)?.mul(Small::new(u128::from(c.effort_minutes), 60)?)?)?;
    value = value.mul(weight(&eq.kinds, c.kind.as_str())?)?;
    if let Some(area) = inputs.area {
        value = value.mul(weight(&eq.areas, area)?)?;
    }
    for label in &inputs.labels {
        value = value.mul(weight(&eq.labels, label)?)?;
    }
    if inputs.chore {
        value = value.mul(Small::of(&eq.chore_multiplier)?)?;
    }
    let mut parts = Vec::new();
    let mut left = value;
    for (name, share) in &eq.upstream {
        let part = value.mul(Small::of(share)?)?;
        left = left.sub(part)?;
        parts.push((Beneficiary::Upstream(name.clone()), Role::Upstream, part));
    }
    let reviewers = &inputs.reviewers;
    if !reviewers.is_empty() && eq.reviewer_share.num != 0 {
        let n = u128::try_from(reviewers.len()).ok()?;
        let each = value
            .mul(Small::of(&eq.reviewer_share)?)?
            .mul(Small::new(1, n)?)?;
        for reviewer in reviewers {
            left = left.sub(each)?;
            parts.push((Beneficiary::Person(*reviewer), Role::Reviewer, each));
        }
    }
    if inputs.total_shares > 0 {
        let total = u128::from(inputs.total_shares);
        for (author, share) in &c.authors {
            let part = left.mul(Small::new(u128::from(*share), total)?)?;
            parts.push((Beneficiary::Person(*author), Role::Author, part));
        }
    }
    Some(Valuation {
        value: value.big(),
        parts: parts
            .into_iter()
            .map(|(to, role, part)| (to, role, part.big()))
            .collect(),
    })
}

/// A non-negative rational in lowest terms over 128-bit integers, for [`valuate_small`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Small {
    num: u128,
    den: u128,
}

impl Small {
    const ONE: Small = Small { num: 1, den: 1 };

    fn new(num: u128, den: u128) -> Option<Small> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(Small {
            num: num / g,
            den: den / g,
        })
    }

    fn of(r: &Ratio) -> Option<Small> {
        Small::new(u128::from(r.num), u128::from(r.den))
    }

    fn mul(self, other: Small) -> Option<Small> {
        // Cross-reduce first, so that the products stay as small as they can.
        let a = gcd(self.num, other.den);
        let b = gcd(other.num, self.den);
        Small::new(
            (self.num / a).checked_mul(other.num / b)?,
            (self.den / b).checked_mul(other.den / a)?,
        )
    }

    /// `self ± other` over the least common denominator.
    fn combine(self, other: Small, add: bool) -> Option<Small> {
        let g = gcd(self.den, other.den);
        let den = (self.den / g).checked_mul(other.den)?;
        let x = self.num.checked_mul(den / self.den)?;
        let y = other.num.checked_mul(den / other.den)?;
        let num = if add {
            x.checked_add(y)?
        } else {
            x.checked_sub(y)?
        };
        Small::new(num, den)
    }

    fn add(self, other: Small) -> Option<Small> {
        self.combine(other, true)
    }

    fn sub(self, other: Small) -> Option<Small> {
        self.combine(other, false)
    }

    fn big(self) -> BigRational {
        // Already in lowest terms with a positive denominator.
        BigRational::new_raw(BigInt::from(self.num), BigInt::from(self.den))
    }
}

/// Stein's binary gcd; `gcd(0, n) = n`.
fn gcd(mut a: u128, mut b: u128) -> u128 {
    if a == 0 || b == 0 {
        return a | b;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

/// The ledger index and time at which `c` was accepted, if it was.
pub fn accepted(c: &Contribution) -> Option<(u64, u64)> {
    match c.status {
        ContributionStatus::Accepted { index, time_ms } => Some((index, time_ms)),
        _ => None,
    }
}

#[cfg(test)]
mod small_tests {
    use super::*;
    use proptest::prelude::*;

    fn ratio() -> impl Strategy<Value = Ratio> {
        let small = (0u64..1_000, 1u64..1_000);
        let any = (any::<u64>(), 1u64..=u64::MAX);
        prop_oneof![4 => small, 1 => any].prop_map(|(num, den)| Ratio { num, den })
    }

    /// A share below one half, so that up to two of them leave the authors a part.
    fn share() -> impl Strategy<Value = Ratio> {
        (1u64..1_000_000).prop_map(|den| Ratio {
            num: 1,
            den: 2 * den + 1,
        })
    }

    fn contribution() -> Contribution {
        let w = super::super::tests::world();
        let c = w.state.production.contributions.values().next();
        c.expect("the world has contributions").clone()
    }

    fn key(i: u8) -> AuthorKey {
        AuthorKey::from_bytes(&[[1u8].as_slice(), &[i; 32]].concat()).expect("a key")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The 128-bit path answers exactly what big rationals answer, or declines.
        #[test]
        fn small_and_big_valuations_agree(
            base in ratio(),
            effort in ratio(),
            kind in ratio(),
            area in ratio(),
            labels in proptest::collection::vec(ratio(), 0..3),
            chore in proptest::option::of(ratio()),
            reviewer_share in share(),
            upstream in proptest::collection::vec(share(), 0..2),
            n_reviewers in 0u8..4,
            authors in proptest::collection::vec(1u64..10_000, 1..4),
            minutes in prop_oneof![0u64..10_000, any::<u64>()],
        ) {
            let mut c = contribution();
            c.effort_minutes = minutes;
            c.authors = authors.iter().enumerate().map(|(i, s)| (key(100 + i as u8), *s)).collect();
            let label_names: Vec<String> = (0..labels.len()).map(|i| format!("l{i}")).collect();
            let eq = Equation {
                base,
                effort_per_hour: effort,
                kinds: [(c.kind.as_str().to_owned(), kind)].into(),
                areas: [("guide".to_owned(), area)].into(),
                labels: label_names.iter().cloned().zip(labels).collect(),
                chore_multiplier: chore.unwrap_or(Ratio { num: 1, den: 1 }),
                reviewer_share,
                upstream: upstream.into_iter().enumerate().map(|(i, s)| (format!("u{i}"), s)).collect(),
                graph: None,
            };
            let inputs = Inputs {
                area: Some("guide"),
                labels: label_names.iter().map(String::as_str).collect(),
                chore: chore.is_some(),
                reviewers: (0..n_reviewers).map(key).collect(),
                total_shares: authors.iter().sum(),
            };
            let big = valuate_big(&eq, &c, &inputs);
            if let Some(small) = valuate_small(&eq, &c, &inputs) {
                prop_assert_eq!(small, big);
            }
        }
    }

    #[test]
    fn small_values_take_the_fast_path_and_huge_ones_fall_back() {
        let c = contribution();
        let inputs = Inputs {
            area: Some("guide"),
            labels: vec![],
            chore: false,
            reviewers: vec![key(1), key(2), key(3)],
            total_shares: c.authors.iter().map(|(_, s)| *s).sum(),
        };
        let eq = Equation {
            reviewer_share: Ratio { num: 1, den: 10 },
            ..Equation::default()
        };
        let small = valuate_small(&eq, &c, &inputs).expect("small values stay on the fast path");
        assert_eq!(small, valuate_big(&eq, &c, &inputs));
        let huge = Equation {
            kinds: [(
                c.kind.as_str().to_owned(),
                Ratio {
                    num: u64::MAX,
                    den: 1,
                },
            )]
            .into(),
            areas: [(
                "guide".to_owned(),
                Ratio {
                    num: u64::MAX,
                    den: 1,
                },
            )]
            .into(),
            base: Ratio {
                num: u64::MAX,
                den: 3,
            },
            ..eq
        };
        assert_eq!(valuate_small(&huge, &c, &inputs), None);
        let w = super::super::tests::world();
        let production = &w.state.production;
        let c = production
            .contributions
            .values()
            .next()
            .expect("a contribution");
        let all = Inputs::of(production, c, u64::MAX);
        assert_eq!(valuate_small(&huge, c, &all), None);
        assert_eq!(
            valuate(&huge, production, c, u64::MAX),
            valuate_big(&huge, c, &all)
        );
    }
}
