//! The register's guarantees, end to end: a sealed act verifies (`acta verify`,
//! `POST /api/v1/verify`), any tampering is caught by verification or by
//! `acta audit`, inclusion proofs verify against the signed checkpoint with
//! the published key, withdrawals append tombstones.

use std::path::Path;

use acta::tlog;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, acta_in as acta, fixture, spawn_app};

const T: &str = "arrete-avancement-echelon";

async fn sealed(app: &TestApp) -> (String, Value) {
    let id = app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
    let (status, act) = app.seal(&id).await;
    assert_eq!(status, StatusCode::OK, "{act:#}");
    (id, act)
}

fn verify_file(data_dir: &Path, pdf: &[u8]) -> (bool, Value, String) {
    let file = data_dir.join("to-verify.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = acta(data_dir, &["verify", file.to_str().unwrap()]);
    let verdict: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON verdict: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.success(), verdict, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test]
async fn a_sealed_act_verifies_and_any_tampering_is_caught() {
    let app = spawn_app().await;
    let (_, act) = sealed(&app).await;
    let pdf = app.pdf(act["id"].as_str().unwrap()).await;
    let dir = app.data_dir.path();

    let (ok, verdict, human) = verify_file(dir, &pdf);
    assert!(ok, "{human}\n{verdict:#}");
    assert_eq!(verdict["authentique"], true);
    assert_eq!(verdict["acte"]["numero"], act["number"]);
    assert_eq!(verdict["registre"]["inclus"], true);
    assert!(human.starts_with("Document authentique"), "{human}");

    let mut flipped = pdf.clone();
    let middle = flipped.len() / 3;
    flipped[middle] ^= 0x01;
    let (ok, verdict, human) = verify_file(dir, &flipped);
    assert!(!ok, "a flipped byte must not verify: {verdict:#}");
    assert!(human.contains("NON authentique"), "{human}");
    let codes: Vec<&str> =
        verdict["problemes"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"seal_invalid") && codes.contains(&"unknown_document"), "{codes:?}");

    let mut appended = pdf.clone();
    appended.extend_from_slice(b"\n% appended\n");
    let (ok, verdict, human) = verify_file(dir, &appended);
    assert!(!ok, "appended bytes must not verify: {verdict:#}");
    assert!(human.contains("ajout"), "the verdict must say bytes were appended: {human}");
}

