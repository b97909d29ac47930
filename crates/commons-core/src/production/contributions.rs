//! Contributions: work anyone submits without asking, validated afterwards.
//!
//! Anyone may review (approve, request changes, object with a reason, comment); only the
//! area's maintainers' reviews decide. Under the `maintainers` rule a contribution is
//! accepted once enough area maintainers approved its current version and no area
//! maintainer's objection is open; under `lazy` it is accepted when the objection window
//! passes in ledger time with none open. Unless the area allows it, a contribution's
//! authors cannot approve it. An area maintainer rejects with a reason. Acceptance
//! resolves the tasks the contribution names, turns a proposed revision into the
//! artifact's current one and credits every author.

use super::tasks::{resolve as resolve_task, touch_claim};
use super::{
    ARTIFACTS_MAX, Artifact, CONTRIBUTION_AUTHORS_MAX, CONTRIBUTION_TASKS_MAX, CONTRIBUTIONS_MAX,
    CONTRIBUTIONS_PER_TASK_MAX, Contribution, ContributionKind, ContributionStatus,
    EVIDENCE_LEN_MAX, LABEL_LEN_MAX, LIST_MAX, Notice, NoticeKind, ProposedRevision,
    REASON_LEN_MAX, REVIEWS_PER_CONTRIBUTION_MAX, REVISIONS_PER_ARTIFACT_MAX, Review, Revision,
    Rule, Subject, TEXT_LEN_MAX, TITLE_LEN_MAX, VERSIONS_PER_CONTRIBUTION_MAX, Verdict, area_of,
    id_list, limit_reached, month_of, optional_bool, require_area_maintainer, text_list,
};
use crate::body::BodyReader;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::{AgentKind, State};
use crate::{Applied, Input};
use commons_ledger::blob::BLOB_BYTES_MAX;
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, BlobRef, EventId};

pub const SUBMIT: &str = "contrib.submit";
pub const REVISE: &str = "contrib.revise";
pub const WITHDRAW: &str = "contrib.withdraw";
pub const REVIEW: &str = "contrib.review";
pub const RESOLVE: &str = "contrib.resolve";
pub const REJECT: &str = "contrib.reject";

/// Largest effort declared on one contribution, in minutes (a year of full days).
pub const EFFORT_MINUTES_MAX: u64 = 365 * 24 * 60;
/// Artifact kinds.
pub const ARTIFACT_KINDS: &[&str] = &["document", "design", "code", "media", "dataset"];
/// Longest media type, in bytes.
pub const MEDIA_TYPE_LEN_MAX: usize = 127;

fn invalid<T>(kind: &str, message: impl std::fmt::Display) -> Result<T, Rejection> {
    reject(RejectionCode::BodyInvalid, format!("{kind}: {message}"))
}

/// The blob a submit or revise body proposes, if it reads as one.
pub(crate) fn blob_of(body: &Value) -> Option<BlobRef> {
    let Value::Map(entries) = body else {
        return None;
    };
    let revision = entries
        .iter()
        .find(|(k, _)| k.as_text() == Some("revision"))
        .map(|(_, v)| v)?;
    let Value::Map(fields) = revision else {
        return None;
    };
    let blob = fields
        .iter()
        .find(|(k, _)| k.as_text() == Some("blob"))
        .map(|(_, v)| v)?;
    BlobRef::from_value(blob).ok()
}

fn read_blob(kind: &str, reader: &mut BodyReader<'_>) -> Result<BlobRef, Rejection> {
    let value = reader.required("blob")?;
    let Ok(blob) = BlobRef::from_value(value) else {
        return invalid(
            kind,
            "`blob` is {alg: \"sha256\" | \"blake3\", hash: bstr(32), size: uint}",
        );
    };
    if blob.size > BLOB_BYTES_MAX {
        return reject(
            RejectionCode::BlobTooLarge,
            format!("a blob holds at most {BLOB_BYTES_MAX} bytes"),
        );
    }
    Ok(blob)
}

