//! Single transferable vote under the Scottish local government rules (Scottish Local
//! Government Elections Order 2007, SSI 2007/42, schedule 1), in fixed-point integers.
//!
//! Votes are counted in units of 10^-5 ([`DECIMALS`]). As implemented:
//!
//! - **Quota**: the valid (non-blank) ballots divided by seats + 1, fraction
//!   disregarded, plus 1 — an integer Droop quota.
//! - **Election**: at the start of every stage each continuing candidate whose votes reach
//!   the quota is elected, highest first (equal votes ordered backwards, then by lot).
//! - **Surplus** (weighted inclusive Gregory): the largest untransferred surplus is
//!   transferred first (equal surpluses: the most votes at the most recent earlier stage
//!   at which the candidates differed, then by lot). *Every* ballot paper the elected
//!   candidate holds moves to its next continuing preference at the value
//!   ⌊value when received × surplus ÷ total votes of the candidate⌋, truncated to five
//!   decimals as the rules prescribe; papers with no continuing preference are
//!   non-transferable (exhausted) at that value. The candidate keeps exactly the quota;
//!   what truncation did not pass on is recorded as lost to rounding.
//! - **Exclusion**: with no surplus left to transfer, the continuing candidate with the
//!   fewest votes is excluded (ties backwards, then by lot: the lot's least favourite) and
//!   all their papers move at the value at which they were received, in one stage.
//! - **Last vacancies**: when the continuing candidates are no more than the vacancies
//!   left, they are all elected.
//!
//! In every stage, the votes of all candidates plus exhausted plus lost to rounding equal
//! the valid votes exactly (asserted, and checked by a property test). Equal ranks are
//! refused; blank ballots are not valid votes.

use crate::fixed::decimal;
use crate::irv::transfers;
use crate::lot::{Prefer, TieBreaker};
use crate::ranking::StrictRankings;
use crate::{
    Candidate, CandidateTally, Method, Outcome, Profile, Round, TallyError, TiePurpose, Totals,
};

/// Decimal places of votes and transfer values.
pub const DECIMALS: u32 = 5;
const SCALE: u128 = 100_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Continuing,
    Elected,
    Excluded,
}

