//! The commons' for-benefit association in the browser: its statutes (and adopting the
//! first ones), members and applications, polls with their rules, live turnout, ballots
//! and results, delegation, and participatory budgeting.
//!
//! Like peer production ([`super::production`]), each page reads the durable state in one
//! [`commons_node::Node::inspect`] whose closure copies out one page of rows, and each
//! form becomes an ordinary event signed with the person's custodial key; the ledger's
//! refusal comes back with its stable code. Core decides everything: these pages put its
//! rules into words ([`words`]), preview what a poll would be opened with, and turn forms
//! into event bodies and back.

pub mod ballots;
pub mod budgets;
pub mod delegation;
pub mod members;
pub mod poll;
pub mod polls;
pub mod statutes;
pub mod words;

use crate::charts::{GroupedBarChart, SVG_CONTENT_TYPE, render_grouped};
use crate::ui::UiError;
use crate::ui::production::Scope;
use crate::{AppState, Route};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use commons_core::association::polls::identity;
use commons_core::association::{ChamberBasis, Electorate, MemberStatus, contributors};
use commons_core::state::State;
use commons_ledger::AuthorKey;
use minijinja::{Value, context};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Rows per page of the members, applications, polls and delegations listings.
pub const ROWS_PER_PAGE: usize = 50;
/// Deepest page a listing serves.
pub const PAGES_MAX: usize = 2_000;

/// The association's routes, under a commons.
pub fn endpoints() -> Vec<(Route, MethodRouter<AppState>)> {
    vec![
        (Route::get("/c/{id}/association"), get(statutes::statutes)),
        (
            Route::post("/c/{id}/association/adopt"),
            post(statutes::adopt),
        ),
        (Route::get("/c/{id}/members"), get(members::members)),
        (Route::post("/c/{id}/members/apply"), post(members::apply)),
        (Route::post("/c/{id}/members/leave"), post(members::leave)),
        (
            Route::post("/c/{id}/applications/{application}/decide"),
            post(members::decide),
        ),
        (
            Route::get("/c/{id}/polls"),
            get(polls::list_polls).post(polls::open_poll),
        ),
        (Route::get("/c/{id}/polls/new"), get(polls::new_poll_page)),
        (Route::post("/c/{id}/polls/preview"), post(polls::preview)),
        (Route::get("/c/{id}/polls/{poll}"), get(poll::poll)),
        (Route::post("/c/{id}/polls/{poll}/vote"), post(poll::vote)),
        (
            Route::post("/c/{id}/polls/{poll}/statement"),
            post(poll::statement),
        ),
        (
            Route::get("/c/{id}/polls/{poll}/rounds.svg"),
            get(poll::rounds_svg),
        ),
        (
            Route::get("/c/{id}/delegations"),
            get(delegation::delegations).post(delegation::set),
        ),
        (
            Route::post("/c/{id}/delegations/revoke"),
            post(delegation::revoke),
        ),
        (
            Route::get("/c/{id}/budgets"),
            get(budgets::list_rounds).post(budgets::open_round),
        ),
        (
            Route::get("/c/{id}/budgets/new"),
            get(budgets::new_round_page),
        ),
        (Route::get("/c/{id}/budgets/{round}"), get(budgets::round)),
        (
            Route::post("/c/{id}/budgets/{round}/propose"),
            post(budgets::propose),
        ),
        (
            Route::post("/c/{id}/budgets/{round}/vote"),
            post(budgets::vote),
        ),
        (
            Route::get("/c/{id}/budgets/{round}/result.svg"),
            get(budgets::result_svg),
        ),
        (
            Route::post("/c/{id}/budgets/{round}/projects/{project}/flag"),
            post(budgets::flag),
        ),
        (
            Route::post("/c/{id}/budgets/{round}/projects/{project}/review"),
            post(budgets::review),
        ),
        (
            Route::post("/c/{id}/budgets/{round}/projects/{project}/cancel"),
            post(budgets::cancel),
        ),
        (
            Route::get("/c/{id}/authorisations"),
            get(budgets::authorisations),
        ),
    ]
}

