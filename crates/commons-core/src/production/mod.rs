//! Peer production: areas with their own maintainers, tasks that anyone posts, signals
//! and claims, contributions submitted without permission and validated afterwards,
//! artifacts built from accepted revisions, and threads on all of them.
//!
//! | module | kinds |
//! |---|---|
//! | [`areas`] | `area.create`, `area.update`, `area.nominate`, `area.approve`, `area.step_down` |
//! | [`tasks`] | `task.post`, `task.signal`, `task.pledge`, `task.claim`, `task.release`, `task.close` |
//! | [`contributions`] | `contrib.submit`, `contrib.revise`, `contrib.withdraw`, `contrib.review`, `contrib.resolve`, `contrib.reject` |
//! | [`threads`] | `thread.post`, `thread.edit`, `thread.hide` |
//!
//! Long texts (descriptions, post texts, review comments) stay in the events; the state
//! keeps what rules and views need (titles, statuses, who did what and when), so a
//! commons with hundreds of thousands of contributions folds in memory.
//! [`views`] computes the task board, a person's record and the statistics from it.

pub mod areas;
pub mod bodies;
pub mod contributions;
pub(crate) mod rows;
pub mod tasks;
pub mod threads;
pub mod views;

use crate::body::BodyReader;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, BlobRef, EventId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Most areas in one commons.
pub const AREAS_MAX: usize = 256;
/// Most maintainers of one area.
pub const AREA_MAINTAINERS_MAX: usize = 64;
/// Most open nominations in one commons.
pub const OPEN_NOMINATIONS_MAX: usize = 256;
/// Most tasks in one commons.
pub const TASKS_MAX: usize = 2_000_000;
/// Most contributions in one commons.
pub const CONTRIBUTIONS_MAX: usize = 4_000_000;
/// Most thread posts in one commons.
pub const POSTS_MAX: usize = 10_000_000;
/// Most posts in one thread.
pub const POSTS_PER_THREAD_MAX: usize = 10_000;
/// Most artifacts in one commons.
pub const ARTIFACTS_MAX: usize = 1_000_000;
/// Most accepted revisions of one artifact.
pub const REVISIONS_PER_ARTIFACT_MAX: usize = 100_000;
/// Most reviews of one contribution.
pub const REVIEWS_PER_CONTRIBUTION_MAX: usize = 512;
/// Most versions of one contribution.
pub const VERSIONS_PER_CONTRIBUTION_MAX: u32 = 256;
/// Most signals ("I need this too", interest) on one task.
pub const SIGNALS_PER_TASK_MAX: usize = 10_000;
/// Most bounty pledges on one task.
pub const PLEDGES_PER_TASK_MAX: usize = 256;
/// Most contributions naming one task.
pub const CONTRIBUTIONS_PER_TASK_MAX: usize = 1_000;
/// Most tasks one key holds claims on at once: self-selection, not hoarding.
pub const CLAIMS_PER_KEY_MAX: usize = 8;
/// Notifications kept per key (the oldest go first).
pub const NOTIFICATIONS_KEPT: usize = 100;
/// Events kept in each area's activity feed (the oldest go first).
pub const AREA_FEED_KEPT: usize = 1_000;

/// Longest title, name or slug-like text, in bytes.
pub const TITLE_LEN_MAX: usize = 200;
/// Longest description, post or review text, in bytes.
pub const TEXT_LEN_MAX: usize = 20_000;
/// Longest reason for a decision, in bytes.
pub const REASON_LEN_MAX: usize = 2_000;
/// Most labels on a task, chores in an area's checklist, evidence items, mentions.
pub const LIST_MAX: usize = 16;
/// Longest label or checklist item, in bytes.
pub const LABEL_LEN_MAX: usize = 64;
/// Longest evidence item (a link or `alg:hex`), in bytes.
pub const EVIDENCE_LEN_MAX: usize = 2_000;
/// Most tasks one contribution names, and most co-authors.
pub const CONTRIBUTION_TASKS_MAX: usize = 16;
pub const CONTRIBUTION_AUTHORS_MAX: usize = 32;
/// Default time a claim lasts without activity: 14 days of ledger time.
pub const CLAIM_TTL_DEFAULT_MS: u64 = 14 * 24 * 3_600_000;
/// Bounds on an area's claim lifetime and lazy-consensus window.
pub const CLAIM_TTL_MIN_MS: u64 = 3_600_000;
pub const WINDOW_MIN_MS: u64 = 60_000;
pub const DURATION_MAX_MS: u64 = 365 * 24 * 3_600_000;

