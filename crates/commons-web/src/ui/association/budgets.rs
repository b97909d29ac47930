//! Participatory budgeting in the browser: the rounds (open ones with their turnout,
//! closed ones with what they funded), opening a round, a round's page with every project
//! and its itemised budget, proposing, flagging and reviewing projects, the ballot form
//! that fits the round's model (approve, pick a basket, or pledge an allocation), the
//! result with its count sheet, tie-breaks, seed and chart, cancelling a funded project,
//! and the spending-authorisation ledger.
//!
//! Reads copy out the budgeting API's own answers ([`crate::budget`]), so the page and
//! `GET /api/v1/commons/{id}/budgets/{round}` never disagree; amounts are typed and shown
//! in major units by [`Currency`] and signed as exact minor units.

use super::{Fields, Standing, page_of, pager, percent};
use crate::AppState;
use crate::budget::{
    AuthorisationPage, BudgetBallotJson, Currency, RoundJson, RoundSummaryJson, authorisation_page,
    ballot_entries, ballot_rows, round_json, round_summary,
};
use crate::charts::{CATEGORIES_MAX, GroupedBarChart};
use crate::ui::explorer::parse_event_id;
use crate::ui::production::{Scope, act, author, refuse, success, unseen_notices};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render, render_status};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use commons_core::association::budget::{
    self as rules, Ballot, NewRound, may_steward, model_named, rule_named,
};
use commons_core::association::{POLL_DURATION_MAX_MS, POLL_DURATION_MIN_MS};
use commons_core::state::State as CommonsState;
use commons_ledger::EventId;
use commons_tally::budget::{
    BudgetOutcome, ITEMS_PER_PROJECT_MAX, Item, Model, Ratio, Stage, Step,
};
use minijinja::{Value, context};
use serde::Deserialize;

/// Item rows on the proposal form (the ledger takes up to
/// [`ITEMS_PER_PROJECT_MAX`]; the CLI writes longer budgets).
pub const ITEM_ROWS: usize = 8;
/// Ballots listed on a round's page; the API pages through all of them.
pub const BALLOTS_SHOWN_MAX: usize = 200;
/// Entries of the spending-authorisation ledger listed on a round's page.
pub const AUTHORISATIONS_SHOWN_MAX: usize = 100;
/// Days proposals stay open, then voting, unless the form says otherwise.
pub const PROPOSAL_DAYS_DEFAULT: u64 = 7;
pub const VOTING_DAYS_DEFAULT: u64 = 7;

const _: () = assert!(ITEM_ROWS <= ITEMS_PER_PROJECT_MAX);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    page: Option<usize>,
}

fn no_round() -> UiError {
    UiError::NotFound("This commons has no budgeting round with that id.".into())
}

/// `GET /c/{id}/budgets`: open rounds first, closing soonest first; then closed ones,
/// last closed first.
pub async fn list_rounds(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = page_of(query.page);
    let read = scope
        .inspect(&state, move |s| {
            let association = &s.association;
            association.statutes.as_ref()?;
            let budgets = &association.budgets;
            let standing = Standing::read(s, key);
            let me = standing.identity;
            let open: Vec<(RoundSummaryJson, bool)> = budgets
                .open_rounds
                .iter()
                .filter_map(|(_, id)| {
                    let r = budgets.rounds.get(id)?;
                    let voted = me.is_some_and(|me| r.ballots.contains_key(&me));
                    Some((round_summary(s, id, r), voted))
                })
                .collect();
            let mut closed: Vec<(u64, EventId)> = budgets
                .rounds
                .iter()
                .filter_map(|(id, r)| Some((r.result.as_ref()?.index, *id)))
                .collect();
            let n_closed = closed.len();
            closed.sort_by(|a, b| b.cmp(a));
            let closed: Vec<RoundSummaryJson> = closed
                .iter()
                .skip(offset)
                .take(super::ROWS_PER_PAGE)
                .filter_map(|(_, id)| Some(round_summary(s, id, budgets.rounds.get(id)?)))
                .collect();
            let totals = authorisation_page(s, None, None, 0, 0).totals;
            Some((
                open,
                closed,
                n_closed,
                totals,
                key.is_some_and(|k| may_steward(s, &k)),
                standing,
                unseen_notices(s, key, seen),
            ))
        })
        .await?;
    let Some((open, closed, n_closed, totals, steward, standing, n_unseen)) = read else {
        return super::members::no_association(&state, viewer, &scope).await;
    };
    let now_ms = state.node.now_ms();
    let row = |r: &RoundSummaryJson, voted: bool| {
        context! {
            round => r,
            turnout_percent => percent(r.n_voters, r.electorate_size),
            ended => now_ms >= r.closes_ms,
            voted => voted,
        }
    };
    let page_ctx = context! {
        title => "Budgets",
        open => open.iter().map(|(r, v)| row(r, *v)).collect::<Vec<_>>(),
        closed => closed.iter().map(|r| row(r, false)).collect::<Vec<_>>(),
        pager => pager(page, n_closed),
        totals => totals.iter().map(|(code, t)| context! { currency => code, totals => t }).collect::<Vec<_>>(),
        steward => steward,
        standing => standing.context(),
        tab => "budgets",
        ..scope.frame("budgets", n_unseen)
    };
    Ok(render(&state, viewer, "budgets.html", page_ctx))
}

