//! Threads on areas, tasks, contributions and artifacts (posts, replies, edits, hiding)
//! and the person's notifications.

use super::{Names, Scope, act, people, refuse, resolve_people, text_of};
use crate::AppState;
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use commons_core::production::{Hidden, NoticeKind, Subject, bodies as build, threads};
use commons_core::state::State as Folded;
use commons_ledger::cbor::Value as Cbor;
use commons_ledger::{AuthorKey, EventId};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::HashMap;

/// Posts per page of a thread.
pub const THREAD_PAGE_SIZE: usize = 50;

/// One post as copied out of the state.
#[derive(Clone, Debug)]
pub(crate) struct PostRow {
    pub id: EventId,
    pub author: AuthorKey,
    pub time_ms: u64,
    pub version: u32,
    pub latest: EventId,
    pub reply_to: Option<EventId>,
    pub hidden: Option<Hidden>,
}

/// One page of a thread and what the viewer may do in it.
#[derive(Clone, Debug)]
pub(crate) struct ThreadPage {
    pub subject: Subject,
    pub posts: Vec<PostRow>,
    pub total: u64,
    pub page: usize,
    pub can_hide: bool,
}

impl ThreadPage {
    /// Reads page `page` of the thread on `subject`, oldest post first.
    pub fn read(state: &Folded, subject: Subject, viewer: Option<AuthorKey>, page: usize) -> Self {
        let production = &state.production;
        let ids = production.threads.get(&subject);
        let page = page.min(super::PAGE_MAX);
        let posts = ids
            .into_iter()
            .flatten()
            .skip(page * THREAD_PAGE_SIZE)
            .take(THREAD_PAGE_SIZE)
            .filter_map(|id| {
                let post = production.posts.get(id)?;
                Some(PostRow {
                    id: *id,
                    author: post.author,
                    time_ms: post.time_ms,
                    version: post.version,
                    latest: post.latest,
                    reply_to: post.reply_to,
                    hidden: post.hidden.clone(),
                })
            })
            .collect();
        let can_hide = viewer.is_some_and(|k| {
            state.is_maintainer(&k)
                || production
                    .subject_area(&subject)
                    .is_some_and(|area| production.is_area_maintainer(&area, &k))
        });
        ThreadPage {
            subject,
            posts,
            total: ids.map_or(0, |ids| ids.len() as u64),
            page,
            can_hide,
        }
    }

    /// The events holding the posts' texts.
    pub fn text_events(&self) -> impl Iterator<Item = EventId> + '_ {
        self.posts.iter().map(|p| p.latest)
    }

    pub fn keys(&self) -> impl Iterator<Item = AuthorKey> + '_ {
        self.posts
            .iter()
            .flat_map(|p| std::iter::once(p.author).chain(p.hidden.as_ref().map(|h| h.by)))
    }

    /// The thread for the `thread` macro.
    pub fn context(
        &self,
        texts: &HashMap<EventId, Cbor>,
        names: &Names,
        viewer: Option<AuthorKey>,
        path: &str,
    ) -> Value {
        let posts: Vec<Value> = self
            .posts
            .iter()
            .map(|p| {
                context! {
                    id => p.id.to_hex(),
                    author => names.person(&p.author),
                    time_ms => p.time_ms,
                    edited => p.version > 1,
                    text => text_of(texts, &p.latest, "text"),
                    reply_to => p.reply_to.map(|r| r.to_hex()),
                    mine => viewer == Some(p.author),
                    hidden => p.hidden.as_ref().map(|h| context! {
                        by => names.person(&h.by),
                        reason => h.reason,
                    }),
                }
            })
            .collect();
        let shown_to = ((self.page + 1) * THREAD_PAGE_SIZE) as u64;
        context! {
            on => format!("{}:{}", self.subject.kind_str(), self.subject.id().to_hex()),
            kind => self.subject.kind_str(),
            posts => posts,
            total => self.total,
            can_hide => self.can_hide,
            path => path,
            previous => self.page.checked_sub(1),
            next => (shown_to < self.total).then_some(self.page + 1),
        }
    }
}

/// The page a subject is shown on, under the commons' path.
pub(crate) fn subject_path(state: &Folded, subject: &Subject) -> Option<String> {
    let production = &state.production;
    Some(match subject {
        Subject::Area(id) => format!("/areas/{}", production.areas.get(id)?.slug),
        Subject::Task(id) => format!("/tasks/{}", id.to_hex()),
        Subject::Contribution(id) => format!("/contributions/{}", id.to_hex()),
        Subject::Artifact(id) => format!("/artifacts/{}", id.to_hex()),
    })
}

/// The title of a subject, for notifications.
pub(crate) fn subject_title(state: &Folded, subject: &Subject) -> Option<String> {
    let production = &state.production;
    Some(match subject {
        Subject::Area(id) => production.areas.get(id)?.name.clone(),
        Subject::Task(id) => production.tasks.get(id)?.title.clone(),
        Subject::Contribution(id) => production.contributions.get(id)?.title.clone(),
        Subject::Artifact(id) => production.artifacts.get(id)?.name.clone(),
    })
}

