//! Projection rows of value sharing: each money event's lines, each account's balance per
//! currency, incomes, the equations and distributions.

use super::distribution::{Distribution, Status};
use super::equation::{self, Beneficiary};
use super::expense::Expense;
use super::money::Line;
use crate::projection::{RowKey, key_value, keys_value, opt_text};
use crate::state::State;
use commons_ledger::cbor::Value;

pub(crate) fn keys(state: &State, keys: &mut Vec<RowKey>) {
    let e = &state.economy;
    keys.extend(e.books.by_event.keys().map(|id| RowKey::MoneyEvent(*id)));
    keys.extend(
        e.books
            .currencies()
            .iter()
            .map(|c| RowKey::Balances(super::code_key(c))),
    );
    keys.extend(e.incomes.keys().map(|id| RowKey::Income(*id)));
    if !e.equations.is_empty() {
        keys.push(RowKey::Equations);
    }
    keys.extend(e.distributions.keys().map(|id| RowKey::Distribution(*id)));
    keys.extend(e.expenses.expenses.keys().map(|id| RowKey::Expense(*id)));
    if !e.expenses.policies.is_empty() {
        keys.push(RowKey::ExpensePolicies);
    }
    keys.extend(e.bounties.bounties.keys().map(|id| RowKey::Bounty(*id)));
    keys.extend(e.awards.keys().map(|id| RowKey::Award(*id)));
    super::claims::row_keys(state, keys);
    keys.extend(e.circles.circles.keys().map(|id| RowKey::Circle(*id)));
}

fn circle_value(c: &super::circle::Circle) -> Value {
    let allocations = c.allocations.iter().map(|(member, a)| {
        (
            key_value(member),
            Value::text_map([
                (
                    "gifts",
                    Value::map(
                        a.gifts
                            .iter()
                            .map(|(to, give)| (key_value(to), Value::Unsigned(*give))),
                    ),
                ),
                ("opted_out", Value::Bool(a.opted_out)),
                ("revisions", Value::Unsigned(a.revisions)),
                ("index", Value::Unsigned(a.index)),
            ]),
        )
    });
    Value::text_map([
        ("title", Value::text(c.title.clone())),
        ("by", key_value(&c.by)),
        ("index", Value::Unsigned(c.index)),
        ("members", keys_value(c.members.iter().copied())),
        ("give_per_member", Value::Unsigned(c.give_per_member)),
        ("closes_ms", Value::Unsigned(c.closes_ms)),
        ("allocations", Value::map(allocations)),
    ])
}