fn read_media_type(kind: &str, reader: &mut BodyReader<'_>) -> Result<Option<String>, Rejection> {
    let media_type = reader.optional_text("media_type", 3, MEDIA_TYPE_LEN_MAX)?;
    if let Some(m) = &media_type
        && (!m.contains('/')
            || m.bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control()))
    {
        return invalid(kind, "`media_type` is a type/subtype such as text/markdown");
    }
    Ok(media_type)
}

fn read_revision(
    state: &State,
    area: &EventId,
    value: &Value,
) -> Result<ProposedRevision, Rejection> {
    let kind = "contrib.submit revision";
    let mut reader = BodyReader::new(kind, value)?;
    let artifact = match reader.optional("artifact") {
        Some(_) => Some(reader.event_id("artifact")?),
        None => None,
    };
    let base = match reader.optional("base") {
        Some(_) => Some(reader.event_id("base")?),
        None => None,
    };
    let name = reader.optional_text("name", 1, TITLE_LEN_MAX)?;
    let artifact_kind = reader.optional_text("artifact_kind", 1, 32)?;
    let media_type = read_media_type(kind, &mut reader)?
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let blob = read_blob(kind, &mut reader)?;
    reader.finish()?;
    match artifact {
        Some(id) => {
            let Some(existing) = state.production.artifacts.get(&id) else {
                return reject(RejectionCode::ArtifactUnknown, "no artifact has that id");
            };
            if existing.area != *area {
                return invalid(kind, "the artifact belongs to another area");
            }
            if name.is_some() || artifact_kind.is_some() {
                return invalid(kind, "`name` and `artifact_kind` are for new artifacts");
            }
            if existing.revisions.len() >= REVISIONS_PER_ARTIFACT_MAX {
                return limit_reached("revisions of an artifact", REVISIONS_PER_ARTIFACT_MAX);
            }
            if let Some(base) = base
                && !existing.revisions.iter().any(|r| r.contribution == base)
            {
                return reject(
                    RejectionCode::RevisionUnknown,
                    "`base` is not a revision of that artifact",
                );
            }
        }
        None => {
            if base.is_some() {
                return reject(
                    RejectionCode::RevisionUnknown,
                    "a new artifact has no base revision",
                );
            }
            if name.is_none() {
                return invalid(kind, "a new artifact needs a `name`");
            }
            match &artifact_kind {
                Some(k) if ARTIFACT_KINDS.contains(&k.as_str()) => {}
                _ => {
                    return invalid(
                        kind,
                        format!(
                            "`artifact_kind` must be one of {}",
                            ARTIFACT_KINDS.join(", ")
                        ),
                    );
                }
            }
            if state.production.artifacts.len() >= ARTIFACTS_MAX {
                return limit_reached("artifacts in a commons", ARTIFACTS_MAX);
            }
        }
    }
    Ok(ProposedRevision {
        artifact,
        base,
        name,
        artifact_kind,
        media_type,
        blob,
    })
}

fn read_authors(
    reader: &mut BodyReader<'_>,
    submitter: AuthorKey,
) -> Result<Vec<(AuthorKey, u64)>, Rejection> {
    let Some(value) = reader.optional("authors") else {
        return Ok(vec![(submitter, 1)]);
    };
    let Some(items) = value.as_array() else {
        return invalid(SUBMIT, "`authors` is an array of {key, share}");
    };
    if items.is_empty() || items.len() > CONTRIBUTION_AUTHORS_MAX {
        return invalid(
            SUBMIT,
            format!("`authors` lists 1 to {CONTRIBUTION_AUTHORS_MAX} people"),
        );
    }
    let mut authors: Vec<(AuthorKey, u64)> = Vec::with_capacity(items.len());
    let mut total: u64 = 0;
    for item in items {
        let mut entry = BodyReader::new("contrib.submit author", item)?;
        let key = entry.key("key")?;
        let share = entry.uint("share")?;
        entry.finish()?;
        if share == 0 {
            return invalid(SUBMIT, "every author's `share` is positive");
        }
        if authors.iter().any(|(k, _)| *k == key) {
            return invalid(SUBMIT, "`authors` lists someone twice");
        }
        if let Err(e) = key.check_registrable() {
            return reject(
                RejectionCode::KeyInvalid,
                format!("an author key is not valid: {e}"),
            );
        }
        total = match total.checked_add(share) {
            Some(t) => t,
            None => return invalid(SUBMIT, "the shares overflow"),
        };
        authors.push((key, share));
    }
    // The submitter always comes first: they revise and withdraw.
    match authors.iter().position(|(k, _)| *k == submitter) {
        Some(0) => {}
        Some(i) => {
            let entry = authors.remove(i);
            authors.insert(0, entry);
        }
        None => return invalid(SUBMIT, "the submitter must be one of `authors`"),
    }
    Ok(authors)
}

