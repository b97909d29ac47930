//! Private details in the browser: a person's payment details (the owner edits them, a
//! treasurer reads them) and the invoices and receipts of an expense (its author and the
//! treasurers list, upload and download them). Every page says who can see it, and who
//! may is decided by [`crate::private`], the same code that answers the API.
//!
//! `/c/{id}/private` lists what the viewer may open: their own payment details, and the
//! expenses whose documents they may see (their own, or all of them for a treasurer).
//! An expense's page (`/c/{id}/private/expenses/{expense}`) is where its attachments
//! live until the public expense page links it.

use super::explorer::{account_key, commons_of};
use super::session::{CheckedForm, Flash, FlashKind, Viewer};
use super::{UiError, render};
use crate::AppState;
use crate::error::ApiError;
use crate::private::{
    Access, AttachmentJson, Caller, PaymentDetailsInput, PaymentDetailsJson, attach,
    expense_access, payment_access, save_payment_details,
};
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use commons_ledger::{AuthorKey, CommonsId, EventId};
use commons_store::{
    ATTACHMENT_BYTES_MAX, ATTACHMENTS_PER_EXPENSE_MAX, AttachmentMediaType, PrivateStore,
};
use minijinja::context;
use serde::Deserialize;

/// Most expenses the private overview lists (the latest first).
pub const PRIVATE_EXPENSES_LISTED_MAX: usize = 200;
/// Largest upload form: one attachment and the form's other fields.
pub const UPLOAD_FORM_BYTES_MAX: usize = ATTACHMENT_BYTES_MAX + 64 * 1024;

/// The logged-in caller, or the login page.
async fn caller_of(state: &AppState, viewer: &Viewer) -> Result<Caller, UiError> {
    Caller::of(state, viewer)
        .await?
        .ok_or(UiError::LoginRequired)
}

fn parse_key(text: &str) -> Result<AuthorKey, UiError> {
    AuthorKey::from_hex(text)
        .map_err(|_| UiError::NotFound("There is no person with that key.".into()))
}

fn parse_expense(text: &str) -> Result<EventId, UiError> {
    EventId::from_hex(text)
        .ok_or_else(|| UiError::NotFound("There is no expense with that id.".into()))
}

fn commons_ctx(id: &CommonsId, name: &str) -> minijinja::Value {
    context! { id => id.to_hex(), name => name }
}

/// `GET /c/{id}/private`: what the viewer may open here.
pub async fn overview(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let caller = caller_of(&state, &viewer).await?;
    let keys = caller.keys.clone();
    let expenses = crate::production::inspect(&state, &view.id, move |s| {
        let treasurers = s
            .association
            .statutes
            .as_ref()
            .map(|st| st.treasurers.clone())
            .unwrap_or_default();
        let treasurer = keys.iter().any(|k| treasurers.contains(k));
        let listed: Vec<(String, String, String, String)> = s
            .economy
            .expenses
            .expenses
            .values()
            .rev()
            .filter(|e| treasurer || keys.contains(&e.author))
            .take(PRIVATE_EXPENSES_LISTED_MAX)
            .map(|e| {
                (
                    e.id.to_hex(),
                    e.title.clone(),
                    e.state.as_str().to_owned(),
                    e.author.to_hex(),
                )
            })
            .collect();
        (treasurer, listed)
    })
    .await?;
    let (treasurer, listed) = expenses;
    let expenses: Vec<minijinja::Value> = listed
        .into_iter()
        .map(|(id, title, state, author)| context! { id, title, state, author })
        .collect();
    let own_key = account_key(&state, &viewer).await?;
    let keys: Vec<String> = own_key
        .into_iter()
        .chain(caller.keys.iter().copied())
        .map(|k| k.to_hex())
        .fold(Vec::new(), |mut keys, k| {
            if !keys.contains(&k) {
                keys.push(k);
            }
            keys
        });
    Ok(render(
        &state,
        viewer,
        "private.html",
        context! {
            title => "Private details",
            commons => commons_ctx(&view.id, &view.governance.name),
            keys => keys,
            treasurer => treasurer,
            expenses => expenses,
        },
    ))
}

