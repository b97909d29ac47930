//! Participatory budgeting: a community shares out a pool among projects from its
//! members' ballots, by a rule chosen for the round, with a sheet anyone can recount.
//!
//! A round has a pool in integer minor units, a [`Model`] (what a ballot says), a [`Rule`]
//! (how winners are found) and projects whose itemised budgets give a cost range:
//! [`Project::min_cost`] is the sum of the required items, [`Project::max_cost`] the sum
//! of all of them.
//!
//! - **Co-funding** (as in Cobudget): every voter gets `pool / n_voters` and pledges it
//!   over projects; a project receives at most its maximum and is funded when it reaches
//!   its minimum. Pledges to unfunded projects and pledges past a maximum go back to the
//!   pool and are reported, as are the allocation remainder and unpledged allocations.
//!   A co-funding round takes [`Rule::Greedy`], which here lists the funded projects by
//!   amount granted.
//! - **Knapsack**: every voter picks a basket of projects whose minimum costs fit the pool
//!   (and reach the round's minimum spend).
//! - **Approval**: every voter approves between `min` and `max` projects.
//!
//! Knapsack and approval rounds fund a project at its minimum cost, by either rule:
//!
//! - [`Rule::Greedy`], the standard greedy rule of Pabulib: projects by votes, most
//!   first, each funded if it still fits what is left, otherwise skipped.
//! - [`Rule::EqualShares`], the method of equal shares (Peters and Skowron,
//!   "Proportionality and the limits of welfarism"; equalshares.net): every voter gets
//!   `pool / n_voters`; each step funds the project whose supporters can pay its cost at
//!   the lowest price `rho`, each paying `min(what they have left, rho × utility)`, until
//!   no project is affordable; then an optional [`Completion`]. Approval ballots carry
//!   approval utilities (1 per approved project); knapsack baskets carry cost utilities
//!   (a project's minimum cost), so there `rho` is the share of the cost a full payer
//!   carries. Prices are exact fractions ([`Ratio`]); payments are rounded to whole
//!   `1/n_voters` minor units as [`EqualSharesReport`] explains.
//!
//! [`allocate`] counts the ballots it is given (their number is the electorate) and
//! fails on the first one that [`validate`] rejects. Projects nobody voted for are never
//! funded. Ties between projects are broken by the
//! round's 32-byte seed: tied projects go in the order of `SHA-256(seed || project index
//! as u32 big-endian)`, and every tie broken is recorded in the outcome. Nothing here
//! reads a clock, draws randomness or iterates a hash map, and no float is used: the same
//! round, ballots and seed always give the same outcome, whatever the order of the
//! ballots (up to which ballot index a payment is shown against).
//!
//! Limits: at most [`PROJECTS_PER_ROUND_MAX`] projects of at most
//! [`ITEMS_PER_PROJECT_MAX`] items, names and labels of at most [`PROJECT_NAME_LEN_MAX`]
//! and [`ITEM_LABEL_LEN_MAX`] bytes, and at most [`BALLOTS_PER_ROUND_MAX`] ballots, the
//! bound under which every exact price fits in 128 bits (ballots are otherwise counted
//! as given). Amounts are `u64`; a project whose items overflow it is rejected.

mod co_funding;
mod equal_shares;
mod greedy;
mod lot;
mod outcome;
mod ratio;

pub use outcome::{
    BudgetOutcome, CoFundingReport, EqualSharesReport, Grant, Payment, ReturnReason, Returned,
    Stage, Step, TieBreak,
};
pub use ratio::Ratio;

use lot::Lots;

/// The most projects a round may hold.
pub const PROJECTS_PER_ROUND_MAX: usize = 500;
/// The most items a project's budget may list.
pub const ITEMS_PER_PROJECT_MAX: usize = 50;
/// The longest project name, in bytes.
pub const PROJECT_NAME_LEN_MAX: usize = 200;
/// The longest item label, in bytes.
pub const ITEM_LABEL_LEN_MAX: usize = 200;
/// The most ballots a round counts. With shares and costs below 2^64 and at most 2^32
/// voters, every price the method of equal shares computes fits in a u128.
pub const BALLOTS_PER_ROUND_MAX: u64 = u32::MAX as u64;
/// The most times add1 raises every voter's share before it settles for what it has.
pub const ADD1_INCREMENTS_MAX: u64 = 10_000;

