//! The direct ingest path: concurrent submitters call `Node::submit_many` on an embedded
//! node, each for its own authors, in chain order. No HTTP, no client: this is the node's
//! own cost (decode, batch verify, sequence, group commit).

use crate::ingest::{IngestRun, Tally, start_node};
use crate::workload::{Workload, split};
use anyhow::{Context, Result};
use commons_store::AnyStore;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Ingests the whole workload through `submit_many` into a node on `store`.
pub async fn ingest(
    workload: Arc<Workload>,
    store: AnyStore,
    n_submitters: usize,
    chunk_events: usize,
) -> Result<IngestRun> {
    let node = start_node(&workload, store).await?;
    let genesis = node
        .submit(&workload.genesis)
        .await
        .context("the genesis is refused")?;
    anyhow::ensure!(
        genesis.status == commons_node::SubmitStatus::Sequenced { index: 0 },
        "the genesis was not sequenced at index 0: {:?}",
        genesis.status
    );

    let started = Instant::now();
    let tally = submit_all(&node, &workload, n_submitters, chunk_events, None).await?;
    let elapsed = started.elapsed();
    IngestRun::finish(&node, &workload, workload.n_events, tally, elapsed).await
}

/// Submits the whole workload with `n_submitters` concurrent tasks, each sending its own
/// authors' events in chain order through `submit_many` in chunks of `chunk_events`;
/// `done` counts the events answered so far, for progress lines.
pub async fn submit_all(
    node: &commons_node::Node,
    workload: &Arc<Workload>,
    n_submitters: usize,
    chunk_events: usize,
    done: Option<Arc<AtomicUsize>>,
) -> Result<Tally> {
    let submitters: Vec<_> = split(workload.chains.len(), n_submitters)
        .into_iter()
        .map(|authors| {
            let node = node.clone();
            let workload = workload.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut envelopes = workload.interleaved(authors).peekable();
                while envelopes.peek().is_some() {
                    let chunk: Vec<Vec<u8>> = envelopes
                        .by_ref()
                        .take(chunk_events)
                        .map(<[u8]>::to_vec)
                        .collect();
                    for answer in node.submit_many(&chunk).await {
                        tally.count(answer);
                    }
                    if let Some(done) = &done {
                        done.fetch_add(chunk.len(), Ordering::Relaxed);
                    }
                }
                tally
            })
        })
        .collect();
    let mut tally = Tally::default();
    for submitter in submitters {
        tally.merge(submitter.await.context("a submitter task panicked")?);
    }
    Ok(tally)
}
