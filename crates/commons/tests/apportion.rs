//! CLI transcripts of `commons apportion`: the real binary splitting a budget by a weight
//! file.
// A panic is the failure report in a test.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

mod offline;

use offline::{BIN, Verb, with_files};

const VERB: Verb = Verb(&["apportion"]);

fn ok(args: &[&str], dir: &Path) -> String {
    VERB.ok(args, dir)
}

fn failure(args: &[&str], dir: &Path) -> String {
    VERB.failure(args, dir)
}

fn with_file(name: &str, contents: &str) -> tempfile::TempDir {
    with_files(&[(name, contents)])
}

const CONTRIBUTORS_CSV: &str = "id,weight\nzoe,1\nann,1\nbob,1\ncy,0\n";

#[test]
fn apportion_prints_amounts_by_id_summing_to_the_budget() {
    let dir = with_file("contributors.csv", CONTRIBUTORS_CSV);
    // 1000 in thirds: the unit left goes to the smallest id; a zero weight gets zero.
    let out = ok(
        &["--budget", "1000", "--weights", "contributors.csv"],
        dir.path(),
    );
    assert_eq!(
        out,
        "ann     334\nbob     333\ncy        0\nzoe     333\ntotal  1000\n"
    );
}

#[test]
fn apportion_prints_json_allocations() {
    let dir = with_file("contributors.csv", CONTRIBUTORS_CSV);
    let out = ok(
        &[
            "--budget",
            "1000",
            "--weights",
            "contributors.csv",
            "--json",
        ],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"allocations": {"ann": 334, "bob": 333, "cy": 0, "zoe": 333}})
    );
}

#[test]
fn apportion_reads_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["apportion", "--budget", "10", "--weights", "-"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"id,weight\na,3\nb,2\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "a       6\nb       4\ntotal  10\n"
    );
}

#[test]
fn apportion_refuses_a_malformed_file_naming_the_line() {
    let dir = with_file("bad.csv", "id,weight\nann,2\nbob,2.5\n");
    let err = failure(&["--budget", "10", "--weights", "bad.csv"], dir.path());
    assert!(
        err.contains("bad.csv") && err.contains("line 3") && err.contains("(csv_weight)"),
        "{err}"
    );
    let dir = with_file("zero.csv", "id,weight\nann,0\n");
    let err = failure(&["--budget", "10", "--weights", "zero.csv"], dir.path());
    assert!(err.contains("apportion_zero_weight"), "{err}");
    let err = failure(&["--budget", "-1", "--weights", "zero.csv"], dir.path());
    assert!(err.contains("--budget"), "{err}");
    let err = failure(&["--budget", "1", "--weights", "missing.csv"], dir.path());
    assert!(err.contains("cannot open missing.csv"), "{err}");
}

#[test]
fn apportion_help_has_an_example() {
    let dir = tempfile::tempdir().unwrap();
    let help = ok(&["--help"], dir.path());
    assert!(help.contains("Example"), "{help}");
    assert!(
        help.contains("commons apportion --budget 100000 --weights contributors.csv"),
        "{help}"
    );
}