/// One line of a project's budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    /// In the pool's minor units.
    pub amount: u64,
    /// An optional item counts towards the maximum cost only.
    pub optional: bool,
}

/// A project with an itemised budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub name: String,
    pub items: Vec<Item>,
}

impl Project {
    /// The sum of the required items: the least the project can be done for. Saturates
    /// at `u64::MAX`; a round holding such a project is rejected (`project_cost_overflow`).
    pub fn min_cost(&self) -> u64 {
        self.items
            .iter()
            .filter(|item| !item.optional)
            .fold(0u64, |sum, item| sum.saturating_add(item.amount))
    }

    /// The sum of all items: the most the project can use. Saturates at `u64::MAX`; a
    /// round holding such a project is rejected (`project_cost_overflow`).
    pub fn max_cost(&self) -> u64 {
        self.items
            .iter()
            .fold(0u64, |sum, item| sum.saturating_add(item.amount))
    }
}

/// What a ballot says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Voters pledge their equal allocation over projects ([`BudgetBallot::CoFund`]).
    CoFunding,
    /// Voters pick a basket whose minimum costs fit the pool and reach `min_spend`
    /// ([`BudgetBallot::Basket`]).
    Knapsack { min_spend: u64 },
    /// Voters approve between `min` and `max` projects, inclusive
    /// ([`BudgetBallot::Approve`]); `max: u32::MAX` puts no upper bound.
    Approval { min: u32, max: u32 },
}

/// How a round finds its winners. A co-funding round's winners are the projects its
/// pledges fund; it takes `Greedy`, which lists them by amount granted, largest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Projects by votes, most first, each funded if it still fits.
    Greedy,
    /// The method of equal shares, then `completion` with what it left.
    EqualShares { completion: Completion },
}

/// What the method of equal shares does with the money it leaves unspent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Nothing: the leftover stays in the pool.
    None,
    /// The greedy rule, over the projects not yet funded, with what is left.
    Greedy,
    /// add1 (equalshares.net): rerun with every voter's share one minor unit larger, as
    /// long as the outcome still fits the real pool and is not yet exhaustive, keep the
    /// last outcome that fits, then the greedy rule with what is left. Every increment
    /// recounts the round, so a round whose shares are many minor units can take up to
    /// [`ADD1_INCREMENTS_MAX`] recounts; add1 stops there and says so in the report.
    /// The sheet, payments and ties reported are those of the recount kept.
    Add1ThenGreedy,
}

/// A participatory budgeting round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    /// In minor units.
    pub pool: u64,
    pub model: Model,
    pub rule: Rule,
    pub projects: Vec<Project>,
}

/// One voter's ballot; projects are indexes into [`Round::projects`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BudgetBallot {
    /// Pledges `(project, amount in minor units)` from the voter's allocation. A member
    /// who does not vote still holds an allocation: count them with an empty ballot.
    CoFund(Vec<(usize, u64)>),
    Basket(Vec<usize>),
    Approve(Vec<usize>),
}

impl BudgetBallot {
    fn kind(&self) -> &'static str {
        match self {
            BudgetBallot::CoFund(_) => "co_fund",
            BudgetBallot::Basket(_) => "basket",
            BudgetBallot::Approve(_) => "approve",
        }
    }
}

