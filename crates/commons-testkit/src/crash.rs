//! The crash-test driver: it runs the real `commons` binary, feeds it sustained HTTP ingest
//! from several clients, kills it with SIGKILL at a seeded random moment, restarts it on the
//! same data, and checks that nothing it acknowledged was lost (issue 2, "Reliability").
//!
//! One round is: start (or restart) the node; after a restart, check that every event
//! acknowledged as `sequenced` is at its acknowledged index, that the new checkpoint is
//! consistent with the last one seen before the kill, and that every author can continue
//! its chain (re-sending the event that was in flight, which must be answered idempotently
//! or sequenced, never taken for an equivocation); then ingest until the kill; then run
//! `commons verify` on the data the kill left behind. The same data directory (or
//! database) is used across rounds, so damage accumulates. [`CrashDriver::finish`]
//! restarts once more after the last kill and runs the checks again.
//!
//! The integration test in `crates/commons/tests/crash.rs` and `commons-bench crash-soak`
//! both drive this module; they differ only in the number of rounds.
//!
//! Each client sends from its own loopback address (`127.0.0.x`), as separate clients
//! would: the node's per-client rate limit keys on the address. A client that is rate
//! limited anyway waits as `Retry-After` asks and re-sends the same bytes.

use crate::serve::{self, ServeProcess, StartError, tail, truncate_tail};
use crate::{Author, genesis_event, key};
use commons_ledger::cbor::Value;
use commons_ledger::merkle;
use commons_ledger::note::{Checkpoint, origin_for};
use commons_ledger::{AuthorKey, CommonsId, Event, EventId, Hash};
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::process::Command;

/// Concurrent HTTP clients during ingest.
pub const CLIENTS_DEFAULT: usize = 8;
/// Authors each client writes for, in turn; each author is one chain.
pub const AUTHORS_PER_CLIENT_DEFAULT: usize = 4;
/// The kill comes this long after ingest starts, at the earliest.
pub const KILL_AFTER_MS_MIN: u64 = 50;
/// The kill comes this long after ingest starts, at the latest.
pub const KILL_AFTER_MS_MAX: u64 = 800;
/// How long a node may take to print its address and answer `/healthz` (it replays the
/// whole ledger on start).
pub const NODE_START_TIMEOUT_MS: u64 = 120_000;
/// How long one HTTP request may take.
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;
/// How long `commons verify` may take.
pub const VERIFY_TIMEOUT_MS: u64 = 900_000;
/// How long clients may take to notice the kill and stop.
pub const CLIENTS_STOP_TIMEOUT_MS: u64 = 60_000;
/// Pause between two checkpoint fetches during ingest.
pub const CHECKPOINT_POLL_INTERVAL_MS: u64 = 20;
/// Longest a rate-limited request waits before it is sent again.
pub const RETRY_AFTER_MS_MAX: u64 = 2_000;
/// Most times one request is re-sent after 429 answers.
pub const RATE_LIMITED_RETRIES_MAX: u32 = 200;
/// Envelopes per `/entries` request (the API's largest range).
pub const ENTRIES_PAGE: u64 = 1_000;
pub use crate::serve::OUTPUT_TAIL_BYTES_MAX;
/// Environment variables that would point the child at another store than the one given.
const CHILD_ENV_REMOVED: [&str; 3] = ["COMMONS_DATABASE_URL", "COMMONS_DATA", "COMMONS_NODE"];

/// The check that failed. Names are stable: the soak prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The node starts on the data the kill left, prints its address and answers `/healthz`.
    NodeStarts,
    /// The commons is created (genesis sequenced at index 0).
    CommonsCreated,
    /// Before the kill, every request is answered with a 2xx (or 429), never a fault, a
    /// refusal or a dropped connection; in-order events are sequenced, not left pending.
    IngestWithoutFaults,
    /// Every checkpoint fetched during ingest is signed by the sequencer and consistent
    /// with the one before it.
    CheckpointsConsistentDuringIngest,
    /// After a restart, the latest checkpoint is signed, covers the whole ledger, and is
    /// consistent with the last checkpoints seen before the kill.
    CheckpointConsistentAfterRestart,
    /// After a restart, every event acknowledged as sequenced is at its acknowledged index,
    /// and no event is in the ledger twice.
    AcknowledgedEventsPresent,
    /// An event re-sent after the restart is answered idempotently (same index) or
    /// sequenced, never refused as an equivocation.
    ResubmissionIdempotent,
    /// After a restart, each author's chain head is its last acknowledged event or the one
    /// in flight, and one more event on it is sequenced.
    ChainsContinue,
    /// `commons verify` exits 0 on the data the kill left.
    VerifyPasses,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Check::NodeStarts => "node-starts",
            Check::CommonsCreated => "commons-created",
            Check::IngestWithoutFaults => "ingest-without-faults",
            Check::CheckpointsConsistentDuringIngest => "checkpoints-consistent-during-ingest",
            Check::CheckpointConsistentAfterRestart => "checkpoint-consistent-after-restart",
            Check::AcknowledgedEventsPresent => "acknowledged-events-present",
            Check::ResubmissionIdempotent => "resubmission-idempotent",
            Check::ChainsContinue => "chains-continue",
            Check::VerifyPasses => "verify-passes",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a crash run stopped.
#[derive(Debug, thiserror::Error)]
pub enum CrashError {
    /// A durability or consistency check failed: a finding about the node.
    #[error("round {round}: check `{check}` failed: {detail}")]
    CheckFailed {
        round: u64,
        check: Check,
        detail: String,
    },
    /// The harness itself could not do its job (spawn a process, write a log).
    #[error("round {round}: the crash harness failed: {detail}")]
    Harness { round: u64, detail: String },
}

impl CrashError {
    /// The failed check, if this is a finding rather than a harness failure.
    pub fn check(&self) -> Option<Check> {
        match self {
            CrashError::CheckFailed { check, .. } => Some(*check),
            CrashError::Harness { .. } => None,
        }
    }
}

/// A failure inside a round, before the round number is attached.
#[derive(Debug)]
enum Failure {
    Check(Check, String),
    Harness(String),
}

type Outcome<T> = Result<T, Failure>;

fn harness(detail: impl Into<String>) -> Failure {
    Failure::Harness(detail.into())
}

fn failed(check: Check, detail: impl Into<String>) -> Failure {
    Failure::Check(check, detail.into())
}