/// How an area accepts contributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Accepted once `approvals` area maintainers approved the current version and no
    /// area maintainer's objection is open.
    Maintainers { approvals: u64 },
    /// Accepted once `window_ms` of ledger time passed since the current version with no
    /// area maintainer's objection open.
    Lazy { window_ms: u64 },
}

/// A part of a commons with its own maintainers and validation rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub maintainers: BTreeSet<AuthorKey>,
    /// Area maintainers' approvals a nomination needs (at most the number of them).
    pub threshold: u64,
    pub rule: Rule,
    /// Chores every contribution must tick (tests, documentation…) before acceptance.
    pub chores: Vec<String>,
    /// Whether a contribution's own author may be one of its deciding approvers.
    pub self_approval: bool,
    pub claim_ttl_ms: u64,
    pub index: u64,
    pub n_tasks: u64,
    pub n_contributions: u64,
    /// Ids of the latest events in this area, newest last.
    pub feed: VecDeque<EventId>,
}

impl Area {
    /// Approvals a nomination needs from area maintainers now.
    pub fn nomination_threshold(&self) -> u64 {
        self.threshold.min(self.maintainers.len() as u64).max(1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NominationAction {
    Add,
    Remove,
}

impl NominationAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            NominationAction::Add => "add",
            NominationAction::Remove => "remove",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NominationStatus {
    Open,
    /// Took effect at this ledger index.
    Applied(u64),
    /// Overtaken (the nominee already is, or no longer is, a maintainer).
    Moot,
}

/// A proposal to add or remove an area maintainer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nomination {
    pub area: EventId,
    pub nominee: AuthorKey,
    pub action: NominationAction,
    pub nominator: AuthorKey,
    pub index: u64,
    pub reason: Option<String>,
    /// The nominee's accepted contributions in the area when nominated.
    pub record_accepted: u64,
    pub approvals: BTreeSet<AuthorKey>,
    pub status: NominationStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Need,
    Interest,
}

/// A promise of bounty money on a task; the value area settles it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pledge {
    pub by: AuthorKey,
    /// In the currency's minor units.
    pub amount: u64,
    pub currency: String,
    pub index: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    pub by: AuthorKey,
    pub since_ms: u64,
    pub last_activity_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskStatus {
    Open,
    /// An accepted contribution resolved it.
    Resolved {
        contribution: EventId,
        index: u64,
        time_ms: u64,
    },
    /// A maintainer closed it with a reason.
    Closed {
        by: AuthorKey,
        reason: String,
        index: u64,
        time_ms: u64,
    },
}

/// A posted need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub area: EventId,
    pub author: AuthorKey,
    pub index: u64,
    pub time_ms: u64,
    pub title: String,
    pub labels: Vec<String>,
    pub effort_hours: Option<u64>,
    pub chore: bool,
    pub needs: BTreeSet<AuthorKey>,
    pub interested: BTreeSet<AuthorKey>,
    pub pledges: Vec<Pledge>,
    pub claim: Option<Claim>,
    pub status: TaskStatus,
    pub contributions: Vec<EventId>,
}

/// What the board needs of an open task, kept beside it so ranking the whole board
/// reads one compact entry per task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardItem {
    /// Points from signals, pledges and being a chore; the age points are added at
    /// ranking time (see [`views::score`]).
    pub points: u64,
    pub time_ms: u64,
    pub index: u64,
    pub chore: bool,
    /// The claimant and their last activity, live or not.
    pub claim: Option<(AuthorKey, u64)>,
}

