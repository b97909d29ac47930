//! Spec tests for claims on future distributions: proposal, approval and waiver with every
//! refusal's code, the limits, a worked settlement over two distributions and the refusal
//! of an execution whose claims changed since its proposal.

use super::claims::{
    self, APPROVE, CLAIMS_KEPT_MAX, Claim, ClaimState, LIVE_CLAIMS_MAX, PROPOSE, WAIVE,
};
use super::distribution::{self, Target};
use super::money::Account;
use super::tests::{code, id_value, income_body, world};
use super::*;
use crate::projection::key_value;
use crate::test_world::World;
use commons_ledger::cbor::Value;
use commons_value::policy::claims::ClaimTerms;

const EUR: &str = "EUR";

fn debt(owed: u64, seniority: u64) -> Value {
    Value::text_map([
        ("kind", Value::text("debt")),
        ("owed", Value::Unsigned(owed)),
        ("seniority", Value::Unsigned(seniority)),
    ])
}

fn once(amount: u64, seniority: u64) -> Value {
    Value::text_map([
        ("kind", Value::text("once")),
        ("amount", Value::Unsigned(amount)),
        ("seniority", Value::Unsigned(seniority)),
    ])
}

fn equity(share_ppm: u64, cap: Option<u64>) -> Value {
    let mut fields = vec![
        ("kind", Value::text("equity")),
        ("share_ppm", Value::Unsigned(share_ppm)),
    ];
    if let Some(cap) = cap {
        fields.push(("cap", Value::Unsigned(cap)));
    }
    Value::text_map(fields)
}

fn claim_body(w: &World, holder: usize, currency: &str, terms: Value) -> Value {
    Value::text_map([
        ("holder", key_value(&w.key(holder))),
        ("currency", Value::text(currency)),
        ("terms", terms),
        ("reason", Value::text("a loan for the server")),
    ])
}

fn target(id: &EventId) -> Value {
    Value::text_map([("claim", id_value(id))])
}

/// Proposed by key 0 and approved by keys 0 and 1 (the statutes' 2 of 2).
fn active_claim(w: &mut World, holder: usize, terms: Value) -> EventId {
    let id = w.ok(0, PROPOSE, claim_body(w, holder, EUR, terms));
    w.ok(0, APPROVE, target(&id));
    assert_eq!(
        w.state.economy.claims.claims[&id].state,
        ClaimState::Proposed
    );
    w.ok(1, APPROVE, target(&id));
    assert!(matches!(
        w.state.economy.claims.claims[&id].state,
        ClaimState::Active { .. }
    ));
    id
}

/// A distribution of `amount` EUR with one `claims` bucket taking the rest.
fn propose_claims_distribution(w: &mut World, amount: u64) -> EventId {
    let body = distribution_body(w, amount, vec![claims_bucket("claims", "rest")]);
    w.ok(0, distribution::PROPOSE, body)
}

fn claims_bucket(name: &str, take: &str) -> Value {
    Value::text_map([
        ("name", Value::text(name)),
        ("take", Value::text(take)),
        ("to", Value::text("claims")),
    ])
}

fn distribution_body(w: &World, amount: u64, buckets: Vec<Value>) -> Value {
    Value::text_map([
        ("title", Value::text("Repayments")),
        ("amount", Value::Unsigned(amount)),
        ("currency", Value::text(EUR)),
        ("buckets", Value::Array(buckets)),
        (
            "pin",
            Value::text_map([
                ("size", Value::Unsigned(w.state.size)),
                ("root", Value::bytes(vec![7u8; 32])),
            ]),
        ),
    ])
}

fn approve_distribution(w: &mut World, d: &EventId) {
    let target = Value::text_map([("distribution", id_value(d))]);
    w.ok(0, distribution::APPROVE, target.clone());
    w.ok(1, distribution::APPROVE, target);
}

fn execute_distribution(
    w: &mut World,
    d: &EventId,
) -> Result<EventId, crate::rejection::Rejection> {
    let target = Value::text_map([("distribution", id_value(d))]);
    w.send(1, distribution::EXECUTE, target)
}

fn claim(w: &World, id: &EventId) -> Claim {
    w.state.economy.claims.claims[id].clone()
}

/// (weight, amount) of each claim holder's share of the distribution's `claims` bucket.
fn claim_shares(w: &World, d: &EventId, holders: [usize; 3]) -> [(u64, u64); 3] {
    let bucket = w.state.economy.distributions[d]
        .buckets
        .iter()
        .find(|b| b.bucket.target == Target::Claims)
        .expect("a claims bucket");
    holders.map(|i| super::tests::share_of(w, bucket, i))
}