// ---------------------------------------------------------------------------------------
// Opening a round

/// The form's values when it is first shown.
fn default_fields() -> Fields {
    let mut f = Fields::default();
    f.set("currency", "EUR");
    f.set("model", "approval");
    f.set("rule", "equal_shares");
    f.set("completion", "greedy");
    f.set("proposals_in", PROPOSAL_DAYS_DEFAULT.to_string());
    f.set("proposals_unit", "days");
    f.set("voting_in", VOTING_DAYS_DEFAULT.to_string());
    f.set("voting_unit", "days");
    f
}

/// Reads the form into a `budget.open`, its times counted from ledger time `now_ms`.
fn read_new_round(f: &Fields, now_ms: u64) -> Result<NewRound, String> {
    let title = f.get("title");
    if title.is_empty() {
        return Err("Give the round a title.".to_owned());
    }
    let code = f.get("currency").to_ascii_uppercase();
    if code.is_empty()
        || code.len() > rules::CURRENCY_LEN_MAX
        || !code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(format!(
            "The currency is a code of up to {} letters or digits, such as EUR.",
            rules::CURRENCY_LEN_MAX
        ));
    }
    let currency = Currency::of(&code);
    let pool = currency
        .parse(f.get("pool"))
        .map_err(|e| format!("The pool: {e}."))?;
    let model_name = f.get("model");
    let min_spend = match (model_name, f.get("min_spend")) {
        ("knapsack", text) if !text.is_empty() => Some(
            currency
                .parse(text)
                .map_err(|e| format!("The least spend: {e}."))?,
        ),
        _ => None,
    };
    let bound = |name: &str, what: &str| -> Result<Option<u32>, String> {
        match f.get(name) {
            "" => Ok(None),
            text => text
                .parse()
                .map(Some)
                .map_err(|_| format!("{what} is a whole number of projects.")),
        }
    };
    let (min, max) = if model_name == "approval" {
        (
            bound("min", "The fewest approvals")?,
            bound("max", "The most approvals")?,
        )
    } else {
        (None, None)
    };
    let model = model_named(model_name, min_spend, min, max)
        .ok_or("Choose how members vote: approval, a basket or co-funding.")?;
    let rule = if model == Model::CoFunding {
        commons_tally::budget::Rule::Greedy
    } else {
        rule_named(Some(f.get("rule")), Some(f.get("completion")))
            .ok_or("Choose how the ballots are counted.")?
    };
    let proposals_ms = super::duration_of(f, "proposals_in", "proposals_unit")
        .filter(|ms| (POLL_DURATION_MIN_MS..POLL_DURATION_MAX_MS).contains(ms))
        .ok_or("Proposals stay open from 1 minute to a year.")?;
    let voting_ms = super::duration_of(f, "voting_in", "voting_unit")
        .filter(|ms| *ms >= POLL_DURATION_MIN_MS)
        .filter(|ms| proposals_ms.saturating_add(*ms) <= POLL_DURATION_MAX_MS)
        .ok_or("Voting goes on at least 1 minute after proposals close, and the whole round lasts at most a year.")?;
    let optional = |name: &str| Some(f.get(name).to_owned()).filter(|t| !t.is_empty());
    Ok(NewRound {
        title: title.to_owned(),
        description: optional("description"),
        guidelines: optional("guidelines"),
        pool,
        currency: code,
        model,
        rule,
        proposals_close_ms: now_ms.saturating_add(proposals_ms),
        closes_ms: now_ms
            .saturating_add(proposals_ms)
            .saturating_add(voting_ms),
    })
}

