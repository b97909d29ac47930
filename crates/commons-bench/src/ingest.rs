//! What both ingest paths share: starting a node on a fresh store, counting the answers,
//! and checking afterwards that every event really is in the ledger.

use crate::workload::Workload;
use anyhow::{Context, Result, bail};
use commons_node::{Node, NodeConfig, SubmitError, SubmitOutcome, SubmitStatus, SystemClock};
use commons_store::{AnyStore, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Starts a node with the workload's sequencer key and the system clock.
pub async fn start_node(workload: &Workload, store: AnyStore) -> Result<Node> {
    Node::start(
        store,
        NodeConfig::new(workload.sequencer.clone()),
        Arc::new(SystemClock),
    )
    .await
    .context("the node does not start")
}

/// How the submissions were answered.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub sequenced: usize,
    pub pending: usize,
    /// Refusals and faults, by code or message.
    pub failed: BTreeMap<String, usize>,
    /// The first failure seen, in full, to name in the error.
    pub first_failure: Option<String>,
}

impl Tally {
    pub fn count(&mut self, answer: Result<SubmitOutcome, SubmitError>) {
        match answer {
            Ok(SubmitOutcome {
                status: SubmitStatus::Sequenced { .. },
                ..
            }) => self.sequenced += 1,
            Ok(SubmitOutcome {
                status: SubmitStatus::Pending,
                ..
            }) => self.pending += 1,
            Err(SubmitError::Rejected(e)) => self.fail(e.code().to_owned(), e.to_string()),
            Err(SubmitError::Fault(e)) => self.fail("fault".to_owned(), e.to_string()),
        }
    }

    pub fn fail(&mut self, code: String, detail: String) {
        *self.failed.entry(code).or_default() += 1;
        self.first_failure.get_or_insert(detail);
    }

    pub fn merge(&mut self, other: Tally) {
        self.sequenced += other.sequenced;
        self.pending += other.pending;
        for (code, n) in other.failed {
            *self.failed.entry(code).or_default() += n;
        }
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
    }
}

/// Group-commit figures read from the node's own metrics.
#[derive(Clone, Copy, Debug, Default)]
pub struct CommitStats {
    pub n_commits: u64,
    /// Total time spent in `Store::append`, the write of each group commit.
    pub append_seconds: f64,
}

impl CommitStats {
    /// Reads the counters from the node's Prometheus exposition.
    pub fn of(node: &Node) -> CommitStats {
        let text = node.metrics().render();
        let value = |name: &str| {
            text.lines()
                .find_map(|line| {
                    line.strip_prefix(name)?
                        .strip_prefix(' ')?
                        .trim()
                        .parse::<f64>()
                        .ok()
                })
                .unwrap_or(0.0)
        };
        CommitStats {
            // Counts are small whole numbers, exact in an f64.
            n_commits: value("commons_group_commits_total") as u64,
            append_seconds: value("commons_commit_duration_seconds_sum"),
        }
    }
}

/// One path's result: every event was sequenced, in this time.
#[derive(Clone, Copy, Debug)]
pub struct IngestRun {
    pub n_events: usize,
    pub elapsed: Duration,
    /// Ledger size after the run: genesis, events and the node's own ticks.
    pub ledger_size: u64,
    pub commits: CommitStats,
}

impl IngestRun {
    /// Checks that every one of the `n_events` submitted was sequenced and is in the
    /// store, or fails loudly.
    pub async fn finish(
        node: &Node,
        workload: &Workload,
        n_events: usize,
        tally: Tally,
        elapsed: Duration,
    ) -> Result<IngestRun> {
        if tally.sequenced != n_events || tally.pending != 0 || !tally.failed.is_empty() {
            bail!(
                "FUNCTIONAL FAILURE: of {} events, {} were sequenced, {} left pending, failures by code {:?}; first failure: {}",
                n_events,
                tally.sequenced,
                tally.pending,
                tally.failed,
                tally.first_failure.as_deref().unwrap_or("none")
            );
        }
        let ledger_size = node
            .store()
            .commons(&workload.commons)
            .await?
            .context("FUNCTIONAL FAILURE: the commons is not in the store")?
            .size;
        let expected_min = n_events as u64 + 1;
        if ledger_size < expected_min {
            bail!(
                "FUNCTIONAL FAILURE: the stored ledger has {ledger_size} entries, fewer than the {expected_min} acknowledged"
            );
        }
        Ok(IngestRun {
            n_events,
            elapsed,
            ledger_size,
            commits: CommitStats::of(node),
        })
    }

    pub fn events_per_second(&self) -> f64 {
        crate::report::rate(self.n_events, self.elapsed)
    }

    /// Where the time went, as the node's metrics tell it.
    pub fn commit_summary(&self) -> String {
        let n_commits = self.commits.n_commits.max(1) as f64;
        format!(
            "ledger {} entries; {} group commits of {:.0} entries on average; {:.2} s inside Store::append = {:.0}% of the run, {:.2} ms per commit",
            crate::report::grouped(self.ledger_size),
            crate::report::grouped(self.commits.n_commits),
            self.ledger_size as f64 / n_commits,
            self.commits.append_seconds,
            100.0 * self.commits.append_seconds / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE),
            1000.0 * self.commits.append_seconds / n_commits
        )
    }
}
