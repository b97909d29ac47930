//! Prometheus metrics of the node: what was sequenced, what was refused and why, how big
//! and how slow group commits are, and how many events wait in the pending pool.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    pub code: String,
}

pub struct Metrics {
    registry: Registry,
    events_sequenced: Counter,
    commits: Counter,
    rejections: Family<CodeLabel, Counter>,
    pending: Gauge,
    batch_events: Histogram,
    commit_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("commons");
        let events_sequenced = Counter::default();
        let commits = Counter::default();
        let rejections = Family::<CodeLabel, Counter>::default();
        let pending = Gauge::default();
        let batch_events = Histogram::new(exponential_buckets(1.0, 4.0, 8));
        let commit_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        registry.register(
            "events_sequenced",
            "Events written to a ledger",
            events_sequenced.clone(),
        );
        registry.register("group_commits", "Group commits written", commits.clone());
        registry.register(
            "rejections",
            "Submissions refused, by code",
            rejections.clone(),
        );
        registry.register(
            "pending_events",
            "Events waiting for their prev or deps",
            pending.clone(),
        );
        registry.register(
            "commit_batch_events",
            "Events per group commit",
            batch_events.clone(),
        );
        registry.register(
            "commit_duration_seconds",
            "Time to write one group commit",
            commit_seconds.clone(),
        );
        Metrics {
            registry,
            events_sequenced,
            commits,
            rejections,
            pending,
            batch_events,
            commit_seconds,
        }
    }
}

impl Metrics {
    pub fn rejected(&self, code: &str) {
        self.rejections
            .get_or_create(&CodeLabel {
                code: code.to_owned(),
            })
            .inc();
    }

    pub fn committed(&self, n_events: usize, took: Duration) {
        self.events_sequenced.inc_by(n_events as u64);
        self.commits.inc();
        self.batch_events.observe(n_events as f64);
        self.commit_seconds.observe(took.as_secs_f64());
    }

    pub fn set_pending(&self, n: usize) {
        self.pending.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
