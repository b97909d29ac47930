//! The full audit, rebuild, export and import, end to end on a node's SQLite store: a busy
//! ledger passes everything and survives a round trip through a bundle; every kind of
//! tampering with a store or a bundle is found and named with its code and ledger index.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Ledger, busy_ledger};
use commons_ledger::cbor::Value;
use commons_ledger::merkle::MemoryTree;
use commons_ledger::note::Checkpoint;
use commons_ledger::{AuthorKey, CommonsId, EventId, Hash};
use commons_node::Clock;
use commons_node::audit::{
    AuditFailure, NoProgress, audit_bundle, audit_store, projection_rows, rebuild,
};
use commons_node::bundle::{Bundle, BundleCheckpoint, export, import, read_bundle};
use commons_store::{
    AnyStore, AppendBatch, CheckpointRow, CommonsRow, EventQuery, ProjectionRow, Store, StoreError,
    StoredEvent,
};
use commons_testkit::{Author, TestNode, key};

async fn exported(store: &(impl Store + Clone), commons: &CommonsId) -> Vec<u8> {
    let mut bytes = Vec::new();
    export(store, commons, &mut bytes, &NoProgress)
        .await
        .unwrap();
    bytes
}

async fn fresh_store(dir: &tempfile::TempDir, name: &str) -> AnyStore {
    AnyStore::open(dir.path().join(name).to_str().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_busy_ledger_passes_the_audit_and_survives_export_and_import() {
    let t = TestNode::start().await;
    let Ledger { commons, .. } = busy_ledger(&t, 8, 36).await;
    let store = t.node.store();
    let size = t.node.commons(&commons).unwrap().size;
    assert!(size > 300, "the ledger has {size} events");

    let report = audit_store(store, &commons, &NoProgress).await.unwrap();
    assert_eq!(report.size, size);
    assert_eq!(report.n_events, size);
    assert_eq!(
        Some(report.root),
        t.node.tree_hash(&commons, size).await.unwrap()
    );
    let checkpoints = store.checkpoints(&commons).await.unwrap();
    assert!(checkpoints.len() > 30);
    assert_eq!(report.n_checkpoints, checkpoints.len() as u64);
    let rows = store.projection_rows(&commons).await.unwrap();
    assert_eq!(report.n_rows, rows.len() as u64);
    let kinds: Vec<String> = store
        .query_events(
            &commons,
            &EventQuery {
                limit: 1_000,
                ..EventQuery::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for kind in [
        "commons.genesis",
        "agent.profile",
        "ledger.tick",
        "gov.update",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in the ledger");
    }

    let bytes = exported(store, &commons).await;
    let bundle = read_bundle(&bytes).unwrap();
    assert_eq!(bundle.encode(), bytes);
    assert_eq!(audit_bundle(&bundle, &NoProgress).unwrap(), report);

    let dir = tempfile::tempdir().unwrap();
    let other = fresh_store(&dir, "imported.db").await;
    let imported = import(&other, &bundle, &NoProgress).await.unwrap();
    assert_eq!(
        (imported.size, imported.n_checkpoints, imported.n_rows),
        (size, report.n_checkpoints, report.n_rows)
    );
    assert_eq!(
        audit_store(&other, &commons, &NoProgress).await.unwrap(),
        report
    );
    assert_eq!(other.projection_rows(&commons).await.unwrap(), rows);
    assert_eq!(other.checkpoints(&commons).await.unwrap(), checkpoints);
    assert_eq!(
        exported(&other, &commons).await,
        bytes,
        "export after import gives the same bytes"
    );

    let again = import(&other, &bundle, &NoProgress).await.unwrap_err();
    assert_eq!(again.code(), "commons_exists");

    for store in [store, &other] {
        let rebuilt = rebuild(store, &commons, &NoProgress).await.unwrap();
        assert!(rebuilt.equal_to_previous, "{:?}", rebuilt.differences);
        assert_eq!(rebuilt.n_rows, report.n_rows);
    }
}

#[tokio::test]
async fn a_changed_projection_row_fails_the_audit_and_a_rebuild_repairs_it() {
    let t = TestNode::start().await;
    let Ledger { commons, .. } = busy_ledger(&t, 3, 3).await;
    let store = t.node.store();
    let original = store.projection_rows(&commons).await.unwrap();
    let mut rows = original.clone();
    let agent = rows.iter_mut().find(|r| r.table == "agent").unwrap();
    agent.value = Value::text_map([("name", Value::text("Mallory"))]).encode();
    store.replace_projections(&commons, &rows).await.unwrap();

    let failure = audit_store(store, &commons, &NoProgress).await.unwrap_err();
    assert_eq!(failure.code(), "projection_mismatch", "{failure}");

    let rebuilt = rebuild(store, &commons, &NoProgress).await.unwrap();
    assert!(!rebuilt.equal_to_previous);
    assert_eq!(rebuilt.n_differences, 1);
    assert!(
        rebuilt.differences[0].starts_with("agent/"),
        "{:?}",
        rebuilt.differences
    );
    assert_eq!(store.projection_rows(&commons).await.unwrap(), original);
    audit_store(store, &commons, &NoProgress).await.unwrap();
    assert!(
        rebuild(store, &commons, &NoProgress)
            .await
            .unwrap()
            .equal_to_previous
    );
}

#[tokio::test]
async fn a_missing_or_extra_projection_row_is_a_difference_too() {
    let t = TestNode::start().await;
    let Ledger { commons, .. } = busy_ledger(&t, 2, 2).await;
    let store = t.node.store();
    let mut rows = store.projection_rows(&commons).await.unwrap();
    rows.remove(0);
    rows.push(ProjectionRow {
        table: "zz".into(),
        key: vec![1],
        value: vec![0xf6],
    });
    store.replace_projections(&commons, &rows).await.unwrap();
    assert_eq!(
        audit_store(store, &commons, &NoProgress)
            .await
            .unwrap_err()
            .code(),
        "projection_mismatch"
    );
    let rebuilt = rebuild(store, &commons, &NoProgress).await.unwrap();
    assert_eq!(rebuilt.n_differences, 2, "{:?}", rebuilt.differences);
    audit_store(store, &commons, &NoProgress).await.unwrap();
}

/// One way to alter what a store returns, as if its database had been edited.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    /// Flip a byte of the body of the event at this index.
    Body(u64),
    /// Flip a byte of the header bytes of the event at this index.
    Header(u64),
    /// Change the first dep in the header of the event at this index, and its id column
    /// with it, so that only the signature can tell.
    DepWithId(u64),
    /// Flip a byte of the signature of the event at this index.
    Signature(u64),
    /// Change the stored `kind` column of the event at this index.
    KindColumn(u64),
    /// Change the stored `time_ms` column of the event at this index.
    TimeColumn(u64),
    /// Leave the event at this index out.
    DropEvent(u64),
    /// Flip a byte of the stored Merkle hash at this storage index.
    MerkleHash(u64),
    /// Flip a byte in the signature line of the checkpoint at this position.
    CheckpointNote(usize),
    /// Change the root column of the checkpoint at this position.
    CheckpointRootColumn(usize),
    /// Leave out the latest checkpoint.
    DropLatestCheckpoint,
    /// Report a ledger size one larger than what is stored.
    SizeTooLarge,
}

/// A store that hands out tampered data from a real one.
#[derive(Clone)]
struct Tampered {
    inner: AnyStore,
    tamper: Tamper,
}

fn flip(bytes: &mut [u8], position: usize) {
    let position = position % bytes.len();
    bytes[position] ^= 0x01;
}

impl Tampered {
    fn event(&self, mut event: StoredEvent) -> StoredEvent {
        match self.tamper {
            Tamper::Body(i) if i == event.index => flip(event.body.as_mut().unwrap(), 3),
            Tamper::Header(i) if i == event.index => {
                // The low byte of the time field: the header stays well-formed CBOR.
                let time_ms = commons_ledger::Header::decode(&event.header_bytes)
                    .unwrap()
                    .time_ms;
                let mut time_field = vec![0x1b];
                time_field.extend_from_slice(&time_ms.to_be_bytes());
                let at = event
                    .header_bytes
                    .windows(9)
                    .position(|w| w == time_field)
                    .unwrap();
                flip(&mut event.header_bytes, at + 8)
            }
            Tamper::DepWithId(i) if i == event.index => {
                let header = commons_ledger::Header::decode(&event.header_bytes).unwrap();
                let dep = header.deps.first().unwrap().0;
                let at = event
                    .header_bytes
                    .windows(32)
                    .position(|w| w == dep)
                    .unwrap();
                flip(&mut event.header_bytes, at + 31);
                event.id = commons_ledger::event::event_id(&event.header_bytes);
            }
            Tamper::Signature(i) if i == event.index => flip(&mut event.signature.0, 10),
            Tamper::KindColumn(i) if i == event.index => event.kind = "agent.rotate".into(),
            Tamper::TimeColumn(i) if i == event.index => event.time_ms += 1,
            _ => {}
        }
        event
    }
}

impl Store for Tampered {
    async fn append(&self, batch: &AppendBatch) -> Result<(), StoreError> {
        self.inner.append(batch).await
    }

    async fn list_commons(&self) -> Result<Vec<CommonsRow>, StoreError> {
        self.inner.list_commons().await
    }

    async fn commons(&self, id: &CommonsId) -> Result<Option<CommonsRow>, StoreError> {
        let mut row = self.inner.commons(id).await?;
        if let (Tamper::SizeTooLarge, Some(row)) = (self.tamper, row.as_mut()) {
            row.size += 1;
        }
        Ok(row)
    }

    async fn events_by_id(
        &self,
        commons: &CommonsId,
        ids: &[EventId],
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.events_by_id(commons, ids).await
    }

    async fn event_by_author_seq(
        &self,
        commons: &CommonsId,
        author: &AuthorKey,
        seq: u64,
    ) -> Result<Option<StoredEvent>, StoreError> {
        self.inner.event_by_author_seq(commons, author, seq).await
    }

    async fn events_range(
        &self,
        commons: &CommonsId,
        from: u64,
        to: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let events = self.inner.events_range(commons, from, to).await?;
        Ok(events
            .into_iter()
            .filter(|e| !matches!(self.tamper, Tamper::DropEvent(i) if i == e.index))
            .map(|e| self.event(e))
            .collect())
    }

    async fn query_events(
        &self,
        commons: &CommonsId,
        query: &EventQuery,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.query_events(commons, query).await
    }

    async fn read_hashes(
        &self,
        commons: &CommonsId,
        indexes: &[u64],
    ) -> Result<Vec<Hash>, StoreError> {
        let mut hashes = self.inner.read_hashes(commons, indexes).await?;
        if let Tamper::MerkleHash(target) = self.tamper {
            for (index, hash) in indexes.iter().zip(hashes.iter_mut()) {
                if *index == target {
                    flip(&mut hash.0, 0);
                }
            }
        }
        Ok(hashes)
    }

    async fn latest_checkpoint(
        &self,
        commons: &CommonsId,
    ) -> Result<Option<CheckpointRow>, StoreError> {
        self.inner.latest_checkpoint(commons).await
    }

    async fn checkpoints(&self, commons: &CommonsId) -> Result<Vec<CheckpointRow>, StoreError> {
        let mut checkpoints = self.inner.checkpoints(commons).await?;
        match self.tamper {
            Tamper::CheckpointNote(i) => {
                let note = &mut checkpoints[i].note;
                // The last character before the final newline is in the signature's base64.
                let position = note.len() - 3;
                let replacement = if note.as_bytes()[position] == b'A' {
                    "B"
                } else {
                    "A"
                };
                note.replace_range(position..=position, replacement);
            }
            Tamper::CheckpointRootColumn(i) => flip(&mut checkpoints[i].root.0, 7),
            Tamper::DropLatestCheckpoint => {
                checkpoints.pop();
            }
            _ => {}
        }
        Ok(checkpoints)
    }

    async fn projection_rows(&self, commons: &CommonsId) -> Result<Vec<ProjectionRow>, StoreError> {
        self.inner.projection_rows(commons).await
    }

    async fn projection_table(
        &self,
        commons: &CommonsId,
        table: &str,
    ) -> Result<Vec<ProjectionRow>, StoreError> {
        self.inner.projection_table(commons, table).await
    }

    async fn replace_projections(
        &self,
        commons: &CommonsId,
        rows: &[ProjectionRow],
    ) -> Result<(), StoreError> {
        self.inner.replace_projections(commons, rows).await
    }
}

fn assert_failure(failure: &AuditFailure, code: &str, index: Option<u64>, what: &str) {
    assert_eq!(failure.code(), code, "{what}: {failure}");
    assert_eq!(failure.index(), index, "{what}: {failure}");
    if let Some(index) = index {
        assert!(
            failure
                .to_string()
                .contains(&format!("at ledger index {index}")),
            "{failure}"
        );
    }
}

#[tokio::test]
async fn tampering_with_any_stored_part_of_the_ledger_is_found_and_named() {
    let t = TestNode::start().await;
    let Ledger { commons, .. } = busy_ledger(&t, 3, 6).await;
    let size = t.node.commons(&commons).unwrap().size;
    let n_checkpoints = t.node.store().checkpoints(&commons).await.unwrap().len();
    let cases = [
        (Tamper::Body(7), "event_malformed", Some(7)),
        // A changed header has another id than the stored column, which is checked first.
        (Tamper::Header(9), "stored_columns_mismatch", Some(9)),
        (Tamper::DepWithId(size - 1), "bad_signature", Some(size - 1)),
        (Tamper::Signature(4), "bad_signature", Some(4)),
        (Tamper::Signature(0), "bad_signature", Some(0)),
        (Tamper::KindColumn(5), "stored_columns_mismatch", Some(5)),
        (
            Tamper::TimeColumn(size - 1),
            "stored_columns_mismatch",
            Some(size - 1),
        ),
        (Tamper::DropEvent(11), "event_missing", Some(11)),
        (Tamper::DropEvent(size - 1), "event_missing", Some(size - 1)),
        // Storage index 2 is the parent of leaves 0 and 1, written with leaf 1.
        (Tamper::MerkleHash(2), "merkle_hash_mismatch", Some(1)),
        (Tamper::MerkleHash(13), "merkle_hash_mismatch", Some(7)),
        (Tamper::CheckpointNote(2), "checkpoint_invalid", None),
        (
            Tamper::CheckpointRootColumn(n_checkpoints - 1),
            "checkpoint_invalid",
            Some(size - 1),
        ),
        (Tamper::DropLatestCheckpoint, "checkpoint_missing", None),
        (Tamper::SizeTooLarge, "event_missing", Some(size)),
    ];
    for (tamper, code, index) in cases {
        let store = Tampered {
            inner: t.node.store().clone(),
            tamper,
        };
        let failure = audit_store(&store, &commons, &NoProgress)
            .await
            .unwrap_err();
        let index = match tamper {
            // The note's index is that of the last leaf it covers, whichever that is.
            Tamper::CheckpointNote(_) => failure.index(),
            _ => index,
        };
        assert_failure(&failure, code, index, &format!("{tamper:?}"));
    }
    audit_store(t.node.store(), &commons, &NoProgress)
        .await
        .unwrap();
}

/// A bundle of a small ledger, and the node that sequenced it (whose key signs checkpoints).
async fn small_bundle() -> (TestNode, Ledger, Bundle) {
    let t = TestNode::start().await;
    let ledger = busy_ledger(&t, 3, 4).await;
    let bytes = exported(t.node.store(), &ledger.commons).await;
    let bundle = read_bundle(&bytes).unwrap();
    (t, ledger, bundle)
}

/// Appends `event` to the bundle with a checkpoint, signed by `signer`, whose root covers it.
fn append_with_checkpoint(
    bundle: &mut Bundle,
    event: commons_ledger::Event,
    signer: &commons_ledger::SecretKey,
) {
    bundle.events.push(event);
    let tree = MemoryTree::from_leaf_hashes(bundle.events.iter().map(|e| e.leaf_hash()).collect());
    let checkpoint = Checkpoint {
        origin: commons_ledger::note::origin_for(&bundle.commons),
        size: tree.len(),
        root: tree.root(),
        extensions: Vec::new(),
    };
    bundle.checkpoints.push(BundleCheckpoint {
        size: checkpoint.size,
        root: checkpoint.root,
        note: checkpoint.sign(signer).unwrap().to_text(),
    });
}

fn check_bundle(bundle: &Bundle, code: &str, index: Option<u64>, what: &str) {
    // Every tampered bundle still reads: the audit, not the reader, must catch these.
    let reread = read_bundle(&bundle.encode()).unwrap();
    let failure = audit_bundle(&reread, &NoProgress).unwrap_err();
    assert_failure(&failure, code, index, what);
}

#[tokio::test]
async fn a_bundle_that_breaks_the_ledger_rules_is_refused_with_the_rule_named() {
    let (t, mut ledger, bundle) = small_bundle().await;
    audit_bundle(&bundle, &NoProgress).unwrap();
    let size = bundle.size();
    let time_ms = t.clock.now_ms();

    // The sequencer's second tick, moved before its first, with every checkpoint re-signed
    // over the new order, so only the chain rule can catch it.
    let second_tick = bundle
        .events
        .iter()
        .position(|e| e.header.kind.as_str() == "ledger.tick" && e.header.seq == 1)
        .unwrap();
    let mut reordered = bundle.events.clone();
    let moved = reordered.remove(second_tick);
    reordered.insert(1, moved);
    let mut early_tick = Bundle {
        events: Vec::new(),
        checkpoints: Vec::new(),
        ..bundle.clone()
    };
    for event in reordered {
        append_with_checkpoint(&mut early_tick, event, &t.sequencer);
    }
    check_bundle(
        &early_tick,
        "chain_broken",
        Some(1),
        "an event before its predecessor",
    );

    let mut outsider = Author::new(key(777), ledger.commons);
    let mut not_maintainer = bundle.clone();
    let update = outsider.sign(
        "gov.update",
        &Value::text_map([("licence", Value::text("MIT"))]),
        vec![],
        time_ms,
    );
    append_with_checkpoint(&mut not_maintainer, update, &t.sequencer);
    check_bundle(
        &not_maintainer,
        "rule_rejected",
        Some(size),
        "a gov.update by a non-maintainer",
    );

    let mut unknown_dep = bundle.clone();
    let profile = outsider.sign(
        "agent.profile",
        &commons_testkit::profile_body("O", "person"),
        vec![EventId([7; 32])],
        time_ms,
    );
    append_with_checkpoint(&mut unknown_dep, profile, &t.sequencer);
    check_bundle(
        &unknown_dep,
        "dep_missing",
        Some(size),
        "a dep on an unknown event",
    );

    let mut gap = bundle.clone();
    let mut skipping = ledger.authors[0].clone();
    skipping.next_seq += 1;
    let skipped = skipping.sign(
        "agent.profile",
        &commons_testkit::profile_body("S", "person"),
        vec![],
        time_ms,
    );
    append_with_checkpoint(&mut gap, skipped, &t.sequencer);
    check_bundle(&gap, "chain_broken", Some(size), "a seq gap");

    let mut duplicate = bundle.clone();
    let again = duplicate.events[5].clone();
    append_with_checkpoint(&mut duplicate, again, &t.sequencer);
    check_bundle(
        &duplicate,
        "duplicate_event",
        Some(size),
        "the same event twice",
    );

    let mut foreign = bundle.clone();
    let profile = ledger.authors[1].sign(
        "agent.profile",
        &commons_testkit::profile_body("F", "person"),
        vec![],
        time_ms,
    );
    append_with_checkpoint(&mut foreign, profile, &key(4_242));
    check_bundle(
        &foreign,
        "checkpoint_invalid",
        Some(size),
        "a checkpoint signed by another key",
    );
}

#[tokio::test]
async fn a_bundle_whose_checkpoints_or_header_lie_is_refused() {
    let (t, _ledger, bundle) = small_bundle().await;
    let size = bundle.size();

    let mut forked = bundle.clone();
    let last = forked.checkpoints.last_mut().unwrap();
    let lie = Checkpoint {
        origin: commons_ledger::note::origin_for(&bundle.commons),
        size,
        root: Hash([0x42; 32]),
        extensions: Vec::new(),
    };
    *last = BundleCheckpoint {
        size,
        root: lie.root,
        note: lie.sign(&t.sequencer).unwrap().to_text(),
    };
    check_bundle(
        &forked,
        "checkpoint_root_mismatch",
        Some(size - 1),
        "a signed checkpoint of another tree",
    );

    let mut other_origin = bundle.clone();
    let wrong = Checkpoint {
        origin: "example.com/log".into(),
        size,
        root: other_origin.checkpoints.last().unwrap().root,
        extensions: Vec::new(),
    };
    other_origin.checkpoints.last_mut().unwrap().note = wrong.sign(&t.sequencer).unwrap().to_text();
    check_bundle(
        &other_origin,
        "checkpoint_invalid",
        Some(size - 1),
        "a checkpoint of another log",
    );

    let mut other_sequencer = bundle.clone();
    other_sequencer.sequencer = key(5).author_key();
    check_bundle(
        &other_sequencer,
        "bundle_mismatch",
        None,
        "a header naming another sequencer",
    );

    let mut other_commons = bundle.clone();
    other_commons.commons = CommonsId([9; 32]);
    let failure = audit_bundle(&other_commons, &NoProgress).unwrap_err();
    assert_eq!(failure.code(), "genesis_invalid", "{failure}");

    // Without its last checkpoint the end of the ledger is signed by nobody; the reader
    // refuses such a bundle, and so does the audit of one built in memory.
    let mut unsigned_tail = bundle.clone();
    unsigned_tail.checkpoints.pop();
    assert_eq!(
        read_bundle(&unsigned_tail.encode()).unwrap_err().code(),
        "bundle_checkpoint_order"
    );
    let failure = audit_bundle(&unsigned_tail, &NoProgress).unwrap_err();
    assert_failure(
        &failure,
        "checkpoint_missing",
        None,
        "no checkpoint at the end",
    );

    let rows = projection_rows(&commons_core::replay(bundle.events.iter()).unwrap());
    assert_eq!(
        audit_bundle(&bundle, &NoProgress).unwrap().n_rows,
        rows.len() as u64
    );
}

#[tokio::test]
async fn an_import_refuses_a_bundle_that_does_not_verify_and_writes_nothing() {
    let (_t, _ledger, bundle) = small_bundle().await;
    let mut bad = bundle.clone();
    bad.sequencer = key(5).author_key();
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(&dir, "imported.db").await;
    let error = import(&store, &bad, &NoProgress).await.unwrap_err();
    assert_eq!(error.code(), "bundle_mismatch");
    assert!(store.list_commons().await.unwrap().is_empty());
    import(&store, &bundle, &NoProgress).await.unwrap();
    audit_store(&store, &bundle.commons, &NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_audit_of_an_unknown_commons_says_so() {
    let t = TestNode::start().await;
    let failure = audit_store(t.node.store(), &CommonsId([1; 32]), &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(failure.code(), "commons_unknown");
    let mut sink = Vec::new();
    let error = export(t.node.store(), &CommonsId([1; 32]), &mut sink, &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "commons_unknown");
    assert!(sink.is_empty());
}
