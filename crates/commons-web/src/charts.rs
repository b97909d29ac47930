//! Activity charts drawn on the server as SVG with `plotters`: events per day over the
//! last 90 days and distinct authors per week over the last 26 weeks, counted by the
//! store ([`ActivityStore`]) from each event's header time.
//!
//! The counts stay integers from the database to the bar heights; plotters only turns
//! them into pixel positions. Each chart is a self-contained SVG document with a
//! `viewBox`, `role="img"`, an `aria-label`, a `<title>` and a `<desc>` summing it up in
//! words, so it reads the same to a screen reader as it looks. A window without
//! activity is drawn as an empty chart that says so. The activity charts show no text
//! from the ledger; the peer-production charts (`ui::production::statistics`) name their
//! bars with published names, escaped like every text.
//!
//! Routed with the web UI's pages (under the per-client rate limit) at
//! `/c/{id}/charts/events-per-day.svg` and `/c/{id}/charts/authors-per-week.svg`. A chart
//! counts a whole window of the ledger (a fraction of a second for a million events), so
//! the router keeps each rendered chart for [`CHART_MAX_AGE_S`] seconds ([`ChartCache`])
//! and renders one chart at a time: however often a chart is asked for, the store counts
//! it at most once a minute per commons, and the answer is at most as old as the
//! `Cache-Control` header already allows browsers to keep it.

use crate::api::commons_view;
use crate::extract::ApiPath;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use commons_ledger::CommonsId;
use commons_node::Node;
use commons_store::{ActivityStore, DAY_MS, WEEK_MS};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Days the events-per-day chart shows, today included.
pub const EVENTS_PER_DAY_DAYS: u64 = 90;
/// Weeks the authors-per-week chart shows, the current one included.
pub const AUTHORS_PER_WEEK_WEEKS: u64 = 26;
/// Seconds a browser or proxy may reuse a chart.
pub const CHART_MAX_AGE_S: u64 = 60;
pub const SVG_CONTENT_TYPE: &str = "image/svg+xml";

/// Size of the drawing in SVG user units; the `viewBox` lets it scale to its container.
const WIDTH: u32 = 720;
const HEIGHT: u32 = 320;
/// The house colours: teal bars, slate text, a light slate grid.
const BAR: RGBColor = RGBColor(0x0f, 0x76, 0x6e);
const INK: RGBColor = RGBColor(0x33, 0x41, 0x55);
const GRID: RGBColor = RGBColor(0xe2, 0xe8, 0xf0);
const FONT: &str = "sans-serif";
/// Most date labels under a chart: wider ones would overlap.
const X_LABELS_MAX: usize = 7;
/// Most value labels beside a chart.
const Y_LABELS_MAX: usize = 6;

/// One bar chart, already counted: `counts[i]` is the height of bucket `first + i`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarChart {
    /// The heading drawn above the chart, also its accessible name.
    pub title: String,
    /// What the bars count, for the y axis ("events").
    pub y_desc: String,
    /// What the buckets are, for the x axis ("day (UTC)").
    pub x_desc: String,
    /// The first bucket's number (a day or week number since the epoch).
    pub first: u64,
    /// Milliseconds per bucket, to date each one.
    pub bucket_ms: u64,
    pub counts: Vec<u64>,
    /// Names of the bars, for a chart of categories (people, months); when empty the
    /// bars are dated from `first` and `bucket_ms`.
    pub labels: Vec<String>,
    /// Drawn across an empty chart.
    pub empty_caption: String,
    /// The sentence of `<desc>`, summing the chart up for those who cannot see it.
    pub summary: String,
}

