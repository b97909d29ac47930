//! Spam resistance: how many tasks, contributions and posts one key may add to one
//! commons per hour on this node. The limits are the node's admission policy (another
//! node may set others), so they live here and not in core; they count by the node's
//! clock over a sliding hour and are raised for keys with accepted work in the commons.

use crate::error::IngestError;
use commons_core::State;
use commons_core::production::{contributions, tasks, threads};
use commons_ledger::{AuthorKey, CommonsId};
use std::collections::{HashMap, VecDeque};

const HOUR_MS: u64 = 3_600_000;
/// Most (commons, key, class) windows tracked at once; beyond it the node is busy.
pub const TRACKED_WINDOWS_MAX: usize = 200_000;

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PostingClass {
    Tasks,
    Contributions,
    Posts,
}

impl PostingClass {
    pub fn as_str(&self) -> &'static str {
        match self {
            PostingClass::Tasks => "tasks",
            PostingClass::Contributions => "contributions",
            PostingClass::Posts => "posts",
        }
    }

    /// The class an event kind counts in, if any.
    pub fn of(kind: &str) -> Option<PostingClass> {
        match kind {
            tasks::POST => Some(PostingClass::Tasks),
            contributions::SUBMIT | contributions::REVISE => Some(PostingClass::Contributions),
            threads::POST | threads::EDIT | contributions::REVIEW => Some(PostingClass::Posts),
            _ => None,
        }
    }
}

/// The per-key hourly limits of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostingLimits {
    pub tasks_per_hour: u32,
    pub contributions_per_hour: u32,
    pub posts_per_hour: u32,
    /// Multiplies every limit for a key with at least one accepted contribution in the
    /// commons (demonstrated good faith).
    pub accepted_work_factor: u32,
}

impl Default for PostingLimits {
    fn default() -> PostingLimits {
        PostingLimits {
            tasks_per_hour: 30,
            contributions_per_hour: 60,
            posts_per_hour: 120,
            accepted_work_factor: 10,
        }
    }
}

impl PostingLimits {
    /// The limit of `class` for a key, given whether it has accepted work.
    pub fn limit(&self, class: PostingClass, trusted: bool) -> u32 {
        let base = match class {
            PostingClass::Tasks => self.tasks_per_hour,
            PostingClass::Contributions => self.contributions_per_hour,
            PostingClass::Posts => self.posts_per_hour,
        };
        if trusted {
            base.saturating_mul(self.accepted_work_factor.max(1))
        } else {
            base
        }
    }
}

/// Sliding hourly windows of admitted events per (commons, key, class).
#[derive(Debug, Default)]
pub struct PostingWindows {
    windows: HashMap<(CommonsId, AuthorKey, PostingClass), VecDeque<u64>>,
}

impl PostingWindows {
    /// Refuses the event if it would pass its key's limit; the caller records it with
    /// [`PostingWindows::admit`] once the event is accepted.
    pub fn check(
        &mut self,
        limits: &PostingLimits,
        state: &State,
        author: &AuthorKey,
        kind: &str,
        now_ms: u64,
    ) -> Result<(), IngestError> {
        let Some(class) = PostingClass::of(kind) else {
            return Ok(());
        };
        if *author == state.governance.sequencer {
            return Ok(());
        }
        let trusted = state
            .production
            .records
            .get(author)
            .is_some_and(|r| r.accepted > 0);
        let limit = limits.limit(class, trusted);
        let key = (state.commons, *author, class);
        let recent = match self.windows.get_mut(&key) {
            Some(times) => {
                expire(times, now_ms);
                times.len()
            }
            None => {
                if self.windows.len() >= TRACKED_WINDOWS_MAX {
                    self.windows.retain(|_, times| {
                        expire(times, now_ms);
                        !times.is_empty()
                    });
                    if self.windows.len() >= TRACKED_WINDOWS_MAX {
                        return Err(IngestError::Overloaded);
                    }
                }
                0
            }
        };
        if recent >= limit as usize {
            return Err(IngestError::PostingLimit {
                class: class.as_str(),
                limit,
            });
        }
        Ok(())
    }

    /// Counts an accepted event.
    pub fn admit(&mut self, commons: CommonsId, author: AuthorKey, kind: &str, now_ms: u64) {
        if let Some(class) = PostingClass::of(kind) {
            self.windows
                .entry((commons, author, class))
                .or_default()
                .push_back(now_ms);
        }
    }
}

fn expire(times: &mut VecDeque<u64>, now_ms: u64) {
    while times
        .front()
        .is_some_and(|t| now_ms.saturating_sub(*t) >= HOUR_MS)
    {
        times.pop_front();
    }
}
