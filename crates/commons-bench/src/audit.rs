//! Rebuild and verify rates: `commons rebuild` and `commons verify` as the CLI runs them,
//! timed on the store the direct path filled.

use anyhow::{Context, Result, ensure};
use commons_ledger::CommonsId;
use commons_node::audit::{self, NoProgress};
use commons_store::AnyStore;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Timed {
    /// Ledger entries covered: genesis, events and ticks.
    pub n_entries: u64,
    pub elapsed: Duration,
}

impl Timed {
    pub fn events_per_second(&self) -> f64 {
        crate::report::rate(
            usize::try_from(self.n_entries).unwrap_or(usize::MAX),
            self.elapsed,
        )
    }
}

/// Replays the ledger into projection rows and compares them with the stored ones.
pub async fn rebuild(store: &AnyStore, commons: &CommonsId, ledger_size: u64) -> Result<Timed> {
    let started = Instant::now();
    let report = audit::rebuild(store, commons, &NoProgress)
        .await
        .context("FUNCTIONAL FAILURE: rebuild failed")?;
    let elapsed = started.elapsed();
    ensure!(
        report.equal_to_previous,
        "FUNCTIONAL FAILURE: rebuilt projections differ from the stored ones in {} rows: {:?}",
        report.n_differences,
        report.differences
    );
    Ok(Timed {
        n_entries: ledger_size,
        elapsed,
    })
}

/// The full audit behind `commons verify`.
pub async fn verify(store: &AnyStore, commons: &CommonsId) -> Result<Timed> {
    let started = Instant::now();
    let report = audit::audit_store(store, commons, &NoProgress)
        .await
        .context("FUNCTIONAL FAILURE: the audit failed")?;
    Ok(Timed {
        n_entries: report.n_events,
        elapsed: started.elapsed(),
    })
}
