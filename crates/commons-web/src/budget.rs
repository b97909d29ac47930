//! The participatory budgeting API: rounds with their phase, pool and rule, every
//! project with its itemised budget, flags and status, the ballots, the whole count
//! sheet of a closed round, and the spending-authorisation ledger that the money
//! features draw on.
//!
//! Like the rest of the association, budgeting is public by design: every ballot and
//! every sheet is ledger data that anyone may recount (`commons_tally::budget::allocate`
//! with the round's seed gives the published outcome). Answers are computed from the
//! node's in-memory state (`Node::inspect`, core's `association::budget`), copying out
//! one page. Money is in the round's minor units, as exact integers; prices and payments
//! of the method of equal shares are exact fractions `"n/d"`. Writes are ordinary signed
//! events submitted to `POST /api/v1/events`.

use crate::AppState;
use crate::association::PersonJson;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, parse_author, parse_commons_id, parse_event_id};
use crate::production::{inspect, page_limit_within};
use axum::Json;
use axum::extract::State;
use commons_core::State as CommonsState;
use commons_core::association::budget::{
    self, Authorisation, Ballot, BudgetProject, BudgetRound, ProjectStatus,
};
use commons_core::association::polls;
use commons_ledger::{AuthorKey, CommonsId, EventId};
use commons_tally::budget::{BudgetOutcome, Model, Rule};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most items in one page of a budgeting listing (rounds, ballots, an electorate,
/// authorisations).
pub const BUDGET_PAGE_MAX: usize = 1_000;
/// Items in a page when the query does not say.
pub const BUDGET_PAGE_DEFAULT: usize = 100;

/// How anyone recomputes a round's `electorate_hash` from its published electorate.
pub const BUDGET_ELECTORATE_HASH_RECIPE: &str = "SHA-256 of the deterministic CBOR encoding (spec §3) of one array holding every voter's key as a 33-byte byte string, in ascending order of key bytes";

/// How a closed round's seed was drawn (`commons_core::association::budget::seed`).
pub const BUDGET_SEED_RECIPE: &str = "SHA-256 of the ASCII bytes \"commons/budget-seed/v1\", the 32-byte id of the ledger.tick that closed the round, then the round's 32-byte id";

fn page_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    page_limit_within(limit, BUDGET_PAGE_DEFAULT, BUDGET_PAGE_MAX)
}

fn unknown_round() -> ApiError {
    ApiError::not_found(
        "unknown_round",
        "this commons has no budgeting round with that id",
    )
}

fn unknown_project() -> ApiError {
    ApiError::not_found(
        "unknown_project",
        "this commons has no budgeting project with that id",
    )
}

// ---------------------------------------------------------------------------------------
// Money: minor units in the ledger and the API, major units for people.

/// Longest amount text [`Currency::parse`] reads, in bytes.
pub const AMOUNT_TEXT_LEN_MAX: usize = 64;

/// ISO 4217 currencies without a minor unit.
const CURRENCIES_WITHOUT_DECIMALS: [&str; 17] = [
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
/// ISO 4217 currencies whose minor unit is a thousandth.
const CURRENCIES_WITH_THREE_DECIMALS: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
/// ISO 4217 currencies whose minor unit is a ten-thousandth.
const CURRENCIES_WITH_FOUR_DECIMALS: [&str; 2] = ["CLF", "UYW"];

/// A round's currency: its code and how many decimal places its major unit has, so that
/// an amount typed as `1,200.50 EUR` becomes exactly 120,050 minor units and back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency {
    pub code: String,
    /// Digits after the decimal point: ISO 4217's minor unit, 2 for a code it does not
    /// list (a community currency, hours of a time bank).
    pub decimals: u32,
}

/// Why an amount typed by a person is not one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountError {
    Empty,
    TooLong,
    Malformed { text: String },
    TooManyDecimals { text: String, decimals: u32 },
    TooLarge { text: String },
    WrongCurrency { given: String, expected: String },
}

impl std::fmt::Display for AmountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AmountError::Empty => write!(f, "the amount is empty"),
            AmountError::TooLong => {
                write!(f, "an amount is at most {AMOUNT_TEXT_LEN_MAX} bytes long")
            }
            AmountError::Malformed { text } => write!(
                f,
                "`{text}` is not an amount like 1,200.50 (commas between thousands, a point before the decimals)"
            ),
            AmountError::TooManyDecimals { text, decimals } => write!(
                f,
                "`{text}` has more than the {decimals} decimal place(s) of its currency"
            ),
            AmountError::TooLarge { text } => write!(f, "`{text}` is too large to count"),
            AmountError::WrongCurrency { given, expected } => {
                write!(
                    f,
                    "the amount is in {given}, but the round counts in {expected}"
                )
            }
        }
    }
}

impl std::error::Error for AmountError {}