/// Events per day of `commons` over the [`EVENTS_PER_DAY_DAYS`] days up to and including
/// the day of `now_ms` (UTC), as an SVG document.
pub async fn events_per_day_svg(
    node: &Node,
    commons: &CommonsId,
    now_ms: u64,
) -> Result<String, ApiError> {
    let (first, to_ms) = window(now_ms, DAY_MS, EVENTS_PER_DAY_DAYS);
    let counted = node
        .store()
        .events_per_day(commons, first * DAY_MS, to_ms)
        .await?;
    let counts = dense(first, EVENTS_PER_DAY_DAYS, &counted);
    let total: u64 = counts.iter().sum();
    let summary = match busiest(first, &counts) {
        None => format!(
            "No events in the {EVENTS_PER_DAY_DAYS} days from {} to {} (UTC).",
            date(first * DAY_MS),
            date((first + EVENTS_PER_DAY_DAYS - 1) * DAY_MS)
        ),
        Some((day, n)) => format!(
            "{total} {} in the {EVENTS_PER_DAY_DAYS} days from {} to {} (UTC); the busiest day was {} with {n}.",
            plural(total, "event", "events"),
            date(first * DAY_MS),
            date((first + EVENTS_PER_DAY_DAYS - 1) * DAY_MS),
            date(day * DAY_MS),
        ),
    };
    render(&BarChart {
        title: format!("Events per day, last {EVENTS_PER_DAY_DAYS} days"),
        y_desc: "events".to_owned(),
        x_desc: "day (UTC)".to_owned(),
        first,
        bucket_ms: DAY_MS,
        counts,
        labels: Vec::new(),
        empty_caption: "No events in this period".to_owned(),
        summary,
    })
}

/// Distinct authors per week of `commons` over the [`AUTHORS_PER_WEEK_WEEKS`] weeks up to
/// and including the week of `now_ms`, as an SVG document. Weeks are the store's: seven
/// UTC days counted from the epoch, so each starts on a Thursday and is labelled with
/// that date.
pub async fn authors_per_week_svg(
    node: &Node,
    commons: &CommonsId,
    now_ms: u64,
) -> Result<String, ApiError> {
    let (first, to_ms) = window(now_ms, WEEK_MS, AUTHORS_PER_WEEK_WEEKS);
    let counted = node
        .store()
        .authors_per_week(commons, first * WEEK_MS, to_ms)
        .await?;
    let counts = dense(first, AUTHORS_PER_WEEK_WEEKS, &counted);
    let summary = match busiest(first, &counts) {
        None => format!(
            "No authors in the {AUTHORS_PER_WEEK_WEEKS} weeks from {} (UTC).",
            date(first * WEEK_MS)
        ),
        Some((week, n)) => format!(
            "Distinct authors per week in the {AUTHORS_PER_WEEK_WEEKS} weeks from {} (UTC); the most in one week was {n}, in the week of {}.",
            date(first * WEEK_MS),
            date(week * WEEK_MS),
        ),
    };
    render(&BarChart {
        title: format!("Authors per week, last {AUTHORS_PER_WEEK_WEEKS} weeks"),
        y_desc: "distinct authors".to_owned(),
        x_desc: "week starting (UTC)".to_owned(),
        first,
        bucket_ms: WEEK_MS,
        counts,
        labels: Vec::new(),
        empty_caption: "No events in this period".to_owned(),
        summary,
    })
}

/// Which chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChartKind {
    EventsPerDay,
    AuthorsPerWeek,
}

impl ChartKind {
    /// The bucket holding `now_ms`: a cached chart drawn in an earlier one is stale.
    fn bucket(self, now_ms: u64) -> u64 {
        match self {
            ChartKind::EventsPerDay => now_ms / DAY_MS,
            ChartKind::AuthorsPerWeek => now_ms / WEEK_MS,
        }
    }
}

