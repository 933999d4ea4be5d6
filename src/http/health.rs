//! `GET /health`: liveness, for load balancers and the README tour.

use axum::Json;
use serde_json::{Value, json};

/// Always 200 while the process serves requests.
#[utoipa::path(get, path = "/health", tag = "public", responses((status = 200, description = "`{status, version}`", body = Object)))]
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}