/// Why a round or a ballot is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error("a round holds at most {PROJECTS_PER_ROUND_MAX} projects, this one has {n_projects}")]
    TooManyProjects { n_projects: usize },
    #[error("project {project} lists {n_items} items, more than {ITEMS_PER_PROJECT_MAX}")]
    TooManyItems { project: usize, n_items: usize },
    #[error("the name of project {project} is longer than {PROJECT_NAME_LEN_MAX} bytes")]
    ProjectNameTooLong { project: usize },
    #[error(
        "the label of item {item} of project {project} is longer than {ITEM_LABEL_LEN_MAX} bytes"
    )]
    ItemLabelTooLong { project: usize, item: usize },
    #[error("the items of project {project} add up to more than a u64 holds")]
    ProjectCostOverflow { project: usize },
    #[error("project {project} has no required cost; its minimum cost must be at least 1")]
    ProjectMinCostZero { project: usize },
    #[error("the minimum spend {min_spend} is larger than the pool {pool}")]
    MinSpendOverPool { min_spend: u64, pool: u64 },
    #[error("the approval bounds are inverted: at least {min} and at most {max}")]
    ApprovalBounds { min: u32, max: u32 },
    #[error("a co-funding round's winners are its funded projects; it takes the greedy rule")]
    RuleUnsupported,
    #[error("a round counts at most {BALLOTS_PER_ROUND_MAX} ballots, not {n_ballots}")]
    TooManyBallots { n_ballots: u128 },
    #[error("there is no project {project}")]
    UnknownProject { project: usize },
    #[error("project {project} appears more than once on the ballot")]
    DuplicateProject { project: usize },
    #[error("the basket costs {basket_cost} at minimum, more than the pool {pool}")]
    BasketOverBudget { basket_cost: u128, pool: u64 },
    #[error("the basket costs {basket_cost} at minimum, less than the minimum spend {min_spend}")]
    BasketUnderMinimum { basket_cost: u128, min_spend: u64 },
    #[error("the ballot approves {n_approved} projects, not between {min} and {max}")]
    ApprovalCount {
        n_approved: usize,
        min: u32,
        max: u32,
    },
    #[error("the ballot pledges {pledged}, more than the allocation {allocation}")]
    AllocationExceeded { pledged: u128, allocation: u64 },
    #[error("the ballot pledges {amount} to project {project}, more than its maximum {max_cost}")]
    ProjectOverMax {
        project: usize,
        amount: u64,
        max_cost: u64,
    },
    #[error("a {got} ballot in a round that takes {expected} ballots")]
    BallotKind {
        expected: &'static str,
        got: &'static str,
    },
    /// A ballot given to [`allocate`] failed [`validate`]; the code is the reason's code.
    #[error("ballot {ballot_index}: {reason}")]
    InvalidBallot {
        ballot_index: usize,
        reason: Box<BudgetError>,
    },
}

impl BudgetError {
    /// The stable, machine-readable code of this rejection. An
    /// [`InvalidBallot`](BudgetError::InvalidBallot) has the code of its reason.
    pub fn code(&self) -> &'static str {
        match self {
            BudgetError::TooManyProjects { .. } => "too_many_projects",
            BudgetError::TooManyItems { .. } => "too_many_items",
            BudgetError::ProjectNameTooLong { .. } => "project_name_too_long",
            BudgetError::ItemLabelTooLong { .. } => "item_label_too_long",
            BudgetError::ProjectCostOverflow { .. } => "project_cost_overflow",
            BudgetError::ProjectMinCostZero { .. } => "project_min_cost_zero",
            BudgetError::MinSpendOverPool { .. } => "min_spend_over_pool",
            BudgetError::ApprovalBounds { .. } => "approval_bounds",
            BudgetError::RuleUnsupported => "rule_unsupported",
            BudgetError::TooManyBallots { .. } => "too_many_ballots",
            BudgetError::UnknownProject { .. } => "unknown_project",
            BudgetError::DuplicateProject { .. } => "duplicate_project",
            BudgetError::BasketOverBudget { .. } => "basket_over_budget",
            BudgetError::BasketUnderMinimum { .. } => "basket_under_minimum",
            BudgetError::ApprovalCount { .. } => "approval_count",
            BudgetError::AllocationExceeded { .. } => "allocation_exceeded",
            BudgetError::ProjectOverMax { .. } => "project_over_max",
            BudgetError::BallotKind { .. } => "ballot_kind",
            BudgetError::InvalidBallot { reason, .. } => reason.code(),
        }
    }
}

