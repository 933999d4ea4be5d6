//! `GET /api/v1/search?q=…&collectivite=…&year_from=…&sort=…&limit=…&offset=…`.
//!
//! Parameters are parsed by [`SearchRequest::from_params`], which names every
//! mistake in French (400 `invalid_query`). The caller's [`Scope`] comes from a
//! request extension set by the access gate; a request without one is refused
//! (500), never served with a wider scope.

use axum::extract::{Query, State};
use axum::{Extension, Json};

use super::AppState;
use super::access::scope_of;
use super::error::{ApiError, Problem};
use crate::search::{Results, Scope, SearchRequest};
use crate::service::ServiceError;

/// Full-text search over acts, with filters, facets and snippets.
#[utoipa::path(get, path = "/api/v1/search", tag = "search",
    params(("q" = Option<String>, Query, description = "free text; see docs/api.md for every parameter")),
    responses((status = 200, description = "`{total, offset, hits, facets}`", body = Object),
              (status = 400, body = Problem)))]
pub async fn search(
    State(acta): State<AppState>,
    scope: Option<Extension<Scope>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Results>, ApiError> {
    let req = SearchRequest::from_params(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(ServiceError::from)?;
    let scope = scope_of(scope)?;
    Ok(Json(acta.search(req, scope).await?))
}
