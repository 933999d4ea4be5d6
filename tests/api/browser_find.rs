//! Issue #14, finding acts in a real browser (Chromium through chromedriver,
//! the real `acta` binary, axe-core on every page: zero serious or critical
//! violation), with the helpers of `browser`: an archivist finds a sealed
//! act by a natural query without ever seeing the agent's name, and sends
//! it to the archives; a lecteur of another collectivité gets the not-found
//! page at the act's address; the administration pages, the help and the
//! accessibility statement.
//!
//! With `UI_SCREENSHOTS=1`, every page visited is also photographed, whole,
//! at 1280 and 375 pixels wide, into `docs/ui/` (`scripts/screenshots.sh`).

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::browser::{browser, check_page, first_run, login, path, serve, submit, text, type_in};
use crate::helpers::{acta_ok, fixture, repo_path};

const AUBRECOURT: &str = "216295105";
const MARQUENVAL: &str = "216296202";

/// With `UI_SCREENSHOTS` set, the whole page at 1280 and 375 pixels wide,
/// as `docs/ui/<name>-<width>.png`.
pub(crate) async fn shoot(c: &Client, name: &str) {
    if std::env::var_os("UI_SCREENSHOTS").is_none() {
        return;
    }
    let dir = repo_path("docs/ui");
    std::fs::create_dir_all(&dir).unwrap();
    for width in [1280u32, 375] {
        c.set_window_size(width, 900).await.unwrap();
        let height = c.execute("return document.documentElement.scrollHeight;", vec![]).await.unwrap();
        let height = u32::try_from(height.as_u64().unwrap_or(900)).unwrap_or(900).clamp(600, 8000);
        c.set_window_size(width, height).await.unwrap();
        c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
        let wide = c
            .execute(
                "const w = document.documentElement.clientWidth; return [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table'))
                   .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + '/' + w).slice(0, 5);",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(wide, serde_json::json!([]), "{name} at {width} px is wider than the screen");
        let png = c.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}-{width}.png")), png).unwrap();
    }
    c.set_window_size(1280, 900).await.unwrap();
}

/// `check_page`, then the screenshots.
async fn visit(c: &Client, title: &str, name: &str) {
    check_page(c, title).await;
    shoot(c, name).await;
}

/// An account made on the command line; its generated password.
fn account(
    data: &std::path::Path,
    login: &str,
    name: &str,
    role: &str,
    collectivite: Option<&str>,
) -> String {
    let mut args = vec!["users", "create", "--login", login, "--name", name, "--role", role];
    if let Some(c) = collectivite {
        args.extend(["--collectivite", c]);
    }
    acta_ok(data, &args).lines().last().unwrap().trim().to_owned()
}

