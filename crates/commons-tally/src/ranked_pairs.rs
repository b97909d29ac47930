//! Tideman's ranked pairs (Tideman, "Independence of clones as a criterion for voting
//! rules", 1987).
//!
//! Every pair (i, j) that more voters prefer i to j than j to i is a victory of margin
//! `d[i][j] − d[j][i]`. Victories are taken from the largest margin down and each is
//! locked unless it would close a cycle with the ones locked before; the winner is the
//! candidate no locked pair beats.
//!
//! Pairs with equal margins are ordered by a tie-breaking ranking of the candidates drawn
//! by the seeded lot (Tideman's proposal): first by the lot position of the pair's
//! winner, favourite first, then by the lot position of its loser, least favourite first.
//! The lot is recorded once, as a [`TiePurpose::PairOrder`] tie-break among the
//! candidates of all tied pairs, and each such pair is marked `tied`. Should the locked
//! graph still have several unbeaten candidates (possible only through equal pairwise
//! counts), the lot picks among them.

use crate::lot::TieBreaker;
use crate::pairwise::Pairwise;
use crate::schulze::{levels, single_round};
use crate::{Candidate, LockedPair, Method, Outcome, Profile, TallyError, TiePurpose, Totals};

/// The most orders of equally strong pairs whose winners are enumerated for
/// [`Outcome::winners_before_tie_break`] (7!); with more, the Smith set is reported.
pub const ORDERINGS_MAX: u64 = 5_040;

pub(crate) fn count(profile: &Profile, seed: [u8; 32]) -> Result<Outcome, TallyError> {
    let pairwise = Pairwise::from_profile(&Method::RankedPairs, profile)?;
    let n = pairwise.n_candidates;
    let mut tie_breaker = TieBreaker::new(seed, n);
    let all: Vec<Candidate> = (0..n).collect();
    let mut lot_position = vec![0usize; n];
    for (position, candidate) in tie_breaker.lot_order(&all).into_iter().enumerate() {
        lot_position[candidate] = position;
    }

    let mut pairs: Vec<LockedPair> = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let (forward, backward) = (pairwise.get(i, j), pairwise.get(j, i));
            if forward > backward {
                pairs.push(LockedPair {
                    winner: i,
                    loser: j,
                    margin: forward - backward,
                    locked: false,
                    tied: false,
                });
            }
        }
    }
    pairs.sort_by(|a, b| {
        b.margin
            .cmp(&a.margin)
            .then(lot_position[a.winner].cmp(&lot_position[b.winner]))
            .then(lot_position[b.loser].cmp(&lot_position[a.loser]))
    });
    let groups = equal_margin_groups(&pairs);
    let mut tied_candidates: Vec<Candidate> = Vec::new();
    for group in &groups {
        if group.len() > 1 {
            for &index in group {
                pairs[index].tied = true;
                tied_candidates.push(pairs[index].winner);
                tied_candidates.push(pairs[index].loser);
            }
        }
    }
    tied_candidates.sort_unstable();
    tied_candidates.dedup();
    if !tied_candidates.is_empty() {
        tie_breaker.by_lot(None, TiePurpose::PairOrder, &tied_candidates);
    }

    let mut graph = LockedGraph::new(n);
    for pair in &mut pairs {
        pair.locked = graph.lock_unless_cycle(pair.winner, pair.loser);
    }
    // In a graph without cycles, a candidate reached from a remaining one is also beaten
    // directly by a remaining one, so direct edges give the same levels as paths.
    let ranking = levels(n, |i, j| graph.edge[i * n + j]);
    let sources = graph.sources();
    let winner = if sources.len() > 1 {
        tie_breaker.by_lot(None, TiePurpose::Winner, &sources)[0]
    } else {
        sources[0]
    };

    let winners_before_tie_break = if tied_candidates.is_empty() {
        sources
    } else {
        let n_orderings = groups.iter().fold(1u64, |product, group| {
            (1..=group.len() as u64).fold(product, u64::saturating_mul)
        });
        if n_orderings <= ORDERINGS_MAX {
            let mut winner_somewhere = vec![false; n];
            let pair_groups: Vec<Vec<(Candidate, Candidate)>> = groups
                .iter()
                .map(|group| {
                    group
                        .iter()
                        .map(|&i| (pairs[i].winner, pairs[i].loser))
                        .collect()
                })
                .collect();
            every_order(&pair_groups, LockedGraph::new(n), &mut winner_somewhere);
            (0..n).filter(|&c| winner_somewhere[c]).collect()
        } else {
            pairwise.smith_set()
        }
    };

    Ok(Outcome {
        method: "ranked-pairs",
        winners: vec![winner],
        winners_before_tie_break,
        rounds: vec![single_round(vec![winner], pairwise.blank)],
        tie_breaks: tie_breaker.records,
        seed,
        ballots_counted: pairwise.counted,
        ballots_blank: pairwise.blank,
        totals: Totals::RankedPairs {
            pairwise: pairwise.rows(),
            condorcet_winner: pairwise.condorcet_winner(),
            smith_set: pairwise.smith_set(),
            pairs,
            ranking,
        },
    })
}

