//! The commons node: it accepts signed events, asks core whether they may join, sequences
//! them into each commons' ledger in group commits, signs a checkpoint after each commit,
//! appends ledger ticks, and answers queries.
//!
//! Work is split so the expensive, parallel part stays out of the single writer:
//! decoding and signature verification run in the caller's task ([`Node::submit`]); the
//! sequencer task ([`sequencer`]) owns every commons' folded state and does only the
//! ordered part — chain and deps checks, core's rules, Merkle hashes — then writes each
//! round of events in one transaction per commons.

pub mod audit;
mod authoring;
pub mod blobs;
pub mod bundle;
pub mod clock;
pub mod error;
mod fork;
mod keycheck;
pub mod metrics;
pub mod pending;
pub mod posting;
pub mod receipt;
mod runtime;
mod sequencer;

pub use blobs::{BLOB_BYTES_TOTAL_MAX_DEFAULT, BlobError, BlobPut};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{IngestError, NodeError, RejectionClass, SubmitError};
pub use keycheck::REGISTRABLE_KEYS_MAX;
pub use runtime::CommonsView;

use commons_ledger::merkle;
use commons_ledger::{AuthorKey, CommonsId, Event, EventId, Hash, SecretKey};
use commons_store::{AnyStore, CheckpointRow, Store};
use pending::{EvictionReason, PendingPool};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{mpsc, oneshot};

/// How far ahead of the node's clock an author's claimed time may be (spec §11).
pub const CLOCK_SKEW_MS_MAX: u64 = 10 * 60 * 1000;
/// Most events the sequencer writes in one group commit.
pub const BATCH_EVENTS_MAX: usize = 4_096;
/// Most submissions queued for the sequencer; beyond it the node answers `overloaded`.
pub const QUEUE_CAPACITY: usize = 65_536;
/// Ledger ticks are appended at least this often while events arrive (spec §6).
pub const TICK_INTERVAL_MS: u64 = 1_000;
/// Most events one batched submission may carry.
pub const SUBMIT_MANY_MAX: usize = 10_000;

/// Who may create a commons on this node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewCommonsPolicy {
    Anyone,
    Only(BTreeSet<AuthorKey>),
}

#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub sequencer_key: SecretKey,
    pub new_commons: NewCommonsPolicy,
    pub pending_capacity: usize,
    pub pending_age_ms_max: u64,
    /// Tasks, contributions and posts one key may add per hour (spam resistance).
    pub posting_limits: posting::PostingLimits,
    /// The most bytes all blobs may hold together; a new blob past it is `blob_store_full`.
    pub blob_bytes_total_max: u64,
    /// How many batches of signatures are checked at once (see [`verify_threads_default`]).
    pub verify_threads: usize,
}

/// One thread fewer than the machine has cores, and at least one. Checking signatures is
/// the heaviest work of ingest, and submitters can always queue more of it; the store's
/// one writer is what every acknowledgement waits for. Leaving it a core keeps commits
/// short instead of letting a backlog of checks crowd out the work already accepted.
pub fn verify_threads_default() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

impl NodeConfig {
    pub fn new(sequencer_key: SecretKey) -> NodeConfig {
        NodeConfig {
            sequencer_key,
            new_commons: NewCommonsPolicy::Anyone,
            pending_capacity: pending::PENDING_EVENTS_MAX,
            pending_age_ms_max: pending::PENDING_AGE_MS_MAX,
            posting_limits: posting::PostingLimits::default(),
            blob_bytes_total_max: blobs::BLOB_BYTES_TOTAL_MAX_DEFAULT,
            verify_threads: verify_threads_default(),
        }
    }
}

/// Where an accepted event stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitStatus {
    /// In the ledger at this index, and durable.
    Sequenced { index: u64 },
    /// Waiting in the pending pool for its `prev` or `deps`.
    Pending,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubmitOutcome {
    pub id: EventId,
    pub status: SubmitStatus,
}

/// What the node knows of an event id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventStatus {
    Sequenced { index: u64 },
    Pending,
    Evicted(EvictionReason),
    Unknown,
}

