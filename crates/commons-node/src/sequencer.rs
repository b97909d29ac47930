//! The sequencer: the one task that orders events. It drains whatever submissions are
//! queued (up to [`BATCH_EVENTS_MAX`]), checks each against the chain, the deps and
//! core's rules, and writes each commons' accepted events, Merkle hashes, touched
//! projection rows and a freshly signed checkpoint in one transaction. Only then does it
//! answer the submitters, so an acknowledged event is always durable.

use crate::error::{IngestError, NodeError, SubmitError};
use crate::pending::PendingEvent;
use crate::runtime::{self, Runtime, publish, sign_checkpoint, stored_event};
use crate::{
    BATCH_EVENTS_MAX, Job, NewCommonsPolicy, Reply, Shared, SubmitOutcome, SubmitStatus,
    TICK_INTERVAL_MS, lock,
};
use commons_core::RowKey;
use commons_core::network::{EQUIVOCATION, TICK, equivocation_body};
use commons_ledger::cbor::Value;
use commons_ledger::{CommonsId, Event, EventId, Kind};
use commons_store::{AppendBatch, ProjectionChange, ProjectionRow, Store, StoredEvent};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::mpsc;

/// The events of one commons accepted in this round, not yet written.
#[derive(Default)]
struct Draft {
    create_name: Option<String>,
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

pub(crate) async fn run(
    shared: Arc<Shared>,
    mut runtimes: BTreeMap<CommonsId, Runtime>,
    mut jobs: mpsc::Receiver<Job>,
) {
    let mut round: Vec<(Event, Option<Reply>)> = Vec::with_capacity(BATCH_EVENTS_MAX);
    while let Some(job) = jobs.recv().await {
        let mut housekeeping = false;
        let mut take = |job: Job, round: &mut Vec<(Event, Option<Reply>)>| match job {
            Job::Submit { event, reply } => round.push((*event, Some(reply))),
            Job::Housekeeping => housekeeping = true,
        };
        take(job, &mut round);
        while round.len() < BATCH_EVENTS_MAX {
            match jobs.try_recv() {
                Ok(job) => take(job, &mut round),
                Err(_) => break,
            }
        }
        if housekeeping {
            let now_ms = shared.clock.now_ms();
            lock(&shared.pending).expire(now_ms);
        }
        let work: VecDeque<(Event, Option<Reply>)> = round.drain(..).collect();
        process_round(&shared, &mut runtimes, work).await;
        shared.metrics.set_pending(lock(&shared.pending).len());
    }
}

async fn process_round(
    shared: &Shared,
    runtimes: &mut BTreeMap<CommonsId, Runtime>,
    mut work: VecDeque<(Event, Option<Reply>)>,
) {
    let mut drafts: BTreeMap<CommonsId, Draft> = BTreeMap::new();
    while let Some((event, reply)) = work.pop_front() {
        let result = accept(shared, runtimes, &mut drafts, &event).await;
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
    commit_all(shared, runtimes, drafts).await;
}

enum Accepted {
    Sequenced { commons: CommonsId, index: u64 },
    Pending,
}

async fn accept(
    shared: &Shared,
    runtimes: &mut BTreeMap<CommonsId, Runtime>,
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
        let existing = find_at(shared, draft, &commons, &author, seq).await?;
        match existing {
            Some((id, index)) if id == event.id => {
                return Ok(Accepted::Sequenced { commons, index });
            }
            Some((id, _)) => return record_equivocation(shared, runtime, draft, event, id).await,
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
        match find_by_id(shared, draft, &commons, &prev).await? {
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
        if find_by_id(shared, draft, &commons, dep).await?.is_none() {
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

    let index =
        append(runtime, draft, event).map_err(|r| SubmitError::Rejected(IngestError::Rule(r)))?;
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
    if runtimes.contains_key(&commons) {
        // The genesis of a commons is at index 0 (forks are not hosted yet).
        return Ok(Accepted::Sequenced { commons, index: 0 });
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
    if state.governance.parent.is_some() {
        return Err(IngestError::Rule(commons_core::Rejection::new(
            commons_core::RejectionCode::GenesisInvalid,
            "this node cannot host forks yet: their parent prefix must be imported first",
        ))
        .into());
    }
    let mut runtime = Runtime {
        state,
        frontier: commons_ledger::merkle::Frontier::empty(),
        checkpoint: None,
    };
    let draft = drafts.entry(commons).or_default();
    draft.create_name = Some(runtime.state.governance.name.clone());
    push_event(&mut runtime, draft, event, 0);
    draft.touched.extend(applied.touched);
    runtimes.insert(commons, runtime);
    Ok(Accepted::Sequenced { commons, index: 0 })
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
    let first = match draft_event(draft, &existing) {
        Some(stored) => stored,
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

fn draft_event(draft: &Draft, id: &EventId) -> Option<StoredEvent> {
    let index = draft.ids.get(id)?;
    draft.events.iter().find(|e| e.index == *index).cloned()
}

async fn find_at(
    shared: &Shared,
    draft: &Draft,
    commons: &CommonsId,
    author: &commons_ledger::AuthorKey,
    seq: u64,
) -> Result<Option<(EventId, u64)>, NodeError> {
    if let Some(found) = draft
        .events
        .iter()
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
    commons: &CommonsId,
    id: &EventId,
) -> Result<Option<Known>, NodeError> {
    if let Some(found) = draft_event(draft, id) {
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

async fn commit_all(
    shared: &Shared,
    runtimes: &mut BTreeMap<CommonsId, Runtime>,
    drafts: BTreeMap<CommonsId, Draft>,
) {
    let sequencer = shared.config.sequencer_key.author_key();
    for (commons, draft) in drafts {
        if draft.events.is_empty() {
            // Only duplicates were answered from this draft; they are already durable.
            for (reply, answer) in draft.waiting {
                let _ = reply.send(answer);
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
                reload(shared, runtimes, &commons, &sequencer).await;
                continue;
            }
        };
        let projections = draft
            .touched
            .iter()
            .map(|key| {
                let row = runtime.state.row(key);
                match row.value {
                    Some(value) => ProjectionChange::Put(ProjectionRow {
                        table: row.table.to_owned(),
                        key: row.key,
                        value,
                    }),
                    None => ProjectionChange::Delete {
                        table: row.table.to_owned(),
                        key: row.key,
                    },
                }
            })
            .collect();
        let n_events = draft.events.len();
        // A governance change may rename the commons; the listing row follows it.
        let rename = (draft.create_name.is_none() && draft.touched.contains(&RowKey::Commons))
            .then(|| runtime.state.governance.name.clone());
        let batch = AppendBatch {
            commons: Some(commons),
            create_name: draft.create_name.clone(),
            rename,
            events: draft.events,
            hashes: draft.hashes,
            projections,
            checkpoint: Some(checkpoint.clone()),
        };
        let started = std::time::Instant::now();
        match shared.store.append(&batch).await {
            Ok(()) => {
                shared.metrics.committed(n_events, started.elapsed());
                runtime.checkpoint = Some(checkpoint);
                publish(shared, runtime, &sequencer);
                for (reply, answer) in draft.waiting {
                    let _ = reply.send(answer);
                }
            }
            Err(error) => {
                tracing::error!(%commons, %error, "group commit failed; reloading the commons from the store");
                let message = error.to_string();
                for (reply, _) in draft.waiting {
                    let _ = reply.send(Err(SubmitError::Fault(NodeError::Inconsistent(format!(
                        "commit failed: {message}"
                    )))));
                }
                reload(shared, runtimes, &commons, &sequencer).await;
            }
        }
    }
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