impl BoardItem {
    pub fn of(task: &Task) -> BoardItem {
        let score = views::score(task, task.time_ms);
        BoardItem {
            points: score.total,
            time_ms: task.time_ms,
            index: task.index,
            chore: task.chore,
            claim: task.claim.map(|c| (c.by, c.last_activity_ms)),
        }
    }
}

impl Task {
    pub fn is_open(&self) -> bool {
        self.status == TaskStatus::Open
    }

    /// The claim still in force at ledger time `now_ms` under `ttl_ms`.
    pub fn live_claim(&self, now_ms: u64, ttl_ms: u64) -> Option<&Claim> {
        self.claim
            .as_ref()
            .filter(|c| now_ms.saturating_sub(c.last_activity_ms) <= ttl_ms)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContributionKind {
    /// A new revision of an artifact (or a new artifact).
    Revision,
    /// Work done elsewhere, evidenced by links or hashes.
    External,
    /// Care work that produces no artifact: support, moderation, organising.
    Care,
}

impl ContributionKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ContributionKind::Revision => "revision",
            ContributionKind::External => "external",
            ContributionKind::Care => "care",
        }
    }

    pub fn parse(text: &str) -> Option<ContributionKind> {
        match text {
            "revision" => Some(ContributionKind::Revision),
            "external" => Some(ContributionKind::External),
            "care" => Some(ContributionKind::Care),
            _ => None,
        }
    }
}

/// The artifact change a revision contribution proposes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposedRevision {
    /// The artifact revised; `None` proposes a new artifact (whose id will be the
    /// contribution's).
    pub artifact: Option<EventId>,
    /// The revision this one starts from (a contribution id), if any.
    pub base: Option<EventId>,
    /// Name and kind of a new artifact.
    pub name: Option<String>,
    pub artifact_kind: Option<String>,
    pub media_type: String,
    pub blob: BlobRef,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    RequestChanges,
    Object,
    Comment,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::RequestChanges => "changes",
            Verdict::Object => "object",
            Verdict::Comment => "comment",
        }
    }

    pub fn parse(text: &str) -> Option<Verdict> {
        match text {
            "approve" => Some(Verdict::Approve),
            "changes" => Some(Verdict::RequestChanges),
            "object" => Some(Verdict::Object),
            "comment" => Some(Verdict::Comment),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    pub id: EventId,
    pub reviewer: AuthorKey,
    pub verdict: Verdict,
    /// The contribution version reviewed.
    pub version: u32,
    pub index: u64,
    pub time_ms: u64,
    /// For an objection: resolved by the objector at this index.
    pub resolved: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContributionStatus {
    Pending,
    Accepted {
        index: u64,
        time_ms: u64,
    },
    Rejected {
        by: AuthorKey,
        reason: String,
        index: u64,
        time_ms: u64,
    },
    Withdrawn {
        index: u64,
        time_ms: u64,
    },
}

impl ContributionStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ContributionStatus::Pending => "pending",
            ContributionStatus::Accepted { .. } => "accepted",
            ContributionStatus::Rejected { .. } => "rejected",
            ContributionStatus::Withdrawn { .. } => "withdrawn",
        }
    }
}

/// Work submitted to the commons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    pub area: EventId,
    /// The submitter; only they revise or withdraw it.
    pub author: AuthorKey,
    pub index: u64,
    pub submitted_ms: u64,
    pub kind: ContributionKind,
    pub title: String,
    pub tasks: Vec<EventId>,
    /// Authors with their integer shares (the submitter is always one).
    pub authors: Vec<(AuthorKey, u64)>,
    pub effort_minutes: u64,
    /// The sponsoring organisation of paid work; `None` for volunteer work.
    pub sponsor: Option<AuthorKey>,
    /// 1 for the submission, +1 per `contrib.revise`.
    pub version: u32,
    /// The event holding the current version's texts.
    pub version_id: EventId,
    pub version_ms: u64,
    pub revision: Option<ProposedRevision>,
    pub evidence: Vec<String>,
    pub checklist: Vec<String>,
    pub reviews: Vec<Review>,
    pub status: ContributionStatus,
}

