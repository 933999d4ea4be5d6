//! Issues #14 and #16, the campaign pages over plain HTTP (no browser): a
//! spreadsheet sent through the form is checked row by row in French (in
//! the page and as CSV), broken rows excluded, sample PDFs opened, the
//! campaign recorded, launched after a confirmation naming its registers,
//! followed until done and delivered per collectivité; who may do what (a
//! lecteur or an archiviste is refused, another collectivité's gestionnaire
//! finds nothing, a form without its CSRF token is refused). The samples
//! in the API and the CLI. The browser scenario is in `browser_campaign`.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, acta_in, client_with, repo_path, spawn_app};
use crate::web::{Page, Visitor, cli_user};

pub(crate) const MAPPING: &str = "fixtures/campaigns/arrete-avancement-echelon.mapping.json";
pub(crate) const SIRENS: [&str; 3] = ["216295105", "216296202", "216297309"];
const HEADER: &str = "SIREN employeur;Civilité;Prénom;Nom;Matricule;Grade;Échelon actuel;Nouvel échelon;IB;IM;\
Reliquat années;Reliquat mois;Reliquat jours;Arrêté précédent;Date arrêté précédent;Date d'effet;Date de signature";

/// A promotion wave as an HR export writes it, `n` agents over three
/// communes; `broken` lines (of the file, the header being line 1) with an
/// index brut out of range.
pub(crate) fn wave(n: usize, broken: &[usize]) -> String {
    let noms = ["Cœurdevey", "Thérouanne", "Hannequart", "Dufossé"];
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let e = 3 + i % 6;
            let ib = if broken.contains(&(i + 2)) { 5000 } else { 400 + e * 10 };
            format!(
                "{};{};Léonie;{};A-{i:05};adjoint technique principal de 2e classe;{e};{};{ib};{};0;{};{};n° 2024_ARR_{:05};12/02/2024;01/04/2026;02/03/2026",
                SIRENS[i % 3],
                if i % 2 == 0 { "Mme" } else { "M." },
                noms[i % noms.len()],
                e + 1,
                360 + e * 9,
                i % 12,
                i % 28,
                i + 1
            )
        })
        .collect();
    format!("{HEADER}\r\n{}\r\n", rows.join("\r\n"))
}

/// `fields` and one file as a `multipart/form-data` body.
pub(crate) fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "acta-campagne-7d2f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .bytes(),
        );
    }
    let (name, filename, bytes) = file;
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n")
            .bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) async fn save_mapping(app: &TestApp) {
    let mapping: Value = serde_json::from_slice(&std::fs::read(repo_path(MAPPING)).unwrap()).unwrap();
    let put = app.client.put(app.url("/api/v1/campaigns/mappings/arrete-avancement-echelon")).json(&mapping);
    assert_eq!(put.send().await.unwrap().status(), StatusCode::OK);
}

pub(crate) async fn logged_in(app: &TestApp, login: &str, role: &str, collectivites: &[&str]) -> Visitor {
    let password = cli_user(app, login, "Personne de test", role, collectivites);
    let mut v = Visitor::new(&app.base);
    assert_eq!(v.login(login, &password).await.status, StatusCode::SEE_OTHER);
    v
}

/// Send `csv` through « Nouvelle campagne »; the answer to the POST.
pub(crate) async fn send(v: &mut Visitor, csv: &str) -> Page {
    let csrf = v.get("/campagnes/nouvelle").await.csrf();
    let (content_type, body) = multipart(
        &[("csrf", &csrf), ("modele", "arrete-avancement-echelon")],
        ("fichier", "vague-2026.csv", csv.as_bytes()),
    );
    v.post_body("/campagnes/nouvelle", &content_type, body).await
}

/// The `href` values of the page's links that start with `prefix`.
pub(crate) fn links(page: &Page, prefix: &str) -> Vec<String> {
    let needle = format!("href=\"{prefix}");
    page.body
        .match_indices(&needle)
        .map(|(at, _)| {
            let rest = &page.body[at + 6..];
            rest[..rest.find('"').unwrap()].replace("&#38;", "&").replace("&amp;", "&")
        })
        .collect()
}

