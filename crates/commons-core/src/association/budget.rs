//! Participatory budgeting: rounds with a pool, dates, a model and a rule; projects with
//! itemised budgets; ballots; and the spending authorisations a closed round grants.
//!
//! A commons maintainer or a board member opens a round. Members propose projects until
//! `proposals_close_ms`; any member may flag a project for review against the round's
//! guidelines, and a maintainer or board member then keeps or excludes it (with a
//! reason). Until `closes_ms` the members frozen into the round's electorate when it
//! opened vote on the projects proposed so far (as on Cobudget, funding may start while
//! proposals still come in; the last ballot counts, and may add later projects). The `ledger.tick`
//! that passes `closes_ms` counts the round with `commons_tally::budget` (seeded by that
//! tick's id) and records one *spending authorisation* per funded project, which the
//! money features draw on. Cancelling a funded project records a reversing entry that
//! releases its funds; nothing is ever deleted.

use super::polls::identity;
use super::{
    ELECTORATE_MAX, MemberStatus, POLL_DURATION_MAX_MS, POLL_DURATION_MIN_MS, REASON_LEN_MAX,
    TEXT_LEN_MAX, TITLE_LEN_MAX, invalid, statutes_of,
};
use crate::body::BodyReader;
use crate::production::limit_reached;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};
use commons_tally::budget::{
    self as pb, BudgetBallot, BudgetOutcome, Completion, Item, Model, PROJECTS_PER_ROUND_MAX,
    Project,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub const OPEN: &str = "budget.open";
pub const PROPOSE: &str = "budget.propose";
pub const FLAG: &str = "budget.flag";
pub const REVIEW: &str = "budget.review";
pub const VOTE: &str = "budget.vote";
pub const CANCEL: &str = "budget.cancel";

/// Most rounds open at once.
pub const OPEN_ROUNDS_MAX: usize = 16;
/// Most rounds a commons keeps.
pub const ROUNDS_MAX: usize = 10_000;
/// Most flags on one project.
pub const FLAGS_PER_PROJECT_MAX: usize = 32;
/// Most projects one member proposes in a round.
pub const PROJECTS_PER_MEMBER_MAX: usize = 5;
/// Longest currency code.
pub const CURRENCY_LEN_MAX: usize = 12;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectStatus {
    Proposed,
    Excluded { by: AuthorKey, reason: String },
    Funded { amount: u64 },
    Unfunded,
    Cancelled { by: AuthorKey, reason: String },
}

impl ProjectStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ProjectStatus::Proposed => "proposed",
            ProjectStatus::Excluded { .. } => "excluded",
            ProjectStatus::Funded { .. } => "funded",
            ProjectStatus::Unfunded => "unfunded",
            ProjectStatus::Cancelled { .. } => "cancelled",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetProject {
    pub round: EventId,
    pub author: AuthorKey,
    pub index: u64,
    pub name: String,
    pub description: Option<String>,
    pub items: Vec<Item>,
    /// Open flags: who, and why the project breaks the guidelines. Cleared by a review
    /// that keeps the project.
    pub flags: Vec<(AuthorKey, String)>,
    pub status: ProjectStatus,
}

impl BudgetProject {
    pub fn min_cost(&self) -> u64 {
        self.tally_project().min_cost()
    }

    pub fn max_cost(&self) -> u64 {
        self.tally_project().max_cost()
    }

    fn tally_project(&self) -> Project {
        Project {
            name: self.name.clone(),
            items: self.items.clone(),
        }
    }
}

/// One entry of the spending authorisations: a grant when a round funds a project, a
/// release (reversing it) when the project is cancelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorisation {
    pub round: EventId,
    pub project: EventId,
    pub amount: u64,
    pub currency: String,
    pub release: bool,
    pub index: u64,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundResult {
    pub index: u64,
    pub time_ms: u64,
    /// The projects counted, in the order the outcome's indexes refer to.
    pub counted: Vec<EventId>,
    pub outcome: Option<BudgetOutcome>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetRound {
    pub author: AuthorKey,
    pub index: u64,
    pub opened_ms: u64,
    pub title: String,
    pub description: Option<String>,
    pub guidelines: Option<String>,
    pub pool: u64,
    pub currency: String,
    pub model: Model,
    pub rule: pb::Rule,
    pub proposals_close_ms: u64,
    pub closes_ms: u64,
    pub electorate: BTreeSet<AuthorKey>,
    pub electorate_hash: [u8; 32],
    pub projects: Vec<EventId>,
    /// Each voter's ballot that counts (projects by id) and how many they cast.
    pub ballots: BTreeMap<AuthorKey, (Ballot, u32)>,
    pub result: Option<RoundResult>,
}

/// A budgeting ballot with projects named by id (indexes are fixed only at the count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ballot {
    CoFund(Vec<(EventId, u64)>),
    Basket(Vec<EventId>),
    Approve(Vec<EventId>),
}

impl BudgetRound {
    pub fn is_open(&self) -> bool {
        self.result.is_none()
    }

    /// "proposals" (projects and ballots), "voting" (ballots only) or "closed" at ledger
    /// time `now`.
    pub fn phase(&self, now: u64) -> &'static str {
        if self.result.is_some() {
            "closed"
        } else if now < self.proposals_close_ms {
            "proposals"
        } else {
            "voting"
        }
    }
}

