//! `commons-bench production`: the peer-production views of a busy commons, through the
//! API. A commons of `--events` signed events (one million by default: 100,000 tasks,
//! 300,000 contributions, 3,000 people; see [`crate::production_workload`]) is built by
//! submitting its seeded workload in-process through `Node::submit_many`, step by step
//! while a manual clock moves ledger time over two years, and kept under
//! `target/commons-bench-production/` keyed by the workload's parameters and
//! [`CACHE_FORMAT`]. A node then loads it (timed: the replay into state), serves it on a
//! loopback port, and a few concurrent clients load each view for `--duration` seconds:
//! the task board (all areas, and one area at a time), a busy contributor's record, the
//! activity feed (all, and one area at a time) and the statistics. The baseline is
//! `/healthz`, loaded first in the same run; each view's p99 is shown against the
//! baseline's, and held to [`P99_MICROS_MAX`].
//!
//! Last, a full `commons verify` of the commons is timed against forking it at its latest
//! checkpoint (on a copy of the store, so the cache keeps one commons): the fork must
//! take less time than the verify.
//!
//! Timing never fails the run (a missed target prints MISS); an event the node refuses,
//! or a view answered with anything but 200, is a functional failure and ends it.

use crate::ingest::{CommitStats, Tally};
use crate::production_workload::{self as workload, Generator, Identity, Plan};
use crate::report::{aligned, grouped, rate};
use crate::web::{PageRun, measure, millis, percentile};
use anyhow::{Context, Result, bail, ensure};
use commons_core::production::ContributionStatus;
use commons_ledger::{AuthorKey, CommonsId};
use commons_node::posting::PostingLimits;
use commons_node::{ManualClock, Node, NodeConfig};
use commons_store::{AnyStore, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every view's 99th percentile latency must stay below this, in microseconds.
pub const P99_MICROS_MAX: u64 = 50_000;
/// Bump when the generated workload changes, so that old caches are not reused.
pub const CACHE_FORMAT: u32 = 1;
/// The hourly posting limits of the benchmark's node, per key and class. The synthetic
/// people post far faster than the node's defaults allow a real person (30 tasks, 60
/// contributions and 120 posts an hour), since two years pass in minutes.
pub const POSTING_LIMIT_PER_HOUR: u32 = 1_000_000;
/// Marks a cached store whose build finished; it holds what was built.
const COMPLETE_MARKER: &str = "complete";
/// Steps signed ahead of the node.
const STEPS_AHEAD: usize = 4;
/// Requests timed one at a time by the profile stage.
const PROFILE_RUNS: usize = 21;

/// The baseline: a route that does no work.
pub const BASELINE_PATH: &str = "/healthz";
pub const BOARD_PATH: &str = "/api/v1/commons/{id}/tasks";
pub const BOARD_AREA_PATH: &str = "/api/v1/commons/{id}/tasks?area={area}";
pub const PERSON_PATH: &str = "/api/v1/commons/{id}/people/{key}";
pub const FEED_PATH: &str = "/api/v1/commons/{id}/feed";
pub const FEED_AREA_PATH: &str = "/api/v1/commons/{id}/feed?area={area}";
pub const STATISTICS_PATH: &str = "/api/v1/commons/{id}/statistics";

/// Options of `commons-bench production`.
#[derive(Clone, Debug, clap::Args)]
pub struct ProductionArgs {
    /// Signed events in the commons (not counting the genesis and the node's ticks);
    /// tasks (a tenth), contributions (three tenths) and people (three per thousand)
    /// follow in proportion.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(workload::EVENTS_MIN..=10_000_000))]
    pub events: u64,
    /// Seed of the generated workload.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seconds each view is loaded for (after its warm-up).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub duration: u64,
    /// Concurrent clients, each with one keep-alive connection, each sending its next
    /// request when the last one is answered.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1_024))]
    pub clients: u64,
    /// Where built stores are kept between runs (default: target/commons-bench-production).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Build a fresh store in a temporary directory, and keep nothing.
    #[arg(long)]
    pub no_cache: bool,
    /// Skip the verify stage.
    #[arg(long)]
    pub skip_verify: bool,
}

/// Whether a view meets its target (`None` for the baseline, which has none).
fn verdict(run: &PageRun) -> Option<bool> {
    (run.path != BASELINE_PATH).then_some(run.p99_micros < P99_MICROS_MAX)
}

/// Runs the production benchmark and prints its report.
pub fn production(args: &ProductionArgs) -> Result<()> {
    let plan = Plan::scaled(args.events, args.seed);
    println!(
        "commons-bench production: a commons of {} signed events: {} tasks, {} contributions, {} people with profiles, {} sponsoring organisations, {} areas (half decided by maintainers, half by lazy consensus); seed {}",
        grouped(plan.n_events),
        grouped(plan.n_tasks),
        grouped(plan.n_contributions),
        grouped(plan.n_people),
        grouped(plan.n_organisations),
        workload::area_slugs().count(),
        plan.seed
    );
    println!(
        "ledger time: {} steps of {} events from 2024-01-01, {:.1} hours apart (one ledger.tick each), {} days in all",
        grouped(plan.n_steps()),
        grouped(workload::STEP_EVENTS as u64),
        plan.step_ms() as f64 / 3_600_000.0,
        (plan.end_ms() - workload::START_MS) / 86_400_000
    );
    println!(
        "posting limits: raised to {} per hour per key for tasks, contributions and posts (node defaults {}/{}/{}), for the synthetic people",
        grouped(u64::from(POSTING_LIMIT_PER_HOUR)),
        PostingLimits::default().tasks_per_hour,
        PostingLimits::default().contributions_per_hour,
        PostingLimits::default().posts_per_hour
    );
    println!(
        "machine: {} cores; load average at start {}",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        crate::load_average()
    );

    let temporary = tempfile::tempdir().context("cannot create a temporary directory")?;
    let dir = if args.no_cache {
        temporary.path().to_owned()
    } else {
        args.cache_dir
            .clone()
            .unwrap_or_else(|| crate::web::default_cache_root("commons-bench-production"))
            .join(format!(
                "events-{}-tasks-{}-contributions-{}-people-{}-seed-{}-v{CACHE_FORMAT}",
                plan.n_events, plan.n_tasks, plan.n_contributions, plan.n_people, plan.seed
            ))
    };
    let location = dir.join("commons.db");
    let location = location
        .to_str()
        .context("the store path is not UTF-8")?
        .to_owned();

    // Stage 1: build (or reuse). The builder's node runs on a runtime of its own, dropped
    // afterwards, so that the node that serves starts from the store alone.
    let marker = dir.join(COMPLETE_MARKER);
    if marker.exists() {
        let built = std::fs::read_to_string(&marker).unwrap_or_default();
        println!("build: reused {}", dir.display());
        for line in built.lines() {
            println!("  (when built) {line}");
        }
    } else {
        if dir.exists() {
            // A build that did not finish.
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove the unfinished store {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let runtime = runtime()?;
        let summary = runtime.block_on(build(plan, &location))?;
        drop(runtime);
        for line in summary.lines() {
            println!("build: {line}");
        }
        std::fs::write(&marker, summary).context("cannot mark the store complete")?;
        if !args.no_cache {
            println!("build: kept in {} for the next run", dir.display());
        }
    }

    // Stages 2 to 4: load, serve and measure, verify.
    runtime()?.block_on(serve_and_measure(args, plan, &location))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")
}

fn node_config(identity: &Identity) -> NodeConfig {
    let mut config = NodeConfig::new(identity.sequencer.clone());
    config.posting_limits = PostingLimits {
        tasks_per_hour: POSTING_LIMIT_PER_HOUR,
        contributions_per_hour: POSTING_LIMIT_PER_HOUR,
        posts_per_hour: POSTING_LIMIT_PER_HOUR,
        accepted_work_factor: 1,
    };
    config
}

/// Generates the workload on a thread of its own and submits it step by step, in
/// ledger order, through `Node::submit_many`; the summary lines to print and keep.
async fn build(plan: Plan, location: &str) -> Result<String> {
    let identity = Identity::new();
    let clock = ManualClock::new(workload::START_MS);
    let store = AnyStore::open(location)
        .await
        .context("cannot create the store")?;
    let node = Node::start(store, node_config(&identity), Arc::new(clock.clone()))
        .await
        .context("the node does not start")?;
    let genesis = node
        .submit(&identity.genesis.envelope().encode())
        .await
        .context("the genesis is refused")?;
    ensure!(
        genesis.status == commons_node::SubmitStatus::Sequenced { index: 0 },
        "the genesis was not sequenced at index 0: {:?}",
        genesis.status
    );

    let (steps, mut received) = tokio::sync::mpsc::channel(STEPS_AHEAD);
    let generator = std::thread::spawn(move || {
        let mut generator = Generator::new(plan);
        let mut busy = Duration::ZERO;
        loop {
            let started = Instant::now();
            let step = generator.next_step();
            busy += started.elapsed();
            let Some(step) = step else { break };
            if steps.blocking_send(step).is_err() {
                break;
            }
        }
        (generator.counts, busy)
    });

    let bar = indicatif::ProgressBar::with_draw_target(
        Some(plan.n_events),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:40}] {pos}/{len} events, {per_sec}, eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("build");
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut n_steps = 0u64;
    while let Some(step) = received.recv().await {
        clock.set(step.time_ms);
        for answer in node.submit_many(&step.envelopes).await {
            tally.count(answer);
        }
        if !tally.failed.is_empty() || tally.pending > 0 {
            bar.abandon();
            bail!(
                "FUNCTIONAL FAILURE: in step {n_steps} the node refused or held back events the generator expected it to accept: {} pending, failures by code {:?}; first failure: {}",
                tally.pending,
                tally.failed,
                tally.first_failure.as_deref().unwrap_or("none")
            );
        }
        n_steps += 1;
        bar.inc(step.envelopes.len() as u64);
    }
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let (counts, signing) = match generator.join() {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    ensure!(
        tally.sequenced as u64 == plan.n_events && counts.total() == plan.n_events,
        "FUNCTIONAL FAILURE: {} events signed, {} sequenced, of {} planned",
        counts.total(),
        tally.sequenced,
        plan.n_events
    );
    let size = node
        .commons(&identity.commons)
        .context("FUNCTIONAL FAILURE: the commons is not hosted")?
        .size;
    let commits = CommitStats::of(&node);
    node.store().close().await;

    let n_events = usize::try_from(plan.n_events)?;
    Ok(format!(
        "signed {} events: {} area.create, {} agent.profile, {} task.post, {} task.signal, {} task.pledge, {} task.claim, {} contrib.submit, {} deciding approvals, {} other reviews, {} contrib.reject, {} thread.post; the generator's model expects {} contributions accepted\n\
         generate: {} events/s on the generator thread ({:.1} s of signing and modelling, overlapped with ingest)\n\
         ingest: {} events in {:.1} s with submit_many, one call per step = {} events/s ({} ledger entries with the genesis and the node's ticks; {} group commits, {:.1} s inside Store::append)",
        grouped(counts.total()),
        grouped(counts.areas),
        grouped(counts.profiles),
        grouped(counts.tasks),
        grouped(counts.signals),
        grouped(counts.pledges),
        grouped(counts.claims),
        grouped(counts.contributions),
        grouped(counts.approvals),
        grouped(counts.other_reviews),
        grouped(counts.rejections),
        grouped(counts.posts),
        grouped(counts.accepted),
        grouped(rate(n_events, signing) as u64),
        signing.as_secs_f64(),
        grouped(plan.n_events),
        elapsed.as_secs_f64(),
        grouped(rate(n_events, elapsed) as u64),
        grouped(size),
        grouped(commits.n_commits),
        commits.append_seconds
    ))
}

/// What the served state holds, read once for the report and the views' parameters.
struct Summary {
    size: u64,
    n_tasks: usize,
    n_open: usize,
    n_contributions: usize,
    n_accepted: usize,
    n_rejected: usize,
    n_months: usize,
    n_posts: usize,
    /// The person with the most contributions, and how many.
    busiest: Option<(AuthorKey, usize)>,
}

async fn summary(node: &Node, commons: &CommonsId) -> Result<Summary> {
    node.inspect(commons, |s| {
        let p = &s.production;
        let status = |wanted: fn(&ContributionStatus) -> bool| {
            p.contributions
                .values()
                .filter(|c| wanted(&c.status))
                .count()
        };
        Summary {
            size: s.size,
            n_tasks: p.tasks.len(),
            n_open: p.tasks.values().filter(|t| t.is_open()).count(),
            n_contributions: p.contributions.len(),
            n_accepted: status(|s| matches!(s, ContributionStatus::Accepted { .. })),
            n_rejected: status(|s| matches!(s, ContributionStatus::Rejected { .. })),
            n_months: p.tallies.contributors_by_month.len(),
            n_posts: p.posts.len(),
            busiest: p
                .records
                .iter()
                .map(|(k, r)| (*k, r.contributions.len()))
                .max_by_key(|(k, n)| (*n, std::cmp::Reverse(*k))),
        }
    })
    .await
    .context("cannot read the node's state")?
    .context("FUNCTIONAL FAILURE: the commons is not hosted")
}

async fn serve_and_measure(args: &ProductionArgs, plan: Plan, location: &str) -> Result<()> {
    let identity = Identity::new();
    let commons = identity.commons;
    let started = Instant::now();
    let store = AnyStore::open(location)
        .await
        .context("cannot open the store")?;
    let node = Node::start(
        store,
        node_config(&identity),
        Arc::new(ManualClock::new(plan.end_ms())),
    )
    .await
    .context("the node does not start")?;
    let load_took = started.elapsed();
    let summary = summary(&node, &commons).await?;
    ensure!(
        summary.size > plan.n_events,
        "FUNCTIONAL FAILURE: the store holds {} ledger entries, not the {} events planned and more",
        summary.size,
        plan.n_events
    );
    println!(
        "node start: loaded {} ledger entries into state in {:.2} s = {} entries/s (replay of the stored ledger, Merkle frontier, checkpoint)",
        grouped(summary.size),
        load_took.as_secs_f64(),
        grouped(rate(usize::try_from(summary.size)?, load_took) as u64)
    );
    let (busiest, busiest_contributions) = summary
        .busiest
        .context("FUNCTIONAL FAILURE: nobody has contributed")?;
    println!(
        "state: {} tasks ({} open), {} contributions ({} accepted, {} rejected, {} pending), {} thread posts, {} months with accepted work; busiest contributor {} with {} contributions",
        grouped(summary.n_tasks as u64),
        grouped(summary.n_open as u64),
        grouped(summary.n_contributions as u64),
        grouped(summary.n_accepted as u64),
        grouped(summary.n_rejected as u64),
        grouped((summary.n_contributions - summary.n_accepted - summary.n_rejected) as u64),
        grouped(summary.n_posts as u64),
        summary.n_months,
        &busiest.to_hex()[..16],
        grouped(busiest_contributions as u64)
    );

    let served = crate::http::Served::start(&node).await?;
    let id = commons.to_hex();
    let url = |path: &str| {
        format!(
            "{}{}",
            served.base,
            path.replace("{id}", &id)
                .replace("{key}", &busiest.to_hex())
        )
    };
    let per_area = |path: &str| -> Vec<String> {
        workload::area_slugs()
            .map(|slug| url(path).replace("{area}", slug))
            .collect()
    };
    let views: [(&'static str, &'static str, Vec<String>); 7] = [
        ("baseline", BASELINE_PATH, vec![url(BASELINE_PATH)]),
        ("task board", BOARD_PATH, vec![url(BOARD_PATH)]),
        (
            "task board, one area",
            BOARD_AREA_PATH,
            per_area(BOARD_AREA_PATH),
        ),
        (
            "busy contributor's record",
            PERSON_PATH,
            vec![url(PERSON_PATH)],
        ),
        ("activity feed", FEED_PATH, vec![url(FEED_PATH)]),
        (
            "activity feed, one area",
            FEED_AREA_PATH,
            per_area(FEED_AREA_PATH),
        ),
        ("statistics", STATISTICS_PATH, vec![url(STATISTICS_PATH)]),
    ];
    println!(
        "views: {} concurrent clients, {} s each after a warm-up, through the HTTP API on a loopback port; one area's views cycle through the {} areas",
        args.clients,
        args.duration,
        workload::area_slugs().count()
    );
    let duration = Duration::from_secs(args.duration);
    let clients = usize::try_from(args.clients)?;
    let mut runs = Vec::new();
    for (name, path, urls) in views {
        runs.push(measure(name, path, urls, clients, duration).await?);
    }
    profile(&node, &commons, &url(BOARD_PATH), &url(STATISTICS_PATH)).await?;
    served.stop().await?;

    // Stage 4: fork at the latest checkpoint against a full verify.
    let verify_took = if args.skip_verify {
        println!("verify: skipped (--skip-verify)");
        None
    } else {
        let verified = crate::audit::verify(node.store(), &commons).await?;
        println!(
            "verify: the full audit of `commons verify` (audit_store: signatures, chains, Merkle tree, checkpoints, replay, projections) of {} ledger entries in {:.2} s = {} entries/s",
            grouped(verified.n_entries),
            verified.elapsed.as_secs_f64(),
            grouped(verified.events_per_second() as u64)
        );
        Some(verified.elapsed)
    };
    node.store().close().await;
    drop(node);
    let fork_took = fork_at_latest(&identity, plan, location).await?;
    match verify_took {
        Some(verify) => {
            let ratio = fork_took.as_secs_f64() / verify.as_secs_f64();
            println!(
                "fork vs verify: {:.2} s / {:.2} s = {ratio:.3} (target < 1): {}",
                fork_took.as_secs_f64(),
                verify.as_secs_f64(),
                if ratio < 1.0 { "PASS" } else { "MISS" }
            );
        }
        None => println!("fork vs verify: not compared (--skip-verify)"),
    }

    if let Some(megabytes) = crate::report::peak_rss_megabytes() {
        println!(
            "memory: peak RSS (VmHWM) {megabytes:.1} MB (the builder's or the server's state, whichever was larger, and the clients)"
        );
    }
    println!("machine: load average at end {}", crate::load_average());
    println!();
    print!("{}", table(&runs));
    println!();
    println!(
        "ratio = view p99 / baseline p99 in the same run; the clients run in the same process on the same cores"
    );
    let pass = runs.iter().all(|run| verdict(run).is_none_or(|pass| pass));
    println!("production: {}", if pass { "PASS" } else { "MISS" });
    Ok(())
}

/// Where one request's time goes, one request at a time (no queueing behind other
/// clients): the core view alone, run inside `Node::inspect` as the handler runs it, then
/// the JSON answer built from it (statistics only: its JSON type is public), against the
/// whole request over HTTP. The median of [`PROFILE_RUNS`] each.
/// Forks the commons at its latest checkpoint on a copy of the store (so the cached store
/// keeps one commons) and returns how long the node took to answer the fork's genesis:
/// the checks, the state taken from memory, the prefix copied inside the database and
/// the first checkpoint signed.
async fn fork_at_latest(identity: &Identity, plan: Plan, location: &str) -> Result<Duration> {
    let copy = tempfile::tempdir().context("cannot create a temporary directory")?;
    let source = std::path::Path::new(location);
    let target = copy.path().join("commons.db");
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{location}{suffix}"));
        if from.exists() {
            std::fs::copy(&from, format!("{}{suffix}", target.display()))
                .with_context(|| format!("cannot copy {}", from.display()))?;
        }
    }
    let target = target.to_str().context("the copy's path is not UTF-8")?;
    let store = AnyStore::open(target)
        .await
        .with_context(|| format!("cannot open the copy of {}", source.display()))?;
    let node = Node::start(
        store,
        node_config(identity),
        Arc::new(ManualClock::new(plan.end_ms())),
    )
    .await
    .context("the node on the copy does not start")?;
    let commons = identity.commons;
    let checkpoint = node
        .store()
        .latest_checkpoint(&commons)
        .await?
        .context("the commons has no checkpoint to fork at")?;
    let licence = node
        .commons(&commons)
        .context("the copy lost the commons")?
        .governance
        .licence
        .clone();
    let forker = commons_testkit::key(FORKER_KEY_NUMBER);
    let body = commons_core::fork::fork_genesis_body(
        "peer-production benchmark fork",
        &[forker.author_key()],
        1,
        &identity.sequencer.author_key(),
        &licence,
        &commons_core::state::ForkParent {
            commons,
            size: checkpoint.size,
            root: checkpoint.root.0,
            checkpoint: checkpoint.note.clone(),
        },
    );
    let genesis = commons_ledger::Event::sign(
        &forker,
        None,
        0,
        None,
        vec![],
        plan.end_ms(),
        commons_ledger::Kind::new(commons_core::network::GENESIS)?,
        Some(&body),
    );
    let started = Instant::now();
    node.submit(&genesis.envelope().encode())
        .await
        .map_err(|e| anyhow::anyhow!("the fork was refused: {e}"))?;
    let took = started.elapsed();
    let fork = CommonsId(genesis.id.0);
    let size = node.commons(&fork).map_or(0, |v| v.size);
    ensure!(
        size == checkpoint.size + 1,
        "FUNCTIONAL FAILURE: the fork holds {size} entries, not the parent's {} and its genesis",
        checkpoint.size
    );
    println!(
        "fork: at the latest checkpoint ({} entries) in {:.2} s: the genesis checked, the state taken from memory, the prefix copied inside the database, the first checkpoint signed",
        grouped(checkpoint.size),
        took.as_secs_f64()
    );
    node.store().close().await;
    Ok(took)
}

/// The key that signs the benchmark fork's genesis (never used in the parent).
const FORKER_KEY_NUMBER: u64 = 77_777;

async fn profile(
    node: &Node,
    commons: &CommonsId,
    board_url: &str,
    statistics_url: &str,
) -> Result<()> {
    use commons_core::production::views;
    let inspect_micros = |read: fn(&commons_core::State) -> u64| async move {
        let mut micros = Vec::with_capacity(PROFILE_RUNS);
        for _ in 0..PROFILE_RUNS {
            micros.push(
                node.inspect(commons, read)
                    .await?
                    .context("FUNCTIONAL FAILURE: the commons is not hosted")?,
            );
        }
        micros.sort_unstable();
        Ok::<u64, anyhow::Error>(percentile(&micros, 50))
    };
    let board = inspect_micros(|s| {
        let started = Instant::now();
        let query = views::BoardQuery {
            limit: commons_web::production::PRODUCTION_PAGE_DEFAULT,
            ..views::BoardQuery::default()
        };
        std::hint::black_box(views::task_board(s, &query));
        micros_since(started)
    })
    .await?;
    let statistics = inspect_micros(|s| {
        let started = Instant::now();
        std::hint::black_box(views::statistics(s));
        micros_since(started)
    })
    .await?;
    let statistics_json = inspect_micros(|s| {
        let stats = views::statistics(s);
        let started = Instant::now();
        let json = commons_web::production::StatisticsJson::of(s, &stats);
        let bytes = serde_json::to_vec(&json).unwrap_or_default();
        std::hint::black_box(bytes);
        micros_since(started)
    })
    .await?;
    let mut requests = Vec::new();
    for url in [board_url, statistics_url] {
        let client = reqwest::Client::new();
        let mut micros = Vec::with_capacity(PROFILE_RUNS);
        for _ in 0..PROFILE_RUNS {
            let started = Instant::now();
            let response = client.get(url).send().await?;
            ensure!(
                response.status() == reqwest::StatusCode::OK,
                "FUNCTIONAL FAILURE: GET {url} answered {}",
                response.status()
            );
            response.bytes().await?;
            micros.push(micros_since(started));
        }
        micros.sort_unstable();
        requests.push(percentile(&micros, 50));
    }
    println!(
        "profile, one request at a time (median of {PROFILE_RUNS}): task board: core view {} ms (views::task_board over every task, inside Node::inspect) of {} ms for the whole request; statistics: core view {} ms (views::statistics), JSON answer built and encoded {} ms, of {} ms for the whole request",
        millis(board),
        millis(requests[0]),
        millis(statistics),
        millis(statistics_json),
        millis(requests[1])
    );
    Ok(())
}

fn micros_since(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The closing table; the first run is the baseline.
pub fn table(runs: &[PageRun]) -> String {
    let Some(baseline) = runs.first() else {
        return String::new();
    };
    let header = [
        "view",
        "path",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "p99 ratio",
        "target",
        "result",
    ];
    let cells: Vec<[String; 8]> = runs
        .iter()
        .map(|run| {
            [
                run.name.to_owned(),
                run.path.to_owned(),
                grouped(run.requests_per_second().round() as u64),
                millis(run.p50_micros),
                millis(run.p99_micros),
                format!(
                    "{:.1}",
                    run.p99_micros as f64 / baseline.p99_micros.max(1) as f64
                ),
                if run.path == BASELINE_PATH {
                    "baseline".to_owned()
                } else {
                    format!("p99 < {} ms", P99_MICROS_MAX / 1_000)
                },
                match verdict(run) {
                    None => "-".to_owned(),
                    Some(true) => "PASS".to_owned(),
                    Some(false) => "MISS".to_owned(),
                },
            ]
        })
        .collect();
    aligned(&header, &cells, |column| (2..=5).contains(&column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_view_is_held_to_p99_and_the_baseline_to_nothing() {
        let run = |path, p99_micros| PageRun {
            name: "v",
            path,
            requests: 100,
            elapsed: Duration::from_secs(1),
            p50_micros: 1,
            p99_micros,
            body_bytes: 1,
        };
        let runs = [
            run(BASELINE_PATH, 500),
            run(BOARD_PATH, 49_999),
            run(STATISTICS_PATH, 50_000),
        ];
        assert_eq!(verdict(&runs[0]), None);
        assert_eq!(verdict(&runs[1]), Some(true));
        assert_eq!(verdict(&runs[2]), Some(false));
        let text = table(&runs);
        assert_eq!(text.lines().count(), 5);
        assert!(text.contains("MISS") && text.contains("PASS") && text.contains("100.0"));
    }
}
