//! Known elections: the Tennessee capital, Wikipedia's Schulze example, and small
//! hand-counted profiles for the methods that rank by a total.

use commons_tally::{
    Availability, Ballot, ConsentStance, Method, Profile, Stance, Totals, WeightedBallot, count,
};

use crate::{SEED, check, ranked};

/// Tennessee choosing its capital, everyone voting for the nearest city first (the
/// standard example of Wikipedia's articles on voting methods).
fn tennessee() -> Profile {
    ranked(
        "Memphis Nashville Chattanooga Knoxville",
        1,
        &[
            "42: Memphis>Nashville>Chattanooga>Knoxville",
            "26: Nashville>Chattanooga>Knoxville>Memphis",
            "15: Chattanooga>Knoxville>Nashville>Memphis",
            "17: Knoxville>Chattanooga>Nashville>Memphis",
        ],
    )
}

#[test]
fn tennessee_elects_memphis_by_plurality() {
    let outcome = check(Method::Plurality, &tennessee(), &["Memphis"]);
    let tallies: Vec<&str> = outcome.rounds[0]
        .tallies
        .iter()
        .map(|t| t.votes.as_str())
        .collect();
    assert_eq!(tallies, ["42", "26", "15", "17"]);
}

#[test]
fn tennessee_elects_knoxville_by_instant_runoff() {
    let outcome = check(Method::Irv, &tennessee(), &["Knoxville"]);
    // Chattanooga goes first and its 15 move to Knoxville; then Nashville, whose 26 move
    // to Knoxville too (Chattanooga being out): 58 of 100.
    let eliminated: Vec<Vec<usize>> = outcome
        .rounds
        .iter()
        .map(|r| r.eliminated.clone())
        .collect();
    assert_eq!(eliminated, [vec![2], vec![1], vec![]]);
    let last: Vec<&str> = outcome.rounds[2]
        .tallies
        .iter()
        .map(|t| t.votes.as_str())
        .collect();
    assert_eq!(last, ["42", "0", "0", "58"]);
    assert!(outcome.tie_breaks.is_empty());
    assert_eq!(outcome.winners_before_tie_break, outcome.winners);
}

#[test]
fn tennessee_elects_nashville_by_schulze_the_condorcet_winner() {
    let outcome = check(Method::Schulze, &tennessee(), &["Nashville"]);
    let Totals::Schulze {
        condorcet_winner,
        smith_set,
        pairwise,
        ..
    } = &outcome.totals
    else {
        panic!("schulze totals")
    };
    assert_eq!(*condorcet_winner, Some(1));
    assert_eq!(smith_set, &[1]);
    assert_eq!(pairwise[1], [58, 0, 68, 68]);
}

#[test]
fn tennessee_elects_nashville_by_borda() {
    let outcome = check(Method::Borda, &tennessee(), &["Nashville"]);
    let tallies: Vec<&str> = outcome.rounds[0]
        .tallies
        .iter()
        .map(|t| t.votes.as_str())
        .collect();
    // Memphis 42×3; Nashville 42×2 + 26×3 + 15 + 17; Chattanooga 42 + 26×2 + 15×3 + 17×2;
    // Knoxville 26 + 15×2 + 17×3.
    assert_eq!(tallies, ["126", "194", "173", "107"]);
}

#[test]
fn tennessee_elects_nashville_by_ranked_pairs_whatever_the_order_of_equal_pairs() {
    let outcome = check(Method::RankedPairs, &tennessee(), &["Nashville"]);
    let Totals::RankedPairs { pairs, ranking, .. } = &outcome.totals else {
        panic!("ranked pairs totals")
    };
    let margins: Vec<u64> = pairs.iter().map(|p| p.margin).collect();
    assert_eq!(margins, [66, 36, 36, 16, 16, 16]);
    assert!(pairs.iter().all(|p| p.locked));
    assert_eq!(ranking, &[vec![1], vec![2], vec![3], vec![0]]);
    // Equal margins were ordered by lot, but every order elects Nashville.
    assert_eq!(outcome.winners_before_tie_break, [1]);
}

/// Wikipedia's Schulze method article: 45 voters, five candidates.
fn wikipedia_schulze() -> Profile {
    ranked(
        "A B C D E",
        1,
        &[
            "5: A>C>B>E>D",
            "5: A>D>E>C>B",
            "8: B>E>D>A>C",
            "3: C>A>B>E>D",
            "7: C>A>E>B>D",
            "2: C>B>A>D>E",
            "7: D>C>E>B>A",
            "8: E>B>A>D>C",
        ],
    )
}