/// Everything budgeting adds to the association.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Budgets {
    pub rounds: BTreeMap<EventId, BudgetRound>,
    pub open_rounds: BTreeSet<(u64, EventId)>,
    pub projects: BTreeMap<EventId, BudgetProject>,
    pub authorisations: Vec<Authorisation>,
}

impl Budgets {
    /// What a project may still spend: its grants less its releases.
    pub fn authorised(&self, project: &EventId) -> u64 {
        self.authorisations
            .iter()
            .filter(|a| a.project == *project)
            .fold(0u64, |sum, a| {
                if a.release {
                    sum.saturating_sub(a.amount)
                } else {
                    sum.saturating_add(a.amount)
                }
            })
    }
}

/// Whether `key` may open rounds and review, exclude or cancel projects: a commons
/// maintainer or a member of the board.
pub fn may_steward(state: &State, key: &AuthorKey) -> bool {
    state.is_maintainer(key) || state.association.board.contains(&identity(state, key))
}

fn require_steward(state: &State, key: &AuthorKey, what: &str) -> Result<(), Rejection> {
    if may_steward(state, key) {
        Ok(())
    } else {
        reject(
            RejectionCode::NotAuthorised,
            format!("only a commons maintainer or a board member may {what}"),
        )
    }
}

fn require_member(state: &State, key: &AuthorKey) -> Result<AuthorKey, Rejection> {
    let id = identity(state, key);
    if state.association.is_active_member(&id) {
        Ok(id)
    } else {
        reject(
            RejectionCode::NotMember,
            "only active members take part in budgeting",
        )
    }
}

/// The model named `name` (`co_funding`, `knapsack` or `approval`) with its bounds:
/// a knapsack's least spend (0 when absent), an approval ballot's fewest and most
/// projects (no bounds when absent).
pub fn model_named(
    name: &str,
    min_spend: Option<u64>,
    min: Option<u32>,
    max: Option<u32>,
) -> Option<Model> {
    Some(match name {
        "co_funding" => Model::CoFunding,
        "knapsack" => Model::Knapsack {
            min_spend: min_spend.unwrap_or(0),
        },
        "approval" => Model::Approval {
            min: min.unwrap_or(0),
            max: max.unwrap_or(u32::MAX),
        },
        _ => return None,
    })
}

/// The rule named `name` (`greedy`, the default, or `equal_shares`), the latter completed
/// as `completion` says (`none`, `greedy`, the default, or `add1`).
pub fn rule_named(name: Option<&str>, completion: Option<&str>) -> Option<pb::Rule> {
    Some(match name {
        None | Some("greedy") => pb::Rule::Greedy,
        Some("equal_shares") => pb::Rule::EqualShares {
            completion: match completion {
                None | Some("greedy") => Completion::Greedy,
                Some("none") => Completion::None,
                Some("add1") => Completion::Add1ThenGreedy,
                _ => return None,
            },
        },
        _ => return None,
    })
}

