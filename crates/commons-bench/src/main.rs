//! `commons-bench`: benchmarks that print what they measured and its ratio to a baseline
//! measured in the same run. Timing never fails a run; a functional failure does.

use clap::{Parser, Subcommand};

mod crash;

#[derive(Debug, Parser)]
#[command(name = "commons-bench", about = "Benchmarks of the commons node")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ingest a signed workload directly and over HTTP into fresh stores; print events/s
    /// against the raw Ed25519 batch-verification rate, rebuild and verify rates, peak RSS.
    ///
    /// Example: cargo run --release -p commons-bench -- ingest --events 20000 --authors 100
    Ingest(commons_bench::IngestArgs),
    /// SIGKILL the `commons` binary in the middle of HTTP ingest, round after round on the
    /// same data; after each restart check that every acknowledged event is present, that
    /// checkpoints stay consistent, that `commons verify` passes and that chains continue.
    ///
    /// Example: cargo run --release -p commons-bench -- crash-soak --rounds 100
    CrashSoak(crash::CrashSoakArgs),
    /// Serve a commons of a million events and load the explorer list, event pages and
    /// the overview at 64 connections; print requests/s, p50 and p99 per page and each
    /// page's ratio to a static route measured in the same run.
    ///
    /// Example: cargo run --release -p commons-bench -- web --duration 10
    Web(commons_bench::web::WebArgs),
    /// Build (or reuse) a commons of a million events of peer production (100,000 tasks,
    /// 300,000 contributions), serve it and load the task board, a busy contributor's
    /// record, the activity feed and the statistics through the API with a few clients;
    /// print p50, p99 and requests/s per view against /healthz, then time a full verify.
    ///
    /// Example: cargo run --release -p commons-bench -- production --events 20000
    Production(commons_bench::production::ProductionArgs),
    /// Count seeded profiles (100,000 ranked ballots over 10 candidates; 10,000 for a
    /// 5-seat STV) with commons-tally by plurality, instant runoff, Schulze, ranked pairs,
    /// Scottish and Meek STV, and the same with the Python package pref_voting in the same
    /// run (installed into target/ on first use); print each time, the ratio against the
    /// target of 50x and whether the winners agree.
    ///
    /// Example: cargo run --release -p commons-bench -- tally
    Tally(commons_bench::tally::TallyArgs),
    /// Rank a seeded credit graph (200,000 nodes, 1,000,000 edges) with commons-value's
    /// PageRank and CredRank, and the same graph with networkx.pagerank in the same run
    /// (installed into target/ on first use); print each time, the ratio against the
    /// target of 30x and the largest score difference (at most 1e-6); then time
    /// apportioning among 1,000,000 recipients against summing their weights.
    ///
    /// Example: cargo run --release -p commons-bench -- value
    Value(commons_bench::value::ValueArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Command::Ingest(args) => commons_bench::ingest(args),
        Command::CrashSoak(args) => crash::crash_soak(args),
        Command::Web(args) => commons_bench::web::web(args),
        Command::Production(args) => commons_bench::production::production(args),
        Command::Tally(args) => commons_bench::tally::tally(args),
        Command::Value(args) => commons_bench::value::value(args),
    }
}
