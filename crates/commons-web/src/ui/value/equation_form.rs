//! The value equation's form: a treasurer or maintainer sets the commons' first equation
//! (`value.equation`), and afterwards whoever may open a poll proposes a change
//! (`poll.open` deciding `value_equation` under the statutes' `general` rule) from the
//! equation page itself.
//!
//! Every weight is typed as a fraction (`n/d`), a whole number or a decimal such as
//! `0.1`, and read exactly: a decimal becomes the fraction it writes, never a float. The
//! form becomes the equation's body form, which core's own reader ([`equation::read`])
//! checks, so the page refuses exactly what the ledger would. "Preview the effect" shows
//! each person's credit and money before and after ([`simulate_equation`]) and signs
//! nothing.
//!
//! [`simulate_equation`]: commons_core::value::distribution::simulate_equation

use super::{EquationForm, equation_page};
use crate::AppState;
use crate::ui::UiError;
use crate::ui::association::Fields;
use crate::ui::dates::{format_date, parse_date};
use crate::ui::production::{Scope, author, success};
use crate::ui::session::CheckedForm;
use crate::value::equation_simulation_json;
use axum::extract::{Path, State};
use axum::response::Response;
use commons_core::association::TEXT_LEN_MAX;
use commons_core::association::polls as poll_kinds;
use commons_core::value::equation::{self, Equation, GraphTerms, Ratio};
use commons_core::value::{EQUATION, LABEL_WEIGHTS_MAX, UPSTREAM_MAX};
use commons_ledger::cbor::Value as Cbor;
use std::collections::BTreeMap;

/// Most digits after the point a decimal weight may have (core's denominators stop at a
/// million).
pub const DECIMALS_MAX: usize = 6;
/// Days a change poll stays open unless the form says otherwise.
pub const POLL_DAYS_DEFAULT: u64 = 7;
/// Most days a change poll may stay open (core's own limit is 366 days).
pub const POLL_DAYS_MAX: u64 = 366;
/// Longest poll title the form takes (core's limit is the same).
pub const POLL_TITLE_LEN_MAX: usize = commons_core::association::TITLE_LEN_MAX;
/// The kinds of contribution the form weighs, with their form field.
pub const KIND_FIELDS: [(&str, &str); 3] = [
    ("revision", "kind_revision"),
    ("external", "kind_external"),
    ("care", "kind_care"),
];

const MS_PER_DAY: u64 = 86_400_000;

/// Digits only, as a `u64`.
fn whole_of(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A fraction typed as `n/d`, a whole number or a decimal such as `0.85`, exactly (a
/// decimal is reduced: `0.85` is `17/20`); `None` when it is none of those.
pub(crate) fn fraction_of(text: &str) -> Option<Ratio> {
    let text = text.trim();
    if let Some((n, d)) = text.split_once('/') {
        let (num, den) = (whole_of(n.trim())?, whole_of(d.trim())?);
        return (den > 0).then_some(Ratio { num, den });
    }
    if let Some((whole, decimals)) = text.split_once('.') {
        if decimals.is_empty() || decimals.len() > DECIMALS_MAX {
            return None;
        }
        let whole = if whole.is_empty() {
            0
        } else {
            whole_of(whole)?
        };
        let den = 10u64.pow(u32::try_from(decimals.len()).ok()?);
        let num = whole.checked_mul(den)?.checked_add(whole_of(decimals)?)?;
        let common = gcd(num, den).max(1);
        return Some(Ratio {
            num: num / common,
            den: den / common,
        });
    }
    whole_of(text).map(|num| Ratio { num, den: 1 })
}

/// A fraction as the form shows it: `3` or `1/5`.
pub(crate) fn fraction_text(r: &Ratio) -> String {
    if r.den == 1 {
        r.num.to_string()
    } else {
        r.text()
    }
}

/// `[n, d]`, a weight's body form.
fn fraction_value(r: &Ratio) -> Cbor {
    Cbor::Array(vec![Cbor::Unsigned(r.num), Cbor::Unsigned(r.den)])
}

/// The form's field `name` (called `label` in messages) as a fraction.
fn fraction_field(f: &Fields, name: &str, label: &str) -> Result<Ratio, String> {
    let text = f.get(name);
    if text.is_empty() {
        return Err(format!("Fill in {label}."));
    }
    fraction_of(text).ok_or_else(|| not_a_fraction(label, text))
}

fn not_a_fraction(label: &str, text: &str) -> String {
    format!(
        "{label}: “{text}” is not a fraction. Type it as n/d (such as 1/5), a whole number, or a decimal with at most {DECIMALS_MAX} digits after the point (such as 0.2)."
    )
}

/// The `name = n/d` lines of the textarea `name` (called `label` in messages), in order;
/// blank lines are skipped.
fn named_fractions(
    f: &Fields,
    name: &str,
    label: &str,
    max: usize,
) -> Result<Vec<(String, Ratio)>, String> {
    let mut out: Vec<(String, Ratio)> = Vec::new();
    for (n, line) in f.get(name).lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!(
                "{label}, line {}: “{line}” is not “name = n/d”.",
                n + 1
            ));
        };
        let key = key.trim();
        if key.is_empty() || key.len() > 64 {
            return Err(format!(
                "{label}, line {}: the name is 1 to 64 characters.",
                n + 1
            ));
        }
        let ratio = fraction_of(value)
            .ok_or_else(|| not_a_fraction(&format!("{label}, line {}", n + 1), value.trim()))?;
        if out.iter().any(|(k, _)| k == key) {
            return Err(format!("{label}: “{key}” is listed twice."));
        }
        out.push((key.to_owned(), ratio));
    }
    if out.len() > max {
        return Err(format!("{label}: at most {max} lines."));
    }
    Ok(out)
}

