//! The association API: statutes, members and applications, polls with their frozen
//! electorates, ballots and results, delegations, and a preview of the rule a new poll
//! would follow.
//!
//! Everything here is public by design: membership, every ballot, every delegation and
//! every count sheet are ledger data that anyone may audit and recount (holoptism). The
//! association keeps no private data, so every reader sees the same answers. Answers are
//! computed from the node's in-memory state (`Node::inspect`, core's `association`),
//! copying out one page. Writes are ordinary signed events submitted to
//! `POST /api/v1/events`.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, parse_author, parse_commons_id, parse_event_id};
use crate::production::{inspect, page_limit_within};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use commons_core::State as CommonsState;
use commons_core::association::polls::{self, Decision, Poll, PollResult};
use commons_core::association::{
    self, Application, ApplicationStatus, ChamberRule, Combine, DecisionKind, DecisionRule,
    Electorate, Member, MemberStatus, POLL_DURATION_MAX_MS, POLL_DURATION_MIN_MS, Ratio, Statutes,
};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, CommonsId, EventId};
use commons_tally::{Availability, Ballot, ConsentStance, Method, Outcome, Profile, Stance};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most items in one page of an association listing (members, polls, an electorate,
/// ballots, delegations).
pub const ASSOCIATION_PAGE_MAX: usize = 1_000;
/// Items in a page when the query does not say.
pub const ASSOCIATION_PAGE_DEFAULT: usize = 100;

/// How anyone recomputes a poll's `electorate_hash` from its published electorate
/// (`commons_core::association::polls::electorate_hash`).
pub const ELECTORATE_HASH_RECIPE: &str = "SHA-256 of the deterministic CBOR encoding (spec §3) of one array holding, for every voter in ascending order of key bytes, the array [key as a 33-byte byte string, weight as an unsigned integer, [chamber slugs as text strings, in ascending order]]";

/// The ranked methods, whose ballots export as BLT.
const RANKED_METHODS: [&str; 7] = [
    "borda",
    "borda-truncated",
    "irv",
    "schulze",
    "ranked-pairs",
    "stv-scottish",
    "stv-meek",
];

fn page_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    page_limit_within(limit, ASSOCIATION_PAGE_DEFAULT, ASSOCIATION_PAGE_MAX)
}

fn unknown_poll() -> ApiError {
    ApiError::not_found("unknown_poll", "this commons has no poll with that id")
}

fn no_statutes() -> ApiError {
    ApiError::not_found(
        "no_statutes",
        "this commons' association has no statutes yet; a maintainer adopts them with assoc.adopt",
    )
}

fn invalid_query(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_query", message)
}

// ---------------------------------------------------------------------------------------
// Statutes as JSON: what `GET association` shows and `commons assoc adopt --file` reads.

/// A chamber of the statutes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChamberJson {
    pub slug: String,
    pub name: String,
    /// `declared` (members name it when they apply) or `contributors` (derived from
    /// accepted work in the contributor window).
    pub basis: String,
}

/// How a rule tallies by chamber.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChamberRuleJson {
    /// `concurrent` (passing in `required` chambers) or `weighted` (support weighted by
    /// chamber).
    pub combine: String,
    #[serde(default)]
    pub required: Option<u32>,
    /// Chamber slug to weight `n/d`; the weights sum to 1.
    #[serde(default)]
    pub weights: Option<BTreeMap<String, String>>,
    #[serde(default = "zero_ratio")]
    pub chamber_quorum: String,
    #[serde(default)]
    pub veto: Vec<String>,
}

/// A progressive threshold: `threshold` at `full_turnout` or more, rising to
/// `max_threshold` as turnout falls to the quorum.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProgressiveJson {
    pub full_turnout: String,
    pub max_threshold: String,
}

/// A decision rule. Fractions are exact `n/d` strings, as the statutes write them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RuleJson {
    /// A `commons-tally` method name.
    pub method: String,
    /// `members`, `contributors`, `maintainers`, `registered`, `chamber:<slug>` or
    /// `area:<slug>`.
    pub electorate: String,
    pub threshold: String,
    #[serde(default)]
    pub strict: bool,
    #[serde(default = "zero_ratio")]
    pub quorum: String,
    #[serde(default)]
    pub chambers: Option<ChamberRuleJson>,
    #[serde(default)]
    pub progressive: Option<ProgressiveJson>,
}

/// The statutes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StatutesJson {
    pub name: String,
    #[serde(default)]
    pub purpose: Option<String>,
    /// `open`, `maintainers` or `vote`.
    pub admission: String,
    #[serde(default)]
    pub chambers: Vec<ChamberJson>,
    pub contributor_window_months: u32,
    pub board_seats: u32,
    pub board_term_months: u32,
    /// The treasurers' keys (hex): they record income and payouts and approve
    /// distributions and expenses.
    #[serde(default)]
    pub treasurers: Vec<String>,
    /// How many treasurers approve a distribution (k of n; 1 when absent).
    #[serde(default = "one")]
    pub treasurer_approvals: u32,
    /// One rule per kind of decision: `amend_statutes`, `admit_member`,
    /// `suspend_member`, `expel_member`, `elect_board`, `general`.
    pub rules: BTreeMap<String, RuleJson>,
}

fn one() -> u32 {
    1
}

fn zero_ratio() -> String {
    Ratio::ZERO.text()
}

/// `"n/d"` (or `"n"`) as the body form `[n, d]`; core checks the range.
fn ratio_value(field: &str, text: &str) -> Result<Value, String> {
    let (num, den) = text.split_once('/').unwrap_or((text, "1"));
    match (num.trim().parse::<u64>(), den.trim().parse::<u64>()) {
        (Ok(num), Ok(den)) => Ok(Value::Array(vec![
            Value::Unsigned(num),
            Value::Unsigned(den),
        ])),
        _ => Err(format!(
            "`{field}` is a fraction written \"n/d\", e.g. \"2/3\", not {text:?}"
        )),
    }
}

impl RuleJson {
    pub fn of(rule: &DecisionRule) -> RuleJson {
        RuleJson {
            method: rule.method.clone(),
            electorate: rule.electorate.to_text(),
            threshold: rule.threshold.text(),
            strict: rule.strict,
            quorum: rule.quorum.text(),
            chambers: rule.chambers.as_ref().map(ChamberRuleJson::of),
            progressive: rule.progressive.as_ref().map(|p| ProgressiveJson {
                full_turnout: p.full_turnout.text(),
                max_threshold: p.max_threshold.text(),
            }),
        }
    }