/// What to run and where.
#[derive(Clone, Debug)]
pub struct CrashConfig {
    /// The `commons` binary.
    pub commons_bin: PathBuf,
    /// Holds `data/` (the node's data directory, kept across rounds) and `logs/`.
    pub work_dir: PathBuf,
    /// A PostgreSQL database for the node's store; SQLite in `data/` without it.
    pub database_url: Option<String>,
    /// Seeds the kill delays. Event contents depend only on the round structure.
    pub seed: u64,
    pub n_clients: usize,
    pub authors_per_client: usize,
    pub kill_after_ms_min: u64,
    pub kill_after_ms_max: u64,
}

impl CrashConfig {
    pub fn new(
        commons_bin: impl Into<PathBuf>,
        work_dir: impl Into<PathBuf>,
        seed: u64,
    ) -> CrashConfig {
        CrashConfig {
            commons_bin: commons_bin.into(),
            work_dir: work_dir.into(),
            database_url: None,
            seed,
            n_clients: CLIENTS_DEFAULT,
            authors_per_client: AUTHORS_PER_CLIENT_DEFAULT,
            kill_after_ms_min: KILL_AFTER_MS_MIN,
            kill_after_ms_max: KILL_AFTER_MS_MAX,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.work_dir.join("data")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.work_dir.join("logs")
    }
}

/// What happened after one restart, before ingest resumed.
#[derive(Clone, Debug)]
pub struct RestartReport {
    pub start: Duration,
    /// Ledger size (and checkpoint size) after the restart.
    pub ledger_size: u64,
    /// Size of the last checkpoint seen before the kill.
    pub checkpoint_size_before: u64,
    pub n_acknowledged_checked: usize,
    /// Chains continued with one more sequenced event.
    pub n_chains_continued: usize,
    /// In-flight events re-sent that the node had already sequenced (answered idempotently).
    pub n_resent_already_sequenced: usize,
    /// In-flight events re-sent that the node had not sequenced (sequenced now).
    pub n_resent_sequenced_now: usize,
    pub checks: Duration,
}

/// One round: an optional restart with its checks, ingest, the kill and `commons verify`.
#[derive(Clone, Debug)]
pub struct RoundReport {
    pub round: u64,
    /// `None` on the first round, which starts on empty data.
    pub restart: Option<RestartReport>,
    /// Events acknowledged as sequenced during this round's ingest.
    pub n_acknowledged: u64,
    pub n_acknowledged_total: u64,
    pub n_rate_limited: u64,
    pub kill_after: Duration,
    /// Size of the last checkpoint fetched before the kill.
    pub checkpoint_size_at_kill: u64,
    pub n_checkpoints_fetched: u64,
    pub verify: Duration,
    /// The first line `commons verify` printed.
    pub verify_summary: String,
    pub elapsed: Duration,
}

impl fmt::Display for RestartReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "restart {:.2} s, ledger {}; ok: {} acked present, checkpoint {}→{} consistent, {} chains continue ({} resent already in, {} resent new)",
            self.start.as_secs_f64(),
            self.ledger_size,
            self.n_acknowledged_checked,
            self.checkpoint_size_before,
            self.ledger_size,
            self.n_chains_continued,
            self.n_resent_already_sequenced,
            self.n_resent_sequenced_now,
        )
    }
}

impl fmt::Display for RoundReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "round {:>3}: ", self.round)?;
        match &self.restart {
            Some(restart) => write!(f, "{restart}; ")?,
            None => write!(f, "fresh start, commons created; ")?,
        }
        write!(
            f,
            "ingest: {} acked ({} total, {} rate-limited) then SIGKILL at {} ms, checkpoint {}; verify ok in {:.2} s; round {:.2} s",
            self.n_acknowledged,
            self.n_acknowledged_total,
            self.n_rate_limited,
            self.kill_after.as_millis(),
            self.checkpoint_size_at_kill,
            self.verify.as_secs_f64(),
            self.elapsed.as_secs_f64(),
        )
    }
}

/// What a whole run did.
#[derive(Clone, Debug)]
pub struct CrashSummary {
    pub n_rounds: u64,
    pub n_acknowledged: u64,
    pub ledger_size: u64,
    pub final_restart: RestartReport,
    pub final_verify_summary: String,
    pub elapsed: Duration,
}

impl fmt::Display for CrashSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} SIGKILLs during ingest, {} events acknowledged; last {}; last verify: {}; {:.1} s",
            self.n_rounds,
            self.n_acknowledged,
            self.final_restart,
            self.final_verify_summary,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Runs `n_rounds` kill/restart rounds and the final restart, calling `on_round` after each
/// round.
pub async fn run(
    config: CrashConfig,
    n_rounds: u64,
    mut on_round: impl FnMut(&RoundReport),
) -> Result<CrashSummary, CrashError> {
    let started = Instant::now();
    let mut driver = CrashDriver::new(config)?;
    for _ in 0..n_rounds {
        let report = driver.run_round().await?;
        on_round(&report);
    }
    let (final_restart, final_verify_summary) = driver.finish().await?;
    Ok(CrashSummary {
        n_rounds,
        n_acknowledged: driver.acknowledged.len() as u64,
        ledger_size: final_restart.ledger_size,
        final_restart,
        final_verify_summary,
        elapsed: started.elapsed(),
    })
}

/// A deterministic generator for the kill delays (SplitMix64), so a run replays from its
/// seed as far as timing allows.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `min..=max` (the modulo bias is irrelevant at these ranges).
    pub fn in_range(&mut self, min: u64, max: u64) -> u64 {
        assert!(min <= max, "an empty range");
        let span = max - min;
        if span == u64::MAX {
            return self.next_u64();
        }
        min + self.next_u64() % (span + 1)
    }
}

/// A checkpoint as fetched, its signature checked: its size and root.
#[derive(Clone, Debug)]
struct SeenCheckpoint {
    size: u64,
    root: Hash,
}

/// An event the node acknowledged with a 2xx and status `sequenced` at `index`.
#[derive(Clone, Copy, Debug)]
struct Acknowledged {
    index: u64,
    id: EventId,
    round: u64,
}

/// The event a client sent without getting an answer, kept byte for byte to re-send.
#[derive(Clone, Debug)]
struct InFlight {
    author: usize,
    event: Event,
}

/// One client: its HTTP connection (from its own address), its authors and where each
/// chain stands as far as the client knows.
struct ClientState {
    number: usize,
    http: reqwest::Client,
    authors: Vec<Author>,
    /// The last acknowledged event of each author: `(seq, id)`.
    heads: Vec<Option<(u64, EventId)>>,
    next_author: usize,
    in_flight: Option<InFlight>,
    n_signed: u64,
}

impl ClientState {
    /// Signs the next event of the next author in turn.
    fn next_event(&mut self) -> InFlight {
        let author = self.next_author;
        self.next_author = (self.next_author + 1) % self.authors.len();
        self.n_signed += 1;
        let name = format!(
            "client {} author {} event {}",
            self.number, author, self.n_signed
        );
        let event = self.authors[author].profile(&name);
        InFlight { author, event }
    }
}

