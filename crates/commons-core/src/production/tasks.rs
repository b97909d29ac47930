//! Tasks: needs anyone may post, traces others leave on them (stigmergy), and claims by
//! which people select themselves for the work.
//!
//! A claim lapses after the area's `claim_ttl_ms` of ledger time without activity by the
//! claimant (a renewed claim, a contribution naming the task, a post in its thread); a
//! lapsed claim no longer blocks anyone. A task closes when an accepted contribution
//! resolves it, or by an area maintainer's decision with a reason.

use super::{
    CLAIMS_PER_KEY_MAX, LABEL_LEN_MAX, LIST_MAX, PLEDGES_PER_TASK_MAX, Pledge, REASON_LEN_MAX,
    SIGNALS_PER_TASK_MAX, Signal, TASKS_MAX, TEXT_LEN_MAX, TITLE_LEN_MAX, Task, TaskStatus,
    area_of, limit_reached, optional_bool, require_area_maintainer, text_list,
};
use crate::body::BodyReader;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::{AuthorKey, EventId};
use std::collections::BTreeSet;

pub const POST: &str = "task.post";
pub const SIGNAL: &str = "task.signal";
pub const PLEDGE: &str = "task.pledge";
pub const CLAIM: &str = "task.claim";
pub const RELEASE: &str = "task.release";
pub const CLOSE: &str = "task.close";

/// Largest effort estimate, in hours.
pub const EFFORT_HOURS_MAX: u64 = 10_000;

pub(crate) fn post(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(POST, input.body)?;
    let (area, _) = area_of(state, &mut reader)?;
    let title = reader.text("title", 1, TITLE_LEN_MAX)?;
    let _description = reader.optional_text("description", 0, TEXT_LEN_MAX)?;
    let labels = text_list(&mut reader, POST, "labels", LIST_MAX, LABEL_LEN_MAX)?;
    let effort_hours = reader.optional_uint("effort_hours")?;
    let chore = optional_bool(&mut reader, POST, "chore")?.unwrap_or(false);
    reader.finish()?;
    if effort_hours.is_some_and(|h| h > EFFORT_HOURS_MAX) {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{POST}: `effort_hours` is at most {EFFORT_HOURS_MAX}"),
        );
    }
    let production = &mut state.production;
    if production.tasks.len() >= TASKS_MAX {
        return limit_reached("tasks in a commons", TASKS_MAX);
    }
    let id = input.event.id;
    production.tasks.insert(
        id,
        Task {
            area,
            author,
            index: input.index,
            time_ms: state.time_ms,
            title,
            labels,
            effort_hours,
            chore,
            needs: BTreeSet::new(),
            interested: BTreeSet::new(),
            pledges: Vec::new(),
            claim: None,
            status: TaskStatus::Open,
            contributions: Vec::new(),
        },
    );
    if let Some(a) = production.areas.get_mut(&area) {
        a.n_tasks += 1;
    }
    production.refresh_board(&id);
    production.log_area(&area, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Task(id));
    applied.touch(RowKey::Area(area));
    Ok(applied)
}

/// Reads the `task` field and finds the task, open or not.
fn task_of(state: &State, reader: &mut BodyReader<'_>) -> Result<EventId, Rejection> {
    let id = reader.event_id("task")?;
    if state.production.tasks.contains_key(&id) {
        Ok(id)
    } else {
        reject(RejectionCode::TaskUnknown, "no task.post has that id")
    }
}

fn open_task<'s>(state: &'s mut State, id: &EventId) -> Result<&'s mut Task, Rejection> {
    match state.production.tasks.get_mut(id) {
        Some(task) if task.is_open() => Ok(task),
        Some(_) => reject(RejectionCode::TaskClosed, "that task is closed"),
        None => reject(RejectionCode::TaskUnknown, "no task.post has that id"),
    }
}

pub(crate) fn signal(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(SIGNAL, input.body)?;
    let id = task_of(state, &mut reader)?;
    let signal = match reader.text("signal", 1, 16)?.as_str() {
        "need" => Signal::Need,
        "interest" => Signal::Interest,
        _ => {
            return reject(
                RejectionCode::BodyInvalid,
                format!("{SIGNAL}: `signal` must be \"need\" or \"interest\""),
            );
        }
    };
    reader.finish()?;
    let task = open_task(state, &id)?;
    let set = match signal {
        Signal::Need => &mut task.needs,
        Signal::Interest => &mut task.interested,
    };
    if set.contains(&author) {
        return reject(
            RejectionCode::AlreadySignalled,
            "you already left this signal on the task",
        );
    }
    if set.len() >= SIGNALS_PER_TASK_MAX {
        return limit_reached("signals of one kind on a task", SIGNALS_PER_TASK_MAX);
    }
    set.insert(author);
    let area = task.area;
    state.production.refresh_board(&id);
    state.production.log_area(&area, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Task(id));
    Ok(applied)
}

/// Longest currency code.
pub const CURRENCY_LEN_MAX: usize = 12;

pub(crate) fn pledge(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(PLEDGE, input.body)?;
    let id = task_of(state, &mut reader)?;
    let amount = reader.uint("amount")?;
    let currency = reader.text("currency", 1, CURRENCY_LEN_MAX)?;
    let _note = reader.optional_text("note", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    if amount == 0 {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{PLEDGE}: `amount` must be positive (in minor units)"),
        );
    }
    if !currency
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{PLEDGE}: `currency` is an upper-case code such as EUR"),
        );
    }
    let index = input.index;
    let task = open_task(state, &id)?;
    if task.pledges.len() >= PLEDGES_PER_TASK_MAX {
        return limit_reached("pledges on a task", PLEDGES_PER_TASK_MAX);
    }
    task.pledges.push(Pledge {
        by: author,
        amount,
        currency,
        index,
    });
    let area = task.area;
    state.production.refresh_board(&id);
    state.production.log_area(&area, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Task(id));
    Ok(applied)
}

