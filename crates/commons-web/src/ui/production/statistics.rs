//! The statistics of a commons' peer production (holoptism): contributors per month,
//! time to decision, review load, who pays for accepted work and who does the chores,
//! as tables and as SVG charts drawn like the activity charts ([`crate::charts`]).
//!
//! A chart depends on the ledger alone, so each is drawn once per (commons, ledger size,
//! chart) and kept in [`StatisticsCharts`], bounded like the UI's fragments.

use super::{Names, Scope, people, unseen_notices};
use crate::AppState;
use crate::charts::{BarChart, CATEGORIES_MAX, SVG_CONTENT_TYPE, render as draw};
use crate::ui::session::Viewer;
use crate::ui::{UiError, render};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use commons_core::production::views::{self, Statistics};
use commons_ledger::{AuthorKey, CommonsId};
use minijinja::context;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Most charts kept (four per commons).
pub const STATISTICS_CHARTS_MAX: usize = 256;

/// The charts of the statistics page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatisticsChart {
    ContributorsPerMonth,
    TimeToDecision,
    ReviewLoad,
    PaidShare,
    Chores,
}

impl StatisticsChart {
    pub fn parse(file: &str) -> Option<StatisticsChart> {
        Some(match file {
            "contributors-per-month.svg" => StatisticsChart::ContributorsPerMonth,
            "time-to-decision.svg" => StatisticsChart::TimeToDecision,
            "review-load.svg" => StatisticsChart::ReviewLoad,
            "paid-share.svg" => StatisticsChart::PaidShare,
            "chores.svg" => StatisticsChart::Chores,
            _ => return None,
        })
    }
}

/// A drawn chart and the ledger size it was drawn at.
type SizedChart = (u64, Arc<str>);

/// Drawn charts by (commons, chart).
#[derive(Debug, Default)]
pub struct StatisticsCharts {
    charts: Mutex<HashMap<(CommonsId, StatisticsChart), SizedChart>>,
}

impl StatisticsCharts {
    fn get(&self, key: &(CommonsId, StatisticsChart), size: u64) -> Option<Arc<str>> {
        let charts = self.charts.lock().unwrap_or_else(PoisonError::into_inner);
        charts
            .get(key)
            .filter(|(at, _)| *at == size)
            .map(|(_, svg)| svg.clone())
    }

    fn put(&self, key: (CommonsId, StatisticsChart), size: u64, svg: Arc<str>) {
        let mut charts = self.charts.lock().unwrap_or_else(PoisonError::into_inner);
        if charts.len() >= STATISTICS_CHARTS_MAX && !charts.contains_key(&key) {
            // Charts of a smaller ledger size go first; any will do once all are current.
            if let Some(oldest) = charts
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| *k)
            {
                charts.remove(&oldest);
            }
        }
        charts.insert(key, (size, svg));
    }
}

/// The bounds of the time-to-decision buckets, in ms, and their names.
pub const DECISION_BUCKETS: [(u64, &str); 5] = [
    (3_600_000, "< 1 hour"),
    (86_400_000, "< 1 day"),
    (7 * 86_400_000, "< 1 week"),
    (30 * 86_400_000, "< 30 days"),
    (u64::MAX, "longer"),
];

/// Decisions (acceptances and rejections) by time from submission, in
/// [`DECISION_BUCKETS`].
fn decisions_by_time(state: &commons_core::state::State) -> [u64; 5] {
    let mut counts = [0u64; 5];
    for (ms, n) in &state.production.tallies.decision_ms {
        if let Some(i) = DECISION_BUCKETS.iter().position(|(bound, _)| ms < bound) {
            counts[i] = counts[i].saturating_add(*n);
        } else {
            counts[4] = counts[4].saturating_add(*n);
        }
    }
    counts
}

/// What the statistics page and its charts show.
struct Figures {
    stats: Statistics,
    decisions_by_time: [u64; 5],
}