/// What one client did during ingest.
struct ClientRun {
    client: ClientState,
    acknowledged: Vec<Acknowledged>,
    n_rate_limited: u64,
    failure: Option<Failure>,
}

/// A running `commons serve` child.
type NodeProcess = ServeProcess;

/// Drives the rounds. Most callers want [`run`].
pub struct CrashDriver {
    config: CrashConfig,
    rng: SplitMix64,
    round: u64,
    commons: Option<(CommonsId, AuthorKey)>,
    clients: Vec<ClientState>,
    checker: reqwest::Client,
    poller: reqwest::Client,
    acknowledged: Vec<Acknowledged>,
    /// The last checkpoint fetched, and the one before it when the link between the two
    /// could not be proven before the kill.
    last_checkpoint: Option<SeenCheckpoint>,
    unproven_from: Option<SeenCheckpoint>,
}

impl CrashDriver {
    pub fn new(config: CrashConfig) -> Result<CrashDriver, CrashError> {
        let setup = |detail: String| CrashError::Harness { round: 0, detail };
        assert!(
            config.n_clients > 0 && config.authors_per_client > 0,
            "at least one client and one author"
        );
        assert!(
            config.kill_after_ms_min <= config.kill_after_ms_max,
            "an empty kill window"
        );
        for dir in [config.data_dir(), config.logs_dir()] {
            std::fs::create_dir_all(&dir)
                .map_err(|e| setup(format!("cannot create {}: {e}", dir.display())))?;
        }
        let own_addresses = loopback_aliases_work();
        let address = |n: u8| own_addresses.then_some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)));
        let checker = http_client(address(1)).map_err(setup)?;
        let poller = http_client(address(2)).map_err(setup)?;
        let mut clients = Vec::with_capacity(config.n_clients);
        for number in 0..config.n_clients {
            // 127.0.0.10 and up: one address per client, at most 245 of them.
            let octet = u8::try_from(10 + number % 245).unwrap_or(10);
            clients.push(ClientState {
                number,
                http: http_client(address(octet)).map_err(setup)?,
                authors: Vec::new(),
                heads: vec![None; config.authors_per_client],
                next_author: 0,
                in_flight: None,
                n_signed: 0,
            });
        }
        Ok(CrashDriver {
            rng: SplitMix64::new(config.seed),
            config,
            round: 0,
            commons: None,
            clients,
            checker,
            poller,
            acknowledged: Vec::new(),
            last_checkpoint: None,
            unproven_from: None,
        })
    }

    /// Rounds completed so far (one kill each).
    pub fn rounds_done(&self) -> u64 {
        self.round
    }

    fn attach(&self, failure: Failure) -> CrashError {
        match failure {
            Failure::Check(check, detail) => CrashError::CheckFailed {
                round: self.round,
                check,
                detail,
            },
            Failure::Harness(detail) => CrashError::Harness {
                round: self.round,
                detail,
            },
        }
    }

    /// One round: (re)start, checks after a restart, ingest, SIGKILL, `commons verify`.
    pub async fn run_round(&mut self) -> Result<RoundReport, CrashError> {
        let started = Instant::now();
        let result = self.round_inner(started).await;
        let report = result.map_err(|failure| self.attach(failure))?;
        self.round += 1;
        Ok(report)
    }

    async fn round_inner(&mut self, started: Instant) -> Outcome<RoundReport> {
        let mut node = self.start_node().await?;
        let restart = match self.commons {
            None => {
                self.create_commons(&node).await?;
                None
            }
            Some(_) => Some(self.check_after_restart(&node, started).await?),
        };
        let ingest = self.ingest_then_kill(&mut node).await?;
        let verify_started = Instant::now();
        let verify_summary = self.verify().await?;
        Ok(RoundReport {
            round: self.round,
            restart,
            n_acknowledged: ingest.n_acknowledged,
            n_acknowledged_total: self.acknowledged.len() as u64,
            n_rate_limited: ingest.n_rate_limited,
            kill_after: ingest.kill_after,
            checkpoint_size_at_kill: self.last_checkpoint.as_ref().map_or(0, |c| c.size),
            n_checkpoints_fetched: ingest.n_checkpoints_fetched,
            verify: verify_started.elapsed(),
            verify_summary,
            elapsed: started.elapsed(),
        })
    }

    /// The last restart: the checks after it, then a SIGKILL with nothing in flight and a
    /// last `commons verify`. Answers the restart's report and verify's summary.
    pub async fn finish(&mut self) -> Result<(RestartReport, String), CrashError> {
        let started = Instant::now();
        let result = async {
            let mut node = self.start_node().await?;
            let restart = self.check_after_restart(&node, started).await?;
            node.kill().await.map_err(harness)?;
            let summary = self.verify().await?;
            Ok((restart, summary))
        }
        .await;
        result.map_err(|failure| self.attach(failure))
    }

    fn log_path(&self, what: &str) -> PathBuf {
        self.config
            .logs_dir()
            .join(format!("round-{:04}-{what}", self.round))
    }

    fn child_command(&self, verb: &str) -> Command {
        let mut command = Command::new(&self.config.commons_bin);
        command.arg(verb).arg("--data").arg(self.config.data_dir());
        if let Some(url) = &self.config.database_url {
            command.arg("--database-url").arg(url);
        }
        for var in CHILD_ENV_REMOVED {
            command.env_remove(var);
        }
        command.stdin(Stdio::null()).kill_on_drop(true);
        command
    }

    /// Starts `commons serve` on port 0, reads the address it prints, waits for `/healthz`.
    async fn start_node(&self) -> Outcome<NodeProcess> {
        serve::start(
            self.child_command("serve"),
            &self.log_path("serve.stdout"),
            &self.log_path("serve.stderr"),
            &self.checker,
            Duration::from_millis(NODE_START_TIMEOUT_MS),
        )
        .await
        .map_err(|error| match error {
            StartError::Harness(detail) => harness(detail),
            StartError::NotServing(detail) => failed(Check::NodeStarts, detail),
        })
    }

    /// Creates the commons with the node's sequencer key, and the clients' authors in it.
    async fn create_commons(&mut self, node: &NodeProcess) -> Outcome<()> {
        let info = get_json(&self.checker, &format!("{}/api/v1/node", node.base))
            .await
            .map_err(|e| failed(Check::CommonsCreated, format!("GET /api/v1/node: {e}")))?;
        let sequencer = info["sequencer"]
            .as_str()
            .and_then(|hex| AuthorKey::from_hex(hex).ok())
            .ok_or_else(|| {
                failed(
                    Check::CommonsCreated,
                    format!("/api/v1/node names no valid sequencer key: {info}"),
                )
            })?;
        let maintainer = key(1);
        let genesis = genesis_event(
            &maintainer,
            "Crash test",
            &[maintainer.author_key()],
            &sequencer,
        );
        let commons = CommonsId(genesis.id.0);
        match submit(&self.checker, &node.base, &genesis).await {
            Submitted::Sequenced { index: 0 } => {}
            other => {
                return Err(failed(
                    Check::CommonsCreated,
                    format!("the genesis was answered {other}"),
                ));
            }
        }
        self.acknowledged.push(Acknowledged {
            index: 0,
            id: genesis.id,
            round: self.round,
        });
        self.commons = Some((commons, sequencer));
        let authors_per_client = self.config.authors_per_client as u64;
        for client in &mut self.clients {
            client.authors = (0..authors_per_client)
                .map(|a| {
                    Author::new(
                        key(1_000 + client.number as u64 * authors_per_client + a),
                        commons,
                    )
                })
                .collect();
        }
        let checkpoint = fetch_checkpoint(&self.checker, &node.base, &commons, &sequencer)
            .await
            .map_err(|e| failed(Check::CommonsCreated, format!("the first checkpoint: {e}")))?;
        self.last_checkpoint = Some(checkpoint);
        Ok(())
    }

    fn commons(&self) -> (CommonsId, AuthorKey) {
        self.commons
            .expect("the commons is created in the first round")
    }

    /// The checks after a restart: checkpoint, acknowledged events, chains.
    async fn check_after_restart(
        &mut self,
        node: &NodeProcess,
        started: Instant,
    ) -> Outcome<RestartReport> {
        let start = started.elapsed();
        let checks_started = Instant::now();
        let (commons, sequencer) = self.commons();
        let base = node.base.as_str();

        // The latest checkpoint: signed by the sequencer and covering the whole ledger.
        let check = Check::CheckpointConsistentAfterRestart;
        let checkpoint = fetch_checkpoint(&self.checker, base, &commons, &sequencer)
            .await
            .map_err(|e| failed(check, e))?;
        let overview = get_json(
            &self.checker,
            &format!("{base}/api/v1/commons/{}", commons.to_hex()),
        )
        .await
        .map_err(|e| failed(check, format!("the commons overview: {e}")))?;
        let ledger_size = overview["size"]
            .as_u64()
            .ok_or_else(|| failed(check, format!("the overview has no size: {overview}")))?;
        if checkpoint.size != ledger_size {
            return Err(failed(
                check,
                format!(
                    "the latest checkpoint has size {} but the ledger has {ledger_size} entries",
                    checkpoint.size
                ),
            ));
        }

        // Every acknowledged event, at its index, once. Checked before the proofs so that
        // a lost event is named as such, not as a checkpoint that is too small.
        let ids = fetch_entry_ids(&self.checker, base, &commons, checkpoint.size)
            .await
            .map_err(|e| failed(Check::AcknowledgedEventsPresent, e))?;
        check_acknowledged(&ids, &self.acknowledged)?;
        let n_acknowledged_checked = self.acknowledged.len();
        let index_of: Arc<HashMap<EventId, u64>> = Arc::new(
            ids.iter()
                .enumerate()
                .map(|(i, id)| (*id, i as u64))
                .collect(),
        );

        // The new checkpoint extends the last ones seen before the kill.
        let before = self
            .last_checkpoint
            .clone()
            .expect("a checkpoint was fetched when the commons was created");
        for old in [Some(&before), self.unproven_from.as_ref()]
            .into_iter()
            .flatten()
        {
            prove_consistent(&self.checker, base, &commons, old, &checkpoint)
                .await
                .map_err(|e| {
                    failed(
                        check,
                        format!("the checkpoint before the kill and the one after it: {e}"),
                    )
                })?;
        }

        // Chains: re-send what was in flight, then one more event on the head the API names.
        self.last_checkpoint = Some(checkpoint.clone());
        self.unproven_from = None;
        let mut continued = ContinuationCounts::default();
        let mut tasks = tokio::task::JoinSet::new();
        for client in std::mem::take(&mut self.clients) {
            let base = base.to_owned();
            let index_of = index_of.clone();
            let round = self.round;
            tasks.spawn(async move {
                let mut client = client;
                let result = continue_chains(&mut client, &base, &commons, &index_of, round).await;
                (client, result)
            });
        }
        let mut first_failure = None;
        while let Some(joined) = tasks.join_next().await {
            let (client, result) =
                joined.map_err(|e| harness(format!("a client task panicked: {e}")))?;
            self.clients.push(client);
            match result {
                Ok((counts, acknowledged)) => {
                    continued.add(&counts);
                    self.acknowledged.extend(acknowledged);
                }
                Err(failure) => {
                    first_failure.get_or_insert(failure);
                }
            }
        }
        self.clients.sort_by_key(|c| c.number);
        if let Some(failure) = first_failure {
            return Err(failure);
        }
        Ok(RestartReport {
            start,
            ledger_size,
            checkpoint_size_before: before.size,
            n_acknowledged_checked,
            n_chains_continued: continued.n_chains,
            n_resent_already_sequenced: continued.n_resent_already_sequenced,
            n_resent_sequenced_now: continued.n_resent_sequenced_now,
            checks: checks_started.elapsed(),
        })
    }

    /// Runs the clients and the checkpoint poller, SIGKILLs the node after a seeded delay,
    /// and collects what was acknowledged.
    async fn ingest_then_kill(&mut self, node: &mut NodeProcess) -> Outcome<IngestRun> {
        let (commons, sequencer) = self.commons();
        let killed = Arc::new(AtomicBool::new(false));
        let mut clients = tokio::task::JoinSet::new();
        for client in std::mem::take(&mut self.clients) {
            let base = node.base.clone();
            let killed = killed.clone();
            let round = self.round;
            clients.spawn(run_client(client, base, killed, round));
        }
        let poller = tokio::spawn(poll_checkpoints(
            self.poller.clone(),
            node.base.clone(),
            commons,
            sequencer,
            self.last_checkpoint.clone(),
            killed.clone(),
        ));

        let kill_after = Duration::from_millis(
            self.rng
                .in_range(self.config.kill_after_ms_min, self.config.kill_after_ms_max),
        );
        tokio::time::sleep(kill_after).await;
        // Set before the signal, so that anything a client sees fail after it is the kill's doing.
        killed.store(true, Ordering::SeqCst);
        node.kill().await.map_err(harness)?;

        let joined = tokio::time::timeout(Duration::from_millis(CLIENTS_STOP_TIMEOUT_MS), async {
            let mut runs = Vec::new();
            while let Some(run) = clients.join_next().await {
                runs.push(run);
            }
            runs
        })
        .await
        .map_err(|_| {
            harness(format!(
                "clients did not stop within {CLIENTS_STOP_TIMEOUT_MS} ms of the kill"
            ))
        })?;
        let polled = poller
            .await
            .map_err(|e| harness(format!("the checkpoint poller panicked: {e}")))?;

        let mut first_failure = None;
        let mut n_acknowledged = 0;
        let mut n_rate_limited = 0;
        for run in joined {
            let run = run.map_err(|e| harness(format!("a client task panicked: {e}")))?;
            n_acknowledged += run.acknowledged.len() as u64;
            n_rate_limited += run.n_rate_limited;
            self.acknowledged.extend(run.acknowledged);
            self.clients.push(run.client);
            if let Some(failure) = run.failure {
                first_failure.get_or_insert(failure);
            }
        }
        self.clients.sort_by_key(|c| c.number);
        self.last_checkpoint = polled.last;
        self.unproven_from = polled.unproven_from;
        if let Some(failure) = first_failure.or(polled.failure) {
            return Err(failure);
        }
        Ok(IngestRun {
            n_acknowledged,
            n_rate_limited,
            kill_after,
            n_checkpoints_fetched: polled.n_fetched,
        })
    }

    /// Runs `commons verify` on the data with no node running; answers its first line.
    async fn verify(&self) -> Outcome<String> {
        let stdout_path = self.log_path("verify.stdout");
        let stderr_path = self.log_path("verify.stderr");
        let open = |path: &Path| {
            std::fs::File::create(path)
                .map_err(|e| harness(format!("cannot create {}: {e}", path.display())))
        };
        let mut command = self.child_command("verify");
        command
            .stdout(open(&stdout_path)?)
            .stderr(open(&stderr_path)?);
        let mut child = command.spawn().map_err(|e| {
            harness(format!(
                "cannot run {} verify: {e}",
                self.config.commons_bin.display()
            ))
        })?;
        let status: ExitStatus =
            tokio::time::timeout(Duration::from_millis(VERIFY_TIMEOUT_MS), child.wait())
                .await
                .map_err(|_| {
                    failed(
                        Check::VerifyPasses,
                        format!("commons verify took more than {VERIFY_TIMEOUT_MS} ms"),
                    )
                })?
                .map_err(|e| harness(format!("cannot wait for commons verify: {e}")))?;
        let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
        if !status.success() {
            return Err(failed(
                Check::VerifyPasses,
                format!(
                    "commons verify exited with {status}\nstdout:\n{}\nstderr ends:\n{}",
                    truncate_tail(&stdout),
                    tail(&stderr_path)
                ),
            ));
        }
        Ok(stdout
            .lines()
            .next()
            .unwrap_or("no output")
            .trim()
            .to_owned())
    }
}