/// The equation's body form as the form fills it in (core's reader checks it).
fn equation_body(f: &Fields) -> Result<Cbor, String> {
    let mut fields = vec![
        (
            "base",
            fraction_value(&fraction_field(f, "base", "The base")?),
        ),
        (
            "effort_per_hour",
            fraction_value(&fraction_field(
                f,
                "effort_per_hour",
                "The credit per hour of effort",
            )?),
        ),
        (
            "chore_multiplier",
            fraction_value(&fraction_field(
                f,
                "chore_multiplier",
                "The chore multiplier",
            )?),
        ),
        (
            "reviewer_share",
            fraction_value(&fraction_field(
                f,
                "reviewer_share",
                "The reviewers' share",
            )?),
        ),
    ];
    let weights = |pairs: Vec<(String, Ratio)>| {
        Cbor::map(
            pairs
                .into_iter()
                .map(|(k, r)| (Cbor::text(k), fraction_value(&r))),
        )
    };
    let mut kinds = Vec::new();
    for (kind, field) in KIND_FIELDS {
        let text = f.get(field);
        if !text.is_empty() {
            let label = format!("The weight of {kind} contributions");
            kinds.push((
                kind.to_owned(),
                fraction_of(text).ok_or_else(|| not_a_fraction(&label, text))?,
            ));
        }
    }
    if !kinds.is_empty() {
        fields.push(("kinds", weights(kinds)));
    }
    let areas = named_fractions(f, "areas", "The area weights", LABEL_WEIGHTS_MAX)?;
    if !areas.is_empty() {
        fields.push(("areas", weights(areas)));
    }
    let labels = named_fractions(f, "labels", "The label weights", LABEL_WEIGHTS_MAX)?;
    if !labels.is_empty() {
        fields.push(("labels", weights(labels)));
    }
    let upstream = named_fractions(f, "upstream", "The upstream commons", UPSTREAM_MAX)?;
    if !upstream.is_empty() {
        fields.push((
            "upstream",
            Cbor::Array(
                upstream
                    .into_iter()
                    .map(|(name, share)| {
                        Cbor::text_map([
                            ("name", Cbor::text(name)),
                            ("share", fraction_value(&share)),
                        ])
                    })
                    .collect(),
            ),
        ));
    }
    if f.ticked("graph") {
        fields.push((
            "graph",
            Cbor::text_map([
                (
                    "damping",
                    fraction_value(&fraction_field(f, "damping", "The damping")?),
                ),
                (
                    "back_flow",
                    fraction_value(&fraction_field(f, "back_flow", "The back-flow")?),
                ),
                (
                    "builds_on",
                    fraction_value(&fraction_field(
                        f,
                        "builds_on",
                        "The share for the work built on",
                    )?),
                ),
            ]),
        ));
    }
    Ok(Cbor::text_map(fields))
}

/// The equation the form describes, checked by core's own reader; its refusal in words.
pub(crate) fn equation_of(f: &Fields) -> Result<Equation, String> {
    let body = equation_body(f)?;
    equation::read(EQUATION, &body).map_err(|refusal| {
        let message = refusal
            .message
            .trim_start_matches(&format!("{EQUATION}: "))
            .to_owned();
        format!(
            "The ledger would refuse this equation ({}): {message}.",
            refusal.code.as_str()
        )
    })
}

