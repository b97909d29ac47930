//! The web UI: server-rendered pages for people, working without JavaScript.
//!
//! Pages are [minijinja] templates compiled into the binary (`templates/`), rendered with
//! auto-escaping, so text from the ledger or from accounts can never become markup. Every
//! page shares `base.html`: navigation, a commons switcher, breadcrumbs, flash messages.
//! Every form carries a CSRF token, checked by [`session::CheckedForm`] before a handler
//! sees the form. Writes a person makes in the browser are ordinary signed events, signed
//! with their account's custodial key ([`commons_node::Node::author`]) after
//! [`commons_node::Node::authorize`] said they may.

pub mod accounts;
pub mod association;
pub mod dates;
pub mod explorer;
pub mod forks;
pub mod private;
pub mod production;
pub mod secret;
pub mod session;
pub mod value;

use crate::limits::RateLimiter;
use crate::{AppState, Route};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use minijinja::{Environment, Value, context};
use secret::WebSecret;
use session::Viewer;
use std::sync::OnceLock;

/// Login and registration attempts one client address may make per minute.
pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 10;
/// Attempts one client may make at once before the per-minute rate applies.
pub const LOGIN_ATTEMPTS_BURST: u32 = 10;
/// Most commons the switcher in the navigation lists; the home page lists all.
pub const SWITCHER_COMMONS_MAX: usize = 20;

/// What the UI needs beyond the API's limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiConfig {
    pub secret: WebSecret,
    /// Set `Secure` on cookies. Browsers accept secure cookies from `http://localhost`
    /// and `http://127.0.0.1`; turn it off only to serve plain HTTP on another address.
    pub secure_cookies: bool,
    /// Whether anyone may register an account here.
    pub registration_open: bool,
    pub accounts_max: u64,
    pub login_attempts_per_minute: u32,
    pub login_attempts_burst: u32,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            secret: WebSecret::generate(),
            secure_cookies: true,
            registration_open: true,
            accounts_max: commons_store::ACCOUNTS_MAX,
            login_attempts_per_minute: LOGIN_ATTEMPTS_PER_MINUTE,
            login_attempts_burst: LOGIN_ATTEMPTS_BURST,
        }
    }
}

/// The UI's shared parts.
#[derive(Debug)]
pub struct Ui {
    pub config: UiConfig,
    pub secret: WebSecret,
    pub login_limiter: RateLimiter,
    pub names: NameBooks,
    pub fragments: Fragments,
    pub statistics_charts: production::statistics::StatisticsCharts,
}

/// Published display names per commons, as of a ledger size; one entry per hosted
/// commons, each bounded by `explorer::NAME_BOOK_AGENTS_MAX` agents.
#[derive(Debug, Default)]
pub struct NameBooks {
    books: std::sync::Mutex<std::collections::HashMap<commons_ledger::CommonsId, (u64, NameBook)>>,
}

/// Display names by key.
pub type NameBook = std::sync::Arc<std::collections::HashMap<commons_ledger::AuthorKey, String>>;

impl NameBooks {
    /// The book of `commons` if it was read at ledger size `size`.
    pub fn get(&self, commons: &commons_ledger::CommonsId, size: u64) -> Option<NameBook> {
        let books = self.books.lock().unwrap_or_else(|e| e.into_inner());
        books
            .get(commons)
            .filter(|(at, _)| *at == size)
            .map(|(_, book)| book.clone())
    }

    pub fn put(&self, commons: commons_ledger::CommonsId, size: u64, book: NameBook) {
        let mut books = self.books.lock().unwrap_or_else(|e| e.into_inner());
        books.insert(commons, (size, book));
    }
}

impl Ui {
    pub fn new(config: UiConfig) -> Ui {
        Ui {
            secret: config.secret.clone(),
            names: NameBooks::default(),
            fragments: Fragments::default(),
            statistics_charts: Default::default(),
            login_limiter: RateLimiter::new(
                config.login_attempts_per_minute,
                config.login_attempts_burst,
                crate::RATE_LIMITED_CLIENTS_MAX,
            ),
            config,
        }
    }
}

