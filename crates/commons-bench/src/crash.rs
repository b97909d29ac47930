//! `commons-bench crash-soak`: the crash test's kill/restart rounds, as many times as asked
//! (100 by default), on one data directory or database so that damage accumulates. It
//! prints one line per round and a summary, and exits non-zero at the first failed check,
//! naming it. The rounds themselves are `commons_testkit::crash`, shared with
//! `crates/commons/tests/crash.rs`.

use anyhow::{Context, Result, bail, ensure};
use commons_testkit::crash::{self, CrashConfig, FreshDatabase};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Options of `commons-bench crash-soak`.
#[derive(Clone, Debug, clap::Args)]
pub struct CrashSoakArgs {
    /// Kill/restart rounds, each a SIGKILL in the middle of ingest.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub rounds: u64,
    /// Run the node on PostgreSQL: a fresh database is created on this server, dropped
    /// after a passing run and kept after a failing one. Without it, SQLite.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// The `commons` binary to crash. By default it is built with cargo, in this
    /// binary's profile, and taken from next to this binary.
    #[arg(long, value_name = "PATH")]
    pub bin: Option<PathBuf>,
    /// Seed of the kill delays; by default one is drawn and printed, to replay a run.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Keep the data and the node's logs in this directory, which must not hold data yet.
    /// By default a temporary directory, removed after a passing run.
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = crash::CLIENTS_DEFAULT as u64, value_parser = clap::value_parser!(u64).range(1..=245))]
    pub clients: u64,
    /// Latest moment of the kill after ingest starts, in milliseconds.
    #[arg(long, default_value_t = crash::KILL_AFTER_MS_MAX, value_parser = clap::value_parser!(u64).range(crash::KILL_AFTER_MS_MIN..=600_000))]
    pub kill_after_ms_max: u64,
}

/// Runs the soak and prints its report.
pub fn crash_soak(args: &CrashSoakArgs) -> Result<()> {
    let commons_bin = commons_binary(args.bin.as_deref())?;
    let seed = args.seed.unwrap_or_else(|| {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
            u64::try_from(d.as_nanos() % u128::from(u64::MAX)).unwrap_or(0)
        })
    });
    let temporary = match &args.work_dir {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("commons-crash-soak-")
                .tempdir()
                .context("cannot create a temporary directory")?,
        ),
    };
    let work_dir = match (&args.work_dir, &temporary) {
        (Some(dir), _) => dir.clone(),
        (None, Some(temporary)) => temporary.path().to_path_buf(),
        (None, None) => unreachable!("a temporary directory is made when none is given"),
    };
    let data = work_dir.join("data");
    ensure!(
        !data.exists(),
        "{} exists already; the soak needs fresh data",
        data.display()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async {
        let database = match &args.database_url {
            Some(url) => Some(
                FreshDatabase::create(url, "commons_crash_soak")
                    .await
                    .map_err(|e| anyhow::anyhow!("postgres: {e}"))?,
            ),
            None => None,
        };
        let backend = database.as_ref().map_or("sqlite".to_owned(), |d| format!("postgres database {}", d.name));
        println!(
            "commons-bench crash-soak: {} rounds on {backend}, {} clients, kill {}..{} ms into ingest, seed {seed} (replay with --seed {seed})",
            args.rounds,
            args.clients,
            crash::KILL_AFTER_MS_MIN,
            args.kill_after_ms_max
        );
        println!("node: {}; work dir: {}", commons_bin.display(), work_dir.display());

        let mut config = CrashConfig::new(&commons_bin, &work_dir, seed);
        config.database_url = database.as_ref().map(|d| d.url.clone());
        config.n_clients = usize::try_from(args.clients).unwrap_or(crash::CLIENTS_DEFAULT);
        config.kill_after_ms_max = args.kill_after_ms_max;
        let mut verify_time = Duration::ZERO;
        let mut restart_time = Duration::ZERO;
        let result = crash::run(config, args.rounds, |round| {
            println!("{round}");
            verify_time += round.verify;
            restart_time += round.restart.as_ref().map_or(Duration::ZERO, |r| r.start);
        })
        .await;

        match result {
            Ok(summary) => {
                println!();
                println!("PASSED: {summary}");
                let per_round = summary.elapsed.as_secs_f64() / args.rounds as f64;
                println!(
                    "time: {:.1} s in all, {:.2} s per round on average ({:.1} s of it in `commons verify`, {:.1} s restarting)",
                    summary.elapsed.as_secs_f64(),
                    per_round,
                    verify_time.as_secs_f64(),
                    restart_time.as_secs_f64(),
                );
                if let Some(database) = database {
                    let name = database.name.clone();
                    database.drop_database().await.map_err(|e| anyhow::anyhow!("postgres: {e}"))?;
                    println!("postgres: dropped database {name}");
                }
                Ok(())
            }
            Err(error) => {
                let check = error.check().map_or("the harness itself".to_owned(), |c| format!("check `{c}`"));
                println!();
                println!("FAILED: {check}");
                if let Some(temporary) = temporary {
                    // Kept for the post-mortem: the data the node left and its logs.
                    let _ = temporary.keep();
                }
                println!("data and node logs kept in {}", work_dir.display());
                if let Some(database) = database {
                    println!("postgres database kept: {}", database.keep());
                }
                bail!("{error}")
            }
        }
    })
}

/// The `commons` binary to crash: the one given, or a freshly built one next to this binary
/// (`commons_testkit::serve::commons_binary`, shared with the browser tests).
fn commons_binary(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = given {
        ensure!(path.is_file(), "--bin {} is not a file", path.display());
        return Ok(path.to_path_buf());
    }
    commons_testkit::serve::commons_binary().map_err(|e| anyhow::anyhow!("{e}; or pass --bin PATH"))
}
