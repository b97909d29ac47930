//! Peer production in the browser: areas, the task board, contributions and their
//! reviews, artifacts, threads, notifications and statistics.
//!
//! Pages read the commons' durable state with one [`commons_node::Node::inspect`] each,
//! whose closure copies out only what the page shows (every list is paged), and fetch the
//! long texts the state leaves in the events (descriptions, posts, reviews) with one
//! `events_by_id` query. Forms are CSRF-checked ([`CheckedForm`]) and become ordinary
//! events signed with the person's custodial key, exactly like publishing a profile: the
//! ledger's answer, a refusal with its code included, comes back as a flash message.

pub mod areas;
pub mod artifacts;
pub mod contributions;
pub mod diff;
pub mod statistics;
pub mod tasks;
pub mod threads;

use super::UiError;
use super::accounts::signing_key;
use super::explorer::{account_key, commons_card, commons_of, names};
use super::session::{Flash, FlashKind, Viewer};
use crate::AppState;
use axum::response::Response;
use commons_core::production::{Area, ContributionStatus, Rule};
use commons_core::state::State;
use commons_ledger::cbor::Value as Cbor;
use commons_ledger::{AuthorKey, CommonsId, EventId};
use commons_node::{CommonsView, SubmitError};
use commons_store::Store;
use minijinja::{Value, context};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Rows per page of every peer-production listing.
pub const PAGE_SIZE: usize = 25;
/// Deepest page a listing serves (so a closure never walks further than this).
pub const PAGE_MAX: usize = 400;
/// Most names or keys one form field (maintainers, mentions, co-authors) takes.
pub const PEOPLE_PER_FIELD_MAX: usize = commons_core::production::LIST_MAX;

/// A commons page's frame: the commons, the viewer's key and their unseen notices.
pub(crate) struct Scope {
    pub view: Arc<CommonsView>,
    pub key: Option<AuthorKey>,
    pub seen: u64,
}

impl Scope {
    pub async fn of(state: &AppState, id: &str, viewer: &Viewer) -> Result<Scope, UiError> {
        let view = commons_of(state, id)?;
        let key = account_key(state, viewer).await?;
        let seen = viewer.seen_index(&view.id);
        Ok(Scope { view, key, seen })
    }

    /// The scope of a form's action: a logged-in person is required.
    pub async fn acting(state: &AppState, id: &str, viewer: &Viewer) -> Result<Scope, UiError> {
        viewer.require_account()?;
        Scope::of(state, id, viewer).await
    }

    pub fn id(&self) -> CommonsId {
        self.view.id
    }

    /// `/c/{id}` followed by `rest`.
    pub fn path(&self, rest: &str) -> String {
        format!("/c/{}{rest}", self.view.id.to_hex())
    }

    /// Runs a read on the durable state; a commons that went away is a 404.
    pub async fn inspect<T: Send + 'static>(
        &self,
        state: &AppState,
        read: impl FnOnce(&State) -> T + Send + 'static,
    ) -> Result<T, UiError> {
        state
            .node
            .inspect(&self.view.id, read)
            .await?
            .ok_or_else(|| UiError::NotFound("This node hosts no commons with that id.".into()))
    }

    /// What every commons page carries: the commons card, the section for the
    /// navigation, and the count of notices the person has not seen.
    pub fn frame(&self, section: &str, n_unseen: u64) -> Value {
        context! {
            commons => commons_card(&self.view),
            section => section,
            n_unseen => n_unseen,
        }
    }
}

/// Notices of `key` at or after ledger index `seen` (the badge in the navigation).
pub(crate) fn unseen_notices(state: &State, key: Option<AuthorKey>, seen: u64) -> u64 {
    key.and_then(|k| state.production.notices.get(&k))
        .map_or(0, |queue| {
            queue.iter().filter(|n| n.index >= seen).count() as u64
        })
}

/// The viewer's unseen notices in `commons`, for the badge of pages outside this module.
pub(crate) async fn unseen_for(
    state: &AppState,
    viewer: &Viewer,
    commons: &CommonsId,
) -> Result<u64, UiError> {
    let Some(key) = account_key(state, viewer).await? else {
        return Ok(0);
    };
    let seen = viewer.seen_index(commons);
    Ok(state
        .node
        .inspect(commons, move |s| unseen_notices(s, Some(key), seen))
        .await?
        .unwrap_or(0))
}

/// Signs `body` as an event of `kind` with the person's custodial key. `Ok(Err(flash))`
/// is the ledger's refusal, with its stable code, for the person to read.
pub(crate) async fn author(
    state: &AppState,
    viewer: &Viewer,
    commons: &CommonsId,
    kind: &str,
    body: &Cbor,
) -> Result<Result<EventId, Flash>, UiError> {
    let account = viewer.require_account()?.clone();
    let key = signing_key(state, &account).await?;
    match state
        .node
        .author(&key, Some(*commons), kind, body, vec![])
        .await
    {
        Ok((event, _)) => Ok(Ok(event.id)),
        Err(SubmitError::Rejected(refusal)) => Ok(Err(error(format!(
            "The ledger refused this ({}): {refusal}",
            refusal.code()
        )))),
        Err(SubmitError::Fault(fault)) => Err(fault.into()),
    }
}

