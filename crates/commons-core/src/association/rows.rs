//! Projection rows of the association. A poll's row is a summary whose size does not
//! grow with its ballots (each ballot is its own row), so a vote rewrites two small rows.

use super::budget::{self, BudgetProject, BudgetRound, ProjectStatus};
use super::polls::{Decision, Poll, ballot_value};
use super::statutes;
use super::{Application, ApplicationStatus, Member, MemberStatus};
use crate::projection::{RowKey, key_value, keys_value, opt_text};
use crate::state::State;
use commons_ledger::EventId;
use commons_ledger::cbor::Value;

pub(crate) fn keys(state: &State, keys: &mut Vec<RowKey>) {
    let a = &state.association;
    if a.statutes.is_some() {
        keys.push(RowKey::Association);
    }
    keys.extend(a.members.keys().map(|k| RowKey::Member(*k)));
    keys.extend(a.applications.keys().map(|id| RowKey::Application(*id)));
    keys.extend(a.polls.keys().map(|id| RowKey::Poll(*id)));
    keys.extend(a.casts.keys().map(|id| RowKey::Ballot(*id)));
    let mut delegators: Vec<_> = a.delegations.keys().map(|(k, _)| *k).collect();
    delegators.dedup();
    keys.extend(delegators.into_iter().map(RowKey::Delegations));
    keys.extend(a.budgets.rounds.keys().map(|id| RowKey::Round(*id)));
    keys.extend(
        a.budgets
            .projects
            .keys()
            .map(|id| RowKey::BudgetProject(*id)),
    );
}

pub(crate) fn value(state: &State, key: &RowKey) -> Option<Value> {
    let a = &state.association;
    match key {
        RowKey::Association => a.statutes.as_ref().map(|s| {
            Value::text_map([
                ("statutes", statutes::value(s)),
                (
                    "history",
                    Value::Array(
                        a.statutes_history
                            .iter()
                            .map(|(index, poll)| {
                                Value::Array(vec![
                                    Value::Unsigned(*index),
                                    poll.as_ref().map_or(Value::Null, id_value),
                                ])
                            })
                            .collect(),
                    ),
                ),
                ("board", keys_value(a.board.iter().copied())),
                ("board_until_ms", Value::Unsigned(a.board_until_ms)),
            ])
        }),
        RowKey::Member(k) => a.members.get(k).map(member_value),
        RowKey::Application(id) => a.applications.get(id).map(application_value),
        RowKey::Poll(id) => a.polls.get(id).map(poll_value),
        RowKey::Ballot(id) => {
            let (poll_id, position) = a.casts.get(id)?;
            let poll = a.polls.get(poll_id)?;
            let cast = poll.ballots.get(*position)?;
            Some(Value::text_map([
                ("poll", id_value(poll_id)),
                ("voter", key_value(&cast.voter)),
                ("chamber", opt_text(&cast.chamber)),
                ("ballot", ballot_value(&cast.ballot)),
                ("reason", opt_text(&cast.reason)),
                ("index", Value::Unsigned(cast.index)),
            ]))
        }
        RowKey::Round(id) => a.budgets.rounds.get(id).map(round_value),
        RowKey::BudgetProject(id) => a
            .budgets
            .projects
            .get(id)
            .map(|p| project_value(p, a.budgets.authorised(id))),
        RowKey::Delegations(k) => {
            let entries: Vec<(Value, Value)> = a
                .delegations
                .range((*k, String::new())..)
                .take_while(|((from, _), _)| from == k)
                .map(|((_, topic), to)| (Value::text(topic.clone()), key_value(to)))
                .collect();
            (!entries.is_empty()).then(|| Value::map(entries))
        }
        _ => None,
    }
}

fn id_value(id: &EventId) -> Value {
    Value::bytes(id.0.to_vec())
}

fn texts(items: impl IntoIterator<Item = String>) -> Value {
    Value::Array(items.into_iter().map(Value::text).collect())
}

