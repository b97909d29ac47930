//! The for-benefit association of a commons: its statutes, members and chambers, polls
//! counted exactly by `commons-tally`, and delegation.
//!
//! | module | kinds |
//! |---|---|
//! | [`statutes`] | `assoc.adopt` (the first statutes; later ones only by an amendment poll) |
//! | [`members`] | `member.apply`, `member.admit`, `member.leave` |
//! | [`polls`] | `poll.open`, `poll.vote`, `poll.statement`; closed by `ledger.tick` |
//! | [`delegation`] | `delegate.set`, `delegate.revoke` |
//!
//! What the statutes decide is only ever changed through the rule they give for it: an
//! amendment, an admission under the `vote` rule, a suspension or an expulsion is a poll
//! whose decision takes effect when the poll closes and passes. Roles are derived: a
//! *contributor* is someone with accepted work in the statutes' window of months, read off
//! the ledger; *maintainers* are the commons' and its areas'; *board* is whoever the last
//! board election elected, for its term.

pub mod budget;
pub mod delegation;
pub mod members;
pub mod polls;
pub mod ratio;
pub mod rows;
pub mod statutes;

#[cfg(test)]
pub(crate) mod tests;

use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::{AuthorKey, EventId};
pub use ratio::Ratio;
use std::collections::{BTreeMap, BTreeSet};

/// Most chambers the statutes may define.
pub const CHAMBERS_MAX: usize = 12;
/// Longest slug of a chamber, in bytes.
pub const SLUG_LEN_MAX: usize = 48;
/// Longest name or title, in bytes.
pub const TITLE_LEN_MAX: usize = 200;
/// Longest free text (purpose, statement, reason), in bytes.
pub const TEXT_LEN_MAX: usize = 20_000;
/// Longest reason, in bytes.
pub const REASON_LEN_MAX: usize = 2_000;
/// Most members an association holds (active or not).
pub const MEMBERS_MAX: usize = 100_000;
/// Most applications waiting at once.
pub const OPEN_APPLICATIONS_MAX: usize = 1_000;
/// Most polls open at once in a commons.
pub const OPEN_POLLS_MAX: usize = 256;
/// Most polls a commons keeps in all.
pub const POLLS_MAX: usize = 100_000;
/// Most voters in a poll's frozen electorate.
pub const ELECTORATE_MAX: usize = 100_000;
/// Most options (candidates) in a poll.
pub const OPTIONS_MAX: usize = 64;
/// Most seats an election fills.
pub const SEATS_MAX: u32 = 32;
/// Most ballots one voter casts in one poll, changes included (the history is kept).
pub const BALLOTS_PER_VOTER_MAX: usize = 32;
/// Shortest and longest time a poll stays open, in ledger milliseconds.
pub const POLL_DURATION_MIN_MS: u64 = 60_000;
pub const POLL_DURATION_MAX_MS: u64 = 366 * 86_400_000;
/// Longest contributor window, in months.
pub const CONTRIBUTOR_WINDOW_MONTHS_MAX: u32 = 120;
/// Longest board term, in months.
pub const BOARD_TERM_MONTHS_MAX: u32 = 120;
/// How long a suspension may last, in days.
pub const SUSPENSION_DAYS_MAX: u64 = 3_660;
/// Longest delegation chain followed.
pub const DELEGATION_DEPTH_MAX: usize = 16;
/// Most delegations one key holds (one per topic).
pub const DELEGATIONS_PER_KEY_MAX: usize = 64;
/// Most treasurers the statutes name.
pub const TREASURERS_MAX: usize = 16;
/// Largest weight one voter carries before delegation.
pub const WEIGHT_MAX: u64 = 1_000_000;

/// The topic a delegation covers when it names none: every poll.
pub const TOPIC_ALL: &str = "*";

/// How members are admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Applying admits.
    Open,
    /// A commons maintainer admits with `member.admit`.
    Maintainers,
    /// Only a poll under the statutes' `admit_member` rule admits.
    Vote,
}

impl Admission {
    pub fn as_str(&self) -> &'static str {
        match self {
            Admission::Open => "open",
            Admission::Maintainers => "maintainers",
            Admission::Vote => "vote",
        }
    }

    pub fn parse(text: &str) -> Option<Admission> {
        Some(match text {
            "open" => Admission::Open,
            "maintainers" => Admission::Maintainers,
            "vote" => Admission::Vote,
            _ => return None,
        })
    }
}

/// Who belongs to a chamber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChamberBasis {
    /// Members who name the chamber when they apply, and are admitted.
    Declared,
    /// Members who are contributors (accepted work in the window), derived from the ledger.
    Contributors,
}

