//! Handlers of `/api/v1`: each reads its input, asks the node or its store, and answers in
//! one of the shapes of [`crate::json`], or with an [`ApiError`].

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{
    ApiPath, ApiQuery, parse_author, parse_commons_id, parse_event_id, parse_kind,
};
use crate::json::{
    CommonsOverview, CommonsSummary, ConsistencyProof, EventJson, EventPage, EventStatusJson,
    ForkParentJson, ForkSummary, InclusionProof, Lineage, NodeInfo, SubmitAnswer, envelopes_cbor,
};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commons_ledger::{CommonsId, Hash};
use commons_node::{CommonsView, EventStatus, SubmitOutcome, SubmitStatus};
use commons_store::{EventQuery, Store, StoredEvent};
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The media type of envelopes and envelope arrays (spec §12).
pub const CBOR: &str = "application/cbor";
/// The media type of checkpoints and receipts: C2SP notes are UTF-8 text.
pub const TEXT: &str = "text/plain; charset=utf-8";
/// The media type of a batch of envelopes: a CBOR sequence (RFC 8742), the envelopes back
/// to back.
pub const CBOR_SEQ: &str = "application/cbor-seq";
/// Most envelopes one `POST /api/v1/events/batch` may carry.
pub const BATCH_ENVELOPES_MAX: usize = 1_000;
/// Largest body of one `POST /api/v1/events/batch`.
pub const BATCH_BODY_BYTES_MAX: usize = 4 * 1024 * 1024;

pub async fn node_info(State(state): State<AppState>) -> Json<NodeInfo> {
    Json(NodeInfo {
        sequencer: state.node.sequencer_key().to_hex(),
        accepts_new_commons: state.node.accepts_commons_from_anyone(),
        version: env!("CARGO_PKG_VERSION"),
    })
}

pub async fn list_commons(State(state): State<AppState>) -> Json<Vec<CommonsSummary>> {
    Json(
        state
            .node
            .list_commons()
            .iter()
            .map(|view| CommonsSummary::of(view))
            .collect(),
    )
}

pub async fn commons_overview(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CommonsOverview>, ApiError> {
    let view = commons_view(&state, &id)?;
    Ok(Json(CommonsOverview::of(&view)))
}

/// `POST /api/v1/events`: one envelope in, `{"id", "status", "index"}` out — 200 once
/// sequenced, 202 while it waits in the pending pool.
pub async fn submit_event(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_media_type(&headers, CBOR, "an event")?;
    let bytes = read_body(&headers, body, state.config.request_body_bytes_max).await?;
    let outcome = state.node.submit(&bytes).await?;
    let (status, answer) = submit_answer(outcome);
    Ok((status, Json(answer)).into_response())
}

/// The answer to one accepted envelope, and the status it gets alone.
fn submit_answer(outcome: SubmitOutcome) -> (StatusCode, SubmitAnswer) {
    match outcome.status {
        SubmitStatus::Sequenced { index } => (
            StatusCode::OK,
            SubmitAnswer {
                id: outcome.id.to_hex(),
                status: "sequenced",
                index: Some(index),
            },
        ),
        SubmitStatus::Pending => (
            StatusCode::ACCEPTED,
            SubmitAnswer {
                id: outcome.id.to_hex(),
                status: "pending",
                index: None,
            },
        ),
    }
}

/// One envelope's answer in a batch: what `POST /api/v1/events` would have answered it
/// alone, the success body or the error body.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum BatchAnswer {
    Accepted(SubmitAnswer),
    Refused(ErrorBody<'static>),
}

/// `POST /api/v1/events/batch`: up to [`BATCH_ENVELOPES_MAX`] envelopes as a CBOR
/// sequence, answered with a JSON array holding each envelope's answer in order. The
/// signatures are checked in one batch, and the envelopes of one batch usually share a
/// group commit: a client with many events to send (a bridge, an import, an author back
/// online) pays one request and one commit instead of one per event. The response comes
/// once every sequenced envelope of the batch is durable.
pub async fn submit_events_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    require_media_type(&headers, CBOR_SEQ, "a batch of events")?;
    let bytes = read_body(&headers, body, BATCH_BODY_BYTES_MAX).await?;
    let envelopes = split_cbor_sequence(&bytes, BATCH_ENVELOPES_MAX)?;
    let answers: Vec<BatchAnswer> = state
        .node
        .submit_many(&envelopes)
        .await
        .into_iter()
        .map(|answer| match answer {
            Ok(outcome) => BatchAnswer::Accepted(submit_answer(outcome).1),
            Err(error) => {
                let error = ApiError::from(error);
                if let ApiError::Fault(detail) = &error {
                    tracing::error!(%detail, "an envelope of a batch failed");
                }
                BatchAnswer::Refused(ErrorBody {
                    code: error.code(),
                    message: error.message(),
                })
            }
        })
        .collect();
    Ok((StatusCode::OK, Json(answers)).into_response())
}

