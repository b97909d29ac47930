//! Who is looking: the session cookie, the visitor cookie, CSRF tokens and flash messages.
//!
//! - A logged-in browser carries `commons_session`, a random token whose SHA-256 the store
//!   keeps with the account and the session's CSRF token. A new token is issued at every
//!   login (no session fixation), and logging out or changing the password ends it.
//! - Every browser carries `commons_visitor`, a random token; forms shown to a visitor
//!   carry an HMAC of it under the node's secret (a signed double-submit token), so login
//!   and register forms are protected too.
//! - A flash message survives one redirect in `commons_flash`, signed so that nobody can
//!   plant text in another's page.
//!
//! All cookies are `HttpOnly`, `SameSite=Lax` and, unless the node is configured for
//! plain-HTTP development, `Secure`.

use super::{Ui, UiError};
use crate::AppState;
use crate::ui::secret::{random_token, same, token_hash};
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use commons_store::{Account, AccountStore, Session};
use serde::de::DeserializeOwned;

pub const SESSION_COOKIE: &str = "commons_session";
pub const VISITOR_COOKIE: &str = "commons_visitor";
pub const FLASH_COOKIE: &str = "commons_flash";
/// The ledger index up to which the person has seen their notifications, per commons
/// (`<first 16 hex digits of the commons id>-<index>`, joined by `.`). Only the badge in
/// the navigation reads it, so it needs no MAC: a forged one only hides one's own badge.
pub const SEEN_COOKIE: &str = "commons_seen";
/// Most commons the seen cookie remembers (the most recently seen first).
const SEEN_COMMONS_MAX: usize = 20;
/// How long a login lasts.
pub const SESSION_TTL_MS: u64 = 14 * 24 * 60 * 60 * 1000;
/// How long the visitor cookie lasts.
const VISITOR_TTL_S: u64 = 365 * 24 * 60 * 60;
/// Largest form body a page accepts.
pub const FORM_BYTES_MAX: usize = 64 * 1024;
/// Longest flash message, in bytes.
const FLASH_BYTES_MAX: usize = 500;

/// The kind of a flash message, which picks its colour and ARIA role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Error,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

/// The person (or visitor) behind a request, with what the response must set.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub account: Option<Account>,
    session_hash: Option<[u8; 32]>,
    /// The token every form on the page carries.
    pub csrf: String,
    pub flash: Option<Flash>,
    /// Where the person last saw their notifications: (commons prefix, ledger index).
    seen: Vec<(String, u64)>,
    set_cookies: Vec<String>,
}

impl Viewer {
    pub fn logged_in(&self) -> bool {
        self.account.is_some()
    }

    /// The account, or a redirect to the login page.
    pub fn require_account(&self) -> Result<&Account, UiError> {
        self.account.as_ref().ok_or(UiError::LoginRequired)
    }

    /// Refuses a form whose token is not this browser's.
    pub fn check_csrf(&self, token: Option<&str>) -> Result<(), UiError> {
        match token {
            Some(token) if same(token, &self.csrf) => Ok(()),
            _ => Err(UiError::Forbidden(
                "This form is out of date or was not sent from this site. Reload the page and try again."
                    .into(),
            )),
        }
    }

    /// The ledger index up to which the person saw their notifications in `commons`.
    pub fn seen_index(&self, commons: &commons_ledger::CommonsId) -> u64 {
        let prefix = &commons.to_hex()[..16];
        self.seen
            .iter()
            .find(|(p, _)| p == prefix)
            .map_or(0, |(_, index)| *index)
    }

    /// Remembers that the person saw their notifications in `commons` up to `index`.
    pub fn mark_seen(&mut self, ui: &Ui, commons: &commons_ledger::CommonsId, index: u64) {
        let prefix = commons.to_hex()[..16].to_owned();
        self.seen.retain(|(p, _)| *p != prefix);
        self.seen.insert(0, (prefix, index));
        self.seen.truncate(SEEN_COMMONS_MAX);
        let value = self
            .seen
            .iter()
            .map(|(p, i)| format!("{p}-{i}"))
            .collect::<Vec<_>>()
            .join(".");
        self.set_cookies
            .push(ui.cookie(SEEN_COOKIE, &value, Some(VISITOR_TTL_S)));
    }

