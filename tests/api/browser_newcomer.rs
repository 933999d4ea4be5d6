//! Issue #14, the app tried as a newcomer would, in Chromium: the README's
//! first command on an empty data directory, then what someone who never
//! read the documentation meets — the login page before the console's link,
//! accounts for collectivités named as people name them, the templates by
//! group, a sealed act withdrawn after a question of its own, a draft edited
//! and deleted, a password reset, the login throttled — each page checked
//! by axe-core (zero serious or critical violation) and, at 360 pixels
//! wide, never wider than the screen.

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::browser::{browser, check_page, first_run, login, path, serve, submit, text, type_in};
use crate::browser_find::shoot;
use crate::helpers::{acta_ok, client_with, fixture};

/// `check_page`, and the page at 360 pixels wide: nothing wider than the
/// screen (a wide table scrolls inside itself).
async fn visit(c: &Client, title: &str) {
    check_page(c, title).await;
    c.set_window_size(360, 800).await.unwrap();
    let wide = c
        .execute(
            "const w = document.documentElement.clientWidth;
             return [document.documentElement.scrollWidth, w];",
            vec![],
        )
        .await
        .unwrap();
    c.set_window_size(1280, 900).await.unwrap();
    assert!(wide[0].as_u64() <= wide[1].as_u64(), "« {title} » at 360 px: {wide} (page width, screen width)");
}

async fn select(c: &Client, id: &str, value: &str) {
    c.find(Locator::Id(id)).await.unwrap().select_by_value(value).await.unwrap();
}

async fn value_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id)).await.unwrap().prop("value").await.unwrap().unwrap_or_default()
}

#[tokio::test]
async fn a_newcomer_sets_up_names_collectivites_finds_templates_and_withdraws_an_act_in_a_real_browser() {
    let data = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (_server, base, link) = serve(data.path());
    let (_driver, c) = browser(profile.path()).await;

    // Before the console's link, the login page says where the first account is made.
    c.goto(&base).await.unwrap();
    visit(&c, "Se connecter — acta").await;
    assert!(text(&c, "#premier-demarrage").await.contains("lien qu'acta a affiché dans la console"));
    shoot(&c, "connexion-premier-demarrage").await;
    first_run(&c, &base, &link).await;
    c.goto(&format!("{base}/accueil")).await.unwrap();
    assert!(text(&c, "main .lead").await.contains("Votre rôle : administrateur"));

    accounts(&c, &base).await;
    templates(&c, &base).await;
    let id = sealed_act(&c, &base, data.path()).await;
    withdrawal(&c, &base, &id).await;
    throttled(&c, &base).await;
    c.close().await.unwrap();
}