/// The figures, the ledger size they were computed at and the viewer's unseen notices.
async fn read(state: &AppState, scope: &Scope) -> Result<(Figures, u64, u64), UiError> {
    let (key, seen) = (scope.key, scope.seen);
    scope
        .inspect(state, move |s| {
            let figures = Figures {
                stats: views::statistics(s),
                decisions_by_time: decisions_by_time(s),
            };
            (figures, s.size, unseen_notices(s, key, seen))
        })
        .await
}

fn keys(stats: &Statistics) -> impl Iterator<Item = AuthorKey> + '_ {
    stats
        .review_load
        .iter()
        .map(|r| r.0)
        .chain(stats.accepted_by_sponsor.iter().filter_map(|r| r.0))
        .chain(stats.chores_by_author.iter().map(|r| r.0))
}

/// Milliseconds as days, hours or minutes, whichever reads best.
fn span(ms: u64) -> String {
    if ms >= 2 * 86_400_000 {
        format!("{} days", ms / 86_400_000)
    } else if ms >= 2 * 3_600_000 {
        format!("{} hours", ms / 3_600_000)
    } else {
        format!("{} minutes", ms / 60_000)
    }
}

/// Percent of `part` in `whole`, rounded down, as an integer.
fn percent(part: u64, whole: u64) -> u64 {
    part.saturating_mul(100).checked_div(whole).unwrap_or(0)
}

/// `GET /c/{id}/statistics`
pub async fn statistics(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (figures, _, n_unseen) = read(&state, &scope).await?;
    let stats = &figures.stats;
    let names = people(&state, &scope.id(), keys(stats).collect::<Vec<_>>()).await?;
    let volunteer = stats
        .accepted_by_sponsor
        .iter()
        .find(|(k, _)| k.is_none())
        .map_or(0, |(_, n)| *n);
    let page = context! {
        title => "Statistics",
        months => stats.contributors_by_month.iter().rev().map(|(m, n)| context! { month => m, n => n }).collect::<Vec<_>>(),
        median => stats.median_decision_ms.map(span),
        decisions_by_time => DECISION_BUCKETS.iter().zip(figures.decisions_by_time).map(|((_, name), n)| context! { within => name, n => n }).collect::<Vec<_>>(),
        decisions => stats.decisions,
        review_load => stats.review_load.iter().map(|(k, as_maintainer, all)| context! {
            person => names.person(k), as_maintainer => as_maintainer, all => all,
        }).collect::<Vec<_>>(),
        sponsors => stats.accepted_by_sponsor.iter().map(|(k, n)| context! {
            sponsor => k.map(|k| names.person(&k)), n => n, percent => percent(*n, stats.accepted),
        }).collect::<Vec<_>>(),
        accepted => stats.accepted,
        volunteer_percent => percent(volunteer, stats.accepted),
        paid_percent => percent(stats.accepted - volunteer, stats.accepted),
        chores => stats.chores_by_author.iter().map(|(k, n)| context! {
            person => names.person(k), n => n,
        }).collect::<Vec<_>>(),
        chores_done => stats.chores_done,
        ..scope.frame("statistics", n_unseen)
    };
    Ok(render(&state, viewer, "statistics.html", page))
}

