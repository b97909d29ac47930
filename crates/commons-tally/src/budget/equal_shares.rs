//! The method of equal shares (Peters and Skowron, "Proportionality and the limits of
//! welfarism"; equalshares.net): the pool is split equally among the voters and each
//! project must be bought by its own supporters, so a group of voters controls the share
//! of the pool its size earns it.
//!
//! All money here is counted in units of `1/n_voters` minor unit ("scaled units"), in
//! which every voter's share `pool / n_voters` is the whole number `pool`. A step's price
//! is the exact fraction `rest / n_full_payers`; payments are whole scaled units, the
//! price's floor or ceiling (see [`EqualSharesReport`](super::EqualSharesReport)). With
//! shares below 2^65 scaled units, costs below 2^64 minor units and at most 2^32 voters,
//! every product below stays under 2^128.

use std::cmp::Ordering;

use super::greedy;
use super::lot::Lots;
use super::outcome::{
    BudgetOutcome, EqualSharesReport, Grant, Payment, Sheet, Stage, Step, TieBreak,
};
use super::ratio::Ratio;
use super::{ADD1_INCREMENTS_MAX, Completion, Round, votes_per_project};

/// What a supporter gains from a funded project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utilities {
    /// One per approved project.
    Approval,
    /// The project's minimum cost, for knapsack baskets.
    Cost,
}

/// Counts a knapsack or approval round by the method of equal shares and `completion`.
pub(crate) fn count(
    round: &Round,
    approvals: &[Vec<usize>],
    utilities: Utilities,
    completion: Completion,
    lots: &Lots,
    seed: [u8; 32],
) -> BudgetOutcome {
    // The ballot count was checked against BALLOTS_PER_ROUND_MAX, a u64.
    let n_voters = u64::try_from(approvals.len()).expect("the ballot count fits in u64");
    let votes = votes_per_project(round.projects.len(), approvals);
    let mut sheet = Sheet::default();
    if n_voters == 0 {
        let report = EqualSharesReport {
            voter_share: Ratio::ZERO,
            paid_per_voter: Vec::new(),
            add1_increments: 0,
            add1_limit_reached: false,
        };
        return sheet.into_outcome(round.pool, 0, None, Some(report), seed);
    }

    let election = Election::new(round, approvals, utilities, lots);
    let pool = u128::from(round.pool);
    let n = u128::from(n_voters);
    let mut run = election.run(pool);
    let mut add1_increments = 0u64;
    let mut add1_limit_reached = false;
    if completion == Completion::Add1ThenGreedy {
        loop {
            if election.is_exhaustive(&run, &votes) {
                break;
            }
            if add1_increments == ADD1_INCREMENTS_MAX {
                add1_limit_reached = true;
                break;
            }
            // One more minor unit for every voter is n more scaled units each.
            let share_scaled = pool + u128::from(add1_increments + 1) * n;
            let next = election.run(share_scaled);
            if next.spent > pool {
                break;
            }
            run = next;
            add1_increments += 1;
        }
    }
    assert!(
        run.spent <= pool,
        "the method of equal shares never overspends"
    );

    let mut funded = vec![false; round.projects.len()];
    for step in &run.steps {
        let cost = round.projects[step.project].min_cost();
        funded[step.project] = true;
        sheet.funded.push(Grant {
            project: step.project,
            name: round.projects[step.project].name.clone(),
            amount: cost,
            stage: Stage::EqualShares,
        });
        let mut payments: Vec<Payment> = step
            .payments_scaled
            .iter()
            .map(|&(ballot_index, paid)| Payment {
                ballot_index,
                amount: Ratio::of(paid, n),
            })
            .collect();
        payments.sort_by_key(|payment| payment.ballot_index);
        sheet.steps.push(Step::EqualShares {
            project: step.project,
            cost,
            rho: step.rho,
            payment_cap: step.payment_cap,
            payments,
        });
    }
    sheet.tie_breaks = run.tie_breaks;
    if completion != Completion::None {
        // run.spent <= pool was asserted above.
        let remaining = u64::try_from(pool - run.spent).expect("the leftover fits in u64");
        greedy::pass(
            round,
            &votes,
            &mut funded,
            remaining,
            Stage::Completion,
            lots,
            &mut sheet,
        );
    }
    let report = EqualSharesReport {
        voter_share: Ratio::of(run.share_scaled, n),
        paid_per_voter: run
            .paid_scaled
            .iter()
            .map(|&paid| Ratio::of(paid, n))
            .collect(),
        add1_increments,
        add1_limit_reached,
    };
    sheet.into_outcome(round.pool, n_voters, None, Some(report), seed)
}

