//! The one error type of the HTTP API. Every failure a handler can meet becomes an
//! [`ApiError`], and [`ApiError::status`] is the only place that chooses an HTTP status, so
//! a rejection code always travels with the same status and the same JSON shape
//! `{"code": …, "message": …}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commons_node::{BlobError, IngestError, NodeError, RejectionClass, SubmitError};
use serde::Serialize;

/// Seconds a client is asked to wait when the node is too busy to take its event.
pub const OVERLOADED_RETRY_AFTER_S: u64 = 1;

/// Why a request failed.
#[derive(Debug)]
pub enum ApiError {
    /// The node refused the event; its class decides the status and its code is kept.
    Rejected(IngestError),
    /// The node did not store a blob (never a fault: those become [`ApiError::Fault`]).
    Blob(BlobError),
    /// The request itself is wrong (a parameter, a range, an id).
    BadRequest {
        code: &'static str,
        message: String,
    },
    /// The request needs a logged-in account (the `commons_session` cookie).
    Unauthorized {
        code: &'static str,
        message: String,
    },
    /// The caller is known but may not do this.
    Forbidden {
        code: &'static str,
        message: String,
    },
    /// The request conflicts with what is stored (a limit on how many there may be).
    Conflict {
        code: &'static str,
        message: String,
    },
    /// A body or value larger than a named limit, with its own code.
    TooLarge {
        code: &'static str,
        message: String,
    },
    /// The thing asked for is not here.
    NotFound {
        code: &'static str,
        message: String,
    },
    MethodNotAllowed,
    UnsupportedMediaType {
        code: &'static str,
        message: String,
    },
    RequestTooLarge {
        limit_bytes: usize,
    },
    RateLimited {
        retry_after_s: u64,
    },
    Timeout {
        limit_ms: u64,
    },
    /// The node is stopping; the client may retry elsewhere or later.
    ShuttingDown,
    /// The node failed. The detail is logged, never sent: it may name files or queries.
    Fault(String),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::NotFound {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status of this error: the single mapping of the API.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Rejected(e) => match e.class() {
                RejectionClass::Malformed => StatusCode::BAD_REQUEST,
                RejectionClass::Forbidden => StatusCode::FORBIDDEN,
                RejectionClass::NotFound => StatusCode::NOT_FOUND,
                RejectionClass::Conflict => StatusCode::CONFLICT,
                RejectionClass::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                RejectionClass::Rule => StatusCode::UNPROCESSABLE_ENTITY,
                RejectionClass::Busy => StatusCode::SERVICE_UNAVAILABLE,
                RejectionClass::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            },
            ApiError::Blob(e) => match e {
                BlobError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                BlobError::StoreFull => StatusCode::INSUFFICIENT_STORAGE,
                BlobError::Mismatch { .. } => StatusCode::BAD_REQUEST,
                BlobError::Fault(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Timeout { .. } | ApiError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Fault(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Rejected(e) => e.code(),
            ApiError::Blob(e) => e.code(),
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::TooLarge { code, .. }
            | ApiError::UnsupportedMediaType { code, .. }
            | ApiError::NotFound { code, .. } => code,
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::RequestTooLarge { .. } => "request_too_large",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Timeout { .. } => "timeout",
            ApiError::ShuttingDown => "shutting_down",
            ApiError::Fault(_) => "internal",
        }
    }

    /// The message for people; a fault's detail stays in the log.
    pub fn message(&self) -> String {
        match self {
            ApiError::Rejected(e) => e.to_string(),
            ApiError::Blob(e) => e.to_string(),
            ApiError::BadRequest { message, .. }
            | ApiError::Unauthorized { message, .. }
            | ApiError::Forbidden { message, .. }
            | ApiError::Conflict { message, .. }
            | ApiError::TooLarge { message, .. }
            | ApiError::NotFound { message, .. }
            | ApiError::UnsupportedMediaType { message, .. } => message.clone(),
            ApiError::MethodNotAllowed => "this path does not answer that method".into(),
            ApiError::RequestTooLarge { limit_bytes } => {
                format!("the request body is larger than {limit_bytes} bytes")
            }
            ApiError::RateLimited { retry_after_s } => {
                format!("too many requests from this client; retry in {retry_after_s} s")
            }
            ApiError::Timeout { limit_ms } => format!("the request took longer than {limit_ms} ms"),
            ApiError::ShuttingDown => "the node is shutting down".into(),
            ApiError::Fault(_) => "internal error".into(),
        }
    }

    fn retry_after_s(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_s } => Some(*retry_after_s),
            ApiError::Rejected(IngestError::Overloaded) => Some(OVERLOADED_RETRY_AFTER_S),
            _ => None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Fault(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let status = self.status();
        let body = ErrorBody {
            code: self.code(),
            message: self.message(),
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_s() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> ApiError {
        ApiError::Rejected(e)
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> ApiError {
        match e {
            BlobError::Fault(e) => e.into(),
            refused => ApiError::Blob(refused),
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> ApiError {
        match e {
            NodeError::ShuttingDown => ApiError::ShuttingDown,
            other => ApiError::Fault(other.to_string()),
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> ApiError {
        match e {
            SubmitError::Rejected(e) => e.into(),
            SubmitError::Fault(e) => e.into(),
        }
    }
}

impl From<commons_store::StoreError> for ApiError {
    fn from(e: commons_store::StoreError) -> ApiError {
        ApiError::Fault(format!("store: {e}"))
    }
}