/// A download as the visitor's browser gets it: bytes, with its cookies.
pub(crate) async fn bytes(v: &Visitor, base: &str, path: &str) -> Vec<u8> {
    let cookies = v.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let r =
        reqwest::Client::new().get(format!("{base}{path}")).header("cookie", cookies).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(r.headers()["content-type"], "application/zip");
    r.bytes().await.unwrap().to_vec()
}

/// The gestionnaire of one of the campaign's three communes (`other`) finds
/// nothing; a lecteur and an archiviste are refused.
async fn kept_out(app: &TestApp, other: &mut Visitor, campaign: &str) {
    assert_eq!(other.get(campaign).await.status, StatusCode::NOT_FOUND);
    assert!(!other.get("/campagnes").await.body.contains("vague-2026.csv"));
    let mut lecteur = logged_in(app, "mairie", "lecteur", &[SIRENS[0]]).await;
    let mut archives = logged_in(app, "archives", "archiviste", &[]).await;
    for v in [&mut lecteur, &mut archives] {
        assert_eq!(v.get("/campagnes").await.status, StatusCode::FORBIDDEN);
        assert_eq!(v.get(campaign).await.status, StatusCode::FORBIDDEN);
        assert!(!v.get("/accueil").await.body.contains(r#"href="/campagnes""#));
        let csrf = v.get("/accueil").await.csrf();
        assert_eq!(
            v.post(&format!("{campaign}/lancer"), &[("csrf", &csrf)]).await.status,
            StatusCode::FORBIDDEN
        );
    }
    let csrf = other.get("/accueil").await.csrf();
    let hidden = other.post(&format!("{campaign}/lancer"), &[("csrf", &csrf)]).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_wave_sent_in_the_pages_is_checked_fixed_by_exclusion_launched_and_delivered() {
    let app = spawn_app().await;
    save_mapping(&app).await;
    let mut rh = logged_in(&app, "rh", "gestionnaire", &SIRENS).await;
    let page = rh.get("/accueil").await;
    assert!(page.body.contains(r#"<a href="/campagnes">Campagnes</a>"#), "in the menu: {}", page.body);
    let page = rh.get("/campagnes/nouvelle").await;
    assert!(page.body.contains(r#"<option value="arrete-avancement-echelon">"#), "{}", page.body);

    // Two broken rows: the report names them by line and column, in French.
    let sent = send(&mut rh, &wave(5, &[3, 5])).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let report_url = sent.location().to_owned();
    assert!(report_url.starts_with("/campagnes/controle/"), "{report_url}");
    let report = rh.get(&report_url).await;
    assert_eq!(report.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", report.body);
    assert!(report.body.contains("<title>Erreur : Contrôle du fichier « vague-2026.csv » — acta</title>"));
    assert!(report.body.contains("2 lignes à corriger ou à exclure"), "{}", report.body);
    assert!(
        report.body.contains("Ligne 3, colonne « IB » : doit être au plus 1200"),
        "the summary names line, column and problem: {}",
        report.body
    );
    assert!(!report.body.contains("Enregistrer la campagne"), "nothing to record yet");
    let csv = rh.get(&format!("{report_url}/rapport.csv")).await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(csv.body.contains("3;IB;/data/echelon/indice_brut;doit être au plus 1200"), "{}", csv.body);
    assert!(csv.body.contains("5;IB;"), "{}", csv.body);
    // A sample of a broken row is refused, of a line not in the file unknown.
    let broken = rh.get(&format!("{report_url}/exemple/3")).await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", broken.body);
    assert!(broken.body.contains("Cette ligne n&#39;est pas valide"), "{}", broken.body);
    assert_eq!(rh.get(&format!("{report_url}/exemple/99")).await.status, StatusCode::NOT_FOUND);

    // Another collectivité's gestionnaire never sees this file.
    let mut other = logged_in(&app, "rh.marquenval", "gestionnaire", &[SIRENS[1]]).await;
    assert_eq!(other.get(&report_url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("{report_url}/exemple/2")).await.status, StatusCode::NOT_FOUND);

    // Lines 3 and 5 excluded: ready, with the change table and samples.
    let report = rh.get(&format!("{report_url}?exclure=3&exclure=5")).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(report.body.contains("Toutes les lignes sont valides"), "{}", report.body);
    assert!(report.body.contains("<td>3 → 4</td>"), "the échelon before → after: {}", report.body);
    assert!(report.body.contains("<td>01/04/2026</td>"), "the date d'effet: {}", report.body);
    let samples = links(&report, &format!("{report_url}/exemple/"));
    assert_eq!(samples.len(), 3, "{samples:?}");
    let pdf = rh.get(&samples[0]).await;
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert!(pdf.body.starts_with("%PDF-"));

    // Recording without the CSRF token is refused; with it, the campaign exists.
    let csrf = report.csrf();
    let refused = rh.post(&report_url, &[("exclure", "3"), ("exclure", "5")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let made = rh.post(&report_url, &[("csrf", &csrf), ("exclure", "3"), ("exclure", "5")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let campaign = made.location().split('?').next().unwrap().to_owned();
    let page = rh.get(&campaign).await;
    assert!(
        page.body.contains("Prête à lancer") && page.body.contains("Lancer la campagne"),
        "{}",
        page.body
    );
    assert_eq!(links(&page, &format!("{campaign}/exemples/")).len(), 3, "{}", page.body);
    let list = rh.get("/campagnes").await;
    assert!(list.body.contains("vague-2026.csv") && list.body.contains("0 sur 3"), "{}", list.body);

    kept_out(&app, &mut other, &campaign).await;

    // « Lancer »: the confirmation names the acts and the registers.
    let confirm = rh.get(&format!("{campaign}/lancer")).await;
    assert!(
        confirm.body.contains("3 actes vont être faits, numérotés et scellés dans 3 registres"),
        "{}",
        confirm.body
    );
    assert!(confirm.body.contains("<td>Arrêtés 20"), "{}", confirm.body);
    assert_eq!(rh.post(&format!("{campaign}/lancer"), &[]).await.status, StatusCode::FORBIDDEN);
    let launched = rh.post(&format!("{campaign}/lancer"), &[("csrf", &confirm.csrf())]).await;
    assert_eq!(launched.status, StatusCode::SEE_OTHER);
    let start = Instant::now();
    let done = loop {
        let page = rh.get(&campaign).await;
        if page.body.contains("<h2 class=\"verdict__title\">Terminée</h2>") {
            break page;
        }
        assert!(page.body.contains("Campagne en cours"), "{}", page.body);
        assert!(
            page.body.contains(r#"<meta http-equiv="refresh" content="2; url=/campagnes/"#),
            "{}",
            page.body
        );
        assert!(start.elapsed() < Duration::from_secs(60), "{}", page.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!done.body.contains("http-equiv"), "no more refresh once done");
    assert!(done.body.contains("3 actes faits et scellés sur 3"), "{}", done.body);
    let zips = links(&done, &format!("{campaign}/livraison/"));
    assert_eq!(zips.len(), 3, "one ZIP per collectivité: {}", done.body);
    let zip = bytes(&rh, &app.base, &zips[0]).await;
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(
        names.iter().any(|n| n == "bordereau.csv") && names.iter().any(|n| n.ends_with(".pdf")),
        "{names:?}"
    );
    let list = rh.get("/campagnes").await;
    assert!(list.body.contains("Terminée") && list.body.contains("3 sur 3"), "{}", list.body);
}

#[tokio::test]
async fn the_samples_of_a_campaign_are_projet_pdfs_in_the_api_and_the_cli() {
    let app = spawn_app().await;
    save_mapping(&app).await;
    let post = app
        .client
        .post(app.url("/api/v1/campaigns?template=arrete-avancement-echelon&name=vague.csv"))
        .header("content-type", "text/csv")
        .body(wave(7, &[]));
    let resp = post.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.unwrap()["campagne"]["id"].as_str().unwrap().to_owned();
    let (status, body) = app.get_json(&format!("/api/v1/campaigns/{id}/samples")).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<u64> =
        body["exemples"].as_array().unwrap().iter().map(|s| s["ligne"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 3, 5, 6, 8], "first, last and spread between: {body}");
    assert_eq!(body["exemples"][0]["agent"], "Mme Léonie Cœurdevey (A-00000)", "{body}");
    let pdf = app.client.get(app.url(body["exemples"][4]["pdf"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.unwrap();
    let text = crate::helpers::pdf_text(&pdf);
    assert!(text.contains("PROJET D’ARRÊTÉ") && text.contains("Léonie HANNEQUART"), "{text}");
    let missing =
        app.client.get(app.url(&format!("/api/v1/campaigns/{id}/samples/99"))).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let scoped = client_with(&app.token(acta::auth::Role::Gestionnaire, &[SIRENS[0]]).await);
    let hidden = scoped.get(app.url(&format!("/api/v1/campaigns/{id}/samples"))).send().await.unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);

    // The CLI writes the same sample before anything is recorded.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vague.csv");
    std::fs::write(&file, wave(3, &[])).unwrap();
    let out_dir = dir.path().join("exemples");
    let mapping = repo_path(MAPPING);
    let out = acta_in(
        app.data_dir.path(),
        &[
            "campaign",
            "check",
            file.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--dry-run",
            "--samples",
            out_dir.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut written: Vec<String> =
        std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    written.sort();
    assert_eq!(written, ["ligne-2.pdf", "ligne-3.pdf", "ligne-4.pdf"]);
    assert!(std::fs::read(out_dir.join("ligne-4.pdf")).unwrap().starts_with(b"%PDF-"));
}

#[tokio::test]
async fn the_new_campaign_form_names_its_mistakes_beside_the_fields_and_shows_hostile_names_literally() {
    let app = spawn_app().await;
    save_mapping(&app).await;
    let mut rh = logged_in(&app, "rh", "gestionnaire", &SIRENS).await;
    let post = |csrf: &str, template: &str, name: &str, bytes: &[u8]| {
        multipart(&[("csrf", csrf), ("modele", template)], ("fichier", name, bytes))
    };
    let csrf = rh.get("/campagnes/nouvelle").await.csrf();
    // No file; a spreadsheet without its template; a file that is no table.
    let csv = wave(2, &[]);
    let cases: [(&str, &str, &[u8], &str, &str); 3] = [
        ("arrete-avancement-echelon", "vague.csv", b"", "fichier", "Choisissez le fichier de la campagne"),
        ("", "vague.csv", csv.as_bytes(), "modele", "Choisissez le modèle d&#39;acte"),
        (
            "arrete-avancement-echelon",
            "vague.xlsx",
            b"PK\x03\x04 pas un classeur",
            "fichier",
            "Fichier illisible",
        ),
    ];
    for (template, name, bytes, field, message) in cases {
        let (content_type, body) = post(&csrf, template, name, bytes);
        let page = rh.post_body("/campagnes/nouvelle", &content_type, body).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
        assert!(page.body.contains("<title>Erreur : Nouvelle campagne — acta</title>"), "{}", page.body);
        assert!(page.body.contains(&format!(r##"<a href="#{field}">"##)), "in the summary: {}", page.body);
        assert!(page.body.contains(&format!(r#"id="{field}-error""#)), "beside the field: {}", page.body);
        assert!(page.body.contains(message), "{message}: {}", page.body);
    }
    // A hostile file name is shown as text.
    let (content_type, body) =
        post(&csrf, "arrete-avancement-echelon", "<img src=x onerror=alert(1)>.csv", csv.as_bytes());
    let sent = rh.post_body("/campagnes/nouvelle", &content_type, body).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let report = rh.get(sent.location()).await;
    assert!(report.body.contains("« &#60;img src=x onerror=alert(1)&#62;.csv »"), "{}", report.body);
    assert!(!report.body.contains("<img"), "{}", report.body);
}

#[tokio::test]
async fn a_campaign_cancelled_in_the_pages_stops_and_a_relaunch_makes_only_the_rest() {
    let app = spawn_app().await;
    save_mapping(&app).await;
    let mut rh = logged_in(&app, "rh", "gestionnaire", &SIRENS).await;
    let sent = send(&mut rh, &wave(30, &[])).await;
    let report = rh.get(sent.location()).await;
    let made = rh.post(sent.location(), &[("csrf", &report.csrf())]).await;
    let campaign = made.location().split('?').next().unwrap().to_owned();
    let confirm = rh.get(&format!("{campaign}/lancer")).await;
    assert!(confirm.body.contains("30 actes vont être faits"), "{}", confirm.body);
    let csrf = confirm.csrf();
    assert_eq!(
        rh.post(&format!("{campaign}/lancer"), &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    // At once: the confirmation, then the cancel (without its token, refused).
    let confirm = rh.get(&format!("{campaign}/annuler")).await;
    assert!(confirm.body.contains("Annuler la campagne « vague-2026.csv » ?"), "{}", confirm.body);
    assert_eq!(rh.post(&format!("{campaign}/annuler"), &[]).await.status, StatusCode::FORBIDDEN);
    let cancelled = rh.post(&format!("{campaign}/annuler"), &[("csrf", &confirm.csrf())]).await;
    assert_eq!(cancelled.location(), format!("{campaign}?annulee=1"));
    let start = Instant::now();
    let stopped = loop {
        let page = rh.get(&campaign).await;
        if !page.body.contains("http-equiv") {
            break page;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{}", page.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(stopped.body.contains("Annulée avant la fin"), "{}", stopped.body);
    let left: usize = match stopped.body.find("Relancer pour les ") {
        Some(at) => stopped.body[at + 18..].split(' ').next().unwrap().parse().unwrap(),
        None if stopped.body.contains("Relancer pour l'acte restant") => 1,
        None => panic!("a relaunch for the rows left: {}", stopped.body),
    };
    assert!((1..=30).contains(&left), "{}", stopped.body);
    // Relaunched: only the rows left are made, and every row is made once.
    let confirm = rh.get(&format!("{campaign}/lancer")).await;
    assert!(
        confirm.body.contains(&if left > 1 {
            format!("{left} actes vont être faits")
        } else {
            "1 acte va être fait".to_owned()
        }),
        "only the rest: {}",
        confirm.body
    );
    rh.post(&format!("{campaign}/lancer"), &[("csrf", &confirm.csrf())]).await;
    let start = Instant::now();
    loop {
        let page = rh.get(&campaign).await;
        if page.body.contains("<h2 class=\"verdict__title\">Terminée</h2>") {
            assert!(page.body.contains("30 actes faits et scellés sur 30"), "{}", page.body);
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{}", page.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, status) =
        app.get_json(&format!("/api/v1/campaigns/{}", campaign.rsplit('/').next().unwrap())).await;
    let runs = status["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{status}");
    let made: u64 = runs.iter().map(|r| r["made"].as_u64().unwrap()).sum();
    assert_eq!(made, 30, "each act made once over the two runs: {status}");
}

#[tokio::test]
async fn a_whole_wave_beyond_the_form_limit_reaches_the_check_through_the_page() {
    // As in the API's test (campaigns_upload): one column misnamed, so the
    // page's answer is about the file's content, which it can only give after
    // receiving all of it; checking 20,500 rows is `acta bench campaign`'s.
    let app = spawn_app().await;
    save_mapping(&app).await;
    let mut rh = logged_in(&app, "rh.vague", "gestionnaire", &[]).await;
    let wave = wave(20_500, &[]).replacen(";IB;", ";Indice brut;", 1);
    assert!(wave.len() > acta::config::Settings::default().max_body_bytes, "{} bytes", wave.len());
    let sent = send(&mut rh, &wave).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let report = rh.get(sent.location()).await;
    assert!(report.body.contains("IB"), "{}", report.body);
    assert!(report.body.contains("absente"), "{}", report.body);
}

#[tokio::test]
async fn without_any_column_mapping_the_new_campaign_page_says_how_to_save_one() {
    let app = spawn_app().await;
    let mut rh = logged_in(&app, "rh.neuf", "gestionnaire", &[]).await;
    let page = rh.get("/campagnes/nouvelle").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Aucun modèle n'a encore de correspondance des colonnes"), "{}", page.body);
    assert!(page.body.contains("acta campaign mapping set"), "{}", page.body);
    save_mapping(&app).await;
    let page = rh.get("/campagnes/nouvelle").await;
    assert!(!page.body.contains("Aucun modèle n'a encore"), "{}", page.body);
    assert!(page.body.contains(r#"<option value="arrete-avancement-echelon""#), "{}", page.body);
}
