//! Issue #16, the check report as files and the uploads' life: the report
//! downloads as XLSX (one sheet, French headers, a row per problem, the
//! header row frozen) as well as CSV, in the pages, the API and the CLI; a
//! column header written like a formula (`=IB`) comes back as text in both,
//! never as a formula; a report viewed again reuses the check kept with the
//! upload; the upload is deleted once its campaign has been made.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, acta_in, repo_path, spawn_app};
use crate::web::Visitor;
use crate::web_campaigns::{MAPPING, SIRENS, logged_in, send, wave};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The sample mapping with its `IB` column renamed `=IB`, as a hostile or
/// careless spreadsheet header would be.
fn formula_mapping() -> Value {
    let mut m: Value = serde_json::from_slice(&std::fs::read(repo_path(MAPPING)).unwrap()).unwrap();
    let columns = m["columns"].as_object_mut().unwrap();
    let pointer = columns.remove("IB").unwrap();
    columns.insert("=IB".into(), pointer);
    m
}

/// A wave of 4 rows whose `=IB` cell of lines 3 and 5 is out of range.
fn formula_wave() -> String {
    wave(4, &[3, 5]).replacen(";IB;", ";=IB;", 1)
}

async fn save(app: &TestApp, mapping: &Value) {
    let put = app.client.put(app.url("/api/v1/campaigns/mappings/arrete-avancement-echelon")).json(mapping);
    assert_eq!(put.send().await.unwrap().status(), StatusCode::OK);
}

/// A download with the visitor's cookies: content type and bytes.
async fn download(v: &Visitor, base: &str, path: &str) -> (String, Vec<u8>) {
    let cookies = v.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let r =
        reqwest::Client::new().get(format!("{base}{path}")).header("cookie", cookies).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
    (kind, r.bytes().await.unwrap().to_vec())
}