fn read_model(reader: &mut BodyReader<'_>) -> Result<(Model, pb::Rule), Rejection> {
    let name = reader.text("model", 1, 16)?;
    let bound = |n: Option<u64>| {
        n.map(u32::try_from)
            .transpose()
            .or_else(|_| invalid(OPEN, "approval bounds fit u32"))
    };
    let (min_spend, min, max) = match name.as_str() {
        "knapsack" => (reader.optional_uint("min_spend")?, None, None),
        "approval" => (
            None,
            bound(reader.optional_uint("min")?)?,
            bound(reader.optional_uint("max")?)?,
        ),
        _ => (None, None, None),
    };
    let Some(model) = model_named(&name, min_spend, min, max) else {
        return invalid(OPEN, "`model` is co_funding, knapsack or approval");
    };
    let rule_text = reader.optional_text("rule", 1, 16)?;
    let completion = match rule_text.as_deref() {
        Some("equal_shares") => reader.optional_text("completion", 1, 16)?,
        _ => None,
    };
    let Some(rule) = rule_named(rule_text.as_deref(), completion.as_deref()) else {
        return invalid(
            OPEN,
            "`rule` is greedy or equal_shares, and `completion` none, greedy or add1",
        );
    };
    if model == Model::CoFunding && rule != pb::Rule::Greedy {
        return invalid(
            OPEN,
            "a co-funding round funds what its pledges fund; use rule greedy",
        );
    }
    Ok((model, rule))
}

pub fn model_name(model: &Model) -> &'static str {
    match model {
        Model::CoFunding => "co_funding",
        Model::Knapsack { .. } => "knapsack",
        Model::Approval { .. } => "approval",
    }
}

pub fn rule_name(rule: &pb::Rule) -> &'static str {
    match rule {
        pb::Rule::Greedy => "greedy",
        pb::Rule::EqualShares { .. } => "equal_shares",
    }
}

pub fn completion_name(completion: Completion) -> &'static str {
    match completion {
        Completion::None => "none",
        Completion::Greedy => "greedy",
        Completion::Add1ThenGreedy => "add1",
    }
}

// ---------------------------------------------------------------------------------------
// Bodies, as clients write them: the CLI, the web forms, the demo and the tests share
// these builders so that every program writes the schema `open`, `propose` and the
// others read (docs/events.md).

fn id_value(id: &EventId) -> Value {
    Value::bytes(id.0.to_vec())
}

/// A `budget.open` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRound {
    pub title: String,
    pub description: Option<String>,
    pub guidelines: Option<String>,
    /// In minor units of `currency`.
    pub pool: u64,
    pub currency: String,
    pub model: Model,
    pub rule: pb::Rule,
    pub proposals_close_ms: u64,
    pub closes_ms: u64,
}

impl NewRound {
    pub fn body(&self) -> Value {
        let mut fields = vec![("title", Value::text(self.title.clone()))];
        let mut optional = |name: &'static str, text: &Option<String>| {
            if let Some(text) = text {
                fields.push((name, Value::text(text.clone())));
            }
        };
        optional("description", &self.description);
        optional("guidelines", &self.guidelines);
        fields.push(("pool", Value::Unsigned(self.pool)));
        fields.push(("currency", Value::text(self.currency.clone())));
        fields.push(("model", Value::text(model_name(&self.model))));
        match self.model {
            Model::CoFunding => {}
            Model::Knapsack { min_spend } => {
                fields.push(("min_spend", Value::Unsigned(min_spend)));
            }
            Model::Approval { min, max } => {
                fields.push(("min", Value::Unsigned(u64::from(min))));
                if max != u32::MAX {
                    fields.push(("max", Value::Unsigned(u64::from(max))));
                }
            }
        }
        fields.push(("rule", Value::text(rule_name(&self.rule))));
        if let pb::Rule::EqualShares { completion } = self.rule {
            fields.push(("completion", Value::text(completion_name(completion))));
        }
        fields.push((
            "proposals_close_ms",
            Value::Unsigned(self.proposals_close_ms),
        ));
        fields.push(("closes_ms", Value::Unsigned(self.closes_ms)));
        Value::text_map(fields)
    }
}

