//! Activity figures of a commons, counted by the database: events per day and distinct
//! authors per week, by the `time_ms` of each event's header.
//!
//! Both are one `GROUP BY` over the `events_by_time` index `(commons, time_ms)`, so a
//! window reads only the index entries of that window (plus, for authors, each event's
//! row). Every answer is bounded: a window wider than [`ACTIVITY_BUCKETS_MAX`] buckets is
//! refused with [`StoreError::Limit`] before any query runs. On SQLite the counts run on
//! the reader pool, never on the writer.
//!
//! Buckets are fixed UTC intervals counted from the Unix epoch: day `d` holds the times
//! `d * DAY_MS .. (d + 1) * DAY_MS`, week `w` the times `w * WEEK_MS .. (w + 1) * WEEK_MS`
//! (so weeks start on Thursdays, as the epoch did). A bucket only partly inside the
//! window counts only the events inside it.

use crate::rows::{self, COMMONS_NO, ReadBound};
use crate::{AnyStore, PgStore, Result, SqliteStore, StoreError};
use commons_ledger::CommonsId;
use sqlx::{Database, Encode, Executor, IntoArguments, QueryBuilder, Type};
use std::future::Future;

/// Milliseconds in a day bucket.
pub const DAY_MS: u64 = 86_400_000;
/// Milliseconds in a week bucket.
pub const WEEK_MS: u64 = 7 * DAY_MS;
/// Most buckets one activity query may cover (ten years of days, with room for leap days).
pub const ACTIVITY_BUCKETS_MAX: u64 = 3_660;

/// Activity counts of a commons' ledger, implemented by every backend next to
/// [`crate::Store`]. Windows are half-open, `from_ms <= time_ms < to_ms`, like
/// [`crate::EventQuery`]'s; an empty or reversed window and an unknown commons answer an
/// empty list.
pub trait ActivityStore: Send + Sync + 'static {
    /// `(day, events)` for every day with at least one event in the window, where
    /// `day = time_ms / DAY_MS`, sorted by day. A window touching more than
    /// [`ACTIVITY_BUCKETS_MAX`] days is a `Limit` error.
    fn events_per_day(
        &self,
        commons: &CommonsId,
        from_ms: u64,
        to_ms: u64,
    ) -> impl Future<Output = Result<Vec<(u64, u64)>>> + Send;

    /// `(week, distinct authors)` for every week with at least one event in the window,
    /// where `week = time_ms / WEEK_MS`, sorted by week. A window touching more than
    /// [`ACTIVITY_BUCKETS_MAX`] weeks is a `Limit` error.
    fn authors_per_week(
        &self,
        commons: &CommonsId,
        from_ms: u64,
        to_ms: u64,
    ) -> impl Future<Output = Result<Vec<(u64, u64)>>> + Send;
}

/// What is counted in each bucket.
#[derive(Clone, Copy)]
enum Count {
    Events,
    DistinctAuthors,
}

/// A checked window in stored form, or `None` when it cannot hold an event.
struct Window {
    bucket_ms: i64,
    from_ms: i64,
    to_ms: Option<i64>,
}

/// Refuses a window of more than [`ACTIVITY_BUCKETS_MAX`] buckets and converts the rest
/// to stored integers.
fn window(from_ms: u64, to_ms: u64, bucket_ms: u64, what: &str) -> Result<Option<Window>> {
    if from_ms >= to_ms {
        return Ok(None);
    }
    // Buckets from the one holding `from_ms` to the one holding the last time before `to_ms`.
    let buckets = (to_ms - 1) / bucket_ms - from_ms / bucket_ms + 1;
    if buckets > ACTIVITY_BUCKETS_MAX {
        return Err(StoreError::Limit(format!(
            "{buckets} {what} asked for, at most {ACTIVITY_BUCKETS_MAX} allowed"
        )));
    }
    let from_ms = match rows::lower_bound(from_ms) {
        ReadBound::Value(value) => value,
        // No stored time is above i64::MAX.
        ReadBound::Nothing | ReadBound::Everything => return Ok(None),
    };
    let to_ms = match rows::upper_bound(to_ms) {
        ReadBound::Value(value) => Some(value),
        ReadBound::Nothing | ReadBound::Everything => None,
    };
    Ok(Some(Window {
        bucket_ms: rows::to_stored(bucket_ms, "bucket width")?,
        from_ms,
        to_ms,
    }))
}

