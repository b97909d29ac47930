//! Areas: the parts of a commons with their own maintainers, rule and chores; their
//! activity feeds, nominations of maintainers and stepping down.

use super::threads::ThreadPage;
use super::{
    Scope, act, area_id, bodies, duration_in_words, list, optional, people, refuse, resolve_people,
    rule_in_words, unseen_notices,
};
use crate::AppState;
use crate::ui::explorer::{event_rows, parse_event_id};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use commons_core::production::bodies::{self as build, NewArea};
use commons_core::production::{NominationStatus, Rule, Subject, areas};
use commons_ledger::{AuthorKey, EventId};
use commons_store::Store;
use minijinja::{Value, context};
use serde::Deserialize;

/// Feed entries per page of an area.
pub const FEED_PAGE_SIZE: usize = 20;

/// `GET /c/{id}/areas`: every area, and a form to create one for commons maintainers.
pub async fn list_areas(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (rows, can_create, n_unseen) = scope
        .inspect(&state, move |s| {
            let rows: Vec<_> = s
                .production
                .area_slugs
                .values()
                .filter_map(|id| Some((id, s.production.areas.get(id)?)))
                .map(|(area_id, a)| {
                    let open = s
                        .production
                        .nominations
                        .values()
                        .filter(|n| n.status == NominationStatus::Open && n.area == *area_id)
                        .count();
                    (
                        a.slug.clone(),
                        a.name.clone(),
                        a.maintainers.iter().copied().collect::<Vec<_>>(),
                        rule_in_words(&a.rule),
                        a.chores.clone(),
                        a.n_tasks,
                        a.n_contributions,
                        open,
                    )
                })
                .collect();
            let can_create =
                key.is_some_and(|k| commons_core::authz::authorize(s, &k, areas::CREATE).is_ok());
            (rows, can_create, unseen_notices(s, key, seen))
        })
        .await?;
    let names = people(
        &state,
        &scope.id(),
        rows.iter().flat_map(|r| r.2.iter().copied()),
    )
    .await?;
    let areas: Vec<Value> = rows
        .iter()
        .map(
            |(slug, name, maintainers, rule, chores, n_tasks, n_contributions, open)| {
                context! {
                    slug, name, rule, chores, n_tasks, n_contributions,
                    n_open_nominations => open,
                    maintainers => maintainers.iter().map(|k| names.person(k)).collect::<Vec<_>>(),
                }
            },
        )
        .collect();
    let page = context! {
        title => "Areas",
        areas => areas,
        can_create => can_create,
        me => scope.key.map(|k| k.to_hex()),
        ..scope.frame("areas", n_unseen)
    };
    Ok(render(&state, viewer, "areas.html", page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewAreaForm {
    slug: String,
    name: String,
    description: String,
    maintainers: String,
    rule: String,
    approvals: String,
    window_hours: String,
    chores: String,
    threshold: String,
    self_approval: Option<String>,
    claim_days: String,
}

fn number(text: &str, what: &str) -> Result<Option<u64>, String> {
    match text.trim() {
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| format!("{what} must be a whole number.")),
    }
}

fn new_area(form: &NewAreaForm, maintainers: Vec<AuthorKey>) -> Result<NewArea, String> {
    let rule = match form.rule.as_str() {
        "lazy" => Rule::Lazy {
            window_ms: number(&form.window_hours, "The objection window")?
                .unwrap_or(72)
                .saturating_mul(3_600_000),
        },
        _ => Rule::Maintainers {
            approvals: number(&form.approvals, "The approvals needed")?.unwrap_or(1),
        },
    };
    Ok(NewArea {
        slug: form.slug.trim().to_owned(),
        name: form.name.trim().to_owned(),
        description: optional(&form.description),
        maintainers,
        threshold: number(&form.threshold, "The nomination threshold")?,
        rule,
        chores: list(&form.chores),
        self_approval: Some(form.self_approval.is_some()),
        claim_ttl_ms: number(&form.claim_days, "The claim lifetime")?
            .map(|d| d.saturating_mul(86_400_000)),
    })
}

/// `POST /c/{id}/areas`: a commons maintainer creates an area.
pub async fn create_area(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, form): CheckedForm<NewAreaForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path("/areas");
    let text = form.maintainers.clone();
    let me = scope.key;
    let maintainers = scope
        .inspect(&state, move |s| resolve_people(s, &text))
        .await?;
    let maintainers = match maintainers {
        Ok(m) if m.is_empty() => me.into_iter().collect(),
        Ok(m) => m,
        Err(problem) => return refuse(&state, viewer, &back, problem),
    };
    let area = match new_area(&form, maintainers) {
        Ok(area) => area,
        Err(problem) => return refuse(&state, viewer, &back, problem),
    };
    let slug = area.slug.clone();
    let to = scope.path(&format!("/areas/{slug}"));
    match super::author(&state, &viewer, &scope.id(), areas::CREATE, &area.body()).await? {
        Ok(_) => Ok(viewer.redirect(
            &state.ui,
            &to,
            Some(super::success(format!(
                "The area {} is created.",
                area.name
            ))),
        )),
        Err(refusal) => Ok(viewer.redirect(&state.ui, &back, Some(refusal))),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AreaQuery {
    page: Option<usize>,
    posts: Option<usize>,
}

/// `GET /c/{id}/areas/{slug}`: the area, its maintainers and nominations, its feed and
/// its thread.
pub async fn area(
    State(state): State<AppState>,
    Path((id, slug)): Path<(String, String)>,
    Query(query): Query<AreaQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = super::page_offset(query.page);
    let posts_page = query.posts.unwrap_or(0);
    let found = scope
        .inspect(&state, move |s| {
            let area_id = area_id(s, &slug)?;
            let area = s.production.areas.get(&area_id)?;
            let feed: Vec<EventId> = area
                .feed
                .iter()
                .rev()
                .skip(offset / super::PAGE_SIZE * FEED_PAGE_SIZE)
                .take(FEED_PAGE_SIZE)
                .copied()
                .collect();
            let nominations: Vec<_> = s
                .production
                .nominations
                .iter()
                .filter(|(_, n)| n.area == area_id && n.status == NominationStatus::Open)
                .map(|(id, n)| {
                    let record = s.production.records.get(&n.nominee);
                    let can_approve = key.is_some_and(|k| {
                        (area.maintainers.contains(&k) || s.is_maintainer(&k))
                            && !n.approvals.contains(&k)
                    });
                    (
                        *id,
                        n.clone(),
                        record
                            .and_then(|r| r.accepted_by_area.get(&area_id).copied())
                            .unwrap_or(0),
                        record.map_or(0, |r| r.accepted),
                        can_approve,
                    )
                })
                .collect();
            let thread = ThreadPage::read(s, Subject::Area(area_id), key, posts_page);
            Some((
                area_id,
                commons_core::production::Area {
                    feed: Default::default(),
                    ..area.clone()
                },
                area.feed.len(),
                feed,
                nominations,
                thread,
                key.is_some_and(|k| area.maintainers.contains(&k)),
                unseen_notices(s, key, seen),
            ))
        })
        .await?
        .ok_or_else(|| UiError::NotFound("This commons has no area with that name.".into()))?;
    let (area_id, area, n_feed, feed, nominations, thread, is_maintainer, n_unseen) = found;
    let texts = bodies(&state, &scope.id(), thread.text_events().collect()).await?;
    // The feed's events in one query, newest first.
    let mut events = if feed.is_empty() {
        Vec::new()
    } else {
        state.node.store().events_by_id(&scope.id(), &feed).await?
    };
    events.sort_by_key(|e| std::cmp::Reverse(e.index));
    let feed_rows = event_rows(&state, &scope.id(), &events).await?;
    let names = people(
        &state,
        &scope.id(),
        area.maintainers
            .iter()
            .copied()
            .chain(nominations.iter().flat_map(|n| {
                [n.1.nominee, n.1.nominator]
                    .into_iter()
                    .chain(n.1.approvals.iter().copied())
            }))
            .chain(thread.keys()),
    )
    .await?;
    let nominations: Vec<Value> = nominations
        .iter()
        .map(|(id, n, in_area, accepted, can_approve)| {
            context! {
                id => id.to_hex(),
                nominee => names.person(&n.nominee),
                nominator => names.person(&n.nominator),
                action => n.action.as_str(),
                reason => n.reason,
                accepted_in_area => in_area,
                accepted => accepted,
                accepted_when_nominated => n.record_accepted,
                approvals => n.approvals.iter().map(|k| names.person(k)).collect::<Vec<_>>(),
                needed => area.nomination_threshold(),
                can_approve => can_approve,
            }
        })
        .collect();
    let path = scope.path(&format!("/areas/{}", area.slug));
    let page_ctx = context! {
        title => area.name.clone(),
        area => context! {
            id => area_id.to_hex(),
            slug => area.slug,
            name => area.name,
            description => area.description,
            rule => rule_in_words(&area.rule),
            chores => area.chores,
            threshold => area.nomination_threshold(),
            self_approval => area.self_approval,
            claim_ttl => duration_in_words(area.claim_ttl_ms),
            n_tasks => area.n_tasks,
            n_contributions => area.n_contributions,
            maintainers => area.maintainers.iter().map(|k| names.person(k)).collect::<Vec<_>>(),
        },
        feed => feed_rows,
        feed_pager => context! {
            previous => page.checked_sub(1),
            next => ((page + 1) * FEED_PAGE_SIZE < n_feed).then_some(page + 1),
        },
        nominations => nominations,
        is_maintainer => is_maintainer,
        thread => thread.context(&texts, &names, scope.key, &path),
        ..scope.frame("areas", n_unseen)
    };
    Ok(render(&state, viewer, "area.html", page_ctx))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NominateForm {
    nominee: String,
    action: String,
    reason: String,
}

/// `POST /c/{id}/areas/{slug}/nominate`: proposes adding (or removing) a maintainer.
pub async fn nominate(
    State(state): State<AppState>,
    Path((id, slug)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<NominateForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path(&format!("/areas/{slug}"));
    let text = form.nominee.clone();
    let nominee = scope
        .inspect(&state, move |s| resolve_people(s, &text))
        .await?;
    let nominee = match nominee.as_deref() {
        Ok([one]) => *one,
        Ok(_) => {
            return refuse(
                &state,
                viewer,
                &back,
                "Name exactly one person to nominate.",
            );
        }
        Err(problem) => return refuse(&state, viewer, &back, problem.clone()),
    };
    let body = build::nominate(
        &slug,
        &nominee,
        form.action != "remove",
        optional(&form.reason).as_deref(),
    );
    let done = "The nomination is open for the maintainers' approval.";
    act(&state, viewer, &scope, areas::NOMINATE, body, &back, done).await
}

/// `POST /c/{id}/nominations/{nomination}/approve`
pub async fn approve_nomination(
    State(state): State<AppState>,
    Path((id, nomination)): Path<(String, String)>,
    CheckedForm(viewer, _): CheckedForm<super::tasks::NoFields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let nomination: EventId = parse_event_id(&nomination)?;
    let slug = scope
        .inspect(&state, move |s| {
            let n = s.production.nominations.get(&nomination)?;
            Some(s.production.areas.get(&n.area)?.slug.clone())
        })
        .await?
        .ok_or_else(|| UiError::NotFound("There is no nomination with that id.".into()))?;
    let back = scope.path(&format!("/areas/{slug}"));
    let body = build::approve_nomination(&nomination);
    let done = "Your approval is recorded.";
    act(&state, viewer, &scope, areas::APPROVE, body, &back, done).await
}

/// `POST /c/{id}/areas/{slug}/step-down`: a maintainer leaves the area's maintainers.
pub async fn step_down(
    State(state): State<AppState>,
    Path((id, slug)): Path<(String, String)>,
    CheckedForm(viewer, _): CheckedForm<super::tasks::NoFields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path(&format!("/areas/{slug}"));
    let body = build::step_down(&slug);
    let done = "You stepped down as a maintainer of this area.";
    act(&state, viewer, &scope, areas::STEP_DOWN, body, &back, done).await
}
