//! Expenses: money the commons pays out for costs, claimed by the person who bore them
//! and approved under a per-budget-line policy before a treasurer pays it.
//!
//! | kind | who | what |
//! |---|---|---|
//! | `expense.file` | anyone | a new expense, as a draft or submitted |
//! | `expense.edit` | its author | changes it; after submission this clears every approval |
//! | `expense.decide` | an approver of its line | `approve`, `reject` or `incomplete` (asks the author for more) |
//! | `expense.schedule` | a treasurer | marks an approved expense for the next payment run |
//! | `expense.pay` | a treasurer who did not approve it | records the payment, with an external reference |
//! | `expense.cancel` | its author | withdraws it before it is paid |
//! | `expense.reverse` | a treasurer | a paid expense's payment came back (bounced, refunded) |
//! | `expense.policy` | a treasurer | the approval policy of one budget line |
//!
//! States: `draft` → `submitted` ⇄ `incomplete`; `submitted` → `approved` → `scheduled` →
//! `paid` → `reversed`; `rejected` and `cancelled` end it. An expense is charged to a
//! *budget line*: a project funded by a participatory budgeting round (its spending
//! authorisation), or the general treasury when it names none.
//!
//! The policy of a line names its approvers, how many must approve (k of n) and an amount
//! above which a poll of the association (decision `expense`) must also pass. Without a
//! policy the statutes' treasurers approve, `treasurer_approvals` of them. The author and
//! the payee never approve their own expense (`self_approval_forbidden`), and the treasurer
//! who pays it is never one of its approvers (`payer_is_approver`).
//!
//! On approval the amount is *reserved*: moved from the treasury to the expense's own
//! account, so it can no longer be promised twice; it must fit both the treasury and what
//! the budget line still has authorised (`over_budget`). Rejection, cancellation or an edit
//! releases it back; payment moves it out of the commons.

use super::money::{Account, Transfer};
use super::{
    NOTE_LEN_MAX, REFERENCE_LEN_MAX, read_amount, read_currency, require_treasurer, touch_lines,
};
use crate::association::budget::ProjectStatus;
use crate::body::BodyReader;
use crate::projection::RowKey;
use crate::rejection::{Rejection, RejectionCode, reject};
use crate::state::State;
use crate::{Applied, Input};
use commons_ledger::cbor::Value;
use commons_ledger::{AuthorKey, EventId};
use std::collections::{BTreeMap, BTreeSet};

pub const FILE: &str = "expense.file";
pub const EDIT: &str = "expense.edit";
pub const DECIDE: &str = "expense.decide";
pub const SCHEDULE: &str = "expense.schedule";
pub const PAY: &str = "expense.pay";
pub const CANCEL: &str = "expense.cancel";
pub const REVERSE: &str = "expense.reverse";
pub const POLICY: &str = "expense.policy";
pub const KINDS: [&str; 8] = [FILE, EDIT, DECIDE, SCHEDULE, PAY, CANCEL, REVERSE, POLICY];

/// Most expenses a commons keeps.
pub const EXPENSES_MAX: usize = 1_000_000;
/// Most expenses one author has open (not yet paid, rejected or cancelled).
pub const OPEN_PER_AUTHOR_MAX: usize = 50;
/// Most approvers one policy names.
pub const APPROVERS_MAX: usize = 32;
/// Most budget lines with a policy of their own.
pub const POLICIES_MAX: usize = 10_000;
/// Longest title, in bytes.
pub const TITLE_LEN_MAX: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpenseState {
    Draft,
    Submitted,
    Incomplete,
    Approved,
    Scheduled,
    Paid,
    Rejected,
    Cancelled,
    Reversed,
}

impl ExpenseState {
    pub fn as_str(&self) -> &'static str {
        match self {
            ExpenseState::Draft => "draft",
            ExpenseState::Submitted => "submitted",
            ExpenseState::Incomplete => "incomplete",
            ExpenseState::Approved => "approved",
            ExpenseState::Scheduled => "scheduled",
            ExpenseState::Paid => "paid",
            ExpenseState::Rejected => "rejected",
            ExpenseState::Cancelled => "cancelled",
            ExpenseState::Reversed => "reversed",
        }
    }

    /// Whether the expense holds a reservation in its own account.
    pub fn is_reserved(&self) -> bool {
        matches!(self, ExpenseState::Approved | ExpenseState::Scheduled)
    }

    /// Whether nothing more can happen to it but, once paid, a reversal.
    pub fn is_closed(&self) -> bool {
        matches!(
            self,
            ExpenseState::Paid
                | ExpenseState::Rejected
                | ExpenseState::Cancelled
                | ExpenseState::Reversed
        )
    }

    /// Whether its amount counts against its budget line.
    fn counts_against_line(&self) -> bool {
        matches!(
            self,
            ExpenseState::Approved | ExpenseState::Scheduled | ExpenseState::Paid
        )
    }
}