fn member_value(m: &Member) -> Value {
    let status = match &m.status {
        MemberStatus::Active => Value::text("active"),
        MemberStatus::Suspended {
            until_ms,
            reason,
            poll,
        } => Value::text_map([
            ("suspended_until_ms", Value::Unsigned(*until_ms)),
            ("reason", Value::text(reason.clone())),
            ("poll", id_value(poll)),
        ]),
        MemberStatus::Left { index } => Value::text_map([("left", Value::Unsigned(*index))]),
        MemberStatus::Expelled { reason, poll } => Value::text_map([
            ("expelled", id_value(poll)),
            ("reason", Value::text(reason.clone())),
        ]),
    };
    Value::text_map([
        ("since_ms", Value::Unsigned(m.since_ms)),
        ("admitted_index", Value::Unsigned(m.admitted_index)),
        ("chambers", texts(m.chambers.iter().cloned())),
        ("status", status),
    ])
}

fn application_value(a: &Application) -> Value {
    let status = match &a.status {
        ApplicationStatus::Pending => Value::text("pending"),
        ApplicationStatus::Admitted { index } => {
            Value::text_map([("admitted", Value::Unsigned(*index))])
        }
        ApplicationStatus::Refused { index, reason } => Value::text_map([
            ("refused", Value::Unsigned(*index)),
            ("reason", Value::text(reason.clone())),
        ]),
        ApplicationStatus::Withdrawn { index } => {
            Value::text_map([("withdrawn", Value::Unsigned(*index))])
        }
    };
    Value::text_map([
        ("applicant", key_value(&a.applicant)),
        ("index", Value::Unsigned(a.index)),
        ("time_ms", Value::Unsigned(a.time_ms)),
        ("chambers", texts(a.chambers.iter().cloned())),
        ("statement", opt_text(&a.statement)),
        ("status", status),
    ])
}

fn decision_value(decision: &Decision) -> Value {
    let kind = Value::text(decision.kind().as_str());
    match decision {
        Decision::General | Decision::Amend(_) => Value::text_map([("kind", kind)]),
        Decision::Admit(application) => {
            Value::text_map([("kind", kind), ("application", id_value(application))])
        }
        Decision::Suspend {
            member,
            reason,
            days,
        } => Value::text_map([
            ("kind", kind),
            ("member", key_value(member)),
            ("reason", Value::text(reason.clone())),
            ("days", Value::Unsigned(*days)),
        ]),
        Decision::Expel { member, reason } => Value::text_map([
            ("kind", kind),
            ("member", key_value(member)),
            ("reason", Value::text(reason.clone())),
        ]),
        Decision::ElectBoard(candidates) => Value::text_map([
            ("kind", kind),
            ("candidates", keys_value(candidates.iter().copied())),
        ]),
        Decision::ValueEquation {
            equation,
            effective_ms,
        } => Value::text_map([
            ("kind", kind),
            ("equation", crate::value::equation::value(equation)),
            ("effective_ms", Value::Unsigned(*effective_ms)),
        ]),
        Decision::Expense(expense) => {
            Value::text_map([("kind", kind), ("expense", id_value(expense))])
        }
        Decision::Award { award, nominees } => Value::text_map([
            ("kind", kind),
            ("award", id_value(award)),
            ("candidates", keys_value(nominees.iter().copied())),
        ]),
    }
}

