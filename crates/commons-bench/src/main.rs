//! `commons-bench`: benchmarks that print what they measured and its ratio to a baseline
//! measured in the same run. Timing never fails a run; a functional failure does.

use clap::{Parser, Subcommand};

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
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Command::Ingest(args) => commons_bench::ingest(args),
    }
}
