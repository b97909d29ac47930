//! Holoptism: every commons, its governance and its whole ledger, readable by anyone.
//! The node home, creating a commons, the commons overview, the ledger explorer, event
//! and agent pages, receipts and their verification.

use super::accounts::signing_key;
use super::session::{CheckedForm, Flash, FlashKind, Viewer};
use super::{UiError, dates, render, render_status};
use crate::AppState;
use crate::json::EventJson;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use commons_core::agents::profile_body;
use commons_core::network::{COMMONS_NAME_LEN_MAX, genesis_body};
use commons_core::production::views;
use commons_core::state::AgentKind;
use commons_ledger::{AuthorKey, CommonsId, Event, EventId, Kind};
use commons_node::{CommonsView, SubmitError};
use commons_store::{AccountStore, EventQuery, Store, StoredEvent};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Events per explorer page.
pub const EXPLORER_PAGE_SIZE: u64 = 50;
/// Events in an overview's recent activity.
pub const RECENT_EVENTS: u64 = 10;
/// Licences offered on the create form; any SPDX expression is accepted.
pub const SUGGESTED_LICENCES: &[&str] = &[
    "CC-BY-SA-4.0",
    "CC-BY-4.0",
    "CC0-1.0",
    "AGPL-3.0-or-later",
    "GPL-3.0-or-later",
    "MIT",
    "Apache-2.0",
    "CERN-OHL-S-2.0",
    "ODbL-1.0",
];
/// Most agents a commons may have for its names to be kept in the UI's name book; a
/// larger commons has the names of each page looked up instead.
pub const NAME_BOOK_AGENTS_MAX: usize = 100_000;
/// Longest receipt the verify form takes, in bytes.
pub const RECEIPT_BYTES_MAX: usize = 32 * 1024;

pub(crate) fn commons_of(state: &AppState, id: &str) -> Result<Arc<CommonsView>, UiError> {
    let id = CommonsId::from_hex(id)
        .ok_or_else(|| UiError::NotFound("There is no commons with that id.".into()))?;
    state
        .node
        .commons(&id)
        .ok_or_else(|| UiError::NotFound("This node hosts no commons with that id.".into()))
}

pub(crate) fn parse_event_id(text: &str) -> Result<EventId, UiError> {
    EventId::from_hex(text)
        .ok_or_else(|| UiError::NotFound("There is no event with that id.".into()))
}

/// Published display names of `keys` in `commons` (the sequencer, which publishes no
/// profile, is named as such), by hex key. Served from the UI's name book, which is
/// refreshed from the durable state whenever the ledger has grown.
pub(crate) async fn names(
    state: &AppState,
    commons: &CommonsId,
    keys: BTreeSet<AuthorKey>,
) -> Result<BTreeMap<String, String>, UiError> {
    let size = state.node.commons(commons).map_or(0, |v| v.size);
    let book = match state.ui.names.get(commons, size) {
        Some(book) => book,
        None => {
            let wanted = keys.clone();
            let fetched = state
                .node
                .inspect(commons, move |s| {
                    let named = s
                        .agents
                        .iter()
                        .filter_map(|(k, a)| Some((*k, a.name.clone()?)));
                    let mut book: HashMap<AuthorKey, String> =
                        if s.agents.len() <= NAME_BOOK_AGENTS_MAX {
                            named.collect()
                        } else {
                            // Too many agents to keep: look up only what this page needs.
                            wanted
                                .iter()
                                .filter_map(|k| s.display_name(k).map(|n| (*k, n.to_owned())))
                                .collect()
                        };
                    book.entry(s.governance.sequencer)
                        .or_insert_with(|| "the sequencer".to_owned());
                    (book, s.agents.len() <= NAME_BOOK_AGENTS_MAX)
                })
                .await?;
            let Some((book, complete)) = fetched else {
                return Ok(BTreeMap::new());
            };
            let book = Arc::new(book);
            if complete {
                state.ui.names.put(*commons, size, book.clone());
            }
            book
        }
    };
    Ok(keys
        .iter()
        .filter_map(|k| book.get(k).map(|n| (k.to_hex(), n.clone())))
        .collect())
}

/// One event as a table row, from its header alone: what the explorer, overview and
/// agent pages list. Labels are computed here so the template only places them.
#[derive(Debug, serde::Serialize)]
pub(crate) struct EventRow {
    index: u64,
    id: String,
    id_short: String,
    kind: String,
    kind_class: String,
    author: String,
    author_label: String,
    author_named: bool,
    time: String,
}

