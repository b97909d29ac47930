//! The one money-splitting primitive: largest remainder (Hamilton's method), ties by id.
//!
//! Recipient `i` with weight `wᵢ` of a total `W` is owed the quota `B·wᵢ/W` of the budget
//! `B`. Each gets the floor of its quota; the `r = B − Σ floor` units left over (always fewer
//! than the number of recipients with a fractional quota) go one each to the recipients
//! with the largest remainders `B·wᵢ mod W`, and among equal remainders to the smallest id.
//! Everything is integer arithmetic in `u128` (a `u64` budget times a `u64` weight cannot
//! overflow it), so the result is exact and the same on every machine.
//!
//! Properties (tested): the parts sum exactly to `B`; no part is negative; a zero weight
//! gets zero; each part is the floor or the ceiling of its quota; permuting the input
//! permutes the output; the result depends on ids only to break exact ties.

use thiserror::Error;

/// Most recipients one apportionment takes.
pub const RECIPIENTS_MAX: usize = 10_000_000;

/// Why an apportionment could not be made.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ApportionError {
    /// A positive budget cannot be split when every weight is zero (or there are none).
    #[error("a budget of {budget} cannot be apportioned: every weight is zero")]
    ZeroTotalWeight {
        /// The budget.
        budget: u64,
    },
    /// More recipients than [`RECIPIENTS_MAX`].
    #[error("{count} recipients is more than the {max} one apportionment takes")]
    TooManyRecipients {
        /// How many were given.
        count: usize,
        /// [`RECIPIENTS_MAX`].
        max: usize,
    },
    /// Two recipients share an id, so ties could not be broken by id.
    #[error("recipient id {0} appears twice")]
    DuplicateId(String),
}

impl ApportionError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ZeroTotalWeight { .. } => "apportion_zero_weight",
            Self::TooManyRecipients { .. } => "apportion_too_many",
            Self::DuplicateId(_) => "apportion_duplicate_id",
        }
    }
}

/// Splits `budget` among `recipients` (id, weight) by largest remainder, ties by the
/// smaller id. Returns each recipient's part in the order given. A zero budget gives every
/// recipient zero, whatever the weights.
pub fn apportion<I: Ord + std::fmt::Debug>(
    budget: u64,
    recipients: &[(I, u64)],
) -> Result<Vec<u64>, ApportionError> {
    let n = recipients.len();
    if n > RECIPIENTS_MAX {
        return Err(ApportionError::TooManyRecipients {
            count: n,
            max: RECIPIENTS_MAX,
        });
    }
    check_unique(recipients)?;
    let total: u128 = recipients.iter().map(|(_, w)| u128::from(*w)).sum();
    if budget == 0 {
        return Ok(vec![0; n]);
    }
    if total == 0 {
        return Err(ApportionError::ZeroTotalWeight { budget });
    }
    let b = u128::from(budget);
    let mut parts = Vec::with_capacity(n);
    // (remainder, index) of every recipient with a fractional quota.
    let mut fractional: Vec<(u128, usize)> = Vec::new();
    let mut given: u128 = 0;
    if let Ok(total64) = u64::try_from(total) {
        // The common case: the total fits 64 bits, and so does every remainder.
        for (index, (_, w)) in recipients.iter().enumerate() {
            let product = b * u128::from(*w);
            let (q, r) = if product <= u128::from(u64::MAX) {
                let p = product as u64;
                (u128::from(p / total64), u128::from(p % total64))
            } else {
                (product / total, product % total)
            };
            push_part(&mut parts, &mut fractional, &mut given, q, r, index);
        }
    } else {
        for (index, (_, w)) in recipients.iter().enumerate() {
            let product = b * u128::from(*w);
            push_part(
                &mut parts,
                &mut fractional,
                &mut given,
                product / total,
                product % total,
                index,
            );
        }
    }
    let left = usize::try_from(b - given).expect("fewer units left than recipients");
    if left > 0 {
        // Largest remainder first, then smaller id; only which are the first `left`
        // matters, so a selection (linear) suffices.
        let by_rank = |a: &(u128, usize), c: &(u128, usize)| {
            c.0.cmp(&a.0)
                .then_with(|| recipients[a.1].0.cmp(&recipients[c.1].0))
        };
        if left < fractional.len() {
            fractional.select_nth_unstable_by(left, by_rank);
        }
        for &(_, index) in &fractional[..left] {
            parts[index] += 1;
        }
    }
    Ok(parts)
}

