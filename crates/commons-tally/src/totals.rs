//! Methods that rank candidates by a total: plurality, approval, score, dot, Borda and
//! time polls. The top `seats` totals win; a tie across the last seat goes to the lot.

use crate::lot::TieBreaker;
use crate::validate::for_each_valid;
use crate::{
    Availability, Ballot, Candidate, CandidateTally, Method, Outcome, Profile, Round, TallyError,
    TiePurpose, Totals,
};

pub(crate) fn count(
    method: &Method,
    profile: &Profile,
    seed: [u8; 32],
) -> Result<Outcome, TallyError> {
    let n_candidates = profile.candidates.len();
    // The primary total ranks; the secondary breaks its ties (time polls: if-need-be).
    let mut primary = vec![0u128; n_candidates];
    let mut secondary = vec![0u128; n_candidates];
    let mut counted: u64 = 0;
    let mut blank: u64 = 0;
    for_each_valid(method, profile, |weighted| {
        let weight = weighted.weight;
        let weight_wide = u128::from(weight);
        if weight == 0 {
            return;
        }
        // Neither sum can overflow: check_profile proved all weights sum into a u64.
        match &weighted.ballot {
            Ballot::Ranking(ranking) if ranking.is_empty() => {
                blank += weight;
                return;
            }
            _ => counted += weight,
        }
        match (method, &weighted.ballot) {
            (Method::Plurality, Ballot::Choice(candidate)) => primary[*candidate] += weight_wide,
            (Method::Plurality, Ballot::Ranking(ranking)) => {
                primary[ranking[0][0]] += weight_wide;
            }
            (Method::Approval { .. }, Ballot::Approval(approved)) => {
                for &candidate in approved {
                    primary[candidate] += weight_wide;
                }
            }
            (Method::Score { min, .. }, Ballot::Scores(scores)) => {
                // Every candidate starts at `min` (added once below); a score adds its
                // excess over `min`.
                for &(candidate, score) in scores {
                    primary[candidate] += weight_wide * u128::from(score - min);
                }
            }
            (Method::Dot { .. }, Ballot::Scores(dots)) => {
                for &(candidate, n_dots) in dots {
                    primary[candidate] += weight_wide * u128::from(n_dots);
                }
            }
            (Method::Borda | Method::BordaTruncated, Ballot::Ranking(ranking)) => {
                let n_ranked: usize = ranking.iter().map(Vec::len).sum();
                let unranked_below = if *method == Method::Borda {
                    n_candidates - n_ranked
                } else {
                    0
                };
                let mut ranked_below = n_ranked;
                for rank in ranking {
                    ranked_below -= rank.len();
                    let points = (ranked_below + unranked_below) as u128;
                    for &candidate in rank {
                        primary[candidate] += weight_wide * points;
                    }
                }
            }
            (Method::Time, Ballot::Availability(slots)) => {
                for &(slot, availability) in slots {
                    match availability {
                        Availability::Yes => primary[slot] += weight_wide,
                        Availability::IfNeedBe => secondary[slot] += weight_wide,
                        Availability::No => {}
                    }
                }
            }
            _ => unreachable!("validation admits only the method's ballot kinds"),
        }
    })?;
    if let Method::Score { min, .. } = method {
        for total in &mut primary {
            *total += u128::from(counted) * u128::from(*min);
        }
    }

    let mut tie_breaker = TieBreaker::new(seed, n_candidates);
    let keys: Vec<(u128, u128)> = primary
        .iter()
        .copied()
        .zip(secondary.iter().copied())
        .collect();
    let (winners, winners_before_tie_break) =
        top_by_key(&keys, profile.seats as usize, &mut tie_breaker, None);

    let totals = match method {
        Method::Time => {
            let as_u64 = |values: &[u128]| -> Vec<u64> {
                // Each is a sum of distinct ballots' weights, which fits in a u64.
                values
                    .iter()
                    .map(|v| u64::try_from(*v).unwrap_or(u64::MAX))
                    .collect()
            };
            let yes = as_u64(&primary);
            let if_need_be = as_u64(&secondary);
            let no = yes
                .iter()
                .zip(&if_need_be)
                .map(|(y, m)| counted - y - m)
                .collect();
            Totals::Time {
                yes,
                if_need_be,
                no,
            }
        }
        _ => Totals::Points,
    };
    let round = Round {
        round: 1,
        tallies: primary
            .iter()
            .enumerate()
            .map(|(candidate, votes)| CandidateTally {
                candidate,
                votes: votes.to_string(),
                keep_value: None,
            })
            .collect(),
        elected: winners.clone(),
        eliminated: Vec::new(),
        surplus_of: None,
        transfers: Vec::new(),
        exhausted: blank.to_string(),
        lost_to_rounding: None,
        quota: None,
        iterations: None,
    };
    Ok(Outcome {
        method: method.name(),
        winners,
        winners_before_tie_break,
        rounds: vec![round],
        tie_breaks: tie_breaker.records,
        seed,
        ballots_counted: counted,
        ballots_blank: blank,
        totals,
    })
}

/// The `seats` candidates with the highest keys, highest first, and everyone whose key
/// is at least the last winner's. Candidates with equal keys are listed in lot order; a
/// tie across the last seat is broken by lot and recorded.
pub(crate) fn top_by_key<K: Ord + Copy>(
    keys: &[K],
    seats: usize,
    tie_breaker: &mut TieBreaker,
    round: Option<u32>,
) -> (Vec<Candidate>, Vec<Candidate>) {
    let all: Vec<Candidate> = (0..keys.len()).collect();
    let mut order = tie_breaker.lot_order(&all);
    // A stable sort keeps lot order within equal keys.
    order.sort_by(|a, b| keys[*b].cmp(&keys[*a]));
    let Some(&last_winner) = order.get(seats.saturating_sub(1)) else {
        return (order.clone(), order);
    };
    let last_key = keys[last_winner];
    let above: Vec<Candidate> = order
        .iter()
        .copied()
        .filter(|c| keys[*c] > last_key)
        .collect();
    let tied: Vec<Candidate> = order
        .iter()
        .copied()
        .filter(|c| keys[*c] == last_key)
        .collect();
    let needed = seats - above.len();
    let mut winners = above.clone();
    if tied.len() > needed {
        let lot = tie_breaker.by_lot(round, TiePurpose::Seat, &tied);
        winners.extend_from_slice(&lot[..needed]);
    } else {
        winners.extend_from_slice(&tied);
    }
    let mut before = above;
    before.extend_from_slice(&tied);
    (winners, before)
}
