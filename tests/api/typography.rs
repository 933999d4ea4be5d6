//! French typography of every act, read from the sealed PDF a collectivité
//! receives: the text of each fixture (all of `fixtures/acts/*.json`, so that
//! a template added later is scanned too) is extracted with poppler's
//! `pdftohtml -xml`, which keeps each run of text with its font size and
//! position, and scanned for what a secrétaire would correct by hand:
//!
//! - an ordinal ("1er", "1re", "2e", "IIIe") whose letters are not in
//!   superscript (a superscript is a smaller run right after the figure);
//! - a line that ends on "M.", "Mme", "n°", or breaks between a number and its
//!   unit or inside a number ("48 / 600"): a missing non-breaking space;
//! - a proper name split across lines (hyphenated, or cut at its own hyphen);
//! - a missing elision or contraction ("de adjoint", "que il", "à le maire");
//! - "Maire", "Président", "Directeur" with a capital in running text (the
//!   capital stays in the heading "Le Maire de …," and above the signature);
//! - a small number of jours francs in figures ("3 jours francs");
//! - a contraction missing after a colon ("adressée à : le service");
//! - a day cut from its month, an indice or matricule from its number, a
//!   postcode from its town, "SIREN" from its number.
//!
//! The campaign bordereau, not an act, is scanned for cut names too.

use std::process::Command;
use std::sync::LazyLock;

use acta::service::Acta;
use regex::Regex;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{fixture, repo_path, spawn_app, test_settings};

/// One visual line of a page: its runs of text joined, superscript runs
/// written `^er`.
fn lines(pdf: &[u8]) -> Vec<String> {
    static FONT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"<fontspec id="(\d+)" size="([\d.]+)""#).unwrap());
    static TEXT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"<text top="(-?\d+)" left="(-?\d+)" width="(\d+)" height="\d+" font="(\d+)">(.*?)</text>"#,
        )
        .unwrap()
    });
    static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new("<[^>]+>").unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("act.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftohtml")
        .args(["-xml", "-i", "-stdout", "-q"])
        .arg(&file)
        .output()
        .expect("pdftohtml (poppler-utils) is required; scripts/test.sh installs it");
    assert!(out.status.success(), "pdftohtml failed");
    let xml = String::from_utf8(out.stdout).unwrap();
    let sizes: std::collections::HashMap<&str, f64> =
        FONT.captures_iter(&xml).map(|c| (c.get(1).unwrap().as_str(), c[2].parse().unwrap())).collect();
    let mut lines = Vec::new();
    let mut line = String::new();
    // top, left, right and font size of the previous run
    let mut prev: Option<(i64, i64, i64, f64)> = None;
    for c in TEXT.captures_iter(&xml) {
        let (top, left, width): (i64, i64, i64) =
            (c[1].parse().unwrap(), c[2].parse().unwrap(), c[3].parse().unwrap());
        let mut size = sizes[&c[4]];
        let text = unescape(&TAG.replace_all(&c[5], ""));
        match prev {
            Some((ptop, pleft, pright, psize))
                if (top - ptop).abs() <= 4 && left >= pleft && left - pright <= 3 =>
            {
                let after_figure = line.ends_with(|ch: char| ch.is_ascii_digit() || "IVX".contains(ch));
                if size < psize * 0.85 && after_figure {
                    line.push('^');
                    size = psize;
                }
                line.push_str(&text);
            }
            _ => {
                if prev.is_some() {
                    lines.push(std::mem::take(&mut line));
                }
                line = text;
            }
        }
        prev = Some((top, left, left + width, size));
    }
    lines.push(line);
    lines
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

