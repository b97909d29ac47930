//! `/api/v1/commons/{id}/private/…`: the node-local private details of value sharing —
//! a person's payment details and the invoices and receipts behind an expense — which
//! never enter the ledger (`commons_store::PrivateStore`).
//!
//! Who may see them is decided here, once, for the API and the pages ([`access`]):
//! the owner (the web account holding the person's key, or the expense author's key)
//! and the commons' treasurers as core's state names them (the statutes' `treasurers`).
//! Only the owner writes payment details; the expense's author or a treasurer attaches
//! documents. Anyone else gets 403 `private_forbidden`, and a caller without a session
//! 401 `login_required`. The caller is the browser session (`ui::session::Viewer`); a
//! write needs a non-form content type (JSON, PDF, PNG, JPEG) or `PUT`, which another
//! site cannot send with the `SameSite=Lax` cookie, so these routes need no CSRF token.
//! Every answer is `Cache-Control: private, no-store`, and nothing here is logged.

use crate::AppState;
use crate::api::read_body;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, parse_author, parse_commons_id, parse_event_id};
use crate::production::inspect;
use crate::ui::session::Viewer;
use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commons_ledger::{AuthorKey, CommonsId, EventId};
use commons_store::{
    ATTACHMENT_BYTES_MAX, ATTACHMENT_TOO_LARGE, ATTACHMENTS_FULL, ATTACHMENTS_PER_EXPENSE_MAX,
    AccountStore, AttachmentMediaType, AttachmentMeta, Bic, Iban, NewAttachment, PaymentDetails,
    PrivateStore, PrivateValueError, StoreError, StoredPaymentDetails,
};
use serde::{Deserialize, Serialize};

/// The code of a request by someone who is neither the owner nor a treasurer.
pub const PRIVATE_FORBIDDEN: &str = "private_forbidden";
/// The code of a request without a logged-in session.
pub const LOGIN_REQUIRED: &str = "login_required";
/// Largest payment-details body, in bytes: the longest holder name, IBAN, BIC and note
/// with room for JSON escapes.
pub const PAYMENT_DETAILS_BODY_BYTES_MAX: usize = 16 * 1024;
/// How every private answer may be cached: by nobody.
pub const PRIVATE_CACHE_CONTROL: &str = "private, no-store";

/// Why the caller may see a private record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// The caller's account holds the owner's key.
    Owner,
    /// One of the caller's keys is a treasurer of the commons.
    Treasurer,
}

/// Who may see a private record of `owner` in a commons whose treasurers are
/// `treasurers`, for a caller holding `keys`: the owner first, then a treasurer, else
/// nobody.
pub fn access(keys: &[AuthorKey], owner: &AuthorKey, treasurers: &[AuthorKey]) -> Option<Access> {
    if keys.contains(owner) {
        Some(Access::Owner)
    } else if keys.iter().any(|key| treasurers.contains(key)) {
        Some(Access::Treasurer)
    } else {
        None
    }
}

fn forbidden(what: &str) -> ApiError {
    ApiError::Forbidden {
        code: PRIVATE_FORBIDDEN,
        message: format!("{what} is visible only to its owner and the treasurers of this commons"),
    }
}

/// The logged-in caller and every key their account holds.
#[derive(Clone, Debug)]
pub struct Caller {
    pub keys: Vec<AuthorKey>,
}

impl Caller {
    /// The caller behind `viewer`; `None` when nobody is logged in.
    pub async fn of(state: &AppState, viewer: &Viewer) -> Result<Option<Caller>, ApiError> {
        let Some(account) = &viewer.account else {
            return Ok(None);
        };
        let keys = state.node.store().account_keys(account.id).await?;
        Ok(Some(Caller {
            keys: keys.into_iter().map(|k| k.key).collect(),
        }))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let viewer = Viewer::from_request_parts(parts, state)
            .await
            .map_err(|error| ApiError::Fault(format!("reading the session: {error:?}")))?;
        Caller::of(state, &viewer)
            .await?
            .ok_or_else(|| ApiError::Unauthorized {
                code: LOGIN_REQUIRED,
                message: "private details need a logged-in account".into(),
            })
    }
}

/// What core's state says about a commons' private details: its treasurers, and the
/// author of the expense asked about (`None` when there is no such expense).
pub async fn treasurers_and_author(
    state: &AppState,
    commons: &CommonsId,
    expense: Option<EventId>,
) -> Result<(Vec<AuthorKey>, Option<AuthorKey>), ApiError> {
    inspect(state, commons, move |s| {
        let treasurers = s
            .association
            .statutes
            .as_ref()
            .map(|statutes| statutes.treasurers.clone())
            .unwrap_or_default();
        let author = expense
            .and_then(|id| s.economy.expenses.expenses.get(&id))
            .map(|e| e.author);
        (treasurers, author)
    })
    .await
}