struct IngestRun {
    n_acknowledged: u64,
    n_rate_limited: u64,
    kill_after: Duration,
    n_checkpoints_fetched: u64,
}

/// Checks each acknowledged event against the ledger's ids, and that no id is there twice.
fn check_acknowledged(ids: &[EventId], acknowledged: &[Acknowledged]) -> Outcome<()> {
    let check = Check::AcknowledgedEventsPresent;
    let mut seen: HashMap<EventId, u64> = HashMap::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        if let Some(first) = seen.insert(*id, index as u64) {
            return Err(failed(
                check,
                format!("event {id} is in the ledger twice, at {first} and {index}"),
            ));
        }
    }
    let mut missing = Vec::new();
    for ack in acknowledged {
        let found = usize::try_from(ack.index).ok().and_then(|i| ids.get(i));
        if found != Some(&ack.id) {
            missing.push((ack, found.copied(), seen.get(&ack.id).copied()));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let mut detail = format!(
        "{} of {} acknowledged events are not at their acknowledged index (ledger size {}):",
        missing.len(),
        acknowledged.len(),
        ids.len()
    );
    for (ack, found, elsewhere) in missing.iter().take(10) {
        detail.push_str(&format!(
            "\n  event {} acknowledged in round {} at index {}: the ledger has {} there{}",
            ack.id,
            ack.round,
            ack.index,
            found.map_or("nothing".to_owned(), |id| format!("event {id}")),
            elsewhere.map_or(String::new(), |i| format!(", and the event at {i}")),
        ));
    }
    Err(failed(check, detail))
}

#[derive(Default)]
struct ContinuationCounts {
    n_chains: usize,
    n_resent_already_sequenced: usize,
    n_resent_sequenced_now: usize,
}

impl ContinuationCounts {
    fn add(&mut self, other: &ContinuationCounts) {
        self.n_chains += other.n_chains;
        self.n_resent_already_sequenced += other.n_resent_already_sequenced;
        self.n_resent_sequenced_now += other.n_resent_sequenced_now;
    }
}

/// After a restart: re-sends the client's event in flight, checks each author's chain head
/// against what the client knows, and sequences one more event on the head the API names.
async fn continue_chains(
    client: &mut ClientState,
    base: &str,
    commons: &CommonsId,
    index_of: &HashMap<EventId, u64>,
    round: u64,
) -> Outcome<(ContinuationCounts, Vec<Acknowledged>)> {
    let mut counts = ContinuationCounts::default();
    let mut acknowledged = Vec::new();
    for author in 0..client.authors.len() {
        let public = client.authors[author].public();
        let check = Check::ChainsContinue;
        let head = chain_head(&client.http, base, commons, &public)
            .await
            .map_err(|e| {
                failed(
                    check,
                    format!("client {} author {author}: {e}", client.number),
                )
            })?;
        let in_flight = client
            .in_flight
            .as_ref()
            .filter(|f| f.author == author)
            .cloned();
        let known = client.heads[author];
        let head_is_known = head == known;
        let head_is_in_flight = matches!((&head, &in_flight), (Some((seq, id)), Some(f)) if *id == f.event.id && *seq == f.event.header.seq);
        if !head_is_known && !head_is_in_flight {
            return Err(failed(
                check,
                format!(
                    "client {} author {author} ({public}): the chain head after the restart is {}, but the last acknowledged event is {} and the one in flight {}",
                    client.number,
                    describe_head(head),
                    describe_head(known),
                    in_flight.as_ref().map_or("none".to_owned(), |f| format!(
                        "seq {} id {}",
                        f.event.header.seq, f.event.id
                    )),
                ),
            ));
        }
        if let Some(flight) = in_flight {
            let check = Check::ResubmissionIdempotent;
            let answer = submit(&client.http, base, &flight.event).await;
            let Submitted::Sequenced { index } = answer else {
                return Err(failed(
                    check,
                    format!(
                        "client {} re-sent event {} (seq {}) after the restart and was answered {answer}",
                        client.number, flight.event.id, flight.event.header.seq
                    ),
                ));
            };
            match index_of.get(&flight.event.id) {
                Some(stored) if *stored != index => {
                    return Err(failed(
                        check,
                        format!(
                            "event {} is stored at index {stored} but re-sending it was answered index {index}",
                            flight.event.id
                        ),
                    ));
                }
                Some(_) => counts.n_resent_already_sequenced += 1,
                None if head_is_in_flight => {
                    return Err(failed(
                        check,
                        format!(
                            "event {} is the chain head but not among the entries",
                            flight.event.id
                        ),
                    ));
                }
                None => {
                    if index < index_of.len() as u64 {
                        return Err(failed(
                            check,
                            format!(
                                "re-sent event {} was answered index {index}, which holds another event",
                                flight.event.id
                            ),
                        ));
                    }
                    counts.n_resent_sequenced_now += 1;
                }
            }
            acknowledged.push(Acknowledged {
                index,
                id: flight.event.id,
                round,
            });
            client.in_flight = None;
        }
        // One more event, chained on the head as the API now names it.
        let head = chain_head(&client.http, base, commons, &public)
            .await
            .map_err(|e| {
                failed(
                    check,
                    format!("client {} author {author}: {e}", client.number),
                )
            })?;
        let Some((seq, id)) = head else {
            return Err(failed(
                check,
                format!(
                    "client {} author {author} has no chain head after re-sending",
                    client.number
                ),
            ));
        };
        client.authors[author].next_seq = seq + 1;
        client.authors[author].prev = Some(id);
        client.n_signed += 1;
        let name = format!(
            "client {} author {author} event {} after restart",
            client.number, client.n_signed
        );
        let event = client.authors[author].profile(&name);
        match submit(&client.http, base, &event).await {
            Submitted::Sequenced { index } => {
                acknowledged.push(Acknowledged {
                    index,
                    id: event.id,
                    round,
                });
                client.heads[author] = Some((event.header.seq, event.id));
                counts.n_chains += 1;
            }
            other => {
                return Err(failed(
                    check,
                    format!(
                        "client {} author {author}: the event after the head (seq {}) was answered {other}",
                        client.number,
                        seq + 1
                    ),
                ));
            }
        }
    }
    Ok((counts, acknowledged))
}

fn describe_head(head: Option<(u64, EventId)>) -> String {
    head.map_or("none".to_owned(), |(seq, id)| format!("seq {seq} id {id}"))
}

/// One client's ingest: in-order events of its authors in turn, one request at a time,
/// until the kill.
async fn run_client(
    mut client: ClientState,
    base: String,
    killed: Arc<AtomicBool>,
    round: u64,
) -> ClientRun {
    let mut acknowledged = Vec::new();
    let mut n_rate_limited = 0;
    let mut failure = None;
    while !killed.load(Ordering::SeqCst) {
        let flight = match client.in_flight.clone() {
            Some(flight) => flight,
            None => {
                let flight = client.next_event();
                client.in_flight = Some(flight.clone());
                flight
            }
        };
        let answer = submit_once(&client.http, &base, &flight.event).await;
        match answer {
            Submitted::Sequenced { index } => {
                acknowledged.push(Acknowledged {
                    index,
                    id: flight.event.id,
                    round,
                });
                client.heads[flight.author] = Some((flight.event.header.seq, flight.event.id));
                client.in_flight = None;
            }
            Submitted::RateLimited { retry_after_ms } => {
                n_rate_limited += 1;
                tokio::time::sleep(Duration::from_millis(retry_after_ms)).await;
            }
            Submitted::Unreachable(_) | Submitted::Fault { .. }
                if killed.load(Ordering::SeqCst) =>
            {
                break;
            }
            other => {
                // A 5xx or a dropped connection with the node alive is a finding; so is a
                // refusal or `pending` for an in-order event.
                failure = Some(failed(
                    Check::IngestWithoutFaults,
                    format!(
                        "client {} sent event {} (seq {}) before the kill and was answered {other}",
                        client.number, flight.event.id, flight.event.header.seq
                    ),
                ));
                break;
            }
        }
    }
    ClientRun {
        client,
        acknowledged,
        n_rate_limited,
        failure,
    }
}

struct Polled {
    last: Option<SeenCheckpoint>,
    unproven_from: Option<SeenCheckpoint>,
    n_fetched: u64,
    failure: Option<Failure>,
}

/// Fetches the checkpoint again and again until the kill, proving each consistent with the
/// one before.
async fn poll_checkpoints(
    http: reqwest::Client,
    base: String,
    commons: CommonsId,
    sequencer: AuthorKey,
    mut last: Option<SeenCheckpoint>,
    killed: Arc<AtomicBool>,
) -> Polled {
    let check = Check::CheckpointsConsistentDuringIngest;
    let mut unproven_from = None;
    let mut n_fetched = 0;
    let mut failure = None;
    while !killed.load(Ordering::SeqCst) {
        match fetch_checkpoint(&http, &base, &commons, &sequencer).await {
            Ok(checkpoint) => {
                n_fetched += 1;
                if let Some(old) = &last {
                    match prove_consistent(&http, &base, &commons, old, &checkpoint).await {
                        Ok(()) => {}
                        Err(_) if killed.load(Ordering::SeqCst) => {
                            // Killed before the proof came: prove it after the restart.
                            unproven_from = last.replace(checkpoint);
                            break;
                        }
                        Err(e) => {
                            failure = Some(failed(check, e));
                            break;
                        }
                    }
                }
                last = Some(checkpoint);
            }
            Err(_) if killed.load(Ordering::SeqCst) => break,
            Err(e) => {
                failure = Some(failed(check, format!("while the node was running: {e}")));
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(CHECKPOINT_POLL_INTERVAL_MS)).await;
    }
    Polled {
        last,
        unproven_from,
        n_fetched,
        failure,
    }
}

/// Fetches the latest checkpoint and checks the sequencer's signature on it.
async fn fetch_checkpoint(
    http: &reqwest::Client,
    base: &str,
    commons: &CommonsId,
    sequencer: &AuthorKey,
) -> Result<SeenCheckpoint, String> {
    let url = format!("{base}/api/v1/commons/{}/checkpoint", commons.to_hex());
    let note = get(http, &url)
        .await?
        .text()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let (checkpoint, _) = Checkpoint::parse_and_verify(&note, &origin_for(commons), sequencer)
        .map_err(|e| format!("the checkpoint does not verify: {e}\n{note}"))?;
    Ok(SeenCheckpoint {
        size: checkpoint.size,
        root: checkpoint.root,
    })
}

/// Fetches an RFC 9162 consistency proof from `old` to `new` and verifies it.
async fn prove_consistent(
    http: &reqwest::Client,
    base: &str,
    commons: &CommonsId,
    old: &SeenCheckpoint,
    new: &SeenCheckpoint,
) -> Result<(), String> {
    if new.size < old.size {
        return Err(format!(
            "the checkpoint went back from size {} to {}",
            old.size, new.size
        ));
    }
    let proof = if old.size == new.size || old.size == 0 {
        Vec::new()
    } else {
        let url = format!(
            "{base}/api/v1/commons/{}/proof/consistency?from={}&to={}",
            commons.to_hex(),
            old.size,
            new.size
        );
        let json = get_json(http, &url).await?;
        json["hashes"]
            .as_array()
            .ok_or_else(|| format!("the consistency proof has no hashes: {json}"))?
            .iter()
            .map(|h| {
                h.as_str()
                    .and_then(Hash::from_hex)
                    .ok_or_else(|| format!("a proof hash is not hex: {h}"))
            })
            .collect::<Result<Vec<Hash>, String>>()?
    };
    merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &proof).map_err(|e| {
        format!(
            "checkpoint size {} root {} is not a prefix of checkpoint size {} root {}: {e}",
            old.size, old.root, new.size, new.root
        )
    })
}

/// The ids of the ledger's first `size` entries, from `/entries`.
async fn fetch_entry_ids(
    http: &reqwest::Client,
    base: &str,
    commons: &CommonsId,
    size: u64,
) -> Result<Vec<EventId>, String> {
    let mut ids = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut from = 0;
    while from < size {
        let to = size.min(from + ENTRIES_PAGE);
        let url = format!(
            "{base}/api/v1/commons/{}/entries?from={from}&to={to}",
            commons.to_hex()
        );
        let bytes = get(http, &url)
            .await?
            .bytes()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let value = Value::decode(&bytes)
            .map_err(|e| format!("entries {from}..{to} are not canonical CBOR: {e}"))?;
        let items = value
            .as_array()
            .ok_or_else(|| format!("entries {from}..{to} are not a CBOR array"))?;
        if items.len() as u64 != to - from {
            return Err(format!(
                "asked for entries {from}..{to}, got {}",
                items.len()
            ));
        }
        for (offset, item) in items.iter().enumerate() {
            let event = Event::decode(&item.encode())
                .map_err(|e| format!("entry {} does not decode: {e}", from + offset as u64))?;
            ids.push(event.id);
        }
        from = to;
    }
    Ok(ids)
}

/// The latest event of `author`: `(seq, id)`.
async fn chain_head(
    http: &reqwest::Client,
    base: &str,
    commons: &CommonsId,
    author: &AuthorKey,
) -> Result<Option<(u64, EventId)>, String> {
    let url = format!(
        "{base}/api/v1/commons/{}/events?author={}&order=desc&limit=1",
        commons.to_hex(),
        author.to_hex()
    );
    let json = get_json(http, &url).await?;
    let Some(latest) = json["events"].as_array().and_then(|events| events.first()) else {
        return Ok(None);
    };
    let seq = latest["seq"]
        .as_u64()
        .ok_or_else(|| format!("the head has no seq: {latest}"))?;
    let id = latest["id"]
        .as_str()
        .and_then(EventId::from_hex)
        .ok_or_else(|| format!("the head has no id: {latest}"))?;
    Ok(Some((seq, id)))
}

/// The answer to one `POST /api/v1/events`.
#[derive(Debug)]
enum Submitted {
    /// 200 with status `sequenced`.
    Sequenced { index: u64 },
    /// 202 with status `pending`.
    Pending,
    /// 429 `rate_limited`.
    RateLimited { retry_after_ms: u64 },
    /// Any other 4xx, or a 2xx that does not parse.
    Refused { status: u16, body: String },
    /// A 5xx.
    Fault { status: u16, body: String },
    /// No answer: connection refused or dropped, or a timeout.
    Unreachable(String),
}

impl fmt::Display for Submitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Submitted::Sequenced { index } => write!(f, "sequenced at {index}"),
            Submitted::Pending => write!(f, "202 pending"),
            Submitted::RateLimited { retry_after_ms } => {
                write!(f, "429 rate limited (retry after {retry_after_ms} ms)")
            }
            Submitted::Refused { status, body } | Submitted::Fault { status, body } => {
                write!(f, "{status}: {body}")
            }
            Submitted::Unreachable(e) => write!(f, "no answer: {e}"),
        }
    }
}

