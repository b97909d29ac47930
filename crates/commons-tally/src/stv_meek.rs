//! Meek's single transferable vote (Hill, Wichmann and Woodall, "Algorithm 123: Single
//! transferable vote by Meek's method", The Computer Journal 30(3), 1987), in fixed-point
//! integers with nine decimals as in New Zealand's Meek rules.
//!
//! Votes and keep values are integers counting units of 10^-9 ([`DECIMALS`]). Every
//! candidate has a keep value: 1 while hopeful, 0 once excluded, and for an elected
//! candidate the fraction of each vote reaching it that it keeps. As implemented:
//!
//! - **Distribution**: each ballot starts with weight 1 and visits its preferences in
//!   order; a candidate receives weight × keep value, **rounded up** to nine decimals,
//!   and the ballot continues with the exact remainder. What is left after the last
//!   preference is excess (shown as exhausted). Distribution therefore conserves every
//!   unit: the votes of all candidates plus the excess equal the valid votes exactly.
//! - **Quota**: the votes held by candidates (valid votes minus excess) divided by seats +
//!   1, **rounded down** to nine decimals, plus 10^-9.
//! - **Election**: hopeful candidates whose votes reach the quota are elected, most votes
//!   first (equal votes ordered backwards, then by lot).
//! - **Iteration**: each elected candidate's keep value becomes keep × quota ÷ votes,
//!   **rounded up** to nine decimals, and the ballots are distributed again, until a
//!   hopeful candidate reaches the quota, or the elected candidates' total surplus is at
//!   most [`SURPLUS_CONVERGED`] plus the rounding slack (10^-9 for every ballot and every
//!   elected candidate it reached: rounding shares up can hold that much above the quota
//!   however long one iterates), or no keep value changes, or [`ITERATIONS_MAX`]
//!   iterations have run. One such run is one round of the sheet.
//! - **Exclusion**: after a round that elected no one, the hopeful candidate with the
//!   fewest votes is excluded (ties backwards through earlier rounds, then by lot: the
//!   lot's least favourite) and its keep value becomes 0.
//! - **Last vacancies**: when the hopeful candidates are no more than the vacancies left,
//!   they are all elected.
//!
//! Rounding up keeps and shares errs towards the elected candidates holding slightly more
//! than the quota, never less, so a surplus never goes negative by rounding.

use crate::fixed::{decimal, div_ceil};
use crate::lot::{Prefer, TieBreaker};
use crate::ranking::StrictRankings;
use crate::{
    Candidate, CandidateTally, Method, Outcome, Profile, Round, TallyError, TiePurpose, Totals,
};

/// Decimal places of votes and keep values.
pub const DECIMALS: u32 = 9;
const SCALE: u128 = 1_000_000_000;
/// Iteration stops once the elected candidates' surpluses sum to at most this many units
/// (10^-6 votes).
pub const SURPLUS_CONVERGED: u128 = 1_000;
/// The most iterations in one round, a bound that convergence or a stationary keep value
/// reaches long before in practice.
pub const ITERATIONS_MAX: u32 = 10_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Hopeful,
    Elected,
    Excluded,
}

