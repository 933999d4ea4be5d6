//! The HTTP API (`/api/v1`, JSON) and `/health`.
//!
//! Handlers are thin: extract and parse, call [`crate::service::Acta`], map the
//! result. Every error leaves as `application/problem+json` (RFC 9457) with a
//! stable `code` (see [`error`] and `docs/errors.md`).
//!
//! Who may call what is declared in one table ([`routes`]) and enforced by one
//! middleware ([`access`]); JSON bodies are checked against the limits of
//! [`input`] before anything reads them.

pub mod access;
mod access_problems;
mod acts;
mod admin;
pub mod error;
mod health;
pub mod input;
pub mod openapi;
mod range;
mod register;
pub mod routes;
mod search;
mod transfers;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::{Extension, Router};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::service::Acta;

/// What every handler receives.
pub type AppState = Arc<Acta>;

/// The whole router. `max_body_bytes` bounds request bodies.
pub fn router(acta: AppState, max_body_bytes: usize) -> Router {
    let table = routes::table();
    let rules = access::Rules::new(table.iter().map(|(r, _)| (r.method.clone(), r.path, r.access)));
    let gate = Arc::new(access::Gate::new(Arc::clone(&acta), rules, max_body_bytes));
    let mut router = Router::new();
    for (route, handler) in table {
        router = router.route(route.path, handler);
    }
    let request_id = HeaderName::from_static(REQUEST_ID);
    // `Router::layer` wraps each route after routing, so the gate sees the
    // matched path and finds the route's rule.
    let mut router = router
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&gate), access::gate))
        .layer(Extension(gate))
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
