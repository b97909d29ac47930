//! Schulze's beatpath method (Schulze, "A new monotonic, clone-independent, reversal
//! symmetric, and Condorcet-consistent single-winner election method", 2011).
//!
//! The strength of the link from i to j is `d[i][j]` (winning votes) when more voters
//! prefer i to j than j to i, and zero otherwise; the strength of a path is its weakest
//! link, and `strongest_paths[i][j]` the strongest path from i to j, found by
//! Floyd–Warshall. i ranks above j iff `strongest_paths[i][j] > strongest_paths[j][i]`,
//! an order that is transitive, so its top rank is never empty; the candidates in it are
//! the potential winners and, if there are several, the lot picks one.
//!
//! For complete rankings without equal ranks, winning votes and margins give the same
//! strongest-path comparisons, since the margin is 2·d − n.

use crate::lot::TieBreaker;
use crate::pairwise::Pairwise;
use crate::{Candidate, Method, Outcome, Profile, Round, TallyError, TiePurpose, Totals};

pub(crate) fn count(profile: &Profile, seed: [u8; 32]) -> Result<Outcome, TallyError> {
    let pairwise = Pairwise::from_profile(&Method::Schulze, profile)?;
    let n = pairwise.n_candidates;
    let paths = strongest_paths(&pairwise);
    let path = |i: Candidate, j: Candidate| paths[i * n + j];
    let ranking = levels(n, |i, j| path(i, j) > path(j, i));

    let mut tie_breaker = TieBreaker::new(seed, n);
    let potential = ranking.first().cloned().unwrap_or_default();
    let winner = if potential.len() > 1 {
        tie_breaker.by_lot(None, TiePurpose::Winner, &potential)[0]
    } else {
        potential[0]
    };
    Ok(Outcome {
        method: "schulze",
        winners: vec![winner],
        winners_before_tie_break: potential,
        rounds: vec![single_round(vec![winner], pairwise.blank)],
        tie_breaks: tie_breaker.records,
        seed,
        ballots_counted: pairwise.counted,
        ballots_blank: pairwise.blank,
        totals: Totals::Schulze {
            pairwise: pairwise.rows(),
            strongest_paths: paths.chunks(n).map(<[u64]>::to_vec).collect(),
            condorcet_winner: pairwise.condorcet_winner(),
            smith_set: pairwise.smith_set(),
            ranking,
        },
    })
}

/// Strongest path strengths, row-major.
fn strongest_paths(pairwise: &Pairwise) -> Vec<u64> {
    let n = pairwise.n_candidates;
    let mut p = vec![0u64; n * n];
    for i in 0..n {
        for j in 0..n {
            let (forward, backward) = (pairwise.get(i, j), pairwise.get(j, i));
            if i != j && forward > backward {
                p[i * n + j] = forward;
            }
        }
    }
    for k in 0..n {
        for i in 0..n {
            let through = p[i * n + k];
            if i == k || through == 0 {
                continue;
            }
            for j in 0..n {
                if j == i || j == k {
                    continue;
                }
                let candidate = through.min(p[k * n + j]);
                if candidate > p[i * n + j] {
                    p[i * n + j] = candidate;
                }
            }
        }
    }
    p
}

/// The levels of a strict partial order `above`: its maximal candidates, then the
/// maximal ones of the rest, and so on. Each level is sorted by candidate.
pub(crate) fn levels(
    n: usize,
    above: impl Fn(Candidate, Candidate) -> bool,
) -> Vec<Vec<Candidate>> {
    let mut remaining: Vec<Candidate> = (0..n).collect();
    let mut levels = Vec::new();
    while !remaining.is_empty() {
        let top: Vec<Candidate> = remaining
            .iter()
            .copied()
            .filter(|&i| !remaining.iter().any(|&j| above(j, i)))
            .collect();
        assert!(!top.is_empty(), "the order has a cycle");
        remaining.retain(|c| !top.contains(c));
        levels.push(top);
    }
    levels
}

/// The one round of a method without rounds: who was elected, and the blank ballots.
pub(crate) fn single_round(elected: Vec<Candidate>, blank: u64) -> Round {
    Round {
        round: 1,
        tallies: Vec::new(),
        elected,
        eliminated: Vec::new(),
        surplus_of: None,
        transfers: Vec::new(),
        exhausted: blank.to_string(),
        lost_to_rounding: None,
        quota: None,
        iterations: None,
    }
}
