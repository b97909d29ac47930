//! Spending in the browser: expenses grouped by state with their approval flow and
//! history, bounties held in escrow on tasks, and awards with their nominations.
//!
//! Every read copies out the spending API's own answer ([`crate::value::spending_json`]),
//! so the page and `GET /api/v1/commons/{id}/spending` never disagree. Forms are shown only
//! to whoever core would let act, and become the matching core events (`expense.*`,
//! `bounty.fund`, `award.*`) signed with the person's custodial key; a forged post comes
//! back with core's rejection code in the flash.

use super::{Fields, PageQuery, money_of, optional_texts, sign_form, standing};
use crate::AppState;
use crate::association::PersonJson;
use crate::ui::association::{ROWS_PER_PAGE, page_of, pager};
use crate::ui::explorer::parse_event_id;
use crate::ui::production::{Scope, resolve_people, unseen_notices};
use crate::ui::session::{CheckedForm, Viewer};
use crate::ui::{UiError, render};
use crate::value::{AwardJson, ExpenseJson, MoneyJson, award_json, expense_json, spending_json};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use commons_core::association::budget::ProjectStatus;
use commons_core::association::polls::identity;
use commons_core::value::award::{self, AwardState, NOMINATION_MS_MAX, WINNERS_MAX};
use commons_core::value::bounty;
use commons_core::value::expense::{self, ExpenseState, policy_of};
use commons_core::value::is_treasurer;
use commons_ledger::cbor::Value as Cbor;
use commons_ledger::{AuthorKey, EventId};
use minijinja::{Value, context};
use std::collections::BTreeMap;

/// Expense states in the order the spending page groups them.
pub const EXPENSE_STATES: [ExpenseState; 9] = [
    ExpenseState::Draft,
    ExpenseState::Submitted,
    ExpenseState::Incomplete,
    ExpenseState::Approved,
    ExpenseState::Scheduled,
    ExpenseState::Paid,
    ExpenseState::Rejected,
    ExpenseState::Cancelled,
    ExpenseState::Reversed,
];
/// Funded budget projects an expense form offers as its budget line.
pub const LINES_OFFERED_MAX: usize = 200;
/// People the nomination form offers: those who published a profile, by key.
pub const NOMINEES_OFFERED_MAX: usize = 500;
/// Longest nomination period the award form takes, in days.
pub const NOMINATION_DAYS_MAX: u64 = NOMINATION_MS_MAX / 86_400_000;

fn no_expense() -> UiError {
    UiError::NotFound("This commons has no expense with that id.".into())
}

fn no_award() -> UiError {
    UiError::NotFound("This commons has no award with that id.".into())
}

/// The funded budget projects an expense may be charged to, as (id, name).
fn funded_lines(s: &commons_core::State) -> Vec<(String, String)> {
    s.association
        .budgets
        .projects
        .iter()
        .filter(|(_, p)| matches!(p.status, ProjectStatus::Funded { .. }))
        .take(LINES_OFFERED_MAX)
        .map(|(id, p)| (id.to_hex(), p.name.clone()))
        .collect()
}

/// The name of an expense's budget line, for people.
fn line_name(s: &commons_core::State, line: Option<&EventId>) -> String {
    match line {
        None => "General treasury".to_owned(),
        Some(id) => s
            .association
            .budgets
            .projects
            .get(id)
            .map_or_else(|| crate::ui::short(&id.to_hex()), |p| p.name.clone()),
    }
}

// ---------------------------------------------------------------------------------------
// The spending page

