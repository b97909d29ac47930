//! Value sharing in the browser: the treasury (balances, money in and out, income by
//! source kind over time, and the income form for treasurers), the value equation in words
//! with its history, distributions (the proposal form, each distribution's buckets, shares
//! and approvals with the treasurers' approve and execute buttons) and "why did I get
//! this", a person's earnings explained down to the contributions that earned them;
//! spending (expenses with their approval flow, bounties, awards) is in [`spending`], GIVE
//! circles (peer allocation) in [`circles`].
//!
//! Reads copy out the value API's own answers ([`crate::value`]), so a page and
//! `GET /api/v1/commons/{id}/…` never disagree. Forms become ordinary events signed with
//! the person's custodial key; core decides who may move money (`not_treasurer`) and its
//! refusal comes back as a flash with its code. Amounts are typed and shown in major units
//! by [`Currency`] and signed as exact minor units.

pub mod circles;
pub mod claims;
pub mod distributions;
pub mod equation_form;
pub mod simulation;
pub mod spending;

use super::association::{Fields, Standing, frozen_chart, page_of, pager};
use super::production::{Scope, act, refuse, unseen_notices};
use super::session::{CheckedForm, Viewer};
use super::{UiError, render, render_status};
use crate::AppState;
use crate::budget::Currency;
use crate::charts::{GroupedBarChart, SERIES_MAX};
use crate::value::{
    EquationsJson, IncomePage, JournalPage, SimulationJson, TreasuryJson, equations_json,
    income_page, journal_page, treasury_json,
};
use crate::{Route, ui::dates::civil_from_days};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use commons_core::value::equation::{Equation, Ratio};
use commons_core::value::money::IncomeKind;
use commons_core::value::{self as rules, CURRENCY_LEN_MAX, is_treasurer};
use commons_ledger::cbor::Value as Cbor;
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Incomes listed on the treasury page (the API pages through all of them).
pub const INCOMES_SHOWN_MAX: usize = 10;
/// Accounts listed on the treasury page.
pub const ACCOUNTS_SHOWN_MAX: usize = 100;
/// Months the income chart shows, the ledger's current one included.
pub const INCOME_CHART_MONTHS: usize = 12;
/// Currencies whose income chart the treasury page shows.
pub const CHARTED_CURRENCIES_MAX: usize = 4;

const _: () = assert!(IncomeKind::ALL.len() <= SERIES_MAX);

/// Value sharing's routes, under a commons.
pub fn endpoints() -> Vec<(Route, MethodRouter<AppState>)> {
    vec![
        (Route::get("/c/{id}/treasury"), get(treasury)),
        (Route::post("/c/{id}/treasury/income"), post(record_income)),
        (
            Route::get("/c/{id}/treasury/income.svg"),
            get(income_chart_svg),
        ),
        (
            Route::get("/c/{id}/equation"),
            get(equation).post(equation_form::submit),
        ),
        (
            Route::get("/c/{id}/distributions"),
            get(distributions::list).post(distributions::propose),
        ),
        (
            Route::get("/c/{id}/distributions/{dist}"),
            get(distributions::distribution),
        ),
        (
            Route::post("/c/{id}/distributions/{dist}/{action}"),
            post(distributions::decide),
        ),
        (
            Route::get("/c/{id}/circles"),
            get(circles::list).post(circles::open),
        ),
        (Route::get("/c/{id}/circles/{circle}"), get(circles::page)),
        (
            Route::post("/c/{id}/circles/{circle}/give"),
            post(circles::give),
        ),
        (
            Route::get("/c/{id}/agents/{key}/earnings"),
            get(distributions::earnings),
        ),
        (Route::get("/c/{id}/spending"), get(spending::spending)),
        (
            Route::get("/c/{id}/claims"),
            get(claims::claims_page).post(claims::propose),
        ),
        (
            Route::post("/c/{id}/claims/{claim}/{action}"),
            post(claims::act_on_claim),
        ),
        (Route::post("/c/{id}/expenses"), post(spending::file)),
        (
            Route::post("/c/{id}/spending/policy"),
            post(spending::set_policy),
        ),
        (
            Route::get("/c/{id}/expenses/{expense}"),
            get(spending::expense_page),
        ),
        (
            Route::post("/c/{id}/expenses/{expense}/{action}"),
            post(spending::act_on_expense),
        ),
        (
            Route::post("/c/{id}/tasks/{task}/fund"),
            post(spending::fund_bounty),
        ),
        (Route::post("/c/{id}/awards"), post(spending::open_award)),
        (
            Route::get("/c/{id}/awards/{award}"),
            get(spending::award_page),
        ),
        (
            Route::post("/c/{id}/awards/{award}/{action}"),
            post(spending::act_on_award),
        ),
    ]
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    page: Option<usize>,
}

