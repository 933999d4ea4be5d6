//! Issue 16's acceptance, at a size a test can afford (300 rows over three
//! communes): broken rows of every kind refused row by row in French; once
//! fixed, the campaign is killed twice mid-run and restarted, or cancelled
//! over the API and resumed; afterwards every register is gap-free, the log
//! holds one leaf per act, `acta audit` is clean and the seals validate.
//! (`tests/api/campaigns.rs` covers the 8-row report and one kill.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::campaigns::{MAPPING, SIRENS, campaign_check, count, csv, rows, set, windows_1252};
use crate::helpers::{acta_command, acta_ok, repo_path, spawn_app, stored_acts, test_keys};

const N: usize = 300;

/// The register numbers of a campaign's rows, per collectivité, must be
/// 1, 2, … without a gap (the row of line L belongs to `SIRENS[(L-2) % 3]`).
fn assert_gap_free(status: &Value) {
    let mut by_siren: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for row in status["rows"].as_array().unwrap() {
        let line = row["ligne"].as_u64().unwrap() as usize;
        let number = row["numero"].as_str().unwrap_or_else(|| panic!("line {line} not made: {row}"));
        let seq: u64 = number.rsplit(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap();
        by_siren.entry(SIRENS[(line - 2) % 3]).or_default().push(seq);
    }
    assert_eq!(by_siren.len(), 3);
    for (siren, mut seqs) in by_siren {
        seqs.sort_unstable();
        let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(seqs, expected, "{siren}: numbers with a gap or twice");
    }
}

fn assert_audit_clean(data: &Path) {
    let audit: Value = serde_json::from_str(&acta_ok(data, &["audit", "--json"])).unwrap();
    assert_eq!(audit["problems"].as_array().map(Vec::len), Some(0), "{audit}");
    assert_eq!(audit["log_size"].as_u64(), Some(N as u64), "one leaf per act: {audit}");
    assert_eq!(count(&data.join("store/acts"), "sealed.json"), N);
    assert_eq!(count(&data.join("store/registers"), ".json"), N);
    assert_eq!(count(&data.join("store/voids"), ".json"), 0);
}

/// pyHanko (an implementation independent of acta's) validates the seal of
/// the sealed PDFs `pdfs`, trusting the test PKI's root.
fn assert_seals_validate(pdfs: &[std::path::PathBuf]) {
    let bin = repo_path(".tools/venv/bin/pyhanko");
    let root = test_keys().join("root.pem");
    for pdf in pdfs {
        let out = Command::new(&bin)
            .args([
                "sign",
                "validate",
                "--trust",
                root.to_str().unwrap(),
                "--trust-replace",
                "--no-revocation-check",
            ])
            .arg(pdf)
            .output()
            .unwrap_or_else(|e| panic!("{} is required (scripts/test.sh installs it): {e}", bin.display()));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("INTACT:TRUSTED"), "{}: {text}", pdf.display());
    }
}

/// Sealed PDFs of the store, one in `every`.
fn some_sealed_pdfs(data: &Path, every: usize) -> Vec<std::path::PathBuf> {
    let mut pdfs: Vec<_> =
        stored_acts(data).into_iter().filter(|p| p.file_name().is_some_and(|n| n == "sealed.pdf")).collect();
    pdfs.sort();
    pdfs.into_iter().step_by(every).collect()
}

