//! The one conformance suite: every promise of the [`Store`] contract, written once and
//! run against every backend, so that a node behaves the same on SQLite and PostgreSQL.
//!
//! Each case is a `pub async fn` that takes a fresh, empty store. A broken promise fails
//! an assertion; `Err` is returned only for a store fault the case did not expect.
//! [`conformance_tests!`](crate::conformance_tests) expands to one `#[tokio::test]` per
//! case, so a backend's test file is a harness function and one macro call. Every event
//! is built deterministically from its arguments; nothing depends on the clock or on
//! randomness.

use crate::{
    AppendBatch, CheckpointRow, CommonsRow, EVENTS_PAGE_MAX, EventQuery, ForkPrefix,
    HASHES_LOOKUP_MAX, IDS_LOOKUP_MAX, ProjectionChange, ProjectionRow, Result, STORED_INTEGER_MAX,
    Store, StoreError, StoredEnvelope, StoredEvent,
};
use commons_ledger::keys::Signature;
use commons_ledger::{AuthorKey, CommonsId, EventId, Hash};
use std::collections::BTreeSet;

/// Expands to one `#[tokio::test]` per conformance case. `$harness` is an async function
/// `(case_name: &'static str, case: impl AsyncFnOnce(&S) -> Result<()>)` that gives the
/// case a fresh store, runs it, cleans up and fails the test if the case returned `Err`.
#[macro_export]
macro_rules! conformance_tests {
    ($harness:path) => {
        $crate::conformance_tests!(@cases $harness; conformance;
            a_new_store_has_no_commons,
            a_batch_with_a_create_name_creates_the_commons_and_every_field_round_trips,
            creating_a_commons_that_already_exists_is_a_conflict_and_writes_nothing,
            an_append_to_an_unknown_commons_is_a_conflict,
            a_batch_that_names_no_commons_is_refused,
            an_append_that_does_not_start_at_the_ledger_size_is_a_conflict_and_writes_nothing,
            a_batch_whose_event_indexes_are_not_consecutive_is_refused,
            consecutive_appends_extend_the_ledger_and_a_rename_changes_the_name,
            a_commons_created_without_events_is_appended_to_from_index_zero,
            a_failed_append_writes_nothing,
            an_empty_batch_with_only_a_checkpoint_is_stored,
            a_checkpoint_beyond_the_ledger_size_is_a_conflict,
            a_checkpoint_at_a_stored_size_replaces_its_note_only_when_the_root_matches,
            checkpoints_are_listed_smallest_first_and_the_latest_is_the_largest,
            events_by_id_returns_known_events_in_ledger_order_and_leaves_out_unknown_ids,
            ids_that_differ_only_in_their_last_byte_are_distinct_events,
            lookups_above_their_limits_are_refused,
            event_by_author_seq_finds_the_one_event_or_none,
            events_range_returns_the_half_open_range_in_ledger_order,
            listings_return_at_most_one_page,
            query_events_matches_the_reference_model_for_every_filter_order_and_limit,
            query_events_cursors_page_through_every_event_exactly_once_in_both_orders,
            read_hashes_returns_hashes_in_the_order_asked,
            reading_a_missing_hash_is_corrupt,
            projection_changes_put_overwrite_and_delete_rows_in_order,
            projection_reads_are_sorted_by_table_then_key_bytewise,
            replace_projections_replaces_every_row_of_only_that_commons,
            replace_projections_of_an_unknown_commons_is_a_conflict,
            commons_are_isolated_from_each_other,
            a_fork_copies_its_parents_prefix_events_authors_and_hashes_with_its_genesis,
            a_fork_whose_parent_is_unknown_or_short_writes_nothing,
            a_fork_prefix_on_a_batch_that_does_not_create_its_commons_is_refused,
            checkpoint_at_finds_the_checkpoint_of_exactly_that_size,
            integers_above_i64_max_are_refused_not_wrapped,
            two_concurrent_appenders_on_one_commons_end_with_one_success_and_one_conflict,
            concurrent_appenders_that_retry_on_conflict_all_land_in_one_contiguous_ledger,
        );
        // Node-local accounts (`AccountStore`), in `conformance_accounts`.
        $crate::conformance_tests!(@cases $harness; conformance_accounts;
            accounts_are_created_and_read_back_by_id_email_and_key,
            an_email_that_is_taken_is_a_conflict_and_writes_nothing,
            a_key_that_is_taken_is_a_conflict_and_writes_nothing,
            display_name_and_password_hash_changes_touch_only_that_account,
            the_account_count_is_capped_by_the_callers_maximum,
            concurrent_account_creations_stay_within_the_cap_and_keep_emails_unique,
            linked_keys_follow_the_custodial_key_and_find_their_account,
            linking_a_taken_key_or_to_an_unknown_account_is_a_conflict,
            an_account_has_at_most_keys_per_account_max_keys,
            sessions_are_created_read_and_deleted,
            purging_expired_sessions_removes_exactly_those_expired,
            a_session_beyond_the_per_account_limit_ends_the_oldest,
            concurrent_sessions_of_one_account_stay_within_the_limit,
            deleting_an_account_erases_its_keys_and_sessions_and_nothing_else,
            account_values_beyond_their_limits_are_refused,
        );
        // Activity figures (`ActivityStore`), in `conformance_activity`.
        $crate::conformance_tests!(@cases $harness; conformance_activity;
            activity_counts_match_a_reference_count_for_every_window,
            activity_over_more_buckets_than_the_limit_is_refused,
        );
        // Content-addressed blobs (`BlobStore`), in `conformance_blobs`.
        $crate::conformance_tests!(@cases $harness; conformance_blobs;
            blobs_are_stored_and_read_back_with_their_reference,
            putting_the_same_blob_again_is_ok_and_stores_it_once,
            bytes_whose_length_is_not_the_size_are_refused_and_nothing_is_written,
            a_blob_of_blob_bytes_max_is_stored_and_one_byte_more_is_too_large,
            a_new_blob_past_the_callers_cap_is_refused_as_the_store_being_full,
            blobs_present_answers_each_reference_in_the_order_asked,
            concurrent_puts_stay_within_the_cap_and_store_each_blob_once,
        );
        // Node-local private details (`PrivateStore`), in `conformance_private`.
        $crate::conformance_tests!(@cases $harness; conformance_private;
            payment_details_are_stored_per_commons_and_person_and_read_back,
            replacing_payment_details_keeps_one_record_with_its_creation_time,
            attachments_are_numbered_in_order_and_read_back_with_their_bytes,
            an_attachment_of_the_byte_limit_is_stored_and_one_byte_more_is_refused,
            an_expense_holds_at_most_attachments_per_expense_max,
            concurrent_attachments_to_one_expense_stay_within_the_limit,
            deleting_an_account_erases_the_payment_details_under_its_keys,
            attachment_values_that_cannot_be_stored_are_refused,
        );
    };
    (@cases $harness:path; $module:ident; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $harness(stringify!($case), async |store| {
                    $crate::$module::$case(store).await
                })
                .await;
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------
// Fixtures

/// Kinds the fixture ledgers cycle through after their genesis.
const KINDS: [&str; 3] = ["post", "vote", "transfer"];
/// Authors the fixture ledgers cycle through.
const AUTHORS_PER_LEDGER: u64 = 3;

/// A deterministic commons id.
pub fn commons_id(tag: u8) -> CommonsId {
    CommonsId(Hash::of(&[b"conformance commons", &[tag]]).0)
}

/// A deterministic author key (the store does not check that it is a curve point).
pub fn author(tag: u8) -> AuthorKey {
    AuthorKey([tag; 32])
}

/// A deterministic event whose every field depends on the arguments, so that two columns
/// swapped or truncated by a backend show up as a difference.
pub fn event(
    commons: &CommonsId,
    index: u64,
    author_tag: u8,
    seq: u64,
    kind: &str,
    time_ms: u64,
) -> StoredEvent {
    let id = Hash::of(&[
        &commons.0,
        &index.to_be_bytes(),
        &[author_tag],
        &seq.to_be_bytes(),
        kind.as_bytes(),
    ]);
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(&Hash::of(&[b"signature 1", &id.0]).0);
    signature[32..].copy_from_slice(&Hash::of(&[b"signature 2", &id.0]).0);
    StoredEvent {
        index,
        id: EventId(id.0),
        author: author(author_tag),
        seq,
        kind: kind.to_owned(),
        time_ms,
        header_bytes: [b"header ".as_slice(), &id.0].concat(),
        signature: Signature(signature),
        // Every fourth body is withheld, to keep NULL bodies in every listing.
        body: if index % 4 == 3 {
            None
        } else {
            Some(format!("body of event {index}").into_bytes())
        },
    }
}

/// Events `from..to` of a fixture ledger: a genesis, then authors 1 to 3 in turn (each
/// with consecutive seqs), kinds in turn two events at a time, and times that repeat in
/// pairs.
pub fn ledger_events(commons: &CommonsId, from: u64, to: u64) -> Vec<StoredEvent> {
    (from..to)
        .map(|index| {
            let author_tag = 1 + u8::try_from(index % AUTHORS_PER_LEDGER).unwrap_or(0);
            let kind = if index == 0 {
                "commons.genesis"
            } else {
                KINDS[usize::try_from((index / 2) % 3).unwrap_or(0)]
            };
            event(
                commons,
                index,
                author_tag,
                index / AUTHORS_PER_LEDGER + 1,
                kind,
                1_000 + (index / 2) * 10,
            )
        })
        .collect()
}

/// The Merkle hash the fixtures store for an event, at the event's own index.
pub fn stored_hash(event: &StoredEvent) -> Hash {
    Hash::of(&[b"stored hash", &event.id.0])
}

fn hashes_for(events: &[StoredEvent]) -> Vec<(u64, Hash)> {
    events
        .iter()
        .map(|event| (event.index, stored_hash(event)))
        .collect()
}

/// A batch that creates `commons` with `events`.
pub fn creating(commons: &CommonsId, name: &str, events: Vec<StoredEvent>) -> AppendBatch {
    AppendBatch {
        commons: Some(*commons),
        create_name: Some(name.to_owned()),
        hashes: hashes_for(&events),
        events,
        ..AppendBatch::default()
    }
}

/// A batch that appends `events` to `commons`.
pub fn appending(commons: &CommonsId, events: Vec<StoredEvent>) -> AppendBatch {
    AppendBatch {
        commons: Some(*commons),
        hashes: hashes_for(&events),
        events,
        ..AppendBatch::default()
    }
}

/// A checkpoint whose root depends on the size alone, so that re-signing one is easy.
pub fn checkpoint(size: u64, note_tag: &str) -> CheckpointRow {
    CheckpointRow {
        size,
        root: Hash::of(&[b"root", &size.to_be_bytes()]),
        note: format!("conformance.example/commons\n{size}\n{note_tag}\n"),
    }
}

pub fn projection_row(table: &str, key: &[u8], value: &[u8]) -> ProjectionRow {
    ProjectionRow {
        table: table.to_owned(),
        key: key.to_vec(),
        value: value.to_vec(),
    }
}

fn put(table: &str, key: &[u8], value: &[u8]) -> ProjectionChange {
    ProjectionChange::Put(projection_row(table, key, value))
}

fn delete(table: &str, key: &[u8]) -> ProjectionChange {
    ProjectionChange::Delete {
        table: table.to_owned(),
        key: key.to_vec(),
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T>, context: &str) {
    match result {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("{context}: expected a conflict, got {other:?}"),
    }
}

fn assert_limit<T: std::fmt::Debug>(result: Result<T>, context: &str) {
    match result {
        Err(StoreError::Limit(_)) => {}
        other => panic!("{context}: expected a limit error, got {other:?}"),
    }
}

fn assert_corrupt<T: std::fmt::Debug>(result: Result<T>, context: &str) {
    match result {
        Err(StoreError::Corrupt(_)) => {}
        other => panic!("{context}: expected a corrupt error, got {other:?}"),
    }
}

/// Everything a store holds for one commons, to show that a refused batch changed nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    all_commons: Vec<CommonsRow>,
    commons: Option<CommonsRow>,
    events: Vec<StoredEvent>,
    /// Whether a hash is stored at each index up to a few past the ledger's size.
    hashes: Vec<Option<Hash>>,
    checkpoints: Vec<CheckpointRow>,
    projections: Vec<ProjectionRow>,
}

/// Hash indexes past the ledger size that a snapshot also probes.
const SNAPSHOT_HASHES_BEYOND: u64 = 8;

async fn snapshot<S: Store>(store: &S, commons: &CommonsId) -> Result<Snapshot> {
    let row = store.commons(commons).await?;
    let size = row.as_ref().map_or(0, |row| row.size);
    let mut hashes = Vec::new();
    for index in 0..size + SNAPSHOT_HASHES_BEYOND {
        hashes.push(match store.read_hashes(commons, &[index]).await {
            Ok(found) => found.first().copied(),
            Err(StoreError::Corrupt(_)) => None,
            Err(other) => return Err(other),
        });
    }
    Ok(Snapshot {
        all_commons: store.list_commons().await?,
        commons: row,
        events: store.events_range(commons, 0, u64::MAX).await?,
        hashes,
        checkpoints: store.checkpoints(commons).await?,
        projections: store.projection_rows(commons).await?,
    })
}

/// What `query_events` must return, computed from the events in memory.
fn reference_query(events: &[StoredEvent], query: &EventQuery) -> Vec<StoredEvent> {
    let mut matching: Vec<StoredEvent> = events
        .iter()
        .filter(|event| {
            query.kind.as_ref().is_none_or(|kind| &event.kind == kind)
                && query.author.is_none_or(|author| event.author == author)
                && query.time_from_ms.is_none_or(|from| event.time_ms >= from)
                && query.time_to_ms.is_none_or(|to| event.time_ms < to)
                && query.from_index.is_none_or(|from| event.index >= from)
                && query.before_index.is_none_or(|before| event.index < before)
        })
        .cloned()
        .collect();
    matching.sort_by_key(|event| event.index);
    if query.descending {
        matching.reverse();
    }
    matching.truncate(usize::try_from(query.limit.min(EVENTS_PAGE_MAX)).unwrap_or(usize::MAX));
    matching
}

// ---------------------------------------------------------------------------------------
// Creating and appending

pub async fn a_new_store_has_no_commons<S: Store>(store: &S) -> Result<()> {
    assert_eq!(store.list_commons().await?, vec![]);
    assert_eq!(store.commons(&commons_id(1)).await?, None);
    Ok(())
}

pub async fn a_batch_with_a_create_name_creates_the_commons_and_every_field_round_trips<
    S: Store,
>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let mut events = ledger_events(&commons, 0, 6);
    // An empty body is not a withheld one.
    events[1].body = Some(Vec::new());
    assert_eq!(events[3].body, None);
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;

    let row = CommonsRow {
        id: commons,
        name: "Garden".to_owned(),
        size: 6,
    };
    assert_eq!(store.commons(&commons).await?, Some(row.clone()));
    assert_eq!(store.list_commons().await?, vec![row]);
    assert_eq!(store.events_range(&commons, 0, 6).await?, events);
    let indexes: Vec<u64> = (0..6).collect();
    let expected: Vec<Hash> = events.iter().map(stored_hash).collect();
    assert_eq!(store.read_hashes(&commons, &indexes).await?, expected);
    Ok(())
}

pub async fn creating_a_commons_that_already_exists_is_a_conflict_and_writes_nothing<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    store
        .append(&creating(&commons, "Garden", ledger_events(&commons, 0, 4)))
        .await?;
    let before = snapshot(store, &commons).await?;

    let mut again = creating(&commons, "Other", ledger_events(&commons, 4, 6));
    again.projections = vec![put("t", b"k", b"v")];
    again.checkpoint = Some(checkpoint(6, "again"));
    assert_conflict(
        store.append(&again).await,
        "creating it again after its ledger",
    );
    assert_conflict(
        store.append(&creating(&commons, "Other", vec![])).await,
        "creating it again without events",
    );
    assert_eq!(snapshot(store, &commons).await?, before);
    Ok(())
}

