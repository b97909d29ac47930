//! Extractors that turn axum's own rejections (plain-text bodies) into [`ApiError`]s, so a
//! bad query string or path answers in the same JSON shape as everything else.

use crate::error::ApiError;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use commons_ledger::{AuthorKey, CommonsId, EventId, Kind};
use serde::de::DeserializeOwned;

/// A typed query string; anything it cannot parse is a 400 `invalid_query`.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| ApiError::bad_request("invalid_query", rejection.body_text()))
    }
}

/// Typed path parameters; a parameter that does not parse is a 400 `invalid_path`.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| ApiError::bad_request("invalid_path", rejection.body_text()))
    }
}

pub fn parse_commons_id(text: &str) -> Result<CommonsId, ApiError> {
    strict_hex_32(text).map(CommonsId).ok_or_else(|| {
        ApiError::bad_request("invalid_id", "a commons id is 64 lowercase hex digits")
    })
}

pub fn parse_event_id(text: &str) -> Result<EventId, ApiError> {
    strict_hex_32(text).map(EventId).ok_or_else(|| {
        ApiError::bad_request("invalid_id", "an event id is 64 lowercase hex digits")
    })
}

pub fn parse_author(text: &str) -> Result<AuthorKey, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "invalid_query",
            "author must be 66 lowercase hex digits (01 and the key)",
        )
    };
    if !is_lowercase_hex(text) {
        return Err(invalid());
    }
    AuthorKey::from_hex(text).map_err(|_| invalid())
}

pub fn parse_kind(text: &str) -> Result<Kind, ApiError> {
    Kind::new(text).map_err(|e| ApiError::bad_request("invalid_query", format!("kind: {e}")))
}

/// Ids are lowercase hex in JSON and paths (spec §12); accepting exactly one spelling keeps
/// every id at one URL, which caches and mirrors rely on.
fn strict_hex_32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !is_lowercase_hex(text) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

fn is_lowercase_hex(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
