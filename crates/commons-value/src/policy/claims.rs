//! Claims on future distributions, settled before anything else is shared: debt-like
//! claims (an amount owed, paid until repaid), one-time claims (an amount paid once, as far
//! as the budget reaches) and equity-like claims (a share of every distribution, up to an
//! optional total).
//!
//! A settlement pays, in order:
//!
//! 1. debt-like and one-time claims by seniority (a smaller number is more senior): a
//!    tier is paid in full before the next gets anything, and a tier the budget cannot
//!    cover is paid pro rata to what each is owed (largest remainder, so nobody gets more
//!    than they are owed);
//! 2. equity-like claims from what is left, each `share_ppm` of it by Drips' cumulative
//!    rule (see [`super::splits`]), each cut to what its cap still allows;
//! 3. whatever remains is unallocated, for the buckets that follow.
//!
//! It returns the claims as they stand afterwards: debts reduced by what was paid (and
//! dropped when repaid), one-time claims dropped (settled, fully or not), equity
//! credited with what it received (and dropped when its cap is reached).

use super::splits::cumulative_parts;
use super::{Allocation, Basis, PPM_TOTAL, PolicyError, RecipientId, Share, check_count};
use crate::apportion::apportion;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most claims one settlement takes.
pub const CLAIMS_MAX: usize = 10_000;

/// A claim held by a recipient; a holder has at most one claim of each kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub holder: RecipientId,
    pub terms: ClaimTerms,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClaimTerms {
    /// An amount still owed, paid at each distribution until repaid.
    Debt { owed: u64, seniority: u32 },
    /// An amount paid at the next distribution only, as far as the budget reaches.
    Once { amount: u64, seniority: u32 },
    /// A share of what every distribution has left after the debts, until the holder has
    /// received `cap` in total (no cap: for ever).
    Equity {
        share_ppm: u32,
        cap: Option<u64>,
        received: u64,
    },
}

impl ClaimTerms {
    /// Rank of the kind, which with the holder identifies a claim.
    fn rank(&self) -> u8 {
        match self {
            Self::Debt { .. } => 0,
            Self::Once { .. } => 1,
            Self::Equity { .. } => 2,
        }
    }
}

/// A settlement: what each claim is paid, and the claims afterwards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settlement {
    /// One share per claim, by holder then kind (debt, once, equity).
    pub allocation: Allocation,
    /// The claims left, in the same order.
    pub claims_after: Vec<Claim>,
}