    /// Adds the cookies this viewer owes the browser to `response`.
    pub fn finish(mut self, mut response: Response) -> Response {
        for cookie in self.set_cookies.drain(..) {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
    }

    /// A redirect (303, so the browser follows with GET) carrying a flash message.
    pub fn redirect(mut self, ui: &Ui, to: &str, flash: Option<Flash>) -> Response {
        if let Some(flash) = flash {
            let cookie = ui.flash_cookie(&flash);
            self.set_cookies.push(cookie);
        }
        self.finish(Redirect::to(to).into_response())
    }

    /// Starts a session for `account` with a fresh token (never one the browser chose).
    pub async fn log_in(&mut self, state: &AppState, account: Account) -> Result<(), UiError> {
        self.end_session(state).await?;
        let token = random_token();
        let now = state.node.now_ms();
        // Expired sessions go at every login, so the table holds live ones only (and at
        // most SESSIONS_PER_ACCOUNT_MAX of them per account).
        state.node.store().purge_expired_sessions(now).await?;
        let csrf = random_token();
        state
            .node
            .store()
            .create_session(&Session {
                token_hash: token_hash(&token),
                account: account.id,
                csrf_token: csrf.clone(),
                created_ms: now,
                expires_ms: now + SESSION_TTL_MS,
            })
            .await?;
        let ui = &state.ui;
        self.set_cookies
            .push(ui.cookie(SESSION_COOKIE, &token, Some(SESSION_TTL_MS / 1000)));
        self.session_hash = Some(token_hash(&token));
        self.csrf = csrf;
        self.account = Some(account);
        Ok(())
    }

    /// Ends this browser's session, if any, and clears its cookie.
    pub async fn end_session(&mut self, state: &AppState) -> Result<(), UiError> {
        if let Some(hash) = self.session_hash.take() {
            state.node.store().delete_session(&hash).await?;
            self.set_cookies
                .push(state.ui.cookie(SESSION_COOKIE, "", Some(0)));
        }
        self.account = None;
        Ok(())
    }
}

/// The cookies of a request, by name (the first of a repeated name wins).
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn parse_seen(value: &str) -> Vec<(String, u64)> {
    value
        .split('.')
        .take(SEEN_COMMONS_MAX)
        .filter_map(|item| {
            let (prefix, index) = item.split_once('-')?;
            let well_formed = prefix.len() == 16 && prefix.bytes().all(|b| b.is_ascii_hexdigit());
            Some((prefix.to_ascii_lowercase(), index.parse().ok()?)).filter(|_| well_formed)
        })
        .collect()
}

/// A token as this node issues them: 64 lowercase hex digits.
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

impl<S> FromRequestParts<S> for Viewer
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Viewer, UiError> {
        if let Some(viewer) = parts.extensions.get::<Viewer>() {
            return Ok(viewer.clone());
        }
        let state = AppState::from_ref(state);
        let ui = &state.ui;
        let mut set_cookies = Vec::new();
        let mut account = None;
        let mut session_hash = None;
        let mut csrf = None;
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| well_formed(t)) {
            let hash = token_hash(token);
            match state.node.store().session(&hash).await? {
                Some(session) if session.expires_ms > state.node.now_ms() => {
                    account = state.node.store().account(session.account).await?;
                    if account.is_some() {
                        session_hash = Some(hash);
                        csrf = Some(session.csrf_token);
                    }
                }
                Some(_) => {
                    state.node.store().delete_session(&hash).await?;
                    set_cookies.push(ui.cookie(SESSION_COOKIE, "", Some(0)));
                }
                None => set_cookies.push(ui.cookie(SESSION_COOKIE, "", Some(0))),
            }
        }
        let csrf = match csrf {
            Some(csrf) => csrf,
            None => {
                let visitor = match cookie(&parts.headers, VISITOR_COOKIE)
                    .filter(|t| well_formed(t))
                {
                    Some(token) => token.to_owned(),
                    None => {
                        let token = random_token();
                        set_cookies.push(ui.cookie(VISITOR_COOKIE, &token, Some(VISITOR_TTL_S)));
                        token
                    }
                };
                ui.secret.mac_hex("csrf", visitor.as_bytes())
            }
        };
        let flash = cookie(&parts.headers, FLASH_COOKIE).and_then(|value| {
            set_cookies.push(ui.cookie(FLASH_COOKIE, "", Some(0)));
            ui.read_flash(value)
        });
        let seen = cookie(&parts.headers, SEEN_COOKIE)
            .map(parse_seen)
            .unwrap_or_default();
        let viewer = Viewer {
            account,
            session_hash,
            csrf,
            flash,
            seen,
            set_cookies,
        };
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}

impl Ui {
    /// A `Set-Cookie` value with the node's flags; `max_age_s` 0 deletes the cookie.
    pub fn cookie(&self, name: &str, value: &str, max_age_s: Option<u64>) -> String {
        let mut out = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if self.config.secure_cookies {
            out.push_str("; Secure");
        }
        if let Some(age) = max_age_s {
            out.push_str(&format!("; Max-Age={age}"));
        }
        out
    }

    fn flash_cookie(&self, flash: &Flash) -> String {
        let mut message = flash.message.clone();
        if message.len() > FLASH_BYTES_MAX {
            let mut end = FLASH_BYTES_MAX;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        let kind = match flash.kind {
            FlashKind::Success => "s",
            FlashKind::Error => "e",
        };
        let payload = format!("{kind}{}", hex::encode(message.as_bytes()));
        let mac = self.secret.mac_hex("flash", payload.as_bytes());
        self.cookie(FLASH_COOKIE, &format!("{payload}.{mac}"), None)
    }

    fn read_flash(&self, value: &str) -> Option<Flash> {
        let (payload, mac) = value.split_once('.')?;
        if !same(&self.secret.mac_hex("flash", payload.as_bytes()), mac) {
            return None;
        }
        let kind = match payload.get(..1)? {
            "s" => FlashKind::Success,
            "e" => FlashKind::Error,
            _ => return None,
        };
        let message = String::from_utf8(hex::decode(payload.get(1..)?).ok()?).ok()?;
        Some(Flash { kind, message })
    }
}

/// A submitted form whose CSRF token was checked before anything else was read from it.
/// A form without a token, or with another browser's, is refused with 403.
pub struct CheckedForm<T>(pub Viewer, pub T);

impl<S, T> FromRequest<S> for CheckedForm<T>
where
    AppState: FromRef<S>,
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<CheckedForm<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = axum::body::to_bytes(body, FORM_BYTES_MAX)
            .await
            .map_err(|_| UiError::BadRequest("The form is too large.".into()).into_response())?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
            UiError::BadRequest("The form could not be read.".into()).into_response()
        })?;
        let token = pairs
            .iter()
            .find(|(key, _)| key == "csrf")
            .map(|(_, value)| value.as_str());
        if let Err(refusal) = viewer.check_csrf(token) {
            return Err(viewer.finish(refusal.into_response()));
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            UiError::BadRequest(format!("The form is missing a field: {e}")).into_response()
        })?;
        Ok(CheckedForm(viewer, form))
    }
}
