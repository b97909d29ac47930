//! A poll's page: its rules, frozen electorate (size and hash) and live turnout; the
//! voting form that fits its method, the person's ballot and its history; and once
//! closed, the result with why it passed or not, winners, tie-breaks with the seed, the
//! round-by-round sheet as a table and a chart, per-chamber results, delegations followed
//! and outcome statements.

use super::ballots::{self, ballot_fields, ballot_words, read_vote};
use super::words;
use super::{Fields, Standing, percent};
use crate::AppState;
use crate::charts::{GroupedBarChart, SERIES_MAX};
use crate::ui::explorer::parse_event_id;
use crate::ui::production::{Scope, act, author, people, refuse, success, unseen_notices};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render};
use axum::extract::{Path, State};
use axum::response::Response;
use commons_core::association::polls::{self as poll_kinds, Cast, Decision, Poll, PollResult};
use commons_core::association::{DecisionKind, Statutes, TOPIC_ALL};
use commons_ledger::cbor::Value as Cbor;
use commons_ledger::{AuthorKey, EventId};
use commons_tally::{Outcome, TiePurpose, TieRule, Totals};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeSet;

/// Ballots listed on a poll's page (the latest that count); the ledger holds them all.
pub const BALLOTS_SHOWN_MAX: usize = 200;
/// Delegations followed listed on a closed poll's page.
pub const DELEGATIONS_SHOWN_MAX: usize = 200;

/// What the page needs of a poll, copied out of the state.
struct PollView {
    id: EventId,
    author: AuthorKey,
    index: u64,
    opened_ms: u64,
    closes_ms: u64,
    title: String,
    description: Option<String>,
    decision: Decision,
    method: commons_tally::Method,
    options: Vec<String>,
    seats: u32,
    rule: commons_core::association::DecisionRule,
    topic: Option<String>,
    final_ballots: bool,
    n_electorate: usize,
    electorate_weight: u64,
    electorate_hash: [u8; 32],
    turnout_weight: u64,
    n_voters: usize,
    /// The latest ballots that count, newest first.
    ballots: Vec<Cast>,
    result: Option<PollResult>,
    statements: Vec<poll_kinds::Statement>,
    /// The viewer: their weight and chambers in the electorate, and their ballots.
    mine: Option<(u64, BTreeSet<String>)>,
    my_casts: Vec<(Cast, bool)>,
    /// The viewer's delegate for this poll's topic (then for all polls).
    my_delegate: Option<AuthorKey>,
    /// The subject of an admission, suspension or expulsion.
    subject: Option<(AuthorKey, Option<String>)>,
    statutes: Statutes,
    now_ms: u64,
    may_state: bool,
}

fn read_poll(
    s: &commons_core::state::State,
    id: EventId,
    key: Option<AuthorKey>,
) -> Option<PollView> {
    let association = &s.association;
    let poll: &Poll = association.polls.get(&id)?;
    let statutes = association.statutes.clone()?;
    let me = key.map(|k| poll_kinds::identity(s, &k));
    let mut counting: Vec<usize> = poll.current.values().copied().collect();
    counting.sort_by(|a, b| b.cmp(a));
    let ballots: Vec<Cast> = counting
        .iter()
        .take(BALLOTS_SHOWN_MAX)
        .filter_map(|i| poll.ballots.get(*i).cloned())
        .collect();
    let current: BTreeSet<usize> = poll.current.values().copied().collect();
    let my_casts: Vec<(Cast, bool)> = me.map_or_else(Vec::new, |me| {
        poll.ballots
            .iter()
            .enumerate()
            .filter(|(_, c)| c.voter == me)
            .map(|(i, c)| (c.clone(), current.contains(&i)))
            .collect()
    });
    let my_delegate = me.and_then(|me| {
        let delegations = &association.delegations;
        poll.topic
            .as_ref()
            .and_then(|t| delegations.get(&(me, t.clone())))
            .or_else(|| delegations.get(&(me, TOPIC_ALL.to_owned())))
            .copied()
    });
    let subject = match &poll.decision {
        Decision::Admit(application) => association
            .applications
            .get(application)
            .map(|a| (a.applicant, a.statement.clone())),
        Decision::Suspend { member, reason, .. } | Decision::Expel { member, reason } => {
            Some((*member, Some(reason.clone())))
        }
        _ => None,
    };
    Some(PollView {
        id,
        author: poll.author,
        index: poll.index,
        opened_ms: poll.opened_ms,
        closes_ms: poll.closes_ms,
        title: poll.title.clone(),
        description: poll.description.clone(),
        decision: poll.decision.clone(),
        method: poll.method,
        options: poll.options.clone(),
        seats: poll.seats,
        rule: poll.rule.clone(),
        topic: poll.topic.clone(),
        final_ballots: poll.final_ballots,
        n_electorate: poll.electorate.len(),
        electorate_weight: poll.electorate_weight,
        electorate_hash: poll.electorate_hash,
        turnout_weight: poll.turnout_weight(),
        n_voters: poll.n_voters(),
        ballots,
        result: poll.result.clone(),
        statements: poll.statements.clone(),
        mine: me
            .and_then(|me| poll.electorate.get(&me))
            .map(|v| (v.weight, v.chambers.clone())),
        my_casts,
        my_delegate,
        subject,
        statutes,
        now_ms: s.time_ms,
        may_state: me.is_some_and(|me| me == poll.author)
            || key.is_some_and(|k| s.is_maintainer(&k)),
    })
}