/// Submits an event, re-sending it while the node answers 429.
async fn submit(http: &reqwest::Client, base: &str, event: &Event) -> Submitted {
    let mut retries = 0;
    loop {
        match submit_once(http, base, event).await {
            Submitted::RateLimited { retry_after_ms } if retries < RATE_LIMITED_RETRIES_MAX => {
                retries += 1;
                tokio::time::sleep(Duration::from_millis(retry_after_ms)).await;
            }
            answer => return answer,
        }
    }
}

async fn submit_once(http: &reqwest::Client, base: &str, event: &Event) -> Submitted {
    let sent = http
        .post(format!("{base}/api/v1/events"))
        .header(reqwest::header::CONTENT_TYPE, "application/cbor")
        .body(event.envelope().encode())
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(e) => return Submitted::Unreachable(error_chain(&e)),
    };
    let status = response.status();
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Submitted::RateLimited {
            retry_after_ms: retry_after_ms(&response),
        };
    }
    let body = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(e) => {
            return Submitted::Unreachable(format!("the answer was cut off: {}", error_chain(&e)));
        }
    };
    let text = || String::from_utf8_lossy(&body).into_owned();
    if status.is_server_error() {
        return Submitted::Fault {
            status: status.as_u16(),
            body: text(),
        };
    }
    if !status.is_success() {
        return Submitted::Refused {
            status: status.as_u16(),
            body: text(),
        };
    }
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let same_id = json["id"].as_str() == Some(event.id.to_hex().as_str());
    match (json["status"].as_str(), json["index"].as_u64()) {
        (Some("sequenced"), Some(index)) if same_id && status == reqwest::StatusCode::OK => {
            Submitted::Sequenced { index }
        }
        (Some("pending"), _) if same_id => Submitted::Pending,
        _ => Submitted::Refused {
            status: status.as_u16(),
            body: text(),
        },
    }
}

