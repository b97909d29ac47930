//! `GET /api/v1/commons/{id}/authorize`: may this key submit this kind here? The same
//! answer ingest gives (core's `authz::authorize` on the durable state), asked before
//! signing; `commons can` and the web UI ask the same question.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery, parse_author, parse_commons_id, parse_kind};
use axum::Json;
use axum::extract::State;
use commons_node::{IngestError, SubmitError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    author: String,
    kind: String,
}

/// The answer: allowed, or the stable code and message the ledger would refuse with.
#[derive(Debug, Serialize)]
pub struct AuthorizeAnswer {
    pub allowed: bool,
    /// Who may submit the kind: `anyone`, `maintainer`, `sequencer` or `founder`;
    /// `null` for a kind this node does not know.
    pub role: Option<&'static str>,
    pub code: Option<&'static str>,
    pub message: Option<String>,
}

pub async fn authorize(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<AuthorizeQuery>,
) -> Result<Json<AuthorizeAnswer>, ApiError> {
    let commons = parse_commons_id(&id)?;
    let author = parse_author(&query.author)?;
    let kind = parse_kind(&query.kind)?;
    let role = commons_core::authz::required_role(kind.as_str()).map(|r| r.as_str());
    match state.node.authorize(&commons, &author, kind.as_str()).await {
        Ok(()) => Ok(Json(AuthorizeAnswer {
            allowed: true,
            role,
            code: None,
            message: None,
        })),
        Err(SubmitError::Rejected(IngestError::UnknownCommons(id))) => Err(ApiError::not_found(
            "unknown_commons",
            format!("this node hosts no commons with id {id}"),
        )),
        Err(SubmitError::Rejected(refusal)) => Ok(Json(AuthorizeAnswer {
            allowed: false,
            role,
            code: Some(refusal.code()),
            message: Some(refusal.to_string()),
        })),
        Err(SubmitError::Fault(fault)) => Err(fault.into()),
    }
}
