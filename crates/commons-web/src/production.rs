//! The peer-production API: areas, the task board, tasks, contributions, artifacts,
//! threads, people's records, the activity feed and statistics of a commons.
//!
//! Every answer is computed from the node's in-memory state of the commons
//! (`Node::inspect`, core's `production::views`), copying out only one page; long texts
//! (descriptions, post and review texts) are read from their events in one store query.
//! Writes are ordinary signed events submitted to `POST /api/v1/events`.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, parse_author, parse_commons_id, parse_event_id};
use crate::json::EventJson;
use axum::Json;
use axum::extract::State;
use commons_core::State as CommonsState;
use commons_core::production::views::{self, BoardQuery, RANKING_EXPLAINED, Score};
use commons_core::production::{
    Area, Contribution, ContributionStatus, Rule, Subject, Task, TaskStatus,
};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, EventId};
use commons_store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most items in one page of any peer-production listing.
pub const PRODUCTION_PAGE_MAX: usize = 200;
/// Items in a page when the query does not say.
pub const PRODUCTION_PAGE_DEFAULT: usize = 50;

fn hex_key(key: &AuthorKey) -> String {
    key.to_hex()
}

fn hex_id(id: &EventId) -> String {
    id.to_hex()
}

pub(crate) fn unknown(code: &'static str, what: &str) -> ApiError {
    ApiError::not_found(code, format!("this commons has no {what} with that id"))
}

fn page_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    page_limit_within(limit, PRODUCTION_PAGE_DEFAULT, PRODUCTION_PAGE_MAX)
}

/// A listing's `limit`: `default` when the query names none, 400 `invalid_query` when it
/// is 0 or above `max`.
pub(crate) fn page_limit_within(
    limit: Option<usize>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match limit.unwrap_or(default) {
        0 => Err(ApiError::bad_request(
            "invalid_query",
            "limit must be at least 1",
        )),
        n if n > max => Err(ApiError::bad_request(
            "invalid_query",
            format!("limit is at most {max}"),
        )),
        n => Ok(n),
    }
}

/// Runs `read` on the commons' state; 404 `unknown_commons` if the node hosts none.
pub async fn inspect<T: Send + 'static>(
    state: &AppState,
    commons: &CommonsId,
    read: impl FnOnce(&CommonsState) -> T + Send + 'static,
) -> Result<T, ApiError> {
    state.node.inspect(commons, read).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_commons",
            format!("this node hosts no commons with id {commons}"),
        )
    })
}