/// `GET /c/{id}/private/payment-details/{key}`: the form for the owner, the details for a
/// treasurer, 403 for anyone else.
pub async fn payment_details_page(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let person = parse_key(&key)?;
    let caller = caller_of(&state, &viewer).await?;
    let access = payment_access(&state, &view.id, &caller, &person).await?;
    let stored = state
        .node
        .store()
        .payment_details(&view.id, &person)
        .await?
        .map(|stored| PaymentDetailsJson::of(&stored, access));
    Ok(render(
        &state,
        viewer,
        "payment_details.html",
        context! {
            title => "Payment details",
            commons => commons_ctx(&view.id, &view.governance.name),
            person => person.to_hex(),
            owner => access == Access::Owner,
            details => stored,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct PaymentForm {
    holder_name: String,
    iban: String,
    #[serde(default)]
    bic: String,
    #[serde(default)]
    note: String,
}

/// `POST /c/{id}/private/payment-details/{key}`: the owner saves their details; a value
/// that does not validate comes back as a flash with its code, and nothing is stored.
pub async fn save_payment_details_form(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
    CheckedForm(viewer, form): CheckedForm<PaymentForm>,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let person = parse_key(&key)?;
    let caller = caller_of(&state, &viewer).await?;
    if payment_access(&state, &view.id, &caller, &person).await? != Access::Owner {
        return Err(UiError::Forbidden(
            "Only the person themselves changes their payment details.".into(),
        ));
    }
    let back = format!(
        "/c/{}/private/payment-details/{}",
        view.id.to_hex(),
        person.to_hex()
    );
    let input = PaymentDetailsInput {
        holder_name: form.holder_name,
        iban: form.iban,
        bic: Some(form.bic),
        note: Some(form.note),
    };
    let flash = match save_payment_details(&state, &view.id, &person, &input).await {
        Ok(_) => Flash {
            kind: FlashKind::Success,
            message: "Your payment details are saved.".into(),
        },
        Err(ApiError::BadRequest { code, message }) => Flash {
            kind: FlashKind::Error,
            message: format!("{code}: {message}. Nothing was saved."),
        },
        Err(other) => return Err(other.into()),
    };
    let ui = state.ui.clone();
    Ok(viewer.redirect(&ui, &back, Some(flash)))
}

/// `GET /c/{id}/private/expenses/{expense}`: the expense's private attachments and the
/// upload form, for its author and the treasurers.
pub async fn expense_page(
    State(state): State<AppState>,
    Path((id, expense)): Path<(String, String)>,
    viewer: Viewer,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let expense = parse_expense(&expense)?;
    let caller = caller_of(&state, &viewer).await?;
    let (access, author) = expense_access(&state, &view.id, &caller, &expense).await?;
    let title = crate::production::inspect(&state, &view.id, move |s| {
        s.economy
            .expenses
            .expenses
            .get(&expense)
            .map(|e| e.title.clone())
    })
    .await?
    .unwrap_or_default();
    let attachments: Vec<AttachmentJson> = state
        .node
        .store()
        .attachments(&view.id, &expense)
        .await?
        .iter()
        .map(|meta| AttachmentJson::of(&view.id, &expense, meta))
        .collect();
    let full = attachments.len() >= ATTACHMENTS_PER_EXPENSE_MAX as usize;
    Ok(render(
        &state,
        viewer,
        "expense_private.html",
        context! {
            title => "Private documents of an expense",
            commons => commons_ctx(&view.id, &view.governance.name),
            expense => expense.to_hex(),
            expense_title => title,
            author => author.to_hex(),
            treasurer => access == Access::Treasurer,
            attachments => attachments,
            full => full,
            attachments_max => ATTACHMENTS_PER_EXPENSE_MAX,
            bytes_max_mib => ATTACHMENT_BYTES_MAX / (1024 * 1024),
        },
    ))
}

/// One file read from the upload form.
struct Upload {
    file_name: String,
    content_type: String,
    bytes: Vec<u8>,
}

/// Reads the upload form: its CSRF token (checked before the file is kept) and its file.
async fn read_upload(viewer: &Viewer, mut form: Multipart) -> Result<Upload, String> {
    let mut checked = false;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| format!("The upload could not be read: {e}."))?
    {
        match field.name() {
            Some("csrf") => {
                let token = field.text().await.map_err(|e| e.to_string())?;
                checked = viewer.check_csrf(Some(&token)).is_ok();
            }
            Some("file") if checked => {
                let file_name = field.file_name().unwrap_or("").to_owned();
                let content_type = field.content_type().unwrap_or("").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| format!("A file is at most {ATTACHMENT_BYTES_MAX} bytes."))?;
                return Ok(Upload {
                    file_name,
                    content_type,
                    bytes: bytes.to_vec(),
                });
            }
            _ => {}
        }
    }
    Err(if checked {
        "Choose a file to attach.".into()
    } else {
        "This form is out of date or was not sent from this site. Reload the page and try again."
            .into()
    })
}

/// `POST /c/{id}/private/expenses/{expense}/attachments`: the author or a treasurer
/// attaches a file (multipart form, CSRF token first).
pub async fn upload_attachment(
    State(state): State<AppState>,
    Path((id, expense)): Path<(String, String)>,
    viewer: Viewer,
    form: Multipart,
) -> Result<Response, UiError> {
    let view = commons_of(&state, &id)?;
    let expense = parse_expense(&expense)?;
    let caller = caller_of(&state, &viewer).await?;
    expense_access(&state, &view.id, &caller, &expense).await?;
    let back = format!(
        "/c/{}/private/expenses/{}",
        view.id.to_hex(),
        expense.to_hex()
    );
    let refused = |message: String| Flash {
        kind: FlashKind::Error,
        message,
    };
    let flash = match read_upload(&viewer, form).await {
        Err(problem) => refused(problem),
        Ok(upload) => {
            let attached = match AttachmentMediaType::parse(&upload.content_type) {
                Err(error) => Err(ApiError::from(error)),
                Ok(media_type) => {
                    let (file_name, bytes) = (upload.file_name, upload.bytes);
                    attach(
                        &state, &view.id, &expense, &caller, &file_name, media_type, bytes,
                    )
                    .await
                }
            };
            match attached {
                Ok(meta) => Flash {
                    kind: FlashKind::Success,
                    message: format!("{} is attached.", meta.file_name),
                },
                Err(fault @ (ApiError::Fault(_) | ApiError::ShuttingDown)) => {
                    return Err(fault.into());
                }
                Err(error) => refused(format!(
                    "{}: {}. Nothing was attached.",
                    error.code(),
                    error.message()
                )),
            }
        }
    };
    let ui = state.ui.clone();
    Ok(viewer.redirect(&ui, &back, Some(flash)))
}