/// The access `caller` has to `person`'s payment details in `commons`, or 403.
pub async fn payment_access(
    state: &AppState,
    commons: &CommonsId,
    caller: &Caller,
    person: &AuthorKey,
) -> Result<Access, ApiError> {
    let (treasurers, _) = treasurers_and_author(state, commons, None).await?;
    access(&caller.keys, person, &treasurers).ok_or_else(|| forbidden("payment details"))
}

/// The access `caller` has to the attachments of `expense` in `commons`: 404 when the
/// commons has no such expense (that much is public), 403 when they may not.
pub async fn expense_access(
    state: &AppState,
    commons: &CommonsId,
    caller: &Caller,
    expense: &EventId,
) -> Result<(Access, AuthorKey), ApiError> {
    let (treasurers, author) = treasurers_and_author(state, commons, Some(*expense)).await?;
    let author = author.ok_or_else(|| {
        ApiError::not_found(
            "unknown_expense",
            "this commons has no expense with that id",
        )
    })?;
    let access = access(&caller.keys, &author, &treasurers)
        .ok_or_else(|| forbidden("an expense's attachments"))?;
    Ok((access, author))
}

impl From<PrivateValueError> for ApiError {
    fn from(error: PrivateValueError) -> ApiError {
        ApiError::bad_request(error.code(), error.to_string())
    }
}

/// Maps the store's refusals of an attachment to their codes; faults stay faults.
fn attachment_refused(error: StoreError) -> ApiError {
    if error.is_limit(ATTACHMENT_TOO_LARGE) {
        ApiError::TooLarge {
            code: ATTACHMENT_TOO_LARGE,
            message: format!("an attachment is at most {ATTACHMENT_BYTES_MAX} bytes"),
        }
    } else if error.is_limit(ATTACHMENTS_FULL) {
        ApiError::Conflict {
            code: ATTACHMENTS_FULL,
            message: format!("an expense has at most {ATTACHMENTS_PER_EXPENSE_MAX} attachments"),
        }
    } else {
        error.into()
    }
}

/// A private answer: never cached, never sniffed.
fn private_response(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(PRIVATE_CACHE_CONTROL),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

// ---------------------------------------------------------------------------------------
// Payment details

/// Payment details as the API shows them.
#[derive(Debug, Serialize)]
pub struct PaymentDetailsJson {
    pub person: String,
    pub holder_name: String,
    /// Electronic form: uppercase, no spaces.
    pub iban: String,
    /// Paper form, in groups of four.
    pub iban_display: String,
    pub bic: Option<String>,
    pub note: Option<String>,
    pub created_ms: u64,
    pub updated_ms: u64,
    /// Why the caller sees them: `owner` or `treasurer`.
    pub access: Access,
}

impl PaymentDetailsJson {
    pub fn of(stored: &StoredPaymentDetails, access: Access) -> PaymentDetailsJson {
        let details = &stored.details;
        PaymentDetailsJson {
            person: stored.person.to_hex(),
            holder_name: details.holder_name().to_owned(),
            iban: details.iban().as_str().to_owned(),
            iban_display: details.iban().grouped(),
            bic: details.bic().map(|bic| bic.as_str().to_owned()),
            note: details.note().map(str::to_owned),
            created_ms: stored.created_ms,
            updated_ms: stored.updated_ms,
            access,
        }
    }
}

/// The body of `PUT …/payment-details/{key}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentDetailsInput {
    pub holder_name: String,
    pub iban: String,
    #[serde(default)]
    pub bic: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl PaymentDetailsInput {
    /// Validates every field: `iban_invalid`, `bic_invalid` or `private_text_invalid`.
    pub fn validate(&self) -> Result<PaymentDetails, PrivateValueError> {
        let iban = Iban::parse(&self.iban)?;
        let bic = self
            .bic
            .as_deref()
            .filter(|bic| !bic.trim().is_empty())
            .map(Bic::parse)
            .transpose()?;
        PaymentDetails::new(&self.holder_name, iban, bic, self.note.as_deref())
    }
}

fn parse_commons_and_person(id: &str, key: &str) -> Result<(CommonsId, AuthorKey), ApiError> {
    Ok((parse_commons_id(id)?, parse_author(key)?))
}

/// `GET /api/v1/commons/{id}/private/payment-details/{key}`: the owner's or, for a
/// treasurer, anyone's payment details in this commons.
pub async fn get_payment_details(
    State(state): State<AppState>,
    ApiPath((id, key)): ApiPath<(String, String)>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let (commons, person) = parse_commons_and_person(&id, &key)?;
    let access = payment_access(&state, &commons, &caller, &person).await?;
    let stored = state
        .node
        .store()
        .payment_details(&commons, &person)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "payment_details_unknown",
                "this person has given no payment details in this commons",
            )
        })?;
    Ok(private_response(
        Json(PaymentDetailsJson::of(&stored, access)).into_response(),
    ))
}

