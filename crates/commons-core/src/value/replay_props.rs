//! The law "replaying the ledger reproduces every balance", checked on random sequences of
//! value events: incomes, reversals, distributions proposed, approved and executed,
//! payouts, and events core must refuse (wrong author, zero or oversized amounts, unknown
//! entries, payouts beyond what is owed). After every event the books keep their
//! invariants, and at the end a replay of the whole ledger equals the state applied one
//! event at a time.

use super::distribution::{APPROVE, EXECUTE, PROPOSE};
use super::money::{Account, IncomeKind};
use super::tests::{id_value, income_body, propose_body, world};
use super::{AMOUNT_MAX, INCOME, PAYOUT, REVERSE};
use crate::projection::key_value;
use crate::test_world::World;
use commons_ledger::EventId;
use commons_ledger::cbor::Value;
use proptest::prelude::*;
use std::collections::BTreeMap;

const CURRENCIES: [&str; 2] = ["EUR", "USD"];

/// An amount: a fraction (in millionths) of what the target holds, so that most events
/// are valid, or a raw number of minor units (zero and oversized ones are refused).
#[derive(Clone, Copy, Debug)]
enum Amount {
    Share(u64),
    Raw(u64),
}

impl Amount {
    fn of(self, holds: u64) -> u64 {
        match self {
            Amount::Share(ppm) => u64::try_from(u128::from(holds) * u128::from(ppm) / 1_000_000)
                .unwrap_or(1)
                .max(1),
            Amount::Raw(n) => n,
        }
    }
}

/// One value event; authors 0 and 1 are the treasurers, 2 to 4 the contributors.
#[derive(Clone, Debug)]
enum Step {
    Income {
        author: usize,
        amount: u64,
        currency: usize,
    },
    /// Reverses the `entry`-th income, payout or reversal in id order (or an unknown
    /// entry past the end).
    Reverse { author: usize, entry: usize },
    Propose {
        author: usize,
        amount: Amount,
        currency: usize,
        /// Entries before the current size to pin to; 5 pins past the end.
        pin_back: u64,
        min_payout: u64,
    },
    /// `dist.approve` or `dist.execute` of the `distribution`-th distribution.
    Decide {
        kind: &'static str,
        author: usize,
        distribution: usize,
    },
    /// Both treasurers approve, then one executes.
    Settle { distribution: usize },
    Payout {
        author: usize,
        to: usize,
        amount: Amount,
        currency: usize,
    },
}

