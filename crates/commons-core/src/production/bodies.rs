//! Builders of peer-production event bodies, shared by the CLI, the web UI, the demo and
//! the tests so that every program writes the same schema (docs/events.md).

use super::areas::rule_value;
use super::threads::subject_value;
use super::{Rule, Subject};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, BlobRef, EventId};

fn key(k: &AuthorKey) -> Value {
    Value::bytes(k.to_bytes().to_vec())
}

fn id(id: &EventId) -> Value {
    Value::bytes(id.0.to_vec())
}

fn texts(items: &[String]) -> Value {
    Value::Array(items.iter().map(|t| Value::text(t.clone())).collect())
}

/// Builds a text-keyed map from the fields that are present.
fn map(fields: Vec<(&str, Option<Value>)>) -> Value {
    Value::text_map(fields.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))))
}

/// An `area.create` body.
#[derive(Clone, Debug)]
pub struct NewArea {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub maintainers: Vec<AuthorKey>,
    pub threshold: Option<u64>,
    pub rule: Rule,
    pub chores: Vec<String>,
    pub self_approval: Option<bool>,
    pub claim_ttl_ms: Option<u64>,
}

impl NewArea {
    pub fn body(&self) -> Value {
        map(vec![
            ("slug", Some(Value::text(self.slug.clone()))),
            ("name", Some(Value::text(self.name.clone()))),
            ("description", self.description.clone().map(Value::text)),
            (
                "maintainers",
                Some(Value::Array(self.maintainers.iter().map(key).collect())),
            ),
            ("threshold", self.threshold.map(Value::Unsigned)),
            ("rule", Some(rule_value(&self.rule))),
            (
                "chores",
                (!self.chores.is_empty()).then(|| texts(&self.chores)),
            ),
            ("self_approval", self.self_approval.map(Value::Bool)),
            ("claim_ttl_ms", self.claim_ttl_ms.map(Value::Unsigned)),
        ])
    }
}

/// An `area.nominate` body.
pub fn nominate(area: &str, nominee: &AuthorKey, add: bool, reason: Option<&str>) -> Value {
    map(vec![
        ("area", Some(Value::text(area))),
        ("nominee", Some(key(nominee))),
        (
            "action",
            Some(Value::text(if add { "add" } else { "remove" })),
        ),
        ("reason", reason.map(Value::text)),
    ])
}

/// An `area.approve` body.
pub fn approve_nomination(nomination: &EventId) -> Value {
    Value::text_map([("nomination", id(nomination))])
}

/// An `area.step_down` body.
pub fn step_down(area: &str) -> Value {
    Value::text_map([("area", Value::text(area))])
}

/// A `task.post` body.
#[derive(Clone, Debug, Default)]
pub struct NewTask {
    pub area: String,
    pub title: String,
    pub description: Option<String>,
    pub labels: Vec<String>,
    pub effort_hours: Option<u64>,
    pub chore: bool,
}

impl NewTask {
    pub fn body(&self) -> Value {
        map(vec![
            ("area", Some(Value::text(self.area.clone()))),
            ("title", Some(Value::text(self.title.clone()))),
            ("description", self.description.clone().map(Value::text)),
            (
                "labels",
                (!self.labels.is_empty()).then(|| texts(&self.labels)),
            ),
            ("effort_hours", self.effort_hours.map(Value::Unsigned)),
            ("chore", self.chore.then_some(Value::Bool(true))),
        ])
    }
}

/// A `task.signal` body; `need` is "I need this too", otherwise interest.
pub fn signal(task: &EventId, need: bool) -> Value {
    Value::text_map([
        ("task", id(task)),
        (
            "signal",
            Value::text(if need { "need" } else { "interest" }),
        ),
    ])
}

/// A `task.pledge` body: `amount` in the currency's minor units.
pub fn pledge(task: &EventId, amount: u64, currency: &str, note: Option<&str>) -> Value {
    map(vec![
        ("task", Some(id(task))),
        ("amount", Some(Value::Unsigned(amount))),
        ("currency", Some(Value::text(currency))),
        ("note", note.map(Value::text)),
    ])
}

/// A `task.claim` or `task.release` body.
pub fn task_ref(task: &EventId) -> Value {
    Value::text_map([("task", id(task))])
}

/// A `task.close` body.
pub fn close_task(task: &EventId, reason: &str) -> Value {
    Value::text_map([("task", id(task)), ("reason", Value::text(reason))])
}

/// The artifact change of a revision contribution.
#[derive(Clone, Debug)]
pub struct RevisionSpec {
    pub artifact: Option<EventId>,
    pub base: Option<EventId>,
    /// Name and kind for a new artifact.
    pub name: Option<String>,
    pub artifact_kind: Option<String>,
    pub media_type: String,
    pub blob: BlobRef,
}

/// A `contrib.submit` body.
#[derive(Clone, Debug)]
pub struct NewContribution {
    pub area: String,
    /// "revision", "external" or "care".
    pub kind: String,
    pub title: String,
    pub description: Option<String>,
    pub tasks: Vec<EventId>,
    /// Authors with shares; empty means the submitter alone.
    pub authors: Vec<(AuthorKey, u64)>,
    pub effort_minutes: Option<u64>,
    /// The sponsoring organisation of paid work; `None` declares volunteer work.
    pub sponsor: Option<AuthorKey>,
    pub revision: Option<RevisionSpec>,
    pub evidence: Vec<String>,
    pub checklist: Vec<String>,
}