pub async fn an_append_to_an_unknown_commons_is_a_conflict<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    assert_conflict(
        store
            .append(&appending(&commons, ledger_events(&commons, 0, 2)))
            .await,
        "appending events",
    );
    let checkpoint_only = AppendBatch {
        commons: Some(commons),
        checkpoint: Some(checkpoint(0, "empty")),
        ..AppendBatch::default()
    };
    assert_conflict(
        store.append(&checkpoint_only).await,
        "appending a checkpoint",
    );
    assert_eq!(store.list_commons().await?, vec![]);
    assert_eq!(store.events_range(&commons, 0, u64::MAX).await?, vec![]);
    Ok(())
}

pub async fn a_batch_that_names_no_commons_is_refused<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    let mut batch = creating(&commons, "Garden", ledger_events(&commons, 0, 2));
    batch.commons = None;
    assert_conflict(store.append(&batch).await, "a batch without a commons");
    assert_eq!(store.list_commons().await?, vec![]);
    Ok(())
}

pub async fn an_append_that_does_not_start_at_the_ledger_size_is_a_conflict_and_writes_nothing<
    S: Store,
>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    store
        .append(&creating(&commons, "Garden", ledger_events(&commons, 0, 4)))
        .await?;
    let before = snapshot(store, &commons).await?;

    let mut gap = appending(&commons, ledger_events(&commons, 5, 7));
    gap.projections = vec![put("t", b"k", b"v")];
    gap.checkpoint = Some(checkpoint(4, "gap"));
    assert_conflict(store.append(&gap).await, "a batch leaving a gap");
    let mut overlap = appending(&commons, ledger_events(&commons, 3, 6));
    overlap.rename = Some("Renamed".to_owned());
    assert_conflict(
        store.append(&overlap).await,
        "a batch overlapping the ledger",
    );
    assert_eq!(snapshot(store, &commons).await?, before);

    let other = commons_id(2);
    assert_conflict(
        store
            .append(&creating(&other, "Other", ledger_events(&other, 1, 3)))
            .await,
        "a creating batch that does not start at zero",
    );
    assert_eq!(store.commons(&other).await?, None);
    Ok(())
}