/// Charts rendered in the last [`CHART_MAX_AGE_S`] seconds, one per commons and kind
/// (so at most two per hosted commons), and a lock that lets one render run at a time.
#[derive(Debug, Default)]
pub struct ChartCache {
    charts: Mutex<HashMap<(CommonsId, ChartKind), CachedChart>>,
    rendering: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct CachedChart {
    drawn: Instant,
    bucket: u64,
    svg: Arc<str>,
}

impl ChartCache {
    fn fresh(&self, key: &(CommonsId, ChartKind), bucket: u64) -> Option<Arc<str>> {
        let charts = self.charts.lock().unwrap_or_else(PoisonError::into_inner);
        charts
            .get(key)
            .filter(|cached| {
                cached.bucket == bucket
                    && cached.drawn.elapsed() < Duration::from_secs(CHART_MAX_AGE_S)
            })
            .map(|cached| cached.svg.clone())
    }

    /// The chart of `kind` for `commons` at `now_ms`: the cached one while it is fresh,
    /// otherwise drawn now (after any render already running) and kept.
    pub async fn chart(
        &self,
        node: &Node,
        commons: &CommonsId,
        kind: ChartKind,
        now_ms: u64,
    ) -> Result<Arc<str>, ApiError> {
        let key = (*commons, kind);
        let bucket = kind.bucket(now_ms);
        if let Some(svg) = self.fresh(&key, bucket) {
            return Ok(svg);
        }
        let _rendering = self.rendering.lock().await;
        // Whoever held the lock may have drawn this very chart.
        if let Some(svg) = self.fresh(&key, bucket) {
            return Ok(svg);
        }
        let svg: Arc<str> = match kind {
            ChartKind::EventsPerDay => events_per_day_svg(node, commons, now_ms).await?,
            ChartKind::AuthorsPerWeek => authors_per_week_svg(node, commons, now_ms).await?,
        }
        .into();
        self.charts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                key,
                CachedChart {
                    drawn: Instant::now(),
                    bucket,
                    svg: svg.clone(),
                },
            );
        Ok(svg)
    }
}

/// `GET /c/{id}/charts/events-per-day.svg`
pub async fn events_per_day(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    chart_response(&state, &id, ChartKind::EventsPerDay).await
}

/// `GET /c/{id}/charts/authors-per-week.svg`
pub async fn authors_per_week(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    chart_response(&state, &id, ChartKind::AuthorsPerWeek).await
}

async fn chart_response(state: &AppState, id: &str, kind: ChartKind) -> Result<Response, ApiError> {
    let view = commons_view(state, id)?;
    let svg = state
        .charts
        .chart(&state.node, &view.id, kind, state.node.now_ms())
        .await?;
    Ok(svg_response(svg))
}

fn svg_response(svg: Arc<str>) -> Response {
    (
        [
            (header::CONTENT_TYPE, SVG_CONTENT_TYPE.to_owned()),
            (header::CACHE_CONTROL, format!("max-age={CHART_MAX_AGE_S}")),
        ],
        svg.to_string(),
    )
        .into_response()
}

/// The first of the `buckets` buckets ending with the one holding `now_ms`, and the end
/// of the last one (exclusive).
fn window(now_ms: u64, bucket_ms: u64, buckets: u64) -> (u64, u64) {
    let last = now_ms / bucket_ms;
    let first = (last + 1).saturating_sub(buckets);
    (first, (last + 1).saturating_mul(bucket_ms))
}

/// One count per bucket from `first`, zero where the store reported none.
fn dense(first: u64, buckets: u64, counted: &[(u64, u64)]) -> Vec<u64> {
    let mut counts = vec![0; usize::try_from(buckets).unwrap_or(0)];
    for &(bucket, n) in counted {
        if let Some(slot) = bucket
            .checked_sub(first)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| counts.get_mut(i))
        {
            *slot = n;
        }
    }
    counts
}

