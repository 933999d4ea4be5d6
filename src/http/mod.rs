//! The HTTP API (`/api/v1`, JSON) and `/health`.
//!
//! Handlers are thin: extract and parse, call [`crate::service::Acta`], map the
//! result. Every error leaves as `application/problem+json` (RFC 9457) with a
//! stable `code` (see [`error`] and `docs/errors.md`).

mod acts;
pub mod error;
mod health;
mod range;
mod search;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::service::Acta;

/// What every handler receives.
pub type AppState = Arc<Acta>;

/// The whole router. `max_body_bytes` bounds request bodies.
pub fn router(acta: AppState, max_body_bytes: usize) -> Router {
    let api = Router::new()
        .route("/acts", post(acts::create))
        .route("/acts/{id}", get(acts::get))
        .route("/acts/{id}/seal", post(acts::seal))
        .route("/acts/{id}/pdf", get(acts::pdf))
        .route("/search", get(search::search))
        .route("/templates", get(acts::templates));
    Router::new()
        .route("/health", get(health::health))
        .nest("/api/v1", api)
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(acta)
}
