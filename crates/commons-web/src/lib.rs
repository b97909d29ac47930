//! The HTTP interface of a commons node (spec §12): `/api/v1` for submitting envelopes and
//! reading commons, events, checkpoints, proofs, receipts and tlog tiles, plus `/healthz`
//! and `/metrics`.
//!
//! The crate is a thin edge over [`commons_node::Node`]: it parses requests, enforces the
//! HTTP limits (body size, page size, entries range, per-client request rate, request
//! time) and renders answers. Every failure becomes one [`ApiError`], which alone picks the
//! HTTP status. Routes are declared once, in [`routes`]; the router and the test that
//! checks the OpenAPI document both read that table.

pub mod api;
pub mod association;
pub mod authz;
pub mod blobs;
pub mod budget;
pub mod charts;
pub mod claims;
pub mod error;
pub mod extract;
pub mod json;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod private;
pub mod production;
pub mod tlog;
pub mod ui;
pub mod value;

pub use error::ApiError;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, head, post, put};
use commons_node::Node;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// Largest request body: one envelope of the largest size the ledger allows, so that an
/// oversized body inside it still gets the ledger's own `body_too_large`.
pub const REQUEST_BODY_BYTES_MAX: usize = commons_ledger::event::ENVELOPE_LEN_MAX;
/// Events per page when the client does not say.
pub const PAGE_SIZE_DEFAULT: u64 = 100;
/// Most events per page; a larger `limit` is refused with `page_too_large`. It is also the
/// most the store returns per query, so a configuration above it is lowered to it.
pub const PAGE_SIZE_MAX: u64 = commons_store::EVENTS_PAGE_MAX;
/// Most envelopes one `/entries` request returns; a wider range is `range_too_large`.
pub const ENTRIES_RANGE_MAX: u64 = 1_000;
/// Requests one client address may make per minute, on average.
pub const REQUESTS_PER_MINUTE_PER_CLIENT: u32 = 1_200;
/// Requests one client address may make at once before the per-minute rate applies.
pub const REQUEST_BURST_MAX: u32 = 200;
/// Most client addresses the rate limiter remembers at once.
pub const RATE_LIMITED_CLIENTS_MAX: usize = 10_000;
/// Longest a request may take before it is answered with 503 `timeout`.
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;

/// The HTTP limits. Every field has a named default; tests and benchmarks raise them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebConfig {
    pub request_body_bytes_max: usize,
    pub page_size_default: u64,
    pub page_size_max: u64,
    pub entries_range_max: u64,
    pub requests_per_minute_per_client: u32,
    pub request_burst_max: u32,
    pub rate_limited_clients_max: usize,
    pub request_timeout_ms: u64,
    /// The web UI: its secret, cookies and account limits.
    pub ui: ui::UiConfig,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            request_body_bytes_max: REQUEST_BODY_BYTES_MAX,
            page_size_default: PAGE_SIZE_DEFAULT,
            page_size_max: PAGE_SIZE_MAX,
            entries_range_max: ENTRIES_RANGE_MAX,
            requests_per_minute_per_client: REQUESTS_PER_MINUTE_PER_CLIENT,
            request_burst_max: REQUEST_BURST_MAX,
            rate_limited_clients_max: RATE_LIMITED_CLIENTS_MAX,
            request_timeout_ms: REQUEST_TIMEOUT_MS,
            ui: ui::UiConfig::default(),
        }
    }
}

impl WebConfig {
    /// The same limits with a per-client rate so high it never applies, for benchmarks
    /// and tests that drive many requests from one address.
    pub fn without_rate_limit(self) -> WebConfig {
        WebConfig {
            requests_per_minute_per_client: u32::MAX,
            request_burst_max: u32::MAX,
            ..self
        }
    }

