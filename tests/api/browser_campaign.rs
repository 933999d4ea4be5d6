//! Issues #14 and #16, a campaign in a real browser (Chromium through
//! chromedriver, the real `acta` binary, axe-core on every page: zero
//! serious or critical violation): a gestionnaire sends a small wave with a
//! broken row, reads the report naming it (after a look at the column
//! mapping editor), sends the fixed file, opens a
//! sample PDF, records and launches the campaign after the confirmation,
//! follows its progress until done, and downloads a collectivité's ZIP.
//! With `UI_SCREENSHOTS=1` the pages are photographed into `docs/ui/`.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::browser::{browser, check_page, first_run, login, path, serve, session_cookie, submit, text};
use crate::browser_find::shoot;
use crate::helpers::{acta_ok, repo_path};
use crate::web_campaigns::{MAPPING, SIRENS, wave};

async fn visit(c: &Client, title: &str, name: &str) {
    check_page(c, title).await;
    shoot(c, name).await;
}

/// Choose the template and the file in « Nouvelle campagne », send it.
async fn send(c: &Client, base: &str, file: &std::path::Path) {
    c.goto(&format!("{base}/campagnes/nouvelle")).await.unwrap();
    c.find(Locator::Id("modele")).await.unwrap().select_by_value("arrete-avancement-echelon").await.unwrap();
    c.find(Locator::Id("fichier")).await.unwrap().send_keys(file.to_str().unwrap()).await.unwrap();
    submit(c, "main form").await;
}

