//! Polls: opened with their rules in view, voted on until they close, closed by the
//! `ledger.tick` that passes their closing time, and counted exactly by `commons-tally`.
//!
//! The electorate is frozen when a poll opens and its hash published. A voter may change
//! their ballot until close (the last one counts, every one stays in the history) unless
//! the poll makes ballots final. At close the seed for any lot is drawn from the ledger
//! (the closing tick's id, which nobody knows while voting), delegations are followed for
//! those who did not vote, and the result is recorded with its whole sheet: turnout,
//! quorum, the support needed and reached, each chamber's result and the count's rounds
//! and tie-breaks. A poll carrying a decision (amending the statutes, admitting,
//! suspending or expelling a member, electing the board) takes effect when it passes.

use super::delegation::resolve_delegate;
use super::ratio::{fraction, meets, progressive_threshold, show};
use super::statutes::read_rule;
use super::{
    Admission, ApplicationStatus, BALLOTS_PER_VOTER_MAX, Combine, DecisionKind, DecisionRule,
    ELECTORATE_MAX, Electorate, MemberStatus, OPEN_POLLS_MAX, OPTIONS_MAX, POLL_DURATION_MAX_MS,
    POLL_DURATION_MIN_MS, POLLS_MAX, REASON_LEN_MAX, SEATS_MAX, SLUG_LEN_MAX, SUSPENSION_DAYS_MAX,
    Statutes, TEXT_LEN_MAX, TITLE_LEN_MAX, WEIGHT_MAX, chambers_of, contributors, invalid,
    maintainers, statutes_of,
};
use crate::body::BodyReader;
use crate::production::limit_reached;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};
use commons_tally::{
    Availability, Ballot, BallotError, ConsentStance, Method, MethodParameters, Profile, Stance,
    WeightedBallot,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub const OPEN: &str = "poll.open";
pub const VOTE: &str = "poll.vote";
pub const STATEMENT: &str = "poll.statement";

/// Most outcome statements kept per poll.
pub const STATEMENTS_MAX: usize = 8;
/// An average Gregorian month, in ms, for board terms.
pub const MONTH_MS: u64 = 2_629_746_000;

/// Whether `name` is a counting method this version knows.
pub fn method_known(name: &str) -> bool {
    commons_tally::METHOD_NAMES.contains(&name)
}

/// Whether the method elects candidates (rather than deciding a proposal).
pub fn method_elects(name: &str) -> bool {
    !matches!(name, "proposal" | "consent")
}

/// What a poll decides beyond its own result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    General,
    Amend(Box<Statutes>),
    Admit(EventId),
    Suspend {
        member: AuthorKey,
        reason: String,
        days: u64,
    },
    Expel {
        member: AuthorKey,
        reason: String,
    },
    /// The options are these candidates, in order.
    ElectBoard(Vec<AuthorKey>),
    /// Adopt this value equation for work accepted from `effective_ms` on.
    ValueEquation {
        equation: Box<crate::value::equation::Equation>,
        effective_ms: u64,
    },
    /// Approve this expense (its amount is above its budget line's poll limit).
    Expense(EventId),
    /// Elect this award's winners; the options are these nominees, in order.
    Award {
        award: EventId,
        nominees: Vec<AuthorKey>,
    },
}

impl Decision {
    pub fn kind(&self) -> DecisionKind {
        match self {
            Decision::General => DecisionKind::General,
            Decision::Amend(_) => DecisionKind::AmendStatutes,
            Decision::Admit(_) => DecisionKind::AdmitMember,
            Decision::Suspend { .. } => DecisionKind::SuspendMember,
            Decision::Expel { .. } => DecisionKind::ExpelMember,
            Decision::ElectBoard(_) => DecisionKind::ElectBoard,
            Decision::ValueEquation { .. } => DecisionKind::ValueEquation,
            Decision::Expense(_) => DecisionKind::Expense,
            Decision::Award { .. } => DecisionKind::Award,
        }
    }
}

/// One voter in the frozen electorate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voter {
    pub weight: u64,
    pub chambers: BTreeSet<String>,
}

/// One ballot cast, kept in the history whether or not it still counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cast {
    pub voter: AuthorKey,
    /// The chamber the ballot is for; `None` for every chamber the voter sits in.
    pub chamber: Option<String>,
    pub ballot: Ballot,
    pub reason: Option<String>,
    pub index: u64,
    pub event: EventId,
    pub time_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub by: AuthorKey,
    pub text: String,
    pub review_ms: Option<u64>,
    pub index: u64,
}

/// One chamber's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChamberResult {
    pub slug: String,
    pub electorate_weight: u64,
    pub turnout_weight: u64,
    pub quorum_met: bool,
    /// Support reached, exact (`n/d`).
    pub support: String,
    pub passed: bool,
    pub outcome: Option<commons_tally::Outcome>,
}

/// How a closed poll came out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollResult {
    pub index: u64,
    pub time_ms: u64,
    pub seed: [u8; 32],
    pub turnout_weight: u64,
    pub quorum_met: bool,
    /// Support needed, exact; for a progressive threshold, at the turnout reached.
    pub required: String,
    /// Support reached, exact; `None` for elections.
    pub support: Option<String>,
    /// Proposal or consent counts: yes, no, abstain, block (consent: consents, open
    /// objections, resolved objections, 0).
    pub counts: [u64; 4],
    pub passed: bool,
    pub winners: Vec<usize>,
    pub outcome: Option<commons_tally::Outcome>,
    pub chambers: Vec<ChamberResult>,
    /// Delegations followed: (voter who did not vote, the voter whose ballot counted).
    pub delegated: Vec<(AuthorKey, AuthorKey)>,
    /// What the decision did, or why it could not apply any more.
    pub effect: Option<String>,
    /// Why the count failed, when it did (the poll then does not pass).
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Poll {
    pub author: AuthorKey,
    pub index: u64,
    pub opened_ms: u64,
    pub closes_ms: u64,
    pub title: String,
    pub description: Option<String>,
    pub decision: Decision,
    pub method: Method,
    pub options: Vec<String>,
    pub seats: u32,
    pub rule: DecisionRule,
    /// The area slug delegations are looked up for (then the general ones).
    pub topic: Option<String>,
    /// Whether a ballot, once cast, is final.
    pub final_ballots: bool,
    pub electorate: BTreeMap<AuthorKey, Voter>,
    pub electorate_hash: [u8; 32],
    pub electorate_weight: u64,
    pub ballots: Vec<Cast>,
    /// The ballot that counts for each (voter, chamber), as an index into `ballots`.
    pub current: BTreeMap<(AuthorKey, Option<String>), usize>,
    pub result: Option<PollResult>,
    pub statements: Vec<Statement>,
}

