//! Claims on future distributions in the API: each claim with its terms, approvals and
//! what distributions paid it, and a distribution's `claims` bucket explained claim by
//! claim ("debt of X, Y repaid here, Z still owed").
//!
//! Like the rest of the books, claims are public ledger data. Answers are computed from the
//! node's in-memory state (`Node::inspect`, core's `value::claims`); money is in minor
//! units beside its display in major units ([`MoneyJson`]).

use crate::AppState;
use crate::association::PersonJson;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, parse_commons_id, parse_event_id};
use crate::production::{inspect, page_limit_within, unknown};
use crate::value::{MoneyJson, VALUE_PAGE_DEFAULT, VALUE_PAGE_MAX};
use axum::Json;
use axum::extract::State;
use commons_core::State as CommonsState;
use commons_core::value::claims::{Claim, ClaimState, ClaimTerms, Line};
use commons_core::value::distribution::Distribution;

use serde::{Deserialize, Serialize};

/// The states a listing filters by.
pub const CLAIM_STATES: [&str; 4] = ["proposed", "active", "settled", "waived"];

#[derive(Debug, Serialize)]
pub struct ClaimJson {
    pub id: String,
    pub holder: PersonJson,
    pub proposed_by: PersonJson,
    pub currency: String,
    /// `debt`, `once` or `equity`.
    pub kind: &'static str,
    /// Debts and one-time claims: a smaller number is paid first.
    pub seniority: Option<u32>,
    /// A debt's whole amount or a one-time claim's amount.
    pub amount: Option<MoneyJson>,
    /// Equity: the share of what each distribution has left after the debts, in millionths.
    pub share_ppm: Option<u32>,
    /// Equity: the most it receives in all (`null`: no cap).
    pub cap: Option<MoneyJson>,
    /// What executed distributions paid it so far.
    pub paid: MoneyJson,
    /// What it may still be paid while live: a debt's rest, a one-time claim's amount, an
    /// equity claim's room under its cap (`null` for uncapped equity or an ended claim).
    pub outstanding: Option<MoneyJson>,
    pub reason: String,
    /// `proposed`, `active`, `settled` or `waived`.
    pub state: &'static str,
    pub approvals: Vec<PersonJson>,
    pub approvals_needed: u32,
    pub proposed_index: u64,
    /// The ledger index it became active, was settled or waived at.
    pub state_index: Option<u64>,
    /// The distribution whose execution settled it.
    pub settled_by: Option<String>,
}

pub fn claim_json(s: &CommonsState, c: &Claim) -> ClaimJson {
    let money = |minor: u64| MoneyJson::of(&c.currency, minor);
    let (seniority, amount, share_ppm, cap) = match c.terms {
        ClaimTerms::Debt { owed, seniority } => (Some(seniority), Some(money(owed)), None, None),
        ClaimTerms::Once { amount, seniority } => {
            (Some(seniority), Some(money(amount)), None, None)
        }
        ClaimTerms::Equity { share_ppm, cap, .. } => (None, None, Some(share_ppm), cap.map(money)),
    };
    let outstanding = match (c.state.is_live(), c.terms_now()) {
        (false, _) => None,
        (true, ClaimTerms::Debt { owed, .. }) => Some(money(owed)),
        (true, ClaimTerms::Once { amount, .. }) => Some(money(amount)),
        (true, ClaimTerms::Equity { cap, received, .. }) => {
            cap.map(|cap| money(cap.saturating_sub(received)))
        }
    };
    let (state_index, settled_by) = match c.state {
        ClaimState::Proposed => (None, None),
        ClaimState::Active { index } | ClaimState::Waived { index } => (Some(index), None),
        ClaimState::Settled {
            distribution,
            index,
        } => (Some(index), Some(distribution.to_hex())),
    };
    let approvals_needed = s
        .association
        .statutes
        .as_ref()
        .map_or(0, |st| st.treasurer_approvals);
    ClaimJson {
        id: c.id.to_hex(),
        holder: PersonJson::of(s, &c.holder),
        proposed_by: PersonJson::of(s, &c.by),
        currency: c.currency.clone(),
        kind: c.kind(),
        seniority,
        amount,
        share_ppm,
        cap,
        paid: money(c.paid),
        outstanding,
        reason: c.reason.clone(),
        state: c.state.as_str(),
        approvals: c.approvals.iter().map(|k| PersonJson::of(s, k)).collect(),
        approvals_needed,
        proposed_index: c.index,
        state_index,
        settled_by,
    }
}

#[derive(Debug, Serialize)]
pub struct ClaimsJson {
    pub claims_matching: u64,
    pub offset: usize,
    /// One page, newest first.
    pub claims: Vec<ClaimJson>,
    /// Over every claim that matched, per currency: what distributions paid them.
    pub paid_by_currency: Vec<(String, MoneyJson)>,
}

