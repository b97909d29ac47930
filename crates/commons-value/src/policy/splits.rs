//! Fixed splits in parts per million, as Drips splits what an account receives: each
//! receiver has a weight out of [`PPM_TOTAL`], the weights sum to at most the whole, and the
//! unsplit rest stays with the sender (here: is unallocated, for the next bucket or the
//! fallback).
//!
//! Rounding follows Drips' `Splits._split` exactly, so that a commons mirroring its Drips
//! configuration pays the same amounts: with receivers sorted by id and `Wₖ` the running
//! sum of their weights, receiver `k` gets `⌊A·Wₖ/10⁶⌋ − ⌊A·Wₖ₋₁/10⁶⌋`. The parts telescope
//! to `⌊A·ΣW/10⁶⌋`, so nothing is lost to rounding and each part is its exact quota rounded
//! down or up. It is not largest remainder: for 10 split 25% / 50% / 25% rest, Drips (and
//! this) gives 2, 5 and a rest of 3 where [`crate::apportion()`] would give the unit to
//! whichever of the first receiver and the rest has the smaller id. Fixed splits follow
//! Drips; every proportional split (credit, GIVE, time, shares) uses largest remainder.

use super::{
    Allocation, Basis, PPM_TOTAL, PolicyError, RecipientId, Share, check_count, check_unique,
};

/// Most receivers of one split: Drips' `_MAX_SPLITS_RECEIVERS`.
pub const SPLITS_RECEIVERS_MAX: usize = 200;

/// A receiver and its weight in parts per million.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitReceiver {
    pub recipient: RecipientId,
    /// Out of [`PPM_TOTAL`]; never zero (Drips refuses a zero weight).
    pub weight_ppm: u32,
}

/// Splits `amount` among `receivers` by Drips' cumulative rule (see the module). Shares
/// come out sorted by recipient id; the rest, `amount − ⌊amount·ΣW/10⁶⌋`, is unallocated.
pub fn split(amount: u64, receivers: &[SplitReceiver]) -> Result<Allocation, PolicyError> {
    check_count("split receivers", receivers.len(), SPLITS_RECEIVERS_MAX)?;
    check_unique(receivers.iter().map(|r| &r.recipient))?;
    if let Some(zero) = receivers.iter().find(|r| r.weight_ppm == 0) {
        return Err(PolicyError::invalid(
            "split weight",
            format!("the weight of {} is zero", zero.recipient),
        ));
    }
    // At most 200 u32 weights: no u64 overflow.
    let total_ppm: u64 = receivers.iter().map(|r| u64::from(r.weight_ppm)).sum();
    if total_ppm > u64::from(PPM_TOTAL) {
        return Err(PolicyError::invalid(
            "split weights",
            format!("they sum to {total_ppm}, more than {PPM_TOTAL}"),
        ));
    }
    let mut sorted: Vec<&SplitReceiver> = receivers.iter().collect();
    sorted.sort_by(|a, b| a.recipient.cmp(&b.recipient));
    let weights: Vec<u32> = sorted.iter().map(|r| r.weight_ppm).collect();
    let parts = cumulative_parts(amount, &weights);
    let split_total: u64 = parts.iter().sum();
    let shares = sorted
        .into_iter()
        .zip(parts)
        .map(|(receiver, amount)| Share {
            recipient: receiver.recipient.clone(),
            amount,
            basis: Basis::Split {
                weight_ppm: receiver.weight_ppm,
            },
        })
        .collect();
    Ok(Allocation {
        shares,
        unallocated: amount - split_total,
    })
}

/// Drips' cumulative rule on weights (in order) whose sum is at most [`PPM_TOTAL`]:
/// part `k` is `⌊A·Wₖ/10⁶⌋ − ⌊A·Wₖ₋₁/10⁶⌋` with `Wₖ` the running sum.
pub(crate) fn cumulative_parts(amount: u64, weights_ppm: &[u32]) -> Vec<u64> {
    let mut running_ppm: u128 = 0;
    let mut so_far: u64 = 0;
    weights_ppm
        .iter()
        .map(|&weight| {
            running_ppm += u128::from(weight);
            assert!(
                running_ppm <= u128::from(PPM_TOTAL),
                "weights over the whole"
            );
            // ≤ amount since running_ppm ≤ PPM_TOTAL.
            let cumulative = (u128::from(amount) * running_ppm / u128::from(PPM_TOTAL)) as u64;
            let part = cumulative - so_far;
            so_far = cumulative;
            part
        })
        .collect()
}

