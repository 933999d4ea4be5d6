//! A reclassement campaign (a décret changes the pay grids; every agent
//! concerned gets an individual arrêté) from the sample HR export of
//! `fixtures/campaigns/`, checked, made and delivered with its bordereau PDF.

use std::path::Path;

use serde_json::Value;

use crate::campaigns::{count, zip_entries};
use crate::helpers::{acta_in, acta_ok, pdf_text, pdf_tool, repo_path, stored_acts};

const MAPPING: &str = "fixtures/campaigns/arrete-reclassement.mapping.json";
const SAMPLE: &str = "fixtures/campaigns/arrete-reclassement.exemple.csv";

fn check(data: &Path, file: &Path, extra: &[&str]) -> std::process::Output {
    let mapping = repo_path(MAPPING);
    let mut args = vec!["campaign", "check", file.to_str().unwrap(), "--mapping", mapping.to_str().unwrap()];
    args.extend(extra);
    acta_in(data, &args)
}

/// The sample as the HR software wrote it (Windows-1252, `;`, CRLF).
fn sample() -> Vec<u8> {
    std::fs::read(repo_path(SAMPLE)).unwrap()
}

#[test]
fn the_reclassement_sample_is_a_windows_1252_hr_export() {
    let bytes = sample();
    assert!(std::str::from_utf8(&bytes).is_err(), "Windows-1252, as Excel saves « CSV » on Windows");
    let (text, _, bad) = encoding_rs::WINDOWS_1252.decode(&bytes);
    assert!(!bad);
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("Collectivité;SIREN;Matricule;Civilité;Nom d'usage;Prénom;"), "{header}");
    assert!(text.contains("\r\n") && text.contains("Œillet"));
}

