//! Benchmarks of the commons node, measured against a baseline taken in the same run.
//!
//! `ingest` signs a deterministic workload, measures the raw Ed25519 batch-verification
//! rate of its signatures, then ingests it into fresh stores through the node directly
//! and over HTTP, times a rebuild and a full verify, and prints every figure with its
//! ratio to the baseline and its target. Timing never fails the run: only a functional
//! failure (an event refused or lost, an audit finding) does.

pub mod audit;
pub mod baseline;
pub mod direct;
pub mod http;
pub mod ingest;
pub mod postgres;
pub mod production;
pub mod production_workload;
pub mod random;
pub mod report;
pub mod tally;
pub mod value;
pub mod value_distribution;
pub mod web;
pub mod workload;

use anyhow::{Context, Result};
use commons_store::AnyStore;
use report::{Row, Target, grouped};
use std::sync::Arc;
use std::time::Instant;
use workload::Workload;

/// Direct ingest must reach this fraction of the raw batch-verification rate.
pub const DIRECT_RATIO_MIN: f64 = 0.6;
/// HTTP ingest must reach this fraction of the raw batch-verification rate.
pub const HTTP_RATIO_MIN: f64 = 0.3;
/// Rebuild must replay at least this many ledger entries per second.
pub const REBUILD_EVENTS_PER_SECOND_MIN: f64 = 200_000.0;
/// Peak resident memory of the whole benchmark process must stay below this.
pub const PEAK_RSS_MEGABYTES_MAX: f64 = 300.0;

/// Options of `commons-bench ingest`.
#[derive(Clone, Debug, clap::Args)]
pub struct IngestArgs {
    /// Events to ingest (not counting the genesis).
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub events: u64,
    /// Authors writing them, each an in-order chain of `agent.profile` events.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub authors: u64,
    /// Concurrent submitter tasks on the direct path, each owning a slice of the authors.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1_024))]
    pub submitters: u64,
    /// Envelopes per `Node::submit_many` call on the direct path.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=commons_node::SUBMIT_MANY_MAX as u64))]
    pub chunk: u64,
    /// Runs of the direct path per backend, each into a fresh store; the row reports the
    /// median run (every run is printed). The first SQLite run's store is rebuilt and verified.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=9))]
    pub direct_runs: u64,
    /// Concurrent HTTP clients, each owning a slice of the authors.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=1_024))]
    pub http_clients: u64,
    /// Envelopes per request on the HTTP path, sent to `POST /api/v1/events/batch`; 1
    /// sends each alone to `POST /api/v1/events`.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=commons_web::api::BATCH_ENVELOPES_MAX as u64))]
    pub http_batch: u64,
    /// Also send the events of this many authors one envelope per `POST /api/v1/events`,
    /// on a fresh store of their own, for comparison (0: skip). Its figure has no target.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub http_single_authors: u64,
    /// Signatures per `verify_batch` call in the baseline.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub verify_chunk: u64,
    /// Put the SQLite files in this directory and keep them afterwards (default: a
    /// temporary directory, removed at the end). The directory must not hold them yet.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Skip the HTTP path (for profiling the direct path alone).
    #[arg(long)]
    pub skip_http: bool,
    /// Also measure ingest on this PostgreSQL server; a fresh database is created on it
    /// for each path and dropped afterwards.
    #[arg(long, env = "COMMONS_BENCH_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
}