/// Every template, compiled once.
fn templates() -> &'static Environment<'static> {
    static TEMPLATES: OnceLock<Environment<'static>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATE_SOURCES {
            if let Err(error) = env.add_template(name, source) {
                // A template that does not parse is a build mistake the tests catch.
                panic!("template {name} does not parse: {error}");
            }
        }
        env.add_filter("short", |text: String| short(&text));
        env.add_filter("datetime", |ms: u64| dates::format_datetime(ms));
        env.add_filter("date", |ms: u64| dates::format_date(ms));
        // Minor units of a currency, for people: `{{ 120050|money("EUR") }}` is
        // `1,200.50 EUR`.
        env.add_filter("money", |minor: u64, code: String| {
            crate::budget::Currency::of(&code).format(minor)
        });
        // Parts per million as a percentage: `{{ 125000|ppm }}` is `12.5%`.
        env.add_filter("ppm", |ppm: u64| {
            let text = format!("{}.{:04}", ppm / 10_000, ppm % 10_000);
            format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
        });
        env
    })
}

macro_rules! template_sources {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

const TEMPLATE_SOURCES: &[(&str, &str)] = template_sources!(
    "base.html",
    "macros.html",
    "home.html",
    "error.html",
    "register.html",
    "login.html",
    "account.html",
    "new_commons.html",
    "commons.html",
    "events.html",
    "events_listing.html",
    "event.html",
    "agent.html",
    "verify.html",
    "production.html",
    "areas.html",
    "area.html",
    "board.html",
    "new_task.html",
    "task.html",
    "contributions.html",
    "contribute.html",
    "contribution.html",
    "artifacts.html",
    "artifact.html",
    "notifications.html",
    "statistics.html",
    "association.html",
    "no_association.html",
    "budgets.html",
    "new_budget.html",
    "budget.html",
    "authorisations.html",
    "statutes.html",
    "members.html",
    "polls.html",
    "new_poll.html",
    "poll.html",
    "delegations.html",
    "value.html",
    "treasury.html",
    "equation.html",
    "distributions.html",
    "distribution.html",
    "circles.html",
    "circle.html",
    "earnings.html",
    "spending.html",
    "claims.html",
    "expense.html",
    "award.html",
    "private.html",
    "payment_details.html",
    "expense_private.html",
);

/// The stylesheet every page links.
pub const STYLESHEET: &str = include_str!("../../static/style.css");

/// The first 8 and last 4 hex digits of a long id, for tables and links.
pub fn short(text: &str) -> String {
    if text.len() <= 16 {
        return text.to_owned();
    }
    format!("{}…{}", &text[..8], &text[text.len() - 4..])
}

/// Renders a fragment of a page (no layout), to be placed with [`safe`].
pub fn render_fragment(template: &str, ctx: Value) -> Result<String, UiError> {
    templates()
        .get_template(template)
        .and_then(|t| t.render(ctx))
        .map_err(|error| UiError::Fault(format!("rendering {template}: {error:#}")))
}

/// HTML this module rendered itself through an auto-escaping template, to be placed
/// into a page without escaping it again.
pub fn safe(html: std::sync::Arc<str>) -> Value {
    Value::from_safe_string(html.to_string())
}

/// Most rendered fragments kept at once.
pub const FRAGMENTS_MAX: usize = 256;

/// Rendered fragments of pages whose content is fixed by their key: a key names the
/// commons, its ledger size and the query, so a grown ledger never gets a stale page.
/// Bounded to [`FRAGMENTS_MAX`] entries, the oldest going first.
#[derive(Debug, Default)]
pub struct Fragments {
    inner: std::sync::Mutex<FragmentMap>,
}

/// Fragments by key, and their keys oldest first.
type FragmentMap = (
    std::collections::HashMap<String, std::sync::Arc<str>>,
    std::collections::VecDeque<String>,
);

impl Fragments {
    pub fn get(&self, key: &str) -> Option<std::sync::Arc<str>> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.0.get(key).cloned()
    }

    pub fn put(&self, key: String, html: std::sync::Arc<str>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = &mut *inner;
        if map.insert(key.clone(), html).is_none() {
            order.push_back(key);
        }
        while order.len() > FRAGMENTS_MAX {
            if let Some(oldest) = order.pop_front() {
                map.remove(&oldest);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Renders `template` with the page context every template needs.
pub fn render(state: &AppState, viewer: Viewer, template: &str, page: Value) -> Response {
    render_status(state, viewer, StatusCode::OK, template, page)
}

pub fn render_status(
    state: &AppState,
    viewer: Viewer,
    status: StatusCode,
    template: &str,
    page: Value,
) -> Response {
    let hosted = state.node.list_commons();
    let switcher: Vec<Value> = hosted
        .iter()
        .take(SWITCHER_COMMONS_MAX)
        .map(|view| context! { id => view.id.to_hex(), name => view.governance.name })
        .collect();
    let account = viewer
        .account
        .as_ref()
        .map(|a| context! { id => a.id, display_name => a.display_name });
    let ctx = context! {
        account => account,
        csrf => viewer.csrf,
        flash => viewer.flash,
        switcher => switcher,
        n_commons => hosted.len(),
        registration_open => state.ui.config.registration_open,
        ..page
    };
    let response = match templates()
        .get_template(template)
        .and_then(|t| t.render(ctx))
    {
        Ok(html) => (status, html_headers(), Html(html)).into_response(),
        Err(error) => UiError::Fault(format!("rendering {template}: {error:#}")).into_response(),
    };
    viewer.finish(response)
}

/// Headers every page carries: no caching of personal pages, no framing, no sniffing,
/// and a content security policy that allows only this site's own styles and images.
fn html_headers() -> [(header::HeaderName, &'static str); 4] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ]
}

/// Why a page could not be shown. Each renders a finished error page with its status.
#[derive(Debug)]
pub enum UiError {
    NotFound(String),
    Forbidden(String),
    BadRequest(String),
    LoginRequired,
    RateLimited {
        retry_after_s: u64,
    },
    Unavailable(String),
    /// The detail is logged, never shown.
    Fault(String),
}

impl UiError {
    fn status(&self) -> StatusCode {
        match self {
            UiError::NotFound(_) => StatusCode::NOT_FOUND,
            UiError::Forbidden(_) => StatusCode::FORBIDDEN,
            UiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            UiError::LoginRequired => StatusCode::SEE_OTHER,
            UiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            UiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            UiError::Fault(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (title, message) = match &self {
            UiError::LoginRequired => return Redirect::to("/login").into_response(),
            UiError::NotFound(message) => ("Not found", message.clone()),
            UiError::Forbidden(message) => ("Forbidden", message.clone()),
            UiError::BadRequest(message) => ("Bad request", message.clone()),
            UiError::RateLimited { retry_after_s } => (
                "Too many attempts",
                format!(
                    "Too many attempts from your address. Try again in {retry_after_s} seconds."
                ),
            ),
            UiError::Unavailable(message) => ("Unavailable", message.clone()),
            UiError::Fault(detail) => {
                tracing::error!(%detail, "page failed");
                (
                    "Something went wrong",
                    "The node failed to show this page. The error was logged; try again in a moment."
                        .to_owned(),
                )
            }
        };
        let status = self.status();
        let ctx = context! {
            status => status.as_u16(),
            title => title,
            message => message,
            account => Value::from(()),
            switcher => Vec::<Value>::new(),
            registration_open => true,
        };
        let html = templates()
            .get_template("error.html")
            .and_then(|t| t.render(ctx))
            .unwrap_or_else(|error| {
                tracing::error!(%error, "the error page itself failed");
                format!("<!doctype html><title>{status}</title><h1>{status}</h1>")
            });
        let mut response = (status, html_headers(), Html(html)).into_response();
        if let UiError::RateLimited { retry_after_s } = self
            && let Ok(value) = header::HeaderValue::from_str(&retry_after_s.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<commons_store::StoreError> for UiError {
    fn from(e: commons_store::StoreError) -> UiError {
        UiError::Fault(format!("store: {e}"))
    }
}

impl From<commons_node::NodeError> for UiError {
    fn from(e: commons_node::NodeError) -> UiError {
        match e {
            commons_node::NodeError::ShuttingDown => {
                UiError::Unavailable("The node is shutting down.".into())
            }
            other => UiError::Fault(other.to_string()),
        }
    }
}

impl From<crate::ApiError> for UiError {
    fn from(e: crate::ApiError) -> UiError {
        if let crate::ApiError::Fault(detail) = e {
            return UiError::Fault(detail);
        }
        match e.status() {
            StatusCode::UNAUTHORIZED => UiError::LoginRequired,
            StatusCode::NOT_FOUND => UiError::NotFound(e.message()),
            StatusCode::FORBIDDEN => UiError::Forbidden(e.message()),
            StatusCode::INTERNAL_SERVER_ERROR => UiError::Fault(e.message()),
            StatusCode::SERVICE_UNAVAILABLE => UiError::Unavailable(e.message()),
            _ => UiError::BadRequest(e.message()),
        }
    }
}

/// The text of a panic's payload, for the log.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// A page handler that panicked: the finished 500 page, the detail in the log.
pub fn panic_page(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    UiError::Fault(format!("page handler panicked: {}", panic_message(&*panic))).into_response()
}

/// The HTML 404 page for paths outside the API.
pub async fn not_found_page() -> Response {
    UiError::NotFound("There is no page at this address.".into()).into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// The UI's routes.
pub fn endpoints() -> Vec<(Route, MethodRouter<AppState>)> {
    let mut endpoints = vec![
        (Route::get("/"), get(explorer::home)),
        (Route::get("/static/style.css"), get(stylesheet)),
        (
            Route::get("/register"),
            get(accounts::register_page).post(accounts::register),
        ),
        (
            Route::get("/login"),
            get(accounts::login_page).post(accounts::login),
        ),
        (Route::post("/logout"), post(accounts::logout)),
        (Route::get("/account"), get(accounts::account_page)),
        (
            Route::post("/account/password"),
            post(accounts::change_password),
        ),
        (Route::post("/account/keys"), post(accounts::link_key)),
        (
            Route::post("/account/delete"),
            post(accounts::delete_account),
        ),
        (
            Route::get("/new"),
            get(explorer::new_commons_page).post(explorer::create_commons),
        ),
        (Route::get("/c/{id}"), get(explorer::overview)),
        (Route::get("/c/{id}/events"), get(explorer::events)),
        (
            Route::get("/c/{id}/events/{event_id}"),
            get(explorer::event),
        ),
        (
            Route::get("/c/{id}/events/{event_id}/receipt"),
            get(explorer::receipt_download),
        ),
        (Route::post("/c/{id}/fork"), post(forks::fork_commons)),
        (
            Route::post("/c/{id}/profile"),
            post(explorer::publish_profile),
        ),
        (Route::get("/c/{id}/agents/{key}"), get(explorer::agent)),
        (
            Route::get("/c/{id}/charts/events-per-day.svg"),
            get(crate::charts::events_per_day),
        ),
        (
            Route::get("/c/{id}/charts/authors-per-week.svg"),
            get(crate::charts::authors_per_week),
        ),
        (
            Route::get("/c/{id}/areas"),
            get(production::areas::list_areas).post(production::areas::create_area),
        ),
        (
            Route::get("/c/{id}/areas/{slug}"),
            get(production::areas::area),
        ),
        (
            Route::post("/c/{id}/areas/{slug}/nominate"),
            post(production::areas::nominate),
        ),
        (
            Route::post("/c/{id}/areas/{slug}/step-down"),
            post(production::areas::step_down),
        ),
        (
            Route::post("/c/{id}/nominations/{nomination}/approve"),
            post(production::areas::approve_nomination),
        ),
        (
            Route::get("/c/{id}/tasks"),
            get(production::tasks::board).post(production::tasks::post_task),
        ),
        (
            Route::get("/c/{id}/tasks/new"),
            get(production::tasks::new_task_page),
        ),
        (
            Route::get("/c/{id}/tasks/{task}"),
            get(production::tasks::task),
        ),
        (
            Route::post("/c/{id}/tasks/{task}/signal"),
            post(production::tasks::signal),
        ),
        (
            Route::post("/c/{id}/tasks/{task}/pledge"),
            post(production::tasks::pledge),
        ),
        (
            Route::post("/c/{id}/tasks/{task}/claim"),
            post(production::tasks::claim),
        ),
        (
            Route::post("/c/{id}/tasks/{task}/release"),
            post(production::tasks::release),
        ),
        (
            Route::post("/c/{id}/tasks/{task}/close"),
            post(production::tasks::close),
        ),
        (
            Route::get("/c/{id}/contributions"),
            get(production::contributions::list_contributions)
                .post(production::contributions::contribute),
        ),
        (
            Route::get("/c/{id}/contributions/new"),
            get(production::contributions::contribute_page),
        ),
        (
            Route::get("/c/{id}/contributions/{contribution}"),
            get(production::contributions::contribution),
        ),
        (
            Route::post("/c/{id}/contributions/{contribution}/review"),
            post(production::contributions::review),
        ),
        (
            Route::post("/c/{id}/contributions/{contribution}/resolve"),
            post(production::contributions::resolve),
        ),
        (
            Route::post("/c/{id}/contributions/{contribution}/reject"),
            post(production::contributions::reject),
        ),
        (
            Route::post("/c/{id}/contributions/{contribution}/withdraw"),
            post(production::contributions::withdraw),
        ),
        (
            Route::post("/c/{id}/contributions/{contribution}/revise"),
            post(production::contributions::revise),
        ),
        (
            Route::get("/c/{id}/artifacts"),
            get(production::artifacts::list_artifacts),
        ),
        (
            Route::get("/c/{id}/artifacts/{artifact}"),
            get(production::artifacts::artifact),
        ),
        (
            Route::post("/c/{id}/posts"),
            post(production::threads::post),
        ),
        (
            Route::post("/c/{id}/posts/{post}/edit"),
            post(production::threads::edit),
        ),
        (
            Route::post("/c/{id}/posts/{post}/hide"),
            post(production::threads::hide),
        ),
        (
            Route::get("/c/{id}/notifications"),
            get(production::threads::notifications),
        ),
        (
            Route::get("/c/{id}/statistics"),
            get(production::statistics::statistics),
        ),
        (
            Route::get("/c/{id}/statistics/{chart}"),
            get(production::statistics::chart_svg),
        ),
        (
            Route::get("/c/{id}/verify"),
            get(explorer::verify_page).post(explorer::verify_receipt),
        ),
    ];
    endpoints.extend([
        (Route::get("/c/{id}/private"), get(private::overview)),
        (
            Route::get("/c/{id}/private/payment-details/{key}"),
            get(private::payment_details_page).post(private::save_payment_details_form),
        ),
        (
            Route::get("/c/{id}/private/expenses/{expense}"),
            get(private::expense_page),
        ),
        (
            Route::post("/c/{id}/private/expenses/{expense}/attachments"),
            post(private::upload_attachment).layer(axum::extract::DefaultBodyLimit::max(
                private::UPLOAD_FORM_BYTES_MAX,
            )),
        ),
    ]);
    endpoints.extend(association::endpoints());
    endpoints.extend(value::endpoints());
    endpoints
}