impl Poll {
    pub fn is_open(&self) -> bool {
        self.result.is_none()
    }

    /// Voters who cast at least one ballot.
    pub fn n_voters(&self) -> usize {
        self.current
            .keys()
            .map(|(voter, _)| voter)
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// Weight of the voters who cast a ballot so far (live turnout).
    pub fn turnout_weight(&self) -> u64 {
        self.current
            .keys()
            .map(|(voter, _)| voter)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|v| self.electorate.get(v))
            .map(|v| v.weight)
            .sum()
    }

    pub fn tallied_by_chamber(&self) -> bool {
        self.rule.chambers.is_some()
    }
}

/// The stable identity of a key: the first key of its agent, across rotations.
pub fn identity(state: &State, key: &AuthorKey) -> AuthorKey {
    state.agents.get(key).map_or(*key, |a| a.identity)
}

fn read_keys(kind: &str, value: &Value, name: &str) -> Result<Vec<AuthorKey>, Rejection> {
    let Some(items) = value.as_array() else {
        return invalid(kind, format!("`{name}` is a list of keys"));
    };
    if items.len() > OPTIONS_MAX {
        return invalid(kind, format!("`{name}` holds at most {OPTIONS_MAX} keys"));
    }
    let mut keys = Vec::new();
    for item in items {
        match item.as_bytes().map(AuthorKey::from_bytes) {
            Some(Ok(key)) if !keys.contains(&key) => keys.push(key),
            _ => return invalid(kind, format!("`{name}` lists distinct 33-byte author keys")),
        }
    }
    Ok(keys)
}

fn read_parameters(kind: &str, value: Option<&Value>) -> Result<MethodParameters, Rejection> {
    let Some(value) = value else {
        return Ok(MethodParameters::default());
    };
    let mut reader = BodyReader::new(kind, value)?;
    let mut number = |name: &'static str| -> Result<Option<u32>, Rejection> {
        match reader.optional_uint(name)? {
            None => Ok(None),
            Some(n) => match u32::try_from(n) {
                Ok(n) if n <= 1_000_000 => Ok(Some(n)),
                _ => invalid(kind, format!("`{name}` is at most 1000000")),
            },
        }
    };
    let parameters = MethodParameters {
        min: number("min")?,
        max: number("max")?,
        budget: number("budget")?,
    };
    reader.finish()?;
    Ok(parameters)
}

/// The options of an election among people: their display names, or their keys.
fn candidate_names(state: &State, people: &[AuthorKey]) -> Vec<String> {
    people
        .iter()
        .map(|k| {
            state
                .display_name(k)
                .map_or_else(|| k.to_string(), str::to_owned)
        })
        .collect()
}

