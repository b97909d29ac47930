//! Ingest behaviour of the node that the HTTP tests do not reach: the pending pool
//! (release order, eviction, expiry), idempotent resubmission, and a restart on the same
//! data directory.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Ledger, busy_ledger};
use commons_ledger::merkle::verify_consistency;
use commons_ledger::{CommonsId, Event, EventId};
use commons_node::audit::{NoProgress, audit_store};
use commons_node::pending::EvictionReason;
use commons_node::{Clock, EventStatus, SubmitOutcome, SubmitStatus};
use commons_store::Store;
use commons_testkit::{Author, T0_MS, TestNode, key, profile_body};
use std::time::Duration;

async fn submit(t: &TestNode, event: &Event) -> SubmitOutcome {
    t.node.submit(&event.envelope().encode()).await.unwrap()
}

async fn status(t: &TestNode, commons: &CommonsId, event: &Event) -> EventStatus {
    t.node.event_status(commons, &event.id).await.unwrap()
}

async fn index_of(t: &TestNode, commons: &CommonsId, event: &Event) -> u64 {
    match status(t, commons, event).await {
        EventStatus::Sequenced { index } => index,
        other => panic!("event {} is {other:?}, not sequenced", event.id),
    }
}

/// Signs the next `n` events of an author's chain.
fn chain(author: &mut Author, n: usize) -> Vec<Event> {
    (0..n)
        .map(|i| {
            author.sign(
                "agent.profile",
                &profile_body(&format!("version {i}"), "person"),
                vec![],
                T0_MS,
            )
        })
        .collect()
}