/// Claims in `state` (every claim when `None`), newest first, one page.
pub fn claims_json(
    s: &CommonsState,
    state: Option<&str>,
    offset: usize,
    limit: usize,
) -> ClaimsJson {
    let claims = &s.economy.claims;
    let matching: Vec<&Claim> = claims
        .order
        .iter()
        .rev()
        .filter_map(|id| claims.claims.get(id))
        .filter(|c| state.is_none_or(|st| c.state.as_str() == st))
        .collect();
    let mut paid: std::collections::BTreeMap<&str, u64> = Default::default();
    for c in &matching {
        let sum = paid.entry(c.currency.as_str()).or_default();
        *sum = sum.saturating_add(c.paid);
    }
    ClaimsJson {
        claims_matching: matching.len() as u64,
        offset,
        claims: matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|c| claim_json(s, c))
            .collect(),
        paid_by_currency: paid
            .into_iter()
            .map(|(currency, minor)| (currency.to_owned(), MoneyJson::of(currency, minor)))
            .collect(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimParams {
    state: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

/// `GET /api/v1/commons/{id}/claims?state=&offset=&limit=`.
pub async fn list_claims(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<ClaimParams>,
) -> Result<Json<ClaimsJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit_within(params.limit, VALUE_PAGE_DEFAULT, VALUE_PAGE_MAX)?;
    if let Some(st) = params.state.as_deref()
        && !CLAIM_STATES.contains(&st)
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "state is proposed, active, settled or waived",
        ));
    }
    let json = inspect(&state, &commons, move |s| {
        claims_json(s, params.state.as_deref(), params.offset, limit)
    })
    .await?;
    Ok(Json(json))
}

/// `GET /api/v1/commons/{id}/claims/{claim}`.
pub async fn get_claim(
    State(state): State<AppState>,
    ApiPath((id, claim)): ApiPath<(String, String)>,
) -> Result<Json<ClaimJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let claim = parse_event_id(&claim)?;
    let json = inspect(&state, &commons, move |s| {
        s.economy
            .claims
            .claims
            .get(&claim)
            .map(|c| claim_json(s, c))
    })
    .await?
    .ok_or_else(|| unknown("unknown_claim", "claim"))?;
    Ok(Json(json))
}

/// One claim's part in a distribution's `claims` bucket.
#[derive(Debug, Serialize)]
pub struct ClaimLineJson {
    pub claim: String,
    pub holder: PersonJson,
    pub kind: &'static str,
    /// Paid by this distribution (credited when it executes).
    pub paid: MoneyJson,
    /// Debts and one-time claims: what was owed when it was settled, and after.
    pub owed_before: Option<MoneyJson>,
    pub owed_after: Option<MoneyJson>,
    /// Equity: its share, and what it had received before and after.
    pub share_ppm: Option<u32>,
    pub received_before: Option<MoneyJson>,
    pub received_after: Option<MoneyJson>,
    /// Whether this distribution ends the claim (repaid, paid once, or capped).
    pub settles: bool,
    /// For people: "debt of 500.00 EUR: 350.00 EUR repaid here, 150.00 EUR still owed".
    pub summary: String,
}

fn line_json(s: &CommonsState, d: &Distribution, line: &Line) -> ClaimLineJson {
    let money = |minor: u64| MoneyJson::of(&d.currency, minor);
    let claim = s.economy.claims.claims.get(&line.claim);
    let kind = commons_core::value::claims::kind_of(&line.before);
    let (mut owed_before, mut owed_after) = (None, None);
    let (mut share, mut received_before, mut received_after) = (None, None, None);
    let paid = money(line.paid).display;
    let summary = match line.before {
        ClaimTerms::Debt { owed, .. } => {
            let after = owed - line.paid.min(owed);
            let whole = match claim.map(|c| &c.terms) {
                Some(ClaimTerms::Debt { owed: whole, .. }) => *whole,
                _ => owed,
            };
            owed_before = Some(money(owed));
            owed_after = Some(money(after));
            let still = if after == 0 {
                "nothing still owed".to_owned()
            } else {
                format!("{} still owed", money(after).display)
            };
            format!(
                "debt of {}: {paid} repaid here, {still}",
                money(whole).display
            )
        }
        ClaimTerms::Once { amount, .. } => {
            owed_before = Some(money(amount));
            owed_after = Some(money(0));
            let short = amount - line.paid.min(amount);
            if short == 0 {
                format!(
                    "one-time claim of {}: paid in full here",
                    money(amount).display
                )
            } else {
                format!(
                    "one-time claim of {}: {paid} paid here, {} not reached (a one-time claim is settled by one distribution)",
                    money(amount).display,
                    money(short).display
                )
            }
        }
        ClaimTerms::Equity {
            share_ppm,
            cap,
            received,
        } => {
            let after = received.saturating_add(line.paid);
            share = Some(share_ppm);
            received_before = Some(money(received));
            received_after = Some(money(after));
            let percent = format!("{}.{:04}%", share_ppm / 10_000, share_ppm % 10_000);
            let cap_text = match cap {
                Some(cap) => format!(" of a cap of {}", money(cap).display),
                None => String::new(),
            };
            format!(
                "equity share of {percent}: {paid} paid here, {} received in all{cap_text}",
                money(after).display
            )
        }
    };
    ClaimLineJson {
        claim: line.claim.to_hex(),
        holder: PersonJson::of(s, &line.holder),
        kind,
        paid: money(line.paid),
        owed_before,
        owed_after,
        share_ppm: share,
        received_before,
        received_after,
        settles: line.after.is_none(),
        summary,
    }
}

/// The lines of a distribution's `claims` bucket (`None` when it has none), optionally
/// only those of one holder.
pub fn claim_lines(
    s: &CommonsState,
    d: &Distribution,
    holder: Option<&commons_ledger::AuthorKey>,
) -> Option<Vec<ClaimLineJson>> {
    let seen = s.economy.claims.seen.get(&d.id)?;
    Some(
        seen.lines
            .iter()
            .filter(|l| holder.is_none_or(|h| l.holder == *h))
            .map(|l| line_json(s, d, l))
            .collect(),
    )
}
