//! `commons-bench ingest` end to end on a small workload: every direct run, the HTTP
//! paths, rebuild and verify complete, the direct row is the median of its runs, and the
//! table names every path. Timing is not judged here (a loaded test machine may miss the
//! targets); PostgreSQL is left to the benchmark proper.

mod common;

/// The number in `text` after `before`, with its thousands separators dropped.
fn number_after(text: &str, before: &str) -> u64 {
    let start = text
        .find(before)
        .unwrap_or_else(|| panic!("no {before:?} in {text:?}"))
        + before.len();
    let digits: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {before:?} in {text:?}"))
}

#[test]
fn the_ingest_benchmark_runs_every_path_and_reports_the_median_direct_run() {
    let stdout = common::run_bench(&[
        "ingest",
        "--events",
        "3000",
        "--authors",
        "30",
        "--http-single-authors",
        "3",
        "--direct-runs",
        "3",
    ]);
    let lines: Vec<&str> = stdout.lines().collect();

    let mut runs: Vec<u64> = (1..=3)
        .map(|run| {
            let prefix = format!("sqlite direct, run {run} of 3:");
            let line = lines
                .iter()
                .find(|line| line.starts_with(&prefix))
                .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{stdout}"));
            assert_eq!(number_after(line, "submit_many chunks of 1,000: "), 3_000);
            number_after(line, " s = ")
        })
        .collect();
    runs.sort_unstable();
    let median_line = lines
        .iter()
        .find(|line| line.starts_with("sqlite direct: median of 3 runs = "))
        .unwrap_or_else(|| panic!("no median line in:\n{stdout}"));
    assert_eq!(
        number_after(median_line, "median of 3 runs = "),
        runs[1],
        "the median is the middle run"
    );

    for prefix in [
        "baseline: ",
        "sqlite rebuild: ",
        "sqlite verify: ",
        "sqlite http: ",
        "baseline again: ",
        "postgres: skipped",
        "memory: peak RSS",
    ] {
        assert!(
            lines.iter().any(|line| line.starts_with(prefix)),
            "no {prefix:?} line in:\n{stdout}"
        );
    }
    for path in [
        "raw Ed25519 batch verify (1 thread)",
        "direct ingest (sqlite)",
        "HTTP ingest (sqlite, 100/request)",
        "rebuild (sqlite)",
        "verify / audit (sqlite)",
        "peak RSS (whole process)",
    ] {
        let row = lines
            .iter()
            .find(|line| line.starts_with(path))
            .unwrap_or_else(|| panic!("no {path:?} row in:\n{stdout}"));
        assert!(
            row.ends_with("PASS") || row.ends_with("MISS") || row.ends_with('-'),
            "row without a verdict: {row:?}"
        );
    }
}