/// Checks one ballot against the round (and the round itself) for an electorate of
/// `n_voters`, which sets a co-funding voter's allocation (`pool / n_voters`).
pub fn validate(round: &Round, n_voters: u64, ballot: &BudgetBallot) -> Result<(), BudgetError> {
    check_round(round)?;
    check_n_voters(u128::from(n_voters))?;
    check_ballot(round, n_voters, ballot)
}

/// Counts a round: checks the round and every ballot (failing on the first invalid one,
/// as [`BudgetError::InvalidBallot`]), then applies the round's rule. The electorate is
/// the ballots given. `seed` breaks ties between projects.
pub fn allocate(
    round: &Round,
    ballots: &[BudgetBallot],
    seed: [u8; 32],
) -> Result<BudgetOutcome, BudgetError> {
    check_round(round)?;
    check_n_voters(ballots.len() as u128)?;
    // Just checked to be at most BALLOTS_PER_ROUND_MAX.
    let n_voters = u64::try_from(ballots.len()).expect("the ballot count fits in u64");
    for (ballot_index, ballot) in ballots.iter().enumerate() {
        check_ballot(round, n_voters, ballot).map_err(|reason| BudgetError::InvalidBallot {
            ballot_index,
            reason: Box::new(reason),
        })?;
    }
    let lots = Lots::draw(&seed, round.projects.len());
    let outcome = match (round.model, round.rule) {
        (Model::CoFunding, _) => co_funding::count(round, ballots, &lots, seed),
        (_, Rule::Greedy) => greedy::count(round, &approvals(ballots), &lots, seed),
        (Model::Knapsack { .. }, Rule::EqualShares { completion }) => equal_shares::count(
            round,
            &approvals(ballots),
            equal_shares::Utilities::Cost,
            completion,
            &lots,
            seed,
        ),
        (Model::Approval { .. }, Rule::EqualShares { completion }) => equal_shares::count(
            round,
            &approvals(ballots),
            equal_shares::Utilities::Approval,
            completion,
            &lots,
            seed,
        ),
    };
    assert_eq!(
        outcome.total_spent.checked_add(outcome.leftover),
        Some(round.pool),
        "a count spends the pool or leaves it, never more"
    );
    Ok(outcome)
}

fn check_round(round: &Round) -> Result<(), BudgetError> {
    let n_projects = round.projects.len();
    if n_projects > PROJECTS_PER_ROUND_MAX {
        return Err(BudgetError::TooManyProjects { n_projects });
    }
    for (project_index, project) in round.projects.iter().enumerate() {
        if project.name.len() > PROJECT_NAME_LEN_MAX {
            return Err(BudgetError::ProjectNameTooLong {
                project: project_index,
            });
        }
        if project.items.len() > ITEMS_PER_PROJECT_MAX {
            return Err(BudgetError::TooManyItems {
                project: project_index,
                n_items: project.items.len(),
            });
        }
        if let Some(item) = project
            .items
            .iter()
            .position(|item| item.label.len() > ITEM_LABEL_LEN_MAX)
        {
            return Err(BudgetError::ItemLabelTooLong {
                project: project_index,
                item,
            });
        }
        let max_cost = project
            .items
            .iter()
            .try_fold(0u64, |sum, item| sum.checked_add(item.amount));
        if max_cost.is_none() {
            return Err(BudgetError::ProjectCostOverflow {
                project: project_index,
            });
        }
        if project.min_cost() == 0 {
            return Err(BudgetError::ProjectMinCostZero {
                project: project_index,
            });
        }
    }
    match (round.model, round.rule) {
        (Model::CoFunding, Rule::EqualShares { .. }) => Err(BudgetError::RuleUnsupported),
        (Model::Knapsack { min_spend }, _) if min_spend > round.pool => {
            Err(BudgetError::MinSpendOverPool {
                min_spend,
                pool: round.pool,
            })
        }
        (Model::Approval { min, max }, _) if min > max => {
            Err(BudgetError::ApprovalBounds { min, max })
        }
        _ => Ok(()),
    }
}