/// The bucket with the highest count (the earliest of equals), unless all are zero.
fn busiest(first: u64, counts: &[u64]) -> Option<(u64, u64)> {
    let (i, n) = counts
        .iter()
        .enumerate()
        .rev()
        .max_by_key(|(_, n)| **n)
        .filter(|(_, n)| **n > 0)?;
    Some((first + i as u64, *n))
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `YYYY-MM-DD` (UTC) of a time.
fn date(ms: u64) -> String {
    crate::ui::dates::format_date(ms)
}

/// Escapes text for SVG (XML) element content and quoted attribute values.
fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Draws the chart as an SVG document.
pub fn render(chart: &BarChart) -> Result<String, ApiError> {
    let mut svg = String::new();
    draw(chart, &mut svg)
        .map_err(|error| ApiError::Fault(format!("drawing the chart: {error}")))?;
    accessible(&svg, &chart.title, &chart.summary)
}

fn draw(chart: &BarChart, svg: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = i64::try_from(chart.counts.len())?;
    let top = i64::try_from(scale_top(chart.counts.iter().copied().max().unwrap_or(0)))?;
    let text = |size: u32| (FONT, size).into_font().color(&INK);
    let mut area = ChartBuilder::on(&root)
        .caption(&chart.title, text(20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(52)
        .build_cartesian_2d((0..n).into_segmented(), 0..top)?;

    let first = chart.first;
    let bucket_ms = chart.bucket_ms;
    let labels = &chart.labels;
    let x_label = move |value: &SegmentValue<i64>| match value {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if !labels.is_empty() => {
            usize::try_from(*i)
                .ok()
                .and_then(|i| labels.get(i))
                .map(|label| short_label(label))
                .unwrap_or_default()
        }
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => u64::try_from(*i)
            .ok()
            .and_then(|i| first.checked_add(i))
            .and_then(|bucket| bucket.checked_mul(bucket_ms))
            .map(date)
            .unwrap_or_default(),
        SegmentValue::Last => String::new(),
    };
    // Integer ticks only: plotters picks round values in an integer range, and a range
    // as small as 0..1 gets just 0 and 1.
    let y_label = |value: &i64| value.to_string();
    area.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(INK)
        .x_labels(if chart.labels.is_empty() {
            X_LABELS_MAX.min(chart.counts.len())
        } else {
            CATEGORIES_MAX.min(chart.counts.len())
        })
        .y_labels(Y_LABELS_MAX)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(chart.x_desc.as_str())
        .y_desc(chart.y_desc.as_str())
        .label_style(text(14))
        .axis_desc_style(text(15))
        .draw()?;

    let bars = chart
        .counts
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .map(|(i, count)| -> Result<_, std::num::TryFromIntError> {
            let i = i64::try_from(i)?;
            let height = i64::try_from(*count)?;
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0),
                    (SegmentValue::Exact(i + 1), height),
                ],
                BAR.filled(),
            );
            bar.set_margin(0, 0, 1, 1);
            Ok(bar)
        })
        .collect::<Result<Vec<_>, _>>()?;
    area.draw_series(bars)?;

    if chart.counts.iter().all(|count| *count == 0) {
        let (x_range, y_range) = area.plotting_area().get_pixel_range();
        let centre = (
            (x_range.start + x_range.end) / 2,
            (y_range.start + y_range.end) / 2,
        );
        root.draw_text(
            &chart.empty_caption,
            &text(18).pos(Pos::new(HPos::Center, VPos::Center)),
            centre,
        )?;
    }
    root.present()?;
    Ok(())
}

/// Most series a grouped chart draws (a poll's rounds): more would not fit the legend.
pub const SERIES_MAX: usize = 8;
/// The series' colours, light to dark teal, so that later rounds read darker.
const SERIES_COLOURS: [RGBColor; SERIES_MAX] = [
    RGBColor(0x99, 0xf6, 0xe4),
    RGBColor(0x5e, 0xea, 0xd4),
    RGBColor(0x2d, 0xd4, 0xbf),
    RGBColor(0x14, 0xb8, 0xa6),
    RGBColor(0x0d, 0x94, 0x88),
    RGBColor(0x0f, 0x76, 0x6e),
    RGBColor(0x11, 0x5e, 0x59),
    RGBColor(0x13, 0x4e, 0x4a),
];

