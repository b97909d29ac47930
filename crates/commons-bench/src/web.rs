//! `commons-bench web`: the web pages under load. A commons of `--events` events (one
//! million by default) is served by the node's real router on a loopback port, and an
//! in-process client loads each page in turn at `--connections` concurrent keep-alive
//! connections for `--duration` seconds: the explorer's event list, event pages (random
//! events across the whole ledger), the commons overview, and `/healthz`, a trivial
//! static route whose throughput is the ceiling every page is compared with.
//!
//! Building a million-event store takes about a minute (signing, then direct ingest with
//! `Node::submit_many`), so the store is kept between runs under
//! `target/commons-bench-web/events-N-authors-A-vV/` (or `--cache-dir`), keyed by the
//! workload's parameters and [`CACHE_FORMAT`], and reused when its `complete` marker is
//! there; `--no-cache` builds a fresh store in a temporary directory instead. Delete the
//! directory to force a rebuild.
//!
//! Latencies are whole microseconds, from sending a request to having read its whole
//! body; percentiles are exact (nearest rank over every request). Each page is warmed up
//! for a fifth of the duration (at most a second) before it is measured. As in the other
//! benchmarks, timing never fails the run: a target missed prints FAIL, while a request
//! answered with anything but 200 is a functional failure and ends the run with an error.

