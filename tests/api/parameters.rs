//! Issue 13, item 7: numbers and dates that callers send in query parameters
//! and headers are range-checked, never wrapped, never silently clamped: a
//! 400 naming the parameter, or, for byte ranges, what RFC 9110 says.

use reqwest::StatusCode;
use serde_json::Value;

use std::time::Duration;

use acta::auth::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{fixture, spawn_app};

#[tokio::test]
async fn hostile_byte_ranges_neither_wrap_nor_fail() {
    let app = spawn_app().await;
    let id = app.create(&fixture("arrete-avancement-echelon")).await["id"].as_str().unwrap().to_owned();
    let (status, _) = app.seal(&id).await;
    assert_eq!(status, StatusCode::OK);
    let whole = app.pdf(&id).await;
    let size = whole.len();
    let url = app.url(&format!("/api/v1/acts/{id}/pdf"));
    let max = u64::MAX;
    let cases: [(String, StatusCode); 8] = [
        (format!("bytes={max}-"), StatusCode::RANGE_NOT_SATISFIABLE),
        (format!("bytes={max}-{max}"), StatusCode::RANGE_NOT_SATISFIABLE),
        // A last position past the end means "to the end".
        (format!("bytes=0-{max}"), StatusCode::PARTIAL_CONTENT),
        (format!("bytes=-{max}"), StatusCode::PARTIAL_CONTENT),
        // Not a range we can read: ignored, the whole document is sent.
        ("bytes=0-18446744073709551616".into(), StatusCode::OK),
        ("bytes=-0".into(), StatusCode::OK),
        ("bytes=+0-4".into(), StatusCode::OK),
        ("bytes=-1-5".into(), StatusCode::OK),
    ];
    for (range, expected) in cases {
        let r = app.client.get(&url).header("range", &range).send().await.unwrap();
        assert_eq!(r.status(), expected, "{range}");
        match expected {
            StatusCode::RANGE_NOT_SATISFIABLE => {
                assert_eq!(r.headers()["content-range"], format!("bytes */{size}").as_str());
            }
            StatusCode::PARTIAL_CONTENT => {
                assert_eq!(r.headers()["content-range"], format!("bytes 0-{}/{size}", size - 1).as_str());
                assert_eq!(r.bytes().await.unwrap().as_ref(), whole.as_slice(), "{range}");
            }
            _ => assert_eq!(r.bytes().await.unwrap().len(), size),
        }
    }
}

#[tokio::test]
async fn audit_trail_filters_refuse_what_is_not_a_day_naming_the_parameter() {
    let app = spawn_app().await;
    let cases = [
        ("from=18446744073709551615", "from"),
        ("from=-1", "from"),
        ("to=0", "to"),
        ("from=99999-01-01", "from"),
        ("from=%2B2026-01-01", "from"),
        ("from=-2026-01-01", "from"),
        ("to=2026-02-30", "to"),
        ("to=2026-13-01", "to"),
        ("from=2026-1-1", "from"),
        ("from=2027-01-01&to=2026-01-01", "to"),
        ("from=2026-01-01&from=2026-02-01", "from"),
        ("collectivite=216295105&collectivite=216295105", "collectivite"),
        ("limit=10", "limit"),
    ];
    for (query, parameter) in cases {
        let r = app.client.get(app.url(&format!("/api/v1/audit?{query}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_parameter", "{query}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("« {parameter} »")), "{query}: {detail}");
    }
}

#[tokio::test]
async fn audit_trail_filters_take_any_real_day_far_past_or_far_future() {
    let app = spawn_app().await;
    // A token creation is audited today.
    let (status, _) = app.get_json("/api/v1/tokens").await;
    assert_eq!(status, StatusCode::OK);
    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let body = serde_json::json!({"role": "lecteur", "collectivites": ["216295105"], "expires_at": expires});
    let r = app.client.post(app.url("/api/v1/tokens")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    for query in
        ["from=0000-01-01&to=9999-12-31", "from=1000-01-01", "to=9999-12-31", "from=2000-02-29&to=2999-12-31"]
    {
        let (status, page) = app.get_json(&format!("/api/v1/audit?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page:#}");
        let entries = page["entries"].as_array().unwrap();
        assert!(entries.iter().any(|e| e["action"] == "token.create"), "{query}: {page:#}");
    }
    let (status, page) = app.get_json("/api/v1/audit?from=9999-12-31").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["entries"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_token_expiring_at_the_end_of_time_is_refused_not_a_server_error() {
    let app = spawn_app().await;
    for expires in ["9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00+23:59"] {
        let body =
            serde_json::json!({"role": "lecteur", "collectivites": ["216295105"], "expires_at": expires});
        let r = app.client.post(app.url("/api/v1/tokens")).json(&body).send().await.unwrap();
        // Past, or beyond the longest validity (a leaked token must not work for decades).
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{expires}");
        let problem: serde_json::Value = r.json().await.unwrap();
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("730 jours") || detail.contains("déjà passée"), "{expires}: {problem:#}");
        let (status, _) = app.get_json("/api/v1/tokens").await;
        assert_eq!(status, StatusCode::OK, "{expires}");
    }
}

#[tokio::test]
async fn hostile_content_lengths_are_refused_before_any_body_is_read() {
    let app = spawn_app().await;
    let token = app.token(Role::Admin, &[]).await;
    let addr = app.base.strip_prefix("http://").unwrap().to_owned();
    // hyper refuses what is not a length it can count (400, or 431 past its range).
    let cases = [
        ("18446744073709551615", "HTTP/1.1 4"),
        ("99999999999999999999", "HTTP/1.1 4"),
        ("-1", "HTTP/1.1 400"),
        // Announced past `max_body_bytes`: 413 at once, not after the body.
        ("18446744073709551613", "HTTP/1.1 413"),
    ];
    let defaults = acta::config::Settings::default();
    // Just past each route's limit: `max_body_bytes`, or the longest PDF for
    // the verification.
    let just_over = |limit: usize| (limit + 1).to_string();
    let pdf_limit = acta::http::pdf_body_limit(defaults.max_body_bytes, defaults.render.max_pages);
    for (path, limit) in [
        ("/api/v1/acts", defaults.max_body_bytes),
        ("/api/v1/tokens", defaults.max_body_bytes),
        ("/api/v1/verify", pdf_limit),
    ] {
        let over = just_over(limit);
        for (length, expected) in cases.into_iter().chain([(over.as_str(), "HTTP/1.1 413")]) {
            let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: acta\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{"
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            let mut answer = vec![0; 4096];
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await;
            let n =
                n.unwrap_or_else(|_| panic!("{path} {length}: no answer while the body is pending")).unwrap();
            let answer = String::from_utf8_lossy(&answer[..n]);
            assert!(answer.starts_with(expected), "{path} {length}: {answer}");
            if expected.ends_with("413") {
                assert!(answer.contains("payload_too_large"), "{path} {length}: {answer}");
            }
        }
    }
}