/// The fixed data of a count: who supports what and what it costs in scaled units.
struct Election<'a> {
    round: &'a Round,
    n_voters: u128,
    /// Ballot indexes supporting each project.
    supporters: Vec<Vec<usize>>,
    /// Equal ballots share a rank; ranks order ballots by content.
    ballot_rank: Vec<usize>,
    cost_scaled: Vec<u128>,
    utility: Vec<u128>,
    lots: &'a Lots,
}

/// One run of the method with every voter's share set to `share_scaled`.
struct Run {
    share_scaled: u128,
    steps: Vec<FundedStep>,
    tie_breaks: Vec<TieBreak>,
    /// In minor units.
    spent: u128,
    paid_scaled: Vec<u128>,
}

struct FundedStep {
    project: usize,
    rho: Ratio,
    payment_cap: Ratio,
    payments_scaled: Vec<(usize, u128)>,
}

/// How a project's supporters would pay for it now.
struct Price {
    rho: Ratio,
    /// Supporters by remaining share, smallest first (ties: later ballot content first,
    /// then later ballot index first), so the last ones take any rounding unit.
    supporters: Vec<usize>,
    /// The first `n_partial_payers` pay everything they have left.
    n_partial_payers: usize,
    /// What the others pay together, in scaled units.
    rest_scaled: u128,
}

