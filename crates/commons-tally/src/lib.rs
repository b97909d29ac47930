//! Exact vote counting for the governance of a commons, usable on its own.
//!
//! [`count`] takes a [`Method`], a [`Profile`] (candidates, seats and weighted ballots) and
//! a 32-byte seed, and returns an [`Outcome`]: the winners in order of election, the full
//! round-by-round sheet, every tie-break with the rule that settled it, and what else the
//! method shows (the pairwise matrix, the quota, the counts of a proposal).
//!
//! Counting is exact: votes are integers, and the fractional votes of STV are fixed-point
//! integers with the rounding each rule prescribes; no float is used, not even in output,
//! where fractional values are decimal strings made by integer arithmetic. The only source
//! of chance is the seed: a lot orders tied candidates by SHA-256(seed ‖ candidate index as
//! a 32-bit big-endian integer). There is no clock, no IO and no hash-map iteration, so a
//! count replays exactly from its profile and seed.
//!
//! [`validate`] checks one ballot against a method and a profile and names what is wrong
//! with a stable code ([`BallotError::code`]); [`count`] validates every ballot first.
//! [`io`] reads and writes the BLT format, CSV and JSON. [`budget`] shares a pool among
//! projects for participatory budgeting (co-funding, knapsack, approval; greedy or the
//! method of equal shares).
//!
//! | method | ballot | rule |
//! |---|---|---|
//! | `plurality` | [`Ballot::Choice`] or a ranking's first choice | most votes |
//! | `approval` | [`Ballot::Approval`] | most approvals |
//! | `score` | [`Ballot::Scores`] | highest total score |
//! | `dot` | [`Ballot::Scores`] | most dots |
//! | `borda`, `borda-truncated` | [`Ballot::Ranking`] | most points ([`Method::Borda`]) |
//! | `irv` | [`Ballot::Ranking`] | instant runoff ([`irv`]) |
//! | `schulze` | [`Ballot::Ranking`] | beatpath ([`schulze`]) |
//! | `ranked-pairs` | [`Ballot::Ranking`] | Tideman's ranked pairs ([`ranked_pairs`]) |
//! | `stv-scottish` | [`Ballot::Ranking`] | STV under the Scottish rules ([`stv_scottish`]) |
//! | `stv-meek` | [`Ballot::Ranking`] | Meek STV ([`stv_meek`]) |
//! | `consent` | [`Ballot::Consent`] | passes iff no open objection |
//! | `proposal` | [`Ballot::Proposal`] | passes iff no block and more yes than no |
//! | `time` | [`Ballot::Availability`] | most yes, then most if-need-be |

pub mod budget;
mod decision;
mod error;
mod fixed;
pub mod io;
pub mod irv;
mod lot;
mod outcome;
mod pairwise;
pub mod ranked_pairs;
mod ranking;
pub mod schulze;
pub mod stv_meek;
pub mod stv_scottish;
mod totals;
mod validate;

use serde::{Deserialize, Serialize};

pub use error::{BallotError, TallyError};
pub use fixed::parse_decimal;
pub use outcome::{
    CandidateTally, LockedPair, Outcome, Round, TieBreak, TiePurpose, TieRule, Totals, Transfer,
};
pub use validate::validate;

/// The most candidates a profile may have: pairwise methods keep a candidates² matrix and
/// Schulze's strongest paths cost candidates³.
pub const CANDIDATES_MAX: usize = 1_000;

/// The most ballots (before grouping identical ones) a profile may hold.
pub const BALLOTS_MAX: usize = 50_000_000;

/// A candidate, as an index into [`Profile::candidates`]. For a time poll a candidate is a
/// time slot; proposals and consent decisions have no candidates.
pub type Candidate = usize;

/// A way of counting, with the parameters that bound its ballots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum Method {
    /// One choice per ballot; the most votes win. A ranking counts for its first choice.
    Plurality,
    /// Each ballot approves between `min` and `max` candidates; the most approvals win.
    Approval { min: u32, max: u32 },
    /// Each ballot scores candidates in `[min, max]`; a candidate the ballot leaves out
    /// gets `min`. The highest total wins.
    Score { min: u32, max: u32 },
    /// Cumulative voting: a ballot spreads at most `budget` dots over the candidates.
    Dot { budget: u32 },
    /// Classic Borda: from each ballot a candidate gets one point for every candidate it is
    /// ranked strictly above, where candidates left unranked count as ranked below every
    /// ranked one and equal to each other (so they get nothing). A full ranking of n
    /// candidates gives n-1, …, 1, 0; candidates ranked equal share nothing between them.
    Borda,
    /// Truncated Borda: a ballot ranking k candidates gives k-1, …, 0: one point for every
    /// *ranked* candidate ranked strictly below; unranked candidates give and get nothing.
    BordaTruncated,
    /// Instant runoff ([`irv`]), one winner.
    Irv,
    /// Schulze's beatpath method ([`schulze`]), one winner.
    Schulze,
    /// Tideman's ranked pairs ([`ranked_pairs`]), one winner.
    RankedPairs,
    /// Single transferable vote under the Scottish rules ([`stv_scottish`]).
    StvScottish,
    /// Meek's single transferable vote ([`stv_meek`]).
    StvMeek,
    /// Consent: the proposal passes iff no objection is left open.
    Consent,
    /// A proposal: passes iff nobody blocks and there are more yes than no; abstentions
    /// count for neither.
    Proposal,
    /// A time poll: candidates are time slots, ranked by yes, then by if-need-be.
    Time,
}

