//! Forks on a node: a fork genesis naming a checkpoint of a hosted parent creates a
//! commons whose ledger begins with the parent's prefix, copied by the store; every
//! refusal has its code and leaves nothing behind; the audit follows the prefix.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ROUND_MS, busy_ledger, submit_all};
use commons_core::fork::fork_genesis_body;
use commons_core::state::ForkParent;
use commons_ledger::merkle::verify_consistency;
use commons_ledger::note::{Checkpoint, origin_for};
use commons_ledger::{CommonsId, Event, Hash, Kind, SecretKey};
use commons_node::audit::{NoProgress, audit_store};
use commons_node::{
    Clock, ManualClock, NewCommonsPolicy, Node, NodeConfig, SubmitError, SubmitStatus,
};
use commons_store::{AnyStore, CheckpointRow, Store};
use commons_testkit::{Author, T0_MS, TestNode, key};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The parent map naming a stored checkpoint of `parent`.
fn parent_at(parent: CommonsId, checkpoint: &CheckpointRow) -> ForkParent {
    ForkParent {
        commons: parent,
        size: checkpoint.size,
        root: checkpoint.root.0,
        checkpoint: checkpoint.note.clone(),
    }
}

/// A fork genesis signed by `creator` (a key new to the parent), maintained by key 501,
/// sequenced by the node.
fn fork_genesis(t: &TestNode, creator: &SecretKey, licence: &str, parent: &ForkParent) -> Event {
    let body = fork_genesis_body(
        "The fork",
        &[key(501).author_key()],
        1,
        &t.sequencer.author_key(),
        licence,
        parent,
    );
    Event::sign(
        creator,
        None,
        0,
        None,
        vec![],
        t.clock.now_ms(),
        Kind::new("commons.genesis").unwrap(),
        Some(&body),
    )
}

async fn submit(t: &TestNode, event: &Event) -> Result<SubmitStatus, String> {
    match t.node.submit(&event.envelope().encode()).await {
        Ok(outcome) => Ok(outcome.status),
        Err(SubmitError::Rejected(e)) => Err(e.code().to_owned()),
        Err(SubmitError::Fault(e)) => panic!("fault: {e}"),
    }
}