pub(crate) fn count(profile: &Profile, seed: [u8; 32]) -> Result<Outcome, TallyError> {
    let n = profile.candidates.len();
    let seats = profile.seats as usize;
    let ballots = StrictRankings::from_profile(&Method::StvScottish, profile)?;
    let valid = u128::from(ballots.weight_total());
    let quota = (valid / (seats as u128 + 1) + 1) * SCALE;
    let valid_units = valid * SCALE;

    let mut tie_breaker = TieBreaker::new(seed, n);
    let mut status = vec![Status::Continuing; n];
    let mut votes = vec![0u128; n];
    let mut piles: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut at = vec![0usize; ballots.len()];
    // The value of one paper of each distinct ballot, as received by its holder.
    let mut value = vec![SCALE; ballots.len()];
    for group in 0..ballots.len() {
        let first = ballots.preferences(group)[0] as usize;
        // Distinct ballots are fewer than BALLOTS_MAX, so they fit in a u32.
        piles[first].push(group as u32);
        votes[first] += u128::from(ballots.weights[group]) * SCALE;
    }
    let mut exhausted: u128 = 0;
    let mut lost: u128 = 0;
    let mut elected: Vec<Candidate> = Vec::new();
    let mut surplus_pending: Vec<Candidate> = Vec::new();
    let mut before_tie_break: Vec<Candidate> = Vec::new();
    let mut decided_by_tie = false;
    let mut history: Vec<Vec<u128>> = Vec::new();
    let mut rounds: Vec<Round> = Vec::new();
    let mut moved = vec![0u128; n];

    loop {
        let stage = rounds.len() as u32 + 1;
        let total: u128 = votes.iter().sum::<u128>() + exhausted + lost;
        assert_eq!(
            total, valid_units,
            "stage {stage} does not conserve the votes"
        );
        let votes_at_start = votes.clone();
        let mut round = Round {
            round: stage,
            tallies: votes
                .iter()
                .enumerate()
                .map(|(candidate, v)| CandidateTally {
                    candidate,
                    votes: decimal(*v, DECIMALS),
                    keep_value: None,
                })
                .collect(),
            elected: Vec::new(),
            eliminated: Vec::new(),
            surplus_of: None,
            transfers: Vec::new(),
            exhausted: decimal(exhausted, DECIMALS),
            lost_to_rounding: Some(decimal(lost, DECIMALS)),
            quota: Some(decimal(quota, DECIMALS)),
            iterations: None,
        };

        let reached: Vec<Candidate> = (0..n)
            .filter(|&c| status[c] == Status::Continuing && votes[c] >= quota)
            .collect();
        let reached = tie_breaker.order_by_most_votes(stage, &reached, &votes, &history);
        for &candidate in reached.iter().take(seats - elected.len()) {
            status[candidate] = Status::Elected;
            elected.push(candidate);
            round.elected.push(candidate);
            if !decided_by_tie {
                before_tie_break.push(candidate);
            }
            if votes[candidate] > quota {
                surplus_pending.push(candidate);
            }
        }
        let continuing: Vec<Candidate> = (0..n)
            .filter(|&c| status[c] == Status::Continuing)
            .collect();
        if elected.len() < seats && continuing.len() <= seats - elected.len() {
            let rest = tie_breaker.order_by_most_votes(stage, &continuing, &votes, &history);
            for candidate in rest {
                status[candidate] = Status::Elected;
                elected.push(candidate);
                round.elected.push(candidate);
                if !decided_by_tie {
                    before_tie_break.push(candidate);
                }
            }
        }
        if elected.len() == seats {
            rounds.push(round);
            break;
        }

        if !surplus_pending.is_empty() {
            let (from, tie) = tie_breaker.pick(
                stage,
                TiePurpose::SurplusOrder,
                &surplus_pending,
                &votes,
                &history,
                Prefer::Most,
            );
            decided_by_tie |= tie;
            surplus_pending.retain(|&c| c != from);
            let total_votes = votes[from];
            let surplus = total_votes - quota;
            let mut passed_on: u128 = 0;
            let mut to_exhausted: u128 = 0;
            for group in std::mem::take(&mut piles[from]) {
                let group = group as usize;
                // Truncation to five decimals: the rules disregard the remainder.
                value[group] = value[group] * surplus / total_votes;
                let paper_votes = u128::from(ballots.weights[group]) * value[group];
                passed_on += paper_votes;
                match move_on(&ballots, group, &mut at, &status) {
                    Some(to) => {
                        piles[to].push(group as u32);
                        votes[to] += paper_votes;
                        moved[to] += paper_votes;
                    }
                    None => to_exhausted += paper_votes,
                }
            }
            assert!(
                passed_on <= surplus,
                "truncated transfers exceed the surplus"
            );
            lost += surplus - passed_on;
            exhausted += to_exhausted;
            votes[from] = quota;
            round.surplus_of = Some(from);
            round.transfers = transfers(from, &mut moved, to_exhausted, |v| decimal(v, DECIMALS));
        } else {
            let (from, tie) = tie_breaker.pick(
                stage,
                TiePurpose::Exclude,
                &continuing,
                &votes,
                &history,
                Prefer::Fewest,
            );
            decided_by_tie |= tie;
            status[from] = Status::Excluded;
            let mut to_exhausted: u128 = 0;
            for group in std::mem::take(&mut piles[from]) {
                let group = group as usize;
                let paper_votes = u128::from(ballots.weights[group]) * value[group];
                match move_on(&ballots, group, &mut at, &status) {
                    Some(to) => {
                        piles[to].push(group as u32);
                        votes[to] += paper_votes;
                        moved[to] += paper_votes;
                    }
                    None => to_exhausted += paper_votes,
                }
            }
            exhausted += to_exhausted;
            votes[from] = 0;
            round.eliminated.push(from);
            round.transfers = transfers(from, &mut moved, to_exhausted, |v| decimal(v, DECIMALS));
        }
        history.push(votes_at_start);
        rounds.push(round);
    }

    Ok(Outcome {
        method: "stv-scottish",
        winners: elected,
        winners_before_tie_break: before_tie_break,
        rounds,
        tie_breaks: tie_breaker.records,
        seed,
        ballots_counted: ballots.weight_total(),
        ballots_blank: ballots.blank,
        totals: Totals::StvScottish {
            quota: decimal(quota, DECIMALS),
            valid_votes: decimal(valid_units, DECIMALS),
            decimals: DECIMALS,
        },
    })
}

/// Moves distinct ballot `group` to its next continuing preference, answering it, or
/// `None` if it has none left (it is exhausted).
fn move_on(
    ballots: &StrictRankings,
    group: usize,
    at: &mut [usize],
    status: &[Status],
) -> Option<Candidate> {
    let preferences = ballots.preferences(group);
    let index = (at[group] + 1..preferences.len())
        .find(|&index| status[preferences[index] as usize] == Status::Continuing)?;
    at[group] = index;
    Some(preferences[index] as usize)
}