/// A `budget.propose` body: a project for `round` with its itemised budget.
pub fn propose_body(
    round: &EventId,
    name: &str,
    description: Option<&str>,
    items: &[Item],
) -> Value {
    let items = items
        .iter()
        .map(|item| {
            Value::text_map([
                ("label", Value::text(item.label.clone())),
                ("amount", Value::Unsigned(item.amount)),
                ("optional", Value::Bool(item.optional)),
            ])
        })
        .collect();
    let mut fields = vec![
        ("round", id_value(round)),
        ("name", Value::text(name)),
        ("items", Value::Array(items)),
    ];
    if let Some(description) = description {
        fields.push(("description", Value::text(description)));
    }
    Value::text_map(fields)
}

/// A `budget.flag` or `budget.cancel` body: the project and why.
pub fn project_body(project: &EventId, reason: &str) -> Value {
    Value::text_map([
        ("project", id_value(project)),
        ("reason", Value::text(reason)),
    ])
}

/// A `budget.review` body: keep the flagged project (clearing its flags) or exclude it.
pub fn review_body(project: &EventId, exclude: bool, reason: &str) -> Value {
    Value::text_map([
        ("project", id_value(project)),
        (
            "decision",
            Value::text(if exclude { "exclude" } else { "keep" }),
        ),
        ("reason", Value::text(reason)),
    ])
}

/// A `budget.vote` body.
pub fn vote_body(round: &EventId, ballot: &Ballot) -> Value {
    Value::text_map([("round", id_value(round)), ("ballot", ballot_value(ballot))])
}

pub(crate) fn open(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(OPEN, input.body)?;
    let title = reader.text("title", 1, TITLE_LEN_MAX)?;
    let description = reader.optional_text("description", 1, TEXT_LEN_MAX)?;
    let guidelines = reader.optional_text("guidelines", 1, TEXT_LEN_MAX)?;
    let pool = reader.uint("pool")?;
    let currency = reader.text("currency", 1, CURRENCY_LEN_MAX)?;
    let (model, rule) = read_model(&mut reader)?;
    let proposals_close_ms = reader.uint("proposals_close_ms")?;
    let closes_ms = reader.uint("closes_ms")?;
    reader.finish()?;
    statutes_of(state)?;
    require_steward(state, &author, "open a budgeting round")?;
    if pool == 0 {
        return invalid(OPEN, "`pool` must be positive (in minor units)");
    }
    if !currency
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return invalid(OPEN, "`currency` is an upper-case code such as EUR");
    }
    if let Model::Knapsack { min_spend } = model
        && min_spend > pool
    {
        return invalid(OPEN, "`min_spend` is larger than the pool");
    }
    if let Model::Approval { min, max } = model
        && min > max
    {
        return invalid(OPEN, "approval `min` is above `max`");
    }
    let now = state.time_ms;
    if proposals_close_ms < now.saturating_add(POLL_DURATION_MIN_MS)
        || closes_ms < proposals_close_ms.saturating_add(POLL_DURATION_MIN_MS)
        || closes_ms > now.saturating_add(POLL_DURATION_MAX_MS)
    {
        return invalid(
            OPEN,
            "proposals close at least a minute from now, voting at least a minute after \
             that, and the round within a year",
        );
    }
    let budgets = &state.association.budgets;
    if budgets.open_rounds.len() >= OPEN_ROUNDS_MAX {
        return limit_reached("budgeting rounds open at once", OPEN_ROUNDS_MAX);
    }
    if budgets.rounds.len() >= ROUNDS_MAX {
        return limit_reached("budgeting rounds in a commons", ROUNDS_MAX);
    }
    let electorate: BTreeSet<AuthorKey> = state
        .association
        .members
        .iter()
        .filter(|(_, m)| m.status == MemberStatus::Active)
        .map(|(k, _)| *k)
        .collect();
    if electorate.is_empty() {
        return reject(
            RejectionCode::ElectorateEmpty,
            "the association has no active members",
        );
    }
    if electorate.len() > ELECTORATE_MAX {
        return limit_reached("voters in a round", ELECTORATE_MAX);
    }
    let electorate_hash: [u8; 32] = Sha256::digest(
        Value::Array(
            electorate
                .iter()
                .map(|k| Value::bytes(k.to_bytes().to_vec()))
                .collect(),
        )
        .encode(),
    )
    .into();
    let id = input.event.id;
    let identity = state.identity_of(&author);
    let budgets = &mut state.association.budgets;
    budgets.rounds.insert(
        id,
        BudgetRound {
            author: identity,
            index: input.index,
            opened_ms: now,
            title,
            description,
            guidelines,
            pool,
            currency,
            model,
            rule,
            proposals_close_ms,
            closes_ms,
            electorate,
            electorate_hash,
            projects: Vec::new(),
            ballots: BTreeMap::new(),
            result: None,
        },
    );
    budgets.open_rounds.insert((closes_ms, id));
    let mut applied = Applied::default();
    applied.touch(RowKey::Round(id));
    Ok(applied)
}

