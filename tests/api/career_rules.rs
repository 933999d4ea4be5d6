//! The business rules of the reclassement, congés de santé, temps partiel
//! thérapeutique and radiation des cadres templates: inconsistent data is a
//! 422 naming every field at fault, consistent data renders, and the rendered
//! text says what the law requires for the case.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, pdf_text, spawn_app, stored_acts};

/// Posts `template`'s fixture changed by `change` and expects a 422 naming
/// every pointer of `fields` (under `/data`).
async fn refused(app: &TestApp, template: &str, change: impl FnOnce(&mut Value), fields: &[&str]) -> String {
    let mut body = fixture(template);
    change(&mut body["data"]);
    let (status, problem) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{template}: {problem:#}");
    let errors = problem["errors"].as_array().unwrap();
    for field in fields {
        let path = format!("/data{field}");
        assert!(errors.iter().any(|e| e["path"] == path.as_str()), "{template}: {path} not named: {problem:#}");
    }
    errors[0]["message"].as_str().unwrap().to_owned()
}

/// The draft text of `template`'s fixture changed by `change` (it must be accepted).
async fn accepted(app: &TestApp, template: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut body = fixture(template);
    change(&mut body["data"]);
    let act = app.create(&body).await;
    pdf_text(&app.pdf(act["id"].as_str().unwrap()).await)
}

#[tokio::test]
async fn a_reclassement_follows_the_decret_dates_and_its_table_of_correspondence() {
    let app = spawn_app().await;
    let t = "arrete-reclassement";
    let message = refused(&app, t, |d| d["decret"]["date_publication"] = json!("2026-03-20"), &[
        "/decret/date_publication",
        "/decret/date",
    ])
    .await;
    assert!(message.contains("publié au Journal officiel avant d’avoir été signé"), "{message}");
    let message = refused(&app, t, |d| d["date_decision"] = json!("2026-03-28"), &[
        "/date_decision",
        "/decret/date_publication",
    ])
    .await;
    assert!(message.contains("ne peut être signé avant la publication"), "{message}");
    refused(&app, t, |d| d["date_effet"] = json!("2025-12-31"), &["/date_effet", "/decret/date_effet"]).await;
    // Retroactive, but not on the date the décret fixes.
    let message = refused(&app, t, |d| d["date_effet"] = json!("2026-02-01"), &[
        "/date_effet",
        "/decret/date_publication",
    ])
    .await;
    assert!(message.contains("seul le décret peut prévoir un effet rétroactif"), "{message}");
    // Above the 24 months of the new échelon.
    let message = refused(
        &app,
        t,
        |d| {
            d["nouvelle_situation"]["anciennete_annees"] = json!(2);
            d["nouvelle_situation"]["anciennete_jours"] = json!(1);
        },
        &["/nouvelle_situation/anciennete_annees", "/nouvelle_situation/duree_echelon_mois"],
    )
    .await;
    assert!(message.contains("2 ans, 4 mois et 1 jour") && message.contains("24 mois"), "{message}");
    assert!(stored_acts(app.data_dir.path()).is_empty());

    // The whole duration of the échelon is kept ("dans la limite de la durée
    // de l'échelon"); the last échelon of a grade has no duration to check.
    accepted(&app, t, |d| {
        d["nouvelle_situation"]["anciennete_annees"] = json!(2);
        d["nouvelle_situation"]["anciennete_mois"] = json!(0);
    })
    .await;
    let text = accepted(&app, t, |d| {
        let n = d["nouvelle_situation"].as_object_mut().unwrap();
        n.remove("duree_echelon_mois");
        n.insert("anciennete_annees".into(), json!(0));
        n.insert("anciennete_mois".into(), json!(0));
        d["date_effet"] = json!("2026-04-01");
    })
    .await;
    assert!(text.contains("À compter du 1er avril 2026"), "{text}");
    assert!(text.contains("sans ancienneté conservée"), "{text}");
}
