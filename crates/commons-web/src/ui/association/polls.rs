//! The polls listing (open ones first, with their live turnout) and opening a poll: the
//! form for each kind of decision, the preview of the rules it would be opened under
//! (the statutes' rule in words, the electorate and its size now, threshold, quorum and
//! chambers), and signing it.

use super::statutes::{editor_context, fields_of, read_form};
use super::words;
use super::{Fields, Standing, page_of, pager, percent, quorum_weight};
use crate::AppState;
use crate::ui::production::{
    Scope, area_choices, duration_in_words, people, resolve_people, unseen_notices,
};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render, render_status};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use commons_core::association::polls::{self as poll_kinds, method_elects};
use commons_core::association::{
    self as association, ApplicationStatus, DecisionKind, DecisionRule, Electorate, MemberStatus,
    OPTIONS_MAX, POLL_DURATION_MAX_MS, POLL_DURATION_MIN_MS, Statutes, statutes::rule_value,
};
use commons_core::state::State as CommonsState;
use commons_ledger::cbor::Value as Cbor;
use commons_ledger::{AuthorKey, EventId};
use commons_tally::{METHOD_NAMES, Method, MethodParameters};
use minijinja::{Value, context};
use serde::Deserialize;

/// Members offered as tick boxes on a board election's form (beyond it, name them).
pub const CANDIDATE_CHOICES_MAX: usize = 200;
/// Pending applications offered on an admission poll's form.
pub const APPLICATION_CHOICES_MAX: usize = 200;
/// Days a poll stays open unless the form says otherwise.
pub const POLL_DAYS_DEFAULT: u64 = 7;

const DAY_MS: u64 = 86_400_000;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PollsQuery {
    page: Option<usize>,
}

/// One poll in the listing.
struct PollRow {
    id: EventId,
    title: String,
    kind: DecisionKind,
    author: AuthorKey,
    opened_ms: u64,
    closes_ms: u64,
    n_voters: usize,
    n_electorate: usize,
    turnout_weight: u64,
    electorate_weight: u64,
    quorum: String,
    quorum_weight: u64,
    result: Option<(bool, u64)>,
    voted: bool,
    in_electorate: bool,
}

fn poll_row(id: &EventId, poll: &poll_kinds::Poll, me: Option<AuthorKey>) -> PollRow {
    PollRow {
        id: *id,
        title: poll.title.clone(),
        kind: poll.decision.kind(),
        author: poll.author,
        opened_ms: poll.opened_ms,
        closes_ms: poll.closes_ms,
        n_voters: poll.n_voters(),
        n_electorate: poll.electorate.len(),
        turnout_weight: poll
            .result
            .as_ref()
            .map_or_else(|| poll.turnout_weight(), |r| r.turnout_weight),
        electorate_weight: poll.electorate_weight,
        quorum: words::fraction(&poll.rule.quorum),
        quorum_weight: quorum_weight(poll.electorate_weight, &poll.rule.quorum),
        result: poll.result.as_ref().map(|r| (r.passed, r.time_ms)),
        voted: me.is_some_and(|k| poll.current.keys().any(|(v, _)| *v == k)),
        in_electorate: me.is_some_and(|k| poll.electorate.contains_key(&k)),
    }
}

