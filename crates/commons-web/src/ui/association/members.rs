//! The members page: who belongs to the association, in which chambers and roles, and
//! the applications waiting for a decision (admitted by a maintainer, or put to a poll,
//! as the statutes say); applying, withdrawing and leaving.

use super::words;
use super::{Standing, page_of, pager, status_word};
use crate::AppState;
use crate::ui::explorer::parse_event_id;
use crate::ui::production::{Scope, act, optional, people, refuse, unseen_notices};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use commons_core::association::polls::Decision;
use commons_core::association::{
    self as association, Admission, ApplicationStatus, ChamberBasis, MemberStatus,
    members as member_kinds,
};
use commons_ledger::cbor::Value as Cbor;
use commons_ledger::{AuthorKey, EventId};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeSet;

/// Decided applications the page lists below the waiting ones, newest first.
pub const DECIDED_SHOWN_MAX: usize = 20;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MembersQuery {
    page: Option<usize>,
}

/// One member row, copied out of the state.
struct MemberRow {
    key: AuthorKey,
    since_ms: u64,
    chambers: Vec<String>,
    roles: Vec<&'static str>,
    status: &'static str,
    until_ms: Option<u64>,
    reason: Option<String>,
    poll: Option<EventId>,
}

/// One application row.
struct ApplicationRow {
    id: EventId,
    applicant: AuthorKey,
    time_ms: u64,
    chambers: Vec<String>,
    statement: Option<String>,
    status: &'static str,
    reason: Option<String>,
    /// An open admission poll on it.
    poll: Option<EventId>,
}