/// The counting query for both backends; every value is bound.
fn activity_query<DB>(commons: &CommonsId, window: &Window, count: Count) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> &'t [u8]: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let mut builder = QueryBuilder::new("SELECT time_ms / ");
    builder.push_bind(window.bucket_ms).push(match count {
        Count::Events => " AS bucket, COUNT(*) FROM events WHERE commons = ",
        Count::DistinctAuthors => " AS bucket, COUNT(DISTINCT author) FROM events WHERE commons = ",
    });
    builder.push(COMMONS_NO).push_bind(&commons.0[..]).push(")");
    builder.push(" AND time_ms >= ").push_bind(window.from_ms);
    if let Some(to_ms) = window.to_ms {
        builder.push(" AND time_ms < ").push_bind(to_ms);
    }
    builder.push(" GROUP BY bucket ORDER BY bucket");
    builder
}

/// Runs the count for `commons` over the window on `executor` and checks the answer.
async fn count<'e, DB, E>(
    executor: E,
    commons: &CommonsId,
    from_ms: u64,
    to_ms: u64,
    count: Count,
) -> Result<Vec<(u64, u64)>>
where
    DB: Database,
    E: Executor<'e, Database = DB>,
    for<'t> &'t [u8]: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB> + sqlx::Decode<'t, DB>,
    <DB as Database>::Arguments: IntoArguments<DB>,
    (i64, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let (bucket_ms, what) = match count {
        Count::Events => (DAY_MS, "days"),
        Count::DistinctAuthors => (WEEK_MS, "weeks"),
    };
    let Some(window) = window(from_ms, to_ms, bucket_ms, what)? else {
        return Ok(Vec::new());
    };
    let mut builder = activity_query::<DB>(commons, &window, count);
    let rows: Vec<(i64, i64)> = builder.build_query_as().fetch_all(executor).await?;
    rows.into_iter()
        .map(|(bucket, n)| {
            Ok((
                rows::from_stored(bucket, "activity bucket")?,
                rows::from_stored(n, "activity count")?,
            ))
        })
        .collect()
}

impl ActivityStore for SqliteStore {
    async fn events_per_day(
        &self,
        commons: &CommonsId,
        from_ms: u64,
        to_ms: u64,
    ) -> Result<Vec<(u64, u64)>> {
        count(self.pools().1, commons, from_ms, to_ms, Count::Events).await
    }

    async fn authors_per_week(
        &self,
        commons: &CommonsId,
        from_ms: u64,
        to_ms: u64,
    ) -> Result<Vec<(u64, u64)>> {
        count(
            self.pools().1,
            commons,
            from_ms,
            to_ms,
            Count::DistinctAuthors,
        )
        .await
    }
}

impl ActivityStore for PgStore {
    async fn events_per_day(
        &self,
        commons: &CommonsId,
        from_ms: u64,
        to_ms: u64,
    ) -> Result<Vec<(u64, u64)>> {
        count(self.pool(), commons, from_ms, to_ms, Count::Events).await
    }

    async fn authors_per_week(
        &self,
        commons: &CommonsId,
        from_ms: u64,
        to_ms: u64,
    ) -> Result<Vec<(u64, u64)>> {
        count(self.pool(), commons, from_ms, to_ms, Count::DistinctAuthors).await
    }
}

impl ActivityStore for AnyStore {
    async fn events_per_day(
        &self,
        commons: &CommonsId,
        from_ms: u64,
        to_ms: u64,
    ) -> Result<Vec<(u64, u64)>> {
        match self {
            AnyStore::Sqlite(store) => store.events_per_day(commons, from_ms, to_ms).await,
            AnyStore::Postgres(store) => store.events_per_day(commons, from_ms, to_ms).await,
        }
    }

    async fn authors_per_week(
        &self,
        commons: &CommonsId,
        from_ms: u64,
        to_ms: u64,
    ) -> Result<Vec<(u64, u64)>> {
        match self {
            AnyStore::Sqlite(store) => store.authors_per_week(commons, from_ms, to_ms).await,
            AnyStore::Postgres(store) => store.authors_per_week(commons, from_ms, to_ms).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_every_bucket_it_touches() {
        let day = |from, to| window(from, to, DAY_MS, "days").map(|w| w.is_some());
        assert!(matches!(day(5, 5), Ok(false)));
        assert!(matches!(day(6, 5), Ok(false)));
        assert!(matches!(day(0, 1), Ok(true)));
        // Exactly the limit, starting and ending mid-bucket.
        let from = 10 * DAY_MS + 1;
        let to = from + (ACTIVITY_BUCKETS_MAX - 1) * DAY_MS;
        assert!(matches!(day(from, to), Ok(true)));
        assert!(matches!(day(from, to + DAY_MS), Err(StoreError::Limit(_))));
        // A window above every stored time holds nothing, without overflowing.
        assert!(matches!(day(u64::MAX - 1, u64::MAX), Ok(false)));
        assert!(matches!(day(0, u64::MAX), Err(StoreError::Limit(_))));
    }
}