pub(crate) fn claim(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(CLAIM, input.body)?;
    let id = task_of(state, &mut reader)?;
    reader.finish()?;
    let now = state.time_ms;
    let ttl = {
        let task = open_task(state, &id)?;
        let area = task.area;
        state
            .production
            .areas
            .get(&area)
            .map_or(super::CLAIM_TTL_DEFAULT_MS, |a| a.claim_ttl_ms)
    };
    let production = &mut state.production;
    let Some(task) = production.tasks.get_mut(&id) else {
        return reject(RejectionCode::TaskUnknown, "no such task");
    };
    let previous = task.claim;
    match task.live_claim(now, ttl) {
        Some(c) if c.by != author => {
            return reject(
                RejectionCode::TaskClaimed,
                "someone else holds a live claim on this task",
            );
        }
        Some(_) => {
            // Renewing one's own claim counts as activity.
            if let Some(c) = task.claim.as_mut() {
                c.last_activity_ms = now;
            }
        }
        None => {
            let held = production.claims_by_key.get(&author).map_or(0, |s| {
                s.iter()
                    .filter(|t| {
                        production
                            .tasks
                            .get(t)
                            .and_then(|t| t.live_claim(now, ttl))
                            .is_some_and(|c| c.by == author)
                    })
                    .count()
            });
            if held >= CLAIMS_PER_KEY_MAX {
                return reject(
                    RejectionCode::ClaimsFull,
                    format!("you already hold {CLAIMS_PER_KEY_MAX} live claims; release one first"),
                );
            }
            if let Some(old) = previous
                && let Some(set) = production.claims_by_key.get_mut(&old.by)
            {
                set.remove(&id);
            }
            let Some(task) = production.tasks.get_mut(&id) else {
                return reject(RejectionCode::TaskUnknown, "no such task");
            };
            task.claim = Some(super::Claim {
                by: author,
                since_ms: now,
                last_activity_ms: now,
            });
            production
                .claims_by_key
                .entry(author)
                .or_default()
                .insert(id);
        }
    }
    let area = state.production.tasks.get(&id).map(|t| t.area);
    state.production.refresh_board(&id);
    if let Some(area) = area {
        state.production.log_area(&area, input.event.id);
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Task(id));
    Ok(applied)
}

pub(crate) fn release(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(RELEASE, input.body)?;
    let id = task_of(state, &mut reader)?;
    reader.finish()?;
    let task = open_task(state, &id)?;
    if task.claim.is_none_or(|c| c.by != author) {
        return reject(
            RejectionCode::NotClaimant,
            "only the claimant releases a claim",
        );
    }
    task.claim = None;
    let area = task.area;
    state.production.refresh_board(&id);
    drop_claim(state, &author, &id);
    state.production.log_area(&area, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Task(id));
    Ok(applied)
}

fn drop_claim(state: &mut State, key: &AuthorKey, task: &EventId) {
    if let Some(set) = state.production.claims_by_key.get_mut(key) {
        set.remove(task);
        if set.is_empty() {
            state.production.claims_by_key.remove(key);
        }
    }
}

pub(crate) fn close(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(CLOSE, input.body)?;
    let id = task_of(state, &mut reader)?;
    let reason = reader.text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    let area = state.production.tasks.get(&id).map(|t| t.area);
    if let Some(area) = area {
        require_area_maintainer(state, &area, &author, "close its tasks")?;
    }
    let time_ms = state.time_ms;
    let task = open_task(state, &id)?;
    task.status = TaskStatus::Closed {
        by: author,
        reason,
        index: input.index,
        time_ms,
    };
    let claimant = task.claim.take().map(|c| c.by);
    let area = task.area;
    state.production.task_closed(&area, &id);
    if let Some(claimant) = claimant {
        drop_claim(state, &claimant, &id);
    }
    state.production.log_area(&area, input.event.id);
    let mut applied = Applied::default();
    applied.touch(RowKey::Task(id));
    Ok(applied)
}

/// Marks activity by `key` on the task (keeps their claim alive).
pub(crate) fn touch_claim(state: &mut State, id: &EventId, key: &AuthorKey) {
    let now = state.time_ms;
    if let Some(task) = state.production.tasks.get_mut(id)
        && let Some(claim) = task.claim.as_mut()
        && claim.by == *key
    {
        claim.last_activity_ms = now;
        state.production.refresh_board(id);
    }
}

/// Closes an open task as resolved by an accepted contribution. Returns whether it was
/// open (and so now counts as done).
pub(crate) fn resolve(
    state: &mut State,
    task_id: &EventId,
    contribution: EventId,
    index: u64,
    applied: &mut Applied,
) -> bool {
    let time_ms = state.time_ms;
    let Some(task) = state.production.tasks.get_mut(task_id) else {
        return false;
    };
    if !task.is_open() {
        return false;
    }
    task.status = TaskStatus::Resolved {
        contribution,
        index,
        time_ms,
    };
    let claimant = task.claim.take().map(|c| c.by);
    let area = task.area;
    state.production.task_closed(&area, task_id);
    if let Some(claimant) = claimant {
        drop_claim(state, &claimant, task_id);
    }
    applied.touch(RowKey::Task(*task_id));
    true
}