/// Worked by hand. Key 5 lent 50,000 (a debt, seniority 1), key 6 is owed a one-time
/// 5,000 (seniority 0, so senior to the loan) and key 7 holds 10% equity capped at 6,000.
///
/// The first distribution, 40,000: the one-time claim first (5,000), then the debt gets
/// the 35,000 left of its 50,000; nothing is left for equity. The second, 100,000: the
/// debt's last 15,000, then 10% of the 85,000 left is 8,500, cut to the cap of 6,000;
/// the 79,000 nobody claims stays in the treasury.
#[test]
fn debts_once_claims_and_capped_equity_are_settled_over_two_distributions() {
    let mut w = world();
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
    let loan = active_claim(&mut w, 5, debt(50_000, 1));
    let founder = active_claim(&mut w, 6, once(5_000, 0));
    let investor = active_claim(&mut w, 7, equity(100_000, Some(6_000)));
    let books = |w: &World| {
        let b = &w.state.economy.books;
        (
            b.holds(&Account::Treasury, EUR),
            [5, 6, 7].map(|i| b.holds(&Account::Owed(w.key(i)), EUR)),
        )
    };

    let first = propose_claims_distribution(&mut w, 40_000);
    assert_eq!(
        claim_shares(&w, &first, [5, 6, 7]),
        [(50_000, 35_000), (5_000, 5_000), (100_000, 0)]
    );
    // Proposing pays nothing and changes no claim.
    assert_eq!(claim(&w, &loan).paid, 0);
    approve_distribution(&mut w, &first);
    execute_distribution(&mut w, &first).unwrap();
    assert_eq!(books(&w), (960_000, [35_000, 5_000, 0]));
    let (l, f, i) = (claim(&w, &loan), claim(&w, &founder), claim(&w, &investor));
    assert_eq!((l.state.as_str(), l.paid), ("active", 35_000));
    assert_eq!(
        l.terms_now(),
        ClaimTerms::Debt {
            owed: 15_000,
            seniority: 1
        }
    );
    assert!(matches!(f.state, ClaimState::Settled { distribution, .. } if distribution == first));
    assert_eq!(f.paid, 5_000);
    assert_eq!((i.state.as_str(), i.paid), ("active", 0));

    let second = propose_claims_distribution(&mut w, 100_000);
    assert_eq!(
        claim_shares(&w, &second, [5, 6, 7]),
        [(15_000, 15_000), (0, 0), (100_000, 6_000)]
    );
    approve_distribution(&mut w, &second);
    execute_distribution(&mut w, &second).unwrap();
    assert_eq!(books(&w), (939_000, [50_000, 5_000, 6_000]));
    let (l, i) = (claim(&w, &loan), claim(&w, &investor));
    assert_eq!((l.state.as_str(), l.paid), ("settled", 50_000));
    assert_eq!((i.state.as_str(), i.paid), ("settled", 6_000));
    assert_eq!(w.state.economy.claims.active(EUR).count(), 0);
    // What each distribution settled stays on record for its explanation.
    let seen = &w.state.economy.claims.seen[&second];
    assert_eq!(seen.lines.len(), 2);
    let mut settled: Vec<(EventId, u64, bool)> = seen
        .lines
        .iter()
        .map(|l| (l.claim, l.paid, l.after.is_some()))
        .collect();
    settled.sort();
    let mut expected = vec![(loan, 15_000, false), (investor, 6_000, false)];
    expected.sort();
    assert_eq!(settled, expected);
    w.check_laws();
}

#[test]
fn a_claims_bucket_after_other_buckets_settles_only_what_they_left() {
    let mut w = world();
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
    active_claim(&mut w, 5, debt(70_000, 0));
    // 40% kept for the association's costs, then the claims take what is left: 60,000.
    let kept = Value::text_map([
        ("name", Value::text("costs")),
        ("take", Value::text("straight")),
        ("share_ppm", Value::Unsigned(400_000)),
        ("to", Value::text("treasury")),
    ]);
    let body = distribution_body(&w, 100_000, vec![kept, claims_bucket("loan", "rest")]);
    let d = w.ok(0, distribution::PROPOSE, body);
    assert_eq!(claim_shares(&w, &d, [5, 6, 7])[0], (70_000, 60_000));
    // The body form round-trips: the bucket reads back as a claims bucket.
    let bucket = &w.state.economy.distributions[&d].buckets[1].bucket;
    assert_eq!(bucket.words(), ("rest", None, "claims", None));
    assert_eq!(
        distribution::bucket_value(bucket),
        claims_bucket("loan", "rest")
    );
    // Two claims buckets would settle the same claims twice.
    let twice = distribution_body(
        &w,
        100_000,
        vec![
            claims_bucket("a", "straight").with_share(500_000),
            claims_bucket("b", "rest"),
        ],
    );
    assert_eq!(
        code(w.send(0, distribution::PROPOSE, twice)),
        "body_invalid"
    );
    w.check_laws();
}

