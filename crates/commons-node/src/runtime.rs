//! The sequencer's working copy of one commons: its folded state and Merkle frontier,
//! loaded by replaying the stored ledger, and the read-only view it publishes after
//! every commit.

use crate::{NodeError, Shared, write_lock};
use commons_core::State;
use commons_core::state::Governance;
use commons_ledger::keys::Signature;
use commons_ledger::merkle::Frontier;
use commons_ledger::{AuthorKey, CommonsId, Event, SecretKey};
use commons_store::{CheckpointRow, Store, StoredEvent};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What readers see of a commons: published whole after each commit.
#[derive(Clone, Debug)]
pub struct CommonsView {
    pub id: CommonsId,
    pub governance: Governance,
    pub size: u64,
    pub time_ms: u64,
    /// Whether this node's key sequences the commons (otherwise it is a mirror).
    pub sequenced_here: bool,
    pub checkpoint: Option<CheckpointRow>,
    pub n_agents: usize,
    pub n_authors: usize,
}

pub(crate) struct Runtime {
    pub state: State,
    pub frontier: Frontier,
    pub checkpoint: Option<CheckpointRow>,
}

impl Runtime {
    /// A commons that has no signed checkpoint yet.
    pub fn new(state: State, frontier: Frontier) -> Runtime {
        Runtime {
            state,
            frontier,
            checkpoint: None,
        }
    }

    pub fn view(&self, sequencer: &AuthorKey) -> CommonsView {
        CommonsView {
            id: self.state.commons,
            governance: self.state.governance.clone(),
            size: self.frontier.size(),
            time_ms: self.state.time_ms,
            sequenced_here: self.state.governance.sequencer == *sequencer,
            checkpoint: self.checkpoint.clone(),
            n_agents: self.state.agents.len(),
            n_authors: self.state.chains.len(),
        }
    }
}

pub(crate) async fn load_one(
    shared: &Shared,
    commons: &CommonsId,
    size: u64,
) -> Result<Runtime, NodeError> {
    // The same replay `commons rebuild` uses; the node trusts its own store's signatures.
    let state = crate::audit::replay(&shared.store, commons, size, &crate::audit::NoProgress)
        .await
        .map_err(|failure| {
            NodeError::Inconsistent(format!("cannot replay commons {commons}: {failure}"))
        })?;
    let indexes = Frontier::indexes_for(size);
    let mut hashes = Vec::with_capacity(indexes.len());
    for chunk in indexes.chunks(commons_store::HASHES_LOOKUP_MAX) {
        hashes.extend(shared.store.read_hashes(commons, chunk).await?);
    }
    let frontier =
        Frontier::from_hashes(size, &hashes).map_err(|e| NodeError::Inconsistent(e.to_string()))?;
    let checkpoint = shared.store.latest_checkpoint(commons).await?;
    Ok(Runtime {
        state,
        frontier,
        checkpoint,
    })
}

pub(crate) async fn load_all(shared: &Shared) -> Result<BTreeMap<CommonsId, Runtime>, NodeError> {
    let mut runtimes = BTreeMap::new();
    let sequencer = shared.config.sequencer_key.author_key();
    for row in shared.store.list_commons().await? {
        let runtime = load_one(shared, &row.id, row.size).await?;
        publish(shared, &runtime, &sequencer);
        runtimes.insert(row.id, runtime);
    }
    Ok(runtimes)
}

pub(crate) fn publish(shared: &Shared, runtime: &Runtime, sequencer: &AuthorKey) {
    let view = Arc::new(runtime.view(sequencer));
    write_lock(&shared.views).insert(view.id, view);
}

/// Signs the checkpoint of a commons' ledger at `size` with root `root`.
pub fn sign_checkpoint(
    commons: &CommonsId,
    size: u64,
    root: commons_ledger::Hash,
    key: &SecretKey,
) -> Result<CheckpointRow, NodeError> {
    let checkpoint = commons_ledger::note::Checkpoint {
        origin: commons_ledger::note::origin_for(commons),
        size,
        root,
        extensions: Vec::new(),
    };
    let note = checkpoint
        .sign(key)
        .map_err(|e| NodeError::Inconsistent(format!("cannot sign checkpoint: {e}")))?;
    Ok(CheckpointRow {
        size,
        root,
        note: note.to_text(),
    })
}

/// The stored row of a sequenced event.
pub fn stored_event(event: &Event, index: u64) -> StoredEvent {
    StoredEvent {
        index,
        id: event.id,
        author: event.header.author,
        seq: event.header.seq,
        kind: event.header.kind.as_str().to_owned(),
        time_ms: event.header.time_ms,
        header_bytes: event.header_bytes.clone(),
        signature: Signature(event.signature.0),
        body: event.body.clone(),
    }
}
