//! Addresses that lead nowhere: the pages answer « Page introuvable »
//! (HTML, 404, with the menu of the person logged in); an address of the
//! API (`/api/…`, `/health`) keeps its JSON problem, as integrators expect.
//!
//! The pages declare one catch-all route ([`CATCH_ALL`]); more specific
//! routes (the API's, the pages') always win over it. The gate answers it
//! itself ([`unknown`]), whatever the method, before any rule or form check.

use axum::response::{IntoResponse, Response};

use crate::web::gate::Visit;
use crate::web::page::not_found;

/// The route matching every address no other route matches.
pub const CATCH_ALL: &str = "/{*path}";

/// The answer for an address no route matches.
pub async fn unknown(visit: &Visit, path: &str) -> Response {
    if crate::http::is_api_path(path) {
        // The API's answer with the API's headers (the pages' are only set
        // where a response has none).
        let mut resp = crate::http::error::not_found().await.into_response();
        for (name, value) in crate::http::SECURITY_HEADERS {
            resp.headers_mut().insert(name, axum::http::HeaderValue::from_static(value));
        }
        return resp;
    }
    not_found(visit)
}

/// The handler behind [`CATCH_ALL`] (the gate answers first; kept for a
/// router used without the gate).
pub async fn fallback() -> Response {
    unknown(&Visit::anonymous(), "/").await
}