pub async fn a_batch_whose_event_indexes_are_not_consecutive_is_refused<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    store
        .append(&creating(&commons, "Garden", ledger_events(&commons, 0, 2)))
        .await?;
    let before = snapshot(store, &commons).await?;

    let events = ledger_events(&commons, 2, 5);
    let skipping = vec![events[0].clone(), events[2].clone()];
    assert_conflict(
        store.append(&appending(&commons, skipping)).await,
        "skipping an index",
    );
    let mut repeating = vec![events[0].clone(), events[1].clone()];
    repeating[1].index = 2;
    assert_conflict(
        store.append(&appending(&commons, repeating)).await,
        "repeating an index",
    );
    let backwards = vec![events[1].clone(), events[0].clone()];
    assert_conflict(
        store.append(&appending(&commons, backwards)).await,
        "going backwards",
    );
    assert_eq!(snapshot(store, &commons).await?, before);
    Ok(())
}

pub async fn consecutive_appends_extend_the_ledger_and_a_rename_changes_the_name<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let events = ledger_events(&commons, 0, 8);
    store
        .append(&creating(&commons, "Garden", events[..3].to_vec()))
        .await?;
    let mut renaming = appending(&commons, events[3..7].to_vec());
    renaming.rename = Some("Community garden".to_owned());
    store.append(&renaming).await?;
    store
        .append(&appending(&commons, events[7..].to_vec()))
        .await?;

    assert_eq!(
        store.commons(&commons).await?,
        Some(CommonsRow {
            id: commons,
            name: "Community garden".to_owned(),
            size: 8,
        })
    );
    assert_eq!(store.events_range(&commons, 0, u64::MAX).await?, events);
    Ok(())
}

pub async fn a_commons_created_without_events_is_appended_to_from_index_zero<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    store.append(&creating(&commons, "Fork", vec![])).await?;
    assert_eq!(store.commons(&commons).await?.map(|row| row.size), Some(0));
    let events = ledger_events(&commons, 0, 3);
    store.append(&appending(&commons, events.clone())).await?;
    assert_eq!(store.commons(&commons).await?.map(|row| row.size), Some(3));
    assert_eq!(store.events_range(&commons, 0, 3).await?, events);
    Ok(())
}

pub async fn a_failed_append_writes_nothing<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    let stored = ledger_events(&commons, 0, 4);
    let mut first = creating(&commons, "Garden", stored.clone());
    first.projections = vec![put("members", b"a", b"1"), put("members", b"b", b"1")];
    first.checkpoint = Some(checkpoint(4, "first"));
    store.append(&first).await?;
    let before = snapshot(store, &commons).await?;

    // Everything a batch can write, so that any part written before the failure shows.
    let full_batch = |events: Vec<StoredEvent>| {
        let size = events.last().map_or(4, |event| event.index + 1);
        let mut batch = appending(&commons, events);
        batch.rename = Some("Broken".to_owned());
        batch.projections = vec![
            put("members", b"a", b"2"),
            delete("members", b"b"),
            put("members", b"c", b"1"),
        ];
        batch.checkpoint = Some(checkpoint(size, "broken"));
        batch
    };

    let mut duplicate_in_batch = ledger_events(&commons, 4, 7);
    duplicate_in_batch[2].id = duplicate_in_batch[0].id;
    let result = store.append(&full_batch(duplicate_in_batch)).await;
    assert!(
        result.is_err(),
        "a duplicate id inside the batch was accepted"
    );
    assert_eq!(
        snapshot(store, &commons).await?,
        before,
        "after a duplicate id in the batch"
    );

    let mut duplicate_of_stored = ledger_events(&commons, 4, 6);
    duplicate_of_stored[1].id = stored[1].id;
    let result = store.append(&full_batch(duplicate_of_stored)).await;
    assert!(result.is_err(), "a duplicate of a stored id was accepted");
    assert_eq!(
        snapshot(store, &commons).await?,
        before,
        "after a duplicate of a stored id"
    );

    let mut second_for_author_seq = ledger_events(&commons, 4, 6);
    second_for_author_seq[1].author = stored[2].author;
    second_for_author_seq[1].seq = stored[2].seq;
    let result = store.append(&full_batch(second_for_author_seq)).await;
    assert!(
        result.is_err(),
        "a second event for one author and seq was accepted"
    );
    assert_eq!(
        snapshot(store, &commons).await?,
        before,
        "after a repeated author and seq"
    );

    let mut rewriting_a_hash = full_batch(ledger_events(&commons, 4, 6));
    rewriting_a_hash
        .hashes
        .push((2, Hash::of(&[b"another hash"])));
    let result = store.append(&rewriting_a_hash).await;
    assert!(
        result.is_err(),
        "a second hash at a stored index was accepted"
    );
    assert_eq!(
        snapshot(store, &commons).await?,
        before,
        "after a repeated hash index"
    );

    // The store is still writable, and the same batch without the fault goes through.
    let good = full_batch(ledger_events(&commons, 4, 6));
    store.append(&good).await?;
    let after = snapshot(store, &commons).await?;
    assert_eq!(
        after.commons.map(|row| (row.name, row.size)),
        Some(("Broken".to_owned(), 6))
    );
    assert_eq!(after.events, ledger_events(&commons, 0, 6));
    assert_eq!(
        after.projections,
        vec![
            projection_row("members", b"a", b"2"),
            projection_row("members", b"c", b"1")
        ]
    );
    assert_eq!(
        after.checkpoints,
        vec![checkpoint(4, "first"), checkpoint(6, "broken")]
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Checkpoints

pub async fn an_empty_batch_with_only_a_checkpoint_is_stored<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    store
        .append(&creating(&commons, "Garden", ledger_events(&commons, 0, 4)))
        .await?;
    let only_checkpoint = |size| AppendBatch {
        commons: Some(commons),
        checkpoint: Some(checkpoint(size, "late")),
        ..AppendBatch::default()
    };
    store.append(&only_checkpoint(4)).await?;
    assert_eq!(
        store.latest_checkpoint(&commons).await?,
        Some(checkpoint(4, "late"))
    );
    // A checkpoint of an earlier size may be stored late (say, when importing a history).
    store.append(&only_checkpoint(2)).await?;
    assert_eq!(
        store.checkpoints(&commons).await?,
        vec![checkpoint(2, "late"), checkpoint(4, "late")]
    );
    assert_eq!(
        store.latest_checkpoint(&commons).await?,
        Some(checkpoint(4, "late"))
    );
    assert_eq!(store.commons(&commons).await?.map(|row| row.size), Some(4));
    Ok(())
}