fn poll_value(poll: &Poll) -> Value {
    let result = poll.result.as_ref().map_or(Value::Null, |r| {
        Value::text_map([
            ("index", Value::Unsigned(r.index)),
            ("seed", Value::bytes(r.seed.to_vec())),
            ("turnout_weight", Value::Unsigned(r.turnout_weight)),
            ("quorum_met", Value::Bool(r.quorum_met)),
            ("required", Value::text(r.required.clone())),
            ("support", opt_text(&r.support)),
            (
                "counts",
                Value::Array(r.counts.iter().map(|c| Value::Unsigned(*c)).collect()),
            ),
            ("passed", Value::Bool(r.passed)),
            (
                "winners",
                Value::Array(
                    r.winners
                        .iter()
                        .map(|w| Value::Unsigned(*w as u64))
                        .collect(),
                ),
            ),
            ("effect", opt_text(&r.effect)),
            ("error", opt_text(&r.error)),
        ])
    });
    Value::text_map([
        ("author", key_value(&poll.author)),
        ("index", Value::Unsigned(poll.index)),
        ("title", Value::text(poll.title.clone())),
        ("decision", decision_value(&poll.decision)),
        ("method", Value::text(poll.method.name())),
        ("options", texts(poll.options.iter().cloned())),
        ("seats", Value::Unsigned(u64::from(poll.seats))),
        ("rule", statutes::rule_value(&poll.rule)),
        ("opened_ms", Value::Unsigned(poll.opened_ms)),
        ("closes_ms", Value::Unsigned(poll.closes_ms)),
        (
            "electorate_hash",
            Value::bytes(poll.electorate_hash.to_vec()),
        ),
        ("electorate_weight", Value::Unsigned(poll.electorate_weight)),
        ("n_ballots", Value::Unsigned(poll.ballots.len() as u64)),
        (
            "n_statements",
            Value::Unsigned(poll.statements.len() as u64),
        ),
        ("result", result),
    ])
}

fn round_value(round: &BudgetRound) -> Value {
    let result = round.result.as_ref().map_or(Value::Null, |r| {
        let (spent, leftover) = r
            .outcome
            .as_ref()
            .map_or((0, round.pool), |o| (o.total_spent, o.leftover));
        Value::text_map([
            ("index", Value::Unsigned(r.index)),
            (
                "counted",
                Value::Array(r.counted.iter().map(id_value).collect()),
            ),
            ("spent", Value::Unsigned(spent)),
            ("leftover", Value::Unsigned(leftover)),
            (
                "seed",
                r.outcome
                    .as_ref()
                    .map_or(Value::Null, |o| Value::bytes(o.seed.to_vec())),
            ),
            ("error", opt_text(&r.error)),
        ])
    });
    Value::text_map([
        ("author", key_value(&round.author)),
        ("index", Value::Unsigned(round.index)),
        ("title", Value::text(round.title.clone())),
        ("pool", Value::Unsigned(round.pool)),
        ("currency", Value::text(round.currency.clone())),
        ("model", Value::text(budget::model_name(&round.model))),
        ("rule", Value::text(budget::rule_name(&round.rule))),
        (
            "proposals_close_ms",
            Value::Unsigned(round.proposals_close_ms),
        ),
        ("closes_ms", Value::Unsigned(round.closes_ms)),
        (
            "electorate_hash",
            Value::bytes(round.electorate_hash.to_vec()),
        ),
        (
            "n_electorate",
            Value::Unsigned(round.electorate.len() as u64),
        ),
        (
            "projects",
            Value::Array(round.projects.iter().map(id_value).collect()),
        ),
        ("n_voters", Value::Unsigned(round.ballots.len() as u64)),
        ("result", result),
    ])
}

fn project_value(project: &BudgetProject, authorised: u64) -> Value {
    let status = match &project.status {
        ProjectStatus::Funded { amount } => Value::text_map([("funded", Value::Unsigned(*amount))]),
        ProjectStatus::Excluded { by, reason } | ProjectStatus::Cancelled { by, reason } => {
            Value::text_map([
                (project.status.as_str(), key_value(by)),
                ("reason", Value::text(reason.clone())),
            ])
        }
        other => Value::text(other.as_str()),
    };
    Value::text_map([
        ("round", id_value(&project.round)),
        ("author", key_value(&project.author)),
        ("index", Value::Unsigned(project.index)),
        ("name", Value::text(project.name.clone())),
        ("min_cost", Value::Unsigned(project.min_cost())),
        ("max_cost", Value::Unsigned(project.max_cost())),
        ("n_items", Value::Unsigned(project.items.len() as u64)),
        ("n_flags", Value::Unsigned(project.flags.len() as u64)),
        ("status", status),
        ("authorised", Value::Unsigned(authorised)),
    ])
}
