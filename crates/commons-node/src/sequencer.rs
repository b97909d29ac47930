//! The sequencer: the one task that orders events. It drains whatever submissions are
//! queued (up to [`BATCH_EVENTS_MAX`]), checks each against the chain, the deps and
//! core's rules, and writes each commons' accepted events, Merkle hashes, touched
//! projection rows and a freshly signed checkpoint in one transaction. Only then does it
//! answer the submitters, so an acknowledged event is always durable.
//!
//! Rounds are pipelined one deep: while a spawned task writes round N and waits for it
//! to be durable, the sequencer already folds round N+1 on top of N's state (looking up
//! N's events in memory, since the store's readers cannot see them yet). Round N+1 is
//! handed to the writer only after N is durable, and every answer of N+1 is sent by that
//! writer, so no answer ever runs ahead of a commit it depends on. If N fails, the
//! sequencer reloads that commons from the store and fails N+1's events of it too (their
//! append would not start at the stored size anyway).

use crate::error::{IngestError, NodeError, SubmitError};
use crate::pending::PendingEvent;
use crate::runtime::{self, CommonsView, Runtime, publish, sign_checkpoint, stored_event};
use crate::{
    BATCH_EVENTS_MAX, Job, NewCommonsPolicy, Reply, Shared, SubmitOutcome, SubmitStatus,
    TICK_INTERVAL_MS, lock,
};
use commons_core::RowKey;
use commons_core::network::{EQUIVOCATION, TICK, equivocation_body};
use commons_ledger::cbor::Value;
use commons_ledger::{CommonsId, Event, EventId, Kind};
use commons_store::{AppendBatch, ForkPrefix, ProjectionChange, ProjectionRow, Store, StoredEvent};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The events of one commons accepted in this round, not yet written.
#[derive(Default)]
struct Draft {
    create_name: Option<String>,
    /// Set when the draft creates a fork: the parent prefix the store copies first. Every
    /// projection row of the fork's state is then written, not only the touched ones.
    fork_prefix: Option<ForkPrefix>,
    events: Vec<StoredEvent>,
    hashes: Vec<(u64, commons_ledger::Hash)>,
    touched: BTreeSet<RowKey>,
    /// Index of every event accepted in this round, for duplicate and prev checks.
    ids: HashMap<EventId, u64>,
    /// Submitters to answer once the draft is durable: sequenced events, and equivocations
    /// whose evidence this draft holds.
    waiting: Vec<(Reply, Result<SubmitOutcome, SubmitError>)>,
    /// Ids to release from the pending pool once durable.
    sequenced: Vec<EventId>,
}

impl Draft {
    /// The draft's event with this id.
    fn event(&self, id: &EventId) -> Option<&StoredEvent> {
        let index = self.ids.get(id)?;
        event_at(&self.events, *index)
    }
}

/// The event at ledger `index` among consecutive events.
fn event_at(events: &[StoredEvent], index: u64) -> Option<&StoredEvent> {
    let first = events.first()?.index;
    let offset = usize::try_from(index.checked_sub(first)?).ok()?;
    events.get(offset).filter(|e| e.index == index)
}

/// A round's events of one commons that are being written and are not yet visible to
/// the store's readers.
struct Unsettled {
    batch: Arc<AppendBatch>,
    ids: HashMap<EventId, u64>,
}

impl Unsettled {
    fn event(&self, id: &EventId) -> Option<&StoredEvent> {
        let index = self.ids.get(id)?;
        event_at(&self.batch.events, *index)
    }
}

/// What the round being written holds, by commons.
type InFlight = BTreeMap<CommonsId, Unsettled>;

/// One commons' share of a round, ready to write.
struct Commit {
    commons: CommonsId,
    action: CommitAction,
    /// Answered once the rounds before are durable and, for a write, this one too.
    waiting: Vec<(Reply, Result<SubmitOutcome, SubmitError>)>,
}