    /// The rule's body form (core's `statutes::read_rule` checks it).
    pub fn to_value(&self) -> Result<Value, String> {
        let mut fields = vec![
            ("method", Value::text(self.method.clone())),
            ("electorate", Value::text(self.electorate.clone())),
            ("threshold", ratio_value("threshold", &self.threshold)?),
            ("quorum", ratio_value("quorum", &self.quorum)?),
        ];
        if self.strict {
            fields.push(("strict", Value::Bool(true)));
        }
        if let Some(p) = &self.progressive {
            fields.push((
                "progressive",
                Value::text_map([
                    (
                        "full_turnout",
                        ratio_value("full_turnout", &p.full_turnout)?,
                    ),
                    (
                        "max_threshold",
                        ratio_value("max_threshold", &p.max_threshold)?,
                    ),
                ]),
            ));
        }
        if let Some(c) = &self.chambers {
            fields.push(("chambers", c.to_value()?));
        }
        Ok(Value::text_map(fields))
    }
}

impl ChamberRuleJson {
    fn of(rule: &ChamberRule) -> ChamberRuleJson {
        let (combine, required, weights) = match &rule.combine {
            Combine::Concurrent { required } => ("concurrent", Some(*required), None),
            Combine::Weighted { weights } => (
                "weighted",
                None,
                Some(weights.iter().map(|(k, w)| (k.clone(), w.text())).collect()),
            ),
        };
        ChamberRuleJson {
            combine: combine.into(),
            required,
            weights,
            chamber_quorum: rule.chamber_quorum.text(),
            veto: rule.veto.clone(),
        }
    }

    fn to_value(&self) -> Result<Value, String> {
        let mut fields = vec![("combine", Value::text(self.combine.clone()))];
        if let Some(required) = self.required {
            fields.push(("required", Value::Unsigned(u64::from(required))));
        }
        if let Some(weights) = &self.weights {
            let mut entries = Vec::new();
            for (slug, w) in weights {
                entries.push((Value::text(slug.clone()), ratio_value("weights", w)?));
            }
            fields.push(("weights", Value::map(entries)));
        }
        fields.push((
            "chamber_quorum",
            ratio_value("chamber_quorum", &self.chamber_quorum)?,
        ));
        if !self.veto.is_empty() {
            fields.push((
                "veto",
                Value::Array(self.veto.iter().map(|s| Value::text(s.clone())).collect()),
            ));
        }
        Ok(Value::text_map(fields))
    }
}

impl StatutesJson {
    pub fn of(statutes: &Statutes) -> StatutesJson {
        StatutesJson {
            name: statutes.name.clone(),
            purpose: statutes.purpose.clone(),
            admission: statutes.admission.as_str().into(),
            chambers: statutes
                .chambers
                .iter()
                .map(|c| ChamberJson {
                    slug: c.slug.clone(),
                    name: c.name.clone(),
                    basis: c.basis.as_str().into(),
                })
                .collect(),
            contributor_window_months: statutes.contributor_window_months,
            board_seats: statutes.board_seats,
            board_term_months: statutes.board_term_months,
            treasurers: statutes.treasurers.iter().map(|k| k.to_hex()).collect(),
            treasurer_approvals: statutes.treasurer_approvals,
            rules: statutes
                .rules
                .iter()
                .map(|(kind, rule)| (kind.as_str().to_owned(), RuleJson::of(rule)))
                .collect(),
        }
    }

    /// The statutes' body form, as `assoc.adopt` and an `amend_statutes` poll carry it
    /// under `statutes`. Core's `statutes::read` checks everything else.
    pub fn to_value(&self) -> Result<Value, String> {
        let chambers = self
            .chambers
            .iter()
            .map(|c| {
                Value::text_map([
                    ("slug", Value::text(c.slug.clone())),
                    ("name", Value::text(c.name.clone())),
                    ("basis", Value::text(c.basis.clone())),
                ])
            })
            .collect();
        let mut rules = Vec::new();
        for (kind, rule) in &self.rules {
            let value = rule.to_value().map_err(|e| format!("rule `{kind}`: {e}"))?;
            rules.push((Value::text(kind.clone()), value));
        }
        let mut fields = vec![
            ("name", Value::text(self.name.clone())),
            ("admission", Value::text(self.admission.clone())),
            ("chambers", Value::Array(chambers)),
            (
                "contributor_window_months",
                Value::Unsigned(u64::from(self.contributor_window_months)),
            ),
            ("board_seats", Value::Unsigned(u64::from(self.board_seats))),
            (
                "board_term_months",
                Value::Unsigned(u64::from(self.board_term_months)),
            ),
            ("rules", Value::map(rules)),
        ];
        if let Some(purpose) = &self.purpose {
            fields.push(("purpose", Value::text(purpose.clone())));
        }
        if !self.treasurers.is_empty() {
            let mut keys = Vec::with_capacity(self.treasurers.len());
            for text in &self.treasurers {
                let key = AuthorKey::from_hex(text)
                    .map_err(|_| format!("treasurer `{text}` is not a hex author key"))?;
                keys.push(Value::bytes(key.to_bytes().to_vec()));
            }
            fields.push(("treasurers", Value::Array(keys)));
        }
        if self.treasurer_approvals != 1 {
            fields.push((
                "treasurer_approvals",
                Value::Unsigned(u64::from(self.treasurer_approvals)),
            ));
        }
        Ok(Value::text_map(fields))
    }
}

// ---------------------------------------------------------------------------------------
// People and ballots

/// A key with its published display name, if any.
#[derive(Debug, Serialize)]
pub struct PersonJson {
    pub key: String,
    pub name: Option<String>,
}

impl PersonJson {
    pub fn of(state: &CommonsState, key: &AuthorKey) -> PersonJson {
        PersonJson {
            key: key.to_hex(),
            name: state.display_name(key).map(str::to_owned),
        }
    }
}

/// An option of a poll, by its index in the ballots and its name.
#[derive(Debug, Serialize)]
pub struct OptionJson {
    pub index: usize,
    pub name: String,
}

fn options_named(poll: &Poll, indexes: &[usize]) -> Vec<OptionJson> {
    indexes
        .iter()
        .map(|i| OptionJson {
            index: *i,
            name: poll.options.get(*i).cloned().unwrap_or_default(),
        })
        .collect()
}

/// A ballot for people: `Ana > Ben = Chloe`, `yes`, `Ana, Ben`, `Ana=5, Ben=2`.
pub fn ballot_text(ballot: &Ballot, options: &[String]) -> String {
    let name = |c: &usize| options.get(*c).cloned().unwrap_or_else(|| format!("#{c}"));
    let joined = |items: Vec<String>, sep: &str| items.join(sep);
    match ballot {
        Ballot::Choice(c) => name(c),
        Ballot::Approval(cs) => joined(cs.iter().map(name).collect(), ", "),
        Ballot::Scores(scores) => joined(
            scores
                .iter()
                .map(|(c, s)| format!("{}={s}", name(c)))
                .collect(),
            ", ",
        ),
        Ballot::Ranking(ranks) if ranks.is_empty() => "(blank)".into(),
        Ballot::Ranking(ranks) => joined(
            ranks
                .iter()
                .map(|rank| joined(rank.iter().map(name).collect(), " = "))
                .collect(),
            " > ",
        ),
        Ballot::Proposal(stance) => match stance {
            Stance::Yes => "yes",
            Stance::No => "no",
            Stance::Abstain => "abstain",
            Stance::Block => "block",
        }
        .into(),
        Ballot::Consent(stance) => match stance {
            ConsentStance::Consent => "consent",
            ConsentStance::Object { resolved: false } => "object",
            ConsentStance::Object { resolved: true } => "resolved",
        }
        .into(),
        Ballot::Availability(slots) => joined(
            slots
                .iter()
                .map(|(c, a)| {
                    let a = match a {
                        Availability::Yes => "yes",
                        Availability::IfNeedBe => "if_need_be",
                        Availability::No => "no",
                    };
                    format!("{}={a}", name(c))
                })
                .collect(),
            ", ",
        ),
    }
}

