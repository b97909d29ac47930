//! Builders shared by the node's integration tests: a commons on a [`TestNode`] with a
//! busy ledger (several authors, deps across authors, ledger ticks, a governance change)
//! and many group commits, each with its signed checkpoint.
#![allow(dead_code, clippy::unwrap_used)]

use commons_ledger::cbor::Value;
use commons_ledger::{CommonsId, Event, EventId};
use commons_node::{Clock, SubmitStatus};
use commons_testkit::{Author, TestNode, key, profile_body};

/// Ledger time the tests move between rounds: more than a second, so the sequencer
/// appends a `ledger.tick` in every round.
pub const ROUND_MS: u64 = 1_500;

pub struct Ledger {
    pub commons: CommonsId,
    /// The commons' creator and only maintainer; its genesis is seq 0 of its chain.
    pub maintainer: Author,
    pub authors: Vec<Author>,
}

/// The maintainer's chain in the commons it created: the genesis is its seq 0.
pub fn creator(seed: u64, commons: CommonsId) -> Author {
    Author {
        key: key(seed),
        commons: Some(commons),
        next_seq: 1,
        prev: Some(EventId(commons.0)),
    }
}

/// Submits events in one batch and asserts each was sequenced.
pub async fn submit_all(t: &TestNode, events: &[Event]) -> Vec<u64> {
    let envelopes: Vec<Vec<u8>> = events.iter().map(|e| e.envelope().encode()).collect();
    t.node
        .submit_many(&envelopes)
        .await
        .into_iter()
        .map(|outcome| match outcome.unwrap().status {
            SubmitStatus::Sequenced { index } => index,
            SubmitStatus::Pending => panic!("an event with known predecessors went pending"),
        })
        .collect()
}

/// A commons whose ledger has `n_authors * n_rounds` profile events (each after the
/// first round depending on another author's previous one), a `gov.update` in round 2,
/// and a tick and a group commit per round.
pub async fn busy_ledger(t: &TestNode, n_authors: u64, n_rounds: u64) -> Ledger {
    let commons = t.create_commons(&key(1), "Test commons").await;
    let mut ledger = Ledger {
        commons,
        maintainer: creator(1, commons),
        authors: (0..n_authors)
            .map(|i| Author::new(key(100 + i), commons))
            .collect(),
    };
    add_rounds(t, &mut ledger, 0, n_rounds).await;
    ledger
}

/// Appends rounds `first .. first + n_rounds` to a ledger built by [`busy_ledger`].
pub async fn add_rounds(t: &TestNode, ledger: &mut Ledger, first: u64, n_rounds: u64) {
    let n_authors = ledger.authors.len();
    for round in first..first + n_rounds {
        t.clock.advance(ROUND_MS);
        let now_ms = t.clock.now_ms();
        let previous: Vec<Option<EventId>> = ledger.authors.iter().map(|a| a.prev).collect();
        let mut events = Vec::new();
        for (i, author) in ledger.authors.iter_mut().enumerate() {
            let deps = previous[(i + 1) % n_authors].into_iter().collect();
            let kind = if i % 2 == 0 { "person" } else { "organisation" };
            let body = profile_body(&format!("Author {i} in round {round}"), kind);
            events.push(author.sign("agent.profile", &body, deps, now_ms));
        }
        if round == 2 {
            let change = Value::text_map([
                ("licence", Value::text("MIT")),
                ("reason", Value::text("a shorter licence")),
            ]);
            events.push(
                ledger
                    .maintainer
                    .sign("gov.update", &change, vec![], now_ms),
            );
        }
        submit_all(t, &events).await;
    }
}