fn entry(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// The report workbook's rows as text; its header row frozen, no formula
/// anywhere, the `=IB` cells marked as text (quote prefix).
fn read_report(xlsx: &[u8]) -> Vec<Vec<String>> {
    let sheet = entry(xlsx, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"ySplit="1""#) && sheet.contains(r#"state="frozen""#), "{sheet}");
    assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "no formula: {sheet}");
    assert!(entry(xlsx, "xl/styles.xml").contains(r#"quotePrefix="1""#));
    let mut book = Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let range = book.worksheet_range("Contrôle").unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) => format!("{f}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn assert_formula_report(rows: &[Vec<String>]) {
    assert_eq!(rows[0], ["ligne", "colonne", "champ", "message"]);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[1], ["3", "=IB", "/data/echelon/indice_brut", "doit être au plus 1200"]);
    assert_eq!(rows[2][0], "5");
}

fn assert_formula_csv(csv: &str) {
    assert!(csv.starts_with("\u{feff}ligne;colonne;champ;message\n"), "{csv}");
    assert!(csv.contains("\n3;'=IB;/data/echelon/indice_brut;doit être au plus 1200\n"), "{csv}");
    assert!(!csv.contains(";=IB;"), "{csv}");
}

fn upload_dir(app: &TestApp, report_url: &str) -> PathBuf {
    app.data_dir.path().join("campaign-uploads").join(report_url.rsplit('/').next().unwrap())
}

#[tokio::test]
async fn the_report_downloads_as_xlsx_and_csv_with_formula_like_cells_written_as_text() {
    let app = spawn_app().await;
    save(&app, &formula_mapping()).await;
    let mut rh = logged_in(&app, "rh", "gestionnaire", &SIRENS).await;
    let sent = send(&mut rh, &formula_wave()).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let report_url = sent.location().to_owned();
    let page = rh.get(&report_url).await;
    assert!(page.body.contains(&format!(r#"href="{report_url}/rapport.xlsx""#)), "{}", page.body);
    let (kind, xlsx) = download(&rh, &app.base, &format!("{report_url}/rapport.xlsx")).await;
    assert_eq!(kind, XLSX);
    assert_formula_report(&read_report(&xlsx));
    let (kind, csv) = download(&rh, &app.base, &format!("{report_url}/rapport.csv")).await;
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert_formula_csv(&String::from_utf8(csv).unwrap());
    // With line 3 excluded, only line 5 is left in the download.
    let (_, xlsx) = download(&rh, &app.base, &format!("{report_url}/rapport.xlsx?exclure=3")).await;
    let rows = read_report(&xlsx);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], "5");

    // The API, on request, and the CLI, by the report's extension.
    let refused = app
        .client
        .post(app.url("/api/v1/campaigns?template=arrete-avancement-echelon"))
        .header("content-type", "text/csv")
        .header("accept", XLSX)
        .body(formula_wave())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.headers()["content-type"], XLSX);
    assert_formula_report(&read_report(&refused.bytes().await.unwrap()));
    let dir = tempfile::tempdir().unwrap();
    let (file, mapping) = (dir.path().join("vague.csv"), dir.path().join("correspondance.json"));
    std::fs::write(&file, formula_wave()).unwrap();
    std::fs::write(&mapping, formula_mapping().to_string()).unwrap();
    for name in ["rapport.xlsx", "rapport.csv"] {
        let report = dir.path().join(name);
        let out = acta_in(
            &dir.path().join("data"),
            &[
                "campaign",
                "check",
                file.to_str().unwrap(),
                "--mapping",
                mapping.to_str().unwrap(),
                "--report",
                report.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
        let bytes = std::fs::read(&report).unwrap();
        if name.ends_with(".xlsx") {
            assert_formula_report(&read_report(&bytes));
        } else {
            assert_formula_csv(&String::from_utf8(bytes).unwrap());
        }
    }
}

fn only_file(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[tokio::test]
async fn a_report_viewed_again_reuses_its_check_and_the_upload_is_deleted_once_the_campaign_is_made() {
    let app = spawn_app().await;
    crate::web_campaigns::save_mapping(&app).await;
    let mut rh = logged_in(&app, "rh", "gestionnaire", &SIRENS).await;
    let sent = send(&mut rh, &wave(4, &[3])).await;
    let report_url = sent.location().to_owned();
    let first = rh.get(&report_url).await;
    assert_eq!(first.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(first.body.contains("Ligne 3, colonne « IB »"), "{}", first.body);
    let dir = upload_dir(&app, &report_url);
    assert_eq!(only_file(&dir, "check-").len(), 1, "the check is kept with the upload");

    // The kept file is replaced behind acta's back by one whose line 4 is
    // broken instead: the same report, and its downloads, come from the kept
    // check, not from a new reading of the file.
    std::fs::write(dir.join("source"), wave(4, &[4])).unwrap();
    let again = rh.get(&report_url).await;
    assert!(again.body.contains("Ligne 3, colonne « IB »"), "{}", again.body);
    assert!(!again.body.contains("Ligne 4, colonne"), "{}", again.body);
    let (_, csv) = download(&rh, &app.base, &format!("{report_url}/rapport.csv")).await;
    assert!(String::from_utf8(csv).unwrap().contains("\n3;IB;"));
    // Other exclusions are another check: of the file as it is now.
    let other = rh.get(&format!("{report_url}?exclure=2")).await;
    assert!(other.body.contains("Ligne 4, colonne « IB »"), "{}", other.body);
    assert_eq!(only_file(&dir, "check-").len(), 2);

    // Recorded (line 4 excluded), launched, made: the upload is deleted.
    let ready = rh.get(&format!("{report_url}?exclure=4")).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    let made = rh.post(&report_url, &[("csrf", &ready.csrf()), ("exclure", "4")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let campaign = made.location().split('?').next().unwrap().to_owned();
    assert!(dir.join("campaign").exists(), "the upload knows its campaign");
    let confirm = rh.get(&format!("{campaign}/lancer")).await;
    let launched = rh.post(&format!("{campaign}/lancer"), &[("csrf", &confirm.csrf())]).await;
    assert_eq!(launched.status, StatusCode::SEE_OTHER);
    let start = Instant::now();
    while dir.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "the upload outlived its campaign");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = rh.get(&campaign).await;
    assert!(page.body.contains("3 actes faits et scellés sur 3"), "{}", page.body);
    let gone = rh.get(&report_url).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(gone.body.contains("supprimé"), "{}", gone.body);
}
