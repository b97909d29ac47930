//! What a budgeting round decided and the sheet that shows how, detailed enough that
//! anyone can recount it by hand.

use serde::{Serialize, Serializer};

use super::lot::hex;
use super::ratio::Ratio;

/// The result of [`allocate`](super::allocate).
///
/// Money is in the pool's minor units. `total_spent + leftover == pool` always.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetOutcome {
    pub pool: u64,
    pub n_voters: u64,
    /// The funded projects in the order they were funded (for co-funding: by amount
    /// granted, largest first).
    pub funded: Vec<Grant>,
    pub total_spent: u64,
    /// What the round did not spend: `pool - total_spent`.
    pub leftover: u64,
    /// The sheet: one line per project considered, in the order the rule considered them.
    pub steps: Vec<Step>,
    /// Every tie the seed's lots broke, in the order they were broken.
    pub tie_breaks: Vec<TieBreak>,
    /// Allocations and returned funds, for a co-funding round.
    pub co_funding: Option<CoFundingReport>,
    /// Voters' shares and payments, for the method of equal shares.
    pub equal_shares: Option<EqualSharesReport>,
    #[serde(serialize_with = "serialize_hex")]
    pub seed: [u8; 32],
}

/// One funded project and what it was granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub project: usize,
    pub name: String,
    pub amount: u64,
    /// The part of the count that funded it.
    pub stage: Stage,
}

/// The part of a count a step, grant or tie belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    CoFunding,
    Greedy,
    EqualShares,
    /// The greedy pass over what the method of equal shares left unspent.
    Completion,
}

/// One line of the sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// A co-funding project's pledges and what became of them (one line per project, in
    /// project order).
    CoFunding {
        project: usize,
        n_backers: u64,
        pledged: u64,
        granted: u64,
        returned_unfunded: u64,
        returned_above_max: u64,
        funded: bool,
    },
    /// The greedy rule considered `project` with `remaining_before` left in the pool.
    Greedy {
        stage: Stage,
        project: usize,
        votes: u64,
        cost: u64,
        remaining_before: u64,
        funded: bool,
    },
    /// The method of equal shares funded `project` at price `rho`.
    EqualShares {
        project: usize,
        cost: u64,
        /// The price per unit of utility that the step minimised: for approval utilities
        /// it equals `payment_cap`; for cost utilities (knapsack) it is
        /// `payment_cap / cost`, the share of the cost each full payer carries.
        rho: Ratio,
        /// The most any supporter paid, in minor units: supporters with less left paid
        /// all they had, the others paid this (rounded to whole 1/n units, see
        /// [`EqualSharesReport`]).
        payment_cap: Ratio,
        /// Every supporter's payment in minor units, by ballot index.
        payments: Vec<Payment>,
    },
}

/// What one voter paid towards one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub ballot_index: usize,
    pub amount: Ratio,
}

/// A tie among projects that the seed's lots broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TieBreak {
    pub stage: Stage,
    /// The tied projects, by index.
    pub tied: Vec<usize>,
    /// The tied projects in the order their lots put them; the first went first.
    pub order: Vec<usize>,
    /// The lots of `order`, hex `SHA-256(seed || index as u32 big-endian)`.
    pub lots: Vec<String>,
}

/// How a co-funding round's pool was shared out and what came back.
///
/// `total_spent + returned_total + unpledged + allocation_remainder == pool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoFundingReport {
    /// `pool / n_voters`, rounded down (zero without voters).
    pub allocation_per_voter: u64,
    /// What the equal allocations could not share out: `pool - allocation_per_voter *
    /// n_voters`, kept in the pool.
    pub allocation_remainder: u64,
    /// Allocations that voters did not pledge, kept in the pool.
    pub unpledged: u64,
    /// Pledges returned to the pool, by project.
    pub returned: Vec<Returned>,
    pub returned_total: u64,
}

/// Pledges returned to the pool from one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Returned {
    pub project: usize,
    pub amount: u64,
    pub reason: ReturnReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    /// The project's pledges did not reach its minimum cost; all of them come back.
    Unfunded,
    /// The project's pledges went past its maximum cost; the excess comes back.
    AboveMax,
}

/// Voters' shares and payments under the method of equal shares.
///
/// Payments are charged in whole units of `1/n_voters` minor unit, the unit in which
/// every voter's share `pool / n_voters` is exact, so no share is rounded. When the price
/// cap of a step is not a whole number of these units, the supporters paying the cap pay
/// its floor or its ceiling, the ceilings going to those with most left (then to the
/// ballot whose sorted projects come first, then to the lower ballot index), so the
/// project's cost is paid exactly and no one pays more than they have. Ballots with the
/// same projects and the same money left are interchangeable, so which of them takes a
/// ceiling changes no outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EqualSharesReport {
    /// Every voter's share in minor units: `pool / n_voters`, plus one minor unit per
    /// add1 increment (zero without voters).
    pub voter_share: Ratio,
    /// What each voter paid in total, by ballot index, in minor units.
    pub paid_per_voter: Vec<Ratio>,
    /// How many times add1 raised every share by one minor unit (zero without add1).
    pub add1_increments: u64,
    /// Whether add1 stopped at `ADD1_INCREMENTS_MAX` rather than on its own rule.
    pub add1_limit_reached: bool,
}

fn serialize_hex<S: Serializer>(seed: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hex(seed))
}

/// The parts of an outcome a rule fills in as it goes.
#[derive(Default)]
pub(crate) struct Sheet {
    pub(crate) funded: Vec<Grant>,
    pub(crate) steps: Vec<Step>,
    pub(crate) tie_breaks: Vec<TieBreak>,
}

impl Sheet {
    pub(crate) fn total_spent(&self) -> u64 {
        // Every rule checks a grant against what is left of the pool before making it,
        // so the grants add up to at most the pool.
        self.funded
            .iter()
            .try_fold(0u64, |sum, grant| sum.checked_add(grant.amount))
            .expect("grants never add up past the pool")
    }

    pub(crate) fn into_outcome(
        self,
        pool: u64,
        n_voters: u64,
        co_funding: Option<CoFundingReport>,
        equal_shares: Option<EqualSharesReport>,
        seed: [u8; 32],
    ) -> BudgetOutcome {
        let total_spent = self.total_spent();
        let leftover = pool
            .checked_sub(total_spent)
            .expect("grants never add up past the pool");
        BudgetOutcome {
            pool,
            n_voters,
            funded: self.funded,
            total_spent,
            leftover,
            steps: self.steps,
            tie_breaks: self.tie_breaks,
            co_funding,
            equal_shares,
            seed,
        }
    }
}