#[tokio::test]
async fn the_public_verification_endpoint_needs_no_token_and_says_nothing_of_the_content() {
    let app = spawn_app().await;
    let (_, act) = sealed(&app).await;
    let pdf = app.pdf(act["id"].as_str().unwrap()).await;
    let anonymous = reqwest::Client::new();

    let r = anonymous
        .post(app.url("/api/v1/verify"))
        .header("content-type", "application/pdf")
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let verdict: Value = r.json().await.unwrap();
    assert_eq!(verdict["authentique"], true, "{verdict:#}");
    assert_eq!(verdict["acte"]["collectivite"]["siren"], act["collectivite"]["siren"]);
    let text = verdict.to_string();
    assert!(
        !text.contains("DURAND") && !text.contains(act["title"].as_str().unwrap()),
        "content leaked: {text}"
    );

    let by_hash = anonymous
        .post(app.url("/api/v1/verify"))
        .json(&json!({"sha256": act["sha256"]}))
        .send()
        .await
        .unwrap();
    let verdict: Value = by_hash.json().await.unwrap();
    assert_eq!(verdict["authentique"], true, "{verdict:#}");

    let unknown = anonymous
        .post(app.url("/api/v1/verify"))
        .json(&json!({"sha256": "0".repeat(64)}))
        .send()
        .await
        .unwrap();
    let verdict: Value = unknown.json().await.unwrap();
    assert_eq!(verdict["authentique"], false);
    assert_eq!(verdict["problemes"][0]["code"], "unknown_document");

    let garbage = anonymous.post(app.url("/api/v1/verify")).body("hello").send().await.unwrap();
    assert_eq!(garbage.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_inclusion_proof_verifies_against_the_published_checkpoint_and_key() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(sealed(&app).await.0);
    }
    let anonymous = reqwest::Client::new();
    let vkey = anonymous.get(app.url("/api/v1/log/key")).send().await.unwrap().text().await.unwrap();
    for id in &ids {
        let (status, proof) = app.get_json(&format!("/api/v1/acts/{id}/proof")).await;
        assert_eq!(status, StatusCode::OK, "{proof:#}");
        // Checked with the library's verification functions, from the
        // published key only (the tlog unit tests check those against the
        // RFC 6962 vectors and an independent implementation).
        let checkpoint = tlog::verify_checkpoint(proof["checkpoint"].as_str().unwrap(), vkey.trim()).unwrap();
        assert_eq!(checkpoint.size, proof["tree_size"].as_u64().unwrap());
        let path: Vec<tlog::Hash> = proof["inclusion"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hex::decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
            .collect();
        let leaf = proof["leaf"].as_str().unwrap();
        assert!(leaf.contains(&format!("id {id}")), "{leaf}");
        let index = proof["leaf_index"].as_u64().unwrap();
        assert!(tlog::verify_inclusion(
            &tlog::leaf_hash(leaf.as_bytes()),
            index,
            checkpoint.size,
            &path,
            &checkpoint.root
        ));
        assert!(!tlog::verify_inclusion(
            &tlog::leaf_hash(b"forged"),
            index,
            checkpoint.size,
            &path,
            &checkpoint.root
        ));
    }
    // The published checkpoint is the same signed note, without a token.
    let note = anonymous.get(app.url("/api/v1/log/checkpoint")).send().await.unwrap();
    assert_eq!(note.status(), StatusCode::OK);
    let checkpoint = tlog::verify_checkpoint(&note.text().await.unwrap(), vkey.trim()).unwrap();
    assert!(checkpoint.size >= 3);
    let tile = anonymous.get(app.url("/api/v1/log/tile/entries/000.p/3")).send().await.unwrap();
    assert_eq!(tile.status(), StatusCode::OK);
    let sneaky = anonymous.get(app.url("/api/v1/log/tile/../leaves/000000000000")).send().await.unwrap();
    assert_eq!(sneaky.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_audit_catches_a_replaced_a_deleted_pdf_and_a_removed_number() {
    let app = spawn_app().await;
    let mut acts = Vec::new();
    for _ in 0..4 {
        acts.push(sealed(&app).await.1);
    }
    let dir = app.data_dir.path();
    let out = acta(dir, &["audit"]);
    assert!(out.status.success(), "clean store: {}", String::from_utf8_lossy(&out.stdout));

    let store = dir.join("store");
    let pdf_of = |act: &Value| store.join(format!("acts/{}/sealed.pdf", act["id"].as_str().unwrap()));
    // Replace act 1's PDF with act 2's (a genuine, validly sealed PDF, but not act 1's).
    std::fs::copy(pdf_of(&acts[1]), pdf_of(&acts[0])).unwrap();
    std::fs::remove_file(pdf_of(&acts[2])).unwrap();
    let register = store.join(format!("registers/{}", acts[3]["collectivite"]["siren"].as_str().unwrap()));
    let entry = walk(&register).into_iter().find(|p| p.ends_with("0000000002.json")).expect("entry 2");
    std::fs::remove_file(entry).unwrap();

    let out = acta(dir, &["audit"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{report}");
    assert!(
        report.contains("pdf_altered") && report.contains(acts[0]["number"].as_str().unwrap()),
        "{report}"
    );
    assert!(
        report.contains("pdf_missing") && report.contains(acts[2]["number"].as_str().unwrap()),
        "{report}"
    );
    assert!(report.contains("register_gap") && report.contains("entries 2 of the register"), "{report}");
    // The log still knows about the act whose number was removed.
    assert!(report.contains("unregistered"), "{report}");
}

#[tokio::test]
async fn a_withdrawal_appends_a_tombstone_and_verification_reports_it() {
    let app = spawn_app().await;
    let (id, act) = sealed(&app).await;
    let (replacement, _) = sealed(&app).await;
    let url = app.url(&format!("/api/v1/acts/{id}/withdraw"));
    let bad = app.client.post(&url).json(&json!({"motif": "oops"})).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json!({"motif": "annulment", "remplacement": replacement});
    let first: Value = app.client.post(&url).json(&body).send().await.unwrap().json().await.unwrap();
    let again: Value = app.client.post(&url).json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(first, again, "withdrawing twice is idempotent");
    let leaf = first["leaf"].as_u64().unwrap();
    assert_eq!(leaf, 2, "the tombstone is the third leaf: {first:#}");

    let verdict: Value = reqwest::Client::new()
        .post(app.url("/api/v1/verify"))
        .json(&json!({"sha256": act["sha256"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verdict["authentique"], false);
    assert_eq!(verdict["problemes"][0]["code"], "withdrawn", "{verdict:#}");
    assert_eq!(verdict["acte"]["retire"], "annulment");
    let view = app.get_json(&format!("/api/v1/acts/{id}")).await.1;
    assert_eq!(view["retrait"]["reason"], "annulment", "{view:#}");
    assert_eq!(view["links"]["proof"], format!("/api/v1/acts/{id}/proof"));
    // Nothing was deleted: the act and its PDF are still served, unchanged.
    let pdf = app.pdf(&id).await;
    assert_eq!(acta::domain::Sha256Digest::of(&pdf).as_str(), act["sha256"].as_str().unwrap());
    let out = acta(app.data_dir.path(), &["audit"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

#[tokio::test]
async fn a_correction_is_a_new_act_that_names_the_sealed_act_it_corrects() {
    let app = spawn_app().await;
    let (id, act) = sealed(&app).await;
    let mut body = fixture(T);
    body["corrige"] = json!({"acte": id, "nature": "rectificatif"});
    let (status, draft) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::CREATED, "{draft:#}");
    let new_id = draft["id"].as_str().unwrap().to_owned();
    let (status, rectificatif) = app.seal(&new_id).await;
    assert_eq!(status, StatusCode::OK);
    let text = crate::helpers::pdf_text(&app.pdf(&new_id).await);
    let number = act["number"].as_str().unwrap();
    assert!(text.contains(&format!("rectifiant l’acte n° {number} du")), "{text}");
    assert_ne!(rectificatif["number"], act["number"]);
    // The corrected act is unchanged.
    assert_eq!(app.get_json(&format!("/api/v1/acts/{id}")).await.1["sha256"], act["sha256"]);

    // Only a sealed act of the same collectivité can be corrected.
    let draft_only = app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
    let mut foreign = fixture("arrete-nomination-stagiaire");
    foreign["collectivite"] = json!("216296202");
    let other = app.create(&foreign).await["id"].as_str().unwrap().to_owned();
    app.seal(&other).await;
    for (target, nature) in
        [(draft_only.as_str(), "retrait"), (other.as_str(), "retrait"), (id.as_str(), "abrogation")]
    {
        let mut body = fixture(T);
        body["corrige"] = json!({"acte": target, "nature": nature});
        let (status, problem) = app.post_act(&body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
        assert!(problem["errors"][0]["path"].as_str().unwrap().starts_with("/corrige/"), "{problem:#}");
    }
}