pub(crate) fn submit(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(SUBMIT, input.body)?;
    let (area_id, area) = area_of(state, &mut reader)?;
    let rule = area.rule;
    let kind_text = reader.text("kind", 1, 16)?;
    let Some(kind) = ContributionKind::parse(&kind_text) else {
        return invalid(SUBMIT, "`kind` is \"revision\", \"external\" or \"care\"");
    };
    let title = reader.text("title", 1, TITLE_LEN_MAX)?;
    let _description = reader.optional_text("description", 0, TEXT_LEN_MAX)?;
    let tasks = id_list(&mut reader, SUBMIT, "tasks", CONTRIBUTION_TASKS_MAX)?;
    let authors = read_authors(&mut reader, author)?;
    let effort_minutes = reader.optional_uint("effort_minutes")?.unwrap_or(0);
    let Some(paid) = optional_bool(&mut reader, SUBMIT, "paid")? else {
        return invalid(
            SUBMIT,
            "`paid` (true or false) declares whether the work was paid",
        );
    };
    let sponsor = reader.optional_key("sponsor")?;
    let revision = match reader.optional("revision") {
        Some(value) => Some(read_revision(state, &area_id, value)?),
        None => None,
    };
    let evidence = text_list(&mut reader, SUBMIT, "evidence", LIST_MAX, EVIDENCE_LEN_MAX)?;
    let checklist = text_list(&mut reader, SUBMIT, "checklist", LIST_MAX, LABEL_LEN_MAX)?;
    reader.finish()?;

    if effort_minutes > EFFORT_MINUTES_MAX {
        return invalid(
            SUBMIT,
            format!("`effort_minutes` is at most {EFFORT_MINUTES_MAX}"),
        );
    }
    match (kind, revision.is_some()) {
        (ContributionKind::Revision, false) => {
            return invalid(SUBMIT, "a revision contribution carries a `revision`");
        }
        (ContributionKind::External | ContributionKind::Care, true) => {
            return invalid(SUBMIT, "only a revision contribution carries a `revision`");
        }
        _ => {}
    }
    if kind == ContributionKind::External && evidence.is_empty() {
        return invalid(
            SUBMIT,
            "work done elsewhere is evidenced by at least one link or hash in `evidence`",
        );
    }
    match (paid, sponsor) {
        (true, None) => {
            return invalid(
                SUBMIT,
                "paid work names its sponsoring organisation in `sponsor`",
            );
        }
        (false, Some(_)) => return invalid(SUBMIT, "volunteer work has no `sponsor`"),
        (true, Some(org)) => {
            let is_organisation = state
                .agents
                .get(&org)
                .is_some_and(|a| a.kind == Some(AgentKind::Organisation));
            if !is_organisation {
                return reject(
                    RejectionCode::SponsorUnknown,
                    "the sponsor must be an agent with a published organisation profile",
                );
            }
        }
        (false, None) => {}
    }
    for task_id in &tasks {
        let Some(task) = state.production.tasks.get(task_id) else {
            return reject(RejectionCode::TaskUnknown, "a named task does not exist");
        };
        if task.area != area_id {
            return invalid(SUBMIT, "a named task belongs to another area");
        }
        if task.contributions.len() >= CONTRIBUTIONS_PER_TASK_MAX {
            return limit_reached("contributions naming one task", CONTRIBUTIONS_PER_TASK_MAX);
        }
    }
    if state.production.contributions.len() >= CONTRIBUTIONS_MAX {
        return limit_reached("contributions in a commons", CONTRIBUTIONS_MAX);
    }

    let id = input.event.id;
    let now = state.time_ms;
    for task_id in &tasks {
        if let Some(task) = state.production.tasks.get_mut(task_id) {
            task.contributions.push(id);
        }
        touch_claim(state, task_id, &author);
    }
    let mut applied = Applied::default();
    for task_id in &tasks {
        applied.touch(RowKey::Task(*task_id));
    }
    let production = &mut state.production;
    for (key, _) in &authors {
        production
            .records
            .entry(*key)
            .or_default()
            .contributions
            .push(id);
        applied.touch(RowKey::Record(*key));
    }
    if let Rule::Lazy { window_ms } = rule {
        production
            .lazy_queue
            .insert((now.saturating_add(window_ms), id));
    }
    if let Some(a) = production.areas.get_mut(&area_id) {
        a.n_contributions += 1;
    }
    production.contribution_order.push(id);
    production.contributions.insert(
        id,
        Contribution {
            area: area_id,
            author,
            index: input.index,
            submitted_ms: now,
            kind,
            title,
            tasks,
            authors,
            effort_minutes,
            sponsor,
            version: 1,
            version_id: id,
            version_ms: now,
            revision,
            evidence,
            checklist,
            reviews: Vec::new(),
            status: ContributionStatus::Pending,
        },
    );
    production.log_area(&area_id, input.event.id);
    applied.touch(RowKey::Contribution(id));
    applied.touch(RowKey::Area(area_id));
    Ok(applied)
}