/// `n/d` as a percent, rounded down: `4/5` is 80.
fn ratio_percent(text: &str) -> Option<u64> {
    let (num, den) = text.split_once('/').unwrap_or((text, "1"));
    let (num, den): (u64, u64) = (num.parse().ok()?, den.parse().ok()?);
    num.saturating_mul(100).checked_div(den)
}

fn purpose_words(purpose: TiePurpose) -> &'static str {
    match purpose {
        TiePurpose::Exclude => "which candidate to exclude",
        TiePurpose::ElectOrder => "the order of election",
        TiePurpose::SurplusOrder => "whose surplus is transferred first",
        TiePurpose::Seat => "who takes the last seat",
        TiePurpose::Winner => "who wins",
        TiePurpose::PairOrder => "the order of equally strong pairs",
    }
}

/// The count sheet: one row per option with its votes in each round, where it was
/// elected or excluded, then the exhausted votes and the quota when the method has them.
fn sheet(outcome: &Outcome, options: &[String]) -> Value {
    let rounds: Vec<u32> = outcome.rounds.iter().map(|r| r.round).collect();
    let mut rows = Vec::new();
    if outcome.rounds.iter().any(|r| !r.tallies.is_empty()) {
        for (c, name) in options.iter().enumerate() {
            let cells: Vec<Value> = outcome
                .rounds
                .iter()
                .map(|r| {
                    let votes = r
                        .tallies
                        .iter()
                        .find(|t| t.candidate == c)
                        .map(|t| t.votes.clone());
                    context! {
                        votes => votes,
                        keep => r.tallies.iter().find(|t| t.candidate == c).and_then(|t| t.keep_value.clone()),
                        elected => r.elected.contains(&c),
                        excluded => r.eliminated.contains(&c),
                    }
                })
                .collect();
            rows.push(context! {
                name => name,
                won => outcome.winners.contains(&c),
                cells => cells,
            });
        }
    }
    let exhausted: Vec<String> = outcome.rounds.iter().map(|r| r.exhausted.clone()).collect();
    let quota: Vec<Option<String>> = outcome.rounds.iter().map(|r| r.quota.clone()).collect();
    let transfers: Vec<Value> = outcome
        .rounds
        .iter()
        .filter(|r| !r.transfers.is_empty())
        .map(|r| {
            let name = |c: usize| options.get(c).cloned().unwrap_or_default();
            context! {
                round => r.round,
                what => match r.surplus_of {
                    Some(c) => format!("surplus of {}", name(c)),
                    None => format!(
                        "votes of {}",
                        r.eliminated.iter().map(|c| name(*c)).collect::<Vec<_>>().join(", ")
                    ),
                },
                moves => r.transfers.iter().map(|t| format!(
                    "{} to {}",
                    t.votes,
                    t.to.map_or_else(|| "exhausted".to_owned(), name)
                )).collect::<Vec<_>>(),
            }
        })
        .collect();
    context! {
        rounds => rounds,
        rows => rows,
        exhausted => exhausted.iter().any(|e| e != "0").then_some(exhausted),
        quota => quota.iter().any(Option::is_some).then_some(quota),
        transfers => transfers,
    }
}