/// Every typographic fault of `lines`, described.
fn faults(lines: &[String]) -> Vec<String> {
    static RULES: LazyLock<Vec<(&str, Regex)>> = LazyLock::new(|| {
        [
            ("ordinal not in superscript", r"\b(1er|1re|1ère|1ers|1res|[0-9]+e|[0-9]+es|[0-9]+ème|[IVX]+e)\b"),
            ("line break after a title or n°", r"\S\s+(M\.|MM\.|Mme|Mmes|Mlle|n°|N°|SIREN)$"),
            (
                "missing elision",
                r"\b(de|De|que|Que|le|Le|la|La|ne|se|jusque|lorsque|puisque) [aeiouàâéèêëîïôûœAEIOUÀÂÉÈÊÎÔŒ]\w*",
            ),
            ("missing contraction", r"\b(à|À|de|De) (le|les) \w+"),
            ("missing contraction after a colon", r"\b(à|À) : (le|les|l’)"),
            ("small number of jours francs in figures", r"\b([0-9]|1[0-6]) jours? francs?\b"),
        ]
        .into_iter()
        .map(|(name, re)| (name, Regex::new(re).unwrap()))
        .collect()
    });
    static HEADING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(Le|La) (Maire|Présidente?|Directeur|Directrice)( de | du | d’| général|,|$)").unwrap()
    });
    static TITLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(Maire|Présidente?|Directeur|Directrice)\b").unwrap());
    static INFINITIVE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(er|ir|oir|dre|ttre)$").unwrap());
    static NAME_END: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(^|\s)\p{Lu}[\p{L}’'-]*[-\u{ad}]$").unwrap());
    static NUMBER_END: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(^|\s)[0-9]{1,3}$").unwrap());
    static UNIT_START: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(%|€|euros?\b|km/h|km\b|h\b|[0-9]{3}\b)").unwrap());
    static DIGIT_END: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[0-9]$").unwrap());
    static DAY_END: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(^|\s)[0-9]{1,2}(\^er)?$").unwrap());
    static MONTH_START: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\b",
        )
        .unwrap()
    });
    static LABEL_END: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(indice brut|indice majoré|indice|matricule)$").unwrap());
    static POSTCODE_END: LazyLock<Regex> = LazyLock::new(|| Regex::new(r", [0-9]{5}$").unwrap());
    let mut found = Vec::new();
    let empreinte = Regex::new(r"SHA-256\) : [0-9a-f]{64}").unwrap();
    for (i, raw) in lines.iter().enumerate() {
        let line = empreinte.replace_all(raw.trim_end(), "SHA-256) : …");
        let next = lines.get(i + 1).map(|l| l.trim_start()).unwrap_or_default();
        for (name, re) in RULES.iter() {
            for m in re.find_iter(&line) {
                // "de le titulariser": a pronoun before an infinitive is right.
                if *name == "missing contraction" && INFINITIVE.is_match(m.as_str()) {
                    continue;
                }
                found.push(format!("{name}: «{}» in «{line}»", m.as_str()));
            }
        }
        if NAME_END.is_match(&line) {
            found.push(format!("proper name split across lines: «{line}» / «{next}»"));
        }
        // Two lines that are each a bare number are two table cells, not a group cut.
        let cells = is_bare_number(&line) && is_bare_number(next);
        if (NUMBER_END.is_match(&line) && UNIT_START.is_match(next) && !cells)
            || (DIGIT_END.is_match(&line) && next.starts_with('%'))
        {
            found.push(format!("number cut from its unit or group: «{line}» / «{next}»"));
        }
        if DAY_END.is_match(&line) && MONTH_START.is_match(next) {
            found.push(format!("day cut from its month: «{line}» / «{next}»"));
        }
        if LABEL_END.is_match(&line) && next.starts_with(|c: char| c.is_ascii_digit()) {
            found.push(format!("number cut from its label: «{line}» / «{next}»"));
        }
        if POSTCODE_END.is_match(&line) && next.starts_with(char::is_uppercase) {
            found.push(format!("postcode cut from its town: «{line}» / «{next}»"));
        }
        if line.ends_with('«') || next.starts_with(['»', ':', ';', '!', '?']) {
            found.push(format!("guillemet or punctuation cut from its word: «{line}» / «{next}»"));
        }
        if TITLE.is_match(&line) && !HEADING.is_match(&line) {
            found.push(format!("capital title in running text: «{line}»"));
        }
    }
    found
}

#[test]
fn the_scan_finds_each_fault_it_looks_for() {
    let bad = [
        "Vu l’arrêté plaçant M. Jean DUPONT au 5e échelon",
        "du grade de adjoint technique, notifié à le maire ;",
        "en présence de M.",
        "le 48",
        "600 euros, et le commandant de Saint-",
        "Martin-d’Hères ; le Maire certifie",
        "Article 3 — Le Directeur général des services est chargé",
        "soit 3 jours francs avant la séance",
        "dont ampliation sera adressée à : le service départemental",
        "Hôtel de ville, 2 place du Beffroi, 62990 Aubrecourt-en-Artois — SIREN",
        "216295105 ; Mairie, 1 rue de l’Église, 62991",
        "Marquenval-sur-Canche ; décret du 22",
        "mars 2010 ; classé au 3^e échelon (indice brut 415, indice majoré",
        "369) ;",
    ]
    .map(String::from);
    let found = faults(&bad).join("\n");
    for expected in [
        "ordinal not in superscript: «5e»",
        "missing elision: «de adjoint»",
        "missing contraction: «à le maire»",
        "line break after a title or n°",
        "number cut from its unit or group: «le 48»",
        "proper name split across lines",
        "capital title in running text: «Martin",
        "capital title in running text: «Article 3",
        "small number of jours francs in figures",
        "missing contraction after a colon: «à : le»",
        "line break after a title or n°: «— SIREN»",
        "postcode cut from its town",
        "day cut from its month",
        "number cut from its label",
    ] {
        assert!(found.contains(expected), "{expected} not found in:\n{found}");
    }
    let good = [
        "Vu l’arrêté plaçant M. Jean DUPONT au 5^e échelon",
        "du grade d’adjoint technique, notifié au maire ; il y a lieu de le titulariser",
        "Le Maire de Saint-Martin-d’Hères,",
        "Le Maire,",
        "soit trois jours francs avant la séance de 48 600 euros",
    ]
    .map(String::from);
    assert_eq!(faults(&good), Vec::<String>::new());
}