async fn latest(t: &TestNode, commons: &CommonsId) -> CheckpointRow {
    t.node.latest_checkpoint(commons).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_fork_at_the_latest_checkpoint_begins_with_the_parents_ledger_and_goes_on_alone() {
    let t = TestNode::start().await;
    let mut ledger = busy_ledger(&t, 3, 4).await;
    let parent = ledger.commons;
    let checkpoint = latest(&t, &parent).await;
    let size = checkpoint.size;
    let genesis = fork_genesis(&t, &key(500), "MIT", &parent_at(parent, &checkpoint));
    let fork = CommonsId(genesis.id.0);
    assert_eq!(
        submit(&t, &genesis).await,
        Ok(SubmitStatus::Sequenced { index: size })
    );
    // Resubmitting the genesis answers the same index.
    assert_eq!(
        submit(&t, &genesis).await,
        Ok(SubmitStatus::Sequenced { index: size })
    );
    let store = t.node.store();
    assert_eq!(
        store.events_range(&fork, 0, size).await.unwrap(),
        store.events_range(&parent, 0, size).await.unwrap()
    );
    assert_eq!(t.node.commons(&fork).unwrap().size, size + 1);

    // An author of the prefix continues its chain in the fork, and not in the parent.
    let mut in_fork = ledger.authors[0].clone();
    in_fork.commons = Some(fork);
    t.clock.advance(ROUND_MS);
    let next = in_fork.profile("Forked author");
    assert!(matches!(
        submit(&t, &next).await,
        Ok(SubmitStatus::Sequenced { .. })
    ));
    common::add_rounds(&t, &mut ledger, 4, 1).await;
    assert_eq!(
        store.events_by_id(&parent, &[next.id]).await.unwrap().len(),
        0
    );

    // One consistency proof joins the parent's checkpoint and the fork's.
    let fork_checkpoint = latest(&t, &fork).await;
    let proof = t
        .node
        .consistency_proof(&fork, size, fork_checkpoint.size)
        .await
        .unwrap()
        .unwrap();
    verify_consistency(
        size,
        fork_checkpoint.size,
        &checkpoint.root,
        &fork_checkpoint.root,
        &proof,
    )
    .unwrap();

    let report = audit_store(store, &fork, &NoProgress).await.unwrap();
    assert_eq!(report.size, fork_checkpoint.size);
    audit_store(store, &parent, &NoProgress).await.unwrap();
}

#[tokio::test]
async fn a_fork_at_an_earlier_checkpoint_replays_the_parent_and_survives_a_restart() {
    let t = TestNode::start().await;
    let ledger = busy_ledger(&t, 2, 5).await;
    let parent = ledger.commons;
    let checkpoints = t.node.store().checkpoints(&parent).await.unwrap();
    let earlier = checkpoints[checkpoints.len() / 2].clone();
    assert!(earlier.size < latest(&t, &parent).await.size);
    let genesis = fork_genesis(&t, &key(500), "MIT", &parent_at(parent, &earlier));
    let fork = CommonsId(genesis.id.0);
    assert_eq!(
        submit(&t, &genesis).await,
        Ok(SubmitStatus::Sequenced {
            index: earlier.size
        })
    );
    // A fork of the fork, at the fork's first checkpoint.
    let first = latest(&t, &fork).await;
    let grandchild = fork_genesis(&t, &key(502), "MIT", &parent_at(fork, &first));
    assert_eq!(
        submit(&t, &grandchild).await,
        Ok(SubmitStatus::Sequenced { index: first.size })
    );
    let grandchild = CommonsId(grandchild.id.0);
    for commons in [parent, fork, grandchild] {
        audit_store(t.node.store(), &commons, &NoProgress)
            .await
            .unwrap();
    }

    // A restart folds the forks' ledgers from the store through their prefixes.
    let before: Vec<_> = [fork, grandchild]
        .iter()
        .map(|c| {
            let view = t.node.commons(c).unwrap();
            (view.size, view.governance.clone())
        })
        .collect();
    let TestNode { node, dir, .. } = t;
    node.store().close().await;
    drop(node);
    let t = TestNode::start_in(dir).await;
    let after: Vec<_> = [fork, grandchild]
        .iter()
        .map(|c| {
            let view = t.node.commons(c).unwrap();
            (view.size, view.governance.clone())
        })
        .collect();
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_checkpoint_the_sequencer_signed_but_never_stored_is_a_valid_fork_point() {
    let t = TestNode::start().await;
    let ledger = busy_ledger(&t, 2, 3).await;
    let parent = ledger.commons;
    let stored: BTreeSet<u64> = t
        .node
        .store()
        .checkpoints(&parent)
        .await
        .unwrap()
        .iter()
        .map(|c| c.size)
        .collect();
    let size = (2..latest(&t, &parent).await.size)
        .find(|size| !stored.contains(size))
        .unwrap();
    let root = t.node.tree_hash(&parent, size).await.unwrap().unwrap();
    let note = Checkpoint {
        origin: origin_for(&parent),
        size,
        root,
        extensions: Vec::new(),
    }
    .sign(&t.sequencer)
    .unwrap();
    let lineage = ForkParent {
        commons: parent,
        size,
        root: root.0,
        checkpoint: note.to_text(),
    };
    // Share-alike before round 2's change to MIT, permissive after: this is allowed by both.
    let genesis = fork_genesis(&t, &key(500), "CC-BY-SA-4.0", &lineage);
    assert_eq!(
        submit(&t, &genesis).await,
        Ok(SubmitStatus::Sequenced { index: size })
    );
    audit_store(t.node.store(), &CommonsId(genesis.id.0), &NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_fork_at_a_checkpoint_the_parent_never_signed_is_refused_and_writes_nothing() {
    let t = TestNode::start().await;
    let ledger = busy_ledger(&t, 2, 3).await;
    let parent = ledger.commons;
    let checkpoint = latest(&t, &parent).await;
    let good = parent_at(parent, &checkpoint);
    let forged_note = |size: u64, root: Hash, signer: &SecretKey| {
        Checkpoint {
            origin: origin_for(&parent),
            size,
            root,
            extensions: Vec::new(),
        }
        .sign(signer)
        .unwrap()
        .to_text()
    };
    let signed_by_another = ForkParent {
        checkpoint: forged_note(good.size, checkpoint.root, &key(77)),
        ..good.clone()
    };
    let wrong_root = ForkParent {
        root: [7; 32],
        checkpoint: forged_note(good.size, Hash([7; 32]), &t.sequencer),
        ..good.clone()
    };
    let beyond = ForkParent {
        size: good.size + 5,
        checkpoint: forged_note(good.size + 5, checkpoint.root, &t.sequencer),
        ..good.clone()
    };
    let empty = ForkParent {
        size: 0,
        checkpoint: forged_note(0, commons_ledger::merkle::empty_root(), &t.sequencer),
        root: commons_ledger::merkle::empty_root().0,
        ..good.clone()
    };
    let n_commons = t.node.list_commons().len();
    for (lineage, what) in [
        (signed_by_another, "a note signed by another key"),
        (wrong_root, "a root the ledger never had"),
        (beyond, "a size beyond the parent's ledger"),
        (empty, "an empty prefix"),
    ] {
        let genesis = fork_genesis(&t, &key(500), "MIT", &lineage);
        assert_eq!(
            submit(&t, &genesis).await,
            Err("checkpoint_unknown".to_owned()),
            "{what}"
        );
        let fork = CommonsId(genesis.id.0);
        assert!(t.node.store().commons(&fork).await.unwrap().is_none());
        assert_eq!(
            t.node.store().events_range(&fork, 0, 10).await.unwrap(),
            vec![]
        );
    }
    assert_eq!(t.node.list_commons().len(), n_commons);
    assert_eq!(
        t.node.store().list_commons().await.unwrap().len(),
        n_commons
    );
}

#[tokio::test]
async fn a_fork_of_a_commons_this_node_does_not_host_is_parent_unknown() {
    let t = TestNode::start().await;
    let lineage = ForkParent {
        commons: CommonsId([3; 32]),
        size: 1,
        root: [4; 32],
        checkpoint: Checkpoint {
            origin: origin_for(&CommonsId([3; 32])),
            size: 1,
            root: Hash([4; 32]),
            extensions: Vec::new(),
        }
        .sign(&key(1))
        .unwrap()
        .to_text(),
    };
    let genesis = fork_genesis(&t, &key(500), "MIT", &lineage);
    assert_eq!(submit(&t, &genesis).await, Err("parent_unknown".to_owned()));
}

#[tokio::test]
async fn a_fork_under_an_incompatible_licence_or_by_a_prefix_author_is_refused() {
    let t = TestNode::start().await;
    // CC-BY-SA-4.0 is share-alike: a fork keeps it.
    let parent = t.create_commons(&key(1), "Share-alike").await;
    let checkpoint = latest(&t, &parent).await;
    let lineage = parent_at(parent, &checkpoint);
    let relicensed = fork_genesis(&t, &key(500), "MIT", &lineage);
    assert_eq!(
        submit(&t, &relicensed).await,
        Err("licence_incompatible".to_owned())
    );
    // The parent's creator wrote its seq 0 in the prefix.
    let by_creator = fork_genesis(&t, &key(1), "CC-BY-SA-4.0", &lineage);
    assert_eq!(
        submit(&t, &by_creator).await,
        Err("chain_broken".to_owned())
    );
    let kept = fork_genesis(&t, &key(500), "CC-BY-SA-4.0", &lineage);
    assert!(submit(&t, &kept).await.is_ok());
}

#[tokio::test]
async fn a_fork_follows_the_nodes_policy_for_new_commons() {
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::open(dir.path().join("commons.db").to_str().unwrap())
        .await
        .unwrap();
    let sequencer = key(9_999);
    let mut config = NodeConfig::new(sequencer.clone());
    config.new_commons = NewCommonsPolicy::Only(BTreeSet::from([key(1).author_key()]));
    let clock = ManualClock::new(T0_MS);
    let node = Node::start(store, config, Arc::new(clock.clone()))
        .await
        .unwrap();
    let t = TestNode {
        node,
        clock,
        sequencer,
        dir,
    };
    let parent = t.create_commons(&key(1), "Parent").await;
    let lineage = parent_at(parent, &latest(&t, &parent).await);
    let refused = fork_genesis(&t, &key(500), "CC-BY-SA-4.0", &lineage);
    assert_eq!(
        submit(&t, &refused).await,
        Err("new_commons_refused".to_owned())
    );
}

#[tokio::test]
async fn reusing_a_seq_of_the_prefix_in_the_fork_is_chain_broken_not_equivocation() {
    let t = TestNode::start().await;
    let ledger = busy_ledger(&t, 2, 2).await;
    let parent = ledger.commons;
    let genesis = fork_genesis(
        &t,
        &key(500),
        "CC-BY-SA-4.0",
        &parent_at(parent, &latest(&t, &parent).await),
    );
    submit(&t, &genesis).await.unwrap();
    let fork = CommonsId(genesis.id.0);
    let mut restarted = Author::new(ledger.authors[0].key.clone(), fork);
    let again = restarted.profile("Seq zero again");
    assert_eq!(submit(&t, &again).await, Err("chain_broken".to_owned()));
    let view = t.node.commons(&fork).unwrap();
    assert_eq!(view.size, latest(&t, &fork).await.size);
    let frozen = t
        .node
        .inspect(&fork, |state| state.frozen.len())
        .await
        .unwrap();
    assert_eq!(frozen, Some(0));
    let mut continued = ledger.authors[1].clone();
    continued.commons = Some(fork);
    let next = continued.profile("Next in the fork");
    submit_all(&t, &[next]).await;
    audit_store(t.node.store(), &fork, &NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_forks_bundle_verifies_through_the_prefix_and_imports_alone() {
    use commons_node::audit::audit_bundle;
    use commons_node::bundle::{BundleCheckpoint, export, import, read_bundle};
    let t = TestNode::start().await;
    let ledger = busy_ledger(&t, 2, 3).await;
    let parent = ledger.commons;
    let checkpoint = latest(&t, &parent).await;
    let genesis = fork_genesis(&t, &key(500), "MIT", &parent_at(parent, &checkpoint));
    submit(&t, &genesis).await.unwrap();
    let fork = CommonsId(genesis.id.0);
    let mut bytes = Vec::new();
    export(t.node.store(), &fork, &mut bytes, &NoProgress)
        .await
        .unwrap();
    let bundle = read_bundle(&bytes).unwrap();
    assert_eq!(
        audit_bundle(&bundle, &NoProgress).unwrap().size,
        checkpoint.size + 1
    );
    // A fresh node's store takes the whole ledger, prefix included, without the parent.
    let dir = tempfile::tempdir().unwrap();
    let other = AnyStore::open(dir.path().join("other.db").to_str().unwrap())
        .await
        .unwrap();
    import(&other, &bundle, &NoProgress).await.unwrap();
    audit_store(&other, &fork, &NoProgress).await.unwrap();

    // A fork genesis naming a checkpoint its parent's sequencer never signed is found.
    let forged_note = Checkpoint {
        origin: origin_for(&parent),
        size: checkpoint.size,
        root: checkpoint.root,
        extensions: Vec::new(),
    }
    .sign(&key(77))
    .unwrap()
    .to_text();
    let forged = fork_genesis(
        &t,
        &key(500),
        "MIT",
        &ForkParent {
            checkpoint: forged_note,
            ..parent_at(parent, &checkpoint)
        },
    );
    let mut events = bundle.events[..bundle.events.len() - 1].to_vec();
    events.push(forged.clone());
    let tree = commons_ledger::merkle::MemoryTree::from_leaf_hashes(
        events.iter().map(|e| e.leaf_hash()).collect(),
    );
    let forged_commons = CommonsId(forged.id.0);
    let fork_checkpoint = Checkpoint {
        origin: origin_for(&forged_commons),
        size: tree.len(),
        root: tree.root(),
        extensions: Vec::new(),
    };
    let lying = commons_node::bundle::Bundle {
        commons: forged_commons,
        sequencer: t.sequencer.author_key(),
        events,
        checkpoints: vec![BundleCheckpoint {
            size: fork_checkpoint.size,
            root: fork_checkpoint.root,
            note: fork_checkpoint.sign(&t.sequencer).unwrap().to_text(),
        }],
    };
    let failure = audit_bundle(&lying, &NoProgress).unwrap_err();
    assert_eq!(failure.code(), "fork_checkpoint_invalid");
    assert_eq!(failure.index(), Some(checkpoint.size));
    // A bundle that names the fork but holds only the parent's ledger is not the fork's.
    let prefix_only = commons_node::bundle::Bundle {
        events: bundle.events[..bundle.events.len() - 1].to_vec(),
        checkpoints: Vec::new(),
        ..bundle.clone()
    };
    let failure = audit_bundle(&prefix_only, &NoProgress).unwrap_err();
    assert_eq!(failure.code(), "genesis_invalid", "{failure}");
}