/// Wait until the address contains `part` (a page loaded after a key press).
async fn wait_for_path(c: &Client, part: &str) {
    let start = std::time::Instant::now();
    while !path(c).await.contains(part) {
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "no page with {part} in its address");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let ready = "return document.readyState === 'complete';";
    while c.execute(ready, vec![]).await.unwrap() != Value::Bool(true) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn logout(c: &Client) {
    submit(c, ".site-header form").await;
}

#[tokio::test]
async fn an_archivist_finds_a_sealed_act_without_the_agents_name_and_another_collectivite_does_not() {
    let data = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (_server, base, link) = serve(data.path());
    let (_driver, c) = browser(profile.path()).await;

    c.goto(&base).await.unwrap();
    visit(&c, "Se connecter — acta", "connexion").await;
    c.goto(&link).await.unwrap();
    shoot(&c, "premiere-connexion").await;
    first_run(&c, &base, &link).await;
    c.goto(&format!("{base}/accueil")).await.unwrap();
    visit(&c, "Accueil — acta", "accueil-administrateur").await;

    // A sealed career act of Aubrecourt, made through the API.
    let token =
        acta_ok(data.path(), &["tokens", "create", "--role", "admin"]).lines().last().unwrap().to_owned();
    let api = crate::helpers::client_with(&token);
    let act: Value = api
        .post(format!("{base}/api/v1/acts"))
        .json(&fixture("arrete-avancement-echelon"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = act["id"].as_str().unwrap().to_owned();
    let sealed = api.post(format!("{base}/api/v1/acts/{id}/seal")).send().await.unwrap();
    assert!(sealed.status().is_success());
    let sealed: Value = sealed.json().await.unwrap();
    let number = sealed["number"].as_str().unwrap().to_owned();

    let archives = account(data.path(), "archives", "Service des archives", "archiviste", None);
    let marquenval =
        account(data.path(), "mairie.marquenval", "Mairie de Marquenval", "lecteur", Some(MARQUENVAL));
    let aubrecourt =
        account(data.path(), "mairie.aubrecourt", "Mairie d'Aubrecourt", "lecteur", Some(AUBRECOURT));

    administration(&c, &base).await;
    archivist(&c, &base, &archives, &id, &number).await;
    collectivites(&c, &base, (&marquenval, &aubrecourt), &id, &number).await;
    c.close().await.unwrap();
}

/// The administrator's pages: accounts, a token made (shown once), the journal.
async fn administration(c: &Client, base: &str) {
    let c = c.clone();
    c.goto(&format!("{base}/admin/comptes")).await.unwrap();
    visit(&c, "Comptes — acta", "comptes").await;
    c.goto(&format!("{base}/admin/jetons")).await.unwrap();
    visit(&c, "Jetons d'API — acta", "jetons").await;
    c.find(Locator::Id("role")).await.unwrap().select_by_value("lecteur").await.unwrap();
    type_in(&c, "collectivites", AUBRECOURT).await;
    submit(&c, "form[action='/admin/jetons']").await;
    visit(&c, "Jetons d'API — acta", "jeton-cree").await;
    assert!(text(&c, "#secret-value").await.starts_with("acta_"));
    // Revoking is confirmed first, on a page that names the token (h-webrest).
    let id = text(&c, "#secret-value").await.split('_').nth(1).unwrap().to_owned();
    c.goto(&format!("{base}/admin/jetons")).await.unwrap();
    c.find(Locator::Css(&format!("a[href='/admin/jetons/{id}/revoquer']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&c, "/revoquer").await;
    visit(&c, &format!("Révoquer le jeton {id} — acta"), "jeton-revoquer").await;
    submit(&c, &format!("form[action='/admin/jetons/{id}/revoquer']")).await;
    visit(&c, "Jetons d'API — acta", "jeton-revoque").await;
    assert!(text(&c, "main table").await.contains("révoqué"));
    // So is disabling an account; the page changes nothing by itself.
    c.goto(&format!("{base}/admin/comptes")).await.unwrap();
    c.find(Locator::Css("a[href='/admin/comptes/archives/etat']")).await.unwrap().click().await.unwrap();
    wait_for_path(&c, "/archives/etat").await;
    visit(&c, "Désactiver le compte archives — acta", "compte-desactiver").await;
    assert!(text(&c, "main").await.contains("Service des archives ne pourra plus se connecter"));
    c.goto(&format!("{base}/admin/journal")).await.unwrap();
    visit(&c, "Journal d'audit — acta", "journal").await;
    assert!(text(&c, "main table").await.contains("token.create"));
    logout(&c).await;
}

/// The archivist finds the act by what it is about, never by the agent, and
/// sends it to the archives.
async fn archivist(c: &Client, base: &str, archives: &str, id: &str, number: &str) {
    let c = c.clone();
    login(&c, base, "archives", archives).await;
    assert_eq!(path(&c).await, "/accueil");
    visit(&c, "Accueil — acta", "accueil-archiviste").await;
    c.find(Locator::Css("nav a[href='/recherche']")).await.unwrap().click().await.unwrap();
    visit(&c, "Rechercher un acte — acta", "recherche").await;
    type_in(&c, "q", "avancement d'échelon adjoint technique 2026").await;
    submit(&c, "#recherche").await;
    visit(&c, "Rechercher un acte — acta", "recherche-resultats").await;
    let main = text(&c, "main").await;
    assert!(main.contains("1 acte trouvé") && main.contains(number), "{main}");
    for personal in ["Cœurdevey", "Léonie", "A-00417"] {
        assert!(!main.contains(personal), "an archivist never sees « {personal} »: {main}");
    }
    let link = c.find(Locator::Css(".hit__title a")).await.unwrap();
    assert_eq!(link.attr("href").await.unwrap().as_deref(), Some(format!("/actes/{id}").as_str()));
    // With the keyboard only: Enter in the box searches, Space ticks a facet,
    // Enter on « Appliquer les filtres » applies it.
    c.goto(&format!("{base}/recherche")).await.unwrap();
    c.find(Locator::Id("q")).await.unwrap().send_keys("échelon\u{E007}").await.unwrap();
    wait_for_path(&c, "q=%C3%A9chelon").await;
    assert!(text(&c, "main").await.contains("1 acte trouvé"));
    c.find(Locator::Css("input[name=kind][value=arrete]")).await.unwrap().send_keys(" ").await.unwrap();
    c.find(Locator::Css(".search-filters button[type=submit]"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    wait_for_path(&c, "kind=arrete").await;
    check_page(&c, "Rechercher un acte — acta").await;
    assert!(text(&c, "main").await.contains("1 acte trouvé"));
    // A facet narrows, without script: the Aubrecourt checkbox, then « Appliquer ».
    c.find(Locator::Css(&format!("input[name=collectivite][value='{AUBRECOURT}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, ".search-filters").await;
    check_page(&c, "Rechercher un acte — acta").await;
    assert!(path(&c).await.contains(&format!("collectivite={AUBRECOURT}")));
    assert!(text(&c, "main").await.contains("1 acte trouvé"));

    // … and sends it to the archives.
    c.goto(&format!("{base}/transferts")).await.unwrap();
    visit(&c, "Transferts aux archives — acta", "transferts").await;
    c.find(Locator::Id("collectivite")).await.unwrap().select_by_value(AUBRECOURT).await.unwrap();
    submit(&c, "main form").await;
    visit(&c, "Transferts aux archives — acta", "transfert-selection").await;
    assert!(text(&c, "main").await.contains(number));
    submit(&c, "form[action='/transferts'][method=post]").await;
    visit(&c, "Transfert du", "transfert").await;
    assert!(text(&c, "#etat").await.contains("Envoyé, en attente de réponse"));
    logout(&c).await;
}

/// A lecteur of another collectivité gets the not-found page at the act's
/// address; the act's own collectivité finds it in its space.
async fn collectivites(
    c: &Client,
    base: &str,
    (marquenval, aubrecourt): (&str, &str),
    id: &str,
    number: &str,
) {
    let c = c.clone();
    login(&c, base, "mairie.marquenval", marquenval).await;
    c.goto(&format!("{base}/actes/{id}")).await.unwrap();
    check_page(&c, "introuvable").await;
    let main = text(&c, "main").await;
    assert!(!main.contains(number) && !main.contains("échelon"), "nothing of the act: {main}");
    c.goto(&format!("{base}/recherche?q=avancement")).await.unwrap();
    check_page(&c, "Rechercher un acte — acta").await;
    assert!(text(&c, "main").await.contains("Aucun acte trouvé"));
    c.goto(&format!("{base}/nulle-part")).await.unwrap();
    visit(&c, "Page introuvable — acta", "page-introuvable").await;
    logout(&c).await;

    // Its own collectivité finds it in its space.
    login(&c, base, "mairie.aubrecourt", aubrecourt).await;
    c.find(Locator::Css("nav a[href='/collectivite']")).await.unwrap().click().await.unwrap();
    visit(&c, "Espace collectivité : Commune d'Aubrecourt-en-Artois — acta", "espace-collectivite").await;
    let row = text(&c, "main table").await;
    assert!(row.contains(number) && row.contains("Télécharger le PDF"), "{row}");
    c.goto(&format!("{base}/aide")).await.unwrap();
    visit(&c, "Aide — acta", "aide").await;
    assert!(text(&c, ".notice").await.contains("Consulter les actes de sa collectivité"));
    c.goto(&format!("{base}/accessibilite")).await.unwrap();
    visit(&c, "Déclaration d'accessibilité — acta", "accessibilite").await;
    logout(&c).await;
    c.goto(&format!("{base}/verifier")).await.unwrap();
    visit(&c, "Vérifier un document — acta", "verifier").await;
}