impl Contribution {
    pub fn is_author(&self, key: &AuthorKey) -> bool {
        self.authors.iter().any(|(k, _)| k == key)
    }

    pub fn is_paid(&self) -> bool {
        self.sponsor.is_some()
    }

    /// The declared effort split among the authors by their shares, in author order:
    /// each gets the floor of their part and the first author (the submitter) the
    /// remainder, so the parts add up to the effort exactly.
    pub fn effort_by_author(&self) -> Vec<(AuthorKey, u64)> {
        let total_shares: u128 = self.authors.iter().map(|(_, s)| u128::from(*s)).sum();
        let mut parts: Vec<(AuthorKey, u64)> = self
            .authors
            .iter()
            .map(|(key, share)| {
                let part =
                    u128::from(self.effort_minutes) * u128::from(*share) / total_shares.max(1);
                (*key, part as u64)
            })
            .collect();
        let credited: u64 = parts.iter().map(|(_, p)| p).sum();
        if let Some((_, first)) = parts.first_mut() {
            *first += self.effort_minutes - credited;
        }
        parts
    }
}

/// One accepted revision of an artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// The accepted contribution that made it (also the revision's id).
    pub contribution: EventId,
    pub blob: BlobRef,
    pub media_type: String,
    pub authors: Vec<AuthorKey>,
    pub base: Option<EventId>,
    pub index: u64,
    pub time_ms: u64,
}

/// A versioned document, design, code, media file or dataset, never "finished".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub area: EventId,
    pub name: String,
    pub kind: String,
    /// Accepted revisions, oldest first; the last is the current one.
    pub revisions: Vec<Revision>,
}

/// What a thread is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Area(EventId),
    Task(EventId),
    Contribution(EventId),
    Artifact(EventId),
}

impl Subject {
    pub fn kind_str(&self) -> &'static str {
        match self {
            Subject::Area(_) => "area",
            Subject::Task(_) => "task",
            Subject::Contribution(_) => "contribution",
            Subject::Artifact(_) => "artifact",
        }
    }

    pub fn id(&self) -> EventId {
        match self {
            Subject::Area(id)
            | Subject::Task(id)
            | Subject::Contribution(id)
            | Subject::Artifact(id) => *id,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hidden {
    pub by: AuthorKey,
    pub reason: String,
    pub index: u64,
}

/// A post in a thread. Its text is in the event `latest` (the post or its last edit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Post {
    pub subject: Subject,
    pub author: AuthorKey,
    pub index: u64,
    pub time_ms: u64,
    pub reply_to: Option<EventId>,
    pub version: u32,
    pub latest: EventId,
    pub hidden: Option<Hidden>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Mention,
    Review,
    Decision,
}

impl NoticeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            NoticeKind::Mention => "mention",
            NoticeKind::Review => "review",
            NoticeKind::Decision => "decision",
        }
    }
}

/// Something a person should see: a mention, a review of their work, a decision on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub index: u64,
    pub event: EventId,
    pub subject: Subject,
    pub by: AuthorKey,
}

/// A person's record in the commons: demonstrated ability, not credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Contributions they authored or co-authored, oldest first.
    pub contributions: Vec<EventId>,
    pub accepted: u64,
    pub rejected: u64,
    pub withdrawn: u64,
    pub reviews_given: u64,
    /// Reviews given as an area maintainer of the reviewed contribution's area.
    pub reviews_as_maintainer: u64,
    pub tasks_done: u64,
    pub chores_done: u64,
    /// Effort of accepted work credited to them by share, in minutes.
    pub effort_minutes: u64,
    pub accepted_paid: u64,
    pub accepted_volunteer: u64,
    pub accepted_by_area: BTreeMap<EventId, u64>,
}