#[tokio::test]
async fn pending_events_are_released_in_chain_order_once_every_missing_prev_and_dep_arrives() {
    let t = TestNode::start().await;
    let commons = t.create_commons(&key(1), "Pending").await;
    let a = chain(&mut Author::new(key(200), commons), 3);
    let b = chain(&mut Author::new(key(201), commons), 2);
    let x = Author::new(key(202), commons).sign(
        "agent.profile",
        &profile_body("x", "person"),
        vec![a[2].id, b[1].id],
        T0_MS,
    );

    for event in [&x, &a[2], &b[1], &a[1]] {
        assert_eq!(submit(&t, event).await.status, SubmitStatus::Pending);
    }
    assert_eq!(t.node.pending_len(), 4);

    // b0 arrives: b1 joins the same commit, x still waits for a2.
    assert!(matches!(
        submit(&t, &b[0]).await.status,
        SubmitStatus::Sequenced { .. }
    ));
    index_of(&t, &commons, &b[1]).await;
    assert_eq!(status(&t, &commons, &x).await, EventStatus::Pending);
    assert_eq!(t.node.pending_len(), 3);

    // a0 arrives: a1, a2 and then x follow, in that order.
    assert!(matches!(
        submit(&t, &a[0]).await.status,
        SubmitStatus::Sequenced { .. }
    ));
    assert_eq!(t.node.pending_len(), 0);
    let (a0, a1, a2) = (
        index_of(&t, &commons, &a[0]).await,
        index_of(&t, &commons, &a[1]).await,
        index_of(&t, &commons, &a[2]).await,
    );
    let (b0, b1, x) = (
        index_of(&t, &commons, &b[0]).await,
        index_of(&t, &commons, &b[1]).await,
        index_of(&t, &commons, &x).await,
    );
    assert!(a0 < a1 && a1 < a2 && a2 < x, "{a0} {a1} {a2} {x}");
    assert!(b0 < b1 && b1 < x, "{b0} {b1} {x}");
    audit_store(t.node.store(), &commons, &NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_full_pending_pool_evicts_its_oldest_event_and_reports_why() {
    let t = TestNode::start_with(|config| config.pending_capacity = 2).await;
    let commons = t.create_commons(&key(1), "Small pool").await;
    let a = chain(&mut Author::new(key(200), commons), 4);

    for event in &a[1..] {
        assert_eq!(submit(&t, event).await.status, SubmitStatus::Pending);
    }
    assert_eq!(t.node.pending_len(), 2);
    assert_eq!(
        status(&t, &commons, &a[1]).await,
        EventStatus::Evicted(EvictionReason::PoolFull)
    );
    assert_eq!(EvictionReason::PoolFull.code(), "evicted_pool_full");
    assert_eq!(status(&t, &commons, &a[2]).await, EventStatus::Pending);

    // The evicted event is gone: its successors keep waiting after a0 arrives...
    submit(&t, &a[0]).await;
    assert_eq!(
        status(&t, &commons, &a[1]).await,
        EventStatus::Evicted(EvictionReason::PoolFull)
    );
    assert_eq!(status(&t, &commons, &a[3]).await, EventStatus::Pending);
    // ...until it is submitted again.
    assert!(matches!(
        submit(&t, &a[1]).await.status,
        SubmitStatus::Sequenced { .. }
    ));
    assert!(index_of(&t, &commons, &a[2]).await < index_of(&t, &commons, &a[3]).await);
    assert_eq!(t.node.pending_len(), 0);
}

#[tokio::test]
async fn a_pending_event_older_than_the_age_limit_expires() {
    let t = TestNode::start_with(|config| config.pending_age_ms_max = 1_000).await;
    let commons = t.create_commons(&key(1), "Expiry").await;
    let a = chain(&mut Author::new(key(200), commons), 2);
    assert_eq!(submit(&t, &a[1]).await.status, SubmitStatus::Pending);
    t.clock.advance(1_001);
    // The node sweeps the pool on its housekeeping beat, once a second of real time.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while status(&t, &commons, &a[1]).await == EventStatus::Pending {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pending event never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status(&t, &commons, &a[1]).await,
        EventStatus::Evicted(EvictionReason::Expired)
    );
    assert_eq!(t.node.pending_len(), 0);
    assert_eq!(status(&t, &commons, &a[0]).await, EventStatus::Unknown);
}

#[tokio::test]
async fn resubmitting_an_event_answers_the_same_id_and_index() {
    let t = TestNode::start().await;
    let commons = t.create_commons(&key(1), "Idempotent").await;
    let a = chain(&mut Author::new(key(200), commons), 3);
    let first = submit(&t, &a[0]).await;
    let SubmitStatus::Sequenced { index } = first.status else {
        panic!("{first:?}");
    };
    let size = t.node.commons(&commons).unwrap().size;
    assert_eq!(submit(&t, &a[0]).await, first);
    let envelope = a[0].envelope().encode();
    for answer in t.node.submit_many(&[envelope.clone(), envelope]).await {
        assert_eq!(answer.unwrap(), first);
    }
    assert_eq!(
        t.node.commons(&commons).unwrap().size,
        size,
        "nothing was appended twice"
    );
    assert_eq!(first.id, a[0].id);
    assert_eq!(index_of(&t, &commons, &a[0]).await, index);

    // A pending event resubmitted stays pending, once.
    assert_eq!(submit(&t, &a[2]).await.status, SubmitStatus::Pending);
    assert_eq!(submit(&t, &a[2]).await.status, SubmitStatus::Pending);
    assert_eq!(t.node.pending_len(), 1);

    // The genesis too.
    let genesis = commons_testkit::genesis_event(
        &key(1),
        "Idempotent",
        &[key(1).author_key()],
        &t.sequencer.author_key(),
    );
    let again = submit(&t, &genesis).await;
    assert_eq!(
        (again.id, again.status),
        (EventId(commons.0), SubmitStatus::Sequenced { index: 0 })
    );
}

#[tokio::test]
async fn a_restarted_node_keeps_everything_and_continues_the_chain_consistently() {
    let t = TestNode::start().await;
    let mut ledger: Ledger = busy_ledger(&t, 3, 4).await;
    let commons = ledger.commons;
    let now_ms = t.clock.now_ms();
    let acknowledged = ledger.authors[0].sign(
        "agent.profile",
        &profile_body("before the restart", "person"),
        vec![],
        now_ms,
    );
    let acknowledged_index = common::submit_all(&t, std::slice::from_ref(&acknowledged)).await[0];
    let old_size = t.node.commons(&commons).unwrap().size;
    let old_root = t.node.tree_hash(&commons, old_size).await.unwrap().unwrap();
    let old_checkpoints = t.node.store().checkpoints(&commons).await.unwrap();
    let old_rows = t.node.store().projection_rows(&commons).await.unwrap();

    let TestNode { node, dir, .. } = t;
    node.store().close().await;
    drop(node);
    let t = TestNode::start_in(dir).await;
    t.clock.set(now_ms);

    let view = t.node.commons(&commons).unwrap();
    assert_eq!(view.size, old_size);
    assert_eq!(view.checkpoint.as_ref(), old_checkpoints.last());
    assert_eq!(view.governance.licence, "MIT");
    assert_eq!(
        t.node.store().projection_rows(&commons).await.unwrap(),
        old_rows
    );

    // An event acknowledged before the restart is answered the same way after it.
    let again = submit(&t, &acknowledged).await;
    assert_eq!(
        (again.id, again.status),
        (
            acknowledged.id,
            SubmitStatus::Sequenced {
                index: acknowledged_index
            }
        )
    );

    common::add_rounds(&t, &mut ledger, 4, 3).await;
    let new_size = t.node.commons(&commons).unwrap().size;
    assert!(new_size > old_size + 9);
    let new_root = t.node.tree_hash(&commons, new_size).await.unwrap().unwrap();
    let proof = t
        .node
        .consistency_proof(&commons, old_size, new_size)
        .await
        .unwrap()
        .unwrap();
    verify_consistency(old_size, new_size, &old_root, &new_root, &proof).unwrap();
    let checkpoints = t.node.store().checkpoints(&commons).await.unwrap();
    assert_eq!(checkpoints[..old_checkpoints.len()], old_checkpoints[..]);
    assert!(checkpoints.len() >= old_checkpoints.len() + 3);
    // The audit checks every consecutive pair of checkpoints, old and new, for consistency.
    let report = audit_store(t.node.store(), &commons, &NoProgress)
        .await
        .unwrap();
    assert_eq!((report.size, report.root), (new_size, new_root));
}

#[tokio::test]
async fn a_governance_rename_updates_the_stored_commons_name() {
    // Regression: the stored commons row kept its genesis name after a gov.update renamed
    // it, so the listing and an imported copy disagreed.
    let t = TestNode::start().await;
    let commons = t.create_commons(&key(1), "Old name").await;
    let mut maintainer = common::creator(1, commons);
    let rename = commons_ledger::cbor::Value::text_map([(
        "name",
        commons_ledger::cbor::Value::text("New name"),
    )]);
    let update = maintainer.sign("gov.update", &rename, vec![], T0_MS);
    index_of_after_submit(&t, &commons, &update).await;
    let row = t.node.store().commons(&commons).await.unwrap().unwrap();
    assert_eq!(row.name, "New name");
    assert_eq!(
        t.node.commons(&commons).unwrap().governance.name,
        "New name"
    );
}

async fn index_of_after_submit(t: &TestNode, commons: &CommonsId, event: &Event) -> u64 {
    submit(t, event).await;
    index_of(t, commons, event).await
}

/// The same envelope, with its author key replaced by `author` and signed again by `key`.
fn reauthored(
    event: &Event,
    author: commons_ledger::AuthorKey,
    key: &commons_ledger::SecretKey,
) -> Vec<u8> {
    let mut header = event.header.clone();
    header.author = author;
    let header_bytes = header.encode();
    commons_ledger::Envelope {
        signature: key.sign(&commons_ledger::event::signing_bytes(&header_bytes)),
        header_bytes,
        body: event.body.clone(),
    }
    .encode()
}

#[tokio::test]
async fn batches_checked_one_at_a_time_all_land_and_a_small_order_key_is_refused_in_every_batch() {
    // No verify thread at all is taken as one: the limit can slow ingest, never stop it.
    for verify_threads in [0, 1] {
        let t =
            commons_testkit::TestNode::start_with(|config| config.verify_threads = verify_threads)
                .await;
        let commons = t.create_commons(&key(1), "One checker").await;
        let chains: Vec<Vec<Event>> = (0..8)
            .map(|i| chain(&mut Author::new(key(300 + i), commons), 20))
            .collect();
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let small_order = commons_ledger::AuthorKey(identity);
        let batches = chains.iter().enumerate().map(|(i, events)| {
            let node = t.node.clone();
            let mut envelopes: Vec<Vec<u8>> =
                events.iter().map(|e| e.envelope().encode()).collect();
            // Every batch carries an event by a small-order key, signed by its author.
            envelopes.push(reauthored(&events[0], small_order, &key(300 + i as u64)));
            tokio::spawn(async move { node.submit_many(&envelopes).await })
        });
        let batches: Vec<_> = batches.collect();
        let mut indexes = std::collections::BTreeSet::new();
        for batch in batches {
            let answers = batch.await.unwrap();
            let (refused, landed) = answers.split_last().unwrap();
            for answer in landed {
                match answer {
                    Ok(SubmitOutcome {
                        status: SubmitStatus::Sequenced { index },
                        ..
                    }) => assert!(indexes.insert(*index)),
                    other => panic!("an event of a good chain got {other:?}"),
                }
            }
            match refused {
                Err(commons_node::SubmitError::Rejected(e)) => {
                    assert_eq!(e.code(), "small_order_key")
                }
                other => panic!("a small-order key got {other:?}"),
            }
        }
        assert_eq!(indexes.len(), 8 * 20, "every good event has its own index");
    }
}