pub async fn a_checkpoint_beyond_the_ledger_size_is_a_conflict<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    store
        .append(&creating(&commons, "Garden", ledger_events(&commons, 0, 4)))
        .await?;
    let before = snapshot(store, &commons).await?;

    let ahead = AppendBatch {
        commons: Some(commons),
        checkpoint: Some(checkpoint(5, "ahead")),
        ..AppendBatch::default()
    };
    assert_conflict(
        store.append(&ahead).await,
        "a checkpoint alone beyond the ledger",
    );
    let mut ahead_of_batch = appending(&commons, ledger_events(&commons, 4, 6));
    ahead_of_batch.checkpoint = Some(checkpoint(7, "ahead"));
    assert_conflict(
        store.append(&ahead_of_batch).await,
        "a checkpoint beyond the batch",
    );
    assert_eq!(snapshot(store, &commons).await?, before);

    let mut exact = appending(&commons, ledger_events(&commons, 4, 6));
    exact.checkpoint = Some(checkpoint(6, "exact"));
    store.append(&exact).await?;
    assert_eq!(
        store.latest_checkpoint(&commons).await?,
        Some(checkpoint(6, "exact"))
    );
    Ok(())
}

pub async fn a_checkpoint_at_a_stored_size_replaces_its_note_only_when_the_root_matches<
    S: Store,
>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let mut first = creating(&commons, "Garden", ledger_events(&commons, 0, 4));
    first.checkpoint = Some(checkpoint(4, "signed"));
    store.append(&first).await?;

    let cosigned = AppendBatch {
        commons: Some(commons),
        checkpoint: Some(checkpoint(4, "signed and cosigned")),
        ..AppendBatch::default()
    };
    store.append(&cosigned).await?;
    assert_eq!(
        store.checkpoints(&commons).await?,
        vec![checkpoint(4, "signed and cosigned")]
    );

    let mut forked_root = checkpoint(4, "a different tree");
    forked_root.root = Hash::of(&[b"another root"]);
    let contradicting = AppendBatch {
        commons: Some(commons),
        checkpoint: Some(forked_root),
        ..AppendBatch::default()
    };
    assert_conflict(
        store.append(&contradicting).await,
        "a checkpoint with another root",
    );
    assert_eq!(
        store.checkpoints(&commons).await?,
        vec![checkpoint(4, "signed and cosigned")]
    );
    Ok(())
}

pub async fn checkpoints_are_listed_smallest_first_and_the_latest_is_the_largest<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    assert_eq!(store.latest_checkpoint(&commons).await?, None);
    assert_eq!(store.checkpoints(&commons).await?, vec![]);
    let events = ledger_events(&commons, 0, 12);
    let mut batch = creating(&commons, "Garden", events[..2].to_vec());
    batch.checkpoint = Some(checkpoint(2, "a"));
    store.append(&batch).await?;
    for (from, to) in [(2, 5), (5, 12)] {
        let mut batch = appending(&commons, events[from..to].to_vec());
        batch.checkpoint = Some(checkpoint(count(to), "a"));
        store.append(&batch).await?;
    }
    let late = AppendBatch {
        commons: Some(commons),
        checkpoint: Some(checkpoint(3, "a")),
        ..AppendBatch::default()
    };
    store.append(&late).await?;
    let sizes: Vec<u64> = store
        .checkpoints(&commons)
        .await?
        .iter()
        .map(|c| c.size)
        .collect();
    assert_eq!(sizes, vec![2, 3, 5, 12]);
    assert_eq!(
        store.latest_checkpoint(&commons).await?,
        Some(checkpoint(12, "a"))
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reading events

pub async fn events_by_id_returns_known_events_in_ledger_order_and_leaves_out_unknown_ids<
    S: Store,
>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let events = ledger_events(&commons, 0, 10);
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;
    let other = commons_id(2);
    let other_events = ledger_events(&other, 0, 3);
    store
        .append(&creating(&other, "Other", other_events.clone()))
        .await?;

    let unknown = EventId(Hash::of(&[b"unknown"]).0);
    let asked = [
        events[7].id,
        unknown,
        events[2].id,
        other_events[1].id,
        events[5].id,
        events[2].id,
    ];
    assert_eq!(
        store.events_by_id(&commons, &asked).await?,
        vec![events[2].clone(), events[5].clone(), events[7].clone()]
    );
    assert_eq!(store.events_by_id(&commons, &[]).await?, vec![]);
    assert_eq!(
        store.events_by_id(&commons_id(3), &[events[0].id]).await?,
        vec![]
    );
    Ok(())
}

/// A backend may index a prefix of the ids; ids that share all but their last byte must
/// still be told apart by every lookup and by the uniqueness of ids.
pub async fn ids_that_differ_only_in_their_last_byte_are_distinct_events<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let mut events = ledger_events(&commons, 0, 5);
    let shared = events[1].id;
    for (offset, event) in events.iter_mut().enumerate().skip(2) {
        event.id = shared;
        event.id.0[31] ^= u8::try_from(offset).unwrap_or(0);
    }
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;
    for event in &events {
        assert_eq!(
            store.events_by_id(&commons, &[event.id]).await?,
            vec![event.clone()]
        );
    }
    let mut unknown = shared;
    unknown.0[31] ^= 0x80;
    assert_eq!(store.events_by_id(&commons, &[unknown]).await?, vec![]);
    assert_eq!(
        store
            .events_by_id(&commons, &[events[4].id, unknown, events[1].id])
            .await?,
        vec![events[1].clone(), events[4].clone()]
    );

    let before = snapshot(store, &commons).await?;
    let mut duplicate = ledger_events(&commons, 5, 7);
    duplicate[1].id = events[3].id;
    let result = store.append(&appending(&commons, duplicate)).await;
    assert!(result.is_err(), "a duplicate of a stored id was accepted");
    assert_eq!(snapshot(store, &commons).await?, before);
    let mut near = ledger_events(&commons, 5, 7);
    near[1].id = unknown;
    store.append(&appending(&commons, near.clone())).await?;
    assert_eq!(
        store.events_by_id(&commons, &[unknown]).await?,
        vec![near[1].clone()]
    );
    Ok(())
}

pub async fn lookups_above_their_limits_are_refused<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    let events = ledger_events(&commons, 0, 2);
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;

    let mut ids: Vec<EventId> = (0..IDS_LOOKUP_MAX - 1)
        .map(|n| EventId(Hash::of(&[b"unknown", &count(n).to_be_bytes()]).0))
        .collect();
    ids.push(events[1].id);
    assert_eq!(ids.len(), IDS_LOOKUP_MAX);
    assert_eq!(
        store.events_by_id(&commons, &ids).await?,
        vec![events[1].clone()]
    );
    ids.push(events[0].id);
    assert_limit(store.events_by_id(&commons, &ids).await, "one id too many");

    let mut indexes = vec![1; HASHES_LOOKUP_MAX];
    assert_eq!(
        store.read_hashes(&commons, &indexes).await?,
        vec![stored_hash(&events[1]); HASHES_LOOKUP_MAX]
    );
    indexes.push(0);
    assert_limit(
        store.read_hashes(&commons, &indexes).await,
        "one hash too many",
    );
    Ok(())
}

