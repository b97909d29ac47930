//! Strict rankings flattened into one array and grouped, so that IRV and STV walk each
//! distinct ballot once per transfer however many voters cast it, without allocating
//! per ballot.

use crate::validate::for_each_valid;
use crate::{Ballot, Method, Profile, TallyError};

/// The distinct non-blank strict rankings of a profile with their summed weights, in a
/// canonical order (by a fingerprint of the preferences, then the preferences), so
/// nothing depends on the order of ballots.
pub(crate) struct StrictRankings {
    preferences: Vec<u32>,
    starts: Vec<usize>,
    pub(crate) weights: Vec<u64>,
    /// The summed weight of blank (empty) rankings.
    pub(crate) blank: u64,
}

/// FNV-1a over the preferences: a cheap sort key, so that grouping compares whole
/// rankings only when their fingerprints are equal (almost always: when they are equal).
fn fingerprint(preferences: &[u32]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &candidate in preferences {
        for byte in candidate.to_le_bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

impl StrictRankings {
    /// Validates the ballots for `method` (which refuses equal ranks) and groups them.
    pub(crate) fn from_profile(
        method: &Method,
        profile: &Profile,
    ) -> Result<StrictRankings, TallyError> {
        let mut flat: Vec<u32> = Vec::new();
        let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(profile.ballots.len());
        let mut flat_weights: Vec<u64> = Vec::with_capacity(profile.ballots.len());
        let mut fingerprints: Vec<u64> = Vec::with_capacity(profile.ballots.len());
        let mut blank: u64 = 0;
        for_each_valid(method, profile, |weighted| {
            let Ballot::Ranking(ranking) = &weighted.ballot else {
                unreachable!("validation admits only rankings for IRV and STV")
            };
            if weighted.weight == 0 {
                return;
            }
            if ranking.is_empty() {
                // Cannot overflow: check_profile proved that all weights sum into a u64.
                blank += weighted.weight;
                return;
            }
            let start = flat.len();
            for rank in ranking {
                debug_assert_eq!(rank.len(), 1, "validation refuses equal ranks");
                // Candidates are below CANDIDATES_MAX, so they fit in a u32.
                flat.push(rank[0] as u32);
            }
            bounds.push((start, flat.len()));
            flat_weights.push(weighted.weight);
            fingerprints.push(fingerprint(&flat[start..]));
        })?;
        let mut order: Vec<usize> = (0..bounds.len()).collect();
        let slice = |i: usize| &flat[bounds[i].0..bounds[i].1];
        order.sort_unstable_by(|a, b| {
            fingerprints[*a]
                .cmp(&fingerprints[*b])
                .then_with(|| slice(*a).cmp(slice(*b)))
        });
        let mut preferences = Vec::with_capacity(flat.len());
        let mut starts = vec![0];
        let mut weights: Vec<u64> = Vec::new();
        let mut previous: Option<usize> = None;
        for i in order {
            if let Some(p) = previous
                && slice(p) == slice(i)
            {
                if let Some(last) = weights.last_mut() {
                    *last += flat_weights[i];
                }
                continue;
            }
            preferences.extend_from_slice(slice(i));
            starts.push(preferences.len());
            weights.push(flat_weights[i]);
            previous = Some(i);
        }
        Ok(StrictRankings {
            preferences,
            starts,
            weights,
            blank,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.weights.len()
    }

    /// The preferences of distinct ballot `group`, most preferred first.
    pub(crate) fn preferences(&self, group: usize) -> &[u32] {
        &self.preferences[self.starts[group]..self.starts[group + 1]]
    }

    /// The weight of all non-blank ballots.
    pub(crate) fn weight_total(&self) -> u64 {
        // Cannot overflow: a part of the profile's weight, which fits in a u64.
        self.weights.iter().sum()
    }
}
