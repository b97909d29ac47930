//! Spec tests of commons-tally: known elections with published or hand-verified results,
//! tie-breaks, error codes, the file formats and the laws every count obeys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod errors;
mod io;
mod laws;
mod methods;
mod stv;
mod ties;

use commons_tally::{Ballot, Method, Outcome, Profile, WeightedBallot, count};

/// The seed of every test that does not vary it.
pub const SEED: [u8; 32] = [7; 32];

/// A profile from names (`"A B C"`) and ballot lines `"weight: A>B=C>D"`.
pub fn ranked(names: &str, seats: u32, lines: &[&str]) -> Profile {
    let candidates: Vec<String> = names.split_whitespace().map(str::to_string).collect();
    let index = |name: &str| {
        candidates
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("unknown candidate {name}"))
    };
    let ballots = lines
        .iter()
        .map(|line| {
            let (weight, order) = line.split_once(':').expect("weight: ranking");
            let ranking = if order.trim().is_empty() {
                Vec::new()
            } else {
                order
                    .trim()
                    .split('>')
                    .map(|rank| rank.split('=').map(|name| index(name.trim())).collect())
                    .collect()
            };
            WeightedBallot {
                weight: weight.trim().parse().unwrap(),
                ballot: Ballot::Ranking(ranking),
            }
        })
        .collect();
    Profile {
        candidates,
        seats,
        ballots,
    }
}

/// Names of the winners.
pub fn names(profile: &Profile, candidates: &[usize]) -> Vec<String> {
    candidates
        .iter()
        .map(|c| profile.candidates[*c].clone())
        .collect()
}

/// Counts `profile` by `method` and checks the winners by name.
pub fn check(method: Method, profile: &Profile, expect_winners: &[&str]) -> Outcome {
    let outcome = count(&method, profile, SEED)
        .unwrap_or_else(|error| panic!("{} failed: {error}", method.name()));
    assert_eq!(
        names(profile, &outcome.winners),
        expect_winners,
        "winners of {}",
        method.name()
    );
    outcome
}
