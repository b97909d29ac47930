//! Test helpers shared by every crate's tests and by the benchmarks: authors that sign
//! chained events, genesis bodies, and a node on a fresh SQLite store in a temp directory.
#![allow(clippy::unwrap_used)]

pub mod crash;
pub mod serve;

use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, Event, EventId, Kind, SecretKey};
use commons_node::{ManualClock, Node, NodeConfig};
use commons_store::AnyStore;
use std::sync::Arc;

/// A fixed point in time for tests: 2026-01-01T00:00:00Z.
pub const T0_MS: u64 = 1_767_225_600_000;

/// A deterministic key from a small number.
pub fn key(n: u64) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&n.to_le_bytes());
    seed[31] = 0x5a;
    SecretKey::from_seed(seed)
}

pub fn key_value(key: &AuthorKey) -> Value {
    Value::bytes(key.to_bytes().to_vec())
}

/// An author writing one chain in one commons.
#[derive(Clone, Debug)]
pub struct Author {
    pub key: SecretKey,
    pub commons: Option<CommonsId>,
    pub next_seq: u64,
    pub prev: Option<EventId>,
}

impl Author {
    pub fn new(key: SecretKey, commons: CommonsId) -> Author {
        Author {
            key,
            commons: Some(commons),
            next_seq: 0,
            prev: None,
        }
    }

    pub fn public(&self) -> AuthorKey {
        self.key.author_key()
    }

    /// Signs the next event of the chain and advances it.
    pub fn sign(&mut self, kind: &str, body: &Value, deps: Vec<EventId>, time_ms: u64) -> Event {
        let event = Event::sign(
            &self.key,
            self.commons,
            self.next_seq,
            self.prev,
            deps,
            time_ms,
            Kind::new(kind).unwrap(),
            Some(body),
        );
        self.next_seq += 1;
        self.prev = Some(event.id);
        event
    }

    pub fn profile(&mut self, name: &str) -> Event {
        self.sign(
            "agent.profile",
            &profile_body(name, "person"),
            vec![],
            T0_MS,
        )
    }
}

pub fn profile_body(name: &str, kind: &str) -> Value {
    let kind = commons_core::state::AgentKind::parse(kind).expect("person or organisation");
    commons_core::agents::profile_body(name, kind)
}

/// The body of a genesis with these maintainers and sequencer.
pub fn genesis_body(
    name: &str,
    maintainers: &[AuthorKey],
    threshold: u64,
    sequencer: &AuthorKey,
    licence: &str,
) -> Value {
    commons_core::network::genesis_body(name, maintainers, threshold, sequencer, licence)
}

/// A genesis event signed by `creator`.
pub fn genesis_event(
    creator: &SecretKey,
    name: &str,
    maintainers: &[AuthorKey],
    sequencer: &AuthorKey,
) -> Event {
    let body = genesis_body(name, maintainers, 1, sequencer, "CC-BY-SA-4.0");
    Event::sign(
        creator,
        None,
        0,
        None,
        vec![],
        T0_MS,
        Kind::new("commons.genesis").unwrap(),
        Some(&body),
    )
}

/// A node on a fresh SQLite store with a manual clock, and its temp directory.
pub struct TestNode {
    pub node: Node,
    pub clock: ManualClock,
    pub sequencer: SecretKey,
    pub dir: tempfile::TempDir,
}

impl TestNode {
    pub async fn start() -> TestNode {
        let dir = tempfile::tempdir().unwrap();
        TestNode::start_in(dir).await
    }

    pub async fn start_in(dir: tempfile::TempDir) -> TestNode {
        TestNode::start_configured(dir, |_| {}).await
    }

    /// A node on a fresh store whose configuration the test adjusts first.
    pub async fn start_with(adjust: impl FnOnce(&mut NodeConfig)) -> TestNode {
        TestNode::start_configured(tempfile::tempdir().unwrap(), adjust).await
    }

    async fn start_configured(
        dir: tempfile::TempDir,
        adjust: impl FnOnce(&mut NodeConfig),
    ) -> TestNode {
        let path = dir.path().join("commons.db");
        let store = AnyStore::open(path.to_str().unwrap()).await.unwrap();
        let sequencer = key(9_999);
        let mut config = NodeConfig::new(sequencer.clone());
        adjust(&mut config);
        let clock = ManualClock::new(T0_MS);
        let node = Node::start(store, config, Arc::new(clock.clone()))
            .await
            .unwrap();
        TestNode {
            node,
            clock,
            sequencer,
            dir,
        }
    }

    /// Creates a commons whose only maintainer is `maintainer`; returns its id.
    pub async fn create_commons(&self, maintainer: &SecretKey, name: &str) -> CommonsId {
        let genesis = genesis_event(
            maintainer,
            name,
            &[maintainer.author_key()],
            &self.sequencer.author_key(),
        );
        self.node
            .submit(&genesis.envelope().encode())
            .await
            .unwrap();
        CommonsId(genesis.id.0)
    }
}
