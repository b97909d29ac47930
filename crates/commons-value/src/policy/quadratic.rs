//! Linear quadratic funding (Gitcoin's CLR, "liberal radicalism" with a fixed matching
//! pot): project `p` is owed a match in proportion to `(Σᵢ√cᵢₚ)² − Σᵢcᵢₚ = Σ_{i≠j}√(cᵢₚcⱼₚ)`,
//! where `cᵢₚ` is everything contributor `i` gave `p`. Many small contributions from many
//! people weigh more than one large one; a lone contributor earns no match.
//!
//! # Exactness
//!
//! The square roots are irrational, so the weight is defined on integers: each
//! contributor's total is scaled by [`ROOT_SCALE`]² and its floor square root taken,
//! `sᵢ = ⌊√(cᵢ·S²)⌋ = ⌊S·√cᵢ⌋`, and the weight is `max(0, (Σsᵢ)² − S²·Σcᵢ)`, which is `S²`
//! times the formula up to the rounding of the roots. With `S = 10⁹` each root is exact to
//! nine decimals; the weight of a project with `n` contributors is low by less than
//! `n·(2Σsᵢ + n)` out of `S²·((Σ√cᵢ)² − Σcᵢ)`, a relative error near `10⁻⁹` or better, and
//! zero when every contribution is a perfect square. Summing roots is linear in the number
//! of contributions, where the pairwise form `Σ_{i<j}⌊S√(cᵢcⱼ)⌋` would be quadratic.
//! The weights are integers, the same on every machine; the pot is then split in
//! proportion to them by largest remainder, so the whole pot is placed exactly.
//!
//! # Caps
//!
//! A cap (an amount, or a share of the pot) bounds each project's match. It is solved by
//! exact water-filling: every project whose exact quota exceeds the cap gets the cap, the
//! rest of the pot is shared by the others in proportion to their weights, and this repeats
//! until no quota exceeds the cap; the final split rounds each quota down or up, never past
//! the cap. (Gitcoin's implementation redistributes the excess once and floors each match,
//! so it may leave a project over the cap and a unit or two of the pot unplaced.) If every
//! project with a weight is capped, the rest of the pot is unallocated.
//!
//! Unlike Gitcoin's default, the pot is not scaled down when contributions are smaller
//! than it ("saturation"): the whole pot is matched, as with Gitcoin's
//! `ignoreSaturation`.

use super::splits::ppm_of;
use super::{
    Allocation, Basis, Exact, POLICY_RECIPIENTS_MAX, PPM_TOTAL, PolicyError, RecipientId, Share,
    check_count,
};
use crate::apportion::apportion_rational;
use num_bigint::{BigInt, BigUint};
use num_rational::BigRational;
use num_traits::Zero;
use std::collections::BTreeMap;

/// Most contributions one round takes.
pub const CONTRIBUTIONS_MAX: usize = 1_000_000;

/// The scale `S` of the square roots: each is exact to nine decimal digits.
pub const ROOT_SCALE: u64 = 1_000_000_000;

/// A contribution to a project; several from the same contributor to the same project are
/// added up before the root is taken, so splitting a gift earns nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    pub contributor: RecipientId,
    pub project: RecipientId,
    pub amount: u64,
}

/// The most one project's match may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchCap {
    /// An amount in minor units.
    Amount(u64),
    /// A share of the pot in parts per million, `⌊pot·ppm/10⁶⌋`.
    SharePpm(u32),
}

/// A quadratic-funding round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    pub contributions: Vec<Contribution>,
    /// Contributions below this are ignored (Gitcoin's `minimumAmount`).
    pub contribution_min: u64,
    pub cap: Option<MatchCap>,
}