impl Currency {
    pub fn of(code: &str) -> Currency {
        let decimals = if CURRENCIES_WITHOUT_DECIMALS.contains(&code) {
            0
        } else if CURRENCIES_WITH_THREE_DECIMALS.contains(&code) {
            3
        } else if CURRENCIES_WITH_FOUR_DECIMALS.contains(&code) {
            4
        } else {
            2
        };
        Currency {
            code: code.to_owned(),
            decimals,
        }
    }

    /// Reads an amount in major units (`1,200.50`, `1200.5`, `50`, optionally followed or
    /// preceded by the currency code) as exact minor units. Commas may only separate
    /// groups of three digits, so a decimal comma (`12,50`) is refused rather than read
    /// as twelve hundred and fifty.
    pub fn parse(&self, text: &str) -> Result<u64, AmountError> {
        if text.len() > AMOUNT_TEXT_LEN_MAX {
            return Err(AmountError::TooLong);
        }
        let text = text.trim();
        let number = self.without_code(text)?;
        if number.is_empty() {
            return Err(AmountError::Empty);
        }
        let malformed = || AmountError::Malformed {
            text: text.to_owned(),
        };
        let (whole, fraction) = match number.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (number, None),
        };
        let groups: Vec<&str> = whole.split(',').collect();
        let grouped = groups.len() > 1;
        for (i, group) in groups.iter().enumerate() {
            let digits_ok = !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit());
            let length_ok = !grouped
                || if i == 0 {
                    group.len() <= 3
                } else {
                    group.len() == 3
                };
            if !digits_ok || !length_ok {
                return Err(malformed());
            }
        }
        let fraction = fraction.unwrap_or("");
        if (number.contains('.') && fraction.is_empty())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(malformed());
        }
        let places = u32::try_from(fraction.len()).map_err(|_| malformed())?;
        if places > self.decimals {
            return Err(AmountError::TooManyDecimals {
                text: text.to_owned(),
                decimals: self.decimals,
            });
        }
        let too_large = || AmountError::TooLarge {
            text: text.to_owned(),
        };
        let mut minor: u64 = 0;
        for b in groups.concat().bytes().chain(fraction.bytes()) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(u64::from(b - b'0')))
                .ok_or_else(too_large)?;
        }
        minor
            .checked_mul(10u64.pow(self.decimals - places))
            .ok_or_else(too_large)
    }

    /// The number part of `text`, after checking any currency code around it.
    fn without_code<'t>(&self, text: &'t str) -> Result<&'t str, AmountError> {
        let is_code = |c: char| c.is_ascii_alphabetic();
        let (code, number) = if text.starts_with(is_code) {
            let end = text.find(|c: char| !is_code(c)).unwrap_or(text.len());
            (&text[..end], text[end..].trim())
        } else if text.ends_with(is_code) {
            let start = text.rfind(|c: char| !is_code(c)).map_or(0, |i| i + 1);
            (&text[start..], text[..start].trim())
        } else {
            ("", text)
        };
        if !code.is_empty() && !code.eq_ignore_ascii_case(&self.code) {
            return Err(AmountError::WrongCurrency {
                given: code.to_owned(),
                expected: self.code.clone(),
            });
        }
        Ok(number)
    }

    /// `minor` minor units in major units with every decimal place, thousands separated
    /// by commas: `1,200.50`.
    pub fn format_number(&self, minor: u64) -> String {
        let scale = 10u64.pow(self.decimals);
        let whole = (minor / scale).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if self.decimals == 0 {
            return grouped;
        }
        format!(
            "{grouped}.{:0width$}",
            minor % scale,
            width = self.decimals as usize
        )
    }

    /// `minor` minor units for people: `1,200.50 EUR`.
    pub fn format(&self, minor: u64) -> String {
        format!("{} {}", self.format_number(minor), self.code)
    }
}

// ---------------------------------------------------------------------------------------
// Rounds

#[derive(Debug, Serialize)]
pub struct BudgetModelJson {
    /// `co_funding`, `knapsack` or `approval`.
    pub name: &'static str,
    /// Knapsack: the least a basket's minimum costs must add up to.
    pub min_spend: Option<u64>,
    /// Approval: the fewest projects a ballot approves.
    pub min: Option<u32>,
    /// Approval: the most projects a ballot approves; `null` for no bound.
    pub max: Option<u32>,
}