/// Sizes the command line holds within `usize` on every platform we build for.
fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Runs the ingest benchmark and prints its report.
pub fn ingest(args: &IngestArgs) -> Result<()> {
    let n_events = to_usize(args.events);
    let n_authors = to_usize(args.authors);
    println!(
        "commons-bench ingest: {} events from {} authors (each an in-order chain of agent.profile), plus one genesis",
        grouped(args.events),
        grouped(args.authors)
    );

    println!(
        "machine: {} cores; load average at start {} (other processes on the machine compete for the CPU and disk)",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        load_average()
    );
    let started = Instant::now();
    let workload = Arc::new(Workload::generate(n_events, n_authors));
    let took = started.elapsed();
    println!(
        "generate: signed in {:.2} s on {} threads ({} events/s); {:.1} MB of envelopes",
        took.as_secs_f64(),
        workload::SIGNING_THREADS,
        grouped(report::rate(n_events, took) as u64),
        workload.envelope_bytes() as f64 / 1e6
    );

    let raw = baseline::measure(&workload, to_usize(args.verify_chunk))?;
    let raw_rate = raw.events_per_second();
    println!(
        "baseline: commons_ledger::keys::verify_batch on 1 thread, chunks of {} in round-robin author order ({} distinct authors per chunk): {} signatures in {:.2} s = {} events/s",
        raw.chunk_events,
        raw.chunk_events.min(n_authors),
        grouped(raw.n_events as u64),
        raw.verify.as_secs_f64(),
        grouped(raw_rate as u64)
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let mut rows = vec![Row {
        path: "raw Ed25519 batch verify (1 thread)".to_owned(),
        value: raw_rate,
        ratio: Some(1.0),
        target: Target::Baseline,
    }];
    runtime.block_on(measure_paths(args, workload.clone(), raw_rate, &mut rows))?;

    // The baseline again, now that the paths have run: on a shared machine one measurement
    // can land in a slow moment. Every ratio is taken against the faster of the two, which
    // can only lower it.
    let again = baseline::measure(&workload, to_usize(args.verify_chunk))?;
    let best = raw_rate.max(again.events_per_second());
    println!(
        "baseline again: {} events/s; ratios are against the faster of the two, {} events/s",
        grouped(again.events_per_second() as u64),
        grouped(best as u64)
    );
    report::rebase(&mut rows, raw_rate, best);

    let rss = report::peak_rss_megabytes();
    match rss {
        Some(megabytes) => println!("memory: peak RSS (VmHWM) {megabytes:.1} MB"),
        None => println!("memory: peak RSS unknown (no VmHWM in /proc/self/status)"),
    }
    rows.push(Row {
        path: "peak RSS (whole process)".to_owned(),
        value: rss.unwrap_or(f64::NAN),
        ratio: None,
        target: Target::MegabytesBelow(PEAK_RSS_MEGABYTES_MAX),
    });

    println!("machine: load average at end {}", load_average());
    println!();
    print!("{}", report::table(&rows));
    println!();
    println!(
        "ratio = path events/s / raw batch-verification events/s of the same signatures on ONE thread \
         (the machine has {} cores; the node may use all of them)",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    );
    println!(
        "rebuild and verify rates count ledger entries (genesis, events and the node's ledger.tick events)"
    );
    Ok(())
}

async fn measure_paths(
    args: &IngestArgs,
    workload: Arc<Workload>,
    raw_rate: f64,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let temporary = tempfile::tempdir().context("cannot create a temporary directory")?;
    let data = args.data_dir.as_deref().unwrap_or(temporary.path());
    let sqlite = |name: &str| {
        let path = data.join(name);
        async move {
            anyhow::ensure!(
                !path.exists(),
                "{} exists already; the benchmark needs a fresh store",
                path.display()
            );
            let location = path.to_str().context("the data directory is not UTF-8")?;
            AnyStore::open(location)
                .await
                .context("cannot open a SQLite store")
        }
    };

    // Direct path on SQLite, then rebuild and verify on the same store.
    let store = sqlite("direct.db").await?;
    let direct = run_direct(args, &workload, store.clone(), "sqlite", 1).await?;
    let mut direct_rates = vec![direct.events_per_second()];
    for run in 2..=args.direct_runs {
        let fresh = sqlite(&format!("direct-{run}.db")).await?;
        let again = run_direct(args, &workload, fresh.clone(), "sqlite", run).await;
        fresh.close().await;
        direct_rates.push(again?.events_per_second());
    }
    push_direct_row("sqlite", &direct_rates, raw_rate, rows);
    let rebuilt = audit::rebuild(&store, &workload.commons, direct.ledger_size).await?;
    println!(
        "sqlite rebuild: {} ledger entries in {:.2} s = {} events/s",
        grouped(rebuilt.n_entries),
        rebuilt.elapsed.as_secs_f64(),
        grouped(rebuilt.events_per_second() as u64)
    );
    let verified = audit::verify(&store, &workload.commons).await?;
    println!(
        "sqlite verify: {} ledger entries audited in {:.2} s = {} events/s",
        grouped(verified.n_entries),
        verified.elapsed.as_secs_f64(),
        grouped(verified.events_per_second() as u64)
    );

    // HTTP path on a second SQLite store.
    if args.skip_http {
        println!("sqlite http: skipped (--skip-http)");
    } else {
        let http_store = sqlite("http.db").await?;
        measure_http(args, &workload, http_store, "sqlite", raw_rate, rows).await?;
        let n_single = to_usize(args.http_single_authors).min(workload.chains.len());
        if n_single > 0 {
            let single_store = sqlite("http-single.db").await?;
            measure_http_single(args, &workload, n_single, single_store, raw_rate, rows).await?;
        }
    }

    rows.push(Row {
        path: "rebuild (sqlite)".to_owned(),
        value: rebuilt.events_per_second(),
        ratio: Some(rebuilt.events_per_second() / raw_rate),
        target: Target::RateMin(REBUILD_EVENTS_PER_SECOND_MIN),
    });
    rows.push(Row {
        path: "verify / audit (sqlite)".to_owned(),
        value: verified.events_per_second(),
        ratio: Some(verified.events_per_second() / raw_rate),
        target: Target::None,
    });

    match &args.database_url {
        None => println!(
            "postgres: skipped; pass --database-url URL or set COMMONS_BENCH_DATABASE_URL (e.g. {}) to measure it",
            postgres::EXAMPLE_URL
        ),
        Some(url) => {
            let mut runs: Vec<(&str, u64)> =
                (1..=args.direct_runs).map(|run| ("direct", run)).collect();
            if !args.skip_http {
                runs.push(("http", 1));
            }
            let mut direct_rates = Vec::new();
            for (path, run) in runs {
                let database = postgres::FreshDatabase::create(url).await?;
                println!(
                    "postgres: created database {} for the {path} path",
                    database.name
                );
                let measured = async {
                    let store = database.store().await?;
                    let result = if path == "direct" {
                        run_direct(args, &workload, store.clone(), "postgres", run)
                            .await
                            .map(|run| direct_rates.push(run.events_per_second()))
                    } else {
                        measure_http(args, &workload, store.clone(), "postgres", raw_rate, rows)
                            .await
                    };
                    store.close().await;
                    result
                }
                .await;
                let name = database.name.clone();
                let dropped = database.drop_database().await;
                measured?;
                dropped?;
                println!("postgres: dropped database {name}");
                if path == "direct" && run == args.direct_runs {
                    push_direct_row("postgres", &direct_rates, raw_rate, rows);
                }
            }
        }
    }
    Ok(())
}

/// One run of the direct path into `store`, printed as run `run` of `--direct-runs`.
async fn run_direct(
    args: &IngestArgs,
    workload: &Arc<Workload>,
    store: AnyStore,
    backend: &str,
    run: u64,
) -> Result<ingest::IngestRun> {
    let measured = direct::ingest(
        workload.clone(),
        store,
        to_usize(args.submitters),
        to_usize(args.chunk),
    )
    .await?;
    println!(
        "{backend} direct, run {run} of {}: {} submitters x submit_many chunks of {}: {} events in {:.2} s = {} events/s \
         ({})",
        args.direct_runs,
        args.submitters,
        grouped(args.chunk),
        grouped(measured.n_events as u64),
        measured.elapsed.as_secs_f64(),
        grouped(measured.events_per_second() as u64),
        measured.commit_summary()
    );
    Ok(measured)
}

/// The direct path's row: the median of its runs' rates.
fn push_direct_row(backend: &str, rates: &[f64], raw_rate: f64, rows: &mut Vec<Row>) {
    let median = report::median(rates);
    println!(
        "{backend} direct: median of {} runs = {} events/s",
        rates.len(),
        grouped(median as u64)
    );
    rows.push(Row {
        path: format!("direct ingest ({backend})"),
        value: median,
        ratio: Some(median / raw_rate),
        target: Target::RatioMin(DIRECT_RATIO_MIN),
    });
}

async fn measure_http(
    args: &IngestArgs,
    workload: &Arc<Workload>,
    store: AnyStore,
    backend: &str,
    raw_rate: f64,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let batch = to_usize(args.http_batch);
    let run = http::ingest(
        workload.clone(),
        0..workload.chains.len(),
        store,
        to_usize(args.http_clients),
        batch,
    )
    .await?;
    let how = if batch == 1 {
        "one envelope per POST /api/v1/events".to_owned()
    } else {
        format!("{batch} envelopes per POST /api/v1/events/batch")
    };
    println!(
        "{backend} http: {} clients, {how}: {} events in {:.2} s = {} events/s \
         ({})",
        args.http_clients,
        grouped(run.n_events as u64),
        run.elapsed.as_secs_f64(),
        grouped(run.events_per_second() as u64),
        run.commit_summary()
    );
    rows.push(Row {
        path: format!("HTTP ingest ({backend}, {batch}/request)"),
        value: run.events_per_second(),
        ratio: Some(run.events_per_second() / raw_rate),
        target: Target::RatioMin(HTTP_RATIO_MIN),
    });
    Ok(())
}

/// One envelope per request, for the events of the first `n_authors` authors only (a
/// smaller ledger than the other paths write, so its figure is a little flattering).
async fn measure_http_single(
    args: &IngestArgs,
    workload: &Arc<Workload>,
    n_authors: usize,
    store: AnyStore,
    raw_rate: f64,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let run = http::ingest(
        workload.clone(),
        0..n_authors,
        store,
        to_usize(args.http_clients),
        1,
    )
    .await?;
    println!(
        "sqlite http, one envelope per POST /api/v1/events: {} clients, the {} events of {} authors in {:.2} s = {} events/s \
         ({})",
        args.http_clients,
        grouped(run.n_events as u64),
        grouped(n_authors as u64),
        run.elapsed.as_secs_f64(),
        grouped(run.events_per_second() as u64),
        run.commit_summary()
    );
    rows.push(Row {
        path: format!(
            "HTTP, 1/request, {} ev (sqlite)",
            grouped(run.n_events as u64)
        ),
        value: run.events_per_second(),
        ratio: Some(run.events_per_second() / raw_rate),
        target: Target::None,
    });
    Ok(())
}

/// The 1, 5 and 15 minute load averages, or `unknown`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