type Reply = oneshot::Sender<Result<SubmitOutcome, SubmitError>>;

/// A read-only look at one commons' folded state (`None` if the node hosts no such
/// commons), run by the sequencer between rounds.
pub(crate) type StateRead = Box<dyn FnOnce(Option<&commons_core::State>) + Send>;

pub(crate) enum Job {
    Submit {
        event: Box<Event>,
        reply: Reply,
    },
    Housekeeping,
    /// A read of one commons' durable state, run between two rounds.
    Inspect {
        commons: CommonsId,
        read: StateRead,
    },
}

pub(crate) struct Shared {
    pub store: AnyStore,
    pub config: NodeConfig,
    pub clock: Arc<dyn Clock>,
    pub views: RwLock<BTreeMap<CommonsId, Arc<CommonsView>>>,
    pub pending: Mutex<PendingPool>,
    pub metrics: metrics::Metrics,
    pub authoring: authoring::AuthoringLocks,
    pub posting: Mutex<posting::PostingWindows>,
    /// Author keys already found fit to sign.
    pub keys: keycheck::RegistrableKeys,
    /// One permit per batch of signatures being checked.
    pub verifiers: Arc<tokio::sync::Semaphore>,
}

/// A running node. Cheap to clone.
#[derive(Clone)]
pub struct Node {
    shared: Arc<Shared>,
    jobs: mpsc::Sender<Job>,
}

