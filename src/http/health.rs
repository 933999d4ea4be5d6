//! `GET /health`: liveness, for load balancers and the README tour.

use axum::Json;
use serde_json::{Value, json};

/// Always 200 while the process serves requests.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}