async fn new_round_form(
    state: &AppState,
    viewer: Viewer,
    scope: &Scope,
    fields: Fields,
    error: Option<String>,
) -> Result<Response, UiError> {
    let (key, seen) = (scope.key, scope.seen);
    let read = scope
        .inspect(state, move |s| {
            s.association.statutes.as_ref()?;
            Some((
                key.is_some_and(|k| may_steward(s, &k)),
                s.association
                    .members
                    .values()
                    .filter(|m| m.status == commons_core::association::MemberStatus::Active)
                    .count(),
                unseen_notices(s, key, seen),
            ))
        })
        .await?;
    let Some((steward, n_members, n_unseen)) = read else {
        return super::members::no_association(state, viewer, scope).await;
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = context! {
        title => "Open a budgeting round",
        f => fields.context(),
        error => error,
        steward => steward,
        n_members => n_members,
        units => [("minutes", "minutes"), ("hours", "hours"), ("days", "days")],
        tab => "budgets",
        ..scope.frame("budgets", n_unseen)
    };
    Ok(render_status(
        state,
        viewer,
        status,
        "new_budget.html",
        page,
    ))
}

/// `GET /c/{id}/budgets/new`
pub async fn new_round_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    new_round_form(&state, viewer, &scope, default_fields(), None).await
}

/// `POST /c/{id}/budgets`: opens a round. A form that does not read comes back with what
/// was typed; the ledger's refusal comes back on the same form.
pub async fn open_round(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let now_ms = scope.view.time_ms.max(state.node.now_ms());
    let round = match read_new_round(&fields, now_ms) {
        Ok(round) => round,
        Err(problem) => return new_round_form(&state, viewer, &scope, fields, Some(problem)).await,
    };
    match author(&state, &viewer, &scope.id(), rules::OPEN, &round.body()).await? {
        Ok(event) => Ok(viewer.redirect(
            &state.ui,
            &scope.path(&format!("/budgets/{}", event.to_hex())),
            Some(success(
                "The round is open: members can propose projects and vote.",
            )),
        )),
        Err(refusal) => new_round_form(&state, viewer, &scope, fields, Some(refusal.message)).await,
    }
}

// ---------------------------------------------------------------------------------------
// A round

/// The projects a ballot names, with the pledge of a co-funding ballot.
type Entries = Vec<(EventId, Option<u64>)>;

/// What the round's page needs beyond the API's answer.
struct RoundView {
    json: RoundJson,
    ballots: Vec<BudgetBallotJson>,
    /// The viewer's ballot that counts, by project id, with the pledge of co-funding.
    mine: Option<(Entries, u32)>,
    in_electorate: bool,
    steward: bool,
    /// Project ids the viewer flagged.
    flagged_by_me: Vec<EventId>,
    authorisations: AuthorisationPage,
}

fn read_round(
    s: &CommonsState,
    id: EventId,
    key: Option<commons_ledger::AuthorKey>,
) -> Option<RoundView> {
    let round = s.association.budgets.rounds.get(&id)?;
    let me = key.map(|k| commons_core::association::polls::identity(s, &k));
    let mine = me
        .and_then(|me| round.ballots.get(&me))
        .map(|(ballot, n)| (ballot_entries(ballot), *n));
    let projects = &s.association.budgets.projects;
    Some(RoundView {
        json: round_json(s, &id, round),
        ballots: ballot_rows(s, round, round.ballots.iter().take(BALLOTS_SHOWN_MAX)),
        mine,
        in_electorate: me.is_some_and(|me| round.electorate.contains(&me)),
        steward: key.is_some_and(|k| may_steward(s, &k)),
        flagged_by_me: me.map_or_else(Vec::new, |me| {
            round
                .projects
                .iter()
                .filter(|p| {
                    projects
                        .get(*p)
                        .is_some_and(|p| p.flags.iter().any(|(k, _)| *k == me))
                })
                .copied()
                .collect()
        }),
        authorisations: authorisation_page(s, Some(id), None, 0, AUTHORISATIONS_SHOWN_MAX),
    })
}

