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

/// The disciplinary convocation fixture with `poursuite` members replaced.
fn convocation(poursuite: Value) -> Value {
    let mut body = fixture("convocation-instance-cdg");
    for (k, v) in poursuite.as_object().unwrap() {
        body["data"]["poursuite"][k] = v.clone();
    }
    body
}

/// The pointers of the fields a 422 names.
fn named(problem: &Value) -> Vec<&str> {
    problem["errors"].as_array().unwrap().iter().filter_map(|e| e["path"].as_str()).collect()
}

#[tokio::test]
async fn a_conseil_de_discipline_sitting_past_two_months_from_its_saisine_is_refused_naming_both_dates() {
    let app = spawn_app().await;
    // The séance is on 19 May 2026.
    let (status, problem) = app.post_act(&convocation(json!({ "date_saisine": "2026-03-18" }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
    assert_eq!(named(&problem), ["/data/seance/date", "/data/poursuite/date_saisine"]);
    let message = problem["errors"][0]["message"].as_str().unwrap();
    for expected in ["deux mois", "art. 13", "18/05/2026", "19/05/2026"] {
        assert!(message.contains(expected), "«{expected}» not in {message}");
    }
    // An enquête gives four months, reports prolong the délai by their length.
    let (status, _) =
        app.post_act(&convocation(json!({ "date_saisine": "2026-01-18", "enquete": true }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let report = json!({ "jours": 14, "motif": "séance du 5 mai 2026 reportée au 19 mai 2026 à la demande de l’agent" });
    let (status, problem) =
        app.post_act(&convocation(json!({ "date_saisine": "2026-03-04", "prolongation": report }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
    // A convocation cannot precede the saisine.
    let (status, problem) = app.post_act(&convocation(json!({ "date_saisine": "2026-04-25" }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(named(&problem), ["/data/date_envoi", "/data/poursuite/date_saisine"]);
    assert!(stored_acts(app.data_dir.path()).is_empty());

    // Within the délai (two months to the day; four with an enquête; prolonged by reports).
    for accepted in [
        json!({ "date_saisine": "2026-03-19" }),
        json!({ "date_saisine": "2026-01-19", "enquete": true }),
        json!({ "date_saisine": "2026-03-05", "prolongation": report }),
    ] {
        let (status, act) = app.post_act(&convocation(accepted.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{accepted}: {act:#}");
    }
}

#[tokio::test]
async fn a_disciplinary_convocation_tells_the_agent_of_the_right_to_remain_silent() {
    let app = spawn_app().await;
    let text = draft_text(&app, &fixture("convocation-instance-cdg")).await;
    for expected in [
        "Il a le droit de se taire",
        "n’est pas tenu de répondre aux questions qui lui sont posées et peut garder le silence",
        "Conseil constitutionnel, décision n° 2024-1105 QPC du 4 octobre 2024",
        "Conseil d’État, 19 décembre 2024, n° 490157",
        "l’autorité territoriale est convoquée dans les mêmes conditions (article 7 du même décret)",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
}

#[tokio::test]
async fn a_sealed_act_never_carries_an_empty_publication_line() {
    let app = spawn_app().await;
    for template in
        ["deliberation", "arrete-police-circulation", "arrete-delegation-signature", "proces-verbal-seance"]
    {
        let act = app.create(&fixture(template)).await;
        let id = act["id"].as_str().unwrap();
        let (status, sealed) = app.seal(id).await;
        assert_eq!(status, StatusCode::OK, "{template}: {sealed:#}");
        let text = pdf_text(&app.pdf(id).await);
        assert!(!text.contains("Publié le") && !text.contains("mis en ligne) le"), "{template}: {text}");
        // Dotted leaders are left only for what is written by hand on the paper
        // copy: the transmission and the notification.
        for (i, _) in text.match_indices("le : …") {
            let start = text[..i].char_indices().rev().nth(119).map_or(0, |(j, _)| j);
            let context = &text[start..i];
            assert!(
                context.contains("Transmis") || context.contains("Notifié"),
                "{template}: a blank line outside transmission and notification: «{context}»"
            );
        }
    }
}