#[test]
fn wikipedias_schulze_example_ranks_e_a_c_b_d() {
    let outcome = check(Method::Schulze, &wikipedia_schulze(), &["E"]);
    let Totals::Schulze {
        pairwise,
        strongest_paths,
        condorcet_winner,
        smith_set,
        ranking,
    } = &outcome.totals
    else {
        panic!("schulze totals")
    };
    assert_eq!(
        pairwise,
        &[
            vec![0, 20, 26, 30, 22],
            vec![25, 0, 16, 33, 18],
            vec![19, 29, 0, 17, 24],
            vec![15, 12, 28, 0, 14],
            vec![23, 27, 21, 31, 0],
        ]
    );
    assert_eq!(
        strongest_paths,
        &[
            vec![0, 28, 28, 30, 24],
            vec![25, 0, 28, 33, 24],
            vec![25, 29, 0, 29, 24],
            vec![25, 28, 28, 0, 24],
            vec![25, 28, 28, 31, 0],
        ]
    );
    assert_eq!(*condorcet_winner, None);
    assert_eq!(smith_set, &[0, 1, 2, 3, 4]);
    assert_eq!(ranking, &[vec![4], vec![0], vec![2], vec![1], vec![3]]);
}

#[test]
fn classic_borda_gives_unranked_candidates_nothing_but_counts_them_below() {
    let profile = ranked("A B C D", 1, &["1: A>B", "1: C>D>A>B"]);
    // A: 1 + 2 (C, D unranked) from the first ballot, 1 from the second.
    let outcome = check(Method::Borda, &profile, &["A"]);
    let tallies: Vec<&str> = outcome.rounds[0]
        .tallies
        .iter()
        .map(|t| t.votes.as_str())
        .collect();
    assert_eq!(tallies, ["4", "2", "3", "2"]);
}

#[test]
fn truncated_borda_gives_a_ballot_ranking_k_candidates_k_minus_1_down_to_0() {
    let profile = ranked("A B C D", 1, &["1: A>B", "1: C>D>A>B"]);
    let outcome = check(Method::BordaTruncated, &profile, &["C"]);
    let tallies: Vec<&str> = outcome.rounds[0]
        .tallies
        .iter()
        .map(|t| t.votes.as_str())
        .collect();
    assert_eq!(tallies, ["2", "0", "3", "2"]);
}

fn profile(candidates: &[&str], seats: u32, ballots: Vec<(u64, Ballot)>) -> Profile {
    Profile {
        candidates: candidates.iter().map(|c| c.to_string()).collect(),
        seats,
        ballots: ballots
            .into_iter()
            .map(|(weight, ballot)| WeightedBallot { weight, ballot })
            .collect(),
    }
}

#[test]
fn approval_elects_the_most_approved_for_each_seat() {
    let p = profile(
        &["A", "B", "C"],
        2,
        vec![
            (3, Ballot::Approval(vec![0, 1])),
            (2, Ballot::Approval(vec![2])),
            (1, Ballot::Approval(vec![1, 2])),
        ],
    );
    let outcome = count(&Method::Approval { min: 1, max: 2 }, &p, SEED).unwrap();
    let tallies: Vec<&str> = outcome.rounds[0]
        .tallies
        .iter()
        .map(|t| t.votes.as_str())
        .collect();
    assert_eq!(tallies, ["3", "4", "3"]);
    // A and C tie for the second seat: the lot decides, and the tie is on record.
    assert_eq!(outcome.winners[0], 1);
    assert_eq!(outcome.tie_breaks.len(), 1);
    assert_eq!(outcome.tie_breaks[0].among, [0, 2]);
    assert_eq!(outcome.tie_breaks[0].chosen, Some(outcome.winners[1]));
    let mut before = outcome.winners_before_tie_break.clone();
    before.sort_unstable();
    assert_eq!(before, [0, 1, 2]);
}

#[test]
fn score_counts_a_candidate_left_off_a_ballot_at_the_minimum() {
    let p = profile(
        &["A", "B"],
        1,
        vec![
            (2, Ballot::Scores(vec![(0, 5)])),
            (3, Ballot::Scores(vec![(0, 1), (1, 4)])),
        ],
    );
    // A: 2×5 + 3×1 = 13; B: 2×1 (the minimum) + 3×4 = 14.
    let outcome = check(Method::Score { min: 1, max: 5 }, &p, &["B"]);
    let tallies: Vec<&str> = outcome.rounds[0]
        .tallies
        .iter()
        .map(|t| t.votes.as_str())
        .collect();
    assert_eq!(tallies, ["13", "14"]);
}

