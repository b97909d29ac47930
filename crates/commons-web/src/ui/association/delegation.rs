//! Delegation: the person's delegations (per area, or for every poll), setting and
//! revoking them, who delegates to them, and the public list of every delegation.

use super::{Standing, page_of, pager};
use crate::AppState;
use crate::ui::production::{
    Scope, act, area_choices, people, refuse, resolve_people, unseen_notices,
};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use commons_core::association::{DELEGATION_DEPTH_MAX, TOPIC_ALL, delegation as kinds};
use commons_ledger::AuthorKey;
use commons_ledger::cbor::Value as Cbor;
use minijinja::context;
use serde::Deserialize;

/// Delegations to the person listed on their page.
pub const INCOMING_SHOWN_MAX: usize = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DelegationsQuery {
    page: Option<usize>,
}

/// `GET /c/{id}/delegations`
pub async fn delegations(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<DelegationsQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = page_of(query.page);
    let read = scope
        .inspect(&state, move |s| {
            s.association.statutes.as_ref()?;
            let standing = Standing::read(s, key);
            let me = standing.identity;
            let all = &s.association.delegations;
            let mine: Vec<(String, AuthorKey)> = me.map_or_else(Vec::new, |me| {
                all.range((me, String::new())..)
                    .take_while(|((k, _), _)| *k == me)
                    .map(|((_, topic), to)| (topic.clone(), *to))
                    .collect()
            });
            let incoming: Vec<(AuthorKey, String)> = me.map_or_else(Vec::new, |me| {
                all.iter()
                    .filter(|(_, to)| **to == me)
                    .map(|((from, topic), _)| (*from, topic.clone()))
                    .take(INCOMING_SHOWN_MAX)
                    .collect()
            });
            let n_incoming = me.map_or(0, |me| all.values().filter(|to| **to == me).count());
            let listed: Vec<(AuthorKey, String, AuthorKey)> = all
                .iter()
                .skip(offset)
                .take(super::ROWS_PER_PAGE)
                .map(|((from, topic), to)| (*from, topic.clone(), *to))
                .collect();
            Some((
                mine,
                incoming,
                n_incoming,
                listed,
                all.len(),
                area_choices(s),
                standing,
                unseen_notices(s, key, seen),
            ))
        })
        .await?;
    let Some((mine, incoming, n_incoming, listed, n_all, areas, standing, n_unseen)) = read else {
        return super::members::no_association(&state, viewer, &scope).await;
    };
    let names = people(
        &state,
        &scope.id(),
        mine.iter()
            .map(|(_, to)| *to)
            .chain(incoming.iter().map(|(from, _)| *from))
            .chain(listed.iter().flat_map(|(from, _, to)| [*from, *to])),
    )
    .await?;
    let topic_name = |topic: &str| -> String {
        if topic == TOPIC_ALL {
            "every poll".to_owned()
        } else {
            areas
                .iter()
                .find(|(slug, _)| slug == topic)
                .map_or_else(|| topic.to_owned(), |(_, name)| format!("polls on {name}"))
        }
    };
    let page_ctx = context! {
        title => "Delegations",
        mine => mine.iter().map(|(topic, to)| context! {
            topic => topic, topic_name => topic_name(topic), to => names.person(to),
        }).collect::<Vec<_>>(),
        incoming => incoming.iter().map(|(from, topic)| context! {
            from => names.person(from), topic_name => topic_name(topic),
        }).collect::<Vec<_>>(),
        n_incoming => n_incoming,
        all => listed.iter().map(|(from, topic, to)| context! {
            from => names.person(from), topic_name => topic_name(topic), to => names.person(to),
        }).collect::<Vec<_>>(),
        n_all => n_all,
        pager => pager(page, n_all),
        areas => areas,
        depth_max => DELEGATION_DEPTH_MAX,
        standing => standing.context(),
        tab => "delegations",
        ..scope.frame("association", n_unseen)
    };
    Ok(render(&state, viewer, "delegations.html", page_ctx))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetForm {
    to: String,
    topic: String,
}

fn topic_field(topic: &str) -> Vec<(&'static str, Cbor)> {
    match topic.trim() {
        "" | TOPIC_ALL => Vec::new(),
        slug => vec![("topic", Cbor::text(slug))],
    }
}

/// `POST /c/{id}/delegations`: delegates one's vote on a topic.
pub async fn set(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, form): CheckedForm<SetForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path("/delegations");
    let text = form.to.clone();
    let to = scope
        .inspect(&state, move |s| resolve_people(s, &text))
        .await?;
    let to = match to.as_deref() {
        Ok([one]) => *one,
        Ok(_) => {
            return refuse(
                &state,
                viewer,
                &back,
                "Name the one person you delegate to.",
            );
        }
        Err(problem) => return refuse(&state, viewer, &back, problem.clone()),
    };
    let mut body = vec![("to", Cbor::bytes(to.to_bytes().to_vec()))];
    body.extend(topic_field(&form.topic));
    act(
        &state,
        viewer,
        &scope,
        kinds::SET,
        Cbor::text_map(body),
        &back,
        "Your delegation is set: when you do not vote, your delegate's ballot counts for you.",
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevokeForm {
    topic: String,
}

/// `POST /c/{id}/delegations/revoke`
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, form): CheckedForm<RevokeForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path("/delegations");
    act(
        &state,
        viewer,
        &scope,
        kinds::REVOKE,
        Cbor::text_map(topic_field(&form.topic)),
        &back,
        "Your delegation is revoked.",
    )
    .await
}
