//! `/api/v1/blobs`: the content-addressed blobs that events name by digest (artifact
//! contents kept outside the ledger). A blob goes up as raw bytes and comes back under
//! its name `alg:hex`; a name always means the same bytes, so answers are cached for good.

use crate::AppState;
use crate::api::{read_body, require_media_type};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commons_ledger::blob::{BlobAlg, BlobRef};
use commons_node::BlobError;
use commons_store::BLOB_BYTES_MAX;
use serde::{Deserialize, Serialize};

/// The media type of a blob's bytes, both ways.
pub const OCTET_STREAM: &str = "application/octet-stream";
/// A blob never changes under its name.
pub const BLOB_CACHE_CONTROL: &str = crate::tlog::FULL_TILE_CACHE_CONTROL;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutQuery {
    /// `sha256` or `blake3`; by default the one a client picks for the size.
    alg: Option<String>,
}

/// The answer to a put: the blob's name, its parts and its size.
#[derive(Debug, Serialize)]
pub struct BlobAnswer {
    #[serde(rename = "ref")]
    pub reference: String,
    pub alg: &'static str,
    pub hash: String,
    pub size: u64,
}

impl BlobAnswer {
    fn of(blob: &BlobRef) -> BlobAnswer {
        BlobAnswer {
            reference: blob.name(),
            alg: blob.alg.as_str(),
            hash: hex::encode(blob.hash),
            size: blob.size,
        }
    }
}

/// `POST /api/v1/blobs`: the raw bytes in, `{ref, alg, hash, size}` out — 201 when stored
/// now, 200 when the node held the blob already. A body over [`BLOB_BYTES_MAX`] is
/// refused (413 `blob_too_large`) from its declared length, or as soon as more arrives,
/// without buffering it.
pub async fn put_blob(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PutQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    require_media_type(&headers, OCTET_STREAM, "a blob")?;
    let alg = match query.alg.as_deref() {
        None => None,
        Some(text) => Some(BlobAlg::parse(text).ok_or_else(|| {
            ApiError::bad_request("invalid_query", "alg is `sha256` or `blake3`")
        })?),
    };
    let limit_bytes = usize::try_from(BLOB_BYTES_MAX).unwrap_or(usize::MAX);
    let bytes = read_body(&headers, body, limit_bytes)
        .await
        .map_err(|error| match error {
            ApiError::RequestTooLarge { .. } => ApiError::from(BlobError::TooLarge),
            other => other,
        })?;
    let bytes = Vec::from(bytes);
    let put = match alg {
        Some(alg) => state.node.put_blob_as(alg, None, bytes).await?,
        None => state.node.put_blob(bytes).await?,
    };
    let status = if put.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (status, Json(BlobAnswer::of(&put.blob))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/blobs/{}", put.blob.name())) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `GET /api/v1/blobs/{name}`: the bytes, cached for good under their name.
pub async fn get_blob(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (alg, hash) = parse_name(&name)?;
    let (blob, bytes) = state
        .node
        .blob(alg, &hash)
        .await?
        .ok_or_else(|| unknown(&name))?;
    let mut response = bytes.into_response();
    set_blob_headers(response.headers_mut(), &blob);
    Ok(response)
}

/// `HEAD /api/v1/blobs/{name}`: the headers of `GET`, without reading the bytes.
pub async fn head_blob(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (alg, hash) = parse_name(&name)?;
    let blob = state
        .node
        .blob_meta(alg, &hash)
        .await?
        .ok_or_else(|| unknown(&name))?;
    let mut response = StatusCode::OK.into_response();
    set_blob_headers(response.headers_mut(), &blob);
    Ok(response)
}

/// Reads `alg:hex` in its one spelling (lowercase hex), so every blob has one URL.
fn parse_name(name: &str) -> Result<(BlobAlg, [u8; 32]), ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "invalid_id",
            "a blob name is `sha256:` or `blake3:` and 64 lowercase hex digits",
        )
    };
    let (alg, hash) = BlobRef::parse_name(name).map_err(|_| invalid())?;
    if format!("{}:{}", alg.as_str(), hex::encode(hash)) != name {
        return Err(invalid());
    }
    Ok((alg, hash))
}

fn unknown(name: &str) -> ApiError {
    ApiError::not_found("blob_unknown", format!("this node holds no blob {name}"))
}

fn set_blob_headers(headers: &mut HeaderMap, blob: &BlobRef) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(OCTET_STREAM));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.size));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(BLOB_CACHE_CONTROL),
    );
    // An entity tag is a quoted string (RFC 9110 §8.8.3); the name is plain ASCII.
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", blob.name())) {
        headers.insert(header::ETAG, etag);
    }
}