/// One step in an expense's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub by: AuthorKey,
    pub index: u64,
    pub time_ms: u64,
    /// What happened: `filed`, `edited`, `approve`, `reject`, `incomplete`, `poll`, …
    pub what: &'static str,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expense {
    pub id: EventId,
    pub author: AuthorKey,
    /// Who is paid (the author unless they claim for someone else).
    pub payee: AuthorKey,
    pub index: u64,
    pub title: String,
    pub description: Option<String>,
    pub amount: u64,
    pub currency: String,
    /// The budget project it is charged to; `None` for the general treasury.
    pub line: Option<EventId>,
    /// The invoice or receipt number (the document itself stays node-local).
    pub reference: Option<String>,
    pub state: ExpenseState,
    /// Approvals since the last edit.
    pub approvals: BTreeSet<AuthorKey>,
    /// The poll that approved it, when its amount needed one.
    pub poll: Option<EventId>,
    /// The payment's external reference, once paid.
    pub paid_reference: Option<String>,
    pub history: Vec<Step>,
}

/// How expenses on one budget line are approved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub approvers: Vec<AuthorKey>,
    pub approvals: u32,
    /// Above this amount a poll of the association must also pass.
    pub poll_above: Option<u64>,
}

/// Everything expenses add to the economy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expenses {
    pub expenses: BTreeMap<EventId, Expense>,
    /// Policies by budget line (`None`: the general treasury).
    pub policies: BTreeMap<Option<EventId>, Policy>,
}

impl Expenses {
    /// What a budget line has committed: approved, scheduled and paid expenses.
    pub fn committed(&self, line: &EventId) -> u64 {
        self.expenses
            .values()
            .filter(|e| e.line == Some(*line) && e.state.counts_against_line())
            .fold(0u64, |sum, e| sum.saturating_add(e.amount))
    }
}

/// The policy in force for `line`: its own, or the statutes' treasurers.
pub fn policy_of(state: &State, line: &Option<EventId>) -> Policy {
    if let Some(p) = state.economy.expenses.policies.get(line) {
        return p.clone();
    }
    let statutes = state.association.statutes.as_ref();
    Policy {
        approvers: statutes.map(|s| s.treasurers.clone()).unwrap_or_default(),
        approvals: statutes.map_or(1, |s| s.treasurer_approvals),
        poll_above: None,
    }
}

/// Whether the expense needs a poll of the association as well as its approvers.
pub fn needs_poll(state: &State, expense: &Expense) -> bool {
    policy_of(state, &expense.line)
        .poll_above
        .is_some_and(|limit| expense.amount > limit)
}

fn unknown<T>() -> Result<T, Rejection> {
    reject(RejectionCode::ExpenseUnknown, "no expense has that id")
}

fn wrong_state<T>(expense: &Expense, doing: &str) -> Result<T, Rejection> {
    reject(
        RejectionCode::ExpenseState,
        format!(
            "the expense is {}; it cannot be {doing}",
            expense.state.as_str()
        ),
    )
}

fn step(state: &State, input: &Input<'_>, what: &'static str, note: Option<String>) -> Step {
    Step {
        by: input.event.header.author,
        index: input.index,
        time_ms: state.time_ms,
        what,
        note,
    }
}

/// The fields `expense.file` and `expense.edit` share.
struct Fields {
    title: String,
    description: Option<String>,
    amount: u64,
    currency: String,
    line: Option<EventId>,
    payee: Option<AuthorKey>,
    reference: Option<String>,
    submit: bool,
}

