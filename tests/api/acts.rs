//! The act lifecycle: draft → seal → read, over HTTP.

use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::helpers::{fixture, spawn_app, spawn_on};

const T: &str = "arrete-avancement-echelon";

#[tokio::test]
async fn health_answers_ok() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn every_response_has_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    for path in ["/health", "/api/v1/nowhere", "/api/v1/acts/x"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(h["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
        assert_eq!(h["x-request-id"].to_str().unwrap().len(), 36, "{path}: a UUID");
    }
    let r = app.client.get(app.url("/health")).header("x-request-id", "ticket-42").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "ticket-42", "a caller's id is kept");
}

#[tokio::test]
async fn a_valid_request_becomes_a_draft_with_links() {
    let app = spawn_app().await;
    let r = app.client.post(app.url("/api/v1/acts")).json(&fixture(T)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let act: serde_json::Value = r.json().await.unwrap();
    assert_eq!(act["status"], "draft");
    assert_eq!(act["number"], serde_json::Value::Null);
    assert_eq!(act["collectivite"]["siren"], "216295105");
    assert_eq!(act["title"], "Arrêté portant avancement d’échelon — Mme Léonie Cœurdevey");
    assert_eq!(location, format!("/api/v1/acts/{}", act["id"].as_str().unwrap()));
    assert_eq!(act["links"]["seal"], format!("{location}/seal"));
    let (status, again) = app.get_json(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, act);
}

#[tokio::test]
async fn sealing_is_idempotent_and_numbers_are_consecutive() {
    let app = spawn_app().await;
    let a = app.create(&fixture(T)).await;
    let b = app.create(&fixture(T)).await;
    let a_id = a["id"].as_str().unwrap();

    let (status, first) = app.seal(a_id).await;
    assert_eq!(status, StatusCode::OK, "{first:#}");
    assert_eq!(first["status"], "sealed");
    let (_, second) = app.seal(a_id).await;
    assert_eq!(first, second, "sealing twice must return the same sealed act");

    let (_, sealed_b) = app.seal(b["id"].as_str().unwrap()).await;
    let n_a = first["number"].as_str().unwrap();
    let n_b = sealed_b["number"].as_str().unwrap();
    let seq = |n: &str| n.rsplit('_').next().unwrap().parse::<u32>().unwrap();
    assert_eq!(seq(n_a), 1, "{n_a}");
    assert_eq!(seq(n_b), 2, "{n_b}");
    assert!(n_a.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || c == '_'));
    assert!(n_a.len() <= 15);
}

#[tokio::test]
async fn the_downloaded_pdf_is_exactly_the_one_whose_hashes_were_returned() {
    let app = spawn_app().await;
    let draft = app.create(&fixture(T)).await;
    let id = draft["id"].as_str().unwrap();
    let (_, sealed) = app.seal(id).await;
    let pdf = app.pdf(id).await;
    assert_eq!(hex::encode(Sha256::digest(&pdf)), sealed["sha256"].as_str().unwrap());
    assert_eq!(hex::encode(sha2::Sha512::digest(&pdf)), sealed["sha512"].as_str().unwrap());
    assert_eq!(pdf.len() as u64, sealed["size"].as_u64().unwrap());
    assert_eq!(app.pdf(id).await, pdf, "a sealed PDF never changes");
}

#[tokio::test]
async fn a_draft_renders_the_same_bytes_every_time() {
    let app = spawn_app().await;
    let draft = app.create(&fixture(T)).await;
    let id = draft["id"].as_str().unwrap();
    assert_eq!(app.pdf(id).await, app.pdf(id).await);
}