/// Signs an action and goes back to `back` with the outcome in a flash message.
pub(crate) async fn act(
    state: &AppState,
    viewer: Viewer,
    scope: &Scope,
    kind: &str,
    body: Cbor,
    back: &str,
    done: &str,
) -> Result<Response, UiError> {
    let flash = match author(state, &viewer, &scope.id(), kind, &body).await? {
        Ok(_) => success(done),
        Err(refusal) => refusal,
    };
    Ok(viewer.redirect(&state.ui, back, Some(flash)))
}

/// Goes back to `back` saying what is wrong with the form, signing nothing.
pub(crate) fn refuse(
    state: &AppState,
    viewer: Viewer,
    back: &str,
    problem: impl Into<String>,
) -> Result<Response, UiError> {
    viewer.require_account()?;
    Ok(viewer.redirect(&state.ui, back, Some(error(problem.into()))))
}

pub(crate) fn success(message: impl Into<String>) -> Flash {
    Flash {
        kind: FlashKind::Success,
        message: message.into(),
    }
}

pub(crate) fn error(message: impl Into<String>) -> Flash {
    Flash {
        kind: FlashKind::Error,
        message: message.into(),
    }
}

/// Bodies of the events `ids`, decoded, in one store query. Withheld bodies are missing.
pub(crate) async fn bodies(
    state: &AppState,
    commons: &CommonsId,
    ids: Vec<EventId>,
) -> Result<HashMap<EventId, Cbor>, UiError> {
    let mut ids = ids;
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let events = state.node.store().events_by_id(commons, &ids).await?;
    let mut out = HashMap::with_capacity(events.len());
    for event in events {
        let Some(bytes) = event.body.as_deref().filter(|b| !b.is_empty()) else {
            continue;
        };
        let body = Cbor::decode(bytes).map_err(|e| {
            UiError::Fault(format!("stored event {} has a bad body: {e}", event.index))
        })?;
        out.insert(event.id, body);
    }
    Ok(out)
}

/// The text field `field` of the body of event `id`, if any.
pub(crate) fn text_of(
    bodies: &HashMap<EventId, Cbor>,
    id: &EventId,
    field: &str,
) -> Option<String> {
    bodies
        .get(id)
        .and_then(|b| b.get(field))
        .and_then(Cbor::as_text)
        .map(str::to_owned)
}

/// Published names of the keys, by hex key (see [`names`]).
pub(crate) async fn people(
    state: &AppState,
    commons: &CommonsId,
    keys: impl IntoIterator<Item = AuthorKey>,
) -> Result<Names, UiError> {
    Ok(Names(
        names(state, commons, keys.into_iter().collect()).await?,
    ))
}

/// Published names by hex key, for one page.
pub(crate) struct Names(pub BTreeMap<String, String>);

impl Names {
    /// A person for the `key` macro: their key and published name, if any.
    pub fn person(&self, key: &AuthorKey) -> Value {
        let hex = key.to_hex();
        context! { name => self.0.get(&hex), key => hex }
    }

    /// The published name, or the short key.
    pub fn label(&self, key: &AuthorKey) -> String {
        self.0
            .get(&key.to_hex())
            .cloned()
            .unwrap_or_else(|| key.short())
    }
}

/// Reads the people a form names, comma- or line-separated: keys in hex, or names
/// published in this commons (case-insensitive, which must name one agent's current key).
pub(crate) fn resolve_people(state: &State, text: &str) -> Result<Vec<AuthorKey>, String> {
    let mut out = Vec::new();
    for item in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let key = match AuthorKey::from_hex(item.trim_start_matches('@')) {
            Ok(key) => key,
            Err(_) => {
                let name = item.trim_start_matches('@');
                // A key rotated away is the same person as its successor: only current
                // keys answer to a name.
                let mut named = state.agents.iter().filter(|(_, a)| {
                    a.rotated_to.is_none()
                        && a.name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                });
                match (named.next(), named.next()) {
                    (Some((key, _)), None) => *key,
                    (None, _) => {
                        return Err(format!(
                            "No one in this commons publishes the name \"{name}\"; give their key instead."
                        ));
                    }
                    (Some(_), Some(_)) => {
                        return Err(format!(
                            "More than one agent here publishes the name \"{name}\"; give the key of the one you mean."
                        ));
                    }
                }
            }
        };
        if !out.contains(&key) {
            out.push(key);
        }
        if out.len() > PEOPLE_PER_FIELD_MAX {
            return Err(format!("Name at most {PEOPLE_PER_FIELD_MAX} people."));
        }
    }
    Ok(out)
}

/// An area's validation rule in words.
pub(crate) fn rule_in_words(rule: &Rule) -> String {
    match rule {
        Rule::Maintainers { approvals } => format!(
            "Accepted once {approvals} area {} approved the current version and no maintainer's objection is open.",
            if *approvals == 1 {
                "maintainer has"
            } else {
                "maintainers have"
            }
        ),
        Rule::Lazy { window_ms } => format!(
            "Lazy consensus: accepted {} after the current version unless an area maintainer objects.",
            duration_in_words(*window_ms)
        ),
    }
}