fn read_fields(
    kind: &str,
    state: &State,
    reader: &mut BodyReader<'_>,
) -> Result<Fields, Rejection> {
    let title = reader.text("title", 1, TITLE_LEN_MAX)?;
    let description = reader.optional_text("description", 1, NOTE_LEN_MAX)?;
    let currency = read_currency(reader, kind)?;
    let line = match reader.optional("line") {
        None => None,
        Some(_) => Some(reader.event_id("line")?),
    };
    let payee = reader.optional_key("payee")?;
    let reference = reader.optional_text("reference", 1, REFERENCE_LEN_MAX)?;
    let submit = match reader.optional("submit") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return reject(
                RejectionCode::BodyInvalid,
                format!("{kind}: `submit` is true or false"),
            );
        }
    };
    if let Some(line) = &line {
        match state.association.budgets.projects.get(line) {
            Some(p) if matches!(p.status, ProjectStatus::Funded { .. }) => {}
            Some(_) => {
                return reject(
                    RejectionCode::OverBudget,
                    "that budget project is not funded, so it authorises no spending",
                );
            }
            None => {
                return reject(
                    RejectionCode::BudgetProjectUnknown,
                    "`line` names no budget project",
                );
            }
        }
    }
    Ok(Fields {
        title,
        description,
        amount: 0,
        currency,
        line,
        payee,
        reference,
        submit,
    })
}

/// `expense.file`.
pub(crate) fn file(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let amount = read_amount(FILE, input.body, "amount")?;
    let mut reader = BodyReader::new(FILE, input.body)?;
    reader.require_key("amount")?;
    let mut fields = read_fields(FILE, state, &mut reader)?;
    reader.finish()?;
    fields.amount = amount;
    let expenses = &state.economy.expenses;
    if expenses.expenses.len() >= EXPENSES_MAX {
        return crate::production::limit_reached("expenses", EXPENSES_MAX);
    }
    let open = expenses
        .expenses
        .values()
        .filter(|e| e.author == author && !e.state.is_closed())
        .count();
    if open >= OPEN_PER_AUTHOR_MAX {
        return crate::production::limit_reached("open expenses per author", OPEN_PER_AUTHOR_MAX);
    }
    let id = input.event.id;
    let history = vec![step(state, input, "filed", None)];
    state.economy.expenses.expenses.insert(
        id,
        Expense {
            id,
            author,
            payee: fields.payee.unwrap_or(author),
            index: input.index,
            title: fields.title,
            description: fields.description,
            amount: fields.amount,
            currency: fields.currency,
            line: fields.line,
            reference: fields.reference,
            state: if fields.submit {
                ExpenseState::Submitted
            } else {
                ExpenseState::Draft
            },
            approvals: BTreeSet::new(),
            poll: None,
            paid_reference: None,
            history,
        },
    );
    let mut applied = Applied::default();
    applied.touch(RowKey::Expense(id));
    Ok(applied)
}

/// Reads `{expense: id, ...}` and returns the expense's id.
fn target(state: &State, reader: &mut BodyReader<'_>) -> Result<EventId, Rejection> {
    let id = reader.event_id("expense")?;
    if state.economy.expenses.expenses.contains_key(&id) {
        Ok(id)
    } else {
        unknown()
    }
}

/// Moves a reservation back to the treasury, when the expense holds one.
fn release(state: &mut State, input: &Input<'_>, id: &EventId) -> Result<(), Rejection> {
    let Some(e) = state.economy.expenses.expenses.get(id) else {
        return unknown();
    };
    if !e.state.is_reserved() {
        return Ok(());
    }
    let transfer = Transfer {
        from: Account::Reserved(*id),
        to: Account::Treasury,
        amount: e.amount,
        currency: e.currency.clone(),
    };
    super::post(state, input, vec![transfer], RELEASE_MEMO)
}

const RELEASE_MEMO: &str = "expense.release";

/// `expense.edit`: the author changes the expense; after submission this clears its
/// approvals (and releases what an approval reserved), so the approvers see it again.
pub(crate) fn edit(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let author = input.event.header.author;
    let amount = read_amount(EDIT, input.body, "amount")?;
    let mut reader = BodyReader::new(EDIT, input.body)?;
    reader.require_key("amount")?;
    let id = target(state, &mut reader)?;
    let mut fields = read_fields(EDIT, state, &mut reader)?;
    reader.finish()?;
    fields.amount = amount;
    let e = &state.economy.expenses.expenses[&id];
    if e.author != author {
        return reject(
            RejectionCode::NotAuthor,
            "only the expense's author edits it",
        );
    }
    if e.state.is_closed() {
        return wrong_state(e, "edited");
    }
    let was_draft = e.state == ExpenseState::Draft;
    release(state, input, &id)?;
    let history_step = step(state, input, "edited", None);
    let Some(e) = state.economy.expenses.expenses.get_mut(&id) else {
        return unknown();
    };
    e.title = fields.title;
    e.description = fields.description;
    e.amount = fields.amount;
    e.currency = fields.currency;
    e.line = fields.line;
    e.payee = fields.payee.unwrap_or(author);
    e.reference = fields.reference;
    e.approvals.clear();
    e.poll = None;
    e.state = if was_draft && !fields.submit {
        ExpenseState::Draft
    } else {
        ExpenseState::Submitted
    };
    e.history.push(history_step);
    let mut applied = Applied::default();
    touch_lines(state, &input.event.id, &mut applied);
    applied.touch(RowKey::Expense(id));
    Ok(applied)
}

