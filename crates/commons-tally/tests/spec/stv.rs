//! STV counts verified by hand, stage by stage, with the arithmetic in the comments.

use commons_tally::{Method, Round, Totals};

use crate::{check, ranked};

fn votes(round: &Round) -> Vec<&str> {
    round.tallies.iter().map(|t| t.votes.as_str()).collect()
}

/// Two seats, 42 valid votes: quota ⌊42 / 3⌋ + 1 = 15.
///
/// Stage 1: A 23, B 4, C 3, D 10, E 2. A is elected with a surplus of 8.
/// A's 23 papers (all A>B) move to B at ⌊8 / 23⌋ to five decimals = 0.34782 each
/// (8/23 = 0.347826…): 23 × 0.34782 = 7.99986, and 8 − 7.99986 = 0.00014 is lost to
/// rounding.
/// Stage 2: A 15, B 11.99986, C 3, D 10, E 2: no surplus left, E (2) is excluded and
/// moves to D.
/// Stage 3: B 11.99986, C 3, D 12: C (3) is excluded; its papers have no further
/// preference and are exhausted.
/// Stage 4: B 11.99986, D 12: B has fewer and is excluded, its 4 + 7.99986 exhausted.
/// Stage 5: D is the one continuing candidate for the one vacancy and is elected.
///
/// With exact fractions B would have had 12, tied with D, and the backwards tie-break
/// (stage 2: D 10 < B 12) would have excluded D: the truncation the rules prescribe
/// decides this election.
#[test]
fn scottish_stv_truncates_transfer_values_to_five_decimals_and_that_can_decide_a_seat() {
    let profile = ranked(
        "A B C D E",
        2,
        &["23: A>B", "4: B", "3: C", "10: D", "2: E>D"],
    );
    let outcome = check(Method::StvScottish, &profile, &["A", "D"]);
    assert_eq!(
        outcome.totals,
        Totals::StvScottish {
            quota: "15.00000".into(),
            valid_votes: "42.00000".into(),
            decimals: 5,
        }
    );
    let rounds = &outcome.rounds;
    assert_eq!(rounds.len(), 5);
    assert_eq!(
        votes(&rounds[0]),
        ["23.00000", "4.00000", "3.00000", "10.00000", "2.00000"]
    );
    assert_eq!(rounds[0].elected, [0]);
    assert_eq!(rounds[0].surplus_of, Some(0));
    assert_eq!(rounds[0].transfers.len(), 1);
    assert_eq!(rounds[0].transfers[0].to, Some(1));
    assert_eq!(rounds[0].transfers[0].votes, "7.99986");
    assert_eq!(
        votes(&rounds[1]),
        ["15.00000", "11.99986", "3.00000", "10.00000", "2.00000"]
    );
    assert_eq!(rounds[1].lost_to_rounding.as_deref(), Some("0.00014"));
    assert_eq!(rounds[1].eliminated, [4]);
    assert_eq!(rounds[2].eliminated, [2]);
    assert_eq!(
        votes(&rounds[3]),
        ["15.00000", "11.99986", "0.00000", "12.00000", "0.00000"]
    );
    assert_eq!(rounds[3].eliminated, [1]);
    assert_eq!(rounds[4].exhausted, "14.99986");
    assert_eq!(rounds[4].elected, [3]);
    assert!(outcome.tie_breaks.is_empty());
    assert_eq!(outcome.winners_before_tie_break, [0, 3]);
}

/// Two seats, 24 valid votes, no excess at first: quota ⌊24 / 3⌋ to nine decimals plus
/// 10^-9 = 8.000000001.
///
/// Round 1, iteration 1 (all keep values 1): A 12, B 3, C 5, D 4. A reaches the quota.
/// Round 2, iteration 1: the same distribution; A's surplus 3.999999999 is above the
/// convergence bound, so A's keep value becomes ⌈1 × 8.000000001 / 12⌉ = 0.666666667.
/// Iteration 2: each A>B ballot leaves ⌈0.666666667⌉ = 0.666666667 with A and passes
/// 0.333333333 to B: A 12 × 0.666666667 = 8.000000004, B 3 + 12 × 0.333333333 =
/// 6.999999996. A's surplus is 0.000000003, within the bound: converged, no one new
/// reached the quota, so D (4) is excluded.
/// Round 3: D's 4 ballots go to C: C 9 reaches the quota and takes the second seat.
#[test]
fn meek_stv_keeps_nine_decimals_rounding_keep_values_and_shares_up() {
    let profile = ranked("A B C D", 2, &["12: A>B", "3: B", "5: C", "4: D>C"]);
    let outcome = check(Method::StvMeek, &profile, &["A", "C"]);
    let rounds = &outcome.rounds;
    assert_eq!(rounds.len(), 3);
    assert_eq!(rounds[0].elected, [0]);
    assert_eq!(rounds[0].quota.as_deref(), Some("8.000000001"));
    assert_eq!(rounds[0].iterations, Some(1));
    assert_eq!(
        votes(&rounds[1]),
        ["8.000000004", "6.999999996", "5.000000000", "4.000000000"]
    );
    assert_eq!(
        rounds[1].tallies[0].keep_value.as_deref(),
        Some("0.666666667")
    );
    assert_eq!(rounds[1].iterations, Some(2));
    assert_eq!(rounds[1].eliminated, [3]);
    assert_eq!(
        votes(&rounds[2]),
        ["8.000000004", "6.999999996", "9.000000000", "0.000000000"]
    );
    assert_eq!(rounds[2].elected, [2]);
    assert_eq!(rounds[2].exhausted, "0.000000000");
}

/// Meek lowers the quota as ballots exhaust; the Scottish rules keep the first one.
///
/// Two seats, 24 votes: 9 A (no further preference), 6 B, 5 C, 4 D>B.
/// Scottish: quota ⌊24 / 3⌋ + 1 = 9; A is elected with no surplus, D (4) is excluded and
/// B reaches 10: A and B.
/// Meek: A is elected at 8.000000001; as A's keep value k falls, A's ballots leave 9(1 − k)
/// as excess, so the quota (24 − 9(1 − k)) / 3 = 5 + 3k and A's votes 9k meet at k = 5/6,
/// quota 7.5. No one else reaches it, D is excluded and B, at 10, is elected.
#[test]
fn meek_lowers_the_quota_as_votes_exhaust() {
    let profile = ranked("A B C D", 2, &["9: A", "6: B", "5: C", "4: D>B"]);
    check(Method::StvScottish, &profile, &["A", "B"]);
    let outcome = check(Method::StvMeek, &profile, &["A", "B"]);
    let quota =
        |round: &Round| commons_tally::parse_decimal(round.quota.as_deref().unwrap(), 9).unwrap();
    let first = quota(&outcome.rounds[0]);
    let second = quota(&outcome.rounds[1]);
    assert_eq!(first, 8_000_000_001);
    // Within a millionth of a vote of 7.5.
    assert!(second.abs_diff(7_500_000_000) < 1_000, "quota {second}");
}