trait WithShare {
    fn with_share(self, ppm: u64) -> Value;
}

impl WithShare for Value {
    fn with_share(self, ppm: u64) -> Value {
        let Value::Map(mut entries) = self else {
            panic!("a bucket is a map");
        };
        entries.push((Value::text("share_ppm"), Value::Unsigned(ppm)));
        Value::map(entries)
    }
}

#[test]
fn an_execution_whose_claims_changed_since_its_proposal_is_refused_as_stale() {
    let mut w = world();
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
    let loan = active_claim(&mut w, 5, debt(50_000, 0));
    // Two proposals see the same debt; executing both would repay it twice.
    let a = propose_claims_distribution(&mut w, 30_000);
    let b = propose_claims_distribution(&mut w, 30_000);
    approve_distribution(&mut w, &a);
    approve_distribution(&mut w, &b);
    execute_distribution(&mut w, &a).unwrap();
    assert_eq!(code(execute_distribution(&mut w, &b)), "distribution_stale");
    // Proposed again, it settles the 20,000 still owed.
    let again = propose_claims_distribution(&mut w, 30_000);
    assert_eq!(claim_shares(&w, &again, [5, 6, 7])[0], (20_000, 20_000));
    // A waiver before the execution makes it stale too.
    w.ok(5, WAIVE, target(&loan));
    approve_distribution(&mut w, &again);
    assert_eq!(
        code(execute_distribution(&mut w, &again)),
        "distribution_stale"
    );
    // So does a claim activated after the proposal.
    let fresh = propose_claims_distribution(&mut w, 10_000);
    active_claim(&mut w, 6, once(1_000, 0));
    approve_distribution(&mut w, &fresh);
    assert_eq!(
        code(execute_distribution(&mut w, &fresh)),
        "distribution_stale"
    );
    // A distribution without a claims bucket is not affected by claims.
    let body = distribution_body(
        &w,
        1_000,
        vec![Value::text_map([
            ("name", Value::text("kept")),
            ("take", Value::text("rest")),
            ("to", Value::text("treasury")),
        ])],
    );
    let plain = w.ok(0, distribution::PROPOSE, body);
    approve_distribution(&mut w, &plain);
    execute_distribution(&mut w, &plain).unwrap();
    assert_eq!(
        w.state.economy.books.holds(&Account::Owed(w.key(5)), EUR),
        30_000
    );
    // The stale proposals are cancelled by a treasurer, with a reason: their amounts are
    // no longer reserved and they no longer count among the open distributions.
    let reserved = |w: &World| distribution::reserved(&w.state, EUR);
    assert_eq!(reserved(&w), 30_000 + 30_000 + 10_000);
    let cancel = |d: &EventId| {
        Value::text_map([
            ("distribution", id_value(d)),
            ("reason", Value::text("stale: the claims changed")),
        ])
    };
    assert_eq!(
        code(w.send(3, distribution::CANCEL, cancel(&b))),
        "not_treasurer"
    );
    assert_eq!(
        code(w.send(0, distribution::CANCEL, cancel(&EventId([9; 32])))),
        "distribution_unknown"
    );
    assert_eq!(
        code(w.send(
            0,
            distribution::CANCEL,
            Value::text_map([("distribution", id_value(&b))])
        )),
        "body_invalid"
    );
    for d in [&b, &again, &fresh] {
        w.ok(1, distribution::CANCEL, cancel(d));
    }
    assert_eq!(reserved(&w), 0);
    assert_eq!(w.state.economy.distributions[&b].status_str(), "cancelled");
    assert_eq!(
        code(w.send(0, distribution::CANCEL, cancel(&b))),
        "distribution_state"
    );
    assert_eq!(
        code(w.send(0, distribution::CANCEL, cancel(&plain))),
        "distribution_state"
    );
    assert_eq!(code(execute_distribution(&mut w, &b)), "distribution_state");
    w.check_laws();
}

