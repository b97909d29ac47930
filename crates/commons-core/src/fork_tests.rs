//! Spec tests for forks: what carries over, what the fork's genesis replaces, every
//! refusal, licence compatibility, and the law that replaying a fork's whole ledger gives
//! the state of folding the parent and then forking it.

use super::*;
use crate::state::ProposalStatus;
use crate::{apply, genesis, replay};
use commons_ledger::merkle::MemoryTree;
use commons_ledger::{EventId, Kind, SecretKey};

fn key(i: u8) -> SecretKey {
    SecretKey::from_seed([i + 1; 32])
}

fn key_value(k: &SecretKey) -> Value {
    Value::bytes(k.author_key().to_bytes().to_vec())
}

/// A ledger folded event by event, with its Merkle tree so a checkpoint can be signed.
struct Ledger {
    events: Vec<Event>,
    state: State,
    tree: MemoryTree,
    sequencer: SecretKey,
}

impl Ledger {
    fn new(licence: &str) -> Ledger {
        let sequencer = key(100);
        let body = Value::text_map([
            ("name", Value::text("Tool library")),
            ("maintainers", Value::Array(vec![key_value(&key(0))])),
            ("threshold", Value::Unsigned(1)),
            ("sequencer", key_value(&sequencer)),
            ("licence", Value::text(licence)),
            ("parent", Value::Null),
        ]);
        let event = sign(&sequencer, None, 0, None, "commons.genesis", &body);
        let (state, _) = genesis(&event, 0).unwrap();
        let mut tree = MemoryTree::new();
        tree.push(event.leaf_hash());
        Ledger {
            events: vec![event],
            state,
            tree,
            sequencer,
        }
    }

    /// The author's next event in this ledger's commons.
    fn next(&self, author: &SecretKey, kind: &str, body: &Value) -> Event {
        let head = self.state.chains.get(&author.author_key());
        sign(
            author,
            Some(self.state.commons),
            head.map_or(0, |h| h.seq + 1),
            head.map(|h| h.id),
            kind,
            body,
        )
    }

    fn submit(&mut self, event: Event) -> Result<EventId, Rejection> {
        let index = self.events.len() as u64;
        apply(&mut self.state, &event, index)?;
        self.tree.push(event.leaf_hash());
        self.events.push(event.clone());
        Ok(event.id)
    }

    fn send(&mut self, author: &SecretKey, kind: &str, body: Value) -> Result<EventId, Rejection> {
        let event = self.next(author, kind, &body);
        self.submit(event)
    }

    /// The parent map naming this ledger's checkpoint at its current size.
    fn parent(&self) -> ForkParent {
        let size = self.tree.len();
        let root = self.tree.root();
        let note = Checkpoint {
            origin: origin_for(&self.state.commons),
            size,
            root,
            extensions: Vec::new(),
        }
        .sign(&self.sequencer)
        .unwrap();
        ForkParent {
            commons: self.state.commons,
            size,
            root: root.0,
            checkpoint: note.to_text(),
        }
    }

    /// Folds a fork genesis into this ledger, which becomes the fork's.
    fn fork(&mut self, event: Event) -> Result<(), Rejection> {
        let index = self.events.len() as u64;
        self.state = fork(&self.state, &event, index)?;
        self.tree.push(event.leaf_hash());
        self.events.push(event);
        Ok(())
    }
}

fn sign(
    author: &SecretKey,
    commons: Option<CommonsId>,
    seq: u64,
    prev: Option<EventId>,
    kind: &str,
    body: &Value,
) -> Event {
    Event::sign(
        author,
        commons,
        seq,
        prev,
        vec![],
        1_000,
        Kind::new(kind).unwrap(),
        Some(body),
    )
}

fn fork_genesis(author: &SecretKey, licence: &str, parent: &ForkParent) -> Event {
    let body = fork_genesis_body(
        "Tool library (fork)",
        &[key(3).author_key()],
        1,
        &key(101).author_key(),
        licence,
        parent,
    );
    sign(author, None, 0, None, GENESIS, &body)
}

fn profile(name: &str) -> Value {
    Value::text_map([("name", Value::text(name)), ("kind", Value::text("person"))])
}

