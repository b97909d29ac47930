//! The ledger as c2sp.org/tlog-tiles below `/api/v1/commons/{id}/tlog/` (spec §8): the
//! checkpoint, hash tiles `tile/<L>/<N>[.p/<W>]` and entry bundles
//! `tile/entries/<N>[.p/<W>]`, so a mirror can copy them to a static file server.

use crate::AppState;
use crate::api::commons_view;
use crate::error::ApiError;
use crate::extract::ApiPath;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use commons_ledger::tiles::{self, TileError};

/// A full tile or bundle never changes, so caches may keep it for a year without asking.
pub const FULL_TILE_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// A partial tile at a given width never changes either, but servers may delete it once
/// the full tile exists (tlog-tiles), so it is cached briefly.
pub const PARTIAL_TILE_CACHE_CONTROL: &str = "public, max-age=60";
/// The media type tlog-tiles gives tiles and bundles.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// `GET /api/v1/commons/{id}/tlog/tile/{*path}`: a hash tile or an entry bundle.
pub async fn tile(
    State(state): State<AppState>,
    ApiPath((id, rest)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let view = commons_view(&state, &id)?;
    let path = format!("tile/{rest}");
    let bad_path = |e: TileError| ApiError::bad_request(e.code(), e.to_string());
    let (bytes, full) = if rest.starts_with("entries/") {
        let bundle = tiles::parse_entries_path(&path).map_err(bad_path)?;
        (
            state.node.entry_bundle(&view.id, bundle).await?,
            bundle.is_full(),
        )
    } else {
        let tile = tiles::parse_tile_path(&path).map_err(bad_path)?;
        (state.node.tile(&view.id, tile).await?, tile.is_full())
    };
    let Some(bytes) = bytes else {
        return Err(ApiError::not_found(
            "tile_not_found",
            format!("{path} is not complete in the ledger of size {}", view.size),
        ));
    };
    let cache_control = if full {
        FULL_TILE_CACHE_CONTROL
    } else {
        PARTIAL_TILE_CACHE_CONTROL
    };
    let mut response = ([(header::CONTENT_TYPE, OCTET_STREAM)], bytes).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    Ok(response)
}