/// Reads the `contribution` field and checks the contribution is still pending.
fn pending_of(
    state: &State,
    reader: &mut BodyReader<'_>,
    allow_closed: bool,
) -> Result<EventId, Rejection> {
    let id = reader.event_id("contribution")?;
    let Some(contribution) = state.production.contributions.get(&id) else {
        return reject(
            RejectionCode::ContributionUnknown,
            "no contrib.submit has that id",
        );
    };
    match contribution.status {
        ContributionStatus::Pending => Ok(id),
        ContributionStatus::Withdrawn { .. } => reject(
            RejectionCode::ContributionWithdrawn,
            "that contribution was withdrawn",
        ),
        _ if allow_closed => Ok(id),
        _ => reject(
            RejectionCode::ContributionClosed,
            "that contribution was already decided",
        ),
    }
}

fn contribution_mut<'s>(
    state: &'s mut State,
    id: &EventId,
) -> Result<&'s mut Contribution, Rejection> {
    match state.production.contributions.get_mut(id) {
        Some(c) => Ok(c),
        None => reject(RejectionCode::ContributionUnknown, "no such contribution"),
    }
}

pub(crate) fn revise(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(REVISE, input.body)?;
    let id = pending_of(state, &mut reader, false)?;
    let title = reader.optional_text("title", 1, TITLE_LEN_MAX)?;
    let description = reader.optional_text("description", 0, TEXT_LEN_MAX)?;
    let revision = match reader.optional("revision") {
        Some(value) => {
            let mut sub = BodyReader::new("contrib.revise revision", value)?;
            let media_type = read_media_type(REVISE, &mut sub)?;
            let blob = read_blob(REVISE, &mut sub)?;
            sub.finish()?;
            Some((media_type, blob))
        }
        None => None,
    };
    let evidence = match reader.optional("evidence") {
        Some(_) => Some(text_list(
            &mut reader,
            REVISE,
            "evidence",
            LIST_MAX,
            EVIDENCE_LEN_MAX,
        )?),
        None => None,
    };
    let checklist = match reader.optional("checklist") {
        Some(_) => Some(text_list(
            &mut reader,
            REVISE,
            "checklist",
            LIST_MAX,
            LABEL_LEN_MAX,
        )?),
        None => None,
    };
    let effort_minutes = reader.optional_uint("effort_minutes")?;
    reader.finish()?;
    if effort_minutes.is_some_and(|e| e > EFFORT_MINUTES_MAX) {
        return invalid(
            REVISE,
            format!("`effort_minutes` is at most {EFFORT_MINUTES_MAX}"),
        );
    }
    let nothing = title.is_none()
        && description.is_none()
        && revision.is_none()
        && evidence.is_none()
        && checklist.is_none()
        && effort_minutes.is_none();
    if nothing {
        return invalid(REVISE, "the new version changes nothing");
    }
    let now = state.time_ms;
    let area = state.production.contributions.get(&id).map(|c| c.area);
    let rule = area
        .and_then(|a| state.production.areas.get(&a))
        .map(|a| a.rule);
    let contribution = contribution_mut(state, &id)?;
    if contribution.author != author {
        return reject(
            RejectionCode::NotAuthor,
            "only the submitter revises a contribution",
        );
    }
    if contribution.version >= VERSIONS_PER_CONTRIBUTION_MAX {
        return limit_reached(
            "versions of a contribution",
            VERSIONS_PER_CONTRIBUTION_MAX as usize,
        );
    }
    if let Some((media_type, blob)) = revision {
        let Some(proposed) = contribution.revision.as_mut() else {
            return invalid(REVISE, "only a revision contribution carries a `revision`");
        };
        proposed.blob = blob;
        if let Some(media_type) = media_type {
            proposed.media_type = media_type;
        }
    }
    if let Some(title) = title {
        contribution.title = title;
    }
    if let Some(evidence) = evidence {
        if contribution.kind == ContributionKind::External && evidence.is_empty() {
            return invalid(
                REVISE,
                "work done elsewhere keeps at least one evidence item",
            );
        }
        contribution.evidence = evidence;
    }
    if let Some(checklist) = checklist {
        contribution.checklist = checklist;
    }
    if let Some(effort) = effort_minutes {
        contribution.effort_minutes = effort;
    }
    let old_deadline = contribution.version_ms;
    contribution.version += 1;
    contribution.version_id = input.event.id;
    contribution.version_ms = now;
    let tasks = contribution.tasks.clone();
    let area = contribution.area;
    if let Some(Rule::Lazy { window_ms }) = rule {
        let queue = &mut state.production.lazy_queue;
        queue.remove(&(old_deadline.saturating_add(window_ms), id));
        queue.insert((now.saturating_add(window_ms), id));
    }
    for task in &tasks {
        touch_claim(state, task, &author);
    }
    state.production.log_area(&area, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Contribution(id));
    for task in tasks {
        applied.touch(RowKey::Task(task));
    }
    Ok(applied)
}

