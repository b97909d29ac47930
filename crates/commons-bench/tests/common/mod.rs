//! Running the benchmark binary from its smoke tests.

use std::process::Command;

/// Runs `commons-bench ARGS` without a PostgreSQL URL (the smoke tests stay on SQLite),
/// fails the test with its output if it fails, and returns its standard output.
pub fn run_bench(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_commons-bench"))
        .args(args)
        .env_remove("COMMONS_BENCH_DATABASE_URL")
        .output()
        .unwrap_or_else(|e| panic!("running commons-bench {args:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "commons-bench {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}
