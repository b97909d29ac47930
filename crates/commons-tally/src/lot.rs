//! Tie-breaking: backwards through earlier rounds, then by a lot drawn from the seed.
//!
//! The lot gives every candidate the key SHA-256(seed ‖ candidate index as a 32-bit
//! big-endian integer) and orders tied candidates by ascending key: the first is the
//! lot's favourite (elected, placed higher, transferred first), the last is the one the
//! lot excludes. Keys of distinct candidates collide with negligible probability; the
//! index breaks even that tie, so the order is total and replays from the seed.

use sha2::{Digest, Sha256};

use crate::fixed::hex;
use crate::{Candidate, TieBreak, TiePurpose, TieRule};

/// Whether a backwards tie-break looks for the fewest or the most votes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prefer {
    Fewest,
    Most,
}

/// Breaks ties and records every step.
pub(crate) struct TieBreaker {
    keys: Vec<[u8; 32]>,
    pub(crate) records: Vec<TieBreak>,
}

impl TieBreaker {
    pub(crate) fn new(seed: [u8; 32], n_candidates: usize) -> TieBreaker {
        let keys = (0..n_candidates)
            .map(|candidate| {
                let index = u32::try_from(candidate)
                    .expect("candidates are bounded by CANDIDATES_MAX, far below 2^32");
                let mut hasher = Sha256::new();
                hasher.update(seed);
                hasher.update(index.to_be_bytes());
                hasher.finalize().into()
            })
            .collect();
        TieBreaker {
            keys,
            records: Vec::new(),
        }
    }

    /// `candidates` in lot order, the favourite first; records nothing.
    pub(crate) fn lot_order(&self, candidates: &[Candidate]) -> Vec<Candidate> {
        let mut order = candidates.to_vec();
        order.sort_unstable_by(|a, b| self.keys[*a].cmp(&self.keys[*b]).then(a.cmp(b)));
        order
    }

    /// Orders `tied` by lot and records it; answers the lot order, favourite first. The
    /// chosen candidate is the last for [`TiePurpose::Exclude`], none for
    /// [`TiePurpose::PairOrder`] (an order, not a choice), otherwise the first.
    pub(crate) fn by_lot(
        &mut self,
        round: Option<u32>,
        purpose: TiePurpose,
        tied: &[Candidate],
    ) -> Vec<Candidate> {
        let order = self.lot_order(tied);
        let chosen = match purpose {
            TiePurpose::Exclude => order.last().copied(),
            TiePurpose::PairOrder => None,
            _ => order.first().copied(),
        };
        self.records.push(TieBreak {
            round,
            purpose,
            among: sorted(tied),
            rule: TieRule::Lot,
            looked_at_round: None,
            result: order.clone(),
            lot_keys: order.iter().map(|c| hex(&self.keys[*c])).collect(),
            chosen,
        });
        order
    }

    /// Picks one of `tied` (at least two candidates): by `history`, the tallies at the
    /// start of every earlier round, from the most recent back, narrowing to the
    /// candidates with the fewest (or most) votes at each round where they differ; then
    /// by lot among those still tied.
    pub(crate) fn backwards_then_lot(
        &mut self,
        round: u32,
        purpose: TiePurpose,
        tied: &[Candidate],
        history: &[Vec<u128>],
        prefer: Prefer,
    ) -> Candidate {
        assert!(tied.len() >= 2, "a tie needs two candidates");
        let mut left = sorted(tied);
        for (index, tallies) in history.iter().enumerate().rev() {
            let values = left.iter().map(|c| tallies[*c]);
            let best = match prefer {
                Prefer::Fewest => values.min(),
                Prefer::Most => values.max(),
            };
            let Some(best) = best else { break };
            if left.iter().all(|c| tallies[*c] == best) {
                continue;
            }
            let narrowed: Vec<Candidate> = left
                .iter()
                .copied()
                .filter(|c| tallies[*c] == best)
                .collect();
            self.records.push(TieBreak {
                round: Some(round),
                purpose,
                among: left.clone(),
                rule: TieRule::Backwards,
                looked_at_round: Some(index as u32 + 1),
                result: narrowed.clone(),
                lot_keys: Vec::new(),
                chosen: (narrowed.len() == 1).then(|| narrowed[0]),
            });
            left = narrowed;
            if left.len() == 1 {
                return left[0];
            }
        }
        let order = self.by_lot(Some(round), purpose, &left);
        let chosen = if purpose == TiePurpose::Exclude {
            order.last()
        } else {
            order.first()
        };
        *chosen.expect("a tie has candidates")
    }

    /// The one of `candidates` (not empty) with the fewest or most `votes`, as `prefer`
    /// says; candidates level on it are separated by [`Self::backwards_then_lot`]. The
    /// flag says whether a tie had to be broken.
    pub(crate) fn pick(
        &mut self,
        round: u32,
        purpose: TiePurpose,
        candidates: &[Candidate],
        votes: &[u128],
        history: &[Vec<u128>],
        prefer: Prefer,
    ) -> (Candidate, bool) {
        let values = candidates.iter().map(|c| votes[*c]);
        let best = match prefer {
            Prefer::Fewest => values.min(),
            Prefer::Most => values.max(),
        }
        .expect("a pick has candidates");
        let tied: Vec<Candidate> = candidates
            .iter()
            .copied()
            .filter(|c| votes[*c] == best)
            .collect();
        match tied.as_slice() {
            [one] => (*one, false),
            _ => (
                self.backwards_then_lot(round, purpose, &tied, history, prefer),
                true,
            ),
        }
    }

    /// Orders `candidates` from the most to the fewest `votes`, breaking ties backwards
    /// then by lot (for candidates elected in the same round).
    pub(crate) fn order_by_most_votes(
        &mut self,
        round: u32,
        candidates: &[Candidate],
        votes: &[u128],
        history: &[Vec<u128>],
    ) -> Vec<Candidate> {
        let mut left = candidates.to_vec();
        let mut order = Vec::with_capacity(left.len());
        while !left.is_empty() {
            let (next, _) = self.pick(
                round,
                TiePurpose::ElectOrder,
                &left,
                votes,
                history,
                Prefer::Most,
            );
            order.push(next);
            left.retain(|c| *c != next);
        }
        order
    }
}

fn sorted(candidates: &[Candidate]) -> Vec<Candidate> {
    let mut sorted = candidates.to_vec();
    sorted.sort_unstable();
    sorted
}
