//! HTTP range requests (RFC 9110 §14) for sealed PDFs: one range per request
//! (`bytes=a-b`, `bytes=a-`, `bytes=-n`); a header we do not understand, or
//! several ranges, is ignored and the whole object is sent, as the RFC allows.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::store::{GetRange, ObjectRead};

/// Parse a `Range` header value into the range to read.
pub fn parse(value: &str) -> Option<GetRange> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    match (a.trim(), b.trim()) {
        ("", n) => n.parse().ok().filter(|&n| n > 0).map(GetRange::Suffix),
        (a, "") => Some(GetRange::Offset(a.parse().ok()?)),
        (a, b) => {
            let (start, end): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
            (start <= end).then_some(GetRange::Bounded(start..end + 1))
        }
    }
}

/// 200 with the whole object, streamed.
pub fn full(read: ObjectRead) -> Response {
    let size = read.size;
    let mut r = Body::from_stream(read.stream).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    r
}

/// 206 with one range, streamed.
pub fn partial(read: ObjectRead) -> Response {
    let (size, range) = (read.size, read.range.clone());
    let mut r = (StatusCode::PARTIAL_CONTENT, Body::from_stream(read.stream)).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(range.end - range.start));
    let content_range = format!("bytes {}-{}/{size}", range.start, range.end - 1);
    h.insert(header::CONTENT_RANGE, HeaderValue::from_str(&content_range).expect("ASCII"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    r
}

/// 416 for a range outside the object.
pub fn not_satisfiable(size: u64) -> Response {
    let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    let value = HeaderValue::from_str(&format!("bytes */{size}")).expect("ASCII");
    r.headers_mut().insert(header::CONTENT_RANGE, value);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_single_range_forms_are_understood() {
        assert_eq!(parse("bytes=0-99"), Some(GetRange::Bounded(0..100)));
        assert_eq!(parse("bytes=990-"), Some(GetRange::Offset(990)));
        assert_eq!(parse("bytes=-10"), Some(GetRange::Suffix(10)));
    }

    #[test]
    fn what_is_not_one_range_is_ignored() {
        for v in ["bytes=0-1,5-6", "items=0-1", "bytes=5-1", "bytes=a-b", "bytes=-0", "0-1"] {
            assert_eq!(parse(v), None, "{v}");
        }
    }
}
