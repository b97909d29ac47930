//! Projection rows of peer production. Rows hold what other programs query (statuses,
//! titles, who did what, counts); long texts stay in the events, and sets that can grow
//! to thousands (signals, a record's contribution list) appear as counts.

use super::areas::rule_value;
use super::threads::subject_value;
use super::{
    Area, Artifact, Contribution, ContributionStatus, Nomination, NominationStatus, Post, Record,
    Revision, Task, TaskStatus,
};
use crate::projection::{RowKey, key_value, keys_value, opt_text};
use crate::state::State;
use commons_ledger::EventId;
use commons_ledger::cbor::Value;

pub(crate) fn keys(state: &State, keys: &mut Vec<RowKey>) {
    let p = &state.production;
    keys.extend(p.areas.keys().map(|id| RowKey::Area(*id)));
    keys.extend(p.nominations.keys().map(|id| RowKey::Nomination(*id)));
    keys.extend(p.tasks.keys().map(|id| RowKey::Task(*id)));
    keys.extend(p.contributions.keys().map(|id| RowKey::Contribution(*id)));
    keys.extend(p.artifacts.keys().map(|id| RowKey::Artifact(*id)));
    keys.extend(p.posts.keys().map(|id| RowKey::Post(*id)));
    keys.extend(p.records.keys().map(|k| RowKey::Record(*k)));
}

pub(crate) fn value(state: &State, key: &RowKey) -> Option<Value> {
    let p = &state.production;
    match key {
        RowKey::Area(id) => p.areas.get(id).map(area_value),
        RowKey::Nomination(id) => p.nominations.get(id).map(nomination_value),
        RowKey::Task(id) => p.tasks.get(id).map(task_value),
        RowKey::Contribution(id) => p.contributions.get(id).map(contribution_value),
        RowKey::Artifact(id) => p.artifacts.get(id).map(artifact_value),
        RowKey::Post(id) => p.posts.get(id).map(post_value),
        RowKey::Record(k) => p.records.get(k).map(record_value),
        _ => None,
    }
}

fn id_value(id: &EventId) -> Value {
    Value::bytes(id.0.to_vec())
}

fn ids_value<'a>(ids: impl IntoIterator<Item = &'a EventId>) -> Value {
    Value::Array(ids.into_iter().map(id_value).collect())
}

fn texts_value(texts: &[String]) -> Value {
    Value::Array(texts.iter().map(|t| Value::text(t.clone())).collect())
}

fn uint(n: u64) -> Value {
    Value::Unsigned(n)
}

fn area_value(area: &Area) -> Value {
    Value::text_map([
        ("slug", Value::text(area.slug.clone())),
        ("name", Value::text(area.name.clone())),
        ("description", Value::text(area.description.clone())),
        ("maintainers", keys_value(area.maintainers.iter().copied())),
        ("threshold", uint(area.threshold)),
        ("rule", rule_value(&area.rule)),
        ("chores", texts_value(&area.chores)),
        ("self_approval", Value::Bool(area.self_approval)),
        ("claim_ttl_ms", uint(area.claim_ttl_ms)),
        ("index", uint(area.index)),
        ("tasks", uint(area.n_tasks)),
        ("contributions", uint(area.n_contributions)),
    ])
}

fn nomination_value(n: &Nomination) -> Value {
    let status = match n.status {
        NominationStatus::Open => Value::text("open"),
        NominationStatus::Applied(index) => Value::text_map([("applied", uint(index))]),
        NominationStatus::Moot => Value::text("moot"),
    };
    Value::text_map([
        ("area", id_value(&n.area)),
        ("nominee", key_value(&n.nominee)),
        ("action", Value::text(n.action.as_str())),
        ("nominator", key_value(&n.nominator)),
        ("index", uint(n.index)),
        ("reason", opt_text(&n.reason)),
        ("record_accepted", uint(n.record_accepted)),
        ("approvals", keys_value(n.approvals.iter().copied())),
        ("status", status),
    ])
}

fn task_value(task: &Task) -> Value {
    let claim = task.claim.map_or(Value::Null, |c| {
        Value::text_map([
            ("by", key_value(&c.by)),
            ("since_ms", uint(c.since_ms)),
            ("last_activity_ms", uint(c.last_activity_ms)),
        ])
    });
    let status = match &task.status {
        TaskStatus::Open => Value::text("open"),
        TaskStatus::Resolved {
            contribution,
            index,
            time_ms,
        } => Value::text_map([
            ("resolved_by", id_value(contribution)),
            ("index", uint(*index)),
            ("time_ms", uint(*time_ms)),
        ]),
        TaskStatus::Closed {
            by,
            reason,
            index,
            time_ms,
        } => Value::text_map([
            ("closed_by", key_value(by)),
            ("reason", Value::text(reason.clone())),
            ("index", uint(*index)),
            ("time_ms", uint(*time_ms)),
        ]),
    };
    let pledges = Value::Array(
        task.pledges
            .iter()
            .map(|p| {
                Value::text_map([
                    ("by", key_value(&p.by)),
                    ("amount", uint(p.amount)),
                    ("currency", Value::text(p.currency.clone())),
                    ("index", uint(p.index)),
                ])
            })
            .collect(),
    );
    Value::text_map([
        ("area", id_value(&task.area)),
        ("author", key_value(&task.author)),
        ("index", uint(task.index)),
        ("time_ms", uint(task.time_ms)),
        ("title", Value::text(task.title.clone())),
        ("labels", texts_value(&task.labels)),
        ("effort_hours", task.effort_hours.map_or(Value::Null, uint)),
        ("chore", Value::Bool(task.chore)),
        ("needs", uint(task.needs.len() as u64)),
        ("interested", uint(task.interested.len() as u64)),
        ("pledges", pledges),
        ("claim", claim),
        ("status", status),
        ("contributions", uint(task.contributions.len() as u64)),
    ])
}