fn push_part(
    parts: &mut Vec<u64>,
    fractional: &mut Vec<(u128, usize)>,
    given: &mut u128,
    quota_floor: u128,
    remainder: u128,
    index: usize,
) {
    // quota_floor ≤ budget, so it fits u64.
    parts.push(quota_floor as u64);
    *given += quota_floor;
    if remainder > 0 {
        fractional.push((remainder, index));
    }
}

/// Ids must be distinct for "ties by id" to mean anything.
fn check_unique<I: Ord + std::fmt::Debug>(recipients: &[(I, u64)]) -> Result<(), ApportionError> {
    let mut ids: Vec<&I> = recipients.iter().map(|(id, _)| id).collect();
    ids.sort_unstable();
    match ids.windows(2).find(|pair| pair[0] == pair[1]) {
        Some(pair) => Err(ApportionError::DuplicateId(format!("{:?}", pair[0]))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_a_budget_by_largest_remainder() {
        // 10 among 1:1:1 -> 3.33 each; the one unit left goes to the smallest id.
        assert_eq!(
            apportion(10, &[("b", 1), ("a", 1), ("c", 1)]).unwrap(),
            vec![3, 4, 3]
        );
        // Hamilton's classic: 100 seats, remainders .6, .3, .1 of quotas 45.6, 30.3, 24.1.
        assert_eq!(
            apportion(100, &[("x", 456), ("y", 303), ("z", 241)]).unwrap(),
            vec![46, 30, 24]
        );
    }

    #[test]
    fn zero_budget_and_zero_weights() {
        assert_eq!(apportion(0, &[("a", 0), ("b", 5)]).unwrap(), vec![0, 0]);
        assert_eq!(apportion(7, &[("a", 0), ("b", 5)]).unwrap(), vec![0, 7]);
        let err = apportion(7, &[("a", 0)]).unwrap_err();
        assert_eq!(err.code(), "apportion_zero_weight");
        assert_eq!(apportion::<&str>(0, &[]).unwrap(), Vec::<u64>::new());
        assert!(apportion::<&str>(1, &[]).is_err());
    }

    #[test]
    fn huge_weights_and_budgets_do_not_overflow() {
        let parts = apportion(u64::MAX, &[(1, u64::MAX), (2, u64::MAX), (3, 1)]).unwrap();
        assert_eq!(parts.iter().map(|&p| u128::from(p)).sum::<u128>(), u128::from(u64::MAX));
        assert!(parts[2] <= 1);
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let err = apportion(10, &[("a", 1), ("a", 1)]).unwrap_err();
        assert_eq!(err.code(), "apportion_duplicate_id");
        assert_eq!(err, ApportionError::DuplicateId("\"a\"".into()));
    }

    proptest! {
        #[test]
        fn parts_sum_to_the_budget_within_a_unit_of_their_quota(
            budget in 0u64..=u64::MAX,
            weights in proptest::collection::vec(0u64..=1_000_000, 1..40),
            rotate in 0usize..40,
        ) {
            let recipients: Vec<(usize, u64)> = weights.iter().copied().enumerate().collect();
            let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
            prop_assume!(total > 0 || budget == 0);
            let parts = apportion(budget, &recipients).unwrap();
            prop_assert_eq!(parts.iter().map(|&p| u128::from(p)).sum::<u128>(), u128::from(budget));
            for (part, (_, w)) in parts.iter().zip(&recipients) {
                if *w == 0 { prop_assert_eq!(*part, 0); }
                if total > 0 {
                    let floor = u128::from(budget) * u128::from(*w) / total;
                    prop_assert!(u128::from(*part) == floor || u128::from(*part) == floor + 1);
                }
            }
            // Order independence: a rotated input gives the same part to each id.
            let mut rotated = recipients.clone();
            rotated.rotate_left(rotate % recipients.len());
            let again = apportion(budget, &rotated).unwrap();
            for ((id, _), part) in rotated.iter().zip(&again) {
                prop_assert_eq!(*part, parts[*id]);
            }
        }
    }
}