fn share() -> impl Strategy<Value = Amount> {
    prop_oneof![
        6 => (1..1_000_000u64).prop_map(Amount::Share),
        1 => Just(Amount::Share(1_000_000)),
        1 => Just(Amount::Raw(0)),
        1 => Just(Amount::Raw(AMOUNT_MAX + 1)),
        1 => (1..2_000_000u64).prop_map(Amount::Raw),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let author = prop_oneof![4 => 0..2usize, 1 => 2..5usize];
    let amount = prop_oneof![
        8 => 1..2_000_000u64,
        1 => Just(0u64),
        1 => Just(AMOUNT_MAX + 1),
    ];
    prop_oneof![
        3 => (author.clone(), amount.clone(), 0..2usize)
            .prop_map(|(author, amount, currency)| Step::Income { author, amount, currency }),
        1 => (author.clone(), 0..12usize)
            .prop_map(|(author, entry)| Step::Reverse { author, entry }),
        3 => (author.clone(), share(), 0..2usize, prop_oneof![0..3u64, Just(5u64)], prop_oneof![Just(0u64), 1..500_000u64])
            .prop_map(|(author, amount, currency, pin_back, min_payout)| Step::Propose {
                author, amount, currency, pin_back, min_payout,
            }),
        4 => (prop_oneof![Just(APPROVE), Just(EXECUTE)], author.clone(), 0..4usize)
            .prop_map(|(kind, author, distribution)| Step::Decide { kind, author, distribution }),
        2 => (0..4usize).prop_map(|distribution| Step::Settle { distribution }),
        3 => (author, 2..5usize, share(), 0..2usize)
            .prop_map(|(author, to, amount, currency)| Step::Payout { author, to, amount, currency }),
    ]
}

/// `body` with one more field (or a field replaced).
fn with_field(body: Value, name: &str, value: Value) -> Value {
    match body {
        Value::Map(mut entries) => {
            entries.push((Value::text(name), value));
            Value::map(entries)
        }
        other => other,
    }
}

/// The `n`-th distribution (wrapping), or an unknown id when there is none.
fn distribution_at(w: &World, n: usize) -> EventId {
    let order = &w.state.economy.distribution_order;
    if order.is_empty() {
        EventId([3; 32])
    } else {
        order[n % order.len()]
    }
}

fn run(w: &mut World, step: &Step) {
    let _ = match *step {
        Step::Income {
            author,
            amount,
            currency,
        } => w.send(
            author,
            INCOME,
            income_body(Value::Unsigned(amount), CURRENCIES[currency]),
        ),
        Step::Reverse { author, entry } => {
            // Entries are drawn among the movements `money.reverse` documents (incomes,
            // payouts, and reversals, which it refuses). Core accepts today the reversal
            // of a `dist.execute` too (it refuses only the distribution's own id), which
            // sends an executed distribution's credit back to the treasury while it
            // stays executed; that is reported, not exercised here.
            let books = &w.state.economy.books;
            let id = books
                .by_event
                .keys()
                .filter(|id| {
                    books
                        .lines_of(id)
                        .first()
                        .is_some_and(|l| l.memo != EXECUTE)
                })
                .nth(entry)
                .copied()
                .unwrap_or(EventId([9; 32]));
            let body =
                Value::text_map([("entry", id_value(&id)), ("reason", Value::text("bounced"))]);
            w.send(author, REVERSE, body)
        }
        Step::Propose {
            author,
            amount,
            currency,
            pin_back,
            min_payout,
        } => {
            let size = w.state.size;
            let pin = if pin_back == 5 {
                size + 5
            } else {
                size.saturating_sub(pin_back).max(1)
            };
            let holds = w
                .state
                .economy
                .books
                .holds(&Account::Treasury, CURRENCIES[currency]);
            let mut body = propose_body(amount.of(holds), CURRENCIES[currency], Some(pin));
            if min_payout > 0 {
                body = with_field(body, "min_payout", Value::Unsigned(min_payout));
            }
            w.send(author, PROPOSE, body)
        }
        Step::Decide {
            kind,
            author,
            distribution,
        } => {
            let id = distribution_at(w, distribution);
            let body = Value::text_map([("distribution", id_value(&id))]);
            w.send(author, kind, body)
        }
        Step::Settle { distribution } => {
            let target =
                Value::text_map([("distribution", id_value(&distribution_at(w, distribution)))]);
            let _ = w.send(0, APPROVE, target.clone());
            let _ = w.send(1, APPROVE, target.clone());
            w.send(0, EXECUTE, target)
        }
        Step::Payout {
            author,
            to,
            amount,
            currency,
        } => {
            let owed = w
                .state
                .economy
                .books
                .holds(&Account::Owed(w.key(to)), CURRENCIES[currency]);
            let body = Value::text_map([
                ("to", key_value(&w.key(to))),
                ("amount", Value::Unsigned(amount.of(owed))),
                ("currency", Value::text(CURRENCIES[currency])),
                ("reference", Value::text("SEPA out 7")),
            ]);
            w.send(author, PAYOUT, body)
        }
    };
}

/// Income received in `currency`, net of reversals: what the outside income accounts gave.
fn net_income(w: &World, currency: &str) -> i128 {
    IncomeKind::ALL
        .iter()
        .map(|k| {
            -w.state
                .economy
                .books
                .balance(&Account::Income(*k), currency)
        })
        .sum()
}

/// The invariants of the books that hold after every event, accepted or not.
fn check_books(w: &World, proposed_before: usize) {
    let books = &w.state.economy.books;
    let mut sums: BTreeMap<&str, i128> = BTreeMap::new();
    for ((account, currency), balance) in &books.balances {
        assert!(
            !account.is_internal() || *balance >= 0,
            "{} is {balance} {currency}, below zero",
            account.name()
        );
        *sums.entry(currency.as_str()).or_insert(0) += balance;
    }
    for (currency, sum) in sums {
        assert_eq!(sum, 0, "the {currency} balances sum to {sum}, not zero");
    }
    let economy = &w.state.economy;
    for (n, id) in economy.distribution_order.iter().enumerate() {
        let d = &economy.distributions[id];
        let shared: u64 = d.buckets.iter().map(|b| b.amount).sum();
        assert_eq!(shared, d.amount, "the buckets add up to the amount");
        for bucket in &d.buckets {
            let paid: u64 = bucket.shares.iter().map(|s| s.amount).sum();
            assert!(
                paid == bucket.amount || bucket.shares.is_empty(),
                "a bucket's shares add up to the bucket"
            );
        }
        let credited: u64 = d.totals.values().sum();
        assert!(
            credited <= d.amount,
            "a distribution pays out its amount at most"
        );
        // A distribution proposed by this very step never exceeds the income received.
        if n >= proposed_before {
            assert!(
                i128::from(d.amount) <= net_income(w, &d.currency),
                "a distribution of {} {} exceeds the income received",
                d.amount,
                d.currency
            );
        }
    }
    // Money out of the treasury into distributions never exceeds the income received,
    // net of reversals.
    for currency in books.currencies() {
        let distributed: i128 = books
            .lines
            .iter()
            .filter(|l| l.memo == EXECUTE && l.transfer.currency == currency)
            .filter(|l| l.transfer.from == Account::Treasury)
            .map(|l| i128::from(l.transfer.amount))
            .sum();
        assert!(
            distributed <= net_income(w, &currency),
            "more {currency} distributed than received"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Replaying the ledger reproduces every balance: whatever value events arrive, in
    /// whatever order, with refused ones among them, the replayed books equal the books
    /// applied one event at a time; internal accounts never go below zero; each
    /// currency's balances sum to zero; and no distribution exceeds the income received.
    #[test]
    fn replaying_the_ledger_reproduces_every_balance(
        steps in proptest::collection::vec(step(), 5..60)
    ) {
        let mut w = world();
        for step in &steps {
            let proposed_before = w.state.economy.distribution_order.len();
            run(&mut w, step);
            check_books(&w, proposed_before);
        }
        let replayed = crate::replay(w.ledger.iter()).expect("an accepted ledger replays");
        prop_assert_eq!(&replayed.economy.books, &w.state.economy.books);
        prop_assert_eq!(&replayed.economy, &w.state.economy);
        w.check_laws();
    }
}
