//! CLI transcripts of `commons tally`: the real binary counting ballot files.
// A panic is the failure report in a test.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

mod offline;

use offline::{BIN, Verb, with_files};

const VERB: Verb = Verb(&["tally"]);

fn ok(args: &[&str], dir: &Path) -> String {
    VERB.ok(args, dir)
}

fn with_file(name: &str, contents: &str) -> tempfile::TempDir {
    with_files(&[(name, contents)])
}

const TENNESSEE_BLT: &str = "\
4 1
42 1 2 3 4 0
26 2 3 4 1 0
15 3 4 2 1 0
17 4 3 2 1 0
0
\"Memphis\"
\"Nashville\"
\"Chattanooga\"
\"Knoxville\"
\"Capital of Tennessee\"
";

#[test]
fn tally_prints_the_winner_and_the_round_table() {
    let dir = with_file("tennessee.blt", TENNESSEE_BLT);
    let out = ok(
        &["--method", "irv", "--ballots", "tennessee.blt"],
        dir.path(),
    );
    assert!(out.contains("Winners: Knoxville"), "{out}");
    // One row per candidate, one column per round.
    let knoxville = out.lines().find(|l| l.starts_with("Knoxville")).unwrap();
    assert_eq!(
        knoxville.split_whitespace().collect::<Vec<_>>(),
        ["Knoxville", "17", "32", "58"]
    );
    assert!(
        out.contains("Round 1: eliminated Chattanooga; 15 to Knoxville"),
        "{out}"
    );

    let out = ok(
        &["--method", "schulze", "--ballots", "tennessee.blt"],
        dir.path(),
    );
    assert!(out.contains("Winners: Nashville"), "{out}");
    assert!(out.contains("Condorcet winner: Nashville"), "{out}");
    assert!(
        out.contains("Ranking: Nashville > Chattanooga > Knoxville > Memphis"),
        "{out}"
    );
}

#[test]
fn tally_json_names_the_winners_and_carries_rounds_and_tie_breaks() {
    let dir = with_file("tennessee.blt", TENNESSEE_BLT);
    let out = ok(
        &["--method", "irv", "--ballots", "tennessee.blt", "--json"],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["winners"], serde_json::json!(["Knoxville"]));
    assert_eq!(json["rounds"].as_array().unwrap().len(), 3);
    assert_eq!(json["rounds"][0]["tallies"][0]["votes"], "42");
    assert_eq!(json["tie_breaks"], serde_json::json!([]));
    assert_eq!(json["candidates"][3], "Knoxville");
}

#[test]
fn tally_counts_stv_with_the_seats_given_and_prints_exact_decimals() {
    let blt = "5 2\n23 1 2 0\n4 2 0\n3 3 0\n10 4 0\n2 5 4 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"D\"\n\"E\"\n\"t\"\n";
    let dir = with_file("council.blt", blt);
    let out = ok(
        &["--method", "stv-scottish", "--ballots", "council.blt"],
        dir.path(),
    );
    assert!(out.contains("Winners: A, D"), "{out}");
    assert!(out.contains("11.99986"), "{out}");
    assert!(
        out.contains("Quota 15.00000 of 42.00000 valid votes"),
        "{out}"
    );
    let out = ok(
        &[
            "--method",
            "stv-meek",
            "--seats",
            "1",
            "--ballots",
            "council.blt",
            "--json",
        ],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["seats"], 1);
    assert_eq!(json["winners"].as_array().unwrap().len(), 1);
}

#[test]
fn tally_reads_csv_and_json_ballots() {
    let dir = with_file("scores.csv", "weight,Ann,Bo\n2,5,1\n1,0,5\n");
    let out = ok(
        &["--method", "score", "--ballots", "scores.csv"],
        dir.path(),
    );
    assert!(out.contains("Winners: Ann"), "{out}");
    let json = r#"{"candidates": ["A", "B", "C"], "ballots": [
        {"weight": 2, "ranking": [[0], [2], [1]]}, {"weight": 3, "ranking": [[1], [2]]}]}"#;
    std::fs::write(dir.path().join("ballots.json"), json).unwrap();
    let out = ok(
        &["--method", "plurality", "--ballots", "ballots.json"],
        dir.path(),
    );
    assert!(out.contains("Winners: B"), "{out}");
    let stances = "stance\nyes\nyes\nno\n";
    std::fs::write(dir.path().join("stances.txt"), stances).unwrap();
    let out = ok(
        &[
            "--method",
            "proposal",
            "--format",
            "csv",
            "--ballots",
            "stances.txt",
        ],
        dir.path(),
    );
    assert!(out.contains("PASSED: yes 2, no 1"), "{out}");
}

#[test]
fn a_malformed_ballot_file_exits_non_zero_naming_the_line() {
    let dir = with_file("bad.blt", "3 1\n1 1 2 0\n2 1 7 0\n0\n\"a\"\n\"b\"\n\"c\"\n");
    let output = VERB.run(&["--method", "irv", "--ballots", "bad.blt"], dir.path());
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(stderr.contains("blt_malformed"), "{stderr}");

    std::fs::write(dir.path().join("bad.csv"), "A,B\n1,2\n1,2,3\n").unwrap();
    let output = VERB.run(&["--method", "irv", "--ballots", "bad.csv"], dir.path());
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 3"));

    std::fs::write(
        dir.path().join("bad.json"),
        "{\"candidates\": [\"A\"],\n \"ballots\": [}",
    )
    .unwrap();
    let output = VERB.run(&["--method", "irv", "--ballots", "bad.json"], dir.path());
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 2"));
}

#[test]
fn an_invalid_ballot_is_refused_with_its_code() {
    let dir = with_file("ties.blt", "3 1\n1 1=2 3 0\n0\n\"a\"\n\"b\"\n\"c\"\n");
    let output = VERB.run(&["--method", "irv", "--ballots", "ties.blt"], dir.path());
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ranking_tie"), "{stderr}");
    // The same file counts by Schulze, which reads equal ranks.
    ok(
        &["--method", "schulze", "--ballots", "ties.blt"],
        dir.path(),
    );
}

#[test]
fn tally_help_has_an_example() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["tally", "--help"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(help.contains("Example"), "{help}");
}

#[test]
fn the_seed_decides_a_tie_and_is_shown() {
    let dir = with_file("tie.blt", "2 1\n5 1 0\n5 2 0\n0\n\"a\"\n\"b\"\n");
    let seed = "11".repeat(32);
    let first = ok(
        &[
            "--method",
            "plurality",
            "--ballots",
            "tie.blt",
            "--seed",
            &seed,
        ],
        dir.path(),
    );
    let again = ok(
        &[
            "--method",
            "plurality",
            "--ballots",
            "tie.blt",
            "--seed",
            &seed,
        ],
        dir.path(),
    );
    assert_eq!(first, again);
    assert!(first.contains(&seed), "{first}");
    assert!(first.contains("Tie-breaks:"), "{first}");
    assert!(first.contains("Before tie-breaks: "), "{first}");
}