// ---------------------------------------------------------------------------------------
// GET association

#[derive(Debug, Serialize)]
pub struct StatutesVersionJson {
    /// The ledger index at which this version took effect.
    pub index: u64,
    /// The amendment poll that adopted it; `null` for the first adoption.
    pub poll: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MemberCountsJson {
    /// Everyone the association ever admitted.
    pub total: u64,
    pub active: u64,
    pub suspended: u64,
    pub left: u64,
    pub expelled: u64,
    /// Active members per chamber slug (derived chambers included).
    pub by_chamber: BTreeMap<String, u64>,
    pub applications_pending: u64,
}

#[derive(Debug, Serialize)]
pub struct AssociationJson {
    pub statutes: StatutesJson,
    /// Every version of the statutes, oldest first.
    pub history: Vec<StatutesVersionJson>,
    pub board: Vec<PersonJson>,
    /// When the board's term ends, in ledger ms; `null` when there is no board.
    pub board_until_ms: Option<u64>,
    pub members: MemberCountsJson,
    pub polls_open: u64,
    pub polls_total: u64,
    pub ledger_time_ms: u64,
}

fn status_str(status: &MemberStatus) -> &'static str {
    match status {
        MemberStatus::Active => "active",
        MemberStatus::Suspended { .. } => "suspended",
        MemberStatus::Left { .. } => "left",
        MemberStatus::Expelled { .. } => "expelled",
    }
}

/// `GET /api/v1/commons/{id}/association`.
pub async fn association_overview(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AssociationJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let overview = inspect(&state, &commons, |s| {
        let a = &s.association;
        let statutes = a.statutes.as_ref()?;
        let contributors = association::contributors(s, statutes.contributor_window_months);
        let mut counts = MemberCountsJson {
            total: a.members.len() as u64,
            active: 0,
            suspended: 0,
            left: 0,
            expelled: 0,
            by_chamber: statutes
                .chambers
                .iter()
                .map(|c| (c.slug.clone(), 0))
                .collect(),
            applications_pending: a.pending_by_key.len() as u64,
        };
        for (key, member) in &a.members {
            match member.status {
                MemberStatus::Active => counts.active += 1,
                MemberStatus::Suspended { .. } => counts.suspended += 1,
                MemberStatus::Left { .. } => counts.left += 1,
                MemberStatus::Expelled { .. } => counts.expelled += 1,
            }
            let chambers =
                association::member_chambers(statutes, member, contributors.contains(key));
            for slug in chambers {
                *counts.by_chamber.entry(slug).or_default() += 1;
            }
        }
        Some(AssociationJson {
            statutes: StatutesJson::of(statutes),
            history: a
                .statutes_history
                .iter()
                .map(|(index, poll)| StatutesVersionJson {
                    index: *index,
                    poll: poll.as_ref().map(EventId::to_hex),
                })
                .collect(),
            board: a.board.iter().map(|k| PersonJson::of(s, k)).collect(),
            board_until_ms: (!a.board.is_empty()).then_some(a.board_until_ms),
            members: counts,
            polls_open: a.open_polls.len() as u64,
            polls_total: a.polls.len() as u64,
            ledger_time_ms: s.time_ms,
        })
    })
    .await?;
    overview.map(Json).ok_or_else(no_statutes)
}