impl NewContribution {
    pub fn body(&self) -> Value {
        let authors = (!self.authors.is_empty()).then(|| {
            Value::Array(
                self.authors
                    .iter()
                    .map(|(k, share)| {
                        Value::text_map([("key", key(k)), ("share", Value::Unsigned(*share))])
                    })
                    .collect(),
            )
        });
        let revision = self.revision.as_ref().map(|r| {
            map(vec![
                ("artifact", r.artifact.as_ref().map(id)),
                ("base", r.base.as_ref().map(id)),
                ("name", r.name.clone().map(Value::text)),
                ("artifact_kind", r.artifact_kind.clone().map(Value::text)),
                ("media_type", Some(Value::text(r.media_type.clone()))),
                ("blob", Some(r.blob.to_value())),
            ])
        });
        map(vec![
            ("area", Some(Value::text(self.area.clone()))),
            ("kind", Some(Value::text(self.kind.clone()))),
            ("title", Some(Value::text(self.title.clone()))),
            ("description", self.description.clone().map(Value::text)),
            (
                "tasks",
                (!self.tasks.is_empty()).then(|| Value::Array(self.tasks.iter().map(id).collect())),
            ),
            ("authors", authors),
            ("effort_minutes", self.effort_minutes.map(Value::Unsigned)),
            ("paid", Some(Value::Bool(self.sponsor.is_some()))),
            ("sponsor", self.sponsor.as_ref().map(key)),
            ("revision", revision),
            (
                "evidence",
                (!self.evidence.is_empty()).then(|| texts(&self.evidence)),
            ),
            (
                "checklist",
                (!self.checklist.is_empty()).then(|| texts(&self.checklist)),
            ),
        ])
    }
}

/// A `contrib.revise` body.
#[derive(Clone, Debug, Default)]
pub struct ContributionUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    /// A new blob (and media type) for a revision contribution.
    pub blob: Option<(Option<String>, BlobRef)>,
    pub evidence: Option<Vec<String>>,
    pub checklist: Option<Vec<String>>,
    pub effort_minutes: Option<u64>,
}

impl ContributionUpdate {
    pub fn body(&self, contribution: &EventId) -> Value {
        map(vec![
            ("contribution", Some(id(contribution))),
            ("title", self.title.clone().map(Value::text)),
            ("description", self.description.clone().map(Value::text)),
            (
                "revision",
                self.blob.as_ref().map(|(media_type, blob)| {
                    map(vec![
                        ("media_type", media_type.clone().map(Value::text)),
                        ("blob", Some(blob.to_value())),
                    ])
                }),
            ),
            ("evidence", self.evidence.as_deref().map(texts)),
            ("checklist", self.checklist.as_deref().map(texts)),
            ("effort_minutes", self.effort_minutes.map(Value::Unsigned)),
        ])
    }
}

/// A `contrib.withdraw` body.
pub fn withdraw(contribution: &EventId, reason: Option<&str>) -> Value {
    map(vec![
        ("contribution", Some(id(contribution))),
        ("reason", reason.map(Value::text)),
    ])
}

/// A `contrib.review` body; `verdict` is "approve", "changes", "object" or "comment".
pub fn review(contribution: &EventId, verdict: &str, text: Option<&str>) -> Value {
    map(vec![
        ("contribution", Some(id(contribution))),
        ("verdict", Some(Value::text(verdict))),
        ("text", text.map(Value::text)),
    ])
}

/// A `contrib.resolve` body: the objector settles their objection `review`.
pub fn resolve(contribution: &EventId, review: &EventId) -> Value {
    Value::text_map([("contribution", id(contribution)), ("review", id(review))])
}

/// A `contrib.reject` body.
pub fn reject(contribution: &EventId, reason: &str) -> Value {
    Value::text_map([
        ("contribution", id(contribution)),
        ("reason", Value::text(reason)),
    ])
}

/// A `thread.post` body.
pub fn post(on: &Subject, text: &str, reply_to: Option<&EventId>, mentions: &[AuthorKey]) -> Value {
    map(vec![
        ("on", Some(subject_value(on))),
        ("text", Some(Value::text(text))),
        ("reply_to", reply_to.map(id)),
        (
            "mentions",
            (!mentions.is_empty()).then(|| Value::Array(mentions.iter().map(key).collect())),
        ),
    ])
}

/// A `thread.edit` body.
pub fn edit_post(post: &EventId, text: &str, mentions: &[AuthorKey]) -> Value {
    map(vec![
        ("post", Some(id(post))),
        ("text", Some(Value::text(text))),
        (
            "mentions",
            (!mentions.is_empty()).then(|| Value::Array(mentions.iter().map(key).collect())),
        ),
    ])
}

/// A `thread.hide` body.
pub fn hide_post(post: &EventId, reason: &str) -> Value {
    Value::text_map([("post", id(post)), ("reason", Value::text(reason))])
}