enum CommitAction {
    /// Write the batch, then publish the view.
    Write {
        batch: Arc<AppendBatch>,
        view: Arc<CommonsView>,
    },
    /// The round only answered duplicates of earlier events.
    AnswerOnly,
    /// The round was folded in memory but cannot be written (its checkpoint could not be
    /// signed): the commons is reloaded from the store.
    Reload,
}

/// The round being written: its task answers the round's submitters and returns the
/// commons whose write failed.
struct Writing {
    task: JoinHandle<BTreeSet<CommonsId>>,
    /// The task's result, once it has been awaited.
    finished: Option<Result<BTreeSet<CommonsId>, tokio::task::JoinError>>,
    in_flight: InFlight,
}

pub(crate) async fn run(
    shared: Arc<Shared>,
    mut runtimes: BTreeMap<CommonsId, Runtime>,
    mut jobs: mpsc::Receiver<Job>,
) {
    let mut writing: Option<Writing> = None;
    let mut inspections = Vec::new();
    let mut next = jobs.recv().await;
    while next.is_some() {
        // One round: fold what is queued; while the previous round is still being
        // written, keep folding what arrives into this one, so that a slow commit makes
        // the next one larger rather than leaving the submitters waiting in the queue.
        let mut drafts: BTreeMap<CommonsId, Draft> = BTreeMap::new();
        let mut n_jobs = 0;
        loop {
            let mut work = VecDeque::new();
            let mut housekeeping = false;
            while let Some(job) = next.take() {
                n_jobs += 1;
                match job {
                    Job::Submit { event, reply } => work.push_back((*event, Some(reply))),
                    Job::Housekeeping => housekeeping = true,
                    Job::Inspect { commons, read } => inspections.push((commons, read)),
                }
                if n_jobs < BATCH_EVENTS_MAX {
                    next = jobs.try_recv().ok();
                }
            }
            if housekeeping {
                let now_ms = shared.clock.now_ms();
                lock(&shared.pending).expire(now_ms);
                tick_due_deadlines(&shared, &mut runtimes, &mut drafts);
            }
            let no_in_flight = InFlight::new();
            let in_flight = writing.as_ref().map_or(&no_in_flight, |w| &w.in_flight);
            process_round(&shared, &mut runtimes, in_flight, &mut drafts, work).await;
            // A read waits for durable state, so the round closes as soon as one comes.
            if n_jobs >= BATCH_EVENTS_MAX || !inspections.is_empty() {
                break;
            }
            let Some(busy) = writing.as_mut().filter(|w| w.finished.is_none()) else {
                break;
            };
            tokio::select! {
                biased;
                finished = &mut busy.task => {
                    busy.finished = Some(finished);
                    break;
                }
                job = jobs.recv() => match job {
                    Some(job) => next = Some(job),
                    None => break,
                },
            }
        }
        let mut commits = prepare_commits(&shared, &mut runtimes, drafts);
        settle(&shared, &mut runtimes, &mut writing, &mut commits).await;
        if !commits.is_empty() {
            let in_flight = commits
                .iter()
                .filter_map(|commit| {
                    let CommitAction::Write { batch, .. } = &commit.action else {
                        return None;
                    };
                    let batch = batch.clone();
                    let ids = batch.events.iter().map(|e| (e.id, e.index)).collect();
                    Some((commit.commons, Unsettled { batch, ids }))
                })
                .collect();
            writing = Some(Writing {
                task: tokio::spawn(write_round(shared.clone(), commits)),
                finished: None,
                in_flight,
            });
        }
        if !inspections.is_empty() {
            // Reads see durable state only: the round being written must land first.
            settle(&shared, &mut runtimes, &mut writing, &mut Vec::new()).await;
            for (commons, read) in inspections.drain(..) {
                read(runtimes.get(&commons).map(|r| &r.state));
            }
        }
        shared.metrics.set_pending(lock(&shared.pending).len());
        if next.is_none() {
            next = jobs.recv().await;
        }
    }
    settle(&shared, &mut runtimes, &mut writing, &mut Vec::new()).await;
}