/// Indexes of sorted `pairs`, grouped by equal margin.
fn equal_margin_groups(pairs: &[LockedPair]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, pair) in pairs.iter().enumerate() {
        match groups.last_mut() {
            Some(group) if pairs[group[0]].margin == pair.margin => group.push(index),
            _ => groups.push(vec![index]),
        }
    }
    groups
}

/// Locks `groups` in every order of each group's pairs, marking every unbeaten candidate
/// of every resulting graph.
fn every_order(groups: &[Vec<(Candidate, Candidate)>], graph: LockedGraph, winners: &mut [bool]) {
    let Some((group, rest)) = groups.split_first() else {
        for source in graph.sources() {
            winners[source] = true;
        }
        return;
    };
    let mut order = group.clone();
    let lock_in_order = |order: &[(Candidate, Candidate)], winners: &mut [bool]| {
        let mut graph = graph.clone();
        for &(winner, loser) in order {
            graph.lock_unless_cycle(winner, loser);
        }
        every_order(rest, graph, winners);
    };
    // Heap's algorithm: every permutation of the group, one swap apart.
    let n = order.len();
    let mut counters = vec![0usize; n];
    lock_in_order(&order, winners);
    let mut i = 1;
    while i < n {
        if counters[i] < i {
            let swap_with = if i % 2 == 0 { 0 } else { counters[i] };
            order.swap(swap_with, i);
            lock_in_order(&order, winners);
            counters[i] += 1;
            i = 1;
        } else {
            counters[i] = 0;
            i += 1;
        }
    }
}

/// The graph of locked pairs, as an adjacency matrix.
#[derive(Clone)]
struct LockedGraph {
    n: usize,
    edge: Vec<bool>,
}

impl LockedGraph {
    fn new(n: usize) -> LockedGraph {
        LockedGraph {
            n,
            edge: vec![false; n * n],
        }
    }

    /// Locks winner → loser unless loser already reaches winner; answers whether it did.
    fn lock_unless_cycle(&mut self, winner: Candidate, loser: Candidate) -> bool {
        if self.reaches(loser, winner) {
            return false;
        }
        self.edge[winner * self.n + loser] = true;
        true
    }

    /// Whether a path of locked pairs leads from `from` to `to` (a candidate does not
    /// reach itself by the empty path).
    fn reaches(&self, from: Candidate, to: Candidate) -> bool {
        let mut seen = vec![false; self.n];
        let mut stack = vec![from];
        while let Some(x) = stack.pop() {
            let row = &self.edge[x * self.n..(x + 1) * self.n];
            for (y, was_seen) in seen.iter_mut().enumerate() {
                if row[y] && !*was_seen {
                    if y == to {
                        return true;
                    }
                    *was_seen = true;
                    stack.push(y);
                }
            }
        }
        false
    }

    /// The candidates no locked pair beats.
    fn sources(&self) -> Vec<Candidate> {
        (0..self.n)
            .filter(|&j| (0..self.n).all(|i| !self.edge[i * self.n + j]))
            .collect()
    }
}
