//! What both backends share between the row types and their SQL columns: checked integer
//! conversions, the validation of a batch before any IO, the folding of projection
//! changes, and the decoding of stored rows.
//!
//! Keeping this in one place means both backends refuse exactly the same batches and
//! decode exactly the same way, which is what the conformance suite then checks.

use crate::{
    AppendBatch, CheckpointRow, CommonsRow, EVENTS_PAGE_MAX, EventQuery, ProjectionChange,
    ProjectionRow, Result, STORED_INTEGER_MAX, StoreError, StoredEnvelope, StoredEvent,
};
use commons_ledger::keys::Signature;
use commons_ledger::{AuthorKey, CommonsId, EventId, Hash};
use sqlx::{ColumnIndex, Database, Decode, Encode, QueryBuilder, Row, Type};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// `SELECT` and `FROM` of every event read: the columns in the order [`decode_event`]
/// expects, from `events AS e` with each event's author key from `authors AS a` (events
/// store the author's number). A LEFT JOIN, so that an event whose author row is missing
/// is reported as corrupt rather than silently left out. A macro so that fixed queries
/// can `concat!` it into a `&'static str`.
macro_rules! select_events {
    () => {
        "SELECT e.idx, e.id, a.author, e.seq, e.kind, e.time_ms, e.header, e.signature, e.body \
         FROM events AS e LEFT JOIN authors AS a ON a.no = e.author"
    };
}
pub(crate) use select_events;

/// A scalar subquery for the number of the commons whose id is bound next (NULL, which
/// matches nothing, for an unknown commons). Both backends evaluate it once per query.
pub(crate) const COMMONS_NO: &str = "(SELECT no FROM commons WHERE id = ";

/// A scalar subquery for the number of an author of a commons: bind the commons id, then
/// the author key, then close it with `)`.
pub(crate) const AUTHOR_NO: &str = "(SELECT authors.no FROM authors JOIN commons ON commons.no = authors.commons \
     WHERE commons.id = ";

/// Converts a `u64` on its way into the database; values above `i64::MAX` are refused,
/// never wrapped.
pub(crate) fn to_stored(value: u64, what: &str) -> Result<i64> {
    i64::try_from(value).map_err(|_| {
        StoreError::Limit(format!(
            "{what} {value} is above the largest storable integer {}",
            i64::MAX
        ))
    })
}

/// Converts a stored integer back; a negative one can only come from outside the store.
pub(crate) fn from_stored(value: i64, what: &str) -> Result<u64> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} is negative")))
}

/// A read bound in stored form. No stored value exceeds `i64::MAX`, so a bound above it
/// either matches nothing (a lower bound) or everything (an upper bound).
pub(crate) enum ReadBound {
    Value(i64),
    /// The bound excludes every stored row.
    Nothing,
    /// The bound excludes no stored row.
    Everything,
}

pub(crate) fn lower_bound(value: u64) -> ReadBound {
    i64::try_from(value).map_or(ReadBound::Nothing, ReadBound::Value)
}

pub(crate) fn upper_bound(value: u64) -> ReadBound {
    i64::try_from(value).map_or(ReadBound::Everything, ReadBound::Value)
}

/// An [`EventQuery`] reduced to stored-form bounds, or `None` when it cannot match.
pub(crate) struct EventFilter<'a> {
    pub kind: Option<&'a str>,
    pub author: Option<[u8; 33]>,
    pub time_from_ms: Option<i64>,
    pub time_to_ms: Option<i64>,
    pub from_index: Option<i64>,
    pub before_index: Option<i64>,
    pub descending: bool,
    pub limit: i64,
}