/// A bar chart of categories with one bar per series in each (votes per candidate, a
/// bar per round): `series[j].1[i]` is the height of series `j` in group `i`, in units
/// of 10^-`decimals` (STV counts fractional votes in fixed point; the bars stay
/// integers and only the axis labels show the decimal point).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupedBarChart {
    pub title: String,
    pub y_desc: String,
    pub x_desc: String,
    pub groups: Vec<String>,
    pub series: Vec<(String, Vec<u64>)>,
    pub decimals: u32,
    pub empty_caption: String,
    pub summary: String,
}

/// Draws a grouped bar chart as an SVG document, like [`render`] (at most
/// [`SERIES_MAX`] series and [`CATEGORIES_MAX`] groups are drawn).
pub fn render_grouped(chart: &GroupedBarChart) -> Result<String, ApiError> {
    let mut svg = String::new();
    draw_grouped(chart, &mut svg)
        .map_err(|error| ApiError::Fault(format!("drawing the chart: {error}")))?;
    accessible(&svg, &chart.title, &chart.summary)
}

/// `units` of 10^-`decimals` as a short decimal: `12`, `12.5`.
fn decimal_label(units: u64, decimals: u32) -> String {
    let scale = 10u64.saturating_pow(decimals);
    let (whole, fraction) = (units / scale, units % scale);
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:0width$}", width = decimals as usize);
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

fn draw_grouped(
    chart: &GroupedBarChart,
    svg: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let groups: Vec<&String> = chart.groups.iter().take(CATEGORIES_MAX).collect();
    let series: Vec<&(String, Vec<u64>)> = chart.series.iter().take(SERIES_MAX).collect();
    let n = i64::try_from(groups.len().max(1))?;
    // A segmented range holds both its ends: 0..n-1 gives the n groups their n segments
    // (plotters maps a range of one value oddly, so a single group keeps a spare one).
    let last = (n - 1).max(1);
    let highest = series
        .iter()
        .flat_map(|(_, values)| values.iter().take(groups.len()))
        .copied()
        .max()
        .unwrap_or(0);
    let top = i64::try_from(scale_top(highest))?;
    let text = |size: u32| (FONT, size).into_font().color(&INK);
    let mut area = ChartBuilder::on(&root)
        .caption(&chart.title, text(20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(52)
        .build_cartesian_2d((0..last).into_segmented(), 0..top)?;
    let x_label = |value: &SegmentValue<i64>| match value {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => usize::try_from(*i)
            .ok()
            .and_then(|i| groups.get(i))
            .map(|label| short_label(label))
            .unwrap_or_default(),
        SegmentValue::Last => String::new(),
    };
    let decimals = chart.decimals;
    let y_label = |value: &i64| decimal_label(u64::try_from(*value).unwrap_or(0), decimals);
    area.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(INK)
        .x_labels(groups.len().max(2))
        .y_labels(Y_LABELS_MAX)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(chart.x_desc.as_str())
        .y_desc(chart.y_desc.as_str())
        .label_style(text(14))
        .axis_desc_style(text(15))
        .draw()?;
    // Each group's segment is split between the series by pixel margins.
    let left_edge = area.backend_coord(&(SegmentValue::Exact(0), 0)).0;
    let right_edge = area.backend_coord(&(SegmentValue::Exact(1), 0)).0;
    let group_px = u32::try_from((right_edge - left_edge).max(1))?;
    let m = u32::try_from(series.len().max(1))?;
    let gap_px = (group_px / 8).max(2);
    let bar_px = (group_px.saturating_sub(2 * gap_px) / m).max(1);
    for (j, (name, values)) in series.iter().enumerate() {
        let colour = SERIES_COLOURS[j % SERIES_MAX];
        let j = u32::try_from(j)?;
        let left = gap_px + j * bar_px;
        let right = group_px.saturating_sub(left + bar_px);
        let bars = values
            .iter()
            .take(groups.len())
            .enumerate()
            .filter(|(_, v)| **v > 0)
            .map(|(i, v)| -> Result<_, std::num::TryFromIntError> {
                let i = i64::try_from(i)?;
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0),
                        (SegmentValue::Exact(i + 1), i64::try_from(*v)?),
                    ],
                    colour.filled(),
                );
                bar.set_margin(0, 0, left, right);
                Ok(bar)
            })
            .collect::<Result<Vec<_>, _>>()?;
        area.draw_series(bars)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled()));
    }
    if series.len() > 1 {
        area.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.filled())
            .border_style(GRID)
            .label_font(text(13))
            .draw()?;
    }
    if highest == 0 {
        let (x_range, y_range) = area.plotting_area().get_pixel_range();
        let centre = (
            (x_range.start + x_range.end) / 2,
            (y_range.start + y_range.end) / 2,
        );
        root.draw_text(
            &chart.empty_caption,
            &text(18).pos(Pos::new(HPos::Center, VPos::Center)),
            centre,
        )?;
    }
    root.present()?;
    Ok(())
}

