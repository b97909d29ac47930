//! Distributions in the browser: the list with the treasurers' proposal form, one
//! distribution's buckets, shares and approvals with the approve and execute buttons, and
//! a person's earnings, each share explained ("why did I get this").
//!
//! A proposal is pinned to the node's latest signed checkpoint, so the split core
//! computes is the one anybody can recompute from the ledger up to that size.

use super::{Fields, PageQuery, currency_of, sign_form, standing};
use crate::AppState;
use crate::association::PersonJson;
use crate::budget::Currency;
use crate::ui::association::{page_of, pager};
use crate::ui::explorer::parse_event_id;
use crate::ui::production::{Scope, act, refuse, unseen_notices};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render};
use crate::value::{
    DistributionPage, EarningsJson, distribution_json, distribution_page, earnings_json,
};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use commons_core::value::distribution::{
    self as rules, BUCKETS_MAX, Bucket, Matching, PPM, Policy, Take, Target, TimeRates,
    bucket_value,
};
use commons_core::value::is_treasurer;
use commons_ledger::cbor::Value as Cbor;
use commons_ledger::{AuthorKey, EventId};
use minijinja::{Value, context};

/// Bucket rows on the proposal form.
pub const BUCKET_ROWS: usize = 4;
/// The discount per interval the form's `recent` policy uses (the API takes any).
pub const FORM_RECENT_DISCOUNT_PPM: u32 = 100_000;
/// The rates the form's `time` policy uses: a minute of any kind counts 1 (the API takes
/// any rates).
pub const FORM_TIME_RATES: TimeRates = TimeRates {
    revision: 1,
    external: 1,
    care: 1,
};
/// Shares listed per bucket on a distribution's page (the API pages through all).
pub const SHARES_SHOWN_MAX: usize = 200;
/// Closed circles the proposal form offers for a `circle` bucket (the latest).
pub const CIRCLES_OFFERED_MAX: usize = 50;
/// Cancelled distributions listed (the latest); the API pages through all of them.
pub const CANCELLED_LISTED_MAX: usize = 20;
/// Distributions a page of a person's earnings explains.
pub const EARNINGS_PER_PAGE: usize = 5;

const _: () = assert!(BUCKET_ROWS <= BUCKETS_MAX);

/// A form's choices, as (value, label).
type Options = Vec<(String, String)>;

fn no_distribution() -> UiError {
    UiError::NotFound("This commons has no distribution with that id.".into())
}

/// `GET /c/{id}/distributions`: proposed ones waiting for approvals, then executed ones,
/// newest first; and the proposal form for treasurers.
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
            let books = &s.economy.books;
            let available: Vec<(String, String)> = books
                .currencies()
                .into_iter()
                .map(|c| {
                    let held = books
                        .holds(&commons_core::value::money::Account::Treasury, &c)
                        .saturating_sub(rules::reserved(s, &c));
                    let text = Currency::of(&c).format(held);
                    (c, text)
                })
                .collect();
            let circles = &s.economy.circles;
            let closed_circles: Vec<(String, String)> = circles
                .order
                .iter()
                .rev()
                .filter_map(|id| circles.circles.get(id))
                .filter(|c| !c.is_open(s.time_ms))
                .take(CIRCLES_OFFERED_MAX)
                .map(|c| (c.id.to_hex(), c.title.clone()))
                .collect();
            (
                distribution_page(s, Some("proposed"), 0, rules::OPEN_DISTRIBUTIONS_MAX),
                distribution_page(
                    s,
                    Some("executed"),
                    offset,
                    crate::ui::association::ROWS_PER_PAGE,
                ),
                (available, closed_circles),
                standing(s, key),
                unseen_notices(s, key, seen),
                distribution_page(s, Some("cancelled"), 0, CANCELLED_LISTED_MAX),
            )
        })
        .await?;
    let (proposed, executed, (available, closed_circles), standing, n_unseen, cancelled): (
        DistributionPage,
        DistributionPage,
        (Options, Options),
        Value,
        u64,
        DistributionPage,
    ) = read;
    let page_ctx = context! {
        title => "Distributions",
        proposed => proposed,
        executed => executed,
        cancelled => cancelled,
        pager => pager(page, usize::try_from(executed.matching).unwrap_or(usize::MAX)),
        available => available,
        closed_circles => closed_circles,
        bucket_rows => BUCKET_ROWS,
        pinned_size => scope.view.checkpoint.as_ref().map(|c| c.size),
        standing => standing,
        tab => "distributions",
        ..scope.frame("value", n_unseen)
    };
    Ok(render(&state, viewer, "distributions.html", page_ctx))
}