impl Record {
    pub fn pending(&self) -> u64 {
        (self.contributions.len() as u64)
            .saturating_sub(self.accepted + self.rejected + self.withdrawn)
    }
}

/// Running totals behind the statistics page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tallies {
    /// Distinct authors of accepted work per calendar month (`YYYY-MM` as `y*12+m-1`).
    pub contributors_by_month: BTreeMap<u32, BTreeSet<AuthorKey>>,
    /// Time from submission to decision (accepted or rejected), in ms → count.
    pub decision_ms: BTreeMap<u64, u64>,
    /// Accepted contributions by sponsor (`None` = volunteer).
    pub accepted_by_sponsor: BTreeMap<Option<AuthorKey>, u64>,
    /// Chores done (chore tasks resolved by accepted work), by author.
    pub chores_by_author: BTreeMap<AuthorKey, u64>,
    /// Chore tasks resolved by accepted work.
    pub chores_resolved: u64,
}

/// Everything peer production adds to a commons' state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Production {
    pub areas: BTreeMap<EventId, Area>,
    pub area_slugs: BTreeMap<String, EventId>,
    pub nominations: BTreeMap<EventId, Nomination>,
    pub tasks: BTreeMap<EventId, Task>,
    /// Open tasks by area with what ranks them, so the board never walks closed tasks
    /// nor looks each open one up.
    pub open_tasks: BTreeMap<EventId, BTreeMap<EventId, BoardItem>>,
    pub contributions: BTreeMap<EventId, Contribution>,
    /// Contribution ids in ledger order.
    pub contribution_order: Vec<EventId>,
    pub artifacts: BTreeMap<EventId, Artifact>,
    pub posts: BTreeMap<EventId, Post>,
    pub threads: BTreeMap<Subject, Vec<EventId>>,
    /// Pending lazy-consensus contributions by (deadline in ledger ms, id).
    pub lazy_queue: BTreeSet<(u64, EventId)>,
    pub claims_by_key: BTreeMap<AuthorKey, BTreeSet<EventId>>,
    pub records: BTreeMap<AuthorKey, Record>,
    pub notices: BTreeMap<AuthorKey, VecDeque<Notice>>,
    pub tallies: Tallies,
}

impl Production {
    pub fn area_by_slug(&self, slug: &str) -> Option<(&EventId, &Area)> {
        let id = self.area_slugs.get(slug)?;
        self.areas.get_key_value(id)
    }

    /// Contribution ids, newest first.
    pub fn contributions_newest_first(&self) -> impl Iterator<Item = &EventId> {
        self.contribution_order.iter().rev()
    }

    /// Re-reads an open task's ranking traces into the board index (after a post,
    /// signal, pledge, claim, release or activity on it).
    pub(crate) fn refresh_board(&mut self, id: &EventId) {
        let Some(task) = self.tasks.get(id).filter(|t| t.is_open()) else {
            return;
        };
        self.open_tasks
            .entry(task.area)
            .or_default()
            .insert(*id, BoardItem::of(task));
    }

    pub(crate) fn task_closed(&mut self, area: &EventId, task: &EventId) {
        if let Some(open) = self.open_tasks.get_mut(area) {
            open.remove(task);
            if open.is_empty() {
                self.open_tasks.remove(area);
            }
        }
    }

    pub fn is_area_maintainer(&self, area: &EventId, key: &AuthorKey) -> bool {
        self.areas
            .get(area)
            .is_some_and(|a| a.maintainers.contains(key))
    }

    pub fn n_open_nominations(&self) -> usize {
        self.nominations
            .values()
            .filter(|n| n.status == NominationStatus::Open)
            .count()
    }