/// `GET /c/{id}/polls`: open polls first, closing soonest first; then closed ones,
/// newest first.
pub async fn list_polls(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<PollsQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = page_of(query.page);
    let read = scope
        .inspect(&state, move |s| {
            let association = &s.association;
            association.statutes.as_ref()?;
            let standing = Standing::read(s, key);
            let me = standing.identity;
            let open: Vec<PollRow> = association
                .open_polls
                .iter()
                .filter_map(|(_, id)| Some(poll_row(id, association.polls.get(id)?, me)))
                .collect();
            let mut closed: Vec<(u64, EventId)> = association
                .polls
                .iter()
                .filter_map(|(id, p)| Some((p.result.as_ref()?.index, *id)))
                .collect();
            let n_closed = closed.len();
            closed.sort_by(|a, b| b.cmp(a));
            let closed: Vec<PollRow> = closed
                .iter()
                .skip(offset)
                .take(super::ROWS_PER_PAGE)
                .filter_map(|(_, id)| Some(poll_row(id, association.polls.get(id)?, me)))
                .collect();
            Some((
                open,
                closed,
                n_closed,
                standing,
                s.time_ms,
                unseen_notices(s, key, seen),
            ))
        })
        .await?;
    let Some((open, closed, n_closed, standing, ledger_ms, n_unseen)) = read else {
        return super::members::no_association(&state, viewer, &scope).await;
    };
    let now_ms = state.node.now_ms().max(ledger_ms);
    let names = people(
        &state,
        &scope.id(),
        open.iter().chain(&closed).map(|r| r.author),
    )
    .await?;
    let row = |r: &PollRow| {
        context! {
            id => r.id.to_hex(),
            title => r.title,
            kind => r.kind.as_str(),
            badge => words::decision_badge(r.kind),
            author => names.person(&r.author),
            opened_ms => r.opened_ms,
            closes_ms => r.closes_ms,
            ended => r.result.is_none() && now_ms >= r.closes_ms,
            n_voters => r.n_voters,
            n_electorate => r.n_electorate,
            turnout_weight => r.turnout_weight,
            electorate_weight => r.electorate_weight,
            turnout_percent => percent(r.turnout_weight, r.electorate_weight),
            quorum => r.quorum,
            quorum_weight => r.quorum_weight,
            passed => r.result.map(|(p, _)| p),
            closed_ms => r.result.map(|(_, t)| t),
            voted => r.voted,
            in_electorate => r.in_electorate,
        }
    };
    let page_ctx = context! {
        title => "Polls",
        open => open.iter().map(row).collect::<Vec<_>>(),
        closed => closed.iter().map(row).collect::<Vec<_>>(),
        n_closed => n_closed,
        pager => pager(page, n_closed),
        standing => standing.context(),
        tab => "polls",
        ..scope.frame("polls", n_unseen)
    };
    Ok(render(&state, viewer, "polls.html", page_ctx))
}

/// A poll as the form describes it, checked as far as the page can before the ledger.
struct Draft {
    kind: DecisionKind,
    title: String,
    description: Option<String>,
    duration_ms: u64,
    topic: Option<String>,
    final_ballots: bool,
    /// The rule the poll is counted under: the statutes' for the kind, or a general
    /// poll's own.
    rule: DecisionRule,
    /// Whether `rule` is the poll's own (then it goes into the body).
    own_rule: bool,
    parameters: MethodParameters,
    options: Vec<String>,
    seats: u32,
    application: Option<EventId>,
    member: Option<AuthorKey>,
    reason: Option<String>,
    days: Option<u64>,
    candidates: Vec<AuthorKey>,
    statutes: Option<Statutes>,
}

fn number(f: &Fields, name: &str, what: &str) -> Result<Option<u32>, String> {
    match f.get(name) {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| format!("{what} must be a whole number.")),
    }
}