#[tokio::test]
async fn every_fixture_is_set_in_french_typography_for_every_collectivite() {
    let app = spawn_app().await;
    let mut ids: Vec<String> = std::fs::read_dir(repo_path("fixtures/acts"))
        .unwrap()
        .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_owned))
        .collect();
    ids.sort();
    assert!(ids.len() >= 13);
    // Each fixture as written, then for another demo collectivité that makes
    // such acts (Aubrecourt-en-Artois, a name starting with a vowel, first; the
    // feminine "La Maire" of Marquenval-sur-Canche otherwise).
    let profiles: Vec<Value> =
        serde_json::from_slice(&std::fs::read(repo_path("fixtures/collectivites.json")).unwrap()).unwrap();
    let mut report = Vec::new();
    let (mut superscripts, mut scanned) = (0, 0);
    for id in ids {
        let body = fixture(&id);
        let own = body["collectivite"].clone();
        let others = profiles.iter().map(|p| p["siren"].clone()).filter(|s| *s != own);
        for siren in std::iter::once(own.clone()).chain(others) {
            let mut variant = body.clone();
            variant["collectivite"] = siren.clone();
            let (status, act) = app.post_act(&variant).await;
            if siren != own && status != StatusCode::CREATED {
                continue; // not an act this collectivité makes (a CdG's convocation, a maire's police)
            }
            let variant_done = siren != own;
            assert_eq!(status, StatusCode::CREATED, "{id}: {act:#}");
            let act_id = act["id"].as_str().unwrap();
            let (status, sealed) = app.seal(act_id).await;
            assert_eq!(status, StatusCode::OK, "{id}: {sealed:#}");
            let lines = lines(&app.pdf(act_id).await);
            superscripts += lines.iter().filter(|l| l.contains('^')).count();
            scanned += 1;
            report.extend(faults(&lines).into_iter().map(|f| format!("{id} ({siren}): {f}")));
            if variant_done {
                break; // one other collectivité per fixture keeps the test short
            }
        }
    }
    // The scan sees superscripts at all (else the ordinal rule would be blind).
    assert!(superscripts > 20, "only {superscripts} lines with a superscript");
    assert!(scanned > 20, "only {scanned} acts scanned");
    assert!(report.is_empty(), "typographic faults:\n{}", report.join("\n"));
}

/// A line holding only a number: a table cell (`412`, `6e` excluded).
fn is_bare_number(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty() && line.chars().all(|c| c.is_ascii_digit())
}

/// The bordereau d'envoi of a campaign lists agents and objects in narrow
/// columns: a long compound name wraps at a space, never at its own hyphens
/// (« Fontaine-Saint-/Roch »), as in the acts.
#[tokio::test]
async fn the_campaign_bordereau_never_cuts_a_compound_name_at_its_hyphens() {
    let tmp = tempfile::tempdir().unwrap();
    let acta = Acta::open(&test_settings(tmp.path())).unwrap();
    let actes: Vec<Value> = (1..=30)
        .map(|i| {
            json!({
                "agent": format!("Mme Marie-Bernadette Fontaine-Saint-Roch-de-la-Vallée (A-{i:05})"),
                "numero": format!("2026_ARR_{i:05}"),
                "objet": "Arrêté portant reclassement — Fontaine-Saint-Roch",
                "date": "15/04/2026",
            })
        })
        .collect();
    let data = json!({
        "collectivite": {"nom": "Commune de Fontaine-Saint-Roch-lès-Aubrecourt", "siren": "216295105"},
        "campagne": {"id": "01a248d2-8a26-7177-8960-a23bb15b98f8", "source": "reclassement.csv", "date": "2026-04-15"},
        "actes": actes,
    });
    let at = time::macros::datetime!(2026-04-15 09:00 UTC);
    let pdf = acta
        .render_document(
            "bordereau-campagne".parse().unwrap(),
            &data,
            "216295105".parse().unwrap(),
            "Bordereau d’envoi".into(),
            "Commune de Fontaine-Saint-Roch-lès-Aubrecourt".into(),
            at,
        )
        .await
        .unwrap();
    let lines = lines(&pdf);
    // The names are long enough to wrap: each agent takes two lines.
    let whole = lines.iter().filter(|l| l.contains("Fontaine-Saint-Roch-de-la-Vallée")).count();
    assert!(whole >= 30, "{whole} whole names in:\n{}", lines.join("\n"));
    assert!(
        lines.iter().any(|l| l.replace('\u{a0}', " ").trim_end().ends_with("Mme Marie-Bernadette")),
        "no wrap at all:\n{}",
        lines.join("\n")
    );
    let cuts: Vec<String> = faults(&lines)
        .into_iter()
        .filter(|f| f.starts_with("proper name split") || f.starts_with("line break after a title"))
        .collect();
    assert!(cuts.is_empty(), "names cut in the bordereau:\n{}", cuts.join("\n"));
}