fn check_n_voters(n_ballots: u128) -> Result<(), BudgetError> {
    if n_ballots > u128::from(BALLOTS_PER_ROUND_MAX) {
        return Err(BudgetError::TooManyBallots { n_ballots });
    }
    Ok(())
}

fn check_ballot(round: &Round, n_voters: u64, ballot: &BudgetBallot) -> Result<(), BudgetError> {
    let expected = match round.model {
        Model::CoFunding => "co_fund",
        Model::Knapsack { .. } => "basket",
        Model::Approval { .. } => "approve",
    };
    if ballot.kind() != expected {
        return Err(BudgetError::BallotKind {
            expected,
            got: ballot.kind(),
        });
    }
    match ballot {
        BudgetBallot::CoFund(pledges) => {
            check_projects(round, pledges.iter().map(|&(project, _)| project))?;
            let mut pledged = 0u128;
            for &(project, amount) in pledges {
                let max_cost = round.projects[project].max_cost();
                if amount > max_cost {
                    return Err(BudgetError::ProjectOverMax {
                        project,
                        amount,
                        max_cost,
                    });
                }
                // At most PROJECTS_PER_ROUND_MAX pledges of u64: far inside u128.
                pledged += u128::from(amount);
            }
            let allocation = allocation_per_voter(round.pool, n_voters);
            if pledged > u128::from(allocation) {
                return Err(BudgetError::AllocationExceeded {
                    pledged,
                    allocation,
                });
            }
        }
        BudgetBallot::Basket(projects) => {
            check_projects(round, projects.iter().copied())?;
            let basket_cost: u128 = projects
                .iter()
                .map(|&project| u128::from(round.projects[project].min_cost()))
                .sum();
            if basket_cost > u128::from(round.pool) {
                return Err(BudgetError::BasketOverBudget {
                    basket_cost,
                    pool: round.pool,
                });
            }
            if let Model::Knapsack { min_spend } = round.model
                && basket_cost < u128::from(min_spend)
            {
                return Err(BudgetError::BasketUnderMinimum {
                    basket_cost,
                    min_spend,
                });
            }
        }
        BudgetBallot::Approve(projects) => {
            check_projects(round, projects.iter().copied())?;
            if let Model::Approval { min, max } = round.model {
                let n_approved = projects.len();
                // A u32 always fits in usize on the platforms we build for (32 bits and up).
                let within = |bound: u32| usize::try_from(bound).unwrap_or(usize::MAX);
                if n_approved < within(min) || n_approved > within(max) {
                    return Err(BudgetError::ApprovalCount {
                        n_approved,
                        min,
                        max,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Every project on a ballot exists and appears once.
fn check_projects(round: &Round, projects: impl Iterator<Item = usize>) -> Result<(), BudgetError> {
    let mut seen = vec![false; round.projects.len()];
    for project in projects {
        match seen.get_mut(project) {
            None => return Err(BudgetError::UnknownProject { project }),
            Some(true) => return Err(BudgetError::DuplicateProject { project }),
            Some(seen) => *seen = true,
        }
    }
    Ok(())
}

/// A co-funding voter's allocation: `pool / n_voters` rounded down, zero without voters.
fn allocation_per_voter(pool: u64, n_voters: u64) -> u64 {
    pool.checked_div(n_voters).unwrap_or(0)
}

/// Every ballot's projects, sorted, for the rules that only ask who supports what.
fn approvals(ballots: &[BudgetBallot]) -> Vec<Vec<usize>> {
    ballots
        .iter()
        .map(|ballot| {
            let mut projects = match ballot {
                BudgetBallot::CoFund(pledges) => pledges.iter().map(|&(p, _)| p).collect(),
                BudgetBallot::Basket(projects) | BudgetBallot::Approve(projects) => {
                    projects.clone()
                }
            };
            projects.sort_unstable();
            projects
        })
        .collect()
}

/// How many ballots support each project.
fn votes_per_project(n_projects: usize, approvals: &[Vec<usize>]) -> Vec<u64> {
    let mut votes = vec![0u64; n_projects];
    for projects in approvals {
        for &project in projects {
            votes[project] += 1;
        }
    }
    votes
}