/// Waits until the round being written is durable (or failed). Commons whose write
/// failed are reloaded from the store, and `next`'s commits of them, folded on top of
/// the failed round, are answered with a fault and dropped.
async fn settle(
    shared: &Shared,
    runtimes: &mut BTreeMap<CommonsId, Runtime>,
    writing: &mut Option<Writing>,
    next: &mut Vec<Commit>,
) {
    let Some(Writing { task, finished, .. }) = writing.take() else {
        return;
    };
    let finished = match finished {
        Some(finished) => finished,
        None => task.await,
    };
    let failed = match finished {
        Ok(failed) => failed,
        Err(error) => {
            // The writer panicked: nothing is known of what it wrote, so every commons of
            // the round is reloaded from what the store holds.
            tracing::error!(%error, "the group-commit task failed");
            runtimes.keys().copied().collect()
        }
    };
    if failed.is_empty() {
        return;
    }
    next.retain_mut(|commit| {
        if !failed.contains(&commit.commons) {
            return true;
        }
        for (reply, _) in commit.waiting.drain(..) {
            let _ = reply.send(Err(SubmitError::Fault(NodeError::Inconsistent(
                "an earlier group commit of this commons failed".into(),
            ))));
        }
        false
    });
    let sequencer = shared.config.sequencer_key.author_key();
    for commons in &failed {
        reload(shared, runtimes, commons, &sequencer).await;
    }
}

/// Folds `work` into the round's drafts.
async fn process_round(
    shared: &Shared,
    runtimes: &mut BTreeMap<CommonsId, Runtime>,
    in_flight: &InFlight,
    drafts: &mut BTreeMap<CommonsId, Draft>,
    mut work: VecDeque<(Event, Option<Reply>)>,
) {
    while let Some((event, reply)) = work.pop_front() {
        let result = accept(shared, runtimes, in_flight, drafts, &event).await;
        match result {
            Ok(Accepted::Sequenced { commons, index }) => {
                let draft = drafts.entry(commons).or_default();
                if let Some(reply) = reply {
                    let outcome = SubmitOutcome {
                        id: event.id,
                        status: SubmitStatus::Sequenced { index },
                    };
                    draft.waiting.push((reply, Ok(outcome)));
                }
            }
            Ok(Accepted::Pending) => {
                if let Some(reply) = reply {
                    let _ = reply.send(Ok(SubmitOutcome {
                        id: event.id,
                        status: SubmitStatus::Pending,
                    }));
                }
            }
            Err(error) => {
                if let SubmitError::Rejected(e) = &error {
                    shared.metrics.rejected(e.code());
                }
                if let Some(reply) = reply {
                    if let SubmitError::Rejected(IngestError::Equivocation { .. }) = &error {
                        // The answer names the evidence event, so it waits until that is durable.
                        drafts
                            .entry(event.commons_id())
                            .or_default()
                            .waiting
                            .push((reply, Err(error)));
                    } else {
                        let _ = reply.send(Err(error));
                    }
                }
            }
        }
        if work.is_empty() {
            // Events that were waiting for this round's events can join the same commit.
            let released: Vec<EventId> = drafts
                .values_mut()
                .flat_map(|d| d.sequenced.drain(..))
                .collect();
            let mut pool = lock(&shared.pending);
            for id in released {
                for ready in pool.resolve(&id) {
                    work.push_back((ready.event, None));
                }
            }
        }
    }
}

enum Accepted {
    Sequenced { commons: CommonsId, index: u64 },
    Pending,
}

