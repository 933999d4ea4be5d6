//! Search as people type it (issue 13): the natural queries of
//! `tests/data/natural-queries.tsv` over the fixture corpus, and plain text
//! that is never refused.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, fixture, repo_path, spawn_app};

/// Share of the query set that must find its act among the first three.
const MIN_SCORE: f64 = 0.95;

/// Every fixture act, drafted and sealed: fixture name → (id, number).
async fn corpus(app: &TestApp) -> BTreeMap<String, (String, String)> {
    let mut names: Vec<String> = std::fs::read_dir(repo_path("fixtures/acts"))
        .unwrap()
        .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut acts = BTreeMap::new();
    for name in names {
        let id = app.create(&fixture(&name)).await["id"].as_str().unwrap().to_owned();
        let (status, sealed) = app.seal(&id).await;
        assert_eq!(status, StatusCode::OK, "{name}: {sealed:#}");
        acts.insert(name, (id, sealed["number"].as_str().unwrap().to_owned()));
    }
    acts
}

/// The number of T's act as people type it: `{number:T}` (`2026_ARR_00003`),
/// `{lower-number:T}` (`2026_arr_00003`), `{dashed-number:T}`
/// (`2026-ARR-00003`), `{year-rank:T}` (`2026-003`), `{rank-year:T}` (`3/2026`).
fn expand(query: &str, acts: &BTreeMap<String, (String, String)>) -> String {
    let mut q = query.to_owned();
    for (name, (_, number)) in acts {
        let (year, rank) = match number.split('_').collect::<Vec<_>>().as_slice() {
            [y, _, r] => (y.to_string(), r.trim_start_matches('0').parse::<u32>().unwrap()),
            _ => panic!("unexpected number {number}"),
        };
        q = q.replace(&format!("{{number:{name}}}"), number);
        q = q.replace(&format!("{{lower-number:{name}}}"), &number.to_lowercase());
        q = q.replace(&format!("{{dashed-number:{name}}}"), &number.replace('_', "-"));
        q = q.replace(&format!("{{year-rank:{name}}}"), &format!("{year}-{rank:03}"));
        q = q.replace(&format!("{{rank-year:{name}}}"), &format!("{rank}/{year}"));
    }
    q
}

#[tokio::test]
async fn natural_french_queries_find_their_act_in_the_first_three() {
    run_query_set("tests/data/natural-queries.tsv").await;
}

/// The second set, written independently of the first and of the analyser.
#[tokio::test]
async fn a_second_independent_set_of_natural_queries_finds_its_acts_in_the_first_three() {
    run_query_set("tests/data/natural-queries-2.tsv").await;
}

/// Runs one query set over the sealed fixture corpus and requires `MIN_SCORE`.
async fn run_query_set(path: &str) {
    let app = spawn_app().await;
    let acts = corpus(&app).await;
    let set = std::fs::read_to_string(repo_path(path)).unwrap();
    let (mut passed, mut failures) = (0, Vec::new());
    for line in set.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let (query, expected) = line.split_once('\t').unwrap_or_else(|| panic!("no tab in « {line} »"));
        let (id, _) = acts.get(expected).unwrap_or_else(|| panic!("no fixture « {expected} »"));
        let query = expand(query, &acts);
        let r = app.client.get(app.url("/api/v1/search")).query(&[("q", &query)]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "« {query} » was refused");
        let found: Value = r.json().await.unwrap();
        let hits = found["hits"].as_array().unwrap();
        let top: Vec<&str> = hits.iter().take(3).map(|h| h["template"].as_str().unwrap()).collect();
        if hits.iter().take(3).any(|h| h["id"] == id.as_str()) {
            passed += 1;
        } else {
            failures.push(format!("« {query} » → {expected} not in {top:?} (total {})", found["total"]));
        }
    }
    let total = passed + failures.len();
    assert!(total >= 50, "{path} has only {total} queries");
    let score = passed as f64 / total as f64;
    println!("{path}: {passed}/{total} found in the first three ({:.1} %)", score * 100.0);
    for f in &failures {
        println!("  missed: {f}");
    }
    assert!(
        score >= MIN_SCORE,
        "{path}: {passed}/{total} natural queries found their act:\n{}",
        failures.join("\n")
    );
}

/// Whatever plain text is typed (no explicit operator), the answer is 200.
#[tokio::test]
async fn plain_text_is_never_a_syntax_error() {
    let app = spawn_app().await;
    app.create(&fixture("arrete-disponibilite")).await;
    for q in [
        "avancement d'échelon",
        "avancement d’échelon",
        "l'arrêté",
        "d'",
        "qu’",
        "conseil de discipline (catégorie C",
        "congé) maladie]",
        "séance de 18:30",
        "CST : avis",
        "objet :",
        "2026-03-12",
        "12/03/2026",
        "a ^ b ~ c ! d",
        "{ [ ( ) ] }",
        "\\ / \\",
        "de la",
        "🙂 arrêté",
        "aujourd'hui",
        "l’",
        "-",
        ":",
        "'",
        "’",
        "«",
        "n° 12",
    ] {
        let r = app.client.get(app.url("/api/v1/search")).query(&[("q", q)]).send().await.unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "« {q} »: {body}");
    }
    // A paragraph pasted from an act (3 000 bytes) is searched, not refused.
    let pasted = "Vu le décret n° 2012-924 du 30 juillet 2012 modifié portant statut particulier du cadre \
        d'emplois des rédacteurs territoriaux ; "
        .repeat(24);
    assert!(pasted.len() > 2_500);
    let r = app.client.get(app.url("/api/v1/search")).query(&[("q", &pasted)]).send().await.unwrap();
    let status = r.status();
    let found: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{found:#}");
    assert!(found["total"].as_u64().unwrap() >= 1, "{found:#}");
}
