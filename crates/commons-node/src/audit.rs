//! The full audit behind `commons verify`, and the rebuild behind `commons rebuild`.
//!
//! An audit trusts nothing the node wrote down. It decodes every stored envelope again
//! (with the canonical re-encode check), compares the columns the store indexes with the
//! header they came from, verifies every signature, follows every author chain and causal
//! reference, folds the ledger through core from its genesis, recomputes the Merkle tree,
//! and then checks against what it recomputed: every stored Merkle hash, every signed
//! checkpoint (signer, root, and consistency with the checkpoint before it) and the stored
//! projection rows. It stops at the first failure in ledger order and names it with a
//! stable code and the ledger index.
//!
//! A fork's ledger is followed through its parent's prefix like any other events: leaf 0
//! is its first ancestor's genesis, and at each fork point the genesis must fork the
//! state folded so far (core's rules) and name the ancestor's checkpoint at exactly that
//! size, signed by the ancestor's sequencer, with the recomputed root
//! (`fork_checkpoint_invalid`). The ledger must end as this commons'.
//!
//! The same verifying fold ([`Verifier`]) serves bundles ([`audit_bundle`]), minus what
//! only a store has (stored hashes and projection rows), and the import of a bundle, which
//! writes the hashes and rows the fold recomputed rather than anything the bundle claims.
//!
//! An audit reads the store in many queries, not in one snapshot. Run it on a store that
//! no node is writing to; otherwise an append that lands between two reads can show up
//! as a finding (typically projection rows that are ahead of the ledger read).

use crate::bundle::Bundle;
use commons_core::State;
use commons_ledger::merkle::{self, Frontier};
use commons_ledger::note::{Checkpoint, origin_for};
use commons_ledger::{AuthorKey, CommonsId, Envelope, Event, EventId, FormatError, Hash};
use commons_store::{
    EVENTS_PAGE_MAX, HASHES_LOOKUP_MAX, ProjectionRow, Store, StoreError, StoredEnvelope,
    StoredEvent,
};
use std::collections::{BTreeSet, HashSet};

/// Most projection differences a rebuild lists; it counts all of them.
pub const DIFFERENCES_MAX: usize = 16;
/// Most threads one page's signatures are split across.
const SIGNATURE_THREADS_MAX: usize = 8;
/// Fewest signatures worth a thread of their own.
const SIGNATURES_PER_THREAD_MIN: usize = 64;

/// Reports how far a long run has got. The CLI draws a progress bar on a terminal and
/// prints plain lines otherwise; libraries and tests pass [`NoProgress`].
pub trait Progress: Send + Sync {
    /// A new phase begins, with `total` units of work (events, rows, checkpoints).
    fn start(&self, what: &str, total: u64);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The phase is over, whether it succeeded or not.
    fn finish(&self);
}

/// Progress that goes nowhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _what: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}

/// One phase of progress, finished when dropped so that an early return on a failure
/// still closes the progress bar.
pub(crate) struct Phase<'a>(&'a dyn Progress);

impl<'a> Phase<'a> {
    pub(crate) fn start(progress: &'a dyn Progress, what: &str, total: u64) -> Phase<'a> {
        progress.start(what, total);
        Phase(progress)
    }

    pub(crate) fn advance(&self, n: u64) {
        self.0.advance(n);
    }
}

impl Drop for Phase<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// What an audit found wrong. Each has a stable code that scripts and tests match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditCode {
    /// The store hosts no commons with this id.
    CommonsUnknown,
    /// The ledger has no events.
    LedgerEmpty,
    /// An index below the ledger size has no stored event.
    EventMissing,
    /// An envelope does not decode: not canonical CBOR, a header rule broken, a body that
    /// does not match `body_len`/`body_hash`.
    EventMalformed,
    /// A column the store indexes (id, author, seq, kind, time, index) differs from the
    /// header it was taken from.
    StoredColumnsMismatch,
    /// An author key is not a usable point or has small order.
    AuthorKeyInvalid,
    BadSignature,
    /// Leaf 0 is not a genesis, a later genesis does not fork the ledger folded so far,
    /// or the ledger is not this commons' (its last genesis has another id).
    GenesisInvalid,
    /// The same event id appears twice.
    DuplicateEvent,
    /// An event's `seq`/`prev` does not continue its author's chain.
    ChainBroken,
    /// An event names a dep that is not earlier in the ledger.
    DepMissing,
    /// Core's rules refuse an event (the message carries core's rejection code).
    RuleRejected,
    /// A stored Merkle hash differs from the recomputed one.
    MerkleHashMismatch,
    /// Checkpoint sizes are not strictly increasing from 1.
    CheckpointOrder,
    /// A checkpoint note does not parse, names another origin, is not signed by the
    /// commons' sequencer, or disagrees with the size and root stored beside it.
    CheckpointInvalid,
    /// A checkpoint's root is not the recomputed root at its size.
    CheckpointRootMismatch,
    /// No consistency proof joins a checkpoint to the one before it.
    CheckpointInconsistent,
    /// A checkpoint is for a tree larger than the ledger.
    CheckpointBeyondLedger,
    /// The end of the ledger is covered by no signed checkpoint.
    CheckpointMissing,
    /// Stored projection rows differ from the rows the fold renders.
    ProjectionMismatch,
    /// A bundle's header disagrees with its ledger.
    BundleMismatch,
    /// A fork's genesis names a parent checkpoint that the parent's sequencer did not
    /// sign, or whose root is not the ledger's root at the fork's size.
    ForkCheckpointInvalid,
}