/// `YYYY-MM-DDTHH:MM` (what a `datetime-local` field sends) of a time, in UTC.
pub(crate) fn datetime_field(ms: u64) -> String {
    let minutes = (ms % MS_PER_DAY) / 60_000;
    format!(
        "{}T{:02}:{:02}",
        format_date(ms),
        minutes / 60,
        minutes % 60
    )
}

/// A time typed as `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM` (UTC).
pub(crate) fn datetime_of(text: &str) -> Option<u64> {
    let text = text.trim().trim_end_matches("UTC").trim_end();
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time.trim())),
        None => (text, None),
    };
    let day_ms = parse_date(date)?;
    let Some(time) = time else {
        return Some(day_ms);
    };
    let (hours, minutes) = time.split_once(':')?;
    let (hours, minutes) = (whole_of(hours)?, whole_of(minutes.get(..2)?)?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(day_ms + (hours * 60 + minutes) * 60_000)
}

/// From when a change counts: the form's `effective` time, or now when it is empty.
pub(crate) fn effective_of(f: &Fields, now_ms: u64) -> Result<u64, String> {
    match f.get("effective") {
        "" => Ok(now_ms),
        text => datetime_of(text).ok_or_else(|| {
            format!("“{text}” is not a date and time; type it as YYYY-MM-DD HH:MM (UTC).")
        }),
    }
}

/// The `poll.open` body of a change poll closing `days` after `now_ms`.
fn poll_body(f: &Fields, eq: &Equation, effective_ms: u64, now_ms: u64) -> Result<Cbor, String> {
    let title = match f.get("title") {
        "" => "Change the value equation",
        t if t.len() > POLL_TITLE_LEN_MAX => {
            return Err(format!(
                "The poll's title is at most {POLL_TITLE_LEN_MAX} characters."
            ));
        }
        t => t,
    };
    let days = match f.get("closes_in_days") {
        "" => POLL_DAYS_DEFAULT,
        text => whole_of(text)
            .filter(|d| (1..=POLL_DAYS_MAX).contains(d))
            .ok_or(format!(
                "The poll is open for 1 to {POLL_DAYS_MAX} days, not “{text}”."
            ))?,
    };
    let mut fields = vec![
        ("title", Cbor::text(title)),
        ("decision", Cbor::text("value_equation")),
        (
            "closes_ms",
            Cbor::Unsigned(now_ms.saturating_add(days * MS_PER_DAY)),
        ),
        ("equation", equation::value(eq)),
        ("effective_ms", Cbor::Unsigned(effective_ms)),
    ];
    let description = f.get("description");
    if description.len() > TEXT_LEN_MAX {
        return Err(format!(
            "The poll's description is at most {TEXT_LEN_MAX} characters."
        ));
    }
    if !description.is_empty() {
        fields.push(("description", Cbor::text(description)));
    }
    Ok(Cbor::text_map(fields))
}

