//! The HTTP API (`/api/v1`, JSON) and `/health`.
//!
//! Handlers are thin: extract and parse, call [`crate::service::Acta`], map the
//! result. Every error leaves as `application/problem+json` (RFC 9457) with a
//! stable `code` (see [`error`] and `docs/errors.md`).
//!
//! A panic in a handler is caught by the outermost layers and answered
//! `500 internal_panic` for that request alone (the process relies on
//! unwinding: building with `panic = "abort"` is refused below). Connections
//! are served by [`server`], which bounds their number and duration.
//!
//! Who may call what is declared in one table ([`routes`]) and enforced by one
//! middleware ([`access`]); JSON bodies are checked against the limits of
//! [`input`] before anything reads them.

pub mod access;
mod access_problems;
mod acts;
mod admin;
mod campaign_samples;
mod campaigns;
mod conditional;
pub mod error;
mod health;
pub mod input;
pub mod openapi;
mod quarantine;
pub(crate) mod range;
mod register;
pub mod routes;
pub(crate) use quarantine::xml_download as quarantine_download;
mod search;
pub mod server;
mod transfers;

use std::any::Any;
use std::sync::Arc;

#[cfg(panic = "abort")]
compile_error!("acta answers a panicking request with a 500 and serves on: build it with panic = \"unwind\"");

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::service::Acta;

pub use register::pdf_body_limit;

/// What every handler receives.
pub type AppState = Arc<Acta>;

/// The whole router. `max_body_bytes` bounds request bodies.
pub fn router(acta: AppState, max_body_bytes: usize) -> Router {
    router_with(acta, max_body_bytes, Router::new())
}

/// The whole router plus `extra` routes, which the access gate does not see
/// but every outer layer wraps (panics caught, security headers, request
/// ids, tracing): for diagnostics, and for tests that need a misbehaving
/// route.
pub fn router_with(acta: AppState, max_body_bytes: usize, extra: Router<AppState>) -> Router {
    let table = routes::table();
    let rules = access::Rules::new(table.iter().map(|(r, _)| (r.method.clone(), r.path, r.access)));
    let pdf_limit = register::pdf_body_limit(max_body_bytes, acta.max_pages());
    let campaign_limit = acta.campaign_upload_limit().max(max_body_bytes);
    let limits = access::BodyLimits { default: max_body_bytes, pdf: pdf_limit, campaign: campaign_limit };
    let gate = Arc::new(access::Gate::new(Arc::clone(&acta), rules, limits));
    let mut router = Router::new();
    for (route, mut handler) in table {
        if routes::PDF_BODY_ROUTES.contains(&route.path) {
            // Inside the router-wide limit below, so it overrides it.
            handler = handler.layer(DefaultBodyLimit::max(pdf_limit));
        }
        if routes::CAMPAIGN_BODY_ROUTES.contains(&route.path) {
            handler = handler.layer(DefaultBodyLimit::max(campaign_limit));
        }
        router = router.route(route.path, handler);
    }
    // `Router::layer` wraps each route after routing, so the gate sees the
    // matched path and finds the route's rule.
    let router = router
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&gate), access::gate))
        .layer(Extension(gate))
        .layer(DefaultBodyLimit::max(max_body_bytes));
    let mut router = extra.merge(router).layer(CatchPanicLayer::custom(panic_problem));
    // `if_not_present`: no API handler sets these; the pages' router (merged
    // beside this one) answers unknown addresses with its own.
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    traced(router, "api").with_state(acta)
}

/// Whether `path` is the API's (JSON answers) rather than a page's.
pub(crate) fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path == "/api" || path == "/health"
}

/// The request-id and trace layers of a router (the API's, the pages'):
/// layers run outside-in, so an odd client id is dropped first, a fresh one
/// set if needed, seen by the trace span (`kind`: `api` or `page`), then
/// copied onto the response so a user can quote it to support.
pub(crate) fn traced<S: Clone + Send + Sync + 'static>(router: Router<S>, kind: &'static str) -> Router<S> {
    let request_id = HeaderName::from_static(REQUEST_ID);
    router
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(move |req: &Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", kind, method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_odd_request_id))
}

/// Longest request id kept from a client or a proxy.
const MAX_REQUEST_ID: usize = 128;

/// A request id sent by a client or a proxy is echoed, logged and written
/// into the audit trail: it is kept only when it looks like a correlation id
/// (one header, 1–128 letters, digits or `-_.:`); any other is dropped, so
/// that the request gets a fresh UUID.
async fn drop_odd_request_id(mut req: axum::extract::Request) -> axum::extract::Request {
    let mut sent = req.headers().get_all(REQUEST_ID).iter();
    let plausible = match (sent.next(), sent.next()) {
        (None, _) => return req,
        (Some(id), None) => {
            let id = id.as_bytes();
            (1..=MAX_REQUEST_ID).contains(&id.len())
                && id.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
        }
        (Some(_), Some(_)) => false,
    };
    if !plausible {
        req.headers_mut().remove(REQUEST_ID);
    }
    req
}

/// A panicking request: logged with its message (inside the request's span,
/// so with its id), answered with an opaque 500.
pub fn panic_problem(payload: Box<dyn Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "request handler panicked; answered 500, serving on");
    error::Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_panic",
        "Erreur interne",
        "une erreur inattendue a interrompu le traitement de cette requête ; elle a été journalisée \
         et n'affecte pas les autres requêtes"
            .into(),
    )
    .into_response()
}

/// Header carrying the request id (kept if the client or a proxy sent one).
pub const REQUEST_ID: &str = "x-request-id";

/// Headers on every response: the API serves JSON and PDFs, never pages to
/// frame, scripts to run or referrers to leak.
pub(crate) const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
];