/// Whether the viewer is one of the statutes' treasurers, and whether statutes exist.
pub(crate) fn standing(s: &commons_core::State, key: Option<commons_ledger::AuthorKey>) -> Value {
    context! {
        has_statutes => s.association.statutes.is_some(),
        treasurer => key.is_some_and(|k| is_treasurer(s, &k)),
    }
}

/// A currency code typed in a form, upper-cased; `None` when it is not one.
pub(crate) fn currency_of(text: &str) -> Option<Currency> {
    let code = text.trim().to_ascii_uppercase();
    let valid = !code.is_empty()
        && code.len() <= CURRENCY_LEN_MAX
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    valid.then(|| Currency::of(&code))
}

// ---------------------------------------------------------------------------------------
// The treasury

/// `GET /c/{id}/treasury`: balances, income by kind and over time, money in and out.
pub async fn treasury(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = page_of(query.page);
    let read: (TreasuryJson, IncomePage, JournalPage, Value, u64) = scope
        .inspect(&state, move |s| {
            (
                treasury_json(s, None, 0, ACCOUNTS_SHOWN_MAX),
                income_page(s, None, None, true, 0, INCOMES_SHOWN_MAX),
                journal_page(
                    s,
                    None,
                    None,
                    None,
                    true,
                    offset,
                    super::association::ROWS_PER_PAGE,
                ),
                standing(s, key),
                unseen_notices(s, key, seen),
            )
        })
        .await?;
    let (books, incomes, journal, standing, n_unseen) = read;
    let charted: Vec<&str> = books
        .currencies
        .iter()
        .take(CHARTED_CURRENCIES_MAX)
        .map(|c| c.currency.as_str())
        .collect();
    let page_ctx = context! {
        title => "Treasury",
        books => books,
        charted => charted,
        incomes => incomes,
        journal => journal,
        pager => pager(page, usize::try_from(journal.matching).unwrap_or(usize::MAX)),
        kinds => IncomeKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        standing => standing,
        tab => "treasury",
        ..scope.frame("value", n_unseen)
    };
    Ok(render(&state, viewer, "treasury.html", page_ctx))
}

/// Reads a form's `currency` and `amount` fields: the currency and an amount of more
/// than zero in its minor units.
pub(crate) fn money_of(f: &Fields) -> Result<(Currency, u64), String> {
    let currency = currency_of(f.get("currency")).ok_or(format!(
        "The currency is a code of up to {CURRENCY_LEN_MAX} letters or digits, such as EUR."
    ))?;
    let amount = currency
        .parse(f.get("amount"))
        .map_err(|e| format!("The amount: {e}."))?;
    if amount == 0 {
        return Err("The amount is more than zero.".to_owned());
    }
    Ok((currency, amount))
}