/// Splits the matching `pot` among the round's projects (see the module). Every project
/// with a counted contribution has a share, by project id.
pub fn quadratic_match(pot: u64, round: &Round) -> Result<Allocation, PolicyError> {
    check_count(
        "contributions",
        round.contributions.len(),
        CONTRIBUTIONS_MAX,
    )?;
    if let Some(MatchCap::SharePpm(ppm)) = round.cap
        && ppm > PPM_TOTAL
    {
        return Err(PolicyError::invalid(
            "match cap",
            format!("a share of {ppm} ppm is more than the whole"),
        ));
    }
    let mut by_project: BTreeMap<&RecipientId, BTreeMap<&RecipientId, u64>> = BTreeMap::new();
    for contribution in &round.contributions {
        if contribution.amount < round.contribution_min || contribution.amount == 0 {
            continue;
        }
        let total = by_project
            .entry(&contribution.project)
            .or_default()
            .entry(&contribution.contributor)
            .or_default();
        *total = total
            .checked_add(contribution.amount)
            .ok_or(PolicyError::AmountOverflow("contributions"))?;
    }
    check_count("projects", by_project.len(), POLICY_RECIPIENTS_MAX)?;
    let scale_squared = BigUint::from(ROOT_SCALE) * BigUint::from(ROOT_SCALE);
    let mut projects = Vec::with_capacity(by_project.len());
    for (project, contributors) in by_project {
        let mut contributed: u64 = 0;
        let mut roots = BigUint::zero();
        for &amount in contributors.values() {
            contributed = contributed
                .checked_add(amount)
                .ok_or(PolicyError::AmountOverflow("contributions"))?;
            roots += (BigUint::from(amount) * &scale_squared).sqrt();
        }
        let square = &roots * &roots;
        let subtracted = BigUint::from(contributed) * &scale_squared;
        let weight = if square > subtracted {
            square - subtracted
        } else {
            BigUint::zero()
        };
        projects.push(Project {
            id: project.clone(),
            contributed,
            n_contributors: contributors.len() as u64,
            weight,
        });
    }
    let cap = round.cap.map(|cap| match cap {
        MatchCap::Amount(amount) => amount,
        MatchCap::SharePpm(ppm) => ppm_of(pot, ppm),
    });
    let (amounts, capped, unallocated) = water_fill(pot, &projects, cap)?;
    let shares = projects
        .into_iter()
        .zip(amounts.into_iter().zip(capped))
        .map(|(project, (amount, capped))| Share {
            recipient: project.id,
            amount,
            basis: Basis::Quadratic {
                contributed: project.contributed,
                n_contributors: project.n_contributors,
                match_weight: Exact(BigRational::new(
                    BigInt::from(project.weight),
                    BigInt::from(scale_squared.clone()),
                )),
                capped,
            },
        })
        .collect();
    Ok(Allocation {
        shares,
        unallocated,
    })
}

struct Project {
    id: RecipientId,
    contributed: u64,
    n_contributors: u64,
    weight: BigUint,
}