impl BudgetModelJson {
    fn of(model: &Model) -> BudgetModelJson {
        let (min_spend, min, max) = match *model {
            Model::CoFunding => (None, None, None),
            Model::Knapsack { min_spend } => (Some(min_spend), None, None),
            Model::Approval { min, max } => (None, Some(min), (max != u32::MAX).then_some(max)),
        };
        BudgetModelJson {
            name: budget::model_name(model),
            min_spend,
            min,
            max,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BudgetRuleJson {
    /// `greedy` or `equal_shares`.
    pub name: &'static str,
    /// Equal shares: what it does with what it leaves unspent: `none`, `greedy` or
    /// `add1`.
    pub completion: Option<&'static str>,
}

impl BudgetRuleJson {
    fn of(rule: &Rule) -> BudgetRuleJson {
        BudgetRuleJson {
            name: budget::rule_name(rule),
            completion: match rule {
                Rule::Greedy => None,
                Rule::EqualShares { completion } => Some(budget::completion_name(*completion)),
            },
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RoundSummaryJson {
    /// The `budget.open` event's id.
    pub id: String,
    pub title: String,
    pub author: PersonJson,
    pub index: u64,
    /// At the ledger's time now: `proposals` (projects and ballots), `voting` (ballots
    /// only) or `closed`.
    pub phase: &'static str,
    /// In minor units of `currency`.
    pub pool: u64,
    pub currency: String,
    /// Decimal places of the currency's major unit, for showing amounts (2 for a code
    /// ISO 4217 does not list).
    pub currency_decimals: u32,
    pub model: BudgetModelJson,
    pub rule: BudgetRuleJson,
    pub opened_ms: u64,
    pub proposals_close_ms: u64,
    pub closes_ms: u64,
    /// The active members frozen into the round when it opened.
    pub electorate_size: u64,
    /// Hex SHA-256; see `hash_recipe` on `…/electorate`.
    pub electorate_hash: String,
    /// Projects proposed, excluded ones included.
    pub n_projects: u64,
    /// Members who cast a ballot.
    pub n_voters: u64,
    /// Once closed: what the count granted and what it left in the pool.
    pub spent: Option<u64>,
    pub leftover: Option<u64>,
    pub n_funded: Option<u64>,
}

pub(crate) fn round_summary(
    state: &CommonsState,
    id: &EventId,
    round: &BudgetRound,
) -> RoundSummaryJson {
    let outcome = round.result.as_ref().and_then(|r| r.outcome.as_ref());
    let closed = round.result.is_some();
    RoundSummaryJson {
        id: id.to_hex(),
        title: round.title.clone(),
        author: PersonJson::of(state, &round.author),
        index: round.index,
        phase: round.phase(state.time_ms),
        pool: round.pool,
        currency: round.currency.clone(),
        currency_decimals: Currency::of(&round.currency).decimals,
        model: BudgetModelJson::of(&round.model),
        rule: BudgetRuleJson::of(&round.rule),
        opened_ms: round.opened_ms,
        proposals_close_ms: round.proposals_close_ms,
        closes_ms: round.closes_ms,
        electorate_size: round.electorate.len() as u64,
        electorate_hash: hex::encode(round.electorate_hash),
        n_projects: round.projects.len() as u64,
        n_voters: round.ballots.len() as u64,
        // A round that closed without a count (no projects or no ballots) spent nothing.
        spent: closed.then(|| outcome.map_or(0, |o| o.total_spent)),
        leftover: closed.then(|| outcome.map_or(round.pool, |o| o.leftover)),
        n_funded: closed.then(|| outcome.map_or(0, |o| o.funded.len() as u64)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundParams {
    status: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct RoundPage {
    pub matching: u64,
    pub offset: usize,
    pub ledger_time_ms: u64,
    /// Open rounds first, closing soonest first; then closed ones, last closed first.
    pub rounds: Vec<RoundSummaryJson>,
}

/// `GET /api/v1/commons/{id}/budgets`.
pub async fn list_rounds(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<RoundParams>,
) -> Result<Json<RoundPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    let (want_open, want_closed) = match params.status.as_deref() {
        None => (true, true),
        Some("open") => (true, false),
        Some("closed") => (false, true),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "status is open or closed",
            ));
        }
    };
    let page = inspect(&state, &commons, move |s| {
        let budgets = &s.association.budgets;
        let open = budgets
            .open_rounds
            .iter()
            .filter(|_| want_open)
            .filter_map(|(_, id)| Some((id, budgets.rounds.get(id)?)));
        let mut closed: Vec<(u64, &EventId, &BudgetRound)> = budgets
            .rounds
            .iter()
            .filter(|_| want_closed)
            .filter_map(|(id, round)| Some((round.result.as_ref()?.index, id, round)))
            .collect();
        closed.sort_by(|x, y| (y.0, y.1).cmp(&(x.0, x.1)));
        let ordered: Vec<(&EventId, &BudgetRound)> = open
            .chain(closed.into_iter().map(|(_, id, round)| (id, round)))
            .collect();
        RoundPage {
            matching: ordered.len() as u64,
            offset: params.offset,
            ledger_time_ms: s.time_ms,
            rounds: ordered
                .iter()
                .skip(params.offset)
                .take(limit)
                .map(|(id, round)| round_summary(s, id, round))
                .collect(),
        }
    })
    .await?;
    Ok(Json(page))
}

#[derive(Debug, Serialize)]
pub struct ItemJson {
    pub label: String,
    /// In minor units.
    pub amount: u64,
    /// Counts towards the maximum cost only.
    pub optional: bool,
}

#[derive(Debug, Serialize)]
pub struct FlagJson {
    pub by: PersonJson,
    /// Why the project breaks the round's guidelines.
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct ProjectJson {
    /// The `budget.propose` event's id.
    pub id: String,
    pub author: PersonJson,
    pub index: u64,
    pub name: String,
    pub description: Option<String>,
    pub items: Vec<ItemJson>,
    /// The sum of the required items.
    pub min_cost: u64,
    /// The sum of all items.
    pub max_cost: u64,
    /// Open flags; a review that keeps the project clears them.
    pub flags: Vec<FlagJson>,
    /// `proposed`, `excluded`, `funded`, `unfunded` or `cancelled`.
    pub status: &'static str,
    /// Who excluded or cancelled it, and why.
    pub status_by: Option<PersonJson>,
    pub status_reason: Option<String>,
    /// What the count granted, once funded (a cancelled project keeps its grant here).
    pub granted: Option<u64>,
    /// What it may still spend: its grants less its releases.
    pub authorised: u64,
    /// Its index in the closed round's outcome (`project` in grants and steps); `null`
    /// while open or when it was not counted (excluded).
    pub count_index: Option<usize>,
    /// Ballots that name it now (the last ballot of each voter).
    pub n_backers: u64,
    /// Co-funding: what those ballots pledge to it, in minor units.
    pub pledged: Option<u64>,
}

/// What the ballots cast so far say of one project.
#[derive(Default)]
struct Backing {
    n_backers: u64,
    pledged: u64,
}

fn backing(round: &BudgetRound) -> BTreeMap<EventId, Backing> {
    let mut out: BTreeMap<EventId, Backing> = BTreeMap::new();
    for (ballot, _) in round.ballots.values() {
        for (project, amount) in ballot_entries(ballot) {
            let entry = out.entry(project).or_default();
            entry.n_backers += 1;
            // Every pledge comes out of the pool, so their sum fits the pool's u64.
            entry.pledged = entry.pledged.saturating_add(amount.unwrap_or(0));
        }
    }
    out
}

/// The projects a ballot names, with the pledge of a co-funding ballot.
pub(crate) fn ballot_entries(ballot: &Ballot) -> Vec<(EventId, Option<u64>)> {
    match ballot {
        Ballot::CoFund(pledges) => pledges.iter().map(|(p, a)| (*p, Some(*a))).collect(),
        Ballot::Basket(projects) | Ballot::Approve(projects) => {
            projects.iter().map(|p| (*p, None)).collect()
        }
    }
}

fn ballot_kind(ballot: &Ballot) -> &'static str {
    match ballot {
        Ballot::CoFund(_) => "co_fund",
        Ballot::Basket(_) => "basket",
        Ballot::Approve(_) => "approve",
    }
}

fn project_json(
    state: &CommonsState,
    round: &BudgetRound,
    id: &EventId,
    project: &BudgetProject,
    backing: Option<&Backing>,
) -> ProjectJson {
    let (status_by, status_reason, funded) = match &project.status {
        ProjectStatus::Excluded { by, reason } | ProjectStatus::Cancelled { by, reason } => {
            (Some(PersonJson::of(state, by)), Some(reason.clone()), None)
        }
        ProjectStatus::Funded { amount } => (None, None, Some(*amount)),
        ProjectStatus::Proposed | ProjectStatus::Unfunded => (None, None, None),
    };
    let granted = funded.or_else(|| {
        // A cancelled project's grant is its first authorisation.
        matches!(project.status, ProjectStatus::Cancelled { .. })
            .then(|| {
                state
                    .association
                    .budgets
                    .authorisations
                    .iter()
                    .find(|a| a.project == *id && !a.release)
                    .map(|a| a.amount)
            })
            .flatten()
    });
    ProjectJson {
        id: id.to_hex(),
        author: PersonJson::of(state, &project.author),
        index: project.index,
        name: project.name.clone(),
        description: project.description.clone(),
        items: project
            .items
            .iter()
            .map(|item| ItemJson {
                label: item.label.clone(),
                amount: item.amount,
                optional: item.optional,
            })
            .collect(),
        min_cost: project.min_cost(),
        max_cost: project.max_cost(),
        flags: project
            .flags
            .iter()
            .map(|(by, reason)| FlagJson {
                by: PersonJson::of(state, by),
                reason: reason.clone(),
            })
            .collect(),
        status: project.status.as_str(),
        status_by,
        status_reason,
        granted,
        authorised: state.association.budgets.authorised(id),
        count_index: round
            .result
            .as_ref()
            .and_then(|r| r.counted.iter().position(|c| c == id)),
        n_backers: backing.map_or(0, |b| b.n_backers),
        pledged: (round.model == Model::CoFunding).then(|| backing.map_or(0, |b| b.pledged)),
    }
}

#[derive(Debug, Serialize)]
pub struct RoundResultJson {
    /// The ledger index and time of the tick that closed the round.
    pub index: u64,
    pub time_ms: u64,
    /// The projects counted (excluded ones left out), by id, in the order the outcome's
    /// project indexes refer to.
    pub counted: Vec<String>,
    /// The whole count as `commons_tally::budget::allocate` returned it: grants, the
    /// sheet's steps, tie-breaks with their lots, the seed (hex), the co-funding report
    /// (allocations, returns) or the equal-shares report (shares, payments per voter);
    /// `null` when nothing was counted.
    pub outcome: Option<BudgetOutcome>,
    /// Why nothing was counted (no projects or no ballots), or why the count failed.
    pub error: Option<String>,
    pub seed_recipe: &'static str,
}

#[derive(Debug, Serialize)]
pub struct RoundJson {
    #[serde(flatten)]
    pub summary: RoundSummaryJson,
    pub description: Option<String>,
    /// What projects must respect; a flag says which a project breaks.
    pub guidelines: Option<String>,
    pub ledger_time_ms: u64,
    /// In the order they were proposed.
    pub projects: Vec<ProjectJson>,
    /// Present once the round closed.
    pub result: Option<RoundResultJson>,
}

pub(crate) fn round_json(state: &CommonsState, id: &EventId, round: &BudgetRound) -> RoundJson {
    let backing = backing(round);
    let projects = &state.association.budgets.projects;
    RoundJson {
        summary: round_summary(state, id, round),
        description: round.description.clone(),
        guidelines: round.guidelines.clone(),
        ledger_time_ms: state.time_ms,
        projects: round
            .projects
            .iter()
            .filter_map(|p| {
                let project = projects.get(p)?;
                Some(project_json(state, round, p, project, backing.get(p)))
            })
            .collect(),
        result: round.result.as_ref().map(|r| RoundResultJson {
            index: r.index,
            time_ms: r.time_ms,
            counted: r.counted.iter().map(EventId::to_hex).collect(),
            outcome: r.outcome.clone(),
            error: r.error.clone(),
            seed_recipe: BUDGET_SEED_RECIPE,
        }),
    }
}

/// Runs `read` on the round `round` of the commons; 404 `unknown_round` if there is none.
async fn with_round<T: Send + 'static>(
    state: &AppState,
    commons: &CommonsId,
    round: EventId,
    read: impl FnOnce(&CommonsState, &BudgetRound) -> T + Send + 'static,
) -> Result<T, ApiError> {
    inspect(state, commons, move |s| {
        s.association.budgets.rounds.get(&round).map(|r| read(s, r))
    })
    .await?
    .ok_or_else(unknown_round)
}

/// `GET /api/v1/commons/{id}/budgets/{round}`.
pub async fn get_round(
    State(state): State<AppState>,
    ApiPath((id, round)): ApiPath<(String, String)>,
) -> Result<Json<RoundJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let round_id = parse_event_id(&round)?;
    let json = with_round(&state, &commons, round_id, move |s, r| {
        round_json(s, &round_id, r)
    })
    .await?;
    Ok(Json(json))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct RoundElectoratePage {
    pub size: u64,
    pub hash: String,
    pub hash_recipe: &'static str,
    pub offset: usize,
    /// In ascending order of key, as hashed.
    pub voters: Vec<PersonJson>,
}

/// `GET /api/v1/commons/{id}/budgets/{round}/electorate`: the members frozen into the
/// round when it opened.
pub async fn round_electorate(
    State(state): State<AppState>,
    ApiPath((id, round)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<RoundElectoratePage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let round_id = parse_event_id(&round)?;
    let limit = page_limit(params.limit)?;
    let page = with_round(&state, &commons, round_id, move |s, r| {
        RoundElectoratePage {
            size: r.electorate.len() as u64,
            hash: hex::encode(r.electorate_hash),
            hash_recipe: BUDGET_ELECTORATE_HASH_RECIPE,
            offset: params.offset,
            voters: r
                .electorate
                .iter()
                .skip(params.offset)
                .take(limit)
                .map(|key| PersonJson::of(s, key))
                .collect(),
        }
    })
    .await?;
    Ok(Json(page))
}

// ---------------------------------------------------------------------------------------
// Ballots

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotParams {
    voter: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct BallotEntryJson {
    /// The project's id.
    pub project: String,
    pub name: String,
    /// Co-funding: the pledge, in minor units.
    pub amount: Option<u64>,
    /// Whether the count reads this entry: an entry for a project excluded after the
    /// ballot was cast is dropped.
    pub counted: bool,
}

#[derive(Debug, Serialize)]
pub struct BudgetBallotJson {
    pub voter: PersonJson,
    /// `co_fund`, `basket` or `approve`.
    pub kind: &'static str,
    /// The projects named, in the ballot's order.
    pub entries: Vec<BallotEntryJson>,
    /// The ballot for people: `Garden, Server` or `Garden=250.00, Mural=50.00` (major
    /// units).
    pub text: String,
    /// Ballots this voter cast in the round; the last one is shown and counts.
    pub n_cast: u32,
}

#[derive(Debug, Serialize)]
pub struct BudgetBallotPage {
    pub model: &'static str,
    pub electorate_size: u64,
    pub n_voters: u64,
    pub matching: u64,
    pub offset: usize,
    /// Each voter's ballot that counts, in ascending order of voter key: the order in
    /// which the count reads them, so a payment's `ballot_index` in an equal-shares
    /// sheet is a position in this list. (A co-funding count also gives every member
    /// of the electorate who did not vote an empty ballot.)
    pub ballots: Vec<BudgetBallotJson>,
}

/// `GET /api/v1/commons/{id}/budgets/{round}/ballots`: every voter's ballot, public by
/// design.
pub async fn round_ballots(
    State(state): State<AppState>,
    ApiPath((id, round)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<BallotParams>,
) -> Result<Json<BudgetBallotPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let round_id = parse_event_id(&round)?;
    let limit = page_limit(params.limit)?;
    let voter = params.voter.as_deref().map(parse_author).transpose()?;
    let page = with_round(&state, &commons, round_id, move |s, r| {
        let voter = voter.map(|k| polls::identity(s, &k));
        let matches: Vec<_> = r
            .ballots
            .iter()
            .filter(|(key, _)| voter.is_none_or(|v| **key == v))
            .collect();
        BudgetBallotPage {
            model: budget::model_name(&r.model),
            electorate_size: r.electorate.len() as u64,
            n_voters: r.ballots.len() as u64,
            matching: matches.len() as u64,
            offset: params.offset,
            ballots: ballot_rows(s, r, matches.into_iter().skip(params.offset).take(limit)),
        }
    })
    .await?;
    Ok(Json(page))
}

/// The ballots `cast` of round `r` as the API and the round's page show them.
pub(crate) fn ballot_rows<'r>(
    s: &CommonsState,
    r: &BudgetRound,
    cast: impl Iterator<Item = (&'r AuthorKey, &'r (Ballot, u32))>,
) -> Vec<BudgetBallotJson> {
    let projects = &s.association.budgets.projects;
    let currency = Currency::of(&r.currency);
    // A closed round counted what its result records; an open one will count every
    // project not excluded.
    let counted: BTreeSet<&EventId> = match &r.result {
        Some(result) => result.counted.iter().collect(),
        None => r
            .projects
            .iter()
            .filter(|p| {
                projects
                    .get(*p)
                    .is_some_and(|p| !matches!(p.status, ProjectStatus::Excluded { .. }))
            })
            .collect(),
    };
    cast.map(|(key, (ballot, n_cast))| {
        let entries: Vec<BallotEntryJson> = ballot_entries(ballot)
            .into_iter()
            .map(|(p, amount)| BallotEntryJson {
                project: p.to_hex(),
                name: projects.get(&p).map(|p| p.name.clone()).unwrap_or_default(),
                amount,
                counted: counted.contains(&p),
            })
            .collect();
        let text = entries
            .iter()
            .map(|e| match e.amount {
                Some(a) => format!("{}={}", e.name, currency.format_number(a)),
                None => e.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        BudgetBallotJson {
            voter: PersonJson::of(s, key),
            kind: ballot_kind(ballot),
            entries,
            text: if text.is_empty() {
                "(empty)".into()
            } else {
                text
            },
            n_cast: *n_cast,
        }
    })
    .collect()
}

// ---------------------------------------------------------------------------------------
// Spending authorisations

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorisationParams {
    round: Option<String>,
    project: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct AuthorisationJson {
    /// `grant` (the round funded the project) or `release` (a reversing entry: the
    /// project was cancelled and its funds went back).
    pub kind: &'static str,
    pub round: String,
    pub round_title: String,
    pub project: String,
    pub project_name: String,
    /// In minor units of `currency`.
    pub amount: u64,
    pub currency: String,
    /// The ledger index of the event that made the entry (the closing tick for a grant,
    /// the `budget.cancel` for a release).
    pub index: u64,
    /// Why a release was made.
    pub reason: Option<String>,
    /// What the project may spend after this entry.
    pub balance_after: u64,
    /// What the project may spend now.
    pub balance: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct AuthorisationTotalsJson {
    pub granted: u64,
    pub released: u64,
    /// Granted less released: what the projects may still spend.
    pub balance: u64,
}

#[derive(Debug, Serialize)]
pub struct AuthorisationPage {
    pub matching: u64,
    pub offset: usize,
    /// Over every matching entry, per currency.
    pub totals: BTreeMap<String, AuthorisationTotalsJson>,
    /// In ledger order, oldest first; nothing is ever removed.
    pub entries: Vec<AuthorisationJson>,
}

/// `GET /api/v1/commons/{id}/authorisations`: the spending-authorisation ledger.
pub async fn list_authorisations(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<AuthorisationParams>,
) -> Result<Json<AuthorisationPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    let round = params.round.as_deref().map(parse_event_id).transpose()?;
    let project = params.project.as_deref().map(parse_event_id).transpose()?;
    let page = inspect(&state, &commons, move |s| {
        let budgets = &s.association.budgets;
        if round.is_some_and(|r| !budgets.rounds.contains_key(&r)) {
            return Err(unknown_round());
        }
        if project.is_some_and(|p| !budgets.projects.contains_key(&p)) {
            return Err(unknown_project());
        }
        Ok(authorisation_page(s, round, project, params.offset, limit))
    })
    .await??;
    Ok(Json(page))
}

/// One page of the spending-authorisation ledger, of `round` and `project` when given.
pub(crate) fn authorisation_page(
    s: &CommonsState,
    round: Option<EventId>,
    project: Option<EventId>,
    offset: usize,
    limit: usize,
) -> AuthorisationPage {
    let budgets = &s.association.budgets;
    let wanted = |a: &Authorisation| {
        round.is_none_or(|r| a.round == r) && project.is_none_or(|p| a.project == p)
    };
    // One pass over the whole ledger: each entry's running balance.
    let mut running: BTreeMap<EventId, u64> = BTreeMap::new();
    let mut matches: Vec<(&Authorisation, u64)> = Vec::new();
    let mut totals: BTreeMap<String, AuthorisationTotalsJson> = BTreeMap::new();
    for a in &budgets.authorisations {
        let balance = running.entry(a.project).or_default();
        *balance = if a.release {
            balance.saturating_sub(a.amount)
        } else {
            balance.saturating_add(a.amount)
        };
        if wanted(a) {
            matches.push((a, *balance));
            let total = totals.entry(a.currency.clone()).or_default();
            if a.release {
                total.released = total.released.saturating_add(a.amount);
            } else {
                total.granted = total.granted.saturating_add(a.amount);
            }
            total.balance = total.granted.saturating_sub(total.released);
        }
    }
    AuthorisationPage {
        matching: matches.len() as u64,
        offset,
        totals,
        entries: matches
            .iter()
            .skip(offset)
            .take(limit)
            .map(|(a, balance_after)| AuthorisationJson {
                kind: if a.release { "release" } else { "grant" },
                round: a.round.to_hex(),
                round_title: budgets
                    .rounds
                    .get(&a.round)
                    .map(|r| r.title.clone())
                    .unwrap_or_default(),
                project: a.project.to_hex(),
                project_name: budgets
                    .projects
                    .get(&a.project)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                amount: a.amount,
                currency: a.currency.clone(),
                index: a.index,
                reason: a.reason.clone(),
                balance_after: *balance_after,
                balance: running.get(&a.project).copied().unwrap_or(0),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------
// Recounting from what the API publishes

/// Recounts a closed round from what this API publishes, as core counts it: `round` is
/// `GET …/budgets/{round}` and `ballots` every ballot of `GET …/budgets/{round}/ballots`,
/// in the published order. The counted projects go in their published order, each ballot
/// keeps its entries still counted, a co-funding round gives every member of the
/// electorate who did not vote an empty ballot, and `commons_tally::budget::allocate`
/// counts with the published seed. The answer equals the published `result.outcome`
/// exactly when the count is honest; `commons budget recount` and the tests compare them.
pub fn recount(
    round: &serde_json::Value,
    ballots: &[serde_json::Value],
) -> Result<BudgetOutcome, String> {
    use commons_tally::budget::{BudgetBallot, Item, Project, Round, allocate};
    let result = &round["result"];
    if result.is_null() {
        return Err("the round is not closed yet".to_owned());
    }
    let outcome = &result["outcome"];
    if outcome.is_null() {
        return Err(format!(
            "the round closed without a count: {}",
            result["error"].as_str().unwrap_or("no reason given")
        ));
    }
    let text = |v: &serde_json::Value, what: &str| -> Result<String, String> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("the round's JSON has no {what}"))
    };
    let number = |v: &serde_json::Value, what: &str| -> Result<u64, String> {
        v.as_u64()
            .ok_or_else(|| format!("the round's JSON has no {what}"))
    };
    let counted: Vec<String> = result["counted"]
        .as_array()
        .ok_or("the round's JSON lists no counted projects")?
        .iter()
        .map(|id| text(id, "project id"))
        .collect::<Result<_, _>>()?;
    let published = round["projects"].as_array().map_or(&[][..], Vec::as_slice);
    let projects: Vec<Project> = counted
        .iter()
        .map(|id| {
            let project = published
                .iter()
                .find(|p| p["id"] == *id.as_str())
                .ok_or_else(|| format!("counted project {id} is not among the projects"))?;
            Ok(Project {
                name: text(&project["name"], "project name")?,
                items: project["items"]
                    .as_array()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .map(|item| {
                        Ok(Item {
                            label: text(&item["label"], "item label")?,
                            amount: number(&item["amount"], "item amount")?,
                            optional: item["optional"].as_bool().unwrap_or(false),
                        })
                    })
                    .collect::<Result<_, String>>()?,
            })
        })
        .collect::<Result<_, String>>()?;
    let bound = |v: &serde_json::Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    let model = &round["model"];
    let model = budget::model_named(
        &text(&model["name"], "model")?,
        model["min_spend"].as_u64(),
        bound(&model["min"]),
        bound(&model["max"]),
    )
    .ok_or("the round's model is not one this build knows")?;
    let rule = budget::rule_named(
        round["rule"]["name"].as_str(),
        round["rule"]["completion"].as_str(),
    )
    .ok_or("the round's rule is not one this build knows")?;
    let index_of = |entry: &serde_json::Value| {
        counted
            .iter()
            .position(|id| entry["project"] == *id.as_str())
            .filter(|_| entry["counted"] == true)
    };
    let mut counted_ballots: Vec<BudgetBallot> = ballots
        .iter()
        .map(|ballot| {
            let entries = ballot["entries"].as_array().map_or(&[][..], Vec::as_slice);
            Ok(match ballot["kind"].as_str() {
                Some("co_fund") => BudgetBallot::CoFund(
                    entries
                        .iter()
                        .filter_map(|e| Some((index_of(e)?, e["amount"].as_u64())))
                        .map(|(i, a)| a.map(|a| (i, a)).ok_or("a pledge has no amount"))
                        .collect::<Result<_, _>>()?,
                ),
                Some("basket") => {
                    BudgetBallot::Basket(entries.iter().filter_map(index_of).collect())
                }
                Some("approve") => {
                    BudgetBallot::Approve(entries.iter().filter_map(index_of).collect())
                }
                _ => return Err("a ballot of an unknown kind".to_owned()),
            })
        })
        .collect::<Result<_, String>>()?;
    if model == Model::CoFunding {
        let electorate = usize::try_from(number(&round["electorate_size"], "electorate size")?)
            .map_err(|_| "the electorate is too large to count here")?;
        if counted_ballots.len() > electorate {
            return Err("more ballots than voters".to_owned());
        }
        counted_ballots.resize(electorate, BudgetBallot::CoFund(Vec::new()));
    }
    let seed: [u8; 32] = hex::decode(text(&outcome["seed"], "seed")?)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or("the seed is not 32 bytes of hex")?;
    let tally = Round {
        pool: number(&round["pool"], "pool")?,
        model,
        rule,
        projects,
    };
    allocate(&tally, &counted_ballots, seed).map_err(|e| format!("{e} ({})", e.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_parse(currency: &str, text: &str, expect: Result<u64, &str>) {
        let got = Currency::of(currency)
            .parse(text)
            .map_err(|e| e.to_string());
        match (&got, expect) {
            (Ok(minor), Ok(expected)) => assert_eq!(*minor, expected, "{text}"),
            (Err(message), Err(fragment)) => {
                assert!(message.contains(fragment), "{text}: {message}")
            }
            _ => panic!("{text} in {currency}: got {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn amounts_in_major_units_are_read_exactly_into_minor_units() {
        check_parse("EUR", "1,200.50 EUR", Ok(120_050));
        check_parse("EUR", "1200.5", Ok(120_050));
        check_parse("EUR", "EUR 50", Ok(5_000));
        check_parse("EUR", "eur 0.01", Ok(1));
        check_parse("EUR", "1,234,567.89", Ok(123_456_789));
        check_parse("JPY", "1,200 JPY", Ok(1_200));
        check_parse("KWD", "1.005", Ok(1_005));
        check_parse("EUR", "184467440737095516.15", Ok(u64::MAX));
        check_parse("EUR", "184467440737095516.16", Err("too large"));
        check_parse("EUR", "12,50", Err("not an amount"));
        check_parse("EUR", "1,2000", Err("not an amount"));
        check_parse("EUR", "1.", Err("not an amount"));
        check_parse("EUR", "-5", Err("not an amount"));
        check_parse("EUR", "1.005", Err("decimal place"));
        check_parse("JPY", "1.5", Err("decimal place"));
        check_parse("EUR", "5 USD", Err("counts in EUR"));
        check_parse("EUR", "", Err("empty"));
        check_parse("EUR", &"9".repeat(65), Err("at most 64 bytes"));
    }

    #[test]
    fn minor_units_are_shown_in_major_units_with_every_decimal_place() {
        let eur = Currency::of("EUR");
        assert_eq!(eur.format(120_050), "1,200.50 EUR");
        assert_eq!(eur.format(5), "0.05 EUR");
        assert_eq!(eur.format_number(100_000_000), "1,000,000.00");
        assert_eq!(Currency::of("JPY").format(1_234), "1,234 JPY");
        assert_eq!(Currency::of("HOURS").format(150), "1.50 HOURS");
        for minor in [0, 1, 99, 100, 999_999, u64::MAX] {
            assert_eq!(eur.parse(&eur.format(minor)), Ok(minor), "round trip");
        }
    }
}
