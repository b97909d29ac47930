//! The task board and task pages: posting needs, leaving traces on them (signals and
//! pledges), claiming and releasing them, closing them with a reason.

use super::threads::ThreadPage;
use super::{
    Scope, act, area_choices, area_id, bodies, list, money, optional, parse_money, people, refuse,
    text_of, unseen_notices,
};
use crate::AppState;
use crate::ui::explorer::parse_event_id;
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render, render_status};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use commons_core::production::bodies::{self as build, NewTask};
use commons_core::production::views::{self, BoardQuery, RANKING_EXPLAINED};
use commons_core::production::{CLAIM_TTL_DEFAULT_MS, Subject, Task, TaskStatus, tasks};
use commons_ledger::{AuthorKey, EventId};
use minijinja::{Value, context};
use serde::Deserialize;

/// A form with nothing but its CSRF token.
#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BoardFilter {
    area: String,
    label: String,
    chores: Option<String>,
    claimed: Option<String>,
    page: Option<usize>,
}

/// `GET /c/{id}/tasks`: open tasks ranked by the traces people left on them.
pub async fn board(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(filter): Query<BoardFilter>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = super::page_offset(filter.page);
    let area_slug = filter.area.trim().to_owned();
    let label = optional(&filter.label);
    let chores_only = filter.chores.is_some();
    let include_claimed = filter.claimed.is_some();
    let (rows, matching, choices, n_unseen, unknown_area) = scope
        .inspect(&state, move |s| {
            let area = (!area_slug.is_empty()).then(|| area_id(s, &area_slug));
            let unknown_area = matches!(area, Some(None));
            let board = views::task_board(
                s,
                &BoardQuery {
                    area: area.flatten(),
                    label,
                    chores_only,
                    include_claimed,
                    offset,
                    limit: super::PAGE_SIZE,
                },
            );
            let rows: Vec<_> = board
                .entries
                .iter()
                .filter_map(|e| {
                    let task = s.production.tasks.get(&e.id)?;
                    let slug = s.production.areas.get(&task.area)?.slug.clone();
                    Some((
                        e.clone(),
                        task.title.clone(),
                        task.labels.clone(),
                        slug,
                        task.pledges.len(),
                    ))
                })
                .collect();
            (
                rows,
                board.matching,
                area_choices(s),
                unseen_notices(s, key, seen),
                unknown_area,
            )
        })
        .await?;
    if unknown_area {
        return Err(UiError::NotFound(
            "This commons has no area with that name.".into(),
        ));
    }
    let names = people(
        &state,
        &scope.id(),
        rows.iter().filter_map(|r| r.0.claimed_by),
    )
    .await?;
    let tasks: Vec<Value> = rows
        .iter()
        .map(|(entry, title, labels, area, n_pledges)| {
            let score = entry.score;
            context! {
                id => entry.id.to_hex(),
                title, labels, area,
                n_pledges => n_pledges,
                claimed_by => entry.claimed_by.map(|k| names.person(&k)),
                score => context! {
                    needs => score.needs,
                    needs_points => score.needs * views::POINTS_PER_NEED,
                    interested => score.interested,
                    interested_points => score.interested * views::POINTS_PER_INTEREST,
                    pledges => score.pledges,
                    pledges_points => score.pledges * views::POINTS_PER_PLEDGE,
                    age_days => score.age_days,
                    age_points => score.age_days * views::POINTS_PER_DAY,
                    chore => score.chore,
                    chore_points => if score.chore { views::POINTS_FOR_CHORE } else { 0 },
                    total => score.total,
                },
            }
        })
        .collect();
    let page_ctx = context! {
        title => "Task board",
        tasks => tasks,
        matching => matching,
        pager => super::pager(page, matching),
        areas => choices,
        filter => context! {
            area => filter.area, label => filter.label,
            chores => chores_only, claimed => include_claimed,
        },
        ranking => RANKING_EXPLAINED,
        ..scope.frame("tasks", n_unseen)
    };
    Ok(render(&state, viewer, "board.html", page_ctx))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewTaskQuery {
    area: String,
}

/// `GET /c/{id}/tasks/new`: the form to post a task.
pub async fn new_task_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<NewTaskQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    task_form(&state, viewer, &scope, &query.area, None).await
}

