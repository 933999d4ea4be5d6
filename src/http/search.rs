//! `GET /api/v1/search?q=…&collectivite=…&year_from=…&sort=…&limit=…&offset=…`.
//!
//! Parameters are parsed by [`SearchRequest::from_params`], which names every
//! mistake in French (400 `invalid_query`). The caller's [`Scope`] comes from a
//! request extension set by authentication; until roles exist, a request
//! without one sees everything.

use axum::extract::{Query, State};
use axum::{Extension, Json};

use super::AppState;
use super::error::ApiError;
use crate::search::{Results, Scope, SearchRequest};
use crate::service::ServiceError;

/// Full-text search over acts, with filters, facets and snippets.
pub async fn search(
    State(acta): State<AppState>,
    scope: Option<Extension<Scope>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Results>, ApiError> {
    let req = SearchRequest::from_params(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(ServiceError::from)?;
    let scope = scope.map_or_else(Scope::all, |Extension(s)| s);
    Ok(Json(acta.search(req, scope).await?))
}
