//! Issue #14, the finding pages over plain HTTP (no browser): search within
//! each role's rules, hostile text shown literally, the espace collectivité,
//! transfers, tokens and the audit trail. The browser scenarios are in
//! `browser_find`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, fixture, spawn_app};
use crate::web::{Visitor, cli_user};

const AUBRECOURT: &str = "216295105";
const MARQUENVAL: &str = "216296202";

/// The echelon fixture of Aubrecourt, with hostile text where people type
/// free text; created and sealed through the API. Returns its id.
async fn sealed_act(app: &TestApp) -> String {
    let mut body = fixture("arrete-avancement-echelon");
    body["data"]["suivi_par"] = Value::from("service <script>alert('rh')</script> & <b>paie</b> \"RH\"");
    let act = app.create(&body).await;
    let id = act["id"].as_str().unwrap().to_owned();
    let (status, sealed) = app.seal(&id).await;
    assert!(status.is_success(), "{sealed:#}");
    id
}

async fn logged_in(app: &TestApp, login: &str, role: &str, collectivites: &[&str]) -> Visitor {
    let password = cli_user(app, login, "Personne de test", role, collectivites);
    let mut v = Visitor::new(&app.base);
    assert_eq!(v.login(login, &password).await.status, StatusCode::SEE_OTHER);
    v
}

#[tokio::test]
async fn the_search_page_finds_acts_within_the_role_without_personal_data_and_shows_hostile_text_literally() {
    let app = spawn_app().await;
    let id = sealed_act(&app).await;

    let mut archiviste = logged_in(&app, "archives", "archiviste", &[]).await;
    let page = archiviste.get("/recherche?q=avancement+%C3%A9chelon+adjoint+technique").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<title>Rechercher un acte — acta</title>"), "{}", page.body);
    assert!(page.body.contains(&format!(r#"href="/actes/{id}""#)), "a link to the act: {}", page.body);
    assert!(page.body.contains("1 acte trouvé"), "{}", page.body);
    for personal in ["Cœurdevey", "Léonie", "A-00417"] {
        assert!(!page.body.contains(personal), "an archivist never sees « {personal} »: {}", page.body);
    }
    assert!(page.body.contains(r#"<legend class="facet__legend">Collectivité</legend>"#));
    assert!(page.body.contains("Commune d&#39;Aubrecourt-en-Artois"), "{}", page.body);

    // Hostile text typed in an act comes back literally; only the marks are markup.
    let page = archiviste.get("/recherche?q=paie").await;
    assert!(page.body.contains("<mark>paie</mark>"), "{}", page.body);
    assert!(page.body.contains("&#60;script&#62;alert(&#39;rh&#39;)"), "{}", page.body);
    assert!(!page.body.contains("<script>") && !page.body.contains("<b>paie"), "{}", page.body);
    // And in the query box.
    let page = archiviste.get("/recherche?q=%22%3E%3Cscript%3Ex%3C%2Fscript%3E").await;
    assert!(!page.body.contains("<script>x"), "{}", page.body);

    // A mistake is named beside its field, in French, the input kept.
    let page = archiviste.get("/recherche?q=echelon&from=2026-13-45").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("<title>Erreur : Rechercher un acte — acta</title>"));
    assert!(
        page.body.contains(r##"href="#from""##) && page.body.contains(r#"id="from-error""#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"value="echelon""#));

    // A gestionnaire sees the agent; a lecteur of another collectivité sees nothing.
    let mut gestionnaire = logged_in(&app, "rh", "gestionnaire", &[AUBRECOURT]).await;
    let page = gestionnaire.get("/recherche?q=avancement").await;
    assert!(page.body.contains("Cœurdevey") && page.body.contains("A-00417"), "{}", page.body);
    let mut other = logged_in(&app, "marquenval", "lecteur", &[MARQUENVAL]).await;
    let page = other.get("/recherche?q=avancement").await;
    assert!(page.body.contains("Aucun acte trouvé") && !page.body.contains(&id), "{}", page.body);
    assert!(!page.body.contains("Aubrecourt"), "not even in a facet: {}", page.body);
    assert!(!page.body.contains("Statut</legend>"), "a lecteur sees sealed acts only: no status facet");

    // Nobody logged in: to the login, coming back afterwards.
    let page = Visitor::new(&app.base).get("/recherche?q=x").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/connexion?suite=%2Frecherche%3Fq%3Dx");
}