fn round_of<'s>(state: &'s State, id: &EventId) -> Result<&'s BudgetRound, Rejection> {
    match state.association.budgets.rounds.get(id) {
        Some(r) => Ok(r),
        None => reject(RejectionCode::RoundUnknown, "no budget.open has that id"),
    }
}

fn project_of<'s>(state: &'s State, id: &EventId) -> Result<&'s BudgetProject, Rejection> {
    match state.association.budgets.projects.get(id) {
        Some(p) => Ok(p),
        None => reject(
            RejectionCode::BudgetProjectUnknown,
            "no budget.propose has that id",
        ),
    }
}

fn read_items(value: &Value) -> Result<Vec<Item>, Rejection> {
    let Some(list) = value.as_array() else {
        return invalid(PROPOSE, "`items` is a list of {label, amount, optional?}");
    };
    if list.is_empty() || list.len() > pb::ITEMS_PER_PROJECT_MAX {
        return invalid(
            PROPOSE,
            format!("a project lists 1 to {} items", pb::ITEMS_PER_PROJECT_MAX),
        );
    }
    let mut items = Vec::with_capacity(list.len());
    for value in list {
        let mut reader = BodyReader::new(PROPOSE, value)?;
        let label = reader.text("label", 1, pb::ITEM_LABEL_LEN_MAX)?;
        let amount = reader.uint("amount")?;
        let optional = match reader.optional("optional") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return invalid(PROPOSE, "`optional` must be true or false"),
        };
        reader.finish()?;
        if amount == 0 {
            return invalid(PROPOSE, "an item's `amount` must be positive");
        }
        items.push(Item {
            label,
            amount,
            optional,
        });
    }
    if items.iter().all(|i| i.optional) {
        return invalid(PROPOSE, "a project needs at least one required item");
    }
    Ok(items)
}

pub(crate) fn propose(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let mut reader = BodyReader::new(PROPOSE, input.body)?;
    let round_id = reader.event_id("round")?;
    let name = reader.text("name", 1, pb::PROJECT_NAME_LEN_MAX)?;
    let description = reader.optional_text("description", 1, TEXT_LEN_MAX)?;
    let items = read_items(reader.required("items")?)?;
    reader.finish()?;
    let author = require_member(state, &input.event.header.author)?;
    let round = round_of(state, &round_id)?;
    if round.phase(state.time_ms) != "proposals" {
        return reject(
            RejectionCode::BudgetPhase,
            "proposals for this round are closed",
        );
    }
    if round.projects.len() >= PROJECTS_PER_ROUND_MAX {
        return limit_reached("projects in a round", PROJECTS_PER_ROUND_MAX);
    }
    let budgets = &state.association.budgets;
    let mine = round
        .projects
        .iter()
        .filter(|p| budgets.projects.get(*p).is_some_and(|p| p.author == author))
        .count();
    if mine >= PROJECTS_PER_MEMBER_MAX {
        return limit_reached(
            "projects one member proposes in a round",
            PROJECTS_PER_MEMBER_MAX,
        );
    }
    let project = BudgetProject {
        round: round_id,
        author,
        index: input.index,
        name,
        description,
        items,
        flags: Vec::new(),
        status: ProjectStatus::Proposed,
    };
    if project.max_cost() == u64::MAX {
        return invalid(PROPOSE, "the items add up to more than can be counted");
    }
    let id = input.event.id;
    let budgets = &mut state.association.budgets;
    budgets.projects.insert(id, project);
    if let Some(round) = budgets.rounds.get_mut(&round_id) {
        round.projects.push(id);
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Round(round_id));
    applied.touch(RowKey::BudgetProject(id));
    Ok(applied)
}