/// Optional parameters for [`Method::from_name`]; what is left out takes the default
/// documented on each field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MethodParameters {
    /// Approval: fewest approvals per ballot (default 0). Score: lowest score (default 0).
    pub min: Option<u32>,
    /// Approval: most approvals per ballot (default unbounded). Score: highest score
    /// (default 5).
    pub max: Option<u32>,
    /// Dot: dots per ballot (default 10).
    pub budget: Option<u32>,
}

/// The highest score of [`Method::Score`] when none is given.
pub const SCORE_MAX_DEFAULT: u32 = 5;
/// The dots per ballot of [`Method::Dot`] when none is given.
pub const DOT_BUDGET_DEFAULT: u32 = 10;

/// Every method name [`Method::from_name`] accepts, in the order of [`Method`].
pub const METHOD_NAMES: [&str; 14] = [
    "plurality",
    "approval",
    "score",
    "dot",
    "borda",
    "borda-truncated",
    "irv",
    "schulze",
    "ranked-pairs",
    "stv-scottish",
    "stv-meek",
    "consent",
    "proposal",
    "time",
];

impl Method {
    /// The stable name of the method, as [`Method::from_name`] reads it.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Plurality => "plurality",
            Method::Approval { .. } => "approval",
            Method::Score { .. } => "score",
            Method::Dot { .. } => "dot",
            Method::Borda => "borda",
            Method::BordaTruncated => "borda-truncated",
            Method::Irv => "irv",
            Method::Schulze => "schulze",
            Method::RankedPairs => "ranked-pairs",
            Method::StvScottish => "stv-scottish",
            Method::StvMeek => "stv-meek",
            Method::Consent => "consent",
            Method::Proposal => "proposal",
            Method::Time => "time",
        }
    }

    /// The method called `name`, with `parameters` where it takes any. Parameters a
    /// method does not take are refused rather than ignored.
    pub fn from_name(name: &str, parameters: MethodParameters) -> Result<Method, TallyError> {
        let unused = |given: &[(&'static str, Option<u32>)]| -> Result<(), TallyError> {
            match given.iter().find(|(_, value)| value.is_some()) {
                Some((parameter, _)) => Err(TallyError::MethodParameters {
                    message: format!("{name} takes no {parameter}"),
                }),
                None => Ok(()),
            }
        };
        let method = match name {
            "approval" => {
                unused(&[("budget", parameters.budget)])?;
                Method::Approval {
                    min: parameters.min.unwrap_or(0),
                    max: parameters.max.unwrap_or(u32::MAX),
                }
            }
            "score" => {
                unused(&[("budget", parameters.budget)])?;
                Method::Score {
                    min: parameters.min.unwrap_or(0),
                    max: parameters.max.unwrap_or(SCORE_MAX_DEFAULT),
                }
            }
            "dot" => {
                unused(&[("min", parameters.min), ("max", parameters.max)])?;
                Method::Dot {
                    budget: parameters.budget.unwrap_or(DOT_BUDGET_DEFAULT),
                }
            }
            _ => {
                let method = match name {
                    "plurality" => Method::Plurality,
                    "borda" => Method::Borda,
                    "borda-truncated" => Method::BordaTruncated,
                    "irv" => Method::Irv,
                    "schulze" => Method::Schulze,
                    "ranked-pairs" => Method::RankedPairs,
                    "stv-scottish" => Method::StvScottish,
                    "stv-meek" => Method::StvMeek,
                    "consent" => Method::Consent,
                    "proposal" => Method::Proposal,
                    "time" => Method::Time,
                    _ => {
                        return Err(TallyError::UnknownMethod {
                            name: name.to_string(),
                        });
                    }
                };
                unused(&[
                    ("min", parameters.min),
                    ("max", parameters.max),
                    ("budget", parameters.budget),
                ])?;
                method
            }
        };
        method.check_parameters()?;
        Ok(method)
    }

    /// Refuses bounds that no ballot could meet.
    fn check_parameters(&self) -> Result<(), TallyError> {
        match *self {
            Method::Approval { min, max } | Method::Score { min, max } if min > max => {
                Err(TallyError::MethodParameters {
                    message: format!("min {min} is above max {max}"),
                })
            }
            _ => Ok(()),
        }
    }

    /// How many seats the method can fill: `None` for any number up to the candidates.
    fn seats_fixed(&self) -> Option<u32> {
        match self {
            Method::Plurality
            | Method::Approval { .. }
            | Method::Score { .. }
            | Method::Dot { .. }
            | Method::Borda
            | Method::BordaTruncated
            | Method::StvScottish
            | Method::StvMeek
            | Method::Time => None,
            Method::Irv | Method::Schulze | Method::RankedPairs => Some(1),
            Method::Consent | Method::Proposal => Some(1),
        }
    }

    /// Whether the method decides on a proposal rather than electing candidates.
    fn is_decision(&self) -> bool {
        matches!(self, Method::Consent | Method::Proposal)
    }
}

