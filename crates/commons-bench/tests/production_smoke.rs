//! `commons-bench production` end to end on a small commons: the generated workload is
//! accepted whole, the node serves every view, the verify runs, and the report's table
//! parses. Timing is not judged here (a loaded test machine may miss the targets).

mod common;

/// The views of the closing table, in order; the baseline first.
const VIEWS: [&str; 7] = [
    "baseline",
    "task board",
    "task board, one area",
    "busy contributor's record",
    "activity feed",
    "activity feed, one area",
    "statistics",
];

#[test]
fn the_production_benchmark_builds_serves_and_verifies_a_small_commons() {
    let stdout = common::run_bench(&[
        "production",
        "--events",
        "3000",
        "--duration",
        "1",
        "--clients",
        "2",
        "--no-cache",
    ]);

    let lines: Vec<&str> = stdout.lines().collect();
    let has = |prefix: &str| lines.iter().any(|line| line.starts_with(prefix));
    for prefix in [
        "build: ingest:",
        "node start:",
        "state:",
        "verify:",
        "fork: at the latest checkpoint",
        "fork vs verify:",
    ] {
        assert!(has(prefix), "no {prefix:?} line in:\n{stdout}");
    }
    let header = lines
        .iter()
        .position(|line| line.starts_with("view ") && line.contains("p99 ratio"))
        .unwrap_or_else(|| panic!("no report table in:\n{stdout}"));
    let rows = &lines[header + 2..header + 2 + VIEWS.len()];
    for (row, view) in rows.iter().zip(VIEWS) {
        assert!(row.starts_with(view), "expected {view:?}, got {row:?}");
        // Requests/s, p50, p99 and the ratio follow the view's name and path.
        let figures: Vec<&str> = row[view.len()..]
            .split_whitespace()
            .skip(1)
            .take(4)
            .collect();
        let requests_per_second: u64 = figures[0]
            .replace(',', "")
            .parse()
            .unwrap_or_else(|_| panic!("requests/s in {row:?}"));
        assert!(requests_per_second > 0, "{row}");
        let p50: f64 = figures[1]
            .parse()
            .unwrap_or_else(|_| panic!("p50 in {row:?}"));
        let p99: f64 = figures[2]
            .parse()
            .unwrap_or_else(|_| panic!("p99 in {row:?}"));
        assert!(0.0 < p50 && p50 <= p99, "{row}");
        let verdict = row.split_whitespace().last().unwrap_or_default();
        let expected: &[&str] = if view == VIEWS[0] {
            &["-"]
        } else {
            &["PASS", "MISS"]
        };
        assert!(expected.contains(&verdict), "{row}");
    }
    assert!(
        lines
            .iter()
            .any(|line| *line == "production: PASS" || *line == "production: MISS"),
        "no overall verdict in:\n{stdout}"
    );
}