/// Splits a CBOR sequence into its items without decoding them (the node decodes each
/// with all of the ledger's checks). At most `items_max` items.
fn split_cbor_sequence(bytes: &[u8], items_max: usize) -> Result<Vec<Vec<u8>>, ApiError> {
    let mut items = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        if items.len() == items_max {
            return Err(ApiError::bad_request(
                "batch_too_large",
                format!("a batch holds at most {items_max} envelopes"),
            ));
        }
        let end = cbor_item_end(bytes, start).ok_or_else(|| {
            ApiError::bad_request(
                "batch_malformed",
                format!(
                    "item {} of the batch is not one definite-length CBOR item",
                    items.len()
                ),
            )
        })?;
        items.push(bytes[start..end].to_vec());
        start = end;
    }
    Ok(items)
}

/// Where the CBOR item that starts at `start` ends, or `None` if it is cut short or uses
/// an encoding no envelope contains (an indefinite length or a reserved value). It reads
/// heads only, counting the items still owed, so its work is bounded by the input.
fn cbor_item_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start;
    let mut owed: u64 = 1;
    while owed > 0 {
        owed -= 1;
        let initial = *bytes.get(at)?;
        at += 1;
        let argument = match initial & 0x1f {
            info @ 0..=23 => u64::from(info),
            info @ 24..=27 => {
                let n_bytes = 1usize << (info - 24);
                let field = bytes.get(at..at.checked_add(n_bytes)?)?;
                at += n_bytes;
                field
                    .iter()
                    .fold(0u64, |value, byte| (value << 8) | u64::from(*byte))
            }
            _ => return None,
        };
        match initial >> 5 {
            // Byte and text strings: skip the content.
            2 | 3 => {
                at = at.checked_add(usize::try_from(argument).ok()?)?;
                if at > bytes.len() {
                    return None;
                }
            }
            4 => owed = owed.checked_add(argument)?,
            5 => owed = owed.checked_add(argument.checked_mul(2)?)?,
            6 => owed = owed.checked_add(1)?,
            // Integers and simple values carry nothing more.
            _ => {}
        }
        // Every item owed takes at least a byte; more than remain means a cut-short item.
        if owed > (bytes.len() - at) as u64 {
            return None;
        }
    }
    Some(at)
}

pub(crate) fn require_media_type(
    headers: &HeaderMap,
    expected: &str,
    what: &str,
) -> Result<(), ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match essence {
        Some(t) if t.eq_ignore_ascii_case(expected) => Ok(()),
        Some(t) => Err(ApiError::UnsupportedMediaType {
            code: "unsupported_media_type",
            message: format!("{what} is sent as {expected}, not {t}"),
        }),
        None => Err(ApiError::UnsupportedMediaType {
            code: "unsupported_media_type",
            message: format!("{what} is sent as {expected}; the request has no content type"),
        }),
    }
}

/// Reads the body, refusing one longer than `limit_bytes`: a declared length over the
/// limit before reading a byte of it, a longer body without buffering it.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit_bytes: usize,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit_bytes as u64) {
        return Err(ApiError::RequestTooLarge { limit_bytes });
    }
    read_limited(body, limit_bytes).await
}

/// Reads at most `limit_bytes` of the body; a longer body is refused without buffering it.
async fn read_limited(body: Body, limit_bytes: usize) -> Result<Bytes, ApiError> {
    match http_body_util::Limited::new(body, limit_bytes)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ApiError::RequestTooLarge { limit_bytes })
        }
        Err(e) => Err(ApiError::bad_request(
            "body_unreadable",
            format!("the request body could not be read: {e}"),
        )),
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Cbor,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only events at ledger index `from` or later.
    from: Option<u64>,
    /// Only events before ledger index `before`.
    before: Option<u64>,
    limit: Option<u64>,
    kind: Option<String>,
    author: Option<String>,
    #[serde(default)]
    order: Order,
    format: Option<Format>,
}

