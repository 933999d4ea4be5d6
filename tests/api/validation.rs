//! Refused input: every faulty field named, French messages, stable codes,
//! and nothing stored.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{fixture, spawn_app, stored_acts};

const T: &str = "arrete-avancement-echelon";

fn paths(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap().to_owned()).collect()
}

/// Remove the member at a JSON pointer.
fn remove(v: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    v.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
}

#[tokio::test]
async fn removing_any_required_field_yields_a_422_naming_it() {
    let app = spawn_app().await;
    for field in [
        "/agent",
        "/agent/nom",
        "/agent/matricule",
        "/grade",
        "/statut_particulier",
        "/arrete_precedent/date",
        "/echelon/indice_majore",
        "/anciennete_conservee/jours",
        "/date_effet",
        "/date_decision",
    ] {
        let mut body = fixture(T);
        remove(&mut body["data"], field);
        let (status, problem) = app.post_act(&body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(problem["code"], "validation_failed");
        let expected = format!("/data{field}");
        let e = problem["errors"].as_array().unwrap().iter().find(|e| e["path"] == expected.as_str());
        let e = e.unwrap_or_else(|| panic!("{expected} not named in {problem:#}"));
        assert_eq!(e["message"], "champ obligatoire manquant");
    }
    assert!(stored_acts(app.data_dir.path()).is_empty(), "a rejected request stored something");
}

#[tokio::test]
async fn every_faulty_field_is_reported_at_once_in_french() {
    let app = spawn_app().await;
    let mut body = fixture(T);
    body["data"]["agent"]["civilite"] = json!("Dr");
    body["data"]["echelon"]["nouveau"] = json!("six");
    body["data"]["date_effet"] = json!("2026-02-30");
    body["data"]["grade"] = json!("   ");
    body["data"]["agent"]["nom"] = json!("Dupont\u{202E}tnoP");
    body["data"]["inconnu"] = json!(1);
    let (status, problem) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        paths(&problem),
        [
            "/data/agent/civilite",
            "/data/agent/nom",
            "/data/date_effet",
            "/data/echelon/nouveau",
            "/data/grade",
            "/data/inconnu",
        ]
    );
    let msg = |p: &str| {
        problem["errors"].as_array().unwrap().iter().find(|e| e["path"] == p).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(msg("/data/echelon/nouveau"), "doit être un nombre entier");
    assert_eq!(msg("/data/agent/civilite"), "doit valoir l'une des valeurs suivantes : M., Mme");
    assert_eq!(msg("/data/grade"), "ne doit pas être vide");
    assert!(msg("/data/agent/nom").contains("U+202E"));
    assert_eq!(problem["title"], "Données invalides");
    assert_eq!(problem["type"], "urn:acta:problem:validation_failed");
}

#[tokio::test]
async fn errors_are_problem_json_with_stable_codes() {
    let app = spawn_app().await;
    let cases: [(Value, StatusCode, &str); 4] = [
        (
            json!({"template": "inexistant", "collectivite": "216295105", "data": {}}),
            StatusCode::NOT_FOUND,
            "template_not_found",
        ),
        (
            json!({"template": T, "collectivite": "216299909", "data": {}}),
            StatusCode::NOT_FOUND,
            "collectivite_not_found",
        ),
        (
            json!({"template": T, "collectivite": "216295106", "data": {}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (json!({"template": "../etc", "data": []}), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
    ];
    for (body, status, code) in cases {
        let r = app.client.post(app.url("/api/v1/acts")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), status, "{body}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["code"], code, "{problem:#}");
        assert_eq!(problem["status"], status.as_u16());
    }
    let (status, problem) = app.post_raw("{\"template\": ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["code"], "malformed_json");
    let (status, problem) = app.get_json("/api/v1/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "route_not_found");
    assert!(stored_acts(app.data_dir.path()).is_empty());
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let app = spawn_app().await;
    let mut body = fixture(T);
    body["data"]["padding"] = json!("x".repeat(3 * 1024 * 1024));
    let (status, problem) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem["code"], "payload_too_large");
}

#[tokio::test]
async fn characters_the_fonts_cannot_print_are_refused_and_other_scripts_print() {
    let app = spawn_app().await;
    let mut body = fixture(T);
    body["data"]["agent"]["prenom"] = json!("Zoé 😀");
    let (status, problem) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(paths(&problem), ["/data/agent/prenom"]);
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("U+1F600"));

    // Greek and Cyrillic are covered by the embedded fonts.
    body["data"]["agent"]["prenom"] = json!("Ζωή Жанна");
    let (status, _) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::CREATED);
}