/// What else the method shows: the pairwise matrix of Schulze and ranked pairs, a time
/// poll's yes and if-need-be per slot.
fn method_totals(outcome: &Outcome, options: &[String]) -> Value {
    let matrix = |pairwise: &Vec<Vec<u64>>| {
        context! {
            names => options,
            rows => pairwise.iter().enumerate().map(|(i, row)| context! {
                name => options.get(i),
                cells => row.iter().enumerate().map(|(j, n)| (i != j).then_some(*n)).collect::<Vec<_>>(),
            }).collect::<Vec<_>>(),
        }
    };
    match &outcome.totals {
        Totals::Schulze { pairwise, .. } | Totals::RankedPairs { pairwise, .. } => {
            context! { kind => "pairwise", matrix => matrix(pairwise) }
        }
        Totals::Time {
            yes,
            if_need_be,
            no,
        } => context! {
            kind => "time",
            slots => options.iter().enumerate().map(|(i, name)| context! {
                name => name, yes => yes.get(i), if_need_be => if_need_be.get(i), no => no.get(i),
            }).collect::<Vec<_>>(),
        },
        Totals::StvScottish { quota, .. } => context! { kind => "stv", quota => quota },
        Totals::StvMeek { final_quota, .. } => context! { kind => "stv", quota => final_quota },
        _ => context! { kind => "none" },
    }
}

/// Why a closed poll passed or not, as sentences.
fn reasons(view: &PollView, result: &PollResult) -> Vec<(bool, String)> {
    let rule = &view.rule;
    let mut out = Vec::new();
    if let Some(error) = &result.error {
        out.push((
            false,
            if error == "no ballots" {
                "Nobody voted, so nothing could pass.".to_owned()
            } else {
                format!("The count failed: {error}.")
            },
        ));
    }
    out.push((
        result.quorum_met,
        format!(
            "Turnout: {} of {} ({}%), delegated votes included; {}.",
            result.turnout_weight,
            view.electorate_weight,
            percent(result.turnout_weight, view.electorate_weight),
            if rule.quorum.num == 0 {
                "no quorum was needed".to_owned()
            } else {
                format!(
                    "the quorum of {} was {}",
                    words::fraction(&rule.quorum),
                    if result.quorum_met { "met" } else { "not met" }
                )
            }
        ),
    ));
    let [a, b, c, d] = result.counts;
    match rule.method.as_str() {
        "proposal" if result.error.is_none() => {
            let support = result.support.clone().unwrap_or_default();
            out.push((
                a > 0 && support_met(&support, &result.required, rule.strict),
                format!(
                    "Yes {a}, no {b}, abstain {c}, block {d}: support {} ({}%), where {} {} was needed.",
                    exact_words(&support),
                    ratio_percent(&support).unwrap_or(0),
                    if rule.strict { "more than" } else { "at least" },
                    exact_words(&result.required)
                ),
            ));
            if d > 0 {
                out.push((
                    false,
                    format!(
                        "{d} {} the proposal: a block stops it whatever the count.",
                        if d == 1 { "vote blocks" } else { "votes block" }
                    ),
                ));
            }
        }
        "consent" if result.error.is_none() => out.push((
            b == 0,
            format!(
                "Consents {a}, open objections {b}, resolved objections {c}: it passes only when no objection is left open."
            ),
        )),
        _ => {}
    }
    if !result.chambers.is_empty() {
        let n_passed = result.chambers.iter().filter(|c| c.passed).count();
        out.push((
            result.passed,
            format!(
                "By chamber: it passed in {n_passed} of {} chambers.",
                result.chambers.len()
            ),
        ));
    }
    out
}

/// An exact result (`n/d`, as core records it) as people write fractions (`⅔`); a
/// fraction too fine for the statutes' denominators stays as it is.
fn exact_words(text: &str) -> String {
    let (num, den) = text.split_once('/').unwrap_or((text, "1"));
    match (num.parse(), den.parse()) {
        (Ok(num), Ok(den)) => commons_core::association::Ratio::new(num, den)
            .map_or_else(|| text.to_owned(), |r| words::fraction(&r)),
        _ => text.to_owned(),
    }
}

