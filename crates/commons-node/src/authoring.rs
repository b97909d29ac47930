//! Questions about a commons' folded state, and events the node signs for a key it holds.
//!
//! The sequencer task owns every commons' state; [`Node::inspect`] runs a read-only closure
//! on it between two rounds, so it sees exactly what is durable. [`Node::authorize`] is
//! core's [`authz::authorize`] asked through it: the web UI and the CLI use it before they
//! offer or sign an action, and ingest applies the same rule, so they always agree.
//!
//! [`Node::author`] signs and submits an event for a key the node keeps (an account's
//! custodial key). Events of one key in one commons are authored one at a time: the next
//! is signed only after the previous one is answered, so two concurrent requests never
//! sign two events at the same `seq` (which would be an equivocation and freeze the key).

use crate::{IngestError, lock};
use crate::{Job, NewCommonsPolicy, Node, NodeError, SubmitError, SubmitOutcome};
use commons_core::{State, authz};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, Event, EventId, Kind, SecretKey};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// Authoring locks held at once before dead ones are swept.
const AUTHORING_LOCKS_SWEEP_AT: usize = 1_024;

type ChainKey = (Option<CommonsId>, AuthorKey);

/// One lock per (commons, key) being authored for; entries die with their last user.
#[derive(Default)]
pub(crate) struct AuthoringLocks {
    locks: Mutex<HashMap<ChainKey, Weak<tokio::sync::Mutex<()>>>>,
}

impl AuthoringLocks {
    fn get(&self, key: ChainKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = lock(&self.locks);
        if let Some(existing) = locks.get(&key).and_then(Weak::upgrade) {
            return existing;
        }
        if locks.len() >= AUTHORING_LOCKS_SWEEP_AT {
            locks.retain(|_, weak| weak.strong_count() > 0);
        }
        let fresh = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(key, Arc::downgrade(&fresh));
        fresh
    }
}

impl Node {
    /// Runs `read` on the durable state of `commons`; `None` if the node hosts no such
    /// commons.
    pub async fn inspect<T: Send + 'static>(
        &self,
        commons: &CommonsId,
        read: impl FnOnce(&State) -> T + Send + 'static,
    ) -> Result<Option<T>, NodeError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job::Inspect {
            commons: *commons,
            read: Box::new(move |state: Option<&State>| {
                // The asker may have gone; nothing to do then.
                let _ = reply.send(state.map(read));
            }),
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| NodeError::ShuttingDown)?;
        answer.await.map_err(|_| NodeError::ShuttingDown)
    }

    /// May `author` submit an event of `kind` in `commons`? The one answer every edge
    /// asks for (core's rule, on the durable state).
    pub async fn authorize(
        &self,
        commons: &CommonsId,
        author: &AuthorKey,
        kind: &str,
    ) -> Result<(), SubmitError> {
        let author = *author;
        let kind_owned = kind.to_owned();
        match self
            .inspect(commons, move |state| {
                authz::authorize(state, &author, &kind_owned)
            })
            .await?
        {
            None => Err(IngestError::UnknownCommons(commons.to_hex()).into()),
            Some(Ok(())) => Ok(()),
            Some(Err(rejection)) => Err(IngestError::Rule(rejection).into()),
        }
    }

    /// May `author` create a commons on this node (the node's policy)?
    pub fn may_create_commons(&self, author: &AuthorKey) -> bool {
        match &self.shared.config.new_commons {
            NewCommonsPolicy::Anyone => true,
            NewCommonsPolicy::Only(allowed) => allowed.contains(author),
        }
    }

    /// Signs an event of `kind` with `key`, the next in that key's chain in `commons`
    /// (`None` for a genesis, which starts a commons), at the node's time, and submits
    /// it. Returns the event and the node's answer.
    pub async fn author(
        &self,
        key: &SecretKey,
        commons: Option<CommonsId>,
        kind: &str,
        body: &Value,
        deps: Vec<EventId>,
    ) -> Result<(Event, SubmitOutcome), SubmitError> {
        let kind = Kind::new(kind).map_err(IngestError::Format)?;
        let author = key.author_key();
        let chain_lock = self.shared.authoring.get((commons, author));
        let _serial = chain_lock.lock().await;
        let (seq, prev) = match &commons {
            None => (0, None),
            Some(id) => {
                let head = self
                    .inspect(id, move |state| state.chains.get(&author).copied())
                    .await?
                    .ok_or_else(|| IngestError::UnknownCommons(id.to_hex()))?;
                head.map_or((0, None), |h| (h.seq + 1, Some(h.id)))
            }
        };
        let event = Event::sign(
            key,
            commons,
            seq,
            prev,
            deps,
            self.now_ms(),
            kind,
            Some(body),
        );
        let outcome = self.submit(&event.envelope().encode()).await?;
        Ok((event, outcome))
    }
}