impl<'a> EventFilter<'a> {
    pub(crate) fn new(query: &'a EventQuery) -> Option<EventFilter<'a>> {
        let limit = query.limit.min(EVENTS_PAGE_MAX);
        if limit == 0 {
            return None;
        }
        let mut filter = EventFilter {
            kind: query.kind.as_deref(),
            author: query.author.as_ref().map(AuthorKey::to_bytes),
            time_from_ms: None,
            time_to_ms: None,
            from_index: None,
            before_index: None,
            descending: query.descending,
            // EVENTS_PAGE_MAX is far below i64::MAX; the fallback is never taken.
            limit: i64::try_from(limit).unwrap_or(i64::MAX),
        };
        for (bound, slot) in [
            (
                query.time_from_ms.map(lower_bound),
                &mut filter.time_from_ms,
            ),
            (query.from_index.map(lower_bound), &mut filter.from_index),
            (query.time_to_ms.map(upper_bound), &mut filter.time_to_ms),
            (
                query.before_index.map(upper_bound),
                &mut filter.before_index,
            ),
        ] {
            match bound {
                None | Some(ReadBound::Everything) => {}
                Some(ReadBound::Nothing) => return None,
                Some(ReadBound::Value(value)) => *slot = Some(value),
            }
        }
        Some(filter)
    }
}

/// Builds the listing query for both backends from the filter, binding every value (the
/// SQL text itself only ever contains fixed fragments).
pub(crate) fn event_listing<DB>(commons: &CommonsId, filter: &EventFilter<'_>) -> QueryBuilder<DB>
where
    DB: Database,
    for<'t> &'t [u8]: Encode<'t, DB> + Type<DB>,
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let mut builder = QueryBuilder::new(concat!(select_events!(), " WHERE e.commons = "));
    builder.push(COMMONS_NO).push_bind(&commons.0[..]).push(")");
    if let Some(kind) = filter.kind {
        builder.push(" AND e.kind = ").push_bind(kind);
    }
    if let Some(author) = &filter.author {
        builder
            .push(" AND e.author = ")
            .push(AUTHOR_NO)
            .push_bind(&commons.0[..])
            .push(" AND authors.author = ")
            .push_bind(&author[..])
            .push(")");
    }
    if let Some(time_from_ms) = filter.time_from_ms {
        builder.push(" AND e.time_ms >= ").push_bind(time_from_ms);
    }
    if let Some(time_to_ms) = filter.time_to_ms {
        builder.push(" AND e.time_ms < ").push_bind(time_to_ms);
    }
    if let Some(from_index) = filter.from_index {
        builder.push(" AND e.idx >= ").push_bind(from_index);
    }
    if let Some(before_index) = filter.before_index {
        builder.push(" AND e.idx < ").push_bind(before_index);
    }
    builder.push(if filter.descending {
        " ORDER BY e.idx DESC LIMIT "
    } else {
        " ORDER BY e.idx ASC LIMIT "
    });
    builder.push_bind(filter.limit);
    builder
}

/// One event in stored form, borrowing from the batch.
pub(crate) struct EventColumns<'a> {
    pub idx: i64,
    pub id: &'a [u8],
    pub author: [u8; 33],
    pub seq: i64,
    pub kind: &'a str,
    pub time_ms: i64,
    pub header: &'a [u8],
    pub signature: &'a [u8],
    pub body: Option<&'a [u8]>,
}

/// The final state of one projection row after a batch's changes, applied in order.
pub(crate) struct ProjectionPut<'a> {
    pub table: &'a str,
    pub key: &'a [u8],
    pub value: &'a [u8],
}

pub(crate) struct ProjectionDelete<'a> {
    pub table: &'a str,
    pub key: &'a [u8],
}

/// A fork's parent prefix in stored form.
pub(crate) struct PrefixColumns<'a> {
    pub parent: &'a [u8],
    /// Events copied: indexes `0 .. size`.
    pub size: i64,
    /// Stored hashes copied: storage indexes `0 .. hash_count`.
    pub hash_count: i64,
}

pub(crate) struct CheckpointColumns<'a> {
    pub size: i64,
    pub root: &'a [u8],
    pub note: &'a str,
}

