//! Areas (subprojects): each with its own maintainers, validation rule and chores.
//!
//! A commons maintainer creates an area. Its maintainers change by nomination: anyone
//! may nominate someone (themselves included) with the nominee's record in the area on
//! show; the change takes effect when the area's maintainers approve it at the area's
//! threshold, or the commons' maintainers at the commons' threshold. Stepping down is
//! always allowed.

use super::{
    AREA_MAINTAINERS_MAX, AREAS_MAX, Area, CLAIM_TTL_DEFAULT_MS, CLAIM_TTL_MIN_MS,
    ContributionStatus, DURATION_MAX_MS, LABEL_LEN_MAX, LIST_MAX, Nomination, NominationAction,
    NominationStatus, OPEN_NOMINATIONS_MAX, Production, REASON_LEN_MAX, Rule, TEXT_LEN_MAX,
    TITLE_LEN_MAX, WINDOW_MIN_MS, area_of, limit_reached, optional_bool, require_area_maintainer,
    text_list,
};
use crate::body::BodyReader;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};
use std::collections::{BTreeSet, VecDeque};

pub const CREATE: &str = "area.create";
pub const UPDATE: &str = "area.update";
pub const NOMINATE: &str = "area.nominate";
pub const APPROVE: &str = "area.approve";
pub const STEP_DOWN: &str = "area.step_down";

/// Longest area slug, in bytes.
pub const SLUG_LEN_MAX: usize = 48;

fn invalid<T>(kind: &str, message: impl std::fmt::Display) -> Result<T, Rejection> {
    reject(RejectionCode::BodyInvalid, format!("{kind}: {message}"))
}

fn read_rule(kind: &str, value: &Value) -> Result<Rule, Rejection> {
    let mut reader = BodyReader::new(kind, value)?;
    let name = reader.text("kind", 1, 32)?;
    let rule = match name.as_str() {
        "maintainers" => {
            let approvals = reader.uint("approvals")?;
            if approvals == 0 || approvals > AREA_MAINTAINERS_MAX as u64 {
                return invalid(
                    kind,
                    format!("`approvals` must be 1 to {AREA_MAINTAINERS_MAX}"),
                );
            }
            Rule::Maintainers { approvals }
        }
        "lazy" => {
            let window_ms = reader.uint("window_ms")?;
            if !(WINDOW_MIN_MS..=DURATION_MAX_MS).contains(&window_ms) {
                return invalid(
                    kind,
                    format!("`window_ms` must be {WINDOW_MIN_MS} to {DURATION_MAX_MS}"),
                );
            }
            Rule::Lazy { window_ms }
        }
        _ => return invalid(kind, "`rule.kind` must be \"maintainers\" or \"lazy\""),
    };
    reader.finish()?;
    Ok(rule)
}

/// The CBOR form of a rule, as bodies and rows carry it.
pub fn rule_value(rule: &Rule) -> Value {
    match rule {
        Rule::Maintainers { approvals } => Value::text_map([
            ("kind", Value::text("maintainers")),
            ("approvals", Value::Unsigned(*approvals)),
        ]),
        Rule::Lazy { window_ms } => Value::text_map([
            ("kind", Value::text("lazy")),
            ("window_ms", Value::Unsigned(*window_ms)),
        ]),
    }
}