async fn accept(
    shared: &Shared,
    runtimes: &mut BTreeMap<CommonsId, Runtime>,
    in_flight: &InFlight,
    drafts: &mut BTreeMap<CommonsId, Draft>,
    event: &Event,
) -> Result<Accepted, SubmitError> {
    let commons = event.commons_id();
    if event.header.commons.is_none() {
        return accept_genesis(shared, runtimes, drafts, event).await;
    }
    let Some(runtime) = runtimes.get_mut(&commons) else {
        return Err(IngestError::UnknownCommons(commons.to_hex()).into());
    };
    let draft = drafts.entry(commons).or_default();
    let unsettled = in_flight.get(&commons);
    let sequencer = shared.config.sequencer_key.author_key();
    if runtime.state.governance.sequencer != sequencer {
        return Err(IngestError::NotSequencer.into());
    }
    if let Some(index) = draft.ids.get(&event.id) {
        return Ok(Accepted::Sequenced {
            commons,
            index: *index,
        });
    }
    if lock(&shared.pending).contains(&event.id) {
        return Ok(Accepted::Pending);
    }

    let author = event.header.author;
    let seq = event.header.seq;
    let head = runtime.state.chains.get(&author).copied();
    let next_seq = head.map_or(0, |h| h.seq + 1);
    let mut missing = BTreeSet::new();
    if seq < next_seq {
        // Either a resubmission or a second event in an occupied slot.
        let existing = find_at(shared, draft, unsettled, &commons, &author, seq).await?;
        match existing {
            Some((id, index)) if id == event.id => {
                return Ok(Accepted::Sequenced { commons, index });
            }
            // Before a fork's genesis the slot holds the parent's event, which names
            // another commons: not an equivocation in this one, but a chain that
            // already went on.
            Some((_, index))
                if runtime
                    .state
                    .governance
                    .parent
                    .as_ref()
                    .is_some_and(|parent| index < parent.size) =>
            {
                return Err(IngestError::Rule(commons_core::Rejection::new(
                    commons_core::RejectionCode::ChainBroken,
                    format!(
                        "seq {seq} of this author is in the parent's prefix; its chain in this fork continues at seq {next_seq}"
                    ),
                ))
                .into());
            }
            Some((id, _)) => {
                return record_equivocation(shared, runtime, draft, unsettled, event, id).await;
            }
            None => {
                return Err(
                    NodeError::Inconsistent(format!("chain of {author} lacks seq {seq}")).into(),
                );
            }
        }
    }
    if seq == next_seq {
        if event.header.prev != head.map(|h| h.id) {
            return Err(IngestError::PrevMismatch.into());
        }
    } else if let Some(prev) = event.header.prev {
        // A gap: either the predecessors are still on their way, or prev names the wrong event.
        match find_by_id(shared, draft, unsettled, &commons, &prev).await? {
            Some(found) if found.author != author => return Err(IngestError::PrevMismatch.into()),
            Some(found) => {
                return Err(IngestError::SeqGap {
                    prev_seq: found.seq,
                    expected: found.seq + 1,
                }
                .into());
            }
            None => {
                missing.insert(prev);
            }
        }
    }
    for dep in &event.header.deps {
        if find_by_id(shared, draft, unsettled, &commons, dep)
            .await?
            .is_none()
        {
            missing.insert(*dep);
        }
    }
    if !missing.is_empty() {
        let now_ms = shared.clock.now_ms();
        lock(&shared.pending).insert(PendingEvent {
            event: event.clone(),
            commons,
            received_ms: now_ms,
            missing,
        });
        return Ok(Accepted::Pending);
    }

    let now_ms = shared.clock.now_ms();
    let kind = event.header.kind.as_str();
    lock(&shared.posting).check(
        &shared.config.posting_limits,
        &runtime.state,
        &author,
        kind,
        now_ms,
    )?;
    if kind == commons_core::value::distribution::PROPOSE {
        check_pin(shared, &commons, event).await?;
    }
    let index =
        append(runtime, draft, event).map_err(|r| SubmitError::Rejected(IngestError::Rule(r)))?;
    lock(&shared.posting).admit(commons, author, kind, now_ms);
    // The tick follows the accepted event, so a refused event leaves nothing behind; the
    // event is folded at the ledger time of the previous tick, as if it arrived just before.
    tick_if_due(shared, runtime, draft)?;
    Ok(Accepted::Sequenced { commons, index })
}