#[test]
fn a_300_row_campaign_is_refused_row_by_row_then_killed_twice_and_restarted_without_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let (data, file, report) =
        (dir.path().join("data"), dir.path().join("vague.csv"), dir.path().join("rapport.csv"));
    // Broken rows scattered through the file: missing, malformed, out of range.
    let mut broken = rows(N);
    let faults: [(usize, &str, &str); 8] = [
        (17, "Nom", ""),
        (58, "SIREN employeur", ""),
        (101, "Date d'effet", "2026-13-01"),
        (150, "IB", "99"),
        (203, "Date de signature", "02/03/26"),
        (250, "Civilité", "Mlle"),
        (277, "Reliquat mois", "14"),
        (299, "Nouvel échelon", "4,5"),
    ];
    for (line, column, value) in faults {
        set(&mut broken[line - 2], column, value);
    }
    std::fs::write(&file, windows_1252(&csv(&broken))).unwrap();
    let out = campaign_check(&data, &file, &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8(std::fs::read(&report).unwrap()).unwrap();
    let problems: Vec<Vec<&str>> =
        report.trim_start_matches('\u{feff}').lines().skip(1).map(|l| l.splitn(4, ';').collect()).collect();
    // Each broken row, and only those, named by line and column, in French.
    let named: BTreeSet<(usize, &str)> = problems.iter().map(|p| (p[0].parse().unwrap(), p[1])).collect();
    let expected: BTreeSet<(usize, &str)> = faults.iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(named, expected, "{report}");
    let message = |line: usize| problems.iter().find(|p| p[0] == line.to_string()).unwrap()[3];
    assert_eq!(message(17), "champ obligatoire manquant");
    assert_eq!(message(101), "« 2026-13-01 » n’est pas une date valide (attendu JJ/MM/AAAA)");
    assert_eq!(message(150), "doit être au moins 100");
    assert!(message(203).starts_with("« 02/03/26 » n’est pas une date valide"), "{report}");
    assert_eq!(message(277), "doit être au plus 11");
    assert!(message(299).contains("« 4,5 » n’est pas un nombre entier"), "{report}");
    for p in &problems {
        let words: Vec<&str> = p[3].split(|c: char| !c.is_alphanumeric()).collect();
        for english in ["expected", "must", "is", "not", "invalid", "required", "missing", "the"] {
            assert!(!words.contains(&english), "an English message: {p:?}");
        }
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{N} ligne(s) lue(s) : {} valide(s), 8 à corriger", N - 8)), "{stderr}");
    assert!(stored_acts(&data).is_empty(), "nothing made");

    // Fixed: recorded, then killed twice at instants that differ per run.
    std::fs::write(&file, windows_1252(&csv(&rows(N)))).unwrap();
    let out = campaign_check(&data, &file, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let acts = data.join("store/acts");
    let jitter = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
        % 40) as usize;
    for kill_after in [10 + jitter, 120 + jitter] {
        let mut child = acta_command()
            .arg("--data-dir")
            .arg(&data)
            .args(["campaign", "run", &id])
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while count(&acts, "sealed.json") < kill_after {
            assert!(start.elapsed() < Duration::from_secs(180), "the run stalled");
            assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL: no chance to tidy up
        child.wait().unwrap();
        assert!(count(&acts, "sealed.json") < N);
    }
    let out = acta_ok(&data, &["campaign", "run", &id]);
    assert!(out.contains("0 échec(s)"), "{out}");
    let status: Value =
        serde_json::from_str(&acta_ok(&data, &["campaign", "status", &id, "--json"])).unwrap();
    assert_eq!(status["faites"].as_u64(), Some(N as u64), "{status}");
    assert_gap_free(&status);
    assert_audit_clean(&data);
    assert_seals_validate(&some_sealed_pdfs(&data, 60));
}

#[tokio::test]
async fn a_campaign_cancelled_over_the_api_resumes_where_it_stopped_without_a_gap() {
    let app = spawn_app().await;
    let mapping: Value = serde_json::from_slice(&std::fs::read(repo_path(MAPPING)).unwrap()).unwrap();
    let put = app.client.put(app.url("/api/v1/campaigns/mappings/arrete-avancement-echelon")).json(&mapping);
    assert_eq!(put.send().await.unwrap().status(), StatusCode::OK);
    let resp = app
        .client
        .post(app.url("/api/v1/campaigns?template=arrete-avancement-echelon&name=vague.csv"))
        .header("content-type", "text/csv")
        .body(windows_1252(&csv(&rows(N))))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.unwrap()["campagne"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/campaigns/{id}");
    let wait = |pred: fn(&Value) -> bool| {
        let (app, path) = (&app, &path);
        async move {
            let start = Instant::now();
            loop {
                let (status, body) = app.get_json(path).await;
                assert_eq!(status, StatusCode::OK);
                if pred(&body) {
                    return body;
                }
                assert!(start.elapsed() < Duration::from_secs(180), "{body}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let run = app.client.post(app.url(&format!("{path}/run"))).send().await.unwrap();
    assert_eq!(run.status(), StatusCode::ACCEPTED);
    wait(|b| b["faites"].as_u64().unwrap_or(0) >= 20).await;
    let again = app.client.post(app.url(&format!("{path}/run"))).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT, "one run at a time");
    let cancel = app.client.post(app.url(&format!("{path}/cancel"))).send().await.unwrap();
    assert!(cancel.status().is_success(), "{}", cancel.status());
    let stopped = wait(|b| b["en_cours"].is_null()).await;
    let made = stopped["faites"].as_u64().unwrap();
    assert!(made < N as u64, "cancelled before the end: {made}");
    // Resumed: the rows made are found, the others made, nothing twice.
    let run = app.client.post(app.url(&format!("{path}/run"))).send().await.unwrap();
    assert_eq!(run.status(), StatusCode::ACCEPTED);
    let done = wait(|b| b["faites"] == N && b["en_cours"].is_null()).await;
    assert_gap_free(&done);
    let data = app.data_dir.path();
    assert_audit_clean(data);
}