    /// The area a thread subject belongs to.
    pub fn subject_area(&self, subject: &Subject) -> Option<EventId> {
        match subject {
            Subject::Area(id) => self.areas.contains_key(id).then_some(*id),
            Subject::Task(id) => self.tasks.get(id).map(|t| t.area),
            Subject::Contribution(id) => self.contributions.get(id).map(|c| c.area),
            Subject::Artifact(id) => self.artifacts.get(id).map(|a| a.area),
        }
    }

    pub(crate) fn notify(&mut self, to: AuthorKey, notice: Notice) {
        if to == notice.by {
            return;
        }
        let queue = self.notices.entry(to).or_default();
        if queue.len() >= NOTIFICATIONS_KEPT {
            queue.pop_front();
        }
        queue.push_back(notice);
    }

    pub(crate) fn log_area(&mut self, area: &EventId, event: EventId) {
        if let Some(area) = self.areas.get_mut(area) {
            if area.feed.len() >= AREA_FEED_KEPT {
                area.feed.pop_front();
            }
            area.feed.push_back(event);
        }
    }
}

/// The kinds of this area, in documentation order.
pub const KINDS: &[&str] = &[
    areas::CREATE,
    areas::UPDATE,
    areas::NOMINATE,
    areas::APPROVE,
    areas::STEP_DOWN,
    tasks::POST,
    tasks::SIGNAL,
    tasks::PLEDGE,
    tasks::CLAIM,
    tasks::RELEASE,
    tasks::CLOSE,
    contributions::SUBMIT,
    contributions::REVISE,
    contributions::WITHDRAW,
    contributions::REVIEW,
    contributions::RESOLVE,
    contributions::REJECT,
    threads::POST,
    threads::EDIT,
    threads::HIDE,
];

/// Folds one peer-production event; `None` if the kind is not one of this area's.
pub(crate) fn apply(state: &mut State, input: &Input<'_>) -> Option<Result<Applied, Rejection>> {
    Some(match input.event.header.kind.as_str() {
        areas::CREATE => areas::create(state, input),
        areas::UPDATE => areas::update(state, input),
        areas::NOMINATE => areas::nominate(state, input),
        areas::APPROVE => areas::approve(state, input),
        areas::STEP_DOWN => areas::step_down(state, input),
        tasks::POST => tasks::post(state, input),
        tasks::SIGNAL => tasks::signal(state, input),
        tasks::PLEDGE => tasks::pledge(state, input),
        tasks::CLAIM => tasks::claim(state, input),
        tasks::RELEASE => tasks::release(state, input),
        tasks::CLOSE => tasks::close(state, input),
        contributions::SUBMIT => contributions::submit(state, input),
        contributions::REVISE => contributions::revise(state, input),
        contributions::WITHDRAW => contributions::withdraw(state, input),
        contributions::REVIEW => contributions::review(state, input),
        contributions::RESOLVE => contributions::resolve(state, input),
        contributions::REJECT => contributions::reject_contribution(state, input),
        threads::POST => threads::post(state, input),
        threads::EDIT => threads::edit(state, input),
        threads::HIDE => threads::hide(state, input),
        _ => return None,
    })
}

/// What the passing of ledger time decides: lazy-consensus windows that closed.
pub(crate) fn on_tick(state: &mut State, input: &Input<'_>, applied: &mut Applied) {
    contributions::close_windows(state, input, applied);
}

/// Whether events of `kind` can reference blobs at all (a cheap test before decoding).
pub fn may_reference_blobs(kind: &str) -> bool {
    matches!(kind, contributions::SUBMIT | contributions::REVISE)
}

