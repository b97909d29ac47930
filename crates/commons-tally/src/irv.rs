//! Instant runoff: one winner.
//!
//! Each round counts every ballot for its highest-ranked continuing candidate. A
//! candidate with more than half of the ballots not exhausted wins, as does the last
//! continuing candidate; otherwise the candidate with the fewest votes is eliminated and
//! its ballots move to their next continuing candidate, or are exhausted. A tie for the
//! fewest is broken backwards (the fewest votes at the most recent earlier round at which
//! the tied candidates differed, narrowing to those with the fewest each time), then by
//! the lot, whose least favourite is eliminated. Equal ranks are refused; an empty
//! ranking is blank and counts for no one.
//!
//! Each distinct ranking is kept in the pile of its current candidate, so an elimination
//! touches only the eliminated candidate's ballots: the whole count is O(ballots ×
//! candidates) however many rounds it takes.

use crate::lot::{Prefer, TieBreaker};
use crate::ranking::StrictRankings;
use crate::{
    Candidate, CandidateTally, Method, Outcome, Profile, Round, TallyError, TiePurpose, Totals,
    Transfer,
};

pub(crate) fn count(profile: &Profile, seed: [u8; 32]) -> Result<Outcome, TallyError> {
    let n = profile.candidates.len();
    let ballots = StrictRankings::from_profile(&Method::Irv, profile)?;
    let mut tie_breaker = TieBreaker::new(seed, n);
    let mut continuing = vec![true; n];
    let mut n_continuing = n;
    let mut votes = vec![0u128; n];
    let mut piles: Vec<Vec<u32>> = vec![Vec::new(); n];
    // The index, within its ranking, of the candidate each distinct ballot counts for.
    let mut at = vec![0usize; ballots.len()];
    for group in 0..ballots.len() {
        let first = ballots.preferences(group)[0] as usize;
        // Distinct ballots are fewer than BALLOTS_MAX, so they fit in a u32.
        piles[first].push(group as u32);
        votes[first] += u128::from(ballots.weights[group]);
    }
    let mut exhausted: u128 = 0;
    let mut history: Vec<Vec<u128>> = Vec::new();
    let mut rounds: Vec<Round> = Vec::new();
    let mut moved = vec![0u128; n];
    let winner = loop {
        let round_number = rounds.len() as u32 + 1;
        let votes_at_start = votes.clone();
        let mut round = Round {
            round: round_number,
            tallies: tallies(&votes),
            elected: Vec::new(),
            eliminated: Vec::new(),
            surplus_of: None,
            transfers: Vec::new(),
            exhausted: exhausted.to_string(),
            lost_to_rounding: None,
            quota: None,
            iterations: None,
        };
        let active: u128 = (0..n).filter(|&c| continuing[c]).map(|c| votes[c]).sum();
        let leader = (0..n)
            .filter(|&c| continuing[c])
            .max_by_key(|&c| (votes[c], std::cmp::Reverse(c)))
            .expect("a candidate continues until one wins");
        if n_continuing == 1 || votes[leader] * 2 > active {
            round.elected.push(leader);
            rounds.push(round);
            break leader;
        }
        let standing: Vec<Candidate> = (0..n).filter(|&c| continuing[c]).collect();
        let (loser, _) = tie_breaker.pick(
            round_number,
            TiePurpose::Exclude,
            &standing,
            &votes,
            &history,
            Prefer::Fewest,
        );
        continuing[loser] = false;
        n_continuing -= 1;
        let mut to_exhausted: u128 = 0;
        for group in std::mem::take(&mut piles[loser]) {
            let group = group as usize;
            let preferences = ballots.preferences(group);
            let weight = u128::from(ballots.weights[group]);
            let next = (at[group] + 1..preferences.len())
                .find(|&index| continuing[preferences[index] as usize]);
            match next {
                Some(index) => {
                    at[group] = index;
                    let to = preferences[index] as usize;
                    piles[to].push(group as u32);
                    votes[to] += weight;
                    moved[to] += weight;
                }
                None => to_exhausted += weight,
            }
        }
        votes[loser] = 0;
        exhausted += to_exhausted;
        round.eliminated.push(loser);
        round.transfers = transfers(loser, &mut moved, to_exhausted, |v| v.to_string());
        history.push(votes_at_start);
        rounds.push(round);
    };
    let winners_before_tie_break = if tie_breaker.records.is_empty() {
        vec![winner]
    } else {
        Vec::new()
    };
    Ok(Outcome {
        method: "irv",
        winners: vec![winner],
        winners_before_tie_break,
        rounds,
        tie_breaks: tie_breaker.records,
        seed,
        ballots_counted: ballots.weight_total(),
        ballots_blank: ballots.blank,
        totals: Totals::Points,
    })
}

fn tallies(votes: &[u128]) -> Vec<CandidateTally> {
    votes
        .iter()
        .enumerate()
        .map(|(candidate, votes)| CandidateTally {
            candidate,
            votes: votes.to_string(),
            keep_value: None,
        })
        .collect()
}

/// The non-zero transfers from `from`, by recipient, then to exhausted; clears `moved`.
pub(crate) fn transfers(
    from: Candidate,
    moved: &mut [u128],
    to_exhausted: u128,
    show: impl Fn(u128) -> String,
) -> Vec<Transfer> {
    let mut transfers: Vec<Transfer> = moved
        .iter()
        .enumerate()
        .filter(|(_, votes)| **votes > 0)
        .map(|(to, votes)| Transfer {
            from,
            to: Some(to),
            votes: show(*votes),
        })
        .collect();
    if to_exhausted > 0 {
        transfers.push(Transfer {
            from,
            to: None,
            votes: show(to_exhausted),
        });
    }
    moved.fill(0);
    transfers
}