/// `GET /c/{id}/members`
pub async fn members(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<MembersQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = page_of(query.page);
    let read = scope
        .inspect(&state, move |s| {
            let standing = Standing::read(s, key);
            let association = &s.association;
            let statutes = association.statutes.as_ref()?;
            let chamber_name = |slug: &String| {
                statutes
                    .chamber(slug)
                    .map_or_else(|| slug.clone(), |c| c.name.clone())
            };
            let contributors = association::contributors(s, statutes.contributor_window_months);
            let book = super::ChamberBook::new(s);
            let maintainers = association::maintainers(s);
            let board: BTreeSet<AuthorKey> = association.board.iter().copied().collect();
            // Active and suspended members first, then former ones; each by admission.
            let mut order: Vec<(bool, u64, AuthorKey)> = association
                .members
                .iter()
                .map(|(k, m)| {
                    let former = matches!(
                        m.status,
                        MemberStatus::Left { .. } | MemberStatus::Expelled { .. }
                    );
                    (former, m.admitted_index, *k)
                })
                .collect();
            order.sort();
            let n_rows = order.len();
            let rows: Vec<MemberRow> = order
                .into_iter()
                .skip(offset)
                .take(super::ROWS_PER_PAGE)
                .filter_map(|(_, _, k)| {
                    let m = association.members.get(&k)?;
                    let mut roles = Vec::new();
                    if m.status == MemberStatus::Active {
                        roles.push("member");
                    }
                    if maintainers.contains(&k) {
                        roles.push("maintainer");
                    }
                    if board.contains(&k) {
                        roles.push("board");
                    }
                    if contributors.contains(&k) {
                        roles.push("contributor");
                    }
                    let (until_ms, reason, poll) = match &m.status {
                        MemberStatus::Suspended {
                            until_ms,
                            reason,
                            poll,
                        } => (Some(*until_ms), Some(reason.clone()), Some(*poll)),
                        MemberStatus::Expelled { reason, poll } => {
                            (None, Some(reason.clone()), Some(*poll))
                        }
                        _ => (None, None, None),
                    };
                    Some(MemberRow {
                        key: k,
                        since_ms: m.since_ms,
                        chambers: statutes
                            .chambers
                            .iter()
                            .filter(|c| book.sits_in(&k, &c.slug))
                            .map(|c| c.name.clone())
                            .collect(),
                        roles,
                        status: status_word(&m.status),
                        until_ms,
                        reason,
                        poll,
                    })
                })
                .collect();
            // Admission polls still open, by the application they decide.
            let open_admissions: Vec<(EventId, EventId)> = association
                .open_polls
                .iter()
                .filter_map(
                    |(_, poll_id)| match &association.polls.get(poll_id)?.decision {
                        Decision::Admit(application) => Some((*application, *poll_id)),
                        _ => None,
                    },
                )
                .collect();
            let application_row = |id: &EventId| -> Option<ApplicationRow> {
                let a = association.applications.get(id)?;
                let (status, reason) = match &a.status {
                    ApplicationStatus::Pending => ("pending", None),
                    ApplicationStatus::Admitted { .. } => ("admitted", None),
                    ApplicationStatus::Refused { reason, .. } => ("refused", Some(reason.clone())),
                    ApplicationStatus::Withdrawn { .. } => ("withdrawn", None),
                };
                Some(ApplicationRow {
                    id: *id,
                    applicant: a.applicant,
                    time_ms: a.time_ms,
                    chambers: a.chambers.iter().map(chamber_name).collect(),
                    statement: a.statement.clone(),
                    status,
                    reason,
                    poll: open_admissions
                        .iter()
                        .find(|(application, _)| application == id)
                        .map(|(_, poll)| *poll),
                })
            };
            let mut pending: Vec<(u64, EventId)> = association
                .pending_by_key
                .values()
                .filter_map(|id| Some((association.applications.get(id)?.index, *id)))
                .collect();
            pending.sort();
            let n_pending = pending.len();
            let waiting: Vec<ApplicationRow> = pending
                .iter()
                .take(super::ROWS_PER_PAGE)
                .filter_map(|(_, id)| application_row(id))
                .collect();
            let mut decided: Vec<(u64, EventId)> = association
                .applications
                .iter()
                .filter(|(_, a)| a.status != ApplicationStatus::Pending)
                .map(|(id, a)| (a.index, *id))
                .collect();
            decided.sort_by(|a, b| b.cmp(a));
            let decided: Vec<ApplicationRow> = decided
                .iter()
                .take(DECIDED_SHOWN_MAX)
                .filter_map(|(_, id)| application_row(id))
                .collect();
            let declared: Vec<(String, String)> = statutes
                .chambers
                .iter()
                .filter(|c| c.basis == ChamberBasis::Declared)
                .map(|c| (c.slug.clone(), c.name.clone()))
                .collect();
            let admit_rule = statutes.rule(association::DecisionKind::AdmitMember);
            Some((
                statutes.name.clone(),
                statutes.admission,
                words::rule_terms(admit_rule, 1, Some(statutes)),
                declared,
                rows,
                n_rows,
                association.n_active_members(),
                waiting,
                n_pending,
                decided,
                standing,
                unseen_notices(s, key, seen),
            ))
        })
        .await?;
    let Some(read) = read else {
        return no_association(&state, viewer, &scope).await;
    };
    let (
        association_name,
        admission,
        admit_rule,
        declared,
        rows,
        n_rows,
        n_active,
        waiting,
        n_pending,
        decided,
        standing,
        n_unseen,
    ) = read;
    let names = people(
        &state,
        &scope.id(),
        rows.iter()
            .map(|r| r.key)
            .chain(waiting.iter().chain(&decided).map(|a| a.applicant)),
    )
    .await?;
    let can_decide = admission == Admission::Maintainers && standing.is_maintainer;
    let can_poll = admission == Admission::Vote && standing.may_open_polls();
    let application = |a: &ApplicationRow| {
        context! {
            id => a.id.to_hex(),
            applicant => names.person(&a.applicant),
            time_ms => a.time_ms,
            chambers => a.chambers,
            statement => a.statement,
            status => a.status,
            reason => a.reason,
            poll => a.poll.map(|p| p.to_hex()),
            can_decide => can_decide && a.status == "pending",
            can_poll => can_poll && a.status == "pending" && a.poll.is_none(),
        }
    };
    let members: Vec<Value> = rows
        .iter()
        .map(|r| {
            context! {
                person => names.person(&r.key),
                since_ms => r.since_ms,
                chambers => r.chambers,
                roles => r.roles,
                status => r.status,
                until_ms => r.until_ms,
                reason => r.reason,
                poll => r.poll.map(|p| p.to_hex()),
                me => Some(r.key) == standing.identity || Some(r.key) == scope.key,
            }
        })
        .collect();
    let can_apply =
        scope.key.is_some() && !standing.pending && matches!(standing.status, None | Some("left"));
    let page_ctx = context! {
        title => format!("Members of {association_name}"),
        association_name => association_name,
        admission => admission.as_str(),
        admission_words => words::admission_words(admission),
        admit_rule => admit_rule,
        declared => declared,
        members => members,
        n_rows => n_rows,
        n_active => n_active,
        pager => pager(page, n_rows),
        waiting => waiting.iter().map(application).collect::<Vec<_>>(),
        n_pending => n_pending,
        decided => decided.iter().map(application).collect::<Vec<_>>(),
        standing => standing.context(),
        can_apply => can_apply,
        tab => "members",
        ..scope.frame("association", n_unseen)
    };
    Ok(render(&state, viewer, "members.html", page_ctx))
}