impl AuditCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuditCode::CommonsUnknown => "commons_unknown",
            AuditCode::LedgerEmpty => "ledger_empty",
            AuditCode::EventMissing => "event_missing",
            AuditCode::EventMalformed => "event_malformed",
            AuditCode::StoredColumnsMismatch => "stored_columns_mismatch",
            AuditCode::AuthorKeyInvalid => "author_key_invalid",
            AuditCode::BadSignature => "bad_signature",
            AuditCode::GenesisInvalid => "genesis_invalid",
            AuditCode::DuplicateEvent => "duplicate_event",
            AuditCode::ChainBroken => "chain_broken",
            AuditCode::DepMissing => "dep_missing",
            AuditCode::RuleRejected => "rule_rejected",
            AuditCode::MerkleHashMismatch => "merkle_hash_mismatch",
            AuditCode::CheckpointOrder => "checkpoint_order",
            AuditCode::CheckpointInvalid => "checkpoint_invalid",
            AuditCode::CheckpointRootMismatch => "checkpoint_root_mismatch",
            AuditCode::CheckpointInconsistent => "checkpoint_inconsistent",
            AuditCode::CheckpointBeyondLedger => "checkpoint_beyond_ledger",
            AuditCode::CheckpointMissing => "checkpoint_missing",
            AuditCode::ProjectionMismatch => "projection_mismatch",
            AuditCode::BundleMismatch => "bundle_mismatch",
            AuditCode::ForkCheckpointInvalid => "fork_checkpoint_invalid",
        }
    }
}

impl std::fmt::Display for AuditCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an audit (or a rebuild) stopped: the first finding, or a fault reading the store.
#[derive(Debug, thiserror::Error)]
pub enum AuditFailure {
    /// The store could not be read. A fault, not a finding about the ledger — except a
    /// `Corrupt` row, which the store reports when a row does not decode.
    #[error("cannot read the store: {0}")]
    Store(#[from] StoreError),
    /// The ledger, its checkpoints or its projections are not what they must be.
    #[error("{code}: {message}")]
    Invalid {
        code: AuditCode,
        /// The ledger index of the event at fault, when there is one.
        index: Option<u64>,
        message: String,
    },
}

impl AuditFailure {
    /// The stable code of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            AuditFailure::Store(StoreError::Corrupt(_)) => "store_corrupt",
            AuditFailure::Store(_) => "store_fault",
            AuditFailure::Invalid { code, .. } => code.as_str(),
        }
    }

    /// The ledger index the failure is about, if any.
    pub fn index(&self) -> Option<u64> {
        match self {
            AuditFailure::Store(_) => None,
            AuditFailure::Invalid { index, .. } => *index,
        }
    }

    /// A finding about the event at ledger `index`.
    fn at(code: AuditCode, index: u64, message: impl std::fmt::Display) -> AuditFailure {
        AuditFailure::Invalid {
            code,
            index: Some(index),
            message: format!("at ledger index {index}: {message}"),
        }
    }

    /// A finding about the ledger as a whole.
    fn whole(code: AuditCode, message: impl Into<String>) -> AuditFailure {
        AuditFailure::Invalid {
            code,
            index: None,
            message: message.into(),
        }
    }
}

/// What a passed audit covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    pub n_events: u64,
    /// The Merkle tree size (equal to `n_events` until forks copy a parent prefix).
    pub size: u64,
    pub root: Hash,
    pub n_checkpoints: u64,
    /// Projection rows of the folded state (compared with the store's, for a store audit).
    pub n_rows: u64,
}

/// What a rebuild did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RebuildReport {
    pub n_rows: u64,
    /// Whether the stored rows were already exactly the rebuilt ones.
    pub equal_to_previous: bool,
    /// How many `(table, key)` rows differed.
    pub n_differences: u64,
    /// The first [`DIFFERENCES_MAX`] differences, for humans.
    pub differences: Vec<String>,
}

/// The projection rows of a state, rendered exactly as the sequencer writes them.
pub fn projection_rows(state: &State) -> Vec<ProjectionRow> {
    let mut rows: Vec<ProjectionRow> = state
        .rows()
        .into_iter()
        .filter_map(|row| {
            row.value.map(|value| ProjectionRow {
                table: row.table.to_owned(),
                key: row.key,
                value,
            })
        })
        .collect();
    rows.sort();
    rows
}

/// A checkpoint to verify, from a store row or a bundle note.
pub(crate) struct CheckpointInput<'a> {
    /// The size and root recorded beside the note (a store's columns, or what a bundle
    /// reader parsed): they must agree with the signed text.
    pub size: u64,
    pub root: Hash,
    pub note: &'a str,
}

/// The outcome of a verifying fold.
pub(crate) struct Verified {
    pub state: State,
    /// Every Merkle stored hash of the tree, by storage index, recomputed.
    pub hashes: Vec<Hash>,
    pub root: Hash,
    pub size: u64,
    pub n_checkpoints: u64,
}

impl Verified {
    fn report(&self, n_rows: u64) -> AuditReport {
        AuditReport {
            n_events: self.size,
            size: self.size,
            root: self.root,
            n_checkpoints: self.n_checkpoints,
            n_rows,
        }
    }
}

