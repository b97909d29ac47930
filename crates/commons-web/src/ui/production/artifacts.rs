//! Artifacts: versioned documents, designs, code and data, each revision made by an
//! accepted contribution and attributed to its authors.

use super::contributions::diff_context;
use super::threads::ThreadPage;
use super::{Scope, area_id, bodies, people, unseen_notices};
use crate::AppState;
use crate::ui::explorer::parse_event_id;
use crate::ui::session::Viewer;
use crate::ui::{UiError, render};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use commons_core::production::{Revision, Subject};
use minijinja::{Value, context};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    area: String,
    page: Option<usize>,
}

/// `GET /c/{id}/artifacts`
pub async fn list_artifacts(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = super::page_offset(query.page);
    let slug = query.area.trim().to_owned();
    let found = scope
        .inspect(&state, move |s| {
            let area = match slug.as_str() {
                "" => None,
                slug => Some(area_id(s, slug)?),
            };
            let matching = s
                .production
                .artifacts
                .iter()
                .filter(|(_, a)| area.is_none_or(|x| x == a.area));
            let total = matching.clone().count() as u64;
            let rows: Vec<_> = matching
                .skip(offset)
                .take(super::PAGE_SIZE)
                .map(|(id, a)| {
                    let current = a.revisions.last().cloned();
                    let area = s.production.areas.get(&a.area).map(|x| x.slug.clone());
                    (
                        *id,
                        a.name.clone(),
                        a.kind.clone(),
                        area,
                        a.revisions.len(),
                        current,
                    )
                })
                .collect();
            Some((
                rows,
                total,
                super::area_choices(s),
                unseen_notices(s, key, seen),
            ))
        })
        .await?
        .ok_or_else(|| UiError::NotFound("This commons has no area with that name.".into()))?;
    let (rows, total, choices, n_unseen) = found;
    let names = people(
        &state,
        &scope.id(),
        rows.iter()
            .flat_map(|r| r.5.iter().flat_map(|v| v.authors.iter().copied()))
            .collect::<Vec<_>>(),
    )
    .await?;
    let artifacts: Vec<Value> = rows
        .iter()
        .map(|(id, name, kind, area, n_revisions, current)| {
            context! {
                id => id.to_hex(), name, kind, area, n_revisions,
                current => current.as_ref().map(|v| context! {
                    time_ms => v.time_ms,
                    authors => v.authors.iter().map(|k| names.person(k)).collect::<Vec<_>>(),
                }),
            }
        })
        .collect();
    let page_ctx = context! {
        title => "Artifacts",
        artifacts => artifacts,
        pager => super::pager(page, total),
        areas => choices,
        filter => context! { area => query.area },
        ..scope.frame("artifacts", n_unseen)
    };
    Ok(render(&state, viewer, "artifacts.html", page_ctx))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ArtifactQuery {
    page: Option<usize>,
    posts: Option<usize>,
}

/// `GET /c/{id}/artifacts/{artifact}`: revision history (newest first), the current
/// blob and the diff of each text revision against the one before.
pub async fn artifact(
    State(state): State<AppState>,
    Path((id, artifact_id)): Path<(String, String)>,
    Query(query): Query<ArtifactQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let aid = parse_event_id(&artifact_id)?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = super::page_offset(query.page);
    let posts_page = query.posts.unwrap_or(0);
    let found = scope
        .inspect(&state, move |s| {
            let a = s.production.artifacts.get(&aid)?;
            let area = s.production.areas.get(&a.area)?;
            let n = a.revisions.len();
            // Newest first, each with the revision before it (for its diff).
            let revisions: Vec<(Revision, Option<Revision>, Option<String>)> = (0..n)
                .rev()
                .skip(offset)
                .take(super::PAGE_SIZE)
                .map(|i| {
                    let v = a.revisions[i].clone();
                    let before = i.checked_sub(1).map(|j| a.revisions[j].clone());
                    let title = s
                        .production
                        .contributions
                        .get(&v.contribution)
                        .map(|c| c.title.clone());
                    (v, before, title)
                })
                .collect();
            Some((
                a.name.clone(),
                a.kind.clone(),
                (area.slug.clone(), area.name.clone()),
                n as u64,
                a.revisions.last().cloned(),
                revisions,
                ThreadPage::read(s, Subject::Artifact(aid), key, posts_page),
                unseen_notices(s, key, seen),
            ))
        })
        .await?
        .ok_or_else(|| UiError::NotFound("This commons has no artifact with that id.".into()))?;
    let (name, kind, (area_slug, area_name), n_revisions, current, revisions, thread, n_unseen) =
        found;
    let texts = bodies(&state, &scope.id(), thread.text_events().collect()).await?;
    let names = people(
        &state,
        &scope.id(),
        revisions
            .iter()
            .flat_map(|(v, _, _)| v.authors.iter().copied())
            .chain(thread.keys()),
    )
    .await?;
    let mut rows = Vec::with_capacity(revisions.len());
    for (v, before, title) in &revisions {
        let diff = match before {
            None => None,
            Some(b)
                if super::diff::is_text_media(&b.media_type)
                    && super::diff::is_text_media(&v.media_type) =>
            {
                Some(diff_context(
                    super::diff::blob_diff(&state, &b.blob, &v.blob).await?,
                ))
            }
            Some(_) => Some(context! { state => "not_text" }),
        };
        rows.push(context! {
            contribution => v.contribution.to_hex(),
            title => title,
            authors => v.authors.iter().map(|k| names.person(k)).collect::<Vec<_>>(),
            time_ms => v.time_ms,
            media_type => v.media_type,
            blob => v.blob.name(),
            size => v.blob.size,
            diff => diff,
        });
    }
    let path = scope.path(&format!("/artifacts/{}", aid.to_hex()));
    let page_ctx = context! {
        title => name.clone(),
        artifact => context! {
            id => aid.to_hex(), name => name, kind => kind,
            n_revisions => n_revisions,
            current => current.map(|v| context! {
                blob => v.blob.name(), size => v.blob.size, media_type => v.media_type,
                contribution => v.contribution.to_hex(),
            }),
        },
        area => context! { slug => area_slug, name => area_name },
        revisions => rows,
        pager => super::pager(page, n_revisions),
        thread => thread.context(&texts, &names, key, &path),
        ..scope.frame("artifacts", n_unseen)
    };
    Ok(render(&state, viewer, "artifact.html", page_ctx))
}