fn retry_after_ms(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(RETRY_AFTER_MS_MAX, |s| s.saturating_mul(1_000))
        .clamp(1, RETRY_AFTER_MS_MAX)
}

/// A GET that waits out 429 answers and turns any other non-2xx into an error.
async fn get(http: &reqwest::Client, url: &str) -> Result<reqwest::Response, String> {
    let mut retries = 0;
    loop {
        let response = http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {}", error_chain(&e)))?;
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS && retries < RATE_LIMITED_RETRIES_MAX {
            retries += 1;
            tokio::time::sleep(Duration::from_millis(retry_after_ms(&response))).await;
            continue;
        }
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(format!("GET {url}: {status}: {body}"));
        }
        return Ok(response);
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<serde_json::Value, String> {
    let bytes = get(http, url)
        .await?
        .bytes()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("GET {url} did not answer JSON: {e}"))
}

/// An error and its sources on one line: reqwest's own message hides the cause.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn http_client(local_address: Option<IpAddr>) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(REQUEST_TIMEOUT_MS))
        .local_address(local_address)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

/// Whether this host routes `127.0.0.x` besides `127.0.0.1` to itself (Linux does; macOS
/// does not unless aliases are added). Without them every client shares one address.
fn loopback_aliases_work() -> bool {
    std::net::TcpListener::bind((Ipv4Addr::new(127, 0, 0, 2), 0)).is_ok()
}

