//! Laws every count obeys, checked on seeded random profiles.

use commons_tally::io::blt::{Blt, parse_blt, write_blt};
use commons_tally::{
    Ballot, Method, Outcome, Profile, Totals, WeightedBallot, count, parse_decimal,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

use crate::SEED;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        rng_seed: RngSeed::Fixed(0x7a11_7a11),
        ..ProptestConfig::default()
    }
}

/// A strict ranking of some of `n` candidates.
fn strict_ranking(n: usize) -> impl Strategy<Value = Vec<Vec<usize>>> {
    proptest::sample::subsequence((0..n).collect::<Vec<_>>(), 0..=n)
        .prop_shuffle()
        .prop_map(|order| order.into_iter().map(|c| vec![c]).collect())
}

/// A ranking of some of `n` candidates, with equal ranks.
fn ranking_with_ties(n: usize) -> impl Strategy<Value = Vec<Vec<usize>>> {
    (
        strict_ranking(n),
        proptest::collection::vec(any::<bool>(), n),
    )
        .prop_map(|(strict, merge)| {
            let mut ranking: Vec<Vec<usize>> = Vec::new();
            for (index, rank) in strict.into_iter().enumerate() {
                match ranking.last_mut() {
                    Some(last) if merge[index] => last.extend(rank),
                    _ => ranking.push(rank),
                }
            }
            ranking
        })
}

/// A profile of 2 to 6 candidates and up to 40 strict ballots of weight 1 to 4, with 1 to
/// 3 seats (at most the candidates).
fn strict_profile() -> impl Strategy<Value = Profile> {
    (2..=6usize).prop_flat_map(|n| {
        (
            proptest::collection::vec((1..=4u64, strict_ranking(n)), 1..40),
            1..=(n.min(3) as u32),
        )
            .prop_map(move |(ballots, seats)| Profile {
                candidates: (0..n).map(|c| format!("c{c}")).collect(),
                seats,
                ballots: ballots
                    .into_iter()
                    .map(|(weight, ranking)| WeightedBallot {
                        weight,
                        ballot: Ballot::Ranking(ranking),
                    })
                    .collect(),
            })
    })
}

fn with_seats(profile: &Profile, seats: u32) -> Profile {
    Profile {
        seats,
        ..profile.clone()
    }
}

/// Who more voters prefer to every other candidate, computed here from scratch.
fn condorcet_winner(profile: &Profile) -> Option<usize> {
    let n = profile.candidates.len();
    let position = |ballot: &Ballot, c: usize| match ballot {
        Ballot::Ranking(ranking) => ranking
            .iter()
            .position(|rank| rank.contains(&c))
            .unwrap_or(usize::MAX),
        _ => unreachable!(),
    };
    let prefer = |i: usize, j: usize| -> u64 {
        profile
            .ballots
            .iter()
            .filter(|b| position(&b.ballot, i) < position(&b.ballot, j))
            .map(|b| b.weight)
            .sum()
    };
    (0..n).find(|&i| (0..n).all(|j| i == j || prefer(i, j) > prefer(j, i)))
}

/// Checks that every round's tallies, exhausted and lost votes sum to the valid votes.
fn assert_conserved(outcome: &Outcome, decimals: u32) {
    let valid = u128::from(outcome.ballots_counted) * 10u128.pow(decimals);
    for round in &outcome.rounds {
        let tallies: u128 = round
            .tallies
            .iter()
            .map(|t| parse_decimal(&t.votes, decimals).unwrap())
            .sum();
        let exhausted = parse_decimal(&round.exhausted, decimals).unwrap();
        let lost = round
            .lost_to_rounding
            .as_deref()
            .map_or(0, |l| parse_decimal(l, decimals).unwrap());
        assert_eq!(
            tallies + exhausted + lost,
            valid,
            "round {} of {}",
            round.round,
            outcome.method
        );
    }
}

const STRICT_METHODS: [Method; 8] = [
    Method::Plurality,
    Method::Borda,
    Method::BordaTruncated,
    Method::Irv,
    Method::Schulze,
    Method::RankedPairs,
    Method::StvScottish,
    Method::StvMeek,
];

fn seats_for(method: &Method, profile: &Profile) -> u32 {
    match method {
        Method::Irv | Method::Schulze | Method::RankedPairs => 1,
        _ => profile.seats,
    }
}