/// `GET /api/v1/commons/{id}/events`: a page of events, JSON for people or a CBOR array of
/// envelopes for programs, with the next page in `next` and in a `Link` header.
pub async fn list_events(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let view = commons_view(&state, &id)?;
    let page_size_max = state.config.page_size_max;
    let limit = query.limit.unwrap_or(state.config.page_size_default);
    if limit == 0 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit must be at least 1",
        ));
    }
    if limit > page_size_max {
        return Err(ApiError::bad_request(
            "page_too_large",
            format!("limit {limit} is above the largest page, {page_size_max}"),
        ));
    }
    let kind = query.kind.as_deref().map(parse_kind).transpose()?;
    let author = query.author.as_deref().map(parse_author).transpose()?;
    let store_query = EventQuery {
        kind: kind.map(|k| k.as_str().to_owned()),
        author,
        time_from_ms: None,
        time_to_ms: None,
        before_index: query.before,
        from_index: query.from,
        descending: query.order == Order::Desc,
        limit,
    };
    let events = state
        .node
        .store()
        .query_events(&view.id, &store_query)
        .await?;
    let next = next_page(&view.id, &query, limit, &events);
    let format = query.format.unwrap_or_else(|| {
        if accepts_cbor(&headers) {
            Format::Cbor
        } else {
            Format::Json
        }
    });
    let mut response = match format {
        Format::Cbor => cbor_response(envelopes_cbor(&events)),
        Format::Json => {
            let events = events
                .iter()
                .map(EventJson::of)
                .collect::<Result<Vec<_>, _>>()?;
            Json(EventPage {
                events,
                next: next.clone(),
            })
            .into_response()
        }
    };
    if let Some(link) =
        next.and_then(|next| HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).ok())
    {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

fn accepts_cbor(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            t.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(CBOR))
        })
}

/// The path and query of the page after `events`, or `None` when this page is not full.
/// Filters are carried over; the cursor moves past the last event in the page's order.
fn next_page(
    commons: &CommonsId,
    query: &EventsQuery,
    limit: u64,
    events: &[StoredEvent],
) -> Option<String> {
    let last = events.last()?;
    if (events.len() as u64) < limit {
        return None;
    }
    let (from, before) = match query.order {
        Order::Asc => (Some(last.index.checked_add(1)?), query.before),
        Order::Desc => (query.from, Some(last.index)),
    };
    if let (Some(from), Some(before)) = (from, before)
        && from >= before
    {
        return None;
    }
    // Kinds and authors were validated, so they need no escaping: `[a-z0-9._-]` and hex.
    let mut params = Vec::new();
    if let Some(from) = from {
        params.push(format!("from={from}"));
    }
    if let Some(before) = before {
        params.push(format!("before={before}"));
    }
    params.push(format!("limit={limit}"));
    if let Some(kind) = &query.kind {
        params.push(format!("kind={kind}"));
    }
    if let Some(author) = &query.author {
        params.push(format!("author={author}"));
    }
    if query.order == Order::Desc {
        params.push("order=desc".into());
    }
    match query.format {
        Some(Format::Cbor) => params.push("format=cbor".into()),
        Some(Format::Json) => params.push("format=json".into()),
        None => {}
    }
    Some(format!(
        "/api/v1/commons/{}/events?{}",
        commons.to_hex(),
        params.join("&")
    ))
}

/// `GET /api/v1/commons/{id}/events/{event_id}`: the event and where it stands.
pub async fn get_event(
    State(state): State<AppState>,
    ApiPath((id, event_id)): ApiPath<(String, String)>,
) -> Result<Json<EventStatusJson>, ApiError> {
    let view = commons_view(&state, &id)?;
    let event_id = parse_event_id(&event_id)?;
    if let Some(stored) = find_event(&state, &view.id, &event_id).await? {
        return Ok(Json(EventStatusJson {
            id: event_id.to_hex(),
            status: "sequenced",
            index: Some(stored.index),
            reason: None,
            event: Some(EventJson::of(&stored)?),
        }));
    }
    let (status, reason) = match state.node.event_status(&view.id, &event_id).await? {
        // Sequenced between the two reads: answer from the store on the next request.
        EventStatus::Sequenced { index } => {
            let stored = find_event(&state, &view.id, &event_id)
                .await?
                .ok_or_else(|| ApiError::Fault(format!("event {event_id} at {index} vanished")))?;
            return Ok(Json(EventStatusJson {
                id: event_id.to_hex(),
                status: "sequenced",
                index: Some(stored.index),
                reason: None,
                event: Some(EventJson::of(&stored)?),
            }));
        }
        EventStatus::Pending => ("pending", None),
        EventStatus::Evicted(reason) => ("evicted", Some(reason.code())),
        EventStatus::Unknown => return Err(unknown_event(&event_id)),
    };
    Ok(Json(EventStatusJson {
        id: event_id.to_hex(),
        status,
        index: None,
        reason,
        event: None,
    }))
}