#[test]
fn malformed_or_unfunded_claims_are_refused_with_their_codes() {
    let mut w = world();
    // Before any EUR arrived, a claim in EUR could never be paid.
    assert_eq!(
        code(w.send(0, PROPOSE, claim_body(&w, 5, EUR, debt(100, 0)))),
        "currency_mismatch"
    );
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
    let cases: Vec<(usize, Value, &str)> = vec![
        (2, debt(100, 0), "not_treasurer"),
        (0, debt(0, 0), "amount_invalid"),
        (0, debt(AMOUNT_MAX + 1, 0), "amount_invalid"),
        (0, once(0, 0), "amount_invalid"),
        (0, equity(1, Some(0)), "amount_invalid"),
        (0, equity(1, Some(AMOUNT_MAX + 1)), "amount_invalid"),
        (0, debt(100, u64::from(u32::MAX) + 1), "body_invalid"),
        (0, equity(0, None), "body_invalid"),
        (0, equity(1_000_001, None), "body_invalid"),
        (
            0,
            Value::text_map([
                ("kind", Value::text("gift")),
                ("amount", Value::Unsigned(1)),
            ]),
            "body_invalid",
        ),
        // A field another kind takes.
        (
            0,
            Value::text_map([
                ("kind", Value::text("debt")),
                ("owed", Value::Unsigned(1)),
                ("seniority", Value::Unsigned(0)),
                ("share_ppm", Value::Unsigned(1)),
            ]),
            "body_invalid",
        ),
    ];
    for (author, terms, expected) in cases {
        let shown = format!("{terms:?}");
        let body = claim_body(&w, 5, EUR, terms);
        assert_eq!(code(w.send(author, PROPOSE, body)), expected, "{shown}");
    }
    let long = "x".repeat(claims::REASON_LEN_MAX + 1);
    let mut body = claim_body(&w, 5, EUR, debt(1, 0));
    if let Value::Map(entries) = &mut body {
        entries.retain(|(k, _)| k.as_text() != Some("reason"));
        entries.push((Value::text("reason"), Value::text(long)));
    }
    assert_eq!(code(w.send(0, PROPOSE, body)), "body_invalid");
    assert_eq!(
        code(w.send(0, PROPOSE, claim_body(&w, 5, "eur", debt(1, 0)))),
        "body_invalid"
    );
    assert!(w.state.economy.claims.claims.is_empty());
    w.check_laws();
}

#[test]
fn one_claim_per_holder_kind_and_currency_and_equity_at_most_the_whole() {
    let mut w = world();
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000), "CHF"));
    let loan = w.ok(0, PROPOSE, claim_body(&w, 5, EUR, debt(100, 0)));
    // A second debt for the same holder in EUR, proposed or active, is refused…
    assert_eq!(
        code(w.send(1, PROPOSE, claim_body(&w, 5, EUR, debt(50, 2)))),
        "claim_exists"
    );
    // …but another kind, another currency or another holder is not.
    w.ok(0, PROPOSE, claim_body(&w, 5, EUR, once(10, 0)));
    w.ok(0, PROPOSE, claim_body(&w, 5, "CHF", debt(10, 0)));
    w.ok(0, PROPOSE, claim_body(&w, 6, EUR, debt(10, 0)));
    // Once the first is waived, a new debt may be proposed.
    w.ok(5, WAIVE, target(&loan));
    w.ok(0, PROPOSE, claim_body(&w, 5, EUR, debt(50, 2)));
    // Equity shares of the live claims in a currency sum to at most 1,000,000 ppm.
    w.ok(0, PROPOSE, claim_body(&w, 5, EUR, equity(600_000, None)));
    assert_eq!(
        code(w.send(0, PROPOSE, claim_body(&w, 6, EUR, equity(400_001, None)))),
        "claim_equity_full"
    );
    w.ok(0, PROPOSE, claim_body(&w, 6, EUR, equity(400_000, None)));
    w.ok(
        0,
        PROPOSE,
        claim_body(&w, 7, "CHF", equity(1_000_000, None)),
    );
    w.check_laws();
}