async fn accept_genesis(
    shared: &Shared,
    runtimes: &mut BTreeMap<CommonsId, Runtime>,
    drafts: &mut BTreeMap<CommonsId, Draft>,
    event: &Event,
) -> Result<Accepted, SubmitError> {
    let commons = event.commons_id();
    if let Some(runtime) = runtimes.get(&commons) {
        // The genesis of a commons is at index 0, a fork's at its parent's size.
        let index = runtime
            .state
            .governance
            .parent
            .as_ref()
            .map_or(0, |p| p.size);
        return Ok(Accepted::Sequenced { commons, index });
    }
    if let NewCommonsPolicy::Only(allowed) = &shared.config.new_commons
        && !allowed.contains(&event.header.author)
    {
        return Err(IngestError::NewCommonsRefused.into());
    }
    let (state, applied) =
        commons_core::genesis(event, 0).map_err(|r| SubmitError::Rejected(IngestError::Rule(r)))?;
    let sequencer = shared.config.sequencer_key.author_key();
    if state.governance.sequencer != sequencer {
        return Err(IngestError::SequencerMismatch(sequencer.to_hex()).into());
    }
    let (index, fork_prefix, mut runtime) = match state.governance.parent.clone() {
        None => {
            let frontier = commons_ledger::merkle::Frontier::empty();
            (0, None, Runtime::new(state, frontier))
        }
        Some(parent) => {
            let (state, frontier) = crate::fork::start(shared, runtimes, event, &parent).await?;
            let prefix = ForkPrefix {
                parent: parent.commons,
                size: parent.size,
            };
            (parent.size, Some(prefix), Runtime::new(state, frontier))
        }
    };
    let draft = drafts.entry(commons).or_default();
    draft.create_name = Some(runtime.state.governance.name.clone());
    if fork_prefix.is_none() {
        draft.touched.extend(applied.touched);
    }
    draft.fork_prefix = fork_prefix;
    push_event(&mut runtime, draft, event, index);
    runtimes.insert(commons, runtime);
    Ok(Accepted::Sequenced { commons, index })
}

/// A distribution is computed from a checkpoint the node signed: its `pin` must name a
/// stored checkpoint's size and root. Core checks the size is one the ledger reached; only
/// the node knows which roots it signed. A body core would refuse anyway passes through
/// here to get core's own rejection.
async fn check_pin(shared: &Shared, commons: &CommonsId, event: &Event) -> Result<(), SubmitError> {
    let Some(pin) = event.body_value().and_then(|body| body.get("pin").cloned()) else {
        return Ok(());
    };
    let (Some(Value::Unsigned(size)), Some(root)) = (pin.get("size"), pin.get("root")) else {
        return Ok(());
    };
    let Some(root) = root.as_bytes() else {
        return Ok(());
    };
    let stored = shared
        .store
        .checkpoint_at(commons, *size)
        .await
        .map_err(NodeError::from)?;
    match stored {
        Some(checkpoint) if checkpoint.root.0.as_slice() == root => Ok(()),
        found => Err(SubmitError::Rejected(IngestError::Rule(
            commons_core::Rejection::new(
                commons_core::RejectionCode::CheckpointUnknown,
                if found.is_some() {
                    format!(
                        "the pin's root is not the root of this node's checkpoint at size {size}"
                    )
                } else {
                    format!(
                        "this node signed no checkpoint at size {size}; pin the latest checkpoint (GET …/checkpoint)"
                    )
                },
            ),
        ))),
    }
}