impl ChamberBasis {
    pub fn as_str(&self) -> &'static str {
        match self {
            ChamberBasis::Declared => "declared",
            ChamberBasis::Contributors => "contributors",
        }
    }
}

/// A stakeholder class that votes as a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chamber {
    pub slug: String,
    pub name: String,
    pub basis: ChamberBasis,
}

/// The kinds of decision the statutes give a rule for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DecisionKind {
    AmendStatutes,
    AdmitMember,
    SuspendMember,
    ExpelMember,
    ElectBoard,
    General,
    /// A change of the value equation, from a stated ledger time.
    ValueEquation,
    /// The association's approval of an expense above its budget line's poll limit.
    Expense,
    /// The winners of an award, elected among its nominees.
    Award,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 9] = [
        DecisionKind::AmendStatutes,
        DecisionKind::AdmitMember,
        DecisionKind::SuspendMember,
        DecisionKind::ExpelMember,
        DecisionKind::ElectBoard,
        DecisionKind::General,
        DecisionKind::ValueEquation,
        DecisionKind::Expense,
        DecisionKind::Award,
    ];

    /// The kinds statutes must give a rule for; the others follow the general rule
    /// unless the statutes give them one (statutes written before they existed stay valid).
    pub const REQUIRED: [DecisionKind; 6] = [
        DecisionKind::AmendStatutes,
        DecisionKind::AdmitMember,
        DecisionKind::SuspendMember,
        DecisionKind::ExpelMember,
        DecisionKind::ElectBoard,
        DecisionKind::General,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            DecisionKind::AmendStatutes => "amend_statutes",
            DecisionKind::AdmitMember => "admit_member",
            DecisionKind::SuspendMember => "suspend_member",
            DecisionKind::ExpelMember => "expel_member",
            DecisionKind::ElectBoard => "elect_board",
            DecisionKind::General => "general",
            DecisionKind::ValueEquation => "value_equation",
            DecisionKind::Expense => "expense",
            DecisionKind::Award => "award",
        }
    }

    pub fn parse(text: &str) -> Option<DecisionKind> {
        DecisionKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether a poll of this kind elects people rather than deciding yes or no.
    pub fn is_election(&self) -> bool {
        matches!(self, DecisionKind::ElectBoard | DecisionKind::Award)
    }
}

/// Who may vote in a poll.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Electorate {
    /// Active members of the association.
    Members,
    /// Active members in one chamber.
    Chamber(String),
    /// Everyone with accepted work in the statutes' contributor window.
    Contributors,
    /// The commons' maintainers and every area's.
    Maintainers,
    /// The maintainers of one area (by slug).
    AreaMaintainers(String),
    /// Every key that published a profile in the commons.
    Registered,
}

impl Electorate {
    pub fn to_text(&self) -> String {
        match self {
            Electorate::Members => "members".into(),
            Electorate::Chamber(slug) => format!("chamber:{slug}"),
            Electorate::Contributors => "contributors".into(),
            Electorate::Maintainers => "maintainers".into(),
            Electorate::AreaMaintainers(slug) => format!("area:{slug}"),
            Electorate::Registered => "registered".into(),
        }
    }

    pub fn parse(text: &str) -> Option<Electorate> {
        Some(match text {
            "members" => Electorate::Members,
            "contributors" => Electorate::Contributors,
            "maintainers" => Electorate::Maintainers,
            "registered" => Electorate::Registered,
            other => {
                if let Some(slug) = other.strip_prefix("chamber:") {
                    Electorate::Chamber(slug.to_owned())
                } else if let Some(slug) = other.strip_prefix("area:") {
                    Electorate::AreaMaintainers(slug.to_owned())
                } else {
                    return None;
                }
            }
        })
    }
}

/// How per-chamber results combine into one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Combine {
    /// Passing in at least `required` chambers (all of them when it equals their number).
    Concurrent { required: u32 },
    /// Support weighted by chamber; the weights are rationals that sum to 1.
    Weighted { weights: BTreeMap<String, Ratio> },
}

/// A poll tallied per chamber.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChamberRule {
    pub combine: Combine,
    /// Turnout each chamber must reach for its result to count; a chamber below it makes
    /// the poll fail.
    pub chamber_quorum: Ratio,
    /// Chambers whose rejection fails the poll whatever the others say.
    pub veto: Vec<String>,
}

/// The required support rising as turnout falls: `threshold` at `full_turnout` or more,
/// rising linearly to `max_threshold` at the quorum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progressive {
    pub full_turnout: Ratio,
    pub max_threshold: Ratio,
}