/// An [`AppendBatch`] validated and converted to stored form before any IO, so that a
/// batch the store would refuse never opens a transaction.
pub(crate) struct PreparedBatch<'a> {
    pub commons: &'a CommonsId,
    pub create_name: Option<&'a str>,
    pub fork_prefix: Option<PrefixColumns<'a>>,
    /// The name to write: a rename wins over the creation name.
    pub new_name: Option<&'a str>,
    pub events: Vec<EventColumns<'a>>,
    /// The distinct authors of `events`, sorted.
    pub authors: Vec<[u8; 33]>,
    pub hashes: Vec<(i64, &'a [u8])>,
    pub puts: Vec<ProjectionPut<'a>>,
    pub deletes: Vec<ProjectionDelete<'a>>,
    pub checkpoint: Option<CheckpointColumns<'a>>,
}

impl<'a> PreparedBatch<'a> {
    pub(crate) fn new(batch: &'a AppendBatch) -> Result<PreparedBatch<'a>> {
        let commons = batch
            .commons
            .as_ref()
            .ok_or_else(|| StoreError::Conflict("the batch names no commons".to_owned()))?;
        let mut events = Vec::with_capacity(batch.events.len());
        for (offset, event) in batch.events.iter().enumerate() {
            let idx = to_stored(event.index, "event index")?;
            if let Some(first) = events.first().map(|first: &EventColumns<'_>| first.idx) {
                let expected = i64::try_from(offset)
                    .ok()
                    .and_then(|offset| first.checked_add(offset));
                if expected != Some(idx) {
                    return Err(StoreError::Conflict(format!(
                        "event indexes are not consecutive: index {} at offset {offset} of a batch starting at {first}",
                        event.index
                    )));
                }
            }
            events.push(EventColumns {
                idx,
                id: &event.id.0,
                author: event.author.to_bytes(),
                seq: to_stored(event.seq, "event seq")?,
                kind: &event.kind,
                time_ms: to_stored(event.time_ms, "event time_ms")?,
                header: &event.header_bytes,
                signature: &event.signature.0,
                body: event.body.as_deref(),
            });
        }
        if let Some(last) = events.last() {
            // The size after the batch must itself be storable.
            last.idx.checked_add(1).ok_or_else(|| {
                StoreError::Limit("the ledger size after the batch is not storable".to_owned())
            })?;
        }
        let authors: Vec<[u8; 33]> = events
            .iter()
            .map(|event| event.author)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut hashes = Vec::with_capacity(batch.hashes.len());
        for (index, hash) in &batch.hashes {
            hashes.push((to_stored(*index, "hash index")?, &hash.0[..]));
        }
        let fork_prefix = match &batch.fork_prefix {
            None => None,
            Some(_) if batch.create_name.is_none() => {
                return Err(StoreError::Conflict(format!(
                    "a fork prefix is copied only by the batch that creates commons {commons}"
                )));
            }
            Some(prefix) => Some(PrefixColumns {
                parent: &prefix.parent.0,
                size: to_stored(prefix.size, "fork prefix size")?,
                hash_count: to_stored(
                    commons_ledger::merkle::stored_hash_count(prefix.size),
                    "fork prefix hash count",
                )?,
            }),
        };
        let (puts, deletes) = fold_projection_changes(&batch.projections);
        let checkpoint = match &batch.checkpoint {
            None => None,
            Some(checkpoint) => Some(CheckpointColumns {
                size: to_stored(checkpoint.size, "checkpoint size")?,
                root: &checkpoint.root.0,
                note: &checkpoint.note,
            }),
        };
        Ok(PreparedBatch {
            commons,
            create_name: batch.create_name.as_deref(),
            fork_prefix,
            new_name: batch.rename.as_deref().or(batch.create_name.as_deref()),
            events,
            authors,
            hashes,
            puts,
            deletes,
            checkpoint,
        })
    }

    /// Checks the batch against the commons' size at the start of the transaction and
    /// returns the size after it.
    pub(crate) fn size_after(&self, current_size: i64) -> Result<i64> {
        let size_after = match (self.events.first(), self.events.last()) {
            (Some(first), Some(last)) => {
                if first.idx != current_size {
                    return Err(StoreError::Conflict(format!(
                        "the batch starts at index {} but commons {} has {current_size} events",
                        first.idx, self.commons
                    )));
                }
                // Checked in `new`: the last index is below i64::MAX.
                last.idx.checked_add(1).ok_or_else(|| {
                    StoreError::Limit("the ledger size after the batch is not storable".to_owned())
                })?
            }
            _ => current_size,
        };
        if let Some(checkpoint) = &self.checkpoint
            && checkpoint.size > size_after
        {
            return Err(StoreError::Conflict(format!(
                "checkpoint of size {} is beyond the ledger size {size_after} of commons {}",
                checkpoint.size, self.commons
            )));
        }
        Ok(size_after)
    }

    /// The author number of each event, in order, from the numbers of the batch's authors.
    pub(crate) fn author_numbers(&self, numbers: &HashMap<[u8; 33], i64>) -> Result<Vec<i64>> {
        self.events
            .iter()
            .map(|event| {
                numbers.get(&event.author).copied().ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "commons {} has no number for the author of event {}",
                        self.commons, event.idx
                    ))
                })
            })
            .collect()
    }

    pub(crate) fn unknown_commons(&self) -> StoreError {
        StoreError::Conflict(format!("commons {} is unknown", self.commons))
    }

    pub(crate) fn existing_commons(&self) -> StoreError {
        StoreError::Conflict(format!("commons {} already exists", self.commons))
    }

    /// Checks the parent's `(no, size)` as read inside the transaction against the prefix.
    pub(crate) fn prefix_parent(
        &self,
        prefix: &PrefixColumns<'_>,
        parent: Option<(i64, i64)>,
    ) -> Result<i64> {
        match parent {
            None => Err(StoreError::Conflict(format!(
                "the parent of fork {} is unknown",
                self.commons
            ))),
            Some((_, parent_size)) if parent_size < prefix.size => {
                Err(StoreError::Conflict(format!(
                    "the parent of fork {} holds {parent_size} events, fewer than the prefix of {}",
                    self.commons, prefix.size
                )))
            }
            Some((parent_no, _)) => Ok(parent_no),
        }
    }

    /// Checks the rows a prefix copy wrote: every event and every hash of the prefix.
    pub(crate) fn prefix_copied(
        &self,
        prefix: &PrefixColumns<'_>,
        n_events: u64,
        n_hashes: u64,
    ) -> Result<()> {
        if i64::try_from(n_events) != Ok(prefix.size)
            || i64::try_from(n_hashes) != Ok(prefix.hash_count)
        {
            return Err(StoreError::Corrupt(format!(
                "the parent prefix of fork {} copied {n_events} events and {n_hashes} hashes, not {} and {}",
                self.commons, prefix.size, prefix.hash_count
            )));
        }
        Ok(())
    }

    pub(crate) fn checkpoint_root_differs(&self, size: i64) -> StoreError {
        StoreError::Conflict(format!(
            "commons {} already has a checkpoint of size {size} with a different root",
            self.commons
        ))
    }
}