/// A percentage typed as `15`, `12.5` or `33.3333`, in parts per million.
pub(crate) fn ppm_of(text: &str) -> Option<u64> {
    let text = text.trim().trim_end_matches('%').trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || fraction.len() > 4
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let fraction: u64 = format!("{fraction:0<4}").parse().ok()?;
    let ppm = whole.checked_mul(10_000)?.checked_add(fraction)?;
    (ppm <= PPM).then_some(ppm)
}

/// Reads the bucket rows of the proposal form; rows without a name are skipped.
fn buckets_of(f: &Fields) -> Result<Vec<Bucket>, String> {
    let mut buckets = Vec::new();
    for i in 0..BUCKET_ROWS {
        let field = |part: &str| f.get(&format!("bucket-{i}-{part}")).to_owned();
        let name = field("name");
        if name.is_empty() {
            continue;
        }
        let share = || {
            ppm_of(&field("share")).ok_or(format!(
                "Bucket “{name}”: its share is a percentage from 0 to 100."
            ))
        };
        let take = match field("take").as_str() {
            "straight" => Take::Straight(share()?),
            "remaining" => Take::Remaining(share()?),
            _ => Take::Rest,
        };
        let target = match (field("to").as_str(), field("policy").as_str()) {
            ("treasury", _) => Target::Treasury,
            ("upstream", _) => Target::Upstream,
            ("quadratic", _) => Target::Quadratic(Matching {
                cap_ppm: None,
                min_pledge: 0,
            }),
            ("claims", _) => Target::Claims,
            ("circle", _) => Target::Circle(EventId::from_hex(&field("circle")).ok_or(format!(
                "Bucket “{name}”: choose the closed circle it pays."
            ))?),
            (_, "immediate") => Target::Contributors(Policy::Immediate),
            (_, "recent") => Target::Contributors(Policy::Recent {
                discount_ppm: FORM_RECENT_DISCOUNT_PPM,
            }),
            (_, "balanced") => Target::Contributors(Policy::Balanced),
            (_, "time") => Target::Contributors(Policy::Time(FORM_TIME_RATES)),
            _ => Target::Contributors(Policy::Lifetime),
        };
        buckets.push(Bucket { name, take, target });
    }
    match buckets.last() {
        None => Err("Name at least one bucket.".to_owned()),
        Some(last) if last.take != Take::Rest => Err(
            "The last bucket takes the rest, so that the buckets add up to the amount.".to_owned(),
        ),
        Some(_) => Ok(buckets),
    }
}

/// Reads the proposal form into a `dist.propose` body pinned at `pin` (size, root).
fn proposal_body(f: &Fields, pin: (u64, [u8; 32])) -> Result<Cbor, String> {
    let title = f.get("title");
    if title.is_empty() {
        return Err("Give the distribution a title.".to_owned());
    }
    let currency = currency_of(f.get("currency")).ok_or("Choose a currency the treasury holds.")?;
    let amount = currency
        .parse(f.get("amount"))
        .map_err(|e| format!("The amount: {e}."))?;
    let buckets = buckets_of(f)?;
    let mut fields = vec![
        ("title", Cbor::text(title)),
        ("amount", Cbor::Unsigned(amount)),
        ("currency", Cbor::text(currency.code.clone())),
        (
            "pin",
            Cbor::text_map([
                ("size", Cbor::Unsigned(pin.0)),
                ("root", Cbor::bytes(pin.1.to_vec())),
            ]),
        ),
        (
            "buckets",
            Cbor::Array(buckets.iter().map(bucket_value).collect()),
        ),
    ];
    if !f.get("min_payout").is_empty() {
        let min = currency
            .parse(f.get("min_payout"))
            .map_err(|e| format!("The minimum payout: {e}."))?;
        fields.push(("min_payout", Cbor::Unsigned(min)));
    }
    Ok(Cbor::text_map(fields))
}

/// `POST /c/{id}/distributions`: a treasurer proposes a distribution, pinned to the node's
/// latest signed checkpoint.
pub async fn propose(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path("/distributions");
    let checkpoint = match &scope.view.checkpoint {
        Some(c) => c.clone(),
        None => match state.node.latest_checkpoint(&scope.id()).await? {
            Some(c) => c,
            None => {
                return refuse(
                    &state,
                    viewer,
                    &back,
                    "The ledger has no signed checkpoint to pin the distribution to yet.",
                );
            }
        },
    };
    let body = proposal_body(&fields, (checkpoint.size, checkpoint.root.0));
    sign_form(
        &state,
        viewer,
        &scope,
        (rules::PROPOSE, body),
        &back,
        "The distribution is proposed: the split is computed and waits for the treasurers' approvals.",
    )
    .await
}