#[test]
fn a_reclassement_campaign_shows_old_and_new_situations_then_is_made_and_delivered_with_its_bordereau() {
    let dir = tempfile::tempdir().unwrap();
    let (data, file, changes) =
        (dir.path().join("data"), dir.path().join("reclassement.csv"), dir.path().join("changements.csv"));
    std::fs::write(&file, sample()).unwrap();

    let out = check(&data, &file, &["--changes", changes.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(stored_acts(&data).is_empty(), "checking makes nothing");
    // The change table: old → new grade, échelon, indices, and the date d'effet.
    let changes = String::from_utf8(std::fs::read(&changes).unwrap()).unwrap();
    let lines: Vec<&str> = changes.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 13, "{changes}");
    assert_eq!(
        lines[0],
        "ligne;collectivité;agent;matricule;grade ancien;grade nouveau;échelon ancien;échelon nouveau;\
IB ancien;IB nouveau;IM ancien;IM nouveau;date d’effet"
    );
    for expected in [
        "2;216295105;M. Anatole Delebarre-Wimille;A-00288;adjoint administratif principal de 2e classe;\
adjoint administratif principal de 2e classe;6;6;412;420;368;373;01/01/2026",
        "11;216297309;M. Aurélien Œillet;C-00415;adjoint administratif;adjoint administratif;7;7;374;380;372;375;01/01/2026",
        "12;216297309;Mme Bérénice Ducrocq;C-00433;adjoint administratif principal de 1re classe;\
adjoint administratif principal de 1re classe;10;10;601;611;505;511;01/01/2026",
    ] {
        assert!(lines.contains(&expected), "{expected}\n{changes}");
    }

    acta_ok(&data, &["campaign", "run", &id]);
    let status: Value =
        serde_json::from_str(&acta_ok(&data, &["campaign", "status", &id, "--json"])).unwrap();
    assert_eq!((status["lignes"].as_u64(), status["faites"].as_u64()), (Some(12), Some(12)), "{status}");
    let audit: Value = serde_json::from_str(&acta_ok(&data, &["audit", "--json"])).unwrap();
    assert_eq!(audit["problems"].as_array().map(Vec::len), Some(0), "{audit}");
    assert_eq!(audit["log_size"].as_u64(), Some(12), "one leaf per act: {audit}");
    assert_eq!(count(&data.join("store/registers"), ".json"), 12);

    let out_dir = dir.path().join("envoi");
    acta_ok(&data, &["campaign", "export", &id, "--out", out_dir.to_str().unwrap()]);
    for (siren, agents) in [
        ("216295105", &["A-00288", "A-00301", "A-00317", "A-00342"][..]),
        ("216296202", &["B-01007", "B-01012", "B-01025", "B-01031"][..]),
        ("216297309", &["C-00402", "C-00415", "C-00433", "C-00451"][..]),
    ] {
        let entries = zip_entries(&std::fs::read(out_dir.join(format!("{siren}.zip"))).unwrap());
        let numbers: Vec<String> = entries
            .iter()
            .filter_map(|(n, _)| n.strip_prefix("actes/")?.strip_suffix(".pdf").map(str::to_owned))
            .collect();
        assert_eq!(numbers.len(), 4, "{siren}");
        // One act's text: the old and new situations are printed.
        let (_, first) = entries.iter().find(|(n, _)| n.starts_with("actes/")).unwrap();
        let act = pdf_text(first);
        assert!(act.contains("reclass"), "{act}");
        // The bordereau PDF lists every act of the ZIP: agent, number, object, date.
        let (_, pdf) = entries.iter().find(|(n, _)| n == "bordereau.pdf").expect("a bordereau PDF");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = pdf_text(pdf);
        assert!(text.contains("Bordereau d’envoi des actes"), "{text}");
        assert!(text.contains(&format!("SIREN {siren}")), "{text}");
        assert!(text.contains(&format!("Campagne : {id}")), "{text}");
        assert!(text.contains("Nombre d’actes : 4"), "{text}");
        for number in &numbers {
            assert!(text.contains(number.as_str()), "{number} missing from the bordereau: {text}");
        }
        for matricule in agents {
            assert!(
                text.contains(&format!("({matricule})")),
                "{matricule} missing from the bordereau: {text}"
            );
        }
        assert!(text.contains(if siren == "216297309" { "M. Aurélien Œillet" } else { "Mme" }), "{text}");
        assert_eq!(text.matches("Arrêté portant reclassement").count(), 4, "{text}");
        assert_eq!(text.matches("15/04/2026").count(), 4, "the date of each act: {text}");
        let info = pdf_tool("pdfinfo", &[], pdf).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(info.contains("Page size: 595.276 x 841.89 pts (A4)"), "{info}");
        assert!(info.contains("Bordereau d’envoi — campagne"), "{info}");
    }
}

#[test]
fn a_reclassement_row_keeping_more_seniority_than_the_new_echelon_lasts_is_refused_by_line() {
    // The décret's correspondence table caps the ancienneté conservée at the
    // new échelon's duration: the template's rule, enforced at the check.
    let dir = tempfile::tempdir().unwrap();
    let (data, file, report) =
        (dir.path().join("data"), dir.path().join("reclassement.csv"), dir.path().join("rapport.csv"));
    let bytes = sample();
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    let mut lines: Vec<String> = text.split("\r\n").map(str::to_owned).collect();
    // Line 3 (Léonie Cœurdevey): 3 years kept in a 24-month échelon.
    lines[2] = lines[2].replace(";0;7;12;24;", ";3;7;12;24;");
    std::fs::write(&file, encoding_rs::WINDOWS_1252.encode(&lines.join("\r\n")).0).unwrap();
    let out = check(&data, &file, &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8(std::fs::read(&report).unwrap()).unwrap();
    let problems: Vec<&str> = report.trim_start_matches('\u{feff}').lines().skip(1).collect();
    assert!(!problems.is_empty(), "{report}");
    assert!(problems.iter().all(|p| p.starts_with("3;")), "only line 3: {report}");
    assert!(
        problems.iter().any(|p| p.contains("Ancienneté conservée (ans)")
            && p.contains("dépasse la durée du nouvel échelon (24 mois)")),
        "{report}"
    );
    assert!(stored_acts(&data).is_empty());
}
