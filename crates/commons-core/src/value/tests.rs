//! Spec tests for value sharing: treasurers, income, reversal, the first equation and the
//! poll it then needs, distributions from proposal to payout, and every refusal's code.

use super::distribution::{APPROVE, EXECUTE, PROPOSE};
use super::money::Account;
use super::*;
use crate::association::Admission;
use crate::association::statutes;
use crate::association::tests::{adopt_body, sample_statutes};
use crate::production::Rule;
use crate::production::bodies::{NewArea, NewContribution, review};
use crate::production::{areas, contributions};
use crate::rejection::Rejection;
use crate::test_world::World;
use commons_ledger::cbor::Value;

const EUR: &str = "EUR";

fn code(result: Result<EventId, Rejection>) -> &'static str {
    match result {
        Ok(_) => panic!("the event was accepted but a rejection was expected"),
        Err(r) => r.code.as_str(),
    }
}

pub(super) fn income_body(amount: Value, currency: &str) -> Value {
    Value::text_map([
        ("kind", Value::text("benefit_sharing")),
        ("amount", amount),
        ("currency", Value::text(currency)),
        ("source", Value::text("Atelier Lumen SARL")),
        ("reference", Value::text("SEPA 2026-11-01 #4471")),
    ])
}

pub(super) fn id_value(id: &EventId) -> Value {
    Value::bytes(id.0.to_vec())
}

pub(super) fn propose_body(amount: u64, currency: &str, pin: Option<u64>) -> Value {
    let bucket = |name: &str, take: &str, ppm: Option<u64>, to: &str| {
        let mut f = vec![
            ("name", Value::text(name)),
            ("take", Value::text(take)),
            ("to", Value::text(to)),
        ];
        if let Some(p) = ppm {
            f.push(("share_ppm", Value::Unsigned(p)));
        }
        Value::text_map(f)
    };
    let mut fields = vec![
        ("title", Value::text("November")),
        ("amount", Value::Unsigned(amount)),
        ("currency", Value::text(currency)),
        (
            "buckets",
            Value::Array(vec![
                bucket("infrastructure", "straight", Some(150_000), "treasury"),
                bucket("upstream", "straight", Some(100_000), "upstream"),
                bucket("contributors", "rest", None, "contributors"),
            ]),
        ),
    ];
    if let Some(size) = pin {
        fields.push((
            "pin",
            Value::text_map([
                ("size", Value::Unsigned(size)),
                ("root", Value::bytes(vec![7u8; 32])),
            ]),
        ));
    }
    Value::text_map(fields)
}

/// A commons whose statutes name keys 0 and 1 treasurers (2 of 2), with an area whose
/// maintainer (key 0) accepts on one approval, and two accepted contributions: key 2's
/// care work (60 minutes) and key 3's and key 4's revision, shared 3:1.
pub(super) fn world() -> World {
    let mut w = World::new(2, 1);
    let mut st = sample_statutes(Admission::Open);
    st.treasurers = vec![w.key(0), w.key(1)];
    st.treasurer_approvals = 2;
    w.ok(0, statutes::ADOPT, adopt_body(&st));
    let area = NewArea {
        slug: "guide".into(),
        name: "The guide".into(),
        description: None,
        maintainers: vec![w.key(0)],
        threshold: None,
        rule: Rule::Maintainers { approvals: 1 },
        chores: vec![],
        self_approval: None,
        claim_ttl_ms: None,
    };
    w.ok(0, areas::CREATE, area.body());
    let contribution = |kind: &str, authors: Vec<(AuthorKey, u64)>, minutes: u64| NewContribution {
        area: "guide".into(),
        kind: kind.into(),
        title: "Work".into(),
        description: None,
        tasks: vec![],
        authors,
        effort_minutes: Some(minutes),
        sponsor: None,
        revision: None,
        evidence: vec!["https://example.org/evidence".into()],
        checklist: vec![],
    };
    let a = w.ok(
        2,
        contributions::SUBMIT,
        contribution("care", vec![], 60).body(),
    );
    w.ok(0, contributions::REVIEW, review(&a, "approve", None));
    let b = w.ok(
        3,
        contributions::SUBMIT,
        contribution("external", vec![(w.key(3), 3), (w.key(4), 1)], 0).body(),
    );
    w.ok(0, contributions::REVIEW, review(&b, "approve", None));
    assert_eq!(
        w.state.production.contributions[&a].status.as_str(),
        "accepted"
    );
    assert_eq!(
        w.state.production.contributions[&b].status.as_str(),
        "accepted"
    );
    w
}