/// An exact amount of minor units for people: whole ones in major units, a fraction
/// rounded down (marked ≈) with its exact value in minor units beside it.
fn exact_money(currency: &Currency, amount: &Ratio) -> (String, Option<String>) {
    let whole = u64::try_from(amount.numerator() / amount.denominator().max(1)).unwrap_or(u64::MAX);
    if amount.denominator() == 1 {
        (currency.format(whole), None)
    } else {
        (
            format!("≈ {}", currency.format(whole)),
            Some(format!("{amount} minor units")),
        )
    }
}

fn stage_words(stage: Stage) -> &'static str {
    match stage {
        Stage::CoFunding => "co-funding",
        Stage::Greedy => "greedy",
        Stage::EqualShares => "equal shares",
        Stage::Completion => "completion",
    }
}

/// The count sheet, tie-breaks and reports of a closed round, in words and major units.
fn result_context(json: &RoundJson, outcome: &BudgetOutcome, currency: &Currency) -> Value {
    let counted: Vec<(String, String)> = json
        .result
        .as_ref()
        .map(|r| r.counted.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|id| {
            let name = json
                .projects
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            (id, name)
        })
        .collect();
    let name = |i: usize| counted.get(i).map(|(_, n)| n.clone()).unwrap_or_default();
    let money = |a: u64| currency.format(a);
    let steps: Vec<Value> = outcome
        .steps
        .iter()
        .enumerate()
        .map(|(n, step)| match step {
            Step::CoFunding {
                project,
                n_backers,
                pledged,
                granted,
                returned_unfunded,
                returned_above_max,
                funded,
            } => context! {
                n => n + 1,
                project => name(*project),
                stage => "co-funding",
                support => format!("{n_backers} backer(s), {} pledged", money(*pledged)),
                cost => json.projects.iter().find(|p| Some(&p.id) == counted.get(*project).map(|c| &c.0)).map(|p| format!("{} to {}", currency.format_number(p.min_cost), money(p.max_cost))),
                funded => funded,
                detail => if *funded {
                    if *returned_above_max > 0 {
                        format!("granted {}; {} above its maximum went back to the pool", money(*granted), money(*returned_above_max))
                    } else {
                        format!("granted {}", money(*granted))
                    }
                } else {
                    format!("its pledges did not reach its minimum; {} went back to the pool", money(*returned_unfunded))
                },
            },
            Step::Greedy {
                stage,
                project,
                votes,
                cost,
                remaining_before,
                funded,
            } => context! {
                n => n + 1,
                project => name(*project),
                stage => stage_words(*stage),
                support => format!("{votes} vote(s)"),
                cost => money(*cost),
                left => money(*remaining_before),
                funded => funded,
                detail => if *funded { "funded" } else { "did not fit in what was left" },
            },
            Step::EqualShares {
                project,
                cost,
                payment_cap,
                payments,
                ..
            } => context! {
                n => n + 1,
                project => name(*project),
                stage => "equal shares",
                support => format!("{} supporter(s) paid", payments.len()),
                cost => money(*cost),
                funded => true,
                detail => format!("each paid at most {}", exact_money(currency, payment_cap).0),
            },
        })
        .collect();
    let tie_breaks: Vec<Value> = outcome
        .tie_breaks
        .iter()
        .map(|t| {
            context! {
                stage => stage_words(t.stage),
                tied => t.tied.iter().map(|i| name(*i)).collect::<Vec<_>>(),
                order => t.order.iter().zip(&t.lots).map(|(i, lot)| context! { name => name(*i), lot => lot }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let co_funding = outcome.co_funding.as_ref().map(|c| {
        context! {
            allocation => money(c.allocation_per_voter),
            remainder => money(c.allocation_remainder),
            unpledged => money(c.unpledged),
            returned => money(c.returned_total),
        }
    });
    let equal_shares = outcome.equal_shares.as_ref().map(|e| {
        let (share, share_exact) = exact_money(currency, &e.voter_share);
        context! {
            share => share,
            share_exact => share_exact,
            add1 => e.add1_increments,
            add1_limit => e.add1_limit_reached,
        }
    });
    context! {
        funded => outcome.funded.iter().map(|g| context! {
            name => name(g.project),
            amount => money(g.amount),
            stage => stage_words(g.stage),
        }).collect::<Vec<_>>(),
        spent => money(outcome.total_spent),
        leftover => money(outcome.leftover),
        spent_percent => percent(outcome.total_spent, outcome.pool),
        n_voters => outcome.n_voters,
        steps => steps,
        tie_breaks => tie_breaks,
        co_funding => co_funding,
        equal_shares => equal_shares,
        seed => hex::encode(outcome.seed),
    }
}

/// `GET /c/{id}/budgets/{round}`
pub async fn round(
    State(state): State<AppState>,
    Path((id, round)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let round_id = parse_event_id(&round)?;
    let (key, seen) = (scope.key, scope.seen);
    let (view, standing, n_unseen) = scope
        .inspect(&state, move |s| {
            (
                read_round(s, round_id, key),
                Standing::read(s, key),
                unseen_notices(s, key, seen),
            )
        })
        .await?;
    let view = view.ok_or_else(no_round)?;
    let json = &view.json;
    let summary = &json.summary;
    let currency = Currency::of(&summary.currency);
    // Voting ends on the node's clock; the tick that counts the round follows within a
    // second, and the page says so rather than offer a ballot past the closing time.
    let now_ms = state.node.now_ms().max(json.ledger_time_ms);
    let open = json.result.is_none();
    let ended = open && now_ms >= summary.closes_ms;
    let proposing = open && now_ms < summary.proposals_close_ms;
    let member = standing.is_member();
    let mine = view.mine.as_ref();
    let pick = |project: &str| {
        mine.and_then(|(entries, _)| entries.iter().find(|(id, _)| id.to_hex() == project))
    };
    let projects: Vec<Value> = json
        .projects
        .iter()
        .map(|p| {
            let counted = p.status != "excluded";
            let mine = pick(&p.id);
            context! {
                project => p,
                counted => counted,
                picked => mine.is_some(),
                pledge => mine.and_then(|(_, a)| *a).map(|a| currency.format_number(a)),
                flagged_by_me => view.flagged_by_me.iter().any(|f| f.to_hex() == p.id),
                may_flag => open && member && p.status == "proposed",
                may_review => open && view.steward && p.status == "proposed" && !p.flags.is_empty(),
                may_cancel => view.steward && p.status == "funded",
            }
        })
        .collect();
    let n_counted = json
        .projects
        .iter()
        .filter(|p| p.status != "excluded")
        .count();
    let model = &summary.model;
    let allocation = (model.name == "co_funding")
        .then(|| summary.pool.checked_div(summary.electorate_size))
        .flatten();
    let result = json
        .result
        .as_ref()
        .and_then(|r| r.outcome.as_ref())
        .map(|o| result_context(json, o, &currency));
    let page = context! {
        title => summary.title.clone(),
        round => json,
        currency_code => summary.currency.clone(),
        model_words => model_words(summary.model.name),
        rule_words => rule_words(summary.rule.name, summary.rule.completion),
        pool => currency.format(summary.pool),
        open => open,
        ended => ended,
        proposing => proposing,
        turnout_percent => percent(summary.n_voters, summary.electorate_size),
        projects => projects,
        n_counted => n_counted,
        vote => context! {
            can_vote => open && !ended && view.in_electorate && n_counted > 0,
            eligible => view.in_electorate,
            n_cast => mine.map(|(_, n)| *n),
            allocation => allocation.map(|a| currency.format(a)),
            min_spend => model.min_spend.filter(|m| *m > 0).map(|m| currency.format(m)),
            approve_min => model.min.filter(|m| *m > 0),
            approve_max => model.max,
        },
        may_propose => proposing && member,
        item_rows => (0..ITEM_ROWS).collect::<Vec<_>>(),
        ballots => view.ballots,
        n_ballots_more => (summary.n_voters as usize).saturating_sub(BALLOTS_SHOWN_MAX),
        result => result,
        result_error => json.result.as_ref().and_then(|r| r.error.clone()),
        authorisations => view.authorisations.entries,
        steward => view.steward,
        standing => standing.context(),
        tab => "budgets",
        ..scope.frame("budgets", n_unseen)
    };
    Ok(render(&state, viewer, "budget.html", page))
}

fn model_words(name: &str) -> &'static str {
    match name {
        "co_funding" => {
            "Co-funding: each member gets an equal share of the pool and pledges it to the projects they back; a project is funded when its pledges reach its minimum cost."
        }
        "knapsack" => {
            "Knapsack: each member picks a basket of projects whose minimum costs fit in the pool."
        }
        _ => "Approval: each member approves the projects they support.",
    }
}

fn rule_words(name: &str, completion: Option<&str>) -> String {
    match name {
        "equal_shares" => format!(
            "The method of equal shares: every voter holds an equal share of the pool and projects are funded by their supporters' shares, cheapest per supporter first{}.",
            match completion {
                Some("add1") => "; what it leaves is spent by raising every share one unit at a time (add1), then greedily",
                Some("none") => "; what it leaves stays in the pool",
                _ => "; what it leaves is spent greedily by votes",
            }
        ),
        _ => "Greedy: projects are funded in order of votes while the pool lasts; one that does not fit is skipped.".to_owned(),
    }
}

/// `POST /c/{id}/budgets/{round}/propose`: a project with its itemised budget.
pub async fn propose(
    State(state): State<AppState>,
    Path((id, round)): Path<(String, String)>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let round_id = parse_event_id(&round)?;
    let back = scope.path(&format!("/budgets/{}", round_id.to_hex()));
    let currency = scope
        .inspect(&state, move |s| {
            s.association
                .budgets
                .rounds
                .get(&round_id)
                .map(|r| Currency::of(&r.currency))
        })
        .await?
        .ok_or_else(no_round)?;
    let name = fields.get("name");
    if name.is_empty() {
        return refuse(&state, viewer, &back, "Give the project a name.");
    }
    let mut items = Vec::new();
    for i in 0..ITEM_ROWS {
        let label = fields.get(&format!("item-{i}-label"));
        let amount = fields.get(&format!("item-{i}-amount"));
        if label.is_empty() && amount.is_empty() {
            continue;
        }
        if label.is_empty() {
            return refuse(
                &state,
                viewer,
                &back,
                format!("Item {} has an amount but no label.", i + 1),
            );
        }
        let amount = match currency.parse(amount) {
            Ok(a) => a,
            Err(e) => {
                return refuse(
                    &state,
                    viewer,
                    &back,
                    format!("Item {} ({label}): {e}.", i + 1),
                );
            }
        };
        items.push(Item {
            label: label.to_owned(),
            amount,
            optional: fields.ticked(&format!("item-{i}-optional")),
        });
    }
    if items.iter().all(|i| i.optional) {
        return refuse(
            &state,
            viewer,
            &back,
            "List at least one required item with its amount.",
        );
    }
    let description = Some(fields.get("description")).filter(|d| !d.is_empty());
    let body = rules::propose_body(&round_id, name, description, &items);
    act(
        &state,
        viewer,
        &scope,
        rules::PROPOSE,
        body,
        &back,
        "Your project is proposed.",
    )
    .await
}

/// `POST /c/{id}/budgets/{round}/vote`: casts or changes the viewer's ballot.
pub async fn vote(
    State(state): State<AppState>,
    Path((id, round)): Path<(String, String)>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let round_id = parse_event_id(&round)?;
    let back = scope.path(&format!("/budgets/{}", round_id.to_hex()));
    let found = scope
        .inspect(&state, move |s| {
            let r = s.association.budgets.rounds.get(&round_id)?;
            Some((r.model, Currency::of(&r.currency), r.projects.clone()))
        })
        .await?;
    let (model, currency, projects) = found.ok_or_else(no_round)?;
    let ballot = match model {
        Model::CoFunding => {
            let mut pledges = Vec::new();
            for p in &projects {
                let text = fields.get(&format!("fund-{}", p.to_hex()));
                if text.is_empty() {
                    continue;
                }
                match currency.parse(text) {
                    Ok(0) => {}
                    Ok(a) => pledges.push((*p, a)),
                    Err(e) => return refuse(&state, viewer, &back, format!("A pledge: {e}.")),
                }
            }
            Ballot::CoFund(pledges)
        }
        Model::Knapsack { .. } | Model::Approval { .. } => {
            let picked: Vec<EventId> = fields
                .all("project")
                .iter()
                .filter_map(|hex| parse_event_id(hex).ok())
                .collect();
            if picked.len() != fields.all("project").len() {
                return refuse(
                    &state,
                    viewer,
                    &back,
                    "A ticked project is not one of this round's.",
                );
            }
            if matches!(model, Model::Knapsack { .. }) {
                Ballot::Basket(picked)
            } else {
                Ballot::Approve(picked)
            }
        }
    };
    let body = rules::vote_body(&round_id, &ballot);
    act(
        &state,
        viewer,
        &scope,
        rules::VOTE,
        body,
        &back,
        "Your ballot is cast. You can change it until the round closes.",
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProjectForm {
    reason: String,
    decision: String,
}

/// The project `project` of round `round`, or a 404.
async fn project_in_round(
    state: &AppState,
    scope: &Scope,
    round: &str,
    project: &str,
) -> Result<(EventId, String), UiError> {
    let round_id = parse_event_id(round)?;
    let project_id = parse_event_id(project)?;
    let found = scope
        .inspect(state, move |s| {
            s.association
                .budgets
                .projects
                .get(&project_id)
                .is_some_and(|p| p.round == round_id)
        })
        .await?;
    if !found {
        return Err(UiError::NotFound(
            "This round has no project with that id.".into(),
        ));
    }
    Ok((
        project_id,
        scope.path(&format!("/budgets/{}", round_id.to_hex())),
    ))
}

/// What a project's action needs: a reason, and who may take it.
async fn project_action(
    state: AppState,
    id: String,
    round: String,
    project: String,
    viewer: Viewer,
    form: ProjectForm,
    action: &'static str,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let (project_id, back) = project_in_round(&state, &scope, &round, &project).await?;
    let reason = form.reason.trim();
    if reason.is_empty() {
        return refuse(
            &state,
            viewer,
            &back,
            "Say why: the reason is published with the decision.",
        );
    }
    let (kind, body, done) = match action {
        rules::FLAG => (
            rules::FLAG,
            rules::project_body(&project_id, reason),
            "The project is flagged for review against the guidelines.",
        ),
        rules::CANCEL => (
            rules::CANCEL,
            rules::project_body(&project_id, reason),
            "The project is cancelled: a reversing entry released its funds.",
        ),
        _ => {
            let exclude = match form.decision.as_str() {
                "exclude" => true,
                "keep" => false,
                _ => return refuse(&state, viewer, &back, "Keep the project or exclude it."),
            };
            (
                rules::REVIEW,
                rules::review_body(&project_id, exclude, reason),
                if exclude {
                    "The project is excluded from the round."
                } else {
                    "The project is kept and its flags are cleared."
                },
            )
        }
    };
    act(&state, viewer, &scope, kind, body, &back, done).await
}

/// `POST /c/{id}/budgets/{round}/projects/{project}/flag`
pub async fn flag(
    State(state): State<AppState>,
    Path((id, round, project)): Path<(String, String, String)>,
    CheckedForm(viewer, form): CheckedForm<ProjectForm>,
) -> Result<Response, UiError> {
    project_action(state, id, round, project, viewer, form, rules::FLAG).await
}

/// `POST /c/{id}/budgets/{round}/projects/{project}/review`
pub async fn review(
    State(state): State<AppState>,
    Path((id, round, project)): Path<(String, String, String)>,
    CheckedForm(viewer, form): CheckedForm<ProjectForm>,
) -> Result<Response, UiError> {
    project_action(state, id, round, project, viewer, form, rules::REVIEW).await
}

/// `POST /c/{id}/budgets/{round}/projects/{project}/cancel`
pub async fn cancel(
    State(state): State<AppState>,
    Path((id, round, project)): Path<(String, String, String)>,
    CheckedForm(viewer, form): CheckedForm<ProjectForm>,
) -> Result<Response, UiError> {
    project_action(state, id, round, project, viewer, form, rules::CANCEL).await
}

/// The chart of a closed round: what each counted project asked (its maximum) and what
/// it was granted, funded ones first, at most [`CATEGORIES_MAX`] projects.
fn result_chart(json: &RoundJson) -> Option<GroupedBarChart> {
    json.result.as_ref()?.outcome.as_ref()?;
    let mut counted: Vec<_> = json
        .projects
        .iter()
        .filter(|p| p.count_index.is_some())
        .collect();
    counted.sort_by_key(|p| (p.granted.is_none(), p.count_index));
    let n = counted.len();
    counted.truncate(CATEGORIES_MAX);
    let currency = Currency::of(&json.summary.currency);
    Some(GroupedBarChart {
        title: format!("What each project asked and was granted, {}", currency.code),
        y_desc: currency.code.clone(),
        x_desc: "project".to_owned(),
        groups: counted.iter().map(|p| p.name.clone()).collect(),
        series: vec![
            (
                "asked (maximum)".to_owned(),
                counted.iter().map(|p| p.max_cost).collect(),
            ),
            (
                "granted".to_owned(),
                counted.iter().map(|p| p.granted.unwrap_or(0)).collect(),
            ),
        ],
        decimals: currency.decimals,
        empty_caption: "No project was counted".to_owned(),
        summary: format!(
            "{} of {n} counted projects funded{}.",
            counted.iter().filter(|p| p.granted.is_some()).count(),
            if n > CATEGORIES_MAX {
                format!("; the chart shows the first {CATEGORIES_MAX}")
            } else {
                String::new()
            }
        ),
    })
}

/// `GET /c/{id}/budgets/{round}/result.svg`: drawn once per closed round (a cancellation
/// changes no grant, so the chart never changes) and kept with the UI's fragments.
pub async fn result_svg(
    State(state): State<AppState>,
    Path((id, round)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let round_id = parse_event_id(&round)?;
    super::frozen_chart(
        &state,
        &scope,
        format!("budget-chart:{}", round_id.to_hex()),
        "This round has no result (yet).",
        move |s| {
            let r = s.association.budgets.rounds.get(&round_id)?;
            result_chart(&round_json(s, &round_id, r))
        },
    )
    .await
}

/// `GET /c/{id}/authorisations`: the spending-authorisation ledger, oldest first, with
/// each project's running balance; nothing in it is ever removed.
pub async fn authorisations(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let (key, seen) = (scope.key, scope.seen);
    let (page, offset) = page_of(query.page);
    let (ledger, n_unseen) = scope
        .inspect(&state, move |s| {
            (
                authorisation_page(s, None, None, offset, super::ROWS_PER_PAGE),
                unseen_notices(s, key, seen),
            )
        })
        .await?;
    let page_ctx = context! {
        title => "Spending authorisations",
        pager => pager(page, ledger.matching as usize),
        totals => ledger.totals.iter().map(|(code, t)| context! { currency => code, totals => t }).collect::<Vec<_>>(),
        entries => ledger.entries,
        matching => ledger.matching,
        tab => "budgets",
        ..scope.frame("budgets", n_unseen)
    };
    Ok(render(&state, viewer, "authorisations.html", page_ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Fields {
        let mut f = default_fields();
        for (k, v) in pairs {
            f.set(*k, *v);
        }
        f
    }

    #[test]
    fn the_open_form_reads_exact_amounts_and_times_from_ledger_time() {
        let round = read_new_round(
            &form(&[
                ("title", "Spring"),
                ("pool", "3,000.50"),
                ("model", "knapsack"),
                ("min_spend", "1,000"),
                ("rule", "greedy"),
                ("proposals_in", "2"),
                ("voting_in", "3"),
            ]),
            1_000,
        )
        .unwrap();
        assert_eq!(round.pool, 300_050);
        assert_eq!(round.model, Model::Knapsack { min_spend: 100_000 });
        assert_eq!(round.proposals_close_ms, 1_000 + 2 * 86_400_000);
        assert_eq!(round.closes_ms, 1_000 + 5 * 86_400_000);
    }

    #[test]
    fn the_open_form_refuses_what_the_ledger_would_refuse_with_a_sentence() {
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[("pool", "100")], "title"),
            (&[("title", "T"), ("pool", "12,50")], "The pool"),
            (
                &[("title", "T"), ("pool", "100"), ("currency", "euro€")],
                "currency",
            ),
            (
                &[("title", "T"), ("pool", "100"), ("model", "lottery")],
                "how members vote",
            ),
            (
                &[("title", "T"), ("pool", "100"), ("proposals_in", "0")],
                "Proposals",
            ),
            (
                &[("title", "T"), ("pool", "100"), ("voting_in", "400")],
                "at most a year",
            ),
        ];
        for (pairs, part) in cases {
            let error = read_new_round(&form(pairs), 0).unwrap_err();
            assert!(error.contains(part), "{pairs:?}: {error}");
        }
    }
}
