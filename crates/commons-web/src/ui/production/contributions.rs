//! Contributions: work submitted without asking, validated afterwards by the area's
//! maintainers (or lazy consensus), with reviews, objections, revisions and decisions.

use super::diff::{self, Diff, NoDiff};
use super::tasks::ReasonForm;
use super::threads::ThreadPage;
use super::{
    Scope, act, area_choices, area_id, bodies, decided_ms, effort_in_words, lines, list, optional,
    people, refuse, resolve_people, rule_in_words, text_of, unseen_notices,
};
use crate::AppState;
use crate::ui::explorer::parse_event_id;
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render, render_status};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use commons_core::production::bodies::{self as build, ContributionUpdate, NewContribution};
use commons_core::production::{
    Area, Contribution, ContributionStatus, Rule, Subject, Verdict, contributions,
};
use commons_ledger::{AuthorKey, BlobRef, EventId};
use minijinja::{Value, context};
use serde::Deserialize;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    area: String,
    status: String,
    page: Option<usize>,
}

/// `GET /c/{id}/contributions`: newest first, by area and status.
pub async fn list_contributions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = super::page_offset(query.page);
    let slug = query.area.trim().to_owned();
    let status = query.status.trim().to_owned();
    let found = scope
        .inspect(&state, move |s| {
            let area = match slug.as_str() {
                "" => None,
                slug => Some(area_id(s, slug)?),
            };
            let depth = offset + super::PAGE_SIZE;
            // The newest `depth` matching, by ledger index.
            let mut newest: BinaryHeap<Reverse<(u64, EventId)>> = BinaryHeap::new();
            let mut matching = 0u64;
            for (id, c) in &s.production.contributions {
                if area.is_some_and(|a| a != c.area)
                    || (!status.is_empty() && c.status.as_str() != status)
                {
                    continue;
                }
                matching += 1;
                newest.push(Reverse((c.index, *id)));
                if newest.len() > depth {
                    newest.pop();
                }
            }
            let mut ids: Vec<_> = newest.into_iter().map(|Reverse(k)| k).collect();
            ids.sort_by(|a, b| b.cmp(a));
            let rows: Vec<_> = ids
                .into_iter()
                .skip(offset)
                .filter_map(|(_, id)| {
                    let c = s.production.contributions.get(&id)?;
                    let area = s.production.areas.get(&c.area)?;
                    Some(row(id, c, area))
                })
                .collect();
            Some((
                rows,
                matching,
                area_choices(s),
                unseen_notices(s, key, seen),
            ))
        })
        .await?
        .ok_or_else(|| UiError::NotFound("This commons has no area with that name.".into()))?;
    let (rows, matching, choices, n_unseen) = found;
    let names = people(
        &state,
        &scope.id(),
        rows.iter()
            .flat_map(|r| r.authors.iter().map(|(k, _)| *k).chain(r.sponsor))
            .collect::<Vec<_>>(),
    )
    .await?;
    let contributions: Vec<Value> = rows.iter().map(|r| r.context(&names)).collect();
    let page_ctx = context! {
        title => "Contributions",
        contributions => contributions,
        matching => matching,
        pager => super::pager(page, matching),
        areas => choices,
        statuses => ["pending", "accepted", "rejected", "withdrawn"],
        filter => context! { area => query.area, status => query.status },
        ..scope.frame("contributions", n_unseen)
    };
    Ok(render(&state, viewer, "contributions.html", page_ctx))
}

/// One contribution in a listing.
pub(crate) struct Row {
    id: EventId,
    title: String,
    kind: &'static str,
    status: &'static str,
    area: String,
    pub authors: Vec<(AuthorKey, u64)>,
    pub sponsor: Option<AuthorKey>,
    effort_minutes: u64,
    submitted_ms: u64,
}

