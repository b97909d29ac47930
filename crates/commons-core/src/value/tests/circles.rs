//! GIVE circles: opening, giving and revising, closing by ledger time, a distribution's
//! `circle` bucket worked by hand to the unit, every refusal's code and the limits.

use super::super::circle::{
    CIRCLE_MEMBERS_MAX, CIRCLES_MAX, Circle, EPOCH_MS_MAX, GIVE, OPEN, OPEN_CIRCLES_MAX,
};
use super::super::distribution::{Bucket, Take, Target, bucket_value};
use super::*;
use crate::association::tests::DAY_MS;
use crate::projection::key_value;
use commons_value::policy::peer::GIVE_PER_MEMBER_MAX;

fn open_body(members: &[AuthorKey], give_per_member: u64, closes_ms: u64) -> Value {
    Value::text_map([
        ("title", Value::text("November circle")),
        (
            "members",
            Value::Array(members.iter().map(key_value).collect()),
        ),
        ("give_per_member", Value::Unsigned(give_per_member)),
        ("closes_ms", Value::Unsigned(closes_ms)),
    ])
}

fn give_body(circle: &EventId, gifts: &[(AuthorKey, u64)], opt_out: Option<bool>) -> Value {
    let gifts = gifts
        .iter()
        .map(|(to, give)| {
            Value::text_map([("to", key_value(to)), ("give", Value::Unsigned(*give))])
        })
        .collect();
    let mut fields = vec![("circle", id_value(circle)), ("gifts", Value::Array(gifts))];
    if let Some(b) = opt_out {
        fields.push(("opt_out", Value::Bool(b)));
    }
    Value::text_map(fields)
}

/// A one-bucket distribution of `amount` to the circle, pinned to the ledger now.
fn propose_body(w: &World, amount: u64, circle: &EventId) -> Value {
    let bucket = Bucket {
        name: "peers".into(),
        take: Take::Rest,
        target: Target::Circle(*circle),
    };
    Value::text_map([
        ("title", Value::text("Peer round")),
        ("amount", Value::Unsigned(amount)),
        ("currency", Value::text(EUR)),
        ("buckets", Value::Array(vec![bucket_value(&bucket)])),
        (
            "pin",
            Value::text_map([
                ("size", Value::Unsigned(w.state.size)),
                ("root", Value::bytes(vec![7u8; 32])),
            ]),
        ),
    ])
}

fn execute(w: &mut World, d: &EventId) {
    let target = Value::text_map([("distribution", id_value(d))]);
    w.ok(0, APPROVE, target.clone());
    w.ok(1, APPROVE, target.clone());
    w.ok(1, EXECUTE, target);
}

/// A world with 100,000 EUR in the treasury and a circle of keys 2 to 5, 100 GIVE each,
/// closing in a week.
fn circle_world() -> (World, EventId) {
    let mut w = world();
    w.ok(0, INCOME, income_body(Value::Unsigned(100_000), EUR));
    let members: Vec<AuthorKey> = (2..6).map(|i| w.key(i)).collect();
    let closes = w.state.time_ms + 7 * DAY_MS;
    let c = w.ok(0, OPEN, open_body(&members, 100, closes));
    (w, c)
}