/// Reads the form. The statutes in force give the rule and what an amendment starts
/// from.
fn read_draft(s: &CommonsState, statutes: &Statutes, f: &Fields) -> Result<Draft, String> {
    let kind = DecisionKind::parse(f.get("decision")).ok_or("Choose what the poll decides.")?;
    let title = f.get("title");
    if title.is_empty() {
        return Err("Give the poll a title.".to_owned());
    }
    let duration_ms = super::duration_of(f, "closes_in", "closes_unit")
        .filter(|ms| (POLL_DURATION_MIN_MS..=POLL_DURATION_MAX_MS - DAY_MS).contains(ms))
        .ok_or_else(|| {
            format!(
                "A poll stays open from 1 minute to {} days.",
                (POLL_DURATION_MAX_MS - DAY_MS) / DAY_MS
            )
        })?;
    let topic = match f.get("topic") {
        "" => None,
        slug => Some(slug.to_owned()),
    };
    let base = statutes.rule(kind).clone();
    let mut draft = Draft {
        kind,
        title: title.to_owned(),
        description: Some(f.get("description").to_owned()).filter(|d| !d.is_empty()),
        duration_ms,
        topic,
        final_ballots: f.ticked("final_ballots"),
        rule: base.clone(),
        own_rule: false,
        parameters: MethodParameters::default(),
        options: Vec::new(),
        seats: 1,
        application: None,
        member: None,
        reason: None,
        days: None,
        candidates: Vec::new(),
        statutes: None,
    };
    match kind {
        DecisionKind::General => {
            let method = f.get("method");
            if !METHOD_NAMES.contains(&method) {
                return Err("Choose a counting method.".to_owned());
            }
            let electorate = Electorate::parse(f.get("electorate")).ok_or("Choose who votes.")?;
            let threshold = words::parse_fraction(f.get("threshold"))
                .ok_or("The support needed must be a fraction like 1/2 or 60%.")?;
            let quorum = words::parse_fraction(f.get("quorum"))
                .ok_or("The quorum must be a fraction like 1/3, or 0.")?;
            let elects = method_elects(method);
            let same_numbers = threshold == base.threshold && quorum == base.quorum;
            let rule = DecisionRule {
                method: method.to_owned(),
                electorate,
                threshold: if elects { base.threshold } else { threshold },
                strict: f.ticked("strict"),
                quorum,
                // Counting by chamber combines yes-or-no decisions only; a rising threshold
                // is kept while the numbers it rises from are.
                chambers: if elects { None } else { base.chambers.clone() },
                progressive: if same_numbers { base.progressive } else { None },
            };
            draft.own_rule = rule != base;
            draft.rule = rule;
            let parameter = |name: &str, what: &str| number(f, name, what);
            draft.parameters = match method {
                "approval" | "score" => MethodParameters {
                    min: parameter("param_min", "The minimum")?,
                    max: parameter("param_max", "The maximum")?,
                    budget: None,
                },
                "dot" => MethodParameters {
                    budget: parameter("param_budget", "The budget of dots")?,
                    ..MethodParameters::default()
                },
                _ => MethodParameters::default(),
            };
            Method::from_name(method, draft.parameters)
                .map_err(|e| format!("The method's settings do not fit: {e}."))?;
            if elects {
                draft.options = crate::ui::production::lines(f.get("options"));
                if draft.options.is_empty() {
                    return Err("List the options, one per line.".to_owned());
                }
                if draft.options.len() > OPTIONS_MAX {
                    return Err(format!("A poll has at most {OPTIONS_MAX} options."));
                }
                draft.seats = number(f, "seats", "The number of winners")?.unwrap_or(1);
                if draft.seats == 0 || draft.seats as usize > draft.options.len() {
                    return Err(format!(
                        "Choose from 1 to {} winners: there are {} options.",
                        draft.options.len(),
                        draft.options.len()
                    ));
                }
                if draft.seats > 1 && matches!(method, "irv" | "schulze" | "ranked-pairs") {
                    return Err(format!(
                        "{} elects one winner; choose a method that fills several seats.",
                        words::method_label(method)
                    ));
                }
            }
        }
        DecisionKind::AmendStatutes => {
            draft.statutes = Some(read_form(f, Some(statutes))?);
        }
        DecisionKind::ValueEquation | DecisionKind::Expense | DecisionKind::Award => {
            return Err(
                "Open this poll from the value equation's, the expense's or the award's own page."
                    .to_owned(),
            );
        }
        DecisionKind::AdmitMember => {
            draft.application = Some(
                EventId::from_hex(f.get("application"))
                    .ok_or("Choose the application the poll decides.")?,
            );
        }
        DecisionKind::SuspendMember | DecisionKind::ExpelMember => {
            let member = match resolve_people(s, f.get("member"))?.as_slice() {
                [one] => *one,
                _ => return Err("Name the one member the poll is about.".to_owned()),
            };
            draft.member = Some(member);
            let reason = f.get("reason");
            if reason.is_empty() {
                return Err("Give the reason: everyone reads it before they vote.".to_owned());
            }
            draft.reason = Some(reason.to_owned());
            if kind == DecisionKind::SuspendMember {
                draft.days = Some(
                    f.get("days")
                        .parse()
                        .map_err(|_| "Say for how many days.".to_owned())?,
                );
            }
        }
        DecisionKind::ElectBoard => {
            let mut candidates: Vec<AuthorKey> = f
                .all("candidate")
                .into_iter()
                .filter_map(|k| AuthorKey::from_hex(k).ok())
                .collect();
            for k in resolve_people(s, f.get("more_candidates"))? {
                if !candidates.contains(&k) {
                    candidates.push(k);
                }
            }
            if candidates.len() < statutes.board_seats as usize {
                return Err(format!(
                    "The board has {} seats: choose at least {} candidates.",
                    statutes.board_seats, statutes.board_seats
                ));
            }
            draft.candidates = candidates;
            draft.seats = statutes.board_seats;
        }
    }
    Ok(draft)
}