async fn find_event(
    state: &AppState,
    commons: &CommonsId,
    event_id: &commons_ledger::EventId,
) -> Result<Option<StoredEvent>, ApiError> {
    Ok(state
        .node
        .store()
        .events_by_id(commons, &[*event_id])
        .await?
        .into_iter()
        .next())
}

fn unknown_event(event_id: &commons_ledger::EventId) -> ApiError {
    ApiError::not_found(
        "unknown_event",
        format!("this commons has no event {event_id}, sequenced or pending"),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntriesQuery {
    from: u64,
    to: u64,
}

/// `GET /api/v1/commons/{id}/entries?from=a&to=b`: the envelopes at `a <= i < b`, as one
/// CBOR array (spec §12).
pub async fn entries(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<EntriesQuery>,
) -> Result<Response, ApiError> {
    let view = commons_view(&state, &id)?;
    let EntriesQuery { from, to } = query;
    if from > to {
        return Err(ApiError::bad_request(
            "invalid_range",
            format!("from {from} is after to {to}"),
        ));
    }
    let range_max = state.config.entries_range_max;
    if to - from > range_max {
        return Err(ApiError::bad_request(
            "range_too_large",
            format!("at most {range_max} entries per request"),
        ));
    }
    if to > view.size {
        return Err(ApiError::bad_request(
            "out_of_range",
            format!("the ledger has {} entries", view.size),
        ));
    }
    let mut events = Vec::with_capacity(usize::try_from(to - from).unwrap_or(0));
    let mut start = from;
    while start < to {
        let end = to.min(start.saturating_add(commons_store::EVENTS_PAGE_MAX));
        let page = state
            .node
            .store()
            .events_range(&view.id, start, end)
            .await?;
        if page.len() as u64 != end - start {
            return Err(ApiError::Fault(format!(
                "entries {start}..{end} of {} are missing",
                view.id
            )));
        }
        events.extend(page);
        start = end;
    }
    Ok(cbor_response(envelopes_cbor(&events)))
}

/// `GET /api/v1/commons/{id}/checkpoint` and `…/tlog/checkpoint`: the latest signed note.
pub async fn checkpoint(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let view = commons_view(&state, &id)?;
    let note = latest_checkpoint(&state, &view).await?.note;
    let mut response = ([(header::CONTENT_TYPE, TEXT)], note).into_response();
    // A checkpoint is replaced by every commit.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `GET /api/v1/commons/{id}/checkpoints/{size}`: the signed checkpoint the node stored
/// at exactly that ledger size (a fork names one), or 404 `no_checkpoint`.
pub async fn checkpoint_at(
    State(state): State<AppState>,
    ApiPath((id, size)): ApiPath<(String, u64)>,
) -> Result<Response, ApiError> {
    let view = commons_view(&state, &id)?;
    let Some(checkpoint) = state.node.store().checkpoint_at(&view.id, size).await? else {
        return Err(ApiError::not_found(
            "no_checkpoint",
            format!(
                "commons {} has no signed checkpoint of size {size}",
                view.id
            ),
        ));
    };
    Ok(([(header::CONTENT_TYPE, TEXT)], checkpoint.note).into_response())
}

async fn latest_checkpoint(
    state: &AppState,
    view: &CommonsView,
) -> Result<commons_store::CheckpointRow, ApiError> {
    if let Some(checkpoint) = &view.checkpoint {
        return Ok(checkpoint.clone());
    }
    state
        .node
        .latest_checkpoint(&view.id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("no_checkpoint", "this commons has no signed checkpoint yet")
        })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    index: u64,
    size: u64,
}

/// `GET /api/v1/commons/{id}/proof/inclusion?index=i&size=n` (RFC 9162 §2.1.3).
pub async fn inclusion_proof(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(InclusionQuery { index, size }): ApiQuery<InclusionQuery>,
) -> Result<Json<InclusionProof>, ApiError> {
    let view = commons_view(&state, &id)?;
    if index >= size || size > view.size {
        return Err(ApiError::bad_request(
            "out_of_range",
            format!("need index < size <= {} (the ledger's size)", view.size),
        ));
    }
    let hashes = state
        .node
        .inclusion_proof(&view.id, index, size)
        .await?
        .ok_or_else(|| {
            ApiError::bad_request("out_of_range", "the ledger does not reach that size")
        })?;
    Ok(Json(InclusionProof {
        index,
        size,
        hashes: hex_hashes(&hashes),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    from: u64,
    to: u64,
}

/// `GET /api/v1/commons/{id}/proof/consistency?from=m&to=n` (RFC 9162 §2.1.4).
pub async fn consistency_proof(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(ConsistencyQuery { from, to }): ApiQuery<ConsistencyQuery>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let view = commons_view(&state, &id)?;
    if from > to || to > view.size {
        return Err(ApiError::bad_request(
            "out_of_range",
            format!("need from <= to <= {} (the ledger's size)", view.size),
        ));
    }
    let hashes = state
        .node
        .consistency_proof(&view.id, from, to)
        .await?
        .ok_or_else(|| {
            ApiError::bad_request("out_of_range", "the ledger does not reach that size")
        })?;
    Ok(Json(ConsistencyProof {
        from,
        to,
        hashes: hex_hashes(&hashes),
    }))
}

/// `GET /api/v1/commons/{id}/lineage`: the parent checkpoint a fork names, the fork's
/// latest checkpoint and the consistency proof joining them (404 `not_a_fork` for a
/// commons that starts with its own genesis).
pub async fn lineage(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Lineage>, ApiError> {
    let view = commons_view(&state, &id)?;
    lineage_of(&state, &view).await.map(Json)
}

/// The lineage of the fork `view`: what `GET …/lineage` answers and the web UI checks.
pub(crate) async fn lineage_of(state: &AppState, view: &CommonsView) -> Result<Lineage, ApiError> {
    let Some(parent) = &view.governance.parent else {
        return Err(ApiError::not_found(
            "not_a_fork",
            format!("commons {} is not a fork", view.id),
        ));
    };
    let fork_checkpoint = latest_checkpoint(state, view).await?;
    let hashes = state
        .node
        .consistency_proof(&view.id, parent.size, fork_checkpoint.size)
        .await?
        .ok_or_else(|| {
            ApiError::Fault(format!(
                "no consistency proof from {} to {} in fork {}",
                parent.size, fork_checkpoint.size, view.id
            ))
        })?;
    Ok(Lineage {
        parent: ForkParentJson::of(parent),
        fork_checkpoint: fork_checkpoint.note,
        consistency_proof: hex_hashes(&hashes),
    })
}

/// `GET /api/v1/commons/{id}/forks`: the commons on this node whose parent is `id`.
pub async fn forks(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<ForkSummary>>, ApiError> {
    let view = commons_view(&state, &id)?;
    Ok(Json(forks_of(&state, &view.id)))
}

/// The commons on this node whose parent is `parent`.
pub(crate) fn forks_of(state: &AppState, parent: &CommonsId) -> Vec<ForkSummary> {
    state
        .node
        .list_commons()
        .iter()
        .filter_map(|fork| {
            let named = fork.governance.parent.as_ref()?;
            (named.commons == *parent).then(|| ForkSummary {
                id: fork.id.to_hex(),
                name: fork.governance.name.clone(),
                fork_size: named.size,
            })
        })
        .collect()
}

/// `GET /api/v1/commons/{id}/receipt/{event_id}`: a c2sp.org/tlog-proof receipt of the event
/// against the latest checkpoint, checkable offline with the sequencer's key.
pub async fn receipt(
    State(state): State<AppState>,
    ApiPath((id, event_id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let view = commons_view(&state, &id)?;
    let event_id = parse_event_id(&event_id)?;
    let Some(stored) = find_event(&state, &view.id, &event_id).await? else {
        return match state.node.event_status(&view.id, &event_id).await? {
            EventStatus::Pending | EventStatus::Sequenced { .. } => {
                Err(not_yet_checkpointed(&event_id))
            }
            EventStatus::Evicted(_) | EventStatus::Unknown => Err(unknown_event(&event_id)),
        };
    };
    // The node builds the receipt against its latest checkpoint, with the event's leaf and
    // the sequencer key in `extra` so that `commons proof verify` needs nothing else.
    let Some(receipt) = state.node.receipt(&view.id, &stored.id).await? else {
        return Err(not_yet_checkpointed(&event_id));
    };
    Ok(([(header::CONTENT_TYPE, TEXT)], receipt.to_text()).into_response())
}

fn not_yet_checkpointed(event_id: &commons_ledger::EventId) -> ApiError {
    ApiError::not_found(
        "event_not_sequenced",
        format!("event {event_id} is not in a signed checkpoint yet; retry once it is sequenced"),
    )
}

/// The commons named by a path parameter, or 400 `invalid_id` / 404 `unknown_commons`.
pub fn commons_view(state: &AppState, id: &str) -> Result<Arc<CommonsView>, ApiError> {
    let id = parse_commons_id(id)?;
    state.node.commons(&id).ok_or_else(|| {
        ApiError::not_found(
            "unknown_commons",
            format!("this node hosts no commons with id {id}"),
        )
    })
}

pub fn cbor_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, CBOR)], bytes).into_response()
}

fn hex_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(Hash::to_hex).collect()
}