/// A submitted form as its name–value pairs, in order: the association's forms have
/// fields named after chambers, rules, options and ranks, and a form that failed is
/// shown again with what was typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// Every value of `name` (a group of checkboxes), trimmed, empty ones left out.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Whether the checkbox `name` was ticked.
    pub fn ticked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        self.0.retain(|(k, _)| *k != name);
        self.0.push((name, value.into()));
    }

    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// For templates: `one` maps each name to its first value, `all` to every value, and
    /// `pairs` lists them in order (to carry a previewed form in hidden fields).
    pub fn context(&self) -> Value {
        let mut one: BTreeMap<&str, &str> = BTreeMap::new();
        let mut all: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (k, v) in &self.0 {
            if k == "csrf" {
                continue;
            }
            one.entry(k).or_insert(v);
            all.entry(k).or_default().push(v);
        }
        let pairs: Vec<(&str, &str)> = self
            .0
            .iter()
            .filter(|(k, _)| k != "csrf")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        context! { one => one, all => all, pairs => pairs }
    }
}

/// Where the viewer stands in the association.
#[derive(Clone, Debug, Default)]
pub(crate) struct Standing {
    /// The viewer's stable identity (the first key of their agent).
    pub identity: Option<AuthorKey>,
    /// `active`, `suspended`, `left` or `expelled`; `None` for a non-member.
    pub status: Option<&'static str>,
    pub is_maintainer: bool,
    /// Whether an application of theirs is waiting.
    pub pending: bool,
}

impl Standing {
    pub fn read(state: &State, key: Option<AuthorKey>) -> Standing {
        let Some(key) = key else {
            return Standing::default();
        };
        let association = &state.association;
        let status = association
            .members
            .get(&key)
            .map(|m| status_word(&m.status));
        Standing {
            identity: Some(identity(state, &key)),
            status,
            is_maintainer: state.is_maintainer(&key),
            pending: association.pending_by_key.contains_key(&key),
        }
    }

    pub fn is_member(&self) -> bool {
        self.status == Some("active")
    }

    /// Whether core lets them open a poll: active members and commons maintainers.
    pub fn may_open_polls(&self) -> bool {
        self.is_member() || self.is_maintainer
    }

    pub fn context(&self) -> Value {
        context! {
            status => self.status,
            is_member => self.is_member(),
            is_maintainer => self.is_maintainer,
            pending => self.pending,
            may_open_polls => self.may_open_polls(),
        }
    }
}

pub(crate) fn status_word(status: &MemberStatus) -> &'static str {
    match status {
        MemberStatus::Active => "active",
        MemberStatus::Suspended { .. } => "suspended",
        MemberStatus::Left { .. } => "left",
        MemberStatus::Expelled { .. } => "expelled",
    }
}

/// The chambers members sit in, as core's `chambers_of` answers it, with the contributor
/// set read once for the whole page rather than once per member.
pub(crate) struct ChamberBook<'a> {
    state: &'a State,
    contributors: BTreeSet<AuthorKey>,
}

