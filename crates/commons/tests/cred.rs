//! CLI transcripts of `commons cred pagerank`: the real binary ranking graph files.
// A panic is the failure report in a test.
#![allow(clippy::unwrap_used)]

use std::path::Path;

mod offline;

use offline::{Verb, with_files};

const VERB: Verb = Verb(&["cred", "pagerank"]);

fn ok(args: &[&str], dir: &Path) -> String {
    VERB.ok(args, dir)
}

fn failure(args: &[&str], dir: &Path) -> String {
    VERB.failure(args, dir)
}

/// networkx's test graph (test_pagerank.py), node 2 dangling.
const LANGVILLE_MEYER_CSV: &str = "\
source,target
1,2
1,3
3,1
3,2
3,5
4,5
4,6
5,4
5,6
6,4
";

#[test]
fn pagerank_json_gives_networkx_scores_and_the_iterations() {
    let dir = with_files(&[("g.csv", LANGVILLE_MEYER_CSV)]);
    let out = ok(
        &[
            "--graph", "g.csv", "--alpha", "0.9", "--tol", "1e-8", "--json",
        ],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let expected = [
        ("1", 0.03721197),
        ("2", 0.05395735),
        ("3", 0.04150565),
        ("4", 0.37508082),
        ("5", 0.20599833),
        ("6", 0.28624589),
    ];
    let scores = json["scores"].as_object().unwrap();
    assert_eq!(scores.len(), 6);
    for (node, score) in expected {
        let actual = scores[node].as_f64().unwrap();
        assert!((actual - score).abs() < 1e-6, "{node}: {actual} vs {score}");
    }
    assert!(json["iterations"].as_u64().unwrap() > 1);
}

#[test]
fn pagerank_prints_a_table_sorted_by_score() {
    let dir = with_files(&[("g.csv", LANGVILLE_MEYER_CSV)]);
    let out = ok(&["--graph", "g.csv", "--alpha", "0.9"], dir.path());
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("PageRank of 6 nodes and 10 edges (alpha 0.9): converged in "),
        "{out}"
    );
    let nodes: Vec<&str> = lines[2..]
        .iter()
        .map(|line| line.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(nodes, ["4", "6", "5", "2", "3", "1"], "{out}");
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["1", "4", "0.3750784815"],
        "{out}"
    );
}

#[test]
fn a_personalization_file_weights_the_teleport() {
    // networkx's complete_graph(4) with personalization {0: 1, 1: 1, 2: 4, 3: 4}.
    let mut graph = String::from("source,target,weight\n");
    for a in 0..4 {
        for b in 0..4 {
            if a != b {
                graph.push_str(&format!("{a},{b},1\n"));
            }
        }
    }
    let dir = with_files(&[
        ("g.csv", &graph),
        ("p.csv", "node,weight\n0,1\n1,1\n2,4\n3,4\n"),
    ]);
    let out = ok(
        &["--graph", "g.csv", "--personalization", "p.csv", "--json"],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let score = |node: &str| json["scores"][node].as_f64().unwrap();
    assert!((score("0") - 0.23246732615667579).abs() < 1e-6);
    assert!((score("3") - 0.2675326738433241).abs() < 1e-6);
}

#[test]
fn a_malformed_graph_is_refused_with_its_line_named() {
    let dir = with_files(&[("g.csv", "source,target,weight\na,b,1\nb,c,heavy\n")]);
    let err = failure(&["--graph", "g.csv"], dir.path());
    assert!(
        err.contains(
            "cannot read g.csv: line 3: the weight `heavy` is not a finite non-negative number (csv_weight)"
        ),
        "{err}"
    );
}

#[test]
fn a_personalization_naming_an_unknown_node_is_refused_with_its_line_named() {
    let dir = with_files(&[
        ("g.csv", "source,target\na,b\n"),
        ("p.csv", "node,weight\na,1\nzed,2\n"),
    ]);
    let err = failure(
        &["--graph", "g.csv", "--personalization", "p.csv"],
        dir.path(),
    );
    assert!(
        err.contains(
            "cannot read p.csv: line 3: `zed` is not a node of the graph (csv_unknown_node)"
        ),
        "{err}"
    );
}

#[test]
fn failing_to_converge_is_an_error() {
    let dir = with_files(&[("g.csv", LANGVILLE_MEYER_CSV)]);
    let err = failure(&["--graph", "g.csv", "--max-iter", "2"], dir.path());
    assert!(
        err.contains(
            "cannot rank: power iteration failed to converge in 2 iterations (pagerank_failed_convergence)"
        ),
        "{err}"
    );
}

#[test]
fn help_shows_an_example_whose_output_is_what_the_verb_prints() {
    let dir = tempfile::tempdir().unwrap();
    let help = ok(&["--help"], dir.path());
    assert!(
        help.contains("commons cred pagerank --graph credit.csv"),
        "{help}"
    );
    // The transcript in the help runs as shown.
    std::fs::write(
        dir.path().join("credit.csv"),
        "source,target,weight\nfix-parser,ann,2\nfix-parser,bo,1\nann,fix-parser,0.25\n",
    )
    .unwrap();
    let out = ok(&["--graph", "credit.csv", "--json"], dir.path());
    assert!(
        help.contains(out.trim()),
        "{out} is not in the help:\n{help}"
    );
}