proptest! {
    #![proptest_config(config())]

    /// The outcome, sheet and tie-breaks included, does not depend on the order of the
    /// ballots.
    #[test]
    fn the_outcome_does_not_depend_on_ballot_order(
        (profile, shuffled) in strict_profile().prop_flat_map(|p| {
            let ballots = p.ballots.clone();
            (Just(p), Just(ballots).prop_shuffle())
        }),
        seed in any::<[u8; 32]>(),
    ) {
        for method in STRICT_METHODS {
            let profile = with_seats(&profile, seats_for(&method, &profile));
            let reordered = Profile { ballots: shuffled.clone(), ..profile.clone() };
            prop_assert_eq!(count(&method, &profile, seed).unwrap(), count(&method, &reordered, seed).unwrap());
        }
    }

    /// A Condorcet winner, when there is one, wins Schulze and ranked pairs, and every
    /// winner of those lies in the Smith set.
    #[test]
    fn a_condorcet_winner_wins_schulze_and_ranked_pairs(profile in strict_profile()) {
        let profile = with_seats(&profile, 1);
        let schulze = count(&Method::Schulze, &profile, SEED).unwrap();
        let ranked_pairs = count(&Method::RankedPairs, &profile, SEED).unwrap();
        let expected = condorcet_winner(&profile);
        if let Some(winner) = expected {
            prop_assert_eq!(&schulze.winners, &vec![winner]);
            prop_assert_eq!(&ranked_pairs.winners, &vec![winner]);
        }
        let Totals::Schulze { smith_set, condorcet_winner, .. } = &schulze.totals else { panic!() };
        prop_assert_eq!(*condorcet_winner, expected);
        prop_assert!(schulze.winners_before_tie_break.iter().all(|c| smith_set.contains(c)));
        prop_assert!(ranked_pairs.winners_before_tie_break.iter().all(|c| smith_set.contains(c)));
        prop_assert!(ranked_pairs.winners_before_tie_break.contains(&ranked_pairs.winners[0]));
    }

    /// Equal ranks too: the Condorcet winner (strict pairwise majorities) wins.
    #[test]
    fn a_condorcet_winner_wins_with_equal_ranks(
        profile in (2..=5usize).prop_flat_map(|n| {
            proptest::collection::vec((1..=3u64, ranking_with_ties(n)), 1..30).prop_map(move |ballots| Profile {
                candidates: (0..n).map(|c| c.to_string()).collect(),
                seats: 1,
                ballots: ballots.into_iter().map(|(weight, r)| WeightedBallot { weight, ballot: Ballot::Ranking(r) }).collect(),
            })
        }),
    ) {
        if let Some(winner) = condorcet_winner(&profile) {
            prop_assert_eq!(count(&Method::Schulze, &profile, SEED).unwrap().winners, vec![winner]);
            prop_assert_eq!(count(&Method::RankedPairs, &profile, SEED).unwrap().winners, vec![winner]);
        }
    }

    /// Both STVs conserve the votes in every round: the candidates' votes plus exhausted
    /// plus lost to rounding are the valid votes; the quota follows its rule; the seats
    /// are filled by distinct candidates.
    #[test]
    fn stv_conserves_the_vote_total_every_round(profile in strict_profile()) {
        let scottish = count(&Method::StvScottish, &profile, SEED).unwrap();
        assert_conserved(&scottish, 5);
        let valid = u128::from(scottish.ballots_counted);
        let quota = (valid / (u128::from(profile.seats) + 1) + 1) * 100_000;
        for round in &scottish.rounds {
            prop_assert_eq!(parse_decimal(round.quota.as_deref().unwrap(), 5), Some(quota));
        }
        let meek = count(&Method::StvMeek, &profile, SEED).unwrap();
        assert_conserved(&meek, 9);
        for round in &meek.rounds {
            let held = valid * 1_000_000_000 - parse_decimal(&round.exhausted, 9).unwrap();
            let quota = held / (u128::from(profile.seats) + 1) + 1;
            prop_assert_eq!(parse_decimal(round.quota.as_deref().unwrap(), 9), Some(quota));
        }
        for outcome in [&scottish, &meek] {
            let mut winners = outcome.winners.clone();
            winners.sort_unstable();
            winners.dedup();
            prop_assert_eq!(winners.len(), profile.seats as usize);
        }
    }

    /// Writing BLT and reading it back gives the same election.
    #[test]
    fn blt_write_then_parse_round_trips(
        blt in (1..=6usize).prop_flat_map(|n| (
            proptest::collection::vec("[A-Za-z0-9 .,'=-]{0,12}", n),
            0..=4u32,
            proptest::collection::vec((0..=1_000u64, ranking_with_ties(n)), 0..20),
            proptest::sample::subsequence((0..n).collect::<Vec<_>>(), 0..n),
            "[A-Za-z0-9 ]{0,20}",
        )).prop_map(|(candidates, seats, ballots, withdrawn, title)| Blt {
            profile: Profile {
                candidates,
                seats,
                ballots: ballots.into_iter().map(|(weight, r)| WeightedBallot { weight, ballot: Ballot::Ranking(r) }).collect(),
            },
            withdrawn,
            title,
        }),
    ) {
        let text = write_blt(&blt).unwrap();
        prop_assert_eq!(parse_blt(&text).unwrap(), blt);
    }
}
