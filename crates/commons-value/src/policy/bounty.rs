//! Bounties: an amount held in escrow for a piece of work is released, when the work is
//! accepted, to its co-authors in proportion to their agreed shares.

use super::{
    Allocation, Basis, POLICY_RECIPIENTS_MAX, PolicyError, RecipientId, by_weights, check_count,
    check_unique,
};

/// A co-author and their share of the work (any integer unit: percent, points, lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoauthorShare {
    pub coauthor: RecipientId,
    pub share: u64,
}

/// Releases `escrow` to the co-authors, `amountᵢ ∝ shareᵢ`, by largest remainder. When
/// every share is zero nothing is released (the escrow stays unallocated).
pub fn release(escrow: u64, coauthors: &[CoauthorShare]) -> Result<Allocation, PolicyError> {
    check_count("co-authors", coauthors.len(), POLICY_RECIPIENTS_MAX)?;
    check_unique(coauthors.iter().map(|c| &c.coauthor))?;
    let weighted = coauthors
        .iter()
        .map(|c| {
            (
                c.coauthor.clone(),
                c.share,
                Basis::Bounty { share: c.share },
            )
        })
        .collect();
    by_weights(escrow, weighted)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use proptest::prelude::*;

    fn shares(pairs: &[(&str, u64)]) -> Vec<CoauthorShare> {
        pairs
            .iter()
            .map(|&(coauthor, share)| CoauthorShare {
                coauthor: id(coauthor),
                share,
            })
            .collect()
    }

    #[test]
    fn the_escrow_goes_to_coauthors_by_share() {
        // 1000 in thirds: 333.3 each, the unit left to the smallest id.
        let allocation = release(1_000, &shares(&[("zoe", 1), ("yan", 1), ("xia", 1)])).unwrap();
        assert_conserves(1_000, &allocation);
        assert_eq!(
            amounts(&allocation),
            [("xia", 334), ("yan", 333), ("zoe", 333)]
        );
        let allocation = release(500, &shares(&[("ana", 70), ("ben", 30), ("cy", 0)])).unwrap();
        assert_eq!(
            amounts(&allocation),
            [("ana", 350), ("ben", 150), ("cy", 0)]
        );
        assert_eq!(
            release(5, &shares(&[("a", 1), ("a", 2)]))
                .unwrap_err()
                .code(),
            "policy_duplicate_recipient"
        );
    }

    proptest! {
        #[test]
        fn the_escrow_is_released_exactly(
            escrow in 0u64..=u64::MAX,
            raw in proptest::collection::vec(0u64..=u64::MAX, 0..20),
        ) {
            let list: Vec<CoauthorShare> = raw
                .iter()
                .enumerate()
                .map(|(i, &share)| CoauthorShare { coauthor: id(&format!("a{i}")), share })
                .collect();
            let allocation = release(escrow, &list).unwrap();
            assert_conserves(escrow, &allocation);
            for input in &list {
                if input.share == 0 {
                    prop_assert_eq!(allocation.amount_of(input.coauthor.as_str()), 0);
                }
            }
        }
    }
}
