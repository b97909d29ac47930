//! GIVE circles in the browser: the list with the treasurers' form to open one, and a
//! circle's page with its members, each member's allocation form while the epoch runs
//! and, once it is over, the GIVE each received.
//!
//! Reads copy out the circles API's own answers ([`crate::value::circle_json`]), so a
//! page and `GET /api/v1/commons/{id}/circles/…` never disagree. Forms become
//! `circle.open` and `circle.give` signed with the person's custodial key; core's
//! refusal (`not_treasurer`, `circle_not_member`, `circle_give_exceeded`, …) comes back
//! in the flash.

use super::{Fields, PageQuery, sign_form, standing};
use crate::AppState;
use crate::association::PersonJson;
use crate::ui::association::{page_of, pager};
use crate::ui::explorer::parse_event_id;
use crate::ui::production::{Scope, unseen_notices};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render};
use crate::value::{CircleJson, CirclesPage, circle_json, circles_page};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use commons_core::association::polls::identity;
use commons_core::value::circle::{
    self, CIRCLE_MEMBERS_MAX, CIRCLE_MEMBERS_MIN, EPOCH_MS_MAX, GIVE_PER_MEMBER_MAX,
};
use commons_ledger::AuthorKey;
use commons_ledger::cbor::Value as Cbor;
use minijinja::context;

/// People the open-circle form offers as members: those who published a profile.
pub const MEMBERS_OFFERED_MAX: usize = 500;
/// Longest epoch the open-circle form takes, in days.
pub const EPOCH_DAYS_MAX: u64 = EPOCH_MS_MAX / 86_400_000;
/// GIVE per member the open-circle form suggests (Coordinape's default).
pub const FORM_GIVE_PER_MEMBER: u64 = 100;

const _: () = assert!(MEMBERS_OFFERED_MAX <= CIRCLE_MEMBERS_MAX);

fn no_circle() -> UiError {
    UiError::NotFound("This commons has no circle with that id.".into())
}

/// `GET /c/{id}/circles`: circles newest first, and the form to open one for treasurers.
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = page_of(query.page);
    let read = scope
        .inspect(&state, move |s| {
            let people: Vec<PersonJson> = s
                .agents
                .iter()
                .filter(|(k, agent)| agent.name.is_some() && agent.identity == **k)
                .take(MEMBERS_OFFERED_MAX)
                .map(|(k, _)| PersonJson::of(s, k))
                .collect();
            (
                circles_page(s, offset, crate::ui::association::ROWS_PER_PAGE),
                people,
                standing(s, key),
                unseen_notices(s, key, seen),
            )
        })
        .await?;
    let (circles, people, standing, n_unseen): (CirclesPage, Vec<PersonJson>, _, u64) = read;
    let page_ctx = context! {
        title => "GIVE circles",
        circles => circles,
        pager => pager(page, usize::try_from(circles.matching).unwrap_or(usize::MAX)),
        people => people,
        give_default => FORM_GIVE_PER_MEMBER,
        give_max => GIVE_PER_MEMBER_MAX,
        epoch_days_max => EPOCH_DAYS_MAX,
        standing => standing,
        tab => "distributions",
        ..scope.frame("value", n_unseen)
    };
    Ok(render(&state, viewer, "circles.html", page_ctx))
}

/// Reads the open-circle form into a `circle.open` body; the epoch ends `days` after
/// `now_ms`.
fn open_body(f: &Fields, now_ms: u64) -> Result<Cbor, String> {
    let title = f.get("title");
    if title.is_empty() {
        return Err("Give the circle a title.".to_owned());
    }
    let mut members = Vec::new();
    for text in f.all("member") {
        let key = AuthorKey::from_hex(text)
            .map_err(|_| "Choose the members from the list.".to_owned())?;
        members.push(Cbor::bytes(key.to_bytes().to_vec()));
    }
    if members.len() < CIRCLE_MEMBERS_MIN {
        return Err(format!(
            "A circle has {CIRCLE_MEMBERS_MIN} to {CIRCLE_MEMBERS_MAX} members."
        ));
    }
    let give: u64 = f
        .get("give_per_member")
        .parse()
        .ok()
        .filter(|g| (1..=GIVE_PER_MEMBER_MAX).contains(g))
        .ok_or(format!(
            "Each member holds 1 to {GIVE_PER_MEMBER_MAX} GIVE (Coordinape gives 100)."
        ))?;
    let days: u64 = f
        .get("days")
        .parse()
        .ok()
        .filter(|d| (1..=EPOCH_DAYS_MAX).contains(d))
        .ok_or(format!("The epoch lasts 1 to {EPOCH_DAYS_MAX} days."))?;
    Ok(Cbor::text_map([
        ("title", Cbor::text(title)),
        ("members", Cbor::Array(members)),
        ("give_per_member", Cbor::Unsigned(give)),
        (
            "closes_ms",
            Cbor::Unsigned(now_ms.saturating_add(days * 86_400_000)),
        ),
    ]))
}

