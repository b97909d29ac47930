//! The baseline every ingest figure is compared with: how fast one thread batch-verifies
//! the Ed25519 signatures of exactly the workload's events. Decoding the envelopes and
//! building the signed messages happen outside the timed part, so the figure is the raw
//! cost of the signature check alone.

use crate::workload::Workload;
use anyhow::{Context, Result, ensure};
use commons_ledger::Event;
use commons_ledger::event::signing_bytes;
use std::time::{Duration, Instant};

/// What the baseline measured.
#[derive(Clone, Copy, Debug)]
pub struct BatchVerification {
    pub n_events: usize,
    pub chunk_events: usize,
    /// Time spent inside `verify_batch` only.
    pub verify: Duration,
}

impl BatchVerification {
    pub fn events_per_second(&self) -> f64 {
        crate::report::rate(self.n_events, self.verify)
    }
}

/// Batch-verifies every signature of the workload on this thread, `chunk_events` at a
/// time, in the workload's round-robin order (so a chunk holds distinct authors).
pub fn measure(workload: &Workload, chunk_events: usize) -> Result<BatchVerification> {
    let mut verify = Duration::ZERO;
    let mut n_events = 0;
    let mut envelopes = workload.interleaved(0..workload.chains.len()).peekable();
    while envelopes.peek().is_some() {
        let events = envelopes
            .by_ref()
            .take(chunk_events)
            .map(Event::decode)
            .collect::<Result<Vec<Event>, _>>()
            .context("a workload envelope does not decode")?;
        let messages: Vec<Vec<u8>> = events
            .iter()
            .map(|e| signing_bytes(&e.header_bytes))
            .collect();
        let rng = rand_core::UnwrapErr(getrandom::SysRng);
        let started = Instant::now();
        let verified = commons_ledger::keys::verify_batch(
            events
                .iter()
                .zip(&messages)
                .map(|(e, m)| (&e.header.author, m.as_slice(), &e.signature)),
            rng,
        );
        verify += started.elapsed();
        verified.context("a workload signature does not verify")?;
        n_events += events.len();
    }
    ensure!(
        n_events == workload.n_events,
        "baseline verified {n_events} of {} events",
        workload.n_events
    );
    Ok(BatchVerification {
        n_events,
        chunk_events,
        verify,
    })
}