impl Draft {
    fn body(&self, closes_ms: u64) -> Cbor {
        let mut fields = vec![
            ("title", Cbor::text(self.title.clone())),
            ("decision", Cbor::text(self.kind.as_str())),
            ("closes_ms", Cbor::Unsigned(closes_ms)),
        ];
        if let Some(d) = &self.description {
            fields.push(("description", Cbor::text(d.clone())));
        }
        if let Some(t) = &self.topic {
            fields.push(("topic", Cbor::text(t.clone())));
        }
        if self.final_ballots {
            fields.push(("final_ballots", Cbor::Bool(true)));
        }
        if self.own_rule {
            fields.push(("rule", rule_value(&self.rule)));
        }
        let p = &self.parameters;
        if *p != MethodParameters::default() {
            let mut entries = Vec::new();
            for (name, value) in [("min", p.min), ("max", p.max), ("budget", p.budget)] {
                if let Some(v) = value {
                    entries.push((name, Cbor::Unsigned(u64::from(v))));
                }
            }
            fields.push(("parameters", Cbor::text_map(entries)));
        }
        if !self.options.is_empty() {
            fields.push((
                "options",
                Cbor::Array(self.options.iter().map(|o| Cbor::text(o.clone())).collect()),
            ));
            if self.seats != 1 {
                fields.push(("seats", Cbor::Unsigned(u64::from(self.seats))));
            }
        }
        if let Some(a) = &self.application {
            fields.push(("application", Cbor::bytes(a.0.to_vec())));
        }
        if let Some(m) = &self.member {
            fields.push(("member", Cbor::bytes(m.to_bytes().to_vec())));
        }
        if let Some(r) = &self.reason {
            fields.push(("reason", Cbor::text(r.clone())));
        }
        if let Some(d) = self.days {
            fields.push(("days", Cbor::Unsigned(d)));
        }
        if !self.candidates.is_empty() {
            fields.push((
                "candidates",
                Cbor::Array(
                    self.candidates
                        .iter()
                        .map(|k| Cbor::bytes(k.to_bytes().to_vec()))
                        .collect(),
                ),
            ));
        }
        if let Some(st) = &self.statutes {
            fields.push(("statutes", commons_core::association::statutes::value(st)));
        }
        Cbor::text_map(fields)
    }
}