pub(crate) fn flag(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let mut reader = BodyReader::new(FLAG, input.body)?;
    let id = reader.event_id("project")?;
    let reason = reader.text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    let author = require_member(state, &input.event.header.author)?;
    let project = project_of(state, &id)?;
    let round = round_of(state, &project.round)?;
    if !round.is_open() || project.status != ProjectStatus::Proposed {
        return reject(
            RejectionCode::BudgetPhase,
            "only a proposed project of an open round can be flagged",
        );
    }
    if project.flags.iter().any(|(k, _)| *k == author) {
        return reject(
            RejectionCode::AlreadySignalled,
            "you already flagged this project",
        );
    }
    if project.flags.len() >= FLAGS_PER_PROJECT_MAX {
        return limit_reached("flags on a project", FLAGS_PER_PROJECT_MAX);
    }
    if let Some(p) = state.association.budgets.projects.get_mut(&id) {
        p.flags.push((author, reason));
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::BudgetProject(id));
    Ok(applied)
}

/// Keeps (clearing its flags) or excludes a flagged project, with a reason.
pub(crate) fn review(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(REVIEW, input.body)?;
    let id = reader.event_id("project")?;
    let exclude = match reader.text("decision", 1, 16)?.as_str() {
        "keep" => false,
        "exclude" => true,
        _ => return invalid(REVIEW, "`decision` is keep or exclude"),
    };
    let reason = reader.text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    require_steward(state, &author, "review flagged projects")?;
    let project = project_of(state, &id)?;
    let round = round_of(state, &project.round)?;
    if !round.is_open() || project.status != ProjectStatus::Proposed {
        return reject(
            RejectionCode::BudgetPhase,
            "only a proposed project of an open round can be reviewed",
        );
    }
    if project.flags.is_empty() {
        return invalid(REVIEW, "the project has no open flag to review");
    }
    let by = identity(state, &author);
    let round_id = project.round;
    if let Some(p) = state.association.budgets.projects.get_mut(&id) {
        if exclude {
            p.status = ProjectStatus::Excluded { by, reason };
        } else {
            p.flags.clear();
        }
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::BudgetProject(id));
    applied.touch(RowKey::Round(round_id));
    Ok(applied)
}

/// The projects a round counts, in proposal order, without excluded ones.
fn counted_projects(state: &State, round: &BudgetRound) -> Vec<EventId> {
    round
        .projects
        .iter()
        .filter(|p| {
            state
                .association
                .budgets
                .projects
                .get(*p)
                .is_some_and(|p| p.status == ProjectStatus::Proposed)
        })
        .copied()
        .collect()
}

fn tally_round(state: &State, round: &BudgetRound, counted: &[EventId]) -> pb::Round {
    pb::Round {
        pool: round.pool,
        model: round.model,
        rule: round.rule,
        projects: counted
            .iter()
            .filter_map(|p| state.association.budgets.projects.get(p))
            .map(BudgetProject::tally_project)
            .collect(),
    }
}

/// A ballot with project ids turned into the count's indexes; entries naming a project
/// no longer counted (excluded) are dropped.
fn indexed(ballot: &Ballot, counted: &[EventId]) -> BudgetBallot {
    let at = |id: &EventId| counted.iter().position(|c| c == id);
    match ballot {
        Ballot::CoFund(pledges) => BudgetBallot::CoFund(
            pledges
                .iter()
                .filter_map(|(p, a)| at(p).map(|i| (i, *a)))
                .collect(),
        ),
        Ballot::Basket(ps) => BudgetBallot::Basket(ps.iter().filter_map(at).collect()),
        Ballot::Approve(ps) => BudgetBallot::Approve(ps.iter().filter_map(at).collect()),
    }
}

fn ids(value: &Value) -> Result<Vec<EventId>, Rejection> {
    let Some(list) = value.as_array() else {
        return invalid(VOTE, "a ballot lists project ids");
    };
    if list.len() > PROJECTS_PER_ROUND_MAX {
        return invalid(VOTE, "a ballot lists too many projects");
    }
    list.iter()
        .map(|v| match v.as_bytes().and_then(EventId::from_slice) {
            Some(id) => Ok(id),
            None => invalid(VOTE, "a project is named by its 32-byte id"),
        })
        .collect()
}