#[test]
fn a_circle_pays_its_members_by_the_give_they_received_to_the_unit() {
    let (mut w, c) = circle_world();
    let k = |i: usize| w.key(i);
    let (k2, k3, k4, k5) = (k(2), k(3), k(4), k(5));
    // Key 2 first gives everything to key 3, then revises: 40 to key 3, 50 to key 4.
    w.ok(2, GIVE, give_body(&c, &[(k3, 100)], None));
    w.ok(2, GIVE, give_body(&c, &[(k3, 40), (k4, 50)], None));
    // Key 3 gives 60 to key 2 and 40 to key 5; key 4 gives 50 to key 2 and 0 to key 3;
    // key 5 opted out of receiving but gives key 2 30.
    w.ok(3, GIVE, give_body(&c, &[(k2, 60), (k5, 40)], None));
    w.ok(4, GIVE, give_body(&c, &[(k2, 50), (k3, 0)], None));
    w.ok(5, GIVE, give_body(&c, &[(k2, 30)], Some(true)));
    let circle = &w.state.economy.circles.circles[&c];
    assert_eq!(circle.allocations[&k2].revisions, 2);
    let mut gifts = vec![(k3, 40), (k4, 50)];
    gifts.sort();
    assert_eq!(circle.allocations[&k2].gifts, gifts, "in key order");
    assert_eq!(circle.allocations[&k4].gifts, vec![(k2, 50)]);
    assert_eq!(circle.allocations[&k3].revisions, 1);
    // Key 5's 40 from key 3 counts for nobody: 140, 40, 50 and 0 of 230 counted.
    assert_eq!(
        circle.received(),
        vec![(k2, 60 + 50 + 30), (k3, 40), (k4, 50), (k5, 0)]
    );
    let closes = circle.closes_ms;
    // While the epoch runs the circle cannot be paid.
    assert_eq!(
        code(w.send(0, PROPOSE, propose_body(&w, 23_001, &c))),
        "circle_open"
    );
    // The tick that reaches `closes_ms` closes it: nobody gives any more.
    w.tick(closes);
    assert!(!w.state.economy.circles.circles[&c].is_open(w.state.time_ms));
    assert_eq!(
        code(w.send(3, GIVE, give_body(&c, &[(k2, 100)], None))),
        "circle_closed"
    );
    // 23,001 × 140/230 = 14,000.61, × 40/230 = 4,000.17, × 50/230 = 5,000.22: the floors
    // make 23,000 and the one unit left goes to the largest remainder, key 2's.
    let d = w.ok(0, PROPOSE, propose_body(&w, 23_001, &c));
    let dist = &w.state.economy.distributions[&d];
    assert_eq!(
        dist.buckets[0].bucket.target,
        Target::Circle(c),
        "the bucket reads back as written"
    );
    let shares: Vec<(AuthorKey, u64, u64)> = dist.buckets[0]
        .shares
        .iter()
        .map(|s| match &s.to {
            equation::Beneficiary::Person(key) => (*key, s.weight, s.amount),
            other => panic!("a circle pays people, not {other:?}"),
        })
        .collect();
    let mut expected = vec![(k2, 140, 14_001), (k3, 40, 4_000), (k4, 50, 5_000)];
    expected.sort();
    assert_eq!(shares, expected);
    execute(&mut w, &d);
    let owed = |w: &World, i: usize| w.state.economy.books.holds(&Account::Owed(w.key(i)), EUR);
    assert_eq!([2, 3, 4, 5].map(|i| owed(&w, i)), [14_001, 4_000, 5_000, 0]);
    assert_eq!(
        w.state.economy.books.holds(&Account::Treasury, EUR),
        100_000 - 23_001
    );
    w.check_laws();
}

#[test]
fn money_a_circle_does_not_place_stays_in_the_treasury() {
    let (mut w, c) = circle_world();
    // Only a gift to a member who then opts out: nobody received any GIVE that counts.
    w.ok(2, GIVE, give_body(&c, &[(w.key(3), 10)], None));
    w.ok(3, GIVE, give_body(&c, &[], Some(true)));
    w.tick(w.state.time_ms + 7 * DAY_MS);
    let d = w.ok(0, PROPOSE, propose_body(&w, 5_000, &c));
    let dist = &w.state.economy.distributions[&d];
    assert_eq!(dist.buckets[0].amount, 5_000);
    assert!(dist.buckets[0].shares.is_empty());
    assert!(dist.totals.is_empty());
    execute(&mut w, &d);
    assert_eq!(
        w.state.economy.books.holds(&Account::Treasury, EUR),
        100_000
    );
    w.check_laws();
}

#[test]
fn each_refused_gift_has_its_own_code_and_changes_nothing() {
    let (mut w, c) = circle_world();
    let (k2, k3, k4) = (w.key(2), w.key(3), w.key(4));
    let stranger = w.key(7);
    let unknown = EventId([9u8; 32]);
    let cases: Vec<(usize, Value, &str)> = vec![
        (7, give_body(&c, &[(k2, 1)], None), "circle_not_member"),
        (2, give_body(&unknown, &[(k3, 1)], None), "circle_unknown"),
        (2, give_body(&c, &[(k2, 1)], None), "circle_gift_to_self"),
        (
            2,
            give_body(&c, &[(stranger, 1)], None),
            "circle_recipient_unknown",
        ),
        (
            2,
            give_body(&c, &[(k3, 1), (k3, 2)], None),
            "circle_gift_duplicate",
        ),
        (
            2,
            give_body(&c, &[(k3, 60), (k4, 41)], None),
            "circle_give_exceeded",
        ),
        (
            2,
            Value::text_map([
                ("circle", id_value(&c)),
                ("gifts", Value::Array(vec![])),
                ("opt_out", Value::text("yes")),
            ]),
            "body_invalid",
        ),
        (
            2,
            Value::text_map([("circle", id_value(&c)), ("gifts", Value::text("all"))]),
            "body_invalid",
        ),
    ];
    for (by, body, expected) in cases {
        let shown = format!("{body:?}");
        assert_eq!(code(w.send(by, GIVE, body)), expected, "{shown}");
    }
    // Exactly what a member holds is fine.
    w.ok(2, GIVE, give_body(&c, &[(k3, 60), (k4, 40)], None));
    assert!(w.state.economy.circles.circles[&c].allocations[&k2].given() == 100);
    // An unknown circle in a distribution bucket.
    assert_eq!(
        code(w.send(0, PROPOSE, propose_body(&w, 1_000, &unknown))),
        "circle_unknown"
    );
    w.check_laws();
}