/// Opens a poll.
pub(crate) fn open(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = identity(state, &input.event.header.author);
    let mut reader = BodyReader::new(OPEN, input.body)?;
    let title = reader.text("title", 1, TITLE_LEN_MAX)?;
    let description = reader.optional_text("description", 1, TEXT_LEN_MAX)?;
    let decision_text = reader.text("decision", 1, 32)?;
    let closes_ms = reader.uint("closes_ms")?;
    let topic = reader.optional_text("topic", 1, SLUG_LEN_MAX)?;
    let final_ballots = match reader.optional("final_ballots") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return invalid(OPEN, "`final_ballots` must be true or false"),
    };
    let statutes = statutes_of(state)?;
    let Some(kind) = DecisionKind::parse(&decision_text) else {
        return invalid(
            OPEN,
            format!(
                "`decision` is one of {}",
                DecisionKind::ALL.map(|k| k.as_str()).join(", ")
            ),
        );
    };
    // A decision the statutes rule on takes their rule; a general poll may state its own.
    let rule_value = reader.optional("rule");
    let rule = match (kind, rule_value) {
        (DecisionKind::General, Some(v)) => read_rule(OPEN, v, &statutes.chambers)?,
        (_, Some(_)) => {
            return invalid(
                OPEN,
                format!(
                    "a `{}` poll follows the statutes' rule; it cannot state its own",
                    kind.as_str()
                ),
            );
        }
        (_, None) => statutes.rule(kind).clone(),
    };
    let parameters = read_parameters(OPEN, reader.optional("parameters"))?;
    let (decision, options) = match kind {
        DecisionKind::General => (Decision::General, read_options(&mut reader)?),
        DecisionKind::AmendStatutes => {
            let proposed = super::statutes::read(OPEN, reader.required("statutes")?)?;
            super::statutes::check_against_state(state, &proposed)?;
            (Decision::Amend(Box::new(proposed)), Vec::new())
        }
        DecisionKind::AdmitMember => {
            let application = reader.event_id("application")?;
            if statutes.admission != Admission::Vote {
                return reject(
                    RejectionCode::AdmissionRule,
                    "the statutes do not admit members by a vote",
                );
            }
            match state.association.applications.get(&application) {
                Some(a) if a.status == ApplicationStatus::Pending => {}
                Some(_) => {
                    return reject(
                        RejectionCode::ApplicationClosed,
                        "that application was already decided or withdrawn",
                    );
                }
                None => {
                    return reject(
                        RejectionCode::ApplicationUnknown,
                        "no member.apply has that id",
                    );
                }
            }
            (Decision::Admit(application), Vec::new())
        }
        DecisionKind::SuspendMember | DecisionKind::ExpelMember => {
            let member = identity(state, &reader.key("member")?);
            let reason = reader.text("reason", 1, REASON_LEN_MAX)?;
            if !state.association.members.get(&member).is_some_and(|m| {
                matches!(
                    m.status,
                    MemberStatus::Active | MemberStatus::Suspended { .. }
                )
            }) {
                return reject(RejectionCode::NotMember, "that key is not a member");
            }
            if kind == DecisionKind::SuspendMember {
                let days = reader.uint("days")?;
                if days == 0 || days > SUSPENSION_DAYS_MAX {
                    return invalid(OPEN, format!("`days` must be 1 to {SUSPENSION_DAYS_MAX}"));
                }
                (
                    Decision::Suspend {
                        member,
                        reason,
                        days,
                    },
                    Vec::new(),
                )
            } else {
                (Decision::Expel { member, reason }, Vec::new())
            }
        }
        DecisionKind::ElectBoard => {
            let candidates: Vec<AuthorKey> =
                read_keys(OPEN, reader.required("candidates")?, "candidates")?
                    .iter()
                    .map(|k| identity(state, k))
                    .collect();
            if let Some(k) = candidates
                .iter()
                .find(|k| !state.association.is_active_member(k))
            {
                return reject(
                    RejectionCode::NotMember,
                    format!("candidate {k} is not an active member"),
                );
            }
            let names = candidate_names(state, &candidates);
            (Decision::ElectBoard(candidates), names)
        }
        DecisionKind::ValueEquation => {
            let equation = crate::value::equation::read(OPEN, reader.required("equation")?)?;
            let effective_ms = reader.uint("effective_ms")?;
            if state.economy.equations.len() >= crate::value::EQUATIONS_MAX {
                return crate::production::limit_reached(
                    "value equations",
                    crate::value::EQUATIONS_MAX,
                );
            }
            (
                Decision::ValueEquation {
                    equation: Box::new(equation),
                    effective_ms,
                },
                Vec::new(),
            )
        }
        DecisionKind::Expense => {
            let expense = reader.event_id("expense")?;
            match state.economy.expenses.expenses.get(&expense) {
                None => {
                    return reject(RejectionCode::ExpenseUnknown, "no expense has that id");
                }
                Some(e) if e.state != crate::value::expense::ExpenseState::Submitted => {
                    return reject(
                        RejectionCode::ExpenseState,
                        format!("the expense is {}, not awaiting approval", e.state.as_str()),
                    );
                }
                Some(e) if !crate::value::expense::needs_poll(state, e) => {
                    return reject(
                        RejectionCode::ExpenseState,
                        "the expense is within its budget line's limit; its approvers decide it",
                    );
                }
                Some(_) => {}
            }
            (Decision::Expense(expense), Vec::new())
        }
        DecisionKind::Award => {
            let award = reader.event_id("award")?;
            let (nominees, _) = crate::value::award::ballot_of(state, &award)?;
            let names = candidate_names(state, &nominees);
            (Decision::Award { award, nominees }, names)
        }
    };
    let seats = match &decision {
        Decision::Award { award, .. } => crate::value::award::ballot_of(state, award)?.1,
        _ => 0,
    };
    let seats = match kind {
        DecisionKind::ElectBoard => statutes.board_seats,
        DecisionKind::Award => seats,
        DecisionKind::General => match reader.optional_uint("seats")? {
            None => 1,
            Some(n) if n >= 1 && n <= u64::from(SEATS_MAX) => n as u32,
            Some(_) => return invalid(OPEN, format!("`seats` must be 1 to {SEATS_MAX}")),
        },
        _ => 1,
    };
    let weights = match reader.optional("weights") {
        Some(_) if kind != DecisionKind::General => {
            return invalid(OPEN, "only a general poll may weigh its voters");
        }
        Some(v) => Some(read_weights(v)?),
        None => None,
    };
    reader.finish()?;
    let method = Method::from_name(&rule.method, parameters)
        .or_else(|e| invalid(OPEN, format!("method: {e}")))?;
    if method_elects(&rule.method) {
        if options.is_empty() {
            return invalid(
                OPEN,
                "an election or choice needs `options` (or `candidates`)",
            );
        }
        if (seats as usize) > options.len() {
            return invalid(OPEN, "more seats than options");
        }
        if seats > 1 && matches!(method, Method::Irv | Method::Schulze | Method::RankedPairs) {
            return invalid(OPEN, format!("{} fills one seat", rule.method));
        }
    } else if !options.is_empty() {
        return invalid(OPEN, "a proposal or consent poll has no options");
    }
    if rule.chambers.is_some() && method_elects(&rule.method) {
        return invalid(
            OPEN,
            "tallying by chamber combines yes-or-no decisions (proposal or consent)",
        );
    }
    let now = state.time_ms;
    if closes_ms < now.saturating_add(POLL_DURATION_MIN_MS)
        || closes_ms > now.saturating_add(POLL_DURATION_MAX_MS)
    {
        return invalid(
            OPEN,
            format!(
                "`closes_ms` must be {} s to {} days after the ledger's time now ({now})",
                POLL_DURATION_MIN_MS / 1000,
                POLL_DURATION_MAX_MS / 86_400_000
            ),
        );
    }
    if let Some(t) = &topic
        && state.production.area_by_slug(t).is_none()
    {
        return reject(
            RejectionCode::AreaUnknown,
            format!("no area `{t}` to take delegations for"),
        );
    }
    if !state.association.is_active_member(&author)
        && !state.is_maintainer(&input.event.header.author)
    {
        return reject(
            RejectionCode::NotMember,
            "only members and maintainers open polls",
        );
    }
    let association = &state.association;
    if association.open_polls.len() >= OPEN_POLLS_MAX {
        return limit_reached("polls open at once", OPEN_POLLS_MAX);
    }
    if association.polls.len() >= POLLS_MAX {
        return limit_reached("polls in a commons", POLLS_MAX);
    }
    let electorate = freeze_electorate(state, &rule.electorate, weights.as_ref())?;
    let electorate_hash = electorate_hash(&electorate);
    let electorate_weight = electorate.values().map(|v| v.weight).sum();
    let id = input.event.id;
    let poll = Poll {
        author,
        index: input.index,
        opened_ms: now,
        closes_ms,
        title,
        description,
        decision,
        method,
        options,
        seats,
        rule,
        topic,
        final_ballots,
        electorate,
        electorate_hash,
        electorate_weight,
        ballots: Vec::new(),
        current: BTreeMap::new(),
        result: None,
        statements: Vec::new(),
    };
    let association = &mut state.association;
    association.polls.insert(id, poll);
    association.open_polls.insert((closes_ms, id));
    let mut applied = Applied::default();
    applied.touch(RowKey::Poll(id));
    Ok(applied)
}