/// One ballot. Which kinds a method reads is in the table of the crate documentation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ballot {
    /// A single choice.
    Choice(Candidate),
    /// The candidates approved.
    Approval(Vec<Candidate>),
    /// A score (or a number of dots) per candidate.
    Scores(Vec<(Candidate, u32)>),
    /// A preference order, most preferred first; each inner vector is one rank, and more
    /// than one candidate in a rank ranks them equal. Schulze, ranked pairs and Borda
    /// accept equal ranks; plurality accepts them below the first rank; IRV and STV
    /// refuse them (`ranking_tie`). An empty ranking is a blank ballot.
    Ranking(Vec<Vec<Candidate>>),
    /// A stance on a proposal.
    Proposal(Stance),
    /// A consent or an objection.
    Consent(ConsentStance),
    /// Availability per time slot; a slot left out counts as [`Availability::No`].
    Availability(Vec<(Candidate, Availability)>),
}

/// A stance on a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Yes,
    No,
    Abstain,
    Block,
}

/// A stance in a consent decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStance {
    Consent,
    /// An objection; a resolved one no longer stops the proposal.
    Object {
        resolved: bool,
    },
}

/// Availability for one time slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Yes,
    IfNeedBe,
    No,
}

/// A ballot with a weight: how many identical ballots it stands for, or the weight a
/// delegation gave it. A weight of zero counts for nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WeightedBallot {
    pub weight: u64,
    pub ballot: Ballot,
}

/// What is counted: the candidates, the number of seats and the ballots.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Profile {
    pub candidates: Vec<String>,
    pub seats: u32,
    pub ballots: Vec<WeightedBallot>,
}

/// Counts `profile` by `method`, breaking any tie that is left by a lot drawn from `seed`.
///
/// Every ballot is validated first; the first invalid one fails the whole count
/// ([`TallyError::InvalidBallot`] names its index), because a count must never silently
/// drop a vote. The sum of all weights must fit in a `u64`.
pub fn count(method: &Method, profile: &Profile, seed: [u8; 32]) -> Result<Outcome, TallyError> {
    method.check_parameters()?;
    check_profile(method, profile)?;
    let mut outcome = match method {
        Method::Plurality
        | Method::Approval { .. }
        | Method::Score { .. }
        | Method::Dot { .. }
        | Method::Borda
        | Method::BordaTruncated
        | Method::Time => totals::count(method, profile, seed)?,
        Method::Irv => irv::count(profile, seed)?,
        Method::Schulze => schulze::count(profile, seed)?,
        Method::RankedPairs => ranked_pairs::count(profile, seed)?,
        Method::StvScottish => stv_scottish::count(profile, seed)?,
        Method::StvMeek => stv_meek::count(profile, seed)?,
        Method::Consent | Method::Proposal => decision::count(method, profile, seed)?,
    };
    outcome.method = method.name();
    outcome.seed = seed;
    Ok(outcome)
}

/// Checks what does not depend on single ballots: the numbers of candidates, seats and
/// ballots and that the weights sum without overflow.
fn check_profile(method: &Method, profile: &Profile) -> Result<(), TallyError> {
    let n_candidates = profile.candidates.len();
    if n_candidates > CANDIDATES_MAX {
        return Err(TallyError::TooManyCandidates {
            n_candidates,
            max: CANDIDATES_MAX,
        });
    }
    if profile.ballots.len() > BALLOTS_MAX {
        return Err(TallyError::TooManyBallots {
            n_ballots: profile.ballots.len(),
            max: BALLOTS_MAX,
        });
    }
    if !method.is_decision() && n_candidates == 0 {
        return Err(TallyError::NoCandidates);
    }
    match method.seats_fixed() {
        Some(seats) if profile.seats != seats => {
            return Err(TallyError::SeatsUnsupported {
                method: method.name(),
                seats: profile.seats,
            });
        }
        Some(_) => {}
        None => {
            if profile.seats == 0 || profile.seats as usize > n_candidates {
                return Err(TallyError::SeatsOutOfRange {
                    seats: profile.seats,
                    n_candidates,
                });
            }
        }
    }
    let mut weight_total: u64 = 0;
    for ballot in &profile.ballots {
        weight_total = weight_total
            .checked_add(ballot.weight)
            .ok_or(TallyError::WeightOverflow)?;
    }
    Ok(())
}