/// The form's fields filled in with `eq` (the one in force), a change counting from
/// `now_ms`.
pub(crate) fn prefill(eq: &Equation, now_ms: u64) -> BTreeMap<String, String> {
    let lines = |pairs: &mut dyn Iterator<Item = (&String, &Ratio)>| {
        pairs
            .map(|(k, r)| format!("{k} = {}", fraction_text(r)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let graph = eq.graph.unwrap_or(GraphTerms::DEFAULT);
    let mut form: BTreeMap<String, String> = [
        ("base", fraction_text(&eq.base)),
        ("effort_per_hour", fraction_text(&eq.effort_per_hour)),
        ("chore_multiplier", fraction_text(&eq.chore_multiplier)),
        ("reviewer_share", fraction_text(&eq.reviewer_share)),
        ("areas", lines(&mut eq.areas.iter())),
        ("labels", lines(&mut eq.labels.iter())),
        (
            "upstream",
            lines(&mut eq.upstream.iter().map(|(k, r)| (k, r))),
        ),
        ("damping", fraction_text(&graph.damping)),
        ("back_flow", fraction_text(&graph.back_flow)),
        ("builds_on", fraction_text(&graph.builds_on)),
        ("effective", datetime_field(now_ms)),
        ("closes_in_days", POLL_DAYS_DEFAULT.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (kind, field) in KIND_FIELDS {
        if let Some(r) = eq.kinds.get(kind) {
            form.insert(field.to_owned(), fraction_text(r));
        }
    }
    if eq.graph.is_some() {
        form.insert("graph".to_owned(), "yes".to_owned());
    }
    form
}

/// The form's fields as typed (the first value of each), to show them again.
pub(crate) fn as_typed(f: &Fields) -> BTreeMap<String, String> {
    let mut form = BTreeMap::new();
    for (k, v) in &f.0 {
        if k != "csrf" {
            form.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    form
}

/// `POST /c/{id}/equation`: previews the typed equation's effect (`intent=preview`), or
/// signs it: the first equation directly, a change as a poll.
pub async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let now_ms = state.node.now_ms();
    let previewing = fields.get("intent") == "preview";
    let form = fields.clone();
    let read = scope
        .inspect(&state, move |s| {
            let first = s.economy.equations.is_empty();
            let eq = equation_of(&form)?;
            let effective_ms = if first {
                0
            } else {
                effective_of(&form, now_ms)?
            };
            let body = if first {
                Cbor::text_map([("equation", equation::value(&eq))])
            } else {
                poll_body(&form, &eq, effective_ms, now_ms)?
            };
            let simulation =
                previewing.then(|| equation_simulation_json(s, String::new(), &eq, effective_ms));
            Ok::<_, String>((first, eq, body, simulation))
        })
        .await?;
    let (first, eq, body, simulation) = match read {
        Ok(read) => read,
        Err(problem) => {
            let form = EquationForm::Filled {
                fields,
                problem: Some(problem),
                preview: None,
            };
            return equation_page(&state, viewer, &scope, form).await;
        }
    };
    if let Some(simulation) = simulation {
        let form = EquationForm::Filled {
            fields,
            problem: None,
            preview: Some(Box::new((eq, simulation))),
        };
        return equation_page(&state, viewer, &scope, form).await;
    }
    let kind = if first { EQUATION } else { poll_kinds::OPEN };
    match author(&state, &viewer, &scope.id(), kind, &body).await? {
        Ok(_) if first => Ok(viewer.redirect(
            &state.ui,
            &scope.path("/equation"),
            Some(success(
                "The commons' first value equation is adopted; every accepted contribution counts under it.",
            )),
        )),
        Ok(poll) => Ok(viewer.redirect(
            &state.ui,
            &scope.path(&format!("/polls/{}", poll.to_hex())),
            Some(success(
                "The poll is open: members vote on the new equation, and it counts once the poll passes.",
            )),
        )),
        Err(refusal) => {
            let form = EquationForm::Filled {
                fields,
                problem: Some(refusal.message),
                preview: None,
            };
            equation_page(&state, viewer, &scope, form).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_read_exactly_from_any_of_the_three_spellings() {
        let r = |num, den| Some(Ratio { num, den });
        assert_eq!(fraction_of("1/5"), r(1, 5));
        assert_eq!(fraction_of(" 2 / 4 "), r(2, 4));
        assert_eq!(fraction_of("3"), r(3, 1));
        assert_eq!(fraction_of("0.1"), r(1, 10));
        assert_eq!(fraction_of("0.85"), r(17, 20));
        assert_eq!(fraction_of(".5"), r(1, 2));
        assert_eq!(fraction_of("1.25"), r(5, 4));
        assert_eq!(fraction_of("2.0"), r(2, 1));
        for bad in [
            "",
            "1/0",
            "a/b",
            "1.",
            "0.1234567",
            "-1",
            "1/2/3",
            "1e3",
            "½",
        ] {
            assert_eq!(fraction_of(bad), None, "{bad}");
        }
        assert_eq!(fraction_text(&Ratio { num: 3, den: 1 }), "3");
        assert_eq!(fraction_text(&Ratio { num: 1, den: 8 }), "1/8");
    }

    #[test]
    fn times_are_read_in_utc_as_the_field_writes_them() {
        let ms = 1_767_225_600_000 + 13 * 3_600_000 + 5 * 60_000;
        assert_eq!(datetime_field(ms), "2026-01-01T13:05");
        assert_eq!(datetime_of("2026-01-01T13:05"), Some(ms));
        assert_eq!(datetime_of("2026-01-01 13:05 UTC"), Some(ms));
        assert_eq!(datetime_of("2026-01-01"), Some(1_767_225_600_000));
        assert_eq!(datetime_of("2026-01-01 24:00"), None);
        assert_eq!(datetime_of("tomorrow"), None);
    }

    #[test]
    fn the_prefilled_form_reads_back_as_the_equation_it_shows() {
        let eq = Equation {
            reviewer_share: Ratio { num: 1, den: 5 },
            kinds: [("care".to_owned(), Ratio { num: 3, den: 2 })].into(),
            areas: [("repairs".to_owned(), Ratio { num: 2, den: 1 })].into(),
            upstream: vec![("libre-tools".to_owned(), Ratio { num: 1, den: 20 })],
            graph: Some(GraphTerms::DEFAULT),
            ..Equation::default()
        };
        let fields = Fields(prefill(&eq, 0).into_iter().collect());
        assert_eq!(equation_of(&fields), Ok(eq));
    }
}