fn event_row(event: &StoredEvent, names: &BTreeMap<String, String>) -> Result<EventRow, UiError> {
    let header = commons_ledger::Header::decode(&event.header_bytes).map_err(|e| {
        UiError::Fault(format!(
            "stored event {} has a bad header: {e}",
            event.index
        ))
    })?;
    let id = event.id.to_hex();
    let author = header.author.to_hex();
    let name = names.get(&author);
    Ok(EventRow {
        index: event.index,
        id_short: super::short(&id),
        id,
        kind_class: header.kind.as_str().replace('.', "-"),
        kind: header.kind.as_str().to_owned(),
        author_label: name.cloned().unwrap_or_else(|| super::short(&author)),
        author_named: name.is_some(),
        author,
        time: dates::format_datetime(header.time_ms),
    })
}

pub(crate) async fn event_rows(
    state: &AppState,
    commons: &CommonsId,
    events: &[StoredEvent],
) -> Result<Vec<EventRow>, UiError> {
    let authors = events
        .iter()
        .filter_map(|e| commons_ledger::Header::decode(&e.header_bytes).ok())
        .map(|h| h.author)
        .collect();
    let names = names(state, commons, authors).await?;
    events.iter().map(|e| event_row(e, &names)).collect()
}

/// The public key of an account's custodial key.
pub(crate) async fn account_key(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Option<AuthorKey>, UiError> {
    let Some(account) = &viewer.account else {
        return Ok(None);
    };
    let keys = state.node.store().account_keys(account.id).await?;
    Ok(keys
        .iter()
        .find(|k| k.sealed_secret.is_some())
        .map(|k| k.key))
}

pub(crate) fn commons_card(view: &CommonsView) -> Value {
    context! {
        id => view.id.to_hex(),
        name => view.governance.name,
        licence => view.governance.licence,
        size => view.size,
        n_authors => view.n_authors,
        n_maintainers => view.governance.maintainers.len(),
        time_ms => view.time_ms,
        sequenced_here => view.sequenced_here,
    }
}

/// `GET /`: the commons hosted here.
pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, UiError> {
    let hosted = state.node.list_commons();
    let commons: Vec<Value> = hosted.iter().map(|view| commons_card(view)).collect();
    let total_events: u64 = hosted.iter().map(|v| v.size).sum();
    let can_create = match account_key(&state, &viewer).await? {
        Some(key) => state.node.may_create_commons(&key),
        None => false,
    };
    Ok(render(
        &state,
        viewer,
        "home.html",
        context! {
            title => "Commons on this node",
            commons_list => commons,
            total_events => total_events,
            can_create => can_create,
            sequencer => state.node.sequencer_key().to_hex(),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewCommonsForm {
    name: String,
    licence: String,
}

pub async fn new_commons_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    viewer.require_account()?;
    let page = context! {
        title => "Create a commons",
        licences => SUGGESTED_LICENCES,
        form => context! { licence => SUGGESTED_LICENCES[0] },
    };
    Ok(render(&state, viewer, "new_commons.html", page))
}

/// `POST /new`: the person's key signs a genesis naming them sole maintainer and this
/// node as sequencer, then publishes their profile in the new commons.
pub async fn create_commons(
    State(state): State<AppState>,
    CheckedForm(viewer, form): CheckedForm<NewCommonsForm>,
) -> Result<Response, UiError> {
    let account = viewer.require_account()?.clone();
    let key = signing_key(&state, &account).await?;
    if !state.node.may_create_commons(&key.author_key()) {
        return Err(UiError::Forbidden(
            "This node creates commons only for the keys its operator allowed.".into(),
        ));
    }
    let name = form.name.trim().to_owned();
    let licence = form.licence.trim().to_owned();
    let problem = if name.is_empty() || name.len() > COMMONS_NAME_LEN_MAX {
        Some(format!("A name has 1 to {COMMONS_NAME_LEN_MAX} bytes."))
    } else {
        commons_core::governance::validate_licence(&licence)
            .err()
            .map(|r| {
                format!(
                    "The licence must be an SPDX expression, like CC-BY-SA-4.0 ({}).",
                    r.message
                )
            })
    };
    let body = genesis_body(
        &name,
        &[key.author_key()],
        1,
        &state.node.sequencer_key(),
        &licence,
    );
    let created = match problem {
        Some(problem) => Err(problem),
        None => state
            .node
            .author(&key, None, commons_core::network::GENESIS, &body, vec![])
            .await
            .map_err(|e| match e {
                SubmitError::Rejected(e) => e.to_string(),
                SubmitError::Fault(e) => format!("the node failed: {e}"),
            }),
    };
    let (genesis, _) = match created {
        Ok(created) => created,
        Err(problem) => {
            return Ok(render_status(
                &state,
                viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                "new_commons.html",
                context! {
                    title => "Create a commons",
                    licences => SUGGESTED_LICENCES,
                    error => problem,
                    form => context! { name => form.name, licence => form.licence },
                },
            ));
        }
    };
    let commons = CommonsId(genesis.id.0);
    state
        .node
        .author(
            &key,
            Some(commons),
            commons_core::agents::PROFILE,
            &profile_body(&account.display_name, AgentKind::Person),
            vec![],
        )
        .await
        .map_err(|e| UiError::Fault(format!("publishing the founder's profile: {e}")))?;
    Ok(viewer.redirect(
        &state.ui,
        &format!("/c/{}", commons.to_hex()),
        Some(Flash {
            kind: FlashKind::Success,
            message: format!("{name} is created. You are its maintainer."),
        }),
    ))
}

/// `GET /c/{id}`: governance, the latest checkpoint and recent activity.
pub async fn overview(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let recent = state
        .node
        .store()
        .query_events(
            &view.id,
            &EventQuery {
                descending: true,
                limit: RECENT_EVENTS,
                ..EventQuery::default()
            },
        )
        .await?;
    let mut keys: BTreeSet<AuthorKey> = view.governance.maintainers.iter().copied().collect();
    keys.extend(
        recent
            .iter()
            .filter_map(|e| commons_ledger::Header::decode(&e.header_bytes).ok())
            .map(|h| h.author),
    );
    let names = names(&state, &view.id, keys).await?;
    let recent: Vec<EventRow> = recent
        .iter()
        .map(|e| event_row(e, &names))
        .collect::<Result<_, _>>()?;
    let maintainers: Vec<Value> = view
        .governance
        .maintainers
        .iter()
        .map(|k| context! { key => k.to_hex(), name => names.get(&k.to_hex()) })
        .collect();
    let viewer_key = account_key(&state, &viewer).await?;
    let viewer_role = match viewer_key {
        Some(key) if view.governance.maintainers.contains(&key) => Some("maintainer"),
        Some(_) => Some("member"),
        None => None,
    };
    // Offer to publish the person's profile only when the ledger would take it (core's
    // one authorization rule, asked in the same read as the published name).
    let seen = viewer.seen_index(&view.id);
    let (published_name, can_publish, n_unseen) = match viewer_key {
        Some(key) => state
            .node
            .inspect(&view.id, move |s| {
                let published = s.display_name(&key).map(str::to_owned);
                let allowed =
                    commons_core::authz::authorize(s, &key, commons_core::agents::PROFILE).is_ok();
                let unseen = super::production::unseen_notices(s, Some(key), seen);
                (published, allowed, unseen)
            })
            .await?
            .unwrap_or((None, false, 0)),
        None => (None, false, 0),
    };
    let lineage = super::forks::lineage_section(&state, &view, &headers).await?;
    let forks = super::forks::forks_section(&state, &view);
    let can_fork = super::forks::may_fork(&state, viewer_key);
    let page = context! {
        title => view.governance.name,
        commons => commons_card(&view),
        maintainers => maintainers,
        threshold => view.governance.threshold,
        governance_version => view.governance.version,
        sequencer => view.governance.sequencer.to_hex(),
        checkpoint => view.checkpoint.as_ref().map(|c| c.note.clone()),
        checkpoint_size => view.checkpoint.as_ref().map(|c| c.size),
        recent => recent,
        viewer_role => viewer_role,
        published_name => published_name,
        can_publish => can_publish,
        section => "overview",
        n_unseen => n_unseen,
        lineage => lineage,
        forks => forks,
        can_fork => can_fork,
        licences => SUGGESTED_LICENCES,
    };
    Ok(render(&state, viewer, "commons.html", page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventFilter {
    kind: String,
    author: String,
    from: String,
    to: String,
    before: Option<u64>,
}

/// `GET /c/{id}/events`: newest first, filtered by kind, author and date.
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(filter): Query<EventFilter>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let mut problems = Vec::new();
    let mut query = EventQuery {
        descending: true,
        limit: EXPLORER_PAGE_SIZE,
        before_index: filter.before,
        ..EventQuery::default()
    };
    if !filter.kind.trim().is_empty() {
        match Kind::new(filter.kind.trim()) {
            Ok(kind) => query.kind = Some(kind.as_str().to_owned()),
            Err(_) => problems.push("The kind is not a valid event kind (like agent.profile)."),
        }
    }
    if !filter.author.trim().is_empty() {
        match AuthorKey::from_hex(filter.author.trim()) {
            Ok(key) => query.author = Some(key),
            Err(_) => problems.push("The author must be a key in hex (66 digits)."),
        }
    }
    if !filter.from.trim().is_empty() {
        match dates::parse_date(&filter.from) {
            Some(ms) => query.time_from_ms = Some(ms),
            None => problems.push("The from date must be a date like 2026-01-31."),
        }
    }
    if !filter.to.trim().is_empty() {
        match dates::parse_date(&filter.to) {
            // Inclusive of the whole `to` day.
            Some(ms) => query.time_to_ms = Some(ms + 86_400_000),
            None => problems.push("The to date must be a date like 2026-01-31."),
        }
    }
    let filtered = query.kind.is_some()
        || query.author.is_some()
        || query.time_from_ms.is_some()
        || query.time_to_ms.is_some();
    let filter_ctx = context! {
        kind => filter.kind, author => filter.author, from => filter.from, to => filter.to,
    };
    let listing = if problems.is_empty() {
        // The listing of a query at a ledger size never changes: render it once.
        let key = format!(
            "events|{}|{}|{:?}|{:?}|{:?}|{:?}|{:?}",
            view.id.to_hex(),
            view.size,
            filter.kind,
            filter.author,
            filter.from,
            filter.to,
            filter.before,
        );
        match state.ui.fragments.get(&key) {
            Some(html) => Some(html),
            None => {
                let events = state.node.store().query_events(&view.id, &query).await?;
                let next = (events.len() as u64 == EXPLORER_PAGE_SIZE)
                    .then(|| events.last().map(|e| e.index))
                    .flatten();
                let rows = event_rows(&state, &view.id, &events).await?;
                let html: Arc<str> = super::render_fragment(
                    "events_listing.html",
                    context! {
                        commons => commons_card(&view),
                        events => rows,
                        next_before => next,
                        paged => filter.before.is_some(),
                        filtered => filtered,
                        filter => filter_ctx.clone(),
                    },
                )?
                .into();
                state.ui.fragments.put(key, html.clone());
                Some(html)
            }
        }
    } else {
        None
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let kinds: Vec<&str> = commons_core::known_kinds().collect();
    let page = context! {
        title => format!("Ledger of {}", view.governance.name),
        commons => commons_card(&view),
        listing => listing.map(super::safe),
        section => "ledger",
        n_unseen => super::production::unseen_for(&state, &viewer, &view.id).await?,
        paged => filter.before.is_some(),
        filtered => filtered,
        problems => problems,
        kinds => kinds,
        filter => filter_ctx,
    };
    Ok(render_status(&state, viewer, status, "events.html", page))
}

async fn stored_event(
    state: &AppState,
    commons: &CommonsId,
    id: &EventId,
) -> Result<StoredEvent, UiError> {
    state
        .node
        .store()
        .events_by_id(commons, &[*id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            UiError::NotFound("This commons has no sequenced event with that id.".into())
        })
}

/// `GET /c/{id}/events/{event_id}`: one event, decoded, with its signature checked.
pub async fn event(
    State(state): State<AppState>,
    Path((id, event_id)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let event_id = parse_event_id(&event_id)?;
    let stored = stored_event(&state, &view.id, &event_id).await?;
    let json = EventJson::of(&stored)?;
    let envelope = commons_ledger::Envelope {
        header_bytes: stored.header_bytes.clone(),
        signature: stored.signature,
        body: stored.body.clone(),
    };
    let signature_ok = Event::from_envelope(envelope)
        .map(|e| e.verify_signature().is_ok())
        .unwrap_or(false);
    let author = AuthorKey::from_hex(&json.author)
        .map_err(|e| UiError::Fault(format!("stored author: {e}")))?;
    let names = names(&state, &view.id, BTreeSet::from([author])).await?;
    let body = serde_json::to_string_pretty(&json.body)
        .map_err(|e| UiError::Fault(format!("rendering a body: {e}")))?;
    let checkpointed = view
        .checkpoint
        .as_ref()
        .is_some_and(|c| c.size > stored.index);
    let page = context! {
        title => format!("{} #{}", json.kind, json.index),
        commons => commons_card(&view),
        event => context! {
            index => json.index,
            id => json.id,
            author => json.author,
            author_name => names.get(&json.author),
            seq => json.seq,
            prev => json.prev,
            deps => json.deps,
            time => json.time,
            kind => json.kind,
            body_len => json.body_len,
            body_hash => json.body_hash,
            body_withheld => json.body_withheld,
            signature => json.signature,
        },
        body => body,
        signature_ok => signature_ok,
        checkpointed => checkpointed,
        section => "ledger",
        n_unseen => super::production::unseen_for(&state, &viewer, &view.id).await?,
    };
    Ok(render(&state, viewer, "event.html", page))
}

/// `GET /c/{id}/events/{event_id}/receipt`: the tlog-proof receipt as a file.
pub async fn receipt_download(
    State(state): State<AppState>,
    Path((id, event_id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let event_id = parse_event_id(&event_id)?;
    let receipt = state
        .node
        .receipt(&view.id, &event_id)
        .await?
        .ok_or_else(|| {
            UiError::NotFound(
                "This event is not in a signed checkpoint of this commons yet.".into(),
            )
        })?;
    let filename = format!("commons-receipt-{}.txt", &event_id.to_hex()[..16]);
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        receipt.to_text(),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AgentQuery {
    before: Option<u64>,
    /// The page of their contributions.
    page: Option<usize>,
}

/// `GET /c/{id}/agents/{key}`: a key's public profile and everything it signed here.
pub async fn agent(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    Query(paging): Query<AgentQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let key = AuthorKey::from_hex(&key)
        .map_err(|_| UiError::NotFound("There is no agent with that key.".into()))?;
    let (contributions_page, offset) = super::production::page_offset(paging.page);
    let facts = state
        .node
        .inspect(&view.id, move |s| {
            let agent = s.agents.get(&key).cloned();
            let head = s.chains.get(&key).map(|h| h.seq);
            let frozen = s.frozen.contains_key(&key);
            let earlier: Vec<String> = s
                .agents
                .iter()
                .filter(|(_, a)| a.rotated_to == Some(key))
                .map(|(k, _)| k.to_hex())
                .collect();
            let record = views::person_record(s, &key, offset, super::production::PAGE_SIZE);
            let rows: Vec<_> = record
                .page
                .iter()
                .filter_map(|id| {
                    let c = s.production.contributions.get(id)?;
                    let area = s.production.areas.get(&c.area)?;
                    Some(super::production::contributions::row(*id, c, area))
                })
                .collect();
            let claims: Vec<(String, String)> = record
                .claims
                .iter()
                .filter_map(|t| Some((t.to_hex(), s.production.tasks.get(t)?.title.clone())))
                .collect();
            (agent, head, frozen, earlier, record, rows, claims)
        })
        .await?
        .ok_or_else(|| UiError::NotFound("This node hosts no commons with that id.".into()))?;
    let (agent, head, frozen, earlier, record, rows, claims) = facts;
    let people = super::production::people(
        &state,
        &view.id,
        rows.iter()
            .flat_map(|r| r.authors.iter().map(|(k, _)| *k).chain(r.sponsor))
            .collect::<Vec<_>>(),
    )
    .await?;
    let r = &record.record;
    let record_ctx = context! {
        n_contributions => record.n_contributions,
        accepted => r.accepted,
        pending => record.pending,
        rejected => r.rejected,
        withdrawn => r.withdrawn,
        reviews_given => r.reviews_given,
        reviews_as_maintainer => r.reviews_as_maintainer,
        tasks_done => r.tasks_done,
        chores_done => r.chores_done,
        effort => super::production::effort_in_words(r.effort_minutes),
        accepted_paid => r.accepted_paid,
        accepted_volunteer => r.accepted_volunteer,
        contributions => rows.iter().map(|row| row.context(&people)).collect::<Vec<_>>(),
        pager => super::production::pager(contributions_page, record.n_contributions),
        claims => claims.iter().map(|(id, title)| context! { id => id, title => title }).collect::<Vec<_>>(),
    };
    let events = state
        .node
        .store()
        .query_events(
            &view.id,
            &EventQuery {
                author: Some(key),
                descending: true,
                limit: EXPLORER_PAGE_SIZE,
                before_index: paging.before,
                ..EventQuery::default()
            },
        )
        .await?;
    if agent.is_none() && head.is_none() {
        return Err(UiError::NotFound(
            "This key has signed nothing in this commons.".into(),
        ));
    }
    let next = (events.len() as u64 == EXPLORER_PAGE_SIZE)
        .then(|| events.last().map(|e| e.index))
        .flatten();
    let rows = event_rows(&state, &view.id, &events).await?;
    let page = context! {
        title => agent.as_ref().and_then(|a| a.name.clone()).unwrap_or_else(|| key.short()),
        commons => commons_card(&view),
        key => key.to_hex(),
        name => agent.as_ref().and_then(|a| a.name.clone()),
        kind => agent.as_ref().and_then(|a| a.kind).map(|k| k.as_str()),
        identity => agent.as_ref().map(|a| a.identity.to_hex()),
        rotated_to => agent.as_ref().and_then(|a| a.rotated_to).map(|k| k.to_hex()),
        earlier_keys => earlier,
        maintainer => view.governance.maintainers.contains(&key),
        sequencer => view.governance.sequencer == key,
        frozen => frozen,
        n_signed => head.map(|seq| seq + 1),
        events => rows,
        next_before => next,
        record => record_ctx,
        n_unseen => super::production::unseen_for(&state, &viewer, &view.id).await?,
    };
    Ok(render(&state, viewer, "agent.html", page))
}

/// `GET /c/{id}/verify`: how to check a receipt, and a form that checks one.
pub async fn verify_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    Ok(render(
        &state,
        viewer,
        "verify.html",
        verify_context(&view, None, None, ""),
    ))
}

fn verify_context(
    view: &CommonsView,
    verdict: Option<String>,
    failure: Option<String>,
    receipt: &str,
) -> Value {
    context! {
        title => format!("Verify a receipt of {}", view.governance.name),
        commons => commons_card(view),
        sequencer => view.governance.sequencer.to_hex(),
        verdict => verdict,
        failure => failure,
        receipt => receipt,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VerifyForm {
    receipt: String,
}

/// `POST /c/{id}/verify`: checks a pasted receipt against this commons' sequencer key.
pub async fn verify_receipt(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, form): CheckedForm<VerifyForm>,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let text = form.receipt.replace("\r\n", "\n");
    let (status, verdict, failure) = if text.len() > RECEIPT_BYTES_MAX {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            Some(format!("A receipt has at most {RECEIPT_BYTES_MAX} bytes.")),
        )
    } else {
        let sequencer = view.governance.sequencer.to_hex();
        match commons_node::receipt::verify_receipt_text(&text, Some(&sequencer)) {
            Ok(verdict) => (StatusCode::OK, Some(verdict), None),
            Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, None, Some(e.to_string())),
        }
    };
    let page = verify_context(&view, verdict, failure, &text);
    Ok(render_status(&state, viewer, status, "verify.html", page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    kind: String,
}

/// `POST /c/{id}/profile`: publishes the person's display name in this commons, signed
/// with their account's key, so that what they sign here shows under their name.
pub async fn publish_profile(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, form): CheckedForm<ProfileForm>,
) -> Result<Response, UiError> {
    let account = viewer.require_account()?.clone();
    let view = commons_of(&state, &id)?;
    let key = signing_key(&state, &account).await?;
    if let Err(refusal) = state
        .node
        .authorize(&view.id, &key.author_key(), commons_core::agents::PROFILE)
        .await
    {
        return Err(UiError::Forbidden(format!(
            "The ledger would not take your profile here: {refusal}"
        )));
    }
    let kind = AgentKind::parse(&form.kind).unwrap_or(AgentKind::Person);
    let body = profile_body(&account.display_name, kind);
    let to = format!("/c/{}", view.id.to_hex());
    let flash = match state
        .node
        .author(
            &key,
            Some(view.id),
            commons_core::agents::PROFILE,
            &body,
            vec![],
        )
        .await
    {
        Ok(_) => Flash {
            kind: FlashKind::Success,
            message: format!(
                "Your profile \"{}\" is published in {}.",
                account.display_name, view.governance.name
            ),
        },
        Err(SubmitError::Rejected(refusal)) => Flash {
            kind: FlashKind::Error,
            message: format!(
                "The ledger refused your profile ({}): {refusal}",
                refusal.code()
            ),
        },
        Err(SubmitError::Fault(fault)) => return Err(fault.into()),
    };
    Ok(viewer.redirect(&state.ui, &to, Some(flash)))
}