pub fn read_ballot(value: &Value) -> Result<Ballot, Rejection> {
    let Value::Map(entries) = value else {
        return invalid(VOTE, "`ballot` is a map with one entry");
    };
    let [(key, inner)] = entries.as_slice() else {
        return invalid(VOTE, "`ballot` is a map with one entry");
    };
    Ok(match key.as_text().unwrap_or_default() {
        "basket" => Ballot::Basket(ids(inner)?),
        "approve" => Ballot::Approve(ids(inner)?),
        "co_fund" => {
            let Some(list) = inner.as_array() else {
                return invalid(VOTE, "`co_fund` lists [project id, amount] pairs");
            };
            if list.len() > PROJECTS_PER_ROUND_MAX {
                return invalid(VOTE, "a ballot lists too many projects");
            }
            let mut pledges = Vec::with_capacity(list.len());
            for pair in list {
                match pair.as_array() {
                    Some([p, a]) => {
                        match (p.as_bytes().and_then(EventId::from_slice), a.as_u64()) {
                            (Some(p), Some(a)) => pledges.push((p, a)),
                            _ => {
                                return invalid(VOTE, "`co_fund` lists [project id, amount] pairs");
                            }
                        }
                    }
                    _ => return invalid(VOTE, "`co_fund` lists [project id, amount] pairs"),
                }
            }
            Ballot::CoFund(pledges)
        }
        _ => return invalid(VOTE, "`ballot` is one of co_fund, basket, approve"),
    })
}

pub fn ballot_value(ballot: &Ballot) -> Value {
    let id = |p: &EventId| Value::bytes(p.0.to_vec());
    match ballot {
        Ballot::CoFund(pledges) => Value::text_map([(
            "co_fund",
            Value::Array(
                pledges
                    .iter()
                    .map(|(p, a)| Value::Array(vec![id(p), Value::Unsigned(*a)]))
                    .collect(),
            ),
        )]),
        Ballot::Basket(ps) => {
            Value::text_map([("basket", Value::Array(ps.iter().map(id).collect()))])
        }
        Ballot::Approve(ps) => {
            Value::text_map([("approve", Value::Array(ps.iter().map(id).collect()))])
        }
    }
}

pub(crate) fn vote(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let voter = identity(state, &input.event.header.author);
    let mut reader = BodyReader::new(VOTE, input.body)?;
    let round_id = reader.event_id("round")?;
    let ballot = read_ballot(reader.required("ballot")?)?;
    reader.finish()?;
    let round = round_of(state, &round_id)?;
    if !round.is_open() {
        return reject(RejectionCode::PollClosed, "the round is closed");
    }
    if !round.electorate.contains(&voter) {
        return reject(
            RejectionCode::NotEligible,
            "you were not an active member when the round opened",
        );
    }
    let counted = counted_projects(state, round);
    let named: Vec<&EventId> = match &ballot {
        Ballot::CoFund(p) => p.iter().map(|(id, _)| id).collect(),
        Ballot::Basket(p) | Ballot::Approve(p) => p.iter().collect(),
    };
    if let Some(unknown) = named.iter().find(|id| !counted.contains(id)) {
        return reject(
            RejectionCode::BudgetProjectUnknown,
            format!("project {unknown} is not one this round counts"),
        );
    }
    let tally = tally_round(state, round, &counted);
    pb::validate(
        &tally,
        round.electorate.len() as u64,
        &indexed(&ballot, &counted),
    )
    .map_err(|e| {
        Rejection::new(
            RejectionCode::BudgetBallotInvalid,
            format!("{VOTE}: {e} ({})", e.code()),
        )
    })?;
    let cast = round.ballots.get(&voter).map_or(0, |(_, n)| *n);
    if cast as usize >= super::BALLOTS_PER_VOTER_MAX {
        return limit_reached(
            "ballots one voter casts in a round",
            super::BALLOTS_PER_VOTER_MAX,
        );
    }
    if let Some(round) = state.association.budgets.rounds.get_mut(&round_id) {
        round.ballots.insert(voter, (ballot, cast + 1));
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::Round(round_id));
    Ok(applied)
}

