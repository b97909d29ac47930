//! The value-sharing API: the commons' books (balances per currency and account, income by
//! kind), incomes, the journal, the value equations, distributions with their buckets and
//! shares, and "why did I get this": one recipient's share of a distribution explained
//! down to the contributions that earned the credit.
//!
//! Like the association, the books are public by design: every balance and line is ledger
//! data (private details such as an IBAN never enter the ledger). Answers are computed from
//! the node's in-memory state (`Node::inspect`, core's `value`), copying out one page.
//! Money is in minor units, as exact integers, each with a display string in major units
//! ([`Currency`], ISO 4217 decimals: the same rule the budgeting pages use); credit is an
//! exact fraction `"n/d"` beside the milli-credits the split used. Writes are ordinary
//! signed events submitted to `POST /api/v1/events`.

use crate::AppState;
use crate::association::{PageParams, PersonJson};
use crate::budget::Currency;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, parse_author, parse_commons_id, parse_event_id};
use crate::production::{inspect, page_limit_within, unknown};
use axum::Json;
use axum::extract::State;
use commons_core::State as CommonsState;
use commons_core::value::circle::Circle;
use commons_core::value::distribution::{self, Distribution, Policy, Status, Target, quantise};
use commons_core::value::equation::{Beneficiary, Equation, Ratio};
use commons_core::value::money::{Account, IncomeKind, Line};
use commons_core::value::{Earmark, Income, is_treasurer};
use commons_ledger::{AuthorKey, EventId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most items in one page of a value listing (accounts, incomes, journal lines,
/// distributions, a distribution's recipients).
pub const VALUE_PAGE_MAX: usize = 1_000;
/// Items in a page when the query does not say.
pub const VALUE_PAGE_DEFAULT: usize = 100;
/// Most distributions one page of a person's earnings explains (each explanation walks
/// the contributions).
pub const EARNINGS_PAGE_MAX: usize = 50;
/// Distributions a page of earnings explains when the query does not say.
pub const EARNINGS_PAGE_DEFAULT: usize = 10;
/// Most incomes an explanation lists as the funding of a distribution (the latest ones;
/// the count and total cover them all).
pub const FUNDING_INCOMES_MAX: usize = 50;
/// Most contributions an explanation lists per bucket (the largest credit first; the
/// count covers them all).
pub const CREDITED_CONTRIBUTIONS_MAX: usize = 200;

/// How a contribution's credit is computed, for people reading an explanation.
pub const CREDIT_RECIPE: &str = "value = (base + effort_per_hour × hours) × kind weight × area weight × label weights × chore multiplier, under the equation in force when the contribution was accepted; upstream commons and approving reviewers take their shares, the authors share the rest by their co-author shares. A person's credit in a bucket is the sum over the contributions accepted in the bucket's window, quantised down to milli-credits (the weight); the bucket's amount is split by weight with the largest-remainder method, ties to the smaller id. When the equation in force has `graph` terms, the value is instead minted on each contribution and flows along the contribution graph (CredRank: author and review edges weighted by these parts, upstream edges, each revision passing `builds_on` to the revision it builds on, back-flow, PageRank with the equation's damping), each interval between executed distributions ranked on the graph as it stood at its end; a person's credit is then the milli-credits that reached them, listed edge by edge.";

fn page_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    page_limit_within(limit, VALUE_PAGE_DEFAULT, VALUE_PAGE_MAX)
}

fn unknown_distribution() -> ApiError {
    unknown("unknown_distribution", "distribution")
}

/// Newest first (`desc`) or oldest first (`asc`, the default).
fn descending(order: Option<&str>) -> Result<bool, ApiError> {
    match order {
        None | Some("asc") => Ok(false),
        Some("desc") => Ok(true),
        Some(_) => Err(ApiError::bad_request(
            "invalid_query",
            "order is asc or desc",
        )),
    }
}

/// One page of `items`, in ledger order or reversed.
fn page_of<T: Clone>(items: &[T], desc: bool, offset: usize, limit: usize) -> Vec<T> {
    if desc {
        items
            .iter()
            .rev()
            .skip(offset)
            .take(limit)
            .cloned()
            .collect()
    } else {
        items.iter().skip(offset).take(limit).cloned().collect()
    }
}

// ---------------------------------------------------------------------------------------
// Money and recipients

/// An amount of minor units with its display in major units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MoneyJson {
    /// Minor units (cents for EUR), exact.
    pub minor: u64,
    /// For people: `1,200.50 EUR`.
    pub display: String,
}

impl MoneyJson {
    pub fn of(currency: &str, minor: u64) -> MoneyJson {
        MoneyJson {
            minor,
            display: Currency::of(currency).format(minor),
        }
    }
}

/// A signed balance of minor units (accounts outside the commons run negative).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BalanceJson {
    pub minor: i64,
    pub display: String,
}

impl BalanceJson {
    pub fn of(currency: &str, balance: i128) -> BalanceJson {
        let minor = i64::try_from(balance).unwrap_or(if balance < 0 { i64::MIN } else { i64::MAX });
        let shown = Currency::of(currency)
            .format(u64::try_from(balance.unsigned_abs()).unwrap_or(u64::MAX));
        BalanceJson {
            minor,
            display: if balance < 0 {
                format!("−{shown}")
            } else {
                shown
            },
        }
    }
}

/// Who receives a share: a person (by key), an upstream commons (by name) or a task's
/// bounty escrow (a quadratic match, by the task's id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecipientJson {
    /// `person`, `upstream` or `task`.
    pub kind: &'static str,
    /// The person's key or the task's id (hex); `null` for an upstream commons.
    pub key: Option<String>,
    /// The person's published name, the upstream commons' name or the task's title.
    pub name: Option<String>,
}