/// `url` with its database name (the path) replaced by `database`: the server part,
/// credentials and query parameters are kept.
pub fn with_database(url: &str, database: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let path_start = rest
        .find(['/', '?'])
        .map_or(url.len(), |i| authority_start + i);
    let query = url[path_start..]
        .find('?')
        .map_or("", |i| &url[path_start + i..]);
    format!("{}/{database}{query}", &url[..path_start])
}

/// A PostgreSQL database created for one crash run on the server of a URL, and dropped when
/// this is dropped (or by [`FreshDatabase::drop_database`]) unless [`FreshDatabase::keep`]
/// was called.
pub struct FreshDatabase {
    server: PgConnectOptions,
    pub name: String,
    /// The database's URL, with the server URL's credentials: pass it to the node.
    pub url: String,
    dropped: bool,
}

impl FreshDatabase {
    /// Creates `<prefix>_<pid>_<n>` on the server `server_url` points at.
    pub async fn create(server_url: &str, prefix: &str) -> Result<FreshDatabase, String> {
        static CREATED: AtomicU64 = AtomicU64::new(0);
        assert!(
            prefix.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "a plain prefix"
        );
        let server = PgConnectOptions::from_str(server_url)
            .map_err(|e| format!("the database URL does not parse: {e}"))?;
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            CREATED.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect_with(&server)
            .await
            .map_err(|e| format!("cannot connect to the PostgreSQL server: {e}"))?;
        // Database names cannot be bound; this one is lower-case letters, digits and underscores.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut admin)
                .await
                .map_err(|e| format!("cannot create database {name}: {e}"))?;
        }
        let _ = admin.close().await;
        Ok(FreshDatabase {
            url: with_database(server_url, &name),
            server,
            name,
            dropped: false,
        })
    }

    /// Leaves the database in place (to inspect after a failure); answers its name.
    pub fn keep(mut self) -> String {
        self.dropped = true;
        self.name.clone()
    }

    pub async fn drop_database(mut self) -> Result<(), String> {
        self.dropped = true;
        drop_database(self.server.clone(), self.name.clone()).await
    }
}