/// `GET /c/{id}/spending`: expenses grouped by state, bounties and awards, with the
/// expense form for anyone logged in and the award form for treasurers.
pub async fn spending(
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
            let json = spending_json(s, offset, ROWS_PER_PAGE);
            let line_names: BTreeMap<String, String> = json
                .expenses
                .iter()
                .map(|e| {
                    let line = e.line.as_deref().and_then(EventId::from_hex);
                    (e.id.clone(), line_name(s, line.as_ref()))
                })
                .collect();
            let task_titles: BTreeMap<String, String> = json
                .bounties
                .iter()
                .filter_map(|b| {
                    let task = s.production.tasks.get(&EventId::from_hex(&b.task)?)?;
                    Some((b.task.clone(), task.title.clone()))
                })
                .collect();
            // Each policy's line by name and its poll threshold in the commons' first
            // currency (the one the policy form offers).
            let currency = s
                .economy
                .books
                .currencies()
                .into_iter()
                .next()
                .unwrap_or_else(|| "EUR".to_owned());
            let policies: Vec<Value> = json
                .policies
                .iter()
                .map(|x| {
                    let line = x.line.as_deref().and_then(EventId::from_hex);
                    context! {
                        p => x,
                        name => line_name(s, line.as_ref()),
                        poll_above => x.poll_above.map(|a| MoneyJson::of(&currency, a).display),
                    }
                })
                .collect();
            (
                json,
                (line_names, task_titles, policies, currency),
                funded_lines(s),
                standing(s, key),
                unseen_notices(s, key, seen),
            )
        })
        .await?;
    let (json, (line_names, task_titles, policies, currency), lines, standing, n_unseen) = read;
    let groups: Vec<Value> = EXPENSE_STATES
        .iter()
        .filter_map(|st| {
            let rows: Vec<Value> = json
                .expenses
                .iter()
                .filter(|e| e.state == st.as_str())
                .map(|e| {
                    context! { e => e, line_name => line_names.get(&e.id) }
                })
                .collect();
            (!rows.is_empty()).then(|| context! { state => st.as_str(), expenses => rows })
        })
        .collect();
    let page_ctx = context! {
        title => "Spending",
        s => json,
        groups => groups,
        pager => pager(page, usize::try_from(json.expenses_matching).unwrap_or(usize::MAX)),
        lines => lines,
        task_titles => task_titles,
        policies => policies,
        currency => currency,
        approvers_max => expense::APPROVERS_MAX,
        nomination_days_max => NOMINATION_DAYS_MAX,
        winners_max => WINNERS_MAX,
        standing => standing,
        tab => "spending",
        ..scope.frame("value", n_unseen)
    };
    Ok(render(&state, viewer, "spending.html", page_ctx))
}

/// Reads the expense form into the fields `expense.file` and `expense.edit` share.
fn expense_fields(f: &Fields) -> Result<Vec<(&'static str, Cbor)>, String> {
    let title = f.get("title");
    if title.is_empty() {
        return Err("Say what the expense is for in its title.".to_owned());
    }
    let (currency, amount) = money_of(f)?;
    let mut fields = vec![
        ("title", Cbor::text(title)),
        ("amount", Cbor::Unsigned(amount)),
        ("currency", Cbor::text(currency.code)),
        ("submit", Cbor::Bool(!f.ticked("draft"))),
    ];
    if !f.get("line").is_empty() {
        let line = EventId::from_hex(f.get("line")).ok_or("Choose a budget line from the list.")?;
        fields.push(("line", Cbor::bytes(line.0.to_vec())));
    }
    if !f.get("payee").is_empty() {
        let payee = AuthorKey::from_hex(f.get("payee"))
            .map_err(|_| "The payee is a person's key (64 hex digits), or empty for you.")?;
        fields.push(("payee", Cbor::bytes(payee.to_bytes().to_vec())));
    }
    fields.extend(optional_texts(f, &["description", "reference"]));
    Ok(fields)
}

/// `POST /c/{id}/expenses`: anyone files an expense, submitted or as a draft.
pub async fn file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path("/spending");
    let body = expense_fields(&fields).map(Cbor::text_map);
    sign_form(
        &state,
        viewer,
        &scope,
        (expense::FILE, body),
        &back,
        "The expense is filed; its approvers see it on the spending page.",
    )
    .await
}

/// Reads the policy form into an `expense.policy` body: the budget line (empty: the
/// general treasury), its approvers by the names they publish or their keys, how many
/// must approve and, if given, the amount above which a poll of the association must
/// also agree.
fn policy_body(s: &commons_core::State, f: &Fields) -> Result<Cbor, String> {
    let mut fields = Vec::new();
    if !f.get("line").is_empty() {
        let line = EventId::from_hex(f.get("line")).ok_or("Choose a budget line from the list.")?;
        fields.push(("line", Cbor::bytes(line.0.to_vec())));
    }
    let approvers = resolve_people(s, f.get("approvers"))?;
    if approvers.is_empty() || approvers.len() > expense::APPROVERS_MAX {
        return Err(format!(
            "Name 1 to {} approvers, by the name they publish here or their key.",
            expense::APPROVERS_MAX
        ));
    }
    let n = approvers.len() as u64;
    let approvals: u64 = f
        .get("approvals")
        .trim()
        .parse()
        .ok()
        .filter(|k| (1..=n).contains(k))
        .ok_or(format!(
            "The approvals needed are 1 to the {n} approvers named."
        ))?;
    fields.push((
        "approvers",
        Cbor::Array(
            approvers
                .iter()
                .map(|k| Cbor::bytes(k.to_bytes().to_vec()))
                .collect(),
        ),
    ));
    fields.push(("approvals", Cbor::Unsigned(approvals)));
    if !f.get("amount").is_empty() {
        let (_, above) = money_of(f)?;
        fields.push(("poll_above", Cbor::Unsigned(above)));
    }
    Ok(Cbor::text_map(fields))
}

