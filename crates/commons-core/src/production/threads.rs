//! Threads: discussion on every area, task, contribution and artifact (negotiated
//! coordination). A post is edited by new versions that supersede it; a maintainer of
//! the subject's area (or of the commons) may hide a post with a reason, and the post
//! stays in the ledger with the hiding visible. Mentions notify the people named.

use super::tasks::touch_claim;
use super::{
    Hidden, LIST_MAX, Notice, NoticeKind, POSTS_MAX, POSTS_PER_THREAD_MAX, Post, REASON_LEN_MAX,
    Subject, TEXT_LEN_MAX, limit_reached,
};
use crate::body::BodyReader;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};

pub const POST: &str = "thread.post";
pub const EDIT: &str = "thread.edit";
pub const HIDE: &str = "thread.hide";

/// Most versions of one post.
pub const POST_VERSIONS_MAX: u32 = 64;

/// The CBOR form of a subject, as bodies carry it: `{kind, id}`.
pub fn subject_value(subject: &Subject) -> Value {
    Value::text_map([
        ("kind", Value::text(subject.kind_str())),
        ("id", Value::bytes(subject.id().0.to_vec())),
    ])
}

fn read_subject(state: &State, value: &Value) -> Result<Subject, Rejection> {
    let mut reader = BodyReader::new("thread.post on", value)?;
    let kind = reader.text("kind", 1, 16)?;
    let id = reader.event_id("id")?;
    reader.finish()?;
    let subject = match kind.as_str() {
        "area" => Subject::Area(id),
        "task" => Subject::Task(id),
        "contribution" => Subject::Contribution(id),
        "artifact" => Subject::Artifact(id),
        _ => {
            return reject(
                RejectionCode::BodyInvalid,
                "thread.post: `on.kind` is area, task, contribution or artifact",
            );
        }
    };
    if state.production.subject_area(&subject).is_none() {
        return reject(
            RejectionCode::ObjectUnknown,
            format!("there is no {kind} with that id to discuss"),
        );
    }
    Ok(subject)
}

fn read_mentions(reader: &mut BodyReader<'_>) -> Result<Vec<AuthorKey>, Rejection> {
    Ok(reader
        .optional_keys("mentions", LIST_MAX)?
        .unwrap_or_default())
}

fn mention(state: &mut State, input: &Input<'_>, subject: Subject, mentions: &[AuthorKey]) {
    for key in mentions {
        state.production.notify(
            *key,
            Notice {
                kind: NoticeKind::Mention,
                index: input.index,
                event: input.event.id,
                subject,
                by: input.event.header.author,
            },
        );
    }
}

pub(crate) fn post(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(POST, input.body)?;
    let subject = read_subject(state, reader.required("on")?)?;
    let _text = reader.text("text", 1, TEXT_LEN_MAX)?;
    let reply_to = match reader.optional("reply_to") {
        Some(_) => Some(reader.event_id("reply_to")?),
        None => None,
    };
    let mentions = read_mentions(&mut reader)?;
    reader.finish()?;
    if let Some(parent) = reply_to
        && state
            .production
            .posts
            .get(&parent)
            .is_none_or(|p| p.subject != subject)
    {
        return reject(
            RejectionCode::PostUnknown,
            "`reply_to` is not a post in this thread",
        );
    }
    let production = &mut state.production;
    if production.posts.len() >= POSTS_MAX {
        return limit_reached("posts in a commons", POSTS_MAX);
    }
    let thread = production.threads.entry(subject).or_default();
    if thread.len() >= POSTS_PER_THREAD_MAX {
        return limit_reached("posts in one thread", POSTS_PER_THREAD_MAX);
    }
    let id = input.event.id;
    thread.push(id);
    production.posts.insert(
        id,
        Post {
            subject,
            author,
            index: input.index,
            time_ms: state.time_ms,
            reply_to,
            version: 1,
            latest: id,
            hidden: None,
        },
    );
    let mut applied = Applied::default();
    applied.touch(RowKey::Post(id));
    if let Subject::Task(task) = subject {
        // The claimant's post renews their claim, which the task's row shows.
        touch_claim(state, &task, &author);
        applied.touch(RowKey::Task(task));
    }
    mention(state, input, subject, &mentions);
    if let Some(area) = state.production.subject_area(&subject) {
        state.production.log_area(&area, input.event.id);
    }
    Ok(applied)
}

fn post_of(state: &State, reader: &mut BodyReader<'_>) -> Result<EventId, Rejection> {
    let id = reader.event_id("post")?;
    if state.production.posts.contains_key(&id) {
        Ok(id)
    } else {
        reject(RejectionCode::PostUnknown, "no thread.post has that id")
    }
}

pub(crate) fn edit(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(EDIT, input.body)?;
    let id = post_of(state, &mut reader)?;
    let _text = reader.text("text", 1, TEXT_LEN_MAX)?;
    let mentions = read_mentions(&mut reader)?;
    reader.finish()?;
    let Some(post) = state.production.posts.get_mut(&id) else {
        return reject(RejectionCode::PostUnknown, "no such post");
    };
    if post.author != author {
        return reject(RejectionCode::NotAuthor, "only the author edits a post");
    }
    if post.version >= POST_VERSIONS_MAX {
        return limit_reached("versions of a post", POST_VERSIONS_MAX as usize);
    }
    post.version += 1;
    post.latest = input.event.id;
    let subject = post.subject;
    mention(state, input, subject, &mentions);
    let mut applied = Applied::default();
    applied.touch(RowKey::Post(id));
    Ok(applied)
}

pub(crate) fn hide(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(HIDE, input.body)?;
    let id = post_of(state, &mut reader)?;
    let reason = reader.text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    let subject = state.production.posts.get(&id).map(|p| p.subject);
    let area = subject.and_then(|s| state.production.subject_area(&s));
    let allowed = state.is_maintainer(&author)
        || area.is_some_and(|a| state.production.is_area_maintainer(&a, &author));
    if !allowed {
        return reject(
            RejectionCode::NotAreaMaintainer,
            "only a maintainer of the thread's area or of the commons hides a post",
        );
    }
    let Some(post) = state.production.posts.get_mut(&id) else {
        return reject(RejectionCode::PostUnknown, "no such post");
    };
    if post.hidden.is_some() {
        return reject(
            RejectionCode::BodyInvalid,
            "thread.hide: the post is already hidden",
        );
    }
    post.hidden = Some(Hidden {
        by: author,
        reason,
        index: input.index,
    });
    if let Some(area) = area {
        state.production.log_area(&area, input.event.id);
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Post(id));
    Ok(applied)
}