/// `GET /c/{id}/distributions/{dist}`.
pub async fn distribution(
    State(state): State<AppState>,
    Path((id, dist)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let dist = parse_event_id(&dist)?;
    let (key, seen) = (scope.key, scope.seen);
    let read = scope
        .inspect(&state, move |s| {
            let d = s.economy.distributions.get(&dist)?;
            let treasurers: Vec<(PersonJson, bool)> = s
                .association
                .statutes
                .as_ref()
                .map(|st| {
                    st.treasurers
                        .iter()
                        .map(|k| (PersonJson::of(s, k), d.approvals.contains(k)))
                        .collect()
                })
                .unwrap_or_default();
            Some((
                distribution_json(s, d, 0, SHARES_SHOWN_MAX),
                treasurers,
                key.is_some_and(|k| d.approvals.contains(&k)),
                standing(s, key),
                key.is_some_and(|k| is_treasurer(s, &k)),
                unseen_notices(s, key, seen),
            ))
        })
        .await?;
    let Some((json, treasurers, approved_by_me, standing, treasurer, n_unseen)) = read else {
        return Err(no_distribution());
    };
    let proposed = json.summary.status == "proposed";
    let ready = json.summary.n_approvals >= u64::from(json.summary.approvals_needed);
    let page = context! {
        title => json.summary.title.clone(),
        d => json,
        treasurers => treasurers.iter().map(|(p, approved)| context! { person => p, approved => approved }).collect::<Vec<_>>(),
        may_approve => treasurer && proposed && !approved_by_me,
        may_execute => treasurer && proposed && ready,
        may_cancel => treasurer && proposed,
        approved_by_me => approved_by_me,
        ready => ready,
        shares_shown_max => SHARES_SHOWN_MAX,
        standing => standing,
        tab => "distributions",
        ..scope.frame("value", n_unseen)
    };
    Ok(render(&state, viewer, "distribution.html", page))
}

/// `POST /c/{id}/distributions/{dist}/approve`, `…/execute` and `…/cancel` (with a
/// `reason`): a treasurer's decision.
pub async fn decide(
    State(state): State<AppState>,
    Path((id, dist, action)): Path<(String, String, String)>,
    CheckedForm(viewer, f): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let (kind, done) = match action.as_str() {
        "approve" => (rules::APPROVE, "Your approval is recorded."),
        "execute" => (
            rules::EXECUTE,
            "The distribution is executed: what each person is owed is credited in the books.",
        ),
        "cancel" => (
            rules::CANCEL,
            "The distribution is cancelled: nothing was credited, and its amount is free again.",
        ),
        _ => return Err(UiError::NotFound("There is no such action.".into())),
    };
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let dist = parse_event_id(&dist)?;
    let mut fields = vec![("distribution", Cbor::bytes(dist.0.to_vec()))];
    if kind == rules::CANCEL {
        fields.push(("reason", Cbor::text(f.get("reason"))));
    }
    let body = Cbor::text_map(fields);
    let back = scope.path(&format!("/distributions/{}", dist.to_hex()));
    act(&state, viewer, &scope, kind, body, &back, done).await
}

/// `GET /c/{id}/agents/{key}/earnings`: "why did I get this", every distribution that gave
/// the person a share, newest first, explained.
pub async fn earnings(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let who = AuthorKey::from_hex(&key)
        .map_err(|_| UiError::NotFound("There is no agent with that key.".into()))?;
    let (viewer_key, seen) = (scope.key, scope.seen);
    let page = query
        .page
        .unwrap_or(0)
        .min(crate::ui::association::PAGES_MAX);
    let offset = page * EARNINGS_PER_PAGE;
    let read = scope
        .inspect(&state, move |s| {
            (
                earnings_json(s, &who, offset, EARNINGS_PER_PAGE),
                unseen_notices(s, viewer_key, seen),
            )
        })
        .await?;
    let (json, n_unseen): (EarningsJson, u64) = read;
    let next = (offset + EARNINGS_PER_PAGE < usize::try_from(json.matching).unwrap_or(usize::MAX))
        .then_some(page + 1);
    let name = json.person.name.clone();
    let page_ctx = context! {
        title => format!("Earnings of {}", name.clone().unwrap_or_else(|| who.short())),
        name => name,
        mine => viewer_key == Some(who),
        e => json,
        pg => context! { previous => page.checked_sub(1), next => next },
        tab => "distributions",
        ..scope.frame("value", n_unseen)
    };
    Ok(render(&state, viewer, "earnings.html", page_ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_read_exactly_as_parts_per_million() {
        for (text, ppm) in [
            ("15", Some(150_000)),
            ("12.5", Some(125_000)),
            ("33.3333", Some(333_333)),
            ("100%", Some(1_000_000)),
            ("0", Some(0)),
            ("100.0001", None),
            ("12.34567", None),
            ("-5", None),
            ("", None),
            ("1e2", None),
        ] {
            assert_eq!(ppm_of(text), ppm, "{text}");
        }
    }
}