/// `POST /c/{id}/spending/policy`: a treasurer sets how a budget line's expenses are
/// approved.
pub async fn set_policy(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path("/spending");
    let body = scope
        .inspect(&state, move |s| policy_body(s, &fields))
        .await?;
    sign_form(
        &state,
        viewer,
        &scope,
        (expense::POLICY, body),
        &back,
        "The policy is set: the line's expenses, those waiting too, are approved by it.",
    )
    .await
}

// ---------------------------------------------------------------------------------------
// One expense

/// What the viewer may do to an expense, as core would decide it.
fn expense_actions(s: &commons_core::State, e: &expense::Expense, key: Option<AuthorKey>) -> Value {
    let approver = key.is_some_and(|k| policy_of(s, &e.line).approvers.contains(&k));
    let treasurer = key.is_some_and(|k| is_treasurer(s, &k));
    let author = key == Some(e.author);
    let payee = key == Some(e.payee);
    let approved = key.is_some_and(|k| e.approvals.contains(&k));
    let open = !e.state.is_closed();
    context! {
        edit => author && open,
        cancel => author && open,
        approve => approver && !author && !payee && !approved && e.state == ExpenseState::Submitted,
        reject => approver && open,
        incomplete => approver && e.state == ExpenseState::Submitted,
        schedule => treasurer && e.state == ExpenseState::Approved,
        pay => treasurer && !approved && e.state.is_reserved(),
        reverse => treasurer && e.state == ExpenseState::Paid,
        approved_by_me => approved,
    }
}

/// `GET /c/{id}/expenses/{expense}`: the expense, its approval flow and history, and the
/// forms of whoever may act on it.
pub async fn expense_page(
    State(state): State<AppState>,
    Path((id, expense_id)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let expense_id = parse_event_id(&expense_id)?;
    let (key, seen) = (scope.key, scope.seen);
    let read = scope
        .inspect(&state, move |s| {
            let e = s.economy.expenses.expenses.get(&expense_id)?;
            let waiting: Vec<PersonJson> = policy_of(s, &e.line)
                .approvers
                .iter()
                .filter(|k| !e.approvals.contains(k) && **k != e.author && **k != e.payee)
                .map(|k| PersonJson::of(s, k))
                .collect();
            Some((
                expense_json(s, e),
                line_name(s, e.line.as_ref()),
                waiting,
                expense_actions(s, e, key),
                (e.description.clone(), e.currency.clone()),
                funded_lines(s),
                standing(s, key),
                unseen_notices(s, key, seen),
            ))
        })
        .await?;
    let Some((json, line, waiting, may, (description, currency), lines, standing, n_unseen)) = read
    else {
        return Err(no_expense());
    };
    let json: ExpenseJson = json;
    let page = context! {
        title => json.title.clone(),
        e => json,
        line_name => line,
        waiting => waiting,
        may => may,
        description => description,
        currency => currency,
        lines => lines,
        standing => standing,
        tab => "spending",
        ..scope.frame("value", n_unseen)
    };
    Ok(render(&state, viewer, "expense.html", page))
}

/// A reason the form must give (rejecting, asking for more, reversing).
fn required(f: &Fields, name: &str, problem: &str) -> Result<Cbor, String> {
    match f.get(name) {
        "" => Err(problem.to_owned()),
        text => Ok(Cbor::text(text)),
    }
}

/// The body of an expense action and what the flash says once it is signed.
fn expense_action(
    action: &str,
    target: &EventId,
    f: &Fields,
) -> Option<(&'static str, Result<Cbor, String>, &'static str)> {
    let expense = ("expense", Cbor::bytes(target.0.to_vec()));
    let with = |extra: Vec<(&'static str, Cbor)>| {
        Cbor::text_map(std::iter::once(expense.clone()).chain(extra))
    };
    let optional = |name: &'static str| -> Vec<(&'static str, Cbor)> {
        optional_texts(f, std::slice::from_ref(&name)).collect()
    };
    let decide = |decision: &str| {
        let reason = if decision == "approve" {
            Ok(optional("reason"))
        } else {
            required(f, "reason", "Tell the author why.").map(|r| vec![("reason", r)])
        };
        reason.map(|reason| {
            with(
                std::iter::once(("decision", Cbor::text(decision)))
                    .chain(reason)
                    .collect(),
            )
        })
    };
    Some(match action {
        "edit" => (
            expense::EDIT,
            expense_fields(f).map(&with),
            "The expense is changed; any approvals it had are cleared.",
        ),
        "approve" => (
            expense::DECIDE,
            decide("approve"),
            "Your approval is recorded.",
        ),
        "reject" => (
            expense::DECIDE,
            decide("reject"),
            "The expense is rejected.",
        ),
        "incomplete" => (
            expense::DECIDE,
            decide("incomplete"),
            "The author is asked for more.",
        ),
        "schedule" => (
            expense::SCHEDULE,
            Ok(with(optional("note"))),
            "The expense is scheduled for the next payment run.",
        ),
        "pay" => (
            expense::PAY,
            required(
                f,
                "reference",
                "Give the payment's reference (a transfer number).",
            )
            .map(|r| with(vec![("reference", r)])),
            "The payment is recorded.",
        ),
        "cancel" => (
            expense::CANCEL,
            Ok(with(optional("reason"))),
            "The expense is cancelled.",
        ),
        "reverse" => (
            expense::REVERSE,
            required(f, "reason", "Say why the payment came back.")
                .map(|r| with(vec![("reason", r)])),
            "The payment is reversed; the money is back in the treasury.",
        ),
        _ => return None,
    })
}

