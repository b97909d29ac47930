//! Hosting a fork (spec §9): the checks a fork genesis must pass on this node, and the
//! state and Merkle frontier the fork starts from.
//!
//! The parent must be hosted here (`parent_unknown`), and `parent` must name a checkpoint
//! of it (`checkpoint_unknown` otherwise): a size of at least 1 that is durable, beyond
//! the parent's own fork point, whose root is the parent ledger's root at that size, and
//! whose note either is the checkpoint this node stored at that size or carries a valid
//! signature of the parent's sequencer.
//!
//! The fork's state is core's fork of the parent's state at `size`. At the parent's
//! current size that state is the sequencer's, cloned from memory; at an earlier size it
//! is replayed from the store. The prefix itself is copied by the store, inside the
//! database, in the transaction that writes the fork's genesis
//! ([`commons_store::ForkPrefix`]).

use crate::audit::NoProgress;
use crate::error::{IngestError, NodeError, SubmitError};
use crate::runtime::Runtime;
use crate::{Shared, read_lock};
use commons_core::State;
use commons_core::state::ForkParent;
use commons_ledger::merkle::Frontier;
use commons_ledger::note::{Checkpoint, origin_for};
use commons_ledger::{CommonsId, Event, Hash};
use commons_store::Store;
use std::collections::BTreeMap;

fn unknown_checkpoint(parent: &ForkParent, why: &str) -> SubmitError {
    IngestError::CheckpointUnknown(format!(
        "commons {} has no checkpoint of size {} that this fork can start from: {why}",
        parent.commons, parent.size
    ))
    .into()
}

/// Checks the fork genesis `event` against its parent on this node and folds the fork's
/// state. `parent` is the genesis' parent map.
pub(crate) async fn start(
    shared: &Shared,
    runtimes: &BTreeMap<CommonsId, Runtime>,
    event: &Event,
    parent: &ForkParent,
) -> Result<(State, Frontier), SubmitError> {
    let Some(parent_runtime) = runtimes.get(&parent.commons) else {
        return Err(IngestError::ParentUnknown(parent.commons.to_hex()).into());
    };
    let size = parent.size;
    if size == 0 {
        return Err(unknown_checkpoint(
            parent,
            "a fork keeps at least one event",
        ));
    }
    // Only durable events can be copied: the view is published after each commit.
    let durable_size = read_lock(&shared.views)
        .get(&parent.commons)
        .map_or(0, |view| view.size);
    if size > durable_size {
        return Err(unknown_checkpoint(
            parent,
            &format!("the parent's durable ledger has {durable_size} events"),
        ));
    }
    // A fork of a fork starts after its parent's own genesis: before it, the ledger is
    // another commons'.
    if let Some(grandparent) = &parent_runtime.state.governance.parent
        && size <= grandparent.size
    {
        return Err(unknown_checkpoint(
            parent,
            "the parent's own ledger starts later",
        ));
    }
    let at_current_size = size == parent_runtime.frontier.size();
    let frontier = if at_current_size {
        parent_runtime.frontier.clone()
    } else {
        frontier_at(shared, &parent.commons, size).await?
    };
    let root = frontier.root();
    if root != Hash(parent.root) {
        return Err(unknown_checkpoint(
            parent,
            "the root is not the parent ledger's root at that size",
        ));
    }
    let stored = shared
        .store
        .checkpoint_at(&parent.commons, size)
        .await
        .map_err(NodeError::from)?;
    let known = stored.is_some_and(|c| c.root == root && c.note == parent.checkpoint);
    // A note signed by an earlier sequencer is accepted as the stored note it must be.
    let signed = || {
        Checkpoint::parse_and_verify(
            &parent.checkpoint,
            &origin_for(&parent.commons),
            &parent_runtime.state.governance.sequencer,
        )
        .is_ok_and(|(c, _)| c.size == size && c.root == root)
    };
    if !known && !signed() {
        return Err(unknown_checkpoint(
            parent,
            "the note is neither a stored checkpoint nor signed by the parent's sequencer",
        ));
    }
    let parent_state = if at_current_size {
        parent_runtime.state.clone()
    } else {
        crate::audit::replay(&shared.store, &parent.commons, size, &NoProgress)
            .await
            .map_err(|failure| {
                NodeError::Inconsistent(format!(
                    "cannot replay commons {}: {failure}",
                    parent.commons
                ))
            })?
    };
    let state = commons_core::fork::fork(&parent_state, event, size)
        .map_err(|r| SubmitError::Rejected(IngestError::Rule(r)))?;
    Ok((state, frontier))
}

/// The parent's Merkle frontier after `size` events, from its stored hashes.
async fn frontier_at(
    shared: &Shared,
    parent: &CommonsId,
    size: u64,
) -> Result<Frontier, SubmitError> {
    let indexes = Frontier::indexes_for(size);
    let mut hashes = Vec::with_capacity(indexes.len());
    for chunk in indexes.chunks(commons_store::HASHES_LOOKUP_MAX) {
        hashes.extend(
            shared
                .store
                .read_hashes(parent, chunk)
                .await
                .map_err(NodeError::from)?,
        );
    }
    Ok(Frontier::from_hashes(size, &hashes).map_err(|e| NodeError::Inconsistent(e.to_string()))?)
}