#[test]
fn income_is_recorded_by_treasurers_only_with_exact_checked_amounts() {
    let mut w = world();
    assert_eq!(
        code(w.send(2, INCOME, income_body(Value::Unsigned(100), EUR))),
        "not_treasurer"
    );
    assert_eq!(
        code(w.send(0, INCOME, income_body(Value::Negative(99), EUR))),
        "amount_invalid"
    );
    assert_eq!(
        code(w.send(0, INCOME, income_body(Value::Unsigned(AMOUNT_MAX + 1), EUR))),
        "amount_invalid"
    );
    assert_eq!(
        code(w.send(0, INCOME, income_body(Value::Unsigned(0), EUR))),
        "amount_invalid"
    );
    assert_eq!(
        code(w.send(0, INCOME, income_body(Value::Unsigned(5), "eur"))),
        "body_invalid"
    );
    let first = w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
    w.ok(1, INCOME, income_body(Value::Unsigned(250_000), EUR));
    let books = &w.state.economy.books;
    assert_eq!(books.holds(&Account::Treasury, EUR), 1_250_000);
    assert_eq!(
        books.balance(&Account::Income(money::IncomeKind::BenefitSharing), EUR),
        -1_250_000
    );
    // A reversal mirrors the entry; a second reversal and a reversal of a reversal are
    // refused.
    let reason = |id: &EventId| {
        Value::text_map([
            ("entry", id_value(id)),
            ("reason", Value::text("recorded twice")),
        ])
    };
    assert_eq!(code(w.send(2, REVERSE, reason(&first))), "not_treasurer");
    let reversal = w.ok(1, REVERSE, reason(&first));
    assert_eq!(code(w.send(1, REVERSE, reason(&first))), "already_reversed");
    assert_eq!(
        code(w.send(1, REVERSE, reason(&reversal))),
        "already_reversed"
    );
    assert_eq!(
        code(w.send(1, REVERSE, reason(&EventId([9; 32])))),
        "entry_unknown"
    );
    assert_eq!(
        w.state.economy.books.holds(&Account::Treasury, EUR),
        250_000
    );
    w.check_laws();
}