/// `PUT /api/v1/commons/{id}/private/payment-details/{key}`: the owner sets their
/// payment details, replacing any they had.
pub async fn put_payment_details(
    State(state): State<AppState>,
    ApiPath((id, key)): ApiPath<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (commons, person) = parse_commons_and_person(&id, &key)?;
    let access = payment_access(&state, &commons, &caller, &person).await?;
    if access != Access::Owner {
        return Err(forbidden("changing payment details"));
    }
    crate::api::require_media_type(&headers, "application/json", "payment details")?;
    let bytes = read_body(&headers, body, PAYMENT_DETAILS_BODY_BYTES_MAX).await?;
    let input: PaymentDetailsInput = serde_json::from_slice(&bytes)
        .map_err(|error| ApiError::bad_request("body_invalid", error.to_string()))?;
    let stored = save_payment_details(&state, &commons, &person, &input).await?;
    Ok(private_response(
        Json(PaymentDetailsJson::of(&stored, Access::Owner)).into_response(),
    ))
}

/// Validates and stores payment details the owner gave (API and page alike).
pub async fn save_payment_details(
    state: &AppState,
    commons: &CommonsId,
    person: &AuthorKey,
    input: &PaymentDetailsInput,
) -> Result<StoredPaymentDetails, ApiError> {
    let details = input.validate()?;
    Ok(state
        .node
        .store()
        .put_payment_details(commons, person, &details, state.node.now_ms())
        .await?)
}

// ---------------------------------------------------------------------------------------
// Attachments

/// An attachment as the API lists it.
#[derive(Debug, Serialize)]
pub struct AttachmentJson {
    pub n: u32,
    pub file_name: String,
    pub media_type: &'static str,
    pub size: u64,
    pub uploader: String,
    pub uploaded_ms: u64,
    /// Where its bytes are.
    pub href: String,
}

impl AttachmentJson {
    pub fn of(commons: &CommonsId, expense: &EventId, meta: &AttachmentMeta) -> AttachmentJson {
        AttachmentJson {
            n: meta.n,
            file_name: meta.file_name.clone(),
            media_type: meta.media_type.as_str(),
            size: meta.size,
            uploader: meta.uploader.to_hex(),
            uploaded_ms: meta.uploaded_ms,
            href: format!(
                "/api/v1/commons/{}/private/expenses/{}/attachments/{}",
                commons.to_hex(),
                expense.to_hex(),
                meta.n
            ),
        }
    }
}

/// The attachments of one expense.
#[derive(Debug, Serialize)]
pub struct AttachmentsJson {
    pub expense: String,
    pub author: String,
    pub access: Access,
    pub attachments: Vec<AttachmentJson>,
    pub attachments_max: u32,
    pub attachment_bytes_max: usize,
}

fn parse_commons_and_expense(id: &str, expense: &str) -> Result<(CommonsId, EventId), ApiError> {
    Ok((parse_commons_id(id)?, parse_event_id(expense)?))
}