/// Accounts for collectivités typed by name, with the list's suggestion or
/// a SIREN written with spaces; an unknown name is refused beside the field.
async fn accounts(c: &Client, base: &str) {
    let create = |login: &'static str, role: &'static str, collectivites: &'static str| async move {
        c.goto(&format!("{base}/admin/comptes")).await.unwrap();
        type_in(c, "identifiant", login).await;
        type_in(c, "nom", "Sophie Bernard").await;
        select(c, "role", role).await;
        type_in(c, "collectivites", collectivites).await;
        type_in(c, "mot_de_passe", "les arrêtés du maire 2026").await;
        submit(c, "form[action='/admin/comptes']").await;
    };
    c.goto(&format!("{base}/admin/comptes")).await.unwrap();
    visit(c, "Comptes — acta").await;
    assert!(text(c, "table caption").await.starts_with("Le seul compte"));
    // The suggestions are the collectivités, as the field takes them back.
    let list = c.find(Locator::Id("collectivites")).await.unwrap().attr("list").await.unwrap();
    assert_eq!(list.as_deref(), Some("collectivites-liste"));
    let offered = c
        .execute(
            "return [...document.querySelectorAll('#collectivites-liste option')].map(o => o.value);",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        offered.as_array().unwrap().contains(&Value::from("Commune de Marquenval-sur-Canche (216296202)")),
        "{offered}"
    );

    create("sophie.bernard", "secretaire", "Saint-Jean-des-Prés").await;
    visit(c, "Erreur : Comptes — acta").await;
    let error = text(c, "#collectivites-error").await;
    assert!(error.contains("« Saint-Jean-des-Prés » : aucune collectivité de ce nom"), "{error}");
    assert_eq!(value_of(c, "collectivites").await, "Saint-Jean-des-Prés", "the input is kept");

    // The town, as a secrétaire de mairie names it, case and accents aside.
    create("sophie.bernard", "secretaire", "marquenval-sur-canche").await;
    assert_eq!(path(c).await, "/admin/comptes?cree=sophie.bernard", "{}", text(c, "main").await);
    create("marc.lefort", "gestionnaire", "Commune d'Aubrecourt-en-Artois (216295105), 216 297 309").await;
    assert_eq!(path(c).await, "/admin/comptes?cree=marc.lefort", "{}", text(c, "main").await);
    visit(c, "Comptes — acta").await;
    let table = text(c, "table").await;
    assert!(table.contains("Commune de Marquenval-sur-Canche (216296202)"), "{table}");
    assert!(
        table.contains(
            "Commune d'Aubrecourt-en-Artois (216295105), Commune de Sainte-Ombeline-les-Dunes (216297309)"
        ),
        "{table}"
    );

    // A new password for an account: asked first (the old one dies), then
    // shown once, on a checked page.
    c.find(Locator::Css("a[href='/admin/comptes/sophie.bernard/mot-de-passe']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("form[action='/admin/comptes/sophie.bernard/mot-de-passe']"))
        .await
        .unwrap();
    visit(c, "Nouveau mot de passe pour sophie.bernard — acta").await;
    assert!(text(c, ".confirm__what").await.contains("ne fonctionnera plus"));
    submit(c, "main form").await;
    c.wait().for_element(Locator::Id("secret-value")).await.unwrap();
    visit(c, "Comptes — acta").await;
    let password = text(c, "#secret-value").await;
    assert!(password.len() >= 12, "{password}");
}

/// « Nouvel acte »: the templates under three legends, the career first.
async fn templates(c: &Client, base: &str) {
    c.goto(&format!("{base}/actes/nouveau")).await.unwrap();
    visit(c, "Nouvel acte — acta").await;
    let legends = c
        .execute("return [...document.querySelectorAll('.fieldset--group > legend')].map(l => l.textContent.trim());", vec![])
        .await
        .unwrap();
    assert_eq!(
        legends,
        serde_json::json!([
            "Carrière et situation des agents",
            "Arrêtés du maire",
            "Séances : convocations, délibérations, procès-verbaux"
        ])
    );
    let first = c.find(Locator::Id("modele")).await.unwrap().attr("value").await.unwrap();
    assert_eq!(
        first.as_deref(),
        Some("arrete-avancement-echelon"),
        "the summary's link reaches the first radio"
    );
    let police = c.find(Locator::Css("input[value='arrete-police-circulation']")).await.unwrap();
    let group =
        police.find(Locator::XPath("ancestor::fieldset[1]/legend")).await.unwrap().text().await.unwrap();
    assert_eq!(group, "Arrêtés du maire");
}

/// A sealed act (through the API), and a draft edited and deleted in the pages.
async fn sealed_act(c: &Client, base: &str, data: &std::path::Path) -> String {
    let token = acta_ok(data, &["tokens", "create", "--role", "admin"]).lines().last().unwrap().to_owned();
    let api = client_with(&token);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let created =
            api.post(format!("{base}/api/v1/acts")).json(&fixture("arrete-avancement-echelon")).send();
        let act: Value = created.await.unwrap().json().await.unwrap();
        ids.push(act["id"].as_str().unwrap().to_owned());
    }
    let sealed = api.post(format!("{base}/api/v1/acts/{}/seal", ids[0])).send().await.unwrap();
    assert!(sealed.status().is_success());

    let draft = &ids[1];
    c.goto(&format!("{base}/actes/{draft}/modifier")).await.unwrap();
    visit(c, "Modifier le projet").await;
    c.goto(&format!("{base}/actes/{draft}/supprimer")).await.unwrap();
    visit(c, "Supprimer").await;
    submit(c, "main form").await;
    c.goto(&format!("{base}/actes/{draft}")).await.unwrap();
    visit(c, "Page introuvable — acta").await;

    // The size of the PDF as people read it.
    c.goto(&format!("{base}/actes/{}", ids[0])).await.unwrap();
    visit(c, "Acte ").await;
    let facts = text(c, "dl.facts").await;
    assert!(facts.contains(" Ko") && !facts.contains("octets"), "{facts}");
    assert!(text(c, "#verification").await.len() > 3);
    let journal = text(c, ".verdict").await;
    assert!(journal.contains("(1 inscription)"), "{journal}");
    // The pages around a sealed act: its images, a correction's form, the
    // next act of the agent's career, the refusal to edit it; and a search
    // that finds nothing.
    let sealed = &ids[0];
    c.goto(&format!("{base}/actes/{sealed}/apercu")).await.unwrap();
    visit(c, "Aperçu de l'acte").await;
    c.goto(&format!("{base}/actes/{sealed}")).await.unwrap();
    let correction =
        c.find(Locator::Css("a[href*='nature=rectificatif']")).await.unwrap().attr("href").await.unwrap();
    c.goto(&format!("{base}{}", correction.unwrap())).await.unwrap();
    visit(c, "Nouvel acte").await;
    let siren = fixture("arrete-avancement-echelon")["collectivite"].as_str().unwrap().to_owned();
    c.goto(&format!("{base}/actes/nouveau/arrete-avancement-echelon?collectivite={siren}&matricule=A-00417"))
        .await
        .unwrap();
    visit(c, "Nouvel acte : Arrêté portant avancement").await;
    assert_eq!(value_of(c, "f.agent.nom").await, "Cœurdevey", "the career's last act prefills the form");
    c.goto(&format!("{base}/actes/{sealed}/modifier")).await.unwrap();
    visit(c, "Acte scellé").await;
    c.goto(&format!("{base}/recherche?q=introuvablement")).await.unwrap();
    visit(c, "Rechercher un acte — acta").await;
    // The espace collectivité's table at 360 px scrolls inside itself.
    c.goto(&format!("{base}/collectivite?collectivite={siren}")).await.unwrap();
    visit(c, "Espace collectivité").await;
    ids.swap_remove(0)
}

