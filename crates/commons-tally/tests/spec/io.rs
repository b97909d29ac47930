//! The file formats: BLT, CSV and JSON, and errors that name the line.

use commons_tally::io::blt::{Blt, parse_blt, write_blt};
use commons_tally::io::csv::parse_csv;
use commons_tally::io::json::JsonProfile;
use commons_tally::{Availability, Ballot, Method, Profile, WeightedBallot};

const EXAMPLE_BLT: &str = "\
4 2
-4
3 1 2 0
1 2=3 4 0

2 0
0
\"Alice\"
\"Bob\"
\"Carol\"
\"Dave\"
\"Board 2026\"
";

#[test]
fn a_blt_file_reads_into_weighted_rankings_with_equal_ranks_and_withdrawals() {
    let blt = parse_blt(EXAMPLE_BLT).unwrap();
    assert_eq!(blt.title, "Board 2026");
    assert_eq!(blt.withdrawn, [3]);
    assert_eq!(blt.profile.candidates, ["Alice", "Bob", "Carol", "Dave"]);
    assert_eq!(blt.profile.seats, 2);
    assert_eq!(
        blt.profile.ballots,
        [
            WeightedBallot {
                weight: 3,
                ballot: Ballot::Ranking(vec![vec![0], vec![1]])
            },
            WeightedBallot {
                weight: 1,
                ballot: Ballot::Ranking(vec![vec![1, 2], vec![3]])
            },
            WeightedBallot {
                weight: 2,
                ballot: Ballot::Ranking(vec![])
            },
        ]
    );
    let counted = blt.profile_without_withdrawn();
    assert_eq!(counted.candidates, ["Alice", "Bob", "Carol"]);
    assert_eq!(counted.ballots[1].ballot, Ballot::Ranking(vec![vec![1, 2]]));
    assert_eq!(parse_blt(&write_blt(&blt).unwrap()).unwrap(), blt);
}

#[test]
fn a_malformed_blt_file_names_the_line() {
    let cases: [(&str, usize, &str); 8] = [
        ("", 1, "empty"),
        ("3\n", 1, "two numbers"),
        (
            "3 1\n1 1 2\n0\n\"a\"\n\"b\"\n\"c\"\n",
            2,
            "does not end with 0",
        ),
        (
            "3 1\n1 1 4 0\n0\n\"a\"\n\"b\"\n\"c\"\n",
            2,
            "not a candidate",
        ),
        (
            "3 1\n1 1 2 0\n2 2 x 0\n0\n\"a\"\n\"b\"\n\"c\"\n",
            3,
            "not a candidate",
        ),
        (
            "3 1\n1 1 2 1 0\n0\n\"a\"\n\"b\"\n\"c\"\n",
            2,
            "ranked twice",
        ),
        ("3 1\n1 1 2 0\n\"a\"\n", 3, "a line holding 0"),
        ("3 1\n1 1 2 0\n0\n\"a\"\nb\n", 5, "expected a quoted name"),
    ];
    for (text, line, message) in cases {
        let error = parse_blt(text).unwrap_err();
        assert_eq!(error.code(), "blt_malformed");
        assert_eq!(error.line, line, "{text:?}: {error}");
        assert!(error.message.contains(message), "{text:?}: {error}");
        assert!(error.to_string().starts_with(&format!("line {line}: ")));
    }
    let short = parse_blt("3 1\n1 1 2 0\n0\n\"a\"\n\"b\"\n").unwrap_err();
    assert!(
        short
            .message
            .contains("expected 3 candidate names, found 2")
    );
}

#[test]
fn blt_refuses_to_write_a_name_it_cannot_quote() {
    let blt = Blt {
        profile: Profile {
            candidates: vec!["say \"hi\"".into()],
            seats: 1,
            ballots: vec![],
        },
        withdrawn: vec![],
        title: String::new(),
    };
    let error = write_blt(&blt).unwrap_err();
    assert_eq!(error.line, 3);
}

#[test]
fn csv_ranks_read_into_rankings_with_weights() {
    let text = "weight,Alice,\"Bob, Jr.\",Carol\n3,1,2,\n1,2,1,1\n\n,,,1\n";
    let profile = parse_csv(text, &Method::Schulze, 1).unwrap();
    assert_eq!(profile.candidates, ["Alice", "Bob, Jr.", "Carol"]);
    assert_eq!(
        profile.ballots,
        [
            WeightedBallot {
                weight: 3,
                ballot: Ballot::Ranking(vec![vec![0], vec![1]])
            },
            WeightedBallot {
                weight: 1,
                ballot: Ballot::Ranking(vec![vec![1, 2], vec![0]])
            },
            WeightedBallot {
                weight: 1,
                ballot: Ballot::Ranking(vec![vec![2]])
            },
        ]
    );
}

#[test]
fn csv_cells_follow_the_method() {
    let scores = parse_csv("A,B\n5,\n", &Method::Score { min: 0, max: 5 }, 1).unwrap();
    assert_eq!(scores.ballots[0].ballot, Ballot::Scores(vec![(0, 5)]));
    let approval = parse_csv("A,B\n1,0\n", &Method::Approval { min: 0, max: 2 }, 1).unwrap();
    assert_eq!(approval.ballots[0].ballot, Ballot::Approval(vec![0]));
    let time = parse_csv("Mon,Tue\nyes,ifneedbe\n", &Method::Time, 1).unwrap();
    assert_eq!(
        time.ballots[0].ballot,
        Ballot::Availability(vec![(0, Availability::Yes), (1, Availability::IfNeedBe)])
    );
    let proposal = parse_csv("stance\nyes\nblock\n", &Method::Proposal, 1).unwrap();
    assert!(proposal.candidates.is_empty());
    assert_eq!(proposal.ballots.len(), 2);
}

#[test]
fn a_malformed_csv_names_the_line() {
    let error = parse_csv("A,B\n1,2\n1\n", &Method::Irv, 1).unwrap_err();
    assert_eq!((error.code(), error.line), ("csv_malformed", 3));
    let error = parse_csv("A,B\n1,x\n", &Method::Irv, 1).unwrap_err();
    assert_eq!(error.line, 2);
    let error = parse_csv("A,A\n", &Method::Irv, 1).unwrap_err();
    assert_eq!(error.line, 1);
}

#[test]
fn json_ballots_map_onto_the_ballot_enum() {
    let text = r#"{"candidates": ["A", "B", "C"], "seats": 1,
        "ballots": [{"weight": 2, "ranking": [[0], [2], [1]]}, {"ranking": [[1]]}]}"#;
    let json: JsonProfile = serde_json::from_str(text).unwrap();
    let profile = json.into_profile().unwrap();
    assert_eq!(profile.ballots[0].weight, 2);
    assert_eq!(profile.ballots[1].weight, 1);
    assert_eq!(
        profile.ballots[0].ballot,
        Ballot::Ranking(vec![vec![0], vec![2], vec![1]])
    );
    let back = serde_json::to_string(&JsonProfile::from_profile(&profile)).unwrap();
    let again: JsonProfile = serde_json::from_str(&back).unwrap();
    assert_eq!(again.into_profile().unwrap(), profile);

    let two_kinds = r#"{"candidates": ["A"], "ballots": [{"choice": 0, "approval": [0]}]}"#;
    let error = serde_json::from_str::<JsonProfile>(two_kinds)
        .unwrap()
        .into_profile()
        .unwrap_err();
    assert_eq!((error.code(), error.ballot_index), ("json_malformed", 0));
}