use crate::ingest::start_node;
use crate::random::SplitMix64;
use crate::report::{grouped, rate};
use crate::workload::Workload;
use anyhow::{Context, Result, bail, ensure};
use commons_ledger::CommonsId;
use commons_node::Node;
use commons_store::{AnyStore, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The explorer's list of events. (Before the HTML explorer existed, the benchmark loaded
/// the JSON listing `/api/v1/commons/{id}/events?limit=50` here.)
pub const EXPLORER_LIST_PATH: &str = "/c/{id}/events";
/// One event's page.
pub const EVENT_PAGE_PATH: &str = "/c/{id}/events/{event_id}";
/// The commons overview.
pub const OVERVIEW_PATH: &str = "/c/{id}";
/// The ceiling: a route that does no work.
pub const STATIC_PATH: &str = "/healthz";

/// Every page's 99th percentile latency must stay below this, in microseconds.
pub const P99_MICROS_MAX: u64 = 50_000;
/// The explorer list must reach this fraction of the static route's requests per second.
pub const LIST_RATIO_MIN: f64 = 0.2;
/// Bump when the stored workload changes, so that old caches are not reused.
pub const CACHE_FORMAT: u32 = 1;
/// Envelopes per `Node::submit_many` call while building the store.
const BUILD_CHUNK: usize = 1_000;
/// Concurrent submitters while building the store.
const BUILD_SUBMITTERS: usize = 4;
/// Longest warm-up of one page.
const WARM_UP_MAX: Duration = Duration::from_secs(1);
/// Marks a cached store whose build finished.
const COMPLETE_MARKER: &str = "complete";

/// Options of `commons-bench web`.
#[derive(Clone, Debug, clap::Args)]
pub struct WebArgs {
    /// Events in the served commons (not counting the genesis).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub events: u64,
    /// Authors writing them, each an in-order chain of `agent.profile` events.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub authors: u64,
    /// Seconds each page is loaded for (after its warm-up).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub duration: u64,
    /// Concurrent keep-alive connections, each sending its next request when the last
    /// one is answered.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1_024))]
    pub connections: u64,
    /// Random events whose pages the event-page load cycles through.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub sample: u64,
    /// Where built stores are kept between runs (default: target/commons-bench-web).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Build a fresh store in a temporary directory, and keep nothing.
    #[arg(long)]
    pub no_cache: bool,
}

/// One page's figures.
#[derive(Clone, Debug)]
pub struct PageRun {
    pub name: &'static str,
    pub path: &'static str,
    pub requests: usize,
    pub elapsed: Duration,
    pub p50_micros: u64,
    pub p99_micros: u64,
    /// Bytes of one answer (the first), to show what was served.
    pub body_bytes: usize,
}

impl PageRun {
    pub fn requests_per_second(&self) -> f64 {
        rate(self.requests, self.elapsed)
    }
}

/// Runs the web benchmark and prints its report.
pub fn web(args: &WebArgs) -> Result<()> {
    println!(
        "commons-bench web: a commons of {} events from {} authors; {} connections, {} s per page",
        grouped(args.events),
        grouped(args.authors),
        args.connections,
        args.duration
    );
    println!(
        "machine: {} cores; load average at start {}",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        crate::load_average()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(run(args))
}

async fn run(args: &WebArgs) -> Result<()> {
    let temporary = tempfile::tempdir().context("cannot create a temporary directory")?;
    let dir = if args.no_cache {
        temporary.path().to_owned()
    } else {
        cache_dir(args)
    };
    let (node, commons) = open_or_build(args, &dir).await?;
    let size = node
        .commons(&commons)
        .context("the commons is not hosted")?
        .size;

    // The random events whose pages are loaded, spread over the whole ledger.
    let mut event_ids = Vec::new();
    let mut random = SplitMix64::new(0x5eed);
    for _ in 0..args.sample {
        let index = random.next_u64() % size;
        let found = node
            .store()
            .events_range(&commons, index, index + 1)
            .await?;
        let event = found
            .first()
            .with_context(|| format!("FUNCTIONAL FAILURE: no event at index {index}"))?;
        event_ids.push(event.id.to_hex());
    }

    // What a chart costs when it is not cached: the store's count over a window holding
    // the whole ledger (as if today were the day of its last event) and the drawing.
    let last = node
        .store()
        .events_range(&commons, size - 1, size)
        .await?
        .first()
        .map_or(0, |event| event.time_ms);
    let started = Instant::now();
    let per_day = commons_web::charts::events_per_day_svg(&node, &commons, last)
        .await
        .map_err(|error| anyhow::anyhow!("events-per-day chart: {}", error.message()))?;
    let per_day_took = started.elapsed();
    let started = Instant::now();
    let per_week = commons_web::charts::authors_per_week_svg(&node, &commons, last)
        .await
        .map_err(|error| anyhow::anyhow!("authors-per-week chart: {}", error.message()))?;
    let per_week_took = started.elapsed();
    println!(
        "charts (uncached, all {} ledger entries in the window): events per day {} ms ({} bytes of SVG), authors per week {} ms ({} bytes)",
        grouped(size),
        per_day_took.as_millis(),
        grouped(per_day.len() as u64),
        per_week_took.as_millis(),
        grouped(per_week.len() as u64)
    );

    let served = crate::http::Served::start(&node).await?;
    let base = served.base.clone();

    let id = commons.to_hex();
    let url = |path: &str| format!("{base}{}", path.replace("{id}", &id));
    let pages: [(&'static str, &'static str, Vec<String>); 4] = [
        (
            "static route (ceiling)",
            STATIC_PATH,
            vec![url(STATIC_PATH)],
        ),
        (
            "explorer list",
            EXPLORER_LIST_PATH,
            vec![url(EXPLORER_LIST_PATH)],
        ),
        (
            "event page",
            EVENT_PAGE_PATH,
            event_ids
                .iter()
                .map(|event| url(EVENT_PAGE_PATH).replace("{event_id}", event))
                .collect(),
        ),
        ("overview", OVERVIEW_PATH, vec![url(OVERVIEW_PATH)]),
    ];
    let duration = Duration::from_secs(args.duration);
    let connections = usize::try_from(args.connections).unwrap_or(usize::MAX);
    let mut runs = Vec::new();
    for (name, path, urls) in pages {
        runs.push(measure(name, path, urls, connections, duration).await?);
    }
    served.stop().await?;
    node.store().close().await;

    if let Some(megabytes) = crate::report::peak_rss_megabytes() {
        println!(
            "memory: peak RSS (VmHWM) {megabytes:.1} MB (server, client and, when built, the workload)"
        );
    }
    println!("machine: load average at end {}", crate::load_average());
    println!();
    print!("{}", table(&runs));
    println!();
    println!(
        "ratio = page requests/s / static route requests/s in the same run; the client runs in the same process on the same cores"
    );
    let verdict = if runs
        .iter()
        .all(|run| verdict(run, &runs[0]).is_none_or(|pass| pass))
    {
        "PASS"
    } else {
        "FAIL"
    };
    println!("web: {verdict}");
    Ok(())
}

/// The default cache directory of this workload.
fn cache_dir(args: &WebArgs) -> PathBuf {
    let root = args
        .cache_dir
        .clone()
        .unwrap_or_else(|| default_cache_root("commons-bench-web"));
    root.join(format!(
        "events-{}-authors-{}-v{CACHE_FORMAT}",
        args.events, args.authors
    ))
}

/// `name` under the target directory (`CARGO_TARGET_DIR`, else the workspace's `target`):
/// where a benchmark keeps the stores it built between runs.
pub fn default_cache_root(name: &str) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // crates/commons-bench -> the workspace's target directory.
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            manifest
                .ancestors()
                .nth(2)
                .unwrap_or(manifest)
                .join("target")
        })
        .join(name)
}