/// Exact water-filling of `pot` over the projects' weights under `cap`: returns each
/// project's amount, whether the cap bound it, and what nobody could take.
fn water_fill(
    pot: u64,
    projects: &[Project],
    cap: Option<u64>,
) -> Result<(Vec<u64>, Vec<bool>, u64), PolicyError> {
    let n = projects.len();
    let mut amounts = vec![0u64; n];
    let mut capped = vec![false; n];
    let mut active: Vec<usize> = (0..n).filter(|&i| !projects[i].weight.is_zero()).collect();
    let mut remaining = pot;
    if let Some(cap) = cap {
        loop {
            let total: BigUint = active.iter().map(|&i| &projects[i].weight).sum();
            // Over the cap: remaining·wᵢ/W > cap.
            let over: Vec<usize> = active
                .iter()
                .copied()
                .filter(|&i| &projects[i].weight * remaining > &total * cap)
                .collect();
            if over.is_empty() {
                break;
            }
            for &i in &over {
                amounts[i] = cap;
                capped[i] = true;
                // The quotas sum to `remaining` and these exceed the cap: no underflow.
                remaining -= cap;
            }
            active.retain(|i| !over.contains(i));
            if active.is_empty() {
                return Ok((amounts, capped, remaining));
            }
        }
    }
    if active.is_empty() {
        return Ok((amounts, capped, remaining));
    }
    let weights: Vec<(&RecipientId, BigRational)> = active
        .iter()
        .map(|&i| {
            (
                &projects[i].id,
                BigRational::from_integer(BigInt::from(projects[i].weight.clone())),
            )
        })
        .collect();
    // Every quota is at most the cap, so its ceiling is too.
    let parts = apportion_rational(remaining, &weights)?;
    for (&i, part) in active.iter().zip(parts) {
        amounts[i] = part;
    }
    Ok((amounts, capped, 0))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use proptest::prelude::*;

    fn contribution(contributor: &str, project: &str, amount: u64) -> Contribution {
        Contribution {
            contributor: id(contributor),
            project: id(project),
            amount,
        }
    }

    /// The round of Gitcoin's linear QF documentation (grants-stack
    /// `packages/api/docs/linearQF.md`, "QF calculation example"), in USDC with six
    /// decimals as Gitcoin's `pluralistic.js` tests (`src/test/linear.test.ts`) put it:
    /// project 1 gets 1, 4, 1, 9 (Σ√ = 7, 49 − 15 = 34), project 2 gets 1 ×6 and 4 (Σ√ = 8,
    /// 64 − 10 = 54), project 3 gets 1, 9, 1, 9, 1, 9, 4 (Σ√ = 14, 196 − 34 = 162).
    fn gitcoin_round() -> Vec<Contribution> {
        let usdc = 1_000_000;
        let mut all = Vec::new();
        for (project, amounts) in [
            ("project_1", &[1, 4, 1, 9][..]),
            ("project_2", &[1, 1, 1, 1, 1, 1, 4][..]),
            ("project_3", &[1, 9, 1, 9, 1, 9, 4][..]),
        ] {
            for (i, amount) in amounts.iter().enumerate() {
                all.push(contribution(
                    &format!("sender_{}", i + 1),
                    project,
                    amount * usdc,
                ));
            }
        }
        all
    }

    fn check(pot: u64, round: &Round, expected: &[(&str, u64)], unallocated: u64) -> Allocation {
        let allocation = quadratic_match(pot, round).unwrap();
        assert_conserves(pot, &allocation);
        assert_eq!(amounts(&allocation), expected);
        assert_eq!(allocation.unallocated, unallocated);
        allocation
    }

    #[test]
    fn gitcoin_linear_qf_example_is_reproduced_exactly() {
        // 100 USDC matched 34 : 54 : 162 is 13.6, 21.6 and 64.8.
        let round = Round {
            contributions: gitcoin_round(),
            contribution_min: 0,
            cap: None,
        };
        let allocation = check(
            100_000_000,
            &round,
            &[
                ("project_1", 13_600_000),
                ("project_2", 21_600_000),
                ("project_3", 64_800_000),
            ],
            0,
        );
        assert_eq!(
            allocation.shares[0].basis,
            Basis::Quadratic {
                contributed: 15_000_000,
                n_contributors: 4,
                match_weight: Exact::integer(34_000_000),
                capped: false,
            }
        );
        // A pot of 10 USDC, smaller than the contributions.
        check(
            10_000_000,
            &round,
            &[
                ("project_1", 1_360_000),
                ("project_2", 2_160_000),
                ("project_3", 6_480_000),
            ],
            0,
        );
    }

    #[test]
    fn gitcoin_contributions_under_the_minimum_are_ignored() {
        let mut contributions = gitcoin_round();
        contributions.push(contribution("sender_1", "project_4", 100_000));
        contributions.push(contribution("sender_2", "project_4", 500_000));
        let round = Round {
            contributions,
            contribution_min: 1_000_000,
            cap: None,
        };
        check(
            100_000_000,
            &round,
            &[
                ("project_1", 13_600_000),
                ("project_2", 21_600_000),
                ("project_3", 64_800_000),
            ],
            0,
        );
    }

    #[test]
    fn gitcoin_match_cap_example_conserves_the_whole_pot() {
        // Capped at 50%, project 3 gets 50 and its 14.8 over the cap goes to projects 1
        // and 2 in proportion 13.6 : 21.6, that is 19.318181… and 30.681818…. Gitcoin
        // floors both (19_318_181 and 30_681_818) and leaves one unit of the pot unplaced;
        // largest remainder rounds the first up, and the pot is matched in full.
        for cap in [MatchCap::SharePpm(500_000), MatchCap::Amount(50_000_000)] {
            let round = Round {
                contributions: gitcoin_round(),
                contribution_min: 0,
                cap: Some(cap),
            };
            let allocation = check(
                100_000_000,
                &round,
                &[
                    ("project_1", 19_318_182),
                    ("project_2", 30_681_818),
                    ("project_3", 50_000_000),
                ],
                0,
            );
            let capped: Vec<bool> = allocation
                .shares
                .iter()
                .map(|share| matches!(share.basis, Basis::Quadratic { capped: true, .. }))
                .collect();
            assert_eq!(capped, [false, false, true]);
        }
    }

    /// A project whose match weight is `weight` (in units of the pot): two contributors of
    /// `weight/2` each, since (2√(w/2))² − w = w.
    fn weighted(project: &str, weight: u64) -> [Contribution; 2] {
        [
            contribution(&format!("{project}-a"), project, weight / 2),
            contribution(&format!("{project}-b"), project, weight / 2),
        ]
    }

    #[test]
    fn caps_are_water_filled_until_none_is_exceeded() {
        // 50 : 30 : 20 of 100 under a cap of 35: a is capped, 65 left splits 39 : 26, so b
        // is capped too, and c takes the 30 left. One redistribution would leave b at 39.
        let contributions = [weighted("a", 50), weighted("b", 30), weighted("c", 20)].concat();
        let round = Round {
            contributions,
            contribution_min: 0,
            cap: Some(MatchCap::Amount(35)),
        };
        check(100, &round, &[("a", 35), ("b", 35), ("c", 30)], 0);
        // When every project is capped the rest of the pot is unallocated.
        let contributions = [weighted("a", 2), weighted("b", 2)].concat();
        let round = Round {
            contributions,
            contribution_min: 0,
            cap: Some(MatchCap::SharePpm(300_000)),
        };
        check(100, &round, &[("a", 30), ("b", 30)], 40);
    }

    #[test]
    fn a_lone_contributor_earns_no_match() {
        let round = Round {
            contributions: vec![
                contribution("x", "solo", 1_000_000),
                contribution("x", "solo", 3_000_000),
                contribution("y", "pair", 2),
                contribution("z", "pair", 3),
            ],
            contribution_min: 0,
            cap: None,
        };
        let allocation = check(7, &round, &[("pair", 7), ("solo", 0)], 0);
        // One contributor's gifts are added up: 4 000 000 from one contributor.
        assert_eq!(
            allocation.shares[1].basis,
            Basis::Quadratic {
                contributed: 4_000_000,
                n_contributors: 1,
                match_weight: Exact::integer(0),
                capped: false,
            }
        );
        // Nobody to match: the pot is unallocated.
        let round = Round {
            contributions: vec![contribution("x", "solo", 5)],
            contribution_min: 0,
            cap: None,
        };
        check(9, &round, &[("solo", 0)], 9);
    }

    #[test]
    fn malformed_rounds_are_refused() {
        let round = Round {
            contributions: vec![],
            contribution_min: 0,
            cap: Some(MatchCap::SharePpm(PPM_TOTAL + 1)),
        };
        assert_eq!(
            quadratic_match(1, &round).unwrap_err().code(),
            "policy_invalid"
        );
        let round = Round {
            contributions: vec![contribution("x", "p", u64::MAX), contribution("x", "p", 1)],
            contribution_min: 0,
            cap: None,
        };
        assert_eq!(
            quadratic_match(1, &round).unwrap_err().code(),
            "amount_overflow"
        );
    }

    proptest! {
        #[test]
        fn the_pot_is_conserved_caps_hold_and_order_does_not_matter(
            pot in 0u64..=u64::MAX,
            raw in proptest::collection::vec((0usize..6, 0usize..4, 0u64..=u64::MAX / 64), 0..30),
            cap_ppm in proptest::option::of(0u32..=PPM_TOTAL),
            rotate in 0usize..30,
        ) {
            let contributions: Vec<Contribution> = raw
                .iter()
                .map(|&(who, project, amount)| contribution(&format!("c{who}"), &format!("p{project}"), amount))
                .collect();
            let round = Round { contributions: contributions.clone(), contribution_min: 0, cap: cap_ppm.map(MatchCap::SharePpm) };
            let allocation = match quadratic_match(pot, &round) {
                Ok(allocation) => allocation,
                Err(error) => {
                    prop_assert_eq!(error.code(), "amount_overflow");
                    return Ok(());
                }
            };
            assert_conserves(pot, &allocation);
            let cap = cap_ppm.map(|ppm| ppm_of(pot, ppm));
            for share in &allocation.shares {
                let Basis::Quadratic { match_weight, .. } = &share.basis else { unreachable!() };
                if match_weight.0.is_zero() {
                    prop_assert_eq!(share.amount, 0);
                }
                if let Some(cap) = cap {
                    prop_assert!(share.amount <= cap);
                }
            }
            let mut rotated = round.clone();
            if !contributions.is_empty() {
                rotated.contributions.rotate_left(rotate % contributions.len());
            }
            prop_assert_eq!(quadratic_match(pot, &rotated).unwrap(), allocation);
        }
    }
}
