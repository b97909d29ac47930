//! Claims on future distributions in the browser: the active claims, those proposed with
//! their approvals, and the settled and waived ones, each with what distributions paid it;
//! the proposal form and approve buttons for treasurers and the waive button for holders.
//!
//! Reads copy out the claims API's own answer ([`crate::claims::claims_json`]), so the page
//! and `GET /api/v1/commons/{id}/claims` never disagree. Forms become `claim.propose`,
//! `claim.approve` and `claim.waive` signed with the person's custodial key; core decides
//! (`not_treasurer`, `self_approval_forbidden`, `not_claim_holder`, …) and a refusal comes
//! back in the flash with its code.

use super::{Fields, PageQuery, currency_of, sign_form, standing};
use crate::AppState;
use crate::claims::claims_json;
use crate::ui::association::{ROWS_PER_PAGE, page_of, pager};
use crate::ui::explorer::parse_event_id;
use crate::ui::production::{Scope, unseen_notices};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render};
use crate::value::VALUE_PAGE_MAX;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use commons_core::value::claims::{self, LIVE_CLAIMS_MAX};
use commons_ledger::cbor::Value as Cbor;
use minijinja::context;

const _: () = assert!(LIVE_CLAIMS_MAX <= VALUE_PAGE_MAX);

/// `GET /c/{id}/claims`: active and proposed claims (all of them: there are at most
/// [`LIVE_CLAIMS_MAX`]), then settled and waived ones a page at a time.
pub async fn claims_page(
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
            let active = claims_json(s, Some("active"), 0, VALUE_PAGE_MAX);
            let proposed = claims_json(s, Some("proposed"), 0, VALUE_PAGE_MAX);
            let settled = claims_json(s, Some("settled"), offset, ROWS_PER_PAGE);
            let waived = claims_json(s, Some("waived"), offset, ROWS_PER_PAGE);
            (
                (active, proposed, settled, waived),
                standing(s, key),
                unseen_notices(s, key, seen),
            )
        })
        .await?;
    let ((active, proposed, settled, waived), standing, n_unseen) = read;
    let me = key.map(|k| k.to_hex());
    // The proposed claims the viewer approved already: no button for those.
    let approved: Vec<String> = match &me {
        Some(me) => proposed
            .claims
            .iter()
            .filter(|c| c.approvals.iter().any(|a| a.key == *me))
            .map(|c| c.id.clone())
            .collect(),
        None => Vec::new(),
    };
    let n_history = settled.claims_matching.max(waived.claims_matching);
    let page_ctx = context! {
        title => "Claims on future distributions",
        active => active,
        proposed => proposed,
        settled => settled,
        waived => waived,
        me => me,
        approved => approved,
        pager => pager(page, usize::try_from(n_history).unwrap_or(usize::MAX)),
        standing => standing,
        tab => "claims",
        ..scope.frame("value", n_unseen)
    };
    Ok(render(&state, viewer, "claims.html", page_ctx))
}

/// Reads the proposal form into a `claim.propose` body; the holder is named by the name
/// they publish here or by their key.
fn claim_body(s: &commons_core::State, f: &Fields) -> Result<Cbor, String> {
    let holder = match crate::ui::production::resolve_people(s, f.get("holder"))?.as_slice() {
        [one] => *one,
        _ => return Err("Name the one person who holds the claim, by name or key.".to_owned()),
    };
    let currency = currency_of(f.get("currency"))
        .ok_or("The currency is a code of letters or digits, such as EUR.".to_owned())?;
    let reason = f.get("reason");
    if reason.is_empty() {
        return Err("Say what the claim is for (a loan, unpaid work).".to_owned());
    }
    let amount = |name: &str| -> Result<u64, String> {
        match currency.parse(f.get(name)) {
            Ok(0) | Err(_) => Err(format!(
                "The {} is an amount of more than zero.",
                name.replace('_', " ")
            )),
            Ok(minor) => Ok(minor),
        }
    };
    let seniority = || -> Result<u64, String> {
        match f.get("seniority") {
            "" => Ok(0),
            text => text
                .parse::<u32>()
                .map(u64::from)
                .map_err(|_| "The seniority is a whole number (0 is paid first).".to_owned()),
        }
    };
    let terms = match f.get("kind") {
        "debt" => Cbor::text_map([
            ("kind", Cbor::text("debt")),
            ("owed", Cbor::Unsigned(amount("amount")?)),
            ("seniority", Cbor::Unsigned(seniority()?)),
        ]),
        "once" => Cbor::text_map([
            ("kind", Cbor::text("once")),
            ("amount", Cbor::Unsigned(amount("amount")?)),
            ("seniority", Cbor::Unsigned(seniority()?)),
        ]),
        "equity" => {
            let percent = super::distributions::ppm_of(f.get("share_percent"))
                .filter(|p| *p > 0)
                .ok_or("The share is a percentage, such as 12.5.".to_owned())?;
            let mut fields = vec![
                ("kind", Cbor::text("equity")),
                ("share_ppm", Cbor::Unsigned(percent)),
            ];
            if !f.get("cap").is_empty() {
                fields.push(("cap", Cbor::Unsigned(amount("cap")?)));
            }
            Cbor::text_map(fields)
        }
        _ => return Err("Choose the kind of claim.".to_owned()),
    };
    Ok(Cbor::text_map([
        ("holder", Cbor::bytes(holder.to_bytes().to_vec())),
        ("currency", Cbor::text(currency.code)),
        ("terms", terms),
        ("reason", Cbor::text(reason)),
    ]))
}

/// `POST /c/{id}/claims`: a treasurer proposes a claim.
pub async fn propose(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path("/claims");
    let body = scope
        .inspect(&state, move |s| claim_body(s, &fields))
        .await?;
    sign_form(
        &state,
        viewer,
        &scope,
        (claims::PROPOSE, body),
        &back,
        "The claim is proposed; it becomes active once enough treasurers approve it.",
    )
    .await
}

/// `POST /c/{id}/claims/{claim}/approve` and `…/waive`.
pub async fn act_on_claim(
    State(state): State<AppState>,
    Path((id, claim_id, action)): Path<(String, String, String)>,
    CheckedForm(viewer, f): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let target = parse_event_id(&claim_id)?;
    let claim = ("claim", Cbor::bytes(target.0.to_vec()));
    let (kind, body, done) = match action.as_str() {
        "approve" => (
            claims::APPROVE,
            Ok(Cbor::text_map([claim])),
            "Your approval is recorded.",
        ),
        "waive" => {
            let reason = super::optional_texts(&f, &["reason"]);
            (
                claims::WAIVE,
                Ok(Cbor::text_map(std::iter::once(claim).chain(reason))),
                "The claim is waived: no distribution pays it any more.",
            )
        }
        _ => return Err(UiError::NotFound("There is no such action.".into())),
    };
    let back = scope.path("/claims");
    sign_form(&state, viewer, &scope, (kind, body), &back, done).await
}
