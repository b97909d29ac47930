//! Handlers of `/api/v1`: each reads its input, asks the node or its store, and answers in
//! one of the shapes of [`crate::json`], or with an [`ApiError`].

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{
    ApiPath, ApiQuery, parse_author, parse_commons_id, parse_event_id, parse_kind,
};
use crate::json::{
    CommonsOverview, CommonsSummary, ConsistencyProof, EventJson, EventPage, EventStatusJson,
    InclusionProof, NodeInfo, SubmitAnswer, envelopes_cbor,
};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commons_ledger::{CommonsId, Hash};
use commons_node::{CommonsView, EventStatus, SubmitStatus};
use commons_store::{EventQuery, Store, StoredEvent};
use http_body_util::BodyExt;
use serde::Deserialize;
use std::sync::Arc;

/// The media type of envelopes and envelope arrays (spec §12).
pub const CBOR: &str = "application/cbor";
/// The media type of checkpoints and receipts: C2SP notes are UTF-8 text.
pub const TEXT: &str = "text/plain; charset=utf-8";

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
    require_cbor(&headers)?;
    let limit_bytes = state.config.request_body_bytes_max;
    // A declared length over the limit is refused before reading a byte of it.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit_bytes as u64) {
        return Err(ApiError::RequestTooLarge { limit_bytes });
    }
    let bytes = read_limited(body, limit_bytes).await?;
    let outcome = state.node.submit(&bytes).await?;
    let (status, answer) = match outcome.status {
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
    };
    Ok((status, Json(answer)).into_response())
}

fn require_cbor(headers: &HeaderMap) -> Result<(), ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match essence {
        Some(t) if t.eq_ignore_ascii_case(CBOR) => Ok(()),
        Some(t) => Err(ApiError::UnsupportedMediaType {
            message: format!("an event is sent as {CBOR}, not {t}"),
        }),
        None => Err(ApiError::UnsupportedMediaType {
            message: format!("an event is sent as {CBOR}; the request has no content type"),
        }),
    }
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