/// A parent with an agent, a tick, a frozen author and an open proposal.
fn busy_parent() -> (Ledger, EventId) {
    let mut ledger = Ledger::new("CC-BY-SA-4.0");
    ledger
        .send(&key(1), "agent.profile", profile("Ann"))
        .unwrap();
    let sequencer = ledger.sequencer.clone();
    ledger
        .send(
            &sequencer,
            "ledger.tick",
            Value::text_map([("time", Value::Unsigned(5_000))]),
        )
        .unwrap();
    let twin_a = ledger.next(&key(2), "agent.profile", &profile("A"));
    let twin_b = ledger.next(&key(2), "agent.profile", &profile("B"));
    ledger.submit(twin_a.clone()).unwrap();
    let evidence = crate::network::equivocation_body(
        (&twin_a.header_bytes, &twin_a.signature),
        (&twin_b.header_bytes, &twin_b.signature),
    );
    ledger
        .send(&sequencer, "evidence.equivocation", evidence)
        .unwrap();
    // A second maintainer makes threshold 2 possible, so the next proposal stays open.
    ledger
        .send(
            &key(0),
            "gov.update",
            Value::text_map([(
                "maintainers",
                Value::Array(vec![key_value(&key(0)), key_value(&key(1))]),
            )]),
        )
        .unwrap();
    ledger
        .send(
            &key(0),
            "gov.update",
            Value::text_map([("threshold", Value::Unsigned(2))]),
        )
        .unwrap();
    let open = ledger
        .send(
            &key(0),
            "gov.update",
            Value::text_map([("name", Value::text("Renamed"))]),
        )
        .unwrap();
    (ledger, open)
}

#[test]
fn a_fork_carries_the_parents_whole_state_under_its_own_id_and_governance() {
    let (mut ledger, open) = busy_parent();
    let before = ledger.state.clone();
    assert_eq!(before.proposals[&open].status, ProposalStatus::Open);
    let parent = ledger.parent();
    let genesis_event = fork_genesis(&key(9), "CC-BY-SA-4.0", &parent);
    ledger.fork(genesis_event.clone()).unwrap();
    let forked = &ledger.state;

    assert_eq!(forked.commons.0, genesis_event.id.0);
    assert_eq!(forked.size, parent.size + 1);
    assert_eq!(forked.governance.name, "Tool library (fork)");
    assert_eq!(forked.governance.maintainers, vec![key(3).author_key()]);
    assert_eq!(forked.governance.sequencer, key(101).author_key());
    assert_eq!(forked.governance.parent.as_ref(), Some(&parent));
    assert_eq!(forked.governance.version, before.governance.version + 1);
    assert_eq!(forked.agents, before.agents);
    assert_eq!(forked.frozen, before.frozen);
    assert_eq!(forked.time_ms, 5_000);
    assert_eq!(forked.proposals[&open].status, ProposalStatus::Stale);
    let mut chains = before.chains.clone();
    chains.insert(
        key(9).author_key(),
        ChainHead {
            seq: 0,
            id: genesis_event.id,
        },
    );
    assert_eq!(forked.chains, chains);
    assert_eq!(replay(ledger.events.iter()).unwrap(), ledger.state);
}

#[test]
fn an_authors_first_event_in_the_fork_continues_its_chain_from_the_prefix() {
    let (mut ledger, _) = busy_parent();
    let parent_commons = ledger.state.commons;
    let parent = ledger.parent();
    ledger
        .fork(fork_genesis(&key(9), "CC-BY-SA-4.0", &parent))
        .unwrap();
    let head = ledger.state.chains[&key(1).author_key()];
    let next = ledger.next(&key(1), "agent.profile", &profile("Ann B."));
    assert_eq!(next.header.seq, head.seq + 1);
    assert_eq!(next.header.prev, Some(head.id));

    // Starting over at seq 0, or naming the parent commons, is refused.
    let restart = sign(
        &key(1),
        Some(ledger.state.commons),
        0,
        None,
        "agent.profile",
        &profile("x"),
    );
    assert_eq!(
        ledger.submit(restart).unwrap_err().code,
        RejectionCode::ChainBroken
    );
    let across = sign(
        &key(1),
        Some(parent_commons),
        head.seq + 1,
        Some(head.id),
        "agent.profile",
        &profile("x"),
    );
    assert_eq!(
        ledger.submit(across).unwrap_err().code,
        RejectionCode::WrongCommons
    );

    ledger.submit(next).unwrap();
    assert_eq!(
        ledger.state.display_name(&key(1).author_key()),
        Some("Ann B.")
    );
    // The new maintainer governs the fork alone; the parent's do not.
    ledger
        .send(
            &key(3),
            "gov.update",
            Value::text_map([("name", Value::text("Fork renamed"))]),
        )
        .unwrap();
    assert_eq!(
        ledger
            .send(
                &key(0),
                "gov.update",
                Value::text_map([("name", Value::text("x"))]),
            )
            .unwrap_err()
            .code,
        RejectionCode::NotAuthorised
    );
    assert_eq!(replay(ledger.events.iter()).unwrap(), ledger.state);
}

#[test]
fn a_fork_of_a_fork_replays_through_both_genesis_events() {
    let mut ledger = Ledger::new("MIT");
    ledger
        .send(&key(1), "agent.profile", profile("Ann"))
        .unwrap();
    let first = ledger.parent();
    ledger.fork(fork_genesis(&key(9), "MIT", &first)).unwrap();
    ledger
        .send(&key(1), "agent.profile", profile("Bo"))
        .unwrap();
    ledger.sequencer = key(101);
    let second = ledger.parent();
    ledger.fork(fork_genesis(&key(10), "MIT", &second)).unwrap();
    ledger
        .send(&key(1), "agent.profile", profile("Cy"))
        .unwrap();
    let replayed = replay(ledger.events.iter()).unwrap();
    assert_eq!(replayed, ledger.state);
    assert_eq!(replayed.governance.parent.unwrap().commons, second.commons);
    assert_eq!(replayed.chains[&key(1).author_key()].seq, 2);
}