fn award_value(a: &super::award::Award) -> Value {
    use super::award::AwardState;
    let shares = match &a.state {
        AwardState::Awarded { shares, .. } => Value::map(
            shares
                .iter()
                .map(|(k, amount)| (key_value(k), Value::Unsigned(*amount))),
        ),
        _ => Value::Null,
    };
    Value::text_map([
        ("title", Value::text(a.title.clone())),
        ("by", key_value(&a.by)),
        ("amount", Value::Unsigned(a.amount)),
        ("currency", Value::text(a.currency.clone())),
        ("winners", Value::Unsigned(u64::from(a.winners))),
        (
            "nominations_close_ms",
            Value::Unsigned(a.nominations_close_ms),
        ),
        (
            "nominees",
            Value::Array(
                a.nominations
                    .iter()
                    .map(|n| {
                        Value::text_map([
                            ("nominee", key_value(&n.nominee)),
                            ("by", key_value(&n.by)),
                            ("reason", Value::text(n.reason.clone())),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("state", Value::text(a.state.as_str())),
        ("shares", shares),
    ])
}

fn bounty_value(b: &super::bounty::Bounty) -> Value {
    use super::bounty::BountyState;
    let shares = match &b.state {
        BountyState::Released { shares, .. } => Value::map(
            shares
                .iter()
                .map(|(k, a)| (key_value(k), Value::Unsigned(*a))),
        ),
        _ => Value::Null,
    };
    Value::text_map([
        ("task", Value::bytes(b.task.0.to_vec())),
        ("by", key_value(&b.by)),
        ("pledger", b.pledger.as_ref().map_or(Value::Null, key_value)),
        ("source", Value::text(b.source.clone())),
        ("reference", Value::text(b.reference.clone())),
        ("amount", Value::Unsigned(b.amount)),
        ("currency", Value::text(b.currency.clone())),
        ("unresolved", Value::text(b.unresolved.as_str())),
        ("state", Value::text(b.state.as_str())),
        ("shares", shares),
    ])
}

fn id_value(id: &Option<commons_ledger::EventId>) -> Value {
    id.map_or(Value::Null, |id| Value::bytes(id.0.to_vec()))
}

fn expense_value(x: &Expense) -> Value {
    Value::text_map([
        ("author", key_value(&x.author)),
        ("payee", key_value(&x.payee)),
        ("title", Value::text(x.title.clone())),
        ("description", opt_text(&x.description)),
        ("amount", Value::Unsigned(x.amount)),
        ("currency", Value::text(x.currency.clone())),
        ("line", id_value(&x.line)),
        ("reference", opt_text(&x.reference)),
        ("state", Value::text(x.state.as_str())),
        ("approvals", keys_value(x.approvals.iter().copied())),
        ("poll", id_value(&x.poll)),
        ("paid_reference", opt_text(&x.paid_reference)),
        (
            "history",
            Value::Array(
                x.history
                    .iter()
                    .map(|s| {
                        Value::text_map([
                            ("by", key_value(&s.by)),
                            ("index", Value::Unsigned(s.index)),
                            ("what", Value::text(s.what)),
                            ("note", opt_text(&s.note)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

fn line_value(line: &Line) -> Value {
    let t = &line.transfer;
    Value::text_map([
        ("from", Value::text(t.from.name())),
        ("to", Value::text(t.to.name())),
        ("amount", Value::Unsigned(t.amount)),
        ("currency", Value::text(t.currency.clone())),
        ("memo", Value::text(line.memo)),
    ])
}

pub(crate) fn beneficiary_text(b: &Beneficiary) -> String {
    match b {
        Beneficiary::Person(k) => k.to_hex(),
        Beneficiary::Upstream(name) => format!("upstream:{name}"),
        Beneficiary::Task(task) => format!("task:{}", task.to_hex()),
    }
}

fn distribution_value(d: &Distribution) -> Value {
    let amounts = |m: &std::collections::BTreeMap<Beneficiary, u64>| {
        Value::map(
            m.iter()
                .map(|(b, a)| (Value::text(beneficiary_text(b)), Value::Unsigned(*a))),
        )
    };
    Value::text_map([
        ("title", Value::text(d.title.clone())),
        ("by", key_value(&d.by)),
        ("amount", Value::Unsigned(d.amount)),
        ("currency", Value::text(d.currency.clone())),
        ("pin_size", Value::Unsigned(d.pin_size)),
        ("pin_root", Value::bytes(d.pin_root.to_vec())),
        ("config_hash", Value::bytes(d.config_hash.to_vec())),
        ("credited", amounts(&d.credited)),
        (
            "carried",
            Value::map(
                d.carried
                    .iter()
                    .map(|(k, a)| (key_value(k), Value::Unsigned(*a))),
            ),
        ),
        (
            "approvals",
            Value::Array(d.approvals.iter().map(key_value).collect()),
        ),
        ("status", Value::text(d.status_str())),
        (
            "executed_index",
            match d.status {
                Status::Executed { index, .. } => Value::Unsigned(index),
                Status::Proposed | Status::Cancelled { .. } => Value::Null,
            },
        ),
        (
            "cancelled_index",
            match d.status {
                Status::Cancelled { index, .. } => Value::Unsigned(index),
                Status::Proposed | Status::Executed { .. } => Value::Null,
            },
        ),
    ])
}

pub(crate) fn value(state: &State, key: &RowKey) -> Option<Value> {
    let e = &state.economy;
    match key {
        RowKey::MoneyEvent(id) => {
            let lines = e.books.lines_of(id);
            (!lines.is_empty()).then(|| {
                Value::text_map([
                    (
                        "lines",
                        Value::Array(lines.iter().map(line_value).collect()),
                    ),
                    (
                        "reversed_by",
                        e.books
                            .reversed
                            .get(id)
                            .map_or(Value::Null, |r| Value::bytes(r.0.to_vec())),
                    ),
                ])
            })
        }
        RowKey::Balances(code) => {
            let currency = super::code_text(code);
            let entries: Vec<(Value, Value)> = e
                .books
                .balances
                .iter()
                .filter(|((_, c), _)| c == currency)
                .map(|((account, _), b)| {
                    (
                        Value::text(account.name()),
                        Value::integer(*b).unwrap_or(Value::Null),
                    )
                })
                .collect();
            (!entries.is_empty()).then(|| Value::map(entries))
        }
        RowKey::Income(id) => e.incomes.get(id).map(|i| {
            Value::text_map([
                ("kind", Value::text(i.kind.as_str())),
                ("amount", Value::Unsigned(i.amount)),
                ("currency", Value::text(i.currency.clone())),
                ("source", Value::text(i.source.clone())),
                ("reference", Value::text(i.reference.clone())),
                ("by", key_value(&i.by)),
            ])
        }),
        RowKey::Equations => (!e.equations.is_empty()).then(|| {
            Value::Array(
                e.equations
                    .iter()
                    .map(|a| {
                        Value::text_map([
                            ("equation", equation::value(&a.equation)),
                            ("effective_ms", Value::Unsigned(a.effective_ms)),
                            ("index", Value::Unsigned(a.index)),
                        ])
                    })
                    .collect(),
            )
        }),
        RowKey::Distribution(id) => e.distributions.get(id).map(distribution_value),
        RowKey::Expense(id) => e.expenses.expenses.get(id).map(expense_value),
        RowKey::Bounty(id) => e.bounties.bounties.get(id).map(bounty_value),
        RowKey::Award(id) => e.awards.get(id).map(award_value),
        RowKey::Claim(id) => super::claims::row_value(state, id),
        RowKey::Circle(id) => e.circles.circles.get(id).map(circle_value),
        RowKey::ExpensePolicies => (!e.expenses.policies.is_empty()).then(|| {
            Value::Array(
                e.expenses
                    .policies
                    .iter()
                    .map(|(line, p)| {
                        Value::text_map([
                            ("line", id_value(line)),
                            ("approvers", keys_value(p.approvers.iter().copied())),
                            ("approvals", Value::Unsigned(u64::from(p.approvals))),
                            (
                                "poll_above",
                                p.poll_above.map_or(Value::Null, Value::Unsigned),
                            ),
                        ])
                    })
                    .collect(),
            )
        }),
        _ => None,
    }
}