impl<'a> Election<'a> {
    fn new(
        round: &'a Round,
        approvals: &[Vec<usize>],
        utilities: Utilities,
        lots: &'a Lots,
    ) -> Election<'a> {
        let n_voters = approvals.len() as u128;
        let mut supporters = vec![Vec::new(); round.projects.len()];
        for (ballot_index, projects) in approvals.iter().enumerate() {
            for &project in projects {
                supporters[project].push(ballot_index);
            }
        }
        let mut by_content: Vec<usize> = (0..approvals.len()).collect();
        by_content.sort_by(|&left, &right| approvals[left].cmp(&approvals[right]));
        let mut ballot_rank = vec![0usize; approvals.len()];
        let mut rank = 0;
        for window in 0..by_content.len() {
            if window > 0 && approvals[by_content[window]] != approvals[by_content[window - 1]] {
                rank += 1;
            }
            ballot_rank[by_content[window]] = rank;
        }
        let cost_scaled = round
            .projects
            .iter()
            .map(|project| u128::from(project.min_cost()) * n_voters)
            .collect();
        let utility = round
            .projects
            .iter()
            .map(|project| match utilities {
                Utilities::Approval => 1,
                Utilities::Cost => u128::from(project.min_cost()),
            })
            .collect();
        Election {
            round,
            n_voters,
            supporters,
            ballot_rank,
            cost_scaled,
            utility,
            lots,
        }
    }

    /// Runs the method with every voter's share `share_scaled` until no project is
    /// affordable. Prices only rise as shares are spent, so a project's last price is a
    /// lower bound on its next: a step only reprices projects whose bound does not
    /// exceed the best price found, and drops for good those that became unaffordable.
    fn run(&self, share_scaled: u128) -> Run {
        let n_projects = self.round.projects.len();
        let n_ballots = self.ballot_rank.len();
        let mut budgets = vec![share_scaled; n_ballots];
        let mut paid_scaled = vec![0u128; n_ballots];
        let mut candidates: Vec<usize> = (0..n_projects)
            .filter(|&project| !self.supporters[project].is_empty())
            .collect();
        let mut lower_bound = vec![Ratio::ZERO; n_projects];
        let mut steps = Vec::new();
        let mut tie_breaks = Vec::new();
        let mut spent = 0u128;
        loop {
            candidates.sort_by(|&left, &right| {
                lower_bound[left]
                    .cmp(&lower_bound[right])
                    .then(self.lots.compare(left, right))
            });
            let mut best: Vec<(usize, Price)> = Vec::new();
            let mut unaffordable = Vec::new();
            for &project in &candidates {
                if let Some((_, price)) = best.first()
                    && lower_bound[project] > price.rho
                {
                    break;
                }
                let Some(price) = self.price(project, &budgets) else {
                    unaffordable.push(project);
                    continue;
                };
                lower_bound[project] = price.rho;
                match best.first().map(|(_, best)| price.rho.cmp(&best.rho)) {
                    None | Some(Ordering::Less) => {
                        best.clear();
                        best.push((project, price));
                    }
                    Some(Ordering::Equal) => best.push((project, price)),
                    Some(Ordering::Greater) => {}
                }
            }
            candidates.retain(|project| !unaffordable.contains(project));
            if best.is_empty() {
                break;
            }
            let chosen = if best.len() > 1 {
                let tied: Vec<usize> = best.iter().map(|&(project, _)| project).collect();
                let tie_break = self.lots.tie_break(Stage::EqualShares, &tied);
                let first = tie_break.order[0];
                tie_breaks.push(tie_break);
                tied.iter()
                    .position(|&project| project == first)
                    .expect("the lots order the tied projects themselves")
            } else {
                0
            };
            let (project, price) = best.swap_remove(chosen);
            candidates.retain(|&candidate| candidate != project);
            spent += u128::from(self.round.projects[project].min_cost());
            steps.push(self.charge(project, price, &mut budgets, &mut paid_scaled));
        }
        Run {
            share_scaled,
            steps,
            tie_breaks,
            spent,
            paid_scaled,
        }
    }

    /// The lowest price at which `project`'s supporters can pay for it from `budgets`,
    /// or `None` when all they have left together falls short of its cost.
    fn price(&self, project: usize, budgets: &[u128]) -> Option<Price> {
        let mut supporters = self.supporters[project].clone();
        supporters.sort_by(|&left, &right| {
            budgets[left]
                .cmp(&budgets[right])
                .then(self.ballot_rank[right].cmp(&self.ballot_rank[left]))
                .then(right.cmp(&left))
        });
        let available: u128 = supporters.iter().map(|&voter| budgets[voter]).sum();
        let cost = self.cost_scaled[project];
        if available < cost {
            return None;
        }
        // Walk up from the poorest: a supporter who cannot pay an equal split of what
        // remains pays all they have; the first who can fixes the price for the rest.
        let mut paid_by_partial = 0u128;
        for (position, &voter) in supporters.iter().enumerate() {
            let n_full_payers = (supporters.len() - position) as u128;
            let rest_scaled = cost - paid_by_partial;
            if budgets[voter] * n_full_payers >= rest_scaled {
                // rest / (n_full_payers * n) minor units each, over the utility.
                let payment_cap_denominator = n_full_payers * self.n_voters;
                let rho_denominator = payment_cap_denominator
                    .checked_mul(self.utility[project])
                    .expect("supporters x voters x cost stays below 2^128");
                return Some(Price {
                    rho: Ratio::of(rest_scaled, rho_denominator),
                    supporters,
                    n_partial_payers: position,
                    rest_scaled,
                });
            }
            paid_by_partial += budgets[voter];
        }
        unreachable!("supporters holding the whole cost can always split it")
    }

    /// Charges `project`'s supporters at `price`: partial payers pay all they have, the
    /// others the price rounded down, and the rounding units left go one each to the
    /// full payers holding the most.
    fn charge(
        &self,
        project: usize,
        price: Price,
        budgets: &mut [u128],
        paid_scaled: &mut [u128],
    ) -> FundedStep {
        let n_supporters = price.supporters.len();
        let n_full_payers = (n_supporters - price.n_partial_payers) as u128;
        let floor = price.rest_scaled / n_full_payers;
        // Below n_full_payers, which is at most the number of supporters.
        let n_rounded_up = (price.rest_scaled % n_full_payers) as usize;
        let mut payments_scaled = Vec::with_capacity(n_supporters);
        let mut collected = 0u128;
        for (position, &voter) in price.supporters.iter().enumerate() {
            let payment = if position < price.n_partial_payers {
                budgets[voter]
            } else if position >= n_supporters - n_rounded_up {
                floor + 1
            } else {
                floor
            };
            // A full payer holds at least rest / n_full_payers, a whole number of scaled
            // units, so at least its ceiling.
            assert!(
                payment <= budgets[voter],
                "no voter pays more than they have"
            );
            budgets[voter] -= payment;
            paid_scaled[voter] += payment;
            collected += payment;
            payments_scaled.push((voter, payment));
        }
        assert_eq!(
            collected, self.cost_scaled[project],
            "supporters pay a funded project's cost exactly"
        );
        FundedStep {
            project,
            rho: price.rho,
            payment_cap: Ratio::of(price.rest_scaled, n_full_payers * self.n_voters),
            payments_scaled,
        }
    }

    /// Whether no project with supporters that `run` left unfunded fits what it left.
    fn is_exhaustive(&self, run: &Run, votes: &[u64]) -> bool {
        let pool = u128::from(self.round.pool);
        let Some(left) = pool.checked_sub(run.spent) else {
            return true;
        };
        let mut funded = vec![false; self.round.projects.len()];
        for step in &run.steps {
            funded[step.project] = true;
        }
        !(0..self.round.projects.len()).any(|project| {
            !funded[project]
                && votes[project] > 0
                && u128::from(self.round.projects[project].min_cost()) <= left
        })
    }
}