/// The task form, filled in again with what was typed and what was wrong when `retry`
/// is given.
async fn task_form(
    state: &AppState,
    viewer: Viewer,
    scope: &Scope,
    selected: &str,
    retry: Option<(&NewTaskForm, String)>,
) -> Result<Response, UiError> {
    let (key, seen) = (scope.key, scope.seen);
    let (choices, n_unseen) = scope
        .inspect(state, move |s| {
            (area_choices(s), unseen_notices(s, key, seen))
        })
        .await?;
    let status = match retry {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let page = context! {
        title => "Post a task",
        areas => choices,
        selected => selected.trim(),
        form => retry.as_ref().map(|(form, _)| Value::from_serialize(form)),
        error => retry.map(|(_, problem)| problem),
        ..scope.frame("tasks", n_unseen)
    };
    Ok(render_status(state, viewer, status, "new_task.html", page))
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct NewTaskForm {
    area: String,
    title: String,
    description: String,
    labels: String,
    effort_hours: String,
    chore: Option<String>,
}

/// `POST /c/{id}/tasks`: posts a task, then shows it.
pub async fn post_task(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, form): CheckedForm<NewTaskForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let effort_hours = match form.effort_hours.trim() {
        "" => None,
        t => match t.parse() {
            Ok(h) => Some(h),
            Err(_) => {
                let problem = "The effort is a whole number of hours.".to_owned();
                return task_form(&state, viewer, &scope, &form.area, Some((&form, problem))).await;
            }
        },
    };
    let task = NewTask {
        area: form.area.trim().to_owned(),
        title: form.title.trim().to_owned(),
        description: optional(&form.description),
        labels: list(&form.labels),
        effort_hours,
        chore: form.chore.is_some(),
    };
    match super::author(&state, &viewer, &scope.id(), tasks::POST, &task.body()).await? {
        Ok(id) => Ok(viewer.redirect(
            &state.ui,
            &scope.path(&format!("/tasks/{}", id.to_hex())),
            Some(super::success("Your task is posted.")),
        )),
        Err(refusal) => {
            task_form(
                &state,
                viewer,
                &scope,
                &form.area,
                Some((&form, refusal.message)),
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TaskQuery {
    posts: Option<usize>,
}

/// What a task page shows, copied out of the state.
struct TaskFacts {
    task: Task,
    area_slug: String,
    area_name: String,
    claim_ttl_ms: u64,
    claimed_by: Option<AuthorKey>,
    now_ms: u64,
    contributions: Vec<(EventId, String, &'static str)>,
    is_area_maintainer: bool,
    /// Whether the viewer is a treasurer, who funds bounties on the task.
    treasurer: bool,
    /// Bounties funded on the task and still in escrow.
    escrowed: Vec<crate::value::MoneyJson>,
    thread: ThreadPage,
    n_unseen: u64,
}

/// `GET /c/{id}/tasks/{task}`
pub async fn task(
    State(state): State<AppState>,
    Path((id, task_id)): Path<(String, String)>,
    Query(query): Query<TaskQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let task_id = parse_event_id(&task_id)?;
    let (key, seen) = (scope.key, scope.seen);
    let posts_page = query.posts.unwrap_or(0);
    let facts = scope
        .inspect(&state, move |s| {
            let task = s.production.tasks.get(&task_id)?;
            let area = s.production.areas.get(&task.area)?;
            let contributions = task
                .contributions
                .iter()
                .filter_map(|c| {
                    let c_row = s.production.contributions.get(c)?;
                    Some((*c, c_row.title.clone(), c_row.status.as_str()))
                })
                .collect();
            Some(TaskFacts {
                task: task.clone(),
                area_slug: area.slug.clone(),
                area_name: area.name.clone(),
                claim_ttl_ms: area.claim_ttl_ms,
                claimed_by: views::claimed_by(s, task),
                now_ms: s.time_ms,
                contributions,
                is_area_maintainer: key.is_some_and(|k| area.maintainers.contains(&k)),
                treasurer: key.is_some_and(|k| commons_core::value::is_treasurer(s, &k)),
                escrowed: s
                    .economy
                    .bounties
                    .escrowed
                    .get(&task_id)
                    .into_iter()
                    .flatten()
                    .filter_map(|b| s.economy.bounties.bounties.get(b))
                    .map(|b| crate::value::MoneyJson::of(&b.currency, b.amount))
                    .collect(),
                thread: ThreadPage::read(s, Subject::Task(task_id), key, posts_page),
                n_unseen: unseen_notices(s, key, seen),
            })
        })
        .await?
        .ok_or_else(|| UiError::NotFound("This commons has no task with that id.".into()))?;
    let task = &facts.task;
    let texts = bodies(
        &state,
        &scope.id(),
        std::iter::once(task_id)
            .chain(facts.thread.text_events())
            .collect(),
    )
    .await?;
    let names = people(
        &state,
        &scope.id(),
        std::iter::once(task.author)
            .chain(task.pledges.iter().map(|p| p.by))
            .chain(task.claim.map(|c| c.by))
            .chain(facts.thread.keys())
            .chain(match &task.status {
                TaskStatus::Closed { by, .. } => Some(*by),
                _ => None,
            }),
    )
    .await?;
    let status = match &task.status {
        TaskStatus::Open => context! { kind => "open" },
        TaskStatus::Resolved {
            contribution,
            time_ms,
            ..
        } => context! {
            kind => "resolved", contribution => contribution.to_hex(), time_ms => time_ms,
        },
        TaskStatus::Closed {
            by,
            reason,
            time_ms,
            ..
        } => context! {
            kind => "closed", by => names.person(by), reason => reason, time_ms => time_ms,
        },
    };
    let claim = task.claim.map(|c| {
        context! {
            by => names.person(&c.by),
            mine => key == Some(c.by),
            since_ms => c.since_ms,
            lapses_ms => c.last_activity_ms.saturating_add(facts.claim_ttl_ms),
            live => facts.claimed_by == Some(c.by),
        }
    });
    let mut pledged: std::collections::BTreeMap<&str, u64> = Default::default();
    for p in &task.pledges {
        let sum = pledged.entry(p.currency.as_str()).or_default();
        *sum = sum.saturating_add(p.amount);
    }
    let path = scope.path(&format!("/tasks/{}", task_id.to_hex()));
    let page = context! {
        title => task.title.clone(),
        task => context! {
            id => task_id.to_hex(),
            title => task.title,
            description => text_of(&texts, &task_id, "description"),
            author => names.person(&task.author),
            time_ms => task.time_ms,
            labels => task.labels,
            effort_hours => task.effort_hours,
            chore => task.chore,
            open => task.is_open(),
            n_needs => task.needs.len(),
            n_interested => task.interested.len(),
            needs_it => key.is_some_and(|k| task.needs.contains(&k)),
            interested => key.is_some_and(|k| task.interested.contains(&k)),
            pledges => task.pledges.iter().map(|p| context! {
                by => names.person(&p.by),
                amount => money(p.amount),
                currency => p.currency,
            }).collect::<Vec<_>>(),
            pledged => pledged.iter().map(|(c, a)| context! { currency => c, amount => money(*a) }).collect::<Vec<_>>(),
            claim => claim,
            claimable => task.is_open() && facts.claimed_by.is_none_or(|k| Some(k) == key),
            status => status,
            contributions => facts.contributions.iter().map(|(id, title, status)| context! {
                id => id.to_hex(), title => title, status => status,
            }).collect::<Vec<_>>(),
        },
        area => context! { slug => facts.area_slug, name => facts.area_name },
        default_ttl => super::duration_in_words(CLAIM_TTL_DEFAULT_MS),
        claim_ttl => super::duration_in_words(facts.claim_ttl_ms),
        now_ms => facts.now_ms,
        is_area_maintainer => facts.is_area_maintainer,
        treasurer => facts.treasurer,
        escrowed => facts.escrowed,
        thread => facts.thread.context(&texts, &names, key, &path),
        ..scope.frame("tasks", facts.n_unseen)
    };
    Ok(render(&state, viewer, "task.html", page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignalForm {
    signal: String,
}

fn task_paths(scope: &Scope, task: &str) -> Result<(EventId, String), UiError> {
    let id = parse_event_id(task)?;
    Ok((id, scope.path(&format!("/tasks/{}", id.to_hex()))))
}

/// `POST /c/{id}/tasks/{task}/signal`: "I need this too" or "I'm interested".
pub async fn signal(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<SignalForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let (task, back) = task_paths(&scope, &task)?;
    let need = form.signal == "need";
    let done = if need {
        "Noted: you need this too."
    } else {
        "Noted: you are interested in this task."
    };
    act(
        &state,
        viewer,
        &scope,
        tasks::SIGNAL,
        build::signal(&task, need),
        &back,
        done,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PledgeForm {
    amount: String,
    currency: String,
    note: String,
}

/// `POST /c/{id}/tasks/{task}/pledge`: promises bounty money on a task.
pub async fn pledge(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<PledgeForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let (task, back) = task_paths(&scope, &task)?;
    let Some(amount) = parse_money(&form.amount).filter(|a| *a > 0) else {
        return refuse(
            &state,
            viewer,
            &back,
            "The amount is a positive number with at most two decimals, like 25 or 12.50.",
        );
    };
    let currency = form.currency.trim().to_ascii_uppercase();
    let body = build::pledge(&task, amount, &currency, optional(&form.note).as_deref());
    let done = format!(
        "Your pledge of {} {currency} is recorded as a promise.",
        money(amount)
    );
    act(&state, viewer, &scope, tasks::PLEDGE, body, &back, &done).await
}

/// Signs `kind` (a claim or a release) on the task and goes back to it.
async fn on_task(
    state: &AppState,
    id: &str,
    task: &str,
    viewer: Viewer,
    kind: &str,
    done: &str,
) -> Result<Response, UiError> {
    let scope = Scope::acting(state, id, &viewer).await?;
    let (task, back) = task_paths(&scope, task)?;
    act(
        state,
        viewer,
        &scope,
        kind,
        build::task_ref(&task),
        &back,
        done,
    )
    .await
}

/// `POST /c/{id}/tasks/{task}/claim`
pub async fn claim(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    CheckedForm(viewer, _): CheckedForm<NoFields>,
) -> Result<Response, UiError> {
    let done = "You claimed this task. Others see you are on it.";
    on_task(&state, &id, &task, viewer, tasks::CLAIM, done).await
}

/// `POST /c/{id}/tasks/{task}/release`
pub async fn release(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    CheckedForm(viewer, _): CheckedForm<NoFields>,
) -> Result<Response, UiError> {
    let done = "You released this task; anyone may claim it.";
    on_task(&state, &id, &task, viewer, tasks::RELEASE, done).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    pub reason: String,
}

/// `POST /c/{id}/tasks/{task}/close`: an area maintainer closes a task with a reason.
pub async fn close(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<ReasonForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let (task, back) = task_paths(&scope, &task)?;
    if form.reason.trim().is_empty() {
        return refuse(&state, viewer, &back, "Say why the task is closed.");
    }
    let body = build::close_task(&task, form.reason.trim());
    let done = "The task is closed.";
    act(&state, viewer, &scope, tasks::CLOSE, body, &back, done).await
}