/// Cancels a funded project: a reversing entry releases what it was authorised.
pub(crate) fn cancel(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let mut reader = BodyReader::new(CANCEL, input.body)?;
    let id = reader.event_id("project")?;
    let reason = reader.text("reason", 1, REASON_LEN_MAX)?;
    reader.finish()?;
    require_steward(state, &author, "cancel a funded project")?;
    let project = project_of(state, &id)?;
    if !matches!(project.status, ProjectStatus::Funded { .. }) {
        return reject(
            RejectionCode::BudgetPhase,
            "only a funded project can be cancelled",
        );
    }
    let round = project.round;
    let currency = round_of(state, &round)?.currency.clone();
    let by = identity(state, &author);
    let budgets = &mut state.association.budgets;
    let amount = budgets.authorised(&id);
    budgets.authorisations.push(Authorisation {
        round,
        project: id,
        amount,
        currency,
        release: true,
        index: input.index,
        reason: Some(reason.clone()),
    });
    if let Some(p) = budgets.projects.get_mut(&id) {
        p.status = ProjectStatus::Cancelled { by, reason };
    }
    let mut applied = Applied::default();
    applied.touch(RowKey::BudgetProject(id));
    applied.touch(RowKey::Round(round));
    Ok(applied)
}

/// The lot's seed for a round closed by `closing`.
pub fn seed(closing: &EventId, round: &EventId) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"commons/budget-seed/v1");
    hasher.update(closing.0);
    hasher.update(round.0);
    hasher.finalize().into()
}

/// Counts a round as it stands: the projects counted and the outcome (or why not).
pub fn count_round(
    state: &State,
    round: &BudgetRound,
    seed: [u8; 32],
) -> (Vec<EventId>, Result<BudgetOutcome, String>) {
    let counted = counted_projects(state, round);
    let tally = tally_round(state, round, &counted);
    let ballots: Vec<BudgetBallot> = match round.model {
        // Every member frozen into the round holds an allocation, voting or not.
        Model::CoFunding => round
            .electorate
            .iter()
            .map(|k| {
                round
                    .ballots
                    .get(k)
                    .map_or(BudgetBallot::CoFund(Vec::new()), |(b, _)| {
                        indexed(b, &counted)
                    })
            })
            .collect(),
        _ => round
            .ballots
            .values()
            .map(|(b, _)| indexed(b, &counted))
            .collect(),
    };
    if counted.is_empty() || ballots.is_empty() {
        return (counted, Err("no projects or no ballots".into()));
    }
    let outcome = pb::allocate(&tally, &ballots, seed).map_err(|e| format!("{e} ({})", e.code()));
    (counted, outcome)
}

pub(crate) fn close_due(state: &mut State, input: &Input<'_>, applied: &mut Applied) {
    let now = state.time_ms;
    while let Some(&(closes_ms, id)) = state.association.budgets.open_rounds.first() {
        if closes_ms > now {
            break;
        }
        state.association.budgets.open_rounds.pop_first();
        let Some(round) = state.association.budgets.rounds.get(&id) else {
            continue;
        };
        let (counted, outcome) = count_round(state, round, seed(&input.event.id, &id));
        let currency = round.currency.clone();
        let budgets = &mut state.association.budgets;
        let mut funded: BTreeMap<EventId, u64> = BTreeMap::new();
        if let Ok(outcome) = &outcome {
            for grant in &outcome.funded {
                if let Some(project) = counted.get(grant.project) {
                    funded.insert(*project, grant.amount);
                    budgets.authorisations.push(Authorisation {
                        round: id,
                        project: *project,
                        amount: grant.amount,
                        currency: currency.clone(),
                        release: false,
                        index: input.index,
                        reason: None,
                    });
                }
            }
        }
        for project in &counted {
            if let Some(p) = budgets.projects.get_mut(project) {
                p.status = match funded.get(project) {
                    Some(amount) => ProjectStatus::Funded { amount: *amount },
                    None => ProjectStatus::Unfunded,
                };
                applied.touch(RowKey::BudgetProject(*project));
            }
        }
        let (outcome, error) = match outcome {
            Ok(o) => (Some(o), None),
            Err(e) => (None, Some(e)),
        };
        if let Some(round) = budgets.rounds.get_mut(&id) {
            round.result = Some(RoundResult {
                index: input.index,
                time_ms: now,
                counted,
                outcome,
                error,
            });
        }
        applied.touch(RowKey::Round(id));
    }
}
