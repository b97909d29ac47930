//! SourceCred's four grain policies (IMMEDIATE, RECENT, BALANCED, SPECIAL), kept in
//! integers and exact rationals so that every machine pays the same amounts.
//!
//! SourceCred computes with floating-point cred and floors intermediate grain amounts (the
//! grain-per-cred rate, each target, each piece of `splitBudget`, whose leftovers go to the
//! last recipient). Here credit is an integer (quantised before any money is computed),
//! every intermediate value is exact, and the one rounding is the final largest-remainder
//! apportionment. The two agree whenever the exact quotas are integers; otherwise a
//! recipient may differ by a unit. The tests reproduce SourceCred's published examples and
//! say where and why.

use super::{
    Allocation, Basis, Exact, POLICY_RECIPIENTS_MAX, PolicyError, RecipientId, Share,
    by_big_weights, by_weights, check_count, check_label, check_unique,
};
use num_bigint::{BigInt, BigUint};
use num_rational::BigRational;
use num_traits::{One, Zero};

/// Most intervals (weeks, say) a credit history holds.
pub const INTERVALS_MAX: usize = 1_000;

/// Largest denominator of a RECENT discount, which bounds the size of the exact weights.
pub const DISCOUNT_DENOMINATOR_MAX: u64 = 1_000_000;

/// One recipient's credit and payments per interval, oldest first; every history in one
/// policy covers the same intervals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditHistory {
    pub recipient: RecipientId,
    /// Credit earned in each interval (quantised, e.g. in millionths of a cred).
    pub credit_per_interval: Vec<u64>,
    /// Minor units paid in each interval; empty if never paid.
    pub paid_per_interval: Vec<u64>,
}

/// RECENT's discount per interval of age, a rational `d` in `[0, 1]`: credit `k`
/// intervals old counts `(1−d)^k` times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Discount {
    numerator: u64,
    denominator: u64,
}

impl Discount {
    /// `numerator / denominator`, at most one, with `1 ≤ denominator ≤`
    /// [`DISCOUNT_DENOMINATOR_MAX`]; kept in lowest terms.
    pub fn new(numerator: u64, denominator: u64) -> Result<Self, PolicyError> {
        if denominator == 0 || denominator > DISCOUNT_DENOMINATOR_MAX {
            return Err(PolicyError::invalid(
                "discount",
                format!("the denominator must be between 1 and {DISCOUNT_DENOMINATOR_MAX}"),
            ));
        }
        if numerator > denominator {
            return Err(PolicyError::invalid(
                "discount",
                "a discount is at most one (100%)",
            ));
        }
        let divisor = gcd(numerator, denominator);
        Ok(Self {
            numerator: numerator / divisor,
            denominator: denominator / divisor,
        })
    }

    pub fn numerator(&self) -> u64 {
        self.numerator
    }

