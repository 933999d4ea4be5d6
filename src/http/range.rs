//! HTTP range requests (RFC 9110 §14) for sealed PDFs: one range per request
//! (`bytes=a-b`, `bytes=a-`, `bytes=-n`); a header we do not understand, or
//! several ranges, is ignored and the whole object is sent, as the RFC allows.
//!
//! Positions are the caller's numbers: they are read as digits only (no sign,
//! no spaces inside), any `u64` is accepted, and no arithmetic on them can
//! wrap. A last position at or past the end means "to the end" (RFC 9110
//! §14.1.2), which is also how `bytes=a-18446744073709551615` is read; a first
//! position past the end is answered 416.

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
        ("", n) => position(n).filter(|&n| n > 0).map(GetRange::Suffix),
        (a, "") => Some(GetRange::Offset(position(a)?)),
        (a, b) => {
            let (start, last) = (position(a)?, position(b)?);
            if start > last {
                return None;
            }
            // `last` is inclusive; u64::MAX + 1 does not exist, and means the end.
            Some(last.checked_add(1).map_or(GetRange::Offset(start), |end| GetRange::Bounded(start..end)))
        }
    }
}

/// A byte position: ASCII digits only (`u64::from_str` would also take `+7`).
fn position(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
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

/// 200 with the whole object, from memory (a reference to the bytes, not a
/// copy).
pub fn whole(bytes: bytes::Bytes) -> Response {
    let size = bytes.len() as u64;
    let mut r = Body::from(bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    r
}

/// 206 with one range, streamed.
pub fn partial(read: ObjectRead) -> Response {
    let (size, range) = (read.size, read.range.clone());
    // The store never returns an empty range for a satisfiable request; an
    // empty object asked for its last bytes would be one.
    let Some(last) = range.end.checked_sub(1).filter(|&last| last >= range.start) else {
        return not_satisfiable(size);
    };
    let mut r = (StatusCode::PARTIAL_CONTENT, Body::from_stream(read.stream)).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(range.end - range.start));
    let content_range = format!("bytes {}-{last}/{size}", range.start);
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
        for v in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-1",
            "bytes=a-b",
            "bytes=-0",
            "0-1",
            "bytes=+1-2",
            "bytes=-+5",
        ] {
            assert_eq!(parse(v), None, "{v}");
        }
    }

    #[test]
    fn the_largest_positions_neither_wrap_nor_panic() {
        let max = u64::MAX;
        assert_eq!(parse(&format!("bytes={max}-")), Some(GetRange::Offset(max)));
        assert_eq!(parse(&format!("bytes=0-{max}")), Some(GetRange::Offset(0)));
        assert_eq!(parse(&format!("bytes={max}-{max}")), Some(GetRange::Offset(max)));
        assert_eq!(parse(&format!("bytes=-{max}")), Some(GetRange::Suffix(max)));
        assert_eq!(parse("bytes=0-18446744073709551616"), None, "past u64: not a range we can read");
    }
}
