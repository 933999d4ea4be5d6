//! Sealed acts are immutable, and served so: a sealed PDF's `ETag` is its
//! SHA-256 and a client holding it gets `304` (issue 16, item 7); drafts are
//! never cached; a conditional request passes the access gate like any other.

use acta::auth::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::access::{FOREIGN, OWN, request_for};
use crate::helpers::{TestApp, client_with, spawn_app};

async fn get(client: &reqwest::Client, url: String, if_none_match: Option<&str>) -> reqwest::Response {
    let mut req = client.get(url);
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    req.send().await.unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

async fn sealed(app: &TestApp) -> (String, String) {
    let id = app.create(&request_for(OWN)).await["id"].as_str().unwrap().to_owned();
    let (status, act) = app.seal(&id).await;
    assert_eq!(status, StatusCode::OK, "{act:#}");
    (id, act["sha256"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_sealed_pdf_is_tagged_with_its_sha256_and_answered_304_to_a_client_that_holds_it() {
    let app = spawn_app().await;
    let (id, sha256) = sealed(&app).await;
    let url = app.url(&format!("/api/v1/acts/{id}/pdf"));

    let r = get(&app.client, url.clone(), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tag = format!("\"{sha256}\"");
    assert_eq!(header(&r, "etag"), tag, "a strong tag: the quoted SHA-256");
    let cache = header(&r, "cache-control");
    assert!(
        cache.contains("private") && cache.contains("immutable") && cache.contains("max-age="),
        "{cache}"
    );
    let pdf = r.bytes().await.unwrap();
    assert_eq!(acta::domain::Sha256Digest::of(&pdf).as_str(), sha256, "the tag is the body's digest");

    for held in [tag.clone(), format!("W/{tag}"), format!("\"{}\", {tag}", "0".repeat(64)), "*".into()] {
        let r = get(&app.client, url.clone(), Some(&held)).await;
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "If-None-Match: {held}");
        assert_eq!(header(&r, "etag"), tag);
        assert!(header(&r, "cache-control").contains("immutable"));
        assert!(r.bytes().await.unwrap().is_empty(), "a 304 has no body");
    }
    // Another tag, or the digest unquoted: the whole PDF again.
    for other in [format!("\"{}\"", "0".repeat(64)), sha256.clone()] {
        let r = get(&app.client, url.clone(), Some(&other)).await;
        assert_eq!(r.status(), StatusCode::OK, "If-None-Match: {other}");
        assert_eq!(r.bytes().await.unwrap(), pdf);
    }
    // A range of it carries the same tag.
    let r = app.client.get(&url).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&r, "etag"), tag);
}

#[tokio::test]
async fn a_draft_is_never_cached_and_another_collectivite_gets_404_even_with_the_right_tag() {
    let app = spawn_app().await;
    let draft = app.create(&request_for(OWN)).await["id"].as_str().unwrap().to_owned();
    for suffix in ["", "/pdf"] {
        let r = get(&app.client, app.url(&format!("/api/v1/acts/{draft}{suffix}")), Some("*")).await;
        assert_eq!(r.status(), StatusCode::OK, "draft{suffix}");
        assert_eq!(header(&r, "cache-control"), "no-store", "draft{suffix}");
        assert_eq!(header(&r, "etag"), "", "draft{suffix}");
    }

    let (id, sha256) = sealed(&app).await;
    let tag = format!("\"{sha256}\"");
    let view_tag = header(&get(&app.client, app.url(&format!("/api/v1/acts/{id}")), None).await, "etag");
    let foreign = client_with(&app.token(Role::Secretaire, &[FOREIGN]).await);
    let anonymous = reqwest::Client::new();
    for (who, client) in [("another collectivité", &foreign), ("no token", &anonymous)] {
        for (suffix, held) in [("/pdf", &tag), ("", &view_tag)] {
            let r = get(client, app.url(&format!("/api/v1/acts/{id}{suffix}")), Some(held)).await;
            let expected = if who == "no token" { StatusCode::UNAUTHORIZED } else { StatusCode::NOT_FOUND };
            assert_eq!(r.status(), expected, "{who}, act{suffix}");
            assert_eq!(header(&r, "etag"), "", "{who}, act{suffix}: the tag leaked");
        }
    }
    // The owner's secrétaire is answered 304.
    let own = client_with(&app.token(Role::Secretaire, &[OWN]).await);
    let r = get(&own, app.url(&format!("/api/v1/acts/{id}/pdf")), Some(&tag)).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn a_sealed_acts_view_is_revalidated_and_changes_its_tag_when_the_act_is_withdrawn() {
    let app = spawn_app().await;
    let (id, sha256) = sealed(&app).await;
    let url = app.url(&format!("/api/v1/acts/{id}"));
    let r = get(&app.client, url.clone(), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tag = header(&r, "etag");
    assert!(tag.starts_with(&format!("\"{sha256}-")), "{tag}");
    assert_eq!(header(&r, "cache-control"), "private, no-cache");
    assert_eq!(header(&r, "content-type"), "application/json");
    let view: serde_json::Value = r.json().await.unwrap();
    assert_eq!(view["sha256"], sha256.as_str());

    let r = get(&app.client, url.clone(), Some(&tag)).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&r, "etag"), tag);

    let w = app.client.post(format!("{url}/withdraw")).json(&json!({"motif": "error"})).send().await.unwrap();
    assert_eq!(w.status(), StatusCode::OK);
    let r = get(&app.client, url.clone(), Some(&tag)).await;
    assert_eq!(r.status(), StatusCode::OK, "the view changed: the old tag no longer matches");
    assert_ne!(header(&r, "etag"), tag);
    let view: serde_json::Value = r.json().await.unwrap();
    assert!(!view["retrait"].is_null(), "{view:#}");
    // The PDF itself did not change: still 304.
    let r = get(&app.client, format!("{url}/pdf"), Some(&format!("\"{sha256}\""))).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
}