fn check_claim_ttl(kind: &str, ttl: Option<u64>) -> Result<Option<u64>, Rejection> {
    match ttl {
        Some(ttl) if !(CLAIM_TTL_MIN_MS..=DURATION_MAX_MS).contains(&ttl) => invalid(
            kind,
            format!("`claim_ttl_ms` must be {CLAIM_TTL_MIN_MS} to {DURATION_MAX_MS}"),
        ),
        other => Ok(other),
    }
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= SLUG_LEN_MAX
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

pub(crate) fn create(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let mut reader = BodyReader::new(CREATE, input.body)?;
    let slug = reader.text("slug", 1, SLUG_LEN_MAX)?;
    let name = reader.text("name", 1, TITLE_LEN_MAX)?;
    let description = reader
        .optional_text("description", 0, TEXT_LEN_MAX)?
        .unwrap_or_default();
    let maintainers = reader
        .optional_keys("maintainers", AREA_MAINTAINERS_MAX)?
        .unwrap_or_default();
    let threshold = reader.optional_uint("threshold")?.unwrap_or(1);
    let rule = read_rule(CREATE, reader.required("rule")?)?;
    let chores = text_list(&mut reader, CREATE, "chores", LIST_MAX, LABEL_LEN_MAX)?;
    let self_approval = optional_bool(&mut reader, CREATE, "self_approval")?.unwrap_or(false);
    let claim_ttl_ms = check_claim_ttl(CREATE, reader.optional_uint("claim_ttl_ms")?)?
        .unwrap_or(CLAIM_TTL_DEFAULT_MS);
    reader.finish()?;
    if !valid_slug(&slug) {
        return invalid(
            CREATE,
            "`slug` is lower-case letters, digits and inner hyphens",
        );
    }
    if maintainers.is_empty() {
        return invalid(CREATE, "an area needs at least one maintainer");
    }
    if threshold == 0 || threshold > maintainers.len() as u64 {
        return invalid(
            CREATE,
            "`threshold` must be between 1 and the number of maintainers",
        );
    }
    let production = &mut state.production;
    if production.area_slugs.contains_key(&slug) {
        return reject(
            RejectionCode::AreaExists,
            format!("an area `{slug}` already exists"),
        );
    }
    if production.areas.len() >= AREAS_MAX {
        return limit_reached("areas in a commons", AREAS_MAX);
    }
    let id = input.event.id;
    production.area_slugs.insert(slug.clone(), id);
    production.areas.insert(
        id,
        Area {
            slug,
            name,
            description,
            maintainers: maintainers.into_iter().collect(),
            threshold,
            rule,
            chores,
            self_approval,
            claim_ttl_ms,
            index: input.index,
            n_tasks: 0,
            n_contributions: 0,
            feed: VecDeque::new(),
        },
    );
    production.log_area(&id, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Area(id));
    Ok(applied)
}

pub(crate) fn update(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(UPDATE, input.body)?;
    let (id, _) = area_of(state, &mut reader)?;
    let name = reader.optional_text("name", 1, TITLE_LEN_MAX)?;
    let description = reader.optional_text("description", 0, TEXT_LEN_MAX)?;
    let rule = match reader.optional("rule") {
        Some(value) => Some(read_rule(UPDATE, value)?),
        None => None,
    };
    let chores = match reader.optional("chores") {
        Some(_) => Some(text_list(
            &mut reader,
            UPDATE,
            "chores",
            LIST_MAX,
            LABEL_LEN_MAX,
        )?),
        None => None,
    };
    let self_approval = optional_bool(&mut reader, UPDATE, "self_approval")?;
    let claim_ttl_ms = check_claim_ttl(UPDATE, reader.optional_uint("claim_ttl_ms")?)?;
    let threshold = reader.optional_uint("threshold")?;
    reader.finish()?;
    require_area_maintainer(state, &id, &author, "change it")?;
    if threshold == Some(0) || threshold.is_some_and(|t| t > AREA_MAINTAINERS_MAX as u64) {
        return invalid(
            UPDATE,
            format!("`threshold` must be 1 to {AREA_MAINTAINERS_MAX}"),
        );
    }
    let Some(area) = state.production.areas.get_mut(&id) else {
        return reject(RejectionCode::AreaUnknown, "no such area");
    };
    let unchanged = name.is_none()
        && description.is_none()
        && rule.is_none()
        && chores.is_none()
        && self_approval.is_none()
        && claim_ttl_ms.is_none()
        && threshold.is_none();
    if unchanged {
        return invalid(UPDATE, "the update changes nothing");
    }
    if let Some(name) = name {
        area.name = name;
    }
    if let Some(description) = description {
        area.description = description;
    }
    // Pending work must be queued again under a new rule or chores (see requeue_pending).
    let old_rule = (rule.is_some() || chores.is_some()).then_some(area.rule);
    if let Some(rule) = rule {
        area.rule = rule;
    }
    if let Some(chores) = chores {
        area.chores = chores;
    }
    if let Some(self_approval) = self_approval {
        area.self_approval = self_approval;
    }
    if let Some(ttl) = claim_ttl_ms {
        area.claim_ttl_ms = ttl;
    }
    if let Some(threshold) = threshold {
        area.threshold = threshold;
    }
    if let Some(old_rule) = old_rule {
        requeue_pending(&mut state.production, &id, old_rule);
    }
    state.production.log_area(&id, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Area(id));
    Ok(applied)
}

/// Moves the area's pending contributions from the lazy-consensus deadlines of its old
/// rule to those of its new one, so a changed window, or a switch to or from lazy
/// consensus, applies to work already submitted (ticks only look at the queue).
fn requeue_pending(production: &mut Production, area: &EventId, old_rule: Rule) {
    let new_rule = production.areas.get(area).map(|a| a.rule);
    let pending: Vec<(EventId, u64)> = production
        .contributions
        .iter()
        .filter(|(_, c)| c.area == *area && c.status == ContributionStatus::Pending)
        .map(|(id, c)| (*id, c.version_ms))
        .collect();
    for (id, version_ms) in pending {
        if let Rule::Lazy { window_ms } = old_rule {
            production
                .lazy_queue
                .remove(&(version_ms.saturating_add(window_ms), id));
        }
        if let Some(Rule::Lazy { window_ms }) = new_rule {
            production
                .lazy_queue
                .insert((version_ms.saturating_add(window_ms), id));
        }
    }
}

pub(crate) fn nominate(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(NOMINATE, input.body)?;
    let (area_id, area) = area_of(state, &mut reader)?;
    let nominee = reader.key("nominee")?;
    let action = match reader.text("action", 1, 16)?.as_str() {
        "add" => NominationAction::Add,
        "remove" => NominationAction::Remove,
        _ => return invalid(NOMINATE, "`action` must be \"add\" or \"remove\""),
    };
    let reason = reader.optional_text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    let is_maintainer = area.maintainers.contains(&nominee);
    match action {
        NominationAction::Add if is_maintainer => {
            return invalid(NOMINATE, "the nominee already maintains this area");
        }
        NominationAction::Add if area.maintainers.len() >= AREA_MAINTAINERS_MAX => {
            return limit_reached("maintainers of an area", AREA_MAINTAINERS_MAX);
        }
        NominationAction::Remove if !is_maintainer => {
            return invalid(NOMINATE, "the nominee does not maintain this area");
        }
        _ => {}
    }
    if let Err(e) = nominee.check_registrable() {
        return reject(
            RejectionCode::KeyInvalid,
            format!("the nominee key is not valid: {e}"),
        );
    }
    if state.production.n_open_nominations() >= OPEN_NOMINATIONS_MAX {
        return limit_reached("open nominations", OPEN_NOMINATIONS_MAX);
    }
    let record_accepted = state
        .production
        .records
        .get(&nominee)
        .and_then(|r| r.accepted_by_area.get(&area_id))
        .copied()
        .unwrap_or(0);
    let id = input.event.id;
    let mut approvals = BTreeSet::new();
    if state.production.is_area_maintainer(&area_id, &author) || state.is_maintainer(&author) {
        approvals.insert(author);
    }
    state.production.nominations.insert(
        id,
        Nomination {
            area: area_id,
            nominee,
            action,
            nominator: author,
            index: input.index,
            reason,
            record_accepted,
            approvals,
            status: NominationStatus::Open,
        },
    );
    state.production.log_area(&area_id, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Nomination(id));
    take_effect_if_approved(state, &id, input.index, &mut applied);
    Ok(applied)
}

pub(crate) fn approve(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(APPROVE, input.body)?;
    let id = reader.event_id("nomination")?;
    reader.finish()?;
    let Some(nomination) = state.production.nominations.get(&id) else {
        return reject(
            RejectionCode::NominationUnknown,
            "no area.nominate has that id",
        );
    };
    if nomination.status != NominationStatus::Open {
        return reject(
            RejectionCode::NominationClosed,
            "that nomination is no longer open",
        );
    }
    let area = nomination.area;
    if !state.production.is_area_maintainer(&area, &author) && !state.is_maintainer(&author) {
        return reject(
            RejectionCode::NotAreaMaintainer,
            "only the area's maintainers or the commons' maintainers approve a nomination",
        );
    }
    let Some(nomination) = state.production.nominations.get_mut(&id) else {
        return reject(RejectionCode::NominationUnknown, "no such nomination");
    };
    if !nomination.approvals.insert(author) {
        return reject(
            RejectionCode::AlreadyApproved,
            "you already approved this nomination",
        );
    }
    state.production.log_area(&area, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Nomination(id));
    take_effect_if_approved(state, &id, input.index, &mut applied);
    Ok(applied)
}

/// Applies a nomination once the area's maintainers reach the area's threshold or the
/// commons' maintainers reach the commons' threshold.
fn take_effect_if_approved(state: &mut State, id: &EventId, index: u64, applied: &mut Applied) {
    let Some(nomination) = state.production.nominations.get(id) else {
        return;
    };
    let Some(area) = state.production.areas.get(&nomination.area) else {
        return;
    };
    let by_area = nomination
        .approvals
        .iter()
        .filter(|k| area.maintainers.contains(k))
        .count() as u64;
    let by_commons = nomination
        .approvals
        .iter()
        .filter(|k| state.governance.maintainers.contains(k))
        .count() as u64;
    let enough = (!area.maintainers.is_empty() && by_area >= area.nomination_threshold())
        || by_commons >= state.governance.threshold;
    if !enough {
        return;
    }
    let (area_id, nominee, action) = (nomination.area, nomination.nominee, nomination.action);
    change_maintainer(state, &area_id, nominee, action, applied);
    if let Some(nomination) = state.production.nominations.get_mut(id) {
        nomination.status = NominationStatus::Applied(index);
    }
    applied.touch(RowKey::Nomination(*id));
}

/// Adds or removes an area maintainer and makes other open nominations of the same
/// change moot.
fn change_maintainer(
    state: &mut State,
    area_id: &EventId,
    key: AuthorKey,
    action: NominationAction,
    applied: &mut Applied,
) {
    if let Some(area) = state.production.areas.get_mut(area_id) {
        match action {
            NominationAction::Add => area.maintainers.insert(key),
            NominationAction::Remove => area.maintainers.remove(&key),
        };
        applied.touch(RowKey::Area(*area_id));
    }
    for (id, other) in state.production.nominations.iter_mut() {
        if other.area == *area_id && other.nominee == key && other.status == NominationStatus::Open
        {
            other.status = NominationStatus::Moot;
            applied.touch(RowKey::Nomination(*id));
        }
    }
}

pub(crate) fn step_down(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(STEP_DOWN, input.body)?;
    let (id, _) = area_of(state, &mut reader)?;
    let _reason = reader.optional_text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    require_area_maintainer(state, &id, &author, "step down from it")?;
    let mut applied = Applied::default();
    change_maintainer(state, &id, author, NominationAction::Remove, &mut applied);
    state.production.log_area(&id, input.event.id);
    Ok(applied)
}