#[test]
fn a_fork_naming_another_parent_size_or_checkpoint_is_refused_and_changes_nothing() {
    let (ledger, _) = busy_parent();
    let good = ledger.parent();
    let index = ledger.events.len() as u64;
    let mut other_commons = good.clone();
    other_commons.commons = CommonsId([7; 32]);
    let mut other_size = good.clone();
    other_size.size -= 1;
    let mut other_root = good.clone();
    other_root.root = [7; 32];
    let mut unsigned = good.clone();
    unsigned.checkpoint = "commons/00\n1\n".to_owned();
    for (parent, expected) in [
        (other_commons, RejectionCode::GenesisInvalid),
        (other_size, RejectionCode::GenesisInvalid),
        (other_root, RejectionCode::GenesisInvalid),
        (unsigned, RejectionCode::GenesisInvalid),
    ] {
        let event = fork_genesis(&key(9), "CC-BY-SA-4.0", &parent);
        let rejection = fork(&ledger.state, &event, index).unwrap_err();
        assert_eq!(rejection.code, expected, "{rejection}");
    }
    // A second genesis without a parent cannot continue a ledger.
    let plain = sign(
        &key(9),
        None,
        0,
        None,
        GENESIS,
        &crate::network::genesis_body(
            "x",
            &[key(3).author_key()],
            1,
            &key(101).author_key(),
            "MIT",
        ),
    );
    assert_eq!(
        fork(&ledger.state, &plain, index).unwrap_err().code,
        RejectionCode::GenesisInvalid
    );
    // Through replay, the refusal names the fork's index.
    let mut events = ledger.events.clone();
    events.push(plain);
    let (at, rejection) = replay(events.iter()).unwrap_err();
    assert_eq!((at, rejection.code), (index, RejectionCode::GenesisInvalid));
}

#[test]
fn a_fork_genesis_signed_by_an_author_of_the_prefix_is_refused() {
    let (ledger, _) = busy_parent();
    let event = fork_genesis(&key(1), "CC-BY-SA-4.0", &ledger.parent());
    let index = ledger.events.len() as u64;
    assert_eq!(
        fork(&ledger.state, &event, index).unwrap_err().code,
        RejectionCode::ChainBroken
    );
}

#[test]
fn a_fork_under_an_incompatible_licence_is_refused() {
    let (ledger, _) = busy_parent();
    let index = ledger.events.len() as u64;
    let event = fork_genesis(&key(9), "MIT", &ledger.parent());
    let rejection = fork(&ledger.state, &event, index).unwrap_err();
    assert_eq!(rejection.code.as_str(), "licence_incompatible");
}

#[test]
fn licence_compatibility_follows_the_parents_terms() {
    let check = |parent: &str, fork: &str, expected: bool| {
        assert_eq!(
            licence_compatible(parent, fork),
            expected,
            "parent `{parent}`, fork `{fork}`"
        );
    };
    // The same expression, however it is spaced or parenthesised.
    check("GPL-3.0-or-later", "GPL-3.0-or-later", true);
    check("(GPL-3.0-or-later)", "GPL-3.0-or-later", true);
    check("LicenseRef-PPL", "LicenseRef-PPL", true);
    // A choice among the parent's alternatives.
    check("GPL-3.0-only OR AGPL-3.0-only", "AGPL-3.0-only", true);
    check(
        "GPL-3.0-only OR AGPL-3.0-only",
        "AGPL-3.0-only OR GPL-3.0-only",
        true,
    );
    check(
        "GPL-2.0-only OR (LGPL-2.1-only AND CC-BY-SA-4.0)",
        "LGPL-2.1-only AND CC-BY-SA-4.0",
        true,
    );
    check("GPL-2.0-only OR LGPL-2.1-only", "GPL-3.0-only", false);
    // Permissive parents let the fork choose.
    for permissive in PERMISSIVE_LICENCES {
        check(permissive, "GPL-3.0-or-later", true);
    }
    check("MIT AND Apache-2.0", "LicenseRef-PPL", true);
    check("CC-BY-SA-4.0 OR MIT", "GPL-3.0-only", true);
    // Copyleft and non-commercial parents do not.
    check("CC-BY-SA-4.0", "CC-BY-4.0", false);
    check("GPL-3.0-or-later", "MIT", false);
    check("MIT AND GPL-3.0-only", "MIT", false);
    check("LicenseRef-PPL", "MIT", false);
    check("Apache-2.0 WITH LLVM-exception", "GPL-3.0-only", false);
    check("(MIT", "MIT", false);
}