/// The body fields of the form's optional text fields `names` that were filled in.
pub(crate) fn optional_texts<'f>(
    f: &'f Fields,
    names: &'f [&'static str],
) -> impl Iterator<Item = (&'static str, Cbor)> + 'f {
    names
        .iter()
        .filter(|name| !f.get(name).is_empty())
        .map(|name| (*name, Cbor::text(f.get(name))))
}

/// Reads the income form into a `money.income` body.
fn income_body(f: &Fields) -> Result<Cbor, String> {
    let kind = IncomeKind::parse(f.get("kind")).ok_or("Choose the kind of income.")?;
    let (currency, amount) = money_of(f)?;
    let (source, reference) = (f.get("source"), f.get("reference"));
    if source.is_empty() || reference.is_empty() {
        return Err(
            "Say who paid and give the reference that proves it (a transfer, an invoice number)."
                .to_owned(),
        );
    }
    let mut fields = vec![
        ("kind", Cbor::text(kind.as_str())),
        ("amount", Cbor::Unsigned(amount)),
        ("currency", Cbor::text(currency.code)),
        ("source", Cbor::text(source)),
        ("reference", Cbor::text(reference)),
    ];
    fields.extend(optional_texts(f, &["note"]));
    Ok(Cbor::text_map(fields))
}

/// `POST /c/{id}/treasury/income`: a treasurer records money that arrived.
pub async fn record_income(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path("/treasury");
    let body = income_body(&fields);
    sign_form(
        &state,
        viewer,
        &scope,
        (rules::INCOME, body),
        &back,
        "The income is recorded in the books.",
    )
    .await
}

/// Signs the event of `kind` a form read into `body` and goes back to `back` saying so;
/// a form that did not read signs nothing and goes back saying what is wrong.
pub(crate) async fn sign_form(
    state: &AppState,
    viewer: Viewer,
    scope: &Scope,
    (kind, body): (&str, Result<Cbor, String>),
    back: &str,
    done: &str,
) -> Result<Response, UiError> {
    match body {
        Ok(body) => act(state, viewer, scope, kind, body, back, done).await,
        Err(problem) => refuse(state, viewer, back, problem),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChartQuery {
    currency: Option<String>,
}

/// `YYYY-MM` of a ledger time (UTC).
fn month_of(ms: u64) -> (i64, u32) {
    let (year, month, _) = civil_from_days(i64::try_from(ms / 86_400_000).unwrap_or(i64::MAX));
    (year, month)
}

/// Income in `currency` by source kind over the [`INCOME_CHART_MONTHS`] months up to the
/// ledger's time, reversed incomes left out.
fn income_chart(s: &commons_core::State, currency: &Currency) -> GroupedBarChart {
    let (mut year, mut month) = month_of(s.time_ms);
    let mut months = Vec::with_capacity(INCOME_CHART_MONTHS);
    for _ in 0..INCOME_CHART_MONTHS {
        months.push((year, month));
        (year, month) = if month == 1 {
            (year - 1, 12)
        } else {
            (year, month - 1)
        };
    }
    months.reverse();
    let economy = &s.economy;
    let mut series: Vec<(String, Vec<u64>)> = IncomeKind::ALL
        .iter()
        .map(|k| (k.as_str().replace('_', " "), vec![0; months.len()]))
        .collect();
    let mut total = 0u64;
    for income in economy.incomes.values() {
        if income.currency != currency.code || economy.books.reversed.contains_key(&income.id) {
            continue;
        }
        let Some(i) = months.iter().position(|m| *m == month_of(income.time_ms)) else {
            continue;
        };
        let Some(k) = IncomeKind::ALL.iter().position(|k| *k == income.kind) else {
            continue;
        };
        series[k].1[i] = series[k].1[i].saturating_add(income.amount);
        total = total.saturating_add(income.amount);
    }
    series.retain(|(_, values)| values.iter().any(|v| *v > 0));
    GroupedBarChart {
        title: format!("Income by source, {}", currency.code),
        y_desc: currency.code.clone(),
        x_desc: "month (UTC)".to_owned(),
        groups: months.iter().map(|(y, m)| format!("{y}-{m:02}")).collect(),
        series,
        decimals: currency.decimals,
        empty_caption: "No income in these months".to_owned(),
        summary: format!(
            "Income in {} over the last {INCOME_CHART_MONTHS} months by kind of source: {} in all.",
            currency.code,
            currency.format(total)
        ),
    }
}

/// `GET /c/{id}/treasury/income.svg?currency=EUR&at=<size>`: the chart, drawn once per
/// ledger size (the page adds the size as `at`, which the query ignores, so that a grown
/// ledger's chart has a new address).
pub async fn income_chart_svg(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ChartQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let currency = currency_of(query.currency.as_deref().unwrap_or("EUR"))
        .ok_or_else(|| UiError::BadRequest("The currency is a code such as EUR.".into()))?;
    let name = format!("income-chart:{}:{}", scope.view.size, currency.code);
    frozen_chart(&state, &scope, name, "", move |s| {
        Some(income_chart(s, &currency))
    })
    .await
}

// ---------------------------------------------------------------------------------------
// The value equation

/// A weight for people: `1`, `3/2 (1.5)`, `1/3 (≈ 0.333)`.
fn ratio_words(r: &Ratio) -> String {
    if r.den == 1 {
        return r.num.to_string();
    }
    let thousandths = u128::from(r.num) * 1_000 / u128::from(r.den.max(1));
    let exact = (u128::from(r.num) * 1_000) % u128::from(r.den.max(1)) == 0;
    let decimal = format!("{}.{:03}", thousandths / 1_000, thousandths % 1_000);
    let decimal = decimal.trim_end_matches('0').trim_end_matches('.');
    format!(
        "{}/{} ({}{decimal})",
        r.num,
        r.den,
        if exact { "" } else { "≈ " }
    )
}

/// A share for people: `20%`, `≈ 33.33%`.
fn percent_words(r: &Ratio) -> String {
    let hundredths = u128::from(r.num) * 10_000 / u128::from(r.den.max(1));
    let exact = (u128::from(r.num) * 10_000) % u128::from(r.den.max(1)) == 0;
    let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{}{text}%", if exact { "" } else { "≈ " })
}

/// An equation's parts in words, for the equation page.
fn equation_words(eq: &Equation) -> Value {
    let weights = |m: &std::collections::BTreeMap<String, Ratio>| {
        m.iter()
            .map(|(k, r)| context! { name => k, weight => ratio_words(r) })
            .collect::<Vec<_>>()
    };
    let upstream_total = eq.upstream.iter().fold(0u128, |t, (_, r)| {
        t + u128::from(r.num) * 1_000_000 / u128::from(r.den.max(1))
    });
    context! {
        base => ratio_words(&eq.base),
        effort_per_hour => ratio_words(&eq.effort_per_hour),
        counts_effort => eq.effort_per_hour.num > 0,
        kinds => weights(&eq.kinds),
        areas => weights(&eq.areas),
        labels => weights(&eq.labels),
        chore_multiplier => ratio_words(&eq.chore_multiplier),
        reviewer_share => percent_words(&eq.reviewer_share),
        reviewers_share => eq.reviewer_share.num > 0,
        upstream => eq.upstream.iter().map(|(name, share)| context! { name => name, share => percent_words(share) }).collect::<Vec<_>>(),
        upstream_share_ppm => upstream_total,
        graph => eq.graph.map(|g| context! {
            damping => ratio_words(&g.damping),
            back_flow => ratio_words(&g.back_flow),
            builds_on => percent_words(&g.builds_on),
        }),
    }
}

/// What the equation page's form shows: the equation in force to start from, or what
/// the person typed with what is wrong with it or the effect it would have.
pub(crate) enum EquationForm {
    Fresh,
    Filled {
        fields: Fields,
        problem: Option<String>,
        /// The typed equation and its simulation, when "Preview the effect" was pressed.
        preview: Option<Box<(Equation, SimulationJson)>>,
    },
}

/// `GET /c/{id}/equation`: the equation in force, in words, every adopted one, and the
/// form that sets the first or proposes a change.
pub async fn equation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    equation_page(&state, viewer, &scope, EquationForm::Fresh).await
}

/// Renders the equation page with its form as `form` says.
pub(crate) async fn equation_page(
    state: &AppState,
    viewer: Viewer,
    scope: &Scope,
    form: EquationForm,
) -> Result<Response, UiError> {
    let (key, seen) = (scope.key, scope.seen);
    let now_ms = state.node.now_ms();
    let read = scope
        .inspect(state, move |s| {
            let in_force = s.economy.equation_at(s.time_ms);
            let history: Vec<Value> = s
                .economy
                .equations
                .iter()
                .map(|a| equation_words(&a.equation))
                .collect();
            let first = s.economy.equations.is_empty();
            let may = context! {
                first => first,
                set_first => first && key.is_some_and(|k| is_treasurer(s, &k) || s.is_maintainer(&k)),
                propose => !first
                    && s.association.statutes.is_some()
                    && Standing::read(s, key).may_open_polls(),
            };
            (
                equations_json(s),
                equation_words(&in_force),
                history,
                standing(s, key),
                may,
                equation_form::prefill(&in_force, now_ms),
                unseen_notices(s, key, seen),
            )
        })
        .await?;
    let (json, in_force, history, standing, may, prefilled, n_unseen): (
        EquationsJson,
        Value,
        Vec<Value>,
        Value,
        Value,
        BTreeMap<String, String>,
        u64,
    ) = read;
    let (form, problem, preview) = match form {
        EquationForm::Fresh => (prefilled, None, None),
        EquationForm::Filled {
            fields,
            problem,
            preview,
        } => (equation_form::as_typed(&fields), problem, preview),
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let preview = preview.map(|typed| {
        let (eq, sim) = *typed;
        context! {
            words => equation_words(&eq),
            table => simulation::simulation_table(&sim),
        }
    });
    let page = context! {
        title => "Value equation",
        json => json,
        in_force => in_force,
        history => history,
        standing => standing,
        may => may,
        form => form,
        kinds => equation_form::KIND_FIELDS,
        error => problem,
        preview => preview,
        poll_days_max => equation_form::POLL_DAYS_MAX,
        tab => "equation",
        ..scope.frame("value", n_unseen)
    };
    Ok(render_status(state, viewer, status, "equation.html", page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_shares_read_exactly_or_say_they_are_rounded() {
        let r = |num, den| Ratio { num, den };
        assert_eq!(ratio_words(&r(2, 1)), "2");
        assert_eq!(ratio_words(&r(3, 2)), "3/2 (1.5)");
        assert_eq!(ratio_words(&r(1, 3)), "1/3 (≈ 0.333)");
        assert_eq!(percent_words(&r(1, 5)), "20%");
        assert_eq!(percent_words(&r(1, 3)), "≈ 33.33%");
        assert_eq!(percent_words(&r(0, 1)), "0%");
    }
}
