//! Views over the folded state: the task board and its ranking, a person's record and
//! the statistics of a commons. Pure functions, so the node can answer them from its
//! in-memory state and anyone folding the ledger gets the same answers.

use super::{BoardItem, Record, Task};
use crate::state::State;
use commons_ledger::{AuthorKey, EventId};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// Points each trace on a task adds to its rank. Shown on the board as the explanation.
pub const POINTS_PER_NEED: u64 = 3;
pub const POINTS_PER_INTEREST: u64 = 2;
pub const POINTS_PER_PLEDGE: u64 = 5;
pub const POINTS_PER_DAY: u64 = 1;
pub const AGE_DAYS_COUNTED_MAX: u64 = 30;
pub const POINTS_FOR_CHORE: u64 = 5;
/// How deep a board may be paged.
pub const BOARD_DEPTH_MAX: usize = 10_000;

/// The ranking rule in words, for the board page and the API.
pub const RANKING_EXPLAINED: &str = "Open tasks are ranked by the traces people leave on them: \
each \"I need this too\" adds 3 points, each interested person 2, each bounty pledge 5, each \
day the task has been open 1 (up to 30), and chores get 5 more because they are the work \
people pick least. Ties go to the older task. Tasks with a live claim are shown apart.";

/// Which tasks a board shows.
#[derive(Clone, Debug, Default)]
pub struct BoardQuery {
    pub area: Option<EventId>,
    pub label: Option<String>,
    pub chores_only: bool,
    /// Include tasks someone holds a live claim on.
    pub include_claimed: bool,
    pub offset: usize,
    pub limit: usize,
}

/// How a task's rank was made, point by point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Score {
    pub needs: u64,
    pub interested: u64,
    pub pledges: u64,
    pub age_days: u64,
    pub chore: bool,
    pub total: u64,
}

pub fn score(task: &Task, now_ms: u64) -> Score {
    let needs = task.needs.len() as u64;
    let interested = task.interested.len() as u64;
    let pledges = task.pledges.len() as u64;
    let age_days = age_days(task.time_ms, now_ms);
    let total = needs * POINTS_PER_NEED
        + interested * POINTS_PER_INTEREST
        + pledges * POINTS_PER_PLEDGE
        + age_points(task.time_ms, now_ms)
        + if task.chore { POINTS_FOR_CHORE } else { 0 };
    Score {
        needs,
        interested,
        pledges,
        age_days,
        chore: task.chore,
        total,
    }
}

#[derive(Clone, Debug)]
pub struct BoardEntry {
    pub id: EventId,
    pub score: Score,
    pub claimed_by: Option<AuthorKey>,
}

/// One page of the board, and how many open tasks match.
#[derive(Clone, Debug)]
pub struct Board {
    pub matching: u64,
    pub entries: Vec<BoardEntry>,
}

/// The open tasks matching `query`, best first. Ranks from the compact board index
/// (one [`BoardItem`] per open task); only a label filter and the page itself read the
/// tasks.
pub fn task_board(state: &State, query: &BoardQuery) -> Board {
    let now = state.time_ms;
    let production = &state.production;
    let depth = (query.offset + query.limit).min(BOARD_DEPTH_MAX);
    // Min-heap of the best `depth` by (score, older first = smaller index wins).
    let mut best: BinaryHeap<Reverse<(u64, Reverse<u64>, EventId)>> =
        BinaryHeap::with_capacity(depth + 1);
    let mut matching = 0u64;
    let areas: Box<dyn Iterator<Item = (&EventId, &BTreeMap<EventId, BoardItem>)>> =
        match &query.area {
            Some(area) => Box::new(production.open_tasks.get_key_value(area).into_iter()),
            None => Box::new(production.open_tasks.iter()),
        };
    for (area, items) in areas {
        let ttl = claim_ttl(state, area);
        for (id, item) in items {
            if query.chores_only && !item.chore {
                continue;
            }
            if let Some(label) = &query.label
                && !production
                    .tasks
                    .get(id)
                    .is_some_and(|t| t.labels.iter().any(|l| l == label))
            {
                continue;
            }
            if !query.include_claimed
                && item
                    .claim
                    .is_some_and(|(_, last)| now.saturating_sub(last) <= ttl)
            {
                continue;
            }
            matching += 1;
            if depth == 0 {
                continue;
            }
            let key = (
                item.points + age_points(item.time_ms, now),
                Reverse(item.index),
                *id,
            );
            if best.len() < depth {
                best.push(Reverse(key));
            } else if best.peek().is_some_and(|Reverse(low)| key > *low) {
                best.pop();
                best.push(Reverse(key));
            }
        }
    }
    let mut ranked: Vec<_> = best.into_iter().map(|Reverse(k)| k).collect();
    ranked.sort_by(|a, b| b.cmp(a));
    let entries = ranked
        .into_iter()
        .skip(query.offset)
        .take(query.limit)
        .filter_map(|(_, _, id)| {
            let task = production.tasks.get(&id)?;
            Some(BoardEntry {
                id,
                score: score(task, now),
                claimed_by: claimed_by(state, task),
            })
        })
        .collect();
    Board { matching, entries }
}

fn age_days(since_ms: u64, now_ms: u64) -> u64 {
    (now_ms.saturating_sub(since_ms) / 86_400_000).min(AGE_DAYS_COUNTED_MAX)
}