pub(crate) fn withdraw(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(WITHDRAW, input.body)?;
    let id = pending_of(state, &mut reader, false)?;
    let _reason = reader.optional_text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    let now = state.time_ms;
    let contribution = contribution_mut(state, &id)?;
    if contribution.author != author {
        return reject(
            RejectionCode::NotAuthor,
            "only the submitter withdraws a contribution",
        );
    }
    contribution.status = ContributionStatus::Withdrawn {
        index: input.index,
        time_ms: now,
    };
    let authors: Vec<AuthorKey> = contribution.authors.iter().map(|(k, _)| *k).collect();
    let area = contribution.area;
    let version_ms = contribution.version_ms;
    dequeue(state, &id, &area, version_ms);
    let mut applied = Applied::default();
    for key in authors {
        state.production.records.entry(key).or_default().withdrawn += 1;
        applied.touch(RowKey::Record(key));
    }
    state.production.log_area(&area, input.event.id);
    applied.touch(RowKey::Contribution(id));
    Ok(applied)
}

fn dequeue(state: &mut State, id: &EventId, area: &EventId, version_ms: u64) {
    if let Some(Rule::Lazy { window_ms }) = state.production.areas.get(area).map(|a| a.rule) {
        state
            .production
            .lazy_queue
            .remove(&(version_ms.saturating_add(window_ms), *id));
    }
}