/// Longest bar label, in characters; longer names are cut with an ellipsis.
const LABEL_CHARS_MAX: usize = 10;
/// Most bars a chart of categories has, each labelled.
pub const CATEGORIES_MAX: usize = 12;

fn short_label(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS_MAX {
        return label.to_owned();
    }
    let mut out: String = label.chars().take(LABEL_CHARS_MAX - 1).collect();
    out.push('…');
    out
}

/// The top of the value axis: the smallest multiple of a round step (1, 2 or 5 times a
/// power of ten) at or above `highest` that needs at most [`Y_LABELS_MAX`] - 1 steps, so
/// that the top grid line is labelled and the tallest bar reaches at least half way. An
/// empty chart gets an axis from 0 to 1.
fn scale_top(highest: u64) -> u64 {
    let steps_max = Y_LABELS_MAX as u64 - 1;
    let mut power = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let Some(step) = power.checked_mul(factor) else {
                return highest.max(1);
            };
            let steps = highest.div_ceil(step).max(1);
            if steps <= steps_max {
                return steps.checked_mul(step).unwrap_or(highest);
            }
        }
        match power.checked_mul(10) {
            Some(next) => power = next,
            None => return highest.max(1),
        }
    }
}

/// Gives the document its accessible name and description: `role="img"` and an
/// `aria-label` on the root element, then `<title>` and `<desc>` as its first children.
fn accessible(svg: &str, title: &str, summary: &str) -> Result<String, ApiError> {
    let root_end = svg
        .strip_prefix("<svg ")
        .and_then(|rest| rest.find('>'))
        .ok_or_else(|| ApiError::Fault("plotters wrote no <svg> root element".to_owned()))?;
    let (attributes, rest) = svg["<svg ".len()..].split_at(root_end);
    let title = escape_xml(title);
    Ok(format!(
        "<svg role=\"img\" aria-label=\"{title}\" {attributes}>\n<title>{title}</title>\n<desc>{summary}</desc>{rest}",
        summary = escape_xml(summary),
        rest = &rest[1..],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Day 20_000 is 2024-10-04.
    const FIRST_DAY: u64 = 20_000;

    fn chart(counts: Vec<u64>) -> BarChart {
        BarChart {
            title: "Events per day".to_owned(),
            y_desc: "events".to_owned(),
            x_desc: "day (UTC)".to_owned(),
            first: FIRST_DAY,
            bucket_ms: DAY_MS,
            counts,
            labels: Vec::new(),
            empty_caption: "No events in this period".to_owned(),
            summary: "a summary".to_owned(),
        }
    }

    fn bars(svg: &str) -> usize {
        svg.lines()
            .filter(|line| line.starts_with("<rect") && line.contains("fill=\"#0F766E\""))
            .count()
    }

    #[test]
    fn a_chart_has_one_bar_per_bucket_with_events_and_dated_integer_axes() {
        let mut counts = vec![0; 90];
        counts[0] = 3;
        counts[10] = 7;
        counts[45] = 12;
        counts[89] = 1;
        let svg = render(&chart(counts)).unwrap();
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Events per day\" "));
        assert!(svg.contains("viewBox=\"0 0 720 320\""));
        assert!(svg.contains("<title>Events per day</title>"));
        assert!(svg.contains("<desc>a summary</desc>"));
        assert_eq!(bars(&svg), 4);
        assert!(svg.contains("font-family=\"sans-serif\""));
        assert!(svg.contains("fill=\"#334155\""));
        assert!(
            svg.contains(">\n2024-10-04\n</text>"),
            "the first day is labelled"
        );
        // Dates on the x axis, integers on the y axis, nothing fractional.
        let labels: Vec<&str> = svg
            .split("</text>")
            .filter_map(|t| t.rsplit('>').next())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        let dates = labels
            .iter()
            .filter(|t| t.len() == 10 && t.starts_with("2024-"))
            .count();
        assert!((3..=X_LABELS_MAX).contains(&dates), "{labels:?}");
        assert!(labels.iter().all(|t| !t.contains('.')), "{labels:?}");
        assert!(labels.contains(&"15"), "the top of the scale: {labels:?}");
        assert!(!svg.contains("No events in this period"));
    }

    #[test]
    fn an_empty_window_draws_no_bars_and_says_so() {
        let svg = render(&chart(vec![0; 90])).unwrap();
        assert_eq!(bars(&svg), 0);
        assert!(svg.contains("No events in this period"));
        assert!(svg.contains("viewBox="));
    }

    #[test]
    fn every_text_is_escaped() {
        let mut hostile = chart(vec![1, 0, 2]);
        hostile.title = "<script>alert('t')</script> & co".to_owned();
        hostile.summary = "\"><script>x</script>".to_owned();
        hostile.y_desc = "<b>y</b>".to_owned();
        let svg = render(&hostile).unwrap();
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; &amp; co"));
        assert_eq!(bars(&svg), 2);
    }

    #[test]
    fn a_grouped_chart_draws_a_bar_per_series_in_each_group_with_decimal_labels() {
        let chart = GroupedBarChart {
            title: "Votes per round".to_owned(),
            y_desc: "votes".to_owned(),
            x_desc: "candidate".to_owned(),
            groups: vec!["Ana".to_owned(), "<Bo>".to_owned(), "Cy".to_owned()],
            series: vec![
                ("round 1".to_owned(), vec![3_000, 2_500, 1_000]),
                ("round 2".to_owned(), vec![3_000, 3_500, 0]),
            ],
            decimals: 3,
            empty_caption: "No votes".to_owned(),
            summary: "two rounds".to_owned(),
        };
        let svg = render_grouped(&chart).unwrap();
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Votes per round\" "));
        let bars = |colour: &str| {
            svg.lines()
                .filter(|l| l.starts_with("<rect") && l.contains(colour))
                .count()
        };
        // Three bars of round 1 and two of round 2, plus one legend swatch each.
        assert_eq!(bars("fill=\"#99F6E4\""), 4);
        assert_eq!(bars("fill=\"#5EEAD4\""), 3);
        assert!(svg.contains("&lt;Bo&gt;") && !svg.contains("<Bo>"));
        assert!(
            svg.contains(">\n2.5\n</text>") || svg.contains(">\n3\n</text>"),
            "{svg}"
        );
        assert!(!svg.contains("No votes"));
        assert_eq!(decimal_label(1_250, 3), "1.25");
        assert_eq!(decimal_label(2_000, 3), "2");
    }

    #[test]
    fn the_value_axis_ends_on_a_round_step_at_or_above_the_highest_bar() {
        for (highest, top) in [
            (0, 1),
            (1, 1),
            (4, 4),
            (5, 5),
            (6, 6),
            (9, 10),
            (12, 15),
            (26, 30),
            (51, 60),
            (999, 1_000),
            (1_001, 1_500),
            (1_000_000, 1_000_000),
        ] {
            assert_eq!(scale_top(highest), top, "highest {highest}");
        }
        assert!(scale_top(u64::MAX) >= u64::MAX / 2);
    }

    /// Writes a chart for people to look at when `COMMONS_CHART_PREVIEW_DIR` is set.
    fn preview(name: &str, svg: &str) {
        if let Some(dir) = std::env::var_os("COMMONS_CHART_PREVIEW_DIR") {
            let dir = std::path::PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), svg).unwrap();
        }
    }

    #[tokio::test]
    async fn a_nodes_activity_is_charted_from_its_store() {
        use commons_testkit::{Author, T0_MS, TestNode, key, profile_body};
        let test = TestNode::start().await;
        let commons = test.create_commons(&key(1), "Charted <commons>").await;
        // Authors 2 to 5 write on days 0, 1, 1, 3, … after T0; author k on every k-th day.
        let mut expected_days = std::collections::BTreeMap::new();
        for k in 2..=5u64 {
            let mut author = Author::new(key(k), commons);
            for day in (0..60).step_by(usize::try_from(k).unwrap()) {
                let time_ms = T0_MS + day * DAY_MS + k * 1_000;
                let event = author.sign(
                    "agent.profile",
                    &profile_body(&format!("<script>{k}</script>"), "person"),
                    vec![],
                    time_ms,
                );
                test.clock.set(time_ms);
                let answer = test.node.submit(&event.envelope().encode()).await.unwrap();
                assert!(
                    matches!(answer.status, commons_node::SubmitStatus::Sequenced { .. }),
                    "{answer:?}"
                );
                *expected_days.entry(time_ms / DAY_MS).or_insert(0u64) += 1;
            }
        }
        let now_ms = T0_MS + 70 * DAY_MS;
        let per_day = events_per_day_svg(&test.node, &commons, now_ms)
            .await
            .unwrap();
        preview("events-per-day.svg", &per_day);
        // Every day with an author's event has a bar (the genesis and the node's ticks
        // fall on days that already have one).
        assert_eq!(bars(&per_day), expected_days.len());
        assert!(!per_day.contains("<script") && !per_day.contains("commons&gt;"));
        assert!(per_day.contains("the busiest day was"));

        let per_week = authors_per_week_svg(&test.node, &commons, now_ms)
            .await
            .unwrap();
        preview("authors-per-week.svg", &per_week);
        let weeks: std::collections::BTreeSet<u64> = expected_days
            .keys()
            .map(|day| day * DAY_MS / WEEK_MS)
            .collect();
        assert_eq!(bars(&per_week), weeks.len());

        // A year later, the same commons has no activity in either window.
        let later = now_ms + 365 * DAY_MS;
        let empty = events_per_day_svg(&test.node, &commons, later)
            .await
            .unwrap();
        preview("events-per-day-empty.svg", &empty);
        assert_eq!(bars(&empty), 0);
        assert!(empty.contains("No events in this period"));
        let empty = authors_per_week_svg(&test.node, &commons, later)
            .await
            .unwrap();
        assert_eq!(bars(&empty), 0);
    }

    #[test]
    fn windows_end_with_the_current_bucket() {
        let now = 20_000 * DAY_MS + 5;
        assert_eq!(window(now, DAY_MS, 90), (19_911, 20_001 * DAY_MS));
        assert_eq!(window(5, DAY_MS, 90), (0, DAY_MS));
        assert_eq!(
            dense(10, 4, &[(9, 5), (10, 1), (13, 2), (14, 9)]),
            [1, 0, 0, 2]
        );
        assert_eq!(busiest(10, &[1, 3, 3, 0]), Some((11, 3)));
        assert_eq!(busiest(10, &[0, 0]), None);
    }
}