/// Applies `event` through core and adds it to the draft.
fn append(
    runtime: &mut Runtime,
    draft: &mut Draft,
    event: &Event,
) -> Result<u64, commons_core::Rejection> {
    let index = runtime.frontier.size();
    let applied = commons_core::apply(&mut runtime.state, event, index)?;
    draft.touched.extend(applied.touched);
    push_event(runtime, draft, event, index);
    Ok(index)
}

fn push_event(runtime: &mut Runtime, draft: &mut Draft, event: &Event, index: u64) {
    debug_assert_eq!(index, runtime.frontier.size());
    draft
        .hashes
        .extend(runtime.frontier.append(event.leaf_hash()));
    draft.events.push(stored_event(event, index));
    draft.ids.insert(event.id, index);
    draft.sequenced.push(event.id);
}

/// Signs and appends an event authored by the node's sequencer key.
fn append_own(
    shared: &Shared,
    runtime: &mut Runtime,
    draft: &mut Draft,
    kind: &str,
    body: &Value,
) -> Result<EventId, SubmitError> {
    let key = &shared.config.sequencer_key;
    let head = runtime.state.chains.get(&key.author_key()).copied();
    let kind = Kind::new(kind).map_err(IngestError::from)?;
    let event = Event::sign(
        key,
        Some(runtime.state.commons),
        head.map_or(0, |h| h.seq + 1),
        head.map(|h| h.id),
        Vec::new(),
        shared.clock.now_ms(),
        kind,
        Some(body),
    );
    append(runtime, draft, &event).map_err(|r| {
        // The node's own events follow the rules by construction.
        SubmitError::Fault(NodeError::Inconsistent(format!(
            "own {} event refused: {r}",
            event.header.kind
        )))
    })?;
    Ok(event.id)
}

/// Ticks every commons this node sequences whose rules wait on a deadline that has come
/// (a poll's close, a lazy-consensus window, ...), so that time-bound decisions settle
/// on a quiet commons too, not only at its next submission.
fn tick_due_deadlines(
    shared: &Shared,
    runtimes: &mut BTreeMap<CommonsId, Runtime>,
    drafts: &mut BTreeMap<CommonsId, Draft>,
) {
    let now_ms = shared.clock.now_ms();
    let sequencer = shared.config.sequencer_key.author_key();
    for (commons, runtime) in runtimes.iter_mut() {
        let state = &runtime.state;
        if state.governance.sequencer != sequencer
            || state.next_deadline_ms().is_none_or(|d| d > now_ms)
        {
            continue;
        }
        let draft = drafts.entry(*commons).or_default();
        if let Err(e) = tick_if_due(shared, runtime, draft) {
            tracing::warn!(commons = %commons.to_hex(), "deadline tick failed: {e}");
        }
    }
}

/// Appends a `ledger.tick` if a second or more has passed in ledger time.
fn tick_if_due(
    shared: &Shared,
    runtime: &mut Runtime,
    draft: &mut Draft,
) -> Result<(), SubmitError> {
    let now_ms = shared.clock.now_ms();
    if now_ms < runtime.state.time_ms.saturating_add(TICK_INTERVAL_MS) {
        return Ok(());
    }
    append_own(
        shared,
        runtime,
        draft,
        TICK,
        &Value::text_map([("time", Value::Unsigned(now_ms))]),
    )?;
    Ok(())
}

