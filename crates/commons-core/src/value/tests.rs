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

mod circles;

pub(super) fn code(result: Result<EventId, Rejection>) -> &'static str {
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

/// (weight, amount) of key `i`'s share of `bucket`; (0, 0) when it has none.
pub(super) fn share_of(w: &World, bucket: &distribution::BucketResult, i: usize) -> (u64, u64) {
    bucket
        .shares
        .iter()
        .find(|s| s.to == equation::Beneficiary::Person(w.key(i)))
        .map_or((0, 0), |s| (s.weight, s.amount))
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
    let executed = w.ok(1, EXECUTE, target(&d));
    assert_eq!(code(w.send(1, EXECUTE, target(&d))), "distribution_state");
    // An execution is not undone line by line: that would hand the income out twice.
    assert_eq!(
        code(w.send(
            0,
            REVERSE,
            Value::text_map([
                ("entry", id_value(&executed)),
                ("reason", Value::text("changed our minds")),
            ])
        )),
        "entry_unknown"
    );
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

mod expenses {
    use super::super::expense::{self, ExpenseState};
    use super::*;
    use crate::association::budget::{self, Ballot as BudgetVote};
    use crate::association::polls;
    use crate::association::tests::budgeting::{project_body, round_body, vote};
    use crate::association::tests::{DAY_MS, association_with};
    use crate::projection::key_value;
    use crate::test_world::secret;
    use commons_tally::Stance;
    use std::collections::BTreeSet;

    /// An association of keys 0 to 4 whose statutes name keys 0, 1 and 2 treasurers (1 of
    /// 3), with 100,000 EUR in the treasury.
    fn world() -> World {
        let mut st = sample_statutes(Admission::Open);
        st.treasurers = (0..3).map(|i| secret(i).author_key()).collect();
        st.treasurer_approvals = 1;
        let mut w = association_with(st, 4);
        w.ok(0, INCOME, income_body(Value::Unsigned(100_000), EUR));
        w
    }

    fn file_body(amount: u64, line: Option<&EventId>) -> Value {
        let mut fields = vec![
            ("title", Value::text("Server rent, November")),
            ("amount", Value::Unsigned(amount)),
            ("currency", Value::text(EUR)),
            ("reference", Value::text("Invoice HZ-2026-118")),
        ];
        if let Some(line) = line {
            fields.push(("line", id_value(line)));
        }
        Value::text_map(fields)
    }

    fn on(expense: &EventId, extra: Vec<(&'static str, Value)>) -> Value {
        let mut fields = vec![("expense", id_value(expense))];
        fields.extend(extra);
        Value::text_map(fields)
    }

    fn decide(expense: &EventId, decision: &str) -> Value {
        on(
            expense,
            vec![
                ("decision", Value::text(decision)),
                ("reason", Value::text("see the thread")),
            ],
        )
    }

    fn state_of(w: &World, id: &EventId) -> ExpenseState {
        w.state.economy.expenses.expenses[id].state
    }

    fn treasury(w: &World) -> u64 {
        w.state.economy.books.holds(&Account::Treasury, EUR)
    }

    #[test]
    fn an_expense_is_approved_by_others_reserved_and_paid_by_a_treasurer_who_did_not_approve() {
        let mut w = world();
        let x = w.ok(3, expense::FILE, file_body(30_000, None));
        assert_eq!(state_of(&w, &x), ExpenseState::Submitted);
        assert_eq!(
            code(w.send(4, expense::DECIDE, decide(&x, "approve"))),
            "not_approver"
        );
        // The author of an expense never approves it, even as a treasurer.
        let own = w.ok(1, expense::FILE, file_body(5_000, None));
        assert_eq!(
            code(w.send(1, expense::DECIDE, decide(&own, "approve"))),
            "self_approval_forbidden"
        );
        // An edit after an approval clears it; the approval then needs giving again.
        assert_eq!(
            code(w.send(4, expense::EDIT, on(&x, vec![]))),
            "body_invalid"
        );
        let mut edit = file_body(32_000, None);
        if let Value::Map(fields) = &mut edit {
            fields.push((Value::text("expense"), id_value(&x)));
        }
        assert_eq!(code(w.send(4, expense::EDIT, edit.clone())), "not_author");
        // 1 of 3 approves: reserved at once.
        w.ok(0, expense::DECIDE, decide(&x, "approve"));
        assert_eq!(state_of(&w, &x), ExpenseState::Approved);
        assert_eq!(treasury(&w), 70_000);
        w.ok(3, expense::EDIT, edit);
        let e = &w.state.economy.expenses.expenses[&x];
        assert_eq!((e.state, e.amount), (ExpenseState::Submitted, 32_000));
        assert!(e.approvals.is_empty());
        assert_eq!(treasury(&w), 100_000, "the edit released the reservation");
        w.ok(0, expense::DECIDE, decide(&x, "approve"));
        assert_eq!(
            code(w.send(0, expense::DECIDE, decide(&x, "approve"))),
            "expense_state"
        );
        assert_eq!(
            w.state.economy.books.holds(&Account::Reserved(x), EUR),
            32_000
        );
        w.ok(2, expense::SCHEDULE, on(&x, vec![]));
        let pay = on(&x, vec![("reference", Value::text("SEPA out 2026-11-30"))]);
        assert_eq!(
            code(w.send(0, expense::PAY, pay.clone())),
            "payer_is_approver"
        );
        assert_eq!(code(w.send(3, expense::PAY, pay.clone())), "not_treasurer");
        w.ok(2, expense::PAY, pay.clone());
        assert_eq!(state_of(&w, &x), ExpenseState::Paid);
        assert_eq!(treasury(&w), 68_000);
        assert_eq!(code(w.send(2, expense::PAY, pay)), "expense_state");
        assert_eq!(
            code(w.send(3, expense::CANCEL, on(&x, vec![]))),
            "expense_state"
        );
        // Its payment lines are reversed only as an expense.
        let paid_event = *w.ledger.last().map(|e| &e.id).unwrap();
        assert_eq!(
            code(w.send(
                0,
                REVERSE,
                Value::text_map([
                    ("entry", id_value(&paid_event)),
                    ("reason", Value::text("bounced")),
                ])
            )),
            "entry_unknown"
        );
        w.ok(
            1,
            expense::REVERSE,
            on(&x, vec![("reason", Value::text("the bank returned it"))]),
        );
        assert_eq!(state_of(&w, &x), ExpenseState::Reversed);
        assert_eq!(treasury(&w), 100_000);
        // Rejection and cancellation end it and release what it held.
        let y = w.ok(4, expense::FILE, file_body(10_000, None));
        w.ok(1, expense::DECIDE, decide(&y, "incomplete"));
        assert_eq!(state_of(&w, &y), ExpenseState::Incomplete);
        assert_eq!(
            code(w.send(1, expense::DECIDE, decide(&y, "approve"))),
            "expense_state"
        );
        let mut resubmit = file_body(10_000, None);
        if let Value::Map(fields) = &mut resubmit {
            fields.push((Value::text("expense"), id_value(&y)));
        }
        w.ok(4, expense::EDIT, resubmit);
        w.ok(1, expense::DECIDE, decide(&y, "approve"));
        assert_eq!(treasury(&w), 90_000);
        w.ok(4, expense::CANCEL, on(&y, vec![]));
        assert_eq!(
            (state_of(&w, &y), treasury(&w)),
            (ExpenseState::Cancelled, 100_000)
        );
        // An expense the treasury cannot cover waits unapproved.
        let z = w.ok(3, expense::FILE, file_body(100_001, None));
        assert_eq!(
            code(w.send(0, expense::DECIDE, decide(&z, "approve"))),
            "insufficient_funds"
        );
        assert!(w.state.economy.expenses.expenses[&z].approvals.is_empty());
        w.ok(2, expense::DECIDE, decide(&z, "reject"));
        assert_eq!(state_of(&w, &z), ExpenseState::Rejected);
        assert_eq!(
            code(w.send(2, expense::DECIDE, decide(&EventId([3; 32]), "reject"))),
            "expense_unknown"
        );
        w.check_laws();
    }

    #[test]
    fn a_budget_line_caps_its_expenses_and_above_its_limit_a_poll_must_pass() {
        let mut w = world();
        let now = w.state.time_ms;
        let round = w.ok(
            0,
            budget::OPEN,
            round_body("approval", "greedy", 1_000, now),
        );
        let garden = w.ok(1, budget::PROPOSE, project_body(&round, "Garden", 600, 0));
        w.tick(now + 3 * DAY_MS);
        for voter in 0..4 {
            vote(&mut w, voter, &round, &BudgetVote::Approve(vec![garden])).unwrap();
        }
        w.tick(now + 10 * DAY_MS);
        assert_eq!(w.state.association.budgets.authorised(&garden), 600);
        // The line's policy: keys 0 and 1, both must approve; above 400 a poll too.
        let policy = |approvers: Vec<usize>, k: u64| {
            Value::text_map([
                ("line", id_value(&garden)),
                (
                    "approvers",
                    Value::Array(
                        approvers
                            .iter()
                            .map(|i| key_value(&secret(*i as u8).author_key()))
                            .collect(),
                    ),
                ),
                ("approvals", Value::Unsigned(k)),
                ("poll_above", Value::Unsigned(400)),
            ])
        };
        assert_eq!(
            code(w.send(3, expense::POLICY, policy(vec![0, 1], 2))),
            "not_treasurer"
        );
        assert_eq!(
            code(w.send(0, expense::POLICY, policy(vec![0, 1], 3))),
            "body_invalid"
        );
        w.ok(0, expense::POLICY, policy(vec![0, 1], 2));
        let small = w.ok(3, expense::FILE, file_body(300, Some(&garden)));
        assert_eq!(
            code(w.send(2, expense::DECIDE, decide(&small, "approve"))),
            "not_approver"
        );
        w.ok(0, expense::DECIDE, decide(&small, "approve"));
        assert_eq!(state_of(&w, &small), ExpenseState::Submitted, "1 of 2");
        w.ok(1, expense::DECIDE, decide(&small, "approve"));
        assert_eq!(state_of(&w, &small), ExpenseState::Approved);
        // 300 + 301 > 600 authorised.
        let over = w.ok(4, expense::FILE, file_body(301, Some(&garden)));
        w.ok(0, expense::DECIDE, decide(&over, "approve"));
        assert_eq!(
            code(w.send(1, expense::DECIDE, decide(&over, "approve"))),
            "over_budget"
        );
        w.ok(4, expense::CANCEL, on(&over, vec![]));
        // 450 is above the line's poll limit: its approvers are not enough.
        let big = {
            w.ok(1, expense::DECIDE, decide(&small, "reject"));
            w.ok(4, expense::FILE, file_body(450, Some(&garden)))
        };
        let open = |w: &mut World, expense: &EventId| {
            let closes = w.state.time_ms + 7 * DAY_MS;
            w.send(
                3,
                polls::OPEN,
                Value::text_map([
                    ("title", Value::text("Pay the garden's tools")),
                    ("decision", Value::text("expense")),
                    ("closes_ms", Value::Unsigned(closes)),
                    ("expense", id_value(expense)),
                ]),
            )
        };
        let within = w.ok(3, expense::FILE, file_body(50, Some(&garden)));
        assert_eq!(code(open(&mut w, &within)), "expense_state");
        w.ok(0, expense::DECIDE, decide(&big, "approve"));
        w.ok(1, expense::DECIDE, decide(&big, "approve"));
        assert_eq!(state_of(&w, &big), ExpenseState::Submitted);
        let poll = open(&mut w, &big).unwrap();
        for voter in 0..4 {
            w.stance(voter, &poll, Stance::Yes);
        }
        w.close_polls();
        let result = w.state.association.polls[&poll].result.clone().unwrap();
        assert!(result.passed);
        assert_eq!(result.effect.as_deref(), Some("the expense is approved"));
        assert_eq!(state_of(&w, &big), ExpenseState::Approved);
        assert_eq!(w.state.economy.expenses.committed(&garden), 450);
        w.check_laws();
    }

    #[test]
    fn an_award_takes_nominations_then_a_poll_elects_its_winners_who_share_the_prize() {
        use super::super::award::{self, AwardState};
        let mut w = world();
        let now = w.state.time_ms;
        let open_body = |amount: u64, close: u64| {
            Value::text_map([
                ("title", Value::text("Translator of the year")),
                ("amount", Value::Unsigned(amount)),
                ("currency", Value::text(EUR)),
                ("winners", Value::Unsigned(2)),
                ("nominations_close_ms", Value::Unsigned(close)),
            ])
        };
        assert_eq!(
            code(w.send(3, award::OPEN, open_body(1_001, now + DAY_MS))),
            "not_treasurer"
        );
        assert_eq!(
            code(w.send(0, award::OPEN, open_body(100_001, now + DAY_MS))),
            "insufficient_funds"
        );
        let a = w.ok(0, award::OPEN, open_body(1_001, now + DAY_MS));
        assert_eq!(treasury(&w), 100_000 - 1_001);
        let nominate = |who: usize, reason: &str| {
            Value::text_map([
                ("award", id_value(&a)),
                ("nominee", key_value(&secret(who as u8).author_key())),
                ("reason", Value::text(reason)),
            ])
        };
        assert_eq!(
            code(w.send(7, award::NOMINATE, nominate(3, "the Breton guide"))),
            "not_member"
        );
        for (by, who) in [(1, 3), (2, 4), (3, 2)] {
            w.ok(by, award::NOMINATE, nominate(who, "years of careful work"));
        }
        assert_eq!(
            code(w.send(4, award::NOMINATE, nominate(3, "again"))),
            "already_nominated"
        );
        let poll_body = |w: &World| {
            Value::text_map([
                ("title", Value::text("Translator of the year")),
                ("decision", Value::text("award")),
                ("closes_ms", Value::Unsigned(w.state.time_ms + 7 * DAY_MS)),
                ("award", id_value(&a)),
            ])
        };
        assert_eq!(code(w.send(1, polls::OPEN, poll_body(&w))), "award_closed");
        w.tick(now + 2 * DAY_MS);
        assert_eq!(
            code(w.send(4, award::NOMINATE, nominate(1, "late"))),
            "award_closed"
        );
        let poll = w.ok(1, polls::OPEN, poll_body(&w));
        assert_eq!(w.state.association.polls[&poll].seats, 2);
        // Scottish STV for two seats: nominees 3 and 4 (options 0 and 1) take them.
        let ranking = |first: usize, second: usize| {
            commons_tally::Ballot::Ranking(vec![vec![first], vec![second]])
        };
        for (voter, ballot) in [
            (0, ranking(0, 1)),
            (1, ranking(0, 1)),
            (2, ranking(1, 0)),
            (3, ranking(1, 0)),
            (4, ranking(0, 2)),
        ] {
            w.ok(
                voter,
                polls::VOTE,
                Value::text_map([
                    ("poll", id_value(&poll)),
                    ("ballot", crate::association::polls::ballot_value(&ballot)),
                ]),
            );
        }
        w.close_polls();
        let result = w.state.association.polls[&poll].result.clone().unwrap();
        assert!(result.passed, "{result:?}");
        let award = &w.state.economy.awards[&a];
        let AwardState::Awarded { shares, .. } = &award.state else {
            panic!("the award is {}", award.state.as_str());
        };
        let mut got: Vec<u64> = shares.iter().map(|(_, amount)| *amount).collect();
        got.sort_unstable();
        assert_eq!(got, vec![500, 501], "1,001 split equally to the cent");
        let winners: BTreeSet<AuthorKey> = shares.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            winners,
            BTreeSet::from([secret(3).author_key(), secret(4).author_key()])
        );
        assert_eq!(w.state.economy.books.holds(&Account::Award(a), EUR), 0);
        assert_eq!(
            code(w.send(
                0,
                award::CANCEL,
                Value::text_map([("award", id_value(&a)), ("reason", Value::text("x"))])
            )),
            "award_closed"
        );
        w.check_laws();
    }

    #[test]
    fn an_equation_change_passes_its_poll_after_a_simulation_and_applies_from_its_time() {
        let mut w = world();
        let eq = equation::Equation::default();
        w.ok(
            0,
            EQUATION,
            Value::text_map([("equation", equation::value(&eq))]),
        );
        let generous = equation::Equation {
            reviewer_share: equation::Ratio { num: 1, den: 2 },
            ..equation::Equation::default()
        };
        let simulation = distribution::simulate_equation(&w.state, &generous, 0);
        assert_eq!(
            simulation.amount, 100_000,
            "the whole treasury before any distribution"
        );
        let moved: u64 = simulation.shares.iter().map(|s| s.money_after).sum();
        assert!(moved == 0 || moved == 100_000);
        let closes = w.state.time_ms + 7 * DAY_MS;
        let effective = w.state.time_ms + 8 * DAY_MS;
        let poll = w.ok(
            2,
            polls::OPEN,
            Value::text_map([
                ("title", Value::text("Reviewers earn half")),
                ("decision", Value::text("value_equation")),
                ("closes_ms", Value::Unsigned(closes)),
                ("equation", equation::value(&generous)),
                ("effective_ms", Value::Unsigned(effective)),
            ]),
        );
        assert_eq!(
            code(w.send(
                0,
                EQUATION,
                Value::text_map([("equation", equation::value(&generous))])
            )),
            "equation_needs_poll"
        );
        for voter in 0..4 {
            w.stance(voter, &poll, Stance::Yes);
        }
        w.close_polls();
        let adopted = w.state.economy.equations.last().unwrap();
        assert_eq!(adopted.poll, Some(poll));
        assert_eq!(adopted.effective_ms, effective);
        assert_eq!(w.state.economy.equation_at(effective - 1), eq);
        assert_eq!(w.state.economy.equation_at(effective), generous);
        w.check_laws();
    }
}

mod bounties {
    use super::super::bounty::{self, BountyState};
    use super::*;
    use crate::production::bodies::NewTask;
    use crate::production::tasks;
    use crate::projection::key_value;

    fn task(w: &mut World, title: &str) -> EventId {
        let body = NewTask {
            area: "guide".into(),
            title: title.into(),
            ..NewTask::default()
        }
        .body();
        w.ok(5, tasks::POST, body)
    }

    fn fund(task: &EventId, amount: u64, pledger: Option<AuthorKey>, unresolved: &str) -> Value {
        let mut fields = vec![
            ("task", id_value(task)),
            ("amount", Value::Unsigned(amount)),
            ("currency", Value::text(EUR)),
            ("source", Value::text("Atelier Lumen SARL")),
            ("reference", Value::text("SEPA 2026-11-20 #88")),
            ("unresolved", Value::text(unresolved)),
        ];
        if let Some(k) = pledger {
            fields.push(("pledger", key_value(&k)));
        }
        Value::text_map(fields)
    }

    fn owed(w: &World, i: usize) -> u64 {
        w.state.economy.books.holds(&Account::Owed(w.key(i)), EUR)
    }

    #[test]
    fn a_bounty_is_escrowed_then_released_to_co_authors_refunded_or_returned() {
        let mut w = world();
        let resolved = task(&mut w, "Translate the guide");
        let abandoned = task(&mut w, "Port to the old phones");
        let dropped = task(&mut w, "A logo nobody wanted");
        let pledger = w.key(6);
        assert_eq!(
            code(w.send(3, bounty::FUND, fund(&resolved, 1_001, None, "treasury"))),
            "not_treasurer"
        );
        assert_eq!(
            code(w.send(0, bounty::FUND, fund(&resolved, 1_001, None, "refund"))),
            "body_invalid"
        );
        assert_eq!(
            code(w.send(
                0,
                bounty::FUND,
                fund(&EventId([4; 32]), 1, None, "treasury")
            )),
            "task_unknown"
        );
        w.ok(
            0,
            bounty::FUND,
            fund(&resolved, 1_001, Some(pledger), "refund"),
        );
        w.ok(
            1,
            bounty::FUND,
            fund(&abandoned, 500, Some(pledger), "refund"),
        );
        w.ok(1, bounty::FUND, fund(&dropped, 300, None, "treasury"));
        assert_eq!(
            w.state.economy.books.holds(&Account::Escrow(resolved), EUR),
            1_001
        );
        // Keys 3 and 4 resolve the task together, shares 3:1: 750.75 and 250.25 → 751 and
        // 250, all 1,001 of it.
        let work = NewContribution {
            area: "guide".into(),
            kind: "external".into(),
            title: "Breton translation".into(),
            description: None,
            tasks: vec![resolved],
            authors: vec![(w.key(3), 3), (w.key(4), 1)],
            effort_minutes: Some(600),
            sponsor: None,
            revision: None,
            evidence: vec!["https://example.org/br".into()],
            checklist: vec![],
        };
        let (before3, before4) = (owed(&w, 3), owed(&w, 4));
        let c = w.ok(3, contributions::SUBMIT, work.body());
        w.ok(0, contributions::REVIEW, review(&c, "approve", None));
        assert_eq!((owed(&w, 3) - before3, owed(&w, 4) - before4), (751, 250));
        let released = w
            .state
            .economy
            .bounties
            .bounties
            .values()
            .find(|b| b.task == resolved)
            .unwrap();
        assert!(matches!(released.state, BountyState::Released { .. }));
        assert_eq!(
            w.state.economy.books.holds(&Account::Escrow(resolved), EUR),
            0
        );
        assert_eq!(
            code(w.send(0, bounty::FUND, fund(&resolved, 5, None, "treasury"))),
            "task_closed"
        );
        // Closed unresolved: one refunded to its pledger, one to the treasury.
        let treasury_before = w.state.economy.books.holds(&Account::Treasury, EUR);
        for t in [abandoned, dropped] {
            w.ok(
                0,
                tasks::CLOSE,
                Value::text_map([
                    ("task", id_value(&t)),
                    ("reason", Value::text("out of scope")),
                ]),
            );
        }
        assert_eq!(owed(&w, 6), 500);
        assert_eq!(
            w.state.economy.books.holds(&Account::Treasury, EUR),
            treasury_before + 300
        );
        assert!(w.state.economy.bounties.escrowed.is_empty());
        w.check_laws();
    }

    /// Quadratic matching of bounty pledges (Gitcoin's linear CLR, perfect squares so
    /// every root is exact): task A has 400 from each of keys 6 and 7, a match weight of
    /// (20 + 20)² − 800 = 800; task B has 900 from key 6 alone, weight 0; task C has 100
    /// from each of keys 6, 7 and 8, (3 × 10)² − 300 = 600, and an anonymous 1,000 that
    /// does not count. A pot of 1,400 matches 800 and 600; capped at half the pot, A gets
    /// 700 and the water-filling gives C the other 700.
    #[test]
    fn quadratic_matching_adds_to_the_escrow_of_widely_backed_tasks() {
        use super::policies::{execute, propose};
        let mut w = world();
        w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
        let [a, b, c] = ["Task A", "Task B", "Task C"].map(|t| task(&mut w, t));
        for (t, amount, pledger) in [
            (a, 400, Some(6)),
            (a, 400, Some(7)),
            (b, 900, Some(6)),
            (c, 100, Some(6)),
            (c, 100, Some(7)),
            (c, 100, Some(8)),
            (c, 1_000, None),
        ] {
            let pledger = pledger.map(|i| w.key(i));
            w.ok(0, bounty::FUND, fund(&t, amount, pledger, "treasury"));
        }
        let matched = |w: &World, d: &EventId| {
            let bucket = &w.state.economy.distributions[d].buckets[0];
            [a, b, c].map(|t| {
                bucket
                    .shares
                    .iter()
                    .find(|s| s.to == equation::Beneficiary::Task(t))
                    .map_or((0, 0), |s| (s.weight, s.amount))
            })
        };
        let uncapped = propose(&mut w, 1_400, vec![("to", Value::text("quadratic"))]);
        assert_eq!(matched(&w, &uncapped), [(800, 800), (0, 0), (600, 600)]);
        let capped = propose(
            &mut w,
            1_400,
            vec![
                ("to", Value::text("quadratic")),
                ("cap_ppm", Value::Unsigned(500_000)),
            ],
        );
        assert_eq!(matched(&w, &capped), [(800, 700), (0, 0), (600, 700)]);
        // A minimum pledge of 101 leaves C with no counted pledge: A takes the whole pot.
        let min = propose(
            &mut w,
            1_400,
            vec![
                ("to", Value::text("quadratic")),
                ("min_pledge", Value::Unsigned(101)),
            ],
        );
        assert_eq!(matched(&w, &min), [(800, 1_400), (0, 0), (0, 0)]);
        // Executed, the matches join the escrow as bounties that go to the treasury if
        // the task closes unresolved; a task closed since the proposal gets nothing, and
        // its match stays in the treasury.
        w.ok(
            0,
            tasks::CLOSE,
            Value::text_map([
                ("task", id_value(&c)),
                ("reason", Value::text("done elsewhere")),
            ]),
        );
        let treasury = w.state.economy.books.holds(&Account::Treasury, EUR);
        execute(&mut w, &capped);
        let escrow =
            |w: &World, t: &EventId| w.state.economy.books.holds(&Account::Escrow(*t), EUR);
        assert_eq!(
            (escrow(&w, &a), escrow(&w, &b), escrow(&w, &c)),
            (1_500, 900, 0)
        );
        assert_eq!(
            w.state.economy.books.holds(&Account::Treasury, EUR),
            treasury - 700
        );
        let m = &w.state.economy.bounties.bounties[&bounty::match_id(&capped, &a)];
        assert_eq!(
            (m.amount, m.pledger, m.source.as_str()),
            (700, None, "quadratic match")
        );
        assert!(matches!(m.state, BountyState::Escrowed));
        // Resolving A releases the pledges and the match to its co-authors alike.
        let work = NewContribution {
            area: "guide".into(),
            kind: "external".into(),
            title: "Task A, done".into(),
            description: None,
            tasks: vec![a],
            authors: vec![],
            effort_minutes: Some(60),
            sponsor: None,
            revision: None,
            evidence: vec!["https://example.org/a".into()],
            checklist: vec![],
        };
        let before = owed(&w, 2);
        let done = w.ok(2, contributions::SUBMIT, work.body());
        w.ok(0, contributions::REVIEW, review(&done, "approve", None));
        assert_eq!(owed(&w, 2) - before, 1_500);
        w.check_laws();
    }

    #[test]
    fn malformed_quadratic_buckets_are_refused() {
        use super::policies::policy_body;
        let mut w = world();
        w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
        let quadratic = |extra: Vec<(&'static str, Value)>| {
            [vec![("to", Value::text("quadratic"))], extra].concat()
        };
        for (bucket, expected) in [
            (
                quadratic(vec![("cap_ppm", Value::Unsigned(0))]),
                "body_invalid",
            ),
            (
                quadratic(vec![("cap_ppm", Value::Unsigned(1_000_001))]),
                "body_invalid",
            ),
            (
                quadratic(vec![("policy", Value::text("balanced"))]),
                "body_invalid",
            ),
            (
                quadratic(vec![("min_pledge", Value::text("ten"))]),
                "body_invalid",
            ),
            (
                quadratic(vec![("min_pledge", Value::Unsigned(u64::MAX))]),
                "amount_invalid",
            ),
        ] {
            let shown = format!("{bucket:?}");
            let body = policy_body(&w, 1_000, bucket);
            assert_eq!(code(w.send(0, PROPOSE, body)), expected, "{shown}");
        }
        assert!(w.state.economy.distributions.is_empty());
    }
}

/// The policies beyond lifetime and immediate, as buckets of real distributions: SPECIAL
/// (one person, with a memo), BALANCED (those paid less than their share catch up),
/// RECENT (credit fading per interval between executed distributions) and fixed splits.
mod policies {
    use super::*;
    use crate::projection::key_value;

    pub(super) fn propose(
        w: &mut World,
        amount: u64,
        bucket: Vec<(&'static str, Value)>,
    ) -> EventId {
        let body = policy_body(w, amount, bucket);
        w.ok(0, PROPOSE, body)
    }

    pub(super) fn policy_body(w: &World, amount: u64, bucket: Vec<(&'static str, Value)>) -> Value {
        let mut fields = vec![
            ("name", Value::text("the bucket")),
            ("take", Value::text("rest")),
        ];
        fields.extend(bucket);
        Value::text_map([
            ("title", Value::text("A round")),
            ("amount", Value::Unsigned(amount)),
            ("currency", Value::text(EUR)),
            ("buckets", Value::Array(vec![Value::text_map(fields)])),
            (
                "pin",
                Value::text_map([
                    ("size", Value::Unsigned(w.state.size)),
                    ("root", Value::bytes(vec![7u8; 32])),
                ]),
            ),
        ])
    }

    pub(super) fn execute(w: &mut World, d: &EventId) {
        let target = Value::text_map([("distribution", id_value(d))]);
        w.ok(0, APPROVE, target.clone());
        w.ok(1, APPROVE, target.clone());
        w.ok(1, EXECUTE, target);
    }

    /// (weight, amount) of each of keys 2, 3 and 4 in the distribution's one bucket.
    fn shares(w: &World, d: &EventId) -> [(u64, u64); 3] {
        let bucket = &w.state.economy.distributions[d].buckets[0];
        [2, 3, 4].map(|i| share_of(w, bucket, i))
    }

    fn contributors(policy: &str) -> Vec<(&'static str, Value)> {
        vec![
            ("to", Value::text("contributors")),
            ("policy", Value::text(policy)),
        ]
    }

    #[test]
    fn special_balanced_recent_and_splits_pay_what_their_formulas_say() {
        let mut w = world();
        w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
        let treasury = |w: &World| w.state.economy.books.holds(&Account::Treasury, EUR);
        // SPECIAL: a grant of 40,000 to key 4 alone.
        let k4 = key_value(&w.key(4));
        let grant = propose(
            &mut w,
            40_000,
            vec![
                ("to", Value::text("person")),
                ("person", k4),
                ("memo", Value::text("translation sprint")),
            ],
        );
        assert_eq!(shares(&w, &grant), [(0, 0), (0, 0), (1, 40_000)]);
        execute(&mut w, &grant);
        // BALANCED: credit is 1000 : 750 : 250 milli-credits and key 4 was paid 40,000, so
        // of 60,000 the targets are 50,000, 37,500 and 12,500 of 100,000; the shortfalls
        // 50,000, 37,500 and none split the 60,000 as 34,285.71… and 25,714.28….
        let balanced = propose(&mut w, 60_000, contributors("balanced"));
        assert_eq!(
            shares(&w, &balanced),
            [(50_000, 34_286), (37_500, 25_714), (0, 0)]
        );
        execute(&mut w, &balanced);
        // Key 3's care work is accepted after both pins: the third interval.
        let care = w.ok(
            3,
            contributions::SUBMIT,
            NewContribution {
                area: "guide".into(),
                kind: "care".into(),
                title: "Dusting".into(),
                description: None,
                tasks: vec![],
                authors: vec![],
                effort_minutes: Some(60),
                sponsor: None,
                revision: None,
                evidence: vec!["https://example.org/dust".into()],
                checklist: vec![],
            }
            .body(),
        );
        w.ok(0, contributions::REVIEW, review(&care, "approve", None));
        // RECENT at 50%: the first interval's credit is two intervals old and counts a
        // quarter (250, 187.5, 62.5), the new 1,000 counts fully: 250 : 1187.5 : 62.5.
        let recent = propose(
            &mut w,
            30_000,
            [
                contributors("recent"),
                vec![("discount_ppm", Value::Unsigned(500_000))],
            ]
            .concat(),
        );
        assert_eq!(
            shares(&w, &recent),
            [(250, 5_000), (1_187, 23_750), (62, 1_250)]
        );
        execute(&mut w, &recent);
        // Fixed splits: 25% and 50% of 10,000; the unsplit quarter stays in the treasury.
        let before = treasury(&w);
        let keys: Vec<Value> = (0..5).map(|i| key_value(&w.key(i))).collect();
        let split = |i: usize, ppm: u64| {
            Value::text_map([
                ("person", keys[i].clone()),
                ("share_ppm", Value::Unsigned(ppm)),
            ])
        };
        let splits = propose(
            &mut w,
            10_000,
            vec![
                ("to", Value::text("splits")),
                (
                    "splits",
                    Value::Array(vec![split(2, 250_000), split(4, 500_000)]),
                ),
            ],
        );
        assert_eq!(
            shares(&w, &splits),
            [(250_000, 2_500), (0, 0), (500_000, 5_000)]
        );
        execute(&mut w, &splits);
        assert_eq!(treasury(&w), before - 7_500);
        let owed = |i: usize| w.state.economy.books.holds(&Account::Owed(w.key(i)), EUR);
        assert_eq!(
            (owed(2), owed(3), owed(4)),
            (
                34_286 + 5_000 + 2_500,
                25_714 + 23_750,
                40_000 + 1_250 + 5_000
            )
        );
        w.check_laws();
    }

    /// BALANCED's pool counts every earlier payment, also to people without credit (as
    /// SourceCred's does): grants of 5,000 to key 4 and 40,000 to key 5 (no credit) make
    /// the pool 125,000 for a budget of 80,000, so the targets are 62,500, 46,875 and
    /// 15,625, the shortfalls 62,500, 46,875 and 10,625, and the split 41,666.67,
    /// 31,250 and 7,083.33 (counting key 4's grant alone would give 42,500, 31,875, 5,625).
    #[test]
    fn balanced_counts_payments_to_people_without_credit() {
        let mut w = world();
        w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
        for (i, amount) in [(4, 5_000), (5, 40_000)] {
            let person = key_value(&w.key(i));
            let grant = propose(
                &mut w,
                amount,
                vec![
                    ("to", Value::text("person")),
                    ("person", person),
                    ("memo", Value::text("a grant")),
                ],
            );
            execute(&mut w, &grant);
        }
        let balanced = propose(&mut w, 80_000, contributors("balanced"));
        assert_eq!(
            shares(&w, &balanced),
            [(62_500, 41_667), (46_875, 31_250), (10_625, 7_083)]
        );
        let d = &w.state.economy.distributions[&balanced];
        assert!(
            !d.totals
                .contains_key(&equation::Beneficiary::Person(w.key(5)))
        );
        w.check_laws();
    }

    fn rates(revision: u64, external: u64, care: u64) -> Value {
        Value::text_map([
            ("revision", Value::Unsigned(revision)),
            ("external", Value::Unsigned(external)),
            ("care", Value::Unsigned(care)),
        ])
    }

    fn time(rates: Value) -> Vec<(&'static str, Value)> {
        [contributors("time"), vec![("rates", rates)]].concat()
    }

    /// Time-weighted: key 2's 60 minutes of care at 2 a minute (120), and 20,000 minutes
    /// of external work shared 3 : 1 by keys 3 and 4 at 3 a minute (15,000 and 5,000
    /// minutes: 45,000 and 15,000). Of 10,000 that is 19.96…, 7,485.03… and 2,495.01…;
    /// the floors leave one unit, which goes to the largest remainder, key 2's.
    #[test]
    fn time_weighted_pays_validated_effort_at_the_rate_of_its_kind() {
        let mut w = world();
        w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
        let long = w.ok(
            3,
            contributions::SUBMIT,
            NewContribution {
                area: "guide".into(),
                kind: "external".into(),
                title: "A long port".into(),
                description: None,
                tasks: vec![],
                authors: vec![(w.key(3), 3), (w.key(4), 1)],
                effort_minutes: Some(20_000),
                sponsor: None,
                revision: None,
                evidence: vec!["https://example.org/port".into()],
                checklist: vec![],
            }
            .body(),
        );
        // Effort not yet validated counts for nothing.
        let early = propose(&mut w, 10_000, time(rates(1, 3, 2)));
        assert_eq!(shares(&w, &early), [(120, 10_000), (0, 0), (0, 0)]);
        w.ok(0, contributions::REVIEW, review(&long, "approve", None));
        let d = propose(&mut w, 10_000, time(rates(1, 3, 2)));
        assert_eq!(
            shares(&w, &d),
            [(120, 20), (45_000, 7_485), (15_000, 2_495)]
        );
        // A rate of zero leaves the kind out.
        let no_care = propose(&mut w, 10_000, time(rates(1, 3, 0)));
        assert_eq!(
            shares(&w, &no_care),
            [(0, 0), (45_000, 7_500), (15_000, 2_500)]
        );
        execute(&mut w, &d);
        // The next time bucket sees only what was accepted after this pin: nothing, so
        // the money stays in the treasury.
        let treasury = w.state.economy.books.holds(&Account::Treasury, EUR);
        let idle = propose(&mut w, 5_000, time(rates(1, 3, 2)));
        assert_eq!(shares(&w, &idle), [(0, 0); 3]);
        execute(&mut w, &idle);
        assert_eq!(
            w.state.economy.books.holds(&Account::Treasury, EUR),
            treasury
        );
        let owed = |i: usize| w.state.economy.books.holds(&Account::Owed(w.key(i)), EUR);
        assert_eq!((owed(2), owed(3), owed(4)), (20, 7_485, 2_495));
        w.check_laws();
    }

    #[test]
    fn malformed_policy_buckets_are_refused() {
        let mut w = world();
        w.ok(0, INCOME, income_body(Value::Unsigned(1_000_000), EUR));
        let person = key_value(&w.key(2));
        let split = |p: &Value, ppm: u64| {
            Value::text_map([("person", p.clone()), ("share_ppm", Value::Unsigned(ppm))])
        };
        let cases: Vec<Vec<(&'static str, Value)>> = vec![
            // RECENT needs its discount, at most the whole.
            contributors("recent"),
            [
                contributors("recent"),
                vec![("discount_ppm", Value::Unsigned(1_000_001))],
            ]
            .concat(),
            // A discount belongs to RECENT only.
            [
                contributors("balanced"),
                vec![("discount_ppm", Value::Unsigned(1))],
            ]
            .concat(),
            // SPECIAL names a person and says why.
            vec![("to", Value::text("person")), ("person", person.clone())],
            vec![
                ("to", Value::text("person")),
                ("person", Value::bytes(vec![1; 5])),
                ("memo", Value::text("x")),
            ],
            // Splits: nobody, somebody twice, a zero share, more than the whole.
            vec![
                ("to", Value::text("splits")),
                ("splits", Value::Array(vec![])),
            ],
            vec![
                ("to", Value::text("splits")),
                (
                    "splits",
                    Value::Array(vec![split(&person, 1), split(&person, 2)]),
                ),
            ],
            vec![
                ("to", Value::text("splits")),
                ("splits", Value::Array(vec![split(&person, 0)])),
            ],
            vec![
                ("to", Value::text("splits")),
                (
                    "splits",
                    Value::Array(vec![
                        split(&person, 600_000),
                        split(&key_value(&w.key(3)), 400_001),
                    ]),
                ),
            ],
            contributors("generous"),
            // Time needs a rate for every kind, each at most the policy's largest.
            contributors("time"),
            time(Value::text_map([("care", Value::Unsigned(1))])),
            time(rates(1, 1, 1_000_001)),
            time(Value::text_map([
                ("revision", Value::Unsigned(1)),
                ("external", Value::Unsigned(1)),
                ("care", Value::Unsigned(1)),
                ("meetings", Value::Unsigned(1)),
            ])),
            [
                time(rates(1, 1, 1)),
                vec![("discount_ppm", Value::Unsigned(1))],
            ]
            .concat(),
        ];
        for bucket in cases {
            let shown = format!("{bucket:?}");
            let body = policy_body(&w, 1_000, bucket);
            assert_eq!(code(w.send(0, PROPOSE, body)), "body_invalid", "{shown}");
        }
        assert!(w.state.economy.distributions.is_empty());
    }
}

/// Credit through the contribution graph: the equation's `graph` terms, CredRank per
/// interval, the flows each paid person's credit arrived by, and malformed terms refused.
mod graph_credit {
    use super::policies::{execute, propose};
    use super::*;
    use crate::value::distribution::{explained_credit, quantise};
    use crate::value::equation::{Beneficiary, Equation, GraphTerms, Ratio, Role};
    use commons_value::credrank::{CreditGraph, CreditParams, NodeKind, Weight};

    fn adopt(w: &mut World, back_flow: Ratio) {
        let eq = Equation {
            reviewer_share: Ratio { num: 1, den: 5 },
            graph: Some(GraphTerms {
                back_flow,
                ..GraphTerms::DEFAULT
            }),
            ..Equation::default()
        };
        let body = Value::text_map([("equation", equation::value(&eq))]);
        w.ok(0, EQUATION, body);
        assert_eq!(w.state.economy.equation_at(u64::MAX), eq);
    }

    fn lifetime(w: &World, d: &EventId, i: usize) -> (u64, u64) {
        share_of(w, &w.state.economy.distributions[d].buckets[0], i)
    }

    /// Without back-flow people are dangling nodes: contribution `a` (key 2 alone) and
    /// `b` (keys 3 and 4, 3:1), each worth 1,000 milli-credits with a fifth to reviewer
    /// key 0, hold x = 10/37 of the score each and pass α = 0.85 of it on, so of the
    /// 2,000 minted key 2 holds 0.85 · 0.8 · x · 2,000 = 367.57, key 3 275.68, key 4
    /// 91.89, key 0 183.78 and the contributions 540.54 each; largest remainders make
    /// them 368, 276, 92, 184 (and 540, 540): the proportions 4 : 3 : 1 : 2 of the parts.
    #[test]
    fn without_back_flow_graph_credit_keeps_the_equations_proportions() {
        let mut w = world();
        adopt(&mut w, Ratio { num: 0, den: 1 });
        w.ok(0, INCOME, income_body(Value::Unsigned(100_000), EUR));
        let d = propose(
            &mut w,
            9_200,
            vec![
                ("to", Value::text("contributors")),
                ("policy", Value::text("lifetime")),
            ],
        );
        assert_eq!(lifetime(&w, &d, 2), (368, 3_680));
        assert_eq!(lifetime(&w, &d, 3), (276, 2_760));
        assert_eq!(lifetime(&w, &d, 4), (92, 920));
        assert_eq!(lifetime(&w, &d, 0), (184, 1_840));
        // Key 0's credit arrived by its two review edges, key 3's by its author edge.
        let distribution = &w.state.economy.distributions[&d];
        let flows = explained_credit(
            &w.state,
            distribution,
            &Beneficiary::Person(w.key(0)),
            true,
            0,
        );
        assert_eq!(flows.len(), 2);
        assert!(flows.iter().all(|(_, role, _)| *role == Role::Reviewer));
        assert_eq!(flows.iter().map(|(_, _, c)| quantise(c)).sum::<u64>(), 184);
        let flows = explained_credit(
            &w.state,
            distribution,
            &Beneficiary::Person(w.key(3)),
            true,
            0,
        );
        assert_eq!(flows.len(), 1);
        assert_eq!(flows[0].1, Role::Author);
        assert_eq!(quantise(&flows[0].2), 276);
        w.check_laws();
    }

    /// A revision chain: key 3 drafts the atlas, key 4 revises it and key 2 revises
    /// that. Each revision passes a fifth of its out-flow to the one it builds on, so the
    /// first draft earns more than its own minting: key 3 gains against key 2 compared
    /// with direct credit (1,400 : 1,600). The figures are those of the same graph built
    /// by hand and run by commons-value, and each person's flows sum to the weight the
    /// bucket used.
    #[test]
    fn revisions_pass_credit_to_the_work_they_build_on() {
        use crate::production::bodies::RevisionSpec;
        use commons_ledger::BlobRef;
        let mut w = world();
        adopt(&mut w, Ratio { num: 1, den: 8 });
        let revision = |artifact: Option<EventId>, base: Option<EventId>, n: u8| NewContribution {
            area: "guide".into(),
            kind: "revision".into(),
            title: format!("Atlas draft {n}"),
            description: None,
            tasks: vec![],
            authors: vec![],
            effort_minutes: Some(0),
            sponsor: None,
            revision: Some(RevisionSpec {
                artifact,
                base,
                name: artifact.is_none().then(|| "atlas".into()),
                artifact_kind: artifact.is_none().then(|| "document".into()),
                media_type: "text/markdown".into(),
                blob: BlobRef::of_bytes(&[n]),
            }),
            evidence: vec![],
            checklist: vec![],
        };
        let d1 = w.ok(3, contributions::SUBMIT, revision(None, None, 1).body());
        w.ok(0, contributions::REVIEW, review(&d1, "approve", None));
        let d2 = w.ok(
            4,
            contributions::SUBMIT,
            revision(Some(d1), Some(d1), 2).body(),
        );
        w.ok(0, contributions::REVIEW, review(&d2, "approve", None));
        // No base given: the artifact's previous revision, d2, is the one built on.
        let d3 = w.ok(2, contributions::SUBMIT, revision(Some(d1), None, 3).body());
        w.ok(0, contributions::REVIEW, review(&d3, "approve", None));
        w.ok(0, INCOME, income_body(Value::Unsigned(100_000), EUR));
        let d = propose(
            &mut w,
            10_000,
            vec![
                ("to", Value::text("contributors")),
                ("policy", Value::text("lifetime")),
            ],
        );
        let [a, b] = {
            let order = &w.state.production.contribution_order;
            [order[0], order[1]]
        };
        // The same graph by hand: each contribution worth 1,000, 200 to reviewer key 0,
        // and a builds-on edge of 1,000 × (1/5) / (4/5) = 250.
        let mut graph = CreditGraph::new();
        let person = |i: usize| format!("p{}", w.key(i).to_hex());
        let node = |id: &EventId| format!("c{}", id.to_hex());
        for i in [0, 2, 3, 4] {
            graph.add_node(person(i), NodeKind::Person).unwrap();
        }
        let authored: [(EventId, &[(usize, u64)]); 5] = [
            (a, &[(2, 800)]),
            (b, &[(3, 600), (4, 200)]),
            (d1, &[(3, 800)]),
            (d2, &[(4, 800)]),
            (d3, &[(2, 800)]),
        ];
        for (id, authors) in authored {
            graph.add_node(node(&id), NodeKind::Contribution).unwrap();
            graph.seed(&node(&id), Weight::whole(1_000)).unwrap();
            graph
                .add_edge(&node(&id), &person(0), Weight::whole(200))
                .unwrap();
            for (i, part) in authors {
                graph
                    .add_edge(&node(&id), &person(*i), Weight::whole(*part))
                    .unwrap();
            }
        }
        graph
            .add_edge(&node(&d2), &node(&d1), Weight::whole(250))
            .unwrap();
        graph
            .add_edge(&node(&d3), &node(&d2), Weight::whole(250))
            .unwrap();
        let params = CreditParams {
            alpha: 0.85,
            max_iter: 1_000,
            back_flow: Weight::ratio(1, 8).unwrap(),
            ..CreditParams::new(5_000)
        };
        let expected = graph.run(&params).unwrap();
        let distribution = &w.state.economy.distributions[&d];
        for i in [0, 2, 3, 4] {
            let (weight, _) = lifetime(&w, &d, i);
            assert_eq!(Some(weight), expected.credit(&person(i)), "key {i}");
            let flows = explained_credit(
                &w.state,
                distribution,
                &Beneficiary::Person(w.key(i)),
                true,
                0,
            );
            assert_eq!(
                flows.iter().map(|(_, _, c)| quantise(c)).sum::<u64>(),
                weight,
                "key {i}'s flows"
            );
        }
        let (k2, k3) = (lifetime(&w, &d, 2).0, lifetime(&w, &d, 3).0);
        assert!(k3 * 1_600 > k2 * 1_400, "key 3 {k3} against key 2 {k2}");
        // The amounts split 10,000 by those weights exactly.
        let paid: u64 = [0, 2, 3, 4].iter().map(|i| lifetime(&w, &d, *i).1).sum();
        assert_eq!(paid, 10_000);
        // Executed, the next interval has no new work: an immediate bucket pays nobody.
        execute(&mut w, &d);
        let d2 = propose(
            &mut w,
            1_000,
            vec![
                ("to", Value::text("contributors")),
                ("policy", Value::text("immediate")),
            ],
        );
        assert!(
            w.state.economy.distributions[&d2].buckets[0]
                .shares
                .is_empty()
        );
        w.check_laws();
    }

    #[test]
    fn malformed_graph_terms_are_refused() {
        let mut w = world();
        for (damping, back_flow) in [
            ((0, 1), (1, 8)),
            ((1, 1), (1, 8)),
            ((96, 100), (1, 8)),
            ((17, 20), (9, 8)),
        ] {
            let pair =
                |(n, d): (u64, u64)| Value::Array(vec![Value::Unsigned(n), Value::Unsigned(d)]);
            let eq = Value::text_map([(
                "graph",
                Value::text_map([("damping", pair(damping)), ("back_flow", pair(back_flow))]),
            )]);
            let body = Value::text_map([("equation", eq)]);
            assert_eq!(
                code(w.send(0, EQUATION, body)),
                "body_invalid",
                "{damping:?} {back_flow:?}"
            );
        }
        let whole = Value::text_map([(
            "equation",
            Value::text_map([(
                "graph",
                Value::text_map([(
                    "builds_on",
                    Value::Array(vec![Value::Unsigned(1), Value::Unsigned(1)]),
                )]),
            )]),
        )]);
        assert_eq!(code(w.send(0, EQUATION, whole)), "body_invalid");
        let unknown = Value::text_map([(
            "equation",
            Value::text_map([("graph", Value::text_map([("alpha", Value::Unsigned(1))]))]),
        )]);
        assert_eq!(code(w.send(0, EQUATION, unknown)), "body_invalid");
        // Defaults fill what is left out, and the body form round-trips.
        let body = Value::text_map([(
            "equation",
            Value::text_map([("graph", Value::text_map(Vec::<(&str, Value)>::new()))]),
        )]);
        w.ok(0, EQUATION, body);
        let eq = w.state.economy.equation_at(u64::MAX);
        assert_eq!(eq.graph, Some(GraphTerms::DEFAULT));
        assert_eq!(
            equation::read("value.equation", &equation::value(&eq)).unwrap(),
            eq
        );
    }
}