#[test]
fn a_distribution_is_pinned_approved_k_of_n_executed_and_paid_to_the_cent() {
    let mut w = world();
    w.ok(0, INCOME, income_body(Value::Unsigned(1_000_001), EUR));
    let size = w.state.size;
    // Refusals before anything is computed.
    assert_eq!(
        code(w.send(2, PROPOSE, propose_body(1000, EUR, Some(size)))),
        "not_treasurer"
    );
    assert_eq!(
        code(w.send(0, PROPOSE, propose_body(1000, EUR, None))),
        "distribution_unpinned"
    );
    assert_eq!(
        code(w.send(0, PROPOSE, propose_body(1000, EUR, Some(size + 50)))),
        "checkpoint_unknown"
    );
    assert_eq!(
        code(w.send(0, PROPOSE, propose_body(1000, "USD", Some(size)))),
        "currency_mismatch"
    );
    assert_eq!(
        code(w.send(0, PROPOSE, propose_body(1_000_002, EUR, Some(size)))),
        "insufficient_funds"
    );
    let d = w.ok(0, PROPOSE, propose_body(1_000_001, EUR, Some(size)));
    // Nothing else may be promised from the same money.
    assert_eq!(
        code(w.send(1, PROPOSE, propose_body(1, EUR, Some(size)))),
        "insufficient_funds"
    );
    let dist = &w.state.economy.distributions[&d];
    // 15% straight stays in the treasury, 10% has no upstream to go to, the rest (75%,
    // 750,001) goes to contributors by credit: key 2 has 1 credit, keys 3 and 4 share 1
    // credit 3:1, so 2:1.5:0.5 of 4 → 375,000.5, 281,250.375, 93,750.125.
    assert_eq!(dist.buckets[0].amount, 150_000);
    assert_eq!(dist.buckets[1].amount, 100_000);
    assert!(dist.buckets[1].shares.is_empty());
    assert_eq!(dist.buckets[2].amount, 750_001);
    let amounts: Vec<u64> = dist.buckets[2].shares.iter().map(|s| s.amount).collect();
    assert_eq!(amounts.iter().sum::<u64>(), 750_001);
    let owed = |w: &World, i: usize| w.state.economy.books.holds(&Account::Owed(w.key(i)), EUR);
    let target = |id: &EventId| Value::text_map([("distribution", id_value(id))]);
    assert_eq!(code(w.send(0, EXECUTE, target(&d))), "distribution_state");
    w.ok(0, APPROVE, target(&d));
    assert_eq!(code(w.send(0, APPROVE, target(&d))), "already_approved");
    assert_eq!(code(w.send(2, APPROVE, target(&d))), "not_treasurer");
    assert_eq!(code(w.send(1, EXECUTE, target(&d))), "distribution_state");
    w.ok(1, APPROVE, target(&d));
    w.ok(1, EXECUTE, target(&d));
    assert_eq!(code(w.send(1, EXECUTE, target(&d))), "distribution_state");
    assert_eq!(
        (owed(&w, 2), owed(&w, 3), owed(&w, 4)),
        (375_001, 281_250, 93_750)
    );
    assert_eq!(
        w.state.economy.books.holds(&Account::Treasury, EUR),
        1_000_001 - 750_001
    );
    // Settling: never more than is owed, in the currency owed.
    let payout = |w: &World, i: usize, amount: u64, currency: &str| {
        Value::text_map([
            ("to", crate::projection::key_value(&w.key(i))),
            ("amount", Value::Unsigned(amount)),
            ("currency", Value::text(currency)),
            ("reference", Value::text("SEPA out 118")),
        ])
    };
    assert_eq!(
        code(w.send(0, PAYOUT, payout(&w, 2, 375_002, EUR))),
        "payout_exceeds_owed"
    );
    assert_eq!(
        code(w.send(0, PAYOUT, payout(&w, 2, 10, "USD"))),
        "currency_mismatch"
    );
    assert_eq!(
        code(w.send(3, PAYOUT, payout(&w, 2, 10, EUR))),
        "not_treasurer"
    );
    w.ok(0, PAYOUT, payout(&w, 2, 375_001, EUR));
    assert_eq!(owed(&w, 2), 0);
    // Income already distributed cannot be reversed below zero.
    let first_income = w.state.economy.income_order[0];
    assert_eq!(
        code(w.send(
            0,
            REVERSE,
            Value::text_map([
                ("entry", id_value(&first_income)),
                ("reason", Value::text("bounced")),
            ])
        )),
        "insufficient_funds"
    );
    w.check_laws();
}

#[test]
fn the_first_equation_is_set_directly_and_any_change_needs_a_poll() {
    let mut w = world();
    let eq = equation::Equation {
        reviewer_share: equation::Ratio { num: 1, den: 5 },
        ..equation::Equation::default()
    };
    let body = Value::text_map([("equation", equation::value(&eq))]);
    assert_eq!(code(w.send(5, EQUATION, body.clone())), "not_treasurer");
    w.ok(0, EQUATION, body.clone());
    assert_eq!(code(w.send(0, EQUATION, body)), "equation_needs_poll");
    assert_eq!(w.state.economy.equation_at(u64::MAX), eq);
    // The reviewer (key 0) now earns a fifth of each contribution it approved.
    let credit = distribution::credit(&w.state, 0, w.state.size);
    let of = |i: usize| {
        credit
            .get(&equation::Beneficiary::Person(w.key(i)))
            .map(distribution::quantise)
    };
    assert_eq!(of(0), Some(400));
    assert_eq!(of(2), Some(800));
    assert_eq!(of(3), Some(600));
    assert_eq!(of(4), Some(200));
    // Shares that leave the authors nothing are refused.
    let greedy = Value::text_map([(
        "reviewer_share",
        Value::Array(vec![Value::Unsigned(1), Value::Unsigned(1)]),
    )]);
    assert!(equation::read(EQUATION, &greedy).is_err());
    w.check_laws();
}
