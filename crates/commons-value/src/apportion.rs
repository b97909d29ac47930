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

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};
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
    /// A rational weight is negative (named by the recipient's id).
    #[error("recipient {0} has a negative weight")]
    NegativeWeight(String),
}

impl ApportionError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ZeroTotalWeight { .. } => "apportion_zero_weight",
            Self::TooManyRecipients { .. } => "apportion_too_many",
            Self::DuplicateId(_) => "apportion_duplicate_id",
            Self::NegativeWeight(_) => "apportion_negative_weight",
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

/// [`apportion`] with exact rational weights: the same largest-remainder rule, the same tie
/// rule (equal remainders go to the smaller id) and the same properties, for weights that
/// are not integers, such as exponentially discounted credit or a shortfall against a
/// rational target.
///
/// Recipient `i` is owed the quota `B·wᵢ/W`, computed exactly; each gets its floor and the
/// units left over go to the largest fractional parts. Weights must not be negative.
pub fn apportion_rational<I: Ord + std::fmt::Debug>(
    budget: u64,
    recipients: &[(I, BigRational)],
) -> Result<Vec<u64>, ApportionError> {
    let n = recipients.len();
    if n > RECIPIENTS_MAX {
        return Err(ApportionError::TooManyRecipients {
            count: n,
            max: RECIPIENTS_MAX,
        });
    }
    check_unique_ids(recipients.iter().map(|(id, _)| id))?;
    if let Some((id, _)) = recipients.iter().find(|(_, w)| w.is_negative()) {
        return Err(ApportionError::NegativeWeight(format!("{id:?}")));
    }
    if budget == 0 {
        return Ok(vec![0; n]);
    }
    let total: BigRational = recipients
        .iter()
        .fold(BigRational::zero(), |sum, (_, w)| sum + w);
    if total.is_zero() {
        return Err(ApportionError::ZeroTotalWeight { budget });
    }
    let budget_big = BigRational::from_integer(BigInt::from(budget));
    let mut parts = Vec::with_capacity(n);
    let mut fractional: Vec<(BigRational, usize)> = Vec::new();
    let mut given: u64 = 0;
    for (index, (_, w)) in recipients.iter().enumerate() {
        let quota = &budget_big * w / &total;
        let floor = quota.floor();
        // 0 ≤ quota ≤ budget, so its floor fits u64.
        let part = floor
            .to_integer()
            .to_u64()
            .expect("a quota's floor is at most the budget");
        parts.push(part);
        given += part;
        let remainder = quota - floor;
        if !remainder.is_zero() {
            fractional.push((remainder, index));
        }
    }
    // Fewer units are left than there are recipients with a fractional quota.
    let left = usize::try_from(budget - given).expect("fewer units left than recipients");
    hand_out_left(&mut parts, fractional, left, |index| &recipients[index].0);
    Ok(parts)
}

/// Gives one unit each to the `left` recipients ranked first by largest remainder, then
/// by smaller id.
fn hand_out_left<'a, R: Ord, I: Ord + 'a>(
    parts: &mut [u64],
    mut fractional: Vec<(R, usize)>,
    left: usize,
    id_of: impl Fn(usize) -> &'a I,
) {
    assert!(
        left <= fractional.len(),
        "fewer units left than fractional quotas"
    );
    if left == 0 {
        return;
    }
    let by_rank =
        |a: &(R, usize), c: &(R, usize)| c.0.cmp(&a.0).then_with(|| id_of(a.1).cmp(id_of(c.1)));
    if left < fractional.len() {
        fractional.select_nth_unstable_by(left, by_rank);
    }
    for &(_, index) in &fractional[..left] {
        parts[index] += 1;
    }
}

fn check_unique_ids<'a, I: Ord + std::fmt::Debug + 'a>(
    ids: impl Iterator<Item = &'a I>,
) -> Result<(), ApportionError> {
    let mut ids: Vec<&I> = ids.collect();
    ids.sort_unstable();
    match ids.windows(2).find(|pair| pair[0] == pair[1]) {
        Some(pair) => Err(ApportionError::DuplicateId(format!("{:?}", pair[0]))),
        None => Ok(()),
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
        assert_eq!(
            parts.iter().map(|&p| u128::from(p)).sum::<u128>(),
            u128::from(u64::MAX)
        );
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
                if let Some(floor) = (u128::from(budget) * u128::from(*w)).checked_div(total) {
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

    fn rational(numerator: i64, denominator: i64) -> BigRational {
        BigRational::new(BigInt::from(numerator), BigInt::from(denominator))
    }

    #[test]
    fn rational_weights_split_by_largest_remainder() {
        // Quotas 100·(1/2)/(1/2+1/3+1/6) = 50, 33.3, 16.6: the unit left goes to 16.6.
        let parts = apportion_rational(
            100,
            &[
                ("a", rational(1, 2)),
                ("b", rational(1, 3)),
                ("c", rational(1, 6)),
            ],
        )
        .unwrap();
        assert_eq!(parts, vec![50, 33, 17]);
        // Equal remainders: the smaller id wins, whatever the order given.
        let parts = apportion_rational(
            10,
            &[
                ("b", rational(1, 3)),
                ("a", rational(1, 3)),
                ("c", rational(1, 3)),
            ],
        )
        .unwrap();
        assert_eq!(parts, vec![3, 4, 3]);
    }

    #[test]
    fn rational_weights_are_refused_when_negative_or_all_zero() {
        let err =
            apportion_rational(5, &[("a", rational(-1, 2)), ("b", rational(1, 2))]).unwrap_err();
        assert_eq!(err.code(), "apportion_negative_weight");
        let err = apportion_rational(5, &[("a", rational(0, 1))]).unwrap_err();
        assert_eq!(err.code(), "apportion_zero_weight");
        let err =
            apportion_rational(5, &[("a", rational(1, 1)), ("a", rational(1, 1))]).unwrap_err();
        assert_eq!(err.code(), "apportion_duplicate_id");
        assert_eq!(
            apportion_rational(0, &[("a", rational(0, 1))]).unwrap(),
            vec![0]
        );
    }

    proptest! {
        #[test]
        fn rational_weights_agree_with_integer_weights_and_conserve_the_budget(
            budget in 0u64..=u64::MAX,
            weights in proptest::collection::vec(0u64..=1_000_000, 1..30),
            denominator in 1u64..=1_000_000,
            rotate in 0usize..30,
        ) {
            let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
            prop_assume!(total > 0 || budget == 0);
            let integers: Vec<(usize, u64)> = weights.iter().copied().enumerate().collect();
            // The same weights over a common denominator give the same parts.
            let rationals: Vec<(usize, BigRational)> = integers
                .iter()
                .map(|&(id, w)| (id, BigRational::new(BigInt::from(w), BigInt::from(denominator))))
                .collect();
            let parts = apportion_rational(budget, &rationals).unwrap();
            prop_assert_eq!(&parts, &apportion(budget, &integers).unwrap());
            prop_assert_eq!(parts.iter().map(|&p| u128::from(p)).sum::<u128>(), u128::from(budget));
            let mut rotated = rationals.clone();
            rotated.rotate_left(rotate % rationals.len());
            let again = apportion_rational(budget, &rotated).unwrap();
            for ((id, _), part) in rotated.iter().zip(&again) {
                prop_assert_eq!(*part, parts[*id]);
            }
        }
    }
}
