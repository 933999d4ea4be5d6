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

#[tokio::test]
async fn a_collectivite_finds_its_sealed_acts_by_year_and_kind_and_nothing_of_another() {
    let app = spawn_app().await;
    let id = sealed_act(&app).await;
    let draft = app.create(&fixture("arrete-avancement-grade")).await;
    let draft_id = draft["id"].as_str().unwrap().to_owned();

    let mut lecteur = logged_in(&app, "mairie.aubrecourt", "lecteur", &[AUBRECOURT]).await;
    let page = lecteur.get("/collectivite").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("<title>Espace collectivité : Commune d&#39;Aubrecourt-en-Artois — acta</title>"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!(r#"href="/actes/{id}/pdf""#)), "{}", page.body);
    assert!(page.body.contains("<caption>Arrêté — 2026 (1)</caption>"), "{}", page.body);
    assert!(page.body.contains(r#"<th scope="col">Numéro</th>"#) && page.body.contains("2026_ARR_00001"));
    assert!(page.body.contains(r#"href="/verifier""#));
    assert!(!page.body.contains(&draft_id), "a draft does not exist for a lecteur");
    assert!(!page.body.contains("Cœurdevey"), "no personal data for a lecteur: {}", page.body);

    // Another collectivité's space is answered as an unknown one.
    let page = lecteur.get(&format!("/collectivite?collectivite={MARQUENVAL}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Collectivité introuvable"));
    let mut other = logged_in(&app, "mairie.marquenval", "lecteur", &[MARQUENVAL]).await;
    let page = other.get("/collectivite").await;
    assert!(page.body.contains("Aucun acte scellé") && !page.body.contains(&id), "{}", page.body);
}

/// `body` as a `multipart/form-data` form of `fields` and one file.
fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "acta-test-boundary-7d2f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .bytes(),
        );
    }
    let (name, filename, bytes) = file;
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/xml\r\n\r\n")
            .bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn an_archivist_selects_sends_downloads_and_records_the_reply_of_a_transfer_in_the_pages() {
    let app = spawn_app().await;
    let id = sealed_act(&app).await;
    let mut archives = logged_in(&app, "archives", "archiviste", &[AUBRECOURT]).await;

    let page = archives.get("/transferts").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Aucun transfert pour le moment"));
    // The selection, its acts (without the agent's name), then sending it.
    let page =
        archives.get(&format!("/transferts?collectivite={AUBRECOURT}&from=2026-01-01&to=&kinds=ARR")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("L'acte scellé de la sélection") && page.body.contains(&id), "{}", page.body);
    assert!(!page.body.contains("Cœurdevey"), "{}", page.body);
    let empty = archives.get(&format!("/transferts?collectivite={AUBRECOURT}&kinds=DEL")).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Aucun acte scellé ne correspond"), "{}", empty.body);
    let mixed =
        archives.get(&format!("/transferts?collectivite={AUBRECOURT}&seance=2026-03-12&kinds=ARR")).await;
    assert_eq!(mixed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        mixed.body.contains(r#"id="seance-error""#) && mixed.body.contains("pas les deux"),
        "{}",
        mixed.body
    );
    let foreign = archives.get(&format!("/transferts?collectivite={MARQUENVAL}")).await;
    assert!(foreign.body.contains("pas dans votre périmètre"), "{}", foreign.body);

    let csrf = page.csrf();
    let sent = archives
        .post(
            "/transferts",
            &[
                ("csrf", &csrf),
                ("collectivite", AUBRECOURT),
                ("from", "2026-01-01"),
                ("to", ""),
                ("kinds", "ARR"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let at = sent.location().to_owned();
    let transfer = at.trim_start_matches("/transferts/").split('?').next().unwrap().to_owned();
    let page = archives.get(&at).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Envoyé, en attente de réponse") && page.body.contains("2026_ARR_00001"),
        "{}",
        page.body
    );
    let sip = archives.get(&format!("/transferts/{transfer}/sip")).await;
    assert_eq!(sip.status, StatusCode::OK);
    assert_eq!(sip.headers["content-type"], "application/zip");

    // A reply that is not one is named beside the field; then the reply, uploaded as a file.
    let (content_type, body) =
        multipart(&[("csrf", &page.csrf())], ("reponse", "x.xml", b"<pas-une-reponse/>"));
    let refused = archives.post_body(&format!("/transferts/{transfer}/reponse"), &content_type, body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(
        refused.body.contains(r#"id="reponse-error""#) && refused.body.contains("ni un Acknowledgement"),
        "{}",
        refused.body
    );
    let xml = crate::transfers::vitam_ok(&transfer, &[&id]);
    let (content_type, body) =
        multipart(&[("csrf", &page.csrf())], ("reponse", "reponse.xml", xml.as_bytes()));
    let replied = archives.post_body(&format!("/transferts/{transfer}/reponse"), &content_type, body).await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.body);
    let page = archives.get(&format!("/transferts/{transfer}")).await;
    assert!(page.body.contains("Accepté par les archives"), "{}", page.body);

    // Another collectivité's archivist: the transfer does not exist for it.
    let mut other = logged_in(&app, "archives.marquenval", "archiviste", &[MARQUENVAL]).await;
    let page = other.get(&format!("/transferts/{transfer}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Transfert introuvable"));
    assert_eq!(other.get(&format!("/transferts/{transfer}/sip")).await.status, StatusCode::NOT_FOUND);
    assert!(!other.get("/transferts").await.body.contains(&transfer), "not listed either");
    // Both actions are in the audit trail, with the archivist.
    let mut admin = logged_in(&app, "admin", "admin", &[]).await;
    let journal = admin.get("/admin/journal?utilisateur=archives&action=transfer.").await;
    assert!(
        journal.body.contains("<code>transfer.create</code>")
            && journal.body.contains("<code>transfer.reply</code>"),
        "{}",
        journal.body
    );
    // A lecteur may not open transfers at all.
    let mut lecteur = logged_in(&app, "mairie", "lecteur", &[AUBRECOURT]).await;
    assert_eq!(lecteur.get(&format!("/transferts/{transfer}")).await.status, StatusCode::FORBIDDEN);
}

/// The text between `start` and the next `end` in `body`.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let at = body.find(start).unwrap_or_else(|| panic!("no {start:?} in {body}")) + start.len();
    &body[at..at + body[at..].find(end).unwrap()]
}

#[tokio::test]
async fn an_administrator_creates_and_revokes_tokens_manages_accounts_and_reads_the_journal_in_the_pages() {
    let app = spawn_app().await;
    let mut admin = logged_in(&app, "admin", "admin", &[]).await;

    // A token, shown once, that works on the API until revoked.
    let page = admin.get("/admin/jetons").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let refused = admin
        .post(
            "/admin/jetons",
            &[("csrf", &page.csrf()), ("role", "lecteur"), ("collectivites", ""), ("jours", "30")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("exactement une collectivité"), "{}", refused.body);
    let created = admin
        .post(
            "/admin/jetons",
            &[("csrf", &page.csrf()), ("role", "lecteur"), ("collectivites", AUBRECOURT), ("jours", "30")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let token = between(&created.body, r#"<code class="secret__value" id="secret-value">"#, "<").to_owned();
    assert!(token.starts_with("acta_"), "{token}");
    let api = crate::helpers::client_with(&token);
    let search = || api.get(app.url("/api/v1/search")).send();
    assert_eq!(search().await.unwrap().status(), StatusCode::OK);
    let listed = admin.get("/admin/jetons").await;
    assert!(!listed.body.contains(&token), "the secret is never shown again");
    let id = token.split('_').nth(1).unwrap();
    let revoked = admin.post(&format!("/admin/jetons/{id}/revoquer"), &[("csrf", &listed.csrf())]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    assert_eq!(search().await.unwrap().status(), StatusCode::UNAUTHORIZED, "refused from now on");

    // An account disabled, then given a new password shown once.
    let password = cli_user(&app, "paul", "Paul Durand", "gestionnaire", &[]);
    let page = admin.get("/admin/comptes").await;
    assert!(!page.body.contains(r#"href="/admin/comptes/admin/etat""#), "no disabling oneself");
    let done =
        admin.post("/admin/comptes/paul/etat", &[("csrf", &page.csrf()), ("action", "desactiver")]).await;
    assert_eq!((done.status, done.location()), (StatusCode::SEE_OTHER, "/admin/comptes?desactive=paul"));
    let mut paul = Visitor::new(&app.base);
    assert_eq!(paul.login("paul", &password).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    admin.post("/admin/comptes/paul/etat", &[("csrf", &page.csrf()), ("action", "activer")]).await;
    let reset = admin.post("/admin/comptes/paul/mot-de-passe", &[("csrf", &page.csrf())]).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let new_password =
        between(&reset.body, r#"<code class="secret__value" id="secret-value">"#, "<").to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await; // the account cache's life
    assert_eq!(paul.login("paul", &new_password).await.status, StatusCode::SEE_OTHER);
    // Without the form's token, nothing happens.
    let forged = admin.post("/admin/comptes/paul/etat", &[("action", "desactiver")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // The journal shows who did what, filtered.
    let page = admin.get("/admin/journal?utilisateur=admin&action=token.").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("<code>token.create</code>") && page.body.contains("<code>token.revoke</code>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<code>user.disable</code>"), "filtered by action");
    let page = admin.get("/admin/journal?action=user.").await;
    for action in ["user.disable", "user.enable", "user.reset", "user.login"] {
        assert!(page.body.contains(&format!("<code>{action}</code>")), "{action}: {}", page.body);
    }
    let page = admin.get("/admin/journal?du=2026-02-30").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains(r#"id="du-error""#));
    // Only administrators.
    assert_eq!(paul.get("/admin/journal").await.status, StatusCode::FORBIDDEN);
    assert_eq!(paul.get("/admin/jetons").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_unknown_address_is_a_french_page_and_an_unknown_api_route_stays_json() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app.base);
    let page = visitor.get("/actes-perdus/<script>").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("<title>Page introuvable — acta</title>"), "{}", page.body);
    assert!(page.headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let mut admin = logged_in(&app, "admin", "admin", &[]).await;
    let page = admin.get("/admin/nulle-part").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Menu principal"), "the menu of the person logged in");

    for method in [reqwest::Method::GET, reqwest::Method::POST, reqwest::Method::DELETE] {
        let r = reqwest::Client::new()
            .request(method.clone(), app.url("/api/v1/nulle-part"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "route_not_found", "{method}: {body}");
    }
    let form = visitor.post("/nulle-part", &[("x", "y")]).await;
    assert_eq!(form.status, StatusCode::NOT_FOUND, "no CSRF check before the not-found page");

    // The statement and the help are public, linked from every page.
    for (path, title) in [("/accessibilite", "Déclaration d&#39;accessibilité"), ("/aide", "Aide")] {
        let page = visitor.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains(&format!("<title>{title} — acta</title>")), "{}", page.body);
        assert!(page.body.contains(r#"<a href="/accessibilite">Accessibilité : partiellement conforme</a>"#));
    }
    assert!(
        visitor
            .get("/accessibilite")
            .await
            .body
            .contains("partiellement conforme</strong> avec le référentiel général")
    );
}