    /// Brings every limit into the range the node can serve: at least 1, pages no larger
    /// than a store query returns.
    fn normalized(self) -> WebConfig {
        let page_size_max = self.page_size_max.clamp(1, PAGE_SIZE_MAX);
        if page_size_max != self.page_size_max {
            tracing::warn!(
                asked = self.page_size_max,
                used = page_size_max,
                "page_size_max is limited by what one store query returns"
            );
        }
        WebConfig {
            page_size_max,
            page_size_default: self.page_size_default.clamp(1, page_size_max),
            entries_range_max: self.entries_range_max.max(1),
            request_timeout_ms: self.request_timeout_ms.max(1),
            ..self
        }
    }
}

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub node: Node,
    pub config: Arc<WebConfig>,
    openapi: Bytes,
    http_metrics: Arc<metrics::HttpMetrics>,
    pub ui: Arc<ui::Ui>,
    /// Charts drawn in the last minute (`charts`).
    pub charts: Arc<charts::ChartCache>,
}

/// One route of the router: its method and its axum path template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
}

impl Route {
    pub(crate) const fn get(path: &'static str) -> Route {
        Route {
            method: "GET",
            path,
        }
    }

    pub(crate) const fn post(path: &'static str) -> Route {
        Route {
            method: "POST",
            path,
        }
    }

    pub(crate) const fn put(path: &'static str) -> Route {
        Route {
            method: "PUT",
            path,
        }
    }

    pub(crate) const fn head(path: &'static str) -> Route {
        Route {
            method: "HEAD",
            path,
        }
    }

    /// The path as OpenAPI writes it: a catch-all `{*name}` is the parameter `{name}`.
    pub fn openapi_path(&self) -> String {
        self.path.replace("{*", "{")
    }
}