impl RecipientJson {
    pub fn of(state: &CommonsState, to: &Beneficiary) -> RecipientJson {
        match to {
            Beneficiary::Person(key) => RecipientJson {
                kind: "person",
                key: Some(key.to_hex()),
                name: state.display_name(key).map(str::to_owned),
            },
            Beneficiary::Upstream(name) => RecipientJson {
                kind: "upstream",
                key: None,
                name: Some(name.clone()),
            },
            Beneficiary::Task(task) => RecipientJson {
                kind: "task",
                key: Some(task.to_hex()),
                name: state.production.tasks.get(task).map(|t| t.title.clone()),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------
// The treasury

#[derive(Debug, Serialize)]
pub struct IncomeByKindJson {
    pub kind: &'static str,
    /// Net of reversals.
    pub amount: MoneyJson,
    /// Incomes of this kind not reversed.
    pub n_incomes: u64,
}

/// One currency's books in sum.
#[derive(Debug, Serialize)]
pub struct CurrencyBooksJson {
    pub currency: String,
    /// Decimal places of the major unit (ISO 4217; 2 for a code it does not list).
    pub decimals: u32,
    /// What the treasury holds.
    pub treasury: MoneyJson,
    /// What proposed distributions promise from it.
    pub reserved: MoneyJson,
    /// Held and not promised: the most a new distribution may take.
    pub available: MoneyJson,
    /// What the commons owes people, in sum, and how many.
    pub owed: MoneyJson,
    pub n_owed: u64,
    /// Amounts under a minimum payout carried to people's next distribution.
    pub carried: MoneyJson,
    pub n_carried: u64,
    /// What upstream commons are owed.
    pub upstream: MoneyJson,
    /// Distribution pools between execution and credit.
    pub pools: MoneyJson,
    /// Set aside for approved expenses until they are paid.
    pub expenses: MoneyJson,
    /// Bounties in escrow on open tasks.
    pub escrow: MoneyJson,
    /// Prizes of awards not yet decided.
    pub awards: MoneyJson,
    /// Paid out to people and upstream commons.
    pub paid_out: MoneyJson,
    /// Every income received, net of reversals, and by kind (every kind, in order).
    pub income_total: MoneyJson,
    pub income_by_kind: Vec<IncomeByKindJson>,
}

#[derive(Debug, Serialize)]
pub struct AccountJson {
    /// `treasury`, `pool:<id>`, `owed:<key>`, `upstream:<name>`, `carry:<key>`,
    /// `income:<kind>` or `paid-out`.
    pub account: String,
    /// `treasury`, `pool`, `owed`, `upstream`, `carry`, `income` or `paid_out`.
    pub kind: &'static str,
    /// Inside the commons (never below zero) or outside (where money comes from and goes).
    pub internal: bool,
    /// The person of an `owed` or `carry` account.
    pub person: Option<PersonJson>,
    pub currency: String,
    /// Signed: outside accounts run negative, and each currency's balances sum to zero.
    pub balance: BalanceJson,
}

#[derive(Debug, Serialize)]
pub struct TreasuryJson {
    pub ledger_time_ms: u64,
    pub size: u64,
    /// The statutes' treasurers and how many approve a distribution.
    pub treasurers: Vec<PersonJson>,
    pub treasurer_approvals: u32,
    /// Every currency the books have seen, in order.
    pub currencies: Vec<CurrencyBooksJson>,
    /// Every account with a balance, by currency then account, one page of them.
    pub accounts_matching: u64,
    pub offset: usize,
    pub accounts: Vec<AccountJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreasuryParams {
    currency: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

fn account_kind(account: &Account) -> &'static str {
    match account {
        Account::Treasury => "treasury",
        Account::Pool(_) => "pool",
        Account::Owed(_) => "owed",
        Account::Upstream(_) => "upstream",
        Account::Carry(_) => "carry",
        Account::Income(_) => "income",
        Account::PaidOut => "paid_out",
        Account::Reserved(_) => "reserved",
        Account::Escrow(_) => "escrow",
        Account::Award(_) => "award",
    }
}

/// One currency's books in sum.
pub fn currency_books(state: &CommonsState, currency: &str) -> CurrencyBooksJson {
    let books = &state.economy.books;
    let money = |minor: u64| MoneyJson::of(currency, minor);
    let mut sums: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    let mut paid_out = 0u64;
    for ((account, code), balance) in &books.balances {
        if code != currency {
            continue;
        }
        let held = u64::try_from(*balance).unwrap_or(0);
        match account {
            Account::PaidOut => {
                paid_out = u64::try_from(balance.unsigned_abs()).unwrap_or(u64::MAX)
            }
            Account::Income(_) => {}
            other => {
                let entry = sums.entry(account_kind(other)).or_default();
                entry.0 = entry.0.saturating_add(held);
                entry.1 += u64::from(held > 0);
            }
        }
    }
    let sum = |kind: &str| sums.get(kind).copied().unwrap_or_default();
    let treasury = books.holds(&Account::Treasury, currency);
    let promised = distribution::reserved(state, currency);
    let mut income_total = 0u64;
    let income_by_kind = IncomeKind::ALL
        .iter()
        .map(|kind| {
            let net = books.balance(&Account::Income(*kind), currency);
            let amount = u64::try_from((-net).max(0)).unwrap_or(u64::MAX);
            income_total = income_total.saturating_add(amount);
            IncomeByKindJson {
                kind: kind.as_str(),
                amount: money(amount),
                n_incomes: state
                    .economy
                    .incomes
                    .values()
                    .filter(|i| {
                        i.kind == *kind
                            && i.currency == currency
                            && !books.reversed.contains_key(&i.id)
                    })
                    .count() as u64,
            }
        })
        .collect();
    CurrencyBooksJson {
        currency: currency.to_owned(),
        decimals: Currency::of(currency).decimals,
        treasury: money(treasury),
        reserved: money(promised),
        available: money(treasury.saturating_sub(promised)),
        owed: money(sum("owed").0),
        n_owed: sum("owed").1,
        carried: money(sum("carry").0),
        n_carried: sum("carry").1,
        upstream: money(sum("upstream").0),
        pools: money(sum("pool").0),
        expenses: money(sum("reserved").0),
        escrow: money(sum("escrow").0),
        awards: money(sum("award").0),
        paid_out: money(paid_out),
        income_total: money(income_total),
        income_by_kind,
    }
}

/// The treasury as the API and the treasury page show it.
pub fn treasury_json(
    s: &CommonsState,
    currency: Option<&str>,
    offset: usize,
    limit: usize,
) -> TreasuryJson {
    let books = &s.economy.books;
    let currencies: Vec<String> = books
        .currencies()
        .into_iter()
        .filter(|c| currency.is_none_or(|want| want == c))
        .collect();
    let mut accounts: Vec<(&String, &Account, i128)> = books
        .balances
        .iter()
        .filter(|((_, c), b)| **b != 0 && currencies.contains(c))
        .map(|((a, c), b)| (c, a, *b))
        .collect();
    accounts.sort();
    let statutes = s.association.statutes.as_ref();
    TreasuryJson {
        ledger_time_ms: s.time_ms,
        size: s.size,
        treasurers: statutes
            .map(|st| st.treasurers.iter().map(|k| PersonJson::of(s, k)).collect())
            .unwrap_or_default(),
        treasurer_approvals: statutes.map_or(1, |st| st.treasurer_approvals),
        currencies: currencies.iter().map(|c| currency_books(s, c)).collect(),
        accounts_matching: accounts.len() as u64,
        offset,
        accounts: accounts
            .iter()
            .skip(offset)
            .take(limit)
            .map(|(currency, account, balance)| AccountJson {
                account: account.name(),
                kind: account_kind(account),
                internal: account.is_internal(),
                person: match account {
                    Account::Owed(k) | Account::Carry(k) => Some(PersonJson::of(s, k)),
                    _ => None,
                },
                currency: (*currency).clone(),
                balance: BalanceJson::of(currency, *balance),
            })
            .collect(),
    }
}

/// `GET /api/v1/commons/{id}/treasury`.
pub async fn treasury(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<TreasuryParams>,
) -> Result<Json<TreasuryJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    let json = inspect(&state, &commons, move |s| {
        treasury_json(s, params.currency.as_deref(), params.offset, limit)
    })
    .await?;
    Ok(Json(json))
}

// ---------------------------------------------------------------------------------------
// Incomes

#[derive(Clone, Debug, Serialize)]
pub struct EarmarkJson {
    /// `area` or `task`.
    pub kind: &'static str,
    pub id: String,
}

#[derive(Debug, Serialize)]
pub struct IncomeJson {
    /// The `money.income` event's id.
    pub id: String,
    pub kind: &'static str,
    pub amount: MoneyJson,
    pub currency: String,
    /// Who paid, in words.
    pub source: String,
    /// The payer's key, when they have one in the commons.
    pub source_agent: Option<PersonJson>,
    /// The outside reference that proves it (a transfer, an invoice number).
    pub reference: String,
    pub note: Option<String>,
    pub earmark: Option<EarmarkJson>,
    /// The treasurer who recorded it.
    pub by: PersonJson,
    pub index: u64,
    pub time_ms: u64,
    /// The `money.reverse` that corrected it, if one did.
    pub reversed_by: Option<String>,
}

impl IncomeJson {
    pub fn of(s: &CommonsState, i: &Income) -> IncomeJson {
        IncomeJson {
            id: i.id.to_hex(),
            kind: i.kind.as_str(),
            amount: MoneyJson::of(&i.currency, i.amount),
            currency: i.currency.clone(),
            source: i.source.clone(),
            source_agent: i.source_agent.as_ref().map(|k| PersonJson::of(s, k)),
            reference: i.reference.clone(),
            note: i.note.clone(),
            earmark: i.earmark.as_ref().map(|e| match e {
                Earmark::Area(id) => EarmarkJson {
                    kind: "area",
                    id: id.to_hex(),
                },
                Earmark::Task(id) => EarmarkJson {
                    kind: "task",
                    id: id.to_hex(),
                },
            }),
            by: PersonJson::of(s, &i.by),
            index: i.index,
            time_ms: i.time_ms,
            reversed_by: s.economy.books.reversed.get(&i.id).map(EventId::to_hex),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeParams {
    currency: Option<String>,
    kind: Option<String>,
    order: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct IncomePage {
    pub matching: u64,
    pub offset: usize,
    /// Over every matching income not reversed, per currency.
    pub totals: BTreeMap<String, MoneyJson>,
    pub incomes: Vec<IncomeJson>,
}

/// One page of incomes (in `currency` and of `kind` when given).
pub fn income_page(
    s: &CommonsState,
    currency: Option<&str>,
    kind: Option<IncomeKind>,
    desc: bool,
    offset: usize,
    limit: usize,
) -> IncomePage {
    let economy = &s.economy;
    let matching: Vec<&Income> = economy
        .income_order
        .iter()
        .filter_map(|id| economy.incomes.get(id))
        .filter(|i| currency.is_none_or(|c| i.currency == c) && kind.is_none_or(|k| i.kind == k))
        .collect();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for i in matching
        .iter()
        .filter(|i| !economy.books.reversed.contains_key(&i.id))
    {
        let total = totals.entry(i.currency.clone()).or_default();
        *total = total.saturating_add(i.amount);
    }
    IncomePage {
        matching: matching.len() as u64,
        offset,
        totals: totals
            .into_iter()
            .map(|(c, t)| {
                let money = MoneyJson::of(&c, t);
                (c, money)
            })
            .collect(),
        incomes: page_of(&matching, desc, offset, limit)
            .into_iter()
            .map(|i| IncomeJson::of(s, i))
            .collect(),
    }
}

/// `GET /api/v1/commons/{id}/incomes`.
pub async fn list_incomes(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<IncomeParams>,
) -> Result<Json<IncomePage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    let desc = descending(params.order.as_deref())?;
    let kind = match params.kind.as_deref() {
        None => None,
        Some(text) => Some(IncomeKind::parse(text).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!(
                    "kind is one of {}",
                    IncomeKind::ALL.map(|k| k.as_str()).join(", ")
                ),
            )
        })?),
    };
    let page = inspect(&state, &commons, move |s| {
        income_page(
            s,
            params.currency.as_deref(),
            kind,
            desc,
            params.offset,
            limit,
        )
    })
    .await?;
    Ok(Json(page))
}

// ---------------------------------------------------------------------------------------
// The journal

#[derive(Clone, Debug, Serialize)]
pub struct LineJson {
    /// The line's position in the journal, from 0.
    pub n: u64,
    pub from: String,
    pub to: String,
    pub amount: MoneyJson,
    pub currency: String,
    /// The event that wrote the line, its ledger index and time.
    pub event: String,
    pub index: u64,
    pub time_ms: u64,
    /// What the event was, e.g. `money.income`.
    pub memo: &'static str,
    /// The event whose lines this one reverses.
    pub reverses: Option<String>,
}

impl LineJson {
    pub fn of(n: usize, line: &Line) -> LineJson {
        let t = &line.transfer;
        LineJson {
            n: n as u64,
            from: t.from.name(),
            to: t.to.name(),
            amount: MoneyJson::of(&t.currency, t.amount),
            currency: t.currency.clone(),
            event: line.event.to_hex(),
            index: line.index,
            time_ms: line.time_ms,
            memo: line.memo,
            reverses: line.reverses.as_ref().map(EventId::to_hex),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalParams {
    currency: Option<String>,
    account: Option<String>,
    event: Option<String>,
    order: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct JournalPage {
    pub matching: u64,
    pub offset: usize,
    pub lines: Vec<LineJson>,
}

/// One page of journal lines, filtered.
pub fn journal_page(
    s: &CommonsState,
    currency: Option<&str>,
    account: Option<&str>,
    event: Option<EventId>,
    desc: bool,
    offset: usize,
    limit: usize,
) -> JournalPage {
    let books = &s.economy.books;
    let lines: &[Line] = match event {
        Some(id) => books.lines_of(&id),
        None => &books.lines,
    };
    let first = match event.and_then(|id| books.by_event.get(&id)) {
        Some((start, _)) => *start,
        None => 0,
    };
    let matching: Vec<(usize, &Line)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (first + i, l))
        .filter(|(_, l)| {
            currency.is_none_or(|c| l.transfer.currency == c)
                && account.is_none_or(|a| l.transfer.from.name() == a || l.transfer.to.name() == a)
        })
        .collect();
    JournalPage {
        matching: matching.len() as u64,
        offset,
        lines: page_of(&matching, desc, offset, limit)
            .into_iter()
            .map(|(n, l)| LineJson::of(n, l))
            .collect(),
    }
}

/// `GET /api/v1/commons/{id}/journal`.
pub async fn journal(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<JournalParams>,
) -> Result<Json<JournalPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    let desc = descending(params.order.as_deref())?;
    let event = params.event.as_deref().map(parse_event_id).transpose()?;
    let page = inspect(&state, &commons, move |s| {
        journal_page(
            s,
            params.currency.as_deref(),
            params.account.as_deref(),
            event,
            desc,
            params.offset,
            limit,
        )
    })
    .await?;
    Ok(Json(page))
}

// ---------------------------------------------------------------------------------------
// The value equation

#[derive(Debug, Serialize)]
pub struct UpstreamShareJson {
    pub name: String,
    pub share: String,
}

/// An equation with every weight as an exact fraction `"n/d"`.
#[derive(Debug, Serialize)]
pub struct EquationJson {
    pub base: String,
    pub effort_per_hour: String,
    pub kinds: BTreeMap<String, String>,
    pub areas: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub chore_multiplier: String,
    pub reviewer_share: String,
    pub upstream: Vec<UpstreamShareJson>,
    /// When set, credit flows along the contribution graph (CredRank) with these terms;
    /// `null` when credit stays where it is minted.
    pub graph: Option<GraphTermsJson>,
    /// SHA-256 of its deterministic CBOR, which a distribution's configuration hash covers.
    pub hash: String,
}

/// How credit flows along the contribution graph, each term an exact fraction `"n/d"`.
#[derive(Debug, Serialize)]
pub struct GraphTermsJson {
    pub damping: String,
    pub back_flow: String,
    /// The share of a revision's out-flow that goes to the revision it builds on.
    pub builds_on: String,
}

impl EquationJson {
    pub fn of(eq: &Equation) -> EquationJson {
        let weights = |m: &BTreeMap<String, Ratio>| {
            m.iter()
                .map(|(k, r)| (k.clone(), r.text()))
                .collect::<BTreeMap<_, _>>()
        };
        EquationJson {
            base: eq.base.text(),
            effort_per_hour: eq.effort_per_hour.text(),
            kinds: weights(&eq.kinds),
            areas: weights(&eq.areas),
            labels: weights(&eq.labels),
            chore_multiplier: eq.chore_multiplier.text(),
            reviewer_share: eq.reviewer_share.text(),
            upstream: eq
                .upstream
                .iter()
                .map(|(name, share)| UpstreamShareJson {
                    name: name.clone(),
                    share: share.text(),
                })
                .collect(),
            graph: eq.graph.map(|g| GraphTermsJson {
                damping: g.damping.text(),
                back_flow: g.back_flow.text(),
                builds_on: g.builds_on.text(),
            }),
            hash: hex::encode(commons_core::value::equation::hash(eq)),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AdoptedJson {
    /// Its position among the adopted equations, from 0.
    pub n: usize,
    /// The ledger index of the event that adopted it.
    pub index: u64,
    /// Contributions accepted from this ledger time on count under it.
    pub effective_ms: u64,
    /// The poll that decided it; `null` for the commons' first equation.
    pub poll: Option<String>,
    /// Whether it is the one in force at the ledger's time now.
    pub in_force: bool,
    pub equation: EquationJson,
}

#[derive(Debug, Serialize)]
pub struct EquationsJson {
    pub ledger_time_ms: u64,
    /// The equation in force now (the default when none is adopted or effective yet).
    pub in_force: EquationJson,
    /// Which adopted equation that is (`n`); `null` for the default.
    pub in_force_n: Option<usize>,
    pub formula: &'static str,
    /// Every adopted equation, in order of adoption.
    pub equations: Vec<AdoptedJson>,
}

/// The position of the equation in force at `time_ms`, as `Economy::equation_at` picks it.
fn in_force_at(s: &CommonsState, time_ms: u64) -> Option<usize> {
    s.economy
        .equations
        .iter()
        .enumerate()
        .filter(|(_, a)| a.effective_ms <= time_ms)
        .max_by_key(|(_, a)| (a.effective_ms, a.index))
        .map(|(n, _)| n)
}

pub fn equations_json(s: &CommonsState) -> EquationsJson {
    let now = in_force_at(s, s.time_ms);
    EquationsJson {
        ledger_time_ms: s.time_ms,
        in_force: EquationJson::of(&s.economy.equation_at(s.time_ms)),
        in_force_n: now,
        formula: CREDIT_RECIPE,
        equations: s
            .economy
            .equations
            .iter()
            .enumerate()
            .map(|(n, a)| AdoptedJson {
                n,
                index: a.index,
                effective_ms: a.effective_ms,
                poll: a.poll.as_ref().map(EventId::to_hex),
                in_force: now == Some(n),
                equation: EquationJson::of(&a.equation),
            })
            .collect(),
    }
}

/// `GET /api/v1/commons/{id}/equation`: at most `EQUATIONS_MAX` equations, unpaged.
pub async fn equation(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EquationsJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    Ok(Json(inspect(&state, &commons, equations_json).await?))
}

// ---------------------------------------------------------------------------------------
// Distributions

#[derive(Debug, Serialize)]
pub struct DistributionSummaryJson {
    /// The `dist.propose` event's id.
    pub id: String,
    pub title: String,
    pub by: PersonJson,
    pub index: u64,
    pub time_ms: u64,
    pub amount: MoneyJson,
    pub currency: String,
    /// `proposed` or `executed`.
    pub status: &'static str,
    pub n_approvals: u64,
    pub approvals_needed: u32,
    pub executed_index: Option<u64>,
    pub executed_ms: Option<u64>,
    /// The ledger size the computation is pinned to.
    pub pin_size: u64,
    /// People and upstream commons with a share.
    pub n_recipients: u64,
}

pub fn distribution_summary(s: &CommonsState, d: &Distribution) -> DistributionSummaryJson {
    let (executed_index, executed_ms) = match d.status {
        Status::Executed { index, time_ms } => (Some(index), Some(time_ms)),
        Status::Proposed | Status::Cancelled { .. } => (None, None),
    };
    DistributionSummaryJson {
        id: d.id.to_hex(),
        title: d.title.clone(),
        by: PersonJson::of(s, &d.by),
        index: d.index,
        time_ms: d.time_ms,
        amount: MoneyJson::of(&d.currency, d.amount),
        currency: d.currency.clone(),
        status: d.status_str(),
        n_approvals: d.approvals.iter().filter(|k| is_treasurer(s, k)).count() as u64,
        approvals_needed: s
            .association
            .statutes
            .as_ref()
            .map_or(1, |st| st.treasurer_approvals),
        executed_index,
        executed_ms,
        pin_size: d.pin_size,
        n_recipients: d.totals.len() as u64,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionParams {
    status: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct DistributionPage {
    pub matching: u64,
    pub offset: usize,
    /// Newest first.
    pub distributions: Vec<DistributionSummaryJson>,
}

pub fn distribution_page(
    s: &CommonsState,
    status: Option<&str>,
    offset: usize,
    limit: usize,
) -> DistributionPage {
    let economy = &s.economy;
    let matching: Vec<&Distribution> = economy
        .distribution_order
        .iter()
        .filter_map(|id| economy.distributions.get(id))
        .filter(|d| status.is_none_or(|st| d.status_str() == st))
        .collect();
    DistributionPage {
        matching: matching.len() as u64,
        offset,
        distributions: page_of(&matching, true, offset, limit)
            .into_iter()
            .map(|d| distribution_summary(s, d))
            .collect(),
    }
}

/// `GET /api/v1/commons/{id}/distributions`.
pub async fn list_distributions(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<DistributionParams>,
) -> Result<Json<DistributionPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    if let Some(status) = params.status.as_deref()
        && !matches!(status, "proposed" | "executed" | "cancelled")
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "status is proposed, executed or cancelled",
        ));
    }
    let page = inspect(&state, &commons, move |s| {
        distribution_page(s, params.status.as_deref(), params.offset, limit)
    })
    .await?;
    Ok(Json(page))
}

#[derive(Debug, Serialize)]
pub struct ShareJson {
    pub recipient: RecipientJson,
    /// Milli-credits the split used.
    pub weight: u64,
    pub amount: MoneyJson,
}

#[derive(Debug, Serialize)]
pub struct BucketJson {
    pub name: String,
    /// `straight` (millionths of the whole amount), `remaining` (of what earlier buckets
    /// left) or `rest`.
    pub take: &'static str,
    pub share_ppm: Option<u64>,
    /// `treasury`, `upstream`, `contributors`, `person` (one named person), `splits`
    /// (named people in parts per million), `claims` (the claims on future distributions
    /// in its currency), `circle` (a closed GIVE circle, by GIVE received; the weights are
    /// GIVE) or `quadratic` (matching of bounty pledges).
    pub to: &'static str,
    /// For contributors: `lifetime`, `immediate`, `recent`, `balanced` or `time`.
    pub policy: Option<&'static str>,
    /// For `recent`: the discount per interval of age, in millionths.
    pub discount_ppm: Option<u32>,
    /// For `time`: the weight of a minute of declared effort per kind of contribution.
    pub rates: Option<BTreeMap<&'static str, u64>>,
    /// For `quadratic`: the most one task's match may be, in millionths of the bucket.
    pub cap_ppm: Option<u32>,
    /// For `quadratic`: pledges below this many minor units are not matched.
    pub min_pledge: Option<u64>,
    /// For `person`: why they get the bucket.
    pub memo: Option<String>,
    /// For `circle`: the circle's id.
    pub circle: Option<String>,
    pub amount: MoneyJson,
    /// The sum of the weights of its shares.
    pub total_weight: u64,
    pub n_shares: u64,
    /// One page of the shares (`offset`, `limit`), in recipient order.
    pub shares: Vec<ShareJson>,
    /// For `claims`: each claim it settles, in claim id order.
    pub claims: Option<Vec<crate::claims::ClaimLineJson>>,
}

#[derive(Debug, Serialize)]
pub struct RecipientAmountJson {
    pub recipient: RecipientJson,
    pub amount: MoneyJson,
}

#[derive(Debug, Serialize)]
pub struct PinJson {
    pub size: u64,
    /// The Merkle root of the signed checkpoint at that size (hex).
    pub root: String,
}

#[derive(Debug, Serialize)]
pub struct DistributionJson {
    #[serde(flatten)]
    pub summary: DistributionSummaryJson,
    pub pin: PinJson,
    /// SHA-256 of the configuration: the buckets and every adopted equation.
    pub config_hash: String,
    pub min_payout: MoneyJson,
    pub approvals: Vec<PersonJson>,
    pub buckets: Vec<BucketJson>,
    /// Recipients of any bucket, paged by `offset` and `limit` like each bucket's shares.
    pub recipients_matching: u64,
    pub offset: usize,
    /// Each recipient's total over the buckets, before carrying.
    pub totals: Vec<RecipientAmountJson>,
    /// What execution credits (a total plus earlier carried amounts, once it reaches the
    /// minimum payout) and what it carries to the next distribution.
    pub credited: Vec<RecipientAmountJson>,
    pub carried: Vec<RecipientAmountJson>,
    /// Over all recipients: the buckets' shares sum to these.
    pub total_shared: MoneyJson,
    pub total_credited: MoneyJson,
    pub total_carried: MoneyJson,
}

pub fn distribution_json(
    s: &CommonsState,
    d: &Distribution,
    offset: usize,
    limit: usize,
) -> DistributionJson {
    let money = |minor: u64| MoneyJson::of(&d.currency, minor);
    let amounts = |m: &mut dyn Iterator<Item = (Beneficiary, u64)>| {
        m.skip(offset)
            .take(limit)
            .map(|(to, amount)| RecipientAmountJson {
                recipient: RecipientJson::of(s, &to),
                amount: money(amount),
            })
            .collect::<Vec<_>>()
    };
    let sum = |m: &mut dyn Iterator<Item = u64>| m.fold(0u64, u64::saturating_add);
    DistributionJson {
        summary: distribution_summary(s, d),
        pin: PinJson {
            size: d.pin_size,
            root: hex::encode(d.pin_root),
        },
        config_hash: hex::encode(d.config_hash),
        min_payout: money(d.min_payout),
        approvals: d.approvals.iter().map(|k| PersonJson::of(s, k)).collect(),
        buckets: d
            .buckets
            .iter()
            .map(|r| {
                let (take, share_ppm, to, policy) = r.bucket.words();
                BucketJson {
                    name: r.bucket.name.clone(),
                    take,
                    share_ppm,
                    to,
                    policy,
                    discount_ppm: match r.bucket.target {
                        Target::Contributors(Policy::Recent { discount_ppm }) => Some(discount_ppm),
                        _ => None,
                    },
                    rates: match r.bucket.target {
                        Target::Contributors(Policy::Time(rates)) => {
                            Some(rates.by_kind().into_iter().collect())
                        }
                        _ => None,
                    },
                    cap_ppm: match r.bucket.target {
                        Target::Quadratic(m) => m.cap_ppm,
                        _ => None,
                    },
                    min_pledge: match r.bucket.target {
                        Target::Quadratic(m) => Some(m.min_pledge),
                        _ => None,
                    },
                    memo: match &r.bucket.target {
                        Target::Person { memo, .. } => Some(memo.clone()),
                        _ => None,
                    },
                    circle: match &r.bucket.target {
                        Target::Circle(c) => Some(c.to_hex()),
                        _ => None,
                    },
                    amount: money(r.amount),
                    claims: (r.bucket.target == Target::Claims)
                        .then(|| crate::claims::claim_lines(s, d, None).unwrap_or_default()),
                    total_weight: sum(&mut r.shares.iter().map(|x| x.weight)),
                    n_shares: r.shares.len() as u64,
                    shares: r
                        .shares
                        .iter()
                        .skip(offset)
                        .take(limit)
                        .map(|x| ShareJson {
                            recipient: RecipientJson::of(s, &x.to),
                            weight: x.weight,
                            amount: money(x.amount),
                        })
                        .collect(),
                }
            })
            .collect(),
        recipients_matching: d.totals.len() as u64,
        offset,
        totals: amounts(&mut d.totals.iter().map(|(b, a)| (b.clone(), *a))),
        credited: amounts(&mut d.credited.iter().map(|(b, a)| (b.clone(), *a))),
        carried: amounts(&mut d.carried.iter().map(|(k, a)| (Beneficiary::Person(*k), *a))),
        total_shared: money(sum(&mut d.totals.values().copied())),
        total_credited: money(sum(&mut d.credited.values().copied())),
        total_carried: money(sum(&mut d.carried.values().copied())),
    }
}

/// `GET /api/v1/commons/{id}/distributions/{dist}`.
pub async fn get_distribution(
    State(state): State<AppState>,
    ApiPath((id, dist)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<DistributionJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let dist = parse_event_id(&dist)?;
    let limit = page_limit(params.limit)?;
    let json = inspect(&state, &commons, move |s| {
        let d = s.economy.distributions.get(&dist)?;
        Some(distribution_json(s, d, params.offset, limit))
    })
    .await?
    .ok_or_else(unknown_distribution)?;
    Ok(Json(json))
}

// ---------------------------------------------------------------------------------------
// Why did I get this

#[derive(Debug, Serialize)]
pub struct FundingJson {
    /// Where the amount came from: it is drawn from the treasury, which the incomes below
    /// (in the distribution's currency, recorded before its pin) filled.
    pub drawn_from: &'static str,
    pub n_incomes: u64,
    /// Every such income not reversed, in sum.
    pub incomes_total: MoneyJson,
    /// The latest of them (at most [`FUNDING_INCOMES_MAX`]), newest first.
    pub incomes: Vec<IncomeJson>,
}

#[derive(Debug, Serialize)]
pub struct CreditJson {
    /// The contribution (its `contrib.submit` id), its title and area.
    pub contribution: String,
    pub title: String,
    pub area: String,
    /// `author`, `reviewer` or `upstream`.
    pub role: &'static str,
    /// Exact credit, `"n/d"`.
    pub credit: String,
    /// Milli-credits, rounded down, for people (the weight quantises the exact sum).
    pub milli_credits: u64,
    pub accepted_index: u64,
    pub accepted_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct BucketExplanationJson {
    pub name: String,
    pub to: &'static str,
    pub policy: Option<&'static str>,
    pub bucket_amount: MoneyJson,
    /// Credit counts from contributions accepted at ledger indexes in `[from_index,
    /// before_index)`; `null` for the treasury's and upstream's buckets.
    pub credit_from_index: Option<u64>,
    pub credit_before_index: Option<u64>,
    /// The recipient's weight against the bucket's total weight, in `weight_unit`.
    pub weight: u64,
    pub total_weight: u64,
    /// What the weights count: `milli-credits`, `weighted minutes` (a `time` bucket),
    /// `GIVE`, `millionths`, `match weight`, `claim weight` or `whole bucket`.
    pub weight_unit: &'static str,
    /// `weight/total_weight`, the part of the bucket that is theirs before rounding.
    pub fraction: String,
    pub amount: MoneyJson,
    pub n_contributions: u64,
    /// The contributions that earned the credit (at most [`CREDITED_CONTRIBUTIONS_MAX`],
    /// largest credit first).
    pub contributions: Vec<CreditJson>,
    /// For a `time` bucket: the effort they declared on the contributions it weighs
    /// (instead of `contributions`, which are credit); the weights add up to `weight`.
    pub efforts: Option<Vec<EffortJson>>,
    /// For `claims`: their claims this bucket settles.
    pub claims: Option<Vec<crate::claims::ClaimLineJson>>,
    /// For a `circle` bucket: the GIVE they received of all the GIVE that counted.
    pub circle: Option<CircleGiveJson>,
}

/// One contribution's effort in a `time` bucket's explanation.
#[derive(Debug, Serialize)]
pub struct EffortJson {
    pub contribution: String,
    pub title: String,
    /// The contribution's kind, whose rate weighs its minutes.
    pub kind: &'static str,
    /// Their part of the effort declared on it (co-authors split it by share).
    pub minutes: u64,
    pub weight_per_minute: u64,
    /// `minutes × weight_per_minute`.
    pub weight: u64,
    pub accepted_index: u64,
    pub accepted_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct CircleGiveJson {
    pub circle: String,
    pub title: String,
    pub received: u64,
    pub total_received: u64,
}

#[derive(Debug, Serialize)]
pub struct ExplanationJson {
    pub distribution: DistributionSummaryJson,
    pub recipient: RecipientJson,
    pub funding: FundingJson,
    pub buckets: Vec<BucketExplanationJson>,
    /// Their share over the buckets: the sum of the buckets' amounts above.
    pub total: MoneyJson,
    /// What execution credits them (their total plus anything earlier distributions
    /// carried, once it reaches the minimum payout) and what it carries instead.
    pub credited: MoneyJson,
    pub carried: MoneyJson,
    pub recipe: &'static str,
}

fn funding(s: &CommonsState, d: &Distribution) -> FundingJson {
    let economy = &s.economy;
    let incomes: Vec<&Income> = economy
        .income_order
        .iter()
        .filter_map(|id| economy.incomes.get(id))
        .filter(|i| i.currency == d.currency && i.index < d.pin_size)
        .collect();
    let total = incomes
        .iter()
        .filter(|i| !economy.books.reversed.contains_key(&i.id))
        .fold(0u64, |sum, i| sum.saturating_add(i.amount));
    FundingJson {
        drawn_from: "treasury",
        n_incomes: incomes.len() as u64,
        incomes_total: MoneyJson::of(&d.currency, total),
        incomes: incomes
            .iter()
            .rev()
            .take(FUNDING_INCOMES_MAX)
            .map(|i| IncomeJson::of(s, i))
            .collect(),
    }
}

/// Why `who` got what they got from `d`: the funding, each bucket with their weight
/// against the bucket's, and the contributions that earned the credit.
pub fn explain(s: &CommonsState, d: &Distribution, who: &AuthorKey) -> ExplanationJson {
    let me = Beneficiary::Person(*who);
    let money = |minor: u64| MoneyJson::of(&d.currency, minor);
    let since = distribution::last_executed_pin(s, d.index);
    let production = &s.production;
    let buckets = d
        .buckets
        .iter()
        .map(|r| {
            let (_, _, to, policy) = r.bucket.words();
            let window = match &r.bucket.target {
                Target::Contributors(p) if p.since_genesis() => Some(0),
                Target::Contributors(_) => Some(since),
                Target::Treasury
                | Target::Upstream
                | Target::Person { .. }
                | Target::Splits(_)
                | Target::Claims
                | Target::Quadratic(_)
                | Target::Circle(_) => None,
            };
            let mine = r.shares.iter().find(|x| x.to == me);
            let total_weight = r
                .shares
                .iter()
                .fold(0u64, |t, x| t.saturating_add(x.weight));
            let weight = mine.map_or(0, |x| x.weight);
            // A time bucket weighs effort ([`efforts_of`]), not credit.
            let time_rates = match &r.bucket.target {
                Target::Contributors(Policy::Time(rates)) => Some(rates),
                _ => None,
            };
            let mut contributions: Vec<CreditJson> = match window {
                Some(from) if time_rates.is_none() => {
                    let since_genesis =
                        matches!(&r.bucket.target, Target::Contributors(p) if p.since_genesis());
                    distribution::explained_credit(s, d, &me, since_genesis, from)
                        .into_iter()
                        .filter_map(|(id, role, part)| {
                            let c = production.contributions.get(&id)?;
                            let (accepted_index, accepted_ms) =
                                commons_core::value::equation::accepted(c)?;
                            Some(CreditJson {
                                contribution: id.to_hex(),
                                title: c.title.clone(),
                                area: production
                                    .areas
                                    .get(&c.area)
                                    .map(|a| a.slug.clone())
                                    .unwrap_or_default(),
                                role: role.as_str(),
                                credit: part.to_string(),
                                milli_credits: quantise(&part),
                                accepted_index,
                                accepted_ms,
                            })
                        })
                        .collect()
                }
                _ => Vec::new(),
            };
            contributions.sort_by(|a, b| {
                b.milli_credits
                    .cmp(&a.milli_credits)
                    .then(a.accepted_index.cmp(&b.accepted_index))
            });
            let efforts = time_rates
                .zip(window)
                .map(|(rates, from)| efforts_of(s, who, rates, from, d.pin_size));
            let n_contributions = efforts.as_ref().map_or(contributions.len(), Vec::len) as u64;
            contributions.truncate(CREDITED_CONTRIBUTIONS_MAX);
            let efforts = efforts.map(|mut e| {
                e.truncate(CREDITED_CONTRIBUTIONS_MAX);
                e
            });
            BucketExplanationJson {
                name: r.bucket.name.clone(),
                to,
                policy,
                bucket_amount: money(r.amount),
                credit_from_index: window,
                credit_before_index: window.map(|_| d.pin_size),
                weight,
                total_weight,
                weight_unit: r.bucket.target.weight_unit(),
                fraction: format!("{weight}/{total_weight}"),
                amount: money(mine.map_or(0, |x| x.amount)),
                n_contributions,
                contributions,
                efforts,
                claims: (r.bucket.target == Target::Claims)
                    .then(|| crate::claims::claim_lines(s, d, Some(who)).unwrap_or_default()),
                circle: match &r.bucket.target {
                    Target::Circle(id) => s.economy.circles.circles.get(id).map(|c| {
                        let received = c.received();
                        CircleGiveJson {
                            circle: id.to_hex(),
                            title: c.title.clone(),
                            received: received
                                .iter()
                                .find(|(k, _)| k == who)
                                .map_or(0, |(_, give)| *give),
                            total_received: received.iter().map(|(_, give)| give).sum(),
                        }
                    }),
                    _ => None,
                },
            }
        })
        .collect();
    ExplanationJson {
        distribution: distribution_summary(s, d),
        recipient: RecipientJson::of(s, &me),
        funding: funding(s, d),
        buckets,
        total: money(d.totals.get(&me).copied().unwrap_or(0)),
        credited: money(d.credited.get(&me).copied().unwrap_or(0)),
        carried: money(d.carried.get(who).copied().unwrap_or(0)),
        recipe: CREDIT_RECIPE,
    }
}

/// The effort `who` declared on contributions accepted in `since..before`, weighted by
/// `rates` as a `time` bucket weighs it, largest weight first.
fn efforts_of(
    s: &CommonsState,
    who: &AuthorKey,
    rates: &distribution::TimeRates,
    since: u64,
    before: u64,
) -> Vec<EffortJson> {
    let rate_of = rates.by_kind();
    let mut out: Vec<EffortJson> = distribution::effort_of(s, who, since.min(before), before)
        .into_iter()
        .filter_map(|(id, kind, minutes)| {
            let c = s.production.contributions.get(&id)?;
            let (accepted_index, accepted_ms) = commons_core::value::equation::accepted(c)?;
            let weight_per_minute = rate_of
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or(0, |(_, rate)| *rate);
            Some(EffortJson {
                contribution: id.to_hex(),
                title: c.title.clone(),
                kind,
                minutes,
                weight_per_minute,
                weight: minutes.saturating_mul(weight_per_minute),
                accepted_index,
                accepted_ms,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.weight
            .cmp(&a.weight)
            .then(a.accepted_index.cmp(&b.accepted_index))
    });
    out
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainParams {
    who: String,
}

/// `GET /api/v1/commons/{id}/distributions/{dist}/explain?who=<key>`.
pub async fn explain_share(
    State(state): State<AppState>,
    ApiPath((id, dist)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<ExplainParams>,
) -> Result<Json<ExplanationJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let dist = parse_event_id(&dist)?;
    let who = parse_author(&params.who)?;
    let json = inspect(&state, &commons, move |s| {
        let d = s.economy.distributions.get(&dist)?;
        Some(explain(s, d, &who))
    })
    .await?
    .ok_or_else(unknown_distribution)?;
    Ok(Json(json))
}

#[derive(Debug, Serialize)]
pub struct PersonBooksJson {
    pub currency: String,
    /// What the commons owes them now.
    pub owed: MoneyJson,
    /// Carried to their next distribution.
    pub carried: MoneyJson,
    /// Paid out to them so far (net of reversed payouts).
    pub paid_out: MoneyJson,
}

#[derive(Debug, Serialize)]
pub struct EarningsJson {
    pub person: PersonJson,
    /// Per currency they were ever credited in.
    pub books: Vec<PersonBooksJson>,
    /// Distributions that gave them a share, newest first, one page explained.
    pub matching: u64,
    pub offset: usize,
    pub distributions: Vec<ExplanationJson>,
}

/// What `who` was owed, carried and paid per currency, from the journal.
pub fn person_books(s: &CommonsState, who: &AuthorKey) -> Vec<PersonBooksJson> {
    let books = &s.economy.books;
    let owed = Account::Owed(*who);
    let carry = Account::Carry(*who);
    let mut paid: BTreeMap<&str, i128> = BTreeMap::new();
    for line in &books.lines {
        let t = &line.transfer;
        let delta = i128::from(t.amount);
        if t.from == owed && t.to == Account::PaidOut {
            *paid.entry(t.currency.as_str()).or_default() += delta;
        } else if t.from == Account::PaidOut && t.to == owed {
            *paid.entry(t.currency.as_str()).or_default() -= delta;
        }
    }
    books
        .currencies()
        .into_iter()
        .filter(|c| {
            books.balances.contains_key(&(owed.clone(), c.clone()))
                || books.balances.contains_key(&(carry.clone(), c.clone()))
        })
        .map(|c| PersonBooksJson {
            owed: MoneyJson::of(&c, books.holds(&owed, &c)),
            carried: MoneyJson::of(&c, books.holds(&carry, &c)),
            paid_out: MoneyJson::of(
                &c,
                u64::try_from(paid.get(c.as_str()).copied().unwrap_or(0).max(0)).unwrap_or(0),
            ),
            currency: c,
        })
        .collect()
}

/// A person's earnings: their books and one page of explained distributions.
pub fn earnings_json(
    s: &CommonsState,
    who: &AuthorKey,
    offset: usize,
    limit: usize,
) -> EarningsJson {
    let me = Beneficiary::Person(*who);
    let economy = &s.economy;
    let theirs: Vec<&Distribution> = economy
        .distribution_order
        .iter()
        .filter_map(|id| economy.distributions.get(id))
        .filter(|d| d.totals.contains_key(&me))
        .collect();
    EarningsJson {
        person: PersonJson::of(s, who),
        books: person_books(s, who),
        matching: theirs.len() as u64,
        offset,
        distributions: page_of(&theirs, true, offset, limit)
            .into_iter()
            .map(|d| explain(s, d, who))
            .collect(),
    }
}

/// `GET /api/v1/commons/{id}/people/{key}/earnings`.
pub async fn person_earnings(
    State(state): State<AppState>,
    ApiPath((id, key)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<EarningsJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let who = parse_author(&key)?;
    let limit = page_limit_within(params.limit, EARNINGS_PAGE_DEFAULT, EARNINGS_PAGE_MAX)?;
    let json = inspect(&state, &commons, move |s| {
        earnings_json(s, &who, params.offset, limit)
    })
    .await?;
    Ok(Json(json))
}

/// The credit a recipient's weight stands for, as `12.345 credits`.
pub fn credits_text(milli_credits: u64) -> String {
    format!(
        "{}.{:03}",
        milli_credits / distribution::CREDIT_UNIT,
        milli_credits % distribution::CREDIT_UNIT
    )
}

// ---------------------------------------------------------------------------------------
// A value equation change's simulation, expenses, bounties and awards

#[derive(Debug, Serialize)]
pub struct SimulatedShareJson {
    pub to: RecipientJson,
    /// Lifetime credit in milli-credits, under the equations in force and with the change.
    pub credit_before: u64,
    pub credit_after: u64,
    /// Share of the simulated distribution (`null` amounts when there is no money yet).
    pub money_before: Option<MoneyJson>,
    pub money_after: Option<MoneyJson>,
}

#[derive(Debug, Serialize)]
pub struct SimulationJson {
    pub poll: String,
    pub effective_ms: u64,
    pub equation: EquationJson,
    /// The distribution simulated: the latest one's amount and buckets pinned to the ledger
    /// as it is now, or, before any, the whole treasury to contributors by lifetime credit.
    pub amount: Option<MoneyJson>,
    /// The currency of `amount` and of every share's money; `null` when there is no money.
    pub currency: Option<String>,
    pub shares: Vec<SimulatedShareJson>,
}

/// What a `value_equation` poll's equation would change, person by person; `None` for a
/// poll of another kind.
pub fn simulation_json(
    s: &CommonsState,
    poll_id: &EventId,
    poll: &commons_core::association::polls::Poll,
) -> Option<SimulationJson> {
    use commons_core::association::polls::Decision;
    let Decision::ValueEquation {
        equation,
        effective_ms,
    } = &poll.decision
    else {
        return None;
    };
    Some(equation_simulation_json(
        s,
        poll_id.to_hex(),
        equation,
        *effective_ms,
    ))
}

/// What adopting `equation` from `effective_ms` would change, person by person: a poll's
/// (`poll` its id) or a form's preview (`poll` empty).
pub fn equation_simulation_json(
    s: &CommonsState,
    poll: String,
    equation: &Equation,
    effective_ms: u64,
) -> SimulationJson {
    let sim = distribution::simulate_equation(s, equation, effective_ms);
    let money = |minor: u64| sim.currency.as_deref().map(|c| MoneyJson::of(c, minor));
    SimulationJson {
        poll,
        effective_ms,
        equation: EquationJson::of(equation),
        amount: money(sim.amount),
        currency: sim.currency.clone(),
        shares: sim
            .shares
            .iter()
            .map(|share| SimulatedShareJson {
                to: RecipientJson::of(s, &share.to),
                credit_before: share.credit_before,
                credit_after: share.credit_after,
                money_before: money(share.money_before),
                money_after: money(share.money_after),
            })
            .collect(),
    }
}

/// `GET /api/v1/commons/{id}/polls/{poll}/simulation`: what a `value_equation` poll's
/// equation would change, person by person, computed by the same code as a distribution.
pub async fn equation_simulation(
    State(state): State<AppState>,
    ApiPath((id, poll)): ApiPath<(String, String)>,
) -> Result<Json<SimulationJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let poll_id = parse_event_id(&poll)?;
    let answer = crate::association::with_poll(&state, &commons, poll_id, move |s, p| {
        simulation_json(s, &poll_id, p)
    })
    .await?;
    answer.map(Json).ok_or_else(|| {
        ApiError::bad_request(
            "not_an_equation_poll",
            "only a value_equation poll has a simulation",
        )
    })
}

#[derive(Debug, Serialize)]
pub struct ExpenseJson {
    pub id: String,
    pub author: PersonJson,
    pub payee: PersonJson,
    pub title: String,
    pub description: Option<String>,
    pub amount: MoneyJson,
    /// The budget project it is charged to; `null` for the general treasury.
    pub line: Option<String>,
    pub reference: Option<String>,
    /// `draft`, `submitted`, `incomplete`, `approved`, `scheduled`, `paid`, `rejected`,
    /// `cancelled` or `reversed`.
    pub state: &'static str,
    pub approvals: Vec<PersonJson>,
    pub approvals_needed: u32,
    /// The approvers its budget line's policy names (k of these must approve).
    pub approvers: Vec<PersonJson>,
    /// Above this amount the line's policy also wants a poll of the association.
    pub poll_above: Option<MoneyJson>,
    /// Whether a poll of the association must also pass (its amount is above the line's limit).
    pub needs_poll: bool,
    pub poll: Option<String>,
    pub history: Vec<ExpenseStepJson>,
}

#[derive(Debug, Serialize)]
pub struct ExpenseStepJson {
    pub by: PersonJson,
    pub index: u64,
    pub time_ms: u64,
    pub what: &'static str,
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BountyJson {
    pub id: String,
    pub task: String,
    pub pledger: Option<PersonJson>,
    pub source: String,
    pub amount: MoneyJson,
    /// `refund` or `treasury`: where it goes if the task closes unresolved.
    pub unresolved: &'static str,
    /// `escrowed`, `released`, `refunded` or `to_treasury`.
    pub state: &'static str,
    /// When released: each co-author's part.
    pub shares: Vec<(PersonJson, MoneyJson)>,
}

#[derive(Debug, Serialize)]
pub struct AwardJson {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub amount: MoneyJson,
    pub winners: u32,
    pub nominations_close_ms: u64,
    pub nominees: Vec<NomineeJson>,
    /// `open`, `awarded` or `cancelled`.
    pub state: &'static str,
    /// The poll that decided the winners, once awarded.
    pub poll: Option<String>,
    pub prizes: Vec<(PersonJson, MoneyJson)>,
}

#[derive(Debug, Serialize)]
pub struct NomineeJson {
    pub nominee: PersonJson,
    pub by: PersonJson,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct SpendingJson {
    pub expenses_matching: u64,
    pub offset: usize,
    pub expenses: Vec<ExpenseJson>,
    /// Every bounty and award counted; the lists hold the latest [`SPENDING_LATEST_MAX`].
    pub bounties_matching: u64,
    pub bounties: Vec<BountyJson>,
    pub awards_matching: u64,
    pub awards: Vec<AwardJson>,
    /// How expenses are approved: the general treasury's policy first (the statutes'
    /// treasurers, k of them as the statutes say, until a treasurer sets one), then each
    /// budget line that has its own, by line id; at most [`SPENDING_LATEST_MAX`], of
    /// `policies_matching`.
    pub policies_matching: u64,
    pub policies: Vec<ExpensePolicyJson>,
}

/// One budget line's expense approval policy.
#[derive(Debug, Serialize)]
pub struct ExpensePolicyJson {
    /// The budget project (hex id); `null` for the general treasury.
    pub line: Option<String>,
    pub approvers: Vec<PersonJson>,
    /// How many of the approvers must approve.
    pub approvals: u32,
    /// Above this amount, in minor units of the expense's currency, a poll of the
    /// association must also agree.
    pub poll_above: Option<u64>,
    /// Whether a treasurer set it (`false`: the statutes' default).
    pub set: bool,
    /// Whether an expense approved under it can be paid at all: the payer is a treasurer
    /// who did not approve it, so some treasurer must be left out of some `approvals` of
    /// the approvers (a treasurer who is no approver, or fewer approvals than approvers).
    pub payable: bool,
}

/// Most bounties and most awards one answer lists (the latest).
pub const SPENDING_LATEST_MAX: usize = 200;

/// The latest `SPENDING_LATEST_MAX` of `items` by ledger index, newest first.
fn latest<T>(items: impl Iterator<Item = T>, index: impl Fn(&T) -> u64) -> Vec<T> {
    let mut items: Vec<T> = items.collect();
    items.sort_by_key(|i| std::cmp::Reverse(index(i)));
    items.truncate(SPENDING_LATEST_MAX);
    items
}

pub fn expense_json(s: &CommonsState, e: &commons_core::value::expense::Expense) -> ExpenseJson {
    use commons_core::value::expense::{needs_poll, policy_of};
    let policy = policy_of(s, &e.line);
    ExpenseJson {
        id: e.id.to_hex(),
        author: PersonJson::of(s, &e.author),
        payee: PersonJson::of(s, &e.payee),
        title: e.title.clone(),
        description: e.description.clone(),
        amount: MoneyJson::of(&e.currency, e.amount),
        line: e.line.map(|l| l.to_hex()),
        reference: e.reference.clone(),
        state: e.state.as_str(),
        approvals: e.approvals.iter().map(|k| PersonJson::of(s, k)).collect(),
        approvals_needed: policy.approvals,
        approvers: policy
            .approvers
            .iter()
            .map(|k| PersonJson::of(s, k))
            .collect(),
        poll_above: policy.poll_above.map(|a| MoneyJson::of(&e.currency, a)),
        needs_poll: needs_poll(s, e),
        poll: e.poll.map(|p| p.to_hex()),
        history: e
            .history
            .iter()
            .map(|h| ExpenseStepJson {
                by: PersonJson::of(s, &h.by),
                index: h.index,
                time_ms: h.time_ms,
                what: h.what,
                note: h.note.clone(),
            })
            .collect(),
    }
}

fn shares_json(
    s: &CommonsState,
    currency: &str,
    shares: &[(AuthorKey, u64)],
) -> Vec<(PersonJson, MoneyJson)> {
    shares
        .iter()
        .map(|(k, a)| (PersonJson::of(s, k), MoneyJson::of(currency, *a)))
        .collect()
}

/// Expenses (one page, newest first) with their approval state and history, and the
/// latest bounties and awards, as the API and the spending page show them.
pub fn spending_json(s: &CommonsState, offset: usize, limit: usize) -> SpendingJson {
    use commons_core::value::bounty::BountyState;
    let economy = &s.economy;
    let mut expenses: Vec<_> = economy.expenses.expenses.values().collect();
    expenses.sort_by_key(|e| std::cmp::Reverse(e.index));
    SpendingJson {
        expenses_matching: expenses.len() as u64,
        offset,
        expenses: expenses
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|e| expense_json(s, e))
            .collect(),
        bounties_matching: economy.bounties.bounties.len() as u64,
        bounties: latest(economy.bounties.bounties.values(), |b| b.index)
            .into_iter()
            .map(|b| BountyJson {
                id: b.id.to_hex(),
                task: b.task.to_hex(),
                pledger: b.pledger.as_ref().map(|k| PersonJson::of(s, k)),
                source: b.source.clone(),
                amount: MoneyJson::of(&b.currency, b.amount),
                unresolved: b.unresolved.as_str(),
                state: b.state.as_str(),
                shares: match &b.state {
                    BountyState::Released { shares, .. } => shares_json(s, &b.currency, shares),
                    _ => Vec::new(),
                },
            })
            .collect(),
        awards_matching: economy.awards.len() as u64,
        awards: latest(economy.awards.values(), |a| a.index)
            .into_iter()
            .map(|a| award_json(s, a))
            .collect(),
        policies_matching: 1 + economy
            .expenses
            .policies
            .keys()
            .filter(|l| l.is_some())
            .count() as u64,
        policies: expense_policies(s),
    }
}

/// The general treasury's expense policy, then each budget line's own.
fn expense_policies(s: &CommonsState) -> Vec<ExpensePolicyJson> {
    use commons_core::value::expense::policy_of;
    let policies = &s.economy.expenses.policies;
    let treasurers: &[AuthorKey] = s
        .association
        .statutes
        .as_ref()
        .map_or(&[], |st| st.treasurers.as_slice());
    let lines = std::iter::once(None).chain(policies.keys().filter(|l| l.is_some()).copied());
    lines
        .take(SPENDING_LATEST_MAX)
        .map(|line| {
            let policy = policy_of(s, &line);
            ExpensePolicyJson {
                line: line.map(|l| l.to_hex()),
                approvers: policy
                    .approvers
                    .iter()
                    .map(|k| PersonJson::of(s, k))
                    .collect(),
                approvals: policy.approvals,
                poll_above: policy.poll_above,
                set: policies.contains_key(&line),
                payable: treasurers.iter().any(|t| {
                    !policy.approvers.contains(t)
                        || (policy.approvals as usize) < policy.approvers.len()
                }),
            }
        })
        .collect()
}

/// One award with its nominees and, once decided, the poll and each winner's prize.
pub fn award_json(s: &CommonsState, a: &commons_core::value::award::Award) -> AwardJson {
    use commons_core::value::award::AwardState;
    AwardJson {
        id: a.id.to_hex(),
        title: a.title.clone(),
        description: a.description.clone(),
        amount: MoneyJson::of(&a.currency, a.amount),
        winners: a.winners,
        nominations_close_ms: a.nominations_close_ms,
        nominees: a
            .nominations
            .iter()
            .map(|n| NomineeJson {
                nominee: PersonJson::of(s, &n.nominee),
                by: PersonJson::of(s, &n.by),
                reason: n.reason.clone(),
            })
            .collect(),
        state: a.state.as_str(),
        poll: match &a.state {
            AwardState::Awarded { poll, .. } => Some(poll.to_hex()),
            _ => None,
        },
        prizes: match &a.state {
            AwardState::Awarded { shares, .. } => shares_json(s, &a.currency, shares),
            _ => Vec::new(),
        },
    }
}

/// `GET /api/v1/commons/{id}/spending`: expenses (paged, newest first) with their approval
/// state and history, every bounty and every award.
pub async fn spending(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<SpendingJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit(params.limit)?;
    let offset = params.offset;
    Ok(Json(
        inspect(&state, &commons, move |s| spending_json(s, offset, limit)).await?,
    ))
}

// ---------------------------------------------------------------------------------------
// GIVE circles

/// Most circles one page of the circles listing holds.
pub const CIRCLES_PAGE_MAX: usize = 200;

#[derive(Debug, Serialize)]
pub struct GiftJson {
    pub to: PersonJson,
    pub give: u64,
}

#[derive(Debug, Serialize)]
pub struct CircleMemberJson {
    pub member: PersonJson,
    /// Their current allocation (their latest `circle.give`), zero gifts left out.
    pub gifts: Vec<GiftJson>,
    /// GIVE they gave away, and what they hold still unallocated.
    pub given: u64,
    pub left: u64,
    /// How many times they allocated (0: never).
    pub revisions: u64,
    /// Opted out of receiving: GIVE given to them counts for nobody.
    pub opted_out: bool,
    /// GIVE received that counts, once the circle is closed (`null` while it is open).
    pub received: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct CircleSummaryJson {
    pub id: String,
    pub title: String,
    pub by: PersonJson,
    pub index: u64,
    pub give_per_member: u64,
    pub closes_ms: u64,
    /// `open` until the ledger time reaches `closes_ms`, then `closed`.
    pub state: &'static str,
    pub n_members: u64,
    /// Members who allocated at least once.
    pub n_allocated: u64,
}

#[derive(Debug, Serialize)]
pub struct CircleJson {
    #[serde(flatten)]
    pub summary: CircleSummaryJson,
    /// Every member (at most `CIRCLE_MEMBERS_MAX`), in the order the opening named them.
    pub members: Vec<CircleMemberJson>,
    /// GIVE received that counts, over all members, once closed.
    pub total_received: Option<u64>,
    /// Distributions with a bucket that pays this circle.
    pub distributions: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct CirclesPage {
    pub matching: u64,
    pub offset: usize,
    /// Newest first.
    pub circles: Vec<CircleSummaryJson>,
}

fn circle_state(s: &CommonsState, c: &Circle) -> &'static str {
    if c.is_open(s.time_ms) {
        "open"
    } else {
        "closed"
    }
}

pub fn circle_summary(s: &CommonsState, c: &Circle) -> CircleSummaryJson {
    CircleSummaryJson {
        id: c.id.to_hex(),
        title: c.title.clone(),
        by: PersonJson::of(s, &c.by),
        index: c.index,
        give_per_member: c.give_per_member,
        closes_ms: c.closes_ms,
        state: circle_state(s, c),
        n_members: c.members.len() as u64,
        n_allocated: c.allocations.len() as u64,
    }
}

/// One circle with every member's allocation and, once closed, the GIVE each received.
pub fn circle_json(s: &CommonsState, c: &Circle) -> CircleJson {
    let closed = !c.is_open(s.time_ms);
    let received: BTreeMap<AuthorKey, u64> = c.received().into_iter().collect();
    let members = c
        .members
        .iter()
        .map(|m| {
            let allocation = c.allocations.get(m);
            let given = allocation.map_or(0, |a| a.given());
            CircleMemberJson {
                member: PersonJson::of(s, m),
                gifts: allocation.map_or_else(Vec::new, |a| {
                    a.gifts
                        .iter()
                        .map(|(to, give)| GiftJson {
                            to: PersonJson::of(s, to),
                            give: *give,
                        })
                        .collect()
                }),
                given,
                left: c.give_per_member.saturating_sub(given),
                revisions: allocation.map_or(0, |a| a.revisions),
                opted_out: allocation.is_some_and(|a| a.opted_out),
                received: closed.then(|| received.get(m).copied().unwrap_or(0)),
            }
        })
        .collect();
    let economy = &s.economy;
    CircleJson {
        summary: circle_summary(s, c),
        members,
        total_received: closed.then(|| received.values().sum()),
        distributions: economy
            .distribution_order
            .iter()
            .filter_map(|id| economy.distributions.get(id))
            .filter(|d| {
                d.buckets
                    .iter()
                    .any(|b| b.bucket.target == Target::Circle(c.id))
            })
            .map(|d| d.id.to_hex())
            .collect(),
    }
}

pub fn circles_page(s: &CommonsState, offset: usize, limit: usize) -> CirclesPage {
    let circles = &s.economy.circles;
    let all: Vec<&Circle> = circles
        .order
        .iter()
        .filter_map(|id| circles.circles.get(id))
        .collect();
    CirclesPage {
        matching: all.len() as u64,
        offset,
        circles: page_of(&all, true, offset, limit)
            .into_iter()
            .map(|c| circle_summary(s, c))
            .collect(),
    }
}

/// `GET /api/v1/commons/{id}/circles`: GIVE circles, newest first.
pub async fn list_circles(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<CirclesPage>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let limit = page_limit_within(params.limit, CIRCLES_PAGE_MAX, CIRCLES_PAGE_MAX)?;
    let offset = params.offset;
    Ok(Json(
        inspect(&state, &commons, move |s| circles_page(s, offset, limit)).await?,
    ))
}

/// `GET /api/v1/commons/{id}/circles/{circle}`.
pub async fn get_circle(
    State(state): State<AppState>,
    ApiPath((id, circle)): ApiPath<(String, String)>,
) -> Result<Json<CircleJson>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let circle = parse_event_id(&circle)?;
    let json = inspect(&state, &commons, move |s| {
        let c = s.economy.circles.circles.get(&circle)?;
        Some(circle_json(s, c))
    })
    .await?
    .ok_or_else(|| unknown("unknown_circle", "circle"))?;
    Ok(Json(json))
}