/// `⌊amount·ppm/10⁶⌋`: a straight percentage, as a bucket takes it.
pub fn ppm_of(amount: u64, ppm: u32) -> u64 {
    let ppm = ppm.min(PPM_TOTAL);
    // ≤ amount since ppm ≤ PPM_TOTAL.
    (u128::from(amount) * u128::from(ppm) / u128::from(PPM_TOTAL)) as u64
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use proptest::prelude::*;

    fn receivers(pairs: &[(&str, u32)]) -> Vec<SplitReceiver> {
        pairs
            .iter()
            .map(|&(recipient, weight_ppm)| SplitReceiver {
                recipient: id(recipient),
                weight_ppm,
            })
            .collect()
    }

    /// Splits `amount` and checks the receivers' parts and the sender's rest.
    fn check(amount: u64, pairs: &[(&str, u32)], expected: &[(&str, u64)], rest: u64) {
        let allocation = split(amount, &receivers(pairs)).unwrap();
        assert_conserves(amount, &allocation);
        assert_eq!(amounts(&allocation), expected);
        assert_eq!(allocation.unallocated, rest);
    }

    // The cases of Drips' `test/Splits.t.sol` (drips-network/contracts). There the sender
    // keeps the "collectable" rest; here it is `unallocated`.

    #[test]
    fn sixty_percent_of_ten_splits_six_and_keeps_four() {
        // testSimpleSplit: 60% of 10.
        check(10, &[("receiver", 600_000)], &[("receiver", 6)], 4);
    }

    #[test]
    fn all_funds_are_split_even_when_they_do_not_divide_evenly() {
        // testCanSplitAllWhenCollectedDoesNotSplitEvenly: 50% / 50% of 3 is 1 and 2.
        check(
            3,
            &[("receiver1", 500_000), ("receiver2", 500_000)],
            &[("receiver1", 1), ("receiver2", 2)],
            0,
        );
        // testSplittingSplitsAllFundsEvenWhenTheyDoNotDivideEvenly: 40% / 20% of 9.
        check(
            9,
            &[("receiver1", 400_000), ("receiver2", 200_000)],
            &[("receiver1", 3), ("receiver2", 2)],
            4,
        );
    }

    #[test]
    fn a_sender_may_split_to_itself() {
        // testUserCanSplitToThemselves: receiver1 keeps 50% as a split to itself and sends
        // 20% to receiver2; of 20: 10 to itself, 4 to receiver2, 6 collectable; the 10 split
        // to itself is then split again: 5, 2 and 3.
        let pairs = [("receiver1", 500_000), ("receiver2", 200_000)];
        check(20, &pairs, &[("receiver1", 10), ("receiver2", 4)], 6);
        check(10, &pairs, &[("receiver1", 5), ("receiver2", 2)], 3);
    }

    #[test]
    fn one_configuration_splits_every_amount_alike() {
        // testSplitsConfigurationIsCommonBetweenTokens: 10% of 30 and of 100.
        check(30, &[("receiver1", 100_000)], &[("receiver1", 3)], 27);
        check(100, &[("receiver1", 100_000)], &[("receiver1", 10)], 90);
        // testForwardSplits: 100% of 10 is forwarded whole.
        check(10, &[("receiver1", 1_000_000)], &[("receiver1", 10)], 0);
    }

    #[test]
    fn several_receivers_split_by_the_running_sum_of_weights() {
        // testSplitMultipleReceivers: 25% and 50% of 10 is 7 split (2 and 5), 3 kept.
        // Largest remainder would instead weigh the 0.5 of receiver1 against the 0.5 of the
        // sender's rest.
        check(
            10,
            &[("receiver1", 250_000), ("receiver2", 500_000)],
            &[("receiver1", 2), ("receiver2", 5)],
            3,
        );
    }

    #[test]
    fn too_many_receivers_excess_or_zero_weight_and_duplicates_are_refused() {
        // testLimitsTheTotalSplitsReceiversCount, testRejectsTooHighTotalWeightSplitsReceivers,
        // testRejectsZeroWeightSplitsReceivers, testRejectsDuplicateSplitsReceivers. Drips
        // also refuses an unsorted list; here the list is sorted by id instead.
        let at_limit: Vec<SplitReceiver> = (0..SPLITS_RECEIVERS_MAX)
            .map(|i| SplitReceiver {
                recipient: id(&format!("r{i:03}")),
                weight_ppm: 1,
            })
            .collect();
        assert!(split(1_000, &at_limit).is_ok());
        let mut over = at_limit;
        over.push(SplitReceiver {
            recipient: id("r999"),
            weight_ppm: 1,
        });
        assert_eq!(split(1_000, &over).unwrap_err().code(), "policy_too_many");
        assert!(split(5, &receivers(&[("receiver", PPM_TOTAL)])).is_ok());
        assert_eq!(
            split(5, &receivers(&[("receiver", PPM_TOTAL + 1)]))
                .unwrap_err()
                .code(),
            "policy_invalid"
        );
        assert_eq!(
            split(5, &receivers(&[("receiver", 0)])).unwrap_err().code(),
            "policy_invalid"
        );
        assert_eq!(
            split(5, &receivers(&[("receiver", 1), ("receiver", 2)]))
                .unwrap_err()
                .code(),
            "policy_duplicate_recipient"
        );
        assert_eq!(
            split(
                10,
                &receivers(&[("receiver2", 500_000), ("receiver1", 500_000)])
            )
            .unwrap(),
            split(
                10,
                &receivers(&[("receiver1", 500_000), ("receiver2", 500_000)])
            )
            .unwrap()
        );
    }

    proptest! {
        // Drips' testSplitFundsAddUp, as a law over any amount and weights.
        #[test]
        fn split_funds_add_up_and_each_part_is_within_a_unit_of_its_quota(
            amount in 0u64..=u64::MAX,
            weights in proptest::collection::vec(1u32..=5_000, 0..SPLITS_RECEIVERS_MAX),
            rotate in 0usize..SPLITS_RECEIVERS_MAX,
        ) {
            let list: Vec<SplitReceiver> = weights
                .iter()
                .enumerate()
                .map(|(i, &weight_ppm)| SplitReceiver { recipient: id(&format!("r{i}")), weight_ppm })
                .collect();
            let allocation = split(amount, &list).unwrap();
            assert_conserves(amount, &allocation);
            for share in &allocation.shares {
                let Basis::Split { weight_ppm } = share.basis else { unreachable!() };
                let quota_floor = u128::from(amount) * u128::from(weight_ppm) / u128::from(PPM_TOTAL);
                let part = u128::from(share.amount);
                prop_assert!(part == quota_floor || part == quota_floor + 1);
            }
            let mut rotated = list.clone();
            if !rotated.is_empty() {
                rotated.rotate_left(rotate % list.len());
            }
            prop_assert_eq!(split(amount, &rotated).unwrap(), allocation);
        }
    }
}