fn age_points(since_ms: u64, now_ms: u64) -> u64 {
    age_days(since_ms, now_ms) * POINTS_PER_DAY
}

fn claim_ttl(state: &State, area: &EventId) -> u64 {
    state
        .production
        .areas
        .get(area)
        .map_or(super::CLAIM_TTL_DEFAULT_MS, |a| a.claim_ttl_ms)
}

/// Who holds a live claim on the task now.
pub fn claimed_by(state: &State, task: &Task) -> Option<AuthorKey> {
    let ttl = claim_ttl(state, &task.area);
    task.live_claim(state.time_ms, ttl).map(|c| c.by)
}

/// A person's record and one page of their contributions, newest first.
#[derive(Clone, Debug)]
pub struct PersonRecord {
    /// Their counts; `record.contributions` is left empty (see `page`).
    pub record: Record,
    pub n_contributions: u64,
    pub pending: u64,
    pub page: Vec<EventId>,
    /// Tasks they hold a live claim on.
    pub claims: Vec<EventId>,
}

pub fn person_record(state: &State, key: &AuthorKey, offset: usize, limit: usize) -> PersonRecord {
    let production = &state.production;
    let empty = Record::default();
    let full = production.records.get(key).unwrap_or(&empty);
    let page = full
        .contributions
        .iter()
        .rev()
        .skip(offset)
        .take(limit)
        .copied()
        .collect();
    let claims = production
        .claims_by_key
        .get(key)
        .map(|set| {
            set.iter()
                .filter(|id| {
                    production
                        .tasks
                        .get(id)
                        .and_then(|t| claimed_by(state, t))
                        .is_some_and(|by| by == *key)
                })
                .copied()
                .collect()
        })
        .unwrap_or_default();
    PersonRecord {
        record: Record {
            contributions: Vec::new(),
            accepted_by_area: full.accepted_by_area.clone(),
            ..*full
        },
        n_contributions: full.contributions.len() as u64,
        pending: full.pending(),
        page,
        claims,
    }
}

/// The statistics page of a commons.
#[derive(Clone, Debug, Default)]
pub struct Statistics {
    /// `(YYYY-MM, distinct authors of work accepted that month)`, oldest first.
    pub contributors_by_month: Vec<(String, u64)>,
    /// Median time from submission to decision (the lower median), in ms.
    pub median_decision_ms: Option<u64>,
    pub decisions: u64,
    /// `(maintainer, reviews given as an area maintainer, all reviews given)` for every
    /// current area maintainer, busiest first.
    pub review_load: Vec<(AuthorKey, u64, u64)>,
    /// Accepted contributions by sponsor (`None` = volunteer), largest first.
    pub accepted_by_sponsor: Vec<(Option<AuthorKey>, u64)>,
    pub accepted: u64,
    /// Chores done by person, most first (at most `TOP_MAX`).
    pub chores_by_author: Vec<(AuthorKey, u64)>,
    pub chores_done: u64,
}

/// Longest ranked list on the statistics page.
pub const TOP_MAX: usize = 50;
/// Months shown of contributors per month.
pub const MONTHS_SHOWN_MAX: usize = 36;

pub fn statistics(state: &State) -> Statistics {
    let production = &state.production;
    let tallies = &production.tallies;
    let months = &tallies.contributors_by_month;
    let contributors_by_month = months
        .iter()
        .skip(months.len().saturating_sub(MONTHS_SHOWN_MAX))
        .map(|(m, set)| (super::month_label(*m), set.len() as u64))
        .collect();
    let decisions: u64 = tallies.decision_ms.values().sum();
    let median_decision_ms = if decisions == 0 {
        None
    } else {
        let middle = decisions.div_ceil(2);
        let mut seen = 0u64;
        tallies.decision_ms.iter().find_map(|(ms, n)| {
            seen += n;
            (seen >= middle).then_some(*ms)
        })
    };
    let maintainers: BTreeSet<AuthorKey> = production
        .areas
        .values()
        .flat_map(|a| a.maintainers.iter().copied())
        .collect();
    let mut review_load: Vec<(AuthorKey, u64, u64)> = maintainers
        .into_iter()
        .map(|k| {
            let r = production.records.get(&k);
            (
                k,
                r.map_or(0, |r| r.reviews_as_maintainer),
                r.map_or(0, |r| r.reviews_given),
            )
        })
        .collect();
    review_load.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    review_load.truncate(TOP_MAX);
    let mut accepted_by_sponsor: Vec<(Option<AuthorKey>, u64)> = tallies
        .accepted_by_sponsor
        .iter()
        .map(|(k, n)| (*k, *n))
        .collect();
    accepted_by_sponsor.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let accepted = accepted_by_sponsor.iter().map(|(_, n)| n).sum();
    accepted_by_sponsor.truncate(TOP_MAX);
    let mut chores_by_author: Vec<(AuthorKey, u64)> = tallies
        .chores_by_author
        .iter()
        .map(|(k, n)| (*k, *n))
        .collect();
    chores_by_author.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let chores_done = tallies.chores_resolved;
    chores_by_author.truncate(TOP_MAX);
    Statistics {
        contributors_by_month,
        median_decision_ms,
        decisions,
        review_load,
        accepted_by_sponsor,
        accepted,
        chores_by_author,
        chores_done,
    }
}
