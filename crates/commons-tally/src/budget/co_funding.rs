//! Co-funding (as in Cobudget): every voter pledges an equal allocation over projects,
//! and the projects whose pledges reach their minimum cost are funded, up to their
//! maximum. Whatever is not granted goes back to the pool, accounted for to the unit.

use super::lot::Lots;
use super::outcome::{
    BudgetOutcome, CoFundingReport, Grant, ReturnReason, Returned, Sheet, Stage, Step,
};
use super::{BudgetBallot, Round, allocation_per_voter};

/// Counts a co-funding round whose ballots have all been checked.
pub(crate) fn count(
    round: &Round,
    ballots: &[BudgetBallot],
    lots: &Lots,
    seed: [u8; 32],
) -> BudgetOutcome {
    // The ballot count was checked against BALLOTS_PER_ROUND_MAX, a u64.
    let n_voters = u64::try_from(ballots.len()).expect("the ballot count fits in u64");
    let allocation = allocation_per_voter(round.pool, n_voters);
    // allocation * n_voters <= pool by the definition of integer division.
    let allocated = allocation
        .checked_mul(n_voters)
        .expect("the allocations add up to at most the pool");
    let allocation_remainder = round.pool - allocated;

    let n_projects = round.projects.len();
    let mut pledged = vec![0u64; n_projects];
    let mut n_backers = vec![0u64; n_projects];
    let mut pledged_total = 0u64;
    for ballot in ballots {
        let BudgetBallot::CoFund(pledges) = ballot else {
            unreachable!("a co-funding round's ballots were checked to be co_fund ballots");
        };
        for &(project, amount) in pledges {
            // Each ballot pledges at most its allocation, so every sum here is at most
            // the allocations' total, which is at most the pool.
            pledged[project] = pledged[project]
                .checked_add(amount)
                .expect("pledges add up to at most the pool");
            pledged_total = pledged_total
                .checked_add(amount)
                .expect("pledges add up to at most the pool");
            if amount > 0 {
                n_backers[project] += 1;
            }
        }
    }
    let unpledged = allocated
        .checked_sub(pledged_total)
        .expect("no ballot pledges more than its allocation");

    let mut sheet = Sheet::default();
    let mut returned = Vec::new();
    let mut granted = vec![0u64; n_projects];
    for (project_index, project) in round.projects.iter().enumerate() {
        let pledged = pledged[project_index];
        // Funded when the pledges reach the minimum; minimum <= maximum, so the grant
        // min(pledged, maximum) then reaches the minimum too.
        let funded = pledged >= project.min_cost();
        let grant = if funded {
            pledged.min(project.max_cost())
        } else {
            0
        };
        let returned_unfunded = if funded { 0 } else { pledged };
        let returned_above_max = pledged - grant - returned_unfunded;
        for (amount, reason) in [
            (returned_unfunded, ReturnReason::Unfunded),
            (returned_above_max, ReturnReason::AboveMax),
        ] {
            if amount > 0 {
                returned.push(Returned {
                    project: project_index,
                    amount,
                    reason,
                });
            }
        }
        granted[project_index] = grant;
        sheet.steps.push(Step::CoFunding {
            project: project_index,
            n_backers: n_backers[project_index],
            pledged,
            granted: grant,
            returned_unfunded,
            returned_above_max,
            funded,
        });
    }

    let mut funded: Vec<usize> = (0..n_projects)
        .filter(|&project| granted[project] > 0)
        .collect();
    funded.sort_by(|&left, &right| {
        granted[right]
            .cmp(&granted[left])
            .then(lots.compare(left, right))
    });
    for group in funded.chunk_by(|&left, &right| granted[left] == granted[right]) {
        if group.len() > 1 {
            sheet
                .tie_breaks
                .push(lots.tie_break(Stage::CoFunding, group));
        }
    }
    sheet.funded = funded
        .into_iter()
        .map(|project| Grant {
            project,
            name: round.projects[project].name.clone(),
            amount: granted[project],
            stage: Stage::CoFunding,
        })
        .collect();

    let returned_total = returned.iter().map(|returned| returned.amount).sum::<u64>();
    let report = CoFundingReport {
        allocation_per_voter: allocation,
        allocation_remainder,
        unpledged,
        returned,
        returned_total,
    };
    let outcome = sheet.into_outcome(round.pool, n_voters, Some(report), None, seed);
    assert_eq!(
        [
            outcome.total_spent,
            returned_total,
            unpledged,
            allocation_remainder
        ]
        .iter()
        .try_fold(0u64, |sum, &part| sum.checked_add(part)),
        Some(round.pool),
        "co-funding conserves the pool"
    );
    outcome
}