/// `POST /c/{id}/expenses/{expense}/{action}`: edit, approve, reject, incomplete,
/// schedule, pay, cancel or reverse.
pub async fn act_on_expense(
    State(state): State<AppState>,
    Path((id, expense_id, action)): Path<(String, String, String)>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let target = parse_event_id(&expense_id)?;
    let (kind, body, done) = expense_action(&action, &target, &fields)
        .ok_or_else(|| UiError::NotFound("There is no such action.".into()))?;
    let back = scope.path(&format!("/expenses/{}", target.to_hex()));
    sign_form(&state, viewer, &scope, (kind, body), &back, done).await
}

// ---------------------------------------------------------------------------------------
// Bounties

/// Reads the bounty form into a `bounty.fund` body for `task`.
fn bounty_body(f: &Fields, task: &EventId) -> Result<Cbor, String> {
    let (currency, amount) = money_of(f)?;
    let (source, reference) = (f.get("source"), f.get("reference"));
    if source.is_empty() || reference.is_empty() {
        return Err("Say who paid and give the reference that proves it.".to_owned());
    }
    let unresolved = match f.get("unresolved") {
        "refund" => "refund",
        _ => "treasury",
    };
    let mut fields = vec![
        ("task", Cbor::bytes(task.0.to_vec())),
        ("amount", Cbor::Unsigned(amount)),
        ("currency", Cbor::text(currency.code)),
        ("source", Cbor::text(source)),
        ("reference", Cbor::text(reference)),
        ("unresolved", Cbor::text(unresolved)),
    ];
    if !f.get("pledger").is_empty() {
        let pledger = AuthorKey::from_hex(f.get("pledger"))
            .map_err(|_| "The pledger is a person's key (64 hex digits).")?;
        fields.push(("pledger", Cbor::bytes(pledger.to_bytes().to_vec())));
    }
    Ok(Cbor::text_map(fields))
}