#[tokio::test]
async fn unknown_and_malformed_act_ids_are_both_404() {
    let app = spawn_app().await;
    for id in ["0190f5f0-0000-7000-8000-000000000000", "not-an-id", "..%2F..%2Fetc"] {
        let (status, body) = app.get_json(&format!("/api/v1/acts/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(body["code"], "act_not_found");
        let (status, _) = app.seal(id).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn an_interrupted_sealing_is_finished_at_the_next_start() {
    // Allocate a number for a draft the way sealing does, then "crash" before
    // the PDF and the seal record are written: a restart must finish it.
    let app = spawn_app().await;
    let draft = app.create(&fixture(T)).await;
    let id: acta::domain::ActId = draft["id"].as_str().unwrap().parse().unwrap();
    let store = acta::store::Store::local(&app.data_dir.path().join("store")).unwrap();
    let registers = acta::register::Registers::default();
    let entry = registers
        .allocate(&store, numbering(), id, time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(), 0)
        .await
        .unwrap();

    let base = spawn_on(app.data_dir.path()).await;
    let r = app.client.get(format!("{base}/api/v1/acts/{id}")).send().await.unwrap();
    let act: serde_json::Value = r.json().await.unwrap();
    assert_eq!(act["status"], "sealed");
    assert_eq!(act["number"], entry.number.as_str());
    // Sealing it again through the API keeps that number.
    let (_, again) = app.seal(&id.to_string()).await;
    assert_eq!(again["number"], entry.number.as_str());
}

#[tokio::test]
async fn a_number_taken_by_a_dead_process_for_an_act_sealed_since_is_declared_void_not_lost() {
    // Process A takes number 1 for the draft and dies before recording it on
    // the act; process B then seals the same draft (number 2). At A's restart
    // number 1 must not be silently skipped: it is declared void, and the
    // audit, which would report a gap otherwise, is clean.
    let app = spawn_app().await;
    let draft = app.create(&fixture(T)).await;
    let id: acta::domain::ActId = draft["id"].as_str().unwrap().parse().unwrap();
    let store = acta::store::Store::local(&app.data_dir.path().join("store")).unwrap();
    let at = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let dead = acta::register::Registers::default().allocate(&store, numbering(), id, at, 0).await.unwrap();
    let (status, sealed) = app.seal(&id.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{sealed:#}");
    assert_ne!(sealed["number"], dead.number.as_str());

    let base = spawn_on(app.data_dir.path()).await;
    let act: serde_json::Value =
        app.client.get(format!("{base}/api/v1/acts/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(act["number"], sealed["number"], "the act keeps the number it was sealed with");
    let voids = acta::register::all_voids(&store).await.unwrap();
    assert_eq!(voids.len(), 1);
    assert_eq!(voids[0].entry.number, dead.number);
    let out = crate::helpers::acta_in(app.data_dir.path(), &["audit"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[tokio::test]
async fn a_sealed_pdf_is_served_by_ranges() {
    let app = spawn_app().await;
    let id = app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
    app.seal(&id).await;
    let whole = app.pdf(&id).await;
    let size = whole.len();
    let url = app.url(&format!("/api/v1/acts/{id}/pdf"));
    let get = |range: String| app.client.get(&url).header("range", range).send();

    let r = get("bytes=0-4".into()).await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers()["content-range"], format!("bytes 0-4/{size}").as_str());
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-");

    let r = get("bytes=-10".into()).await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &whole[size - 10..]);

    let r = get(format!("bytes={}-", size - 3)).await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), &whole[size - 3..]);

    let r = get(format!("bytes={size}-")).await.unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.headers()["content-range"], format!("bytes */{size}").as_str());

    let r = app.client.get(&url).send().await.unwrap();
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert_eq!(r.headers()["content-length"], size.to_string().as_str());
}

/// The numbering of the fixtures' register (Aubrecourt's arrêtés).
fn numbering() -> acta::register::Numbering<'static> {
    use std::sync::LazyLock;
    static SIREN: LazyLock<acta::domain::Siren> = LazyLock::new(|| "216295105".parse().unwrap());
    static SERIES: LazyLock<acta::domain::Series> = LazyLock::new(|| "ARR".parse().unwrap());
    static FORMAT: LazyLock<acta::domain::NumberFormat> = LazyLock::new(Default::default);
    acta::register::Numbering { siren: &SIREN, series: &SERIES, format: &FORMAT }
}