/// Applies a batch's projection changes in order, in memory, so that the database sees
/// at most one write per row: a multi-row upsert may not touch the same row twice.
fn fold_projection_changes(
    changes: &[ProjectionChange],
) -> (Vec<ProjectionPut<'_>>, Vec<ProjectionDelete<'_>>) {
    let mut last: BTreeMap<(&str, &[u8]), Option<&[u8]>> = BTreeMap::new();
    for change in changes {
        match change {
            ProjectionChange::Put(row) => {
                last.insert((&row.table, &row.key), Some(&row.value));
            }
            ProjectionChange::Delete { table, key } => {
                last.insert((table, key), None);
            }
        }
    }
    let mut puts = Vec::new();
    let mut deletes = Vec::new();
    for ((table, key), value) in last {
        match value {
            Some(value) => puts.push(ProjectionPut { table, key, value }),
            None => deletes.push(ProjectionDelete { table, key }),
        }
    }
    (puts, deletes)
}

/// The rows a projection replacement writes: one per `(table, key)`, the last one given.
pub(crate) fn dedupe_projection_rows(rows: &[ProjectionRow]) -> Vec<ProjectionPut<'_>> {
    let mut last: BTreeMap<(&str, &[u8]), &[u8]> = BTreeMap::new();
    for row in rows {
        last.insert((&row.table, &row.key), &row.value);
    }
    last.into_iter()
        .map(|((table, key), value)| ProjectionPut { table, key, value })
        .collect()
}