/// The blobs an event of `kind` with `body` references, for the node to check it holds
/// them before the event joins the ledger. Malformed bodies give none (core refuses them).
pub fn blobs_referenced(kind: &str, body: &Value) -> Vec<BlobRef> {
    match kind {
        contributions::SUBMIT | contributions::REVISE => {
            contributions::blob_of(body).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Shared readers

pub(crate) fn area_of<'s>(
    state: &'s State,
    reader: &mut BodyReader<'_>,
) -> Result<(EventId, &'s Area), Rejection> {
    let slug = reader.text("area", 1, TITLE_LEN_MAX)?;
    match state.production.area_by_slug(&slug) {
        Some((id, area)) => Ok((*id, area)),
        None => reject(RejectionCode::AreaUnknown, format!("no area `{slug}`")),
    }
}

pub(crate) fn require_area_maintainer(
    state: &State,
    area: &EventId,
    key: &AuthorKey,
    what: &str,
) -> Result<(), Rejection> {
    if state.production.is_area_maintainer(area, key) {
        return Ok(());
    }
    let slug = state
        .production
        .areas
        .get(area)
        .map_or("?", |a| a.slug.as_str());
    reject(
        RejectionCode::NotAreaMaintainer,
        format!("only a maintainer of area `{slug}` may {what}"),
    )
}

/// A list of short texts, at most `count_max`, each 1 to `len_max` bytes, no duplicates.
pub(crate) fn text_list(
    reader: &mut BodyReader<'_>,
    kind: &str,
    name: &'static str,
    count_max: usize,
    len_max: usize,
) -> Result<Vec<String>, Rejection> {
    let Some(value) = reader.optional(name) else {
        return Ok(Vec::new());
    };
    let invalid =
        |message: String| reject(RejectionCode::BodyInvalid, format!("{kind}: {message}"));
    let Some(items) = value.as_array() else {
        return invalid(format!("field `{name}` must be an array of text"));
    };
    if items.len() > count_max {
        return invalid(format!("field `{name}` holds more than {count_max} items"));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        match item.as_text() {
            Some(t) if !t.is_empty() && t.len() <= len_max => {
                if out.iter().any(|o| o == t) {
                    return invalid(format!("field `{name}` lists `{t}` twice"));
                }
                out.push(t.to_owned());
            }
            _ => {
                return invalid(format!(
                    "each `{name}` item is 1 to {len_max} bytes of text"
                ));
            }
        }
    }
    Ok(out)
}

/// A list of event ids, at most `count_max`, no duplicates.
pub(crate) fn id_list(
    reader: &mut BodyReader<'_>,
    kind: &str,
    name: &'static str,
    count_max: usize,
) -> Result<Vec<EventId>, Rejection> {
    let Some(value) = reader.optional(name) else {
        return Ok(Vec::new());
    };
    let invalid =
        |message: String| reject(RejectionCode::BodyInvalid, format!("{kind}: {message}"));
    let Some(items) = value.as_array() else {
        return invalid(format!("field `{name}` must be an array of event ids"));
    };
    if items.len() > count_max {
        return invalid(format!("field `{name}` holds more than {count_max} ids"));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(id) = item.as_bytes().and_then(EventId::from_slice) else {
            return invalid(format!("each `{name}` item is a 32-byte event id"));
        };
        if out.contains(&id) {
            return invalid(format!("field `{name}` lists an id twice"));
        }
        out.push(id);
    }
    Ok(out)
}

pub(crate) fn optional_bool(
    reader: &mut BodyReader<'_>,
    kind: &str,
    name: &'static str,
) -> Result<Option<bool>, Rejection> {
    match reader.optional(name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => reject(
            RejectionCode::BodyInvalid,
            format!("{kind}: field `{name}` must be true or false"),
        ),
    }
}

pub(crate) fn limit_reached<T>(what: &str, max: usize) -> Result<T, Rejection> {
    reject(
        RejectionCode::LimitReached,
        format!("{what}: the limit of {max} is reached"),
    )
}

/// Calendar month of a Unix time in ms, as `year * 12 + month - 1` (proleptic
/// Gregorian, UTC; days-to-civil after Hinnant).
pub fn month_of(time_ms: u64) -> u32 {
    let days = (time_ms / 86_400_000) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year * 12 + month - 1) as u32
}

/// `YYYY-MM` of a month number from [`month_of`].
pub fn month_label(month: u32) -> String {
    format!("{:04}-{:02}", month / 12, month % 12 + 1)
}

#[cfg(test)]
mod tests;