/// The rule a kind of decision is taken by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionRule {
    /// A `commons-tally` method name.
    pub method: String,
    pub electorate: Electorate,
    /// Support needed: yes / (yes + no) for proposals, consents / ballots for consent.
    pub threshold: Ratio,
    /// Whether support must exceed the threshold (`>`) rather than reach it (`>=`).
    pub strict: bool,
    /// Turnout needed: weight of ballots cast / weight of the electorate.
    pub quorum: Ratio,
    pub chambers: Option<ChamberRule>,
    pub progressive: Option<Progressive>,
}

/// The association's statutes, kept as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statutes {
    pub name: String,
    pub purpose: Option<String>,
    pub admission: Admission,
    pub chambers: Vec<Chamber>,
    /// A contributor has accepted work in this many most recent calendar months.
    pub contributor_window_months: u32,
    pub board_seats: u32,
    pub board_term_months: u32,
    /// The treasurers: they record income and payouts and approve distributions and
    /// expenses. Named in the statutes, so only an amendment changes them.
    pub treasurers: Vec<AuthorKey>,
    /// How many treasurers must approve a distribution (k of n).
    pub treasurer_approvals: u32,
    /// One rule per kind of decision; every kind of [`DecisionKind::REQUIRED`] has one.
    pub rules: BTreeMap<DecisionKind, DecisionRule>,
}

impl Statutes {
    pub fn chamber(&self, slug: &str) -> Option<&Chamber> {
        self.chambers.iter().find(|c| c.slug == slug)
    }