/// Settles `claims` from `budget` (see the module for the order).
pub fn settle(budget: u64, claims: &[Claim]) -> Result<Settlement, PolicyError> {
    check_count("claims", claims.len(), CLAIMS_MAX)?;
    let mut sorted: Vec<&Claim> = claims.iter().collect();
    sorted.sort_by(|a, b| key(a).cmp(&key(b)));
    if let Some(pair) = sorted.windows(2).find(|pair| key(pair[0]) == key(pair[1])) {
        return Err(PolicyError::DuplicateRecipient(pair[0].holder.clone()));
    }
    let equity_ppm: u64 = sorted
        .iter()
        .map(|claim| match claim.terms {
            ClaimTerms::Equity { share_ppm, .. } => u64::from(share_ppm),
            _ => 0,
        })
        .sum();
    if equity_ppm > u64::from(PPM_TOTAL) {
        return Err(PolicyError::invalid(
            "equity claims",
            format!("their shares sum to {equity_ppm}, more than {PPM_TOTAL}"),
        ));
    }

    let mut paid = vec![0u64; sorted.len()];
    let mut remaining = budget;

    // 1. Debt-like claims, tier by tier.
    let mut tiers: BTreeMap<u32, Vec<(usize, u64)>> = BTreeMap::new();
    for (index, claim) in sorted.iter().enumerate() {
        match claim.terms {
            ClaimTerms::Debt { owed, seniority }
            | ClaimTerms::Once {
                amount: owed,
                seniority,
            } => tiers.entry(seniority).or_default().push((index, owed)),
            ClaimTerms::Equity { .. } => {}
        }
    }
    for tier in tiers.values() {
        let owed_total: u128 = tier.iter().map(|&(_, owed)| u128::from(owed)).sum();
        if owed_total <= u128::from(remaining) {
            for &(index, owed) in tier {
                paid[index] = owed;
            }
            // owed_total ≤ remaining, a u64.
            remaining -= owed_total as u64;
        } else {
            // The quota remaining·owedᵢ/Σowed is below owedᵢ, and so is its ceiling.
            let weights: Vec<((&RecipientId, u8), u64)> = tier
                .iter()
                .map(|&(index, owed)| (key(sorted[index]), owed))
                .collect();
            let parts = apportion(remaining, &weights)?;
            for (&(index, _), part) in tier.iter().zip(parts) {
                paid[index] = part;
            }
            remaining = 0;
        }
    }

    // 2. Equity-like claims, from what is left.
    let equity: Vec<usize> = (0..sorted.len())
        .filter(|&index| matches!(sorted[index].terms, ClaimTerms::Equity { .. }))
        .collect();
    let weights: Vec<u32> = equity
        .iter()
        .map(|&index| match sorted[index].terms {
            ClaimTerms::Equity { share_ppm, .. } => share_ppm,
            _ => 0,
        })
        .collect();
    let parts = cumulative_parts(remaining, &weights);
    let mut equity_paid: u64 = 0;
    for (&index, part) in equity.iter().zip(parts) {
        if let ClaimTerms::Equity { cap, received, .. } = sorted[index].terms {
            let headroom = cap.map_or(u64::MAX, |cap| cap.saturating_sub(received));
            paid[index] = part.min(headroom);
            equity_paid += paid[index];
        }
    }
    remaining -= equity_paid;

    // 3. The shares, and the claims afterwards.
    let mut shares = Vec::with_capacity(sorted.len());
    let mut claims_after = Vec::with_capacity(sorted.len());
    for (claim, &paid_now) in sorted.iter().zip(&paid) {
        let (basis, after) = match claim.terms {
            ClaimTerms::Debt { owed, seniority } => {
                let owed_after = owed - paid_now;
                let after = (owed_after > 0).then_some(ClaimTerms::Debt {
                    owed: owed_after,
                    seniority,
                });
                let basis = Basis::Debt {
                    seniority,
                    owed_before: owed,
                    owed_after,
                };
                (basis, after)
            }
            ClaimTerms::Once { amount, seniority } => (Basis::Once { seniority, amount }, None),
            ClaimTerms::Equity {
                share_ppm,
                cap,
                received,
            } => {
                let received_after = received.saturating_add(paid_now);
                let after = match cap {
                    Some(cap) if received_after >= cap => None,
                    _ => Some(ClaimTerms::Equity {
                        share_ppm,
                        cap,
                        received: received_after,
                    }),
                };
                let basis = Basis::Equity {
                    share_ppm,
                    cap,
                    received_before: received,
                    received_after,
                };
                (basis, after)
            }
        };
        shares.push(Share {
            recipient: claim.holder.clone(),
            amount: paid_now,
            basis,
        });
        if let Some(terms) = after {
            claims_after.push(Claim {
                holder: claim.holder.clone(),
                terms,
            });
        }
    }
    Ok(Settlement {
        allocation: Allocation {
            shares,
            unallocated: remaining,
        },
        claims_after,
    })
}

