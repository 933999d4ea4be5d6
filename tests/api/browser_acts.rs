//! Issue #14, acts in a real browser (Chromium through chromedriver, the
//! real binary over real HTTP, axe-core on every page): a gestionnaire fills
//! an arrêté in the form generated from its template, leaves a required
//! field empty, reads the French error beside it, fixes it, previews the
//! PROJET, seals it and downloads the PDF whose SHA-256 is the one shown;
//! then makes a second one with the keyboard only, up to its sealing. A
//! lecteur of another collectivité gets the not-found page for its address.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::browser::{browser, check_page, login, path, serve, text};
use crate::helpers::{acta_ok, fixture};

const SIREN: &str = "216295105";
const OTHER_SIREN: &str = "216296202";
const TEMPLATE: &str = "arrete-avancement-echelon";

/// An account made with `acta users create`; its printed password.
fn user(data: &std::path::Path, login: &str, role: &str, siren: &str) -> String {
    let args =
        ["users", "create", "--login", login, "--name", login, "--role", role, "--collectivite", siren];
    acta_ok(data, &args).lines().last().unwrap().trim().to_owned()
}

/// The fixture's data as the form's inputs: (JSON pointer, text), rows first.
fn leaves(v: &Value, ptr: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| leaves(v, &format!("{ptr}/{k}"), out)),
        Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| leaves(v, &format!("{ptr}/{i}"), out))
        }
        Value::String(s) => out.push((ptr.to_owned(), s.clone())),
        other => out.push((ptr.to_owned(), other.to_string())),
    }
}

/// Leave a mark on the page, so that [`loaded`] knows when the next one is there.
async fn mark(c: &Client) {
    c.execute("window.actaOldPage = true;", vec![]).await.unwrap();
}

