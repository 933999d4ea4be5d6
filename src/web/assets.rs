//! The stylesheet, built into the binary and served under a name that
//! carries its content hash (`/static/acta.<hash>.css`), so that browsers
//! may keep it for a year and still never use a stale one.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The stylesheet.
const CSS: &str = include_str!("../../web/static/acta.css");

/// `/static/acta.<first 16 hex digits of its SHA-256>.css`.
pub fn css_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let hash = hex::encode(Sha256::digest(CSS.as_bytes()));
        format!("/static/acta.{}.css", &hash[..16])
    })
}

/// `GET /static/{file}`: the stylesheet under its current name; 404 otherwise.
pub async fn file(Path(file): Path<String>) -> Response {
    if css_url().strip_prefix("/static/") != Some(file.as_str()) {
        return (StatusCode::NOT_FOUND, "introuvable").into_response();
    }
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
    ];
    (headers, CSS).into_response()
}