/// The reservation the expense needs once it has its approvals (counting `extra`, an
/// approval being given) and its poll, when its amount needs one: `None` while it waits.
/// Refuses when the treasury or the budget line cannot cover it. Changes nothing.
fn reservation(
    state: &State,
    id: &EventId,
    extra: Option<&AuthorKey>,
) -> Result<Option<Transfer>, Rejection> {
    let Some(e) = state.economy.expenses.expenses.get(id) else {
        return unknown();
    };
    let policy = policy_of(state, &e.line);
    let approvals = e
        .approvals
        .iter()
        .chain(extra.filter(|k| !e.approvals.contains(k)))
        .filter(|k| policy.approvers.contains(k))
        .count();
    if approvals < policy.approvals as usize || (needs_poll(state, e) && e.poll.is_none()) {
        return Ok(None);
    }
    if let Some(line) = &e.line {
        let budgets = &state.association.budgets;
        if budgets
            .authorisations
            .iter()
            .any(|a| a.project == *line && a.currency != e.currency)
        {
            return reject(
                RejectionCode::CurrencyMismatch,
                "the budget line is authorised in another currency",
            );
        }
        let authorised = budgets.authorised(line);
        let committed = state.economy.expenses.committed(line);
        if committed.saturating_add(e.amount) > authorised {
            return reject(
                RejectionCode::OverBudget,
                format!(
                    "the budget line has {authorised} {} authorised and {committed} committed; {} more does not fit",
                    e.currency, e.amount
                ),
            );
        }
    }
    let transfer = Transfer {
        from: Account::Treasury,
        to: Account::Reserved(*id),
        amount: e.amount,
        currency: e.currency.clone(),
    };
    state.economy.books.check(std::slice::from_ref(&transfer))?;
    Ok(Some(transfer))
}

/// Posts a reservation and marks the expense approved.
fn reserve(
    state: &mut State,
    input: &Input<'_>,
    id: &EventId,
    transfer: Transfer,
) -> Result<(), Rejection> {
    super::post(state, input, vec![transfer], DECIDE)?;
    if let Some(e) = state.economy.expenses.expenses.get_mut(id) {
        e.state = ExpenseState::Approved;
    }
    Ok(())
}

/// `expense.decide`: an approver approves, rejects, or marks the expense incomplete.
pub(crate) fn decide(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let by = input.event.header.author;
    let mut reader = BodyReader::new(DECIDE, input.body)?;
    let id = target(state, &mut reader)?;
    let decision = reader.text("decision", 1, 16)?;
    let reason = reader.optional_text("reason", 1, NOTE_LEN_MAX)?;
    reader.finish()?;
    let e = &state.economy.expenses.expenses[&id];
    let policy = policy_of(state, &e.line);
    if !policy.approvers.contains(&by) {
        return reject(
            RejectionCode::NotApprover,
            "only an approver of the expense's budget line decides on it",
        );
    }
    let what: &'static str = match decision.as_str() {
        "approve" => {
            if by == e.author || by == e.payee {
                return reject(
                    RejectionCode::SelfApprovalForbidden,
                    "nobody approves an expense they filed or are paid by",
                );
            }
            if e.state != ExpenseState::Submitted {
                return wrong_state(e, "approved");
            }
            if e.approvals.contains(&by) {
                return reject(
                    RejectionCode::AlreadyApproved,
                    "you already approved this expense",
                );
            }
            "approve"
        }
        "reject" | "incomplete" => {
            if reason.is_none() {
                return reject(
                    RejectionCode::BodyInvalid,
                    format!("{DECIDE}: a `reason` tells the author why"),
                );
            }
            let allowed = if decision == "reject" {
                !e.state.is_closed()
            } else {
                e.state == ExpenseState::Submitted
            };
            if !allowed {
                return wrong_state(e, "decided on");
            }
            if decision == "reject" {
                "reject"
            } else {
                "incomplete"
            }
        }
        _ => {
            return reject(
                RejectionCode::BodyInvalid,
                format!("{DECIDE}: `decision` is approve, reject or incomplete"),
            );
        }
    };
    let reserving = if what == "approve" {
        reservation(state, &id, Some(&by))?
    } else {
        None
    };
    if what == "reject" {
        release(state, input, &id)?;
    }
    let history_step = step(state, input, what, reason);
    if let Some(e) = state.economy.expenses.expenses.get_mut(&id) {
        match what {
            "approve" => {
                e.approvals.insert(by);
            }
            "reject" => e.state = ExpenseState::Rejected,
            _ => {
                e.state = ExpenseState::Incomplete;
                e.approvals.clear();
            }
        }
        e.history.push(history_step);
    }
    if let Some(transfer) = reserving {
        reserve(state, input, &id, transfer)?;
    }
    let mut applied = Applied::default();
    touch_lines(state, &input.event.id, &mut applied);
    applied.touch(RowKey::Expense(id));
    Ok(applied)
}