fn read_options(reader: &mut BodyReader<'_>) -> Result<Vec<String>, Rejection> {
    let options =
        crate::production::text_list(reader, OPEN, "options", OPTIONS_MAX, TITLE_LEN_MAX)?;
    let unique: BTreeSet<&String> = options.iter().collect();
    if unique.len() != options.len() {
        return invalid(OPEN, "an option is listed twice");
    }
    Ok(options)
}

fn read_weights(value: &Value) -> Result<BTreeMap<AuthorKey, u64>, Rejection> {
    let Some(items) = value.as_array() else {
        return invalid(OPEN, "`weights` is a list of [key, weight] pairs");
    };
    if items.len() > ELECTORATE_MAX {
        return limit_reached("voters in a poll", ELECTORATE_MAX);
    }
    let mut weights = BTreeMap::new();
    for item in items {
        let pair = item.as_array().unwrap_or_default();
        let key = pair
            .first()
            .and_then(Value::as_bytes)
            .and_then(|b| AuthorKey::from_bytes(b).ok());
        let weight = pair.get(1).and_then(Value::as_u64);
        match (key, weight) {
            (Some(k), Some(w)) if pair.len() == 2 && (1..=WEIGHT_MAX).contains(&w) => {
                if weights.insert(k, w).is_some() {
                    return invalid(OPEN, "`weights` names a key twice");
                }
            }
            _ => {
                return invalid(
                    OPEN,
                    format!("`weights` pairs are [33-byte key, weight 1 to {WEIGHT_MAX}]"),
                );
            }
        }
    }
    Ok(weights)
}

/// Who may vote, with their weight and chambers, as of now: what a poll opened now under
/// `electorate` would freeze (`weights` narrow and weigh it, for a general poll).
pub fn freeze_electorate(
    state: &State,
    electorate: &Electorate,
    weights: Option<&BTreeMap<AuthorKey, u64>>,
) -> Result<BTreeMap<AuthorKey, Voter>, Rejection> {
    let association = &state.association;
    let members = || {
        association
            .members
            .iter()
            .filter(|(_, m)| m.status == MemberStatus::Active)
            .map(|(k, _)| *k)
    };
    let keys: BTreeSet<AuthorKey> = match electorate {
        Electorate::Members => members().collect(),
        Electorate::Chamber(slug) => members()
            .filter(|k| chambers_of(state, k).contains(slug))
            .collect(),
        Electorate::Contributors => {
            let window = association
                .statutes
                .as_ref()
                .map_or(1, |s| s.contributor_window_months);
            contributors(state, window)
                .iter()
                .map(|k| identity(state, k))
                .collect()
        }
        Electorate::Maintainers => maintainers(state)
            .iter()
            .map(|k| identity(state, k))
            .collect(),
        Electorate::AreaMaintainers(slug) => match state.production.area_by_slug(slug) {
            Some((_, area)) => area
                .maintainers
                .iter()
                .map(|k| identity(state, k))
                .collect(),
            None => {
                return reject(RejectionCode::AreaUnknown, format!("no area `{slug}`"));
            }
        },
        Electorate::Registered => state
            .agents
            .values()
            .filter(|a| a.rotated_to.is_none())
            .map(|a| a.identity)
            .collect(),
    };
    let keys: Vec<AuthorKey> = match weights {
        // Explicit weights narrow the electorate to the keys they weigh.
        Some(w) => keys.into_iter().filter(|k| w.contains_key(k)).collect(),
        None => keys.into_iter().collect(),
    };
    if keys.is_empty() {
        return reject(
            RejectionCode::ElectorateEmpty,
            format!("nobody is in the electorate `{}`", electorate.to_text()),
        );
    }
    if keys.len() > ELECTORATE_MAX {
        return limit_reached("voters in a poll", ELECTORATE_MAX);
    }
    Ok(keys
        .into_iter()
        .map(|k| {
            let weight = weights.and_then(|w| w.get(&k)).copied().unwrap_or(1);
            (
                k,
                Voter {
                    weight,
                    chambers: chambers_of(state, &k),
                },
            )
        })
        .collect())
}

/// SHA-256 of the canonical CBOR array of `[key, weight, [chambers]]`, sorted by key:
/// what anyone can recompute from the published electorate.
pub fn electorate_hash(electorate: &BTreeMap<AuthorKey, Voter>) -> [u8; 32] {
    let list = Value::Array(
        electorate
            .iter()
            .map(|(k, v)| {
                Value::Array(vec![
                    Value::bytes(k.to_bytes().to_vec()),
                    Value::Unsigned(v.weight),
                    Value::Array(v.chambers.iter().map(|c| Value::text(c.clone())).collect()),
                ])
            })
            .collect(),
    );
    Sha256::digest(list.encode()).into()
}