/// `3 days`, `5 hours`, `20 minutes`: the largest whole unit.
pub(crate) fn duration_in_words(ms: u64) -> String {
    let (n, unit) = if ms >= 86_400_000 && ms.is_multiple_of(86_400_000) {
        (ms / 86_400_000, "day")
    } else if ms >= 3_600_000 && ms.is_multiple_of(3_600_000) {
        (ms / 3_600_000, "hour")
    } else if ms >= 86_400_000 {
        (ms / 86_400_000, "day")
    } else if ms >= 3_600_000 {
        (ms / 3_600_000, "hour")
    } else {
        (ms / 60_000, "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `2 h 30 min` of minutes of effort.
pub(crate) fn effort_in_words(minutes: u64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// An amount in minor units as `12.50`.
pub(crate) fn money(amount: u64) -> String {
    format!("{}.{:02}", amount / 100, amount % 100)
}

/// Reads `12`, `12.5` or `12.50` as minor units (`1250`).
pub(crate) fn parse_money(text: &str) -> Option<u64> {
    let text = text.trim();
    let (whole, cents) = match text.split_once('.') {
        Some((w, c)) if !c.is_empty() && c.len() <= 2 && c.bytes().all(|b| b.is_ascii_digit()) => {
            let c: u64 = c.parse().ok()?;
            (w, if text.len() - w.len() == 2 { c * 10 } else { c })
        }
        Some(_) => return None,
        None => (text, 0),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole
        .parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

/// Items of a comma- or line-separated field, trimmed, empty ones left out.
pub(crate) fn list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    out
}

/// Items of a line-separated field (links may hold commas).
pub(crate) fn lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in text.lines().map(str::trim).filter(|t| !t.is_empty()) {
        if !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    out
}

/// Trimmed text, `None` when empty.
pub(crate) fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A page number from a query (`?page=`), bounded by [`PAGE_MAX`].
pub(crate) fn page_offset(page: Option<usize>) -> (usize, usize) {
    let page = page.unwrap_or(0).min(PAGE_MAX);
    (page, page * PAGE_SIZE)
}

/// Previous and next page numbers for a listing of `total` rows at `page`.
pub(crate) fn pager(page: usize, total: u64) -> Value {
    let shown_to = ((page + 1) * PAGE_SIZE) as u64;
    context! {
        page => page,
        previous => page.checked_sub(1),
        next => (shown_to < total && page < PAGE_MAX).then_some(page + 1),
        total => total,
    }
}

/// When a contribution was decided (accepted, rejected or withdrawn), in ledger ms.
pub(crate) fn decided_ms(status: &ContributionStatus) -> Option<u64> {
    match status {
        ContributionStatus::Pending => None,
        ContributionStatus::Accepted { time_ms, .. }
        | ContributionStatus::Rejected { time_ms, .. }
        | ContributionStatus::Withdrawn { time_ms, .. } => Some(*time_ms),
    }
}

/// The areas for a select box: (slug, name), in slug order.
pub(crate) fn area_choices(state: &State) -> Vec<(String, String)> {
    state
        .production
        .area_slugs
        .iter()
        .filter_map(|(slug, id)| {
            let area: &Area = state.production.areas.get(id)?;
            Some((slug.clone(), area.name.clone()))
        })
        .collect()
}

/// The area of `slug`, or a 404.
pub(crate) fn area_id(state: &State, slug: &str) -> Option<EventId> {
    state.production.area_slugs.get(slug).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_read_and_written_in_minor_units() {
        for (text, minor) in [
            ("12", 1_250 - 50),
            ("12.5", 1_250),
            ("12.50", 1_250),
            ("0.07", 7),
        ] {
            assert_eq!(parse_money(text), Some(minor), "{text}");
        }
        for bad in ["", "1.234", "-3", "a", "1.", ".5", "1e3"] {
            assert_eq!(parse_money(bad), None, "{bad}");
        }
        assert_eq!(money(1_250), "12.50");
        assert_eq!(money(7), "0.07");
    }

    #[test]
    fn durations_and_effort_read_in_whole_units() {
        assert_eq!(duration_in_words(3 * 86_400_000), "3 days");
        assert_eq!(duration_in_words(3_600_000), "1 hour");
        assert_eq!(duration_in_words(90 * 60_000), "1 hour");
        assert_eq!(duration_in_words(60_000), "1 minute");
        assert_eq!(effort_in_words(150), "2 h 30 min");
        assert_eq!(effort_in_words(120), "2 h");
        assert_eq!(effort_in_words(5), "5 min");
    }

    #[test]
    fn lists_drop_blanks_and_repeats() {
        assert_eq!(list("a, b,\n a ,,c"), ["a", "b", "c"]);
        assert_eq!(
            lines("https://x/a,b\n\nhttps://y"),
            ["https://x/a,b", "https://y"]
        );
    }
}