/// Click the link saying `label` and wait for the next page.
async fn follow(c: &Client, label: &str) {
    c.execute("window.actaOldPage = true;", vec![]).await.unwrap();
    c.find(Locator::LinkText(label))
        .await
        .unwrap_or_else(|e| panic!("« {label} »: {e}"))
        .click()
        .await
        .unwrap();
    let start = Instant::now();
    let loaded = "return window.actaOldPage === undefined && document.readyState === 'complete';";
    while c.execute(loaded, vec![]).await.ok() != Some(Value::Bool(true)) {
        assert!(start.elapsed() < Duration::from_secs(20), "no page after « {label} »");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The column mapping editor: the list, the saved mapping, a mistake.
async fn mapping_editor(c: &Client, base: &str) {
    follow(c, "Correspondance des colonnes des modèles").await;
    visit(c, "Correspondance des colonnes — acta", "correspondances").await;
    c.goto(&format!("{base}/campagnes/correspondances/arrete-avancement-echelon")).await.unwrap();
    visit(c, "Correspondance des colonnes : ", "correspondance").await;
    c.find(Locator::Id("collectivite")).await.unwrap().clear().await.unwrap();
    submit(c, "main form[action$='echelon']").await;
    visit(c, "Erreur : Correspondance des colonnes : ", "correspondance-erreurs").await;
    assert!(text(c, ".error-summary").await.contains("Indiquez la colonne du SIREN"));
    c.goto(&format!("{base}/campagnes")).await.unwrap();
}

#[tokio::test]
async fn a_gestionnaire_checks_fixes_launches_and_delivers_a_campaign_in_a_real_browser() {
    let data = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let (_server, base, link) = serve(data.path());
    let (_driver, c) = browser(profile.path()).await;
    first_run(&c, &base, &link).await;
    let token =
        acta_ok(data.path(), &["tokens", "create", "--role", "admin"]).lines().last().unwrap().to_owned();
    let mapping: Value = serde_json::from_slice(&std::fs::read(repo_path(MAPPING)).unwrap()).unwrap();
    let put = crate::helpers::client_with(&token)
        .put(format!("{base}/api/v1/campaigns/mappings/arrete-avancement-echelon"))
        .json(&mapping);
    assert!(put.send().await.unwrap().status().is_success());
    let mut args = vec!["users", "create", "--login", "rh", "--name", "Service RH", "--role", "gestionnaire"];
    for s in SIRENS {
        args.extend(["--collectivite", s]);
    }
    let password = acta_ok(data.path(), &args).lines().last().unwrap().trim().to_owned();
    // Log the administrator out, the gestionnaire in.
    submit(&c, ".site-header form").await;
    login(&c, &base, "rh", &password).await;

    c.goto(&format!("{base}/campagnes")).await.unwrap();
    visit(&c, "Campagnes — acta", "campagnes").await;
    mapping_editor(&c, &base).await;
    follow(&c, "Nouvelle campagne").await;
    visit(&c, "Nouvelle campagne — acta", "campagne-nouvelle").await;

    // Line 4 has an indice brut out of range: the report says so, in French.
    let broken = files.path().join("vague-2026.csv");
    std::fs::write(&broken, wave(6, &[4])).unwrap();
    send(&c, &base, &broken).await;
    visit(&c, "Erreur : Contrôle du fichier « vague-2026.csv »", "campagne-controle-erreurs").await;
    let summary = text(&c, ".error-summary").await;
    assert!(summary.contains("Ligne 4, colonne « IB » : doit être au plus 1200"), "{summary}");
    assert!(c.find(Locator::Css("tr#probleme-1")).await.is_ok());

    // The fixed file: every row valid, the change table, a sample PDF.
    let fixed = files.path().join("vague-2026-corrigee.csv");
    std::fs::write(&fixed, wave(6, &[])).unwrap();
    send(&c, &base, &fixed).await;
    visit(&c, "Contrôle du fichier « vague-2026-corrigee.csv »", "campagne-controle").await;
    assert!(text(&c, "#changements-caption").await.contains("avant → après"));
    let sample =
        c.find(Locator::Css("#exemples + p + ul a")).await.unwrap().attr("href").await.unwrap().unwrap();
    let cookie = format!("acta-session={}", session_cookie(&c).await.unwrap());
    let http = reqwest::Client::new();
    let pdf = http.get(format!("{base}{sample}")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));

    submit(&c, ".verdict form").await;
    visit(&c, "Campagne « vague-2026-corrigee.csv »", "campagne-prete").await;
    follow(&c, "Lancer la campagne").await;
    visit(&c, "Lancer la campagne « vague-2026-corrigee.csv »", "campagne-lancer").await;
    assert!(text(&c, "main .lead").await.contains("6 actes vont être faits"));
    submit(&c, "main form").await;
    // The progress page refreshes itself until the run is done.
    let start = Instant::now();
    let mut progress_seen = false;
    loop {
        let state = c
            .execute(
                "const v = document.querySelector('.verdict__title'); return v ? v.textContent : '';",
                vec![],
            )
            .await;
        match state.ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref() {
            Some("Terminée") => break,
            Some("Campagne en cours") if !progress_seen => {
                progress_seen = true;
                shoot(&c, "campagne-en-cours").await;
            }
            _ => {}
        }
        assert!(start.elapsed() < Duration::from_secs(120), "the campaign did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    visit(&c, "Campagne « vague-2026-corrigee.csv »", "campagne-terminee").await;
    assert!(text(&c, "#resultat").await.contains("6 actes faits et scellés sur 6"));
    assert!(path(&c).await.starts_with("/campagnes/"));

    // Each collectivité's ZIP: its sealed PDFs and the bordereau.
    let zip = c
        .find(Locator::Css("#livraisons ~ .table-scroll a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let resp = http.get(format!("{base}{zip}")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let bytes = resp.bytes().await.unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(
        names.iter().filter(|n| n.starts_with("actes/") && n.ends_with(".pdf")).count(),
        2,
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n == "bordereau.csv") && names.iter().any(|n| n == "bordereau.pdf"),
        "{names:?}"
    );
    c.goto(&format!("{base}/campagnes")).await.unwrap();
    visit(&c, "Campagnes — acta", "campagnes-liste").await;
    assert!(text(&c, "main table").await.contains("6 sur 6"));
    c.close().await.unwrap();
}