/// Records one `(author, no)` row of the `authors` table in `numbers`.
pub(crate) fn record_author_number(
    author: &[u8],
    no: i64,
    numbers: &mut HashMap<[u8; 33], i64>,
) -> Result<()> {
    let author = <[u8; 33]>::try_from(author)
        .map_err(|_| StoreError::Corrupt(format!("author number {no} has a malformed key")))?;
    numbers.insert(author, no);
    Ok(())
}

/// Refuses lookups above a named limit before they reach the database.
pub(crate) fn check_lookup(asked: usize, max: usize, what: &str) -> Result<()> {
    if asked > max {
        return Err(StoreError::Limit(format!(
            "{asked} {what} asked for, at most {max} allowed"
        )));
    }
    Ok(())
}

/// Puts hashes read by index back in the order asked; a missing one means the ledger's
/// stored hashes are incomplete.
pub(crate) fn hashes_in_order(
    commons: &CommonsId,
    asked: &[u64],
    found: BTreeMap<i64, Hash>,
) -> Result<Vec<Hash>> {
    asked
        .iter()
        .map(|index| {
            i64::try_from(*index)
                .ok()
                .and_then(|stored| found.get(&stored).copied())
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "commons {commons} has no stored hash at index {index}"
                    ))
                })
        })
        .collect()
}

/// The envelopes with `from <= idx < to`, in ledger order, at most [`EVENTS_PAGE_MAX`]:
/// four columns of one table, where a listing joins the authors for nine.
pub(crate) fn envelope_range<DB>(
    commons: &CommonsId,
    from: u64,
    to: u64,
) -> Result<QueryBuilder<DB>>
where
    DB: Database,
    for<'t> &'t [u8]: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    // No stored index exceeds i64::MAX: a bound above it is that bound, and a range that
    // starts past its end is empty.
    let to = to.min(STORED_INTEGER_MAX);
    let from = from.min(to);
    let mut builder =
        QueryBuilder::new("SELECT idx, header, signature, body FROM events WHERE commons = ");
    builder.push(COMMONS_NO).push_bind(&commons.0[..]).push(")");
    builder
        .push(" AND idx >= ")
        .push_bind(to_stored(from, "index")?)
        .push(" AND idx < ")
        .push_bind(to_stored(to, "index")?)
        .push(" ORDER BY idx ASC LIMIT ")
        .push_bind(EVENTS_PAGE_MAX as i64);
    Ok(builder)
}

/// Decodes one row selected by [`envelope_range`].
pub(crate) fn decode_envelope<R>(row: &R) -> Result<StoredEnvelope>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r [u8]: Decode<'r, R::Database> + Type<R::Database>,
{
    envelope_at(row, 1)
}