async fn drop_database(server: PgConnectOptions, name: String) -> Result<(), String> {
    let mut admin = PgConnection::connect_with(&server)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .map_err(|e| format!("cannot drop database {name}: {e}"))?;
    let _ = admin.close().await;
    Ok(())
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop cannot await and may run while a runtime unwinds, so the database is dropped
        // on a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(drop_database(server, name))
        })
        .join();
        if let Ok(Err(error)) | Err(error) = dropped.map_err(|_| "panicked".to_owned()) {
            eprintln!("could not drop database {}: {error}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_gets_its_database_replaced_and_keeps_the_rest() {
        for (url, expected) in [
            ("postgres://u:p@h:5432/postgres", "postgres://u:p@h:5432/x"),
            (
                "postgres://u@h/postgres?sslmode=disable",
                "postgres://u@h/x?sslmode=disable",
            ),
            ("postgres://h:5432", "postgres://h:5432/x"),
            (
                "postgres://h?sslmode=disable",
                "postgres://h/x?sslmode=disable",
            ),
        ] {
            assert_eq!(with_database(url, "x"), expected, "{url}");
        }
    }

    fn ids(n: u8) -> Vec<EventId> {
        (0..n).map(|i| EventId([i; 32])).collect()
    }

    fn acknowledged(pairs: &[(u64, u8)]) -> Vec<Acknowledged> {
        pairs
            .iter()
            .map(|&(index, id)| Acknowledged {
                index,
                id: EventId([id; 32]),
                round: 0,
            })
            .collect()
    }

    #[test]
    fn acknowledged_events_at_their_index_pass() {
        assert!(check_acknowledged(&ids(5), &acknowledged(&[(0, 0), (3, 3), (4, 4)])).is_ok());
    }

    #[test]
    fn an_acknowledged_event_missing_or_moved_fails_the_check() {
        for pairs in [[(0, 0), (5, 5)], [(0, 0), (2, 3)], [(0, 0), (2, 9)]] {
            match check_acknowledged(&ids(5), &acknowledged(&pairs)) {
                Err(Failure::Check(Check::AcknowledgedEventsPresent, detail)) => {
                    assert!(detail.contains("1 of 2"), "{detail}")
                }
                other => panic!("{pairs:?}: expected the check to fail, got {other:?}"),
            }
        }
    }

    #[test]
    fn an_event_in_the_ledger_twice_fails_the_check() {
        let mut ledger = ids(4);
        ledger.push(EventId([1; 32]));
        assert!(matches!(
            check_acknowledged(&ledger, &[]),
            Err(Failure::Check(Check::AcknowledgedEventsPresent, detail)) if detail.contains("twice")
        ));
    }

    #[test]
    fn kill_delays_replay_from_the_seed_and_stay_in_range() {
        let draw = |seed| {
            let mut rng = SplitMix64::new(seed);
            (0..100)
                .map(|_| rng.in_range(KILL_AFTER_MS_MIN, KILL_AFTER_MS_MAX))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        assert!(
            draw(7)
                .iter()
                .all(|d| (KILL_AFTER_MS_MIN..=KILL_AFTER_MS_MAX).contains(d))
        );
    }
}