pub async fn event_by_author_seq_finds_the_one_event_or_none<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    let events = ledger_events(&commons, 0, 10);
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;
    for event in &events {
        assert_eq!(
            store
                .event_by_author_seq(&commons, &event.author, event.seq)
                .await?,
            Some(event.clone())
        );
    }
    assert_eq!(
        store.event_by_author_seq(&commons, &author(1), 99).await?,
        None
    );
    assert_eq!(
        store.event_by_author_seq(&commons, &author(9), 1).await?,
        None
    );
    assert_eq!(
        store
            .event_by_author_seq(&commons, &author(1), u64::MAX)
            .await?,
        None
    );
    assert_eq!(
        store
            .event_by_author_seq(&commons_id(2), &author(1), 1)
            .await?,
        None
    );
    Ok(())
}

pub async fn events_range_returns_the_half_open_range_in_ledger_order<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let events = ledger_events(&commons, 0, 10);
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;
    assert_eq!(
        store.events_range(&commons, 2, 5).await?,
        events[2..5].to_vec()
    );
    assert_eq!(store.events_range(&commons, 5, 5).await?, vec![]);
    assert_eq!(store.events_range(&commons, 7, 3).await?, vec![]);
    assert_eq!(
        store.events_range(&commons, 8, 100).await?,
        events[8..].to_vec()
    );
    assert_eq!(store.events_range(&commons, 0, u64::MAX).await?, events);
    assert_eq!(
        store.events_range(&commons, u64::MAX, u64::MAX).await?,
        vec![]
    );
    assert_eq!(store.events_range(&commons_id(2), 0, 10).await?, vec![]);
    // The lean read of the same ranges gives the same envelopes.
    for (from, to) in [
        (2, 5),
        (5, 5),
        (7, 3),
        (8, 100),
        (0, u64::MAX),
        (u64::MAX, u64::MAX),
    ] {
        let envelopes: Vec<StoredEnvelope> = store
            .events_range(&commons, from, to)
            .await?
            .into_iter()
            .map(StoredEnvelope::from)
            .collect();
        assert_eq!(
            store.envelopes_range(&commons, from, to).await?,
            envelopes,
            "envelopes {from}..{to}"
        );
    }
    Ok(())
}

pub async fn listings_return_at_most_one_page<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    let page = usize::try_from(EVENTS_PAGE_MAX).unwrap_or(usize::MAX);
    let total = EVENTS_PAGE_MAX + 100;
    let events = ledger_events(&commons, 0, total);
    // One batch larger than a page also exercises the backends' statement chunking.
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;

    assert_eq!(
        store.events_range(&commons, 0, u64::MAX).await?,
        events[..page].to_vec()
    );
    assert_eq!(
        store
            .events_range(&commons, EVENTS_PAGE_MAX, u64::MAX)
            .await?,
        events[page..].to_vec()
    );
    assert_eq!(
        store.envelopes_range(&commons, 0, u64::MAX).await?.len(),
        page
    );
    let ascending = EventQuery {
        limit: u64::MAX,
        ..EventQuery::default()
    };
    assert_eq!(
        store.query_events(&commons, &ascending).await?,
        events[..page].to_vec()
    );
    let descending = EventQuery {
        limit: EVENTS_PAGE_MAX + 1,
        descending: true,
        ..EventQuery::default()
    };
    let mut newest: Vec<StoredEvent> = events[events.len() - page..].to_vec();
    newest.reverse();
    assert_eq!(store.query_events(&commons, &descending).await?, newest);
    Ok(())
}

pub async fn query_events_matches_the_reference_model_for_every_filter_order_and_limit<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let events = ledger_events(&commons, 0, 40);
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;
    // Another commons with the same authors, kinds and times must never leak in.
    let other = commons_id(2);
    store
        .append(&creating(&other, "Other", ledger_events(&other, 0, 40)))
        .await?;

    let kinds = [None, Some("post"), Some("commons.genesis"), Some("absent")];
    let authors = [None, Some(author(2)), Some(author(9))];
    let times = [
        (None, None),
        (Some(1_050), None),
        (None, Some(1_120)),
        (Some(1_050), Some(1_120)),
    ];
    let index_bounds = [
        (None, None),
        (Some(5), None),
        (None, Some(30)),
        (Some(5), Some(30)),
    ];
    let limits = [0, 1, 7, EVENTS_PAGE_MAX];
    let mut n_queries = 0u32;
    let mut n_nonempty = 0u32;
    for kind in kinds {
        for author in authors {
            for (time_from_ms, time_to_ms) in times {
                for (from_index, before_index) in index_bounds {
                    for descending in [false, true] {
                        for limit in limits {
                            let query = EventQuery {
                                kind: kind.map(str::to_owned),
                                author,
                                time_from_ms,
                                time_to_ms,
                                before_index,
                                from_index,
                                descending,
                                limit,
                            };
                            let expected = reference_query(&events, &query);
                            assert_eq!(
                                store.query_events(&commons, &query).await?,
                                expected,
                                "{query:?}"
                            );
                            n_queries += 1;
                            n_nonempty += u32::from(!expected.is_empty());
                        }
                    }
                }
            }
        }
    }
    // Many combinations cannot match by design (an absent kind, an unknown author, a
    // zero limit), so the bar is low; it still catches a fixture that stops exercising
    // the filters, which would make the comparison with the model prove little.
    assert!(
        n_nonempty * 5 > n_queries,
        "{n_nonempty} of {n_queries} queries matched events"
    );
    Ok(())
}

pub async fn query_events_cursors_page_through_every_event_exactly_once_in_both_orders<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let events = ledger_events(&commons, 0, 40);
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;
    let page_size = 7;
    for filter in [
        EventQuery::default(),
        EventQuery {
            kind: Some("post".to_owned()),
            ..EventQuery::default()
        },
        EventQuery {
            author: Some(author(2)),
            time_from_ms: Some(1_030),
            ..EventQuery::default()
        },
    ] {
        for descending in [false, true] {
            let everything = reference_query(
                &events,
                &EventQuery {
                    descending,
                    limit: EVENTS_PAGE_MAX,
                    ..filter.clone()
                },
            );
            let mut seen = Vec::new();
            let mut cursor: Option<u64> = None;
            loop {
                let query = EventQuery {
                    descending,
                    limit: page_size,
                    from_index: if descending { None } else { cursor },
                    before_index: if descending { cursor } else { None },
                    ..filter.clone()
                };
                let page = store.query_events(&commons, &query).await?;
                let Some(last) = page.last() else { break };
                cursor = Some(if descending {
                    last.index
                } else {
                    last.index + 1
                });
                seen.extend(page);
                assert!(
                    seen.len() <= events.len(),
                    "paging does not end: {filter:?}"
                );
            }
            assert_eq!(seen, everything, "{filter:?}, descending {descending}");
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Stored hashes

pub async fn read_hashes_returns_hashes_in_the_order_asked<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    let events = ledger_events(&commons, 0, 10);
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;
    let asked = [7, 0, 3, 7, 9];
    let expected: Vec<Hash> = asked
        .iter()
        .map(|index| stored_hash(&events[usize::try_from(*index).unwrap_or(0)]))
        .collect();
    assert_eq!(store.read_hashes(&commons, &asked).await?, expected);
    assert_eq!(store.read_hashes(&commons, &[]).await?, vec![]);
    Ok(())
}

pub async fn reading_a_missing_hash_is_corrupt<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    store
        .append(&creating(
            &commons,
            "Garden",
            ledger_events(&commons, 0, 10),
        ))
        .await?;
    let other = commons_id(2);
    store
        .append(&creating(&other, "Other", ledger_events(&other, 0, 3)))
        .await?;
    assert_corrupt(
        store.read_hashes(&commons, &[0, 10]).await,
        "an index past the ledger",
    );
    assert_corrupt(
        store.read_hashes(&commons, &[u64::MAX]).await,
        "an unstorable index",
    );
    assert_corrupt(
        store.read_hashes(&other, &[5]).await,
        "an index of another commons",
    );
    assert_corrupt(
        store.read_hashes(&commons_id(3), &[0]).await,
        "an unknown commons",
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Projections

pub async fn projection_changes_put_overwrite_and_delete_rows_in_order<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let mut first = creating(&commons, "Garden", ledger_events(&commons, 0, 2));
    first.projections = vec![
        put("t", b"a", b"1"),
        put("t", b"b", b"1"),
        put("u", b"a", b"1"),
    ];
    store.append(&first).await?;

    let mut second = appending(&commons, ledger_events(&commons, 2, 4));
    second.projections = vec![
        put("t", b"a", b"2"),
        delete("t", b"b"),
        delete("t", b"never there"),
        put("u", b"c", b"1"),
        delete("u", b"c"),
        put("v", b"x", b"1"),
        delete("v", b"x"),
        put("v", b"x", b"2"),
        put("v", b"y", b"1"),
        put("v", b"y", b"3"),
    ];
    store.append(&second).await?;
    assert_eq!(
        store.projection_rows(&commons).await?,
        vec![
            projection_row("t", b"a", b"2"),
            projection_row("u", b"a", b"1"),
            projection_row("v", b"x", b"2"),
            projection_row("v", b"y", b"3"),
        ]
    );
    // A batch of projection changes alone is a valid batch too.
    let only_projections = AppendBatch {
        commons: Some(commons),
        projections: vec![delete("u", b"a")],
        ..AppendBatch::default()
    };
    store.append(&only_projections).await?;
    assert_eq!(store.projection_table(&commons, "u").await?, vec![]);
    Ok(())
}

pub async fn projection_reads_are_sorted_by_table_then_key_bytewise<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    // Uppercase before lowercase, a prefix before its extensions, non-ASCII last, and
    // keys compared as unsigned bytes: an order a locale-aware collation would break.
    let mut rows = vec![
        projection_row("b", &[0xff], b"1"),
        projection_row("été", &[0x00], b"2"),
        projection_row("B", &[0x80], b"3"),
        projection_row("a_b", &[], b"4"),
        projection_row("a", &[0x7f], b""),
        projection_row("a", &[0x80], b"6"),
        projection_row("a", &[0x00, 0x00], b"7"),
        projection_row("a", &[], b"8"),
        projection_row("a", &[0x00], b"9"),
        projection_row("ab", &[0x01], b"10"),
    ];
    let mut batch = creating(&commons, "Garden", ledger_events(&commons, 0, 1));
    batch.projections = rows.iter().cloned().map(ProjectionChange::Put).collect();
    store.append(&batch).await?;
    rows.sort();
    assert_eq!(store.projection_rows(&commons).await?, rows);
    let table_a: Vec<ProjectionRow> = rows
        .iter()
        .filter(|row| row.table == "a")
        .cloned()
        .collect();
    assert_eq!(table_a.len(), 5);
    assert_eq!(store.projection_table(&commons, "a").await?, table_a);
    assert_eq!(store.projection_table(&commons, "A").await?, vec![]);
    assert_eq!(store.projection_rows(&commons_id(2)).await?, vec![]);
    Ok(())
}