#[test]
fn a_circle_is_opened_by_a_treasurer_with_distinct_members_a_budget_of_give_and_a_future_close() {
    let mut w = world();
    let now = w.state.time_ms;
    let members: Vec<AuthorKey> = (2..5).map(|i| w.key(i)).collect();
    let week = now + 7 * DAY_MS;
    assert_eq!(
        code(w.send(3, OPEN, open_body(&members, 100, week))),
        "not_treasurer"
    );
    let duplicated = [w.key(2), w.key(2)];
    let refused: Vec<(Value, &str)> = vec![
        (open_body(&members[..1], 100, week), "one member"),
        (open_body(&duplicated, 100, week), "a member twice"),
        (open_body(&members, 0, week), "no GIVE"),
        (
            open_body(&members, GIVE_PER_MEMBER_MAX + 1, week),
            "too much GIVE",
        ),
        (open_body(&members, 100, now), "closing now"),
        (
            open_body(&members, 100, now + EPOCH_MS_MAX + 1),
            "an epoch over a year",
        ),
    ];
    for (body, why) in refused {
        assert_eq!(code(w.send(0, OPEN, body)), "body_invalid", "{why}");
    }
    let c = w.ok(0, OPEN, open_body(&members, GIVE_PER_MEMBER_MAX, week));
    assert_eq!(
        w.state.economy.circles.circles[&c].give_per_member,
        GIVE_PER_MEMBER_MAX
    );
    assert_eq!(w.state.economy.circles.order, vec![c]);
    w.check_laws();
}

#[test]
fn a_circle_has_at_most_a_thousand_members() {
    let mut w = world();
    let week = w.state.time_ms + 7 * DAY_MS;
    let many: Vec<AuthorKey> = (0..=CIRCLE_MEMBERS_MAX as u32)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&i.to_be_bytes());
            seed[31] = 0xC1;
            commons_ledger::SecretKey::from_seed(seed).author_key()
        })
        .collect();
    assert_eq!(
        code(w.send(0, OPEN, open_body(&many, 100, week))),
        "body_invalid"
    );
    let c = w.ok(0, OPEN, open_body(&many[..CIRCLE_MEMBERS_MAX], 100, week));
    assert_eq!(
        w.state.economy.circles.circles[&c].members.len(),
        CIRCLE_MEMBERS_MAX
    );
}

#[test]
fn open_circles_and_circles_kept_are_capped() {
    let mut w = world();
    let now = w.state.time_ms;
    let members: Vec<AuthorKey> = (2..4).map(|i| w.key(i)).collect();
    for _ in 0..OPEN_CIRCLES_MAX {
        w.ok(0, OPEN, open_body(&members, 100, now + DAY_MS));
    }
    assert_eq!(
        code(w.send(0, OPEN, open_body(&members, 100, now + 2 * DAY_MS))),
        "limit_reached"
    );
    // Once their epochs end they no longer count as open.
    w.tick(now + DAY_MS);
    let c = w.ok(0, OPEN, open_body(&members, 100, now + 2 * DAY_MS));
    // The commons keeps at most CIRCLES_MAX circles, open or closed.
    let template: Circle = w.state.economy.circles.circles[&c].clone();
    let circles = &mut w.state.economy.circles;
    for i in 0..CIRCLES_MAX as u32 {
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&i.to_be_bytes());
        let id = EventId(id);
        circles.circles.insert(
            id,
            Circle {
                id,
                closes_ms: now,
                ..template.clone()
            },
        );
    }
    assert!(circles.circles.len() >= CIRCLES_MAX);
    assert_eq!(
        code(w.send(0, OPEN, open_body(&members, 100, now + 2 * DAY_MS))),
        "limit_reached"
    );
}