async fn record_equivocation(
    shared: &Shared,
    runtime: &mut Runtime,
    draft: &mut Draft,
    unsettled: Option<&Unsettled>,
    event: &Event,
    existing: EventId,
) -> Result<Accepted, SubmitError> {
    let commons = runtime.state.commons;
    if runtime.state.frozen.contains_key(&event.header.author) {
        return Err(IngestError::Rule(commons_core::Rejection::new(
            commons_core::RejectionCode::AuthorFrozen,
            "this author equivocated and is frozen until governance acts",
        ))
        .into());
    }
    let first = match lookup(draft, unsettled, &existing) {
        Some(stored) => stored.clone(),
        None => shared
            .store
            .events_by_id(&commons, &[existing])
            .await
            .map_err(NodeError::from)?
            .into_iter()
            .next()
            .ok_or_else(|| NodeError::Inconsistent("equivocated event vanished".into()))?,
    };
    let body = equivocation_body(
        (&first.header_bytes, &first.signature),
        (&event.header_bytes, &event.signature),
    );
    let evidence = append_own(shared, runtime, draft, EQUIVOCATION, &body)?;
    Err(IngestError::Equivocation {
        seq: event.header.seq,
        evidence,
    }
    .into())
}

/// An event of this round or of the round being written.
fn lookup<'a>(
    draft: &'a Draft,
    unsettled: Option<&'a Unsettled>,
    id: &EventId,
) -> Option<&'a StoredEvent> {
    draft.event(id).or_else(|| unsettled?.event(id))
}

async fn find_at(
    shared: &Shared,
    draft: &Draft,
    unsettled: Option<&Unsettled>,
    commons: &CommonsId,
    author: &commons_ledger::AuthorKey,
    seq: u64,
) -> Result<Option<(EventId, u64)>, NodeError> {
    let unsettled_events = unsettled.map_or(&[][..], |u| &u.batch.events[..]);
    if let Some(found) = draft
        .events
        .iter()
        .chain(unsettled_events)
        .find(|e| e.author == *author && e.seq == seq)
    {
        return Ok(Some((found.id, found.index)));
    }
    Ok(shared
        .store
        .event_by_author_seq(commons, author, seq)
        .await?
        .map(|e| (e.id, e.index)))
}

/// Author and seq of a known event, from this round or the store.
struct Known {
    author: commons_ledger::AuthorKey,
    seq: u64,
}

async fn find_by_id(
    shared: &Shared,
    draft: &Draft,
    unsettled: Option<&Unsettled>,
    commons: &CommonsId,
    id: &EventId,
) -> Result<Option<Known>, NodeError> {
    if let Some(found) = lookup(draft, unsettled, id) {
        return Ok(Some(Known {
            author: found.author,
            seq: found.seq,
        }));
    }
    Ok(shared
        .store
        .events_by_id(commons, &[*id])
        .await?
        .into_iter()
        .next()
        .map(|e| Known {
            author: e.author,
            seq: e.seq,
        }))
}