/// « Retirer l'acte »: a page of its own, the reason beside its field when
/// missing, then the withdrawal and the act that says so.
async fn withdrawal(c: &Client, base: &str, id: &str) {
    c.goto(&format!("{base}/actes/{id}")).await.unwrap();
    assert!(c.find(Locator::Css("main select#motif")).await.is_err(), "no withdrawal form on the act page");
    c.find(Locator::Css(&format!("a[href='/actes/{id}/retirer']"))).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("form[action$='/retirer']")).await.unwrap();
    visit(c, "Retirer l'acte n° ").await;
    shoot(c, "acte-retirer").await;
    submit(c, "main form").await;
    visit(c, "Erreur : Retirer l'acte n° ").await;
    assert!(text(c, "#motif-error").await.contains("Choisissez le motif du retrait"));
    let summary = c.find(Locator::Css(".error-summary a")).await.unwrap();
    assert_eq!(summary.attr("href").await.unwrap().as_deref(), Some("#motif"));
    assert_eq!(path(c).await, format!("/actes/{id}/retirer"), "nothing withdrawn");
    select(c, "motif", "error").await;
    submit(c, "main form").await;
    assert_eq!(path(c).await, format!("/actes/{id}?retire=1"));
    visit(c, "Acte ").await;
    assert!(text(c, ".status").await.contains("retiré"));
    assert!(text(c, "dl.facts").await.contains("Publié par erreur"));
    // Asked again, the page sends back to the act.
    c.goto(&format!("{base}/actes/{id}/retirer")).await.unwrap();
    assert_eq!(path(c).await, format!("/actes/{id}"));
}

/// Too many wrong passwords: the login page says how long to wait, in words.
async fn throttled(c: &Client, base: &str) {
    submit(c, ".site-header form").await;
    for _ in 0..30 {
        login(c, base, "sophie.bernard", "pas le bon mot de passe").await;
        if text(c, "#identifiant-error").await.contains("Trop de tentatives") {
            visit(c, "Erreur : Se connecter — acta").await;
            let error = text(c, "#identifiant-error").await;
            assert!(error.contains(" minutes.") && !error.contains("(s)"), "{error}");
            return;
        }
    }
    panic!("the login is never throttled");
}