/// A page of the association when the commons has adopted no statutes yet.
pub(crate) async fn no_association(
    state: &AppState,
    viewer: Viewer,
    scope: &Scope,
) -> Result<Response, UiError> {
    let (key, seen) = (scope.key, scope.seen);
    let n_unseen = scope
        .inspect(state, move |s| unseen_notices(s, key, seen))
        .await?;
    let page = context! {
        title => "Association",
        ..scope.frame("association", n_unseen)
    };
    Ok(render(state, viewer, "no_association.html", page))
}

/// `POST /c/{id}/members/apply`
pub async fn apply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<super::Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let mut body = Vec::new();
    if let Some(statement) = optional(fields.get("statement")) {
        body.push(("statement", Cbor::text(statement)));
    }
    let chambers = fields.all("chambers");
    if !chambers.is_empty() {
        body.push((
            "chambers",
            Cbor::Array(chambers.into_iter().map(Cbor::text).collect()),
        ));
    }
    let admission = scope
        .inspect(&state, |s| {
            s.association.statutes.as_ref().map(|st| st.admission)
        })
        .await?;
    let done = match admission {
        Some(Admission::Open) => "Welcome: you are a member of the association.",
        Some(Admission::Maintainers) => {
            "Your application is sent; a maintainer of the commons will decide on it."
        }
        _ => "Your application is sent; members decide on it by a poll.",
    };
    let back = scope.path("/members");
    act(
        &state,
        viewer,
        &scope,
        member_kinds::APPLY,
        Cbor::text_map(body),
        &back,
        done,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LeaveForm {
    reason: String,
}

/// `POST /c/{id}/members/leave`: leaves the association, or withdraws an application.
pub async fn leave(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, form): CheckedForm<LeaveForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let key = scope.key;
    let pending = scope
        .inspect(&state, move |s| {
            key.is_some_and(|k| s.association.pending_by_key.contains_key(&k))
        })
        .await?;
    let mut body = Vec::new();
    if let Some(reason) = optional(&form.reason) {
        body.push(("reason", Cbor::text(reason)));
    }
    let done = if pending {
        "Your application is withdrawn."
    } else {
        "You left the association."
    };
    let back = scope.path("/members");
    act(
        &state,
        viewer,
        &scope,
        member_kinds::LEAVE,
        Cbor::text_map(body),
        &back,
        done,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecideForm {
    action: String,
    reason: String,
}

/// `POST /c/{id}/applications/{application}/decide`: a maintainer admits or refuses.
pub async fn decide(
    State(state): State<AppState>,
    Path((id, application)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<DecideForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let application = parse_event_id(&application)?;
    let back = scope.path("/members");
    let mut body = vec![("application", Cbor::bytes(application.0.to_vec()))];
    let done = if form.action == "refuse" {
        let Some(reason) = optional(&form.reason) else {
            return refuse(
                &state,
                viewer,
                &back,
                "Say why the application is refused: the applicant and everyone else will read it.",
            );
        };
        body.push(("refuse", Cbor::text(reason)));
        "The application is refused."
    } else {
        "The applicant is admitted."
    };
    act(
        &state,
        viewer,
        &scope,
        member_kinds::ADMIT,
        Cbor::text_map(body),
        &back,
        done,
    )
    .await
}