/// The envelope of a row whose first column is the index and whose header, signature
/// and body are the three columns from `header_column` on.
fn envelope_at<R>(row: &R, header_column: usize) -> Result<StoredEnvelope>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r [u8]: Decode<'r, R::Database> + Type<R::Database>,
{
    let index = from_stored(row.try_get(0)?, "event index")?;
    let header: &[u8] = row.try_get(header_column)?;
    let signature: &[u8] = row.try_get(header_column + 1)?;
    let body: Option<&[u8]> = row.try_get(header_column + 2)?;
    Ok(StoredEnvelope {
        index,
        header_bytes: header.to_vec(),
        signature: Signature::from_slice(signature).ok_or_else(|| {
            StoreError::Corrupt(format!("event {index} has a malformed signature"))
        })?,
        body: body.map(<[u8]>::to_vec),
    })
}

/// Decodes one row selected with [`select_events`].
pub(crate) fn decode_event<R>(row: &R) -> Result<StoredEvent>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r [u8]: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r str: Decode<'r, R::Database> + Type<R::Database>,
{
    let envelope = envelope_at(row, 6)?;
    let index = envelope.index;
    let id: &[u8] = row.try_get(1)?;
    let author: Option<&[u8]> = row.try_get(2)?;
    let seq: i64 = row.try_get(3)?;
    let kind: &str = row.try_get(4)?;
    let time_ms: i64 = row.try_get(5)?;
    Ok(StoredEvent {
        index,
        id: EventId::from_slice(id)
            .ok_or_else(|| StoreError::Corrupt(format!("event {index} has a malformed id")))?,
        author: match author {
            Some(author) => AuthorKey::from_bytes(author).map_err(|error| {
                StoreError::Corrupt(format!("event {index} has a malformed author: {error}"))
            })?,
            None => {
                return Err(StoreError::Corrupt(format!(
                    "event {index} names an author number with no author row"
                )));
            }
        },
        seq: from_stored(seq, "event seq")?,
        kind: kind.to_owned(),
        time_ms: from_stored(time_ms, "event time_ms")?,
        header_bytes: envelope.header_bytes,
        signature: envelope.signature,
        body: envelope.body,
    })
}

/// Decodes one `id, name, size` row.
pub(crate) fn decode_commons<R>(row: &R) -> Result<CommonsRow>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r [u8]: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r str: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: &[u8] = row.try_get(0)?;
    let name: &str = row.try_get(1)?;
    let size: i64 = row.try_get(2)?;
    Ok(CommonsRow {
        id: CommonsId::from_slice(id)
            .ok_or_else(|| StoreError::Corrupt("a commons has a malformed id".to_owned()))?,
        name: name.to_owned(),
        size: from_stored(size, "commons size")?,
    })
}

/// Decodes one `size, root, note` row.
pub(crate) fn decode_checkpoint<R>(row: &R) -> Result<CheckpointRow>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r [u8]: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r str: Decode<'r, R::Database> + Type<R::Database>,
{
    let size: i64 = row.try_get(0)?;
    let root: &[u8] = row.try_get(1)?;
    let note: &str = row.try_get(2)?;
    let size = from_stored(size, "checkpoint size")?;
    Ok(CheckpointRow {
        size,
        root: Hash::from_slice(root).ok_or_else(|| {
            StoreError::Corrupt(format!("checkpoint of size {size} has a malformed root"))
        })?,
        note: note.to_owned(),
    })
}

/// Decodes one `tbl, key, value` row.
pub(crate) fn decode_projection<R>(row: &R) -> Result<ProjectionRow>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> &'r [u8]: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r str: Decode<'r, R::Database> + Type<R::Database>,
{
    let table: &str = row.try_get(0)?;
    let key: &[u8] = row.try_get(1)?;
    let value: &[u8] = row.try_get(2)?;
    Ok(ProjectionRow {
        table: table.to_owned(),
        key: key.to_vec(),
        value: value.to_vec(),
    })
}

