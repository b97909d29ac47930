//! The simulation table of a `value_equation` poll: each person's credit and money before
//! and after the proposed equation, the difference, largest change first, and the totals,
//! so members see what they vote on before anyone votes.
//!
//! The figures are the simulation API's own ([`crate::value::simulation_json`]); this
//! module only orders them and writes the differences with their sign.

use crate::value::{BalanceJson, SimulationJson, credits_text};
use minijinja::{Value, context};

/// A difference of milli-credits for people: `+0.200`, `−1.000`, `0.000`.
fn credit_change(before: u64, after: u64) -> String {
    let text = credits_text(after.abs_diff(before));
    match after.cmp(&before) {
        std::cmp::Ordering::Greater => format!("+{text}"),
        std::cmp::Ordering::Less => format!("−{text}"),
        std::cmp::Ordering::Equal => text,
    }
}

/// A difference of minor units in `currency` for people: `+12.00 EUR`, `−0.01 EUR`.
fn money_change(currency: &str, before: u64, after: u64) -> String {
    let change = i128::from(after) - i128::from(before);
    let text = BalanceJson::of(currency, change).display;
    if change > 0 { format!("+{text}") } else { text }
}

/// The rows, sorted by the largest change of money, then of credit, and the totals row.
pub(crate) fn simulation_table(sim: &SimulationJson) -> Value {
    let minor = |m: &Option<crate::value::MoneyJson>| m.as_ref().map_or(0, |m| m.minor);
    let currency = sim.currency.as_deref();
    let mut shares: Vec<_> = sim.shares.iter().collect();
    shares.sort_by_key(|s| {
        std::cmp::Reverse((
            minor(&s.money_after).abs_diff(minor(&s.money_before)),
            s.credit_after.abs_diff(s.credit_before),
        ))
    });
    let rows: Vec<Value> = shares
        .iter()
        .map(|s| {
            context! {
                to => s.to,
                credit_before => credits_text(s.credit_before),
                credit_after => credits_text(s.credit_after),
                credit_change => credit_change(s.credit_before, s.credit_after),
                money_before => s.money_before.as_ref().map(|m| m.display.clone()),
                money_after => s.money_after.as_ref().map(|m| m.display.clone()),
                money_change => currency.map(|c| money_change(c, minor(&s.money_before), minor(&s.money_after))),
                changes => s.credit_before != s.credit_after || minor(&s.money_before) != minor(&s.money_after),
            }
        })
        .collect();
    let sum = |f: &dyn Fn(&&crate::value::SimulatedShareJson) -> u64| {
        shares.iter().fold(0u64, |t, s| t.saturating_add(f(s)))
    };
    let (credit_before, credit_after) = (sum(&|s| s.credit_before), sum(&|s| s.credit_after));
    let (money_before, money_after) = (
        sum(&|s| minor(&s.money_before)),
        sum(&|s| minor(&s.money_after)),
    );
    let money = |m: u64| currency.map(|c| crate::value::MoneyJson::of(c, m).display);
    context! {
        amount => sim.amount.as_ref().map(|m| m.display.clone()),
        effective_ms => sim.effective_ms,
        rows => rows,
        totals => context! {
            credit_before => credits_text(credit_before),
            credit_after => credits_text(credit_after),
            credit_change => credit_change(credit_before, credit_after),
            money_before => money(money_before),
            money_after => money(money_after),
            money_change => currency.map(|c| money_change(c, money_before, money_after)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_written_with_their_sign() {
        assert_eq!(credit_change(1_000, 1_200), "+0.200");
        assert_eq!(credit_change(2_000, 1_000), "−1.000");
        assert_eq!(credit_change(5, 5), "0.000");
        assert_eq!(money_change("EUR", 100, 1_300), "+12.00 EUR");
        assert_eq!(money_change("EUR", 1, 0), "−0.01 EUR");
    }
}