fn parse_subject(text: &str) -> Option<Subject> {
    let (kind, id) = text.split_once(':')?;
    let id = EventId::from_hex(id)?;
    Some(match kind {
        "area" => Subject::Area(id),
        "task" => Subject::Task(id),
        "contribution" => Subject::Contribution(id),
        "artifact" => Subject::Artifact(id),
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PostForm {
    on: String,
    text: String,
    reply_to: String,
    mention: String,
}

/// `POST /c/{id}/posts`: a post (or a reply) in a thread, with mentions.
pub async fn post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, form): CheckedForm<PostForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let subject = parse_subject(&form.on)
        .ok_or_else(|| UiError::BadRequest("The form names no thread.".into()))?;
    let mention = form.mention.clone();
    let (back, mentions) = scope
        .inspect(&state, move |s| {
            (subject_path(s, &subject), resolve_people(s, &mention))
        })
        .await?;
    let back = scope.path(&back.unwrap_or_default());
    let mentions = match mentions {
        Ok(m) => m,
        Err(problem) => return refuse(&state, viewer, &back, problem),
    };
    let reply_to = match form.reply_to.trim() {
        "" => None,
        hex => Some(
            EventId::from_hex(hex)
                .ok_or_else(|| UiError::BadRequest("The post replied to is not an id.".into()))?,
        ),
    };
    if form.text.trim().is_empty() {
        return refuse(&state, viewer, &back, "Write something to post.");
    }
    let body = build::post(&subject, form.text.trim(), reply_to.as_ref(), &mentions);
    act(
        &state,
        viewer,
        &scope,
        threads::POST,
        body,
        &format!("{back}#thread"),
        "Your post is in the thread.",
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    text: String,
    mention: String,
}

/// The page of the thread a post is in.
async fn post_back(state: &AppState, scope: &Scope, post: EventId) -> Result<String, UiError> {
    let back = scope
        .inspect(state, move |s| {
            let subject = s.production.posts.get(&post)?.subject;
            subject_path(s, &subject)
        })
        .await?
        .ok_or_else(|| UiError::NotFound("There is no post with that id.".into()))?;
    Ok(scope.path(&format!("{back}#thread")))
}

/// `POST /c/{id}/posts/{post}/edit`: a new version of one's own post.
pub async fn edit(
    State(state): State<AppState>,
    Path((id, post)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<EditForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let post = super::super::explorer::parse_event_id(&post)?;
    let back = post_back(&state, &scope, post).await?;
    let mention = form.mention.clone();
    let mentions = scope
        .inspect(&state, move |s| resolve_people(s, &mention))
        .await?;
    let mentions = match mentions {
        Ok(m) => m,
        Err(problem) => return refuse(&state, viewer, &back, problem),
    };
    if form.text.trim().is_empty() {
        return refuse(&state, viewer, &back, "A post cannot be edited to nothing.");
    }
    let body = build::edit_post(&post, form.text.trim(), &mentions);
    let done = "Your post is edited.";
    act(&state, viewer, &scope, threads::EDIT, body, &back, done).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HideForm {
    reason: String,
}

/// `POST /c/{id}/posts/{post}/hide`: a maintainer hides a post, saying why.
pub async fn hide(
    State(state): State<AppState>,
    Path((id, post)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<HideForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let post = super::super::explorer::parse_event_id(&post)?;
    let back = post_back(&state, &scope, post).await?;
    if form.reason.trim().is_empty() {
        return refuse(&state, viewer, &back, "Say why the post is hidden.");
    }
    let body = build::hide_post(&post, form.reason.trim());
    let done = "The post is hidden; it stays in the ledger with your reason.";
    act(&state, viewer, &scope, threads::HIDE, body, &back, done).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticesQuery {
    page: Option<usize>,
}

/// `GET /c/{id}/notifications`: mentions of the person, reviews of their work and
/// decisions on it, newest first. Seeing the page clears the badge.
pub async fn notifications(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<NoticesQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let key = scope.key;
    let seen = scope.seen;
    let (page, offset) = super::page_offset(query.page);
    let (rows, total, size) = scope
        .inspect(&state, move |s| {
            let queue = key.and_then(|k| s.production.notices.get(&k));
            let total = queue.map_or(0, |q| q.len() as u64);
            let rows: Vec<_> = queue
                .into_iter()
                .flat_map(|q| q.iter().rev())
                .skip(offset)
                .take(super::PAGE_SIZE)
                .map(|n| {
                    (
                        *n,
                        subject_title(s, &n.subject),
                        subject_path(s, &n.subject),
                    )
                })
                .collect();
            (rows, total, s.size)
        })
        .await?;
    let names = people(&state, &scope.id(), rows.iter().map(|(n, _, _)| n.by)).await?;
    let notices: Vec<Value> = rows
        .iter()
        .map(|(n, title, path)| {
            context! {
                kind => n.kind.as_str(),
                what => match n.kind {
                    NoticeKind::Mention => "mentioned you on",
                    NoticeKind::Review => "reviewed your",
                    NoticeKind::Decision => "decided on your",
                },
                subject_kind => n.subject.kind_str(),
                title => title,
                path => path.as_ref().map(|p| scope.path(p)),
                event => n.event.to_hex(),
                by => names.person(&n.by),
                index => n.index,
                new => n.index >= seen,
            }
        })
        .collect();
    let mut viewer = viewer;
    viewer.mark_seen(&state.ui, &scope.id(), size);
    let page_ctx = context! {
        title => "Notifications",
        notices => notices,
        pager => super::pager(page, total),
        ..scope.frame("notifications", 0)
    };
    Ok(render(&state, viewer, "notifications.html", page_ctx))
}
