//! `GET /api/v1/search?q=…&limit=…`.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::AppState;
use super::error::ApiError;
use crate::search::Results;

/// Hits returned when `limit` is not given.
const DEFAULT_LIMIT: usize = 20;

/// Query-string parameters.
#[derive(Debug, Deserialize)]
pub struct Params {
    /// Query text; empty matches everything.
    #[serde(default)]
    q: String,
    /// Number of hits (1–100).
    limit: Option<usize>,
}

/// Full-text search over acts.
pub async fn search(
    State(acta): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Json<Results>, ApiError> {
    Ok(Json(acta.search(&p.q, p.limit.unwrap_or(DEFAULT_LIMIT)).await?))
}