/// A node serving the benchmark commons from `dir`: the store found there if its build
/// completed, otherwise a store built afresh.
async fn open_or_build(args: &WebArgs, dir: &Path) -> Result<(Node, CommonsId)> {
    let path = dir.join("commons.db");
    let location = path
        .to_str()
        .context("the store path is not UTF-8")?
        .to_owned();
    // The genesis and keys do not depend on the number of events.
    let identity = Workload::generate(0, 1);
    if dir.join(COMPLETE_MARKER).exists() {
        let started = Instant::now();
        let store = AnyStore::open(&location)
            .await
            .context("cannot open the cached store")?;
        let node = start_node(&identity, store).await?;
        let size = node.commons(&identity.commons).map_or(0, |view| view.size);
        ensure!(
            size > args.events,
            "the cached store in {} has {size} entries, not the {} events asked for; delete it",
            dir.display(),
            args.events
        );
        println!(
            "store: reused {} ({} ledger entries; node started in {:.2} s)",
            dir.display(),
            grouped(size),
            started.elapsed().as_secs_f64()
        );
        return Ok((node, identity.commons));
    }
    if dir.exists() {
        // A build that did not finish.
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("cannot remove the unfinished store {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;

    let started = Instant::now();
    let n_events = usize::try_from(args.events)?;
    let workload = Arc::new(Workload::generate(n_events, usize::try_from(args.authors)?));
    println!(
        "store: signed {} events in {:.2} s",
        grouped(args.events),
        started.elapsed().as_secs_f64()
    );
    let store = AnyStore::open(&location)
        .await
        .context("cannot create the store")?;
    let node = start_node(&workload, store).await?;
    let started = Instant::now();
    build(&node, &workload).await?;
    let took = started.elapsed();
    let size = node.commons(&workload.commons).map_or(0, |view| view.size);
    ensure!(
        size > args.events,
        "FUNCTIONAL FAILURE: the ledger has {size} entries after ingesting {} events",
        args.events
    );
    std::fs::write(
        dir.join(COMPLETE_MARKER),
        format!("{size} ledger entries\n"),
    )
    .context("cannot mark the store complete")?;
    println!(
        "store: ingested {} events with submit_many in {:.2} s = {} events/s into {}",
        grouped(args.events),
        took.as_secs_f64(),
        grouped(rate(n_events, took) as u64),
        if args.no_cache {
            "a temporary directory".to_owned()
        } else {
            format!("{} (kept for the next run)", dir.display())
        }
    );
    Ok((node, workload.commons))
}

/// Ingests the workload through the node's direct path, printing progress to stderr.
async fn build(node: &Node, workload: &Arc<Workload>) -> Result<()> {
    let genesis = node
        .submit(&workload.genesis)
        .await
        .context("the genesis is refused")?;
    ensure!(
        genesis.status == commons_node::SubmitStatus::Sequenced { index: 0 },
        "the genesis was not sequenced at index 0: {:?}",
        genesis.status
    );
    let done = Arc::new(AtomicUsize::new(0));
    let progress = {
        let done = done.clone();
        let total = workload.n_events;
        tokio::spawn(async move {
            let started = Instant::now();
            let mut ticker = tokio::time::interval(Duration::from_secs(2));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let n = done.load(Ordering::Relaxed);
                eprintln!(
                    "  ingest: {} / {} events ({} events/s)",
                    grouped(n as u64),
                    grouped(total as u64),
                    grouped(rate(n, started.elapsed()) as u64)
                );
            }
        })
    };
    let tally = crate::direct::submit_all(
        node,
        workload,
        BUILD_SUBMITTERS,
        BUILD_CHUNK,
        Some(done.clone()),
    )
    .await?;
    progress.abort();
    if tally.sequenced != workload.n_events || !tally.failed.is_empty() {
        bail!(
            "FUNCTIONAL FAILURE: of {} events, {} were sequenced, {} left pending, failures by code {:?}; first failure: {}",
            workload.n_events,
            tally.sequenced,
            tally.pending,
            tally.failed,
            tally.first_failure.as_deref().unwrap_or("none")
        );
    }
    Ok(())
}

/// Loads one page: `urls` (cycled through) at `connections` concurrent connections,
/// warmed up for a fifth of `duration` (at most [`WARM_UP_MAX`]) and then measured for
/// `duration`; prints its line and returns its figures.
pub async fn measure(
    name: &'static str,
    path: &'static str,
    urls: Vec<String>,
    connections: usize,
    duration: Duration,
) -> Result<PageRun> {
    let urls = Arc::new(urls);
    let warm_up = (duration / 5).min(WARM_UP_MAX);
    let body_bytes = fetch_once(&urls[0]).await?;
    load(&urls, connections, warm_up).await?;
    let (requests, elapsed, mut latencies) = load(&urls, connections, duration).await?;
    latencies.sort_unstable();
    let run = PageRun {
        name,
        path,
        requests,
        elapsed,
        p50_micros: percentile(&latencies, 50),
        p99_micros: percentile(&latencies, 99),
        body_bytes,
    };
    println!(
        "{name}: GET {path} ({} bytes): {} requests in {:.2} s = {} requests/s, p50 {} ms, p99 {} ms",
        grouped(body_bytes as u64),
        grouped(requests as u64),
        elapsed.as_secs_f64(),
        grouped(run.requests_per_second().round() as u64),
        millis(run.p50_micros),
        millis(run.p99_micros)
    );
    Ok(run)
}

/// GETs `url` once and checks that it answers 200; the body's length.
pub async fn fetch_once(url: &str) -> Result<usize> {
    let response = reqwest::get(url)
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let body = response.bytes().await?;
    ensure!(
        status == reqwest::StatusCode::OK,
        "FUNCTIONAL FAILURE: GET {url} answered {status}: {}",
        String::from_utf8_lossy(&body[..body.len().min(300)])
    );
    Ok(body.len())
}

/// Loads `urls` (cycled through, each connection from its own starting point) at
/// `connections` concurrent connections for `duration`: the requests answered, the time
/// taken and every latency in microseconds.
pub async fn load(
    urls: &Arc<Vec<String>>,
    connections: usize,
    duration: Duration,
) -> Result<(usize, Duration, Vec<u64>)> {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|connection| {
            let urls = urls.clone();
            tokio::spawn(async move {
                // Each connection is a client of its own with one keep-alive connection.
                let client = reqwest::Client::new();
                let mut latencies = Vec::new();
                let mut next = connection * urls.len() / connections.max(1);
                while Instant::now() < deadline {
                    let url = &urls[next % urls.len()];
                    next += 1;
                    let sent = Instant::now();
                    let response = client
                        .get(url)
                        .send()
                        .await
                        .with_context(|| format!("GET {url}"))?;
                    let status = response.status();
                    let body = response.bytes().await?;
                    let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                    ensure!(
                        status == reqwest::StatusCode::OK,
                        "FUNCTIONAL FAILURE: GET {url} answered {status} under load: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    );
                    latencies.push(micros);
                }
                Ok::<_, anyhow::Error>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.context("a client task panicked")??);
    }
    Ok((latencies.len(), started.elapsed(), latencies))
}

/// The nearest-rank percentile of sorted values (0 for none).
pub fn percentile(sorted: &[u64], percent: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() * percent).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

/// Microseconds as milliseconds with three decimals, in integer arithmetic.
pub fn millis(micros: u64) -> String {
    format!("{}.{:03}", micros / 1_000, micros % 1_000)
}

/// Whether `run` meets its targets (`None` for the ceiling, which has none).
fn verdict(run: &PageRun, ceiling: &PageRun) -> Option<bool> {
    if run.path == STATIC_PATH {
        return None;
    }
    let mut pass = run.p99_micros < P99_MICROS_MAX;
    if run.path == EXPLORER_LIST_PATH {
        pass &= run.requests_per_second() >= LIST_RATIO_MIN * ceiling.requests_per_second();
    }
    Some(pass)
}

/// The closing table; the first run is the ceiling.
pub fn table(runs: &[PageRun]) -> String {
    let Some(ceiling) = runs.first() else {
        return String::new();
    };
    let header = [
        "page",
        "path",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "ratio to static",
        "target",
        "result",
    ];
    let cells: Vec<[String; 8]> = runs
        .iter()
        .map(|run| {
            let target = if run.path == STATIC_PATH {
                "ceiling".to_owned()
            } else if run.path == EXPLORER_LIST_PATH {
                format!(
                    "p99 < {} ms, >= {LIST_RATIO_MIN:.2} x static",
                    P99_MICROS_MAX / 1_000
                )
            } else {
                format!("p99 < {} ms", P99_MICROS_MAX / 1_000)
            };
            [
                run.name.to_owned(),
                run.path.to_owned(),
                grouped(run.requests_per_second().round() as u64),
                millis(run.p50_micros),
                millis(run.p99_micros),
                format!(
                    "{:.2}",
                    run.requests_per_second()
                        / ceiling.requests_per_second().max(f64::MIN_POSITIVE)
                ),
                target,
                match verdict(run, ceiling) {
                    None => "-".to_owned(),
                    Some(true) => "PASS".to_owned(),
                    Some(false) => "FAIL".to_owned(),
                },
            ]
        })
        .collect();
    // Figures right-aligned, text left-aligned.
    crate::report::aligned(&header, &cells, |column| (2..=5).contains(&column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50), 50);
        assert_eq!(percentile(&values, 99), 99);
        assert_eq!(percentile(&[7], 99), 7);
        assert_eq!(percentile(&[1, 2], 50), 1);
        assert_eq!(percentile(&[], 50), 0);
    }

    #[test]
    fn milliseconds_are_printed_from_whole_microseconds() {
        assert_eq!(millis(0), "0.000");
        assert_eq!(millis(1_234), "1.234");
        assert_eq!(millis(50_000), "50.000");
    }

    #[test]
    fn the_list_page_is_held_to_its_throughput_ratio_and_every_page_to_p99() {
        let run = |name, path, requests, p99_micros| PageRun {
            name,
            path,
            requests,
            elapsed: Duration::from_secs(1),
            p50_micros: 1,
            p99_micros,
            body_bytes: 1,
        };
        let runs = [
            run("static", STATIC_PATH, 1_000, 100),
            run("list", EXPLORER_LIST_PATH, 200, 49_999),
            run("event", EVENT_PAGE_PATH, 10, 50_000),
        ];
        assert_eq!(verdict(&runs[0], &runs[0]), None);
        assert_eq!(verdict(&runs[1], &runs[0]), Some(true));
        assert_eq!(verdict(&runs[2], &runs[0]), Some(false));
        let slow_list = run("list", EXPLORER_LIST_PATH, 199, 1);
        assert_eq!(verdict(&slow_list, &runs[0]), Some(false));
        let text = table(&runs);
        assert_eq!(text.lines().count(), 5);
        assert!(text.contains("FAIL") && text.contains("PASS"));
    }
}