/// Signs each commons' checkpoint and gathers what its commit writes. The runtime
/// takes the checkpoint now; if the write fails, the runtime is reloaded anyway.
fn prepare_commits(
    shared: &Shared,
    runtimes: &mut BTreeMap<CommonsId, Runtime>,
    drafts: BTreeMap<CommonsId, Draft>,
) -> Vec<Commit> {
    let sequencer = shared.config.sequencer_key.author_key();
    let mut commits = Vec::with_capacity(drafts.len());
    for (commons, draft) in drafts {
        if draft.events.is_empty() {
            // Only duplicates were answered from this draft: they are durable once the
            // rounds before it are, so the answers still go through the writer.
            if !draft.waiting.is_empty() {
                commits.push(Commit {
                    commons,
                    action: CommitAction::AnswerOnly,
                    waiting: draft.waiting,
                });
            }
            continue;
        }
        let Some(runtime) = runtimes.get_mut(&commons) else {
            continue;
        };
        let checkpoint = match sign_checkpoint(
            &commons,
            runtime.frontier.size(),
            runtime.frontier.root(),
            &shared.config.sequencer_key,
        ) {
            Ok(checkpoint) => checkpoint,
            Err(error) => {
                tracing::error!(%commons, %error, "cannot sign a checkpoint");
                for (reply, _) in draft.waiting {
                    let _ = reply.send(Err(SubmitError::Fault(NodeError::Inconsistent(
                        error.to_string(),
                    ))));
                }
                // Nothing of this round is written; a round of it being written may still
                // land, and the reload must see it.
                commits.push(Commit {
                    commons,
                    action: CommitAction::Reload,
                    waiting: Vec::new(),
                });
                continue;
            }
        };
        let rows = if draft.fork_prefix.is_some() {
            runtime.state.rows()
        } else {
            draft
                .touched
                .iter()
                .map(|key| runtime.state.row(key))
                .collect()
        };
        let projections = rows
            .into_iter()
            .map(|row| match row.value {
                Some(value) => ProjectionChange::Put(ProjectionRow {
                    table: row.table.to_owned(),
                    key: row.key,
                    value,
                }),
                None => ProjectionChange::Delete {
                    table: row.table.to_owned(),
                    key: row.key,
                },
            })
            .collect();
        // A governance change may rename the commons; the listing row follows it.
        let rename = (draft.create_name.is_none() && draft.touched.contains(&RowKey::Commons))
            .then(|| runtime.state.governance.name.clone());
        runtime.checkpoint = Some(checkpoint.clone());
        let batch = Arc::new(AppendBatch {
            commons: Some(commons),
            create_name: draft.create_name,
            fork_prefix: draft.fork_prefix,
            rename,
            events: draft.events,
            hashes: draft.hashes,
            projections,
            checkpoint: Some(checkpoint),
        });
        let view = Arc::new(runtime.view(&sequencer));
        commits.push(Commit {
            commons,
            action: CommitAction::Write { batch, view },
            waiting: draft.waiting,
        });
    }
    commits
}

/// Writes one round, commons by commons, answering each commons' submitters once its
/// batch is durable. Returns the commons whose write failed.
async fn write_round(shared: Arc<Shared>, commits: Vec<Commit>) -> BTreeSet<CommonsId> {
    let mut failed = BTreeSet::new();
    for commit in commits {
        let (batch, view) = match commit.action {
            CommitAction::Write { batch, view } => (batch, view),
            CommitAction::AnswerOnly => {
                for (reply, answer) in commit.waiting {
                    let _ = reply.send(answer);
                }
                continue;
            }
            CommitAction::Reload => {
                failed.insert(commit.commons);
                continue;
            }
        };
        let started = std::time::Instant::now();
        match shared.store.append(&batch).await {
            Ok(()) => {
                shared
                    .metrics
                    .committed(batch.events.len(), started.elapsed());
                crate::write_lock(&shared.views).insert(view.id, view);
                for (reply, answer) in commit.waiting {
                    let _ = reply.send(answer);
                }
            }
            Err(error) => {
                let commons = commit.commons;
                tracing::error!(%commons, %error, "group commit failed; reloading the commons from the store");
                let message = error.to_string();
                for (reply, _) in commit.waiting {
                    let _ = reply.send(Err(SubmitError::Fault(NodeError::Inconsistent(format!(
                        "commit failed: {message}"
                    )))));
                }
                failed.insert(commons);
            }
        }
    }
    failed
}

/// After a failed commit the in-memory state is ahead of the store; reload it.
async fn reload(
    shared: &Shared,
    runtimes: &mut BTreeMap<CommonsId, Runtime>,
    commons: &CommonsId,
    sequencer: &commons_ledger::AuthorKey,
) {
    runtimes.remove(commons);
    match shared.store.commons(commons).await {
        Ok(Some(row)) => match runtime::load_one(shared, commons, row.size).await {
            Ok(runtime) => {
                publish(shared, &runtime, sequencer);
                runtimes.insert(*commons, runtime);
            }
            Err(error) => tracing::error!(%commons, %error, "could not reload the commons"),
        },
        Ok(None) => {
            crate::write_lock(&shared.views).remove(commons);
        }
        Err(error) => tracing::error!(%commons, %error, "could not read the commons"),
    }
}