/// A passed `expense` poll: the association's approval of an expense whose amount needs
/// one. Returns what it did, for the poll's result.
pub(crate) fn poll_passed(
    state: &mut State,
    input: &Input<'_>,
    poll: &EventId,
    id: &EventId,
    applied: &mut Applied,
) -> String {
    let Some(e) = state.economy.expenses.expenses.get_mut(id) else {
        return "not applied: the expense is unknown".into();
    };
    if e.state != ExpenseState::Submitted {
        return format!("not applied: the expense is {}", e.state.as_str());
    }
    e.poll = Some(*poll);
    e.history.push(Step {
        by: input.event.header.author,
        index: input.index,
        time_ms: state.time_ms,
        what: "poll",
        note: Some(poll.to_hex()),
    });
    applied.touch(RowKey::Expense(*id));
    match reservation(state, id, None).and_then(|t| match t {
        Some(transfer) => reserve(state, input, id, transfer).map(|()| true),
        None => Ok(false),
    }) {
        Ok(true) => {
            touch_lines(state, &input.event.id, applied);
            "the expense is approved".into()
        }
        Ok(false) => "the association agreed; the expense waits for its approvers".into(),
        Err(r) => format!("the association agreed, but {}", r.message),
    }
}

/// Ends a step of the workflow: records it in the expense's history, moves the expense to
/// `next` and reports the rows touched (its own and the event's money lines).
fn conclude(
    state: &mut State,
    input: &Input<'_>,
    id: &EventId,
    next: ExpenseState,
    what: &'static str,
    note: Option<String>,
) -> Applied {
    let history_step = step(state, input, what, note);
    if let Some(e) = state.economy.expenses.expenses.get_mut(id) {
        e.state = next;
        e.history.push(history_step);
    }
    let mut applied = Applied::default();
    touch_lines(state, &input.event.id, &mut applied);
    applied.touch(RowKey::Expense(*id));
    applied
}

/// `expense.schedule`: a treasurer queues an approved expense for payment.
pub(crate) fn schedule(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    require_treasurer(state, &input.event.header.author, "schedule an expense")?;
    let mut reader = BodyReader::new(SCHEDULE, input.body)?;
    let id = target(state, &mut reader)?;
    let note = reader.optional_text("note", 1, NOTE_LEN_MAX)?;
    reader.finish()?;
    let e = &state.economy.expenses.expenses[&id];
    if e.state != ExpenseState::Approved {
        return wrong_state(e, "scheduled");
    }
    Ok(conclude(
        state,
        input,
        &id,
        ExpenseState::Scheduled,
        "scheduled",
        note,
    ))
}

