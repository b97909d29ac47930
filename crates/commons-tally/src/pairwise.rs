//! The pairwise preference matrix of Schulze and ranked pairs, its Condorcet winner and
//! its Smith set.
//!
//! A ranking's equal ranks prefer neither candidate; candidates it leaves unranked count
//! as ranked equal to each other and below every ranked candidate. The matrix is built in
//! one pass over the ballots, O(ranked × candidates) per ballot, with one reused buffer.

use crate::validate::for_each_valid;
use crate::{Ballot, Candidate, Method, Profile, TallyError};

/// `d[i][j]`: the weight of ballots preferring candidate i to candidate j.
pub(crate) struct Pairwise {
    pub(crate) n_candidates: usize,
    d: Vec<u64>,
    pub(crate) counted: u64,
    pub(crate) blank: u64,
}

impl Pairwise {
    pub(crate) fn from_profile(method: &Method, profile: &Profile) -> Result<Pairwise, TallyError> {
        let n = profile.candidates.len();
        let mut d = vec![0u64; n * n];
        let mut position = vec![u32::MAX; n];
        let mut counted: u64 = 0;
        let mut blank: u64 = 0;
        for_each_valid(method, profile, |weighted| {
            let Ballot::Ranking(ranking) = &weighted.ballot else {
                unreachable!("validation admits only rankings for pairwise methods")
            };
            let weight = weighted.weight;
            if weight == 0 {
                return;
            }
            // Neither sum can overflow: check_profile proved all weights sum into a u64,
            // and every entry of d is such a sum.
            if ranking.is_empty() {
                blank += weight;
                return;
            }
            counted += weight;
            for (level, rank) in ranking.iter().enumerate() {
                for &candidate in rank {
                    // Levels are below CANDIDATES_MAX, so they fit in a u32.
                    position[candidate] = level as u32;
                }
            }
            for rank in ranking {
                for &candidate in rank {
                    let above = position[candidate];
                    let row = &mut d[candidate * n..(candidate + 1) * n];
                    for (cell, &below) in row.iter_mut().zip(&position) {
                        *cell += weight * u64::from(above < below);
                    }
                }
            }
            for rank in ranking {
                for &candidate in rank {
                    position[candidate] = u32::MAX;
                }
            }
        })?;
        Ok(Pairwise {
            n_candidates: n,
            d,
            counted,
            blank,
        })
    }

    /// The weight of ballots preferring `i` to `j`.
    pub(crate) fn get(&self, i: Candidate, j: Candidate) -> u64 {
        self.d[i * self.n_candidates + j]
    }

    pub(crate) fn rows(&self) -> Vec<Vec<u64>> {
        self.d
            .chunks(self.n_candidates.max(1))
            .map(<[u64]>::to_vec)
            .collect()
    }

    /// The candidate preferred by more voters than prefer the other to it, against every
    /// other candidate, if there is one.
    pub(crate) fn condorcet_winner(&self) -> Option<Candidate> {
        let n = self.n_candidates;
        (0..n).find(|&i| (0..n).all(|j| i == j || self.get(i, j) > self.get(j, i)))
    }

    /// The Smith set: the smallest non-empty set of candidates that each beat every
    /// candidate outside it, sorted. It is the top cycle of the relation "ties or beats":
    /// the candidate with the most such relations is in it, and it holds exactly the
    /// candidates that reach that one through "ties or beats".
    pub(crate) fn smith_set(&self) -> Vec<Candidate> {
        let n = self.n_candidates;
        let ties_or_beats = |i: Candidate, j: Candidate| self.get(i, j) >= self.get(j, i);
        let Some(start) = (0..n).max_by_key(|&i| {
            let n_relations = (0..n).filter(|&j| j != i && ties_or_beats(i, j)).count();
            (n_relations, std::cmp::Reverse(i))
        }) else {
            return Vec::new();
        };
        let mut member = vec![false; n];
        member[start] = true;
        let mut queue = vec![start];
        while let Some(x) = queue.pop() {
            for (y, is_member) in member.iter_mut().enumerate() {
                if !*is_member && ties_or_beats(y, x) {
                    *is_member = true;
                    queue.push(y);
                }
            }
        }
        (0..n).filter(|&i| member[i]).collect()
    }
}
