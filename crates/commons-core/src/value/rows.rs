//! Projection rows of value sharing: each money event's lines, each account's balance per
//! currency, incomes, the equations and distributions.

use super::distribution::{Distribution, Status};
use super::equation::{self, Beneficiary};
use super::money::Line;
use crate::projection::{RowKey, key_value};
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
                Status::Proposed => Value::Null,
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
        _ => None,
    }
}