fn candidate(value: &Value) -> Result<usize, Rejection> {
    match value.as_u64() {
        Some(n) if n < OPTIONS_MAX as u64 => Ok(n as usize),
        _ => invalid(VOTE, "a candidate is an option's index"),
    }
}

fn list(value: &Value) -> Result<&[Value], Rejection> {
    match value.as_array() {
        Some(items) if items.len() <= OPTIONS_MAX => Ok(items),
        Some(_) => invalid(
            VOTE,
            format!("a ballot lists at most {OPTIONS_MAX} entries"),
        ),
        None => invalid(VOTE, "the ballot's value must be a list"),
    }
}

fn pair(v: &Value) -> Result<(usize, &Value), Rejection> {
    match v.as_array() {
        Some([c, x]) => Ok((candidate(c)?, x)),
        _ => invalid(VOTE, "expected [candidate, value] pairs"),
    }
}

/// Reads a ballot in its body form (see `docs/events.md`).
pub fn read_ballot(value: &Value) -> Result<Ballot, Rejection> {
    let Value::Map(entries) = value else {
        return invalid(VOTE, "`ballot` is a map with one entry");
    };
    let [(key, inner)] = entries.as_slice() else {
        return invalid(VOTE, "`ballot` is a map with one entry");
    };
    Ok(match key.as_text().unwrap_or_default() {
        "choice" => Ballot::Choice(candidate(inner)?),
        "approve" => Ballot::Approval(
            list(inner)?
                .iter()
                .map(candidate)
                .collect::<Result<_, _>>()?,
        ),
        "scores" => Ballot::Scores(
            list(inner)?
                .iter()
                .map(|v| {
                    let (c, s) = pair(v)?;
                    match s.as_u64().and_then(|s| u32::try_from(s).ok()) {
                        Some(s) => Ok((c, s)),
                        None => invalid(VOTE, "a score is an unsigned integer"),
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
        "ranking" => {
            let ranks = list(inner)?;
            let mut ranking = Vec::with_capacity(ranks.len());
            for rank in ranks {
                ranking.push(
                    list(rank)?
                        .iter()
                        .map(candidate)
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
            Ballot::Ranking(ranking)
        }
        "stance" => Ballot::Proposal(match inner.as_text().unwrap_or_default() {
            "yes" => Stance::Yes,
            "no" => Stance::No,
            "abstain" => Stance::Abstain,
            "block" => Stance::Block,
            _ => return invalid(VOTE, "`stance` is yes, no, abstain or block"),
        }),
        "consent" => Ballot::Consent(match inner.as_text().unwrap_or_default() {
            "consent" => ConsentStance::Consent,
            "object" => ConsentStance::Object { resolved: false },
            "resolved" => ConsentStance::Object { resolved: true },
            _ => return invalid(VOTE, "`consent` is consent, object or resolved"),
        }),
        "availability" => Ballot::Availability(
            list(inner)?
                .iter()
                .map(|v| {
                    let (c, a) = pair(v)?;
                    let a = match a.as_text().unwrap_or_default() {
                        "yes" => Availability::Yes,
                        "if_need_be" => Availability::IfNeedBe,
                        "no" => Availability::No,
                        _ => return invalid(VOTE, "availability is yes, if_need_be or no"),
                    };
                    Ok((c, a))
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => {
            return invalid(
                VOTE,
                "`ballot` is one of choice, approve, scores, ranking, stance, consent, \
                 availability",
            );
        }
    })
}

/// The body form of a ballot (the inverse of [`read_ballot`]).
pub fn ballot_value(ballot: &Ballot) -> Value {
    let n = |c: &usize| Value::Unsigned(*c as u64);
    let (key, inner) = match ballot {
        Ballot::Choice(c) => ("choice", n(c)),
        Ballot::Approval(cs) => ("approve", Value::Array(cs.iter().map(n).collect())),
        Ballot::Scores(s) => (
            "scores",
            Value::Array(
                s.iter()
                    .map(|(c, s)| Value::Array(vec![n(c), Value::Unsigned(u64::from(*s))]))
                    .collect(),
            ),
        ),
        Ballot::Ranking(r) => (
            "ranking",
            Value::Array(
                r.iter()
                    .map(|rank| Value::Array(rank.iter().map(n).collect()))
                    .collect(),
            ),
        ),
        Ballot::Proposal(s) => (
            "stance",
            Value::text(match s {
                Stance::Yes => "yes",
                Stance::No => "no",
                Stance::Abstain => "abstain",
                Stance::Block => "block",
            }),
        ),
        Ballot::Consent(c) => (
            "consent",
            Value::text(match c {
                ConsentStance::Consent => "consent",
                ConsentStance::Object { resolved: false } => "object",
                ConsentStance::Object { resolved: true } => "resolved",
            }),
        ),
        Ballot::Availability(a) => (
            "availability",
            Value::Array(
                a.iter()
                    .map(|(c, a)| {
                        Value::Array(vec![
                            n(c),
                            Value::text(match a {
                                Availability::Yes => "yes",
                                Availability::IfNeedBe => "if_need_be",
                                Availability::No => "no",
                            }),
                        ])
                    })
                    .collect(),
            ),
        ),
    };
    Value::text_map([(key, inner)])
}

fn ballot_rejection(error: &BallotError) -> Rejection {
    let code = match error {
        BallotError::ScoreOutOfRange { .. } => RejectionCode::ScoreOutOfRange,
        BallotError::TooManyDots { .. } => RejectionCode::TooManyDots,
        BallotError::RankingDuplicate { .. } | BallotError::DuplicateCandidate { .. } => {
            RejectionCode::RankingDuplicate
        }
        _ => RejectionCode::BallotInvalid,
    };
    Rejection::new(code, format!("{VOTE}: {error} ({})", error.code()))
}

/// Casts or changes a ballot.
pub(crate) fn vote(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let voter = identity(state, &input.event.header.author);
    let mut reader = BodyReader::new(VOTE, input.body)?;
    let id = reader.event_id("poll")?;
    let ballot = read_ballot(reader.required("ballot")?)?;
    let chamber = reader.optional_text("chamber", 1, SLUG_LEN_MAX)?;
    let reason = reader.optional_text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    let now = state.time_ms;
    let Some(poll) = state.association.polls.get_mut(&id) else {
        return reject(RejectionCode::PollUnknown, "no poll.open has that id");
    };
    if !poll.is_open() || now >= poll.closes_ms {
        return reject(RejectionCode::PollClosed, "the poll is closed");
    }
    let Some(eligible) = poll.electorate.get(&voter) else {
        return reject(
            RejectionCode::NotEligible,
            format!(
                "you are not in this poll's electorate ({}), frozen when it opened",
                poll.rule.electorate.to_text()
            ),
        );
    };
    if let Some(c) = &chamber
        && (!poll.tallied_by_chamber() || !eligible.chambers.contains(c))
    {
        return reject(
            RejectionCode::NotInChamber,
            format!("you do not vote in chamber `{c}` in this poll"),
        );
    }
    let profile = Profile {
        candidates: poll.options.clone(),
        seats: poll.seats,
        ballots: Vec::new(),
    };
    commons_tally::validate(&poll.method, &profile, &ballot).map_err(|e| ballot_rejection(&e))?;
    let slot = (voter, chamber.clone());
    if poll.final_ballots && poll.current.keys().any(|(v, _)| *v == voter) {
        return reject(
            RejectionCode::AlreadyVoted,
            "ballots in this poll are final and you already voted",
        );
    }
    let cast_by_voter = poll.ballots.iter().filter(|c| c.voter == voter).count();
    if cast_by_voter >= BALLOTS_PER_VOTER_MAX {
        return limit_reached("ballots one voter casts in a poll", BALLOTS_PER_VOTER_MAX);
    }
    poll.ballots.push(Cast {
        voter,
        chamber,
        ballot,
        reason,
        index: input.index,
        event: input.event.id,
        time_ms: now,
    });
    let position = poll.ballots.len() - 1;
    poll.current.insert(slot, position);
    state
        .association
        .casts
        .insert(input.event.id, (id, position));
    let mut applied = Applied::default();
    applied.touch(RowKey::Poll(id));
    applied.touch(RowKey::Ballot(input.event.id));
    Ok(applied)
}

/// Adds an outcome statement (and a review date) to a closed poll.
pub(crate) fn statement(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = identity(state, &input.event.header.author);
    let mut reader = BodyReader::new(STATEMENT, input.body)?;
    let id = reader.event_id("poll")?;
    let text = reader.text("statement", 1, TEXT_LEN_MAX)?;
    let review_ms = reader.optional_uint("review_ms")?;
    reader.finish()?;
    let is_maintainer = state.is_maintainer(&input.event.header.author);
    let now = state.time_ms;
    let Some(poll) = state.association.polls.get_mut(&id) else {
        return reject(RejectionCode::PollUnknown, "no poll.open has that id");
    };
    if poll.is_open() {
        return reject(
            RejectionCode::PollOpen,
            "an outcome statement follows the close",
        );
    }
    if poll.author != author && !is_maintainer {
        return reject(
            RejectionCode::NotAuthorised,
            "the poll's author or a commons maintainer states its outcome",
        );
    }
    if review_ms.is_some_and(|r| r <= now) {
        return invalid(STATEMENT, "`review_ms` must be after the ledger's time now");
    }
    if poll.statements.len() >= STATEMENTS_MAX {
        return limit_reached("statements on a poll", STATEMENTS_MAX);
    }
    poll.statements.push(Statement {
        by: author,
        text,
        review_ms,
        index: input.index,
    });
    let mut applied = Applied::default();
    applied.touch(RowKey::Poll(id));
    Ok(applied)
}

/// The lot's seed for a poll closed by `closing` event: nobody knows it while voting.
pub fn seed(closing: &EventId, poll: &EventId) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"commons/poll-seed/v1");
    hasher.update(closing.0);
    hasher.update(poll.0);
    hasher.finalize().into()
}

/// Closes every poll whose time is up.
pub(crate) fn close_due(state: &mut State, input: &Input<'_>, applied: &mut Applied) {
    let now = state.time_ms;
    while let Some(&(closes_ms, id)) = state.association.open_polls.first() {
        if closes_ms > now {
            break;
        }
        state.association.open_polls.pop_first();
        close(state, &id, input, applied);
    }
}

fn close(state: &mut State, id: &EventId, input: &Input<'_>, applied: &mut Applied) {
    let Some(poll) = state.association.polls.get(id) else {
        return;
    };
    let mut result = count_poll(state, poll, seed(&input.event.id, id));
    result.index = input.index;
    result.time_ms = state.time_ms;
    let decision = poll.decision.clone();
    if result.passed {
        result.effect = Some(take_effect(state, id, &decision, &result, input, applied));
    }
    if let Some(poll) = state.association.polls.get_mut(id) {
        poll.result = Some(result);
    }
    applied.touch(RowKey::Poll(*id));
}

fn take_effect(
    state: &mut State,
    id: &EventId,
    decision: &Decision,
    result: &PollResult,
    input: &Input<'_>,
    applied: &mut Applied,
) -> String {
    let index = input.index;
    match decision {
        Decision::General => "decided".into(),
        Decision::Amend(statutes) => {
            state.association.statutes = Some((**statutes).clone());
            state.association.statutes_history.push((index, Some(*id)));
            applied.touch(RowKey::Association);
            "the statutes are amended".into()
        }
        Decision::Admit(application) => {
            match super::members::decide(state, application, None, index, applied) {
                Ok(()) => "the applicant is admitted".into(),
                Err(r) => format!("not applied: {}", r.message),
            }
        }
        Decision::Suspend {
            member,
            reason,
            days,
        } => {
            let until = state
                .time_ms
                .saturating_add(days.saturating_mul(86_400_000));
            super::members::sanction(state, member, reason.clone(), Some(until), *id, applied);
            format!("suspended for {days} days")
        }
        Decision::Expel { member, reason } => {
            super::members::sanction(state, member, reason.clone(), None, *id, applied);
            "expelled".into()
        }
        Decision::ElectBoard(candidates) => {
            let elected: Vec<AuthorKey> = result
                .winners
                .iter()
                .filter_map(|w| candidates.get(*w).copied())
                .collect();
            let months = state
                .association
                .statutes
                .as_ref()
                .map_or(12, |s| u64::from(s.board_term_months));
            state.association.board = elected;
            state.association.board_until_ms = state
                .time_ms
                .saturating_add(months.saturating_mul(MONTH_MS));
            applied.touch(RowKey::Association);
            format!("the board is elected for {months} months")
        }
        Decision::ValueEquation {
            equation,
            effective_ms,
        } => {
            if crate::value::adopt_equation(
                state,
                (**equation).clone(),
                *effective_ms,
                index,
                Some(*id),
            ) {
                applied.touch(RowKey::Equations);
                format!("the value equation is adopted from ledger time {effective_ms}")
            } else {
                "not applied: the commons has adopted the most equations it keeps".into()
            }
        }
        Decision::Expense(expense) => {
            crate::value::expense::poll_passed(state, input, id, expense, applied)
        }
        Decision::Award { award, nominees } => {
            let winners: Vec<AuthorKey> = result
                .winners
                .iter()
                .filter_map(|w| nominees.get(*w).copied())
                .collect();
            crate::value::award::decided(state, input, id, award, &winners, applied)
        }
    }
}

/// The ballots that count, with their weights after delegation: for the whole poll
/// (`chamber` None) or one chamber. Returns the weighted ballots, the turnout weight and
/// the delegations followed.
fn ballots_for(
    state: &State,
    poll: &Poll,
    chamber: Option<&str>,
) -> (Vec<WeightedBallot>, u64, Vec<(AuthorKey, AuthorKey)>) {
    ballots_with(poll, chamber, |key, voted| {
        resolve_delegate(state, key, poll.topic.as_deref(), voted)
    })
}

/// [`ballots_for`] with the delegations given by `delegate_of(voter, voted)`: the voter
/// whose ballot counts for `voter`, who did not vote, where `voted` says who did.
fn ballots_with(
    poll: &Poll,
    chamber: Option<&str>,
    delegate_of: impl Fn(&AuthorKey, &dyn Fn(&AuthorKey) -> bool) -> Option<AuthorKey>,
) -> (Vec<WeightedBallot>, u64, Vec<(AuthorKey, AuthorKey)>) {
    // Each voter's ballot for this tally: the one for the chamber, else the general one,
    // else (for the whole poll) their latest.
    let ballot_of = |voter: &AuthorKey| -> Option<usize> {
        match chamber {
            Some(c) => poll
                .current
                .get(&(*voter, Some(c.to_owned())))
                .or_else(|| poll.current.get(&(*voter, None)))
                .copied(),
            None => poll
                .current
                .range((*voter, None)..)
                .take_while(|((v, _), _)| v == voter)
                .map(|(_, i)| *i)
                .max(),
        }
    };
    let voted = |k: &AuthorKey| poll.electorate.contains_key(k) && ballot_of(k).is_some();
    let in_tally = |voter: &Voter| chamber.is_none_or(|c| voter.chambers.contains(c));
    let mut weight_by_ballot: BTreeMap<usize, u64> = BTreeMap::new();
    let mut turnout = 0u64;
    let mut delegated = Vec::new();
    for (key, voter) in poll.electorate.iter().filter(|(_, v)| in_tally(v)) {
        let counted = match ballot_of(key) {
            Some(i) => Some(i),
            None => delegate_of(key, &voted).and_then(|delegate| {
                let i = ballot_of(&delegate)?;
                delegated.push((*key, delegate));
                Some(i)
            }),
        };
        if let Some(i) = counted {
            *weight_by_ballot.entry(i).or_default() += voter.weight;
            turnout += voter.weight;
        }
    }
    let ballots = weight_by_ballot
        .into_iter()
        .map(|(i, weight)| WeightedBallot {
            weight,
            ballot: poll.ballots[i].ballot.clone(),
        })
        .collect();
    (ballots, turnout, delegated)
}

/// What a count of the whole poll reads: its options, seats and weighted ballots. For a
/// closed poll these are the ballots its close counted, with the delegations its result
/// records (later delegations change nothing); for an open poll, the ballots as they
/// would count now. Counting this profile with the result's seed gives the result's
/// outcome, which is how anyone recounts a poll from its exported ballots.
pub fn counted_profile(state: &State, poll: &Poll) -> Profile {
    let (ballots, _, _) = match &poll.result {
        Some(result) => {
            let followed: BTreeMap<AuthorKey, AuthorKey> =
                result.delegated.iter().copied().collect();
            ballots_with(poll, None, |key, _| followed.get(key).copied())
        }
        None => ballots_for(state, poll, None),
    };
    Profile {
        candidates: poll.options.clone(),
        seats: poll.seats,
        ballots,
    }
}

/// yes, no, abstain, block (consent: consents, open objections, resolved, 0).
fn decision_counts(ballots: &[WeightedBallot]) -> [u64; 4] {
    let mut counts = [0u64; 4];
    for b in ballots {
        let slot = match b.ballot {
            Ballot::Proposal(Stance::Yes) | Ballot::Consent(ConsentStance::Consent) => 0,
            Ballot::Proposal(Stance::No)
            | Ballot::Consent(ConsentStance::Object { resolved: false }) => 1,
            Ballot::Proposal(Stance::Abstain)
            | Ballot::Consent(ConsentStance::Object { resolved: true }) => 2,
            Ballot::Proposal(Stance::Block) => 3,
            _ => continue,
        };
        counts[slot] += b.weight;
    }
    counts
}

/// Whether a yes-or-no tally passes its threshold, and the support it reached.
fn decides(
    method: &Method,
    counts: [u64; 4],
    required: &num_rational::BigRational,
    strict: bool,
) -> (bool, num_rational::BigRational) {
    match method {
        // Consent: passes iff no objection is left open; support is the share of the
        // ballots that are not open objections.
        Method::Consent => {
            let total = counts[0] + counts[1] + counts[2];
            let support = fraction(counts[0] + counts[2], total);
            (counts[1] == 0 && total > 0, support)
        }
        _ => {
            let support = fraction(counts[0], counts[0] + counts[1]);
            let passed = counts[3] == 0 && counts[0] > 0 && meets(&support, required, strict);
            (passed, support)
        }
    }
}

/// Counts a poll as it stands (used at close, and for previews of the rules).
pub fn count_poll(state: &State, poll: &Poll, seed: [u8; 32]) -> PollResult {
    let rule = &poll.rule;
    let (ballots, turnout, delegated) = ballots_for(state, poll, None);
    let turnout_share = fraction(turnout, poll.electorate_weight);
    let quorum_met = turnout_share >= rule.quorum.big() && turnout > 0;
    let required = match &rule.progressive {
        Some(p) => progressive_threshold(
            rule.threshold,
            rule.quorum,
            p.full_turnout,
            p.max_threshold,
            &turnout_share,
        ),
        None => rule.threshold.big(),
    };
    let profile = Profile {
        candidates: poll.options.clone(),
        seats: poll.seats,
        ballots: ballots.clone(),
    };
    let mut result = PollResult {
        index: 0,
        time_ms: 0,
        seed,
        turnout_weight: turnout,
        quorum_met,
        required: show(&required),
        support: None,
        counts: [0; 4],
        passed: false,
        winners: Vec::new(),
        outcome: None,
        chambers: Vec::new(),
        delegated,
        effect: None,
        error: None,
    };
    if ballots.is_empty() {
        result.error = Some("no ballots".into());
        return result;
    }
    match commons_tally::count(&poll.method, &profile, seed) {
        Ok(outcome) => {
            result.winners = outcome.winners.clone();
            result.outcome = Some(outcome);
        }
        Err(e) => {
            result.error = Some(format!("{e} ({})", e.code()));
            return result;
        }
    }
    if method_elects(&rule.method) {
        result.passed = quorum_met && !result.winners.is_empty();
        return result;
    }
    let counts = decision_counts(&ballots);
    let (passed, support) = decides(&poll.method, counts, &required, rule.strict);
    result.counts = counts;
    result.support = Some(show(&support));
    result.passed = quorum_met && passed;
    if let Some(chamber_rule) = &rule.chambers {
        let statutes_chambers: Vec<String> = state
            .association
            .statutes
            .as_ref()
            .map(|s| s.chambers.iter().map(|c| c.slug.clone()).collect())
            .unwrap_or_default();
        // A chamber nobody sits in neither passes nor blocks: it is left out of the
        // concurrent count (which then needs at most the chambers that have members), of
        // the weighted sum (the other weights are scaled back to 1) and of any veto.
        let mut weighted = num_rational::BigRational::from_integer(0.into());
        let mut weight_present = num_rational::BigRational::from_integer(0.into());
        let mut all_quorate = true;
        let mut n_passed = 0u32;
        let mut n_present = 0u32;
        let mut vetoed = false;
        for slug in &statutes_chambers {
            let electorate_weight: u64 = poll
                .electorate
                .values()
                .filter(|v| v.chambers.contains(slug))
                .map(|v| v.weight)
                .sum();
            let (c_ballots, c_turnout, _) = ballots_for(state, poll, Some(slug));
            let c_quorum = fraction(c_turnout, electorate_weight)
                >= chamber_rule.chamber_quorum.big()
                && c_turnout > 0;
            let c_counts = decision_counts(&c_ballots);
            let (c_passed, c_support) =
                decides(&poll.method, c_counts, &rule.threshold.big(), rule.strict);
            let c_passed = c_passed && c_quorum;
            if electorate_weight > 0 {
                n_present += 1;
                all_quorate &= c_quorum;
                n_passed += u32::from(c_passed);
                vetoed |= chamber_rule.veto.contains(slug) && !c_passed;
                if let Combine::Weighted { weights } = &chamber_rule.combine
                    && let Some(w) = weights.get(slug)
                {
                    weighted += w.big() * c_support.clone();
                    weight_present += w.big();
                }
            }
            let c_profile = Profile {
                candidates: Vec::new(),
                seats: 1,
                ballots: c_ballots,
            };
            result.chambers.push(ChamberResult {
                slug: slug.clone(),
                electorate_weight,
                turnout_weight: c_turnout,
                quorum_met: c_quorum,
                support: show(&c_support),
                passed: c_passed,
                outcome: commons_tally::count(&poll.method, &c_profile, seed).ok(),
            });
        }
        let combined = match &chamber_rule.combine {
            Combine::Concurrent { required } => {
                n_present > 0 && n_passed >= (*required).min(n_present)
            }
            Combine::Weighted { .. } => {
                if weight_present > num_rational::BigRational::from_integer(0.into()) {
                    weighted /= weight_present;
                }
                result.support = Some(show(&weighted));
                meets(&weighted, &required, rule.strict) && counts[3] == 0
            }
        };
        result.passed = quorum_met && all_quorate && combined && !vetoed;
    }
    result
}
