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
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
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
    let request_id = HeaderName::from_static(REQUEST_ID);
    let mut router = Router::new()
        .route("/health", get(health::health))
        .nest("/api/v1", api)
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(max_body_bytes));
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value)));
    }
    // Layers run outside-in: the id is set first, then seen by the trace span,
    // then copied onto the response so a user can quote it to support.
    router
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(acta)
}

/// Header carrying the request id (kept if the client or a proxy sent one).
pub const REQUEST_ID: &str = "x-request-id";

/// Headers on every response: the API serves JSON and PDFs, never pages to
/// frame, scripts to run or referrers to leak.
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
];