#[test]
fn approvals_come_from_treasurers_other_than_the_holder_and_only_the_holder_waives() {
    let mut w = world();
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
    // Key 1, a treasurer, is owed for unpaid work.
    let work = w.ok(0, PROPOSE, claim_body(&w, 1, EUR, once(2_000, 0)));
    assert_eq!(code(w.send(2, APPROVE, target(&work))), "not_treasurer");
    assert_eq!(
        code(w.send(1, APPROVE, target(&work))),
        "self_approval_forbidden"
    );
    w.ok(0, APPROVE, target(&work));
    assert_eq!(code(w.send(0, APPROVE, target(&work))), "already_approved");
    assert_eq!(
        code(w.send(0, APPROVE, target(&EventId([9; 32])))),
        "claim_unknown"
    );
    // With one treasurer able to approve, it stays proposed; the holder may still waive it.
    assert_eq!(claim(&w, &work).state, ClaimState::Proposed);
    let loan = active_claim(&mut w, 5, debt(1_000, 0));
    assert_eq!(code(w.send(0, APPROVE, target(&loan))), "claim_state");
    assert_eq!(code(w.send(0, WAIVE, target(&loan))), "not_claim_holder");
    assert_eq!(
        code(w.send(5, WAIVE, target(&EventId([9; 32])))),
        "claim_unknown"
    );
    let reason = Value::text_map([
        ("claim", id_value(&loan)),
        ("reason", Value::text("the server was a gift after all")),
    ]);
    w.ok(5, WAIVE, reason);
    assert_eq!(claim(&w, &loan).state.as_str(), "waived");
    assert_eq!(code(w.send(5, WAIVE, target(&loan))), "claim_state");
    assert_eq!(code(w.send(0, APPROVE, target(&loan))), "claim_state");
    w.ok(1, WAIVE, target(&work));
    assert_eq!(claim(&w, &work).state.as_str(), "waived");
    // A waived claim is paid nothing.
    let d = propose_claims_distribution(&mut w, 10_000);
    assert!(w.state.economy.distributions[&d].totals.is_empty());
    w.check_laws();
}

/// Fills the state with `n` live claims held by made-up keys, with their rows, so that a
/// limit is reached without signing thousands of events. (The ledger does not hold them,
/// so a test that uses this never replays.)
fn fill(w: &mut World, n: usize, state: ClaimState) {
    let mut applied = crate::Applied::default();
    let start = w.state.economy.claims.claims.len();
    for i in start..start + n {
        let mut id = [0u8; 32];
        id[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let id = EventId(id);
        let holder = crate::test_world::secret((i % 200) as u8 + 20).author_key();
        w.state.economy.claims.claims.insert(
            id,
            Claim {
                id,
                by: w.key(0),
                index: 0,
                time_ms: 0,
                holder,
                currency: format!("C{i}"),
                terms: ClaimTerms::Debt {
                    owed: 1,
                    seniority: 0,
                },
                reason: "filler".into(),
                approvals: Default::default(),
                state: state.clone(),
                paid: 0,
            },
        );
        w.state.economy.claims.order.push(id);
        applied.touch(crate::projection::RowKey::Claim(id));
    }
    w.write_rows(&applied);
}

#[test]
fn live_claims_stop_at_their_limit_and_kept_claims_at_theirs() {
    let mut w = world();
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
    fill(&mut w, LIVE_CLAIMS_MAX - 1, ClaimState::Proposed);
    let last = w.ok(0, PROPOSE, claim_body(&w, 5, EUR, debt(1, 0)));
    let refused = w.send(0, PROPOSE, claim_body(&w, 6, EUR, debt(1, 0)));
    assert_eq!(code(refused), "limit_reached");
    // A waived claim no longer counts as live, but is kept.
    w.ok(5, WAIVE, target(&last));
    w.ok(0, PROPOSE, claim_body(&w, 6, EUR, debt(1, 0)));

    let mut w = world();
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
    fill(&mut w, CLAIMS_KEPT_MAX - 1, ClaimState::Waived { index: 0 });
    w.ok(0, PROPOSE, claim_body(&w, 5, EUR, debt(1, 0)));
    assert_eq!(
        code(w.send(0, PROPOSE, claim_body(&w, 6, EUR, debt(1, 0)))),
        "limit_reached"
    );
}

/// A holder who rotated their key waives with the new one: the claim follows the person.
/// Someone else's key still may not.
#[test]
fn a_holder_waives_with_their_rotated_key() {
    let mut w = world();
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
    let loan = active_claim(&mut w, 5, debt(1_000, 0));
    w.rotate(5, [78; 32]);
    assert_eq!(code(w.send(4, WAIVE, target(&loan))), "not_claim_holder");
    w.ok(5, WAIVE, target(&loan));
    assert_eq!(claim(&w, &loan).state.as_str(), "waived");
    w.check_laws();
}