#[test]
fn dot_voting_sums_the_dots() {
    let p = profile(
        &["A", "B", "C"],
        1,
        vec![
            (1, Ballot::Scores(vec![(0, 10)])),
            (2, Ballot::Scores(vec![(1, 4), (2, 6)])),
        ],
    );
    let outcome = check(Method::Dot { budget: 10 }, &p, &["C"]);
    let tallies: Vec<&str> = outcome.rounds[0]
        .tallies
        .iter()
        .map(|t| t.votes.as_str())
        .collect();
    assert_eq!(tallies, ["10", "8", "12"]);
}

#[test]
fn a_time_poll_prefers_more_yes_then_more_if_need_be() {
    use Availability::{IfNeedBe, No, Yes};
    let p = profile(
        &["Mon", "Tue", "Wed"],
        1,
        vec![
            (1, Ballot::Availability(vec![(0, Yes), (1, Yes), (2, No)])),
            (1, Ballot::Availability(vec![(0, Yes), (1, Yes)])),
            (
                1,
                Ballot::Availability(vec![(0, No), (1, IfNeedBe), (2, Yes)]),
            ),
        ],
    );
    let outcome = check(Method::Time, &p, &["Tue"]);
    assert_eq!(
        outcome.totals,
        Totals::Time {
            yes: vec![2, 2, 1],
            if_need_be: vec![0, 1, 0],
            no: vec![1, 0, 2],
        }
    );
    assert!(outcome.tie_breaks.is_empty());
}

#[test]
fn a_proposal_passes_with_more_yes_than_no_and_no_block() {
    let decide = |ballots: Vec<(u64, Stance)>| {
        let p = profile(
            &[],
            1,
            ballots
                .into_iter()
                .map(|(w, s)| (w, Ballot::Proposal(s)))
                .collect(),
        );
        match count(&Method::Proposal, &p, SEED).unwrap().totals {
            Totals::Proposal { passed, .. } => passed,
            other => panic!("proposal totals, not {other:?}"),
        }
    };
    assert!(decide(vec![
        (3, Stance::Yes),
        (2, Stance::No),
        (9, Stance::Abstain)
    ]));
    assert!(!decide(vec![(3, Stance::Yes), (3, Stance::No)]));
    assert!(!decide(vec![(30, Stance::Yes), (1, Stance::Block)]));
    assert!(!decide(vec![(5, Stance::Abstain)]));
}

#[test]
fn consent_passes_iff_no_objection_is_left_open() {
    let decide = |ballots: Vec<ConsentStance>| {
        let p = profile(
            &[],
            1,
            ballots
                .into_iter()
                .map(|s| (1, Ballot::Consent(s)))
                .collect(),
        );
        match count(&Method::Consent, &p, SEED).unwrap().totals {
            Totals::Consent { passed, .. } => passed,
            other => panic!("consent totals, not {other:?}"),
        }
    };
    assert!(decide(vec![
        ConsentStance::Consent,
        ConsentStance::Object { resolved: true }
    ]));
    assert!(!decide(vec![
        ConsentStance::Consent,
        ConsentStance::Object { resolved: false }
    ]));
    assert!(decide(vec![]));
}

#[test]
fn method_names_read_back_to_the_same_method() {
    for name in commons_tally::METHOD_NAMES {
        let method = Method::from_name(name, Default::default()).unwrap();
        assert_eq!(method.name(), name);
    }
    assert_eq!(
        Method::from_name("bucklin", Default::default())
            .unwrap_err()
            .code(),
        "unknown_method"
    );
}

#[test]
fn the_outcome_serializes_winners_rounds_and_tie_breaks() {
    let outcome = check(Method::Irv, &tennessee(), &["Knoxville"]);
    let json = serde_json::to_value(&outcome).unwrap();
    assert_eq!(json["winners"], serde_json::json!([3]));
    assert_eq!(json["rounds"][0]["eliminated"], serde_json::json!([2]));
    assert_eq!(json["rounds"][0]["transfers"][0]["votes"], "15");
    assert_eq!(json["tie_breaks"], serde_json::json!([]));
    assert_eq!(json["seed"], "07".repeat(32));
    assert_eq!(json["method"], "irv");
}
