//! `commons-bench web` end to end on a small commons: it builds the store, serves it,
//! loads every page and prints a report whose figures parse. Timing is not judged here
//! (a loaded test machine may miss the targets); only that the run works.

mod common;

/// The pages of the closing table, in order.
const PAGES: [&str; 4] = [
    "static route (ceiling)",
    "explorer list",
    "event page",
    "overview",
];

#[test]
fn the_web_benchmark_runs_end_to_end_and_its_report_parses() {
    let stdout = common::run_bench(&[
        "web",
        "--events",
        "2000",
        "--authors",
        "20",
        "--duration",
        "1",
        "--sample",
        "50",
        "--no-cache",
    ]);

    let lines: Vec<&str> = stdout.lines().collect();
    let header = lines
        .iter()
        .position(|line| line.starts_with("page ") && line.contains("requests/s"))
        .unwrap_or_else(|| panic!("no report table in:\n{stdout}"));
    let rows = &lines[header + 2..header + 2 + PAGES.len()];
    for (row, page) in rows.iter().zip(PAGES) {
        assert!(row.starts_with(page), "expected {page:?}, got {row:?}");
        // Requests/s, p50, p99 and ratio follow the page name and the path.
        let figures: Vec<&str> = row[page.len()..]
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
        let ratio: f64 = figures[3]
            .parse()
            .unwrap_or_else(|_| panic!("ratio in {row:?}"));
        assert!(ratio > 0.0, "{row}");
        let verdict = row.split_whitespace().last().unwrap_or_default();
        let expected: &[&str] = if page == PAGES[0] {
            &["-"]
        } else {
            &["PASS", "FAIL"]
        };
        assert!(expected.contains(&verdict), "{row}");
    }
    assert!(
        lines
            .iter()
            .any(|line| *line == "web: PASS" || *line == "web: FAIL"),
        "no overall verdict in:\n{stdout}"
    );
}
