//! Every ballot and count error has a stable code.

use commons_tally::{
    Ballot, ConsentStance, Method, Profile, Stance, WeightedBallot, count, validate,
};

fn three_candidates() -> Profile {
    Profile {
        candidates: vec!["A".into(), "B".into(), "C".into()],
        seats: 1,
        ballots: Vec::new(),
    }
}

fn code(method: Method, ballot: Ballot) -> &'static str {
    validate(&method, &three_candidates(), &ballot)
        .unwrap_err()
        .code()
}

#[test]
fn every_invalid_ballot_names_its_stable_code() {
    let cases: Vec<(Method, Ballot, &str)> = vec![
        (
            Method::Score { min: 0, max: 5 },
            Ballot::Scores(vec![(0, 6)]),
            "score_out_of_range",
        ),
        (
            Method::Score { min: 1, max: 5 },
            Ballot::Scores(vec![(0, 0)]),
            "score_out_of_range",
        ),
        (
            Method::Dot { budget: 10 },
            Ballot::Scores(vec![(0, 6), (1, 5)]),
            "too_many_dots",
        ),
        (
            Method::Schulze,
            Ballot::Ranking(vec![vec![0], vec![1], vec![0]]),
            "ranking_duplicate",
        ),
        (
            Method::Schulze,
            Ballot::Ranking(vec![vec![0, 0]]),
            "ranking_duplicate",
        ),
        (
            Method::Irv,
            Ballot::Ranking(vec![vec![3]]),
            "unknown_candidate",
        ),
        (Method::Plurality, Ballot::Choice(7), "unknown_candidate"),
        (
            Method::Approval { min: 1, max: 2 },
            Ballot::Approval(vec![]),
            "approval_count",
        ),
        (
            Method::Approval { min: 1, max: 2 },
            Ballot::Approval(vec![0, 1, 2]),
            "approval_count",
        ),
        (
            Method::Approval { min: 0, max: 3 },
            Ballot::Approval(vec![1, 1]),
            "duplicate_candidate",
        ),
        (Method::Irv, Ballot::Choice(0), "ballot_kind"),
        (
            Method::Proposal,
            Ballot::Consent(ConsentStance::Consent),
            "ballot_kind",
        ),
        (
            Method::Consent,
            Ballot::Proposal(Stance::Yes),
            "ballot_kind",
        ),
        (
            Method::StvMeek,
            Ballot::Ranking(vec![vec![0, 1]]),
            "ranking_tie",
        ),
        (
            Method::Plurality,
            Ballot::Ranking(vec![vec![0, 1]]),
            "ranking_tie",
        ),
        (
            Method::Borda,
            Ballot::Ranking(vec![vec![0], vec![]]),
            "ranking_empty_rank",
        ),
    ];
    for (method, ballot, expected) in cases {
        assert_eq!(
            code(method, ballot.clone()),
            expected,
            "{} {ballot:?}",
            method.name()
        );
    }
}

#[test]
fn valid_ballots_pass_validation() {
    let profile = three_candidates();
    let valid: Vec<(Method, Ballot)> = vec![
        (Method::Schulze, Ballot::Ranking(vec![vec![0, 2], vec![1]])),
        (
            Method::Plurality,
            Ballot::Ranking(vec![vec![0], vec![1, 2]]),
        ),
        (Method::Irv, Ballot::Ranking(vec![])),
        (
            Method::Dot { budget: 10 },
            Ballot::Scores(vec![(0, 6), (1, 4)]),
        ),
    ];
    for (method, ballot) in valid {
        assert_eq!(validate(&method, &profile, &ballot), Ok(()));
    }
}

#[test]
fn a_count_names_the_first_invalid_ballot() {
    let mut profile = three_candidates();
    profile.ballots = vec![
        WeightedBallot {
            weight: 1,
            ballot: Ballot::Ranking(vec![vec![0]]),
        },
        WeightedBallot {
            weight: 1,
            ballot: Ballot::Ranking(vec![vec![1], vec![1]]),
        },
    ];
    let error = count(&Method::Irv, &profile, [0; 32]).unwrap_err();
    assert_eq!(error.code(), "ranking_duplicate");
    assert_eq!(
        error.to_string(),
        "ballot 1: candidate 1 is ranked more than once"
    );
}

#[test]
fn counts_refuse_impossible_seats_and_overflowing_weights() {
    let mut profile = three_candidates();
    profile.seats = 2;
    assert_eq!(
        count(&Method::Irv, &profile, [0; 32]).unwrap_err().code(),
        "seats_unsupported"
    );
    profile.seats = 4;
    assert_eq!(
        count(&Method::StvMeek, &profile, [0; 32])
            .unwrap_err()
            .code(),
        "seats_out_of_range"
    );
    profile.seats = 1;
    profile.ballots = vec![
        WeightedBallot {
            weight: u64::MAX,
            ballot: Ballot::Choice(0),
        },
        WeightedBallot {
            weight: 1,
            ballot: Ballot::Choice(1),
        },
    ];
    assert_eq!(
        count(&Method::Plurality, &profile, [0; 32])
            .unwrap_err()
            .code(),
        "weight_overflow"
    );
    let none = Profile {
        candidates: vec![],
        seats: 1,
        ballots: vec![],
    };
    assert_eq!(
        count(&Method::Plurality, &none, [0; 32])
            .unwrap_err()
            .code(),
        "no_candidates"
    );
    assert_eq!(
        Method::from_name(
            "score",
            commons_tally::MethodParameters {
                min: Some(3),
                max: Some(2),
                budget: None
            }
        )
        .unwrap_err()
        .code(),
        "method_parameters"
    );
}

#[test]
fn every_method_refuses_a_ballot_of_the_wrong_kind_and_names_it() {
    for name in commons_tally::METHOD_NAMES {
        let method = Method::from_name(name, Default::default()).unwrap();
        let wrong = if method == Method::Consent {
            Ballot::Choice(0)
        } else {
            Ballot::Consent(ConsentStance::Consent)
        };
        let mut profile = three_candidates();
        profile.ballots = vec![
            WeightedBallot {
                weight: 0,
                ballot: wrong.clone(),
            },
            WeightedBallot {
                weight: 1,
                ballot: wrong,
            },
        ];
        let error = count(&method, &profile, [0; 32]).unwrap_err();
        assert_eq!(error.code(), "ballot_kind", "{name}");
        assert!(
            matches!(
                error,
                commons_tally::TallyError::InvalidBallot {
                    ballot_index: 0,
                    ..
                }
            ),
            "{name}"
        );
    }
}