fn contribution_value(c: &Contribution) -> Value {
    let revision = c.revision.as_ref().map_or(Value::Null, |r| {
        Value::text_map([
            (
                "artifact",
                r.artifact.as_ref().map_or(Value::Null, id_value),
            ),
            ("base", r.base.as_ref().map_or(Value::Null, id_value)),
            ("name", opt_text(&r.name)),
            ("artifact_kind", opt_text(&r.artifact_kind)),
            ("media_type", Value::text(r.media_type.clone())),
            ("blob", r.blob.to_value()),
        ])
    });
    let reviews = Value::Array(
        c.reviews
            .iter()
            .map(|r| {
                Value::text_map([
                    ("id", id_value(&r.id)),
                    ("reviewer", key_value(&r.reviewer)),
                    ("verdict", Value::text(r.verdict.as_str())),
                    ("version", uint(u64::from(r.version))),
                    ("index", uint(r.index)),
                    ("resolved", r.resolved.map_or(Value::Null, uint)),
                ])
            })
            .collect(),
    );
    let status = match &c.status {
        ContributionStatus::Pending => Value::text("pending"),
        ContributionStatus::Accepted { index, time_ms } => {
            Value::text_map([("accepted", uint(*index)), ("time_ms", uint(*time_ms))])
        }
        ContributionStatus::Rejected {
            by,
            reason,
            index,
            time_ms,
        } => Value::text_map([
            ("rejected", uint(*index)),
            ("by", key_value(by)),
            ("reason", Value::text(reason.clone())),
            ("time_ms", uint(*time_ms)),
        ]),
        ContributionStatus::Withdrawn { index, time_ms } => {
            Value::text_map([("withdrawn", uint(*index)), ("time_ms", uint(*time_ms))])
        }
    };
    let authors = Value::Array(
        c.authors
            .iter()
            .map(|(k, share)| Value::text_map([("key", key_value(k)), ("share", uint(*share))]))
            .collect(),
    );
    Value::text_map([
        ("area", id_value(&c.area)),
        ("author", key_value(&c.author)),
        ("index", uint(c.index)),
        ("submitted_ms", uint(c.submitted_ms)),
        ("kind", Value::text(c.kind.as_str())),
        ("title", Value::text(c.title.clone())),
        ("tasks", ids_value(&c.tasks)),
        ("authors", authors),
        ("effort_minutes", uint(c.effort_minutes)),
        ("sponsor", c.sponsor.as_ref().map_or(Value::Null, key_value)),
        ("version", uint(u64::from(c.version))),
        ("version_id", id_value(&c.version_id)),
        ("version_ms", uint(c.version_ms)),
        ("revision", revision),
        ("evidence", texts_value(&c.evidence)),
        ("checklist", texts_value(&c.checklist)),
        ("reviews", reviews),
        ("status", status),
    ])
}

fn revision_value(r: &Revision) -> Value {
    Value::text_map([
        ("contribution", id_value(&r.contribution)),
        ("blob", r.blob.to_value()),
        ("media_type", Value::text(r.media_type.clone())),
        ("authors", keys_value(r.authors.iter().copied())),
        ("base", r.base.as_ref().map_or(Value::Null, id_value)),
        ("index", uint(r.index)),
        ("time_ms", uint(r.time_ms)),
    ])
}

fn artifact_value(a: &Artifact) -> Value {
    Value::text_map([
        ("area", id_value(&a.area)),
        ("name", Value::text(a.name.clone())),
        ("kind", Value::text(a.kind.clone())),
        ("revisions", uint(a.revisions.len() as u64)),
        (
            "current",
            a.revisions.last().map_or(Value::Null, revision_value),
        ),
    ])
}

fn post_value(p: &Post) -> Value {
    let hidden = p.hidden.as_ref().map_or(Value::Null, |h| {
        Value::text_map([
            ("by", key_value(&h.by)),
            ("reason", Value::text(h.reason.clone())),
            ("index", uint(h.index)),
        ])
    });
    Value::text_map([
        ("on", subject_value(&p.subject)),
        ("author", key_value(&p.author)),
        ("index", uint(p.index)),
        ("time_ms", uint(p.time_ms)),
        (
            "reply_to",
            p.reply_to.as_ref().map_or(Value::Null, id_value),
        ),
        ("version", uint(u64::from(p.version))),
        ("latest", id_value(&p.latest)),
        ("hidden", hidden),
    ])
}

fn record_value(r: &Record) -> Value {
    Value::text_map([
        ("contributions", uint(r.contributions.len() as u64)),
        ("accepted", uint(r.accepted)),
        ("rejected", uint(r.rejected)),
        ("withdrawn", uint(r.withdrawn)),
        ("reviews_given", uint(r.reviews_given)),
        ("reviews_as_maintainer", uint(r.reviews_as_maintainer)),
        ("tasks_done", uint(r.tasks_done)),
        ("chores_done", uint(r.chores_done)),
        ("effort_minutes", uint(r.effort_minutes)),
        ("accepted_paid", uint(r.accepted_paid)),
        ("accepted_volunteer", uint(r.accepted_volunteer)),
    ])
}