/// Decodes one `idx, hash` row into the map [`hashes_in_order`] reads.
pub(crate) fn decode_hash<R>(row: &R, found: &mut BTreeMap<i64, Hash>) -> Result<()>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> &'r [u8]: Decode<'r, R::Database> + Type<R::Database>,
{
    let idx: i64 = row.try_get(0)?;
    let hash: &[u8] = row.try_get(1)?;
    let hash = Hash::from_slice(hash)
        .ok_or_else(|| StoreError::Corrupt(format!("stored hash {idx} is malformed")))?;
    found.insert(idx, hash);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(table: &str, key: &[u8], value: &[u8]) -> ProjectionChange {
        ProjectionChange::Put(ProjectionRow {
            table: table.to_owned(),
            key: key.to_vec(),
            value: value.to_vec(),
        })
    }

    #[test]
    fn projection_changes_fold_to_the_last_change_of_each_row() {
        let changes = vec![
            put("t", b"a", b"1"),
            put("t", b"b", b"1"),
            ProjectionChange::Delete {
                table: "t".to_owned(),
                key: b"a".to_vec(),
            },
            put("t", b"b", b"2"),
            ProjectionChange::Delete {
                table: "t".to_owned(),
                key: b"c".to_vec(),
            },
            put("t", b"c", b"3"),
        ];
        let (puts, deletes) = fold_projection_changes(&changes);
        let puts: Vec<_> = puts.iter().map(|p| (p.table, p.key, p.value)).collect();
        let deletes: Vec<_> = deletes.iter().map(|d| (d.table, d.key)).collect();
        assert_eq!(
            puts,
            vec![("t", &b"b"[..], &b"2"[..]), ("t", &b"c"[..], &b"3"[..])]
        );
        assert_eq!(deletes, vec![("t", &b"a"[..])]);
    }

    #[test]
    fn read_bounds_above_the_stored_range_match_nothing_or_everything() {
        assert!(matches!(lower_bound(u64::MAX), ReadBound::Nothing));
        assert!(matches!(upper_bound(u64::MAX), ReadBound::Everything));
        assert!(matches!(lower_bound(7), ReadBound::Value(7)));
    }
}

/// Author numbers a writer remembers before it forgets them all and starts again (about
/// 100 bytes each).
const AUTHOR_NUMBERS_CACHED_MAX: usize = 100_000;

/// Committed author numbers, by commons number and author key. A number never changes once
/// committed, so a writer remembers the ones it has seen and looks up only the others;
/// it remembers a new one only after its transaction commits. Cloning shares the cache.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuthorNumberCache {
    numbers: std::sync::Arc<std::sync::Mutex<AuthorNumbers>>,
}

/// Author numbers by commons number and author key.
type AuthorNumbers = HashMap<(i64, [u8; 33]), i64>;

impl AuthorNumberCache {
    /// A panic elsewhere cannot leave the map half-written (an entry is inserted whole),
    /// so a poisoned lock is still good to use.
    fn lock(&self) -> std::sync::MutexGuard<'_, AuthorNumbers> {
        self.numbers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The remembered numbers of `authors` of commons `commons_no`, and the authors it
    /// does not remember.
    pub(crate) fn split(
        &self,
        commons_no: i64,
        authors: &[[u8; 33]],
    ) -> (HashMap<[u8; 33], i64>, Vec<[u8; 33]>) {
        let cached = self.lock();
        let mut known = HashMap::with_capacity(authors.len());
        let mut unknown = Vec::new();
        for author in authors {
            match cached.get(&(commons_no, *author)) {
                Some(no) => {
                    known.insert(*author, *no);
                }
                None => unknown.push(*author),
            }
        }
        (known, unknown)
    }

    /// Remembers numbers looked up or assigned by a transaction that committed.
    pub(crate) fn remember(&self, commons_no: i64, looked_up: &HashMap<[u8; 33], i64>) {
        if looked_up.is_empty() {
            return;
        }
        let mut cached = self.lock();
        if cached.len() + looked_up.len() > AUTHOR_NUMBERS_CACHED_MAX {
            cached.clear();
        }
        cached.extend(
            looked_up
                .iter()
                .map(|(author, no)| ((commons_no, *author), *no)),
        );
    }
}
