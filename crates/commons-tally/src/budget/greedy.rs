//! The standard greedy rule of Pabulib: the most popular projects first, each funded if
//! it still fits what is left, otherwise skipped. It also completes the method of equal
//! shares.

use super::lot::Lots;
use super::outcome::{BudgetOutcome, Grant, Sheet, Stage, Step};
use super::{Round, votes_per_project};

/// Counts a knapsack or approval round by the greedy rule.
pub(crate) fn count(
    round: &Round,
    approvals: &[Vec<usize>],
    lots: &Lots,
    seed: [u8; 32],
) -> BudgetOutcome {
    let votes = votes_per_project(round.projects.len(), approvals);
    let mut funded = vec![false; round.projects.len()];
    let mut sheet = Sheet::default();
    pass(
        round,
        &votes,
        &mut funded,
        round.pool,
        Stage::Greedy,
        lots,
        &mut sheet,
    );
    // The ballot count was checked against BALLOTS_PER_ROUND_MAX, a u64.
    let n_voters = u64::try_from(approvals.len()).expect("the ballot count fits in u64");
    sheet.into_outcome(round.pool, n_voters, None, None, seed)
}

/// One greedy pass over the projects not yet `funded` that have votes, with `remaining`
/// of the pool left: by votes, most first, ties by lot; each funded at its minimum cost
/// if that fits, otherwise skipped. Returns what is left.
pub(crate) fn pass(
    round: &Round,
    votes: &[u64],
    funded: &mut [bool],
    mut remaining: u64,
    stage: Stage,
    lots: &Lots,
    sheet: &mut Sheet,
) -> u64 {
    let mut order: Vec<usize> = (0..round.projects.len())
        .filter(|&project| !funded[project] && votes[project] > 0)
        .collect();
    order.sort_by(|&left, &right| {
        votes[right]
            .cmp(&votes[left])
            .then(lots.compare(left, right))
    });
    for group in order.chunk_by(|&left, &right| votes[left] == votes[right]) {
        if group.len() > 1 {
            sheet.tie_breaks.push(lots.tie_break(stage, group));
        }
    }
    for project in order {
        let cost = round.projects[project].min_cost();
        let fits = cost <= remaining;
        sheet.steps.push(Step::Greedy {
            stage,
            project,
            votes: votes[project],
            cost,
            remaining_before: remaining,
            funded: fits,
        });
        if fits {
            remaining -= cost;
            funded[project] = true;
            sheet.funded.push(Grant {
                project,
                name: round.projects[project].name.clone(),
                amount: cost,
                stage,
            });
        }
    }
    remaining
}