pub(crate) fn row(id: EventId, c: &Contribution, area: &Area) -> Row {
    Row {
        id,
        title: c.title.clone(),
        kind: c.kind.as_str(),
        status: c.status.as_str(),
        area: area.slug.clone(),
        authors: c.authors.clone(),
        sponsor: c.sponsor,
        effort_minutes: c.effort_minutes,
        submitted_ms: c.submitted_ms,
    }
}

impl Row {
    pub fn context(&self, names: &super::Names) -> Value {
        context! {
            id => self.id.to_hex(),
            title => self.title,
            kind => self.kind,
            status => self.status,
            area => self.area,
            authors => self.authors.iter().map(|(k, _)| names.person(k)).collect::<Vec<_>>(),
            sponsor => self.sponsor.map(|k| names.person(&k)),
            effort => effort_in_words(self.effort_minutes),
            submitted_ms => self.submitted_ms,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContributeQuery {
    area: String,
    task: String,
}

/// `GET /c/{id}/contributions/new`: pick an area, then describe the work.
pub async fn contribute_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ContributeQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let task = query.task.trim().to_owned();
    contribute_form(&state, viewer, &scope, query.area.trim(), &task, None).await
}

/// The contribute form for `slug` (or the area of `task`), filled in again with what the
/// person typed and what was wrong with it when `retry` is given.
async fn contribute_form(
    state: &AppState,
    viewer: Viewer,
    scope: &Scope,
    slug: &str,
    task_text: &str,
    retry: Option<(&ContributeForm, String)>,
) -> Result<Response, UiError> {
    let (key, seen) = (scope.key, scope.seen);
    let task = EventId::from_hex(task_text.trim());
    let mut slug = slug.to_owned();
    let (choices, chores, task_title, slug, n_unseen, artifacts) = scope
        .inspect(state, move |s| {
            let artifacts: Vec<(String, String)> = s
                .production
                .artifacts
                .iter()
                .take(ARTIFACT_CHOICES_MAX)
                .map(|(id, a)| (id.to_hex(), a.name.clone()))
                .collect();
            let task_row = task.and_then(|t| s.production.tasks.get(&t));
            if let Some(t) = task_row
                && let Some(a) = s.production.areas.get(&t.area)
            {
                slug = a.slug.clone();
            }
            let chores = s
                .production
                .area_by_slug(&slug)
                .map(|(_, a)| a.chores.clone());
            (
                area_choices(s),
                chores,
                task_row.map(|t| t.title.clone()),
                slug,
                unseen_notices(s, key, seen),
                artifacts,
            )
        })
        .await?;
    let status = match retry {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let page = context! {
        title => "Contribute",
        areas => choices,
        artifacts => artifacts,
        artifact_kinds => contributions::ARTIFACT_KINDS,
        content_max => FORM_CONTENT_BYTES_MAX,
        selected => chores.as_ref().map(|_| slug.clone()),
        chores => chores,
        task => task_title.map(|title| context! { id => task_text.trim(), title => title }),
        form => retry.as_ref().map(|(form, _)| Value::from_serialize(form)),
        error => retry.map(|(_, problem)| problem),
        ..scope.frame("contributions", n_unseen)
    };
    Ok(render_status(
        state,
        viewer,
        status,
        "contribute.html",
        page,
    ))
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ContributeForm {
    area: String,
    kind: String,
    title: String,
    description: String,
    tasks: String,
    effort_hours: String,
    effort_minutes: String,
    paid: Option<String>,
    sponsor: String,
    evidence: String,
    checklist: String,
    /// For a revision: the artifact revised (empty for a new one), a new artifact's name
    /// and kind, the media type and the new text content.
    artifact: String,
    artifact_name: String,
    artifact_kind: String,
    media_type: String,
    content: String,
    #[serde(flatten)]
    ticked: BTreeMap<String, String>,
}

/// Longest text content the contribute form takes for a revision (bigger files go
/// through `commons contrib submit --file`).
pub const FORM_CONTENT_BYTES_MAX: usize = 256 * 1024;

/// Minutes of an `hours` + `minutes` pair of fields.
fn effort(hours: &str, minutes: &str) -> Result<u64, String> {
    let read = |t: &str| -> Result<u64, String> {
        match t.trim() {
            "" => Ok(0),
            t => t
                .parse()
                .map_err(|_| "The effort is whole hours and minutes.".to_owned()),
        }
    };
    Ok(read(hours)?
        .saturating_mul(60)
        .saturating_add(read(minutes)?))
}

/// The chores ticked on a form (`chore-N` checkboxes) and typed in its checklist field.
fn checklist(ticked: &BTreeMap<String, String>, typed: &str) -> Vec<String> {
    let mut out: Vec<String> = ticked
        .iter()
        .filter(|(k, _)| k.starts_with("chore-"))
        .map(|(_, v)| v.clone())
        .collect();
    for item in lines(typed) {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Most artifacts offered in the contribute form's list.
const ARTIFACT_CHOICES_MAX: usize = 500;

/// The revision a contribute form proposes: its text stored as a blob on this node, and
/// the artifact's current revision as its base, so the page shows what changed.
async fn revision_of(
    state: &AppState,
    scope: &Scope,
    form: &ContributeForm,
) -> Result<Result<commons_core::production::bodies::RevisionSpec, String>, UiError> {
    let content = form.content.replace("\r\n", "\n");
    if content.trim().is_empty() {
        return Ok(Err(
            "A revision carries the new text of the artifact.".to_owned()
        ));
    }
    if content.len() > FORM_CONTENT_BYTES_MAX {
        return Ok(Err(format!(
            "The form takes up to {} KiB of text; upload bigger files with `commons contrib submit --file`.",
            FORM_CONTENT_BYTES_MAX / 1024
        )));
    }
    let media_type = match form.media_type.trim() {
        "" => "text/markdown".to_owned(),
        m => m.to_owned(),
    };
    let (artifact, base, name, artifact_kind) = match form.artifact.trim() {
        "" => {
            if form.artifact_name.trim().is_empty() {
                return Ok(Err("Name the new artifact.".to_owned()));
            }
            (
                None,
                None,
                Some(form.artifact_name.trim().to_owned()),
                Some(match form.artifact_kind.trim() {
                    "" => "document".to_owned(),
                    k => k.to_owned(),
                }),
            )
        }
        hex => {
            let Some(id) = EventId::from_hex(hex) else {
                return Ok(Err("Pick an artifact from the list.".to_owned()));
            };
            let base = scope
                .inspect(state, move |s| {
                    s.production
                        .artifacts
                        .get(&id)
                        .map(|a| a.revisions.last().map(|r| r.contribution))
                })
                .await?;
            match base {
                Some(base) => (Some(id), base, None, None),
                None => return Ok(Err("That artifact does not exist here.".to_owned())),
            }
        }
    };
    let stored = match state.node.put_blob(content.into_bytes()).await {
        Ok(stored) => stored,
        Err(e) => {
            return Ok(Err(format!(
                "The text could not be stored ({}): {e}",
                e.code()
            )));
        }
    };
    Ok(Ok(commons_core::production::bodies::RevisionSpec {
        artifact,
        base,
        name,
        artifact_kind,
        media_type,
        blob: stored.blob,
    }))
}

/// The contribute form again, with the problem.
async fn retry(
    state: &AppState,
    viewer: Viewer,
    scope: &Scope,
    form: &ContributeForm,
    problem: impl Into<String>,
) -> Result<Response, UiError> {
    let problem = problem.into();
    contribute_form(
        state,
        viewer,
        scope,
        form.area.trim(),
        &form.tasks,
        Some((form, problem)),
    )
    .await
}

/// `POST /c/{id}/contributions`: submits work, then shows it.
pub async fn contribute(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, form): CheckedForm<ContributeForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let revision = if form.kind == "revision" {
        match revision_of(&state, &scope, &form).await? {
            Ok(revision) => Some(revision),
            Err(problem) => return retry(&state, viewer, &scope, &form, problem).await,
        }
    } else {
        None
    };
    let mut tasks = Vec::new();
    for item in list(&form.tasks) {
        let hex = item.rsplit('/').next().unwrap_or(&item);
        match EventId::from_hex(hex) {
            Some(id) => tasks.push(id),
            None => {
                let problem = format!("\"{item}\" is not a task id or link.");
                return retry(&state, viewer, &scope, &form, problem).await;
            }
        }
    }
    let effort_minutes = match effort(&form.effort_hours, &form.effort_minutes) {
        Ok(m) => m,
        Err(problem) => return retry(&state, viewer, &scope, &form, problem).await,
    };
    let sponsor = match (form.paid.is_some(), form.sponsor.trim()) {
        (false, _) => None,
        (true, "") => {
            let problem = "Paid work names the organisation that paid for it.";
            return retry(&state, viewer, &scope, &form, problem).await;
        }
        (true, text) => {
            let text = text.to_owned();
            match scope
                .inspect(&state, move |s| resolve_people(s, &text))
                .await?
                .as_deref()
            {
                Ok([one]) => Some(*one),
                Ok(_) => {
                    return retry(
                        &state,
                        viewer,
                        &scope,
                        &form,
                        "Name one sponsoring organisation.",
                    )
                    .await;
                }
                Err(problem) => return retry(&state, viewer, &scope, &form, problem.clone()).await,
            }
        }
    };
    let contribution = NewContribution {
        area: form.area.trim().to_owned(),
        kind: form.kind.trim().to_owned(),
        title: form.title.trim().to_owned(),
        description: optional(&form.description),
        tasks,
        authors: Vec::new(),
        effort_minutes: (effort_minutes > 0).then_some(effort_minutes),
        sponsor,
        revision,
        evidence: lines(&form.evidence),
        checklist: checklist(&form.ticked, &form.checklist),
    };
    match super::author(
        &state,
        &viewer,
        &scope.id(),
        contributions::SUBMIT,
        &contribution.body(),
    )
    .await?
    {
        Ok(id) => Ok(viewer.redirect(
            &state.ui,
            &scope.path(&format!("/contributions/{}", id.to_hex())),
            Some(super::success("Your contribution is submitted for review.")),
        )),
        Err(refusal) => retry(&state, viewer, &scope, &form, refusal.message).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContributionQuery {
    posts: Option<usize>,
}

/// What a contribution page shows, copied out of the state.
struct Facts {
    c: Contribution,
    area: Area,
    tasks: Vec<(EventId, String, bool)>,
    /// The artifact's current revision blob (what a revision is compared with).
    compare_with: Option<(EventId, BlobRef, String)>,
    artifact_name: Option<String>,
    is_area_maintainer: bool,
    meets_rule: bool,
    now_ms: u64,
    thread: ThreadPage,
    n_unseen: u64,
}

/// `GET /c/{id}/contributions/{contribution}`
pub async fn contribution(
    State(state): State<AppState>,
    Path((id, contribution_id)): Path<(String, String)>,
    Query(query): Query<ContributionQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let cid = parse_event_id(&contribution_id)?;
    let (key, seen) = (scope.key, scope.seen);
    let posts_page = query.posts.unwrap_or(0);
    let facts = scope
        .inspect(&state, move |s| {
            let c = s.production.contributions.get(&cid)?;
            let area = s.production.areas.get(&c.area)?;
            let tasks = c
                .tasks
                .iter()
                .filter_map(|t| {
                    let task = s.production.tasks.get(t)?;
                    Some((*t, task.title.clone(), task.is_open()))
                })
                .collect();
            let proposed = c.revision.as_ref();
            let artifact = proposed
                .and_then(|r| r.artifact)
                .and_then(|a| s.production.artifacts.get(&a));
            let compare_with = proposed.and_then(|r| {
                let artifact = artifact?;
                let revision = match r.base {
                    Some(base) => artifact.revisions.iter().find(|v| v.contribution == base)?,
                    None => artifact.revisions.last()?,
                };
                Some((
                    revision.contribution,
                    revision.blob,
                    revision.media_type.clone(),
                ))
            });
            Some(Facts {
                c: c.clone(),
                area: Area {
                    feed: Default::default(),
                    ..area.clone()
                },
                tasks,
                compare_with,
                artifact_name: artifact
                    .map(|a| a.name.clone())
                    .or_else(|| proposed.and_then(|r| r.name.clone())),
                is_area_maintainer: key.is_some_and(|k| area.maintainers.contains(&k)),
                meets_rule: contributions::meets_rule(s, c),
                now_ms: s.time_ms,
                thread: ThreadPage::read(s, Subject::Contribution(cid), key, posts_page),
                n_unseen: unseen_notices(s, key, seen),
            })
        })
        .await?
        .ok_or_else(|| {
            UiError::NotFound("This commons has no contribution with that id.".into())
        })?;
    let c = &facts.c;
    let texts = bodies(
        &state,
        &scope.id(),
        [cid, c.version_id]
            .into_iter()
            .chain(c.reviews.iter().map(|r| r.id))
            .chain(facts.thread.text_events())
            .collect(),
    )
    .await?;
    let names = people(
        &state,
        &scope.id(),
        c.authors
            .iter()
            .map(|(k, _)| *k)
            .chain(c.sponsor)
            .chain(c.reviews.iter().map(|r| r.reviewer))
            .chain(facts.area.maintainers.iter().copied())
            .chain(facts.thread.keys())
            .chain(match &c.status {
                ContributionStatus::Rejected { by, .. } => Some(*by),
                _ => None,
            }),
    )
    .await?;
    let area = &facts.area;
    let reviews: Vec<Value> = c
        .reviews
        .iter()
        .map(|r| {
            let by_maintainer = area.maintainers.contains(&r.reviewer);
            let counts = contributions::review_counts(area, c, r);
            context! {
                id => r.id.to_hex(),
                reviewer => names.person(&r.reviewer),
                verdict => r.verdict.as_str(),
                version => r.version,
                time_ms => r.time_ms,
                text => text_of(&texts, &r.id, "text"),
                by_maintainer => by_maintainer,
                counts => counts,
                current => r.version == c.version,
                open_objection => r.verdict == Verdict::Object && r.resolved.is_none(),
                mine => key == Some(r.reviewer),
            }
        })
        .collect();
    let approvals = c
        .reviews
        .iter()
        .filter(|r| r.verdict == Verdict::Approve && contributions::review_counts(area, c, r))
        .map(|r| r.reviewer)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let progress = match area.rule {
        Rule::Maintainers { approvals: needed } => context! {
            kind => "maintainers", approvals => approvals, needed => needed,
        },
        Rule::Lazy { window_ms } => context! {
            kind => "lazy", closes_ms => c.version_ms.saturating_add(window_ms),
        },
    };
    let checklist: Vec<Value> = area
        .chores
        .iter()
        .map(|chore| context! { chore => chore, done => c.checklist.contains(chore) })
        .collect();
    let extra_checks: Vec<&String> = c
        .checklist
        .iter()
        .filter(|t| !area.chores.contains(t))
        .collect();
    let status = match &c.status {
        ContributionStatus::Pending => context! { kind => "pending" },
        ContributionStatus::Accepted { time_ms, .. } => {
            context! { kind => "accepted", time_ms => time_ms }
        }
        ContributionStatus::Rejected {
            by,
            reason,
            time_ms,
            ..
        } => context! {
            kind => "rejected", by => names.person(by), reason => reason, time_ms => time_ms,
        },
        ContributionStatus::Withdrawn { time_ms, .. } => {
            context! { kind => "withdrawn", time_ms => time_ms }
        }
    };
    let revision = match &c.revision {
        None => None,
        Some(r) => {
            let diff = match &facts.compare_with {
                Some((_, old, media))
                    if diff::is_text_media(media) && diff::is_text_media(&r.media_type) =>
                {
                    diff_context(diff::blob_diff(&state, old, &r.blob).await?)
                }
                Some(_) => context! { state => "not_text" },
                None => context! { state => "new" },
            };
            Some(context! {
                artifact => r.artifact.map(|a| a.to_hex()),
                artifact_name => facts.artifact_name,
                base => facts.compare_with.as_ref().map(|(b, _, _)| b.to_hex()),
                media_type => r.media_type,
                blob => r.blob.name(),
                size => r.blob.size,
                diff => diff,
            })
        }
    };
    let description = text_of(&texts, &c.version_id, "description")
        .or_else(|| text_of(&texts, &cid, "description"));
    let pending = c.status == ContributionStatus::Pending;
    let is_submitter = key == Some(c.author);
    let path = scope.path(&format!("/contributions/{}", cid.to_hex()));
    let page = context! {
        title => c.title.clone(),
        c => context! {
            id => cid.to_hex(),
            title => c.title,
            kind => c.kind.as_str(),
            description => description,
            submitter => names.person(&c.author),
            authors => c.authors.iter().map(|(k, share)| context! {
                person => names.person(k), share => share,
            }).collect::<Vec<_>>(),
            n_shares => c.authors.iter().map(|(_, s)| *s).sum::<u64>(),
            effort => effort_in_words(c.effort_minutes),
            effort_minutes => c.effort_minutes,
            sponsor => c.sponsor.map(|k| names.person(&k)),
            version => c.version,
            version_id => c.version_id.to_hex(),
            submitted_ms => c.submitted_ms,
            version_ms => c.version_ms,
            decided_ms => decided_ms(&c.status),
            tasks => facts.tasks.iter().map(|(id, title, open)| context! {
                id => id.to_hex(), title => title, open => open,
            }).collect::<Vec<_>>(),
            evidence => c.evidence.iter().map(|e| context! {
                text => e,
                link => e.starts_with("https://") || e.starts_with("http://"),
            }).collect::<Vec<_>>(),
            checklist => checklist,
            extra_checks => extra_checks,
            checklist_text => c.checklist.join("\n"),
            evidence_text => c.evidence.join("\n"),
            reviews => reviews,
            status => status,
            pending => pending,
            meets_rule => facts.meets_rule,
            revision => revision,
        },
        area => context! {
            slug => area.slug,
            name => area.name,
            rule => rule_in_words(&area.rule),
            maintainers => area.maintainers.iter().map(|k| names.person(k)).collect::<Vec<_>>(),
        },
        progress => progress,
        now_ms => facts.now_ms,
        is_area_maintainer => facts.is_area_maintainer,
        is_submitter => is_submitter,
        can_review => key.is_some() && pending,
        thread => facts.thread.context(&texts, &names, key, &path),
        ..scope.frame("contributions", facts.n_unseen)
    };
    Ok(render(&state, viewer, "contribution.html", page))
}

/// A diff for the `diff` block of a page.
pub(crate) fn diff_context(diff: Option<Result<Diff, NoDiff>>) -> Value {
    match diff {
        None => context! { state => "unavailable" },
        Some(Err(why)) => context! { state => why.as_str() },
        Some(Ok(diff)) => context! { state => "shown", diff => diff },
    }
}

fn contribution_paths(scope: &Scope, id: &str) -> Result<(EventId, String), UiError> {
    let id = parse_event_id(id)?;
    Ok((id, scope.path(&format!("/contributions/{}", id.to_hex()))))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    verdict: String,
    text: String,
}

/// `POST /c/{id}/contributions/{contribution}/review`
pub async fn review(
    State(state): State<AppState>,
    Path((id, contribution)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<ReviewForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let (cid, back) = contribution_paths(&scope, &contribution)?;
    let Some(verdict) = Verdict::parse(&form.verdict) else {
        return refuse(
            &state,
            viewer,
            &back,
            "Choose approve, request changes, object or comment.",
        );
    };
    let text = optional(&form.text);
    if matches!(
        verdict,
        Verdict::Object | Verdict::RequestChanges | Verdict::Comment
    ) && text.is_none()
    {
        return refuse(
            &state,
            viewer,
            &back,
            "Give your reason: an objection, a change request or a comment needs words.",
        );
    }
    let body = build::review(&cid, verdict.as_str(), text.as_deref());
    let done = match verdict {
        Verdict::Approve => "Your approval is recorded.",
        Verdict::RequestChanges => "Your change request is recorded.",
        Verdict::Object => {
            "Your objection is recorded; it holds the contribution until you resolve it."
        }
        Verdict::Comment => "Your comment is recorded.",
    };
    act(
        &state,
        viewer,
        &scope,
        contributions::REVIEW,
        body,
        &back,
        done,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResolveForm {
    review: String,
}

/// `POST /c/{id}/contributions/{contribution}/resolve`: the objector settles an objection.
pub async fn resolve(
    State(state): State<AppState>,
    Path((id, contribution)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<ResolveForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let (cid, back) = contribution_paths(&scope, &contribution)?;
    let review = parse_event_id(form.review.trim())?;
    let body = build::resolve(&cid, &review);
    let done = "Your objection is resolved.";
    act(
        &state,
        viewer,
        &scope,
        contributions::RESOLVE,
        body,
        &back,
        done,
    )
    .await
}

/// `POST /c/{id}/contributions/{contribution}/reject`: an area maintainer rejects it.
pub async fn reject(
    State(state): State<AppState>,
    Path((id, contribution)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<ReasonForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let (cid, back) = contribution_paths(&scope, &contribution)?;
    if form.reason.trim().is_empty() {
        return refuse(
            &state,
            viewer,
            &back,
            "Say why the contribution is rejected.",
        );
    }
    let body = build::reject(&cid, form.reason.trim());
    let done = "The contribution is rejected; your reason is shown with it.";
    act(
        &state,
        viewer,
        &scope,
        contributions::REJECT,
        body,
        &back,
        done,
    )
    .await
}

/// `POST /c/{id}/contributions/{contribution}/withdraw`: the submitter takes it back.
pub async fn withdraw(
    State(state): State<AppState>,
    Path((id, contribution)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<ReasonForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let (cid, back) = contribution_paths(&scope, &contribution)?;
    let body = build::withdraw(&cid, optional(&form.reason).as_deref());
    let done = "Your contribution is withdrawn.";
    act(
        &state,
        viewer,
        &scope,
        contributions::WITHDRAW,
        body,
        &back,
        done,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviseForm {
    title: String,
    description: String,
    evidence: String,
    checklist: String,
    effort_hours: String,
    effort_minutes: String,
    #[serde(flatten)]
    ticked: BTreeMap<String, String>,
}

/// `POST /c/{id}/contributions/{contribution}/revise`: the submitter's next version.
pub async fn revise(
    State(state): State<AppState>,
    Path((id, contribution)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<ReviseForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let (cid, back) = contribution_paths(&scope, &contribution)?;
    let effort_minutes = match effort(&form.effort_hours, &form.effort_minutes) {
        Ok(m) => m,
        Err(problem) => return refuse(&state, viewer, &back, problem),
    };
    let update = ContributionUpdate {
        title: optional(&form.title),
        description: optional(&form.description),
        blob: None,
        evidence: Some(lines(&form.evidence)),
        checklist: Some(checklist(&form.ticked, &form.checklist)),
        effort_minutes: Some(effort_minutes),
    };
    let done = "Your new version is submitted; reviews of the earlier one no longer count.";
    act(
        &state,
        viewer,
        &scope,
        contributions::REVISE,
        update.body(&cid),
        &back,
        done,
    )
    .await
}