/// `expense.pay`: a treasurer who is not one of its approvers records the payment.
pub(crate) fn pay(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let by = input.event.header.author;
    require_treasurer(state, &by, "pay an expense")?;
    let mut reader = BodyReader::new(PAY, input.body)?;
    let id = target(state, &mut reader)?;
    let reference = reader.text("reference", 1, REFERENCE_LEN_MAX)?;
    reader.finish()?;
    let e = &state.economy.expenses.expenses[&id];
    if !e.state.is_reserved() {
        return wrong_state(e, "paid");
    }
    if e.approvals.contains(&by) {
        return reject(
            RejectionCode::PayerIsApprover,
            "the treasurer who pays an expense is never one who approved it",
        );
    }
    let transfer = Transfer {
        from: Account::Reserved(id),
        to: Account::PaidOut,
        amount: e.amount,
        currency: e.currency.clone(),
    };
    super::post(state, input, vec![transfer], PAY)?;
    if let Some(e) = state.economy.expenses.expenses.get_mut(&id) {
        e.paid_reference = Some(reference.clone());
    }
    Ok(conclude(
        state,
        input,
        &id,
        ExpenseState::Paid,
        "paid",
        Some(reference),
    ))
}

/// `expense.cancel`: the author withdraws an expense that is not paid yet.
pub(crate) fn cancel(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    let mut reader = BodyReader::new(CANCEL, input.body)?;
    let id = target(state, &mut reader)?;
    let reason = reader.optional_text("reason", 1, NOTE_LEN_MAX)?;
    reader.finish()?;
    let e = &state.economy.expenses.expenses[&id];
    if e.author != input.event.header.author {
        return reject(
            RejectionCode::NotAuthor,
            "only the expense's author cancels it",
        );
    }
    if e.state.is_closed() {
        return wrong_state(e, "cancelled");
    }
    release(state, input, &id)?;
    Ok(conclude(
        state,
        input,
        &id,
        ExpenseState::Cancelled,
        "cancelled",
        reason,
    ))
}

/// `expense.reverse`: a paid expense's payment came back; the money returns to the
/// treasury and the expense no longer counts against its line.
pub(crate) fn reverse(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    require_treasurer(state, &input.event.header.author, "reverse an expense")?;
    let mut reader = BodyReader::new(REVERSE, input.body)?;
    let id = target(state, &mut reader)?;
    let reason = reader.text("reason", 1, NOTE_LEN_MAX)?;
    reader.finish()?;
    let e = &state.economy.expenses.expenses[&id];
    if e.state != ExpenseState::Paid {
        return wrong_state(e, "reversed");
    }
    let transfer = Transfer {
        from: Account::PaidOut,
        to: Account::Treasury,
        amount: e.amount,
        currency: e.currency.clone(),
    };
    super::post(state, input, vec![transfer], REVERSE)?;
    Ok(conclude(
        state,
        input,
        &id,
        ExpenseState::Reversed,
        "reversed",
        Some(reason),
    ))
}

/// `expense.policy`: a treasurer sets how one budget line's expenses are approved.
pub(crate) fn set_policy(state: &mut State, input: &Input<'_>) -> Result<Applied, Rejection> {
    require_treasurer(state, &input.event.header.author, "set an expense policy")?;
    let mut reader = BodyReader::new(POLICY, input.body)?;
    let line = match reader.optional("line") {
        None => None,
        Some(_) => Some(reader.event_id("line")?),
    };
    let approvers = reader
        .optional_keys("approvers", APPROVERS_MAX)?
        .unwrap_or_default();
    let approvals = reader.uint("approvals")?;
    let poll_above = reader.optional_uint("poll_above")?;
    reader.finish()?;
    if let Some(line) = &line
        && !state.association.budgets.projects.contains_key(line)
    {
        return reject(
            RejectionCode::BudgetProjectUnknown,
            "`line` names no budget project",
        );
    }
    let distinct: BTreeSet<&AuthorKey> = approvers.iter().collect();
    if approvers.is_empty() || distinct.len() != approvers.len() {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{POLICY}: `approvers` lists 1 to {APPROVERS_MAX} distinct keys"),
        );
    }
    if approvals == 0 || approvals > approvers.len() as u64 {
        return reject(
            RejectionCode::BodyInvalid,
            format!("{POLICY}: `approvals` is 1 to the number of approvers"),
        );
    }
    if poll_above.is_some_and(|a| a > super::AMOUNT_MAX) {
        return reject(RejectionCode::AmountInvalid, "`poll_above` is too large");
    }
    let policies = &mut state.economy.expenses.policies;
    if !policies.contains_key(&line) && policies.len() >= POLICIES_MAX {
        return crate::production::limit_reached("expense policies", POLICIES_MAX);
    }
    policies.insert(
        line,
        Policy {
            approvers,
            approvals: approvals as u32,
            poll_above,
        },
    );
    let mut applied = Applied::default();
    applied.touch(RowKey::ExpensePolicies);
    Ok(applied)
}