/// The preview of a draft: its rules in words, who votes and how many they are now,
/// what it takes to pass, and what it is about.
fn preview_context(s: &CommonsState, statutes: &Statutes, draft: &Draft, now_ms: u64) -> Value {
    let rule = &draft.rule;
    // Exactly what `poll.open` would freeze now (nobody, if it would refuse).
    let voters: std::collections::BTreeSet<AuthorKey> =
        commons_core::association::polls::freeze_electorate(s, &rule.electorate, None)
            .map(|e| e.into_keys().collect())
            .unwrap_or_default();
    let n_voters = voters.len() as u64;
    // The fewest voters that reach the quorum: ⌈quorum × electorate⌉, at least one.
    let quorum_voters = (n_voters.saturating_mul(rule.quorum.num))
        .div_ceil(rule.quorum.den)
        .max(1);
    let chambers: Vec<Value> = match &rule.chambers {
        Some(_) => {
            let book = super::ChamberBook::new(s);
            statutes
                .chambers
                .iter()
                .map(|c| {
                    let n = voters.iter().filter(|k| book.sits_in(k, &c.slug)).count();
                    context! { name => c.name, n_voters => n }
                })
                .collect()
        }
        None => Vec::new(),
    };
    let name = |k: &AuthorKey| s.display_name(k).map_or_else(|| k.short(), str::to_owned);
    let subject = match draft.kind {
        DecisionKind::AdmitMember => draft.application.and_then(|id| {
            let a = s.association.applications.get(&id)?;
            Some(format!(
                "Admit {} (applied {}){}",
                name(&a.applicant),
                crate::ui::dates::format_date(a.time_ms),
                a.statement
                    .as_ref()
                    .map_or_else(String::new, |t| format!(": “{t}”"))
            ))
        }),
        DecisionKind::SuspendMember => draft.member.map(|m| {
            format!(
                "Suspend {} for {} days, because: {}",
                name(&m),
                draft.days.unwrap_or(0),
                draft.reason.clone().unwrap_or_default()
            )
        }),
        DecisionKind::ExpelMember => draft.member.map(|m| {
            format!(
                "Expel {}, because: {}",
                name(&m),
                draft.reason.clone().unwrap_or_default()
            )
        }),
        _ => None,
    };
    let options: Vec<String> = match draft.kind {
        DecisionKind::ElectBoard => draft.candidates.iter().map(name).collect(),
        _ => draft.options.clone(),
    };
    let amendment: Vec<Value> = draft.statutes.as_ref().map_or_else(Vec::new, |proposed| {
        let mut changes = Vec::new();
        if proposed.name != statutes.name {
            changes.push(context! { what => "Name", now => statutes.name, proposed => proposed.name });
        }
        if proposed.purpose != statutes.purpose {
            changes.push(context! { what => "Purpose", now => statutes.purpose, proposed => proposed.purpose });
        }
        if proposed.admission != statutes.admission {
            changes.push(context! {
                what => "Admission",
                now => words::admission_words(statutes.admission),
                proposed => words::admission_words(proposed.admission),
            });
        }
        if proposed.chambers != statutes.chambers {
            let list = |st: &Statutes| {
                st.chambers
                    .iter()
                    .map(|c| format!("{} ({})", c.name, c.basis.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            changes.push(context! { what => "Chambers", now => list(statutes), proposed => list(proposed) });
        }
        if statutes.treasurers != proposed.treasurers {
            let list = |st: &Statutes| {
                st.treasurers
                    .iter()
                    .map(|k| k.to_hex())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            changes.push(context! { what => "Treasurers", now => list(statutes), proposed => list(proposed) });
        }
        for (what, now, new) in [
            (
                "Contributor window",
                statutes.contributor_window_months,
                proposed.contributor_window_months,
            ),
            ("Board seats", statutes.board_seats, proposed.board_seats),
            (
                "Treasurer approvals",
                statutes.treasurer_approvals,
                proposed.treasurer_approvals,
            ),
            (
                "Board term (months)",
                statutes.board_term_months,
                proposed.board_term_months,
            ),
        ] {
            if now != new {
                changes.push(context! { what => what, now => now.to_string(), proposed => new.to_string() });
            }
        }
        for kind in DecisionKind::ALL {
            let (now, new) = (statutes.rule(kind), proposed.rule(kind));
            if now != new {
                let seats = |st: &Statutes| if kind.is_election() { st.board_seats } else { 1 };
                changes.push(context! {
                    what => words::decision_label(kind),
                    now => words::rule_terms(now, seats(statutes), Some(statutes)),
                    proposed => words::rule_terms(new, seats(proposed), Some(proposed)),
                });
            }
        }
        changes
    });
    let closes_ms = now_ms.saturating_add(draft.duration_ms);
    context! {
        kind => draft.kind.as_str(),
        label => words::decision_label(draft.kind),
        title => draft.title,
        description => draft.description,
        terms => words::rule_terms(rule, draft.seats, Some(statutes)),
        details => words::rule_details(rule, draft.seats, Some(statutes)),
        own_rule => draft.own_rule,
        electorate => words::electorate_words(&rule.electorate, Some(statutes)),
        n_voters => n_voters,
        quorum => words::fraction(&rule.quorum),
        quorum_voters => (rule.quorum.num > 0).then_some(quorum_voters),
        threshold => (!method_elects(&rule.method) && rule.method != "consent").then(|| {
            format!("{}{}", if rule.strict { "more than " } else { "at least " }, words::fraction(&rule.threshold))
        }),
        chambers => chambers,
        method => words::method_label(&rule.method),
        method_explained => words::method_explained(&rule.method),
        seats => draft.seats,
        options => options,
        subject => subject,
        amendment => amendment,
        topic => draft.topic,
        final_ballots => draft.final_ballots,
        duration => duration_in_words(draft.duration_ms),
        closes_ms => closes_ms,
        empty => n_voters == 0,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewPollQuery {
    decision: String,
    application: String,
    member: String,
}

/// The fields a new poll's form starts with.
fn initial_fields(statutes: &Statutes, query: &NewPollQuery) -> Fields {
    let kind = DecisionKind::parse(&query.decision).unwrap_or(DecisionKind::General);
    let mut f = if kind == DecisionKind::AmendStatutes {
        fields_of(statutes)
    } else {
        Fields::default()
    };
    f.set("decision", kind.as_str());
    f.set("closes_in", POLL_DAYS_DEFAULT.to_string());
    f.set("closes_unit", "days");
    let general = statutes.rule(DecisionKind::General);
    f.set("method", general.method.clone());
    f.set("electorate", general.electorate.to_text());
    f.set("threshold", words::fraction_field(&general.threshold));
    f.set("quorum", words::fraction_field(&general.quorum));
    if general.strict {
        f.set("strict", "yes");
    }
    if !query.application.is_empty() {
        f.set("application", query.application.trim());
    }
    if !query.member.is_empty() {
        f.set("member", query.member.trim());
    }
    match kind {
        DecisionKind::AmendStatutes => f.set("title", "Amend the statutes"),
        DecisionKind::ElectBoard => f.set("title", "Elect the board"),
        DecisionKind::AdmitMember => f.set("title", "Admit a new member"),
        _ => {}
    }
    f
}

/// `GET /c/{id}/polls/new`
pub async fn new_poll_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<NewPollQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    poll_form(&state, viewer, &scope, Form::Fresh(query)).await
}

/// How the new-poll page is reached.
enum Form {
    Fresh(NewPollQuery),
    /// Previewed, or sent back with what is wrong.
    Filled {
        fields: Fields,
        problem: Option<String>,
    },
}

/// The new-poll page: the form for the chosen kind of decision, and the preview of a
/// filled one.
async fn poll_form(
    state: &AppState,
    viewer: Viewer,
    scope: &Scope,
    form: Form,
) -> Result<Response, UiError> {
    let (key, seen) = (scope.key, scope.seen);
    let now_ms = state.node.now_ms();
    let read = scope
        .inspect(state, move |s| {
            let statutes = s.association.statutes.clone()?;
            let (fields, problem, previewing) = match form {
                Form::Fresh(query) => (initial_fields(&statutes, &query), None, false),
                Form::Filled { fields, problem } => (fields, problem, true),
            };
            let kind = DecisionKind::parse(fields.get("decision")).unwrap_or(DecisionKind::General);
            let (preview, problem) = match (previewing, problem) {
                (true, None) => match read_draft(s, &statutes, &fields) {
                    Ok(draft) => (Some(preview_context(s, &statutes, &draft, now_ms)), None),
                    Err(problem) => (None, Some(problem)),
                },
                (_, problem) => (None, problem),
            };
            let association = &s.association;
            let active: Vec<AuthorKey> = association
                .members
                .iter()
                .filter(|(_, m)| m.status == MemberStatus::Active)
                .map(|(k, _)| *k)
                .take(CANDIDATE_CHOICES_MAX)
                .collect();
            let applications: Vec<(EventId, AuthorKey, u64)> = association
                .pending_by_key
                .values()
                .filter_map(|id| {
                    let a = association.applications.get(id)?;
                    (a.status == ApplicationStatus::Pending).then_some((
                        *id,
                        a.applicant,
                        a.time_ms,
                    ))
                })
                .take(APPLICATION_CHOICES_MAX)
                .collect();
            let editor = (kind == DecisionKind::AmendStatutes)
                .then(|| editor_context(s, &fields, Some(&statutes)));
            let standing = Standing::read(s, key);
            Some((
                fields,
                kind,
                preview,
                problem,
                editor,
                active,
                association.n_active_members(),
                applications,
                super::electorate_choices(s),
                area_choices(s),
                statutes.admission,
                standing,
                unseen_notices(s, key, seen),
            ))
        })
        .await?;
    let Some(read) = read else {
        return super::members::no_association(state, viewer, scope).await;
    };
    let (
        fields,
        kind,
        preview,
        problem,
        editor,
        active,
        n_active,
        applications,
        electorates,
        areas,
        admission,
        standing,
        n_unseen,
    ) = read;
    let names = people(
        state,
        &scope.id(),
        active
            .iter()
            .copied()
            .chain(applications.iter().map(|a| a.1)),
    )
    .await?;
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let kinds: Vec<Value> = DecisionKind::REQUIRED
        .iter()
        .map(|k| context! { kind => k.as_str(), label => words::decision_label(*k) })
        .collect();
    let page = context! {
        title => "Open a poll",
        kind => kind.as_str(),
        kinds => kinds,
        f => fields.context(),
        preview => preview,
        error => problem,
        editor => editor,
        members => active.iter().map(|k| names.person(k)).collect::<Vec<_>>(),
        members_cut => n_active > active.len(),
        applications => applications.iter().map(|(id, k, t)| context! {
            id => id.to_hex(), applicant => names.person(k), time_ms => t,
        }).collect::<Vec<_>>(),
        vote_admission => admission == association::Admission::Vote,
        methods => METHOD_NAMES.iter().map(|m| (*m, words::method_label(m))).collect::<Vec<_>>(),
        electorates => electorates,
        areas => areas,
        standing => standing.context(),
        units => [("minutes", "minutes"), ("hours", "hours"), ("days", "days")],
        tab => "polls",
        ..scope.frame("polls", n_unseen)
    };
    Ok(render_status(state, viewer, status, "new_poll.html", page))
}

/// `POST /c/{id}/polls/preview`: the rules a filled form would open the poll under.
pub async fn preview(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    poll_form(
        &state,
        viewer,
        &scope,
        Form::Filled {
            fields,
            problem: None,
        },
    )
    .await
}

/// `POST /c/{id}/polls`: signs the previewed poll and shows it.
pub async fn open_poll(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    // The closing time counts from now, as the poll opens now.
    let now_ms = state.node.now_ms();
    let form = fields.clone();
    let body = scope
        .inspect(&state, move |s| {
            let statutes = s.association.statutes.as_ref()?;
            Some(
                read_draft(s, statutes, &form)
                    .map(|draft| draft.body(now_ms.saturating_add(draft.duration_ms))),
            )
        })
        .await?;
    let body = match body {
        None => return super::members::no_association(&state, viewer, &scope).await,
        Some(Ok(body)) => body,
        Some(Err(problem)) => {
            return poll_form(
                &state,
                viewer,
                &scope,
                Form::Filled {
                    fields,
                    problem: Some(problem),
                },
            )
            .await;
        }
    };
    match crate::ui::production::author(&state, &viewer, &scope.id(), poll_kinds::OPEN, &body)
        .await?
    {
        Ok(poll) => Ok(viewer.redirect(
            &state.ui,
            &scope.path(&format!("/polls/{}", poll.to_hex())),
            Some(crate::ui::production::success(
                "The poll is open: its electorate is frozen and published below.",
            )),
        )),
        Err(refusal) => {
            poll_form(
                &state,
                viewer,
                &scope,
                Form::Filled {
                    fields,
                    problem: Some(refusal.message),
                },
            )
            .await
        }
    }
}