pub(crate) fn review(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let reviewer = input.event.header.author;
    let mut reader = BodyReader::new(REVIEW, input.body)?;
    let id = reader.event_id("contribution")?;
    let verdict_text = reader.text("verdict", 1, 16)?;
    let text = reader.optional_text("text", 1, TEXT_LEN_MAX)?;
    reader.finish()?;
    let Some(verdict) = Verdict::parse(&verdict_text) else {
        return invalid(
            REVIEW,
            "`verdict` is \"approve\", \"changes\", \"object\" or \"comment\"",
        );
    };
    if matches!(verdict, Verdict::Object | Verdict::RequestChanges) && text.is_none() {
        return invalid(
            REVIEW,
            "an objection or a change request gives its reason in `text`",
        );
    }
    // Comments stay open after a decision; verdicts do not.
    let mut probe = BodyReader::new(REVIEW, input.body)?.allow_unknown_fields();
    pending_of(state, &mut probe, verdict == Verdict::Comment)?;
    let Some(contribution) = state.production.contributions.get(&id) else {
        return reject(RejectionCode::ContributionUnknown, "no such contribution");
    };
    let area_id = contribution.area;
    let Some(area) = state.production.areas.get(&area_id) else {
        return reject(
            RejectionCode::AreaUnknown,
            "the contribution's area is gone",
        );
    };
    let is_maintainer = area.maintainers.contains(&reviewer);
    if verdict == Verdict::Approve {
        if contribution.is_author(&reviewer) && !area.self_approval {
            return reject(
                RejectionCode::SelfApprovalForbidden,
                "in this area an author cannot approve their own contribution",
            );
        }
        if is_maintainer && let Some(missing) = missing_chore(area, contribution) {
            return reject(
                RejectionCode::ChecklistIncomplete,
                format!("the area requires the chore `{missing}` to be done first"),
            );
        }
    }
    if contribution.reviews.len() >= REVIEWS_PER_CONTRIBUTION_MAX {
        return limit_reached("reviews of a contribution", REVIEWS_PER_CONTRIBUTION_MAX);
    }
    let submitter = contribution.author;
    let version = contribution.version;
    let now = state.time_ms;
    let contribution = contribution_mut(state, &id)?;
    if verdict == Verdict::Approve {
        // Approving settles one's own open objections.
        for earlier in contribution.reviews.iter_mut() {
            if earlier.reviewer == reviewer
                && earlier.verdict == Verdict::Object
                && earlier.resolved.is_none()
            {
                earlier.resolved = Some(input.index);
            }
        }
    }
    contribution.reviews.push(Review {
        id: input.event.id,
        reviewer,
        verdict,
        version,
        index: input.index,
        time_ms: now,
        resolved: None,
    });
    let record = state.production.records.entry(reviewer).or_default();
    record.reviews_given += 1;
    if is_maintainer {
        record.reviews_as_maintainer += 1;
    }
    state.production.notify(
        submitter,
        Notice {
            kind: NoticeKind::Review,
            index: input.index,
            event: input.event.id,
            subject: Subject::Contribution(id),
            by: reviewer,
        },
    );
    state.production.log_area(&area_id, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Contribution(id));
    applied.touch(RowKey::Record(reviewer));
    try_accept(
        state,
        &id,
        input.index,
        input.event.header.author,
        &mut applied,
    );
    Ok(applied)
}

pub(crate) fn resolve(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(RESOLVE, input.body)?;
    let id = pending_of(state, &mut reader, false)?;
    let review_id = reader.event_id("review")?;
    reader.finish()?;
    let area = state.production.contributions.get(&id).map(|c| c.area);
    let contribution = contribution_mut(state, &id)?;
    let Some(review) = contribution.reviews.iter_mut().find(|r| r.id == review_id) else {
        return reject(
            RejectionCode::ReviewUnknown,
            "no review of this contribution has that id",
        );
    };
    if review.verdict != Verdict::Object || review.resolved.is_some() {
        return reject(
            RejectionCode::ReviewUnknown,
            "that review is not an open objection",
        );
    }
    if review.reviewer != author {
        return reject(
            RejectionCode::NotAuthor,
            "only the objector resolves their objection",
        );
    }
    review.resolved = Some(input.index);
    if let Some(area) = area {
        state.production.log_area(&area, input.event.id);
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Contribution(id));
    try_accept(
        state,
        &id,
        input.index,
        input.event.header.author,
        &mut applied,
    );
    Ok(applied)
}

