//! Time-weighted payouts: every entry of logged time is weighted by an integer rate for
//! its kind of work (design might count 3 per minute, review 2, meetings 1), and the budget
//! is split in proportion to each recipient's weighted time.

use super::{
    Allocation, Basis, POLICY_RECIPIENTS_MAX, PolicyError, RecipientId, by_weights, check_count,
    check_label,
};
use std::collections::BTreeMap;

/// Most time entries one policy takes.
pub const TIME_ENTRIES_MAX: usize = 1_000_000;

/// Most kinds of work with a rate.
pub const RATES_MAX: usize = 1_000;

/// Longest single entry: a week, in minutes.
pub const ENTRY_MINUTES_MAX: u64 = 7 * 24 * 60;

/// Largest rate per minute.
pub const RATE_MAX: u64 = 1_000_000;

/// The weight of one minute of a kind of work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    pub kind: String,
    pub weight_per_minute: u64,
}

/// Time logged by a recipient on one kind of work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeEntry {
    pub recipient: RecipientId,
    pub kind: String,
    pub minutes: u64,
}

/// Splits `budget` in proportion to `weightᵢ = Σ minutes × rate(kind)` over recipient `i`'s
/// entries. Every kind must have a rate (a rate of zero means the kind does not count);
/// when every weight is zero nothing is placed.
pub fn time_weighted(
    budget: u64,
    rates: &[Rate],
    entries: &[TimeEntry],
) -> Result<Allocation, PolicyError> {
    check_count("rates", rates.len(), RATES_MAX)?;
    check_count("time entries", entries.len(), TIME_ENTRIES_MAX)?;
    let mut rate_of: BTreeMap<&str, u64> = BTreeMap::new();
    for rate in rates {
        check_label("kind of work", &rate.kind)?;
        if rate.weight_per_minute > RATE_MAX {
            return Err(PolicyError::invalid(
                "rate",
                format!(
                    "{} per minute is more than {RATE_MAX}",
                    rate.weight_per_minute
                ),
            ));
        }
        if rate_of.insert(&rate.kind, rate.weight_per_minute).is_some() {
            return Err(PolicyError::invalid(
                "rates",
                format!("kind {:?} has two rates", rate.kind),
            ));
        }
    }
    // (minutes, weight) per recipient.
    let mut totals: BTreeMap<&RecipientId, (u64, u64)> = BTreeMap::new();
    for entry in entries {
        if entry.minutes > ENTRY_MINUTES_MAX {
            return Err(PolicyError::invalid(
                "time entry",
                format!("{} minutes is more than a week", entry.minutes),
            ));
        }
        let Some(&rate) = rate_of.get(entry.kind.as_str()) else {
            return Err(PolicyError::invalid(
                "time entry",
                format!("kind {:?} has no rate", entry.kind),
            ));
        };
        let total = totals.entry(&entry.recipient).or_default();
        // At most 10⁶ entries of 10⁴ minutes at a rate of 10⁶: below 2⁶⁴, but checked all
        // the same.
        total.0 = total
            .0
            .checked_add(entry.minutes)
            .ok_or(PolicyError::AmountOverflow("minutes"))?;
        total.1 = entry
            .minutes
            .checked_mul(rate)
            .and_then(|weight| total.1.checked_add(weight))
            .ok_or(PolicyError::AmountOverflow("time weight"))?;
    }
    check_count("recipients", totals.len(), POLICY_RECIPIENTS_MAX)?;
    let weighted = totals
        .into_iter()
        .map(|(recipient, (minutes, weight))| {
            (recipient.clone(), weight, Basis::Time { minutes, weight })
        })
        .collect();
    by_weights(budget, weighted)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use proptest::prelude::*;

    fn rates() -> Vec<Rate> {
        [("design", 3), ("review", 2), ("meeting", 1), ("lunch", 0)]
            .into_iter()
            .map(|(kind, weight_per_minute)| Rate {
                kind: kind.into(),
                weight_per_minute,
            })
            .collect()
    }

    fn entry(recipient: &str, kind: &str, minutes: u64) -> TimeEntry {
        TimeEntry {
            recipient: id(recipient),
            kind: kind.into(),
            minutes,
        }
    }

    #[test]
    fn time_is_weighted_by_the_rate_of_its_kind() {
        // ana: 60 min design (180) + 30 review (60) = 240; ben: 120 meeting (120) + 60
        // lunch (0) = 120. 900 splits 600 : 300.
        let entries = [
            entry("ana", "design", 60),
            entry("ben", "meeting", 120),
            entry("ana", "review", 30),
            entry("ben", "lunch", 60),
        ];
        let allocation = time_weighted(900, &rates(), &entries).unwrap();
        assert_conserves(900, &allocation);
        assert_eq!(amounts(&allocation), [("ana", 600), ("ben", 300)]);
        assert_eq!(
            allocation.shares[1].basis,
            Basis::Time {
                minutes: 180,
                weight: 120
            }
        );
    }

    #[test]
    fn unknown_kinds_long_entries_and_duplicate_rates_are_refused() {
        let err = time_weighted(1, &rates(), &[entry("ana", "gardening", 5)]).unwrap_err();
        assert_eq!(err.code(), "policy_invalid");
        let err = time_weighted(
            1,
            &rates(),
            &[entry("ana", "design", ENTRY_MINUTES_MAX + 1)],
        )
        .unwrap_err();
        assert_eq!(err.code(), "policy_invalid");
        let mut twice = rates();
        twice.push(Rate {
            kind: "design".into(),
            weight_per_minute: 1,
        });
        assert_eq!(
            time_weighted(1, &twice, &[]).unwrap_err().code(),
            "policy_invalid"
        );
        let steep = [Rate {
            kind: "x".into(),
            weight_per_minute: RATE_MAX + 1,
        }];
        assert_eq!(
            time_weighted(1, &steep, &[]).unwrap_err().code(),
            "policy_invalid"
        );
        let many_rates: Vec<Rate> = (0..=RATES_MAX)
            .map(|i| Rate {
                kind: format!("k{i}"),
                weight_per_minute: 1,
            })
            .collect();
        assert_eq!(
            time_weighted(1, &many_rates, &[]).unwrap_err().code(),
            "policy_too_many"
        );
        let many_entries = vec![entry("ana", "design", 1); TIME_ENTRIES_MAX + 1];
        assert_eq!(
            time_weighted(1, &rates(), &many_entries)
                .unwrap_err()
                .code(),
            "policy_too_many"
        );
        // Only lunch: every weight is zero, nothing is placed.
        let idle = time_weighted(7, &rates(), &[entry("ana", "lunch", 60)]).unwrap();
        assert_eq!((idle.allocated(), idle.unallocated), (0, 7));
    }

    proptest! {
        #[test]
        fn payouts_sum_to_the_budget_and_do_not_depend_on_entry_order(
            budget in 0u64..=u64::MAX,
            raw in proptest::collection::vec((0usize..5, 0usize..4, 0u64..=ENTRY_MINUTES_MAX), 0..40),
            rotate in 0usize..40,
        ) {
            let kinds = ["design", "review", "meeting", "lunch"];
            let entries: Vec<TimeEntry> = raw
                .iter()
                .map(|&(who, kind, minutes)| entry(&format!("r{who}"), kinds[kind], minutes))
                .collect();
            let allocation = time_weighted(budget, &rates(), &entries).unwrap();
            assert_conserves(budget, &allocation);
            for share in &allocation.shares {
                let Basis::Time { weight, .. } = share.basis else { unreachable!() };
                if weight == 0 {
                    prop_assert_eq!(share.amount, 0);
                }
            }
            let mut rotated = entries.clone();
            if !rotated.is_empty() {
                rotated.rotate_left(rotate % entries.len());
            }
            prop_assert_eq!(time_weighted(budget, &rates(), &rotated).unwrap(), allocation);
        }
    }
}