pub(crate) fn count(profile: &Profile, seed: [u8; 32]) -> Result<Outcome, TallyError> {
    let n = profile.candidates.len();
    let seats = profile.seats as usize;
    let ballots = StrictRankings::from_profile(&Method::StvMeek, profile)?;
    let valid_units = u128::from(ballots.weight_total()) * SCALE;

    let mut tie_breaker = TieBreaker::new(seed, n);
    let mut status = vec![Status::Hopeful; n];
    let mut keep = vec![SCALE; n];
    let mut votes = vec![0u128; n];
    let mut elected: Vec<Candidate> = Vec::new();
    let mut before_tie_break: Vec<Candidate> = Vec::new();
    let mut decided_by_tie = false;
    let mut history: Vec<Vec<u128>> = Vec::new();
    let mut rounds: Vec<Round> = Vec::new();
    let mut iterations_total: u64 = 0;
    let mut quota: u128;

    loop {
        let round_number = rounds.len() as u32 + 1;
        let mut iterations: u32 = 0;
        let excess = loop {
            iterations += 1;
            let (excess, rounding_slack) = distribute(&ballots, &keep, &mut votes);
            quota = (valid_units - excess) / (seats as u128 + 1) + 1;
            let reached = (0..n).any(|c| status[c] == Status::Hopeful && votes[c] >= quota);
            let surplus: u128 = elected
                .iter()
                .map(|&c| votes[c].saturating_sub(quota))
                .sum();
            if reached
                || surplus <= SURPLUS_CONVERGED + rounding_slack
                || iterations >= ITERATIONS_MAX
            {
                break excess;
            }
            let mut changed = false;
            for &candidate in &elected {
                if votes[candidate] == 0 {
                    continue;
                }
                let updated = div_ceil(keep[candidate] * quota, votes[candidate]).min(SCALE);
                changed |= updated != keep[candidate];
                keep[candidate] = updated;
            }
            if !changed {
                break excess;
            }
        };
        iterations_total += u64::from(iterations);
        let total: u128 = votes.iter().sum::<u128>() + excess;
        assert_eq!(
            total, valid_units,
            "round {round_number} does not conserve the votes"
        );

        let mut round = Round {
            round: round_number,
            tallies: (0..n)
                .map(|candidate| CandidateTally {
                    candidate,
                    votes: decimal(votes[candidate], DECIMALS),
                    keep_value: Some(decimal(keep[candidate], DECIMALS)),
                })
                .collect(),
            elected: Vec::new(),
            eliminated: Vec::new(),
            surplus_of: None,
            transfers: Vec::new(),
            exhausted: decimal(excess, DECIMALS),
            lost_to_rounding: None,
            quota: Some(decimal(quota, DECIMALS)),
            iterations: Some(iterations),
        };
        let reached: Vec<Candidate> = (0..n)
            .filter(|&c| status[c] == Status::Hopeful && votes[c] >= quota)
            .collect();
        let reached = tie_breaker.order_by_most_votes(round_number, &reached, &votes, &history);
        for &candidate in reached.iter().take(seats - elected.len()) {
            status[candidate] = Status::Elected;
            elected.push(candidate);
            round.elected.push(candidate);
            if !decided_by_tie {
                before_tie_break.push(candidate);
            }
        }
        let hopeful: Vec<Candidate> = (0..n).filter(|&c| status[c] == Status::Hopeful).collect();
        if elected.len() < seats && hopeful.len() <= seats - elected.len() {
            for candidate in
                tie_breaker.order_by_most_votes(round_number, &hopeful, &votes, &history)
            {
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
        if round.elected.is_empty() {
            let (loser, tie) = tie_breaker.pick(
                round_number,
                TiePurpose::Exclude,
                &hopeful,
                &votes,
                &history,
                Prefer::Fewest,
            );
            decided_by_tie |= tie;
            status[loser] = Status::Excluded;
            keep[loser] = 0;
            round.eliminated.push(loser);
        }
        history.push(votes.clone());
        rounds.push(round);
    }

    Ok(Outcome {
        method: "stv-meek",
        winners: elected,
        winners_before_tie_break: before_tie_break,
        rounds,
        tie_breaks: tie_breaker.records,
        seed,
        ballots_counted: ballots.weight_total(),
        ballots_blank: ballots.blank,
        totals: Totals::StvMeek {
            final_quota: decimal(quota, DECIMALS),
            valid_votes: decimal(valid_units, DECIMALS),
            decimals: DECIMALS,
            iterations: iterations_total,
        },
    })
}

/// Distributes every ballot by the keep values into `votes`; answers the excess and the
/// rounding slack: one unit per ballot for every elected candidate it reached, more than
/// rounding up can have added to the elected candidates' votes.
fn distribute(ballots: &StrictRankings, keep: &[u128], votes: &mut [u128]) -> (u128, u128) {
    votes.fill(0);
    let mut excess: u128 = 0;
    let mut rounding_slack: u128 = 0;
    for group in 0..ballots.len() {
        let weight = u128::from(ballots.weights[group]);
        let mut remainder = SCALE;
        for &candidate in ballots.preferences(group) {
            let keep_value = keep[candidate as usize];
            if keep_value == 0 {
                continue;
            }
            // Rounded up, and never above the remainder since keep values are at most 1.
            let share = div_ceil(remainder * keep_value, SCALE);
            votes[candidate as usize] += weight * share;
            if keep_value < SCALE {
                rounding_slack += weight;
            }
            remainder -= share;
            if remainder == 0 {
                break;
            }
        }
        excess += weight * remainder;
    }
    (excess, rounding_slack)
}
