//! The stylesheet and the one script, built into the binary and served
//! under names that carry their content hash (`/static/acta.<hash>.css`,
//! `/static/acta.<hash>.js`), so that browsers may keep them for a year and
//! still never use a stale one. The script is progressive enhancement only
//! (the live « Aperçu » of the act forms): every page works without it.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The stylesheet.
const CSS: &str = include_str!("../../web/static/acta.css");

/// The script.
const JS: &str = include_str!("../../web/static/acta.js");

fn hashed(content: &str, ext: &str) -> String {
    let hash = hex::encode(Sha256::digest(content.as_bytes()));
    format!("/static/acta.{}.{ext}", &hash[..16])
}

/// `/static/acta.<first 16 hex digits of its SHA-256>.css`.
pub fn css_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| hashed(CSS, "css"))
}

/// `/static/acta.<first 16 hex digits of its SHA-256>.js`.
pub fn js_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| hashed(JS, "js"))
}

/// `GET /static/{file}`: the stylesheet or the script under its current
/// name; 404 otherwise.
pub async fn file(Path(file): Path<String>) -> Response {
    let name = |url: &'static str| url.strip_prefix("/static/");
    let (kind, body) = if name(css_url()) == Some(file.as_str()) {
        ("text/css; charset=utf-8", CSS)
    } else if name(js_url()) == Some(file.as_str()) {
        ("text/javascript; charset=utf-8", JS)
    } else {
        return (StatusCode::NOT_FOUND, "introuvable").into_response();
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
    ];
    (headers, body).into_response()
}
