//! Conditional GETs of sealed acts (RFC 9110 §8.8.3, §13.1.2): a sealed PDF
//! never changes, so its SHA-256 is a strong entity tag (`ETag`) and a
//! client that already holds it (`If-None-Match`) is answered
//! `304 Not Modified` without a byte of it being read. A sealed act's view
//! can still change (a withdrawal, an archiving): its tag is the act's
//! SHA-256 plus a digest of the representation, and it is revalidated on
//! every use. Drafts are never cached.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::domain::Sha256Digest;

/// `Cache-Control` of a sealed PDF: only the caller's own cache (the access
/// gate decided who may read it), for a year, never revalidated.
pub const SEALED_PDF: &str = "private, max-age=31536000, immutable";
/// `Cache-Control` of a sealed act's view: kept, but revalidated each time.
pub const SEALED_VIEW: &str = "private, no-cache";
/// `Cache-Control` of a draft, PDF or view: never stored.
pub const DRAFT: &str = "no-store";

/// The strong entity tag of a sealed PDF: its quoted SHA-256.
pub fn pdf_tag(sha256: &Sha256Digest) -> String {
    format!("\"{sha256}\"")
}

/// The strong entity tag of a sealed act's view: the act's SHA-256 and the
/// first 64 bits of the representation's own digest.
pub fn view_tag(sha256: &Sha256Digest, representation: &[u8]) -> String {
    let digest = Sha256Digest::of(representation);
    format!("\"{sha256}-{}\"", &digest.as_str()[..16])
}

/// Whether `If-None-Match` names `tag` (or is `*`): weak comparison, as the
/// RFC requires for this header; several headers and lists are read.
pub fn none_match(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == tag)
}

/// `304 Not Modified` with the headers the 200 would have carried.
pub fn not_modified(tag: &str, cache_control: &'static str) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    tag_response(&mut r, tag, cache_control);
    r
}

/// Set `ETag` and `Cache-Control` on `r`.
pub fn tag_response(r: &mut Response, tag: &str, cache_control: &'static str) {
    let h = r.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(tag).expect("hex digits and quotes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_lists_and_star() {
        let sha = Sha256Digest::of(b"acte");
        let tag = pdf_tag(&sha);
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.append(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(none_match(&with(&tag), &tag));
        assert!(none_match(&with(&format!("W/{tag}")), &tag));
        assert!(none_match(&with(&format!("\"other\", {tag}")), &tag));
        assert!(none_match(&with("*"), &tag));
        assert!(!none_match(&with(sha.as_str()), &tag), "an unquoted tag is not the tag");
        assert!(!none_match(&with("\"other\""), &tag));
        assert!(!none_match(&HeaderMap::new(), &tag));
        assert_ne!(view_tag(&sha, b"{}"), view_tag(&sha, b"{\"retrait\":1}"));
    }
}