/// Routes under `/api/v1`: rate-limited per client and bounded in time.
fn api_endpoints() -> Vec<(Route, MethodRouter<AppState>)> {
    vec![
        (Route::get("/api/v1/openapi.json"), get(openapi_json)),
        (Route::get("/api/v1/node"), get(api::node_info)),
        (Route::get("/api/v1/commons"), get(api::list_commons)),
        (
            Route::get("/api/v1/commons/{id}"),
            get(api::commons_overview),
        ),
        (Route::post("/api/v1/events"), post(api::submit_event)),
        (
            Route::post("/api/v1/events/batch"),
            post(api::submit_events_batch),
        ),
        (Route::post("/api/v1/blobs"), post(blobs::put_blob)),
        (Route::get("/api/v1/blobs/{name}"), get(blobs::get_blob)),
        (Route::head("/api/v1/blobs/{name}"), head(blobs::head_blob)),
        (
            Route::get("/api/v1/commons/{id}/events"),
            get(api::list_events),
        ),
        (
            Route::get("/api/v1/commons/{id}/events/{event_id}"),
            get(api::get_event),
        ),
        (
            Route::get("/api/v1/commons/{id}/entries"),
            get(api::entries),
        ),
        (
            Route::get("/api/v1/commons/{id}/authorize"),
            get(authz::authorize),
        ),
        (
            Route::get("/api/v1/commons/{id}/areas"),
            get(production::list_areas),
        ),
        (
            Route::get("/api/v1/commons/{id}/tasks"),
            get(production::task_board),
        ),
        (
            Route::get("/api/v1/commons/{id}/tasks/{task}"),
            get(production::get_task),
        ),
        (
            Route::get("/api/v1/commons/{id}/contributions"),
            get(production::list_contributions),
        ),
        (
            Route::get("/api/v1/commons/{id}/contributions/{contribution}"),
            get(production::get_contribution),
        ),
        (
            Route::get("/api/v1/commons/{id}/artifacts"),
            get(production::list_artifacts),
        ),
        (
            Route::get("/api/v1/commons/{id}/artifacts/{artifact}"),
            get(production::get_artifact),
        ),
        (
            Route::get("/api/v1/commons/{id}/threads/{kind}/{subject}"),
            get(production::get_thread),
        ),
        (
            Route::get("/api/v1/commons/{id}/people/{key}"),
            get(production::person_record),
        ),
        (
            Route::get("/api/v1/commons/{id}/feed"),
            get(production::activity_feed),
        ),
        (
            Route::get("/api/v1/commons/{id}/statistics"),
            get(production::statistics),
        ),
        (
            Route::get("/api/v1/commons/{id}/association"),
            get(association::association_overview),
        ),
        (
            Route::get("/api/v1/commons/{id}/members"),
            get(association::list_members),
        ),
        (
            Route::get("/api/v1/commons/{id}/applications"),
            get(association::list_applications),
        ),
        (
            Route::get("/api/v1/commons/{id}/polls"),
            get(association::list_polls),
        ),
        (
            Route::get("/api/v1/commons/{id}/polls/preview"),
            get(association::poll_preview),
        ),
        (
            Route::get("/api/v1/commons/{id}/polls/{poll}"),
            get(association::get_poll),
        ),
        (
            Route::get("/api/v1/commons/{id}/polls/{poll}/electorate"),
            get(association::poll_electorate),
        ),
        (
            Route::get("/api/v1/commons/{id}/polls/{poll}/ballots"),
            get(association::poll_ballots),
        ),
        (
            Route::get("/api/v1/commons/{id}/polls/{poll}/ballots.blt"),
            get(association::poll_ballots_blt),
        ),
        (
            Route::get("/api/v1/commons/{id}/polls/{poll}/ballots.json"),
            get(association::poll_count_input),
        ),
        (
            Route::get("/api/v1/commons/{id}/delegations"),
            get(association::list_delegations),
        ),
        (
            Route::get("/api/v1/commons/{id}/people/{key}/delegations"),
            get(association::person_delegations),
        ),
        (
            Route::get("/api/v1/commons/{id}/budgets"),
            get(budget::list_rounds),
        ),
        (
            Route::get("/api/v1/commons/{id}/budgets/{round}"),
            get(budget::get_round),
        ),
        (
            Route::get("/api/v1/commons/{id}/budgets/{round}/electorate"),
            get(budget::round_electorate),
        ),
        (
            Route::get("/api/v1/commons/{id}/budgets/{round}/ballots"),
            get(budget::round_ballots),
        ),
        (
            Route::get("/api/v1/commons/{id}/authorisations"),
            get(budget::list_authorisations),
        ),
        (
            Route::get("/api/v1/commons/{id}/treasury"),
            get(value::treasury),
        ),
        (
            Route::get("/api/v1/commons/{id}/incomes"),
            get(value::list_incomes),
        ),
        (
            Route::get("/api/v1/commons/{id}/journal"),
            get(value::journal),
        ),
        (
            Route::get("/api/v1/commons/{id}/equation"),
            get(value::equation),
        ),
        (
            Route::get("/api/v1/commons/{id}/distributions"),
            get(value::list_distributions),
        ),
        (
            Route::get("/api/v1/commons/{id}/distributions/{dist}"),
            get(value::get_distribution),
        ),
        (
            Route::get("/api/v1/commons/{id}/distributions/{dist}/explain"),
            get(value::explain_share),
        ),
        (
            Route::get("/api/v1/commons/{id}/people/{key}/earnings"),
            get(value::person_earnings),
        ),
        (
            Route::get("/api/v1/commons/{id}/polls/{poll}/simulation"),
            get(value::equation_simulation),
        ),
        (
            Route::get("/api/v1/commons/{id}/spending"),
            get(value::spending),
        ),
        (
            Route::get("/api/v1/commons/{id}/claims"),
            get(claims::list_claims),
        ),
        (
            Route::get("/api/v1/commons/{id}/claims/{claim}"),
            get(claims::get_claim),
        ),
        (
            Route::get("/api/v1/commons/{id}/circles"),
            get(value::list_circles),
        ),
        (
            Route::get("/api/v1/commons/{id}/circles/{circle}"),
            get(value::get_circle),
        ),
        (
            Route::get("/api/v1/commons/{id}/private/payment-details/{key}"),
            get(private::get_payment_details),
        ),
        (
            Route::put("/api/v1/commons/{id}/private/payment-details/{key}"),
            put(private::put_payment_details),
        ),
        (
            Route::get("/api/v1/commons/{id}/private/expenses/{expense}/attachments"),
            get(private::list_attachments),
        ),
        (
            Route::post("/api/v1/commons/{id}/private/expenses/{expense}/attachments"),
            post(private::post_attachment),
        ),
        (
            Route::get("/api/v1/commons/{id}/private/expenses/{expense}/attachments/{n}"),
            get(private::get_attachment),
        ),
        (
            Route::get("/api/v1/commons/{id}/checkpoint"),
            get(api::checkpoint),
        ),
        (
            Route::get("/api/v1/commons/{id}/checkpoints/{size}"),
            get(api::checkpoint_at),
        ),
        (
            Route::get("/api/v1/commons/{id}/proof/inclusion"),
            get(api::inclusion_proof),
        ),
        (
            Route::get("/api/v1/commons/{id}/proof/consistency"),
            get(api::consistency_proof),
        ),
        (
            Route::get("/api/v1/commons/{id}/receipt/{event_id}"),
            get(api::receipt),
        ),
        (
            Route::get("/api/v1/commons/{id}/lineage"),
            get(api::lineage),
        ),
        (Route::get("/api/v1/commons/{id}/forks"), get(api::forks)),
        (
            Route::get("/api/v1/commons/{id}/tlog/checkpoint"),
            get(api::checkpoint),
        ),
        (
            Route::get("/api/v1/commons/{id}/tlog/tile/{*path}"),
            get(tlog::tile),
        ),
    ]
}