/// The bars of one chart, with its words.
fn chart(which: StatisticsChart, figures: &Figures, names: &Names) -> BarChart {
    let stats = &figures.stats;
    let top = |rows: Vec<(String, u64)>| -> (Vec<String>, Vec<u64>) {
        rows.into_iter().take(CATEGORIES_MAX).unzip()
    };
    let (title, y_desc, x_desc, (labels, counts), empty, summary) = match which {
        StatisticsChart::ContributorsPerMonth => {
            let rows = &stats.contributors_by_month;
            let shown = rows.len().saturating_sub(CATEGORIES_MAX);
            let busiest = rows.iter().max_by_key(|(_, n)| *n);
            (
                "Contributors per month",
                "people with accepted work",
                "month (UTC)",
                rows.iter().skip(shown).cloned().unzip(),
                "No accepted work yet",
                match busiest {
                    Some((m, n)) => format!(
                        "People with work accepted each month over the last {} months; the most was {n}, in {m}.",
                        rows.len() - shown
                    ),
                    None => "No contribution has been accepted yet.".to_owned(),
                },
            )
        }
        StatisticsChart::TimeToDecision => (
            "Time from submission to decision",
            "decisions",
            "decided within",
            if stats.decisions == 0 {
                (Vec::new(), Vec::new())
            } else {
                DECISION_BUCKETS
                    .iter()
                    .zip(figures.decisions_by_time)
                    .map(|((_, name), n)| ((*name).to_owned(), n))
                    .unzip()
            },
            "No decisions yet",
            match stats.median_decision_ms {
                Some(ms) => format!(
                    "{} {} by how long they took; the median took {}.",
                    stats.decisions,
                    if stats.decisions == 1 {
                        "decision"
                    } else {
                        "decisions"
                    },
                    span(ms)
                ),
                None => "No contribution has been decided yet.".to_owned(),
            },
        ),
        StatisticsChart::ReviewLoad => (
            "Review load per maintainer",
            "reviews as area maintainer",
            "maintainer",
            top(stats
                .review_load
                .iter()
                .map(|(k, n, _)| (names.label(k), *n))
                .collect()),
            "No maintainers yet",
            format!(
                "Reviews each of the {} area maintainers gave as a maintainer, busiest first.",
                stats.review_load.len()
            ),
        ),
        StatisticsChart::PaidShare => (
            "Accepted work by who paid for it",
            "accepted contributions",
            "paid by",
            top(stats
                .accepted_by_sponsor
                .iter()
                .map(|(k, n)| {
                    (
                        k.map_or_else(|| "volunteer".to_owned(), |k| names.label(&k)),
                        *n,
                    )
                })
                .collect()),
            "No accepted work yet",
            format!(
                "{} accepted contributions by sponsoring organisation, volunteer work as its own bar.",
                stats.accepted
            ),
        ),
        StatisticsChart::Chores => (
            "Chores done, by person",
            "chores done",
            "person",
            top(stats
                .chores_by_author
                .iter()
                .map(|(k, n)| (names.label(k), *n))
                .collect()),
            "No chores done yet",
            format!(
                "{} chore tasks resolved by accepted work, by the people who did them.",
                stats.chores_done
            ),
        ),
    };
    // An empty chart still has one (unnamed) slot, so its axis is not dated.
    let (labels, counts) = if counts.is_empty() {
        (vec![String::new()], vec![0])
    } else {
        (labels, counts)
    };
    BarChart {
        title: title.to_owned(),
        y_desc: y_desc.to_owned(),
        x_desc: x_desc.to_owned(),
        first: 0,
        bucket_ms: 1,
        counts,
        labels,
        empty_caption: empty.to_owned(),
        summary,
    }
}

/// `GET /c/{id}/statistics/{chart}.svg`
pub async fn chart_svg(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let which = StatisticsChart::parse(&file)
        .ok_or_else(|| UiError::NotFound("There is no such chart.".into()))?;
    let scope = Scope::of(&state, &id, &viewer).await?;
    let size = scope.view.size;
    let key = (scope.id(), which);
    let svg = match state.ui.statistics_charts.get(&key, size) {
        Some(svg) => svg,
        None => {
            let (figures, size, _) = read(&state, &scope).await?;
            let names = people(
                &state,
                &scope.id(),
                keys(&figures.stats).collect::<Vec<_>>(),
            )
            .await?;
            let svg: Arc<str> = draw(&chart(which, &figures, &names))
                .map_err(|e| UiError::Fault(e.message()))?
                .into();
            state.ui.statistics_charts.put(key, size, svg.clone());
            svg
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, SVG_CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        svg.to_string(),
    )
        .into_response())
}