impl<'a> ChamberBook<'a> {
    pub fn new(state: &'a State) -> ChamberBook<'a> {
        let contributors = state
            .association
            .statutes
            .as_ref()
            .filter(|s| {
                s.chambers
                    .iter()
                    .any(|c| c.basis == ChamberBasis::Contributors)
            })
            .map(|s| contributors(state, s.contributor_window_months))
            .unwrap_or_default();
        ChamberBook {
            state,
            contributors,
        }
    }

    /// Whether `key`, an active member, sits in the chamber `slug`.
    pub fn sits_in(&self, key: &AuthorKey, slug: &str) -> bool {
        let association = &self.state.association;
        let (Some(statutes), Some(member)) = (&association.statutes, association.members.get(key))
        else {
            return false;
        };
        member.status == MemberStatus::Active
            && statutes.chamber(slug).is_some_and(|c| match c.basis {
                ChamberBasis::Declared => member.chambers.contains(slug),
                ChamberBasis::Contributors => self.contributors.contains(key),
            })
    }

    /// Active members in each chamber of the statutes, in their order.
    pub fn sizes(&self) -> Vec<usize> {
        let association = &self.state.association;
        let Some(statutes) = &association.statutes else {
            return Vec::new();
        };
        statutes
            .chambers
            .iter()
            .map(|c| {
                association
                    .members
                    .keys()
                    .filter(|k| self.sits_in(k, &c.slug))
                    .count()
            })
            .collect()
    }
}

/// The electorates a rule may name, as (value, label) for a select box.
pub(crate) fn electorate_choices(state: &State) -> Vec<(String, String)> {
    let statutes = state.association.statutes.as_ref();
    let mut out: Vec<Electorate> = vec![
        Electorate::Members,
        Electorate::Contributors,
        Electorate::Maintainers,
        Electorate::Registered,
    ];
    if let Some(s) = statutes {
        out.extend(
            s.chambers
                .iter()
                .map(|c| Electorate::Chamber(c.slug.clone())),
        );
    }
    out.extend(
        state
            .production
            .area_slugs
            .keys()
            .map(|slug| Electorate::AreaMaintainers(slug.clone())),
    );
    out.iter()
        .map(|e| (e.to_text(), words::electorate_words(e, statutes)))
        .collect()
}

/// A duration typed as a whole number in the field `amount` and a unit in the field
/// `unit` (`minutes`, `hours`, or `days` when it says nothing else), in milliseconds.
pub(crate) fn duration_of(f: &Fields, amount: &str, unit: &str) -> Option<u64> {
    const MINUTE_MS: u64 = 60_000;
    let unit_ms = match f.get(unit) {
        "minutes" => MINUTE_MS,
        "hours" => 60 * MINUTE_MS,
        _ => 24 * 60 * MINUTE_MS,
    };
    f.get(amount).parse::<u64>().ok()?.checked_mul(unit_ms)
}

/// The SVG of a chart that never changes once it can be drawn (a closed poll's, a closed
/// round's): drawn once from the durable state by `draw`, then served from the UI's
/// rendered fragments under `name` (with the commons' id). `None` from `draw` is a 404
/// saying `missing`.
pub(crate) async fn frozen_chart(
    state: &AppState,
    scope: &Scope,
    name: String,
    missing: &str,
    draw: impl FnOnce(&State) -> Option<GroupedBarChart> + Send + 'static,
) -> Result<Response, UiError> {
    let cache_key = format!("{name}:{}", scope.id().to_hex());
    let svg: Arc<str> = match state.ui.fragments.get(&cache_key) {
        Some(svg) => svg,
        None => {
            let chart = scope
                .inspect(state, draw)
                .await?
                .ok_or_else(|| UiError::NotFound(missing.to_owned()))?;
            let svg: Arc<str> = render_grouped(&chart)
                .map_err(|e| UiError::Fault(e.message()))?
                .into();
            state.ui.fragments.put(cache_key, svg.clone());
            svg
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, SVG_CONTENT_TYPE),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        svg.to_string(),
    )
        .into_response())
}

/// Percent of `part` in `whole`, rounded down, for bars and captions.
pub(crate) fn percent(part: u64, whole: u64) -> u64 {
    part.saturating_mul(100).checked_div(whole).unwrap_or(0)
}

/// The weight of ballots that reaches `quorum` of `electorate_weight`: ⌈quorum × weight⌉,
/// zero when there is no quorum.
pub(crate) fn quorum_weight(
    electorate_weight: u64,
    quorum: &commons_core::association::Ratio,
) -> u64 {
    electorate_weight
        .saturating_mul(quorum.num)
        .div_ceil(quorum.den.max(1))
}

/// The page number of a listing, bounded by [`PAGES_MAX`], and its first row.
pub(crate) fn page_of(page: Option<usize>) -> (usize, usize) {
    let page = page.unwrap_or(0).min(PAGES_MAX);
    (page, page * ROWS_PER_PAGE)
}

/// Previous and next page numbers for `total` rows at `page`.
pub(crate) fn pager(page: usize, total: usize) -> Value {
    context! {
        previous => page.checked_sub(1),
        next => ((page + 1) * ROWS_PER_PAGE < total && page < PAGES_MAX).then_some(page + 1),
    }
}