/// `POST /c/{id}/tasks/{task}/fund`: a treasurer records a pledge's money arriving into
/// the task's escrow.
pub async fn fund_bounty(
    State(state): State<AppState>,
    Path((id, task)): Path<(String, String)>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let task = parse_event_id(&task)?;
    let back = scope.path(&format!("/tasks/{}", task.to_hex()));
    sign_form(
        &state,
        viewer,
        &scope,
        (bounty::FUND, bounty_body(&fields, &task)),
        &back,
        "The bounty is funded: its money is held in escrow until the task closes.",
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Awards

/// Reads the award form into an `award.open` body; nominations close `days` after `now_ms`.
fn award_body(f: &Fields, now_ms: u64) -> Result<Cbor, String> {
    let title = f.get("title");
    if title.is_empty() {
        return Err("Give the award a title.".to_owned());
    }
    let (currency, amount) = money_of(f)?;
    let winners: u64 = f
        .get("winners")
        .parse()
        .ok()
        .filter(|w| (1..=WINNERS_MAX).contains(w))
        .ok_or(format!("The number of winners is 1 to {WINNERS_MAX}."))?;
    let days: u64 = f
        .get("days")
        .parse()
        .ok()
        .filter(|d| (1..=NOMINATION_DAYS_MAX).contains(d))
        .ok_or(format!(
            "Nominations stay open 1 to {NOMINATION_DAYS_MAX} days."
        ))?;
    let mut fields = vec![
        ("title", Cbor::text(title)),
        ("amount", Cbor::Unsigned(amount)),
        ("currency", Cbor::text(currency.code)),
        ("winners", Cbor::Unsigned(winners)),
        (
            "nominations_close_ms",
            Cbor::Unsigned(now_ms.saturating_add(days * 86_400_000)),
        ),
    ];
    fields.extend(optional_texts(f, &["description"]));
    Ok(Cbor::text_map(fields))
}

/// `POST /c/{id}/awards`: a treasurer opens an award, setting its prize aside.
pub async fn open_award(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CheckedForm(viewer, fields): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let back = scope.path("/spending");
    let body = award_body(&fields, state.node.now_ms());
    sign_form(
        &state,
        viewer,
        &scope,
        (award::OPEN, body),
        &back,
        "The award is open for nominations; its prize is set aside.",
    )
    .await
}

/// `GET /c/{id}/awards/{award}`: the award, its nominees and, once decided, its winners;
/// the nomination form for members and the cancel form for treasurers.
pub async fn award_page(
    State(state): State<AppState>,
    Path((id, award_id)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let scope = Scope::of(&state, &id, &viewer).await?;
    let award_id = parse_event_id(&award_id)?;
    let (key, seen) = (scope.key, scope.seen);
    let read = scope
        .inspect(&state, move |s| {
            let a = s.economy.awards.get(&award_id)?;
            let open = a.state == AwardState::Open;
            let taking = open && s.time_ms < a.nominations_close_ms;
            let member = key.is_some_and(|k| s.association.is_active_member(&identity(s, &k)));
            let choices: Vec<PersonJson> = if taking && member {
                s.agents
                    .iter()
                    .filter(|(_, agent)| agent.name.is_some())
                    .map(|(k, _)| k)
                    .filter(|k| !a.nominations.iter().any(|n| n.nominee == **k))
                    .take(NOMINEES_OFFERED_MAX)
                    .map(|k| PersonJson::of(s, k))
                    .collect()
            } else {
                Vec::new()
            };
            Some((
                award_json(s, a),
                context! {
                    nominate => taking && member,
                    cancel => open && key.is_some_and(|k| is_treasurer(s, &k)),
                    taking => taking,
                },
                choices,
                standing(s, key),
                unseen_notices(s, key, seen),
            ))
        })
        .await?;
    let Some((json, may, choices, standing, n_unseen)) = read else {
        return Err(no_award());
    };
    let json: AwardJson = json;
    let page = context! {
        title => json.title.clone(),
        a => json,
        may => may,
        choices => choices,
        standing => standing,
        tab => "spending",
        ..scope.frame("value", n_unseen)
    };
    Ok(render(&state, viewer, "award.html", page))
}

/// `POST /c/{id}/awards/{award}/nominate` and `…/cancel`.
pub async fn act_on_award(
    State(state): State<AppState>,
    Path((id, award_id, action)): Path<(String, String, String)>,
    CheckedForm(viewer, f): CheckedForm<Fields>,
) -> Result<Response, UiError> {
    let scope = Scope::acting(&state, &id, &viewer).await?;
    let target = parse_event_id(&award_id)?;
    let award = ("award", Cbor::bytes(target.0.to_vec()));
    let (kind, body, done) = match action.as_str() {
        "nominate" => (
            award::NOMINATE,
            AuthorKey::from_hex(f.get("nominee"))
                .map_err(|_| "Choose whom you nominate.".to_owned())
                .and_then(|nominee| {
                    required(&f, "reason", "Say why they deserve it.").map(|reason| {
                        Cbor::text_map([
                            award,
                            ("nominee", Cbor::bytes(nominee.to_bytes().to_vec())),
                            ("reason", reason),
                        ])
                    })
                }),
            "Your nomination is recorded.",
        ),
        "cancel" => (
            award::CANCEL,
            required(&f, "reason", "Say why the award is cancelled.")
                .map(|reason| Cbor::text_map([award, ("reason", reason)])),
            "The award is cancelled; its prize is back in the treasury.",
        ),
        _ => return Err(UiError::NotFound("There is no such action.".into())),
    };
    let back = scope.path(&format!("/awards/{}", target.to_hex()));
    sign_form(&state, viewer, &scope, (kind, body), &back, done).await
}
