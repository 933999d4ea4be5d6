//! Campaigns (issue 16) with the real binary and over HTTP: a spreadsheet
//! with broken rows refused row by row in French, the fixed one made, a run
//! killed mid-way and restarted, deliveries per collectivité.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use acta::auth::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{acta_command, acta_in, acta_ok, client_with, repo_path, spawn_app, stored_acts};

pub(crate) const MAPPING: &str = "fixtures/campaigns/arrete-avancement-echelon.mapping.json";
pub(crate) const SIRENS: [&str; 3] = ["216295105", "216296202", "216297309"];
pub(crate) const HEADER: &str = "SIREN employeur;Civilité;Prénom;Nom;Matricule;Grade;Échelon actuel;Nouvel échelon;IB;IM;\
Reliquat années;Reliquat mois;Reliquat jours;Arrêté précédent;Date arrêté précédent;Date d'effet;Date de signature";

/// A promotion wave as an HR export writes it: `;`, French dates, one row
/// per agent spread over three communes.
pub(crate) fn rows(n: usize) -> Vec<String> {
    let noms = ["Cœurdevey", "Thérouanne", "Hannequart", "Dufossé", "Wattebled"];
    let prenoms = ["Léonie", "Sigebert", "Amélie", "Gérard", "Maëlle", "Noël"];
    (0..n)
        .map(|i| {
            let e = 3 + i % 8;
            format!(
                "{};{};{};{};A-{i:05};adjoint technique principal de 2e classe;{e};{};{};{};0;{};{};n° 2024_ARR_{:05};12/02/2024;01/04/2026;02/03/2026",
                SIRENS[i % 3],
                if i % 2 == 0 { "Mme" } else { "M." },
                prenoms[i % prenoms.len()],
                noms[i % noms.len()],
                e + 1,
                400 + e * 10,
                360 + e * 9,
                i % 12,
                i % 28,
                i + 1
            )
        })
        .collect()
}

pub(crate) fn csv(rows: &[String]) -> String {
    format!("{HEADER}\r\n{}\r\n", rows.join("\r\n"))
}

/// Replace the cell of `column` in `row`.
pub(crate) fn set(row: &mut String, column: &str, value: &str) {
    let i = HEADER.split(';').position(|h| h == column).unwrap();
    let mut cells: Vec<String> = row.split(';').map(str::to_owned).collect();
    cells[i] = value.to_owned();
    *row = cells.join(";");
}

/// Windows-1252, as spreadsheet software on Windows saves "CSV".
pub(crate) fn windows_1252(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(text).0.into_owned()
}

fn broken_rows() -> Vec<String> {
    let mut r = rows(8);
    set(&mut r[1], "Nom", ""); // line 3: missing
    set(&mut r[2], "Date d'effet", "31/02/2026"); // line 4: malformed
    set(&mut r[3], "IB", "5 000"); // line 5: out of range
    set(&mut r[4], "Nouvel échelon", "sept"); // line 6: not a number
    set(&mut r[5], "Matricule", "A-00000"); // line 7: same agent as line 2
    set(&mut r[5], "SIREN employeur", SIRENS[0]);
    r
}

pub(crate) fn campaign_check(data: &Path, file: &Path, extra: &[&str]) -> std::process::Output {
    let mapping = repo_path(MAPPING);
    let mut args = vec!["campaign", "check", file.to_str().unwrap(), "--mapping", mapping.to_str().unwrap()];
    args.extend(extra);
    acta_in(data, &args)
}

pub(crate) fn count(dir: &Path, suffix: &str) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn a_campaign_with_broken_rows_is_refused_row_by_row_in_french_and_nothing_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let (data, file, report) =
        (dir.path().join("data"), dir.path().join("vague.csv"), dir.path().join("rapport.csv"));
    std::fs::write(&file, windows_1252(&csv(&broken_rows()))).unwrap();
    let out = campaign_check(&data, &file, &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8(std::fs::read(&report).unwrap()).unwrap();
    let lines: Vec<&str> = report.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "ligne;colonne;champ;message");
    let expected = [
        "3;Nom;/data/agent/nom;champ obligatoire manquant",
        "4;Date d'effet;/data/date_effet;« 31/02/2026 » n’est pas une date valide (attendu JJ/MM/AAAA)",
        "5;IB;/data/echelon/indice_brut;doit être au plus 1200",
        "6;Nouvel échelon;/data/echelon/nouveau;« sept » n’est pas un nombre entier",
        "7;Matricule;/data/agent/matricule;l’agent de matricule A-00000 figure déjà à la ligne 2 : un acte par agent",
    ];
    assert_eq!(&lines[1..], expected, "{report}");
    // The accents of the Windows-1252 file came through; nothing was made.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("8 ligne(s) lue(s) : 3 valide(s), 5 à corriger"), "{stderr}");
    assert!(stored_acts(&data).is_empty());
    assert_eq!(acta_ok(&data, &["campaign", "list"]), "");
    // Excluding the broken lines is an explicit choice that lets the rest go.
    let out = campaign_check(&data, &file, &["--exclude", "3,4,5,6,7", "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

pub(crate) fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut content = Vec::new();
            f.read_to_end(&mut content).unwrap();
            (f.name().unwrap().to_string(), content)
        })
        .collect()
}