impl Node {
    /// Loads every hosted commons from the store and starts the sequencer.
    pub async fn start(
        store: AnyStore,
        config: NodeConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Node, NodeError> {
        let pending = PendingPool::new(config.pending_capacity, config.pending_age_ms_max);
        let verifiers = Arc::new(tokio::sync::Semaphore::new(config.verify_threads.max(1)));
        let shared = Arc::new(Shared {
            store,
            config,
            clock,
            views: RwLock::new(BTreeMap::new()),
            pending: Mutex::new(pending),
            metrics: metrics::Metrics::default(),
            authoring: authoring::AuthoringLocks::default(),
            posting: Mutex::default(),
            keys: keycheck::RegistrableKeys::default(),
            verifiers,
        });
        let runtimes = runtime::load_all(&shared).await?;
        let (jobs, receiver) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(sequencer::run(shared.clone(), runtimes, receiver));
        let housekeeping = jobs.clone();
        tokio::spawn(async move {
            let mut interval =
                tokio::time::interval(std::time::Duration::from_millis(TICK_INTERVAL_MS));
            loop {
                interval.tick().await;
                if housekeeping.send(Job::Housekeeping).await.is_err() {
                    break;
                }
            }
        });
        Ok(Node { shared, jobs })
    }

    pub fn store(&self) -> &AnyStore {
        &self.shared.store
    }

    pub fn sequencer_key(&self) -> AuthorKey {
        self.shared.config.sequencer_key.author_key()
    }

    pub fn accepts_commons_from_anyone(&self) -> bool {
        self.shared.config.new_commons == NewCommonsPolicy::Anyone
    }

    pub fn metrics(&self) -> &metrics::Metrics {
        &self.shared.metrics
    }

    pub fn now_ms(&self) -> u64 {
        self.shared.clock.now_ms()
    }

    /// Every hosted commons, by id.
    pub fn list_commons(&self) -> Vec<Arc<CommonsView>> {
        read_lock(&self.shared.views).values().cloned().collect()
    }

    pub fn commons(&self, id: &CommonsId) -> Option<Arc<CommonsView>> {
        read_lock(&self.shared.views).get(id).cloned()
    }

    /// Decodes, checks and verifies one envelope, then hands it to the sequencer.
    pub async fn submit(&self, envelope_bytes: &[u8]) -> Result<SubmitOutcome, SubmitError> {
        let event = self
            .check_envelope(envelope_bytes)
            .inspect_err(|e| self.shared.metrics.rejected(e.code()))?;
        let author = &event.header.author;
        self.shared
            .keys
            .check(author)
            .and_then(|()| {
                author.verify(
                    &commons_ledger::event::signing_bytes(&event.header_bytes),
                    &event.signature,
                )
            })
            .map_err(|e| IngestError::Format(commons_ledger::FormatError::Key(e)))
            .inspect_err(|e| self.shared.metrics.rejected(e.code()))?;
        self.sequence(event).await
    }

    /// Submits many envelopes, verifying their signatures in one batch. Answers come in
    /// the order of the input.
    ///
    /// Decoding and the batch verification run on tokio's blocking pool: a batch of a
    /// thousand signatures is over ten milliseconds of CPU, and on the async workers it
    /// would stall the sequencer and the writer between two statements of a commit. At
    /// most [`NodeConfig::verify_threads`] batches are checked at once; the others wait
    /// their turn.
    pub async fn submit_many(
        &self,
        envelopes: &[Vec<u8>],
    ) -> Vec<Result<SubmitOutcome, SubmitError>> {
        assert!(envelopes.len() <= SUBMIT_MANY_MAX, "callers split batches");
        let node = self.clone();
        let owned = envelopes.to_vec();
        // The semaphore is never closed. The permit goes with the check, so that a caller
        // who stops waiting does not free it while the check still runs.
        let permit = Arc::clone(&self.shared.verifiers).acquire_owned().await;
        let checked = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            node.check_and_verify(&owned)
        })
        .await;
        let checked = match checked {
            Ok(checked) => checked,
            // Only a panic (a bug) or a runtime shutting down gets here.
            Err(_) => {
                return envelopes
                    .iter()
                    .map(|_| Err(SubmitError::Fault(NodeError::ShuttingDown)))
                    .collect();
            }
        };
        let mut receivers = Vec::with_capacity(checked.len());
        for result in checked {
            match result {
                Ok(event) => receivers.push(self.enqueue(event).await),
                Err(e) => {
                    self.shared.metrics.rejected(e.code());
                    receivers.push(Err(SubmitError::Rejected(e)));
                }
            }
        }
        let mut answers = Vec::with_capacity(receivers.len());
        for receiver in receivers {
            answers.push(match receiver {
                Ok(receiver) => receiver
                    .await
                    .unwrap_or(Err(SubmitError::Fault(NodeError::ShuttingDown))),
                Err(e) => Err(e),
            });
        }
        answers
    }

    /// Checks every envelope and verifies the signatures of those that pass in one
    /// batch, one by one only if the batch fails.
    fn check_and_verify(&self, envelopes: &[Vec<u8>]) -> Vec<Result<Event, IngestError>> {
        let mut checked: Vec<Result<Event, IngestError>> = envelopes
            .iter()
            .map(|bytes| self.check_envelope(bytes))
            .collect();
        let authors = checked
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|event| &event.header.author);
        let mut keys = self.shared.keys.check_all(authors).into_iter();
        for result in &mut checked {
            if result.is_ok()
                && let Some(Err(e)) = keys.next()
            {
                *result = Err(IngestError::Format(commons_ledger::FormatError::Key(e)));
            }
        }
        let valid: Vec<&Event> = checked.iter().filter_map(|r| r.as_ref().ok()).collect();
        if verify_signatures_batch(&valid) {
            return checked;
        }
        for result in &mut checked {
            if let Ok(event) = result
                && let Err(e) = event.verify_signature()
            {
                *result = Err(IngestError::from(e));
            }
        }
        checked
    }

    /// Everything about an envelope that needs no state: format, limits, clock skew.
    fn check_envelope(&self, bytes: &[u8]) -> Result<Event, IngestError> {
        let event = Event::decode(bytes)?;
        if event.body.is_none() {
            return Err(IngestError::BodyMissing);
        }
        if event.header.time_ms > self.shared.clock.now_ms().saturating_add(CLOCK_SKEW_MS_MAX) {
            return Err(IngestError::TimeInFuture);
        }
        if let Some(commons) = &event.header.commons
            && self.commons(commons).is_none()
        {
            return Err(IngestError::UnknownCommons(commons.to_hex()));
        }
        Ok(event)
    }

    /// Refuses an event that references a blob this node does not hold (`blob_missing`):
    /// artifacts must be uploaded before the revision that names them. Blobs are never
    /// deleted, so a check before sequencing holds when the event is applied.
    async fn check_blobs(&self, event: &Event) -> Result<(), SubmitError> {
        let kind = event.header.kind.as_str();
        if !commons_core::production::may_reference_blobs(kind) {
            return Ok(());
        }
        let Some(body) = event.body_value() else {
            return Ok(());
        };
        let referenced = commons_core::production::blobs_referenced(kind, &body);
        if let Some(missing) = self.blobs_missing(&referenced).await?.first() {
            self.shared.metrics.rejected("blob_missing");
            return Err(IngestError::BlobMissing(*missing).into());
        }
        Ok(())
    }

    /// Sequences an event whose signature the caller has verified.
    pub async fn sequence(&self, event: Event) -> Result<SubmitOutcome, SubmitError> {
        let receiver = self.enqueue(event).await?;
        receiver
            .await
            .unwrap_or(Err(SubmitError::Fault(NodeError::ShuttingDown)))
    }

    async fn enqueue(
        &self,
        event: Event,
    ) -> Result<oneshot::Receiver<Result<SubmitOutcome, SubmitError>>, SubmitError> {
        self.check_blobs(&event).await?;
        let (reply, receiver) = oneshot::channel();
        match self.jobs.try_send(Job::Submit {
            event: Box::new(event),
            reply,
        }) {
            Ok(()) => Ok(receiver),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.shared.metrics.rejected("overloaded");
                Err(SubmitError::Rejected(IngestError::Overloaded))
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                Err(SubmitError::Fault(NodeError::ShuttingDown))
            }
        }
    }

    /// Where an event stands on this node.
    pub async fn event_status(
        &self,
        commons: &CommonsId,
        id: &EventId,
    ) -> Result<EventStatus, NodeError> {
        if let Some(found) = self
            .shared
            .store
            .events_by_id(commons, &[*id])
            .await?
            .first()
        {
            return Ok(EventStatus::Sequenced { index: found.index });
        }
        let pool = lock(&self.shared.pending);
        Ok(if pool.contains(id) {
            EventStatus::Pending
        } else if let Some(reason) = pool.eviction(id) {
            EventStatus::Evicted(reason)
        } else {
            EventStatus::Unknown
        })
    }

    pub fn pending_len(&self) -> usize {
        lock(&self.shared.pending).len()
    }

    /// Stored hashes for `indexes`, read in pages the store accepts.
    async fn read_hashes(
        &self,
        commons: &CommonsId,
        indexes: &[u64],
    ) -> Result<Vec<Hash>, NodeError> {
        let mut out = Vec::with_capacity(indexes.len());
        for chunk in indexes.chunks(commons_store::HASHES_LOOKUP_MAX) {
            out.extend(self.shared.store.read_hashes(commons, chunk).await?);
        }
        Ok(out)
    }

    fn size_of(&self, commons: &CommonsId) -> Option<u64> {
        self.commons(commons).map(|v| v.size)
    }

    /// The root of the first `size` entries.
    pub async fn tree_hash(
        &self,
        commons: &CommonsId,
        size: u64,
    ) -> Result<Option<Hash>, NodeError> {
        match self.size_of(commons) {
            Some(current) if size <= current => {}
            _ => return Ok(None),
        }
        let hashes = self
            .read_hashes(commons, &merkle::tree_hash_indexes(size))
            .await?;
        merkle::tree_hash(size, &hashes)
            .map(Some)
            .map_err(|e| NodeError::Inconsistent(e.to_string()))
    }

    /// RFC 9162 inclusion proof of leaf `index` in the tree of `size`; `None` if out of range.
    pub async fn inclusion_proof(
        &self,
        commons: &CommonsId,
        index: u64,
        size: u64,
    ) -> Result<Option<Vec<Hash>>, NodeError> {
        match self.size_of(commons) {
            Some(current) if index < size && size <= current => {}
            _ => return Ok(None),
        }
        let hashes = self
            .read_hashes(commons, &merkle::inclusion_proof_indexes(index, size))
            .await?;
        merkle::inclusion_proof(index, size, &hashes)
            .map(Some)
            .map_err(|e| NodeError::Inconsistent(e.to_string()))
    }

    /// RFC 9162 consistency proof from `old_size` to `new_size`; `None` if out of range.
    pub async fn consistency_proof(
        &self,
        commons: &CommonsId,
        old_size: u64,
        new_size: u64,
    ) -> Result<Option<Vec<Hash>>, NodeError> {
        match self.size_of(commons) {
            Some(current) if old_size <= new_size && new_size <= current => {}
            _ => return Ok(None),
        }
        let hashes = self
            .read_hashes(
                commons,
                &merkle::consistency_proof_indexes(old_size, new_size),
            )
            .await?;
        merkle::consistency_proof(old_size, new_size, &hashes)
            .map(Some)
            .map_err(|e| NodeError::Inconsistent(e.to_string()))
    }

    pub async fn latest_checkpoint(
        &self,
        commons: &CommonsId,
    ) -> Result<Option<CheckpointRow>, NodeError> {
        Ok(self.shared.store.latest_checkpoint(commons).await?)
    }

    /// The bytes of one tlog tile, if the current tree holds all of it.
    pub async fn tile(
        &self,
        commons: &CommonsId,
        tile: commons_ledger::tiles::TileRef,
    ) -> Result<Option<Vec<u8>>, NodeError> {
        match self.size_of(commons) {
            Some(size) if tile.exists_in_tree(size) => {}
            _ => return Ok(None),
        }
        let indexes = commons_ledger::tiles::tile_hash_indexes(tile.level, tile.index, tile.width);
        let hashes = self.read_hashes(commons, &indexes).await?;
        Ok(Some(commons_ledger::tiles::tile_bytes(&hashes)))
    }

    /// The entry bundle behind level-0 tile `bundle.index`: each entry's leaf data.
    pub async fn entry_bundle(
        &self,
        commons: &CommonsId,
        bundle: commons_ledger::tiles::EntryBundleRef,
    ) -> Result<Option<Vec<u8>>, NodeError> {
        let (Some(size), Some(range)) = (self.size_of(commons), bundle.leaf_range()) else {
            return Ok(None);
        };
        if range.end > size {
            return Ok(None);
        }
        let events = self
            .shared
            .store
            .events_range(commons, range.start, range.end)
            .await?;
        if events.len() as u64 != range.end - range.start {
            return Err(NodeError::Inconsistent(
                "entries missing from the store".into(),
            ));
        }
        let entries: Vec<Vec<u8>> = events
            .iter()
            .map(|e| commons_ledger::event::leaf_data(&e.header_bytes, &e.signature))
            .collect();
        commons_ledger::tiles::encode_entry_bundle(&entries)
            .map(Some)
            .map_err(|e| NodeError::Inconsistent(e.to_string()))
    }
}

/// Verifies signatures in one batch; `false` means at least one is bad (or a key could
/// not be used) and the caller must check one by one.
pub fn verify_signatures_batch(events: &[&Event]) -> bool {
    if events.is_empty() {
        return true;
    }
    let messages: Vec<Vec<u8>> = events
        .iter()
        .map(|e| commons_ledger::event::signing_bytes(&e.header_bytes))
        .collect();
    let rng = rand_core::UnwrapErr(getrandom::SysRng);
    commons_ledger::keys::verify_batch(
        events
            .iter()
            .zip(&messages)
            .map(|(e, m)| (&e.header.author, m.as_slice(), &e.signature)),
        rng,
    )
    .is_ok()
}

/// Reads a lock even if a panicking thread poisoned it: the data is only ever replaced
/// whole, so it is never half-written.
pub(crate) fn read_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn write_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn lock<T>(lock: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    lock.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
