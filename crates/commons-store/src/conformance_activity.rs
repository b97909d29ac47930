//! Conformance cases of [`ActivityStore`]: every backend must count events per day and
//! distinct authors per week exactly as a reference count over the same fixtures in
//! memory does, and refuse the same over-wide windows. The cases are listed in
//! [`conformance_tests!`](crate::conformance_tests) with the others.

use crate::conformance::{appending, commons_id, creating, event};
use crate::{
    ACTIVITY_BUCKETS_MAX, ActivityStore, DAY_MS, Result, STORED_INTEGER_MAX, Store, StoreError,
    StoredEvent, WEEK_MS,
};
use commons_ledger::CommonsId;
use std::collections::{BTreeMap, BTreeSet};

/// A Thursday at midnight UTC (day 19_670, week 2_810), so that day and week buckets
/// both start at the fixtures' origin.
const ORIGIN_MS: u64 = 19_670 * DAY_MS;
/// Authors the activity fixtures cycle through.
const ACTIVITY_AUTHORS: u64 = 7;

/// The `i`-th value of a fixed pseudo-random sequence (SplitMix64), so that fixtures
/// scatter over days and authors without depending on a random source.
fn scatter(i: u64) -> u64 {
    let mut z = i.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` events of `commons` from index `from`, at times scattered over `span_days` days
/// from [`ORIGIN_MS`] (not in ledger order, and several on one millisecond), by authors
/// that each keep consecutive seqs. Some days and weeks are left without events.
fn activity_events(
    commons: &CommonsId,
    salt: u64,
    from: u64,
    n: u64,
    span_days: u64,
    seqs: &mut BTreeMap<u8, u64>,
) -> Vec<StoredEvent> {
    (from..from + n)
        .map(|index| {
            let r = scatter(salt * 1_000_003 + index);
            // Skip every day whose number is a multiple of 5, and weeks 3 and 4 entirely.
            let mut day = r % span_days;
            if day.is_multiple_of(5) || (21..35).contains(&day) {
                day = (day + 1) % span_days;
                if (21..35).contains(&day) {
                    day = 36 % span_days;
                }
            }
            let time_ms = ORIGIN_MS + day * DAY_MS + (r >> 20) % DAY_MS;
            // Authors are skewed: author 1 writes about half of the events.
            let author_tag = if r & 1 == 0 {
                1
            } else {
                1 + u8::try_from((r >> 8) % ACTIVITY_AUTHORS).unwrap_or(0)
            };
            let seq = seqs.entry(author_tag).or_insert(0);
            let stored = event(commons, index, author_tag, *seq, "post", time_ms);
            *seq += 1;
            stored
        })
        .collect()
}

/// What `events_per_day` must answer, counted in memory.
fn reference_events_per_day(events: &[StoredEvent], from_ms: u64, to_ms: u64) -> Vec<(u64, u64)> {
    let mut days = BTreeMap::new();
    for event in events {
        if (from_ms..to_ms).contains(&event.time_ms) {
            *days.entry(event.time_ms / DAY_MS).or_insert(0u64) += 1;
        }
    }
    days.into_iter().collect()
}

/// What `authors_per_week` must answer, counted in memory.
fn reference_authors_per_week(events: &[StoredEvent], from_ms: u64, to_ms: u64) -> Vec<(u64, u64)> {
    let mut weeks: BTreeMap<u64, BTreeSet<_>> = BTreeMap::new();
    for event in events {
        if (from_ms..to_ms).contains(&event.time_ms) {
            weeks
                .entry(event.time_ms / WEEK_MS)
                .or_default()
                .insert(event.author);
        }
    }
    weeks
        .into_iter()
        .map(|(week, authors)| (week, u64::try_from(authors.len()).unwrap_or(u64::MAX)))
        .collect()
}

fn assert_limit<T: std::fmt::Debug>(result: Result<T>, context: &str) {
    match result {
        Err(StoreError::Limit(_)) => {}
        other => panic!("{context}: expected a limit error, got {other:?}"),
    }
}

pub async fn activity_counts_match_a_reference_count_for_every_window<S: Store + ActivityStore>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let other = commons_id(2);
    let span_days = 70;
    let mut seqs = BTreeMap::new();
    let mut events = activity_events(&commons, 1, 0, 300, span_days, &mut seqs);
    store
        .append(&creating(&commons, "Active", events.clone()))
        .await?;
    // A second append, so that the counts span group commits.
    let more = activity_events(&commons, 1, 300, 200, span_days, &mut seqs);
    store.append(&appending(&commons, more.clone())).await?;
    events.extend(more);
    // Another commons with events on the same days, whose activity must not leak in.
    let others = activity_events(&other, 2, 0, 150, span_days, &mut BTreeMap::new());
    store
        .append(&creating(&other, "Other", others.clone()))
        .await?;

    let start_ms = ORIGIN_MS - 100 * DAY_MS;
    let end_ms = ORIGIN_MS + span_days * DAY_MS;
    let windows = [
        ("everything", start_ms, end_ms + WEEK_MS),
        ("exactly the fixtures' span", ORIGIN_MS, end_ms),
        (
            "starting and ending mid-day",
            ORIGIN_MS + 3 * DAY_MS + 12_345,
            ORIGIN_MS + 40 * DAY_MS + 7_777_777,
        ),
        (
            "starting and ending mid-week",
            ORIGIN_MS + 9 * DAY_MS,
            ORIGIN_MS + 60 * DAY_MS + 1,
        ),
        ("one day", ORIGIN_MS + DAY_MS, ORIGIN_MS + 2 * DAY_MS),
        ("one millisecond", events[7].time_ms, events[7].time_ms + 1),
        ("a gap", ORIGIN_MS + 21 * DAY_MS, ORIGIN_MS + 35 * DAY_MS),
        ("after the last event", end_ms, end_ms + 30 * DAY_MS),
        ("empty", ORIGIN_MS + DAY_MS, ORIGIN_MS + DAY_MS),
        ("reversed", ORIGIN_MS + 2 * DAY_MS, ORIGIN_MS + DAY_MS),
        ("three thousand days", ORIGIN_MS, ORIGIN_MS + 3_000 * DAY_MS),
    ];
    for (name, from_ms, to_ms) in windows {
        let per_day = store.events_per_day(&commons, from_ms, to_ms).await?;
        assert_eq!(
            per_day,
            reference_events_per_day(&events, from_ms, to_ms),
            "events per day, window {name}"
        );
        assert!(
            per_day.iter().all(|(_, n)| *n > 0),
            "days without events are left out ({name})"
        );
        assert_eq!(
            store.authors_per_week(&commons, from_ms, to_ms).await?,
            reference_authors_per_week(&events, from_ms, to_ms),
            "authors per week, window {name}"
        );
        assert_eq!(
            store.events_per_day(&other, from_ms, to_ms).await?,
            reference_events_per_day(&others, from_ms, to_ms),
            "events per day of the other commons, window {name}"
        );
    }

    // The whole ledger is counted once, and the fixtures did leave days and weeks empty.
    let whole = store.events_per_day(&commons, start_ms, end_ms).await?;
    assert_eq!(whole.iter().map(|(_, n)| n).sum::<u64>(), 500);
    assert!(whole.len() < usize::try_from(span_days).unwrap_or(usize::MAX));
    let weeks = store.authors_per_week(&commons, start_ms, end_ms).await?;
    assert!(weeks.len() < 10, "weeks 3 and 4 are empty: {weeks:?}");
    assert!(
        weeks
            .iter()
            .all(|(_, n)| (1..=ACTIVITY_AUTHORS).contains(n))
    );

    // An unknown commons has no activity.
    assert_eq!(
        store
            .events_per_day(&commons_id(9), start_ms, end_ms)
            .await?,
        []
    );
    assert_eq!(
        store
            .authors_per_week(&commons_id(9), start_ms, end_ms)
            .await?,
        []
    );
    Ok(())
}

pub async fn activity_over_more_buckets_than_the_limit_is_refused<S: Store + ActivityStore>(
    store: &S,
) -> Result<()> {
    let commons = commons_id(1);
    let events = vec![
        event(&commons, 0, 1, 0, "commons.genesis", ORIGIN_MS),
        event(&commons, 1, 2, 0, "post", ORIGIN_MS + DAY_MS - 1),
        event(&commons, 2, 2, 1, "post", ORIGIN_MS + DAY_MS),
    ];
    store.append(&creating(&commons, "Limits", events)).await?;

    // Exactly the limit of days, starting mid-day: answered.
    let from_ms = ORIGIN_MS + 1;
    let to_ms = from_ms + (ACTIVITY_BUCKETS_MAX - 1) * DAY_MS;
    assert_eq!(
        store.events_per_day(&commons, from_ms, to_ms).await?,
        [(ORIGIN_MS / DAY_MS, 1), (ORIGIN_MS / DAY_MS + 1, 1)]
    );
    // One millisecond more touches one day more.
    assert_limit(
        store
            .events_per_day(&commons, from_ms, to_ms + DAY_MS)
            .await,
        "a day over the limit",
    );
    assert_limit(
        store.events_per_day(&commons, 0, u64::MAX).await,
        "every day there is",
    );
    assert_limit(
        store.events_per_day(&commons_id(9), 0, u64::MAX).await,
        "an unknown commons is refused the same way",
    );

    let to_ms = ORIGIN_MS + ACTIVITY_BUCKETS_MAX * WEEK_MS;
    assert_eq!(
        store.authors_per_week(&commons, ORIGIN_MS, to_ms).await?,
        [(ORIGIN_MS / WEEK_MS, 2)]
    );
    assert_limit(
        store.authors_per_week(&commons, ORIGIN_MS, to_ms + 1).await,
        "a week over the limit",
    );
    assert_limit(
        store.authors_per_week(&commons, 0, u64::MAX).await,
        "every week there is",
    );

    // Windows above every storable time are narrow enough, and hold nothing.
    assert_eq!(
        store
            .events_per_day(&commons, u64::MAX - DAY_MS, u64::MAX)
            .await?,
        []
    );
    assert_eq!(
        store
            .authors_per_week(
                &commons,
                STORED_INTEGER_MAX - WEEK_MS,
                STORED_INTEGER_MAX + 1
            )
            .await?,
        []
    );
    Ok(())
}