pub async fn replace_projections_replaces_every_row_of_only_that_commons<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let other = commons_id(2);
    for (id, name) in [(commons, "Garden"), (other, "Other")] {
        let mut batch = creating(&id, name, ledger_events(&id, 0, 2));
        batch.projections = vec![put("t", b"a", b"old"), put("u", b"b", b"old")];
        store.append(&batch).await?;
    }
    let other_rows = store.projection_rows(&other).await?;

    let replacement = vec![
        projection_row("u", b"b", b"first"),
        projection_row("t", b"z", b"new"),
        projection_row("u", b"b", b"last wins"),
    ];
    store.replace_projections(&commons, &replacement).await?;
    assert_eq!(
        store.projection_rows(&commons).await?,
        vec![
            projection_row("t", b"z", b"new"),
            projection_row("u", b"b", b"last wins")
        ]
    );
    assert_eq!(store.projection_rows(&other).await?, other_rows);

    // Appends keep upserting on top of a replacement.
    let mut batch = appending(&commons, ledger_events(&commons, 2, 3));
    batch.projections = vec![put("t", b"z", b"newer")];
    store.append(&batch).await?;
    assert_eq!(
        store.projection_table(&commons, "t").await?,
        vec![projection_row("t", b"z", b"newer")]
    );

    store.replace_projections(&commons, &[]).await?;
    assert_eq!(store.projection_rows(&commons).await?, vec![]);
    assert_eq!(store.projection_rows(&other).await?, other_rows);
    Ok(())
}

pub async fn replace_projections_of_an_unknown_commons_is_a_conflict<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    assert_conflict(
        store
            .replace_projections(&commons, &[projection_row("t", b"a", b"1")])
            .await,
        "replacing the projections of an unknown commons",
    );
    assert_eq!(store.projection_rows(&commons).await?, vec![]);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Several commons