pub(crate) fn reject_contribution(
    state: &mut State,
    input: &Input<'_>,
) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(REJECT, input.body)?;
    let id = pending_of(state, &mut reader, false)?;
    let reason = reader.text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    let Some(contribution) = state.production.contributions.get(&id) else {
        return reject(RejectionCode::ContributionUnknown, "no such contribution");
    };
    let area = contribution.area;
    require_area_maintainer(state, &area, &author, "reject its contributions")?;
    let now = state.time_ms;
    let contribution = contribution_mut(state, &id)?;
    contribution.status = ContributionStatus::Rejected {
        by: author,
        reason,
        index: input.index,
        time_ms: now,
    };
    let submitted_ms = contribution.submitted_ms;
    let version_ms = contribution.version_ms;
    let authors: Vec<AuthorKey> = contribution.authors.iter().map(|(k, _)| *k).collect();
    dequeue(state, &id, &area, version_ms);
    let production = &mut state.production;
    *production
        .tallies
        .decision_ms
        .entry(now.saturating_sub(submitted_ms))
        .or_default() += 1;
    let mut applied = Applied::default();
    for key in authors {
        production.records.entry(key).or_default().rejected += 1;
        production.notify(
            key,
            Notice {
                kind: NoticeKind::Decision,
                index: input.index,
                event: input.event.id,
                subject: Subject::Contribution(id),
                by: author,
            },
        );
        applied.touch(RowKey::Record(key));
    }
    production.log_area(&area, input.event.id);
    applied.touch(RowKey::Contribution(id));
    Ok(applied)
}

/// The first chore the area requires that the contribution's checklist lacks.
fn missing_chore<'a>(area: &'a super::Area, contribution: &Contribution) -> Option<&'a str> {
    area.chores
        .iter()
        .find(|c| !contribution.checklist.contains(c))
        .map(String::as_str)
}

/// Whether a review counts towards the area's decision now: an area maintainer's
/// approval of the current version (not of their own work unless the area allows it), or
/// an area maintainer's open objection. Pages show the same answer `meets_rule` uses.
pub fn review_counts(area: &super::Area, contribution: &Contribution, review: &Review) -> bool {
    area.maintainers.contains(&review.reviewer)
        && match review.verdict {
            Verdict::Approve => {
                review.version == contribution.version
                    && (area.self_approval || !contribution.is_author(&review.reviewer))
            }
            Verdict::Object => review.resolved.is_none(),
            Verdict::RequestChanges | Verdict::Comment => false,
        }
}

/// Whether the contribution meets its area's rule now.
pub fn meets_rule(state: &State, contribution: &Contribution) -> bool {
    if contribution.status != ContributionStatus::Pending {
        return false;
    }
    let Some(area) = state.production.areas.get(&contribution.area) else {
        return false;
    };
    if missing_chore(area, contribution).is_some() {
        return false;
    }
    let objection_open = contribution
        .reviews
        .iter()
        .any(|r| r.verdict == Verdict::Object && review_counts(area, contribution, r));
    if objection_open {
        return false;
    }
    match area.rule {
        Rule::Maintainers { approvals } => {
            let mut approvers: Vec<&AuthorKey> = contribution
                .reviews
                .iter()
                .filter(|r| r.verdict == Verdict::Approve && review_counts(area, contribution, r))
                .map(|r| &r.reviewer)
                .collect();
            approvers.sort();
            approvers.dedup();
            approvers.len() as u64 >= approvals
        }
        Rule::Lazy { window_ms } => {
            state.time_ms >= contribution.version_ms.saturating_add(window_ms)
        }
    }
}