// ---------------------------------------------------------------------------------------
// Members and applications

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberParams {
    status: Option<String>,
    chamber: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct MemberJson {
    pub key: String,
    pub name: Option<String>,
    pub since_ms: u64,
    pub admitted_index: u64,
    /// The chambers they sit in now: declared ones they were admitted to and derived ones
    /// (e.g. `contributors`) they qualify for. Empty unless active.
    pub chambers: Vec<String>,
    /// Of `member` (active), `maintainer` (of the commons or an area), `board`,
    /// `contributor` (accepted work in the statutes' window).
    pub roles: Vec<&'static str>,
    /// `active`, `suspended`, `left` or `expelled`.
    pub status: &'static str,
    /// Why they were suspended or expelled.
    pub reason: Option<String>,
    /// The poll that suspended or expelled them.
    pub poll: Option<String>,
    pub suspended_until_ms: Option<u64>,
    /// The ledger index at which they left.
    pub left_index: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct MemberPage {
    pub matching: u64,
    pub offset: usize,
    /// In order of admission.
    pub members: Vec<MemberJson>,
}

/// What a listing of people needs to know once: contributors, maintainers, the board.
struct Roles {
    contributors: BTreeSet<AuthorKey>,
    maintainers: BTreeSet<AuthorKey>,
    board: BTreeSet<AuthorKey>,
}

impl Roles {
    fn of(state: &CommonsState, statutes: &Statutes) -> Roles {
        Roles {
            contributors: association::contributors(state, statutes.contributor_window_months),
            maintainers: association::maintainers(state),
            board: state.association.board.iter().copied().collect(),
        }
    }

    fn member_json(
        &self,
        state: &CommonsState,
        statutes: &Statutes,
        key: &AuthorKey,
        member: &Member,
    ) -> MemberJson {
        let contributor = self.contributors.contains(key);
        let mut roles = Vec::new();
        if member.status == MemberStatus::Active {
            roles.push("member");
        }
        if self.maintainers.contains(key) {
            roles.push("maintainer");
        }
        if self.board.contains(key) {
            roles.push("board");
        }
        if contributor {
            roles.push("contributor");
        }
        let (reason, poll, suspended_until_ms, left_index) = match &member.status {
            MemberStatus::Active => (None, None, None, None),
            MemberStatus::Suspended {
                until_ms,
                reason,
                poll,
            } => (
                Some(reason.clone()),
                Some(poll.to_hex()),
                Some(*until_ms),
                None,
            ),
            MemberStatus::Left { index } => (None, None, None, Some(*index)),
            MemberStatus::Expelled { reason, poll } => {
                (Some(reason.clone()), Some(poll.to_hex()), None, None)
            }
        };
        MemberJson {
            key: key.to_hex(),
            name: state.display_name(key).map(str::to_owned),
            since_ms: member.since_ms,
            admitted_index: member.admitted_index,
            chambers: association::member_chambers(statutes, member, contributor)
                .into_iter()
                .collect(),
            roles,
            status: status_str(&member.status),
            reason,
            poll,
            suspended_until_ms,
            left_index,
        }
    }
}

/// `GET /api/v1/commons/{id}/members`: in order of admission, filtered by status and
/// chamber.
pub async fn list_members(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<MemberParams>,
) -> Result<Json<MemberPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    if let Some(status) = &params.status
        && !["active", "suspended", "left", "expelled"].contains(&status.as_str())
    {
        return Err(invalid_query(
            "status is active, suspended, left or expelled",
        ));
    }
    let page = inspect(&state, &commons, move |s| {
        let a = &s.association;
        let Some(statutes) = &a.statutes else {
            return Ok(MemberPage {
                matching: 0,
                offset: params.offset,
                members: Vec::new(),
            });
        };
        if let Some(slug) = &params.chamber
            && statutes.chamber(slug).is_none()
        {
            return Err(ApiError::not_found(
                "unknown_chamber",
                format!("the statutes define no chamber `{slug}`"),
            ));
        }
        let roles = Roles::of(s, statutes);
        let mut matches: Vec<(u64, &AuthorKey, &Member)> = a
            .members
            .iter()
            .filter(|(key, m)| {
                params
                    .status
                    .as_deref()
                    .is_none_or(|st| st == status_str(&m.status))
                    && params.chamber.as_ref().is_none_or(|slug| {
                        association::member_chambers(statutes, m, roles.contributors.contains(key))
                            .contains(slug)
                    })
            })
            .map(|(key, m)| (m.admitted_index, key, m))
            .collect();
        matches.sort_by_key(|(index, key, _)| (*index, **key));
        Ok(MemberPage {
            matching: matches.len() as u64,
            offset: params.offset,
            members: matches
                .iter()
                .skip(params.offset)
                .take(limit)
                .map(|(_, key, m)| roles.member_json(s, statutes, key, m))
                .collect(),
        })
    })
    .await??;
    Ok(Json(page))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationParams {
    status: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct ApplicationJson {
    /// The `member.apply` event's id: what `member.admit` and an `admit_member` poll name.
    pub id: String,
    pub applicant: PersonJson,
    pub index: u64,
    pub time_ms: u64,
    pub chambers: Vec<String>,
    pub statement: Option<String>,
    /// `pending`, `admitted`, `refused` or `withdrawn`.
    pub status: &'static str,
    /// The ledger index of the decision or withdrawal.
    pub decided_index: Option<u64>,
    pub refuse_reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ApplicationPage {
    pub matching: u64,
    pub offset: usize,
    /// Pending ones first, oldest first; then decided ones, newest first.
    pub applications: Vec<ApplicationJson>,
}

fn application_status(status: &ApplicationStatus) -> (&'static str, Option<u64>) {
    match status {
        ApplicationStatus::Pending => ("pending", None),
        ApplicationStatus::Admitted { index } => ("admitted", Some(*index)),
        ApplicationStatus::Refused { index, .. } => ("refused", Some(*index)),
        ApplicationStatus::Withdrawn { index } => ("withdrawn", Some(*index)),
    }
}

fn application_json(state: &CommonsState, id: &EventId, a: &Application) -> ApplicationJson {
    let (status, decided_index) = application_status(&a.status);
    ApplicationJson {
        id: id.to_hex(),
        applicant: PersonJson::of(state, &a.applicant),
        index: a.index,
        time_ms: a.time_ms,
        chambers: a.chambers.iter().cloned().collect(),
        statement: a.statement.clone(),
        status,
        decided_index,
        refuse_reason: match &a.status {
            ApplicationStatus::Refused { reason, .. } => Some(reason.clone()),
            _ => None,
        },
    }
}

/// `GET /api/v1/commons/{id}/applications`: pending first.
pub async fn list_applications(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<ApplicationParams>,
) -> Result<Json<ApplicationPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    if let Some(status) = &params.status
        && !["pending", "admitted", "refused", "withdrawn"].contains(&status.as_str())
    {
        return Err(invalid_query(
            "status is pending, admitted, refused or withdrawn",
        ));
    }
    let page = inspect(&state, &commons, move |s| {
        let a = &s.association;
        let wanted = |app: &Application| {
            params
                .status
                .as_deref()
                .is_none_or(|st| st == application_status(&app.status).0)
        };
        let mut pending: Vec<(u64, &EventId)> = a
            .pending_by_key
            .values()
            .filter_map(|id| a.applications.get(id).map(|app| (app.index, id)))
            .collect();
        pending.sort();
        let mut decided: Vec<(u64, &EventId)> = a
            .applications
            .iter()
            .filter(|(_, app)| app.status != ApplicationStatus::Pending && wanted(app))
            .map(|(id, app)| (app.index, id))
            .collect();
        decided.sort_by(|x, y| y.cmp(x));
        let pending_wanted = params.status.as_deref().is_none_or(|st| st == "pending");
        let ordered: Vec<&EventId> = pending
            .into_iter()
            .filter(|_| pending_wanted)
            .chain(decided)
            .map(|(_, id)| id)
            .collect();
        ApplicationPage {
            matching: ordered.len() as u64,
            offset: params.offset,
            applications: ordered
                .iter()
                .skip(params.offset)
                .take(limit)
                .filter_map(|id| Some(application_json(s, id, a.applications.get(*id)?)))
                .collect(),
        }
    })
    .await?;
    Ok(Json(page))
}

// ---------------------------------------------------------------------------------------
// Polls

#[derive(Debug, Serialize)]
pub struct TurnoutJson {
    /// Weight of the voters whose ballot counts (for an open poll, who voted directly so
    /// far; delegations are followed at the close).
    pub weight: u64,
    pub electorate_weight: u64,
    /// `weight/electorate_weight`, exact and unreduced.
    pub share: String,
    /// Voters who cast a ballot themselves.
    pub voters: u64,
}

fn turnout(poll: &Poll) -> TurnoutJson {
    let weight = poll
        .result
        .as_ref()
        .map_or_else(|| poll.turnout_weight(), |r| r.turnout_weight);
    TurnoutJson {
        weight,
        electorate_weight: poll.electorate_weight,
        share: format!("{weight}/{}", poll.electorate_weight),
        voters: poll.n_voters() as u64,
    }
}

#[derive(Debug, Serialize)]
pub struct PollSummaryJson {
    pub id: String,
    pub title: String,
    pub author: PersonJson,
    /// The kind of decision: `general`, `amend_statutes`, `admit_member`,
    /// `suspend_member`, `expel_member` or `elect_board`.
    pub decision: &'static str,
    pub method: &'static str,
    pub index: u64,
    pub opened_ms: u64,
    pub closes_ms: u64,
    /// `open` or `closed`.
    pub status: &'static str,
    pub electorate_size: u64,
    pub turnout: TurnoutJson,
    pub n_ballots: u64,
    /// Whether it passed; `null` while open.
    pub passed: Option<bool>,
    /// The options elected or chosen, once closed.
    pub winners: Vec<OptionJson>,
}

fn poll_summary(state: &CommonsState, id: &EventId, poll: &Poll) -> PollSummaryJson {
    PollSummaryJson {
        id: id.to_hex(),
        title: poll.title.clone(),
        author: PersonJson::of(state, &poll.author),
        decision: poll.decision.kind().as_str(),
        method: poll.method.name(),
        index: poll.index,
        opened_ms: poll.opened_ms,
        closes_ms: poll.closes_ms,
        status: if poll.is_open() { "open" } else { "closed" },
        electorate_size: poll.electorate.len() as u64,
        turnout: turnout(poll),
        n_ballots: poll.ballots.len() as u64,
        passed: poll.result.as_ref().map(|r| r.passed),
        winners: poll
            .result
            .as_ref()
            .map(|r| options_named(poll, &r.winners))
            .unwrap_or_default(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollParams {
    status: Option<String>,
    decision: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct PollPage {
    pub matching: u64,
    pub offset: usize,
    /// Open polls first, closing soonest first; then closed ones, last closed first.
    pub polls: Vec<PollSummaryJson>,
}

/// `GET /api/v1/commons/{id}/polls`.
pub async fn list_polls(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<PollParams>,
) -> Result<Json<PollPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    let (want_open, want_closed) = match params.status.as_deref() {
        None => (true, true),
        Some("open") => (true, false),
        Some("closed") => (false, true),
        Some(_) => return Err(invalid_query("status is open or closed")),
    };
    let decision = match params.decision.as_deref() {
        None => None,
        Some(text) => Some(DecisionKind::parse(text).ok_or_else(|| {
            invalid_query(format!(
                "decision is one of {}",
                DecisionKind::ALL.map(|k| k.as_str()).join(", ")
            ))
        })?),
    };
    let page = inspect(&state, &commons, move |s| {
        let a = &s.association;
        let wanted = |poll: &Poll| decision.is_none_or(|k| poll.decision.kind() == k);
        let open = a
            .open_polls
            .iter()
            .filter(|_| want_open)
            .filter_map(|(_, id)| Some((id, a.polls.get(id)?)))
            .filter(|(_, poll)| wanted(poll));
        let mut closed: Vec<(u64, &EventId, &Poll)> = a
            .polls
            .iter()
            .filter(|_| want_closed)
            .filter_map(|(id, poll)| Some((poll.result.as_ref()?.index, id, poll)))
            .filter(|(_, _, poll)| wanted(poll))
            .collect();
        closed.sort_by(|x, y| (y.0, y.1).cmp(&(x.0, x.1)));
        let ordered: Vec<(&EventId, &Poll)> = open
            .chain(closed.into_iter().map(|(_, id, poll)| (id, poll)))
            .collect();
        PollPage {
            matching: ordered.len() as u64,
            offset: params.offset,
            polls: ordered
                .iter()
                .skip(params.offset)
                .take(limit)
                .map(|(id, poll)| poll_summary(s, id, poll))
                .collect(),
        }
    })
    .await?;
    Ok(Json(page))
}

/// A method's parameters, as `commons_tally::Method::from_name` reads them.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ParametersJson {
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub budget: Option<u32>,
}

impl ParametersJson {
    pub fn of(method: &Method) -> ParametersJson {
        match *method {
            Method::Approval { min, max } | Method::Score { min, max } => ParametersJson {
                min: Some(min),
                max: Some(max),
                budget: None,
            },
            Method::Dot { budget } => ParametersJson {
                budget: Some(budget),
                ..ParametersJson::default()
            },
            _ => ParametersJson::default(),
        }
    }

    /// The method named `name` with these parameters.
    pub fn method(&self, name: &str) -> Result<Method, commons_tally::TallyError> {
        Method::from_name(
            name,
            commons_tally::MethodParameters {
                min: self.min,
                max: self.max,
                budget: self.budget,
            },
        )
    }
}

#[derive(Debug, Serialize)]
pub struct PollRulesJson {
    #[serde(flatten)]
    pub rule: RuleJson,
    pub parameters: ParametersJson,
    pub options: Vec<OptionJson>,
    pub seats: u32,
    pub closes_ms: u64,
    /// Whether a ballot, once cast, is final (otherwise the last one counts).
    pub final_ballots: bool,
    /// The area whose delegations are followed first; `null` for the general ones only.
    pub topic: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DecisionJson {
    pub kind: &'static str,
    /// `admit_member`: the application and who made it.
    pub application: Option<String>,
    pub applicant: Option<PersonJson>,
    /// `suspend_member`, `expel_member`: whom, why and (suspension) for how long.
    pub member: Option<PersonJson>,
    pub reason: Option<String>,
    pub days: Option<u64>,
    /// `elect_board`: the candidates, in the order of the options.
    pub candidates: Vec<PersonJson>,
    /// `amend_statutes`: the statutes proposed.
    pub statutes: Option<StatutesJson>,
    /// `value_equation`: the equation proposed, in its body form, and from when it counts.
    pub equation: Option<serde_json::Value>,
    pub effective_ms: Option<u64>,
    /// `expense`: the expense the poll approves (hex id).
    pub expense: Option<String>,
    /// `award`: the award whose winners it elects (hex id); `candidates` are the nominees.
    pub award: Option<String>,
}

impl DecisionJson {
    fn of(state: &CommonsState, decision: &Decision) -> DecisionJson {
        let mut json = DecisionJson {
            kind: decision.kind().as_str(),
            application: None,
            applicant: None,
            member: None,
            reason: None,
            days: None,
            candidates: Vec::new(),
            statutes: None,
            equation: None,
            effective_ms: None,
            expense: None,
            award: None,
        };
        match decision {
            Decision::General => {}
            Decision::Amend(statutes) => json.statutes = Some(StatutesJson::of(statutes)),
            Decision::Admit(application) => {
                json.application = Some(application.to_hex());
                json.applicant = state
                    .association
                    .applications
                    .get(application)
                    .map(|a| PersonJson::of(state, &a.applicant));
            }
            Decision::Suspend {
                member,
                reason,
                days,
            } => {
                json.member = Some(PersonJson::of(state, member));
                json.reason = Some(reason.clone());
                json.days = Some(*days);
            }
            Decision::Expel { member, reason } => {
                json.member = Some(PersonJson::of(state, member));
                json.reason = Some(reason.clone());
            }
            Decision::ElectBoard(candidates) => {
                json.candidates = candidates
                    .iter()
                    .map(|k| PersonJson::of(state, k))
                    .collect();
            }
            Decision::ValueEquation {
                equation,
                effective_ms,
            } => {
                json.equation = Some(commons_ledger::cbor::json::to_json(
                    &commons_core::value::equation::value(equation),
                ));
                json.effective_ms = Some(*effective_ms);
            }
            Decision::Expense(expense) => json.expense = Some(expense.to_hex()),
            Decision::Award { award, nominees } => {
                json.award = Some(award.to_hex());
                json.candidates = nominees.iter().map(|k| PersonJson::of(state, k)).collect();
            }
        }
        json
    }
}

#[derive(Debug, Serialize)]
pub struct ElectorateSummaryJson {
    pub size: u64,
    pub weight: u64,
    /// Hex SHA-256; see `hash_recipe` on `…/electorate`.
    pub hash: String,
}

#[derive(Debug, Serialize)]
pub struct ChamberResultJson {
    pub slug: String,
    pub name: Option<String>,
    pub electorate_weight: u64,
    pub turnout_weight: u64,
    pub quorum_met: bool,
    pub support: String,
    pub passed: bool,
}

#[derive(Debug, Serialize)]
pub struct DelegationFollowedJson {
    /// Who did not vote.
    pub from: PersonJson,
    /// The voter whose ballot counted for them.
    pub to: PersonJson,
}

#[derive(Debug, Serialize)]
pub struct ResultJson {
    /// The ledger index and time of the tick that closed it.
    pub index: u64,
    pub time_ms: u64,
    pub passed: bool,
    pub quorum_met: bool,
    /// Support needed, exact (for a progressive threshold, at the turnout reached).
    pub required: String,
    /// Support reached, exact; `null` for elections.
    pub support: Option<String>,
    /// Proposal: `yes`, `no`, `abstain`, `block`; consent: `consent`, `objections_open`,
    /// `objections_resolved` (by weight); `null` for elections.
    pub counts: Option<BTreeMap<&'static str, u64>>,
    pub turnout_weight: u64,
    /// The options elected or chosen, in order of election.
    pub winners: Vec<OptionJson>,
    /// The winners as far as the count decided them without breaking a tie.
    pub winners_before_tie_break: Vec<OptionJson>,
    /// The lot's seed (hex): SHA-256 of "commons/poll-seed/v1", the closing tick's id
    /// and the poll's id. Recount the exported ballots with it.
    pub seed: String,
    /// The whole count as `commons_tally::count` returned it: rounds (the round-by-round
    /// sheet), tie-breaks with their rule, totals; `null` when nothing was counted.
    pub sheet: Option<Outcome>,
    pub chambers: Vec<ChamberResultJson>,
    /// Delegations followed for voters who did not vote.
    pub delegated: Vec<DelegationFollowedJson>,
    /// What the decision did, or why it could not apply any more.
    pub effect: Option<String>,
    /// Why the count failed, when it did (the poll then did not pass).
    pub error: Option<String>,
}

fn counts_json(method: &Method, counts: [u64; 4]) -> Option<BTreeMap<&'static str, u64>> {
    let names: [&'static str; 4] = match method {
        Method::Proposal => ["yes", "no", "abstain", "block"],
        Method::Consent => ["consent", "objections_open", "objections_resolved", ""],
        _ => return None,
    };
    Some(
        names
            .into_iter()
            .zip(counts)
            .filter(|(name, _)| !name.is_empty())
            .collect(),
    )
}

fn result_json(state: &CommonsState, poll: &Poll, result: &PollResult) -> ResultJson {
    let statutes = state.association.statutes.as_ref();
    ResultJson {
        index: result.index,
        time_ms: result.time_ms,
        passed: result.passed,
        quorum_met: result.quorum_met,
        required: result.required.clone(),
        support: result.support.clone(),
        counts: counts_json(&poll.method, result.counts),
        turnout_weight: result.turnout_weight,
        winners: options_named(poll, &result.winners),
        winners_before_tie_break: result
            .outcome
            .as_ref()
            .map(|o| options_named(poll, &o.winners_before_tie_break))
            .unwrap_or_default(),
        seed: hex::encode(result.seed),
        sheet: result.outcome.clone(),
        chambers: result
            .chambers
            .iter()
            .map(|c| ChamberResultJson {
                slug: c.slug.clone(),
                name: statutes
                    .and_then(|s| s.chamber(&c.slug))
                    .map(|c| c.name.clone()),
                electorate_weight: c.electorate_weight,
                turnout_weight: c.turnout_weight,
                quorum_met: c.quorum_met,
                support: c.support.clone(),
                passed: c.passed,
            })
            .collect(),
        delegated: result
            .delegated
            .iter()
            .map(|(from, to)| DelegationFollowedJson {
                from: PersonJson::of(state, from),
                to: PersonJson::of(state, to),
            })
            .collect(),
        effect: result.effect.clone(),
        error: result.error.clone(),
    }
}

#[derive(Debug, Serialize)]
pub struct StatementJson {
    pub by: PersonJson,
    pub text: String,
    /// When the decision is to be reviewed, in ledger ms.
    pub review_ms: Option<u64>,
    pub index: u64,
}

#[derive(Debug, Serialize)]
pub struct PollJson {
    #[serde(flatten)]
    pub summary: PollSummaryJson,
    pub description: Option<String>,
    pub decision_detail: DecisionJson,
    pub rules: PollRulesJson,
    pub electorate: ElectorateSummaryJson,
    /// Present once the poll closed.
    pub result: Option<ResultJson>,
    pub statements: Vec<StatementJson>,
}

fn poll_json(state: &CommonsState, id: &EventId, poll: &Poll) -> PollJson {
    PollJson {
        summary: poll_summary(state, id, poll),
        description: poll.description.clone(),
        decision_detail: DecisionJson::of(state, &poll.decision),
        rules: PollRulesJson {
            rule: RuleJson::of(&poll.rule),
            parameters: ParametersJson::of(&poll.method),
            options: options_named(poll, &(0..poll.options.len()).collect::<Vec<_>>()),
            seats: poll.seats,
            closes_ms: poll.closes_ms,
            final_ballots: poll.final_ballots,
            topic: poll.topic.clone(),
        },
        electorate: ElectorateSummaryJson {
            size: poll.electorate.len() as u64,
            weight: poll.electorate_weight,
            hash: hex::encode(poll.electorate_hash),
        },
        result: poll.result.as_ref().map(|r| result_json(state, poll, r)),
        statements: poll
            .statements
            .iter()
            .map(|st| StatementJson {
                by: PersonJson::of(state, &st.by),
                text: st.text.clone(),
                review_ms: st.review_ms,
                index: st.index,
            })
            .collect(),
    }
}

/// Runs `read` on the poll `poll` of the commons; 404 `unknown_poll` if there is none.
pub(crate) async fn with_poll<T: Send + 'static>(
    state: &AppState,
    commons: &CommonsId,
    poll: EventId,
    read: impl FnOnce(&CommonsState, &Poll) -> T + Send + 'static,
) -> Result<T, ApiError> {
    inspect(state, commons, move |s| {
        s.association.polls.get(&poll).map(|p| read(s, p))
    })
    .await?
    .ok_or_else(unknown_poll)
}

/// `GET /api/v1/commons/{id}/polls/{poll}`.
pub async fn get_poll(
    State(state): State<AppState>,
    ApiPath((id, poll)): ApiPath<(String, String)>,
) -> Result<Json<PollJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let poll_id = parse_event_id(&poll)?;
    let json = with_poll(&state, &commons, poll_id, move |s, p| {
        poll_json(s, &poll_id, p)
    })
    .await?;
    Ok(Json(json))
}

#[derive(Debug, Serialize)]
pub struct VoterJson {
    pub key: String,
    pub name: Option<String>,
    pub weight: u64,
    pub chambers: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ElectoratePage {
    pub size: u64,
    pub weight: u64,
    pub hash: String,
    pub hash_recipe: &'static str,
    pub offset: usize,
    /// In ascending order of key, as hashed.
    pub voters: Vec<VoterJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    #[serde(default)]
    pub(crate) offset: usize,
    pub(crate) limit: Option<usize>,
}

/// `GET /api/v1/commons/{id}/polls/{poll}/electorate`: the frozen electorate.
pub async fn poll_electorate(
    State(state): State<AppState>,
    ApiPath((id, poll)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<ElectoratePage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let poll_id = parse_event_id(&poll)?;
    let limit = page_limit(params.limit)?;
    let page = with_poll(&state, &commons, poll_id, move |s, p| ElectoratePage {
        size: p.electorate.len() as u64,
        weight: p.electorate_weight,
        hash: hex::encode(p.electorate_hash),
        hash_recipe: ELECTORATE_HASH_RECIPE,
        offset: params.offset,
        voters: p
            .electorate
            .iter()
            .skip(params.offset)
            .take(limit)
            .map(|(key, voter)| VoterJson {
                key: key.to_hex(),
                name: s.display_name(key).map(str::to_owned),
                weight: voter.weight,
                chambers: voter.chambers.iter().cloned().collect(),
            })
            .collect(),
    })
    .await?;
    Ok(Json(page))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotParams {
    voter: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct BallotJson {
    /// The `poll.vote` event.
    pub event: String,
    pub voter: PersonJson,
    /// The chamber the ballot is for; `null` for every chamber the voter sits in.
    pub chamber: Option<String>,
    /// The ballot's body form, e.g. `{"ranking": [[0], [2]]}` (option indexes).
    pub ballot: serde_json::Value,
    /// The ballot for people, with option names.
    pub text: String,
    pub reason: Option<String>,
    pub index: u64,
    pub time_ms: u64,
    /// Whether it is the voter's last ballot (for its chamber), the one that counts;
    /// earlier ones were changed and stay in the history.
    pub counts: bool,
}

#[derive(Debug, Serialize)]
pub struct BallotPage {
    pub n_ballots: u64,
    pub matching: u64,
    pub offset: usize,
    /// In the order they were cast.
    pub ballots: Vec<BallotJson>,
}

/// `GET /api/v1/commons/{id}/polls/{poll}/ballots`: every ballot cast, public by design.
pub async fn poll_ballots(
    State(state): State<AppState>,
    ApiPath((id, poll)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<BallotParams>,
) -> Result<Json<BallotPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let poll_id = parse_event_id(&poll)?;
    let limit = page_limit(params.limit)?;
    let voter = params.voter.as_deref().map(parse_author).transpose()?;
    let page = with_poll(&state, &commons, poll_id, move |s, p| {
        let voter = voter.map(|k| polls::identity(s, &k));
        let counting: BTreeSet<usize> = p.current.values().copied().collect();
        let matches: Vec<(usize, &polls::Cast)> = p
            .ballots
            .iter()
            .enumerate()
            .filter(|(_, cast)| voter.is_none_or(|v| cast.voter == v))
            .collect();
        BallotPage {
            n_ballots: p.ballots.len() as u64,
            matching: matches.len() as u64,
            offset: params.offset,
            ballots: matches
                .iter()
                .skip(params.offset)
                .take(limit)
                .map(|(position, cast)| BallotJson {
                    event: cast.event.to_hex(),
                    voter: PersonJson::of(s, &cast.voter),
                    chamber: cast.chamber.clone(),
                    ballot: commons_ledger::cbor::json::to_json(&polls::ballot_value(&cast.ballot)),
                    text: ballot_text(&cast.ballot, &p.options),
                    reason: cast.reason.clone(),
                    index: cast.index,
                    time_ms: cast.time_ms,
                    counts: counting.contains(position),
                })
                .collect(),
        }
    })
    .await?;
    Ok(Json(page))
}

// ---------------------------------------------------------------------------------------
// Exports for recounting

/// The counted ballots of a ranked poll in the BLT format that STV counting programs
/// read (written by `commons_tally::io::blt`, which `commons tally --format blt` reads
/// back); `None` when a ballot is not a ranking.
pub fn blt(title: &str, profile: &Profile) -> Option<String> {
    if profile
        .ballots
        .iter()
        .any(|b| !matches!(b.ballot, Ballot::Ranking(_)))
    {
        return None;
    }
    commons_tally::io::blt::write_blt(&commons_tally::io::blt::Blt {
        profile: profile.clone(),
        withdrawn: Vec::new(),
        title: title.to_owned(),
    })
    .ok()
}

/// What `commons_tally::count` needs to recount a poll: the method, its parameters, the
/// seed and the profile (`commons_tally::Profile` in its own serde form).
#[derive(Debug, Serialize)]
pub struct CountInputJson {
    pub poll: String,
    pub method: &'static str,
    pub parameters: ParametersJson,
    /// The result's seed (hex); `null` while the poll is open.
    pub seed: Option<String>,
    /// Whether the poll is closed, so that the ballots are final.
    pub closed: bool,
    #[serde(flatten)]
    pub profile: Profile,
}

/// `GET /api/v1/commons/{id}/polls/{poll}/ballots.json`: the counted ballots of any poll.
pub async fn poll_count_input(
    State(state): State<AppState>,
    ApiPath((id, poll)): ApiPath<(String, String)>,
) -> Result<Json<CountInputJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let poll_id = parse_event_id(&poll)?;
    let json = with_poll(&state, &commons, poll_id, move |s, p| CountInputJson {
        poll: poll_id.to_hex(),
        method: p.method.name(),
        parameters: ParametersJson::of(&p.method),
        seed: p.result.as_ref().map(|r| hex::encode(r.seed)),
        closed: !p.is_open(),
        profile: polls::counted_profile(s, p),
    })
    .await?;
    Ok(Json(json))
}

/// `GET /api/v1/commons/{id}/polls/{poll}/ballots.blt`: the counted ballots of a ranked
/// poll in BLT; other methods answer 404 `not_ranked` (their ballots are at
/// `ballots.json`).
pub async fn poll_ballots_blt(
    State(state): State<AppState>,
    ApiPath((id, poll)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let commons = parse_commons_id(&id)?;
    let poll_id = parse_event_id(&poll)?;
    let text = with_poll(&state, &commons, poll_id, move |s, p| {
        if !RANKED_METHODS.contains(&p.method.name()) {
            return None;
        }
        blt(&p.title, &polls::counted_profile(s, p))
    })
    .await?
    .ok_or_else(|| {
        ApiError::not_found(
            "not_ranked",
            "this poll's ballots are not rankings, so they have no BLT form; see ballots.json",
        )
    })?;
    let disposition = format!(
        "attachment; filename=\"poll-{}.blt\"",
        &poll_id.to_hex()[..12]
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Delegations

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegationParams {
    topic: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct DelegationJson {
    pub from: PersonJson,
    pub to: PersonJson,
    /// An area's slug, or `*` for every poll.
    pub topic: String,
}

#[derive(Debug, Serialize)]
pub struct DelegationPage {
    /// Delegations per topic, over all of them.
    pub by_topic: BTreeMap<String, u64>,
    pub matching: u64,
    pub offset: usize,
    /// By topic, then by delegator's key.
    pub delegations: Vec<DelegationJson>,
}

/// `GET /api/v1/commons/{id}/delegations`: every delegation, public by design.
pub async fn list_delegations(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<DelegationParams>,
) -> Result<Json<DelegationPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    let page = inspect(&state, &commons, move |s| {
        let delegations = &s.association.delegations;
        let mut by_topic: BTreeMap<String, u64> = BTreeMap::new();
        for (_, topic) in delegations.keys() {
            *by_topic.entry(topic.clone()).or_default() += 1;
        }
        let mut matches: Vec<(&String, &AuthorKey, &AuthorKey)> = delegations
            .iter()
            .filter(|((_, topic), _)| params.topic.as_ref().is_none_or(|t| t == topic))
            .map(|((from, topic), to)| (topic, from, to))
            .collect();
        matches.sort();
        DelegationPage {
            by_topic,
            matching: matches.len() as u64,
            offset: params.offset,
            delegations: matches
                .iter()
                .skip(params.offset)
                .take(limit)
                .map(|(topic, from, to)| DelegationJson {
                    from: PersonJson::of(s, from),
                    to: PersonJson::of(s, to),
                    topic: (*topic).clone(),
                })
                .collect(),
        }
    })
    .await?;
    Ok(Json(page))
}

#[derive(Debug, Serialize)]
pub struct TopicPersonJson {
    pub topic: String,
    #[serde(flatten)]
    pub person: PersonJson,
}

#[derive(Debug, Serialize)]
pub struct PersonDelegationsJson {
    pub person: PersonJson,
    pub member: bool,
    /// Whom they delegate to, per topic (`*` for every poll).
    pub delegates_to: Vec<TopicPersonJson>,
    /// Who delegates to them, per topic.
    pub delegated_by: Vec<TopicPersonJson>,
}

/// `GET /api/v1/commons/{id}/people/{key}/delegations`.
pub async fn person_delegations(
    State(state): State<AppState>,
    ApiPath((id, key)): ApiPath<(String, String)>,
) -> Result<Json<PersonDelegationsJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let key = parse_author(&key)?;
    let json = inspect(&state, &commons, move |s| {
        let key = polls::identity(s, &key);
        let delegations = &s.association.delegations;
        PersonDelegationsJson {
            person: PersonJson::of(s, &key),
            member: s.association.is_active_member(&key),
            delegates_to: delegations
                .range((key, String::new())..)
                .take_while(|((from, _), _)| *from == key)
                .map(|((_, topic), to)| TopicPersonJson {
                    topic: topic.clone(),
                    person: PersonJson::of(s, to),
                })
                .collect(),
            delegated_by: delegations
                .iter()
                .filter(|(_, to)| **to == key)
                .map(|((from, topic), _)| TopicPersonJson {
                    topic: topic.clone(),
                    person: PersonJson::of(s, from),
                })
                .collect(),
        }
    })
    .await?;
    Ok(Json(json))
}

// ---------------------------------------------------------------------------------------
// Preview of a new poll

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewParams {
    decision: String,
    /// A general poll may state its own rule; its electorate is previewed instead.
    electorate: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RefusalJson {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct PreviewJson {
    pub decision: &'static str,
    /// The rule the statutes give this kind of decision.
    pub rule: RuleJson,
    /// The electorate previewed (the rule's, or the one asked for a general poll).
    pub electorate: String,
    /// Seats an election fills (the board's seats); 1 otherwise (a general poll may ask
    /// for more).
    pub seats: u32,
    /// What a poll opened now would freeze: its size, weight and hash.
    pub size: u64,
    pub weight: u64,
    pub hash: Option<String>,
    /// Why a poll opened now would be refused for its electorate (`electorate_empty`,
    /// `area_unknown`, `limit_reached`), if it would.
    pub refusal: Option<RefusalJson>,
    pub ledger_time_ms: u64,
    /// The range `closes_ms` must fall in for a poll opened now.
    pub closes_ms_min: u64,
    pub closes_ms_max: u64,
}

/// `GET /api/v1/commons/{id}/polls/preview`: the rule a poll would follow and the
/// electorate it would freeze if opened now.
pub async fn poll_preview(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<PreviewParams>,
) -> Result<Json<PreviewJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let kind = DecisionKind::parse(&params.decision).ok_or_else(|| {
        invalid_query(format!(
            "decision is one of {}",
            DecisionKind::ALL.map(|k| k.as_str()).join(", ")
        ))
    })?;
    let electorate = match (&params.electorate, kind) {
        (None, _) => None,
        (Some(text), DecisionKind::General) => Some(Electorate::parse(text).ok_or_else(|| {
            invalid_query(
                "electorate is members, contributors, maintainers, registered, \
                 chamber:<slug> or area:<slug>",
            )
        })?),
        (Some(_), _) => {
            return Err(invalid_query(
                "only a general poll may state its own electorate",
            ));
        }
    };
    let preview = inspect(&state, &commons, move |s| {
        let statutes = s.association.statutes.as_ref()?;
        let rule = statutes.rule(kind);
        let electorate = electorate.unwrap_or_else(|| rule.electorate.clone());
        let frozen = polls::freeze_electorate(s, &electorate, None);
        let (size, weight, hash, refusal) = match &frozen {
            Ok(voters) => (
                voters.len() as u64,
                voters.values().map(|v| v.weight).sum(),
                Some(hex::encode(polls::electorate_hash(voters))),
                None,
            ),
            Err(rejection) => (
                0,
                0,
                None,
                Some(RefusalJson {
                    code: rejection.code.as_str(),
                    message: rejection.message.clone(),
                }),
            ),
        };
        Some(PreviewJson {
            decision: kind.as_str(),
            rule: RuleJson::of(rule),
            electorate: electorate.to_text(),
            seats: if kind == DecisionKind::ElectBoard {
                statutes.board_seats
            } else {
                1
            },
            size,
            weight,
            hash,
            refusal,
            ledger_time_ms: s.time_ms,
            closes_ms_min: s.time_ms.saturating_add(POLL_DURATION_MIN_MS),
            closes_ms_max: s.time_ms.saturating_add(POLL_DURATION_MAX_MS),
        })
    })
    .await?;
    preview.map(Json).ok_or_else(no_statutes)
}