async fn loaded(c: &Client, what: &str) {
    let start = Instant::now();
    loop {
        let done = c
            .execute("return window.actaOldPage === undefined && document.readyState === 'complete';", vec![])
            .await;
        if matches!(done, Ok(Value::Bool(true))) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no page after {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Click `css` and wait for the next page.
async fn press(c: &Client, css: &str) {
    mark(c).await;
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
    loaded(c, css).await;
}

/// The keys that type `day` (`AAAA-MM-JJ`) in a date input of the browser's locale.
async fn date_keys(c: &Client, day: &str) -> String {
    let (y, rest) = day.split_once('-').unwrap();
    let (m, d) = rest.split_once('-').unwrap();
    // Chromium runs in French (`browser`): date inputs read jj/mm/aaaa.
    let lang = c.execute("return navigator.language;", vec![]).await.unwrap();
    assert!(lang.as_str().unwrap_or("").starts_with("fr"), "Chromium in {lang}");
    format!("{d}{m}{y}")
}

/// Wait until the live « Aperçu » says `state` (its images then are those
/// of the form as typed).
async fn live_preview(c: &Client, state: &str) {
    let start = Instant::now();
    loop {
        let now = text(c, "#apercu-direct-etat").await;
        if now.contains(state) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the live preview says {now:?}, not {state:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The live « Aperçu »'s images: each one's natural width once loaded.
async fn live_images(c: &Client) -> Value {
    c.execute(
        "return Array.from(document.querySelectorAll('#apercu-direct img')).map(i => i.complete && i.naturalWidth);",
        vec![],
    )
    .await
    .unwrap()
}

async fn value_of(c: &Client, ptr: &str) -> String {
    let v = c
        .execute(
            "const e = document.querySelector(`[name='${arguments[0]}']:checked`) || document.getElementsByName(arguments[0])[0]; return e ? e.value : null;",
            vec![json!(ptr)],
        )
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_owned()
}

/// Fill the input at `ptr` with the mouse and the keyboard, as its kind asks.
async fn fill(c: &Client, ptr: &str, value: &str) {
    let css = format!("[name='{ptr}']");
    let field = c.find(Locator::Css(&css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    match field.attr("type").await.unwrap().as_deref() {
        Some("radio") => {
            c.find(Locator::Css(&format!("[name='{ptr}'][value='{value}']")))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        Some("date") => field.send_keys(&date_keys(c, value).await).await.unwrap(),
        _ => {
            field.clear().await.unwrap();
            field.send_keys(value).await.unwrap();
        }
    }
    assert_eq!(value_of(c, ptr).await, value, "{ptr}");
}

/// The SHA-256 of what `href` serves to the browser's session (the pages'
/// policy lets no script fetch, so the download goes with its cookie).
async fn downloaded_sha256(c: &Client, href: &str) -> String {
    use sha2::Digest;
    let url = c.current_url().await.unwrap().join(href).unwrap();
    let cookies: Vec<String> =
        c.get_all_cookies().await.unwrap().iter().map(|k| format!("{}={}", k.name(), k.value())).collect();
    let r = reqwest::Client::new().get(url).header("cookie", cookies.join("; ")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{href}");
    assert_eq!(r.headers()["content-type"], "application/pdf");
    hex::encode(sha2::Sha256::digest(r.bytes().await.unwrap()))
}

#[tokio::test]
async fn a_gestionnaire_makes_an_arrete_from_its_form_previews_seals_and_downloads_it_in_a_real_browser() {
    let data = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (_server, base, _link) = serve(data.path());
    let gina = user(data.path(), "gina", "gestionnaire", SIREN);
    let lea = user(data.path(), "lea", "lecteur", OTHER_SIREN);
    let (_driver, c) = browser(profile.path()).await;
    login(&c, &base, "gina", &gina).await;
    let act = with_the_mouse(&c).await;
    preview_seal_and_download(&c, &act).await;
    with_the_keyboard_only(&c, &base).await;

    // A lecteur of another collectivité: the act does not exist for her.
    c.delete_all_cookies().await.unwrap();
    login(&c, &base, "lea", &lea).await;
    c.goto(&format!("{base}{act}")).await.unwrap();
    check_page(&c, "Page introuvable — acta").await;
    c.goto(&format!("{base}/actes/nouveau")).await.unwrap();
    check_page(&c, "Accès refusé").await;
    c.close().await.unwrap();
}

/// « Nouvel acte » from the menu, the choice, the form with « Grade » left
/// empty, the error, the fix; the act's path.
async fn with_the_mouse(c: &Client) -> String {
    check_page(c, "Accueil").await;
    press(c, "nav a[href='/actes/nouveau']").await;
    check_page(c, "Nouvel acte — acta").await;
    crate::browser_find::shoot(c, "nouvel-acte").await;
    // No choice made: the errors say what to choose.
    press(c, "main form button[type=submit]").await;
    check_page(c, "Erreur : Nouvel acte — acta").await;
    crate::browser_find::shoot(c, "nouvel-acte-erreur").await;
    assert_eq!(text(c, ".error-summary a[href='#modele']").await, "Choisissez un modèle d'acte");
    c.find(Locator::Css(&format!("input[value='{TEMPLATE}']"))).await.unwrap().click().await.unwrap();
    press(c, "main form button[type=submit]").await;
    assert_eq!(
        path(c).await,
        format!("/actes/nouveau/{TEMPLATE}?collectivite={SIREN}"),
        "one collectivité: chosen"
    );
    check_page(c, "Nouvel acte : Arrêté portant avancement").await;
    crate::browser_find::shoot(c, "formulaire").await;
    // The collectivité's facts are there, not to be typed.
    assert!(text(c, "details.profile-facts").await.contains("Ce que l'acte reprend du profil"));

    let mut inputs = Vec::new();
    leaves(&fixture(TEMPLATE)["data"], "", &mut inputs);
    for _ in 0..2 {
        press(c, "button[value='ajouter:/visas']").await;
        check_page(c, "Nouvel acte").await;
    }
    for (ptr, value) in inputs.iter().filter(|(p, _)| p != "/grade") {
        fill(c, ptr, value).await;
    }
    // The live « Aperçu » follows the typing (acta.js): the form lacks its
    // grade, which it says calmly, without an error.
    assert!(c.find(Locator::Css("#apercu-direct:not([hidden])")).await.is_ok(), "shown with JavaScript");
    let only_grade =
        "L'aperçu attend que le formulaire soit complet : « Grade : champ obligatoire manquant ».";
    live_preview(c, only_grade).await;
    fill(c, "/grade", "adjoint technique").await;
    live_preview(c, "Aperçu à jour.").await;
    assert_eq!(live_images(c).await, json!([893]), "the unsaved act's page");
    check_page(c, "Nouvel acte : Arrêté portant avancement").await;
    crate::browser_find::shoot(c, "formulaire-apercu").await;
    c.find(Locator::Id("f.grade")).await.unwrap().clear().await.unwrap();
    live_preview(c, only_grade).await;
    assert_eq!(live_images(c).await, json!([893]), "the last pages stay while the form is incomplete");
    press(c, ".form-actions button[value=enregistrer]").await;
    check_page(c, "Erreur : Nouvel acte").await;
    crate::browser_find::shoot(c, "formulaire-erreurs").await;
    assert_eq!(text(c, ".error-summary a[href='#f.grade']").await, "Grade : champ obligatoire manquant");
    let beside = c.find(Locator::Id("f.grade-error")).await.unwrap().text().await.unwrap();
    // « Erreur : » is for screen readers only.
    assert_eq!(beside.split_whitespace().collect::<Vec<_>>().join(" "), "Erreur : Ce champ est obligatoire");
    let grade = c.find(Locator::Id("f.grade")).await.unwrap();
    assert_eq!(grade.attr("aria-describedby").await.unwrap().as_deref(), Some("f.grade-hint f.grade-error"));
    // What was typed is still there.
    assert_eq!(value_of(c, "/agent/nom").await, "Cœurdevey");
    assert_eq!(value_of(c, "/visas/1").await, inputs.iter().find(|(p, _)| p == "/visas/1").unwrap().1);

    c.find(Locator::Css(".error-summary a[href='#f.grade']")).await.unwrap().click().await.unwrap();
    fill(c, "/grade", "adjoint technique principal de 2e classe").await;
    press(c, ".form-actions button[value=enregistrer]").await;
    let act = path(c).await.split('?').next().unwrap().to_owned();
    assert!(act.starts_with("/actes/") && act.len() > 20, "{act}");
    check_page(c, "Projet d'acte — acta").await;
    crate::browser_find::shoot(c, "projet").await;
    assert_eq!(text(c, ".notice").await, "Le projet est enregistré.");
    assert!(text(c, ".lead").await.contains("Mme Léonie Cœurdevey"));
    act
}

async fn preview_seal_and_download(c: &Client, act: &str) {
    press(c, &format!("a[href='{act}/apercu']")).await;
    check_page(c, "Aperçu du projet — acta").await;
    crate::browser_find::shoot(c, "apercu").await;
    let frame = c.find(Locator::Css("iframe.pdf-frame")).await.unwrap();
    assert_eq!(frame.attr("src").await.unwrap(), Some(format!("{act}/projet.pdf")));
    let shown = c
        .execute("return Array.from(document.querySelectorAll('img.pages__image')).map(i => i.complete && i.naturalWidth);", vec![])
        .await
        .unwrap();
    assert_eq!(shown, json!([893]), "the page's image is shown");
    let projet = downloaded_sha256(c, &format!("{act}/projet.pdf")).await;
    assert_eq!(projet.len(), 64);

    press(c, &format!("a[href='{act}/sceller']")).await;
    check_page(c, "Sceller l'acte — acta").await;
    crate::browser_find::shoot(c, "sceller").await;
    let sentence = text(c, "main").await;
    assert!(sentence.contains("registre des arrêtés (ARR)"), "{sentence}");
    let button = text(c, "main form button[type=submit]").await;
    assert!(button.starts_with("Sceller l'acte n° ") && button.ends_with("_ARR_00001"), "{button}");
    press(c, "main form button[type=submit]").await;

    check_page(c, "Acte ").await;
    crate::browser_find::shoot(c, "acte").await;
    assert_eq!(text(c, ".notice").await, "L'acte est scellé et inscrit au registre.");
    let number = button.trim_start_matches("Sceller l'acte n° ");
    assert_eq!(c.title().await.unwrap(), format!("Acte {number} — acta"));
    assert!(text(c, ".verdict").await.contains("Document authentique"));
    let shown = text(c, "#empreinte").await;
    let downloaded = downloaded_sha256(c, &format!("{act}/pdf")).await;
    assert_eq!(downloaded, shown, "the PDF downloaded is the one whose SHA-256 the page shows");
    assert_ne!(downloaded, projet, "the sealed PDF is not the PROJET");
    let history = text(c, "table").await;
    assert!(history.contains("Projet enregistré") && history.contains("Acte scellé"), "{history}");
}

/// Press `key` on the element that has the focus.
async fn key(c: &Client, k: Key) {
    c.active_element().await.unwrap().send_keys(&char::from(k).to_string()).await.unwrap();
}

/// What has the focus: `name`, `value`, `type`, text.
async fn focused(c: &Client) -> (String, String, String, String) {
    let v = c
        .execute(
            "const e = document.activeElement; return [e.getAttribute('name') || '', e.getAttribute('value') || '', e.getAttribute('type') || e.tagName.toLowerCase(), (e.textContent || '').trim()];",
            vec![],
        )
        .await
        .unwrap();
    let s = |i: usize| v[i].as_str().unwrap_or_default().to_owned();
    (s(0), s(1), s(2), s(3))
}

/// Tab until the focus is on what `wanted` accepts (at most 300 presses).
async fn tab_to(c: &Client, what: &str, wanted: impl Fn(&(String, String, String, String)) -> bool) {
    for _ in 0..300 {
        if wanted(&focused(c).await) {
            return;
        }
        key(c, Key::Tab).await;
    }
    panic!("the keyboard never reaches {what}");
}

/// Press Enter on the focus and wait for the next page.
async fn enter(c: &Client, what: &str) {
    mark(c).await;
    key(c, Key::Enter).await;
    loaded(c, what).await;
}

/// The same creation, the keyboard only: from the home page to the sealed act.
async fn with_the_keyboard_only(c: &Client, base: &str) {
    c.goto(&format!("{base}/accueil")).await.unwrap();
    tab_to(c, "the menu's « Nouvel acte »", |f| f.3 == "Nouvel acte").await;
    enter(c, "Nouvel acte").await;
    tab_to(c, "the template", |f| f.0 == "modele" && f.1 == TEMPLATE).await;
    key(c, Key::Space).await;
    tab_to(c, "Continuer", |f| f.3 == "Continuer").await;
    enter(c, "Continuer").await;
    check_page(c, "Nouvel acte : Arrêté portant avancement").await;

    let mut inputs = Vec::new();
    leaves(&fixture(TEMPLATE)["data"], "", &mut inputs);
    // Every field in the page's order, « Grade » left empty; « Ajouter une
    // ligne » when the visas need a row (the new row's input takes the focus).
    let mut todo: Vec<(String, String)> = inputs.into_iter().filter(|(p, _)| p != "/grade").collect();
    let mut rows = 0;
    for _ in 0..400 {
        if todo.is_empty() {
            break;
        }
        let (name, button, kind, _) = focused(c).await;
        if button == "ajouter:/visas" && todo.iter().any(|(p, _)| p.starts_with("/visas/")) {
            enter(c, "Ajouter une ligne").await;
            assert_eq!(focused(c).await.0, format!("/visas/{rows}"), "the new row has the focus");
            rows += 1;
            continue;
        }
        if let Some(i) = todo.iter().position(|(p, _)| *p == name) {
            let (ptr, value) = todo.remove(i);
            match kind.as_str() {
                // None checked: the first radio has the focus; the arrow
                // moves to the next one and checks it.
                "radio" if value == "Mme" => key(c, Key::Right).await,
                "radio" => key(c, Key::Space).await,
                "date" => {
                    c.active_element().await.unwrap().send_keys(&date_keys(c, &value).await).await.unwrap()
                }
                _ => c.active_element().await.unwrap().send_keys(&value).await.unwrap(),
            }
            assert_eq!(value_of(c, &ptr).await, value, "{ptr}");
        }
        key(c, Key::Tab).await;
    }
    assert!(todo.is_empty(), "the keyboard never reached {todo:?}");
    tab_to(c, "Enregistrer le projet", |f| f.1 == "enregistrer").await;
    enter(c, "Enregistrer le projet").await;
    check_page(c, "Erreur : Nouvel acte").await;
    // The error summary has the focus; its link leads to the field.
    assert_eq!(focused(c).await.2, "div");
    tab_to(c, "the summary's link", |f| f.3 == "Grade : champ obligatoire manquant").await;
    tab_to(c, "Grade", |f| f.0 == "/grade").await;
    c.active_element().await.unwrap().send_keys("adjoint technique principal de 1re classe").await.unwrap();
    // Enter in a field saves (the form's first button is « Enregistrer »).
    enter(c, "Enter in Grade").await;
    check_page(c, "Projet d'acte — acta").await;
    tab_to(c, "Sceller l'acte", |f| f.3 == "Sceller l'acte").await;
    enter(c, "Sceller l'acte").await;
    check_page(c, "Sceller l'acte — acta").await;
    tab_to(c, "the seal button", |f| f.3.starts_with("Sceller l'acte n° ")).await;
    enter(c, "the seal button").await;
    check_page(c, "Acte ").await;
    assert!(c.title().await.unwrap().ends_with("_ARR_00002 — acta"));
    assert!(text(c, ".lead").await.contains("Mme Léonie Cœurdevey"));
}