    pub fn denominator(&self) -> u64 {
        self.denominator
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// IMMEDIATE: splits `budget` in proportion to the credit each recipient earned in the
/// last `lookback_intervals` intervals (all of them if the history is shorter):
/// `amountᵢ ∝ Σ_{t ≥ n−L} creditᵢₜ`.
///
/// `lookback_intervals` is at least one (SourceCred's rule). When all that credit is zero
/// nothing is placed and the budget is unallocated (SourceCred throws).
pub fn immediate(
    budget: u64,
    lookback_intervals: usize,
    histories: &[CreditHistory],
) -> Result<Allocation, PolicyError> {
    if lookback_intervals == 0 {
        return Err(PolicyError::invalid(
            "lookback_intervals",
            "IMMEDIATE looks back at least one interval",
        ));
    }
    let n_intervals = check_histories(histories)?;
    let start = n_intervals.saturating_sub(lookback_intervals);
    let mut weighted = Vec::with_capacity(histories.len());
    for history in histories {
        let credit = checked_sum(&history.credit_per_interval[start..], "credit")?;
        weighted.push((
            history.recipient.clone(),
            credit,
            Basis::Immediate { credit },
        ));
    }
    by_weights(budget, weighted)
}

/// RECENT: splits `budget` in proportion to exponentially discounted credit,
/// `wᵢ = Σₜ creditᵢₜ·(1−d)^(n−1−t)`, the newest interval counting fully. A discount of
/// one is IMMEDIATE over the newest interval; a discount of zero weighs all history alike.
///
/// The weights are exact: with `d = p/q` every `wᵢ` is an integer over the common
/// denominator `q^(n−1)`, so the split is made on those integers.
pub fn recent(
    budget: u64,
    discount: Discount,
    histories: &[CreditHistory],
) -> Result<Allocation, PolicyError> {
    let n_intervals = check_histories(histories)?;
    let q = BigUint::from(discount.denominator);
    let kept = BigUint::from(discount.denominator - discount.numerator);
    let exponent = u32::try_from(n_intervals.saturating_sub(1))
        .expect("intervals are limited to INTERVALS_MAX");
    let common_denominator = q.pow(exponent);
    let mut weighted = Vec::with_capacity(histories.len());
    for history in histories {
        // Horner: after interval k, acc = Σ_{t ≤ k} cₜ·(q−p)^(k−t)·q^t.
        let mut acc = BigUint::zero();
        let mut q_power = BigUint::one();
        for &credit in &history.credit_per_interval {
            acc = acc * &kept + BigUint::from(credit) * &q_power;
            q_power *= &q;
        }
        let discounted = BigRational::new(
            BigInt::from(acc.clone()),
            BigInt::from(common_denominator.clone()),
        );
        weighted.push((
            history.recipient.clone(),
            acc,
            Basis::Recent {
                discounted_credit: Exact(discounted),
            },
        ));
    }
    by_big_weights(budget, weighted)
}

/// BALANCED: pays those whose payments lag their share of credit. Over the last
/// `lookback_intervals` intervals (all if zero, SourceCred's default), with `cᵢ` the
/// credit, `pᵢ` the payments, `C = Σc` and `P = Σp`:
///
/// `targetᵢ = (budget + P)·cᵢ/C`, `shortfallᵢ = max(0, targetᵢ − pᵢ)`, and the budget is
/// split in proportion to the shortfalls (whose sum is at least the budget, so nobody is
/// paid past the target). Everything is exact; when every credit is zero nothing is
/// placed (SourceCred throws).
pub fn balanced(
    budget: u64,
    lookback_intervals: usize,
    histories: &[CreditHistory],
) -> Result<Allocation, PolicyError> {
    let n_intervals = check_histories(histories)?;
    let start = match lookback_intervals {
        0 => 0,
        lookback => n_intervals.saturating_sub(lookback),
    };
    let mut windowed = Vec::with_capacity(histories.len());
    let mut total_credit: u128 = 0;
    let mut total_paid: u128 = 0;
    for history in histories {
        let credit = checked_sum(&history.credit_per_interval[start..], "credit")?;
        let paid = match history.paid_per_interval.is_empty() {
            true => 0,
            false => checked_sum(&history.paid_per_interval[start..], "payments")?,
        };
        // At most POLICY_RECIPIENTS_MAX u64 values: no u128 overflow.
        total_credit += u128::from(credit);
        total_paid += u128::from(paid);
        windowed.push((history.recipient.clone(), credit, paid));
    }
    let c_total = BigInt::from(total_credit);
    let pool = BigInt::from(total_paid) + BigInt::from(budget);
    let mut weighted = Vec::with_capacity(windowed.len());
    for (recipient, credit, paid) in windowed {
        let (scaled_shortfall, basis) = if total_credit == 0 {
            let zero = Exact::integer(0);
            (
                BigUint::zero(),
                Basis::Balanced {
                    credit,
                    paid,
                    target: zero.clone(),
                    shortfall: zero,
                },
            )
        } else {
            // Everything times C, so that the weights are integers.
            let scaled_target = &pool * BigInt::from(credit);
            let scaled = scaled_target.clone() - BigInt::from(paid) * &c_total;
            // max(0, ·): whoever was paid past the target has no shortfall.
            let scaled = scaled.to_biguint().unwrap_or_default();
            let basis = Basis::Balanced {
                credit,
                paid,
                target: Exact(BigRational::new(scaled_target, c_total.clone())),
                shortfall: Exact(BigRational::new(
                    BigInt::from(scaled.clone()),
                    c_total.clone(),
                )),
            };
            (scaled, basis)
        };
        weighted.push((recipient, scaled_shortfall, basis));
    }
    by_big_weights(budget, weighted)
}

/// SPECIAL: the whole budget to one recipient, with a memo saying why (SourceCred's tool
/// for one-off payments, to be used sparingly).
pub fn special(
    budget: u64,
    recipient: &RecipientId,
    memo: &str,
) -> Result<Allocation, PolicyError> {
    check_label("memo", memo)?;
    Ok(Allocation {
        shares: vec![Share {
            recipient: recipient.clone(),
            amount: budget,
            basis: Basis::Special {
                memo: memo.to_owned(),
            },
        }],
        unallocated: 0,
    })
}

/// Checks the limits and that the histories align; returns their number of intervals.
fn check_histories(histories: &[CreditHistory]) -> Result<usize, PolicyError> {
    check_count("recipients", histories.len(), POLICY_RECIPIENTS_MAX)?;
    check_unique(histories.iter().map(|h| &h.recipient))?;
    let Some(first) = histories.first() else {
        return Ok(0);
    };
    let expected = first.credit_per_interval.len();
    check_count("intervals", expected, INTERVALS_MAX)?;
    for history in histories {
        let n_credit = history.credit_per_interval.len();
        let n_paid = history.paid_per_interval.len();
        // An empty payment history means never paid.
        let misaligned = if n_credit != expected {
            Some(n_credit)
        } else if n_paid != 0 && n_paid != expected {
            Some(n_paid)
        } else {
            None
        };
        if let Some(n_intervals) = misaligned {
            return Err(PolicyError::InconsistentIntervals {
                recipient: history.recipient.clone(),
                n_intervals,
                expected,
            });
        }
    }
    Ok(expected)
}

fn checked_sum(values: &[u64], what: &'static str) -> Result<u64, PolicyError> {
    values.iter().try_fold(0u64, |sum, &value| {
        sum.checked_add(value)
            .ok_or(PolicyError::AmountOverflow(what))
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use proptest::prelude::*;

    fn history(recipient: &str, credit: &[u64], paid: &[u64]) -> CreditHistory {
        CreditHistory {
            recipient: id(recipient),
            credit_per_interval: credit.to_vec(),
            paid_per_interval: paid.to_vec(),
        }
    }

    fn check(allocation: Result<Allocation, PolicyError>, budget: u64, expected: &[(&str, u64)]) {
        let allocation = allocation.unwrap();
        assert_conserves(budget, &allocation);
        assert_eq!(amounts(&allocation), expected);
    }

    // The examples of SourceCred's `src/core/ledger/grainAllocation.test.js`
    // (sourcecred/sourcecred). Their grain amounts are integers of attoGrain
    // (`nngFromString("10")` is 10 units), so they carry over to minor units as they are,
    // and their exact quotas round the same way under largest remainder.

    #[test]
    fn immediate_splits_by_the_most_recent_credit_only() {
        let histories = [
            history("i1", &[10, 2], &[0, 100]),
            history("i2", &[0, 3], &[]),
        ];
        check(immediate(10, 1, &histories), 10, &[("i1", 4), ("i2", 6)]);
        check(immediate(0, 1, &histories), 0, &[("i1", 0), ("i2", 0)]);
    }

    #[test]
    fn recent_splits_by_discounted_credit() {
        // d = 0.1: 100 is worth 100 now and 81 two intervals back; 100·100/262 = 38.17
        // and 100·81/262 = 30.92 twice: 38, 31, 31 (SourceCred's splitBudget agrees).
        let histories = [
            history("i1", &[0, 0, 100], &[]),
            history("i2", &[100, 0, 0], &[0, 0, 100]),
            history("i3", &[100, 0, 0], &[]),
        ];
        let discount = Discount::new(1, 10).unwrap();
        let allocation = recent(100, discount, &histories).unwrap();
        assert_eq!(amounts(&allocation), [("i1", 38), ("i2", 31), ("i3", 31)]);
        assert_eq!(
            allocation.shares[1].basis,
            Basis::Recent {
                discounted_credit: Exact(BigRational::new(81.into(), 1.into()))
            }
        );
        // Payments do not matter to RECENT.
        let histories = [
            history("i1", &[100, 100, 100], &[]),
            history("i2", &[100, 100, 100], &[100, 0, 0]),
        ];
        check(
            recent(100, discount, &histories),
            100,
            &[("i1", 50), ("i2", 50)],
        );
        // A full discount looks at the newest interval only.
        let histories = [
            history("i1", &[0, 50, 0], &[0, 50, 0]),
            history("i2", &[0, 10, 100], &[]),
        ];
        let full = Discount::new(1, 1).unwrap();
        check(
            recent(100, full, &histories),
            100,
            &[("i1", 0), ("i2", 100)],
        );
        let histories = [
            history("i1", &[100, 50, 10], &[50, 0, 0]),
            history("i2", &[0, 10, 100], &[]),
        ];
        check(recent(0, discount, &histories), 0, &[("i1", 0), ("i2", 0)]);
    }

    #[test]
    fn balanced_pays_those_behind_their_share_of_credit() {
        // No payments: targets 100·2/5 = 40 and 100·3/5 = 60.
        let histories = [history("i1", &[1, 1], &[]), history("i2", &[3, 0], &[])];
        check(balanced(100, 0, &histories), 100, &[("i1", 40), ("i2", 60)]);
        // i2 was paid 30: targets (20+30)·2/5 = 20 and 30; shortfalls 20 and 0.
        let histories = [
            history("i1", &[1, 1], &[0, 0]),
            history("i2", &[3, 0], &[30, 0]),
        ];
        let allocation = balanced(20, 0, &histories).unwrap();
        assert_eq!(amounts(&allocation), [("i1", 20), ("i2", 0)]);
        assert_eq!(
            allocation.shares[0].basis,
            Basis::Balanced {
                credit: 2,
                paid: 0,
                target: Exact::integer(20),
                shortfall: Exact::integer(20),
            }
        );
        let histories = [
            history("i1", &[1, 1], &[30, 0]),
            history("i2", &[3, 0], &[]),
        ];
        check(balanced(0, 0, &histories), 0, &[("i1", 0), ("i2", 0)]);
    }

    #[test]
    fn special_pays_its_recipient_the_whole_budget() {
        let allocation = special(100, &id("i1"), "something").unwrap();
        assert_eq!(amounts(&allocation), [("i1", 100)]);
        assert_eq!(
            allocation.shares[0].basis,
            Basis::Special {
                memo: "something".into()
            }
        );
        let long = "m".repeat(super::super::LABEL_BYTES_MAX + 1);
        assert_eq!(
            special(1, &id("i1"), &long).unwrap_err().code(),
            "policy_invalid"
        );
    }

    // The two-participant cred graph of SourceCred's `packages/sourcecred/src/core/credrank/
    // testUtils.js` (`expectedParticipant3` and `4`, two intervals) used by
    // `grainAllocation.test.js`, `balanced.test.js` and `immediate.test.js` of
    // `packages/sourcecred/src/core/ledger`. Its float cred is quantised here to units of
    // 10⁻¹⁷ (the decimal digits of each float, exactly), and participant 3 was paid 100 and
    // participant 4 paid 10 in the second interval (the "unbalanced ledger").

    fn participants(paid: bool) -> [CreditHistory; 2] {
        let (paid3, paid4): (&[u64], &[u64]) = match paid {
            true => (&[0, 100], &[0, 10]),
            false => (&[], &[]),
        };
        [
            history(
                "participant3",
                &[74_041_982_560_013_600, 13_066_230_628_165_218],
                paid3,
            ),
            history(
                "participant4",
                &[21_289_179_581_223_190, 191_602_549_717_837_940],
                paid4,
            ),
        ]
    }

    #[test]
    fn balanced_reproduces_sourcecreds_credrank_examples_within_a_unit() {
        // SourceCred pays 28 and 72: it floors the grain per cred to 33 (100/2.99999942)
        // and each target (28.7 → 28, 70.2 → 70), then splits 100 by 28:70. Exactly, the
        // targets are 29.036 and 70.964, the shortfalls the same: 29 and 71.
        check(
            balanced(100, 0, &participants(false)),
            100,
            &[("participant3", 29), ("participant4", 71)],
        );
        // Budget 3000 after payments of 100 and 10: SourceCred 802 and 2198 (rate floored
        // to 1036, targets floored to 902 and 2205, shortfalls 802 and 2195, then
        // splitBudget gives the last one the leftovers). Exactly, targets 903.022 and
        // 2206.978, shortfalls 803.022 and 2196.978: 803 and 2197.
        check(
            balanced(3000, 0, &participants(true)),
            3000,
            &[("participant3", 803), ("participant4", 2197)],
        );
        // Looking back one interval (credit of the second interval only, both payments
        // fall in it): SourceCred 34 and 1966; exactly the shortfalls are 34.704 and
        // 1965.296, so 35 and 1965.
        check(
            balanced(2000, 1, &participants(true)),
            2000,
            &[("participant3", 35), ("participant4", 1965)],
        );
        // A lookback of the whole history, or longer, is the whole history (lookback 0).
        let whole = balanced(100, 0, &participants(true)).unwrap();
        assert_eq!(balanced(100, 2, &participants(true)).unwrap(), whole);
        assert_eq!(balanced(100, 50, &participants(true)).unwrap(), whole);
        check(
            balanced(0, 0, &participants(true)),
            0,
            &[("participant3", 0), ("participant4", 0)],
        );
    }

    #[test]
    fn immediate_reproduces_sourcecreds_credrank_example_within_a_unit() {
        // Newest interval only, budget 1000: SourceCred's splitBudget floors the first
        // piece (63.84 → 63) and gives the last recipient the rest (937); largest
        // remainder rounds 63.84 up: 64 and 936.
        check(
            immediate(1000, 1, &participants(true)),
            1000,
            &[("participant3", 64), ("participant4", 936)],
        );
        // A lookback longer than the history is the whole history.
        assert_eq!(
            immediate(1000, 50, &participants(false)).unwrap(),
            immediate(1000, 2, &participants(false)).unwrap()
        );
    }

    #[test]
    fn malformed_inputs_are_refused_with_stable_codes() {
        let ragged = [history("a", &[1, 2], &[]), history("b", &[1], &[])];
        assert_eq!(
            immediate(5, 1, &ragged).unwrap_err().code(),
            "policy_inconsistent_intervals"
        );
        let ragged_paid = [history("a", &[1, 2], &[1]), history("b", &[1, 1], &[])];
        assert_eq!(
            balanced(5, 0, &ragged_paid).unwrap_err().code(),
            "policy_inconsistent_intervals"
        );
        let twice = [history("a", &[1], &[]), history("a", &[2], &[])];
        assert_eq!(
            balanced(5, 0, &twice).unwrap_err().code(),
            "policy_duplicate_recipient"
        );
        assert_eq!(
            immediate(5, 0, &twice[..1]).unwrap_err().code(),
            "policy_invalid"
        );
        assert_eq!(Discount::new(2, 1).unwrap_err().code(), "policy_invalid");
        assert_eq!(Discount::new(0, 0).unwrap_err().code(), "policy_invalid");
        assert_eq!(
            Discount::new(1, DISCOUNT_DENOMINATOR_MAX + 1)
                .unwrap_err()
                .code(),
            "policy_invalid"
        );
        assert_eq!(
            Discount::new(20, 200).unwrap(),
            Discount::new(1, 10).unwrap()
        );
        let huge = [history("a", &[u64::MAX, 1], &[])];
        assert_eq!(
            immediate(5, 2, &huge).unwrap_err().code(),
            "amount_overflow"
        );
    }

    #[test]
    fn limits_on_recipients_and_intervals_are_enforced() {
        let long = [history("a", &vec![1; INTERVALS_MAX + 1], &[])];
        assert_eq!(
            immediate(5, 1, &long).unwrap_err().code(),
            "policy_too_many"
        );
        let at_limit = [history("a", &vec![1; INTERVALS_MAX], &[])];
        check(
            recent(5, Discount::new(1, 2).unwrap(), &at_limit),
            5,
            &[("a", 5)],
        );
        let many: Vec<CreditHistory> = (0..=POLICY_RECIPIENTS_MAX)
            .map(|i| history(&format!("r{i}"), &[1], &[]))
            .collect();
        assert_eq!(
            immediate(5, 1, &many).unwrap_err().code(),
            "policy_too_many"
        );
    }

    #[test]
    fn zero_credit_everywhere_places_nothing() {
        let histories = [history("a", &[0, 0], &[]), history("b", &[0, 0], &[3, 0])];
        for allocation in [
            immediate(9, 1, &histories).unwrap(),
            recent(9, Discount::new(1, 3).unwrap(), &histories).unwrap(),
            balanced(9, 0, &histories).unwrap(),
        ] {
            assert_eq!(allocation.unallocated, 9);
            assert_eq!(allocation.allocated(), 0);
        }
    }

    fn histories_strategy(
        credit: impl Strategy<Value = u64> + Clone,
    ) -> impl Strategy<Value = Vec<CreditHistory>> {
        (1usize..5, 1usize..8).prop_flat_map(move |(n_intervals, n_recipients)| {
            proptest::collection::vec(
                (
                    proptest::collection::vec(credit.clone(), n_intervals),
                    proptest::collection::vec(0u64..1_000, n_intervals),
                ),
                n_recipients,
            )
            .prop_map(|rows| {
                rows.into_iter()
                    .enumerate()
                    .map(|(i, (credit, paid))| history(&format!("r{i}"), &credit, &paid))
                    .collect()
            })
        })
    }

    fn run_all(
        budget: u64,
        lookback: usize,
        discount: Discount,
        histories: &[CreditHistory],
    ) -> Vec<Result<Allocation, PolicyError>> {
        vec![
            immediate(budget, lookback.max(1), histories),
            recent(budget, discount, histories),
            balanced(budget, lookback, histories),
        ]
    }

    proptest! {
        #[test]
        fn payouts_sum_to_the_budget_and_do_not_depend_on_input_order(
            budget in 0u64..=u64::MAX,
            histories in histories_strategy(0u64..1_000_000),
            lookback in 0usize..6,
            discount_numerator in 0u64..=10,
            rotate in 0usize..8,
        ) {
            let discount = Discount::new(discount_numerator, 10).unwrap();
            let mut rotated = histories.clone();
            rotated.rotate_left(rotate % histories.len());
            let forward = run_all(budget, lookback, discount, &histories);
            let again = run_all(budget, lookback, discount, &rotated);
            for (allocation, other) in forward.into_iter().zip(again) {
                let allocation = allocation.unwrap();
                assert_conserves(budget, &allocation);
                prop_assert!(allocation.unallocated == 0 || allocation.allocated() == 0);
                // Shares are listed by id, so equal inputs give equal allocations.
                prop_assert_eq!(&allocation, &other.unwrap());
                for share in &allocation.shares {
                    let zero_weight = match &share.basis {
                        Basis::Immediate { credit } => *credit == 0,
                        Basis::Recent { discounted_credit } => discounted_credit.0.is_zero(),
                        Basis::Balanced { shortfall, .. } => shortfall.0.is_zero(),
                        _ => false,
                    };
                    if zero_weight {
                        prop_assert_eq!(share.amount, 0);
                    }
                }
            }
        }

        #[test]
        fn adversarial_credit_never_panics(
            budget in 0u64..=u64::MAX,
            histories in histories_strategy(0u64..=u64::MAX),
            lookback in 0usize..6,
        ) {
            let discount = Discount::new(DISCOUNT_DENOMINATOR_MAX - 1, DISCOUNT_DENOMINATOR_MAX).unwrap();
            for result in run_all(budget, lookback, discount, &histories) {
                match result {
                    Ok(allocation) => assert_conserves(budget, &allocation),
                    Err(error) => prop_assert_eq!(error.code(), "amount_overflow"),
                }
            }
        }
    }
}