/// `POST /c/{id}/circles`: a treasurer opens a circle.
pub async fn open(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path("/circles");
    let body = open_body(&fields, state.node.now_ms());
    sign_form(
        &state,
        viewer,
        &scope,
        (circle::OPEN, body),
        &back,
        "The circle is open: its members allocate their GIVE until the epoch ends.",
    )
    .await
}

/// `GET /c/{id}/circles/{circle}`: the members, the viewer's allocation form while the
/// epoch runs (if they are a member) and, once it is over, the GIVE each received.
pub async fn page(
    State(state): State<AppState>,
    Path((id, circle_id)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let circle_id = parse_event_id(&circle_id)?;
    let (key, seen) = (scope.key, scope.seen);
    let read = scope
        .inspect(&state, move |s| {
            let c = s.economy.circles.circles.get(&circle_id)?;
            let me = key.map(|k| identity(s, &k));
            let member = me.filter(|m| c.members.contains(m));
            let may_give = member.is_some() && c.is_open(s.time_ms);
            Some((
                circle_json(s, c),
                member.map(|m| m.to_hex()),
                may_give,
                standing(s, key),
                unseen_notices(s, key, seen),
            ))
        })
        .await?;
    let Some((json, me, may_give, standing, n_unseen)) = read else {
        return Err(no_circle());
    };
    let json: CircleJson = json;
    // The viewer's own line (what they hold, gave and have left) and what they give each
    // other member now, for the allocation form.
    let mine = me
        .as_ref()
        .and_then(|me| json.members.iter().find(|m| m.member.key == *me));
    let current: Vec<(PersonJson, u64)> = match &me {
        Some(me) if may_give => json
            .members
            .iter()
            .filter(|m| m.member.key != *me)
            .map(|m| {
                let give = mine
                    .and_then(|mine| mine.gifts.iter().find(|g| g.to.key == m.member.key))
                    .map_or(0, |g| g.give);
                let person = PersonJson {
                    key: m.member.key.clone(),
                    name: m.member.name.clone(),
                };
                (person, give)
            })
            .collect(),
        _ => Vec::new(),
    };
    let page_ctx = context! {
        title => json.summary.title.clone(),
        mine => mine,
        current => current,
        may_give => may_give,
        c => json,
        standing => standing,
        tab => "distributions",
        ..scope.frame("value", n_unseen)
    };
    Ok(render(&state, viewer, "circle.html", page_ctx))
}

/// Reads the allocation form into a `circle.give` body: one `give-<key>` number per other
/// member (empty or 0: nothing) and the opt-out box.
fn give_body(f: &Fields, circle: &commons_ledger::EventId) -> Result<Cbor, String> {
    let mut gifts = Vec::new();
    for (name, value) in &f.0 {
        let Some(hex) = name.strip_prefix("give-") else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let to = AuthorKey::from_hex(hex).map_err(|_| "The form names an unknown member.")?;
        let give: u64 = value
            .parse()
            .map_err(|_| format!("GIVE is a whole number; “{value}” is not."))?;
        if give > 0 {
            gifts.push(Cbor::text_map([
                ("to", Cbor::bytes(to.to_bytes().to_vec())),
                ("give", Cbor::Unsigned(give)),
            ]));
        }
    }
    Ok(Cbor::text_map([
        ("circle", Cbor::bytes(circle.0.to_vec())),
        ("gifts", Cbor::Array(gifts)),
        ("opt_out", Cbor::Bool(f.ticked("opt_out"))),
    ]))
}

/// `POST /c/{id}/circles/{circle}/give`: a member allocates their GIVE, replacing their
/// earlier allocation.
pub async fn give(
    State(state): State<AppState>,
    Path((id, circle_id)): Path<(String, String)>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let target = parse_event_id(&circle_id)?;
    let back = scope.path(&format!("/circles/{}", target.to_hex()));
    sign_form(
        &state,
        viewer,
        &scope,
        (circle::GIVE, give_body(&fields, &target)),
        &back,
        "Your GIVE is allocated; you may change it until the epoch ends.",
    )
    .await
}
