//! Ties: broken backwards through earlier rounds, then by the seeded lot, and recorded.

use commons_tally::{Method, TiePurpose, TieRule, count};
use sha2::{Digest, Sha256};

use crate::{SEED, check, ranked};

/// The lot key of a candidate, computed here independently of the crate.
fn lot_key(seed: [u8; 32], candidate: u32) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(seed);
    hasher.update(candidate.to_be_bytes());
    hasher.finalize().into()
}

/// Round 1: A 10, B 8, C 5, D 3; D is excluded and its ballots go to C.
/// Round 2: A 10, B 8, C 8: B and C tie for the fewest. In round 1 C had fewer (5 < 8),
/// so C is excluded, and its 8 ballots carry B to 16 of 26.
#[test]
fn instant_runoff_breaks_a_tie_for_fewest_by_the_earlier_round() {
    let profile = ranked("A B C D", 1, &["10: A", "8: B", "5: C>B", "3: D>C>B"]);
    let outcome = check(Method::Irv, &profile, &["B"]);
    assert_eq!(outcome.tie_breaks.len(), 1);
    let tie = &outcome.tie_breaks[0];
    assert_eq!(tie.round, Some(2));
    assert_eq!(tie.purpose, TiePurpose::Exclude);
    assert_eq!(tie.rule, TieRule::Backwards);
    assert_eq!(tie.among, [1, 2]);
    assert_eq!(tie.looked_at_round, Some(1));
    assert_eq!(tie.chosen, Some(2));
    // The winner came after a tie-break, so nothing was certain before it.
    assert!(outcome.winners_before_tie_break.is_empty());
}

#[test]
fn a_tie_with_no_earlier_difference_goes_to_the_lot_and_the_lot_favourite_survives() {
    let profile = ranked("A B", 1, &["5: A", "5: B"]);
    for seed_byte in 0..8u8 {
        let seed = [seed_byte; 32];
        let outcome = count(&Method::Irv, &profile, seed).unwrap();
        let favourite = if lot_key(seed, 0) < lot_key(seed, 1) {
            0
        } else {
            1
        };
        assert_eq!(outcome.winners, [favourite]);
        let tie = &outcome.tie_breaks[0];
        assert_eq!(tie.rule, TieRule::Lot);
        assert_eq!(tie.result, [favourite, 1 - favourite]);
        assert_eq!(
            tie.chosen,
            Some(1 - favourite),
            "the lot's least favourite is excluded"
        );
        assert_eq!(tie.lot_keys[0].len(), 64);
    }
}

#[test]
fn the_lot_is_reproducible_from_the_seed_and_varies_with_it() {
    let profile = ranked("A B C", 1, &["4: A", "4: B", "4: C"]);
    let mut winners_seen = Vec::new();
    for seed_byte in 0..32u8 {
        let seed = [seed_byte; 32];
        let first = count(&Method::Plurality, &profile, seed).unwrap();
        let again = count(&Method::Plurality, &profile, seed).unwrap();
        assert_eq!(first, again);
        assert_eq!(first.tie_breaks[0].purpose, TiePurpose::Seat);
        assert_eq!(first.winners_before_tie_break.len(), 3);
        winners_seen.push(first.winners[0]);
    }
    winners_seen.sort_unstable();
    winners_seen.dedup();
    assert_eq!(
        winners_seen,
        [0, 1, 2],
        "every candidate wins under some seed"
    );
}

#[test]
fn schulze_draws_lots_among_potential_winners() {
    let profile = ranked("A B", 1, &["1: A>B", "1: B>A"]);
    let outcome = count(&Method::Schulze, &profile, SEED).unwrap();
    assert_eq!(outcome.winners_before_tie_break, [0, 1]);
    assert_eq!(outcome.tie_breaks.len(), 1);
    assert_eq!(outcome.tie_breaks[0].purpose, TiePurpose::Winner);
    assert_eq!(outcome.tie_breaks[0].chosen, Some(outcome.winners[0]));
}

/// Stage 1: A 6, B 1, C 6, D 1: B and D tie for the fewest with no earlier stage, so the
/// lot excludes one; the other follows in stage 2; then A and C tie on 6 in every stage,
/// looking back finds no difference, and the lot decides again.
#[test]
fn scottish_stv_breaks_an_exclusion_tie_backwards_then_by_lot() {
    let profile = ranked("A B C D", 1, &["6: A>B", "6: C>D", "1: B", "1: D"]);
    let outcome = count(&Method::StvScottish, &profile, SEED).unwrap();
    // Round 1: B and D tie on 1 with no earlier round: the lot.
    let first = &outcome.tie_breaks[0];
    assert_eq!(
        (first.rule, first.purpose, first.round),
        (TieRule::Lot, TiePurpose::Exclude, Some(1))
    );
    assert_eq!(first.among, [1, 3]);
    let again = count(&Method::StvScottish, &profile, SEED).unwrap();
    assert_eq!(outcome, again);
}

#[test]
fn with_no_ballots_every_method_still_fills_its_seats_by_lot() {
    for method in [
        Method::Plurality,
        Method::Borda,
        Method::Irv,
        Method::Schulze,
        Method::RankedPairs,
        Method::StvScottish,
        Method::StvMeek,
    ] {
        let seats = if matches!(method, Method::StvScottish | Method::StvMeek) {
            2
        } else {
            1
        };
        let profile = ranked("A B C", seats, &["3: "]);
        let outcome = count(&method, &profile, SEED).unwrap();
        assert_eq!(outcome.winners.len(), seats as usize, "{}", method.name());
        assert_eq!(outcome.ballots_blank, 3, "{}", method.name());
        assert!(!outcome.tie_breaks.is_empty(), "{}", method.name());
    }
}