pub async fn commons_are_isolated_from_each_other<S: Store>(store: &S) -> Result<()> {
    let parent = commons_id(1);
    let parent_events = ledger_events(&parent, 0, 6);
    let mut batch = creating(&parent, "Parent", parent_events.clone());
    batch.projections = vec![put("t", b"k", b"parent")];
    batch.checkpoint = Some(checkpoint(6, "parent"));
    store.append(&batch).await?;

    // A fork copies its parent's first events (same ids, authors and seqs), then goes on
    // with its own.
    let fork = commons_id(2);
    let mut fork_events = parent_events[..3].to_vec();
    fork_events.extend(ledger_events(&fork, 3, 5));
    let mut batch = creating(&fork, "Fork", fork_events.clone());
    batch.projections = vec![put("t", b"k", b"fork")];
    batch.checkpoint = Some(checkpoint(5, "fork"));
    store.append(&batch).await?;
    store
        .append(&appending(&parent, ledger_events(&parent, 6, 8)))
        .await?;
    let parent_events = ledger_events(&parent, 0, 8);

    let listed = store.list_commons().await?;
    let mut expected = vec![
        CommonsRow {
            id: parent,
            name: "Parent".to_owned(),
            size: 8,
        },
        CommonsRow {
            id: fork,
            name: "Fork".to_owned(),
            size: 5,
        },
    ];
    expected.sort_by_key(|row| row.id);
    assert_eq!(listed, expected, "sorted by id");

    assert_eq!(
        store.events_range(&parent, 0, u64::MAX).await?,
        parent_events
    );
    assert_eq!(store.events_range(&fork, 0, u64::MAX).await?, fork_events);
    let shared = parent_events[1].id;
    assert_eq!(
        store.events_by_id(&fork, &[shared]).await?,
        vec![parent_events[1].clone()]
    );
    assert_eq!(
        store.events_by_id(&fork, &[parent_events[4].id]).await?,
        vec![]
    );
    assert_eq!(
        store
            .event_by_author_seq(&fork, &fork_events[4].author, fork_events[4].seq)
            .await?,
        Some(fork_events[4].clone())
    );
    assert_eq!(
        store.read_hashes(&fork, &[4]).await?,
        vec![stored_hash(&fork_events[4])]
    );
    assert_eq!(
        store.checkpoints(&parent).await?,
        vec![checkpoint(6, "parent")]
    );
    assert_eq!(
        store.latest_checkpoint(&fork).await?,
        Some(checkpoint(5, "fork"))
    );
    assert_eq!(
        store.projection_rows(&parent).await?,
        vec![projection_row("t", b"k", b"parent")]
    );
    assert_eq!(
        store.projection_table(&fork, "t").await?,
        vec![projection_row("t", b"k", b"fork")]
    );
    let all_kinds = EventQuery {
        limit: EVENTS_PAGE_MAX,
        ..EventQuery::default()
    };
    assert_eq!(store.query_events(&fork, &all_kinds).await?, fork_events);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Forks

/// A parent of `size` events whose stored hashes are laid out as a real Merkle tree's
/// (storage indexes `0 .. stored_hash_count(size)`), with a checkpoint and a projection.
async fn fork_parent<S: Store>(store: &S, parent: &CommonsId, size: u64) -> Result<()> {
    let mut batch = creating(parent, "Parent", ledger_events(parent, 0, size));
    batch.hashes = (0..commons_ledger::merkle::stored_hash_count(size))
        .map(|index| (index, Hash::of(&[b"parent hash", &index.to_be_bytes()])))
        .collect();
    batch.projections = vec![put("t", b"k", b"parent")];
    batch.checkpoint = Some(checkpoint(size, "parent"));
    store.append(&batch).await
}

/// The fork's own genesis at `index` and what it adds. Its author (tag 100 + index) is
/// new to the ledger, as a genesis at seq 0 must be.
fn fork_genesis_author(index: u64) -> u8 {
    u8::try_from(index).unwrap_or(0).wrapping_add(100)
}

fn fork_batch(fork: &CommonsId, parent: &CommonsId, index: u64) -> AppendBatch {
    let genesis = event(
        fork,
        index,
        fork_genesis_author(index),
        0,
        "commons.genesis",
        5_000,
    );
    let mut batch = creating(fork, "Fork", vec![genesis]);
    batch.fork_prefix = Some(ForkPrefix {
        parent: *parent,
        size: index,
    });
    batch.hashes = (commons_ledger::merkle::stored_hash_count(index)
        ..commons_ledger::merkle::stored_hash_count(index + 1))
        .map(|at| (at, Hash::of(&[b"fork hash", &at.to_be_bytes()])))
        .collect();
    batch.projections = vec![put("t", b"k", b"fork")];
    batch.checkpoint = Some(checkpoint(index + 1, "fork"));
    batch
}

pub async fn a_fork_copies_its_parents_prefix_events_authors_and_hashes_with_its_genesis<
    S: Store,
>(
    store: &S,
) -> Result<()> {
    let parent = commons_id(1);
    let fork = commons_id(2);
    fork_parent(store, &parent, 10).await?;
    let parent_before = snapshot(store, &parent).await?;
    let batch = fork_batch(&fork, &parent, 6);
    store.append(&batch).await?;

    let parent_events = ledger_events(&parent, 0, 10);
    let mut expected = parent_events[..6].to_vec();
    expected.extend(batch.events.clone());
    assert_eq!(store.events_range(&fork, 0, u64::MAX).await?, expected);
    assert_eq!(
        store.commons(&fork).await?.map(|row| (row.name, row.size)),
        Some(("Fork".to_owned(), 7))
    );
    // Prefix authors keep their chains in the fork; later parent events are not there.
    let prefix_last = &parent_events[5];
    assert_eq!(
        store
            .event_by_author_seq(&fork, &prefix_last.author, prefix_last.seq)
            .await?,
        Some(prefix_last.clone())
    );
    let after_prefix = &parent_events[6];
    assert_eq!(
        store
            .event_by_author_seq(&fork, &after_prefix.author, after_prefix.seq)
            .await?,
        None
    );
    let by_author = EventQuery {
        author: Some(prefix_last.author),
        limit: EVENTS_PAGE_MAX,
        ..EventQuery::default()
    };
    assert_eq!(
        store.query_events(&fork, &by_author).await?,
        reference_query(&expected, &by_author)
    );
    // The prefix's hashes are the parent's; the genesis adds the fork's own.
    let n_hashes = commons_ledger::merkle::stored_hash_count(7);
    let indexes: Vec<u64> = (0..n_hashes).collect();
    let mut expected_hashes = store
        .read_hashes(
            &parent,
            &indexes[..commons_ledger::merkle::stored_hash_count(6) as usize],
        )
        .await?;
    expected_hashes.extend(batch.hashes.iter().map(|(_, hash)| *hash));
    assert_eq!(store.read_hashes(&fork, &indexes).await?, expected_hashes);
    assert_corrupt(
        store.read_hashes(&fork, &[n_hashes]).await,
        "a hash of the parent beyond the prefix",
    );
    // Checkpoints and projections are the fork's alone; the parent is untouched.
    assert_eq!(store.checkpoints(&fork).await?, vec![checkpoint(7, "fork")]);
    assert_eq!(
        store.projection_rows(&fork).await?,
        vec![projection_row("t", b"k", b"fork")]
    );
    assert_eq!(snapshot(store, &parent).await?.events, parent_before.events);
    assert_eq!(snapshot(store, &parent).await?.hashes, parent_before.hashes);

    // The fork goes on from its own size, and can itself be forked.
    let mut next = appending(
        &fork,
        vec![event(&fork, 7, fork_genesis_author(6), 1, "post", 6_000)],
    );
    next.hashes = (n_hashes..commons_ledger::merkle::stored_hash_count(8))
        .map(|at| (at, Hash::of(&[b"next hash", &at.to_be_bytes()])))
        .collect();
    store.append(&next).await?;
    let grandchild = commons_id(3);
    store.append(&fork_batch(&grandchild, &fork, 8)).await?;
    let copied = store.events_range(&grandchild, 0, 8).await?;
    assert_eq!(copied, store.events_range(&fork, 0, 8).await?);
    Ok(())
}

pub async fn a_fork_whose_parent_is_unknown_or_short_writes_nothing<S: Store>(
    store: &S,
) -> Result<()> {
    let parent = commons_id(1);
    let fork = commons_id(2);
    fork_parent(store, &parent, 4).await?;
    let before = snapshot(store, &fork).await?;
    assert_conflict(
        store.append(&fork_batch(&fork, &commons_id(7), 2)).await,
        "an unknown parent",
    );
    assert_conflict(
        store.append(&fork_batch(&fork, &parent, 5)).await,
        "a prefix longer than the parent",
    );
    // The copy succeeds but the batch's own event is not at the prefix size.
    let mut misplaced = fork_batch(&fork, &parent, 3);
    misplaced.fork_prefix = Some(ForkPrefix { parent, size: 2 });
    assert_conflict(store.append(&misplaced).await, "a genesis after a gap");
    // The copy succeeds but a later check of the batch fails: the copy is undone with it.
    let mut beyond = fork_batch(&fork, &parent, 2);
    beyond.checkpoint = Some(checkpoint(9, "beyond"));
    assert_conflict(store.append(&beyond).await, "a checkpoint beyond the fork");
    assert_eq!(snapshot(store, &fork).await?, before);
    assert_eq!(store.list_commons().await?.len(), 1);
    // Nothing of the failed attempts stands in the way of the real fork.
    store.append(&fork_batch(&fork, &parent, 4)).await?;
    assert_eq!(store.events_range(&fork, 0, u64::MAX).await?.len(), 5);
    Ok(())
}

pub async fn a_fork_prefix_on_a_batch_that_does_not_create_its_commons_is_refused<S: Store>(
    store: &S,
) -> Result<()> {
    let parent = commons_id(1);
    fork_parent(store, &parent, 4).await?;
    let other = commons_id(2);
    store
        .append(&creating(&other, "Other", ledger_events(&other, 0, 1)))
        .await?;
    let before = snapshot(store, &other).await?;
    let mut batch = appending(&other, ledger_events(&other, 1, 2));
    batch.fork_prefix = Some(ForkPrefix { parent, size: 1 });
    assert_conflict(store.append(&batch).await, "a prefix on an append");
    assert_eq!(snapshot(store, &other).await?, before);
    Ok(())
}

pub async fn checkpoint_at_finds_the_checkpoint_of_exactly_that_size<S: Store>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let mut batch = creating(&commons, "Garden", ledger_events(&commons, 0, 3));
    batch.checkpoint = Some(checkpoint(2, "two"));
    store.append(&batch).await?;
    let mut batch = appending(&commons, vec![]);
    batch.checkpoint = Some(checkpoint(3, "three"));
    store.append(&batch).await?;
    assert_eq!(
        store.checkpoint_at(&commons, 2).await?,
        Some(checkpoint(2, "two"))
    );
    assert_eq!(
        store.checkpoint_at(&commons, 3).await?,
        Some(checkpoint(3, "three"))
    );
    assert_eq!(store.checkpoint_at(&commons, 1).await?, None);
    assert_eq!(store.checkpoint_at(&commons, u64::MAX).await?, None);
    assert_eq!(store.checkpoint_at(&commons_id(9), 2).await?, None);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Integers

pub async fn integers_above_i64_max_are_refused_not_wrapped<S: Store>(store: &S) -> Result<()> {
    let commons = commons_id(1);
    let events = ledger_events(&commons, 0, 2);
    store
        .append(&creating(&commons, "Garden", events.clone()))
        .await?;
    let before = snapshot(store, &commons).await?;
    let too_big = STORED_INTEGER_MAX + 1;

    let next = |seq, time_ms| event(&commons, 2, 7, seq, "post", time_ms);
    assert_limit(
        store
            .append(&appending(&commons, vec![next(too_big, 5)]))
            .await,
        "a seq",
    );
    assert_limit(
        store
            .append(&appending(&commons, vec![next(1, too_big)]))
            .await,
        "a time",
    );
    assert_limit(
        store
            .append(&appending(&commons, vec![next(1, u64::MAX)]))
            .await,
        "a time of u64::MAX",
    );
    let mut far_index = next(1, 5);
    far_index.index = too_big;
    assert_limit(
        store.append(&appending(&commons, vec![far_index])).await,
        "an index",
    );
    let mut far_hash = appending(&commons, vec![next(1, 5)]);
    far_hash.hashes.push((too_big, Hash::of(&[b"far"])));
    assert_limit(store.append(&far_hash).await, "a hash index");
    let far_checkpoint = AppendBatch {
        commons: Some(commons),
        checkpoint: Some(checkpoint(too_big, "far")),
        ..AppendBatch::default()
    };
    assert_limit(store.append(&far_checkpoint).await, "a checkpoint size");
    assert_eq!(snapshot(store, &commons).await?, before);

    let other = commons_id(2);
    let mut huge_genesis = ledger_events(&other, 0, 1);
    huge_genesis[0].seq = u64::MAX;
    assert_limit(
        store.append(&creating(&other, "Other", huge_genesis)).await,
        "a seq in a creating batch",
    );
    assert_eq!(store.commons(&other).await?, None);

    // The largest storable values are stored exactly.
    let largest = next(STORED_INTEGER_MAX, STORED_INTEGER_MAX);
    store
        .append(&appending(&commons, vec![largest.clone()]))
        .await?;
    assert_eq!(
        store
            .event_by_author_seq(&commons, &largest.author, STORED_INTEGER_MAX)
            .await?,
        Some(largest.clone())
    );

    // Read bounds beyond the stored range are answered, not refused.
    let mut all = events.clone();
    all.push(largest.clone());
    let query = |edit: fn(&mut EventQuery)| {
        let mut query = EventQuery {
            limit: EVENTS_PAGE_MAX,
            ..EventQuery::default()
        };
        edit(&mut query);
        query
    };
    let cases: [(EventQuery, Vec<StoredEvent>); 5] = [
        (query(|q| q.time_from_ms = Some(u64::MAX)), vec![]),
        (
            query(|q| q.time_from_ms = Some(STORED_INTEGER_MAX)),
            vec![largest.clone()],
        ),
        (query(|q| q.time_to_ms = Some(u64::MAX)), all.clone()),
        (query(|q| q.from_index = Some(u64::MAX)), vec![]),
        (query(|q| q.before_index = Some(u64::MAX)), all.clone()),
    ];
    for (query, expected) in cases {
        assert_eq!(
            store.query_events(&commons, &query).await?,
            expected,
            "{query:?}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Concurrent writers

/// Rounds of the two-appender race.
const RACE_ROUNDS: u64 = 8;
/// Events per racing batch.
const RACE_BATCH_EVENTS: u64 = 2;

pub async fn two_concurrent_appenders_on_one_commons_end_with_one_success_and_one_conflict<
    S: Store,
>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    store.append(&creating(&commons, "Garden", vec![])).await?;
    // Each racer has its own author, so the only thing the two batches contend for is
    // the ledger position.
    let mut next_seq = [1u64, 1u64];
    let mut ledger: Vec<StoredEvent> = Vec::new();
    for round in 0..RACE_ROUNDS {
        let size = round * RACE_BATCH_EVENTS;
        let batch_of = |racer: usize, seq: u64| {
            let author_tag = 1 + u8::try_from(racer).unwrap_or(0);
            let events: Vec<StoredEvent> = (0..RACE_BATCH_EVENTS)
                .map(|offset| {
                    event(
                        &commons,
                        size + offset,
                        author_tag,
                        seq + offset,
                        "post",
                        size,
                    )
                })
                .collect();
            appending(&commons, events)
        };
        let batches = [batch_of(0, next_seq[0]), batch_of(1, next_seq[1])];
        let (first, second) = tokio::join!(store.append(&batches[0]), store.append(&batches[1]));
        let winner = match (first, second) {
            (Ok(()), Err(StoreError::Conflict(_))) => 0,
            (Err(StoreError::Conflict(_)), Ok(())) => 1,
            other => panic!("round {round}: expected one success and one conflict, got {other:?}"),
        };
        next_seq[winner] += RACE_BATCH_EVENTS;
        ledger.extend(batches[winner].events.iter().cloned());
        assert_eq!(
            store.commons(&commons).await?.map(|row| row.size),
            Some(size + RACE_BATCH_EVENTS),
            "round {round}"
        );
    }
    assert_eq!(store.events_range(&commons, 0, u64::MAX).await?, ledger);
    let indexes: Vec<u64> = (0..count(ledger.len())).collect();
    let hashes: Vec<Hash> = ledger.iter().map(stored_hash).collect();
    assert_eq!(store.read_hashes(&commons, &indexes).await?, hashes);
    Ok(())
}

/// Writers in the retrying race, batches each writer lands, and events per batch.
const RETRY_WRITERS: u8 = 4;
const RETRY_BATCHES_PER_WRITER: u64 = 5;
const RETRY_BATCH_EVENTS: u64 = 3;
/// A bound on one writer's attempts, so that a store that never lets a writer through
/// fails the test instead of hanging it.
const RETRY_ATTEMPTS_MAX: u32 = 1_000;

/// One writer of the retrying race: appends its batches at whatever the size is,
/// retrying after each conflict.
async fn retrying_writer<S: Store>(store: &S, commons: &CommonsId, author_tag: u8) -> Result<()> {
    let mut attempts = 0u32;
    for batch_number in 0..RETRY_BATCHES_PER_WRITER {
        loop {
            attempts += 1;
            assert!(
                attempts <= RETRY_ATTEMPTS_MAX,
                "writer {author_tag} never got through"
            );
            let size = store.commons(commons).await?.map_or(0, |row| row.size);
            let first_seq = batch_number * RETRY_BATCH_EVENTS + 1;
            let events = (0..RETRY_BATCH_EVENTS)
                .map(|offset| {
                    event(
                        commons,
                        size + offset,
                        author_tag,
                        first_seq + offset,
                        "post",
                        size,
                    )
                })
                .collect();
            match store.append(&appending(commons, events)).await {
                Ok(()) => break,
                Err(StoreError::Conflict(_)) => tokio::task::yield_now().await,
                Err(other) => return Err(other),
            }
        }
    }
    Ok(())
}

pub async fn concurrent_appenders_that_retry_on_conflict_all_land_in_one_contiguous_ledger<
    S: Store,
>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    store.append(&creating(&commons, "Garden", vec![])).await?;
    let results = tokio::join!(
        retrying_writer(store, &commons, 1),
        retrying_writer(store, &commons, 2),
        retrying_writer(store, &commons, 3),
        retrying_writer(store, &commons, 4),
    );
    results.0?;
    results.1?;
    results.2?;
    results.3?;

    let total = u64::from(RETRY_WRITERS) * RETRY_BATCHES_PER_WRITER * RETRY_BATCH_EVENTS;
    assert_eq!(
        store.commons(&commons).await?.map(|row| row.size),
        Some(total)
    );
    let events = store.events_range(&commons, 0, u64::MAX).await?;
    let indexes: Vec<u64> = events.iter().map(|event| event.index).collect();
    assert_eq!(indexes, (0..total).collect::<Vec<u64>>());
    let author_seqs: BTreeSet<(AuthorKey, u64)> = events
        .iter()
        .map(|event| (event.author, event.seq))
        .collect();
    assert_eq!(
        count(author_seqs.len()),
        total,
        "every author and seq exactly once"
    );
    Ok(())
}