/// The text fields `field` of the events `ids`, by id (absent when withheld or missing).
pub async fn texts(
    state: &AppState,
    commons: &CommonsId,
    ids: &[EventId],
    field: &str,
) -> Result<BTreeMap<EventId, String>, ApiError> {
    let mut out = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for chunk in ids.chunks(commons_store::IDS_LOOKUP_MAX) {
        for stored in state.node.store().events_by_id(commons, chunk).await? {
            let Some(bytes) = stored.body.as_deref() else {
                continue;
            };
            if let Ok(Value::Map(entries)) = Value::decode(bytes)
                && let Some(text) = entries
                    .iter()
                    .find(|(k, _)| k.as_text() == Some(field))
                    .and_then(|(_, v)| v.as_text())
            {
                out.insert(stored.id, text.to_owned());
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Areas

#[derive(Debug, Serialize)]
pub struct RuleJson {
    /// `maintainers` or `lazy`.
    pub kind: &'static str,
    pub approvals: Option<u64>,
    pub window_ms: Option<u64>,
}

impl RuleJson {
    pub fn of(rule: &Rule) -> RuleJson {
        match rule {
            Rule::Maintainers { approvals } => RuleJson {
                kind: "maintainers",
                approvals: Some(*approvals),
                window_ms: None,
            },
            Rule::Lazy { window_ms } => RuleJson {
                kind: "lazy",
                approvals: None,
                window_ms: Some(*window_ms),
            },
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AreaJson {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub maintainers: Vec<String>,
    pub nomination_threshold: u64,
    pub rule: RuleJson,
    pub chores: Vec<String>,
    pub self_approval: bool,
    pub claim_ttl_ms: u64,
    pub tasks: u64,
    pub contributions: u64,
}

impl AreaJson {
    pub fn of(id: &EventId, area: &Area) -> AreaJson {
        AreaJson {
            id: hex_id(id),
            slug: area.slug.clone(),
            name: area.name.clone(),
            description: area.description.clone(),
            maintainers: area.maintainers.iter().map(hex_key).collect(),
            nomination_threshold: area.nomination_threshold(),
            rule: RuleJson::of(&area.rule),
            chores: area.chores.clone(),
            self_approval: area.self_approval,
            claim_ttl_ms: area.claim_ttl_ms,
            tasks: area.n_tasks,
            contributions: area.n_contributions,
        }
    }
}

/// `GET /api/v1/commons/{id}/areas`.
pub async fn list_areas(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<AreaJson>>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let areas = inspect(&state, &commons, |s| {
        let mut areas: Vec<AreaJson> = s
            .production
            .areas
            .iter()
            .map(|(id, a)| AreaJson::of(id, a))
            .collect();
        areas.sort_by(|a, b| a.slug.cmp(&b.slug));
        areas
    })
    .await?;
    Ok(Json(areas))
}

// ---------------------------------------------------------------------------------------
// The task board and tasks

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    area: Option<String>,
    label: Option<String>,
    #[serde(default)]
    chores: bool,
    #[serde(default)]
    claimed: bool,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct ScoreJson {
    pub needs: u64,
    pub interested: u64,
    pub pledges: u64,
    pub age_days: u64,
    pub chore: bool,
    pub total: u64,
}

impl ScoreJson {
    fn of(score: &Score) -> ScoreJson {
        ScoreJson {
            needs: score.needs,
            interested: score.interested,
            pledges: score.pledges,
            age_days: score.age_days,
            chore: score.chore,
            total: score.total,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TaskSummary {
    pub id: String,
    pub area: String,
    pub author: String,
    pub title: String,
    pub labels: Vec<String>,
    pub effort_hours: Option<u64>,
    pub chore: bool,
    /// `open`, `resolved` or `closed`.
    pub status: &'static str,
    pub claimed_by: Option<String>,
    pub score: ScoreJson,
    pub index: u64,
    pub time_ms: u64,
    pub contributions: usize,
}

fn status_str(status: &TaskStatus) -> &'static str {
    match status {
        TaskStatus::Open => "open",
        TaskStatus::Resolved { .. } => "resolved",
        TaskStatus::Closed { .. } => "closed",
    }
}

fn task_summary(state: &CommonsState, id: &EventId, task: &Task) -> TaskSummary {
    TaskSummary {
        id: hex_id(id),
        area: state
            .production
            .areas
            .get(&task.area)
            .map(|a| a.slug.clone())
            .unwrap_or_default(),
        author: hex_key(&task.author),
        title: task.title.clone(),
        labels: task.labels.clone(),
        effort_hours: task.effort_hours,
        chore: task.chore,
        status: status_str(&task.status),
        claimed_by: views::claimed_by(state, task).as_ref().map(hex_key),
        score: ScoreJson::of(&views::score(task, state.time_ms)),
        index: task.index,
        time_ms: task.time_ms,
        contributions: task.contributions.len(),
    }
}

#[derive(Debug, Serialize)]
pub struct BoardJson {
    /// How the ranking is made, in words.
    pub ranking: &'static str,
    pub matching: u64,
    pub offset: usize,
    pub tasks: Vec<TaskSummary>,
}

fn area_by_slug(state: &CommonsState, slug: &str) -> Result<EventId, ApiError> {
    state
        .production
        .area_by_slug(slug)
        .map(|(id, _)| *id)
        .ok_or_else(|| ApiError::not_found("unknown_area", format!("no area `{slug}`")))
}

/// `GET /api/v1/commons/{id}/tasks`: the task board.
pub async fn task_board(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<BoardParams>,
) -> Result<Json<BoardJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    if params.offset + limit > views::BOARD_DEPTH_MAX {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("the board pages to a depth of {}", views::BOARD_DEPTH_MAX),
        ));
    }
    let board = inspect(&state, &commons, move |s| {
        let area = match &params.area {
            Some(slug) => Some(area_by_slug(s, slug)?),
            None => None,
        };
        let query = BoardQuery {
            area,
            label: params.label,
            chores_only: params.chores,
            include_claimed: params.claimed,
            offset: params.offset,
            limit,
        };
        let board = views::task_board(s, &query);
        Ok::<_, ApiError>(BoardJson {
            ranking: RANKING_EXPLAINED,
            matching: board.matching,
            offset: params.offset,
            tasks: board
                .entries
                .iter()
                .filter_map(|e| {
                    let task = s.production.tasks.get(&e.id)?;
                    Some(task_summary(s, &e.id, task))
                })
                .collect(),
        })
    })
    .await??;
    Ok(Json(board))
}

#[derive(Debug, Serialize)]
pub struct PledgeJson {
    pub by: String,
    pub amount: u64,
    pub currency: String,
    pub index: u64,
}

#[derive(Debug, Serialize)]
pub struct TaskJson {
    #[serde(flatten)]
    pub summary: TaskSummary,
    pub description: Option<String>,
    pub pledges: Vec<PledgeJson>,
    pub contribution_ids: Vec<String>,
    /// The accepted contribution that resolved it, or the maintainer and reason that
    /// closed it.
    pub resolved_by: Option<String>,
    pub closed_by: Option<String>,
    pub close_reason: Option<String>,
}

/// `GET /api/v1/commons/{id}/tasks/{task}`.
pub async fn get_task(
    State(state): State<AppState>,
    ApiPath((id, task)): ApiPath<(String, String)>,
) -> Result<Json<TaskJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let task_id = parse_event_id(&task)?;
    let found = inspect(&state, &commons, move |s| {
        let task = s.production.tasks.get(&task_id)?;
        let (resolved_by, closed_by, close_reason) = match &task.status {
            TaskStatus::Open => (None, None, None),
            TaskStatus::Resolved { contribution, .. } => (Some(hex_id(contribution)), None, None),
            TaskStatus::Closed { by, reason, .. } => {
                (None, Some(hex_key(by)), Some(reason.clone()))
            }
        };
        Some(TaskJson {
            summary: task_summary(s, &task_id, task),
            description: None,
            pledges: task
                .pledges
                .iter()
                .map(|p| PledgeJson {
                    by: hex_key(&p.by),
                    amount: p.amount,
                    currency: p.currency.clone(),
                    index: p.index,
                })
                .collect(),
            contribution_ids: task.contributions.iter().map(hex_id).collect(),
            resolved_by,
            closed_by,
            close_reason,
        })
    })
    .await?;
    let mut task = found.ok_or_else(|| unknown("unknown_task", "task"))?;
    task.description = texts(&state, &commons, &[task_id], "description")
        .await?
        .remove(&task_id);
    Ok(Json(task))
}

// ---------------------------------------------------------------------------------------
// Contributions

#[derive(Debug, Serialize)]
pub struct ShareJson {
    pub key: String,
    pub share: u64,
}

#[derive(Debug, Serialize)]
pub struct ReviewJson {
    pub id: String,
    pub reviewer: String,
    pub verdict: &'static str,
    pub version: u32,
    pub index: u64,
    pub resolved: Option<u64>,
    /// Whether this review counts toward the decision now (core's `review_counts`: an area
    /// maintainer's approval of the current version, not of their own work unless the
    /// area allows it, or an area maintainer's open objection).
    pub counts: bool,
    pub text: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ContributionSummary {
    pub id: String,
    pub area: String,
    pub author: String,
    pub kind: &'static str,
    pub title: String,
    /// `pending`, `accepted`, `rejected` or `withdrawn`.
    pub status: &'static str,
    pub paid: bool,
    pub sponsor: Option<String>,
    pub effort_minutes: u64,
    pub version: u32,
    pub index: u64,
    pub submitted_ms: u64,
}

fn contribution_summary(
    state: &CommonsState,
    id: &EventId,
    c: &Contribution,
) -> ContributionSummary {
    ContributionSummary {
        id: hex_id(id),
        area: state
            .production
            .areas
            .get(&c.area)
            .map(|a| a.slug.clone())
            .unwrap_or_default(),
        author: hex_key(&c.author),
        kind: c.kind.as_str(),
        title: c.title.clone(),
        status: c.status.as_str(),
        paid: c.is_paid(),
        sponsor: c.sponsor.as_ref().map(hex_key),
        effort_minutes: c.effort_minutes,
        version: c.version,
        index: c.index,
        submitted_ms: c.submitted_ms,
    }
}

#[derive(Debug, Serialize)]
pub struct RevisionJson {
    pub artifact: Option<String>,
    pub base: Option<String>,
    pub name: Option<String>,
    pub artifact_kind: Option<String>,
    pub media_type: String,
    /// `alg:hex`; download from `/api/v1/blobs/{blob}`.
    pub blob: String,
    pub size: u64,
}

#[derive(Debug, Serialize)]
pub struct ContributionJson {
    #[serde(flatten)]
    pub summary: ContributionSummary,
    pub description: Option<String>,
    pub authors: Vec<ShareJson>,
    pub tasks: Vec<String>,
    pub evidence: Vec<String>,
    pub checklist: Vec<String>,
    /// Chores the area requires that the checklist lacks.
    pub chores_missing: Vec<String>,
    pub revision: Option<RevisionJson>,
    pub reviews: Vec<ReviewJson>,
    /// Whether the area's rule is met now (a pending contribution that meets it is
    /// accepted by the next event that looks at it).
    pub meets_rule: bool,
    pub decided_index: Option<u64>,
    pub decided_ms: Option<u64>,
    pub rejected_by: Option<String>,
    pub reject_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContributionParams {
    area: Option<String>,
    status: Option<String>,
    author: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct ContributionPage {
    pub matching: u64,
    pub offset: usize,
    pub contributions: Vec<ContributionSummary>,
}

/// Most contributions a listing scans past before giving up on a deep page.
pub const CONTRIBUTION_SCAN_OFFSET_MAX: usize = 100_000;

/// `GET /api/v1/commons/{id}/contributions`: newest first.
pub async fn list_contributions(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<ContributionParams>,
) -> Result<Json<ContributionPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    if params.offset > CONTRIBUTION_SCAN_OFFSET_MAX {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("offset is at most {CONTRIBUTION_SCAN_OFFSET_MAX}"),
        ));
    }
    if let Some(status) = &params.status
        && !["pending", "accepted", "rejected", "withdrawn"].contains(&status.as_str())
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "status is pending, accepted, rejected or withdrawn",
        ));
    }
    let author = params.author.as_deref().map(parse_author).transpose()?;
    let page = inspect(&state, &commons, move |s| {
        let area = match &params.area {
            Some(slug) => Some(area_by_slug(s, slug)?),
            None => None,
        };
        let production = &s.production;
        // A person's list comes from their record; others scan newest first by index.
        let candidates: Box<dyn Iterator<Item = &EventId>> = match &author {
            Some(key) => Box::new(
                production
                    .records
                    .get(key)
                    .map(|r| r.contributions.iter().rev())
                    .into_iter()
                    .flatten(),
            ),
            None => Box::new(production.contributions_newest_first()),
        };
        let mut matching = 0u64;
        let mut contributions = Vec::new();
        for id in candidates {
            let Some(c) = production.contributions.get(id) else {
                continue;
            };
            if area.is_some_and(|a| a != c.area)
                || params
                    .status
                    .as_deref()
                    .is_some_and(|st| st != c.status.as_str())
            {
                continue;
            }
            matching += 1;
            if matching as usize > params.offset && contributions.len() < limit {
                contributions.push(contribution_summary(s, id, c));
            }
        }
        Ok::<_, ApiError>(ContributionPage {
            matching,
            offset: params.offset,
            contributions,
        })
    })
    .await??;
    Ok(Json(page))
}

/// `GET /api/v1/commons/{id}/contributions/{contribution}`.
pub async fn get_contribution(
    State(state): State<AppState>,
    ApiPath((id, contribution)): ApiPath<(String, String)>,
) -> Result<Json<ContributionJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let cid = parse_event_id(&contribution)?;
    let found = inspect(&state, &commons, move |s| {
        let c = s.production.contributions.get(&cid)?;
        let area = s.production.areas.get(&c.area);
        let counts = |review: &commons_core::production::Review| {
            area.is_some_and(|a| {
                commons_core::production::contributions::review_counts(a, c, review)
            })
        };
        let (decided_index, decided_ms, rejected_by, reject_reason) = match &c.status {
            ContributionStatus::Pending => (None, None, None, None),
            ContributionStatus::Accepted { index, time_ms }
            | ContributionStatus::Withdrawn { index, time_ms } => {
                (Some(*index), Some(*time_ms), None, None)
            }
            ContributionStatus::Rejected {
                by,
                reason,
                index,
                time_ms,
            } => (
                Some(*index),
                Some(*time_ms),
                Some(hex_key(by)),
                Some(reason.clone()),
            ),
        };
        let json = ContributionJson {
            summary: contribution_summary(s, &cid, c),
            description: None,
            authors: c
                .authors
                .iter()
                .map(|(k, share)| ShareJson {
                    key: hex_key(k),
                    share: *share,
                })
                .collect(),
            tasks: c.tasks.iter().map(hex_id).collect(),
            evidence: c.evidence.clone(),
            checklist: c.checklist.clone(),
            chores_missing: area
                .map(|a| {
                    a.chores
                        .iter()
                        .filter(|ch| !c.checklist.contains(ch))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
            revision: c.revision.as_ref().map(|r| RevisionJson {
                artifact: r.artifact.as_ref().map(hex_id),
                base: r.base.as_ref().map(hex_id),
                name: r.name.clone(),
                artifact_kind: r.artifact_kind.clone(),
                media_type: r.media_type.clone(),
                blob: r.blob.name(),
                size: r.blob.size,
            }),
            reviews: c
                .reviews
                .iter()
                .map(|r| ReviewJson {
                    id: hex_id(&r.id),
                    reviewer: hex_key(&r.reviewer),
                    verdict: r.verdict.as_str(),
                    version: r.version,
                    index: r.index,
                    resolved: r.resolved,
                    counts: counts(r),
                    text: None,
                })
                .collect(),
            meets_rule: commons_core::production::contributions::meets_rule(s, c),
            decided_index,
            decided_ms,
            rejected_by,
            reject_reason,
        };
        let mut text_ids = vec![c.version_id];
        text_ids.extend(c.reviews.iter().map(|r| r.id));
        Some((json, c.version_id, text_ids))
    })
    .await?;
    let (mut json, version_id, text_ids) =
        found.ok_or_else(|| unknown("unknown_contribution", "contribution"))?;
    let mut descriptions = texts(&state, &commons, &[cid, version_id], "description").await?;
    json.description = descriptions
        .remove(&version_id)
        .or_else(|| descriptions.remove(&cid));
    let mut review_texts = texts(&state, &commons, &text_ids[1..], "text").await?;
    for review in &mut json.reviews {
        if let Ok(id) = parse_event_id(&review.id) {
            review.text = review_texts.remove(&id);
        }
    }
    Ok(Json(json))
}

// ---------------------------------------------------------------------------------------
// Artifacts

#[derive(Debug, Serialize)]
pub struct ArtifactRevisionJson {
    pub contribution: String,
    pub blob: String,
    pub size: u64,
    pub media_type: String,
    pub authors: Vec<String>,
    pub base: Option<String>,
    pub index: u64,
    pub time_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct ArtifactJson {
    pub id: String,
    pub area: String,
    pub name: String,
    pub kind: String,
    pub revisions: Vec<ArtifactRevisionJson>,
}

/// `GET /api/v1/commons/{id}/artifacts`: every artifact with its current revision only.
pub async fn list_artifacts(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<Vec<ArtifactJson>>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    let artifacts = inspect(&state, &commons, move |s| {
        s.production
            .artifacts
            .iter()
            .skip(params.offset)
            .take(limit)
            .map(|(id, a)| artifact_json(s, id, a, true))
            .collect()
    })
    .await?;
    Ok(Json(artifacts))
}

fn artifact_json(
    state: &CommonsState,
    id: &EventId,
    artifact: &commons_core::production::Artifact,
    current_only: bool,
) -> ArtifactJson {
    let skip = if current_only {
        artifact.revisions.len().saturating_sub(1)
    } else {
        0
    };
    ArtifactJson {
        id: hex_id(id),
        area: state
            .production
            .areas
            .get(&artifact.area)
            .map(|a| a.slug.clone())
            .unwrap_or_default(),
        name: artifact.name.clone(),
        kind: artifact.kind.clone(),
        revisions: artifact
            .revisions
            .iter()
            .skip(skip)
            .map(|r| ArtifactRevisionJson {
                contribution: hex_id(&r.contribution),
                blob: r.blob.name(),
                size: r.blob.size,
                media_type: r.media_type.clone(),
                authors: r.authors.iter().map(hex_key).collect(),
                base: r.base.as_ref().map(hex_id),
                index: r.index,
                time_ms: r.time_ms,
            })
            .collect(),
    }
}

/// `GET /api/v1/commons/{id}/artifacts/{artifact}`: with every revision.
pub async fn get_artifact(
    State(state): State<AppState>,
    ApiPath((id, artifact)): ApiPath<(String, String)>,
) -> Result<Json<ArtifactJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let aid = parse_event_id(&artifact)?;
    let found = inspect(&state, &commons, move |s| {
        s.production
            .artifacts
            .get(&aid)
            .map(|a| artifact_json(s, &aid, a, false))
    })
    .await?;
    found
        .map(Json)
        .ok_or_else(|| unknown("unknown_artifact", "artifact"))
}

// ---------------------------------------------------------------------------------------
// Threads

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct PostJson {
    pub id: String,
    pub author: String,
    pub index: u64,
    pub time_ms: u64,
    pub reply_to: Option<String>,
    pub version: u32,
    /// The event holding the current text (the post or its latest edit).
    pub latest: String,
    /// `null` when hidden: the text stays in the ledger, but the thread shows the hiding.
    pub text: Option<String>,
    pub hidden_by: Option<String>,
    pub hidden_reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ThreadJson {
    pub subject_kind: &'static str,
    pub subject: String,
    pub posts_total: usize,
    pub offset: usize,
    pub posts: Vec<PostJson>,
}

/// `GET /api/v1/commons/{id}/threads/{kind}/{subject}`: oldest first.
pub async fn get_thread(
    State(state): State<AppState>,
    ApiPath((id, kind, subject)): ApiPath<(String, String, String)>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<ThreadJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let sid = parse_event_id(&subject)?;
    let subject = match kind.as_str() {
        "area" => Subject::Area(sid),
        "task" => Subject::Task(sid),
        "contribution" => Subject::Contribution(sid),
        "artifact" => Subject::Artifact(sid),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_path",
                "a thread is on an area, task, contribution or artifact",
            ));
        }
    };
    let limit = page_limit(params.limit)?;
    let found = inspect(&state, &commons, move |s| {
        s.production.subject_area(&subject)?;
        let ids = s.production.threads.get(&subject);
        let posts_total = ids.map_or(0, Vec::len);
        let posts: Vec<PostJson> = ids
            .into_iter()
            .flatten()
            .skip(params.offset)
            .take(limit)
            .filter_map(|id| {
                let p = s.production.posts.get(id)?;
                Some(PostJson {
                    id: hex_id(id),
                    author: hex_key(&p.author),
                    index: p.index,
                    time_ms: p.time_ms,
                    reply_to: p.reply_to.as_ref().map(hex_id),
                    version: p.version,
                    latest: hex_id(&p.latest),
                    text: None,
                    hidden_by: p.hidden.as_ref().map(|h| hex_key(&h.by)),
                    hidden_reason: p.hidden.as_ref().map(|h| h.reason.clone()),
                })
            })
            .collect();
        Some(ThreadJson {
            subject_kind: subject.kind_str(),
            subject: hex_id(&subject.id()),
            posts_total,
            offset: params.offset,
            posts,
        })
    })
    .await?;
    let mut thread = found.ok_or_else(|| unknown("object_unknown", "such subject"))?;
    let latest: Vec<EventId> = thread
        .posts
        .iter()
        .filter(|p| p.hidden_by.is_none())
        .filter_map(|p| parse_event_id(&p.latest).ok())
        .collect();
    let mut bodies = texts(&state, &commons, &latest, "text").await?;
    for post in &mut thread.posts {
        if post.hidden_by.is_none()
            && let Ok(id) = parse_event_id(&post.latest)
        {
            post.text = bodies.remove(&id);
        }
    }
    Ok(Json(thread))
}

// ---------------------------------------------------------------------------------------
// People, feed, statistics

#[derive(Debug, Serialize)]
pub struct RecordJson {
    pub key: String,
    pub name: Option<String>,
    pub contributions: u64,
    pub accepted: u64,
    pub pending: u64,
    pub rejected: u64,
    pub withdrawn: u64,
    pub reviews_given: u64,
    pub reviews_as_maintainer: u64,
    pub tasks_done: u64,
    pub chores_done: u64,
    pub effort_minutes: u64,
    pub accepted_paid: u64,
    pub accepted_volunteer: u64,
    /// Accepted contributions per area slug.
    pub accepted_by_area: BTreeMap<String, u64>,
    /// Areas they maintain.
    pub maintains: Vec<String>,
    pub claims: Vec<String>,
    pub offset: usize,
    /// One page of their contributions, newest first.
    pub page: Vec<ContributionSummary>,
}

/// `GET /api/v1/commons/{id}/people/{key}`: a person's contribution record.
pub async fn person_record(
    State(state): State<AppState>,
    ApiPath((id, key)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<RecordJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let key = parse_author(&key)?;
    let limit = page_limit(params.limit)?;
    let record = inspect(&state, &commons, move |s| {
        let view = views::person_record(s, &key, params.offset, limit);
        let slug = |area: &EventId| {
            s.production
                .areas
                .get(area)
                .map(|a| a.slug.clone())
                .unwrap_or_default()
        };
        let r = &view.record;
        RecordJson {
            key: hex_key(&key),
            name: s.display_name(&key).map(str::to_owned),
            contributions: view.n_contributions,
            accepted: r.accepted,
            pending: view.pending,
            rejected: r.rejected,
            withdrawn: r.withdrawn,
            reviews_given: r.reviews_given,
            reviews_as_maintainer: r.reviews_as_maintainer,
            tasks_done: r.tasks_done,
            chores_done: r.chores_done,
            effort_minutes: r.effort_minutes,
            accepted_paid: r.accepted_paid,
            accepted_volunteer: r.accepted_volunteer,
            accepted_by_area: r
                .accepted_by_area
                .iter()
                .map(|(a, n)| (slug(a), *n))
                .collect(),
            maintains: s
                .production
                .areas
                .values()
                .filter(|a| a.maintainers.contains(&key))
                .map(|a| a.slug.clone())
                .collect(),
            claims: view.claims.iter().map(hex_id).collect(),
            offset: params.offset,
            page: view
                .page
                .iter()
                .filter_map(|id| {
                    let c = s.production.contributions.get(id)?;
                    Some(contribution_summary(s, id, c))
                })
                .collect(),
        }
    })
    .await?;
    Ok(Json(record))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    area: Option<String>,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct FeedJson {
    pub area: Option<String>,
    /// Newest first.
    pub events: Vec<EventJson>,
}

/// `GET /api/v1/commons/{id}/feed`: the latest events of the commons, or of one area.
pub async fn activity_feed(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<Json<FeedJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    let area = params.area.clone();
    let events = match area {
        Some(slug) => {
            let ids = inspect(&state, &commons, move |s| {
                let id = area_by_slug(s, &slug)?;
                Ok::<_, ApiError>(
                    s.production
                        .areas
                        .get(&id)
                        .map(|a| a.feed.iter().rev().take(limit).copied().collect::<Vec<_>>())
                        .unwrap_or_default(),
                )
            })
            .await??;
            let mut stored = state.node.store().events_by_id(&commons, &ids).await?;
            stored.sort_by_key(|e| std::cmp::Reverse(e.index));
            stored
        }
        None => {
            let size = inspect(&state, &commons, |s| s.size).await?;
            let from = size.saturating_sub(limit as u64);
            let mut stored = state
                .node
                .store()
                .events_range(&commons, from, size)
                .await?;
            stored.reverse();
            stored
        }
    };
    Ok(Json(FeedJson {
        area: params.area,
        events: events.iter().map(EventJson::of).collect::<Result<_, _>>()?,
    }))
}

#[derive(Debug, Serialize)]
pub struct CountJson {
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Serialize)]
pub struct KeyCountJson {
    /// `null` in `accepted_by_sponsor` stands for volunteer work.
    pub key: Option<String>,
    pub name: Option<String>,
    pub count: u64,
}

#[derive(Debug, Serialize)]
pub struct ReviewLoadJson {
    pub key: String,
    pub name: Option<String>,
    pub as_maintainer: u64,
    pub all: u64,
}

#[derive(Debug, Serialize)]
pub struct StatisticsJson {
    pub contributors_by_month: Vec<CountJson>,
    pub median_decision_ms: Option<u64>,
    pub decisions: u64,
    pub review_load: Vec<ReviewLoadJson>,
    pub accepted: u64,
    /// Accepted contributions by sponsoring organisation; `key: null` is volunteer work.
    pub accepted_by_sponsor: Vec<KeyCountJson>,
    pub chores_done: u64,
    pub chores_by_author: Vec<KeyCountJson>,
}

impl StatisticsJson {
    pub fn of(state: &CommonsState, stats: &views::Statistics) -> StatisticsJson {
        let name = |k: &AuthorKey| state.display_name(k).map(str::to_owned);
        StatisticsJson {
            contributors_by_month: stats
                .contributors_by_month
                .iter()
                .map(|(label, count)| CountJson {
                    label: label.clone(),
                    count: *count,
                })
                .collect(),
            median_decision_ms: stats.median_decision_ms,
            decisions: stats.decisions,
            review_load: stats
                .review_load
                .iter()
                .map(|(k, m, all)| ReviewLoadJson {
                    key: hex_key(k),
                    name: name(k),
                    as_maintainer: *m,
                    all: *all,
                })
                .collect(),
            accepted: stats.accepted,
            accepted_by_sponsor: stats
                .accepted_by_sponsor
                .iter()
                .map(|(k, n)| KeyCountJson {
                    key: k.as_ref().map(hex_key),
                    name: k.as_ref().and_then(name),
                    count: *n,
                })
                .collect(),
            chores_done: stats.chores_done,
            chores_by_author: stats
                .chores_by_author
                .iter()
                .map(|(k, n)| KeyCountJson {
                    key: Some(hex_key(k)),
                    name: name(k),
                    count: *n,
                })
                .collect(),
        }
    }
}

/// `GET /api/v1/commons/{id}/statistics`.
pub async fn statistics(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<StatisticsJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let stats = inspect(&state, &commons, |s| {
        StatisticsJson::of(s, &views::statistics(s))
    })
    .await?;
    Ok(Json(stats))
}