/// The verifying fold: events go in page by page, in ledger order; every check that
/// needs only the ledger and its checkpoints happens here.
pub(crate) struct Verifier<'a> {
    commons: CommonsId,
    origin: String,
    state: Option<State>,
    ids: HashSet<EventId>,
    frontier: Frontier,
    /// Every stored hash so far, by storage index: the tree's complete subtrees, from
    /// which consistency proofs are computed in O(log n) each.
    hashes: Vec<Hash>,
    checkpoints: &'a [CheckpointInput<'a>],
    next_checkpoint: usize,
    previous_checkpoint: Option<(u64, Hash)>,
    /// Author keys already checked to be registrable, so each is checked once.
    registrable: BTreeSet<AuthorKey>,
    /// The sequencer in effect before the last leaf folded: with the current one, the
    /// keys that may have signed the checkpoint at the current size.
    sequencer_before_last: Option<AuthorKey>,
}

impl<'a> Verifier<'a> {
    pub(crate) fn new(
        commons: CommonsId,
        checkpoints: &'a [CheckpointInput<'a>],
    ) -> Result<Verifier<'a>, AuditFailure> {
        let mut previous = 0;
        for checkpoint in checkpoints {
            if checkpoint.size <= previous {
                return Err(AuditFailure::whole(
                    AuditCode::CheckpointOrder,
                    format!(
                        "checkpoint sizes must increase strictly from 1, but size {} follows size {previous}",
                        checkpoint.size
                    ),
                ));
            }
            previous = checkpoint.size;
        }
        Ok(Verifier {
            commons,
            origin: origin_for(&commons),
            state: None,
            ids: HashSet::new(),
            frontier: Frontier::empty(),
            hashes: Vec::new(),
            checkpoints,
            next_checkpoint: 0,
            previous_checkpoint: None,
            registrable: BTreeSet::new(),
            sequencer_before_last: None,
        })
    }

    pub(crate) fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Folds the next page of events. `stored_hashes`, when given, are the store's hashes
    /// at storage indexes `stored_hash_count(size) ..` for this page, checked as each event
    /// adds its own, so the first failure in ledger order is the one reported.
    pub(crate) fn verify_page(
        &mut self,
        events: &[Event],
        stored_hashes: Option<&[Hash]>,
    ) -> Result<(), AuditFailure> {
        let first_index = self.size();
        let first_bad_signature = if verify_signatures_parallel(events) {
            None
        } else {
            // Batch verification says only that some signature is bad; find the first.
            let first_bad = events.iter().enumerate().find_map(|(offset, event)| {
                event.verify_signature().err().map(|error| (offset, error))
            });
            if first_bad.is_none() {
                // ZIP-215 makes batch and single verification agree (spec §1), so this is
                // a fault of the verifier, reported rather than trusted either way.
                return Err(AuditFailure::at(
                    AuditCode::BadSignature,
                    first_index,
                    "batch verification of this page fails, yet every signature verifies alone",
                ));
            }
            first_bad
        };
        let hashes_base = merkle::stored_hash_count(first_index);
        for (offset, event) in events.iter().enumerate() {
            let index = first_index + offset as u64;
            if let Some((bad, error)) = &first_bad_signature
                && *bad == offset
            {
                let code = match error {
                    FormatError::Key(commons_ledger::keys::KeyError::BadSignature) => {
                        AuditCode::BadSignature
                    }
                    _ => AuditCode::AuthorKeyInvalid,
                };
                return Err(AuditFailure::at(
                    code,
                    index,
                    format!("event {}: {error}", event.id),
                ));
            }
            let author = event.header.author;
            if !self.registrable.contains(&author) {
                author.check_registrable().map_err(|error| {
                    AuditFailure::at(
                        AuditCode::AuthorKeyInvalid,
                        index,
                        format!("author key {author}: {error}"),
                    )
                })?;
                self.registrable.insert(author);
            }
            let sequencer_before = self.fold(index, event)?;
            if let Some(stored) = stored_hashes {
                self.compare_stored_hashes(index, hashes_base, stored)?;
            }
            self.check_checkpoint(sequencer_before)?;
        }
        Ok(())
    }

    /// Applies one event; returns the sequencer in effect before it (none for the genesis).
    fn fold(&mut self, index: u64, event: &Event) -> Result<Option<AuthorKey>, AuditFailure> {
        if self.ids.contains(&event.id) {
            return Err(AuditFailure::at(
                AuditCode::DuplicateEvent,
                index,
                format!("event {} appears twice", event.id),
            ));
        }
        if let Some(dep) = event
            .header
            .deps
            .iter()
            .find(|dep| !self.ids.contains(*dep))
        {
            return Err(AuditFailure::at(
                AuditCode::DepMissing,
                index,
                format!(
                    "event {} names dep {dep}, which is not earlier in the ledger",
                    event.id
                ),
            ));
        }
        let sequencer_before = match &mut self.state {
            None => {
                // Leaf 0 is this commons' genesis, or, for a fork, its first ancestor's.
                if event.header.commons.is_some() {
                    return Err(AuditFailure::at(
                        AuditCode::GenesisInvalid,
                        index,
                        format!(
                            "leaf 0 must be a genesis of commons {} or of an ancestor it forks, found event {}",
                            self.commons, event.id
                        ),
                    ));
                }
                let (state, _) = commons_core::genesis(event, index).map_err(|rejection| {
                    AuditFailure::at(
                        AuditCode::GenesisInvalid,
                        index,
                        format!(
                            "core refuses the genesis: {rejection} ({})",
                            rejection.code.as_str()
                        ),
                    )
                })?;
                self.state = Some(state);
                None
            }
            Some(state) if event.header.commons.is_none() => {
                let before = state.governance.sequencer;
                let root = self.frontier.root();
                let forked = fold_fork(state, index, event, root, self.sequencer_before_last)?;
                self.state = Some(forked);
                Some(before)
            }
            Some(state) => {
                let head = state.chains.get(&event.header.author).copied();
                let expected_seq = head.map_or(0, |h| h.seq + 1);
                if event.header.seq != expected_seq || event.header.prev != head.map(|h| h.id) {
                    return Err(AuditFailure::at(
                        AuditCode::ChainBroken,
                        index,
                        format!(
                            "event {} has seq {} but its author's chain continues at seq {expected_seq}{}",
                            event.id,
                            event.header.seq,
                            if event.header.seq == expected_seq {
                                " after another event"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
                let before = state.governance.sequencer;
                commons_core::apply(state, event, index)
                    .map_err(|rejection| rule_rejected(index, event, &rejection))?;
                Some(before)
            }
        };
        self.sequencer_before_last = sequencer_before;
        self.ids.insert(event.id);
        for (storage_index, hash) in self.frontier.append(event.leaf_hash()) {
            // The frontier hands out storage indexes in append order, one after another.
            debug_assert_eq!(storage_index, self.hashes.len() as u64);
            self.hashes.push(hash);
        }
        Ok(sequencer_before)
    }

    /// Compares the hashes the event at `index` added with the stored ones.
    fn compare_stored_hashes(
        &self,
        index: u64,
        base: u64,
        stored: &[Hash],
    ) -> Result<(), AuditFailure> {
        let from = merkle::stored_hash_count(index);
        let to = merkle::stored_hash_count(index + 1);
        for storage_index in from..to {
            let offset = usize::try_from(storage_index - base).unwrap_or(usize::MAX);
            let recomputed = usize::try_from(storage_index)
                .ok()
                .and_then(|i| self.hashes.get(i));
            let Some(stored_hash) = stored.get(offset) else {
                return Err(AuditFailure::at(
                    AuditCode::MerkleHashMismatch,
                    index,
                    format!("stored hash {storage_index} is missing"),
                ));
            };
            if recomputed != Some(stored_hash) {
                return Err(AuditFailure::at(
                    AuditCode::MerkleHashMismatch,
                    index,
                    format!("stored hash {storage_index} differs from the recomputed one"),
                ));
            }
        }
        Ok(())
    }

    /// Verifies the checkpoint at the current size, if there is one.
    fn check_checkpoint(
        &mut self,
        sequencer_before: Option<AuthorKey>,
    ) -> Result<(), AuditFailure> {
        let size = self.size();
        let Some(input) = self.checkpoints.get(self.next_checkpoint) else {
            return Ok(());
        };
        if input.size != size {
            return Ok(());
        }
        self.next_checkpoint += 1;
        let last_index = size - 1;
        let Some(state) = &self.state else {
            return Ok(());
        };
        if state.commons != self.commons {
            // A fork's checkpoints start after its genesis; before it, the ledger is an
            // ancestor's, and a checkpoint of this commons there means leaf 0 is wrong.
            return Err(AuditFailure::at(
                AuditCode::GenesisInvalid,
                last_index,
                format!(
                    "a checkpoint of {} covers {size} events, but up to there the ledger is commons {}'s",
                    self.commons, state.commons
                ),
            ));
        }
        // The checkpoint at `size` is signed by whoever appended leaf `size - 1`: the
        // sequencer in effect before it. When that leaf hands the ledger to a new
        // sequencer, the new one may sign the same size too, so both keys are accepted.
        let mut keys = vec![state.governance.sequencer];
        if let Some(before) = sequencer_before
            && before != state.governance.sequencer
        {
            keys.push(before);
        }
        let mut outcome = Err(commons_ledger::note::NoteError::NoSignatureFromKey(
            self.origin.clone(),
        ));
        for key in &keys {
            outcome = Checkpoint::parse_and_verify(input.note, &self.origin, key);
            if outcome.is_ok() {
                break;
            }
        }
        let (checkpoint, _) = outcome.map_err(|error| {
            AuditFailure::at(
                AuditCode::CheckpointInvalid,
                last_index,
                format!("the checkpoint of size {size} is not the sequencer's signed note for {}: {error}", self.origin),
            )
        })?;
        if checkpoint.size != input.size || checkpoint.root != input.root {
            return Err(AuditFailure::at(
                AuditCode::CheckpointInvalid,
                last_index,
                format!(
                    "the checkpoint note says size {} root {}, but it is recorded as size {} root {}",
                    checkpoint.size,
                    checkpoint.root.to_hex(),
                    input.size,
                    input.root.to_hex()
                ),
            ));
        }
        let root = self.frontier.root();
        if checkpoint.root != root {
            return Err(AuditFailure::at(
                AuditCode::CheckpointRootMismatch,
                last_index,
                format!(
                    "the checkpoint of size {size} signs root {}, but the ledger's root at that size is {}",
                    checkpoint.root.to_hex(),
                    root.to_hex()
                ),
            ));
        }
        if let Some((old_size, old_root)) = self.previous_checkpoint {
            self.check_consistency(old_size, &old_root, size, &checkpoint.root)?;
        }
        self.previous_checkpoint = Some((size, checkpoint.root));
        Ok(())
    }

    /// Computes the RFC 9162 consistency proof between two checkpoints from the recomputed
    /// tree and verifies it against both signed roots.
    ///
    /// Both roots were just compared with the recomputed tree, so this cannot fail unless
    /// the stored-hash arithmetic and the RFC's verifier disagree; it keeps the two
    /// independent implementations checking each other on every real ledger.
    fn check_consistency(
        &self,
        old_size: u64,
        old_root: &Hash,
        new_size: u64,
        new_root: &Hash,
    ) -> Result<(), AuditFailure> {
        let fail = |why: String| {
            AuditFailure::at(
                AuditCode::CheckpointInconsistent,
                new_size - 1,
                format!(
                    "no consistency proof joins the checkpoints of sizes {old_size} and {new_size}: {why}"
                ),
            )
        };
        let mut stored = Vec::new();
        for storage_index in merkle::consistency_proof_indexes(old_size, new_size) {
            let hash = usize::try_from(storage_index)
                .ok()
                .and_then(|i| self.hashes.get(i))
                .ok_or_else(|| fail(format!("stored hash {storage_index} is not in the tree")))?;
            stored.push(*hash);
        }
        let proof = merkle::consistency_proof(old_size, new_size, &stored)
            .map_err(|e| fail(e.to_string()))?;
        merkle::verify_consistency(old_size, new_size, old_root, new_root, &proof)
            .map_err(|e| fail(e.to_string()))
    }

    /// Ends the fold: every checkpoint must have been met, and the last one must cover
    /// the whole ledger.
    pub(crate) fn finish(self) -> Result<Verified, AuditFailure> {
        let size = self.size();
        let Some(state) = self.state else {
            return Err(AuditFailure::whole(
                AuditCode::LedgerEmpty,
                "the ledger has no events",
            ));
        };
        if state.commons != self.commons {
            return Err(AuditFailure::whole(
                AuditCode::GenesisInvalid,
                format!(
                    "the ledger is commons {}'s, not {}: no genesis of {} follows",
                    state.commons, self.commons, self.commons
                ),
            ));
        }
        if let Some(beyond) = self.checkpoints.get(self.next_checkpoint) {
            return Err(AuditFailure::whole(
                AuditCode::CheckpointBeyondLedger,
                format!(
                    "a checkpoint of size {} is beyond the ledger of {size} events",
                    beyond.size
                ),
            ));
        }
        match self.previous_checkpoint {
            Some((last, _)) if last == size => {}
            last => {
                return Err(AuditFailure::whole(
                    AuditCode::CheckpointMissing,
                    format!(
                        "no signed checkpoint covers the ledger of {size} events (the last is of size {})",
                        last.map_or(0, |(s, _)| s)
                    ),
                ));
            }
        }
        Ok(Verified {
            state,
            root: self.frontier.root(),
            hashes: self.hashes,
            size,
            n_checkpoints: self.checkpoints.len() as u64,
        })
    }
}

/// Folds a fork's genesis at `index`, where the ledger so far has root `root` (see
/// [`Verifier::fold`]): core's rules, then the lineage core cannot see, namely that the
/// parent checkpoint is signed by the parent's sequencer (the one in effect at that size,
/// or `sequencer_before_last`) and that its root is the ledger's root at `index`.
fn fold_fork(
    parent: &State,
    index: u64,
    event: &Event,
    root: Hash,
    sequencer_before_last: Option<AuthorKey>,
) -> Result<State, AuditFailure> {
    let forked = commons_core::fork::fork(parent, event, index).map_err(|rejection| {
        AuditFailure::at(
            AuditCode::GenesisInvalid,
            index,
            format!(
                "core refuses the fork's genesis {}: {rejection} ({})",
                event.id,
                rejection.code.as_str()
            ),
        )
    })?;
    let Some(lineage) = &forked.governance.parent else {
        return Err(AuditFailure::at(
            AuditCode::GenesisInvalid,
            index,
            "a fork's genesis names no parent",
        ));
    };
    let origin = origin_for(&lineage.commons);
    let keys = [Some(parent.governance.sequencer), sequencer_before_last];
    let signed = keys.iter().flatten().any(|key| {
        Checkpoint::parse_and_verify(&lineage.checkpoint, &origin, key)
            .is_ok_and(|(checkpoint, _)| checkpoint.size == index && checkpoint.root == root)
    });
    if !signed {
        return Err(AuditFailure::at(
            AuditCode::ForkCheckpointInvalid,
            index,
            format!(
                "the fork's parent checkpoint is not {origin}'s sequencer's signed checkpoint of the ledger's {index} events (root {})",
                root.to_hex()
            ),
        ));
    }
    Ok(forked)
}

/// Batch-verifies a page's signatures, split across the machine's cores: signature
/// checks are most of an audit's work, and each part is independent. `false` means some
/// signature (or key) is bad and the caller checks one by one.
fn verify_signatures_parallel(events: &[Event]) -> bool {
    let n_threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(SIGNATURE_THREADS_MAX)
        .min(events.len() / SIGNATURES_PER_THREAD_MIN)
        .max(1);
    let verify = |part: &[Event]| crate::verify_signatures_batch(&part.iter().collect::<Vec<_>>());
    if n_threads == 1 {
        return verify(events);
    }
    let part_len = events.len().div_ceil(n_threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = events
            .chunks(part_len)
            .map(|part| scope.spawn(move || verify(part)))
            .collect();
        // A part whose thread panicked counts as failed: the caller then verifies one by
        // one. Stopping at the first failed part is fine: the scope joins the others.
        parts.into_iter().all(|part| part.join().unwrap_or(false))
    })
}

/// Decodes one page of stored events and checks each row's columns against its header.
/// Returns the events that decode, in order, and the failure that stopped it, if any,
/// so that the caller can fold the good prefix first and report failures in ledger order.
fn decode_page(page: &[StoredEvent], from: u64, to: u64) -> (Vec<Event>, Option<AuditFailure>) {
    let mut events = Vec::with_capacity(page.len());
    for (offset, stored) in page.iter().enumerate() {
        let index = from + offset as u64;
        if stored.index != index {
            return (
                events,
                Some(AuditFailure::at(
                    AuditCode::EventMissing,
                    index,
                    "the store has no event at this index",
                )),
            );
        }
        let event = match Event::from_envelope(Envelope {
            header_bytes: stored.header_bytes.clone(),
            signature: stored.signature,
            body: stored.body.clone(),
        }) {
            Ok(event) => event,
            Err(error) => {
                let message = format!(
                    "the stored envelope does not decode: {error} ({})",
                    error.code()
                );
                return (
                    events,
                    Some(AuditFailure::at(AuditCode::EventMalformed, index, message)),
                );
            }
        };
        let mismatched = if stored.id != event.id {
            Some("id")
        } else if stored.author != event.header.author {
            Some("author")
        } else if stored.seq != event.header.seq {
            Some("seq")
        } else if stored.kind != event.header.kind.as_str() {
            Some("kind")
        } else if stored.time_ms != event.header.time_ms {
            Some("time_ms")
        } else {
            None
        };
        if let Some(column) = mismatched {
            let message = format!("the stored column `{column}` differs from the event's header");
            return (
                events,
                Some(AuditFailure::at(
                    AuditCode::StoredColumnsMismatch,
                    index,
                    message,
                )),
            );
        }
        events.push(event);
    }
    if (page.len() as u64) < to - from {
        let index = from + page.len() as u64;
        return (
            events,
            Some(AuditFailure::at(
                AuditCode::EventMissing,
                index,
                "the store has no event at this index",
            )),
        );
    }
    (events, None)
}

/// The store's hashes at storage indexes `from .. to`, read in chunks the store accepts.
async fn read_stored_hashes(
    store: &(impl Store + Clone),
    commons: &CommonsId,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, StoreError> {
    let indexes: Vec<u64> = (from..to).collect();
    let mut hashes = Vec::with_capacity(indexes.len());
    for chunk in indexes.chunks(HASHES_LOOKUP_MAX) {
        hashes.extend(store.read_hashes(commons, chunk).await?);
    }
    Ok(hashes)
}

/// What a pass over a stored ledger reads of each page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reading {
    /// The events as stored (an export).
    Events,
    /// The events and the stored hashes of the page (an audit).
    EventsWithHashes,
    /// Only the signed envelopes (a replay): a leaner query.
    Envelopes,
}

/// One page of a stored ledger: the events at indexes `from .. to` that the store has
/// (as events, or as envelopes only) and, when asked for, the stored hashes of its
/// leading run of consecutive events.
pub(crate) struct StoredPage {
    pub from: u64,
    pub to: u64,
    pub events: Vec<StoredEvent>,
    pub envelopes: Vec<StoredEnvelope>,
    pub hashes: Vec<Hash>,
}

async fn read_page(
    store: &(impl Store + Clone),
    commons: &CommonsId,
    from: u64,
    to: u64,
    reading: Reading,
) -> Result<StoredPage, StoreError> {
    let mut page = StoredPage {
        from,
        to,
        events: Vec::new(),
        envelopes: Vec::new(),
        hashes: Vec::new(),
    };
    if reading == Reading::Envelopes {
        page.envelopes = store.envelopes_range(commons, from, to).await?;
        return Ok(page);
    }
    page.events = store.events_range(commons, from, to).await?;
    if reading == Reading::EventsWithHashes {
        // Hashes are read only for events present, so that a missing event is reported
        // as such rather than as the missing hashes it implies.
        let n_consecutive = page
            .events
            .iter()
            .zip(from..)
            .take_while(|(e, i)| e.index == *i)
            .count();
        let end = from + n_consecutive as u64;
        page.hashes = read_stored_hashes(
            store,
            commons,
            merkle::stored_hash_count(from),
            merkle::stored_hash_count(end),
        )
        .await?;
    }
    Ok(page)
}

/// Hands the pages of a stored ledger `0 .. size` to `work` in order, reading the next
/// page while `work` handles the current one.
///
/// Reading is most of a rebuild's time and much of an audit's. The next page is read by a
/// task of its own, so that on a multi-threaded runtime it makes progress (a pool
/// connection acquired, the query sent, rows handed over by the SQLite thread or the
/// PostgreSQL server) while `work`, which does not yield, runs on the caller's thread. (A
/// read polled beside `work` in the same task only started once `work` was done.)
pub(crate) async fn for_each_page<S: Store + Clone, E: From<StoreError>>(
    store: &S,
    commons: &CommonsId,
    size: u64,
    reading: Reading,
    mut work: impl FnMut(StoredPage) -> Result<(), E>,
) -> Result<(), E> {
    let page_end = |from: u64| size.min(from.saturating_add(EVENTS_PAGE_MAX));
    if size == 0 {
        return Ok(());
    }
    let mut current = read_page(store, commons, 0, page_end(0), reading).await?;
    loop {
        let from = current.to;
        let next = (from < size).then(|| {
            let (store, commons, to) = (store.clone(), *commons, page_end(from));
            tokio::spawn(async move { read_page(&store, &commons, from, to, reading).await })
        });
        if let Err(error) = work(current) {
            if let Some(read) = next {
                read.abort();
            }
            return Err(error);
        }
        match next {
            Some(read) => {
                current = match read.await {
                    Ok(page) => page?,
                    // The read is aborted only above; a read that ended otherwise panicked.
                    Err(ended) => std::panic::resume_unwind(ended.into_panic()),
                }
            }
            None => return Ok(()),
        }
    }
}

/// Audits one commons on a store: everything in the module documentation.
pub async fn audit_store(
    store: &(impl Store + Clone),
    commons: &CommonsId,
    progress: &dyn Progress,
) -> Result<AuditReport, AuditFailure> {
    let Some(row) = store.commons(commons).await? else {
        return Err(AuditFailure::whole(
            AuditCode::CommonsUnknown,
            format!("the store hosts no commons {commons}"),
        ));
    };
    let size = row.size;
    let checkpoint_rows = store.checkpoints(commons).await?;
    let inputs: Vec<CheckpointInput<'_>> = checkpoint_rows
        .iter()
        .map(|row| CheckpointInput {
            size: row.size,
            root: row.root,
            note: &row.note,
        })
        .collect();
    let mut verifier = Verifier::new(*commons, &inputs)?;
    {
        let phase = Phase::start(progress, "verifying events", size);
        for_each_page(store, commons, size, Reading::EventsWithHashes, |page| {
            let (events, failure) = decode_page(&page.events, page.from, page.to);
            verifier.verify_page(&events, Some(&page.hashes))?;
            if let Some(failure) = failure {
                return Err(failure);
            }
            phase.advance(page.to - page.from);
            Ok(())
        })
        .await?;
    }
    let verified = verifier.finish()?;
    let expected = projection_rows(&verified.state);
    let mut stored = store.projection_rows(commons).await?;
    stored.sort();
    let (n_differences, differences) = compare_rows(&stored, &expected, 1);
    if n_differences > 0 {
        let first = differences.first().map_or("", String::as_str);
        return Err(AuditFailure::whole(
            AuditCode::ProjectionMismatch,
            format!(
                "{n_differences} stored projection rows differ from the ledger's fold; the first: {first}"
            ),
        ));
    }
    Ok(verified.report(expected.len() as u64))
}

/// Audits a bundle: everything an audit of a store checks except stored hashes and
/// projection rows, plus the bundle header against the ledger.
pub fn audit_bundle(bundle: &Bundle, progress: &dyn Progress) -> Result<AuditReport, AuditFailure> {
    let verified = verify_bundle(bundle, progress)?;
    Ok(verified.report(projection_rows(&verified.state).len() as u64))
}

/// The verifying fold of a bundle, with what import needs to write it.
pub(crate) fn verify_bundle(
    bundle: &Bundle,
    progress: &dyn Progress,
) -> Result<Verified, AuditFailure> {
    let inputs: Vec<CheckpointInput<'_>> = bundle
        .checkpoints
        .iter()
        .map(|checkpoint| CheckpointInput {
            size: checkpoint.size,
            root: checkpoint.root,
            note: &checkpoint.note,
        })
        .collect();
    let mut verifier = Verifier::new(bundle.commons, &inputs)?;
    {
        let phase = Phase::start(progress, "verifying events", bundle.events.len() as u64);
        // Page size only bounds the batch verification's memory.
        for page in bundle.events.chunks(EVENTS_PAGE_MAX as usize) {
            verifier.verify_page(page, None)?;
            phase.advance(page.len() as u64);
        }
    }
    let verified = verifier.finish()?;
    if verified.state.governance.sequencer != bundle.sequencer {
        return Err(AuditFailure::whole(
            AuditCode::BundleMismatch,
            format!(
                "the bundle names sequencer {}, but the ledger's governance names {}",
                bundle.sequencer, verified.state.governance.sequencer
            ),
        ));
    }
    Ok(verified)
}

/// Folds a stored ledger without verifying signatures or hashes: what a rebuild and an
/// export need, at the speed of the fold alone.
/// The failure for an event core refuses during a fold.
fn rule_rejected(index: u64, event: &Event, rejection: &commons_core::Rejection) -> AuditFailure {
    AuditFailure::at(
        AuditCode::RuleRejected,
        index,
        format!(
            "core refuses {} event {}: {rejection} ({})",
            event.header.kind,
            event.id,
            rejection.code.as_str()
        ),
    )
}

pub(crate) async fn replay(
    store: &(impl Store + Clone),
    commons: &CommonsId,
    size: u64,
    progress: &dyn Progress,
) -> Result<State, AuditFailure> {
    let phase = Phase::start(progress, "replaying the ledger", size);
    let mut state: Option<State> = None;
    for_each_page(store, commons, size, Reading::Envelopes, |page| {
        let n_events = page.envelopes.len() as u64;
        for (stored, index) in page.envelopes.into_iter().zip(page.from..) {
            if stored.index != index {
                return Err(AuditFailure::at(
                    AuditCode::EventMissing,
                    index,
                    "the store has no event at this index",
                ));
            }
            let event = Event::from_envelope(Envelope {
                header_bytes: stored.header_bytes,
                signature: stored.signature,
                body: stored.body,
            })
            .map_err(|error| {
                AuditFailure::at(
                    AuditCode::EventMalformed,
                    index,
                    format!("stored event {index} does not decode: {error}"),
                )
            })?;
            match &mut state {
                None => {
                    let (genesis, _) =
                        commons_core::genesis(&event, index).map_err(|rejection| {
                            AuditFailure::at(AuditCode::GenesisInvalid, index, rejection)
                        })?;
                    state = Some(genesis);
                }
                // A fork's genesis: the ledger goes on as the fork's.
                Some(folded) if event.header.commons.is_none() => {
                    let forked =
                        commons_core::fork::fork(folded, &event, index).map_err(|rejection| {
                            AuditFailure::at(AuditCode::GenesisInvalid, index, rejection)
                        })?;
                    state = Some(forked);
                }
                Some(state) => {
                    commons_core::apply(state, &event, index)
                        .map_err(|rejection| rule_rejected(index, &event, &rejection))?;
                }
            }
        }
        if n_events < page.to - page.from {
            let index = page.from + n_events;
            return Err(AuditFailure::at(
                AuditCode::EventMissing,
                index,
                "the store has no event at this index",
            ));
        }
        phase.advance(page.to - page.from);
        Ok(())
    })
    .await?;
    let state = state
        .ok_or_else(|| AuditFailure::whole(AuditCode::LedgerEmpty, "the ledger has no events"))?;
    if state.commons != *commons {
        return Err(AuditFailure::whole(
            AuditCode::GenesisInvalid,
            format!("the first {size} events of commons {commons} are another commons' ledger"),
        ));
    }
    Ok(state)
}

/// Recreates a commons' projection rows from its ledger and replaces the stored ones
/// when they differ, reporting how they differed.
///
/// The rebuild trusts the ledger (it verifies no signature or hash; `verify` does that)
/// and must run while no node writes to the commons, or rows of later events would be
/// overwritten with older ones.
pub async fn rebuild(
    store: &(impl Store + Clone),
    commons: &CommonsId,
    progress: &dyn Progress,
) -> Result<RebuildReport, AuditFailure> {
    let Some(row) = store.commons(commons).await? else {
        return Err(AuditFailure::whole(
            AuditCode::CommonsUnknown,
            format!("the store hosts no commons {commons}"),
        ));
    };
    let state = replay(store, commons, row.size, progress).await?;
    let rows = projection_rows(&state);
    let mut stored = store.projection_rows(commons).await?;
    stored.sort();
    let (n_differences, differences) = compare_rows(&stored, &rows, DIFFERENCES_MAX);
    if n_differences > 0 {
        store.replace_projections(commons, &rows).await?;
    }
    Ok(RebuildReport {
        n_rows: rows.len() as u64,
        equal_to_previous: n_differences == 0,
        n_differences,
        differences,
    })
}

/// Compares two sorted row lists by `(table, key)`; returns how many rows differ and a
/// description of the first `list_max`.
fn compare_rows(
    stored: &[ProjectionRow],
    expected: &[ProjectionRow],
    list_max: usize,
) -> (u64, Vec<String>) {
    let mut n_differences = 0u64;
    let mut listed = Vec::new();
    let mut note = |row: &ProjectionRow, what: &str| {
        n_differences += 1;
        if listed.len() < list_max {
            listed.push(format!("{}/{}: {what}", row.table, hex_of(&row.key)));
        }
    };
    let (mut s, mut e) = (0, 0);
    while s < stored.len() || e < expected.len() {
        match (stored.get(s), expected.get(e)) {
            (Some(a), Some(b)) => match (&a.table, &a.key).cmp(&(&b.table, &b.key)) {
                std::cmp::Ordering::Equal => {
                    if a.value != b.value {
                        note(a, "the stored value differs from the ledger's");
                    }
                    s += 1;
                    e += 1;
                }
                std::cmp::Ordering::Less => {
                    note(a, "stored, but not in the ledger's state");
                    s += 1;
                }
                std::cmp::Ordering::Greater => {
                    note(b, "in the ledger's state, but not stored");
                    e += 1;
                }
            },
            (Some(a), None) => {
                note(a, "stored, but not in the ledger's state");
                s += 1;
            }
            (None, Some(b)) => {
                note(b, "in the ledger's state, but not stored");
                e += 1;
            }
            (None, None) => break,
        }
    }
    (n_differences, listed)
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(table: &str, key: &[u8], value: &[u8]) -> ProjectionRow {
        ProjectionRow {
            table: table.to_owned(),
            key: key.to_vec(),
            value: value.to_vec(),
        }
    }

    #[test]
    fn row_comparison_names_changed_missing_and_extra_rows() {
        let stored = [
            row("a", &[1], &[1]),
            row("a", &[2], &[9]),
            row("b", &[0], &[0]),
        ];
        let expected = [
            row("a", &[1], &[1]),
            row("a", &[2], &[2]),
            row("c", &[0], &[0]),
        ];
        let (n, listed) = compare_rows(&stored, &expected, 2);
        assert_eq!(n, 3);
        assert_eq!(listed.len(), 2);
        assert!(listed[0].starts_with("a/02: the stored value differs"));
        assert!(listed[1].starts_with("b/00: stored, but not"));
        assert_eq!(compare_rows(&expected, &expected, 2), (0, Vec::new()));
    }
}