/// `GET /api/v1/commons/{id}/private/expenses/{expense}/attachments`.
pub async fn list_attachments(
    State(state): State<AppState>,
    ApiPath((id, expense)): ApiPath<(String, String)>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let (commons, expense) = parse_commons_and_expense(&id, &expense)?;
    let (access, author) = expense_access(&state, &commons, &caller, &expense).await?;
    let stored = state.node.store().attachments(&commons, &expense).await?;
    let json = AttachmentsJson {
        expense: expense.to_hex(),
        author: author.to_hex(),
        access,
        attachments: stored
            .iter()
            .map(|meta| AttachmentJson::of(&commons, &expense, meta))
            .collect(),
        attachments_max: ATTACHMENTS_PER_EXPENSE_MAX,
        attachment_bytes_max: ATTACHMENT_BYTES_MAX,
    };
    Ok(private_response(Json(json).into_response()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachQuery {
    /// The file's name as people will see it; its directories are dropped.
    pub file_name: String,
}

/// `POST /api/v1/commons/{id}/private/expenses/{expense}/attachments?file_name=…`: the raw
/// bytes of a PDF, PNG or JPEG, with that `Content-Type`; 201 with the attachment.
pub async fn post_attachment(
    State(state): State<AppState>,
    ApiPath((id, expense)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<AttachQuery>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (commons, expense) = parse_commons_and_expense(&id, &expense)?;
    expense_access(&state, &commons, &caller, &expense).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let media_type = AttachmentMediaType::parse(content_type).map_err(|error| {
        ApiError::UnsupportedMediaType {
            code: error.code(),
            message: error.to_string(),
        }
    })?;
    let bytes = read_body(&headers, body, ATTACHMENT_BYTES_MAX)
        .await
        .map_err(|error| match error {
            ApiError::RequestTooLarge { .. } => {
                attachment_refused(StoreError::Limit(ATTACHMENT_TOO_LARGE.to_owned()))
            }
            other => other,
        })?;
    let meta = attach(
        &state,
        &commons,
        &expense,
        &caller,
        &query.file_name,
        media_type,
        Vec::from(bytes),
    )
    .await?;
    let json = AttachmentJson::of(&commons, &expense, &meta);
    let location = HeaderValue::from_str(&json.href).ok();
    let mut response = private_response((StatusCode::CREATED, Json(json)).into_response());
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Checks and stores an attachment the caller may add (API and page alike): the bytes
/// must be of the type they claim, and the uploader is the caller's key that gives them
/// access (the author's, else their first treasurer key).
pub async fn attach(
    state: &AppState,
    commons: &CommonsId,
    expense: &EventId,
    caller: &Caller,
    file_name: &str,
    media_type: AttachmentMediaType,
    bytes: Vec<u8>,
) -> Result<AttachmentMeta, ApiError> {
    let (access, author) = expense_access(state, commons, caller, expense).await?;
    let file_name = commons_store::check_file_name(file_name)?;
    media_type.check_bytes(&bytes)?;
    let uploader = match access {
        Access::Owner => author,
        Access::Treasurer => {
            let (treasurers, _) = treasurers_and_author(state, commons, None).await?;
            caller
                .keys
                .iter()
                .find(|key| treasurers.contains(key))
                .copied()
                .ok_or_else(|| forbidden("an expense's attachments"))?
        }
    };
    let attachment = NewAttachment {
        commons: *commons,
        expense: *expense,
        file_name,
        media_type,
        bytes,
        uploader,
        uploaded_ms: state.node.now_ms(),
    };
    state
        .node
        .store()
        .add_attachment(&attachment)
        .await
        .map_err(attachment_refused)
}

/// `GET /api/v1/commons/{id}/private/expenses/{expense}/attachments/{n}`: the bytes, as
/// a download that is never cached and never sniffed.
pub async fn get_attachment(
    State(state): State<AppState>,
    ApiPath((id, expense, n)): ApiPath<(String, String, u32)>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let (commons, expense) = parse_commons_and_expense(&id, &expense)?;
    expense_access(&state, &commons, &caller, &expense).await?;
    let (meta, bytes) = state
        .node
        .store()
        .attachment(&commons, &expense, n)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "attachment_unknown",
                "this expense has no attachment with that number",
            )
        })?;
    let mut response = private_response(bytes.into_response());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(meta.media_type.as_str()),
    );
    if let Ok(disposition) = HeaderValue::from_str(&content_disposition(&meta.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII fallback with
/// quotes, backslashes and anything outside printable ASCII as `_`, and the exact name
/// percent-encoded.
pub fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in file_name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_comes_before_a_treasurer_and_nobody_else_has_access() {
        let (ana, tess, ben) = (AuthorKey([1; 32]), AuthorKey([2; 32]), AuthorKey([3; 32]));
        let treasurers = [tess];
        assert_eq!(access(&[ana], &ana, &treasurers), Some(Access::Owner));
        assert_eq!(access(&[tess], &ana, &treasurers), Some(Access::Treasurer));
        assert_eq!(access(&[tess], &tess, &treasurers), Some(Access::Owner));
        assert_eq!(access(&[ben], &ana, &treasurers), None);
        assert_eq!(access(&[], &ana, &treasurers), None);
        assert_eq!(access(&[ben, ana], &ana, &[]), Some(Access::Owner));
    }

    #[test]
    fn a_download_name_is_quoted_safely_and_kept_exactly_in_its_encoded_form() {
        assert_eq!(
            content_disposition("Rechnung März \"2\".pdf"),
            "attachment; filename=\"Rechnung M_rz _2_.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz%20%222%22.pdf"
        );
    }
}