/// Accepts the contribution if its area's rule is met.
fn try_accept(state: &mut State, id: &EventId, index: u64, by: AuthorKey, applied: &mut Applied) {
    let Some(contribution) = state.production.contributions.get(id) else {
        return;
    };
    if !meets_rule(state, contribution) {
        return;
    }
    accept(state, id, index, by, applied);
}

fn accept(state: &mut State, id: &EventId, index: u64, by: AuthorKey, applied: &mut Applied) {
    let now = state.time_ms;
    let Some(contribution) = state.production.contributions.get_mut(id) else {
        return;
    };
    contribution.status = ContributionStatus::Accepted {
        index,
        time_ms: now,
    };
    let c = contribution.clone();
    dequeue(state, id, &c.area, c.version_ms);
    applied.touch(RowKey::Contribution(*id));

    // Tasks it resolves.
    let mut resolved = 0u64;
    let mut chores = 0u64;
    for task_id in &c.tasks {
        if resolve_task(state, task_id, *id, index, applied) {
            resolved += 1;
            if state.production.tasks.get(task_id).is_some_and(|t| t.chore) {
                chores += 1;
            }
        }
    }

    // The artifact revision it proposed.
    if let Some(proposed) = &c.revision {
        let revision = Revision {
            contribution: *id,
            blob: proposed.blob,
            media_type: proposed.media_type.clone(),
            authors: c.authors.iter().map(|(k, _)| *k).collect(),
            base: proposed.base,
            index,
            time_ms: now,
        };
        let artifact_id = proposed.artifact.unwrap_or(*id);
        let artifacts = &mut state.production.artifacts;
        match artifacts.get_mut(&artifact_id) {
            Some(artifact) => artifact.revisions.push(revision),
            None => {
                artifacts.insert(
                    artifact_id,
                    Artifact {
                        area: c.area,
                        name: proposed.name.clone().unwrap_or_else(|| c.title.clone()),
                        kind: proposed
                            .artifact_kind
                            .clone()
                            .unwrap_or_else(|| "document".to_owned()),
                        revisions: vec![revision],
                    },
                );
            }
        }
        applied.touch(RowKey::Artifact(artifact_id));
    }

    // Credit: effort split by share (exact; the remainder goes to the submitter).
    let efforts = c.effort_by_author();
    let month = month_of(now);
    let production = &mut state.production;
    for (key, effort) in &efforts {
        let record = production.records.entry(*key).or_default();
        record.accepted += 1;
        *record.accepted_by_area.entry(c.area).or_default() += 1;
        record.effort_minutes += *effort;
        if c.is_paid() {
            record.accepted_paid += 1;
        } else {
            record.accepted_volunteer += 1;
        }
        record.tasks_done += resolved;
        record.chores_done += chores;
        if chores > 0 {
            *production.tallies.chores_by_author.entry(*key).or_default() += chores;
        }
        production
            .tallies
            .contributors_by_month
            .entry(month)
            .or_default()
            .insert(*key);
        production.notify(
            *key,
            Notice {
                kind: NoticeKind::Decision,
                index,
                event: *id,
                subject: Subject::Contribution(*id),
                by,
            },
        );
        applied.touch(RowKey::Record(*key));
    }
    production.tallies.chores_resolved += chores;
    *production
        .tallies
        .decision_ms
        .entry(now.saturating_sub(c.submitted_ms))
        .or_default() += 1;
    *production
        .tallies
        .accepted_by_sponsor
        .entry(c.sponsor)
        .or_default() += 1;
}

/// Accepts the lazy-consensus contributions whose window has closed by now.
pub(crate) fn close_windows(state: &mut State, input: &Input<'_>, applied: &mut Applied) {
    let (index, input_id) = (input.index, input.event.id);
    let now = state.time_ms;
    while let Some(&(deadline, id)) = state.production.lazy_queue.first() {
        if deadline > now {
            break;
        }
        state.production.lazy_queue.pop_first();
        let sequencer = state.governance.sequencer;
        try_accept(state, &id, index, sequencer, applied);
        if let Some(area) = state.production.contributions.get(&id).map(|c| c.area) {
            state.production.log_area(&area, input_id);
        }
    }
}