fn key(claim: &Claim) -> (&RecipientId, u8) {
    (&claim.holder, claim.terms.rank())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use proptest::prelude::*;

    fn debt(holder: &str, owed: u64, seniority: u32) -> Claim {
        Claim {
            holder: id(holder),
            terms: ClaimTerms::Debt { owed, seniority },
        }
    }

    fn once(holder: &str, amount: u64, seniority: u32) -> Claim {
        Claim {
            holder: id(holder),
            terms: ClaimTerms::Once { amount, seniority },
        }
    }

    fn equity(holder: &str, share_ppm: u32, cap: Option<u64>, received: u64) -> Claim {
        Claim {
            holder: id(holder),
            terms: ClaimTerms::Equity {
                share_ppm,
                cap,
                received,
            },
        }
    }

    #[test]
    fn senior_debt_first_then_pro_rata_then_capped_equity() {
        let claims = [
            equity("investor", 100_000, Some(50), 0),
            debt("bank", 300, 0),
            debt("ana", 200, 1),
            debt("ben", 100, 1),
            once("cleaner", 40, 1),
        ];
        // 500: the bank's 300 in full; 200 left for 340 owed in the next tier: 117.6, 58.8
        // and 23.5, the two units left going to the largest remainders (ben's .8, ana's
        // .6). Nothing is left for equity.
        let first = settle(500, &claims).unwrap();
        assert_conserves(500, &first.allocation);
        assert_eq!(
            amounts(&first.allocation),
            [
                ("ana", 118),
                ("bank", 300),
                ("ben", 59),
                ("cleaner", 23),
                ("investor", 0)
            ]
        );
        assert_eq!(first.allocation.unallocated, 0);
        assert_eq!(
            first.claims_after,
            [
                debt("ana", 82, 1),
                debt("ben", 41, 1),
                equity("investor", 100_000, Some(50), 0)
            ]
        );
        // 1000 later: ana's 82 and ben's 41; 10% of the 877 left is 87, cut to the cap of
        // 50; 827 is unallocated and no claim is left.
        let second = settle(1_000, &first.claims_after).unwrap();
        assert_conserves(1_000, &second.allocation);
        assert_eq!(
            amounts(&second.allocation),
            [("ana", 82), ("ben", 41), ("investor", 50)]
        );
        assert_eq!(second.allocation.unallocated, 827);
        assert_eq!(second.claims_after, []);
        assert_eq!(
            second.allocation.shares[2].basis,
            Basis::Equity {
                share_ppm: 100_000,
                cap: Some(50),
                received_before: 0,
                received_after: 50
            }
        );
    }

    #[test]
    fn uncapped_equity_takes_its_share_of_every_distribution() {
        let claims = [
            equity("a", 250_000, None, 10),
            equity("b", 500_000, None, 0),
        ];
        let settlement = settle(10, &claims).unwrap();
        // Drips' rule: 2 and 5 of 10, 3 left.
        assert_eq!(amounts(&settlement.allocation), [("a", 2), ("b", 5)]);
        assert_eq!(settlement.allocation.unallocated, 3);
        assert_eq!(
            settlement.claims_after,
            [
                equity("a", 250_000, None, 12),
                equity("b", 500_000, None, 5)
            ]
        );
    }

    #[test]
    fn malformed_claims_are_refused() {
        let twice = [debt("a", 1, 0), debt("a", 2, 1)];
        assert_eq!(
            settle(5, &twice).unwrap_err().code(),
            "policy_duplicate_recipient"
        );
        // One claim of each kind is fine.
        assert!(
            settle(
                5,
                &[debt("a", 1, 0), once("a", 1, 0), equity("a", 1, None, 0)]
            )
            .is_ok()
        );
        let greedy = [equity("a", 600_000, None, 0), equity("b", 400_001, None, 0)];
        assert_eq!(settle(5, &greedy).unwrap_err().code(), "policy_invalid");
        let many: Vec<Claim> = (0..=CLAIMS_MAX)
            .map(|i| debt(&format!("c{i}"), 1, 0))
            .collect();
        assert_eq!(settle(5, &many).unwrap_err().code(), "policy_too_many");
    }

    fn claim_strategy() -> impl Strategy<Value = Claim> {
        (
            0usize..6,
            0u8..3,
            0u64..=u64::MAX / 8,
            0u32..3,
            0u32..=200_000,
            proptest::option::of(0u64..1_000),
        )
            .prop_map(|(holder, kind, amount, seniority, share_ppm, cap)| {
                let holder = format!("h{holder}");
                match kind {
                    0 => debt(&holder, amount, seniority),
                    1 => once(&holder, amount % 1_000, seniority),
                    _ => equity(&holder, share_ppm, cap, amount % 100),
                }
            })
    }

    proptest! {
        #[test]
        fn settlements_conserve_the_budget_and_respect_seniority(
            budget in 0u64..=u64::MAX,
            claims in proptest::collection::vec(claim_strategy(), 0..12),
            rotate in 0usize..12,
        ) {
            let mut unique: BTreeMap<(RecipientId, u8), Claim> = BTreeMap::new();
            for claim in claims {
                unique.insert((claim.holder.clone(), claim.terms.rank()), claim);
            }
            let claims: Vec<Claim> = unique.into_values().collect();
            let settlement = match settle(budget, &claims) {
                Ok(settlement) => settlement,
                Err(error) => {
                    // Only too much equity may be refused.
                    prop_assert_eq!(error.code(), "policy_invalid");
                    return Ok(());
                }
            };
            assert_conserves(budget, &settlement.allocation);
            // The lowest seniority not paid in full: nothing more junior, and no equity,
            // gets anything.
            let short = settlement.allocation.shares.iter().filter_map(|share| match share.basis {
                Basis::Debt { seniority, owed_after, .. } if owed_after > 0 => Some(seniority),
                Basis::Once { seniority, amount } if share.amount < amount => Some(seniority),
                _ => None,
            }).min();
            if let Some(short) = short {
                prop_assert_eq!(settlement.allocation.unallocated, 0);
                for share in &settlement.allocation.shares {
                    match share.basis {
                        Basis::Debt { seniority, .. } | Basis::Once { seniority, .. } if seniority > short => {
                            prop_assert_eq!(share.amount, 0);
                        }
                        Basis::Equity { .. } => prop_assert_eq!(share.amount, 0),
                        _ => {}
                    }
                }
            }
            for share in &settlement.allocation.shares {
                match share.basis {
                    Basis::Debt { owed_before, owed_after, .. } => {
                        prop_assert_eq!(owed_before - share.amount, owed_after);
                    }
                    Basis::Once { amount, .. } => prop_assert!(share.amount <= amount),
                    Basis::Equity { cap: Some(cap), received_before, .. } => {
                        prop_assert!(share.amount <= cap.saturating_sub(received_before));
                    }
                    _ => {}
                }
            }
            let mut rotated = claims.clone();
            if !rotated.is_empty() {
                rotated.rotate_left(rotate % claims.len());
            }
            prop_assert_eq!(settle(budget, &rotated).unwrap(), settlement);
        }
    }
}
