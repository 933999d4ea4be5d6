//! Sealed acts are immutable, and served so: a sealed PDF's `ETag` is its
//! SHA-256 and a client holding it gets `304` (issue 16, item 7); drafts are
//! never cached; a conditional request passes the access gate like any other.
//! Sealed PDFs are served from memory once read (`http.pdf_cache_bytes`):
//! the bytes are the stored ones, and the gate still runs on every request.

use acta::auth::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::access::{FOREIGN, OWN, request_for};
use crate::helpers::{TestApp, client_with, spawn_app, test_settings};

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

/// The stored bytes of act `id`'s sealed PDF, read from the store itself.
async fn stored_pdf(app: &TestApp, id: &str) -> bytes::Bytes {
    let key = acta::store::keys::sealed_pdf(&id.parse().unwrap());
    app.store.get(&key).await.unwrap().expect("the sealed PDF is stored")
}

#[tokio::test]
async fn a_pdf_served_from_memory_is_the_stored_one_and_never_reaches_another_collectivites_token() {
    let app = spawn_app().await;
    let (mine, my_sha) = sealed(&app).await;
    let theirs = app.create(&request_for(FOREIGN)).await["id"].as_str().unwrap().to_owned();
    assert_eq!(app.seal(&theirs).await.0, StatusCode::OK);
    let own = client_with(&app.token(Role::Secretaire, &[OWN]).await);
    let foreign = client_with(&app.token(Role::Secretaire, &[FOREIGN]).await);

    // Read twice by each owner: the second answer comes from memory.
    for (client, id) in [(&own, &mine), (&foreign, &theirs)] {
        let stored = stored_pdf(&app, id).await;
        for round in ["from the store", "from memory"] {
            let r = get(client, app.url(&format!("/api/v1/acts/{id}/pdf")), None).await;
            assert_eq!(r.status(), StatusCode::OK, "{round}");
            let tag = header(&r, "etag");
            assert_eq!(header(&r, "content-length"), stored.len().to_string(), "{round}");
            assert_eq!(header(&r, "content-type"), "application/pdf", "{round}");
            let body = r.bytes().await.unwrap();
            assert!(body == stored, "{round}: the bytes served are not the stored ones");
            assert_eq!(tag, format!("\"{}\"", acta::domain::Sha256Digest::of(&body)), "{round}");
        }
    }
    // Each PDF is now in memory: the other collectivité's token still gets
    // the 404 of an unknown act, for the PDF, a range of it and a HEAD.
    for (client, id) in [(&foreign, &mine), (&own, &theirs)] {
        let url = app.url(&format!("/api/v1/acts/{id}/pdf"));
        for req in [client.get(&url), client.get(&url).header("range", "bytes=0-99"), client.head(&url)] {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND);
            assert_eq!(header(&r, "etag"), "", "the tag leaked");
            assert_ne!(header(&r, "content-type"), "application/pdf");
        }
        let r = get(client, url, None).await;
        let problem: serde_json::Value = r.json().await.unwrap();
        assert_eq!(problem["code"], "act_not_found", "{problem:#}");
    }
    // Without a token, or with a revoked one, nothing either.
    let url = app.url(&format!("/api/v1/acts/{mine}/pdf"));
    assert_eq!(get(&reqwest::Client::new(), url.clone(), None).await.status(), StatusCode::UNAUTHORIZED);
    let token = app.token(Role::Secretaire, &[OWN]).await;
    let soon_revoked = client_with(&token);
    assert_eq!(get(&soon_revoked, url.clone(), None).await.status(), StatusCode::OK);
    let token_id = token.split('_').nth(1).unwrap();
    let r = app.client.post(app.url(&format!("/api/v1/tokens/{token_id}/revoke"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&soon_revoked, url.clone(), None).await.status(), StatusCode::UNAUTHORIZED);

    // A range and a conditional GET of a PDF held in memory answer as before.
    let r = own.get(&url).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap(), stored_pdf(&app, &mine).await.slice(0..100));
    let r = get(&own, url, Some(&format!("\"{my_sha}\""))).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn with_the_pdf_cache_disabled_sealed_pdfs_are_still_served_whole_and_tagged() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data_dir.path());
    settings.http.pdf_cache_bytes = 0;
    let app = TestApp::with_settings(settings, data_dir).await;
    let (id, sha256) = sealed(&app).await;
    let stored = stored_pdf(&app, &id).await;
    for _ in 0..2 {
        let r = get(&app.client, app.url(&format!("/api/v1/acts/{id}/pdf")), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "etag"), format!("\"{sha256}\""));
        assert!(r.bytes().await.unwrap() == stored);
    }
}