/// Whether `support` (`n/d`) meets `required` (`n/d`), exactly.
fn support_met(support: &str, required: &str, strict: bool) -> bool {
    let parse = |t: &str| -> Option<(u128, u128)> {
        let (n, d) = t.split_once('/').unwrap_or((t, "1"));
        Some((n.parse().ok()?, d.parse().ok()?))
    };
    let (Some((sn, sd)), Some((rn, rd))) = (parse(support), parse(required)) else {
        return false;
    };
    let (left, right) = (sn.saturating_mul(rd), rn.saturating_mul(sd));
    if strict { left > right } else { left >= right }
}

/// `GET /c/{id}/polls/{poll}`
pub async fn poll(
    State(state): State<AppState>,
    Path((id, poll)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let poll_id = parse_event_id(&poll)?;
    let (key, seen) = (scope.key, scope.seen);
    // Voting ends on the node's clock: the tick that closes the poll follows within a
    // second, and the page says so rather than offering a ballot past the closing time.
    let now_ms = state.node.now_ms();
    let (view, standing, n_unseen, simulation) = scope
        .inspect(&state, move |s| {
            // An open equation poll shows what its equation would change, person by person.
            let simulation = s
                .association
                .polls
                .get(&poll_id)
                .filter(|p| p.result.is_none())
                .and_then(|p| crate::value::simulation_json(s, &poll_id, p));
            (
                read_poll(s, poll_id, key),
                Standing::read(s, key),
                unseen_notices(s, key, seen),
                simulation,
            )
        })
        .await?;
    let view =
        view.ok_or_else(|| UiError::NotFound("This commons has no poll with that id.".into()))?;
    let result = view.result.as_ref();
    let delegated = result.map_or(&[][..], |r| &r.delegated[..]);
    let keys: Vec<AuthorKey> = [view.author]
        .into_iter()
        .chain(view.ballots.iter().map(|c| c.voter))
        .chain(view.statements.iter().map(|s| s.by))
        .chain(view.my_delegate)
        .chain(view.subject.as_ref().map(|s| s.0))
        .chain(
            delegated
                .iter()
                .take(DELEGATIONS_SHOWN_MAX)
                .flat_map(|(a, b)| [*a, *b]),
        )
        .collect();
    let names = people(&state, &scope.id(), keys).await?;
    let statutes = &view.statutes;
    let kind = view.decision.kind();
    let open = view.result.is_none();
    let ended = open && now_ms.max(view.now_ms) >= view.closes_ms;
    let voted = !view.my_casts.is_empty();
    let can_vote = open && !ended && view.mine.is_some() && !(view.final_ballots && voted);
    let current_ballot = view
        .my_casts
        .iter()
        .rev()
        .find(|(_, counts)| *counts)
        .map(|(c, _)| c);
    let options = &view.options;
    let cast = |c: &Cast, counts: bool| {
        context! {
            voter => names.person(&c.voter),
            ballot => ballot_words(&c.ballot, options),
            chamber => c.chamber.as_ref().map(|slug| statutes.chamber(slug).map_or(slug.clone(), |ch| ch.name.clone())),
            reason => c.reason,
            time_ms => c.time_ms,
            event => c.event.to_hex(),
            event_path => scope.path(&format!("/events/{}", c.event.to_hex())),
            counts => counts,
        }
    };
    let result_ctx = result.map(|r| {
        let outcome = r.outcome.as_ref();
        let winner_names: Vec<String> = r
            .winners
            .iter()
            .filter_map(|w| options.get(*w).cloned())
            .collect();
        let name_of = |c: &usize| options.get(*c).cloned().unwrap_or_default();
        context! {
            passed => r.passed,
            time_ms => r.time_ms,
            index => r.index,
            reasons => reasons(&view, r).into_iter().map(|(ok, text)| context! { ok => ok, text => text }).collect::<Vec<_>>(),
            effect => r.effect,
            winners => winner_names,
            elects => poll_kinds::method_elects(&view.rule.method),
            seed => hex::encode(r.seed),
            tie_breaks => outcome.map_or_else(Vec::new, |o| o.tie_breaks.iter().map(|t| context! {
                round => t.round,
                purpose => purpose_words(t.purpose),
                among => t.among.iter().map(name_of).collect::<Vec<_>>(),
                by_lot => t.rule == TieRule::Lot,
                looked_at_round => t.looked_at_round,
                result => t.result.iter().map(name_of).collect::<Vec<_>>(),
                lot_keys => t.result.iter().zip(&t.lot_keys).map(|(c, k)| context! { name => name_of(c), key => k }).collect::<Vec<_>>(),
                chosen => t.chosen.as_ref().map(name_of),
            }).collect::<Vec<_>>()),
            sheet => outcome.map(|o| sheet(o, options)),
            totals => outcome.map(|o| method_totals(o, options)),
            chart => outcome.is_some_and(|o| chart_of(o, options, &view.title).is_some()),
            counts => r.counts,
            chambers => r.chambers.iter().map(|c| context! {
                name => statutes.chamber(&c.slug).map_or(c.slug.clone(), |ch| ch.name.clone()),
                electorate_weight => c.electorate_weight,
                turnout_weight => c.turnout_weight,
                turnout_percent => percent(c.turnout_weight, c.electorate_weight),
                quorum_met => c.quorum_met,
                support => exact_words(&c.support),
                support_percent => ratio_percent(&c.support),
                passed => c.passed,
            }).collect::<Vec<_>>(),
            delegated => r.delegated.iter().take(DELEGATIONS_SHOWN_MAX).map(|(from, to)| context! {
                from => names.person(from), to => names.person(to),
            }).collect::<Vec<_>>(),
            n_delegated => r.delegated.len(),
            error => r.error,
        }
    });
    let subject = view.subject.as_ref().map(|(k, text)| {
        context! { person => names.person(k), text => text }
    });
    let suspend_days = match &view.decision {
        Decision::Suspend { days, .. } => Some(*days),
        _ => None,
    };
    let proposed_rules: Vec<String> = match &view.decision {
        Decision::Amend(proposed) => proposed
            .rules
            .iter()
            .map(|(k, r)| {
                let seats = if k.is_election() {
                    proposed.board_seats
                } else {
                    1
                };
                words::rule_summary(*k, r, seats, Some(proposed))
            })
            .collect(),
        _ => Vec::new(),
    };
    let proposed = match &view.decision {
        Decision::Amend(p) => Some(context! {
            name => p.name,
            purpose => p.purpose,
            admission => words::admission_words(p.admission),
            chambers => p.chambers.iter().map(|c| format!("{} ({})", c.name, words::basis_words(c.basis))).collect::<Vec<_>>(),
            board => format!("{} seats for {}", p.board_seats, words::months(p.board_term_months)),
            rules => proposed_rules,
        }),
        _ => None,
    };
    let chambers: Vec<(String, String)> = view
        .mine
        .as_ref()
        .filter(|_| view.rule.chambers.is_some())
        .map(|(_, chambers)| {
            chambers
                .iter()
                .map(|slug| {
                    (
                        slug.clone(),
                        statutes
                            .chamber(slug)
                            .map_or(slug.clone(), |c| c.name.clone()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let page = context! {
        title => view.title.clone(),
        poll => context! {
            id => view.id.to_hex(),
            title => view.title,
            description => view.description,
            kind => kind.as_str(),
            badge => words::decision_badge(kind),
            label => words::decision_label(kind),
            author => names.person(&view.author),
            index => view.index,
            opened_ms => view.opened_ms,
            closes_ms => view.closes_ms,
            open => open,
            ended => ended,
            options => view.options.iter().enumerate().map(|(i, o)| context! { index => i, name => o }).collect::<Vec<_>>(),
            seats => view.seats,
            terms => words::rule_terms(&view.rule, view.seats, Some(statutes)),
            details => words::rule_details(&view.rule, view.seats, Some(statutes)),
            own_rule => kind == DecisionKind::General && view.rule != *statutes.rule(DecisionKind::General),
            method => words::method_label(&view.rule.method),
            topic => view.topic,
            final_ballots => view.final_ballots,
            n_electorate => view.n_electorate,
            electorate => words::electorate_words(&view.rule.electorate, Some(statutes)),
            electorate_weight => view.electorate_weight,
            weighted => view.electorate_weight != view.n_electorate as u64,
            electorate_hash => hex::encode(view.electorate_hash),
            turnout_weight => view.turnout_weight,
            turnout_percent => percent(view.turnout_weight, view.electorate_weight),
            n_voters => view.n_voters,
            quorum => words::fraction(&view.rule.quorum),
            quorum_weight => super::quorum_weight(view.electorate_weight, &view.rule.quorum),
            subject => subject,
            suspend_days => suspend_days,
            proposed => proposed,
            ballots => view.ballots.iter().map(|c| cast(c, true)).collect::<Vec<_>>(),
            n_ballots_cast => view.n_voters,
        },
        vote => context! {
            can_vote => can_vote,
            eligible => view.mine.is_some(),
            weight => view.mine.as_ref().map(|m| m.0),
            voted => voted,
            current => current_ballot.map(|c| cast(c, true)),
            fields => current_ballot.map_or_else(Fields::default, |c| ballot_fields(&c.ballot)).context(),
            form => ballots::form_context(&view.method),
            ranks => (0..view.options.len()).collect::<Vec<_>>(),
            chambers => chambers,
            history => view.my_casts.iter().rev().map(|(c, counts)| cast(c, *counts)).collect::<Vec<_>>(),
            delegate => (!voted).then(|| view.my_delegate.map(|k| names.person(&k))).flatten(),
        },
        result => result_ctx,
        statements => view.statements.iter().map(|s| context! {
            by => names.person(&s.by), text => s.text, review_ms => s.review_ms, index => s.index,
        }).collect::<Vec<_>>(),
        may_state => !open && view.may_state && view.statements.len() < poll_kinds::STATEMENTS_MAX,
        standing => standing.context(),
        simulation => simulation.as_ref().map(crate::ui::value::simulation::simulation_table),
        tab => "polls",
        ..scope.frame("polls", n_unseen)
    };
    Ok(render(&state, viewer, "poll.html", page))
}

/// `POST /c/{id}/polls/{poll}/vote`: casts or changes a ballot.
pub async fn vote(
    State(state): State<AppState>,
    Path((id, poll)): Path<(String, String)>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let poll_id = parse_event_id(&poll)?;
    let back = scope.path(&format!("/polls/{}", poll_id.to_hex()));
    let found = scope
        .inspect(&state, move |s| {
            let p = s.association.polls.get(&poll_id)?;
            Some((p.method, p.options.len()))
        })
        .await?;
    let Some((method, n_options)) = found else {
        return Err(UiError::NotFound(
            "This commons has no poll with that id.".into(),
        ));
    };
    let ballot = match read_vote(&method, n_options, &fields) {
        Ok(b) => b,
        Err(problem) => return refuse(&state, viewer, &back, problem),
    };
    let mut body = vec![
        ("poll", Cbor::bytes(poll_id.0.to_vec())),
        ("ballot", poll_kinds::ballot_value(&ballot)),
    ];
    if !fields.get("chamber").is_empty() {
        body.push(("chamber", Cbor::text(fields.get("chamber"))));
    }
    if !fields.get("reason").is_empty() {
        body.push(("reason", Cbor::text(fields.get("reason"))));
    }
    let body = Cbor::text_map(body);
    let flash = match author(&state, &viewer, &scope.id(), poll_kinds::VOTE, &body).await? {
        Ok(_) => success("Your ballot is cast. You can change it until the poll closes."),
        Err(refusal) => refusal,
    };
    Ok(viewer.redirect(&state.ui, &back, Some(flash)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatementForm {
    statement: String,
    review_days: String,
}

/// `POST /c/{id}/polls/{poll}/statement`: the author or a maintainer states the outcome.
pub async fn statement(
    State(state): State<AppState>,
    Path((id, poll)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<StatementForm>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let poll_id = parse_event_id(&poll)?;
    let back = scope.path(&format!("/polls/{}", poll_id.to_hex()));
    let text = form.statement.trim();
    if text.is_empty() {
        return refuse(&state, viewer, &back, "Write the statement first.");
    }
    let mut body = vec![
        ("poll", Cbor::bytes(poll_id.0.to_vec())),
        ("statement", Cbor::text(text)),
    ];
    match form.review_days.trim() {
        "" => {}
        days => match days.parse::<u64>() {
            Ok(d) if d > 0 => {
                let now = scope.view.time_ms;
                body.push((
                    "review_ms",
                    Cbor::Unsigned(now.saturating_add(d.saturating_mul(86_400_000))),
                ));
            }
            _ => {
                return refuse(
                    &state,
                    viewer,
                    &back,
                    "The review date is a number of days from now.",
                );
            }
        },
    }
    act(
        &state,
        viewer,
        &scope,
        poll_kinds::STATEMENT,
        Cbor::text_map(body),
        &back,
        "The outcome statement is published.",
    )
    .await
}

/// The chart of a closed poll: votes per option in each round (the first
/// [`SERIES_MAX`] - 1 rounds and the last), or a yes-or-no decision's counts, or a time
/// poll's yes and if-need-be; `None` when the method shows no totals to chart
/// (Schulze and ranked pairs, whose matrix is a table).
fn chart_of(outcome: &Outcome, options: &[String], title: &str) -> Option<GroupedBarChart> {
    let (groups, series, decimals, x_desc, summary) = match &outcome.totals {
        Totals::Proposal {
            yes,
            no,
            abstain,
            block,
            ..
        } => (
            ["yes", "no", "abstain", "block"].map(String::from).to_vec(),
            vec![("votes".to_owned(), vec![*yes, *no, *abstain, *block])],
            0,
            "stance",
            format!("Yes {yes}, no {no}, abstain {abstain}, block {block}."),
        ),
        Totals::Consent {
            consent,
            objections_open,
            objections_resolved,
            ..
        } => (
            ["consent", "open objections", "resolved objections"]
                .map(String::from)
                .to_vec(),
            vec![(
                "votes".to_owned(),
                vec![*consent, *objections_open, *objections_resolved],
            )],
            0,
            "stance",
            format!(
                "{consent} consents, {objections_open} open objections, {objections_resolved} resolved."
            ),
        ),
        Totals::Time {
            yes, if_need_be, ..
        } => (
            options.to_vec(),
            vec![
                ("yes".to_owned(), yes.clone()),
                ("if need be".to_owned(), if_need_be.clone()),
            ],
            0,
            "time slot",
            format!(
                "Yes and if-need-be answers for {} time slots.",
                options.len()
            ),
        ),
        Totals::Schulze { .. } | Totals::RankedPairs { .. } => return None,
        _ => {
            let rounds = &outcome.rounds;
            if rounds.iter().all(|r| r.tallies.is_empty()) {
                return None;
            }
            // The first rounds and the last, when there are more than the chart holds.
            let shown: Vec<&commons_tally::Round> = if rounds.len() > SERIES_MAX {
                rounds
                    .iter()
                    .take(SERIES_MAX - 1)
                    .chain(rounds.last())
                    .collect()
            } else {
                rounds.iter().collect()
            };
            let texts: Vec<Vec<&str>> = shown
                .iter()
                .map(|r| {
                    (0..options.len())
                        .map(|c| {
                            r.tallies
                                .iter()
                                .find(|t| t.candidate == c)
                                .map_or("0", |t| t.votes.as_str())
                        })
                        .collect()
                })
                .collect();
            let all: Vec<&str> = texts.iter().flatten().copied().collect();
            let (_, decimals) = words::scaled_votes(&all);
            let series = shown
                .iter()
                .zip(&texts)
                .map(|(r, t)| {
                    let (mut values, d) = words::scaled_votes(t);
                    // Bring each round to the chart's common scale.
                    for v in &mut values {
                        *v = v.saturating_mul(10u64.pow(decimals.saturating_sub(d)));
                    }
                    (format!("round {}", r.round), values)
                })
                .collect();
            (
                options.to_vec(),
                series,
                decimals,
                "option",
                format!(
                    "Votes for each of {} options in {} {}.",
                    options.len(),
                    rounds.len(),
                    if rounds.len() == 1 { "round" } else { "rounds" }
                ),
            )
        }
    };
    Some(GroupedBarChart {
        title: if series.len() > 1 {
            "Votes per option, round by round".to_owned()
        } else {
            format!("Result: {title}")
        },
        y_desc: "votes".to_owned(),
        x_desc: x_desc.to_owned(),
        groups,
        series,
        decimals,
        empty_caption: "No votes".to_owned(),
        summary,
    })
}

/// `GET /c/{id}/polls/{poll}/rounds.svg`: the closed poll's chart. A closed poll never
/// changes, so each is drawn once and kept with the UI's rendered fragments.
pub async fn rounds_svg(
    State(state): State<AppState>,
    Path((id, poll)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let poll_id = parse_event_id(&poll)?;
    super::frozen_chart(
        &state,
        &scope,
        format!("poll-chart:{}", poll_id.to_hex()),
        "This poll has no chart (yet).",
        move |s| {
            let p = s.association.polls.get(&poll_id)?;
            chart_of(p.result.as_ref()?.outcome.as_ref()?, &p.options, &p.title)
        },
    )
    .await
}
