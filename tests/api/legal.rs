//! What a juriste checks in the rendered acts beyond each fixture's mentions:
//! the médiation préalable obligatoire clause and its mediator (CJA R. 213-10),
//! the dates of a disciplinary convocation (décret 89-677 art. 13), and no
//! blank publication line in a sealed act.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, pdf_text, repo_path, spawn_app, stored_acts, test_settings};

/// Demo commune with the MPO convention (and a mediator in its profile).
const AUBRECOURT: &str = "216295105";
/// Demo commune without the MPO convention.
const MARQUENVAL: &str = "216296202";

const MEDIATOR: &str = "adressée au médiateur compétent : Centre de gestion de la fonction publique \
    territoriale de démonstration, service médiation, Maison des communes, 3 allée des Tilleuls, 62993 \
    Arvincourt, courriel : mediation@cdg-demonstration.example, téléphone : 03 53 01 62 00";

/// The text of the draft PDF of `body`, created through the API.
async fn draft_text(app: &TestApp, body: &Value) -> String {
    let act = app.create(body).await;
    pdf_text(&app.pdf(act["id"].as_str().unwrap()).await)
}

fn for_collectivite(template: &str, siren: &str) -> Value {
    let mut body = fixture(template);
    body["collectivite"] = json!(siren);
    body
}

#[tokio::test]
async fn the_mpo_clause_gives_the_mediator_only_where_the_convention_and_the_decision_call_for_it() {
    let app = spawn_app().await;
    // An avancement de grade (décret 2022-433 art. 2, 4°) of a commune with the convention.
    let text = draft_text(&app, &for_collectivite("arrete-avancement-grade", AUBRECOURT)).await;
    for expected in [
        MEDIATOR,
        "articles L. 213-11 et R. 213-10 à R. 213-13 du code de justice administrative",
        "l’article 2 du décret n° 2022-433 du 25 mars 2022",
        "à peine d’irrecevabilité, être précédé d’une médiation préalable obligatoire",
        "le silence gardé pendant deux mois valant rejet implicite",
        "exercé après la médiation, il n’interrompt pas de nouveau le délai de recours contentieux",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
    // The ordinary clause would tell the agent the recours gracieux interrupts the délai.
    assert!(!text.contains("qui interrompt le délai de recours contentieux"), "{text}");

    // The same decision in a commune without the convention: the ordinary clause.
    let text = draft_text(&app, &for_collectivite("arrete-avancement-grade", MARQUENVAL)).await;
    assert!(!text.contains("médiat"), "{text}");
    assert!(text.contains("recours gracieux auprès de l’autorité territoriale, qui interrompt"), "{text}");
    assert!(
        text.contains("le silence gardé pendant deux mois sur ce recours vaut décision implicite de rejet")
    );

    // A decision outside the décret's list, in the commune with the convention.
    let text = draft_text(&app, &for_collectivite("arrete-temps-partiel", AUBRECOURT)).await;
    assert!(!text.contains("médiat"), "{text}");
}

#[tokio::test]
async fn an_act_within_the_mpo_is_refused_while_the_profile_lacks_the_mediator() {
    let profiles_dir = tempfile::tempdir().unwrap();
    let mut profiles: Value =
        serde_json::from_slice(&std::fs::read(repo_path("fixtures/collectivites.json")).unwrap()).unwrap();
    for p in profiles.as_array_mut().unwrap() {
        p.as_object_mut().unwrap().remove("mediateur");
    }
    let file = profiles_dir.path().join("collectivites.json");
    std::fs::write(&file, serde_json::to_vec(&profiles).unwrap()).unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data_dir.path());
    settings.collectivites_file = Some(file);
    let app = TestApp::with_settings(settings, data_dir).await;

    for template in ["arrete-avancement-grade", "arrete-avancement-echelon", "arrete-disponibilite"] {
        let body = for_collectivite(template, AUBRECOURT);
        let (status, problem) = app.post_act(&body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{template}: {problem:#}");
        assert_eq!(problem["code"], "collectivite_profile_incomplete", "{problem:#}");
        let detail = problem["detail"].as_str().unwrap();
        for expected in
            ["Commune d’Aubrecourt-en-Artois", "coordonnées du médiateur", "R. 213-10", "mediateur"]
        {
            assert!(detail.contains(expected), "{template}: «{expected}» not in {detail}");
        }
        assert_eq!(problem["errors"][0]["path"], "/collectivite", "{problem:#}");
    }
    assert!(stored_acts(app.data_dir.path()).is_empty());

    // Acts without the MPO clause are still produced for that collectivité.
    let (status, act) = app.post_act(&for_collectivite("arrete-temps-partiel", AUBRECOURT)).await;
    assert_eq!(status, StatusCode::CREATED, "{act:#}");
    let (status, act) = app.post_act(&for_collectivite("arrete-avancement-grade", MARQUENVAL)).await;
    assert_eq!(status, StatusCode::CREATED, "{act:#}");
}