#[test]
fn a_fixed_campaign_runs_and_each_collectivite_gets_its_pdfs_and_bordereau() {
    let dir = tempfile::tempdir().unwrap();
    let (data, file, changes) =
        (dir.path().join("data"), dir.path().join("vague.csv"), dir.path().join("chg.csv"));
    std::fs::write(&file, windows_1252(&csv(&rows(9)))).unwrap();
    let out = campaign_check(&data, &file, &["--changes", changes.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let changes = String::from_utf8(std::fs::read(&changes).unwrap()).unwrap();
    assert!(changes.contains("2;216295105;Mme Léonie Cœurdevey;A-00000;adjoint technique principal de 2e classe;adjoint technique principal de 2e classe;3;4;;430;;387;01/04/2026"), "{changes}");
    assert!(stored_acts(&data).is_empty(), "checking makes nothing");
    acta_ok(&data, &["campaign", "run", &id]);
    let status: Value =
        serde_json::from_str(&acta_ok(&data, &["campaign", "status", &id, "--json"])).unwrap();
    assert_eq!((status["lignes"].as_u64(), status["faites"].as_u64()), (Some(9), Some(9)), "{status}");
    acta_ok(&data, &["audit"]);
    // Running it again makes nothing more.
    acta_ok(&data, &["campaign", "run", &id]);
    assert_eq!(count(&data.join("store/registers"), ".json"), 9);
    let out_dir = dir.path().join("envoi");
    acta_ok(&data, &["campaign", "export", &id, "--out", out_dir.to_str().unwrap()]);
    for siren in SIRENS {
        let entries = zip_entries(&std::fs::read(out_dir.join(format!("{siren}.zip"))).unwrap());
        let pdfs: Vec<_> = entries.iter().filter(|(n, _)| n.starts_with("actes/")).collect();
        assert_eq!(pdfs.len(), 3, "{siren}");
        assert!(pdfs.iter().all(|(n, b)| n.ends_with(".pdf") && b.starts_with(b"%PDF-")));
        let (_, bordereau) = entries.iter().find(|(n, _)| n == "bordereau.csv").expect("a bordereau");
        let bordereau = String::from_utf8(bordereau.clone()).unwrap();
        for (name, _) in &pdfs {
            let number = name.trim_start_matches("actes/").trim_end_matches(".pdf");
            assert!(
                bordereau
                    .contains(&format!(";{number};Arrêté portant avancement d’échelon;02/03/2026;{name};")),
                "{bordereau}"
            );
        }
        // The right agents went to the right commune.
        let first = rows(9).into_iter().find(|r| r.starts_with(siren)).unwrap();
        let nom = first.split(';').nth(3).unwrap();
        assert!(bordereau.contains(nom), "{bordereau}");
    }
}

#[test]
fn a_campaign_killed_mid_run_and_restarted_makes_every_act_once_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let (data, file) = (dir.path().join("data"), dir.path().join("vague.csv"));
    let n = 30;
    std::fs::write(&file, csv(&rows(n))).unwrap();
    let out = campaign_check(&data, &file, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let mut child = acta_command()
        .arg("--data-dir")
        .arg(&data)
        .args(["campaign", "run", &id])
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed (SIGKILL) once a few acts are sealed, with others in flight.
    let acts = data.join("store/acts");
    let start = Instant::now();
    while count(&acts, "sealed.json") < 4 {
        assert!(start.elapsed() < Duration::from_secs(120), "the run made nothing");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let made_before = count(&acts, "sealed.json");
    assert!(made_before < n, "the run ended before it could be killed");
    let out = acta_ok(&data, &["campaign", "run", &id]);
    assert!(out.contains("0 échec(s)"), "{out}");
    let status: Value =
        serde_json::from_str(&acta_ok(&data, &["campaign", "status", &id, "--json"])).unwrap();
    assert_eq!(status["faites"].as_u64(), Some(n as u64), "{status}");
    let runs = status["runs"].as_array().unwrap();
    // The first run was killed before recording itself; the second found the
    // acts made before the kill and made only the others.
    assert_eq!(runs.len(), 1);
    assert!(runs[0]["already"].as_u64().unwrap() >= made_before as u64, "{status}");
    assert_eq!(runs[0]["made"].as_u64().unwrap() + runs[0]["already"].as_u64().unwrap(), n as u64);
    // One act per row, one number per act, one leaf per act: the audit checks
    // gap-free registers and the log; the store holds exactly n of each.
    let report = acta_ok(&data, &["audit", "--json"]);
    let audit: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(audit["problems"].as_array().map(Vec::len), Some(0), "{audit}");
    assert_eq!(audit["log_size"].as_u64(), Some(n as u64), "one leaf per act: {audit}");
    assert_eq!(count(&acts, "sealed.json"), n);
    assert_eq!(count(&acts, "draft.json"), n);
    assert_eq!(count(&data.join("store/registers"), ".json"), n);
    assert_eq!(count(&data.join("store/voids"), ".json"), 0);
}

#[tokio::test]
async fn campaigns_over_http_are_checked_run_and_delivered_within_the_callers_scope() {
    let app = spawn_app().await;
    let mapping: Value = serde_json::from_slice(&std::fs::read(repo_path(MAPPING)).unwrap()).unwrap();
    let put = app.client.put(app.url("/api/v1/campaigns/mappings/arrete-avancement-echelon")).json(&mapping);
    assert_eq!(put.send().await.unwrap().status(), StatusCode::OK);
    let post = |client: &reqwest::Client, body: Vec<u8>, accept: &str| {
        client
            .post(app.url("/api/v1/campaigns?template=arrete-avancement-echelon&name=vague.csv"))
            .header("content-type", "text/csv")
            .header("accept", accept)
            .body(body)
    };
    // Broken rows: 422 with the report by line and column; as CSV on demand.
    let resp =
        post(&app.client, windows_1252(&csv(&broken_rows())), "application/json").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "campaign_rows_invalid", "{body}");
    let errors = body["rapport"]["erreurs"].as_array().unwrap();
    assert_eq!(errors.len(), 5, "{body}");
    assert_eq!((errors[0]["ligne"].as_u64(), errors[0]["colonne"].as_str()), (Some(3), Some("Nom")));
    let resp = post(&app.client, windows_1252(&csv(&broken_rows())), "text/csv").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("5;IB;/data/echelon/indice_brut;doit être au plus 1200"));
    // A secrétaire de mairie runs no campaign; a gestionnaire only within scope.
    let secretaire = client_with(&app.token(Role::Secretaire, &[SIRENS[0]]).await);
    let resp = post(&secretaire, csv(&rows(3)).into_bytes(), "application/json").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let scoped = client_with(&app.token(Role::Gestionnaire, &[SIRENS[0]]).await);
    let resp = post(&scoped, csv(&rows(3)).into_bytes(), "application/json").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    let errors = body["rapport"]["erreurs"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert!(errors[0]["message"].as_str().unwrap().contains("n’est pas dans votre périmètre"), "{body}");
    // The fixed file: recorded, run in the background, delivered.
    let resp = post(&app.client, csv(&rows(6)).into_bytes(), "application/json").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    let id = body["campagne"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["rapport"]["changements"].as_array().unwrap().len(), 6);
    let hidden = scoped.get(app.url(&format!("/api/v1/campaigns/{id}"))).send().await.unwrap();
    assert_eq!(
        hidden.status(),
        StatusCode::NOT_FOUND,
        "a campaign reaching beyond the caller's scope is unknown"
    );
    let run = app.client.post(app.url(&format!("/api/v1/campaigns/{id}/run"))).send().await.unwrap();
    assert_eq!(run.status(), StatusCode::ACCEPTED);
    let start = Instant::now();
    loop {
        let (status, body) = app.get_json(&format!("/api/v1/campaigns/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        if body["faites"] == 6 && body["en_cours"].is_null() {
            assert!(body["rows"].as_array().unwrap().iter().all(|r| r["numero"].is_string()), "{body}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let zip = app
        .client
        .get(app.url(&format!("/api/v1/campaigns/{id}/export?collectivite={}", SIRENS[1])))
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), StatusCode::OK);
    assert_eq!(zip.headers()["content-type"], "application/zip");
    let entries = zip_entries(&zip.bytes().await.unwrap());
    assert_eq!(entries.iter().filter(|(n, _)| n.starts_with("actes/")).count(), 2);
    assert!(entries.iter().any(|(n, _)| n == "bordereau.pdf"));
    assert!(entries.iter().any(|(n, _)| n == "bordereau.csv"));
}

#[test]
fn a_business_rule_of_the_template_refuses_its_row_before_anything_is_made() {
    // JSON Lines of request bodies: the second row breaks a rule the
    // template itself enforces (a disponibilité ending before it starts).
    let dir = tempfile::tempdir().unwrap();
    let (data, file) = (dir.path().join("data"), dir.path().join("vague.jsonl"));
    let ok = crate::helpers::fixture("arrete-disponibilite");
    let mut broken = ok.clone();
    broken["data"]["date_fin"] = Value::String("2026-04-30".into());
    broken["data"]["agent"]["matricule"] = Value::String("S-9999".into());
    let lines = [&ok, &broken].map(|b| serde_json::to_string(b).unwrap()).join("\n");
    std::fs::write(&file, lines).unwrap();
    let out = acta_in(&data, &["campaign", "check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ligne 2 : /data/date_fin : doit être postérieure à date_debut"), "{stderr}");
    assert!(!stderr.contains("ligne 1 :"), "{stderr}");
    assert!(stored_acts(&data).is_empty());
}