/// Routes for operators and probes, outside the per-client rate limit so that health
/// checks and scrapes from one address never starve.
fn ops_endpoints() -> Vec<(Route, MethodRouter<AppState>)> {
    vec![
        (Route::get("/healthz"), get(healthz)),
        (Route::get("/metrics"), get(metrics_text)),
    ]
}

/// Every route of the API and of operations, which the OpenAPI document describes (the
/// web UI's pages, [`ui::endpoints`], are for people and not part of it).
pub fn routes() -> Vec<Route> {
    api_endpoints()
        .into_iter()
        .chain(ops_endpoints())
        .map(|(route, _)| route)
        .collect()
}

/// The whole HTTP interface of `node`.
pub fn router(node: Node, config: WebConfig) -> Router {
    let config = config.normalized();
    let limiter = Arc::new(limits::RateLimiter::new(
        config.requests_per_minute_per_client,
        config.request_burst_max,
        config.rate_limited_clients_max,
    ));
    let http_metrics = Arc::new(metrics::HttpMetrics::default());
    let request_timeout_ms = config.request_timeout_ms;
    let state = AppState {
        node,
        ui: Arc::new(ui::Ui::new(config.ui.clone())),
        config: Arc::new(config),
        openapi: Bytes::from(openapi::document().to_string()),
        http_metrics: http_metrics.clone(),
        charts: Arc::default(),
    };
    let mut api = Router::new();
    for (route, method_router) in api_endpoints() {
        api = api.route(route.path, method_router);
    }
    let api = api
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(api_panic))
        .layer(from_fn_with_state(request_timeout_ms, limits::timeout))
        .layer(from_fn_with_state(limiter.clone(), limits::rate_limit));
    let mut pages = Router::new();
    for (route, method_router) in ui::endpoints() {
        pages = pages.route(route.path, method_router);
    }
    let pages = pages
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            ui::panic_page,
        ))
        .layer(from_fn_with_state(request_timeout_ms, limits::timeout))
        .layer(from_fn_with_state(limiter, limits::rate_limit));
    let mut ops = Router::new();
    for (route, method_router) in ops_endpoints() {
        ops = ops.route(route.path, method_router);
    }
    Router::new()
        .merge(api)
        .merge(pages)
        .merge(ops)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(http_metrics, metrics::count_requests))
        .with_state(state)
}

/// Serves `router` on `listener` until ctrl-c (or SIGTERM on Unix), then lets requests in
/// flight finish. Each connection carries its peer address, which the rate limiter keys on.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    serve_with_shutdown(listener, router, shutdown_signal()).await
}

/// [`serve`] that stops when `signal` completes, for embedding and end-to-end tests.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    router: Router,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal)
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            // Without the handler the node can still be stopped by other signals.
            tracing::error!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.clone(),
    )
        .into_response()
}

/// A handler that panicked: the detail goes to the log, the client gets `internal`.
fn api_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Fault(format!("handler panicked: {}", ui::panic_message(&*panic))).into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let text = state
        .http_metrics
        .render_with(&state.node.metrics().render());
    (
        [(header::CONTENT_TYPE, metrics::METRICS_CONTENT_TYPE)],
        text,
    )
        .into_response()
}

/// Unknown paths: a JSON error under `/api/`, the HTML 404 page elsewhere.
async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::not_found("not_found", "no such route; see /api/v1/openapi.json").into_response()
    } else {
        ui::not_found_page().await
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