    pub fn rule(&self, kind: DecisionKind) -> &DecisionRule {
        // `statutes::read` refuses statutes that miss a required kind, so the board
        // election's rule and the general rule are always there for the others: an
        // election falls back on the first, a yes-or-no decision on the second.
        self.rules.get(&kind).unwrap_or_else(|| {
            if kind.is_election() {
                &self.rules[&DecisionKind::ElectBoard]
            } else {
                &self.rules[&DecisionKind::General]
            }
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberStatus {
    Active,
    Suspended {
        until_ms: u64,
        reason: String,
        poll: EventId,
    },
    Left {
        index: u64,
    },
    Expelled {
        reason: String,
        poll: EventId,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub since_ms: u64,
    pub admitted_index: u64,
    /// Declared chambers the member was admitted to.
    pub chambers: BTreeSet<String>,
    pub status: MemberStatus,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplicationStatus {
    Pending,
    Admitted { index: u64 },
    Refused { index: u64, reason: String },
    Withdrawn { index: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub applicant: AuthorKey,
    pub index: u64,
    pub time_ms: u64,
    pub chambers: BTreeSet<String>,
    pub statement: Option<String>,
    pub status: ApplicationStatus,
}

/// Everything the association adds to a commons' state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Association {
    pub statutes: Option<Statutes>,
    /// Ledger index of each version of the statutes, oldest first, with the poll that
    /// adopted it (none for the first adoption).
    pub statutes_history: Vec<(u64, Option<EventId>)>,
    pub members: BTreeMap<AuthorKey, Member>,
    pub applications: BTreeMap<EventId, Application>,
    /// Suspensions by (end in ledger ms, member); ended ones are dropped at the tick.
    pub suspensions: BTreeSet<(u64, AuthorKey)>,
    /// The pending application of each applicant.
    pub pending_by_key: BTreeMap<AuthorKey, EventId>,
    pub polls: BTreeMap<EventId, polls::Poll>,
    /// Open polls by (closing time in ledger ms, id).
    pub open_polls: BTreeSet<(u64, EventId)>,
    /// Delegations by (delegator, topic).
    pub delegations: BTreeMap<(AuthorKey, String), AuthorKey>,
    /// Where each cast ballot is: its `poll.vote` id to (poll, position in its history).
    pub casts: BTreeMap<EventId, (EventId, usize)>,
    /// The board elected last, and until when (ledger ms).
    pub board: Vec<AuthorKey>,
    pub board_until_ms: u64,
    /// Participatory budgeting rounds, projects and spending authorisations.
    pub budgets: budget::Budgets,
}

impl Association {
    pub fn is_active_member(&self, key: &AuthorKey) -> bool {
        self.members
            .get(key)
            .is_some_and(|m| m.status == MemberStatus::Active)
    }

    pub fn n_active_members(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.status == MemberStatus::Active)
            .count()
    }
}

/// The kinds of this area, in documentation order.
pub const KINDS: &[&str] = &[
    statutes::ADOPT,
    members::APPLY,
    members::ADMIT,
    members::LEAVE,
    polls::OPEN,
    polls::VOTE,
    polls::STATEMENT,
    delegation::SET,
    delegation::REVOKE,
    budget::OPEN,
    budget::PROPOSE,
    budget::FLAG,
    budget::REVIEW,
    budget::VOTE,
    budget::CANCEL,
];

/// Folds one association event; `None` if the kind is not one of this area's.
pub(crate) fn apply(state: &mut State, input: &Input<'_>) -> Option<Result<Applied, Rejection>> {
    Some(match input.event.header.kind.as_str() {
        statutes::ADOPT => statutes::adopt(state, input),
        members::APPLY => members::apply(state, input),
        members::ADMIT => members::admit(state, input),
        members::LEAVE => members::leave(state, input),
        polls::OPEN => polls::open(state, input),
        polls::VOTE => polls::vote(state, input),
        polls::STATEMENT => polls::statement(state, input),
        delegation::SET => delegation::set(state, input),
        delegation::REVOKE => delegation::revoke(state, input),
        budget::OPEN => budget::open(state, input),
        budget::PROPOSE => budget::propose(state, input),
        budget::FLAG => budget::flag(state, input),
        budget::REVIEW => budget::review(state, input),
        budget::VOTE => budget::vote(state, input),
        budget::CANCEL => budget::cancel(state, input),
        _ => return None,
    })
}

/// Ledger time moved: close the polls whose time is up, and end suspensions and board
/// terms that ran out.
pub(crate) fn on_tick(state: &mut State, input: &Input<'_>, applied: &mut Applied) {
    polls::close_due(state, input, applied);
    budget::close_due(state, input, applied);
    members::end_suspensions(state, applied);
    let association = &mut state.association;
    if !association.board.is_empty() && state.time_ms >= association.board_until_ms {
        association.board.clear();
        applied.touch(crate::projection::RowKey::Association);
    }
}

/// The statutes, or `no_statutes` when the association has none yet.
pub(crate) fn statutes_of(state: &State) -> Result<&Statutes, Rejection> {
    match &state.association.statutes {
        Some(s) => Ok(s),
        None => reject(
            RejectionCode::NoStatutes,
            "the association has no statutes yet; a maintainer adopts them with assoc.adopt",
        ),
    }
}

/// The keys with accepted work in the `months` most recent calendar months, this one
/// included.
pub fn contributors(state: &State, months: u32) -> BTreeSet<AuthorKey> {
    let now = crate::production::month_of(state.time_ms);
    let from = now.saturating_sub(months.saturating_sub(1));
    state
        .production
        .tallies
        .contributors_by_month
        .range(from..=now)
        .flat_map(|(_, keys)| keys.iter().copied())
        .collect()
}

/// Every maintainer: the commons' and each area's.
pub fn maintainers(state: &State) -> BTreeSet<AuthorKey> {
    let mut keys: BTreeSet<AuthorKey> = state.governance.maintainers.iter().copied().collect();
    for area in state.production.areas.values() {
        keys.extend(area.maintainers.iter().copied());
    }
    keys
}

/// The chambers `key` sits in now: declared ones they were admitted to, and derived
/// ones they qualify for. Empty unless they are an active member.
pub fn chambers_of(state: &State, key: &AuthorKey) -> BTreeSet<String> {
    let association = &state.association;
    let (Some(statutes), Some(member)) = (&association.statutes, association.members.get(key))
    else {
        return BTreeSet::new();
    };
    let derived = statutes
        .chambers
        .iter()
        .any(|c| c.basis == ChamberBasis::Contributors);
    let contributor = derived
        && member.status == MemberStatus::Active
        && contributors(state, statutes.contributor_window_months).contains(key);
    member_chambers(statutes, member, contributor)
}

/// [`chambers_of`] for a member whose being a contributor is known, so that a listing of
/// many members computes the contributors once.
pub fn member_chambers(
    statutes: &Statutes,
    member: &Member,
    contributor: bool,
) -> BTreeSet<String> {
    if member.status != MemberStatus::Active {
        return BTreeSet::new();
    }
    statutes
        .chambers
        .iter()
        .filter(|c| match c.basis {
            ChamberBasis::Declared => member.chambers.contains(&c.slug),
            ChamberBasis::Contributors => contributor,
        })
        .map(|c| c.slug.clone())
        .collect()
}

pub(crate) fn invalid<T>(kind: &str, message: impl std::fmt::Display) -> Result<T, Rejection> {
    reject(RejectionCode::BodyInvalid, format!("{kind}: {message}"))
}
